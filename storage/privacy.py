"""A person's data, found, copied out or erased; groups past their retention period made
anonymous; and the audit log of privileged actions.

Personal data is of two kinds here: rows keyed by the Telegram id (the person, their
roles, memberships, consents, drafts...) and rows keyed by their pseudonym (check-ins,
survey answers, buddy pairs, events, the weekly roll-up). Erasure deletes the first kind
and the personal rows of the second; events and their roll-up are either unlinked (their
pseudonym replaced by a random one nobody can compute again) or deleted."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from storage.rows import execute, fetch_all, fetch_one, insert, to_models
from storage.sql import Connection
from storage.states import AuditAction, EventErasure
from storage.timestamps import to_db

# tables keyed by the Telegram id, in the order they can be deleted (people last)
_BY_PERSON = (
    ("drafts", "person_id"),
    ("consents", "person_id"),
    ("invitation_uses", "person_id"),
    ("group_participants", "person_id"),
    ("group_instructors", "person_id"),
    ("staff", "person_id"),
    ("contributions", "author_id"),
)


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: dt.datetime
    actor_id: int | None
    action: AuditAction
    target: str | None
    details: str | None


@dataclass(frozen=True)
class ExpiredGroup:
    id: int
    title: str
    erase_events: EventErasure


def months_after(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later; past the end of a shorter month, its last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def _rows(rows: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in rows]


class PrivacyRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def _all(self, sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        return _rows(await fetch_all(self._connection, sql, dict(params)))

    async def personal_data(self, person_id: int, pseudonym: str) -> dict[str, Any]:
        """Everything stored about the person, table by table, as plain values."""
        who = {"id": person_id, "p": pseudonym}
        data: dict[str, Any] = {
            "person": await self._all(
                "SELECT telegram_id, language, telegram_language, first_seen, last_seen, "
                "stopped_at FROM people WHERE telegram_id = :id",
                who,
            ),
            "roles": await self._all(
                "SELECT o.name AS organisation, s.role, s.display_name, s.since FROM staff s "
                "JOIN organisations o ON o.id = s.organisation_id WHERE s.person_id = :id",
                who,
            ),
            "groups": await self._all(
                "SELECT g.id AS group_id, g.title AS group_name, p.name, p.status, "
                "p.joined_at, p.left_at FROM group_participants p "
                "JOIN groups g ON g.id = p.group_id WHERE p.person_id = :id",
                who,
            ),
            "groups_led": await self._all(
                "SELECT g.id AS group_id, g.title AS group_name, i.since FROM group_instructors i "
                "JOIN groups g ON g.id = i.group_id WHERE i.person_id = :id",
                who,
            ),
            "consents": await self._all(
                "SELECT o.name AS organisation, c.version, c.given_at, c.withdrawn_at "
                "FROM consents c JOIN organisations o ON o.id = c.organisation_id "
                "WHERE c.person_id = :id ORDER BY c.given_at",
                who,
            ),
            "invitations_used": await self._all(
                "SELECT invitation_id, used_at FROM invitation_uses WHERE person_id = :id", who
            ),
            "tips_suggested": await self._all(
                "SELECT id, theme, language, status, created_at FROM contributions "
                "WHERE author_id = :id",
                who,
            ),
            "check_ins": await self._all(
                "SELECT c.group_id, m.number AS meeting, c.invited_at, c.confidence, c.ratings, "
                "c.rated_at, c.progress_mid, c.progress_end, c.shared_at FROM checkins c "
                "JOIN meetings m ON m.id = c.meeting_id WHERE c.pseudonym = :p ORDER BY c.id",
                who,
            ),
            "buddy_weeks": await self._all(
                "SELECT group_id, week, made_at FROM buddy_pairs "
                "WHERE first = :p OR second = :p ORDER BY id",
                who,
            ),
            "survey_answers": await self._all(
                "SELECT r.group_id, r.round, a.item, a.value, a.answered_at "
                "FROM survey_answers a JOIN survey_responses s ON s.id = a.response_id "
                "JOIN survey_rounds r ON r.id = s.round_id WHERE s.pseudonym = :p "
                "ORDER BY a.answered_at",
                who,
            ),
            "events": await self._all(
                "SELECT at, group_id, kind, attributes FROM events WHERE pseudonym = :p "
                "ORDER BY id",
                who,
            ),
        }
        for event in data["events"]:
            event["attributes"] = json.loads(event["attributes"] or "{}")
        return data

    async def erase(
        self, person_id: int, pseudonym: str, replacement: str, delete_events_of: set[int]
    ) -> dict[str, int]:
        """Erase the person: what is theirs is deleted; events in the groups of
        ``delete_events_of`` (and those in no group) are deleted, the rest get the
        ``replacement`` pseudonym. Returns how many rows of each kind went."""
        who = {"id": person_id, "p": pseudonym, "new": replacement}
        c = self._connection
        removed: dict[str, int] = {}
        # what others did that mentions the person by id keeps only the fact
        await execute(c, "UPDATE broadcasts SET created_by = NULL WHERE created_by = :id", who)
        await execute(c, "UPDATE invitations SET created_by = 0 WHERE created_by = :id", who)
        await execute(c, "UPDATE contributions SET reviewed_by = NULL WHERE reviewed_by = :id", who)
        await execute(c, "UPDATE buddy_pairs SET made_by = 0 WHERE made_by = :id", who)
        await execute(c, "UPDATE groups SET registered_by = 0 WHERE registered_by = :id", who)
        await execute(c, "UPDATE calendars SET set_by = 0 WHERE set_by = :id", who)
        theirs = "SELECT id FROM outbox WHERE person_id = :id OR chat_id = :id"
        await execute(
            c, f"DELETE FROM sent_messages WHERE chat_id = :id OR outbox_id IN ({theirs})", who
        )
        removed["messages"] = await execute(c, f"DELETE FROM outbox WHERE id IN ({theirs})", who)
        for table, column in _BY_PERSON:
            removed[table] = await execute(c, f"DELETE FROM {table} WHERE {column} = :id", who)
        removed["person"] = await execute(c, "DELETE FROM people WHERE telegram_id = :id", who)
        removed["check_ins"] = await execute(c, "DELETE FROM checkins WHERE pseudonym = :p", who)
        removed["buddy_pairs"] = await execute(
            c, "DELETE FROM buddy_pairs WHERE first = :p OR second = :p", who
        )
        removed["survey_answers"] = await execute(
            c,
            "DELETE FROM survey_answers WHERE response_id IN "
            "(SELECT id FROM survey_responses WHERE pseudonym = :p)",
            who,
        )
        removed["surveys"] = await execute(
            c, "DELETE FROM survey_responses WHERE pseudonym = :p", who
        )
        await execute(c, "UPDATE tip_uses SET pseudonym = NULL WHERE pseudonym = :p", who)
        deleting = ", ".join(str(int(group)) for group in sorted(delete_events_of)) or "NULL"
        removed["events_deleted"] = await execute(
            c,
            f"DELETE FROM events WHERE pseudonym = :p "
            f"AND (group_id IS NULL OR group_id IN ({deleting}))",
            who,
        )
        removed["events_unlinked"] = await execute(
            c, "UPDATE events SET pseudonym = :new WHERE pseudonym = :p", who
        )
        await execute(
            c,
            f"DELETE FROM weekly_activity WHERE pseudonym = :p AND group_id IN ({deleting})",
            who,
        )
        await execute(c, "UPDATE weekly_activity SET pseudonym = :new WHERE pseudonym = :p", who)
        return removed

    async def event_policies(self, person_id: int, pseudonym: str) -> dict[int, EventErasure]:
        """For each group the person has events in: its organisation's ``erase_events``."""
        rows = await fetch_all(
            self._connection,
            """
            SELECT DISTINCT e.group_id, COALESCE(o.erase_events, 'unlink') AS policy
            FROM events e JOIN groups g ON g.id = e.group_id
            LEFT JOIN organisations o ON o.id = g.organisation_id
            WHERE e.pseudonym = :p
            """,
            {"p": pseudonym, "id": person_id},
        )
        return {int(row["group_id"]): EventErasure(row["policy"]) for row in rows}

    async def expired_groups(self, now: dt.datetime) -> list[ExpiredGroup]:
        """Groups whose last meeting (or, with no meetings, registration) lies further back
        than their organisation's retention period, not yet made anonymous."""
        rows = await fetch_all(
            self._connection,
            """
            SELECT g.id, g.title, COALESCE(o.erase_events, 'unlink') AS erase_events,
                   COALESCE(o.retention_months, 24) AS months,
                   COALESCE((SELECT MAX(m.local_date) FROM meetings m WHERE m.group_id = g.id),
                            substr(g.created_at, 1, 10)) AS last_day
            FROM groups g LEFT JOIN organisations o ON o.id = g.organisation_id
            WHERE g.anonymised_at IS NULL
            ORDER BY g.id
            """,
            {},
        )
        today = now.astimezone(dt.UTC).date()
        return [
            ExpiredGroup(int(row["id"]), str(row["title"]), EventErasure(row["erase_events"]))
            for row in rows
            if months_after(dt.date.fromisoformat(row["last_day"]), int(row["months"])) < today
        ]

    async def anonymise_group(self, group: ExpiredGroup, now: dt.datetime) -> dict[str, int]:
        """The group's people are forgotten: memberships with names, check-ins, buddies,
        survey answers and the texts of messages that went out go; events and the roll-up
        keep a number per person that means something only inside this group (or go, if
        the organisation says so)."""
        c = self._connection
        g = {"g": group.id, "now": to_db(now)}
        removed: dict[str, int] = {}
        removed["members"] = await execute(
            c, "DELETE FROM group_participants WHERE group_id = :g", g
        )
        await execute(c, "DELETE FROM group_instructors WHERE group_id = :g", g)
        removed["check_ins"] = await execute(c, "DELETE FROM checkins WHERE group_id = :g", g)
        await execute(c, "DELETE FROM buddy_pairs WHERE group_id = :g", g)
        rounds = "(SELECT id FROM survey_rounds WHERE group_id = :g)"
        removed["survey_answers"] = await execute(
            c,
            "DELETE FROM survey_answers WHERE response_id IN "
            f"(SELECT id FROM survey_responses WHERE round_id IN {rounds})",
            g,
        )
        await execute(c, f"DELETE FROM survey_responses WHERE round_id IN {rounds}", g)
        await execute(c, "UPDATE tip_uses SET pseudonym = NULL WHERE group_id = :g", g)
        # what went out for the group long ago (celebrations name people): its texts go
        done = "'sent', 'failed', 'cancelled'"
        finished = f"SELECT id FROM outbox WHERE group_id = :g AND status IN ({done})"
        await execute(c, f"DELETE FROM sent_messages WHERE outbox_id IN ({finished})", g)
        removed["messages"] = await execute(c, f"DELETE FROM outbox WHERE id IN ({finished})", g)
        if group.erase_events == EventErasure.DELETE:
            removed["events"] = await execute(c, "DELETE FROM events WHERE group_id = :g", g)
            await execute(c, "DELETE FROM weekly_activity WHERE group_id = :g", g)
        else:
            # one stable stand-in per person, within this group only
            rows = await fetch_all(
                c,
                "SELECT DISTINCT pseudonym FROM events WHERE group_id = :g "
                "AND pseudonym IS NOT NULL AND pseudonym NOT LIKE 'anon:%' "
                "ORDER BY pseudonym",
                g,
            )
            mapping = [
                (f"anon:{group.id}:{n}", group.id, row["pseudonym"])
                for n, row in enumerate(rows, start=1)
            ]
            for table in ("events", "weekly_activity"):
                await c.execute_many(
                    f"UPDATE {table} SET pseudonym = ? WHERE group_id = ? AND pseudonym = ?",
                    mapping,
                )
            removed["events"] = 0
            removed["people"] = len(mapping)
        await execute(c, "UPDATE groups SET anonymised_at = :now WHERE id = :g", g)
        return removed

    async def strangers(self, before: dt.datetime) -> list[int]:
        """People last in touch before ``before`` who are in no group (any more: a group
        past its retention has no members) and hold no role: nothing needs them."""
        rows = await fetch_all(
            self._connection,
            """
            SELECT telegram_id FROM people WHERE last_seen < :before
              AND telegram_id NOT IN (SELECT person_id FROM group_participants)
              AND telegram_id NOT IN (SELECT person_id FROM group_instructors)
              AND telegram_id NOT IN (SELECT person_id FROM staff)
            ORDER BY telegram_id
            """,
            {"before": to_db(before)},
        )
        return [int(row[0]) for row in rows]


class AuditRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def add(
        self,
        at: dt.datetime,
        actor_id: int | None,
        action: AuditAction,
        target: str | None = None,
        **details: object,
    ) -> int:
        return await insert(
            self._connection,
            "INSERT INTO audit_log (at, actor_id, action, target, details) "
            "VALUES (:at, :actor, :action, :target, :details) RETURNING id",
            {
                "at": to_db(at),
                "actor": actor_id,
                "action": action,
                "target": target,
                "details": json.dumps(details, separators=(",", ":"), sort_keys=True)
                if details
                else None,
            },
        )

    async def latest(self, limit: int, *, action: str | None = None) -> list[AuditEntry]:
        rows = await fetch_all(
            self._connection,
            """
            SELECT id, at, actor_id, action, target, details FROM audit_log
            WHERE CAST(:action AS TEXT) IS NULL OR action = :action ORDER BY id DESC LIMIT :limit
            """,
            {"action": action, "limit": limit},
        )
        return to_models(AuditEntry, rows)

    async def count(self, action: AuditAction, target: str) -> int:
        """How many times ``action`` was taken on ``target`` (a study's earlier extracts)."""
        row = await fetch_one(
            self._connection,
            "SELECT COUNT(*) FROM audit_log WHERE action = :action AND target = :target",
            {"action": action, "target": target},
        )
        return int(row[0])
