"""`kannustin broadcast` writes into the same database; the running bot delivers it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.clock import FixedClock
from testing.databases import run_kannustin
from testing.harness import RunningBot


class WallClock(FixedClock):
    """The command line runs in its own process on the real clock, so the bot here must
    too: a fixed test clock would never reach the times the command line writes."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


@pytest.fixture
def clock() -> FixedClock:
    return WallClock(dt.datetime.now(dt.UTC))


async def kannustin(bot: RunningBot, *arguments: str) -> tuple[int, str, str]:
    return await run_kannustin(bot.settings.database, "broadcast", *arguments)


async def test_text_and_file_from_the_command_line_reach_the_groups(
    bot: RunningBot, tmp_path: Path
) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="en")
    walking = await bot.registered_group(ilkka, -100, "Walking group")
    yoga = await bot.registered_group(ilkka, -200, "Chair yoga")
    picture = tmp_path / "sunrise.jpg"
    picture.write_bytes(b"\xff\xd8\xff picture")

    status, out, _ = await kannustin(bot, "--group", "-100", "--text", "From the office")
    assert (status, out) == (0, "broadcast 1: 1 group, now\n")
    text = await emulator.wait_for(
        "sendMessage", chat_id=walking.id, where=lambda c: c.text == "From the office"
    )
    assert text.ok

    status, out, _ = await kannustin(
        bot, "--all", "--file", str(picture), "--caption", "Good morning"
    )
    assert (status, out) == (0, "broadcast 2: 2 groups, now\n")
    first = await emulator.wait_for("sendPhoto", chat_id=walking.id)
    second = await emulator.wait_for("sendPhoto", chat_id=yoga.id)
    uploads = [call for call in (first, second) if call.files]
    assert uploads and uploads[0].files["photo"] == b"\xff\xd8\xff picture"
    assert {first.params["caption"], second.params["caption"]} == {"Good morning"}
    assert len(uploads) == 1  # the second group got the file id, not the bytes again


async def test_bad_input_exits_2_with_one_line(bot: RunningBot, tmp_path: Path) -> None:
    ilkka = bot.emulator.user(3000, "Ilkka", language_code="en")
    await bot.registered_group(ilkka, -100, "Walking group")
    huge = tmp_path / "huge.jpg"
    with huge.open("wb") as handle:
        handle.truncate(11 * 1024 * 1024)

    cases = {
        (
            "--group",
            "-999",
            "--text",
            "x",
        ): "kannustin: unknown or inactive group chat id -999 (see /groups)\n",
        (
            "--all",
            "--file",
            str(tmp_path / "nope.jpg"),
        ): f"kannustin: --file {tmp_path / 'nope.jpg'}: no such file\n",
        ("--all", "--text", "x", "--at", "someday"): (
            "kannustin: I did not understand the time. Write for example: "
            "tue 14:00, 3.12. at 9 or 2026-12-03 09:00.\n"
        ),
        ("--all", "--text", "x", "--at", "2020-01-01 10:00"): (
            "kannustin: That time has already passed. Please choose a time in the future.\n"
        ),
        ("--all", "--file", str(huge)): (
            f"kannustin: --file {huge}: 11 MB is over Telegram's 10 MB limit for a bot's photo\n"
        ),
        (
            "--all",
            "--text",
            "x" * 4097,
        ): "kannustin: The text is too long: at most 4,096 characters.\n",
    }
    for arguments, expected in cases.items():
        status, out, err = await kannustin(bot, *arguments)
        assert (status, out, err) == (2, "", expected), arguments
    async with bot.services.database.transaction() as tx:
        assert await tx.outbox.counts() == {}  # nothing was enqueued
