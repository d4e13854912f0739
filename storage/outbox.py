"""The outbox: one row per message and target chat, written with its cause, drained by the
sender. States: pending -> sending -> sent | failed, or cancelled; a row found in
``sending`` at start-up was in flight at a crash and goes back to pending."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from storage.posts import EMPTIED
from storage.presence import PRESENCE
from storage.rows import execute, fetch_all, fetch_one, insert, to_model, to_models
from storage.sql import Connection
from storage.states import OutboxStatus, Purpose
from storage.timestamps import from_db, to_db


@dataclass(frozen=True)
class OutboxRow:
    id: int
    chat_id: int
    group_id: int | None
    person_id: int | None
    broadcast_id: int | None
    purpose: Purpose
    content: str
    status: OutboxStatus
    attempts: int
    due_at: dt.datetime
    reason: str | None
    message_ids: str | None
    created_at: dt.datetime
    finished_at: dt.datetime | None
    # the tip it carries ('lib:<id>' or 'own:<n>'): counted as used when it is delivered
    tip: str | None = None
    # the participant's post it carries: emptied and cancelled when the post goes
    post_id: int | None = None


@dataclass(frozen=True)
class Tally:
    """How a broadcast's rows stand."""

    total: int
    sent: int
    failed: int
    cancelled: int
    open: int


_COLUMNS = (
    "id, chat_id, group_id, person_id, broadcast_id, purpose, content, status, attempts, "
    "due_at, reason, message_ids, created_at, finished_at, tip, post_id"
)


# PostgreSQL: is the instance with this presence key alive (does its session hold the
# presence lock, storage/leadership.py)?
_PRESENT = (
    "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2 "
    f"AND classid = {PRESENCE} AND CAST(objid AS BIGINT) = {{key}}"
)


class OutboxRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def add(
        self,
        *,
        chat_id: int,
        purpose: Purpose,
        content: str,
        due_at: dt.datetime,
        now: dt.datetime,
        group_id: int | None = None,
        person_id: int | None = None,
        broadcast_id: int | None = None,
        tip: str | None = None,
        post_id: int | None = None,
        names: Sequence[tuple[int, str | None]] = (),
    ) -> int:
        """A new pending row; ``names`` are the people its text names (their Telegram id
        and the name as written), so that an erasure finds it (``outbox_mentions``)."""
        row_id = await insert(
            self._connection,
            """
            INSERT INTO outbox (chat_id, group_id, person_id, broadcast_id, purpose, content,
                                status, due_at, created_at, tip, post_id)
            VALUES (:chat_id, :group_id, :person_id, :broadcast_id, :purpose, :content,
                    'pending', :due_at, :now, :tip, :post)
            RETURNING id
            """,
            {
                "tip": tip,
                "post": post_id,
                "chat_id": chat_id,
                "group_id": group_id,
                "person_id": person_id,
                "broadcast_id": broadcast_id,
                "purpose": purpose,
                "content": content,
                "due_at": to_db(due_at),
                "now": to_db(now),
            },
        )
        for named, name in names:
            await execute(
                self._connection,
                """
                INSERT INTO outbox_mentions (outbox_id, person_id, name)
                VALUES (:row, :person, :name) ON CONFLICT (outbox_id, person_id) DO NOTHING
                """,
                {"row": row_id, "person": named, "name": name},
            )
        return row_id

    async def due(self, now: dt.datetime, limit: int) -> list[OutboxRow]:
        rows = await fetch_all(
            self._connection,
            f"""
            SELECT {_COLUMNS} FROM outbox
            WHERE status = 'pending' AND due_at <= :now
            ORDER BY purpose = 'broadcast', due_at, id LIMIT :limit
            """,
            {"now": to_db(now), "limit": limit},
        )
        return to_models(OutboxRow, rows)

    async def next_due_at(self) -> dt.datetime | None:
        row = await fetch_one(
            self._connection, "SELECT MIN(due_at) FROM outbox WHERE status = 'pending'", {}
        )
        return None if row is None or row[0] is None else from_db(row[0])

    async def get(self, row_id: int) -> OutboxRow | None:
        row = await fetch_one(
            self._connection, f"SELECT {_COLUMNS} FROM outbox WHERE id = :id", {"id": row_id}
        )
        return None if row is None else to_model(OutboxRow, row)

    async def start_sending(self, row_id: int, claimant: int | None = None) -> bool:
        """Mark in flight (one more attempt); False if it is no longer pending. With several
        instances, ``claimant`` (this instance's presence key) is recorded, and the claim
        holds only while that instance is present (its database session lives)."""
        if claimant is None:
            changed = await execute(
                self._connection,
                """
                UPDATE outbox SET status = 'sending', attempts = attempts + 1
                WHERE id = :id AND status = 'pending'
                """,
                {"id": row_id},
            )
        else:
            changed = await execute(
                self._connection,
                f"""
                UPDATE outbox SET status = 'sending', attempts = attempts + 1, claimed_by = :me
                WHERE id = :id AND status = 'pending' AND EXISTS ({_PRESENT.format(key=":me")})
                """,
                {"id": row_id, "me": claimant},
            )
        return changed > 0

    async def sent(self, row_id: int, message_ids: list[int], now: dt.datetime) -> bool:
        """Telegram took the row: it is sent, and what it became is remembered. False when
        the row was cancelled while in flight (a post withdrawn meanwhile): nothing is
        recorded, and the sender deletes what Telegram made of it."""
        row = await self.get(row_id)
        if row is None:  # deleted while in flight (an erasure of the person it went to)
            return False
        changed = await execute(
            self._connection,
            """
            UPDATE outbox SET status = 'sent', message_ids = :ids, finished_at = :now,
                              reason = NULL
            WHERE id = :id AND status = 'sending'
            """,
            {"id": row_id, "ids": json.dumps(message_ids), "now": to_db(now)},
        )
        if not changed:
            return False
        for message_id in message_ids:
            await execute(
                self._connection,
                """
                INSERT INTO sent_messages (chat_id, message_id, outbox_id, broadcast_id, sent_at)
                VALUES (:chat, :message, :outbox, :broadcast, :now)
                ON CONFLICT (chat_id, message_id) DO NOTHING
                """,
                {
                    "chat": row.chat_id,
                    "message": message_id,
                    "outbox": row_id,
                    "broadcast": row.broadcast_id,
                    "now": to_db(now),
                },
            )
        return True

    async def failed(self, row_id: int, reason: str, now: dt.datetime) -> None:
        await execute(
            self._connection,
            """
            UPDATE outbox SET status = 'failed', reason = :reason, finished_at = :now
            WHERE id = :id AND status IN ('pending', 'sending')
            """,
            {"id": row_id, "reason": reason, "now": to_db(now)},
        )

    async def retry_at(self, row_id: int, due_at: dt.datetime, reason: str) -> None:
        await execute(
            self._connection,
            "UPDATE outbox SET status = 'pending', due_at = :due, reason = :reason "
            "WHERE id = :id AND status = 'sending'",
            {"id": row_id, "due": to_db(due_at), "reason": reason},
        )

    async def retarget(self, row_id: int, chat_id: int) -> None:
        """The group moved (became a supergroup): send to its new id right away."""
        await execute(
            self._connection,
            "UPDATE outbox SET status = 'pending', chat_id = :chat "
            "WHERE id = :id AND status = 'sending'",
            {"id": row_id, "chat": chat_id},
        )

    async def give_back_attempt(self, row_id: int) -> None:
        """A 429 is Telegram pacing us, not the row failing: the attempt does not count."""
        await execute(
            self._connection,
            "UPDATE outbox SET attempts = attempts - 1 WHERE id = :id AND attempts > 0",
            {"id": row_id},
        )

    async def requeue_in_flight(self) -> int:
        """When this instance starts sending: rows a crash left in flight go out again (they
        may repeat). With several instances, only those of instances no longer present."""
        if self._connection.dialect == "sqlite":
            return await execute(
                self._connection,
                "UPDATE outbox SET status = 'pending' WHERE status = 'sending'",
                {},
            )
        return await execute(
            self._connection,
            f"""
            UPDATE outbox SET status = 'pending'
            WHERE status = 'sending'
              AND (claimed_by IS NULL OR NOT EXISTS ({_PRESENT.format(key="claimed_by")}))
            """,
            {},
        )

    async def cancel_broadcast(self, broadcast_id: int, reason: str, now: dt.datetime) -> int:
        return await execute(
            self._connection,
            """
            UPDATE outbox SET status = 'cancelled', reason = :reason, finished_at = :now
            WHERE broadcast_id = :id AND status = 'pending'
            """,
            {"id": broadcast_id, "reason": reason, "now": to_db(now)},
        )

    async def cancel_row(self, row_id: int, reason: str, now: dt.datetime) -> bool:
        """One row that has not left yet will not (False: it has, or is on its way)."""
        return (
            await execute(
                self._connection,
                """
                UPDATE outbox SET status = 'cancelled', reason = :reason, finished_at = :now
                WHERE id = :id AND status = 'pending'
                """,
                {"id": row_id, "reason": reason, "now": to_db(now)},
            )
            > 0
        )

    async def forget_post(self, post_id: int, reason: str, now: dt.datetime) -> list[OutboxRow]:
        """A post rejected, withdrawn or expired: ``forget_posts`` for it. Returns the rows
        as they were sent (their ``message_ids``, to delete in Telegram)."""
        await forget_posts(self._connection, ":post", {"post": post_id}, reason, now)
        return await self.sent_of_post(post_id)

    async def sent_of_post(self, post_id: int) -> list[OutboxRow]:
        """The rows that carried a post and reached Telegram (its copies there)."""
        rows = await fetch_all(
            self._connection,
            f"SELECT {_COLUMNS} FROM outbox WHERE post_id = :post AND status = 'sent' ORDER BY id",
            {"post": post_id},
        )
        return to_models(OutboxRow, rows)

    async def cancel_chat(self, chat_id: int, reason: str, now: dt.datetime) -> list[OutboxRow]:
        """Nothing more goes to a chat that removed or blocked the bot: its pending rows
        fail with ``reason``; returns them as they are now, in order."""
        rows = await fetch_all(
            self._connection,
            f"""
            UPDATE outbox SET status = 'failed', reason = :reason, finished_at = :now
            WHERE chat_id = :chat AND status = 'pending'
            RETURNING {_COLUMNS}
            """,
            {"chat": chat_id, "reason": reason, "now": to_db(now)},
        )
        return sorted(to_models(OutboxRow, rows), key=lambda row: row.id)

    async def tally(self, broadcast_id: int) -> Tally:
        row = await fetch_one(
            self._connection,
            """
            SELECT COUNT(*),
                   COALESCE(SUM(CASE WHEN status = 'sent' THEN 1 ELSE 0 END), 0),
                   COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0),
                   COALESCE(SUM(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END), 0),
                   COALESCE(SUM(CASE WHEN status IN ('pending', 'sending') THEN 1 ELSE 0 END), 0)
            FROM outbox WHERE broadcast_id = :id AND purpose = 'broadcast'
            """,
            {"id": broadcast_id},
        )
        return Tally(*(int(value) for value in row))

    async def of_broadcast(self, broadcast_id: int) -> list[OutboxRow]:
        rows = await fetch_all(
            self._connection,
            f"""
            SELECT {_COLUMNS} FROM outbox
            WHERE broadcast_id = :id AND purpose = 'broadcast' ORDER BY id
            """,
            {"id": broadcast_id},
        )
        return to_models(OutboxRow, rows)

    async def of_chat(self, chat_id: int, limit: int = 50) -> list[OutboxRow]:
        """The newest rows to one chat, oldest first (for support and tests)."""
        rows = await fetch_all(
            self._connection,
            f"""
            SELECT {_COLUMNS} FROM outbox WHERE chat_id = :chat
            ORDER BY id DESC LIMIT :limit
            """,
            {"chat": chat_id, "limit": limit},
        )
        return to_models(OutboxRow, rows)[::-1]

    async def counts(self) -> dict[OutboxStatus, int]:
        rows = await fetch_all(
            self._connection, "SELECT status, COUNT(*) FROM outbox GROUP BY status", {}
        )
        return {OutboxStatus(row[0]): int(row[1]) for row in rows}

    # Reception: reactions and replies to what was sent -----------------------------------

    async def count_reaction(self, chat_id: int, message_id: int, change: int) -> bool:
        """A person added (+1) or removed (-1) reactions on a message we sent."""
        changed = await execute(
            self._connection,
            """
            UPDATE sent_messages
            SET reactions = CASE WHEN reactions + :change < 0 THEN 0 ELSE reactions + :change END
            WHERE chat_id = :chat AND message_id = :message
            """,
            {"chat": chat_id, "message": message_id, "change": change},
        )
        return changed > 0

    async def set_reactions(self, chat_id: int, message_id: int, total: int) -> bool:
        """Telegram's own count of (anonymous) reactions on a message we sent."""
        changed = await execute(
            self._connection,
            """
            UPDATE sent_messages SET reactions = :total
            WHERE chat_id = :chat AND message_id = :message
            """,
            {"chat": chat_id, "message": message_id, "total": total},
        )
        return changed > 0

    async def count_reply(self, chat_id: int, message_id: int) -> bool:
        changed = await execute(
            self._connection,
            """
            UPDATE sent_messages SET replies = replies + 1
            WHERE chat_id = :chat AND message_id = :message
            """,
            {"chat": chat_id, "message": message_id},
        )
        return changed > 0

    async def reception(self, broadcast_id: int) -> tuple[int, int]:
        """(reactions, replies) to a broadcast's messages in all its groups."""
        row = await fetch_one(
            self._connection,
            """
            SELECT COALESCE(SUM(reactions), 0), COALESCE(SUM(replies), 0)
            FROM sent_messages WHERE broadcast_id = :id
            """,
            {"id": broadcast_id},
        )
        return int(row[0]), int(row[1])


async def forget_posts(
    connection: Connection, posts: str, params: Mapping[str, object], reason: str, now: dt.datetime
) -> None:
    """Participants' posts that went (``posts``: SQL naming their ids, with ``params``):
    the rows that carried them are emptied, and those still waiting or in flight cancelled
    with ``reason`` (one in flight that Telegram takes is then deleted by the sender: see
    ``sent``)."""
    both = {**params, "reason": reason, "now": to_db(now), "emptied": EMPTIED}
    await execute(
        connection,
        f"""
        UPDATE outbox SET status = 'cancelled', reason = :reason, finished_at = :now
        WHERE status IN ('pending', 'sending') AND post_id IN ({posts})
        """,
        both,
    )
    await execute(
        connection, f"UPDATE outbox SET content = :emptied WHERE post_id IN ({posts})", both
    )
