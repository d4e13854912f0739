"""Leadership and presence on PostgreSQL: one instance leads at a time, another takes over
when it goes, and a row in flight is sent again only when its sender is gone."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.clock import FixedClock
from bot.runtime.leadership import Leadership
from storage import Database, apply_migrations
from storage.leadership import LeaderLock
from testing.databases import database_for, on_postgres, two_instances

pytestmark = pytest.mark.skipif(
    not on_postgres(), reason="several instances need PostgreSQL (KANNUSTIN_TEST_POSTGRES)"
)


async def test_one_leads_and_the_other_takes_over_when_it_stops(
    tmp_path: Path, clock: FixedClock
) -> None:
    gained: list[str] = []
    lost: list[str] = []

    def leadership(name: str, database: Database) -> Leadership:
        async def gain() -> None:
            gained.append(name)

        async def loss() -> None:
            lost.append(name)

        return Leadership(LeaderLock(database), on_gain=gain, on_loss=loss, poll=0.2)

    async with two_instances(tmp_path / "bot.db") as databases:
        first, second = leadership("first", databases[0]), leadership("second", databases[1])
        try:
            await first.start()
            await second.start()
            await asyncio.sleep(0.6)  # the second keeps trying
            assert (first.leading, second.leading, gained) == (True, False, ["first"])

            await first.stop()
            await asyncio.wait_for(second.changed.wait(), 5)
            assert (second.leading, gained, lost) == (True, ["first", "second"], ["first"])
        finally:
            await second.stop()
    assert lost == ["first", "second"]


async def test_a_row_in_flight_goes_again_only_when_its_sender_is_gone(
    tmp_path: Path, clock: FixedClock
) -> None:
    url = database_for(tmp_path / "bot.db")
    database = Database(url)
    await database.connect()
    await apply_migrations(database, clock.now())
    sender, newcomer = LeaderLock(database), LeaderLock(database)
    try:
        assert await sender.try_acquire()  # also makes it present
        assert not await newcomer.try_acquire()
        async with database.transaction() as tx:
            rows = [
                await tx.outbox.add(
                    chat_id=-100 - n,
                    purpose="notice",
                    content="{}",
                    due_at=clock.now(),
                    now=clock.now(),
                )
                for n in range(3)
            ]
            assert await tx.outbox.start_sending(rows[0], sender.instance)
            assert not await tx.outbox.start_sending(rows[1], 12345)  # nobody present as that
        async with database.transaction() as tx:  # the sender lives: its row stays its own
            assert await tx.outbox.requeue_in_flight() == 0

        await sender.release()  # its session ends, as when its process dies
        async with database.transaction() as tx:
            assert await tx.outbox.requeue_in_flight() == 1
            stored = [await tx.outbox.get(row) for row in rows]
        assert [row.status for row in stored if row is not None] == ["pending"] * 3
    finally:
        await sender.release()
        await newcomer.release()
        await database.close()
