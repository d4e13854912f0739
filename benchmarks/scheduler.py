"""Start-up with 10,000 planned messages: how long restoring their jobs takes.

    python -m benchmarks.scheduler [--items 10000]

Builds a database (by the real migrations) holding ``--items`` pending schedule items in
1,000 groups, starts the bot against the emulator (which restores every job into PTB's
job queue), then times one more full restore on its own. Prints both times, the jobs in
the queue and the process's peak memory (bot and emulator share it).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

from bot.clock import SystemClock
from bot.runtime.scheduler import ScheduleRunner
from emulator import BotApiEmulator
from storage import Database, apply_migrations
from storage.timestamps import to_db
from testing.harness import TOKEN, benchmark_bot

GROUPS = 1_000


async def fill(path: Path, items: int) -> None:
    database = Database(path)
    await database.connect()
    now = dt.datetime.now(dt.UTC)
    await apply_migrations(database, now)
    per_group = max(1, items // (2 * GROUPS))
    async with database.locked() as connection:
        await connection.execute("BEGIN")
        await connection.execute(
            "INSERT INTO people (telegram_id, first_seen, last_seen) VALUES (1, ?, ?)",
            (to_db(now), to_db(now)),
        )
        await connection.execute(
            "INSERT INTO organisations (id, name, created_at) VALUES (1, 'Benchmark', ?)",
            (to_db(now),),
        )
        made = 0
        for group in range(1, GROUPS + 1):
            await connection.execute(
                """
                INSERT INTO groups (id, chat_id, organisation_id, title, language, timezone,
                                    status, registered_by, created_at, updated_at)
                VALUES (?, ?, 1, ?, 'fi', 'Europe/Helsinki', 'active', 1, ?, ?)
                """,
                (group, -1_000_000 - group, f"Group {group}", to_db(now), to_db(now)),
            )
            await connection.execute(
                """
                INSERT INTO calendars (group_id, weekday, meeting_time, first_date, meetings,
                                       set_by, updated_at)
                VALUES (?, 1, '14:00', ?, ?, 1, ?)
                """,
                (group, (now + dt.timedelta(days=7)).date().isoformat(), per_group, to_db(now)),
            )
            for number in range(1, per_group + 1):
                starts = now + dt.timedelta(days=7 * number)
                row = await connection.fetch_one(
                    """
                    INSERT INTO meetings (group_id, number, local_date, local_time, starts_at,
                                          status)
                    VALUES (?, ?, ?, '14:00', ?, 'planned') RETURNING id
                    """,
                    (group, number, starts.date().isoformat(), to_db(starts)),
                )
                meeting_id = row[0]
                for kind, before in (("evening", 20), ("before", 1)):
                    if made == items:
                        break
                    await connection.execute(
                        """
                        INSERT INTO schedule_items (group_id, meeting_id, kind, due_at, status)
                        VALUES (?, ?, ?, ?, 'pending')
                        """,
                        (group, meeting_id, kind, to_db(starts - dt.timedelta(hours=before))),
                    )
                    made += 1
        await connection.execute("COMMIT")
    await database.close()


async def measure(items: int) -> None:
    emulator = BotApiEmulator(TOKEN)
    await emulator.start()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        await fill(path, items)
        bot = benchmark_bot(emulator, path, admins="1000")
        started = time.perf_counter()
        await bot.start()
        startup = time.perf_counter() - started
        queue = bot.app.job_queue
        assert queue is not None
        jobs = len(queue.jobs())
        runner = ScheduleRunner(bot.services.meetings, SystemClock())
        started = time.perf_counter()
        restored = await runner.start(queue)
        restore = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # what 10,000 jobs cost in memory: one more restore, traced (tracing itself costs
        # memory, so the process peak above is taken before)
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        await ScheduleRunner(bot.services.meetings, SystemClock()).start(queue)
        held_mb = (tracemalloc.get_traced_memory()[0] - before) / 1024 / 1024
        tracemalloc.stop()
        await bot.stop()
    await emulator.stop()
    print(f"planned messages: {restored}, jobs in the queue after start-up: {jobs}")
    print(f"bot start-up including the restore: {startup:.2f} s")
    print(f"restore alone (read {restored} items, add their jobs): {restore:.2f} s")
    print(f"memory held by {restored} more restored jobs: {held_mb:.1f} MB")
    print(f"peak memory (bot + emulator, one process): {peak_mb:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=10_000)
    asyncio.run(measure(parser.parse_args().items))


if __name__ == "__main__":
    main()
