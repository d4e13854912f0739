"""Weekly check-ins (confidence and progress, never the plan) and buddy pairs, by pseudonym."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from storage.rows import execute, fetch_all, fetch_one, to_model, to_models
from storage.sql import Connection
from storage.states import Progress
from storage.timestamps import to_db


@dataclass(frozen=True)
class CheckIn:
    id: int
    group_id: int
    meeting_id: int
    pseudonym: str
    invited_at: dt.datetime
    confidence: int | None
    ratings: int
    rated_at: dt.datetime | None
    progress_mid: Progress | None
    progress_end: Progress | None
    shared_at: dt.datetime | None


@dataclass(frozen=True)
class WeekFigures:
    """One group's week (the week of one meeting): never anyone's plan, only counts."""

    meeting_id: int
    invited: int
    planned: int
    average_confidence: float | None
    reported: int
    done: int
    partly: int
    not_yet: int
    shared: int


_CHECKIN = (
    "id, group_id, meeting_id, pseudonym, invited_at, confidence, ratings, rated_at, "
    "progress_mid, progress_end, shared_at"
)
STAGES = ("mid", "end")  # progress_mid, progress_end


class CheckInRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def invite(
        self, group_id: int, meeting_id: int, pseudonym: str, now: dt.datetime
    ) -> bool:
        """True if the person was not yet invited to this week's plan."""
        changed = await execute(
            self._connection,
            """
            INSERT INTO checkins (group_id, meeting_id, pseudonym, invited_at)
            VALUES (:group_id, :meeting_id, :pseudonym, :now)
            ON CONFLICT (meeting_id, pseudonym) DO NOTHING
            """,
            {
                "group_id": group_id,
                "meeting_id": meeting_id,
                "pseudonym": pseudonym,
                "now": to_db(now),
            },
        )
        return changed > 0

    async def get(self, meeting_id: int, pseudonym: str) -> CheckIn | None:
        row = await fetch_one(
            self._connection,
            f"SELECT {_CHECKIN} FROM checkins WHERE meeting_id = :m AND pseudonym = :p",
            {"m": meeting_id, "p": pseudonym},
        )
        return None if row is None else to_model(CheckIn, row)

    async def of_meeting(self, meeting_id: int) -> list[CheckIn]:
        rows = await fetch_all(
            self._connection,
            f"SELECT {_CHECKIN} FROM checkins WHERE meeting_id = :m ORDER BY id",
            {"m": meeting_id},
        )
        return to_models(CheckIn, rows)

    async def latest_of(self, pseudonym: str, since: dt.datetime) -> list[CheckIn]:
        """The person's check-ins invited since ``since``, newest first."""
        rows = await fetch_all(
            self._connection,
            f"""
            SELECT {_CHECKIN} FROM checkins
            WHERE pseudonym = :p AND invited_at >= :since ORDER BY invited_at DESC, id DESC
            """,
            {"p": pseudonym, "since": to_db(since)},
        )
        return to_models(CheckIn, rows)

    async def rate(
        self, checkin_id: int, confidence: int, now: dt.datetime, *, ratings_before: int
    ) -> bool:
        """True when the check-in had ``ratings_before`` ratings and now has this one more.
        Every keyboard of confidence keys is for one round (the ratings there were when it
        was sent), so a second press of the same keyboard (a double tap, a replay, another
        instance handling it) finds the round taken and changes nothing: the database
        decides, in one statement."""
        changed = await execute(
            self._connection,
            """
            UPDATE checkins SET confidence = :confidence, ratings = ratings + 1, rated_at = :now
            WHERE id = :id AND ratings = :before
            """,
            {
                "confidence": confidence,
                "now": to_db(now),
                "id": checkin_id,
                "before": ratings_before,
            },
        )
        return changed > 0

    async def report(self, checkin_id: int, stage: str, answer: Progress) -> None:
        if stage not in STAGES or answer not in tuple(Progress):
            raise ValueError(f"{stage}/{answer}")
        await execute(
            self._connection,
            f"UPDATE checkins SET progress_{stage} = :answer WHERE id = :id",
            {"answer": answer, "id": checkin_id},
        )

    async def shared(self, checkin_id: int, now: dt.datetime) -> bool:
        """True the first time: a celebration is posted once per week."""
        changed = await execute(
            self._connection,
            "UPDATE checkins SET shared_at = :now WHERE id = :id AND shared_at IS NULL",
            {"now": to_db(now), "id": checkin_id},
        )
        return changed > 0

    async def figures(self, group_id: int) -> list[WeekFigures]:
        """Per meeting week of the group's current season, in meeting order."""
        rows = await fetch_all(
            self._connection,
            """
            SELECT c.meeting_id,
                   COUNT(*) AS invited,
                   COUNT(c.confidence) AS planned,
                   AVG(c.confidence) AS average_confidence,
                   COUNT(COALESCE(c.progress_end, c.progress_mid)) AS reported,
                   COUNT(CASE COALESCE(c.progress_end, c.progress_mid) WHEN 'done' THEN 1 END)
                       AS done,
                   COUNT(CASE COALESCE(c.progress_end, c.progress_mid) WHEN 'partly' THEN 1 END)
                       AS partly,
                   COUNT(CASE COALESCE(c.progress_end, c.progress_mid) WHEN 'not-yet' THEN 1 END)
                       AS not_yet,
                   COUNT(c.shared_at) AS shared
            FROM checkins c JOIN meetings m ON m.id = c.meeting_id
            WHERE c.group_id = :id
              AND m.season = (SELECT MAX(number) FROM seasons WHERE group_id = :id)
            GROUP BY c.meeting_id, m.number ORDER BY m.number
            """,
            {"id": group_id},
        )
        return [
            WeekFigures(
                meeting_id=int(row["meeting_id"]),
                invited=int(row["invited"]),
                planned=int(row["planned"] or 0),
                average_confidence=(
                    None if row["average_confidence"] is None else float(row["average_confidence"])
                ),
                reported=int(row["reported"] or 0),
                done=int(row["done"] or 0),
                partly=int(row["partly"] or 0),
                not_yet=int(row["not_yet"] or 0),
                shared=int(row["shared"] or 0),
            )
            for row in rows
        ]

    # Buddies -------------------------------------------------------------------------------

    async def pairs(self, group_id: int, week: int | None = None) -> list[tuple[int, str, str]]:
        """(week, first, second) pseudonym pairs of the group (of one week, if given)."""
        rows = await fetch_all(
            self._connection,
            """
            SELECT week, first, second FROM buddy_pairs
            WHERE group_id = :id AND (CAST(:week AS BIGINT) IS NULL OR week = :week)
            ORDER BY week, id
            """,
            {"id": group_id, "week": week},
        )
        return [(int(row[0]), str(row[1]), str(row[2])) for row in rows]

    async def add_pair(
        self, group_id: int, week: int, pair: tuple[str, str], made_by: int, now: dt.datetime
    ) -> None:
        first, second = pair
        await execute(
            self._connection,
            """
            INSERT INTO buddy_pairs (group_id, week, first, second, made_by, made_at)
            VALUES (:group_id, :week, :first, :second, :made_by, :now)
            """,
            {
                "group_id": group_id,
                "week": week,
                "first": min(first, second),
                "second": max(first, second),
                "made_by": made_by,
                "now": to_db(now),
            },
        )
