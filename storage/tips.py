"""Instructors' contributions to the tip library, and every use of a tip."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from storage.posts import EMPTIED
from storage.rows import execute, fetch_all, fetch_one, insert, to_model, to_models
from storage.sql import Connection
from storage.states import ContributionStatus, Language, TipUse
from storage.timestamps import to_db


@dataclass(frozen=True)
class Contribution:
    id: int
    organisation_id: int
    author_id: int
    broadcast_id: int | None
    theme: str
    language: Language
    content: str
    status: ContributionStatus
    created_at: dt.datetime
    reviewed_by: int | None
    reviewed_at: dt.datetime | None

    @property
    def key(self) -> str:
        return f"own:{self.id}"


@dataclass(frozen=True)
class TipReception:
    tip: str
    sent: int  # groups it was delivered to
    reactions: int
    replies: int
    requested: int


@dataclass(frozen=True)
class AwaitedReason:
    """A reviewer pressed Reject on a contribution and is asked why."""

    reviewer_id: int
    contribution_id: int
    asked_at: dt.datetime


_CONTRIBUTION = (
    "id, organisation_id, author_id, broadcast_id, theme, language, content, status, "
    "created_at, reviewed_by, reviewed_at"
)


class TipRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    # Contributions ---------------------------------------------------------------------------

    async def contribute(
        self,
        *,
        organisation_id: int,
        author_id: int,
        broadcast_id: int | None,
        theme: str,
        language: Language,
        content: str,
        approved: bool,
        now: dt.datetime,
    ) -> Contribution:
        new_id = await insert(
            self._connection,
            """
            INSERT INTO contributions (organisation_id, author_id, broadcast_id, theme, language,
                                       content, status, created_at)
            VALUES (:organisation_id, :author_id, :broadcast_id, :theme, :language, :content,
                    :status, :now)
            RETURNING id
            """,
            {
                "organisation_id": organisation_id,
                "author_id": author_id,
                "broadcast_id": broadcast_id,
                "theme": theme,
                "language": language,
                "content": content,
                "status": ContributionStatus.APPROVED if approved else ContributionStatus.PENDING,
                "now": to_db(now),
            },
        )
        contribution = await self.contribution(new_id)
        assert contribution is not None
        return contribution

    async def remove_contribution(self, contribution_id: int, now: dt.datetime) -> bool:
        """A contribution made from a participant's post that was withdrawn: it goes, with
        any open question about its rejection's reason, and ``stop_sending`` it."""
        await stop_sending(self._connection, contribution_id, now)
        params = {"id": contribution_id}
        await execute(
            self._connection, "DELETE FROM reasons_awaited WHERE contribution_id = :id", params
        )
        return (
            await execute(self._connection, "DELETE FROM contributions WHERE id = :id", params) > 0
        )

    async def contribution(self, contribution_id: int) -> Contribution | None:
        row = await fetch_one(
            self._connection,
            f"SELECT {_CONTRIBUTION} FROM contributions WHERE id = :id",
            {"id": contribution_id},
        )
        return None if row is None else to_model(Contribution, row)

    async def contribution_of_broadcast(self, broadcast_id: int) -> Contribution | None:
        row = await fetch_one(
            self._connection,
            f"SELECT {_CONTRIBUTION} FROM contributions WHERE broadcast_id = :id",
            {"id": broadcast_id},
        )
        return None if row is None else to_model(Contribution, row)

    async def contributions(
        self, organisation_id: int, *, status: ContributionStatus, theme: str | None = None
    ) -> list[Contribution]:
        theme_clause = "AND theme = :theme" if theme is not None else ""
        params: dict[str, object] = {"org": organisation_id, "status": status}
        if theme is not None:
            params["theme"] = theme
        rows = await fetch_all(
            self._connection,
            f"""
            SELECT {_CONTRIBUTION} FROM contributions
            WHERE organisation_id = :org AND status = :status {theme_clause}
            ORDER BY id
            """,
            params,
        )
        return to_models(Contribution, rows)

    async def review(
        self, contribution_id: int, *, approve: bool, reviewer: int, now: dt.datetime
    ) -> bool:
        """Approve or reject a pending contribution; False if it was no longer pending."""
        changed = await execute(
            self._connection,
            """
            UPDATE contributions
            SET status = :status, reviewed_by = :reviewer, reviewed_at = :now
            WHERE id = :id AND status = 'pending'
            """,
            {
                "status": ContributionStatus.APPROVED if approve else ContributionStatus.REJECTED,
                "reviewer": reviewer,
                "now": to_db(now),
                "id": contribution_id,
            },
        )
        return changed > 0

    # A reviewer asked for the reason of a rejection (never the reason itself) -------------------

    async def await_reason(self, reviewer_id: int, contribution_id: int, now: dt.datetime) -> None:
        """The reviewer pressed Reject: their next words are the reason (this replaces any
        other question of theirs)."""
        await execute(
            self._connection,
            """
            INSERT INTO reasons_awaited (reviewer_id, contribution_id, asked_at)
            VALUES (:reviewer, :contribution, :now)
            ON CONFLICT (reviewer_id) DO UPDATE SET
                contribution_id = excluded.contribution_id, asked_at = excluded.asked_at
            """,
            {"reviewer": reviewer_id, "contribution": contribution_id, "now": to_db(now)},
        )

    async def awaited_reason(self, reviewer_id: int) -> AwaitedReason | None:
        row = await fetch_one(
            self._connection,
            """
            SELECT reviewer_id, contribution_id, asked_at FROM reasons_awaited
            WHERE reviewer_id = :reviewer
            """,
            {"reviewer": reviewer_id},
        )
        return None if row is None else to_model(AwaitedReason, row)

    async def stop_awaiting(self, reviewer_id: int) -> bool:
        """The reviewer's question is closed; True if one was open."""
        return (
            await execute(
                self._connection,
                "DELETE FROM reasons_awaited WHERE reviewer_id = :reviewer",
                {"reviewer": reviewer_id},
            )
            > 0
        )

    async def stop_awaiting_before(self, before: dt.datetime) -> int:
        """Questions asked before ``before`` are closed; returns how many."""
        return await execute(
            self._connection,
            "DELETE FROM reasons_awaited WHERE asked_at < :before",
            {"before": to_db(before)},
        )

    # Uses --------------------------------------------------------------------------------------

    async def record_use(
        self,
        tip: str,
        kind: TipUse,
        now: dt.datetime,
        *,
        group_id: int | None = None,
        broadcast_id: int | None = None,
        pseudonym: str | None = None,
    ) -> None:
        await execute(
            self._connection,
            """
            INSERT INTO tip_uses (tip, kind, group_id, broadcast_id, pseudonym, at)
            VALUES (:tip, :kind, :group_id, :broadcast_id, :pseudonym, :now)
            """,
            {
                "tip": tip,
                "kind": kind,
                "group_id": group_id,
                "broadcast_id": broadcast_id,
                "pseudonym": pseudonym,
                "now": to_db(now),
            },
        )

    async def last_requested(self, pseudonym: str) -> str | None:
        row = await fetch_one(
            self._connection,
            """
            SELECT tip FROM tip_uses WHERE pseudonym = :pseudonym AND kind = 'requested'
            ORDER BY id DESC LIMIT 1
            """,
            {"pseudonym": pseudonym},
        )
        return None if row is None else str(row[0])

    async def use_counts(self, group_id: int, pseudonym: str | None = None) -> dict[str, int]:
        """How often each tip reached this group, plus how often this person asked for it."""
        rows = await fetch_all(
            self._connection,
            """
            SELECT tip, COUNT(*) FROM tip_uses
            WHERE (kind = 'sent' AND group_id = :group_id)
               OR (kind = 'requested' AND pseudonym = :pseudonym)
            GROUP BY tip
            """,
            {"group_id": group_id, "pseudonym": pseudonym or ""},
        )
        return {str(row[0]): int(row[1]) for row in rows}

    async def reception(
        self, tips: list[str], organisation_id: int | None = None
    ) -> list[TipReception]:
        """For each tip: groups it reached, reactions and replies there, and requests, in
        one organisation's groups (None: everywhere). Best received first."""
        if not tips:
            return []
        marks = ", ".join(f":t{index}" for index in range(len(tips)))
        params: dict[str, object] = {f"t{index}": tip for index, tip in enumerate(tips)}
        params["org"] = organisation_id if organisation_id is not None else -1
        everywhere = organisation_id is None
        rows = await fetch_all(
            self._connection,
            f"""
            WITH tagged AS (
                SELECT id AS broadcast_id, tip FROM broadcasts WHERE tip IN ({marks})
                UNION
                -- a contribution's own first broadcast counts for it too
                SELECT broadcast_id, 'own:' || id FROM contributions
                WHERE broadcast_id IS NOT NULL AND 'own:' || id IN ({marks})
            ), delivered AS (
                SELECT t.tip AS tip, COUNT(DISTINCT o.group_id) AS sent,
                       COALESCE(SUM(m.reactions), 0) AS reactions,
                       COALESCE(SUM(m.replies), 0) AS replies
                FROM tagged t
                JOIN sent_messages m ON m.broadcast_id = t.broadcast_id
                JOIN outbox o ON o.id = m.outbox_id
                JOIN groups g ON g.id = o.group_id
                WHERE ({int(everywhere)} = 1 OR g.organisation_id = :org)
                GROUP BY t.tip
            ), requested AS (
                SELECT u.tip AS tip, COUNT(*) AS requested FROM tip_uses u
                LEFT JOIN groups g ON g.id = u.group_id
                WHERE u.kind = 'requested' AND u.tip IN ({marks})
                  AND ({int(everywhere)} = 1 OR g.organisation_id = :org)
                GROUP BY u.tip
            )
            SELECT t.tip, COALESCE(d.sent, 0) AS n_sent, COALESCE(d.reactions, 0) AS n_reactions,
                   COALESCE(d.replies, 0) AS n_replies, COALESCE(r.requested, 0) AS n_requested
            FROM (SELECT tip FROM delivered UNION SELECT tip FROM requested) t
            LEFT JOIN delivered d ON d.tip = t.tip
            LEFT JOIN requested r ON r.tip = t.tip
            ORDER BY COALESCE(d.reactions, 0) + COALESCE(d.replies, 0) DESC,
                     COALESCE(r.requested, 0) DESC, COALESCE(d.sent, 0) DESC, t.tip
            """,
            params,
        )
        return [TipReception(str(row[0]), *(int(value) for value in row[1:])) for row in rows]


async def stop_sending(connection: Connection, contribution_id: int, now: dt.datetime) -> None:
    """A participant's post that became a library tip went (withdrawn, erased): nothing
    sends it any more and its content is emptied wherever a copy was kept. A scheduled
    broadcast of it is cancelled with its rows, a draft of it dropped, and the content of
    its broadcasts and of their finished rows emptied. (A broadcast already going out
    finishes; copies already in groups' chats stay there.)"""
    params = {"key": f"own:{contribution_id}", "now": to_db(now), "emptied": EMPTIED}
    scheduled = "SELECT id FROM broadcasts WHERE tip = :key AND status = 'scheduled'"
    await execute(
        connection,
        "UPDATE outbox SET status = 'cancelled', reason = 'reason.post-withdrawn', "
        f"finished_at = :now WHERE status = 'pending' AND broadcast_id IN ({scheduled})",
        params,
    )
    await execute(
        connection,
        "UPDATE broadcasts SET status = 'cancelled', finished_at = :now "
        "WHERE tip = :key AND status = 'scheduled'",
        params,
    )
    await execute(connection, "DELETE FROM drafts WHERE tip = :key", params)
    await execute(
        connection,
        "UPDATE broadcasts SET content = :emptied WHERE tip = :key AND status <> 'sending'",
        params,
    )
    await execute(
        connection,
        "UPDATE outbox SET content = :emptied WHERE tip = :key "
        "AND status IN ('sent', 'failed', 'cancelled')",
        params,
    )
