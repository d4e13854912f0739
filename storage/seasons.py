"""A group's seasons (its programme, run again in the same chat), and which groups have
been idle long enough to archive."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from storage.rows import execute, fetch_all, fetch_one, to_model, to_models
from storage.sql import Connection
from storage.states import AfterRhythm, SeasonStatus
from storage.timestamps import from_db, to_db


@dataclass(frozen=True)
class Season:
    id: int
    group_id: int
    number: int
    status: SeasonStatus
    first_meeting: int  # the number (in the group's meetings) of its first meeting
    first_week: int  # the roll-up's week (in the group's weeks) of its week 1
    started_at: dt.datetime
    ended_at: dt.datetime | None
    after_rhythm: AfterRhythm
    after_last_at: dt.datetime | None

    @property
    def is_running(self) -> bool:
        return self.status == SeasonStatus.RUNNING


_SEASON = (
    "id, group_id, number, status, first_meeting, first_week, started_at, ended_at, "
    "after_rhythm, after_last_at"
)
_SEASON_S = ", ".join("s." + column.strip() for column in _SEASON.split(","))
# the group's current season: its highest number
_CURRENT = "s.number = (SELECT MAX(x.number) FROM seasons x WHERE x.group_id = s.group_id)"


class SeasonRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def first(self, group_id: int, now: dt.datetime) -> None:
        """A group's season 1, when the group is registered (nothing if it has one)."""
        await execute(
            self._connection,
            """
            INSERT INTO seasons (group_id, number, status, started_at)
            VALUES (:group_id, 1, 'running', :now)
            ON CONFLICT (group_id, number) DO NOTHING
            """,
            {"group_id": group_id, "now": to_db(now)},
        )

    async def current(self, group_id: int) -> Season | None:
        row = await fetch_one(
            self._connection,
            f"""
            SELECT {_SEASON} FROM seasons WHERE group_id = :id
            ORDER BY number DESC LIMIT 1
            """,
            {"id": group_id},
        )
        return None if row is None else to_model(Season, row)

    async def get(self, season_id: int) -> Season | None:
        row = await fetch_one(
            self._connection, f"SELECT {_SEASON} FROM seasons WHERE id = :id", {"id": season_id}
        )
        return None if row is None else to_model(Season, row)

    async def of_groups(self, group_ids: list[int]) -> list[Season]:
        """Every season of these groups, by group and number."""
        if not group_ids:
            return []
        marks = ", ".join(f":g{index}" for index in range(len(group_ids)))
        rows = await fetch_all(
            self._connection,
            f"""
            SELECT {_SEASON} FROM seasons WHERE group_id IN ({marks})
            ORDER BY group_id, number
            """,
            {f"g{index}": group_id for index, group_id in enumerate(group_ids)},
        )
        return to_models(Season, rows)

    async def first_days(self, group_ids: list[int]) -> dict[tuple[int, int], dt.date]:
        """(group, season) -> the local date of the season's first meeting, for the seasons
        of these groups that have one."""
        if not group_ids:
            return {}
        marks = ", ".join(f":g{index}" for index in range(len(group_ids)))
        rows = await fetch_all(
            self._connection,
            f"""
            SELECT s.group_id, s.number, m.local_date FROM seasons s
            JOIN meetings m ON m.group_id = s.group_id AND m.season = s.number
                           AND m.number = s.first_meeting
            WHERE s.group_id IN ({marks})
            """,
            {f"g{index}": group_id for index, group_id in enumerate(group_ids)},
        )
        return {(int(row[0]), int(row[1])): dt.date.fromisoformat(row[2]) for row in rows}

    async def start(
        self,
        group_id: int,
        number: int,
        *,
        first_meeting: int,
        first_week: int,
        now: dt.datetime,
    ) -> Season | None:
        """Season ``number`` begins; None if another request began it first."""
        row = await fetch_one(
            self._connection,
            """
            INSERT INTO seasons (group_id, number, status, first_meeting, first_week, started_at)
            VALUES (:group_id, :number, 'running', :first_meeting, :first_week, :now)
            ON CONFLICT (group_id, number) DO NOTHING
            RETURNING id
            """,
            {
                "group_id": group_id,
                "number": number,
                "first_meeting": first_meeting,
                "first_week": first_week,
                "now": to_db(now),
            },
        )
        return None if row is None else await self.get(int(row[0]))

    async def end(self, season_id: int, now: dt.datetime) -> bool:
        """The season ended; False if it had already (the farewell is said once)."""
        changed = await execute(
            self._connection,
            """
            UPDATE seasons SET status = 'ended', ended_at = :now
            WHERE id = :id AND status = 'running'
            """,
            {"id": season_id, "now": to_db(now)},
        )
        return changed == 1

    async def set_after_rhythm(self, season_id: int, rhythm: AfterRhythm) -> bool:
        """False if it was so already."""
        changed = await execute(
            self._connection,
            """
            UPDATE seasons SET after_rhythm = :rhythm
            WHERE id = :id AND after_rhythm <> :rhythm
            """,
            {"id": season_id, "rhythm": rhythm},
        )
        return changed == 1

    async def claim_after(self, season_id: int, due: dt.datetime) -> bool:
        """The after-programme message due at ``due`` is this caller's to send (or skip):
        False if it (or a later one) was claimed already."""
        changed = await execute(
            self._connection,
            """
            UPDATE seasons SET after_last_at = :due
            WHERE id = :id AND (after_last_at IS NULL OR after_last_at < :due)
            """,
            {"id": season_id, "due": to_db(due)},
        )
        return changed == 1

    async def running_to_end(self, now: dt.datetime) -> list[tuple[Season, dt.datetime]]:
        """Running current seasons of active groups whose last meeting began before
        ``now``, with that meeting's start."""
        rows = await fetch_all(
            self._connection,
            f"""
            SELECT {_SEASON_S}, m.starts_at AS last_start FROM seasons s
            JOIN groups g ON g.id = s.group_id
            JOIN calendars c ON c.group_id = s.group_id
            JOIN meetings m ON m.group_id = s.group_id AND m.season = s.number
                           AND m.number = s.first_meeting + c.meetings - 1
            WHERE s.status = 'running' AND {_CURRENT} AND g.status = 'active'
              AND g.archived_at IS NULL AND m.starts_at <= :now
            ORDER BY s.id
            """,
            {"now": to_db(now)},
        )
        return [(to_model(Season, row), from_db(row["last_start"])) for row in rows]

    async def ended_with_rhythm(self) -> list[Season]:
        """Ended current seasons of active groups that keep an after-programme rhythm."""
        rows = await fetch_all(
            self._connection,
            f"""
            SELECT {_SEASON_S} FROM seasons s JOIN groups g ON g.id = s.group_id
            WHERE s.status = 'ended' AND s.after_rhythm <> 'off' AND {_CURRENT}
              AND g.status = 'active' AND g.archived_at IS NULL
            ORDER BY s.id
            """,
            {},
        )
        return to_models(Season, rows)

    async def idle_groups(self, before: dt.datetime) -> list[int]:
        """Active groups, not archived, in which nothing happened since ``before``: no
        event, no meeting, no season begun, no registration."""
        rows = await fetch_all(
            self._connection,
            """
            SELECT g.id FROM groups g
            WHERE g.status = 'active' AND g.archived_at IS NULL AND g.created_at < :before
              AND NOT EXISTS (SELECT 1 FROM events e WHERE e.group_id = g.id AND e.at >= :before)
              AND NOT EXISTS (SELECT 1 FROM meetings m
                              WHERE m.group_id = g.id AND m.starts_at >= :before)
              AND NOT EXISTS (SELECT 1 FROM seasons s
                              WHERE s.group_id = g.id AND s.started_at >= :before)
            ORDER BY g.id
            """,
            {"before": to_db(before)},
        )
        return [int(row[0]) for row in rows]

    async def archive(self, group_id: int, now: dt.datetime) -> bool:
        changed = await execute(
            self._connection,
            "UPDATE groups SET archived_at = :now WHERE id = :id AND archived_at IS NULL",
            {"id": group_id, "now": to_db(now)},
        )
        return changed == 1

    async def unarchive(self, group_id: int) -> None:
        await execute(
            self._connection,
            "UPDATE groups SET archived_at = NULL WHERE id = :id",
            {"id": group_id},
        )

    async def last_week(self, group_id: int) -> int:
        """The highest week of the group's weekly roll-up (0 without any)."""
        row = await fetch_one(
            self._connection,
            "SELECT COALESCE(MAX(week), 0) FROM weekly_activity WHERE group_id = :id",
            {"id": group_id},
        )
        return int(row[0]) if row else 0

    async def last_meeting_number(self, group_id: int) -> int:
        """The highest meeting number of the group (0 without any)."""
        row = await fetch_one(
            self._connection,
            "SELECT COALESCE(MAX(number), 0) FROM meetings WHERE group_id = :id",
            {"id": group_id},
        )
        return int(row[0]) if row else 0

    async def join(self, group_id: int, person_id: int, season: int) -> None:
        """The participant joined this season (through the group's link)."""
        await execute(
            self._connection,
            """
            UPDATE group_participants SET season = :season
            WHERE group_id = :group_id AND person_id = :person_id
            """,
            {"group_id": group_id, "person_id": person_id, "season": season},
        )
