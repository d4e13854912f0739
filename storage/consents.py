"""Consent to an organisation's privacy notice: version and time given, time withdrawn."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from storage.rows import execute, fetch_all, fetch_one, insert, to_model
from storage.sql import Connection
from storage.timestamps import to_db


@dataclass(frozen=True)
class Consent:
    id: int
    person_id: int
    organisation_id: int
    version: str
    given_at: dt.datetime
    withdrawn_at: dt.datetime | None


_COLUMNS = "id, person_id, organisation_id, version, given_at, withdrawn_at"


class ConsentRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def current(self, person_id: int, organisation_id: int, version: str) -> Consent | None:
        """The consent in force (given to this version of the notice, not withdrawn)."""
        row = await fetch_one(
            self._connection,
            f"""
            SELECT {_COLUMNS} FROM consents
            WHERE person_id = :person_id AND organisation_id = :organisation_id
              AND version = :version AND withdrawn_at IS NULL
            ORDER BY given_at DESC LIMIT 1
            """,
            {"person_id": person_id, "organisation_id": organisation_id, "version": version},
        )
        return None if row is None else to_model(Consent, row)

    async def organisations_in_force(self, person_id: int) -> list[int]:
        rows = await fetch_all(
            self._connection,
            """
            SELECT DISTINCT organisation_id FROM consents
            WHERE person_id = :person_id AND withdrawn_at IS NULL
            """,
            {"person_id": person_id},
        )
        return [int(row[0]) for row in rows]

    async def give(
        self, person_id: int, organisation_id: int, version: str, now: dt.datetime
    ) -> Consent:
        new_id = await insert(
            self._connection,
            """
            INSERT INTO consents (person_id, organisation_id, version, given_at)
            VALUES (:person_id, :organisation_id, :version, :now) RETURNING id
            """,
            {
                "person_id": person_id,
                "organisation_id": organisation_id,
                "version": version,
                "now": to_db(now),
            },
        )
        row = await fetch_one(
            self._connection, f"SELECT {_COLUMNS} FROM consents WHERE id = :id", {"id": new_id}
        )
        return to_model(Consent, row)

    async def withdraw(self, person_id: int, organisation_id: int, now: dt.datetime) -> bool:
        changed = await execute(
            self._connection,
            """
            UPDATE consents SET withdrawn_at = :now
            WHERE person_id = :person_id AND organisation_id = :organisation_id
              AND withdrawn_at IS NULL
            """,
            {"person_id": person_id, "organisation_id": organisation_id, "now": to_db(now)},
        )
        return changed > 0
