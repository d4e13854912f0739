"""The send slots every instance books from, so that together they keep Telegram's limits
(``send_slots`` and ``send_pause``, PostgreSQL only). Bookings are serialised by an
advisory lock held for the few milliseconds a booking takes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from storage.database import Database

SLOTS_LOCK = 0x6B736C74  # "kslt"
KEEP = 120.0  # seconds a booked slot is kept: longer than any window


class SlotBook:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def book(
        self,
        chat: str,
        *,
        count: int,
        earliest: float,
        now: float,
        window: float,
        place: Callable[[Sequence[float], Sequence[tuple[float, float]], float], float],
    ) -> float:
        """Book the first slot for ``count`` messages to ``chat``; ``place`` picks it from
        the chat's recent sends, every instance's overall reservations and the earliest
        start allowed (after ``earliest``, ``now`` and any pause). Returns its time."""
        async with self._database.side_transaction() as connection:
            await connection.execute(f"SELECT pg_advisory_xact_lock({SLOTS_LOCK})")
            pause = await connection.fetch_one("SELECT until FROM send_pause WHERE id = 1")
            recent = await connection.fetch_all(
                "SELECT at, messages FROM send_slots WHERE chat = :chat AND at > :since "
                "ORDER BY at",
                {"chat": chat, "since": now - window},
            )
            taken = await connection.fetch_all(
                "SELECT at, messages FROM send_slots WHERE at > :since ORDER BY at",
                {"since": now - 1.0},
            )
            start = max(earliest, now, float(pause["until"]) if pause else 0.0)
            slot = place(
                [float(row["at"]) for row in recent for _ in range(int(row["messages"]))],
                [(float(row["at"]), float(row["messages"])) for row in taken],
                start,
            )
            await connection.execute(
                "INSERT INTO send_slots (chat, at, messages) VALUES (:chat, :at, :count)",
                {"chat": chat, "at": slot, "count": count},
            )
            await connection.execute("DELETE FROM send_slots WHERE at < :old", {"old": now - KEEP})
        return slot

    async def pause_until(self, until: float) -> None:
        async with self._database.side_transaction() as connection:
            await connection.execute(
                "INSERT INTO send_pause (id, until) VALUES (1, :until) "
                "ON CONFLICT (id) DO UPDATE SET until = GREATEST(send_pause.until, :until)",
                {"until": until},
            )
