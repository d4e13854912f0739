"""``kannustin run`` that cannot have the Bot API says in one line which URL answered what
(the token never shown), exits non-zero without a traceback, and blames the token only
when Telegram answers 401 Unauthorized."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.cli.botapi import bot_username
from bot.cli.common import Failure
from emulator import BotApiEmulator
from testing.databases import cli_environment, database_for
from testing.harness import TOKEN

KANNUSTIN = Path(sys.executable).with_name("kannustin")
SECRET = TOKEN.split(":")[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _run(tmp_path: Path, base_url: str, token: str = TOKEN) -> tuple[int, str]:
    env = cli_environment(
        database_for(tmp_path / "kannustin.db"),
        KANNUSTIN_BOT_TOKEN=token,
        KANNUSTIN_API_BASE_URL=base_url,
    )
    process = await asyncio.create_subprocess_exec(
        str(KANNUSTIN),
        "run",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


@pytest.fixture
async def not_found() -> AsyncIterator[str]:
    """A web server that is not the Bot API: every path is 404 with an HTML page."""

    async def page(_: web.Request) -> web.Response:
        return web.Response(status=404, text="<html>no such page</html>")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", page)
    runner = web.AppRunner(app)
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


def _one_line(log: str) -> str:
    assert "Traceback" not in log
    assert SECRET not in log
    return log.strip().splitlines()[-1]


async def test_a_url_that_answers_404_is_named_and_the_token_not_blamed(
    tmp_path: Path, not_found: str
) -> None:
    status, log = await _run(tmp_path, not_found)

    assert status == 1
    assert _one_line(log) == (
        f"kannustin: the Bot API at {not_found}/bot<token>/getMe answered HTTP 404 Not Found "
        "(check KANNUSTIN_API_BASE_URL)"
    )
    assert "token" not in log.replace("<token>", "")


async def test_a_closed_port_is_a_refused_connection(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}"

    status, log = await _run(tmp_path, url)

    assert status == 1
    assert _one_line(log) == (
        f"kannustin: the Bot API at {url}/bot<token>/getMe refused the connection "
        "(nothing listens there)"
    )


async def test_telegram_answering_401_blames_the_token(
    tmp_path: Path, emulator: BotApiEmulator
) -> None:
    wrong = "987654321:" + "Z" * 35

    status, log = await _run(tmp_path, emulator.base_url, token=wrong)

    assert status == 2
    assert _one_line(log) == (
        "kannustin: KANNUSTIN_BOT_TOKEN: Telegram rejected the token "
        f"({emulator.base_url.rstrip('/')}/bot<token>/getMe answered HTTP 401 Unauthorized)"
    )
    assert "Z" * 35 not in log


async def test_tls_spoken_to_a_plain_server_is_a_tls_failure(not_found: str) -> None:
    url = not_found.replace("http:", "https:")

    with pytest.raises(Failure) as failed:
        await bot_username(f"{url}/bot", TOKEN)

    assert str(failed.value).startswith(f"the Bot API at {url}/bot<token>/getMe failed in TLS: ")


async def test_a_server_that_never_answers_is_a_timeout() -> None:
    writers: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        await reader.read()  # listens, never answers

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(Failure) as failed:
            await bot_username(f"http://127.0.0.1:{port}/bot", TOKEN, wait=0.3)
    finally:
        server.close()
        for writer in writers:  # the connections it accepted (closing the server does not)
            writer.close()
            await writer.wait_closed()
        await server.wait_closed()

    assert str(failed.value) == (
        f"the Bot API at http://127.0.0.1:{port}/bot<token>/getMe did not answer within 0.3 s"
    )
