"""The engagement log's table: appended in batches, never updated."""

from __future__ import annotations

import datetime as dt
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
