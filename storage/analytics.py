"""Queries for statistics and exports: the weekly roll-up, check-ins by
week, membership, who leads which group, and the raw event log in pages. Figures leave
here exact; the disclosure rule (bot/services/disclosure.py) decides what is shown."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from storage.events import ACTIVITY, EPOCH_DAY
from storage.groups import _GROUP, Group
from storage.rows import marks, to_models
from storage.sql import Connection
from storage.timestamps import from_db

NOBODY = "-"  # stands for "no one excluded" (a pseudonym is never this)
# ``seasons s`` is its group's current season (storage/seasons.py)
_CURRENT = "s.number = (SELECT MAX(x.number) FROM seasons x WHERE x.group_id = s.group_id)"
# ``seasons s`` is an earlier season of its group (the weekly roll-up's ``w`` in its weeks)
_PAST = f"""NOT {_CURRENT} AND w.week < (SELECT MIN(n.first_week) FROM seasons n
                                        WHERE n.group_id = s.group_id AND n.number > s.number)"""
# the sum of a roll-up row's columns that count as taking part (a delivered broadcast does not)
_DOING = " + ".join(f"w.{column}" for column in ACTIVITY if column != "broadcasts")


@dataclass(frozen=True)
class ActivityWeek:
    group_id: int
    week: int
    active: int
    messages: int
    replies: int
    reactions: int
    taps: int
    checkins: int
    progress: int
    broadcasts: int
    season: int = 1


@dataclass(frozen=True)
class CheckInWeek:
    group_id: int
    week: int
    invited: int
    planned: int
    done: int  # the latest answer (the week's end, or mid-week if none then) is "done"
    partly: int
    not_yet: int
    shared: int
    confidence_sum: int
    season: int = 1


@dataclass(frozen=True)
class Membership:
    group_id: int
    person_id: int
    joined_on: dt.date  # the day in UTC
    left_on: dt.date | None


@dataclass(frozen=True)
class FigureInputs:
    """How far the figures' inputs have changed (``AnalyticsRepository.figure_inputs``)."""

    activity: int  # the weekly roll-up of the engagement log
    answers: int  # the survey answers
    other: int  # groups, staff, members, seasons, meetings, check-ins


@dataclass(frozen=True)
class ActiveWeeks:
    """How many programme weeks a person was active in, in one group."""

    group_id: int
    pseudonym: str
    weeks: int


@dataclass(frozen=True)
class BroadcastReach:
    """A broadcast's delivery to one organisation's groups (None: groups of none)."""

    broadcast_id: int
    sent_at: dt.datetime  # when it was due (the export keeps the date only)
    tip: str | None
    organisation_id: int | None
    groups: int  # groups it was addressed to
    delivered: int
    reactions: int
    replies: int


def day_number(day: dt.date) -> int:
    return day.toordinal() - EPOCH_DAY


def season_origin(start: dt.date, first_week: int) -> tuple[int, int]:
    """The roll-up's (origin day, first week) of a season whose week 1 starts on ``start``
    and is the group's week ``first_week``."""
    return day_number(start) - 7 * (first_week - 1), first_week


class AnalyticsRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def start_days(self, group_ids: Collection[int]) -> dict[int, tuple[int, int]]:
        """For the roll-up, each group's current season: the day its week 1 starts counted
        back to the group's week 1 (days since 1970: the season's weeks run on from the
        earlier seasons'), and the week it begins with (earlier events count in it)."""
        if not group_ids:
            return {}
        rows = await self._connection.fetch_all(
            f"SELECT {_GROUP} FROM groups WHERE id IN ({marks(group_ids)})", list(group_ids)
        )
        weeks = await self.first_weeks(group_ids)
        return {
            group.id: season_origin(group.programme_start, weeks.get(group.id, 1))
            for group in to_models(Group, rows)
        }

    async def first_weeks(self, group_ids: Collection[int]) -> dict[int, int]:
        """The roll-up week each group's current season begins with."""
        rows = await self._connection.fetch_all(
            f"""
            SELECT s.group_id, s.first_week FROM seasons s
            WHERE s.group_id IN ({marks(group_ids)}) AND {_CURRENT}
            """,
            list(group_ids),
        )
        return {int(row[0]): int(row[1]) for row in rows}

    async def activity_by_week(
        self, group_ids: Collection[int], exclude: Collection[str], *, past: bool = False
    ) -> list[ActivityWeek]:
        """Per group and programme week of its current season (earlier seasons' weeks
        are not in it; with ``past``, per group, earlier season and week in it): distinct
        active people and the sums, leaving out the ``exclude`` pseudonyms (the groups'
        staff)."""
        if not group_ids:
            return []
        staff = list(exclude) or [NOBODY]
        sums = ", ".join(f"SUM(w.{column})" for column in ACTIVITY)
        sql = f"""
            SELECT w.group_id, w.week - s.first_week + 1,
                   SUM(CASE WHEN w.pseudonym <> '' AND {_DOING} > 0 THEN 1 ELSE 0 END),
                   {sums}, s.number
            FROM weekly_activity w JOIN seasons s ON s.group_id = w.group_id
                                               AND {_PAST if past else _CURRENT}
            WHERE w.group_id IN ({marks(group_ids)}) AND w.pseudonym NOT IN ({marks(staff)})
              AND w.week >= s.first_week
            GROUP BY w.group_id, s.number, w.week, s.first_week
            ORDER BY w.group_id, s.number, w.week
        """
        rows = await self._connection.fetch_all(sql, [*group_ids, *staff])
        return [ActivityWeek(*(int(value or 0) for value in row)) for row in rows]

    async def active_weeks(
        self, group_ids: Collection[int], exclude: Collection[str]
    ) -> list[ActiveWeeks]:
        """For everyone active in the groups' current seasons: in how many weeks they were."""
        if not group_ids:
            return []
        staff = list(exclude) or [NOBODY]
        sql = f"""
            SELECT w.group_id, w.pseudonym, COUNT(*) AS weeks
            FROM weekly_activity w JOIN seasons s ON s.group_id = w.group_id AND {_CURRENT}
            WHERE w.group_id IN ({marks(group_ids)}) AND w.pseudonym <> '' AND {_DOING} > 0
              AND w.pseudonym NOT IN ({marks(staff)}) AND w.week >= s.first_week
            GROUP BY w.group_id, w.pseudonym
        """
        rows = await self._connection.fetch_all(sql, [*group_ids, *staff])
        # by hand: tens of thousands of rows, read again whenever the activity changed
        return [ActiveWeeks(int(row[0]), str(row[1]), int(row[2])) for row in rows]

    async def active_people(
        self, group_ids: Collection[int], exclude: Collection[str]
    ) -> list[tuple[int, int, str]]:
        """(group, programme week, pseudonym) for everyone active in the groups' current
        seasons, staff (``exclude``) left out: who wrote, replied, reacted or tapped."""
        if not group_ids:
            return []
        staff = list(exclude) or [NOBODY]
        sql = f"""
            SELECT w.group_id, w.week, w.pseudonym
            FROM weekly_activity w JOIN seasons s ON s.group_id = w.group_id AND {_CURRENT}
            WHERE w.group_id IN ({marks(group_ids)}) AND w.pseudonym <> '' AND {_DOING} > 0
              AND w.pseudonym NOT IN ({marks(staff)}) AND w.week >= s.first_week
            ORDER BY w.group_id, w.week
        """
        rows = await self._connection.fetch_all(sql, [*group_ids, *staff])
        return [(int(row[0]), int(row[1]), str(row[2])) for row in rows]

    async def figure_inputs(self) -> FigureInputs | None:
        """Numbers that grow with every change to what the weekly figures and the survey
        outcome summary are worked out from (``0023_figure_inputs.sql``'s triggers; on
        PostgreSQL each session's own row, ``0025_figure_inputs_parts.sql``), for
        figures remembered between readers. Read them before the figures, in the same
        snapshot: the figures are then at least as new as the numbers they are kept by.
        None if the row is missing (then nothing may be remembered)."""
        row = await self._connection.fetch_one(
            """
            SELECT i.activity + COALESCE(SUM(p.activity), 0),
                   i.answers + COALESCE(SUM(p.answers), 0),
                   i.other + COALESCE(SUM(p.other), 0)
            FROM figure_inputs i LEFT JOIN figure_inputs_parts p ON 1 = 1
            WHERE i.id = 1 GROUP BY i.activity, i.answers, i.other
            """
        )
        return None if row is None else FigureInputs(int(row[0]), int(row[1]), int(row[2]))

    async def last_event_id(self) -> int:
        row = await self._connection.fetch_one("SELECT COALESCE(MAX(id), 0) FROM events")
        return int(row[0]) if row else 0

    async def checkins_by_week(
        self, group_ids: Collection[int], *, past: bool = False
    ) -> list[CheckInWeek]:
        """Per group and meeting number in its current season (with ``past``: per group,
        earlier season and meeting number in it; the week the plan was made in)."""
        if not group_ids:
            return []
        latest = "COALESCE(c.progress_end, c.progress_mid)"
        sql = f"""
            SELECT c.group_id, m.number - s.first_meeting + 1, COUNT(*),
                   COUNT(c.confidence),
                   COUNT(CASE {latest} WHEN 'done' THEN 1 END),
                   COUNT(CASE {latest} WHEN 'partly' THEN 1 END),
                   COUNT(CASE {latest} WHEN 'not-yet' THEN 1 END),
                   COUNT(c.shared_at),
                   COALESCE(SUM(c.confidence), 0), s.number
            FROM checkins c JOIN meetings m ON m.id = c.meeting_id
            JOIN seasons s ON s.group_id = m.group_id AND s.number = m.season
                          AND {"NOT " if past else ""}{_CURRENT}
            WHERE c.group_id IN ({marks(group_ids)})
            GROUP BY c.group_id, s.number, m.number, s.first_meeting
        """
        rows = await self._connection.fetch_all(sql, list(group_ids))
        return [CheckInWeek(*(int(value or 0) for value in row)) for row in rows]

    async def memberships(self, group_ids: Collection[int]) -> list[Membership]:
        """Participants past and present (not instructors) with when they joined and left."""
        if not group_ids:
            return []
        sql = f"""
            SELECT p.group_id, p.person_id, p.joined_at, p.left_at FROM group_participants p
            WHERE p.group_id IN ({marks(group_ids)})
              AND NOT EXISTS (SELECT 1 FROM group_instructors i
                              WHERE i.group_id = p.group_id AND i.person_id = p.person_id)
        """
        rows = await self._connection.fetch_all(sql, list(group_ids))
        # stored times are fixed-width UTC text (storage/timestamps.py): the day is its start
        return [
            Membership(
                int(row[0]),
                int(row[1]),
                dt.date.fromisoformat(row[2][:10]),
                None if row[3] is None else dt.date.fromisoformat(row[3][:10]),
            )
            for row in rows
        ]

    async def erased_memberships(
        self, group_ids: Collection[int]
    ) -> list[tuple[int, dt.date, dt.date]]:
        """Erased participants' time in these groups, without them: (group, the day they
        joined, the day they left or were erased), so past member counts stay true."""
        if not group_ids:
            return []
        rows = await self._connection.fetch_all(
            f"""
            SELECT group_id, joined_on, left_on FROM erased_memberships
            WHERE group_id IN ({marks(group_ids)}) ORDER BY id
            """,
            list(group_ids),
        )
        return [
            (int(row[0]), dt.date.fromisoformat(row[1]), dt.date.fromisoformat(row[2]))
            for row in rows
        ]

    async def instructor_groups(self) -> list[tuple[int, int]]:
        """(instructor, group) for every group someone leads: each instructor sees their
        groups' figures added up."""
        rows = await self._connection.fetch_all(
            "SELECT person_id, group_id FROM group_instructors ORDER BY person_id, group_id"
        )
        return [(int(row[0]), int(row[1])) for row in rows]

    async def broadcasts_to(self, group_ids: Collection[int]) -> list[int]:
        """The broadcasts (tips sent as broadcasts included) addressed to any of these
        groups, oldest first."""
        if not group_ids:
            return []
        rows = await self._connection.fetch_all(
            f"""
            SELECT DISTINCT broadcast_id FROM outbox
            WHERE purpose = 'broadcast' AND broadcast_id IS NOT NULL
              AND group_id IN ({marks(group_ids)})
            ORDER BY broadcast_id
            """,
            list(group_ids),
        )
        return [int(row[0]) for row in rows]

    async def broadcast_reach(self, broadcast_ids: Collection[int]) -> list[BroadcastReach]:
        """Per broadcast and organisation: groups addressed, delivered, and the reactions
        and replies to what was delivered (counts, never who)."""
        if not broadcast_ids:
            return []
        rows = await self._connection.fetch_all(
            f"""
            SELECT o.broadcast_id, b.send_at, b.tip, g.organisation_id, COUNT(*),
                   SUM(CASE WHEN o.status = 'sent' THEN 1 ELSE 0 END),
                   COALESCE(SUM(m.reactions), 0), COALESCE(SUM(m.replies), 0)
            FROM outbox o
            JOIN broadcasts b ON b.id = o.broadcast_id
            LEFT JOIN groups g ON g.id = o.group_id
            LEFT JOIN (SELECT outbox_id, SUM(reactions) AS reactions, SUM(replies) AS replies
                       FROM sent_messages GROUP BY outbox_id) m ON m.outbox_id = o.id
            WHERE o.purpose = 'broadcast' AND o.broadcast_id IN ({marks(broadcast_ids)})
            GROUP BY o.broadcast_id, b.send_at, b.tip, g.organisation_id
            ORDER BY o.broadcast_id
            """,
            list(broadcast_ids),
        )
        return [
            BroadcastReach(
                int(row[0]),
                from_db(row[1]),
                None if row[2] is None else str(row[2]),
                None if row[3] is None else int(row[3]),
                *(int(value or 0) for value in row[4:]),
            )
            for row in rows
        ]

    async def staff_ids(self, group_ids: Collection[int]) -> list[int]:
        """Everyone who leads or oversees these groups: their own activity is not counted."""
        if not group_ids:
            return []
        found = await self._connection.fetch_all(
            f"""
            SELECT person_id FROM group_instructors WHERE group_id IN ({marks(group_ids)})
            UNION SELECT person_id FROM staff
            """,
            list(group_ids),
        )
        return [int(row[0]) for row in found]
