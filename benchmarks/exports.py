"""The admin's /help while exports over a million events run (issue 19).

    python -m benchmarks.exports [--events 1000000] [--groups 500] [--people 10000] [--runs 5]

Builds the national-scale data set of ``benchmarks/analytics.py`` (one organisation,
``--groups`` groups, ``--people`` participants, ``--events`` engagement events written in
bulk through the event writer's own statements), then with the real bot over HTTP against
the emulator measures the admin's ``/help``, command to answer:

- with nothing else running (the baseline);
- while ``kannustin export`` (its own process, the coordinators' XLSX) runs, ``--runs``
  times one after another;
- while the coordinator's in-chat ``/export`` runs, ``--runs`` times, each until its file
  arrives.

The admins ask as in ``benchmarks/responsive.py`` (``latencies_while``: five of them, each
every 1.3 s, never inside their private chat's own limit, also from one phase to the
next). Prints p50, p99 and max per phase and how long the exports took.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from benchmarks.analytics import COORDINATOR, build, data_set_arguments, export
from benchmarks.responsive import ADMINS, latencies_while, percentile
from emulator import BotApiEmulator
from testing.databases import drop_created, which
from testing.harness import TOKEN, RunningBot, benchmark_bot

EXPORT_TIMEOUT = 600.0


async def helps_while(bot: RunningBot, work: Awaitable[Any]) -> tuple[list[float], float]:
    """/help latencies until ``work`` is done; and how long it took."""
    began = time.perf_counter()

    async def load() -> None:
        await work

    times = await latencies_while(bot, 0.0, load)
    return times, time.perf_counter() - began


async def idle(seconds: float) -> None:
    await asyncio.sleep(seconds)


async def chat_export(bot: RunningBot) -> None:
    """The coordinator's /export, to its file."""
    coordinator = bot.emulator.user(COORDINATOR, "Kaisa", language_code="fi")
    mark = bot.emulator.mark()
    await bot.emulator.send_text(coordinator, "/export")
    await bot.emulator.wait_for(
        "sendDocument", chat_id=coordinator["id"], after=mark, timeout=EXPORT_TIMEOUT
    )


def figures(name: str, times: list[float], took: list[float]) -> None:
    p99 = percentile(times, 0.99)
    each = ", ".join(f"{t:.1f} s" for t in took)
    print(
        f"{name}: /help x{len(times)}: p50 {statistics.median(times) * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms, max {max(times) * 1000:.0f} ms (took {each})"
    )


async def measure(events: int, groups: int, people: int, runs: int) -> None:
    emulator = BotApiEmulator(TOKEN)
    await emulator.start()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        bot = benchmark_bot(emulator, path, admins=",".join(str(a) for a in ADMINS))
        await bot.start()
        try:
            await phases(bot, Path(folder), events=events, groups=groups, people=people, runs=runs)
        finally:  # a phase that fails must not leave the bot running (and this waiting)
            await bot.stop()
            await emulator.stop()


async def phases(
    bot: RunningBot, folder: Path, *, events: int, groups: int, people: int, runs: int
) -> None:
    started = time.perf_counter()
    await build(bot, groups, people, events)
    print(f"built {events:,} events, {groups} groups, {people:,} participants", end="")
    print(f" in {time.perf_counter() - started:.0f} s")
    await chat_export(bot)  # the first starts the export processes' server: not measured
    times, took = await helps_while(bot, idle(10))
    figures("idle", times, [took])
    cli: list[float] = []
    cli_took: list[float] = []
    for run in range(runs):
        out = folder / f"export-{run}.xlsx"
        times, took = await helps_while(bot, export(bot.settings.database, out))
        cli += times
        cli_took.append(took)
    figures("while kannustin export runs", cli, cli_took)
    chat: list[float] = []
    chat_took: list[float] = []
    for _ in range(runs):
        times, took = await helps_while(bot, chat_export(bot))
        chat += times
        chat_took.append(took)
    figures("while /export runs in the chat", chat, chat_took)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_set_arguments(parser)
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()
    print(f"database: {which()}")
    try:
        asyncio.run(measure(arguments.events, arguments.groups, arguments.people, arguments.runs))
    finally:
        drop_created()


if __name__ == "__main__":
    main()
