"""Survey rounds sent to groups, participants' responses and answers, by pseudonym."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from storage.rows import execute, fetch_all, fetch_one, marks, to_model, to_models
from storage.sql import Connection
from storage.states import Round
from storage.timestamps import to_db


@dataclass(frozen=True)
class SurveyRound:
    id: int
    group_id: int
    survey: str
    round: Round
    sent_at: dt.datetime


@dataclass(frozen=True)
class Response:
    id: int
    round_id: int
    pseudonym: str
    invited_at: dt.datetime
    finished_at: dt.datetime | None
    reminded_at: dt.datetime | None


@dataclass(frozen=True)
class AnswerRow:
    """One answer with where it belongs (for exports and outcomes)."""

    group_id: int
    round: Round
    pseudonym: str
    item: str
    value: int | None


_ROUND = "id, group_id, survey, round, sent_at"
_RESPONSE = "id, round_id, pseudonym, invited_at, finished_at, reminded_at"


class SurveyRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def open_round(
        self, group_id: int, survey: str, round_name: Round, now: dt.datetime, season: int = 1
    ) -> SurveyRound:
        """The group's round of this season (each season has its own rounds)."""
        await execute(
            self._connection,
            """
            INSERT INTO survey_rounds (group_id, survey, round, sent_at, season)
            VALUES (:group_id, :survey, :round, :now, :season)
            ON CONFLICT (group_id, season, round) DO NOTHING
            """,
            {
                "group_id": group_id,
                "survey": survey,
                "round": round_name,
                "now": to_db(now),
                "season": season,
            },
        )
        row = await fetch_one(
            self._connection,
            f"""
            SELECT {_ROUND} FROM survey_rounds
            WHERE group_id = :g AND round = :r AND season = :s
            """,
            {"g": group_id, "r": round_name, "s": season},
        )
        return to_model(SurveyRound, row)

    async def round(self, round_id: int) -> SurveyRound | None:
        row = await fetch_one(
            self._connection, f"SELECT {_ROUND} FROM survey_rounds WHERE id = :id", {"id": round_id}
        )
        return None if row is None else to_model(SurveyRound, row)

    async def invite(self, round_id: int, pseudonym: str, now: dt.datetime) -> int | None:
        """The new response's id, or None if this person was already invited."""
        row = await fetch_one(
            self._connection,
            """
            INSERT INTO survey_responses (round_id, pseudonym, invited_at)
            VALUES (:round_id, :pseudonym, :now)
            ON CONFLICT (round_id, pseudonym) DO NOTHING
            RETURNING id
            """,
            {"round_id": round_id, "pseudonym": pseudonym, "now": to_db(now)},
        )
        return None if row is None else int(row[0])

    async def response(self, response_id: int) -> Response | None:
        row = await fetch_one(
            self._connection,
            f"SELECT {_RESPONSE} FROM survey_responses WHERE id = :id",
            {"id": response_id},
        )
        return None if row is None else to_model(Response, row)

    async def answered(self, response_id: int) -> list[str]:
        rows = await fetch_all(
            self._connection,
            "SELECT item FROM survey_answers WHERE response_id = :id ORDER BY answered_at, item",
            {"id": response_id},
        )
        return [str(row[0]) for row in rows]

    async def answer(
        self, response_id: int, item: str, value: int | None, now: dt.datetime
    ) -> bool:
        """False if the item was answered already (a double tap)."""
        changed = await execute(
            self._connection,
            """
            INSERT INTO survey_answers (response_id, item, value, answered_at)
            VALUES (:id, :item, :value, :now)
            ON CONFLICT (response_id, item) DO NOTHING
            """,
            {"id": response_id, "item": item, "value": value, "now": to_db(now)},
        )
        return changed > 0

    async def finish(self, response_id: int, now: dt.datetime) -> None:
        await execute(
            self._connection,
            "UPDATE survey_responses SET finished_at = :now WHERE id = :id AND finished_at IS NULL",
            {"id": response_id, "now": to_db(now)},
        )

    async def unfinished_of(self, pseudonym: str) -> list[Response]:
        rows = await fetch_all(
            self._connection,
            f"""
            SELECT {_RESPONSE} FROM survey_responses
            WHERE pseudonym = :p AND finished_at IS NULL ORDER BY invited_at DESC, id DESC
            """,
            {"p": pseudonym},
        )
        return to_models(Response, rows)

    async def to_remind(self, invited_before: dt.datetime) -> list[Response]:
        """Unfinished responses invited before the time and never reminded."""
        rows = await fetch_all(
            self._connection,
            f"""
            SELECT {_RESPONSE} FROM survey_responses
            WHERE finished_at IS NULL AND reminded_at IS NULL AND invited_at <= :before
            ORDER BY id
            """,
            {"before": to_db(invited_before)},
        )
        return to_models(Response, rows)

    async def reminded(self, response_id: int, now: dt.datetime) -> bool:
        changed = await execute(
            self._connection,
            """
            UPDATE survey_responses SET reminded_at = :now
            WHERE id = :id AND reminded_at IS NULL
            """,
            {"id": response_id, "now": to_db(now)},
        )
        return changed > 0

    async def rounds_of(self, group_ids: Collection[int]) -> list[SurveyRound]:
        """The rounds sent to these groups."""
        if not group_ids:
            return []
        rows = await fetch_all(
            self._connection,
            f"SELECT {_ROUND} FROM survey_rounds WHERE group_id IN ({marks(group_ids)})",
            list(group_ids),
        )
        return to_models(SurveyRound, rows)

    async def answers(self, group_ids: list[int] | None = None) -> list[AnswerRow]:
        """Every stored answer (of these groups), ordered for a wide table."""
        rows = await fetch_all(
            self._connection,
            """
            SELECT r.group_id, r.round, s.pseudonym, a.item, a.value
            FROM survey_answers a
            JOIN survey_responses s ON s.id = a.response_id
            JOIN survey_rounds r ON r.id = s.round_id
            ORDER BY r.group_id, s.pseudonym, r.round, a.item
            """,
            {},
        )
        wanted = None if group_ids is None else set(group_ids)
        return [
            AnswerRow(int(row[0]), Round(row[1]), str(row[2]), str(row[3]), row[4])
            for row in rows
            if wanted is None or int(row[0]) in wanted
        ]
