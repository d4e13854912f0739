"""How fast the bot answers commands, end to end over HTTP through the Bot API emulator.

    python -m benchmarks.replies [--people 200] [--rounds 5]

Each of N people sends /start, /help and /language in turn, R rounds; every reply is
awaited before that person's next command (as on a phone). Prints replies per second,
median and 95th-percentile reply latency, and the process's peak memory.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from emulator import BotApiEmulator
from testing.harness import TOKEN, benchmark_bot

COMMANDS = ("/start", "/help", "/language")


async def measure(people: int, rounds: int) -> None:
    emulator = BotApiEmulator(TOKEN)
    await emulator.start()
    with tempfile.TemporaryDirectory() as folder:
        bot = benchmark_bot(emulator, Path(folder) / "bench.db")
        await bot.start()
        users = [emulator.user(10_000 + n, f"P{n}", language_code="fi") for n in range(people)]
        latencies: list[float] = []

        async def person(user: dict[str, Any]) -> None:
            for index in range(rounds * len(COMMANDS)):
                command = COMMANDS[index % len(COMMANDS)]
                latencies.append(await bot.answer_time(user, command))

        began = time.perf_counter()
        await asyncio.gather(*(person(user) for user in users))
        elapsed = time.perf_counter() - began
        await bot.stop()
    await emulator.stop()
    latencies.sort()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"people: {people}, commands each: {rounds * len(COMMANDS)}, replies: {len(latencies)}")
    print(f"replies per second: {len(latencies) / elapsed:.0f}")
    print(f"reply latency median: {statistics.median(latencies) * 1000:.1f} ms")
    print(f"reply latency p95: {latencies[int(len(latencies) * 0.95)] * 1000:.1f} ms")
    print(f"peak memory (bot, emulator and load in one process): {peak_mb:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    asyncio.run(measure(arguments.people, arguments.rounds))


if __name__ == "__main__":
    main()
