"""Broadcasts (what was sent, when, by whom) and composers' drafts."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from storage.rows import execute, fetch_all, fetch_one, insert, to_model, to_models
from storage.sql import Connection
from storage.states import BroadcastStatus, DraftStep
from storage.timestamps import to_db


@dataclass(frozen=True)
class Broadcast:
    id: int
    created_by: int | None
    content: str
    send_at: dt.datetime
    status: BroadcastStatus
    created_at: dt.datetime
    finished_at: dt.datetime | None
    tip: str | None = None


@dataclass(frozen=True)
class Draft:
    person_id: int
    content: str
    targets: str
    step: DraftStep
    media_group_id: str | None
    updated_at: dt.datetime
    tip: str | None = None

    @property
    def target_ids(self) -> list[int]:
        return [int(value) for value in json.loads(self.targets)]


_BROADCAST = "id, created_by, content, send_at, status, created_at, finished_at, tip"
_DRAFT = "person_id, content, targets, step, media_group_id, updated_at, tip"


class BroadcastRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def create(
        self,
        *,
        created_by: int | None,
        content: str,
        send_at: dt.datetime,
        now: dt.datetime,
        tip: str | None = None,
    ) -> Broadcast:
        status = BroadcastStatus.SCHEDULED if send_at > now else BroadcastStatus.SENDING
        new_id = await insert(
            self._connection,
            """
            INSERT INTO broadcasts (created_by, content, send_at, status, created_at, tip)
            VALUES (:created_by, :content, :send_at, :status, :now, :tip) RETURNING id
            """,
            {
                "tip": tip,
                "created_by": created_by,
                "content": content,
                "send_at": to_db(send_at),
                "status": status,
                "now": to_db(now),
            },
        )
        broadcast = await self.get(new_id)
        assert broadcast is not None
        return broadcast

    async def get(self, broadcast_id: int) -> Broadcast | None:
        row = await fetch_one(
            self._connection,
            f"SELECT {_BROADCAST} FROM broadcasts WHERE id = :id",
            {"id": broadcast_id},
        )
        return None if row is None else to_model(Broadcast, row)

    async def set_status(
        self, broadcast_id: int, status: BroadcastStatus, now: dt.datetime | None = None
    ) -> None:
        await execute(
            self._connection,
            "UPDATE broadcasts SET status = :status, finished_at = :now WHERE id = :id",
            {"id": broadcast_id, "status": status, "now": to_db(now) if now else None},
        )

    async def withdraw_scheduled(
        self, created_by: int, group_id: int | None, reason: str, now: dt.datetime
    ) -> int:
        """The sender's scheduled broadcasts no longer go to ``group_id`` (None: anywhere):
        those rows are cancelled with ``reason``, and a broadcast left with nothing to send
        is cancelled. Returns how many rows were cancelled."""
        params = {"by": created_by, "group": group_id, "reason": reason, "now": to_db(now)}
        cancelled = await execute(
            self._connection,
            """
            UPDATE outbox SET status = 'cancelled', reason = :reason, finished_at = :now
            WHERE status = 'pending'
              AND (CAST(:group AS BIGINT) IS NULL OR group_id = :group)
              AND broadcast_id IN (
                  SELECT id FROM broadcasts WHERE created_by = :by AND status = 'scheduled'
              )
            """,
            params,
        )
        await execute(
            self._connection,
            """
            UPDATE broadcasts SET status = 'cancelled', finished_at = :now
            WHERE created_by = :by AND status = 'scheduled'
              AND NOT EXISTS (
                  SELECT 1 FROM outbox o WHERE o.broadcast_id = broadcasts.id
                    AND o.status = 'pending'
              )
            """,
            {"by": created_by, "now": to_db(now)},
        )
        return cancelled

    async def scheduled(self, created_by: int | None) -> list[Broadcast]:
        """Scheduled broadcasts (of one sender, or all when ``created_by`` is None)."""
        mine = "" if created_by is None else "AND created_by = :created_by"
        rows = await fetch_all(
            self._connection,
            f"SELECT {_BROADCAST} FROM broadcasts WHERE status = 'scheduled' {mine} "
            "ORDER BY send_at",
            {"created_by": created_by} if created_by is not None else {},
        )
        return to_models(Broadcast, rows)

    async def recent(self, created_by: int | None, limit: int) -> list[Broadcast]:
        """The latest broadcasts made (of one sender, or all when ``created_by`` is None),
        whatever their status: one still waiting is among them."""
        mine = "" if created_by is None else "WHERE created_by = :created_by"
        params: dict[str, object] = {"limit": limit}
        if created_by is not None:
            params["created_by"] = created_by
        rows = await fetch_all(
            self._connection,
            f"SELECT {_BROADCAST} FROM broadcasts {mine} "
            "ORDER BY created_at DESC, id DESC LIMIT :limit",
            params,
        )
        return to_models(Broadcast, rows)

    async def start_due(self, now: dt.datetime) -> None:
        """Scheduled broadcasts whose time has come are now sending."""
        await execute(
            self._connection,
            """
            UPDATE broadcasts SET status = 'sending'
            WHERE status = 'scheduled' AND send_at <= :now
            """,
            {"now": to_db(now)},
        )

    # Drafts ----------------------------------------------------------------------------------

    async def draft(self, person_id: int) -> Draft | None:
        row = await fetch_one(
            self._connection,
            f"SELECT {_DRAFT} FROM drafts WHERE person_id = :id",
            {"id": person_id},
        )
        return None if row is None else to_model(Draft, row)

    async def save_draft(
        self,
        person_id: int,
        *,
        content: str,
        targets: list[int],
        step: DraftStep,
        media_group_id: str | None,
        now: dt.datetime,
        tip: str | None = None,
    ) -> Draft:
        await execute(
            self._connection,
            """
            INSERT INTO drafts (person_id, content, targets, step, media_group_id, updated_at, tip)
            VALUES (:id, :content, :targets, :step, :media_group_id, :now, :tip)
            ON CONFLICT (person_id) DO UPDATE SET
                content = excluded.content, targets = excluded.targets, step = excluded.step,
                media_group_id = excluded.media_group_id, updated_at = excluded.updated_at,
                tip = excluded.tip
            """,
            {
                "tip": tip,
                "id": person_id,
                "content": content,
                "targets": json.dumps(sorted(set(targets))),
                "step": step,
                "media_group_id": media_group_id,
                "now": to_db(now),
            },
        )
        draft = await self.draft(person_id)
        assert draft is not None
        return draft

    async def drop_draft(self, person_id: int) -> None:
        await execute(
            self._connection, "DELETE FROM drafts WHERE person_id = :id", {"id": person_id}
        )
