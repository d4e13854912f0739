"""The engagement log under load while the bot keeps answering.

    python -m benchmarks.events [--seconds 60] [--rate 6000]

Records ``--rate`` events a second for ``--seconds`` through the bot's own ``EventLog``
(as handlers do: a call that queues and returns), spread over 50 registered groups so that
every batch also updates the weekly roll-up, while a person sends /help once a
second and times the answer. Prints the events written per second, the largest backlog,
the reply times and peak memory (bot, emulator and load share this process).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import tempfile
import time
from pathlib import Path

from emulator import BotApiEmulator
from storage.states import EventKind, Language
from testing.databases import drop_created, which
from testing.harness import TOKEN, benchmark_bot

TICK = 0.01  # events are produced in small bursts, a hundred a second
GROUPS = 50


async def measure(seconds: float, rate: int) -> None:
    emulator = BotApiEmulator(TOKEN)
    await emulator.start()
    with tempfile.TemporaryDirectory() as folder:
        # 500 people writing 12 messages a second each: far over a person's hourly limit
        bot = benchmark_bot(
            emulator, Path(folder) / "bench.db", admins="1000", event_limit=1_000_000
        )
        await bot.start()
        events = bot.services.events
        instructor = emulator.user(3000, "Ilkka", language_code="fi")
        await bot.make_staff(instructor, "instructor", "Espoo")
        groups = []
        for n in range(GROUPS):
            added = await bot.services.groups.bot_added(
                3000, -1_000_000 - n, f"Ryhmä {n + 1}", language=Language.FI, bot_is_admin=True
            )
            assert added.group is not None
            groups.append(added.group.id)
        asker = emulator.user(77, "Asker", language_code="en")
        produced = 0
        backlog = 0
        latencies: list[float] = []
        started = time.perf_counter()

        async def produce() -> None:
            nonlocal produced, backlog
            while (elapsed := time.perf_counter() - started) < seconds:
                due = int(elapsed * rate)
                for n in range(produced, due):
                    person = 1_000 + n % 500
                    events.record(
                        EventKind.MESSAGE,
                        group_id=groups[person % GROUPS],
                        person_id=person,
                        type="text",
                    )
                produced = max(produced, due)
                backlog = max(backlog, events.waiting)
                await asyncio.sleep(TICK)

        async def ask() -> None:
            while time.perf_counter() - started < seconds:
                latencies.append(await bot.answer_time(asker, "/help", timeout=30))
                await asyncio.sleep(1.0)

        await asyncio.gather(produce(), ask())
        produced_in = time.perf_counter() - started
        written_in_time = events.written
        await bot.stop()  # writes what is left
        total_written = events.written
    await emulator.stop()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"events recorded: {produced} over {produced_in:.1f} s ({produced / produced_in:.0f}/s)")
    print(f"written while running: {written_in_time} ({written_in_time / produced_in:.0f}/s)")
    print(f"written in all, after the clean stop: {total_written}")
    print(f"largest backlog: {backlog} events")
    print(
        f"/help during the load: {len(latencies)}, answered in median "
        f"{statistics.median(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    )
    print(f"peak memory (bot + emulator + load, one process): {peak_mb:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=int, default=6_000)
    arguments = parser.parse_args()
    print(f"database: {which()}")
    try:
        asyncio.run(measure(arguments.seconds, arguments.rate))
    finally:
        drop_created()


if __name__ == "__main__":
    main()
