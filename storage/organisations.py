"""Organisations, their staff (coordinators and instructors), and the removals of staff
roles that wait for a confirming press (``staff_requests``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from storage.rows import execute, fetch_all, fetch_one, insert, to_model, to_models
from storage.sql import Connection
from storage.states import EventErasure, StaffRole
from storage.timestamps import to_db


@dataclass(frozen=True)
class Organisation:
    id: int
    name: str
    privacy_contact: str | None
    created_at: dt.datetime
    # instructors' contributions wait for a coordinator's approval before others see them
    review_contributions: bool = True
    # personal data is kept this long after a group's last meeting
    retention_months: int = 24
    # what a person's erasure does to their events
    erase_events: EventErasure = EventErasure.UNLINK


@dataclass(frozen=True)
class StaffMember:
    person_id: int
    organisation_id: int
    role: StaffRole
    display_name: str
    since: dt.datetime


@dataclass(frozen=True)
class StaffRequest:
    """A removal asked for and waiting for its confirming press: who asked, whose role (the
    role it had when asked) or which of their groups it ends, and until when it holds."""

    asked_by: int
    person_id: int
    organisation_id: int
    role: StaffRole | None  # the role to end; None: only ``group_id``
    group_id: int | None
    created_at: dt.datetime
    expires_at: dt.datetime


@dataclass(frozen=True)
class ReviewReminder:
    """A coordinator to remind that contributions wait for review in their organisation."""

    person_id: int
    organisation_id: int
    organisation_name: str
    waiting: int


_ORG = "id, name, privacy_contact, created_at, review_contributions, retention_months, erase_events"
_STAFF = "person_id, organisation_id, role, display_name, since"


class OrganisationRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def create(self, name: str, now: dt.datetime) -> Organisation:
        new_id = await insert(
            self._connection,
            "INSERT INTO organisations (name, created_at) VALUES (:name, :now) RETURNING id",
            {"name": name, "now": to_db(now)},
        )
        organisation = await self.get(new_id)
        assert organisation is not None
        return organisation

    async def get(self, organisation_id: int) -> Organisation | None:
        row = await fetch_one(
            self._connection,
            f"SELECT {_ORG} FROM organisations WHERE id = :id",
            {"id": organisation_id},
        )
        return None if row is None else to_model(Organisation, row)

    async def by_name(self, name: str) -> Organisation | None:
        row = await fetch_one(
            self._connection,
            f"SELECT {_ORG} FROM organisations WHERE lower(name) = lower(:name)",
            {"name": name},
        )
        return None if row is None else to_model(Organisation, row)

    async def all(self) -> list[Organisation]:
        rows = await fetch_all(
            self._connection, f"SELECT {_ORG} FROM organisations ORDER BY name", {}
        )
        return to_models(Organisation, rows)

    async def set_review(self, organisation_id: int, review: bool) -> None:
        await execute(
            self._connection,
            "UPDATE organisations SET review_contributions = :review WHERE id = :id",
            {"review": int(review), "id": organisation_id},
        )

    async def set_privacy_contact(self, organisation_id: int, contact: str) -> None:
        await execute(
            self._connection,
            "UPDATE organisations SET privacy_contact = :contact WHERE id = :id",
            {"id": organisation_id, "contact": contact},
        )

    async def set_retention(
        self, organisation_id: int, months: int, erase_events: EventErasure
    ) -> None:
        await execute(
            self._connection,
            "UPDATE organisations SET retention_months = :months, erase_events = :events "
            "WHERE id = :id",
            {"id": organisation_id, "months": months, "events": erase_events},
        )


class StaffRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def get(self, person_id: int) -> StaffMember | None:
        row = await fetch_one(
            self._connection,
            f"SELECT {_STAFF} FROM staff WHERE person_id = :person_id",
            {"person_id": person_id},
        )
        return None if row is None else to_model(StaffMember, row)

    async def put(
        self,
        person_id: int,
        organisation_id: int,
        role: StaffRole,
        display_name: str,
        now: dt.datetime,
    ) -> StaffMember:
        """Give the person this role in this organisation (replacing a lower one)."""
        await execute(
            self._connection,
            """
            INSERT INTO staff (person_id, organisation_id, role, display_name, since)
            VALUES (:person_id, :organisation_id, :role, :display_name, :now)
            ON CONFLICT (person_id) DO UPDATE SET
                role = excluded.role, display_name = excluded.display_name
            """,
            {
                "person_id": person_id,
                "organisation_id": organisation_id,
                "role": role,
                "display_name": display_name,
                "now": to_db(now),
            },
        )
        member = await self.get(person_id)
        assert member is not None
        return member

    async def remove(self, person_id: int) -> StaffMember | None:
        """End the person's staff role; the role it was, or None for the one call that
        finds none (a repeated or concurrent removal changes nothing)."""
        member = await self.get(person_id)
        if member is None:
            return None
        removed = await execute(
            self._connection,
            "DELETE FROM staff WHERE person_id = :id AND role = :role",
            {"id": person_id, "role": member.role},
        )
        return member if removed > 0 else None

    async def of_organisation(self, organisation_id: int) -> list[StaffMember]:
        rows = await fetch_all(
            self._connection,
            f"SELECT {_STAFF} FROM staff WHERE organisation_id = :id ORDER BY role, display_name",
            {"id": organisation_id},
        )
        return to_models(StaffMember, rows)

    async def coordinators_of(self, organisation_id: int) -> list[int]:
        """The organisation's coordinators (their Telegram ids)."""
        rows = await fetch_all(
            self._connection,
            """
            SELECT person_id FROM staff WHERE organisation_id = :id AND role = :role
            ORDER BY person_id
            """,
            {"id": organisation_id, "role": StaffRole.COORDINATOR},
        )
        return [int(row[0]) for row in rows]

    async def reviewers_to_remind(self, today: dt.date) -> list[ReviewReminder]:
        """Coordinators of organisations where contributions wait for review who have not
        been reminded on ``today`` (a local date), with how many wait."""
        rows = await fetch_all(
            self._connection,
            """
            SELECT s.person_id, s.organisation_id, o.name, COUNT(c.id) AS waiting
            FROM staff s
            JOIN organisations o ON o.id = s.organisation_id
            JOIN contributions c ON c.organisation_id = s.organisation_id
                                AND c.status = 'pending'
            WHERE s.role = :role
              AND (s.review_reminded_on IS NULL OR s.review_reminded_on < :today)
            GROUP BY s.person_id, s.organisation_id, o.name
            ORDER BY s.person_id
            """,
            {"role": StaffRole.COORDINATOR, "today": today.isoformat()},
        )
        return [ReviewReminder(int(row[0]), int(row[1]), str(row[2]), int(row[3])) for row in rows]

    async def claim_review_reminder(self, person_id: int, today: dt.date) -> bool:
        """Mark the coordinator reminded on ``today``; True only for the one call that did
        (another instance, or a second run the same day, finds it claimed)."""
        changed = await execute(
            self._connection,
            """
            UPDATE staff SET review_reminded_on = :today
            WHERE person_id = :id
              AND (review_reminded_on IS NULL OR review_reminded_on < :today)
            """,
            {"id": person_id, "today": today.isoformat()},
        )
        return changed > 0


_REQUEST = "asked_by, person_id, organisation_id, role, group_id, created_at, expires_at"


class StaffRequestRepository:
    """Open removal questions (/staff, /leave), by the SHA-256 of their token (the token
    itself is only in the question's buttons). A row is an open question: confirming,
    declining or replacing it deletes it."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def open(self, token_hash: str, request: StaffRequest) -> None:
        """The asker's new question; their older one, and every expired one, go with it."""
        await execute(
            self._connection,
            "DELETE FROM staff_requests WHERE asked_by = :id OR expires_at <= :now",
            {"id": request.asked_by, "now": to_db(request.created_at)},
        )
        await execute(
            self._connection,
            f"""
            INSERT INTO staff_requests (token_hash, {_REQUEST})
            VALUES (:hash, :asked_by, :person_id, :organisation_id, :role, :group_id,
                    :created_at, :expires_at)
            """,
            {
                "hash": token_hash,
                "asked_by": request.asked_by,
                "person_id": request.person_id,
                "organisation_id": request.organisation_id,
                "role": request.role,
                "group_id": request.group_id,
                "created_at": to_db(request.created_at),
                "expires_at": to_db(request.expires_at),
            },
        )

    async def get(self, token_hash: str) -> StaffRequest | None:
        row = await fetch_one(
            self._connection,
            f"SELECT {_REQUEST} FROM staff_requests WHERE token_hash = :hash",
            {"hash": token_hash},
        )
        return None if row is None else to_model(StaffRequest, row)

    async def close(self, token_hash: str) -> bool:
        """Delete the question; False if it was not there (any more: another press took it)."""
        deleted = await execute(
            self._connection,
            "DELETE FROM staff_requests WHERE token_hash = :hash",
            {"hash": token_hash},
        )
        return deleted == 1
