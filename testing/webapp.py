"""The Mini App in tests: a bot that serves it, launch data signed the way Telegram signs
it, and requests to its API the way the page makes them."""

from __future__ import annotations

import datetime as dt
import json
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from yarl import URL

from bot.clock import FixedClock
from emulator import BotApiEmulator
from testing.harness import TOKEN, RunningBot, test_settings
from web.auth import sign


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def web_settings(emulator: BotApiEmulator, database: Path, **overrides: Any) -> Any:
    """A test bot's settings with the Mini App served on a free port of this machine."""
    port = free_port()
    return test_settings(
        emulator,
        database,
        web_listen=f"127.0.0.1:{port}",
        web_url=f"http://127.0.0.1:{port}/app/",
        **overrides,
    )


def init_data(
    user: dict[str, Any],
    *,
    signed_at: dt.datetime,
    token: str = TOKEN,
    **extra: str,
) -> str:
    """Launch data for ``user`` as Telegram hands it to the page, signed with ``token``."""
    fields = {
        "auth_date": str(int(signed_at.timestamp())),
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(
            {
                key: user[key]
                for key in ("id", "first_name", "last_name", "username", "language_code")
                if key in user
            },
            separators=(",", ":"),
            ensure_ascii=False,
        ),
        **extra,
    }
    return urlencode({**fields, "hash": sign(fields, token)})


class WebClient:
    """Requests to a running bot's Mini App API as one person's page makes them."""

    def __init__(self, bot: RunningBot, user: dict[str, Any] | None, clock: FixedClock) -> None:
        settings = bot.settings
        assert settings.web_url is not None
        self.base = str(URL(str(settings.web_url)).origin())  # paths are absolute
        self.user = user
        self.clock = clock

    def header(self, launch: str | None = None) -> dict[str, str]:
        if launch is None and self.user is not None:
            launch = init_data(self.user, signed_at=self.clock.now())
        return {"Authorization": f"tma {launch}"} if launch is not None else {}

    async def get(self, path: str, *, launch: str | None = None) -> tuple[int, Any]:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{self.base}{path}", headers=self.header(launch)) as response,
        ):
            return response.status, await _json(response)

    async def post(self, path: str, data: Any, *, launch: str | None = None) -> tuple[int, Any]:
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{self.base}{path}", json=data, headers=self.header(launch)) as response,
        ):
            return response.status, await _json(response)


async def _json(response: aiohttp.ClientResponse) -> Any:
    if response.content_type == "application/json":
        return await response.json()
    return await response.text()
