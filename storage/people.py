"""People: one row per Telegram user who has talked to the bot."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import aiosqlite

from storage.timestamps import from_db, to_db


@dataclass(frozen=True)
class Person:
    telegram_id: int
    language: str | None
    telegram_language: str | None
    first_seen: dt.datetime
    last_seen: dt.datetime


_COLUMNS = "telegram_id, language, telegram_language, first_seen, last_seen"


def _person(row: aiosqlite.Row | tuple[object, ...]) -> Person:
    telegram_id, language, telegram_language, first_seen, last_seen = tuple(row)
    return Person(
        telegram_id=int(str(telegram_id)),
        language=None if language is None else str(language),
        telegram_language=None if telegram_language is None else str(telegram_language),
        first_seen=from_db(str(first_seen)),
        last_seen=from_db(str(last_seen)),
    )


class PeopleRepository:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    async def record_seen(
        self, telegram_id: int, telegram_language: str | None, now: dt.datetime
    ) -> Person:
        """Create the person on first contact; afterwards refresh last_seen and app language."""
        async with self._connection.execute(
            f"""
            INSERT INTO people (telegram_id, language, telegram_language, first_seen, last_seen)
            VALUES (:telegram_id, NULL, :telegram_language, :now, :now)
            ON CONFLICT (telegram_id) DO UPDATE SET
                telegram_language = COALESCE(excluded.telegram_language, people.telegram_language),
                last_seen = excluded.last_seen
            RETURNING {_COLUMNS}
            """,
            {"telegram_id": telegram_id, "telegram_language": telegram_language, "now": to_db(now)},
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None  # RETURNING always yields the row
        return _person(row)

    async def get(self, telegram_id: int) -> Person | None:
        async with self._connection.execute(
            f"SELECT {_COLUMNS} FROM people WHERE telegram_id = :telegram_id",
            {"telegram_id": telegram_id},
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _person(row)

    async def set_language(self, telegram_id: int, language: str) -> Person | None:
        async with self._connection.execute(
            f"""
            UPDATE people SET language = :language WHERE telegram_id = :telegram_id
            RETURNING {_COLUMNS}
            """,
            {"telegram_id": telegram_id, "language": language},
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _person(row)

    async def count(self) -> int:
        async with self._connection.execute("SELECT COUNT(*) FROM people") as cursor:
            row = await cursor.fetchone()
        return 0 if row is None else int(row[0])
