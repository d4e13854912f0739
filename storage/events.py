"""The engagement log's table: appended in batches, never updated."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from storage.rows import fetch_all, to_models


@dataclass(frozen=True)
class Event:
    id: int
    at: dt.datetime
    group_id: int | None
    pseudonym: str | None
    kind: str
    attributes: str | None


_EVENT = "id, at, group_id, pseudonym, kind, attributes"
# the roll-up's counters, and the event kind each one sums
ACTIVITY = ("messages", "replies", "reactions", "taps", "checkins", "progress", "broadcasts")
_ROLLED = {
    kind: ACTIVITY.index(column)
    for kind, column in (
        ("message", "messages"),
        ("reply", "replies"),
        ("reaction", "reactions"),
        ("button", "taps"),
        ("check-in", "checkins"),
        ("progress", "progress"),
        ("broadcast-delivered", "broadcasts"),
    )
}
EPOCH_DAY = dt.date(1970, 1, 1).toordinal()


class EventRepository:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    async def append(
        self, rows: Sequence[tuple[str, int | None, str | None, str, str | None]]
    ) -> None:
        """(at, group id, pseudonym, kind, attributes JSON) rows, in one statement."""
        await self._connection.executemany(
            "INSERT INTO events (at, group_id, pseudonym, kind, attributes) VALUES (?, ?, ?, ?, ?)",
            rows,
        )

    async def roll_up(
        self, rows: Sequence[tuple[str, int | None, str | None, str, str | None]]
    ) -> None:
        """Add the same rows to the daily roll-up (``activity``) that statistics read."""
        sums: dict[tuple[int, int, str], list[int]] = {}
        for at, group_id, pseudonym, kind, attributes in rows:
            column = _ROLLED.get(kind)
            if group_id is None or column is None:
                continue
            amount = 1
            if kind == "reaction":
                if pseudonym is None:
                    continue  # anonymous reactions come as totals, not changes
                amount = max(int(json.loads(attributes or "{}").get("change", 0)), 0)
                if not amount:
                    continue
            day = dt.date.fromisoformat(at[:10]).toordinal() - EPOCH_DAY
            counts = sums.setdefault((group_id, day, pseudonym or ""), [0] * len(ACTIVITY))
            counts[column] += amount
        if not sums:
            return
        columns = ", ".join(ACTIVITY)
        updates = ", ".join(f"{c} = activity.{c} + excluded.{c}" for c in ACTIVITY)
        await self._connection.executemany(
            f"""
            INSERT INTO activity (group_id, day, pseudonym, {columns})
            VALUES (?, ?, ?, {", ".join("?" for _ in ACTIVITY)})
            ON CONFLICT (group_id, day, pseudonym) DO UPDATE SET {updates}
            """,
            [(*key, *counts) for key, counts in sums.items()],
        )

    async def latest(self, limit: int = 100) -> list[Event]:
        rows = await fetch_all(
            self._connection,
            f"SELECT {_EVENT} FROM events ORDER BY id DESC LIMIT :limit",
            {"limit": limit},
        )
        return to_models(Event, rows)[::-1]

    async def count(self) -> int:
        rows = await fetch_all(self._connection, "SELECT COUNT(*) FROM events", {})
        return int(rows[0][0])
