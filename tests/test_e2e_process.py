"""``kannustin run`` as a real process against the emulator: start, answer, stop on a signal."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from emulator import BotApiEmulator
from testing.databases import cli_environment, database_for, on_postgres
from testing.harness import TOKEN
from testing.webapp import init_data

KANNUSTIN = Path(sys.executable).with_name("kannustin")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(emulator: BotApiEmulator, tmp_path: Path, **extra: str) -> dict[str, str]:
    settings = {
        "KANNUSTIN_BOT_TOKEN": TOKEN,
        "KANNUSTIN_API_BASE_URL": emulator.base_url,
        "KANNUSTIN_POLL_TIMEOUT": "1",
        "KANNUSTIN_LOG_LEVEL": "DEBUG",
    }
    return cli_environment(database_for(tmp_path / "data" / "kannustin.db"), **(settings | extra))


async def _wait_for_port(port: int, timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.05)
        else:
            writer.close()
            await writer.wait_closed()
            return


class Process:
    """A running ``kannustin``. Its output is read all the time it runs: a DEBUG log fills
    a pipe's 64 KiB soon, and a process whose pipe is full blocks in its next write."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self._output = [bytearray(), bytearray()]
        self._readers = [
            asyncio.create_task(self._read(stream, into))
            for stream, into in zip((process.stdout, process.stderr), self._output, strict=True)
        ]

    @staticmethod
    async def _read(stream: asyncio.StreamReader | None, into: bytearray) -> None:
        assert stream is not None
        while chunk := await stream.read(65536):
            into.extend(chunk)

    @property
    def stderr(self) -> bytes:
        return bytes(self._output[1])

    async def stop(self, signum: int = signal.SIGTERM, timeout: float = 10.0) -> int:
        self.process.send_signal(signum)
        await asyncio.wait_for(self.finished(), timeout)
        assert self.process.returncode is not None
        return self.process.returncode

    async def finished(self) -> None:
        """The process has ended and all it wrote has been read."""
        await self.process.wait()
        await asyncio.gather(*self._readers)


@pytest.fixture
async def spawn(tmp_path: Path) -> AsyncIterator[object]:
    started: list[Process] = []

    async def start(env: dict[str, str], *arguments: str) -> Process:
        process = await asyncio.create_subprocess_exec(
            str(KANNUSTIN),
            *arguments,
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        started.append(Process(process))
        return started[-1]

    yield start
    for process in started:
        if process.process.returncode is None:
            process.process.kill()
        await process.finished()


async def test_run_answers_start_and_stops_cleanly_on_sigterm(
    emulator: BotApiEmulator, tmp_path: Path, spawn: object
) -> None:
    bot = await spawn(_environment(emulator, tmp_path), "run")  # type: ignore[operator]
    aino = emulator.user(1, "Aino", language_code="fi")
    await emulator.wait_for("getUpdates", timeout=30)
    await emulator.send_text(aino, "/start")

    reply = await emulator.wait_for("sendMessage", chat_id=1, timeout=15)
    assert reply.text is not None and reply.text.startswith("Hei Aino!")
    # SQLite: the folder was created
    assert on_postgres() or (tmp_path / "data" / "kannustin.db").exists()

    britt = emulator.user(2, "Britt", language_code="sv")
    mark = emulator.mark()
    await emulator.send_text(britt, "/help")
    help_reply = await emulator.wait_for("sendMessage", chat_id=2, after=mark, timeout=15)
    assert help_reply.text is not None and help_reply.text.startswith(
        "Du kan använda de här kommandona:\n/start - Starta och hälsa"
    )
    for language in ("", "fi", "sv", "en"):
        assert ("all_private_chats", language) in emulator.commands
        assert ("all_group_chats", language) in emulator.commands
    assert emulator.allowed_updates is not None
    assert set(emulator.allowed_updates) == {
        "message",
        "edited_message",
        "callback_query",
        "my_chat_member",
        "chat_member",
        "message_reaction",
        "message_reaction_count",
    }

    mark = emulator.mark()
    await emulator.send_text(aino, "my secret diary entry")
    await emulator.wait_for("sendMessage", chat_id=1, after=mark, timeout=15)

    status = await bot.stop(signal.SIGTERM)
    log = bot.stderr.decode()
    assert status == 0, log
    assert "Traceback" not in log
    assert "DEBUG" in log  # the level was really DEBUG...
    assert "secret diary" not in log  # ...and still no participant's words
    assert "Aino" not in log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    assert "database closed" in log


async def test_ctrl_c_stops_cleanly(
    emulator: BotApiEmulator, tmp_path: Path, spawn: object
) -> None:
    bot = await spawn(_environment(emulator, tmp_path), "run")  # type: ignore[operator]
    await emulator.wait_for("getUpdates", timeout=30)

    status = await bot.stop(signal.SIGINT)

    assert status == 0, bot.stderr.decode()
    assert "Traceback" not in bot.stderr.decode()


async def test_run_serves_the_mini_app_and_stops_it_with_the_bot(
    emulator: BotApiEmulator, tmp_path: Path, spawn: object
) -> None:
    port = _free_port()
    env = _environment(
        emulator,
        tmp_path,
        KANNUSTIN_WEB_LISTEN=f"127.0.0.1:{port}",
        KANNUSTIN_WEB_URL=f"http://127.0.0.1:{port}/app/",
    )
    bot = await spawn(env, "run")  # type: ignore[operator]
    await _wait_for_port(port, timeout=30)
    aino = emulator.user(1, "Aino", language_code="sv")
    launch = init_data(aino, signed_at=dt.datetime.now(dt.UTC))
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{port}/app/") as page:
            assert page.status == 200 and "Kannustin" in await page.text()
        headers = {"Authorization": f"tma {launch}"}
        async with session.get(f"http://127.0.0.1:{port}/app/api/me", headers=headers) as me:
            assert me.status == 200
            assert (await me.json())["language"] == "sv"
        async with session.get(f"http://127.0.0.1:{port}/app/api/me") as refused:
            assert refused.status == 401

    status = await bot.stop(signal.SIGTERM)
    log = bot.stderr.decode()
    assert status == 0, log
    assert "Mini App served on 127.0.0.1:" in log
    assert "Traceback" not in log and launch not in log and TOKEN not in log
    with pytest.raises(ConnectionRefusedError):  # the page went with the bot
        await asyncio.open_connection("127.0.0.1", port)


async def test_webhook_mode_serves_telegram_and_rejects_requests_without_the_secret(
    emulator: BotApiEmulator, tmp_path: Path, spawn: object
) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram-hook"
    env = _environment(
        emulator,
        tmp_path,
        KANNUSTIN_WEBHOOK_URL=url,
        KANNUSTIN_WEBHOOK_SECRET="only-telegram-knows-this",
        KANNUSTIN_LISTEN=f"127.0.0.1:{port}",
    )
    bot = await spawn(env, "run", "--webhook")  # type: ignore[operator]

    registration = await emulator.wait_for("setWebhook", timeout=30)
    assert registration.params["url"] == url
    assert registration.params["secret_token"] == "only-telegram-knows-this"
    assert "message_reaction" in registration.params["allowed_updates"]
    await _wait_for_port(port)

    emulator.user(66, "Mallory", started=True)  # so a reply to her could be delivered
    forged = {
        "update_id": 777,
        "message": {
            "message_id": 1,
            "date": 0,
            "text": "/start",
            "chat": {"id": 66, "type": "private", "first_name": "Mallory"},
            "from": {"id": 66, "is_bot": False, "first_name": "Mallory"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json=forged) as no_secret:
            assert no_secret.status == 403
        wrong = {"X-Telegram-Bot-Api-Secret-Token": "guess"}
        async with session.post(url, json=forged, headers=wrong) as wrong_secret:
            assert wrong_secret.status == 403

    carol = emulator.user(3, "Carol", language_code="en")
    await emulator.send_text(carol, "/start")  # the emulator pushes it with the secret
    reply = await emulator.wait_for("sendMessage", chat_id=3, timeout=15)
    assert reply.text is not None and reply.text.startswith("Hello Carol!")
    assert [call for call in emulator.calls if call.chat_id == 66] == []

    status = await bot.stop(signal.SIGTERM)
    assert status == 0, bot.stderr.decode()
    assert "only-telegram-knows-this" not in bot.stderr.decode()


async def test_a_token_telegram_rejects_exits_2_without_showing_it(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    wrong = "987654321:" + "Z" * 35
    env = _environment(emulator, tmp_path, KANNUSTIN_BOT_TOKEN=wrong)
    process = await asyncio.create_subprocess_exec(
        str(KANNUSTIN),
        "run",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 30)

    assert process.returncode == 2
    assert (
        stderr.decode()
        .strip()
        .splitlines()[-1]
        .startswith("kannustin: KANNUSTIN_BOT_TOKEN: Telegram rejected the token (")
    )
    assert "Z" * 35 not in stderr.decode()
    assert "Traceback" not in stderr.decode()
