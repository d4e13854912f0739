"""The engagement log: metadata only, pseudonymous, written in the background, nothing
lost at a clean stop, no text anyone wrote anywhere in the database file, only the bot's
own kinds and values, and at most a limit of events per person, kind and hour."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections import Counter
from pathlib import Path
from random import Random

import pytest

from bot.clock import FixedClock
from bot.pseudonyms import Pseudonyms
from bot.runtime.events import EventLog, PersonLimit
from emulator import BotApiEmulator
from storage import Database
from storage.states import EventKind
from testing.databases import database_for, stored_bytes
from testing.harness import RunningBot, test_settings

PSEUDONYMS = Pseudonyms(b"a test key of enough length")
FORGED = "abcdefghijklmnopqrstuvwxyzäöå0123456789 :<>/&;'=-_"  # what forged data is made of


async def test_events_are_queued_then_written_in_batches_and_all_at_stop(
    database: Database, clock: FixedClock
) -> None:
    pseudonyms = Pseudonyms(b"a test key of enough length")
    log = EventLog(database, clock, pseudonyms, batch=3, interval=60, limit=100)
    await log.start()

    log.record(EventKind.MESSAGE, person_id=555, type="photo")
    log.record(EventKind.REACTION, person_id=556, change=1)
    assert log.waiting == 2  # nothing waits for the database
    log.record(EventKind.BUTTON, person_id=555, button="tip")  # the batch is full: written now
    for _ in range(100):
        if log.written == 3:
            break
        await asyncio.sleep(0.01)
    assert log.written == 3
    log.record(EventKind.CHECK_IN, person_id=555, confidence=8)
    await log.stop()

    async with database.transaction() as tx:
        events = await tx.events.latest()
    assert [e.kind for e in events] == ["message", "reaction", "button", "check-in"]
    assert events[0].pseudonym == pseudonyms.of(555) and "555" not in events[0].pseudonym
    assert json.loads(events[3].attributes or "{}") == {"confidence": 8}
    assert events[0].at == clock.now()


async def test_only_the_bots_own_kinds_and_values_get_in(
    database: Database, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    log = EventLog(database, clock, PSEUDONYMS, limit=100)
    told = "I walked to the lake today, it was lovely"

    log.record(EventKind.MESSAGE, person_id=1, text=told)  # a name the log does not know
    log.record(EventKind.MESSAGE, person_id=1, type=told)  # not a message type
    log.record(EventKind.BUTTON, person_id=1, button="ck:c:12:forged")  # not a namespace
    log.record(EventKind.CHECK_IN, person_id=1, confidence="8", attempt=2)  # text, not a number
    log.record(EventKind.SURVEY_ANSWERED, person_id=1, round="before", item="mood\n", skipped=1)
    log.record("tip-shared-with-a-friend", person_id=1, theme="sleep")  # type: ignore[arg-type]
    log.record(EventKind.PROGRESS, person_id=1, stage="mid", answer="done")
    await log.flush()

    async with database.transaction() as tx:
        events = await tx.events.latest()
    assert [(e.kind, json.loads(e.attributes or "{}")) for e in events] == [
        ("message", {}),
        ("message", {}),
        ("button", {}),
        ("check-in", {"attempt": 2}),
        ("survey-answered", {"round": "before"}),
        ("unrecognised", {}),
        ("progress", {"stage": "mid", "answer": "done"}),
    ]
    dropped = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(dropped) == 7  # each one named, never its value
    assert "'text' dropped" in dropped[0] and "'confidence' dropped" in dropped[3]
    assert not any(told in line or "forged" in line for line in dropped)


async def test_a_person_leaves_at_most_the_limit_of_each_kind_in_an_hour(
    database: Database, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    log = EventLog(database, clock, PSEUDONYMS, limit=5)
    clock.set(clock.now().replace(minute=0))

    for _ in range(50):
        log.record(EventKind.UNRECOGNISED, person_id=1)
        log.record(EventKind.MESSAGE, person_id=1, type="text")
    log.record(EventKind.MESSAGE, person_id=2, type="text")  # someone else: not held back
    for _ in range(10):  # the bot's own events about a group have no person to limit
        log.record(EventKind.BROADCAST_DELIVERED, group_id=None, broadcast=1)
    clock.set(clock.now() + dt.timedelta(minutes=59))
    log.record(EventKind.MESSAGE, person_id=1, type="text")  # the same hour
    clock.set(clock.now() + dt.timedelta(minutes=1))
    log.record(EventKind.MESSAGE, person_id=1, type="text")  # the next hour
    await log.flush()

    async with database.transaction() as tx:
        events = await tx.events.latest(500)
    mine = PSEUDONYMS.of(1)
    assert Counter((e.kind, e.pseudonym == mine) for e in events) == {
        ("unrecognised", True): 5,
        ("message", True): 6,
        ("message", False): 1,
        ("broadcast-delivered", False): 10,
    }
    assert log.per_person.dropped == 45 + 46
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warned == [
        "a person reached 5 unrecognised events this hour: their further ones are not logged "
        "until the next hour",
        "a person reached 5 message events this hour: their further ones are not logged "
        "until the next hour",
    ]


def test_the_limit_remembers_a_bounded_number_of_people() -> None:
    limit = PersonLimit(2, people=100)

    for person in range(10_000):  # a crowd of strangers, each pressing three times
        for _ in range(3):
            limit.allow(person, "unrecognised", 0)

    assert limit.people == 100
    assert limit.dropped == 10_000


async def test_a_conversation_leaves_no_text_in_the_database(
    emulator: BotApiEmulator, tmp_path: Path, clock: FixedClock
) -> None:
    path = tmp_path / "bot.db"
    bot = RunningBot(test_settings(emulator, path, admins="1000"), emulator, clock)
    await bot.start()
    ilkka = emulator.user(3000, "Ilkka", language_code="fi")
    group = await bot.registered_group(ilkka, -100, "Kävelyryhmä")
    aino = emulator.user(5001, "Aino", language_code="fi")
    britt = emulator.user(5002, "Britt", language_code="sv")
    await emulator.member_joined(aino, group)
    secrets = [
        "Kävelin tänään järven ympäri ja polvi kesti",
        "Olen ollut niin väsynyt tällä viikolla",
        "Jag sov dåligt men gick ändå ut",
        "Yksityinen viesti botille: en jaksa",
    ]
    first = await emulator.send_text(aino, secrets[0], chat=group)
    await emulator.send_text(britt, secrets[1], chat=group, reply_to=first)
    await emulator.send_text(britt, secrets[2], chat=group)
    await emulator.reaction(britt, group, first["message_id"], old=[], new=["👍"])
    await bot.say(aino, secrets[3])  # in private: the bot answers, stores no text
    await bot.say(aino, "/tip")
    await bot.handled_everything()
    await bot.stop()  # a clean stop writes every queued event

    database = Database(database_for(path))
    await database.connect()
    async with database.transaction() as tx:
        events = await tx.events.latest(500)
    await database.close()
    kinds = [(e.kind, json.loads(e.attributes or "{}")) for e in events]
    assert ("message", {"type": "text"}) in kinds
    assert ("reply", {"type": "text"}) in kinds
    assert ("reaction", {"change": 1}) in kinds
    assert ("joined", {}) in kinds
    assert all(e.pseudonym is None or len(e.pseudonym) == 24 for e in events)

    stored = stored_bytes(path)
    assert "Kävelyryhmä".encode() in stored  # the scan does see what is stored
    for text in secrets:
        assert text.encode() not in stored, text
        assert text.encode("utf-16-le") not in stored, text


async def test_the_writer_stops_even_when_a_batch_fills_at_that_moment(
    database: Database, clock: FixedClock
) -> None:
    log = EventLog(database, clock, PSEUDONYMS, batch=3, interval=60, limit=100)
    await log.start()
    await asyncio.sleep(0.1)  # idle, waiting for a full batch or its interval

    for person in (1, 2, 3):  # the batch fills just as the bot stops
        log.record(EventKind.MESSAGE, person_id=person, type="text")
    stopping = asyncio.create_task(log.stop())
    done, _ = await asyncio.wait({stopping}, timeout=5)

    assert done == {stopping}, "the writer took the full batch and missed the stop"
    assert log.written == 3 and log.waiting == 0


async def test_forged_presses_through_the_running_bot_leave_only_counts(
    emulator: BotApiEmulator, tmp_path: Path, clock: FixedClock
) -> None:
    path = tmp_path / "bot.db"
    settings = test_settings(emulator, path, admins="1000", event_limit=20)
    bot = RunningBot(settings, emulator, clock)
    await bot.start()
    ilkka = emulator.user(3000, "Ilkka", language_code="fi")
    group = await bot.registered_group(ilkka, -100, "Kävelyryhmä")
    aino = emulator.user(5001, "Aino", language_code="fi")
    await emulator.member_joined(aino, group)
    await emulator.send_text(aino, "Hei kaikki", chat=group)
    greeting = next(call for call in emulator.calls if call.chat_id == group.id)  # the bot's
    mallory = emulator.user(6666, "Mallory", language_code="en")
    menu = await bot.say(mallory, "/language")  # a real message of the bot's to press under
    random = Random(17)
    forged = ["".join(random.choices(FORGED, k=random.randint(12, 60))) for _ in range(1_000)]

    for data in forged:  # a stranger, in private
        await emulator.press_button(mallory, menu.result, data)
    for data in forged[:100]:  # a participant, in the group
        await emulator.press_button(aino, greeting.result, data)
    language = await bot.say(aino, "/language")
    await bot.press(aino, language.result, dict(language.buttons())["Suomi"])  # her own
    await bot.handled_everything()
    await bot.stop()

    database = Database(database_for(path))
    await database.connect()
    async with database.transaction() as tx:
        events = await tx.events.latest(5_000)
    await database.close()
    presses = [
        (e.kind, e.pseudonym, e.attributes)
        for e in events
        if e.kind in (EventKind.BUTTON, EventKind.UNRECOGNISED)
    ]
    mine = bot.services.pseudonyms.of(aino["id"])
    strangers = bot.services.pseudonyms.of(mallory["id"])
    assert [e for e in events if e.pseudonym == strangers] == []  # Mallory left none
    assert Counter(presses) == {
        ("unrecognised", mine, None): 20,  # the limit of an hour
        ("button", mine, '{"button":"lang"}'): 1,
    }
    stored = stored_bytes(path)
    for data in forged:
        assert data.encode() not in stored


async def test_an_erasure_while_a_batch_waits_for_the_database_leaves_none_of_its_events(
    database: Database, clock: FixedClock
) -> None:
    """Two chats at once: a batch is about to be written while another chat's erasure holds
    the database; the erased person's events in that batch are not written after it."""
    log = EventLog(database, clock, PSEUDONYMS, limit=100)
    log.record(EventKind.MESSAGE, person_id=555, type="text")
    log.record(EventKind.MESSAGE, person_id=556, type="text")
    async with database.transaction():  # the erasure's transaction
        writing = asyncio.create_task(log.flush())
        await asyncio.sleep(0)  # the writer now waits for the database
        log.discard(PSEUDONYMS.of(555))
    await writing
    async with database.transaction() as tx:
        events = await tx.events.latest()
    assert [e.pseudonym for e in events] == [PSEUDONYMS.of(556)]
