"""The Mini App's dashboard API at national scale (issue 21).

    python -m benchmarks.dashboard [--events 1000000] [--groups 500] [--people 10000]
                                   [--requests 50]

Builds the national-scale data set of ``benchmarks/analytics.py`` (one organisation,
``--groups`` groups, ``--people`` participants with check-ins and survey answers,
``--events`` engagement events), starts the real bot with the Mini App served, and asks
``GET /app/api/dashboard`` as the organisation's coordinator over real HTTP with signed
launch data (``Authorization: tma <initData>``), ``--requests`` times one after another:
the first (which works out every week's disclosure pattern) apart, then p50, p95 and max
of the rest; and one group's dashboard (``?group=N``) likewise. Those are answered from the
figures kept while nothing changes (``StatsService.weekly``); then the organisation's
dashboard again with a new message in one of its groups before each request, from a
participant already active this week (the usual case: only that week's messages pattern
is worked out again) and from a different participant each time (who may be new to the
week: its people pattern is worked out again).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp

from benchmarks.analytics import COORDINATOR, PARTICIPANTS, build, data_set_arguments
from benchmarks.responsive import percentile
from emulator import BotApiEmulator
from storage.states import EventKind
from testing.databases import drop_created, which
from testing.harness import TOKEN, RunningBot, benchmark_bot
from testing.webapp import free_port, init_data


async def ask(session: aiohttp.ClientSession, bot: RunningBot, path: str) -> tuple[float, int]:
    """One request with freshly signed launch data: its time and the answer's size."""
    coordinator = bot.emulator.user(COORDINATOR, "Kaisa", language_code="fi")
    launch = init_data(coordinator, signed_at=bot.clock.now())
    started = time.perf_counter()
    async with session.get(path, headers={"Authorization": f"tma {launch}"}) as response:
        body = await response.read()
        if response.status != 200:
            raise RuntimeError(f"{path}: {response.status} {body[:300]!r}")
    return time.perf_counter() - started, len(body)


def figures(name: str, first: float, times: list[float], size: int) -> None:
    print(
        f"{name} ({size / 1024:.0f} KB): the first {first * 1000:.0f} ms; then x{len(times)}: "
        f"p50 {statistics.median(times) * 1000:.0f} ms, "
        f"p95 {percentile(times, 0.95) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms"
    )


async def measure(events: int, groups: int, people: int, requests: int) -> None:
    emulator = BotApiEmulator(TOKEN)
    await emulator.start()
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        bot = benchmark_bot(
            emulator,
            Path(folder) / "bench.db",
            admins="1000",
            web_listen=f"127.0.0.1:{port}",
            web_url=f"http://127.0.0.1:{port}/app/",
        )
        await bot.start()
        built = time.perf_counter()
        await build(bot, groups, people, events)
        print(
            f"built {events:,} events, {groups} groups, {people:,} participants "
            f"in {time.perf_counter() - built:.0f} s"
        )
        one = (await bot.services.stats.scope(COORDINATOR)).groups[0].id
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession(base) as session:
            for name, path in (
                (f"dashboard (organisation, {groups} groups)", "/app/api/dashboard"),
                ("dashboard (one group)", f"/app/api/dashboard?group={one}"),
            ):
                first, size = await ask(session, bot, path)
                times = [(await ask(session, bot, path))[0] for _ in range(requests)]
                figures(name, first, times, size)
            path = "/app/api/dashboard"
            _, size = await ask(session, bot, path)
            async with bot.services.database.reading() as tx:
                ids = sorted(g.id for g in await tx.groups.all())

            async def message(participant: int) -> None:
                # benchmarks/analytics.py: participant p is in group p % groups
                group_id = ids[(participant - PARTICIPANTS) % len(ids)]
                bot.services.events.record(
                    EventKind.MESSAGE, group_id=group_id, person_id=participant
                )
                await bot.services.events.flush()

            for name, who in (
                ("after a message from someone active this week", lambda n: PARTICIPANTS + 7),
                (
                    "after a message from a different participant each time",
                    lambda n: PARTICIPANTS + 11 + 37 * n,
                ),
            ):
                await message(who(requests))  # warms up: not counted
                await ask(session, bot, path)
                times = []
                for n in range(requests):
                    await message(who(n))
                    times.append((await ask(session, bot, path))[0])
                figures(f"dashboard (organisation) {name}", times[0], times[1:], size)
        await bot.stop()
    await emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_set_arguments(parser)
    parser.add_argument("--requests", type=int, default=50)
    arguments = parser.parse_args()
    print(f"database: {which()}")
    try:
        asyncio.run(
            measure(arguments.events, arguments.groups, arguments.people, arguments.requests)
        )
    finally:
        drop_created()


if __name__ == "__main__":
    main()
