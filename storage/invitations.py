"""Invitations: stored by the hash of their token, never the token itself."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import aiosqlite

from storage.rows import execute, fetch_all, fetch_one, insert, to_model, to_models
from storage.timestamps import to_db


@dataclass(frozen=True)
class Invitation:
    id: int
    organisation_id: int
    role: str
    group_id: int | None
    created_by: int
    created_at: dt.datetime
    expires_at: dt.datetime
    max_uses: int
    uses: int
    revoked_at: dt.datetime | None

    def is_open(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and self.uses < self.max_uses and now < self.expires_at


_COLUMNS = (
    "id, organisation_id, role, group_id, created_by, created_at, expires_at, max_uses, uses, "
    "revoked_at"
)


class InvitationRepository:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    async def create(
        self,
        *,
        token_hash: str,
        organisation_id: int,
        role: str,
        group_id: int | None,
        created_by: int,
        now: dt.datetime,
        expires_at: dt.datetime,
        max_uses: int,
    ) -> Invitation:
        new_id = await insert(
            self._connection,
            """
            INSERT INTO invitations (token_hash, organisation_id, role, group_id, created_by,
                                     created_at, expires_at, max_uses)
            VALUES (:token_hash, :organisation_id, :role, :group_id, :created_by,
                    :now, :expires_at, :max_uses)
            RETURNING id
            """,
            {
                "token_hash": token_hash,
                "organisation_id": organisation_id,
                "role": role,
                "group_id": group_id,
                "created_by": created_by,
                "now": to_db(now),
                "expires_at": to_db(expires_at),
                "max_uses": max_uses,
            },
        )
        invitation = await self.get(new_id)
        assert invitation is not None
        return invitation

    async def get(self, invitation_id: int) -> Invitation | None:
        row = await fetch_one(
            self._connection,
            f"SELECT {_COLUMNS} FROM invitations WHERE id = :id",
            {"id": invitation_id},
        )
        return None if row is None else to_model(Invitation, row)

    async def by_token_hash(self, token_hash: str) -> Invitation | None:
        row = await fetch_one(
            self._connection,
            f"SELECT {_COLUMNS} FROM invitations WHERE token_hash = :token_hash",
            {"token_hash": token_hash},
        )
        return None if row is None else to_model(Invitation, row)

    async def record_use(self, invitation_id: int, person_id: int, now: dt.datetime) -> bool:
        """Count one use by this person; False if they had used it already."""
        changed = await execute(
            self._connection,
            """
            INSERT INTO invitation_uses (invitation_id, person_id, used_at)
            VALUES (:id, :person_id, :now)
            ON CONFLICT (invitation_id, person_id) DO NOTHING
            """,
            {"id": invitation_id, "person_id": person_id, "now": to_db(now)},
        )
        if changed:
            await execute(
                self._connection,
                "UPDATE invitations SET uses = uses + 1 WHERE id = :id",
                {"id": invitation_id},
            )
        return changed > 0

    async def revoke(self, invitation_id: int, now: dt.datetime) -> None:
        await execute(
            self._connection,
            "UPDATE invitations SET revoked_at = :now WHERE id = :id AND revoked_at IS NULL",
            {"id": invitation_id, "now": to_db(now)},
        )

    async def open_ones(
        self, now: dt.datetime, *, organisation_id: int | None = None, created_by: int | None = None
    ) -> list[Invitation]:
        """Invitations still usable, optionally of one organisation or one inviter."""
        rows = await fetch_all(
            self._connection,
            f"""
            SELECT {_COLUMNS} FROM invitations
            WHERE revoked_at IS NULL AND uses < max_uses AND expires_at > :now
              AND (:organisation_id IS NULL OR organisation_id = :organisation_id)
              AND (:created_by IS NULL OR created_by = :created_by)
            ORDER BY created_at
            """,
            {"now": to_db(now), "organisation_id": organisation_id, "created_by": created_by},
        )
        return to_models(Invitation, rows)
