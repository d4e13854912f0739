"""People: one row per Telegram user the bot has met."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from storage.rows import execute, fetch_one, to_model
from storage.sql import Connection
from storage.states import Language
from storage.timestamps import to_db


@dataclass(frozen=True)
class Person:
    telegram_id: int
    language: Language | None
    telegram_language: str | None
    first_seen: dt.datetime
    last_seen: dt.datetime
    # the person blocked the bot (or the account is gone): private sends are skipped
    stopped_at: dt.datetime | None = None


_COLUMNS = "telegram_id, language, telegram_language, first_seen, last_seen, stopped_at"


class PeopleRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def record_seen(
        self,
        telegram_id: int,
        telegram_language: str | None,
        now: dt.datetime,
        *,
        wrote_to_bot: bool = False,
    ) -> Person:
        """Create the person on first contact; afterwards refresh last_seen and app language.
        Writing to the bot privately lifts a stop set when they had blocked it."""
        row = await fetch_one(
            self._connection,
            f"""
            INSERT INTO people (telegram_id, language, telegram_language, first_seen, last_seen)
            VALUES (:telegram_id, NULL, :telegram_language, :now, :now)
            ON CONFLICT (telegram_id) DO UPDATE SET
                telegram_language = COALESCE(excluded.telegram_language, people.telegram_language),
                last_seen = excluded.last_seen,
                stopped_at = CASE WHEN :wrote = 1 THEN NULL ELSE people.stopped_at END
            RETURNING {_COLUMNS}
            """,
            {
                "telegram_id": telegram_id,
                "telegram_language": telegram_language,
                "now": to_db(now),
                "wrote": int(wrote_to_bot),
            },
        )
        return to_model(Person, row)

    async def get(self, telegram_id: int) -> Person | None:
        row = await fetch_one(
            self._connection,
            f"SELECT {_COLUMNS} FROM people WHERE telegram_id = :telegram_id",
            {"telegram_id": telegram_id},
        )
        return None if row is None else to_model(Person, row)

    async def set_language(self, telegram_id: int, language: Language) -> Person | None:
        row = await fetch_one(
            self._connection,
            f"""
            UPDATE people SET language = :language WHERE telegram_id = :telegram_id
            RETURNING {_COLUMNS}
            """,
            {"telegram_id": telegram_id, "language": language},
        )
        return None if row is None else to_model(Person, row)

    async def stop(self, telegram_id: int, now: dt.datetime) -> None:
        """The person blocked the bot: skip private sends until they write again."""
        await execute(
            self._connection,
            "UPDATE people SET stopped_at = :now WHERE telegram_id = :id AND stopped_at IS NULL",
            {"id": telegram_id, "now": to_db(now)},
        )

    async def count(self) -> int:
        row = await fetch_one(self._connection, "SELECT COUNT(*) FROM people", {})
        return int(row[0])
