"""The command menus last set for people's private chats (``command_menus``): what
``bot/runtime/menus.py`` compares with the menu a person should have."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from storage.rows import execute, fetch_all, fetch_one, marks
from storage.sql import Connection
from storage.timestamps import to_db


class MenuRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def all(self) -> dict[int, str]:
        """Every private chat with a menu of its own: its menu as last set."""
        rows = await fetch_all(
            self._connection, "SELECT telegram_id, menu FROM command_menus ORDER BY telegram_id", {}
        )
        return {int(row["telegram_id"]): str(row["menu"]) for row in rows}

    async def people_to_check(self, admins: Collection[int]) -> list[int]:
        """Whose menu may need setting or taking back: staff, the admins who have talked to
        the bot (a chat that never did has no menu to set), and everyone with a menu."""
        admin_ids = sorted({int(admin) for admin in admins}) or [0]
        rows = await fetch_all(
            self._connection,
            f"""
            SELECT person_id AS id FROM staff
            UNION SELECT telegram_id FROM people WHERE telegram_id IN ({marks(admin_ids)})
            UNION SELECT telegram_id FROM command_menus
            ORDER BY id
            """,
            admin_ids,
        )
        return [int(row["id"]) for row in rows]

    async def put(self, telegram_id: int, menu: str, now: dt.datetime) -> None:
        await execute(
            self._connection,
            """
            INSERT INTO command_menus (telegram_id, menu, set_at) VALUES (:id, :menu, :now)
            ON CONFLICT (telegram_id) DO UPDATE SET menu = excluded.menu, set_at = excluded.set_at
            """,
            {"id": telegram_id, "menu": menu, "now": to_db(now)},
        )

    async def has(self, telegram_id: int) -> bool:
        """Whether a menu of the person's own was set in Telegram (and is there still)."""
        row = await fetch_one(
            self._connection,
            "SELECT 1 FROM command_menus WHERE telegram_id = :id",
            {"id": telegram_id},
        )
        return row is not None

    async def remove(self, telegram_id: int) -> None:
        await execute(
            self._connection,
            "DELETE FROM command_menus WHERE telegram_id = :id",
            {"id": telegram_id},
        )
