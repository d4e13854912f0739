"""Invitations: stored by the hash of their token, never the token itself."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from storage.rows import execute, fetch_all, fetch_one, insert, to_model, to_models
from storage.sql import Connection
from storage.states import StaffRole
from storage.timestamps import to_db


@dataclass(frozen=True)
class Invitation:
    id: int
    organisation_id: int
    role: StaffRole
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
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def create(
        self,
        *,
        token_hash: str,
        organisation_id: int,
        role: StaffRole,
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

    async def record_use(self, invitation_id: int, person_id: int, now: dt.datetime) -> str:
        """Count one use by this person: "ok", "again" (they had used it) or "full".

        The count only goes up while below the limit, in one statement, so two people
        accepting at once on a server database cannot both take the last use."""
        changed = await execute(
            self._connection,
            """
            INSERT INTO invitation_uses (invitation_id, person_id, used_at)
            VALUES (:id, :person_id, :now)
            ON CONFLICT (invitation_id, person_id) DO NOTHING
            """,
            {"id": invitation_id, "person_id": person_id, "now": to_db(now)},
        )
        if not changed:
            return "again"
        counted = await execute(
            self._connection,
            """
            UPDATE invitations SET uses = uses + 1
            WHERE id = :id AND uses < max_uses AND revoked_at IS NULL AND expires_at > :now
            """,
            {"id": invitation_id, "now": to_db(now)},
        )
        if not counted:
            await execute(
                self._connection,
                "DELETE FROM invitation_uses WHERE invitation_id = :id AND person_id = :person_id",
                {"id": invitation_id, "person_id": person_id},
            )
            return "full"
        return "ok"

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
        # Conditions are added only when given: a server database cannot type a bare
        # ":x IS NULL" parameter.
        conditions = ["revoked_at IS NULL", "uses < max_uses", "expires_at > :now"]
        params: dict[str, object] = {"now": to_db(now)}
        if organisation_id is not None:
            conditions.append("organisation_id = :organisation_id")
            params["organisation_id"] = organisation_id
        if created_by is not None:
            conditions.append("created_by = :created_by")
            params["created_by"] = created_by
        rows = await fetch_all(
            self._connection,
            f"SELECT {_COLUMNS} FROM invitations WHERE {' AND '.join(conditions)} "
            "ORDER BY created_at",
            params,
        )
        return to_models(Invitation, rows)
