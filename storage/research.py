"""Queries for the researchers' extract: who in a group may appear in it (participants who
consent to the group's organisation's notice), and the rows about them: a group's events a
page at a time, check-in figures and survey answers.

Rows leave here under the bot's own pseudonyms and with the stored times; the extract
(``bot/services/research.py``) turns them into study pseudonyms, programme weeks and
weekdays, and never writes an id or a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from storage.rows import fetch_all, marks, to_models
from storage.sql import Connection
from storage.states import Progress, Round
from storage.timestamps import to_db


@dataclass(frozen=True)
class Participation:
    """A participant (past or present, not an instructor of the group) who consents."""

    group_id: int
    person_id: int


@dataclass(frozen=True)
class StudyEvent:
    id: int  # to read the next page from and to leave out newer ones; never written
    at: str  # as stored: UTC, fixed-width ISO 8601 text
    pseudonym: str | None  # None: the group itself
    kind: str
    attributes: str | None  # JSON text


@dataclass(frozen=True)
class StudyCheckIn:
    group_id: int
    pseudonym: str
    meeting_day: dt.date  # the local date of the meeting whose week's plan it is
    confidence: int | None
    ratings: int
    progress_mid: Progress | None
    progress_end: Progress | None
    shared: bool
    season: int = 1  # the group's season the meeting belongs to
    season_start: dt.date | None = None  # the local date of that season's first meeting


@dataclass(frozen=True)
class StudyAnswer:
    group_id: int
    survey: str
    round: Round
    sent_at: dt.datetime
    pseudonym: str
    item: str
    value: int | None
    season: int = 1  # the group's season the round belongs to


class ResearchRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def consenting(
        self, group_ids: Collection[int], notice_version: str
    ) -> list[Participation]:
        """Everyone who has been a participant of these groups (not their instructor) and
        consents now to the group's organisation's notice of ``notice_version``."""
        if not group_ids:
            return []
        rows = await fetch_all(
            self._connection,
            f"""
            SELECT p.group_id, p.person_id FROM group_participants p
            JOIN groups g ON g.id = p.group_id
            WHERE p.group_id IN ({marks(group_ids)})
              AND NOT EXISTS (SELECT 1 FROM group_instructors i
                              WHERE i.group_id = p.group_id AND i.person_id = p.person_id)
              AND EXISTS (SELECT 1 FROM consents c
                          WHERE c.person_id = p.person_id
                            AND c.organisation_id = g.organisation_id
                            AND c.version = ? AND c.withdrawn_at IS NULL)
            ORDER BY p.group_id, p.person_id
            """,
            [*group_ids, notice_version],
        )
        return to_models(Participation, rows)

    async def events(
        self,
        group_id: int,
        after: StudyEvent | None,
        *,
        since: dt.datetime | None,
        until: dt.datetime | None,
        page: int,
    ) -> list[StudyEvent]:
        """One page of a group's events with times in [since, until), in time order (then
        id), after the event ``after`` (None: from the first). Only the group's index is
        usable, so the plan stays the same whatever the server knows of the table."""
        params: list[object] = [group_id]
        sql = "SELECT id, at, pseudonym, kind, attributes FROM events WHERE group_id = ?"
        if after is not None:
            sql += " AND at >= ? AND (at > ? OR id > ?)"
            params += [after.at, after.at, after.id]
        if since is not None:
            sql += " AND at >= ?"
            params.append(to_db(since))
        if until is not None:
            sql += " AND at < ?"
            params.append(to_db(until))
        sql += f" ORDER BY at, id LIMIT {int(page)}"
        rows = await fetch_all(self._connection, sql, params)
        # built directly: a million rows, and no field needs converting
        return [StudyEvent(int(row[0]), row[1], row[2], row[3], row[4]) for row in rows]

    async def checkins(self, group_ids: Collection[int]) -> list[StudyCheckIn]:
        """Every check-in of these groups: the figures only (a plan is never stored)."""
        if not group_ids:
            return []
        rows = await fetch_all(
            self._connection,
            f"""
            SELECT c.group_id, c.pseudonym, m.local_date AS meeting_day, c.confidence,
                   c.ratings, c.progress_mid, c.progress_end,
                   CASE WHEN c.shared_at IS NULL THEN 0 ELSE 1 END AS shared,
                   m.season, COALESCE(f.local_date, m.local_date) AS season_start
            FROM checkins c JOIN meetings m ON m.id = c.meeting_id
            JOIN seasons s ON s.group_id = m.group_id AND s.number = m.season
            LEFT JOIN meetings f ON f.group_id = m.group_id AND f.number = s.first_meeting
            WHERE c.group_id IN ({marks(group_ids)})
            """,
            list(group_ids),
        )
        return to_models(StudyCheckIn, rows)

    async def season_starts(self, group_id: int) -> list[tuple[int, str, dt.date | None]]:
        """The group's seasons, in order: (number, when it began as stored, the local date
        of its first meeting or None)."""
        rows = await fetch_all(
            self._connection,
            """
            SELECT s.number, s.started_at, f.local_date FROM seasons s
            LEFT JOIN meetings f ON f.group_id = s.group_id AND f.number = s.first_meeting
                                AND f.season = s.number
            WHERE s.group_id = :id ORDER BY s.number
            """,
            {"id": group_id},
        )
        return [
            (int(row[0]), str(row[1]), None if row[2] is None else dt.date.fromisoformat(row[2]))
            for row in rows
        ]

    async def answers(self, group_ids: Collection[int]) -> list[StudyAnswer]:
        """Every survey answer of these groups with its round (skipped: value None)."""
        if not group_ids:
            return []
        rows = await fetch_all(
            self._connection,
            f"""
            SELECT r.group_id, r.survey, r.round, r.sent_at, s.pseudonym, a.item, a.value,
                   r.season
            FROM survey_answers a
            JOIN survey_responses s ON s.id = a.response_id
            JOIN survey_rounds r ON r.id = s.round_id
            WHERE r.group_id IN ({marks(group_ids)})
            """,
            list(group_ids),
        )
        return to_models(StudyAnswer, rows)
