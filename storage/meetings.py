"""Groups' meeting calendars, their meetings, the messages planned around them, and the
questions waiting for a confirming press: changes to several meetings (``meeting_changes``)
and the setting of a calendar (``calendar_questions``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import TypeVar

from storage.rows import execute, fetch_all, fetch_one, to_model, to_models
from storage.sql import Connection
from storage.states import MeetingStatus, ScheduleKind, ScheduleStatus
from storage.timestamps import to_db


@dataclass(frozen=True)
class Calendar:
    group_id: int
    weekday: int
    meeting_time: str
    first_date: dt.date
    meetings: int
    place: str | None
    link: str | None
    remind_evening_at: str | None
    remind_minutes_before: int | None
    midweek_days_after: int | None
    midweek_at: str | None
    quiet_from: str
    quiet_until: str
    set_by: int
    updated_at: dt.datetime
    # the weekly action-plan check-ins in private (consenting participants only)
    checkins: bool = True
    # the surveys 3 and 6 months after the last meeting
    follow_ups: bool = False


@dataclass(frozen=True)
class Meeting:
    id: int
    group_id: int
    number: int
    local_date: dt.date
    local_time: str
    starts_at: dt.datetime
    status: MeetingStatus
    link: str | None
    reason: str | None
    season: int = 1


@dataclass(frozen=True)
class ScheduleItem:
    id: int
    group_id: int
    meeting_id: int
    kind: ScheduleKind
    due_at: dt.datetime
    status: ScheduleStatus
    reason: str | None
    finished_at: dt.datetime | None


@dataclass(frozen=True)
class CalendarQuestion:
    """A calendar asked and waiting for its confirming press: who asked and where, the
    group, the weekly slot, the meetings' days as typed and without the public holidays
    among them, the place or link, the calendar as it was when asked (``MeetingService``
    writes and reads this text), and until when it holds."""

    asked_by: int
    chat_id: int
    group_id: int
    weekday: int
    meeting_time: str
    days: str
    workdays: str
    place: str | None
    link: str | None
    calendar_was: str
    created_at: dt.datetime
    expires_at: dt.datetime


@dataclass(frozen=True)
class MeetingChange:
    """A change to several meetings, asked and waiting for its confirming press: who asked
    and where, the group, the status the meetings get, the meetings as they were when asked
    (``MeetingService`` writes and reads this text), the reason or link, and until when it
    holds."""

    asked_by: int
    chat_id: int
    group_id: int
    status: MeetingStatus
    meetings: str
    reason: str | None
    link: str | None
    created_at: dt.datetime
    expires_at: dt.datetime


_CALENDAR = (
    "group_id, weekday, meeting_time, first_date, meetings, place, link, remind_evening_at, "
    "remind_minutes_before, midweek_days_after, midweek_at, quiet_from, quiet_until, set_by, "
    "updated_at, checkins, follow_ups"
)
# A meeting's number is its number in its season (storage/seasons.py): the stored numbers
# run on across a group's seasons, so the stored number is first_meeting + number - 1.
_MEETING = (
    "m.id, m.group_id, m.number - s.first_meeting + 1 AS number, m.local_date, m.local_time, "
    "m.starts_at, m.status, m.link, m.reason, m.season"
)
_MEETINGS = "meetings m JOIN seasons s ON s.group_id = m.group_id AND s.number = m.season"
# the group's current season and the stored number of its first meeting
_SEASON = "(SELECT MAX(number) FROM seasons WHERE group_id = :group_id)"
_FIRST = f"""(SELECT first_meeting FROM seasons
              WHERE group_id = :group_id AND number = {_SEASON})"""
_Q = TypeVar("_Q", "MeetingChange", "CalendarQuestion")
_ITEM = "id, group_id, meeting_id, kind, due_at, status, reason, finished_at"


class MeetingRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    # Calendars -----------------------------------------------------------------------------

    async def set_calendar(
        self,
        group_id: int,
        *,
        weekday: int,
        meeting_time: str,
        first_date: dt.date,
        meetings: int,
        place: str | None,
        link: str | None,
        set_by: int,
        now: dt.datetime,
    ) -> Calendar:
        """Create or change how a group meets; its reminder and quiet-hour settings stay."""
        await execute(
            self._connection,
            """
            INSERT INTO calendars (group_id, weekday, meeting_time, first_date, meetings, place,
                                   link, set_by, updated_at)
            VALUES (:group_id, :weekday, :meeting_time, :first_date, :meetings, :place, :link,
                    :set_by, :now)
            ON CONFLICT (group_id) DO UPDATE SET
                weekday = excluded.weekday, meeting_time = excluded.meeting_time,
                first_date = excluded.first_date, meetings = excluded.meetings,
                place = excluded.place, link = excluded.link, set_by = excluded.set_by,
                updated_at = excluded.updated_at
            """,
            {
                "group_id": group_id,
                "weekday": weekday,
                "meeting_time": meeting_time,
                "first_date": first_date.isoformat(),
                "meetings": meetings,
                "place": place or "",
                "link": link or "",
                "set_by": set_by,
                "now": to_db(now),
            },
        )
        # empty strings stand for "none" in the parameters (no untyped NULLs); store NULL
        await execute(
            self._connection,
            """
            UPDATE calendars SET place = NULLIF(place, ''), link = NULLIF(link, '')
            WHERE group_id = :group_id
            """,
            {"group_id": group_id},
        )
        calendar = await self.calendar(group_id)
        assert calendar is not None
        return calendar

    async def set_rhythm(self, group_id: int, now: dt.datetime, **changes: object) -> Calendar:
        """Change some of: remind_evening_at, remind_minutes_before, midweek_days_after,
        midweek_at, quiet_from, quiet_until, checkins (None turns a message off)."""
        allowed = {
            "remind_evening_at",
            "remind_minutes_before",
            "midweek_days_after",
            "midweek_at",
            "quiet_from",
            "quiet_until",
            "checkins",
            "follow_ups",
        }
        if not changes or set(changes) - allowed:
            raise ValueError(f"cannot change {sorted(set(changes) - allowed)}")
        for column, value in sorted(changes.items()):
            # NULLIF: an empty string turns the setting off (no untyped NULL parameters)
            await execute(
                self._connection,
                f"""
                UPDATE calendars SET {column} = :value, updated_at = :now
                WHERE group_id = :group_id
                """,
                {"value": value, "now": to_db(now), "group_id": group_id},
            )
        calendar = await self.calendar(group_id)
        assert calendar is not None
        return calendar

    async def calendar(self, group_id: int) -> Calendar | None:
        row = await fetch_one(
            self._connection,
            f"SELECT {_CALENDAR} FROM calendars WHERE group_id = :id",
            {"id": group_id},
        )
        return None if row is None else to_model(Calendar, row)

    # Meetings ------------------------------------------------------------------------------

    async def put_meeting(
        self,
        group_id: int,
        number: int,
        local_date: dt.date,
        local_time: str,
        starts_at: dt.datetime,
    ) -> Meeting:
        """Meeting ``number`` of the group at this date and time. Its status is kept while
        its time stays; a meeting moved to another time starts afresh (planned, and the
        messages about its old time are forgotten, so the new time gets its own)."""
        stored = {"group_id": group_id, "number": number}
        await execute(
            self._connection,
            f"""
            DELETE FROM schedule_items WHERE meeting_id IN (
                SELECT id FROM meetings
                WHERE group_id = :group_id AND number = {_FIRST} + :number - 1
                  AND starts_at != :starts_at
            )
            """,
            {**stored, "starts_at": to_db(starts_at)},
        )
        await execute(
            self._connection,
            f"""
            INSERT INTO meetings (group_id, number, local_date, local_time, starts_at, status,
                                  season)
            VALUES (:group_id, {_FIRST} + :number - 1, :local_date, :local_time, :starts_at,
                    'planned', {_SEASON})
            ON CONFLICT (group_id, number) DO UPDATE SET
                local_date = excluded.local_date, local_time = excluded.local_time,
                starts_at = excluded.starts_at,
                status = CASE WHEN meetings.starts_at = excluded.starts_at
                              THEN meetings.status ELSE 'planned' END,
                link = CASE WHEN meetings.starts_at = excluded.starts_at
                            THEN meetings.link ELSE NULL END,
                reason = CASE WHEN meetings.starts_at = excluded.starts_at
                              THEN meetings.reason ELSE NULL END
            """,
            {
                **stored,
                "local_date": local_date.isoformat(),
                "local_time": local_time,
                "starts_at": to_db(starts_at),
            },
        )
        row = await fetch_one(
            self._connection,
            f"""
            SELECT {_MEETING} FROM {_MEETINGS}
            WHERE m.group_id = :group_id AND m.number = {_FIRST} + :number - 1
            """,
            stored,
        )
        return to_model(Meeting, row)

    async def remove_meetings_after(self, group_id: int, number: int) -> None:
        """Meetings beyond the calendar's count (of the current season): their pending
        messages are dropped, and a meeting about which nothing was ever sent is removed."""
        beyond = f"number > {_FIRST} + :number - 1"
        await execute(
            self._connection,
            f"""
            UPDATE schedule_items SET status = 'dropped', reason = NULL
            WHERE status = 'pending' AND meeting_id IN
                (SELECT id FROM meetings WHERE group_id = :group_id AND {beyond})
            """,
            {"group_id": group_id, "number": number},
        )
        await execute(
            self._connection,
            f"""
            DELETE FROM schedule_items WHERE status = 'dropped' AND meeting_id IN
                (SELECT id FROM meetings WHERE group_id = :group_id AND {beyond})
            """,
            {"group_id": group_id, "number": number},
        )
        await execute(
            self._connection,
            f"""
            DELETE FROM meetings WHERE group_id = :group_id AND {beyond}
              AND id NOT IN (SELECT meeting_id FROM schedule_items)
              AND id NOT IN (SELECT meeting_id FROM checkins)
            """,
            {"group_id": group_id, "number": number},
        )

    async def meetings(self, group_id: int) -> list[Meeting]:
        """The meetings of the group's current season."""
        rows = await fetch_all(
            self._connection,
            f"""
            SELECT {_MEETING} FROM {_MEETINGS}
            WHERE m.group_id = :group_id AND m.season = {_SEASON} ORDER BY m.number
            """,
            {"group_id": group_id},
        )
        return to_models(Meeting, rows)

    async def meeting(self, meeting_id: int) -> Meeting | None:
        row = await fetch_one(
            self._connection,
            f"SELECT {_MEETING} FROM {_MEETINGS} WHERE m.id = :id",
            {"id": meeting_id},
        )
        return None if row is None else to_model(Meeting, row)

    async def set_status(
        self, meeting_id: int, status: MeetingStatus, *, link: str | None, reason: str | None
    ) -> None:
        await execute(
            self._connection,
            """
            UPDATE meetings SET status = :status, link = NULLIF(:link, ''),
                                reason = NULLIF(:reason, '')
            WHERE id = :id
            """,
            {"status": status, "link": link or "", "reason": reason or "", "id": meeting_id},
        )

    # Planned messages ----------------------------------------------------------------------

    async def plan(
        self, group_id: int, meeting_id: int, kind: ScheduleKind, due_at: dt.datetime
    ) -> None:
        """The message ``kind`` for this meeting is due at ``due_at``: created, moved, or
        brought back from dropped. One already sent or skipped, or cancelled by hand in
        /schedule, stays as it is."""
        await execute(
            self._connection,
            """
            INSERT INTO schedule_items (group_id, meeting_id, kind, due_at, status)
            VALUES (:group_id, :meeting_id, :kind, :due_at, 'pending')
            ON CONFLICT (meeting_id, kind) DO UPDATE SET
                due_at = excluded.due_at, status = 'pending', reason = NULL
            WHERE schedule_items.status = 'pending'
               OR (schedule_items.status = 'dropped'
                   AND COALESCE(schedule_items.reason, '') != 'schedule.cancelled-by-hand')
            """,
            {
                "group_id": group_id,
                "meeting_id": meeting_id,
                "kind": kind,
                "due_at": to_db(due_at),
            },
        )

    async def drop(self, meeting_id: int, kinds: tuple[ScheduleKind, ...], reason: str) -> None:
        """Pending messages of these kinds for the meeting will not be sent."""
        marks = ", ".join(f":k{index}" for index in range(len(kinds)))
        await execute(
            self._connection,
            f"""
            UPDATE schedule_items SET status = 'dropped', reason = :reason
            WHERE meeting_id = :meeting_id AND status = 'pending' AND kind IN ({marks})
            """,
            {
                "meeting_id": meeting_id,
                "reason": reason,
                **{f"k{index}": kind for index, kind in enumerate(kinds)},
            },
        )

    async def due(self, now: dt.datetime) -> list[ScheduleItem]:
        """Pending items whose time has come."""
        rows = await fetch_all(
            self._connection,
            f"""
            SELECT {_ITEM} FROM schedule_items WHERE status = 'pending' AND due_at <= :now
            ORDER BY due_at, id
            """,
            {"now": to_db(now)},
        )
        return to_models(ScheduleItem, rows)

    async def item(self, item_id: int) -> ScheduleItem | None:
        row = await fetch_one(
            self._connection,
            f"SELECT {_ITEM} FROM schedule_items WHERE id = :id",
            {"id": item_id},
        )
        return None if row is None else to_model(ScheduleItem, row)

    async def pending(self, limit: int = 1_000_000) -> list[ScheduleItem]:
        rows = await fetch_all(
            self._connection,
            f"""
            SELECT {_ITEM} FROM schedule_items WHERE status = 'pending'
            ORDER BY due_at, id LIMIT :limit
            """,
            {"limit": limit},
        )
        return to_models(ScheduleItem, rows)

    async def of_group(self, group_id: int) -> list[ScheduleItem]:
        rows = await fetch_all(
            self._connection,
            f"SELECT {_ITEM} FROM schedule_items WHERE group_id = :id ORDER BY due_at, id",
            {"id": group_id},
        )
        return to_models(ScheduleItem, rows)

    async def finish(
        self, item_id: int, status: ScheduleStatus, now: dt.datetime, reason: str | None = None
    ) -> bool:
        """Mark a pending item sent or skipped; False if it was no longer pending (another
        firing got there first)."""
        changed = await execute(
            self._connection,
            """
            UPDATE schedule_items SET status = :status, reason = NULLIF(:reason, ''),
                                      finished_at = :now
            WHERE id = :id AND status = 'pending'
            """,
            {"status": status, "reason": reason or "", "now": to_db(now), "id": item_id},
        )
        return changed == 1

    # Questions waiting for a confirming press ------------------------------------------------

    async def open_change(self, token_hash: str, change: MeetingChange) -> None:
        """The asker's new question about several meetings; their older one, and every
        expired one, go with it."""
        await self._open("meeting_changes", token_hash, change)

    async def change(self, token_hash: str) -> MeetingChange | None:
        return await self._question("meeting_changes", MeetingChange, token_hash)

    async def close_change(self, token_hash: str) -> bool:
        """Delete the question; False if it was not there (any more: another press took it)."""
        return await self._close("meeting_changes", token_hash)

    async def open_calendar(self, token_hash: str, question: CalendarQuestion) -> None:
        """The asker's new question about a calendar; their older one, and every expired
        one, go with it."""
        await self._open("calendar_questions", token_hash, question)

    async def calendar_question(self, token_hash: str) -> CalendarQuestion | None:
        return await self._question("calendar_questions", CalendarQuestion, token_hash)

    async def close_calendar(self, token_hash: str) -> bool:
        """Delete the question; False if it was not there (any more: another press took it)."""
        return await self._close("calendar_questions", token_hash)

    async def _open(
        self, table: str, token_hash: str, question: MeetingChange | CalendarQuestion
    ) -> None:
        await execute(
            self._connection,
            f"DELETE FROM {table} WHERE asked_by = :id OR expires_at <= :now",
            {"id": question.asked_by, "now": to_db(question.created_at)},
        )
        values = {
            name: to_db(value) if isinstance(value, dt.datetime) else value
            for name, value in vars(question).items()
        }
        columns = ", ".join(values)
        await execute(
            self._connection,
            f"INSERT INTO {table} (token_hash, {columns}) "
            f"VALUES (:token_hash, {', '.join(f':{name}' for name in values)})",
            {"token_hash": token_hash, **values},
        )

    async def _question(self, table: str, model: type[_Q], token_hash: str) -> _Q | None:
        columns = ", ".join(field.name for field in fields(model))
        row = await fetch_one(
            self._connection,
            f"SELECT {columns} FROM {table} WHERE token_hash = :hash",
            {"hash": token_hash},
        )
        return None if row is None else to_model(model, row)

    async def _close(self, table: str, token_hash: str) -> bool:
        deleted = await execute(
            self._connection, f"DELETE FROM {table} WHERE token_hash = :hash", {"hash": token_hash}
        )
        return deleted == 1
