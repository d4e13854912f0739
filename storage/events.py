"""The engagement log's table: appended in batches, never updated."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from storage.rows import execute, fetch_all, to_models
from storage.sql import Connection
from storage.states import EventKind
from storage.timestamps import to_db


@dataclass(frozen=True)
class Event:
    id: int
    at: dt.datetime
    group_id: int | None
    pseudonym: str | None
    kind: EventKind
    attributes: str | None


_EVENT = "id, at, group_id, pseudonym, kind, attributes"
# the roll-up's counters, and the event kind each one sums
ACTIVITY = ("messages", "replies", "reactions", "taps", "checkins", "progress", "broadcasts")
_ROLLED: dict[str, int] = {  # keyed by the stored word, as the rows to roll up carry it
    kind: ACTIVITY.index(column)
    for kind, column in (
        (EventKind.MESSAGE, "messages"),
        (EventKind.REPLY, "replies"),
        (EventKind.REACTION, "reactions"),
        (EventKind.BUTTON, "taps"),
        (EventKind.CHECK_IN, "checkins"),
        (EventKind.PROGRESS, "progress"),
        (EventKind.BROADCAST_DELIVERED, "broadcasts"),
    )
}
EPOCH_DAY = dt.date(1970, 1, 1).toordinal()
# the prefix of the keys an erased person's weekly rows and check-ins are kept under
# (storage/privacy.py): one random key each, with no events behind them
ERASED = "erased:"


class EventRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def append(
        self, rows: Sequence[tuple[str, int | None, str | None, str, str | None]]
    ) -> None:
        """(at, group id, pseudonym, kind, attributes JSON) rows, in one statement."""
        await self._connection.execute_many(
            "INSERT INTO events (at, group_id, pseudonym, kind, attributes) VALUES (?, ?, ?, ?, ?)",
            rows,
        )

    async def roll_up(
        self,
        rows: Sequence[tuple[str, int | None, str | None, str, str | None]],
        starts: Mapping[int, tuple[int, int]],
    ) -> None:
        """Add the same rows to the weekly roll-up (``weekly_activity``) that statistics
        read; ``starts`` holds each group's week-1 day (days since 1970) and the first week
        of its current season (``AnalyticsRepository.start_days``)."""
        sums: dict[tuple[int, int, str], list[int]] = {}
        for at, group_id, pseudonym, kind, attributes in rows:
            column = _ROLLED.get(kind)
            if group_id is None or column is None or group_id not in starts:
                continue
            amount = 1
            if kind == EventKind.REACTION:
                if pseudonym is None:
                    continue  # anonymous reactions come as totals, not changes
                amount = max(int(json.loads(attributes or "{}").get("change", 0)), 0)
                if not amount:
                    continue
            day = dt.date.fromisoformat(at[:10]).toordinal() - EPOCH_DAY
            origin, first_week = starts[group_id]
            week = max(first_week, (day - origin) // 7 + 1)
            counts = sums.setdefault((group_id, week, pseudonym or ""), [0] * len(ACTIVITY))
            counts[column] += amount
        if not sums:
            return
        columns = ", ".join(ACTIVITY)
        updates = ", ".join(f"{c} = weekly_activity.{c} + excluded.{c}" for c in ACTIVITY)
        await self._connection.execute_many(
            f"""
            INSERT INTO weekly_activity (group_id, week, pseudonym, {columns})
            VALUES (?, ?, ?, {", ".join("?" for _ in ACTIVITY)})
            ON CONFLICT (group_id, week, pseudonym) DO UPDATE SET {updates}
            """,
            # in key order: two instances writing the same rows lock them in one order
            [(*key, *counts) for key, counts in sorted(sums.items())],
        )

    async def sum_again(
        self, group_id: int, start: tuple[int, int], since: dt.datetime | None = None
    ) -> None:
        """The first programme day of the group's current season changed: the season's
        weekly rows (from its first week on) are summed again from its events since
        ``since`` (when it began; None: all of them; a group's events are a few thousand).
        Earlier seasons' rows stay. Rows kept for erased people have no events behind them:
        they stay in the weeks they were counted in."""
        await execute(
            self._connection,
            """
            DELETE FROM weekly_activity
            WHERE group_id = :id AND pseudonym NOT LIKE :erased AND week >= :first
            """,
            {"id": group_id, "erased": f"{ERASED}%", "first": start[1]},
        )
        rows = await fetch_all(
            self._connection,
            """
            SELECT at, group_id, pseudonym, kind, attributes FROM events
            WHERE group_id = :id AND at >= :since
            """,
            {"id": group_id, "since": "" if since is None else to_db(since)},
        )
        await self.roll_up([tuple(row) for row in rows], {group_id: start})

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
