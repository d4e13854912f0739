"""Participants' own posts: shared with a group, reviewed, withdrawn (``bot/services/posts.py``
says what each step means). What the author shared is kept only while the post exists."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from storage.rows import execute, fetch_all, fetch_one, to_model, to_models
from storage.sql import Connection
from storage.states import PostKind, PostStatus
from storage.timestamps import to_db


@dataclass(frozen=True)
class Post:
    id: int
    group_id: int
    author_id: int | None
    source_message_id: int
    kind: PostKind
    content: str | None  # None once rejected, withdrawn or erased
    named: bool
    author_name: str | None
    status: PostStatus
    created_at: dt.datetime
    decided_by: int | None
    decided_at: dt.datetime | None
    withdrawn_at: dt.datetime | None
    library_theme: str | None
    contribution_id: int | None

    @property
    def is_live(self) -> bool:
        """Waiting for review or in the group: the author may still withdraw it."""
        return self.status in (PostStatus.PENDING, PostStatus.APPROVED)


@dataclass(frozen=True)
class PostMonth:
    """A group's posts shared in one month (UTC): by how many people (an erased author
    counts as one, all erased authors together as one: never more people than there were),
    and how many posts were shared, approved (even if withdrawn later) and withdrawn."""

    group_id: int
    month: str  # YYYY-MM
    sharers: int
    shared: int
    approved: int
    withdrawn: int


# an outbox row's content once the post it carried went (a valid text, never sent)
EMPTIED = '{"kind": "text", "text": "-"}'

_COLUMNS = (
    "id, group_id, author_id, source_message_id, kind, content, named, author_name, status, "
    "created_at, decided_by, decided_at, withdrawn_at, library_theme, contribution_id"
)


class PostRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def add(
        self,
        *,
        group_id: int,
        author_id: int,
        source_message_id: int,
        kind: PostKind,
        content: str,
        named: bool,
        author_name: str | None,
        now: dt.datetime,
    ) -> int | None:
        """A new post waiting for review; None when that message was shared already."""
        row = await fetch_one(
            self._connection,
            """
            INSERT INTO posts (group_id, author_id, source_message_id, kind, content, named,
                               author_name, status, created_at)
            VALUES (:group, :author, :source, :kind, :content, :named, :name, 'pending', :now)
            ON CONFLICT (author_id, source_message_id) DO NOTHING
            RETURNING id
            """,
            {
                "group": group_id,
                "author": author_id,
                "source": source_message_id,
                "kind": kind,
                "content": content,
                "named": int(named),
                "name": author_name,
                "now": to_db(now),
            },
        )
        return None if row is None else int(row[0])

    async def get(self, post_id: int) -> Post | None:
        row = await fetch_one(
            self._connection, f"SELECT {_COLUMNS} FROM posts WHERE id = :id", {"id": post_id}
        )
        return None if row is None else to_model(Post, row)

    async def of_author(self, author_id: int) -> list[Post]:
        """The author's posts that still exist (waiting or in the group), newest first."""
        rows = await fetch_all(
            self._connection,
            f"""
            SELECT {_COLUMNS} FROM posts
            WHERE author_id = :author AND status IN ('pending', 'approved')
            ORDER BY id DESC
            """,
            {"author": author_id},
        )
        return to_models(Post, rows)

    async def pending_of(self, author_id: int) -> int:
        row = await fetch_one(
            self._connection,
            "SELECT COUNT(*) FROM posts WHERE author_id = :author AND status = 'pending'",
            {"author": author_id},
        )
        return int(row[0])

    async def decide(self, post_id: int, *, approve: bool, reviewer: int, now: dt.datetime) -> bool:
        """Approve or reject a waiting post (a rejected one keeps nothing of what was
        shared); False when it no longer waits."""
        return (
            await execute(
                self._connection,
                """
                UPDATE posts SET status = :status, decided_by = :reviewer, decided_at = :now,
                       content = CASE WHEN :approve = 1 THEN content END,
                       author_name = CASE WHEN :approve = 1 THEN author_name END
                WHERE id = :id AND status = 'pending'
                """,
                {
                    "id": post_id,
                    "status": PostStatus.APPROVED if approve else PostStatus.REJECTED,
                    "reviewer": reviewer,
                    "now": to_db(now),
                    "approve": int(approve),
                },
            )
            > 0
        )

    async def withdraw(self, post_id: int, now: dt.datetime) -> bool:
        """The post goes: what was shared and the name are emptied; False when it was gone
        already."""
        return (
            await execute(
                self._connection,
                """
                UPDATE posts SET status = 'withdrawn', withdrawn_at = :now, content = NULL,
                       author_name = NULL, contribution_id = NULL, library_theme = NULL
                WHERE id = :id AND status IN ('pending', 'approved')
                """,
                {"id": post_id, "now": to_db(now)},
            )
            > 0
        )

    async def waiting_before(self, moment: dt.datetime) -> list[Post]:
        rows = await fetch_all(
            self._connection,
            f"SELECT {_COLUMNS} FROM posts WHERE status = 'pending' AND created_at < :moment",
            {"moment": to_db(moment)},
        )
        return to_models(Post, rows)

    async def expire(self, post_id: int, now: dt.datetime) -> bool:
        """Nobody decided on it in time: it goes, emptied."""
        return (
            await execute(
                self._connection,
                """
                UPDATE posts SET status = 'expired', decided_at = :now, content = NULL,
                       author_name = NULL
                WHERE id = :id AND status = 'pending'
                """,
                {"id": post_id, "now": to_db(now)},
            )
            > 0
        )

    async def of_contribution(self, contribution_id: int) -> Post | None:
        """The post a library tip was made from, if one was."""
        row = await fetch_one(
            self._connection,
            f"SELECT {_COLUMNS} FROM posts WHERE contribution_id = :c",
            {"c": contribution_id},
        )
        return None if row is None else to_model(Post, row)

    async def ask_library(self, post_id: int, theme: str | None) -> None:
        """The author is asked about the library under ``theme`` (None: not, or answered)."""
        await execute(
            self._connection,
            "UPDATE posts SET library_theme = :theme WHERE id = :id",
            {"id": post_id, "theme": theme},
        )

    async def saved_as(self, post_id: int, contribution_id: int) -> None:
        await execute(
            self._connection,
            "UPDATE posts SET contribution_id = :c WHERE id = :id",
            {"id": post_id, "c": contribution_id},
        )

    async def monthly(self, group_ids: list[int]) -> list[PostMonth]:
        if not group_ids:
            return []
        groups = ", ".join(str(int(group)) for group in group_ids)
        rows = await fetch_all(
            self._connection,
            f"""
            SELECT group_id, substr(created_at, 1, 7) AS month,
                   COUNT(DISTINCT author_id)
                   + MAX(CASE WHEN author_id IS NULL THEN 1 ELSE 0 END),
                   COUNT(*),
                   COALESCE(SUM(CASE WHEN decided_at IS NOT NULL
                                      AND status IN ('approved', 'withdrawn')
                                THEN 1 ELSE 0 END), 0),
                   COALESCE(SUM(CASE WHEN status = 'withdrawn' THEN 1 ELSE 0 END), 0)
            FROM posts WHERE group_id IN ({groups})
            GROUP BY group_id, substr(created_at, 1, 7) ORDER BY group_id, month
            """,
            {},
        )
        return [
            PostMonth(int(row[0]), str(row[1]), *(int(value) for value in row[2:])) for row in rows
        ]
