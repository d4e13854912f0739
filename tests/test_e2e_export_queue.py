"""Exports off the event loop, end to end: while an export is being built the bot goes on
answering others, a second export of the same organisation is told it is queued and gets
its file when the first is done, and another organisation's export is not queued behind
it. Each export is held, just before its process starts, on an event the test controls
(no clock is read): what happens while it is held shows what runs beside it. The files
are then built in processes of their own (``bot/runtime/apart.py``), as their log lines
show."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

import pytest

from bot.runtime import apart
from bot.services.exports import Job, Turns
from testing.harness import RunningBot

HELD = 30.0  # seconds a held export waits at most (the test releases it long before)


class Gate:
    """Holds every export before its process starts until released; records the groups
    of each export that reached it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.opened = asyncio.Event()
        self.began: list[list[str]] = []
        self._changed = asyncio.Condition()
        original = apart.run

        async def held(function: Any, job: Job) -> Any:
            async with self._changed:
                self.began.append(sorted(g.name for g in job.groups))
                self._changed.notify_all()
            await asyncio.wait_for(self.opened.wait(), HELD)
            return await original(function, job)

        monkeypatch.setattr(apart, "run", held)

    async def builds(self, count: int) -> list[list[str]]:
        """Wait until ``count`` exports have reached the gate."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.began) >= count), HELD)
            return list(self.began)


async def group_of(
    bot: RunningBot, instructor: dict[str, Any], organisation: str, chat_id: int, title: str
) -> None:
    await bot.make_staff(instructor, "instructor", organisation)
    group = bot.emulator.group(chat_id, title)
    mark = bot.emulator.mark()
    await bot.emulator.bot_added(instructor, group, admin=True)
    await bot.emulator.wait_for("sendMessage", chat_id=chat_id, after=mark)


async def test_exports_run_beside_the_bot_one_per_organisation(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    emulator = bot.emulator
    await group_of(bot, emulator.user(3000, "Ilkka", language_code="fi"), "Espoo", -100, "Espoon")
    await group_of(bot, emulator.user(3100, "Ville", language_code="fi"), "Vantaa", -200, "Vantaan")
    kaisa = emulator.user(2000, "Kaisa", language_code="fi")
    await bot.make_staff(kaisa, "coordinator", "Espoo")
    kalle = emulator.user(2001, "Kalle", language_code="en")
    await bot.make_staff(kalle, "coordinator", "Espoo")
    vilma = emulator.user(2100, "Vilma", language_code="sv")
    await bot.make_staff(vilma, "coordinator", "Vantaa")
    stranger = emulator.user(9000, "Sanna", language_code="en")
    gate = Gate(monkeypatch)

    working = await bot.say(kaisa, "/export")
    assert working.text == "Kokoan aineistoa, hetki…"
    assert await gate.builds(1) == [["Espoon"]]

    # Kaisa's file is being built (and held): others are answered meanwhile
    help_text = await bot.say(stranger, "/help")
    assert help_text.text
    # another coordinator of Espoo is queued, in their own language
    queued = await bot.say(kalle, "/export")
    assert queued.text == (
        "Another export of the same organisation is running. Yours is queued: you get the "
        "file when its turn comes and it is ready."
    )
    # Vantaa's export is not queued behind Espoo's: its build begins while Kaisa's is held
    started = await bot.say(vilma, "/export csv")
    assert started.text == "Jag samlar data, ett ögonblick…"
    assert await gate.builds(2) == [["Espoon"], ["Vantaan"]]
    await bot.handled_everything()
    assert emulator.sent("sendDocument") == []  # nothing is done while the builds are held
    assert gate.began == [["Espoon"], ["Vantaan"]]  # Kalle's waits for Kaisa's

    gate.opened.set()
    files = {}
    for person in (kaisa, kalle, vilma):
        files[person["first_name"]] = await emulator.wait_for("sendDocument", chat_id=person["id"])
    assert files["Kaisa"].files["document"][:2] == b"PK"
    assert files["Kalle"].files["document"][:2] == b"PK"
    # Kalle's began only after Kaisa's was done
    assert gate.began[2] == ["Espoon"]
    order = [call.params["chat_id"] for call in emulator.sent("sendDocument")]
    assert order.index(kaisa["id"]) < order.index(kalle["id"])
    assert bot.services.exports.turns.remembered == 0  # nothing kept once all are done
    # each file was built in a process of its own, whose log lines reached the bot's log
    built = [r for r in caplog.records if r.getMessage().startswith("export: ")]
    assert len(built) == 3
    assert all(record.process != os.getpid() for record in built)
    assert len({record.process for record in built}) == 3


async def test_a_turn_given_up_frees_the_queue() -> None:
    turns = Turns()
    first = turns.claim({1, 2})
    assert not first.queued
    second = turns.claim({2})
    assert second.queued
    assert not turns.claim({3}).queued  # another organisation's is not behind them
    async with first:
        waiting = asyncio.ensure_future(second.__aenter__())
        await asyncio.sleep(0)
        assert not waiting.done()
    await waiting
    await second.__aexit__(None, None, None)
    assert turns.remembered == 1  # only the never-used claim on organisation 3
