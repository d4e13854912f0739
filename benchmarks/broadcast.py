"""A broadcast to 1,000 groups against the emulator enforcing Telegram's limits.

    python -m benchmarks.broadcast [--groups 1000]

Prints the time to deliver everything against the theoretical minimum set by 30 messages
a second, the 429s Telegram (the emulator) answered, messages lost or duplicated, how fast
commands sent during the broadcast were answered, and peak memory (bot, emulator and
load generator share this process, so it is an upper bound for the bot).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from bot.payload import TextContent
from emulator import BotApiEmulator, RateLimits
from storage.states import GroupStatus, Language, OutboxStatus
from testing.databases import drop_created, which
from testing.harness import TOKEN, RunningBot, benchmark_bot

TEXT = "Hyvää viikkoa kaikille! Muistakaa pieni kävely tänään."


async def broadcast_groups(bot: RunningBot, count: int) -> list[int]:
    """``count`` active groups of one organisation, the bot an admin in each; their ids."""
    emulator, services = bot.emulator, bot.services
    organisation = await services.organisations.create(None, "Benchmark")
    now = services.clock.now()
    group_ids = []
    async with services.database.transaction() as tx:
        for n in range(count):
            chat_id = -1_000_000 - n
            emulator.group(chat_id, f"Group {n}").bot_status = "administrator"
            group = await tx.groups.create(
                chat_id=chat_id,
                organisation_id=organisation.id,
                title=f"Group {n}",
                language=Language.FI,
                timezone="Europe/Helsinki",
                status=GroupStatus.ACTIVE,
                bot_is_admin=True,
                registered_by=1000,
                now=now,
            )
            group_ids.append(group.id)
    return group_ids


async def undelivered(bot: RunningBot) -> int:
    """Outbox rows still to go (pending or in flight)."""
    async with bot.services.database.transaction() as tx:
        counts = await tx.outbox.counts()
    return counts.get(OutboxStatus.PENDING, 0) + counts.get(OutboxStatus.SENDING, 0)


async def measure(group_count: int) -> None:
    emulator = BotApiEmulator(TOKEN, rate_limits=RateLimits.telegram())
    await emulator.start()
    with tempfile.TemporaryDirectory() as folder:
        bot = benchmark_bot(emulator, Path(folder) / "bench.db", admins="1000")
        await bot.start()
        services = bot.services
        group_ids = await broadcast_groups(bot, group_count)
        asker = emulator.user(77, "Asker", language_code="en")
        text = TEXT

        started = time.perf_counter()
        await services.broadcasts.send(None, TextContent(text=text), group_ids)
        latencies: list[float] = []
        while await undelivered(bot):
            if time.perf_counter() - started > 3 + 3 * len(latencies):
                latencies.append(await bot.answer_time(asker, "/help", timeout=30))
            await asyncio.sleep(0.1)
        elapsed = time.perf_counter() - started
        await bot.stop()
    await emulator.stop()

    received = Counter(
        message["chat"]["id"]
        for message in emulator.messages.values()
        if message.get("text") == text
    )
    minimum = (group_count - 1) / 30
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"groups: {group_count}")
    print(f"delivered: {sum(1 for count in received.values() if count >= 1)} of {group_count}")
    print(
        f"lost: {group_count - len(received)}, duplicated: {sum(c - 1 for c in received.values())}"
    )
    print(
        f"time: {elapsed:.1f} s (minimum at 30/s: {minimum:.1f} s, ratio {elapsed / minimum:.3f})"
    )
    print(f"429 answers: {emulator.counters.rate_limited}")
    if latencies:
        print(
            f"commands during the broadcast: {len(latencies)}, answered in median "
            f"{statistics.median(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
        )
    print(f"peak memory (bot + emulator + load, one process): {peak_mb:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=1000)
    arguments = parser.parse_args()
    print(f"database: {which()}")
    try:
        asyncio.run(measure(arguments.groups))
    finally:
        drop_created()


if __name__ == "__main__":
    main()
