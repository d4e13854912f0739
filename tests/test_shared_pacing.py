"""Two instances pacing together: their sends, booked in one PostgreSQL database, keep
Telegram's limits as if one bot sent them all (the limits are per bot token)."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import pytest

from bot.clock import FixedClock
from bot.runtime.pacing import SAFETY, Limits, SharedPacer
from storage import apply_migrations
from storage.pacing import SlotBook
from storage.rows import fetch_all
from testing.databases import on_postgres, two_instances

pytestmark = pytest.mark.skipif(
    not on_postgres(), reason="shared pacing needs PostgreSQL (KANNUSTIN_TEST_POSTGRES)"
)


async def test_two_instances_sending_at_once_stay_inside_the_limits_together(
    tmp_path: Path, clock: FixedClock
) -> None:
    async def no_wait(seconds: float) -> None:  # the booked slots are what is checked
        return None

    async with two_instances(tmp_path / "bot.db") as databases:
        await apply_migrations(databases[0], clock.now())
        pacers = [SharedPacer(SlotBook(database), sleep=no_wait) for database in databases]
        # each instance answers 40 people and posts 25 times in one group, all at once
        sends = [
            pacer.acquire(chat, group=chat < 0)
            for pacer in pacers
            for chat in [*range(1, 41), *([-100] * 25)]
        ]
        await asyncio.gather(*sends)
        async with databases[0].transaction() as tx:
            slots = await fetch_all(
                tx.connection, "SELECT chat, at FROM send_slots ORDER BY at", {}
            )

    limits = Limits()
    assert len(slots) == 2 * 65
    times = [float(row["at"]) for row in slots]
    # overall: no second holds more than 30 sends
    for first, later in zip(times, times[30:], strict=False):
        assert later - first >= 1.0, "over 30 sends in a second"
    # a group: 20 a minute; a private chat: 3 in 3 seconds (each person got two answers)
    for chat, rows in itertools.groupby(
        sorted(slots, key=lambda r: (r["chat"], r["at"])), key=lambda r: r["chat"]
    ):
        at = [float(row["at"]) for row in rows]
        window, allowed = limits.window(group=chat.startswith("-"))
        for first, later in zip(at, at[allowed:], strict=False):
            assert later - first >= window / SAFETY, f"chat {chat} over its limit"
