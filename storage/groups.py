"""Group chats, their instructors and their participants."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from storage.rows import execute, fetch_all, fetch_one, insert, to_model, to_models
from storage.sql import Connection
from storage.states import GroupKind, GroupStatus, Language, ParticipantStatus
from storage.timestamps import to_db


@dataclass(frozen=True)
class Group:
    id: int
    chat_id: int
    organisation_id: int | None
    title: str
    display_name: str | None
    language: Language
    timezone: str
    status: GroupStatus
    bot_is_admin: bool
    registered_by: int
    created_at: dt.datetime
    updated_at: dt.datetime
    join_code: str | None = None
    starts_on: dt.date | None = None
    # archived for lack of activity (``bot/services/seasons.py``): nothing is sent there
    archived_at: dt.datetime | None = None
    kind: GroupKind = GroupKind.PEER
    weekly_plans: bool | None = None  # None: the kind's default (``plans_on``)

    @property
    def name(self) -> str:
        return self.display_name or self.title

    @property
    def plans_on(self) -> bool:
        """Whether the group gets the weekly action plan: as set, else by its kind (a
        peer-support group does, a co-development group does not)."""
        if self.weekly_plans is not None:
            return self.weekly_plans
        return self.kind == GroupKind.PEER

    @property
    def is_active(self) -> bool:
        """Served: registered, the bot in it, and not archived."""
        return self.status == GroupStatus.ACTIVE and self.archived_at is None

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def programme_start(self) -> dt.date:
        """The first day of programme week 1: the first meeting's day, or until the calendar
        is set, the day the group was registered (in its own time zone)."""
        return self.starts_on or self.created_at.astimezone(ZoneInfo(self.timezone)).date()


@dataclass(frozen=True)
class GroupSummary:
    group: Group
    instructor_names: list[str]
    participants: int
    unled: bool = False  # active, and nobody leads it


@dataclass(frozen=True)
class Participant:
    person_id: int
    name: str | None
    language: str | None


_GROUP = (
    "id, chat_id, organisation_id, title, display_name, language, timezone, status, "
    "bot_is_admin, registered_by, created_at, updated_at, join_code, starts_on, archived_at, "
    "kind, weekly_plans"
)
# the same columns of ``groups g`` in a join
_GROUP_G = ", ".join("g." + column.strip() for column in _GROUP.split(","))


class GroupRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def create(
        self,
        *,
        chat_id: int,
        organisation_id: int | None,
        title: str,
        language: Language,
        timezone: str,
        status: GroupStatus,
        bot_is_admin: bool,
        registered_by: int,
        now: dt.datetime,
    ) -> Group:
        new_id = await insert(
            self._connection,
            """
            INSERT INTO groups (chat_id, organisation_id, title, language, timezone, status,
                                bot_is_admin, registered_by, created_at, updated_at)
            VALUES (:chat_id, :organisation_id, :title, :language, :timezone, :status,
                    :bot_is_admin, :registered_by, :now, :now)
            RETURNING id
            """,
            {
                "chat_id": chat_id,
                "organisation_id": organisation_id,
                "title": title,
                "language": language,
                "timezone": timezone,
                "status": status,
                "bot_is_admin": int(bot_is_admin),
                "registered_by": registered_by,
                "now": to_db(now),
            },
        )
        # every group runs its programme in seasons (storage/seasons.py): the first begins
        await execute(
            self._connection,
            "INSERT INTO seasons (group_id, number, status, started_at) "
            "VALUES (:id, 1, 'running', :now)",
            {"id": new_id, "now": to_db(now)},
        )
        group = await self.get(new_id)
        assert group is not None
        return group

    async def get(self, group_id: int) -> Group | None:
        row = await fetch_one(
            self._connection, f"SELECT {_GROUP} FROM groups WHERE id = :id", {"id": group_id}
        )
        return None if row is None else to_model(Group, row)

    async def by_chat(self, chat_id: int) -> Group | None:
        row = await fetch_one(
            self._connection,
            f"SELECT {_GROUP} FROM groups WHERE chat_id = :chat_id",
            {"chat_id": chat_id},
        )
        return None if row is None else to_model(Group, row)

    async def update(self, group_id: int, now: dt.datetime, **changes: object) -> Group:
        """Change some of: organisation_id, title, display_name, language, timezone, status,
        bot_is_admin, chat_id, join_code, starts_on, kind, weekly_plans."""
        allowed = {
            "organisation_id",
            "title",
            "display_name",
            "language",
            "timezone",
            "status",
            "bot_is_admin",
            "chat_id",
            "join_code",
            "starts_on",
            "kind",
            "weekly_plans",
        }
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"cannot change {sorted(unknown)}")
        assignments = ", ".join(f"{column} = :{column}" for column in sorted(changes))
        values = {key: _to_column(value) for key, value in changes.items()}
        await execute(
            self._connection,
            f"UPDATE groups SET {assignments}, updated_at = :now WHERE id = :id",
            {**values, "id": group_id, "now": to_db(now)},
        )
        group = await self.get(group_id)
        assert group is not None
        return group

    async def deactivate(self, group_id: int, now: dt.datetime) -> bool:
        """An active group becomes inactive (the bot is out), no longer with the bot as its
        administrator; True only for the one call that changed it (a repeated or concurrent
        report of the same removal finds it inactive already)."""
        changed = await execute(
            self._connection,
            """
            UPDATE groups SET status = 'inactive', bot_is_admin = 0, updated_at = :now
            WHERE id = :id AND status = 'active'
            """,
            {"id": group_id, "now": to_db(now)},
        )
        return changed > 0

    async def set_bot_admin(self, group_id: int, is_admin: bool, now: dt.datetime) -> bool:
        """Remember whether the bot is the group's administrator; True only for the one call
        that changed it."""
        changed = await execute(
            self._connection,
            """
            UPDATE groups SET bot_is_admin = :admin, updated_at = :now
            WHERE id = :id AND bot_is_admin <> :admin
            """,
            {"id": group_id, "admin": int(is_admin), "now": to_db(now)},
        )
        return changed > 0

    async def by_join_code(self, code: str) -> Group | None:
        row = await fetch_one(
            self._connection,
            f"SELECT {_GROUP} FROM groups WHERE join_code = :code",
            {"code": code},
        )
        return None if row is None else to_model(Group, row)

    async def merge_into(self, keep_id: int, drop_id: int) -> None:
        """Fold a duplicate record (made for a supergroup before its migration notice
        arrived) into the group it continues, then delete it."""
        params = {"keep": keep_id, "drop": drop_id}
        await execute(
            self._connection,
            """
            INSERT INTO group_instructors (group_id, person_id, since)
            SELECT :keep, person_id, since FROM group_instructors WHERE group_id = :drop
            ON CONFLICT (group_id, person_id) DO NOTHING
            """,
            params,
        )
        await execute(
            self._connection,
            """
            INSERT INTO group_participants (group_id, person_id, status, joined_at, left_at,
                                            name, confirmed_at)
            SELECT :keep, person_id, status, joined_at, left_at, name, confirmed_at
            FROM group_participants WHERE group_id = :drop
            ON CONFLICT (group_id, person_id) DO NOTHING
            """,
            params,
        )
        # (the duplicate's season 1 began with it and holds nothing)
        for table in (
            "group_instructors",
            "group_participants",
            "seasons",
            "meeting_changes",
            "calendar_questions",
        ):
            await execute(self._connection, f"DELETE FROM {table} WHERE group_id = :drop", params)
        for table in ("invitations", "outbox"):
            await execute(
                self._connection,
                f"UPDATE {table} SET group_id = :keep WHERE group_id = :drop",
                params,
            )
        await execute(self._connection, "DELETE FROM groups WHERE id = :drop", params)

    async def was_member(self, person_id: int, organisation_id: int) -> bool:
        """Whether the person is or was a participant of any group of the organisation."""
        row = await fetch_one(
            self._connection,
            """
            SELECT 1 FROM group_participants p JOIN groups g ON g.id = p.group_id
            WHERE p.person_id = :person_id AND g.organisation_id = :organisation_id
            LIMIT 1
            """,
            {"person_id": person_id, "organisation_id": organisation_id},
        )
        return row is not None

    async def of_organisation(self, organisation_id: int) -> list[Group]:
        rows = await fetch_all(
            self._connection,
            f"SELECT {_GROUP} FROM groups WHERE organisation_id = :id ORDER BY title",
            {"id": organisation_id},
        )
        return to_models(Group, rows)

    async def led_by(self, person_id: int) -> list[Group]:
        rows = await fetch_all(
            self._connection,
            f"""
            SELECT {_GROUP_G}
            FROM groups g JOIN group_instructors i ON i.group_id = g.id
            WHERE i.person_id = :person_id ORDER BY g.title
            """,
            {"person_id": person_id},
        )
        return to_models(Group, rows)

    async def all(self) -> list[Group]:
        rows = await fetch_all(self._connection, f"SELECT {_GROUP} FROM groups ORDER BY title", {})
        return to_models(Group, rows)

    # Instructors -------------------------------------------------------------------------

    async def add_instructor(self, group_id: int, person_id: int, now: dt.datetime) -> bool:
        """Make the person an instructor of the group; True if they were not one before."""
        added = await execute(
            self._connection,
            """
            INSERT INTO group_instructors (group_id, person_id, since)
            VALUES (:group_id, :person_id, :now)
            ON CONFLICT (group_id, person_id) DO NOTHING
            """,
            {"group_id": group_id, "person_id": person_id, "now": to_db(now)},
        )
        return added > 0

    async def remove_instructor(self, group_id: int, person_id: int) -> bool:
        """The person no longer leads the group; True only for the one call that changed it
        (a repeated report of the same departure finds nothing to remove)."""
        removed = await execute(
            self._connection,
            "DELETE FROM group_instructors WHERE group_id = :group_id AND person_id = :person_id",
            {"group_id": group_id, "person_id": person_id},
        )
        return removed > 0

    async def without_instructors(self, organisation_id: int | None = None) -> list[Group]:
        """Active groups (of the organisation, or every one) that nobody leads, by title."""
        rows = await fetch_all(
            self._connection,
            f"""
            SELECT {_GROUP} FROM groups g
            WHERE status = 'active'
              AND (CAST(:org AS BIGINT) IS NULL OR organisation_id = :org)
              AND NOT EXISTS (SELECT 1 FROM group_instructors i WHERE i.group_id = g.id)
            ORDER BY title, id
            """,
            {"org": organisation_id},
        )
        return to_models(Group, rows)

    async def instructor_ids(self, group_id: int) -> list[int]:
        rows = await fetch_all(
            self._connection,
            "SELECT person_id FROM group_instructors WHERE group_id = :id ORDER BY since",
            {"id": group_id},
        )
        return [int(row[0]) for row in rows]

    async def instructor_names(self, group_id: int) -> list[str]:
        rows = await fetch_all(
            self._connection,
            """
            SELECT s.display_name FROM group_instructors i
            JOIN staff s ON s.person_id = i.person_id
            WHERE i.group_id = :id ORDER BY i.since
            """,
            {"id": group_id},
        )
        return [str(row[0]) for row in rows]

    # Participants ------------------------------------------------------------------------

    async def participant_seen(
        self, group_id: int, person_id: int, now: dt.datetime, name: str | None = None
    ) -> bool:
        """Telegram says the person is in the chat now (they joined, wrote, or
        getChatMember said so): mark them a current member confirmed now (and remember their
        first name, for a buddy's message); True if they were not a member before. A
        member confirmed within the last minute is not written again (a chatty group).
        Someone new (or back after leaving) joins the group's current season; a member
        stays in theirs until they join a new one through the group's link
        (storage/seasons.py)."""
        if name:
            await execute(
                self._connection,
                """
                UPDATE group_participants SET name = :name
                WHERE group_id = :group_id AND person_id = :person_id
                  AND (name IS NULL OR name <> :name)
                """,
                {"group_id": group_id, "person_id": person_id, "name": name[:64]},
            )
        before = await fetch_one(
            self._connection,
            "SELECT status FROM group_participants WHERE group_id = :id AND person_id = :person",
            {"id": group_id, "person": person_id},
        )
        await execute(
            self._connection,
            """
            INSERT INTO group_participants (group_id, person_id, status, joined_at, name,
                                            confirmed_at, season)
            VALUES (:group_id, :person_id, 'member', :now, NULLIF(:name, ''), :now,
                    (SELECT COALESCE(MAX(number), 1) FROM seasons WHERE group_id = :group_id))
            ON CONFLICT (group_id, person_id) DO UPDATE SET
                status = 'member',
                joined_at = CASE WHEN group_participants.status = 'left'
                                 THEN excluded.joined_at ELSE group_participants.joined_at END,
                left_at = NULL,
                confirmed_at = excluded.confirmed_at,
                season = CASE WHEN group_participants.status = 'left'
                              THEN excluded.season ELSE group_participants.season END
            WHERE group_participants.status = 'left'
               OR group_participants.confirmed_at IS NULL
               OR group_participants.confirmed_at < :recently
            """,
            {
                "group_id": group_id,
                "person_id": person_id,
                "now": to_db(now),
                "recently": to_db(now - dt.timedelta(minutes=1)),
                "name": (name or "")[:64],
            },
        )
        return before is None or before[0] == ParticipantStatus.LEFT

    async def unconfirmed(self, group_id: int, since: dt.datetime) -> list[int]:
        """The group's current participants (not its instructors) whom Telegram has not
        confirmed in the chat since ``since``: whom to ask about before a group-specific
        send."""
        rows = await fetch_all(
            self._connection,
            """
            SELECT person_id FROM group_participants
            WHERE group_id = :id AND status = 'member'
              AND (confirmed_at IS NULL OR confirmed_at < :since)
              AND person_id NOT IN (SELECT person_id FROM group_instructors WHERE group_id = :id)
            ORDER BY person_id
            """,
            {"id": group_id, "since": to_db(since)},
        )
        return [int(row[0]) for row in rows]

    async def confirm(self, group_id: int, person_id: int, now: dt.datetime) -> bool:
        """Telegram confirmed a current member in the chat; True if they are one."""
        changed = await execute(
            self._connection,
            """
            UPDATE group_participants SET confirmed_at = :now
            WHERE group_id = :group_id AND person_id = :person_id AND status = 'member'
            """,
            {"group_id": group_id, "person_id": person_id, "now": to_db(now)},
        )
        return changed > 0

    async def participant_left(self, group_id: int, person_id: int, now: dt.datetime) -> bool:
        changed = await execute(
            self._connection,
            """
            UPDATE group_participants SET status = 'left', left_at = :now
            WHERE group_id = :group_id AND person_id = :person_id AND status = 'member'
            """,
            {"group_id": group_id, "person_id": person_id, "now": to_db(now)},
        )
        return changed > 0

    async def participant_count(self, group_id: int) -> int:
        row = await fetch_one(
            self._connection,
            """
            SELECT COUNT(*) FROM group_participants p
            WHERE p.group_id = :id AND p.status = 'member'
              AND p.person_id NOT IN (SELECT person_id FROM group_instructors WHERE group_id = :id)
            """,
            {"id": group_id},
        )
        return int(row[0])

    async def consenting(self, group_id: int, notice_version: str) -> list[Participant]:
        """The group's current participants (not its instructors) who joined its current
        season, consent to its organisation's notice and have not blocked the bot: who
        check-ins and buddies are for."""
        rows = await fetch_all(
            self._connection,
            """
            SELECT p.person_id, p.name, COALESCE(pe.language, pe.telegram_language) AS language
            FROM group_participants p
            JOIN groups g ON g.id = p.group_id
            JOIN people pe ON pe.telegram_id = p.person_id
            WHERE p.group_id = :id AND p.status = 'member' AND pe.stopped_at IS NULL
              AND p.season = (SELECT MAX(number) FROM seasons WHERE group_id = :id)
              AND p.person_id NOT IN (SELECT person_id FROM group_instructors WHERE group_id = :id)
              AND EXISTS (
                  SELECT 1 FROM consents c
                  WHERE c.person_id = p.person_id AND c.organisation_id = g.organisation_id
                    AND c.version = :version AND c.withdrawn_at IS NULL
              )
            ORDER BY p.joined_at, p.person_id
            """,
            {"id": group_id, "version": notice_version},
        )
        return [Participant(int(row[0]), row[1], row[2]) for row in rows]

    async def participant_name(self, group_id: int, person_id: int) -> str | None:
        row = await fetch_one(
            self._connection,
            "SELECT name FROM group_participants WHERE group_id = :id AND person_id = :person",
            {"id": group_id, "person": person_id},
        )
        return None if row is None or row[0] is None else str(row[0])

    async def is_participant(self, group_id: int, person_id: int) -> bool:
        row = await fetch_one(
            self._connection,
            """
            SELECT 1 FROM group_participants
            WHERE group_id = :id AND person_id = :person AND status = 'member'
            """,
            {"id": group_id, "person": person_id},
        )
        return row is not None

    async def groups_of_participant(self, person_id: int) -> list[Group]:
        rows = await fetch_all(
            self._connection,
            f"""
            SELECT {_GROUP_G}
            FROM groups g JOIN group_participants p ON p.group_id = g.id
            WHERE p.person_id = :person_id AND p.status = 'member' ORDER BY g.title
            """,
            {"person_id": person_id},
        )
        return to_models(Group, rows)


def _to_column(value: object) -> object:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    return value
