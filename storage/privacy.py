"""A person's data, found, copied out or erased; groups past their retention period made
anonymous; and the audit log of privileged actions.

Personal data is of two kinds here: rows keyed by the Telegram id (the person, their
roles, memberships, consents, drafts, messages to them...) and rows keyed by their
pseudonym (check-ins, survey answers, buddy pairs, requested tips, events, the weekly
roll-up). Erasure deletes what is theirs, takes them out of what others did (the id
becomes 0 or NULL; messages to others that name them are rewritten without the name,
``messages_naming``), and leaves in the groups' figures only what no export has shown and
nothing links together: the weekly roll-up rows and check-ins each under a fresh random
stand-in (``erased:...``), a membership as the two days it began and ended. The events
themselves are deleted (their counts stay in the roll-up).

An erasure the person asks for in the chat goes through a stored request
(``ErasureRequestRepository``): the question's buttons carry a random token, of which only
the hash is kept, with whose request it is and until when it holds."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from storage.events import ERASED
from storage.outbox import forget_posts
from storage.rows import execute, fetch_all, fetch_one, insert, to_model, to_models
from storage.sql import Connection
from storage.states import AuditAction, AuditChannel, EventErasure, OutboxStatus, Purpose
from storage.timestamps import from_db, to_db
from storage.tips import stop_sending

# tables keyed by the Telegram id, in the order they can be deleted (people last)
_BY_PERSON = (
    ("drafts", "person_id"),
    ("consents", "person_id"),
    ("invitation_uses", "person_id"),
    ("group_participants", "person_id"),
    ("group_instructors", "person_id"),
    ("staff", "person_id"),
    ("contributions", "author_id"),
    ("erasure_requests", "person_id"),
    ("staff_requests", "asked_by"),
    ("staff_requests", "person_id"),
    ("meeting_changes", "asked_by"),
    ("calendar_questions", "asked_by"),
    ("command_menus", "telegram_id"),
)
# what others did that mentions the person by id keeps only the fact: (table, column, value)
_THEIR_DOING = (
    ("broadcasts", "created_by", "NULL"),
    ("invitations", "created_by", "0"),
    ("contributions", "reviewed_by", "NULL"),
    ("buddy_pairs", "made_by", "0"),
    ("groups", "registered_by", "0"),
    ("calendars", "set_by", "0"),
    ("posts", "decided_by", "NULL"),
)
# stored message contents that may carry Telegram's text mentions (a user object with the
# id, name and username): (table, key column)
_CONTENTS = (
    ("broadcasts", "id"),
    ("outbox", "id"),
    ("drafts", "person_id"),
    ("contributions", "id"),
    ("posts", "id"),
)
# a stored time cut to its day (UTC), for what is kept of an erased person's check-ins
_DAY = "substr({0}, 1, 10) || 'T00:00:00.000000+00:00'"


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: dt.datetime
    actor_id: int | None
    action: AuditAction
    target: str | None
    details: str | None
    channel: AuditChannel | None  # where it was asked for, where the entry records it
    subject_id: int | None = None  # whom it was about (a role that ended), where recorded


@dataclass(frozen=True)
class ErasureRequest:
    """An open /forgetme question: whose it is, and until when its yes button holds."""

    person_id: int
    created_at: dt.datetime
    expires_at: dt.datetime


@dataclass(frozen=True)
class ExpiredGroup:
    id: int
    title: str
    erase_events: EventErasure


@dataclass(frozen=True)
class NamingMessage:
    """An outbox row to someone else whose text names the person being erased."""

    id: int
    chat_id: int
    group_id: int | None
    purpose: Purpose
    status: OutboxStatus
    due_at: dt.datetime
    content: str
    recorded: bool  # found by its outbox_mentions row (else: written before they existed)
    name: str | None  # the name as written, when recorded


def months_after(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later; past the end of a shorter month, its last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def stand_in() -> str:
    """A key for what an erased person leaves in the figures: random, used once, never
    computed again and never shown by an export before."""
    return f"{ERASED}{secrets.token_hex(16)}"


def _rows(rows: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in rows]


def _without_text_mentions(value: Any, person_id: int) -> Any:
    """``value`` (parsed JSON content) without Telegram text mentions of the person: the
    entity goes (its user object holds their id, name and username), the text stays."""
    if isinstance(value, dict):
        return {
            key: (
                [
                    entity
                    for entity in item
                    if not (
                        isinstance(entity, dict)
                        and entity.get("type") == "text_mention"
                        and isinstance(entity.get("user"), dict)
                        and entity["user"].get("id") == person_id
                    )
                ]
                if key in ("entities", "caption_entities") and isinstance(item, list)
                else _without_text_mentions(item, person_id)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_without_text_mentions(item, person_id) for item in value]
    return value


class PrivacyRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def _all(self, sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        return _rows(await fetch_all(self._connection, sql, dict(params)))

    async def personal_data(self, person_id: int, pseudonym: str) -> dict[str, Any]:
        """Everything linked to the person, table by table, as plain values (``content``
        fields as stored: JSON text)."""
        who = {"id": person_id, "p": pseudonym}
        queries = {
            "person": "SELECT telegram_id, language, telegram_language, first_seen, last_seen, "
            "stopped_at FROM people WHERE telegram_id = :id",
            "roles": "SELECT o.name AS organisation, s.role, s.display_name, s.since, "
            "s.review_reminded_on FROM staff s "
            "JOIN organisations o ON o.id = s.organisation_id WHERE s.person_id = :id",
            "groups": "SELECT g.id AS group_id, g.title AS group_name, p.name, p.status, "
            "p.joined_at, p.left_at, p.confirmed_at FROM group_participants p "
            "JOIN groups g ON g.id = p.group_id WHERE p.person_id = :id ORDER BY g.id",
            "groups_led": "SELECT g.id AS group_id, g.title AS group_name, i.since "
            "FROM group_instructors i JOIN groups g ON g.id = i.group_id "
            "WHERE i.person_id = :id ORDER BY g.id",
            "consents": "SELECT o.name AS organisation, c.version, c.given_at, c.withdrawn_at "
            "FROM consents c JOIN organisations o ON o.id = c.organisation_id "
            "WHERE c.person_id = :id ORDER BY c.given_at",
            "invitations_used": "SELECT invitation_id, used_at FROM invitation_uses "
            "WHERE person_id = :id ORDER BY used_at",
            "check_ins": "SELECT c.group_id, m.number AS meeting, c.invited_at, c.confidence, "
            "c.ratings, c.rated_at, c.progress_mid, c.progress_end, c.shared_at FROM checkins c "
            "JOIN meetings m ON m.id = c.meeting_id WHERE c.pseudonym = :p ORDER BY c.id",
            "buddy_weeks": "SELECT group_id, week, made_at FROM buddy_pairs "
            "WHERE first = :p OR second = :p ORDER BY id",
            "surveys": "SELECT r.group_id, r.survey, r.round, s.invited_at, s.finished_at, "
            "s.reminded_at FROM survey_responses s JOIN survey_rounds r ON r.id = s.round_id "
            "WHERE s.pseudonym = :p ORDER BY s.invited_at, s.id",
            "survey_answers": "SELECT r.group_id, r.round, a.item, a.value, a.answered_at "
            "FROM survey_answers a JOIN survey_responses s ON s.id = a.response_id "
            "JOIN survey_rounds r ON r.id = s.round_id WHERE s.pseudonym = :p "
            "ORDER BY a.answered_at, a.item",
            "posts": "SELECT id, group_id, kind, named, author_name, status, created_at, "
            "decided_at, withdrawn_at, content FROM posts WHERE author_id = :id ORDER BY id",
            "tips_requested": "SELECT tip, group_id, at FROM tip_uses "
            "WHERE pseudonym = :p ORDER BY id",
            "weekly_counts": "SELECT group_id, week, messages, replies, reactions, taps, "
            "checkins, progress, broadcasts FROM weekly_activity WHERE pseudonym = :p "
            "ORDER BY group_id, week",
            "events": "SELECT at, group_id, kind, attributes FROM events WHERE pseudonym = :p "
            "ORDER BY id",
            "messages_to_you": "SELECT purpose, group_id, status, reason, created_at, due_at, "
            "finished_at, content FROM outbox WHERE chat_id = :id OR person_id = :id "
            "ORDER BY id",
            "messages_naming_you": "SELECT o.purpose, o.group_id, o.status, o.created_at, "
            "o.finished_at, m.name FROM outbox_mentions m JOIN outbox o ON o.id = m.outbox_id "
            "WHERE m.person_id = :id ORDER BY o.id",
            # what they did as staff
            "drafts": "SELECT step, targets, updated_at, content FROM drafts WHERE person_id = :id",
            "broadcasts": "SELECT id, status, send_at, created_at, finished_at, tip, content "
            "FROM broadcasts WHERE created_by = :id ORDER BY id",
            "tips_suggested": "SELECT id, theme, language, status, created_at, reviewed_at, "
            "content FROM contributions WHERE author_id = :id ORDER BY id",
            "tips_reviewed": "SELECT id, status, reviewed_at FROM contributions "
            "WHERE reviewed_by = :id ORDER BY id",
            "polls_made": "SELECT id, question, options, closes_at, status, created_at, "
            "sent_at, closed_at FROM polls WHERE created_by = :id ORDER BY id",
            "invitations_made": "SELECT i.id, o.name AS organisation, i.role, i.group_id, "
            "i.created_at, i.expires_at, i.max_uses, i.uses, i.revoked_at FROM invitations i "
            "JOIN organisations o ON o.id = i.organisation_id WHERE i.created_by = :id "
            "ORDER BY i.id",
            "groups_registered": "SELECT id AS group_id, title AS group_name, created_at "
            "FROM groups WHERE registered_by = :id ORDER BY id",
            "calendars_set": "SELECT group_id, updated_at FROM calendars WHERE set_by = :id "
            "ORDER BY group_id",
            "buddies_made": "SELECT group_id, week, COUNT(*) AS pairs, MIN(made_at) AS made_at "
            "FROM buddy_pairs WHERE made_by = :id GROUP BY group_id, week "
            "ORDER BY group_id, week",
            "privileged_actions": "SELECT at, action, target, details FROM audit_log "
            "WHERE actor_id = :id ORDER BY id",
            # an open /forgetme question (the file only: no line in the summary)
            "erasure_requests": "SELECT created_at, expires_at FROM erasure_requests "
            "WHERE person_id = :id ORDER BY created_at",
        }
        data = {name: await self._all(sql, who) for name, sql in queries.items()}
        for event in data["events"]:
            event["attributes"] = json.loads(event["attributes"] or "{}")
        for entry in data["privileged_actions"]:
            entry["details"] = json.loads(entry["details"] or "{}")
        for draft in data["drafts"]:
            draft["targets"] = json.loads(draft["targets"] or "[]")
        return data

    # Erasure -------------------------------------------------------------------------------

    async def names_of(self, person_id: int) -> set[str]:
        """Every name stored for the person: as each group knows them, as staff."""
        rows = await fetch_all(
            self._connection,
            "SELECT name FROM group_participants WHERE person_id = :id AND name IS NOT NULL "
            "UNION SELECT display_name FROM staff WHERE person_id = :id",
            {"id": person_id},
        )
        return {str(row[0]) for row in rows if row[0] and str(row[0]).strip()}

    async def messages_naming(self, person_id: int) -> list[NamingMessage]:
        """Outbox rows to other people that may name the person: those recorded in
        ``outbox_mentions``, and among rows written before mentions were recorded, buddy
        messages with a link to them and celebrations in their groups (the caller looks
        for their names in these)."""
        rows = await fetch_all(
            self._connection,
            """
            SELECT o.id, o.chat_id, o.group_id, o.purpose, o.status, o.due_at, o.content,
                   m.outbox_id IS NOT NULL AS recorded, m.name
            FROM outbox o
            LEFT JOIN outbox_mentions m ON m.outbox_id = o.id AND m.person_id = :id
            WHERE o.chat_id <> :id AND (o.person_id IS NULL OR o.person_id <> :id) AND (
                m.outbox_id IS NOT NULL
                OR (o.purpose = :checkin AND o.content LIKE :link)
                OR (o.purpose = :celebration AND o.group_id IN
                    (SELECT group_id FROM group_participants WHERE person_id = :id)))
            ORDER BY o.id
            """,
            {
                "id": person_id,
                "link": f'%"tg://user?id={int(person_id)}"%',
                "celebration": Purpose.CELEBRATION,
                "checkin": Purpose.CHECKIN,
            },
        )
        return [
            NamingMessage(
                id=int(row["id"]),
                chat_id=int(row["chat_id"]),
                group_id=None if row["group_id"] is None else int(row["group_id"]),
                purpose=Purpose(row["purpose"]),
                status=OutboxStatus(row["status"]),
                due_at=from_db(row["due_at"]),
                content=str(row["content"]),
                recorded=bool(row["recorded"]),
                name=row["name"],
            )
            for row in rows
        ]

    async def rewrite_message(
        self, row_id: int, content: str, *, withdraw: str | None, now: dt.datetime
    ) -> None:
        """A message that named an erased person gets ``content`` (without them); with
        ``withdraw`` (a reason key) a row still waiting is cancelled too."""
        await execute(
            self._connection,
            "UPDATE outbox SET content = :content WHERE id = :id",
            {"id": row_id, "content": content},
        )
        if withdraw is not None:
            await execute(
                self._connection,
                """
                UPDATE outbox SET status = 'cancelled', reason = :reason, finished_at = :now
                WHERE id = :id AND status = 'pending'
                """,
                {"id": row_id, "reason": withdraw, "now": to_db(now)},
            )

    async def drop_text_mentions(self, person_id: int) -> int:
        """Telegram text mentions of the person in stored contents (a broadcast, a draft,
        a contribution, an outbox row): the link goes, the words stay. Returns how many
        contents changed."""
        changed = 0
        needle = f'%"id":{int(person_id)}%'
        for table, key in _CONTENTS:
            rows = await fetch_all(
                self._connection,
                f"SELECT {key}, content FROM {table} "
                "WHERE content LIKE '%text_mention%' AND "
                "(content LIKE :needle OR content LIKE :spaced)",
                {"needle": needle, "spaced": f'%"id": {int(person_id)}%'},
            )
            for row in rows:
                before = json.loads(row[1])
                after = _without_text_mentions(before, person_id)
                if after != before:
                    await execute(
                        self._connection,
                        f"UPDATE {table} SET content = :content WHERE {key} = :key",
                        {"content": json.dumps(after, ensure_ascii=False), "key": row[0]},
                    )
                    changed += 1
        return changed

    async def erase(
        self,
        person_id: int,
        pseudonym: str,
        now: dt.datetime,
        *,
        delete_in: Collection[int],
        never_counted: bool,
    ) -> dict[str, int]:
        """Erase the person. What is theirs is deleted. What stays in the groups' figures
        keeps nothing that links it to them or together: each weekly roll-up row and each
        check-in under a ``stand_in()`` of its own (check-in times cut to the day), each
        membership as the days it began and ended. In the groups of ``delete_in`` (the
        organisation chose so) those go too, and so do roll-up rows that the statistics
        never counted (``never_counted``: an admin; staff; a group's own instructor). The
        events are deleted: their counts are in the roll-up. Returns how many rows of each
        kind went or were kept."""
        who = {"id": person_id, "p": pseudonym, "now": to_db(now), "chat": str(person_id)}
        c = self._connection
        removed: dict[str, int] = {}
        # (no group has the number 0: an empty list still makes IN and NOT IN work)
        deleting = ", ".join(str(int(group)) for group in sorted(delete_in)) or "0"
        for table, column, value in _THEIR_DOING:
            await execute(c, f"UPDATE {table} SET {column} = {value} WHERE {column} = :id", who)
        # the messages to them, and where they are named in messages to others (rewritten
        # by the caller before this) or in the shared pacing's bookings (PostgreSQL)
        theirs = "SELECT id FROM outbox WHERE person_id = :id OR chat_id = :id"
        await execute(
            c,
            f"DELETE FROM outbox_mentions WHERE person_id = :id OR outbox_id IN ({theirs})",
            who,
        )
        await execute(
            c, f"DELETE FROM sent_messages WHERE chat_id = :id OR outbox_id IN ({theirs})", who
        )
        removed["messages"] = await execute(c, f"DELETE FROM outbox WHERE id IN ({theirs})", who)
        await execute(c, "DELETE FROM send_slots WHERE chat = :chat", who)
        # their time in each group stays in the member counts, as two days
        removed["memberships_kept"] = await execute(
            c,
            f"""
            INSERT INTO erased_memberships (group_id, joined_on, left_on)
            SELECT p.group_id, substr(p.joined_at, 1, 10), substr(COALESCE(p.left_at, :now), 1, 10)
            FROM group_participants p
            WHERE p.person_id = :id AND p.group_id NOT IN ({deleting})
              AND NOT EXISTS (SELECT 1 FROM group_instructors i
                              WHERE i.group_id = p.group_id AND i.person_id = p.person_id)
            ORDER BY p.group_id
            """,
            who,
        )
        led = await fetch_all(
            c, "SELECT group_id FROM group_instructors WHERE person_id = :id", who
        )
        staff = await fetch_all(c, "SELECT 1 FROM staff WHERE person_id = :id", who)
        # a question to a reviewer about a rejection's reason: theirs, or about what they wrote
        await execute(
            c,
            "DELETE FROM reasons_awaited WHERE reviewer_id = :id OR contribution_id IN "
            "(SELECT id FROM contributions WHERE author_id = :id)",
            who,
        )
        # their posts: what they shared goes, from the posts and the rows that carried them
        # (those still waiting are cancelled); a library tip made from one goes too
        await forget_posts(
            c, "SELECT id FROM posts WHERE author_id = :id", who, "reason.post-withdrawn", now
        )
        saved = "SELECT contribution_id FROM posts WHERE author_id = :id"
        await execute(c, f"DELETE FROM reasons_awaited WHERE contribution_id IN ({saved})", who)
        tips = [
            row[0] for row in await fetch_all(c, f"{saved} AND contribution_id IS NOT NULL", who)
        ]
        # what is kept of their posts is the fact, each time cut to its day (as check-ins')
        await execute(
            c,
            f"UPDATE posts SET created_at = {_DAY.format('created_at')}, "
            f"decided_at = {_DAY.format('decided_at')}, "
            f"withdrawn_at = {_DAY.format('withdrawn_at')} WHERE author_id = :id",
            who,
        )
        removed["posts"] = await execute(
            c,
            "UPDATE posts SET status = CASE WHEN status IN ('pending', 'approved') "
            "THEN 'withdrawn' ELSE status END, "
            "withdrawn_at = CASE WHEN status IN ('pending', 'approved') THEN :today "
            "ELSE withdrawn_at END, content = NULL, author_name = NULL, contribution_id = NULL, "
            "library_theme = NULL, author_id = NULL WHERE author_id = :id",
            {**who, "today": to_db(now)[:10] + "T00:00:00.000000+00:00"},
        )
        for tip in tips:
            await stop_sending(c, int(tip), now)
            await execute(c, "DELETE FROM contributions WHERE id = :tip", {"tip": tip})
        # the polls they composed: their drafts go, the others no longer name them
        await execute(c, "DELETE FROM polls WHERE created_by = :id AND status = 'draft'", who)
        await execute(c, "UPDATE polls SET created_by = NULL WHERE created_by = :id", who)
        # a library tip they made from a participant's post goes with their tips: the post
        # no longer points at it
        await execute(
            c,
            "UPDATE posts SET contribution_id = NULL WHERE contribution_id IN "
            "(SELECT id FROM contributions WHERE author_id = :id)",
            who,
        )
        for table, column in _BY_PERSON:
            removed[table] = await execute(c, f"DELETE FROM {table} WHERE {column} = :id", who)
        removed["person"] = await execute(c, "DELETE FROM people WHERE telegram_id = :id", who)
        # check-ins: counted in the week's figures, each under a stand-in of its own
        removed["check_ins"] = await execute(
            c, f"DELETE FROM checkins WHERE pseudonym = :p AND group_id IN ({deleting})", who
        )
        kept = await fetch_all(c, "SELECT id FROM checkins WHERE pseudonym = :p ORDER BY id", who)
        await c.execute_many(
            f"UPDATE checkins SET pseudonym = ?, invited_at = {_DAY.format('invited_at')}, "
            f"rated_at = {_DAY.format('rated_at')}, shared_at = {_DAY.format('shared_at')} "
            "WHERE id = ?",
            [(stand_in(), row[0]) for row in kept],
        )
        removed["check_ins_kept"] = len(kept)
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
        removed["events"] = await execute(c, "DELETE FROM events WHERE pseudonym = :p", who)
        # the weekly roll-up: each (group, week) row under a stand-in of its own
        uncounted = {int(row[0]) for row in led} | {int(g) for g in delete_in}
        if never_counted or staff:
            await execute(c, "DELETE FROM weekly_activity WHERE pseudonym = :p", who)
        elif uncounted:
            groups = ", ".join(str(group) for group in sorted(uncounted))
            await execute(
                c,
                f"DELETE FROM weekly_activity WHERE pseudonym = :p AND group_id IN ({groups})",
                who,
            )
        weeks = await fetch_all(
            c,
            "SELECT group_id, week FROM weekly_activity WHERE pseudonym = :p "
            "ORDER BY group_id, week",
            who,
        )
        await c.execute_many(
            "UPDATE weekly_activity SET pseudonym = ? "
            "WHERE group_id = ? AND week = ? AND pseudonym = ?",
            [(stand_in(), row[0], row[1], pseudonym) for row in weeks],
        )
        removed["weeks_kept"] = len(weeks)
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
        survey answers, what its participants shared in posts and the texts of messages that
        went out go; events and the roll-up
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
        await execute(c, f"DELETE FROM outbox_mentions WHERE outbox_id IN ({finished})", g)
        await execute(c, f"DELETE FROM sent_messages WHERE outbox_id IN ({finished})", g)
        await execute(
            c, f"UPDATE poll_groups SET outbox_id = NULL WHERE outbox_id IN ({finished})", g
        )
        # its participants' posts keep only the fact: what they shared and who goes (the
        # rows still carrying them are cancelled and emptied); one still waiting expires;
        # each author becomes a stand-in of this group, so the months' sharers still count
        await forget_posts(
            c, "SELECT id FROM posts WHERE group_id = :g", g, "reason.post-expired", now
        )
        authors = await fetch_all(
            c,
            "SELECT DISTINCT author_id FROM posts WHERE group_id = :g AND author_id > 0 "
            "ORDER BY author_id",
            g,
        )
        await c.execute_many(
            "UPDATE posts SET author_id = ? WHERE group_id = ? AND author_id = ?",
            # negative: never a Telegram id; unique across groups (posts are unique by
            # author and source message)
            [(-(group.id * 100_000 + n), group.id, row[0]) for n, row in enumerate(authors, 1)],
        )
        removed["posts"] = await execute(
            c,
            "UPDATE posts SET status = CASE WHEN status = 'pending' THEN 'expired' "
            "ELSE status END, decided_at = CASE WHEN status = 'pending' THEN :now "
            "ELSE decided_at END, content = NULL, author_name = NULL, library_theme = NULL "
            "WHERE group_id = :g AND content IS NOT NULL",
            g,
        )
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
        channel: AuditChannel | None = None,
        /,
        *,
        subject_id: int | None = None,
        **details: object,
    ) -> int:
        """A privileged action: when, who (a Telegram id; 0 or None the command line or a
        job; a negative stand-in for an erased person), what, on what, where it was asked
        for, whom it was about (a Telegram id, replaced like the actor's on their erasure),
        and its details (plain values, stored as JSON)."""
        return await insert(
            self._connection,
            "INSERT INTO audit_log (at, actor_id, action, target, details, channel, subject_id) "
            "VALUES (:at, :actor, :action, :target, :details, :channel, :subject) RETURNING id",
            {
                "at": to_db(at),
                "actor": actor_id,
                "action": action,
                "target": target,
                "channel": channel,
                "subject": subject_id,
                "details": json.dumps(details, separators=(",", ":"), sort_keys=True)
                if details
                else None,
            },
        )

    async def replace_actor(self, actor_id: int, stand_in: int) -> int:
        """An erased person's privileged actions, and those about them, keep a stand-in for
        them (the log stays a record of what one actor did, and to whom, without their
        Telegram id). Returns how many entries they acted in."""
        await execute(
            self._connection,
            "UPDATE audit_log SET subject_id = :stand_in WHERE subject_id = :id",
            {"id": actor_id, "stand_in": stand_in},
        )
        return await execute(
            self._connection,
            "UPDATE audit_log SET actor_id = :stand_in WHERE actor_id = :id",
            {"id": actor_id, "stand_in": stand_in},
        )

    async def latest(self, limit: int, *, action: str | None = None) -> list[AuditEntry]:
        rows = await fetch_all(
            self._connection,
            """
            SELECT id, at, actor_id, action, target, details, channel, subject_id FROM audit_log
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


class ErasureRequestRepository:
    """Open /forgetme questions, by the SHA-256 of their token (the token itself is only in
    the question's buttons). A row is an open request: using, declining or replacing it
    deletes it."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def open(
        self, person_id: int, token_hash: str, now: dt.datetime, expires_at: dt.datetime
    ) -> None:
        """The person's new request; any older one of theirs is closed (deleted) with it."""
        await execute(
            self._connection,
            "DELETE FROM erasure_requests WHERE person_id = :id",
            {"id": person_id},
        )
        await execute(
            self._connection,
            "INSERT INTO erasure_requests (token_hash, person_id, created_at, expires_at) "
            "VALUES (:hash, :id, :now, :expires)",
            {"hash": token_hash, "id": person_id, "now": to_db(now), "expires": to_db(expires_at)},
        )

    async def get(self, token_hash: str) -> ErasureRequest | None:
        row = await fetch_one(
            self._connection,
            "SELECT person_id, created_at, expires_at FROM erasure_requests "
            "WHERE token_hash = :hash",
            {"hash": token_hash},
        )
        return None if row is None else to_model(ErasureRequest, row)

    async def close(self, token_hash: str) -> bool:
        """Delete the request; False if it was not there (any more: another press took it)."""
        deleted = await execute(
            self._connection,
            "DELETE FROM erasure_requests WHERE token_hash = :hash",
            {"hash": token_hash},
        )
        return deleted == 1

    async def drop_expired(self, now: dt.datetime) -> int:
        """Requests whose time ran out without an answer; returns how many went."""
        return await execute(
            self._connection,
            "DELETE FROM erasure_requests WHERE expires_at <= :now",
            {"now": to_db(now)},
        )
