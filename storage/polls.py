"""Staff's polls and where each went (``bot/services/polls.py`` says what each step means).
Only counts are stored: an anonymous poll never tells who voted."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from storage.rows import execute, fetch_all, fetch_one, insert, to_model, to_models
from storage.sql import Connection
from storage.states import PollGroupStatus, PollStatus
from storage.timestamps import to_db


@dataclass(frozen=True)
class Poll:
    id: int
    created_by: int | None
    question: str
    options: str  # JSON list of the option texts
    closes_at: dt.datetime
    status: PollStatus
    targets: str  # JSON list of the group ids ticked while a draft
    created_at: dt.datetime
    sent_at: dt.datetime | None
    closed_at: dt.datetime | None

    @property
    def option_texts(self) -> list[str]:
        return [str(option) for option in json.loads(self.options)]

    @property
    def target_ids(self) -> list[int]:
        return [int(group) for group in json.loads(self.targets)]


@dataclass(frozen=True)
class PollGroup:
    poll_id: int
    group_id: int
    outbox_id: int | None
    chat_id: int | None
    message_id: int | None
    status: PollGroupStatus
    voters: int | None
    counts: str | None  # JSON list, one count per option, once closed

    @property
    def option_counts(self) -> list[int] | None:
        return None if self.counts is None else [int(n) for n in json.loads(self.counts)]


_POLL = (
    "id, created_by, question, options, closes_at, status, targets, created_at, sent_at, closed_at"
)
_GROUP = "poll_id, group_id, outbox_id, chat_id, message_id, status, voters, counts"


class PollRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def draft(
        self,
        *,
        created_by: int,
        question: str,
        options: list[str],
        closes_at: dt.datetime,
        now: dt.datetime,
    ) -> int:
        """A new draft; the composer's older drafts go (one at a time, like a broadcast's)."""
        await execute(
            self._connection,
            "DELETE FROM polls WHERE created_by = :by AND status = 'draft'",
            {"by": created_by},
        )
        return await insert(
            self._connection,
            """
            INSERT INTO polls (created_by, question, options, closes_at, status, targets,
                               created_at)
            VALUES (:by, :question, :options, :closes, 'draft', '[]', :now)
            RETURNING id
            """,
            {
                "by": created_by,
                "question": question,
                "options": json.dumps(options, ensure_ascii=False),
                "closes": to_db(closes_at),
                "now": to_db(now),
            },
        )

    async def get(self, poll_id: int) -> Poll | None:
        row = await fetch_one(
            self._connection, f"SELECT {_POLL} FROM polls WHERE id = :id", {"id": poll_id}
        )
        return None if row is None else to_model(Poll, row)

    async def set_targets(self, poll_id: int, targets: list[int]) -> None:
        await execute(
            self._connection,
            "UPDATE polls SET targets = :targets WHERE id = :id AND status = 'draft'",
            {"id": poll_id, "targets": json.dumps(sorted(set(targets)))},
        )

    async def set_status(
        self, poll_id: int, status: PollStatus, now: dt.datetime, *, was: PollStatus
    ) -> bool:
        """Move the poll on from ``was`` (False when it was no longer there)."""
        column = {PollStatus.OPEN: "sent_at", PollStatus.CLOSED: "closed_at"}.get(status)
        moment = f", {column} = :now" if column else ""
        return (
            await execute(
                self._connection,
                f"UPDATE polls SET status = :status{moment} WHERE id = :id AND status = :was",
                {"id": poll_id, "status": status, "was": was, "now": to_db(now)},
            )
            > 0
        )

    async def add_group(self, poll_id: int, group_id: int, outbox_id: int) -> None:
        await execute(
            self._connection,
            """
            INSERT INTO poll_groups (poll_id, group_id, outbox_id, status)
            VALUES (:poll, :group, :outbox, 'sending')
            """,
            {"poll": poll_id, "group": group_id, "outbox": outbox_id},
        )

    async def groups_of(self, poll_id: int) -> list[PollGroup]:
        rows = await fetch_all(
            self._connection,
            f"SELECT {_GROUP} FROM poll_groups WHERE poll_id = :poll ORDER BY group_id",
            {"poll": poll_id},
        )
        return to_models(PollGroup, rows)

    async def delivered(self, outbox_id: int, chat_id: int, message_id: int) -> bool:
        return (
            await execute(
                self._connection,
                """
                UPDATE poll_groups SET status = 'open', chat_id = :chat, message_id = :message
                WHERE outbox_id = :outbox AND status = 'sending'
                """,
                {"outbox": outbox_id, "chat": chat_id, "message": message_id},
            )
            > 0
        )

    async def not_delivered(self, outbox_id: int) -> bool:
        return (
            await execute(
                self._connection,
                "UPDATE poll_groups SET status = 'failed' "
                "WHERE outbox_id = :outbox AND status = 'sending'",
                {"outbox": outbox_id},
            )
            > 0
        )

    async def due(self, now: dt.datetime) -> list[Poll]:
        """Open polls whose end time has come."""
        rows = await fetch_all(
            self._connection,
            f"""
            SELECT {_POLL} FROM polls WHERE status = 'open' AND closes_at <= :now
            ORDER BY closes_at, id
            """,
            {"now": to_db(now)},
        )
        return to_models(Poll, rows)

    async def claim_closing(
        self, poll_id: int, group_id: int, now: dt.datetime, stale: dt.datetime
    ) -> bool:
        """This instance closes the poll in this group: an open one, or one another
        instance claimed before ``stale`` and never finished (it crashed)."""
        return (
            await execute(
                self._connection,
                """
                UPDATE poll_groups SET status = 'closing', claimed_at = :now
                WHERE poll_id = :poll AND group_id = :group
                  AND (status = 'open' OR (status = 'closing' AND claimed_at < :stale))
                """,
                {"poll": poll_id, "group": group_id, "now": to_db(now), "stale": to_db(stale)},
            )
            > 0
        )

    async def release(self, poll_id: int, group_id: int) -> None:
        """Telegram could not be asked now (a pause, the network): closed at a later sweep."""
        await execute(
            self._connection,
            "UPDATE poll_groups SET status = 'open', claimed_at = NULL "
            "WHERE poll_id = :poll AND group_id = :group AND status = 'closing'",
            {"poll": poll_id, "group": group_id},
        )

    async def moved(self, poll_id: int, group_id: int, chat_id: int) -> None:
        """The group became a supergroup: its poll is there now."""
        await execute(
            self._connection,
            "UPDATE poll_groups SET chat_id = :chat WHERE poll_id = :poll AND group_id = :group",
            {"poll": poll_id, "group": group_id, "chat": chat_id},
        )

    async def never_sent(self, poll_id: int, group_id: int) -> bool:
        """Its end came before the poll reached the group: it will not go."""
        return (
            await execute(
                self._connection,
                "UPDATE poll_groups SET status = 'failed' "
                "WHERE poll_id = :poll AND group_id = :group AND status = 'sending'",
                {"poll": poll_id, "group": group_id},
            )
            > 0
        )

    async def closed(
        self, poll_id: int, group_id: int, voters: int | None, counts: list[int] | None
    ) -> bool:
        """The poll is closed in this group: its counts (None: Telegram gave none). Counts
        are recorded even over a failure another instance recorded after taking over a
        stalled claim (its stop was refused because this one's went through); a failure
        only while the row is being closed. False when nothing changed."""
        closable = "('closing', 'failed')" if counts is not None else "('closing')"
        return (
            await execute(
                self._connection,
                f"""
            UPDATE poll_groups SET status = :status, voters = :voters, counts = :counts
            WHERE poll_id = :poll AND group_id = :group AND status IN {closable}
            """,
                {
                    "poll": poll_id,
                    "group": group_id,
                    "status": PollGroupStatus.FAILED if counts is None else PollGroupStatus.CLOSED,
                    "voters": voters,
                    "counts": None if counts is None else json.dumps(counts),
                },
            )
            > 0
        )

    async def closed_in(self, group_ids: list[int]) -> list[tuple[Poll, list[PollGroup]]]:
        """Closed polls that went to any of these groups, each with every group it went to
        (the disclosure pattern is worked out over all of them), oldest first."""
        if not group_ids:
            return []
        groups = ", ".join(str(int(group)) for group in group_ids)
        rows = await fetch_all(
            self._connection,
            f"""
            SELECT {_POLL} FROM polls WHERE status = 'closed' AND id IN
                (SELECT poll_id FROM poll_groups WHERE group_id IN ({groups}))
            ORDER BY id
            """,
            {},
        )
        return [(poll, await self.groups_of(poll.id)) for poll in to_models(Poll, rows)]
