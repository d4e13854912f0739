"""Faults on the way to Telegram and in the bot's own process: nothing is lost, and only a
request in flight at a crash may repeat.

Everything runs the real ``Application`` over real HTTP against the emulator, with a real
SQLite file built by the real migrations; the process faults kill a real ``kannustin run``.
Covered elsewhere and not repeated here: an answer slower than the client's timeout
(``test_e2e_broadcast.py::test_a_timeout_after_delivery_is_sent_again_rather_than_lost``),
a single 429, 5xx, a kicked group and a migrated group in one broadcast
(``test_429_5xx_kicked_and_migrated_groups_are_handled``), an in-process restart in the
middle of a broadcast and over a reminder.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.clock import FixedClock
from bot.dates import SHORT_WEEKDAYS as WEEKDAYS
from bot.dates import clock as clock_of
from bot.payload import TextContent, content_from_json
from emulator import BotApiEmulator, Chat, RateLimits
from emulator.limits import RateLimiter
from storage import Database
from storage.database import Transaction
from storage.outbox import OutboxRow
from storage.sql import is_postgres_url
from storage.states import OutboxStatus
from testing.databases import database_for
from testing.harness import RunningBot, test_settings
from tests.test_e2e_broadcast import compose, led, report_for, two_groups
from tests.test_e2e_process import Process, _environment
from tests.test_e2e_process import spawn as spawn  # noqa: PLC0414 - the fixture, shared

Json = dict[str, Any]
Spawn = Callable[..., Any]

ADMIN = "1000"
INSTRUCTOR = 3000


def copies(emulator: BotApiEmulator, chat_id: int, text: str) -> int:
    """How many messages starting with ``text`` reached the chat (also those whose answer
    never came back to the bot)."""
    return sum(
        1
        for message in emulator.messages.values()
        if message["chat"]["id"] == chat_id and str(message.get("text", "")).startswith(text)
    )


# Faults on the way to Telegram ------------------------------------------------------------


async def test_a_storm_of_429s_delays_a_broadcast_but_every_group_gets_it_once(
    bot: RunningBot, clock: FixedClock
) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(INSTRUCTOR, "Ilkka", language_code="en")
    groups = [await bot.registered_group(ilkka, -100 - n, f"Group {n}") for n in range(4)]
    first = emulator.mark()
    storm = emulator.fail(method="sendMessage", retry_after=1, times=8)

    await bot.services.broadcasts.send(
        ilkka["id"], TextContent(text="Walk at ten"), await led(bot, ilkka)
    )
    bot.services.outbox.wake()
    report = await report_for(bot, clock, ilkka, 1)

    assert storm.times == 0  # all eight 429s were answered
    assert report.text == "Broadcast #1: delivered to 4 of 4 groups."
    for group in groups:
        assert copies(emulator, group.id, "Walk at ten") == 1, group.id
    refused = [c for c in emulator.calls[first:] if c.error and c.error["error_code"] == 429]
    assert len(refused) == 8
    assert bot.services.pacer.pauses == 8  # every 429 paused all sends...
    for call in refused:
        # ...and the next request to that chat (one at a time per chat) came only after
        # retry_after: a lower bound, which a slow machine cannot break
        later = [c for c in emulator.calls if c.chat_id == call.chat_id and c.at > call.at]
        assert later and later[0].at - call.at >= 1.0, call.chat_id


async def test_dropped_connections_lose_nothing_and_a_drop_before_delivery_repeats_nothing(
    bot: RunningBot, clock: FixedClock
) -> None:
    emulator = bot.emulator
    ilkka, walking, yoga = await two_groups(bot)
    choir = await bot.registered_group(ilkka, -300, "Choir")
    emulator.drop(method="sendMessage", chat_id=walking.id, times=2)  # never arrived
    emulator.drop(method="sendMessage", chat_id=yoga.id, deliver=True)  # the answer lost
    emulator.drop(method="getUpdates", deliver=True)  # updates fetched, answer lost

    await emulator.send_text(ilkka, "See you on Friday")
    await compose(bot, ilkka)
    report = await report_for(bot, clock, ilkka, 1)

    assert report.text == "Broadcast #1: delivered to 3 of 3 groups."
    assert all(fault.times == 0 for fault in emulator.faults)
    assert copies(emulator, walking.id, "See you on Friday") == 1
    assert copies(emulator, yoga.id, "See you on Friday") == 2  # the documented duplicate
    assert copies(emulator, choir.id, "See you on Friday") == 1
    offers = [
        c
        for c in emulator.sent("sendMessage", chat_id=ilkka["id"])
        if "bc:start" in str(c.params.get("reply_markup"))
    ]
    assert len(offers) == 1  # the re-fetched update was handled once


async def test_a_removed_group_fails_every_row_waiting_for_it_and_a_moved_group_gets_its_later_ones(
    bot: RunningBot, clock: FixedClock
) -> None:
    emulator = bot.emulator
    ilkka, walking, knitting = await two_groups(bot)
    choir = await bot.registered_group(ilkka, -300, "Choir")
    groups = await led(bot, ilkka)
    tomorrow = clock.now() + dt.timedelta(days=1)
    await bot.services.broadcasts.send(ilkka["id"], TextContent(text="Tomorrow"), groups, tomorrow)
    choir.bot_status = "kicked"  # Telegram knows; the bot has not heard yet
    emulator.chats[-5002] = Chat(
        id=-5002, type="supergroup", title=knitting.title, bot_status="administrator"
    )
    knitting.migrated_to = -5002

    await bot.services.broadcasts.send(ilkka["id"], TextContent(text="Today"), groups)
    bot.services.outbox.wake()
    today = await report_for(bot, clock, ilkka, 2)
    assert today.text == (
        "Broadcast #2: delivered to 2 of 3 groups.\n- Choir: the bot was removed from the group"
    )
    async with bot.services.database.transaction() as tx:
        waiting = [row for row in await tx.outbox.of_broadcast(1) if row.chat_id == choir.id]
    assert [(row.status, row.reason) for row in waiting] == [("failed", "reason.kicked")]

    clock.advance(dt.timedelta(days=1))
    later = await report_for(bot, clock, ilkka, 1)

    assert later.text == (
        "Broadcast #1: delivered to 2 of 3 groups.\n- Choir: the bot was removed from the group"
    )
    assert [c.text for c in emulator.calls if c.chat_id == choir.id][1:] == ["Today"]
    assert copies(emulator, -5002, "Today") == copies(emulator, -5002, "Tomorrow") == 1
    assert copies(emulator, walking.id, "Tomorrow") == 1


async def test_a_database_locked_for_a_few_seconds_delays_answers_and_loses_nothing(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = bot.emulator
    ilkka, walking, yoga = await two_groups(bot)
    people = [emulator.user(10 + n, name, language_code="en") for n, name in enumerate("ABC")]
    await emulator.send_text(ilkka, "Stretch every hour")
    await emulator.wait_for(
        "sendMessage",
        chat_id=ilkka["id"],
        where=lambda c: "bc:start" in str(c.params.get("reply_markup")),
    )
    mark = emulator.mark()

    # another program (a backup, an admin's shell) holds the database's locks
    async with locked_database(bot.settings.database):
        for person in people:
            await emulator.send_text(person, "/start")
        composing = asyncio.create_task(compose(bot, ilkka))
        await emulator.send_text(people[0], "/help")
        await asyncio.sleep(3)
        answered = [c for c in emulator.sent("sendMessage")[mark:] if int(c.chat_id) > 0]
        assert answered == [], "answered without the database?"

    sending = await asyncio.wait_for(composing, 30)
    assert sending.text == (
        "Sending to 2 groups now (broadcast #1). I will tell you when everything has arrived."
    )
    for person in people:
        welcome = await emulator.wait_for("sendMessage", chat_id=person["id"], after=mark)
        assert (welcome.text or "").startswith(f"Hello {person['first_name']}!")
    await emulator.wait_for(
        "sendMessage",
        chat_id=people[0]["id"],
        after=mark,
        where=lambda c: (c.text or "").startswith("You can use these commands"),
    )
    for group in (walking, yoga):
        await emulator.wait_for(
            "sendMessage", chat_id=group.id, where=lambda c: c.text == "Stretch every hour"
        )
    report = await emulator.wait_for(
        "sendMessage",
        chat_id=ilkka["id"],
        where=lambda c: (c.text or "").startswith("Broadcast #1"),
    )
    assert report.text == "Broadcast #1: delivered to 2 of 2 groups."
    said = [c.text or "" for c in emulator.calls[mark:] if c.method.startswith("send")]
    assert not any("Sorry" in text or "Traceback" in text for text in said)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@contextlib.asynccontextmanager
async def locked_database(database: str) -> AsyncIterator[None]:
    """Another connection holds the whole database: SQLite's write lock, or every table
    locked on PostgreSQL (readers wait too)."""
    if not is_postgres_url(database):
        locker = sqlite3.connect(database, isolation_level=None)
        try:
            locker.execute("BEGIN EXCLUSIVE")
            yield
        finally:
            locker.execute("COMMIT")
            locker.close()
        return
    connection = await asyncpg.connect(database)
    try:
        async with connection.transaction():
            tables = await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
            names = ", ".join(row[0] for row in tables)
            await connection.execute(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE")
            yield
    finally:
        await connection.close()


# Faults in the bot's own process ----------------------------------------------------------


def local_zone_at(hour: int, now: dt.datetime) -> str:
    """A fixed-offset time zone in which it is now ``hour`` o'clock (or a little past), so
    a test on the system clock stays out of the quiet hours whenever it runs."""
    offset = hour - now.hour  # -12..+11: every such zone exists
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"  # Etc/GMT-3 is UTC+3


async def prepared_groups(
    emulator: BotApiEmulator,
    tmp_path: Path,
    clock: FixedClock,
    count: int,
    *,
    timezone: str = "Europe/Helsinki",
    broadcast: str | None = None,
    command: Callable[[Chat], str] | None = None,
) -> tuple[Json, list[Chat]]:
    """Build the database the process will use, with the in-process bot (stopped again):
    an instructor who registered ``count`` groups, said ``command`` in each, and, if given,
    sent a ``broadcast`` to all of them due a second later (the setup bot's clock never
    gets there; the process's does)."""
    database = tmp_path / "data" / "kannustin.db"
    settings = test_settings(emulator, database, admins=ADMIN, timezone=timezone)
    setup = RunningBot(settings, emulator, clock)
    await setup.start()
    try:
        ilkka = emulator.user(INSTRUCTOR, "Ilkka", language_code="en")
        groups = [await setup.registered_group(ilkka, -100 - n, f"Group {n}") for n in range(count)]
        for group in groups if command is not None else []:
            await setup.set_meetings(ilkka, command(group), chat=group)
        if broadcast is not None:
            due = clock.now() + dt.timedelta(seconds=1)
            content = TextContent(text=broadcast)
            await setup.services.broadcasts.send(ilkka["id"], content, await led(setup, ilkka), due)
        await setup.services.outbox.drained()
    finally:
        await setup.stop()
    return ilkka, groups


async def outbox_rows(
    tmp_path: Path, groups: list[Chat], keep: Callable[[OutboxRow], bool]
) -> dict[int, str]:
    """What the database says of each group's row: sent, sending (in flight) or pending.
    A pending row that was tried before counts as in flight: another instance that took
    over may already have put the dead one's in-flight rows back in the queue
    (``requeue_in_flight``) by the time this reads them."""
    async with process_database(tmp_path) as tx:
        rows = [row for group in groups for row in await tx.outbox.of_chat(group.id)]
    return {
        row.chat_id: (
            OutboxStatus.SENDING
            if row.status == OutboxStatus.PENDING and row.attempts > 0
            else row.status
        )
        for row in rows
        if keep(row)
    }


@contextlib.asynccontextmanager
async def process_database(tmp_path: Path) -> AsyncIterator[Transaction]:
    """A unit of work on the database the ``kannustin run`` processes use."""
    database = Database(database_for(tmp_path / "data" / "kannustin.db"))
    await database.connect()
    try:
        async with database.transaction() as tx:
            yield tx
    finally:
        await database.close()


def is_broadcast(row: OutboxRow) -> bool:
    return row.purpose == "broadcast"


def slow_telegram(emulator: BotApiEmulator) -> None:
    """Telegram takes three messages a second: a dozen groups take a few seconds."""
    emulator.rate_limiter = RateLimiter(RateLimits(per_second=3), time.monotonic)


async def until(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never happened: {what}")


def assert_only_in_flight_repeated(
    at_crash: dict[int, str], emulator: BotApiEmulator, text: str
) -> None:
    for chat_id, status in at_crash.items():
        received = copies(emulator, chat_id, text)
        allowed = (1, 2) if status == "sending" else (1,)
        assert received in allowed, f"chat {chat_id} ({status} at the crash) got {received}"


async def restart_until_reported(
    spawn: Spawn, env: dict[str, str], emulator: BotApiEmulator, author: int, groups: int
) -> Process:
    """Start `kannustin run` again, wait for broadcast #1's report to its author (every
    group served) and stop it cleanly."""
    process: Process = await spawn(env, "run")
    report = await emulator.wait_for(
        "sendMessage",
        chat_id=author,
        where=lambda c: (c.text or "").startswith("Broadcast #1"),
        timeout=30,
    )
    assert await process.stop() == 0, process.stderr.decode()
    assert report.text == f"Broadcast #1: delivered to {groups} of {groups} groups."
    return process


async def test_sigkill_in_the_middle_of_a_broadcast_loses_nothing(
    emulator: BotApiEmulator, tmp_path: Path, spawn: Spawn
) -> None:
    clock = FixedClock(dt.datetime.now(dt.UTC))
    text = "Killed mid-broadcast"
    ilkka, groups = await prepared_groups(emulator, tmp_path, clock, 12, broadcast=text)
    slow_telegram(emulator)
    env = _environment(emulator, tmp_path, KANNUSTIN_ADMINS=ADMIN, KANNUSTIN_LOG_LEVEL="INFO")
    # the first group's message reaches Telegram and the answer hangs: in flight at the kill
    stall = emulator.stall(6.0, method="sendMessage", chat_id=groups[0].id, deliver=True)

    first: Process = await spawn(env, "run")
    await until(
        lambda: stall.times == 0 and sum(copies(emulator, g.id, text) for g in groups) >= 3,
        "a few groups served",
    )
    assert await first.stop(signal.SIGKILL) == -signal.SIGKILL
    at_crash = await outbox_rows(tmp_path, groups, is_broadcast)
    assert at_crash[groups[0].id] == "sending"
    assert "pending" in at_crash.values()  # killed in the middle

    second = await restart_until_reported(spawn, env, emulator, ilkka["id"], 12)
    assert copies(emulator, groups[0].id, text) == 2  # it had arrived before the kill
    assert_only_in_flight_repeated(at_crash, emulator, text)
    assert "Traceback" not in second.stderr.decode(), second.stderr.decode()[-6000:]


async def test_sigterm_while_sending_exits_cleanly_and_the_rest_goes_out_after_a_restart(
    emulator: BotApiEmulator, tmp_path: Path, spawn: Spawn
) -> None:
    clock = FixedClock(dt.datetime.now(dt.UTC))
    text = "Stopped mid-broadcast"
    ilkka, groups = await prepared_groups(emulator, tmp_path, clock, 12, broadcast=text)
    slow_telegram(emulator)
    env = _environment(emulator, tmp_path, KANNUSTIN_ADMINS=ADMIN, KANNUSTIN_LOG_LEVEL="INFO")

    first: Process = await spawn(env, "run")
    await until(
        lambda: sum(copies(emulator, g.id, text) for g in groups) >= 3, "a few groups served"
    )
    status = await first.stop(signal.SIGTERM)
    assert status == 0, first.stderr.decode()
    assert "Traceback" not in first.stderr.decode(), first.stderr.decode()[-6000:]
    left = await outbox_rows(tmp_path, groups, is_broadcast)
    assert "pending" in left.values()  # stopped in the middle

    await restart_until_reported(spawn, env, emulator, ilkka["id"], 12)
    for group in groups:  # a clean stop lets requests in flight finish: no repeats at all
        assert copies(emulator, group.id, text) == 1, group.id


async def test_sigkill_while_a_reminder_goes_out_then_it_arrives_once_per_group(
    emulator: BotApiEmulator, tmp_path: Path, spawn: Spawn
) -> None:
    now = dt.datetime.now(dt.UTC)
    zone = local_zone_at(11, now)
    # one meeting in some 58 minutes, set ten minutes ago: its reminder an hour before the
    # meeting fell due while the bot was down
    local = now.astimezone(dt.timezone(dt.timedelta(hours=11 - now.hour)))
    meeting = (local + dt.timedelta(minutes=58)).replace(second=0, microsecond=0)
    weekday = WEEKDAYS["fi"][meeting.weekday()]
    meetings = f"/meetings {weekday} {meeting:%H:%M} {meeting.day}.{meeting.month}. x1"
    clock = FixedClock(now - dt.timedelta(minutes=10))
    _, groups = await prepared_groups(
        emulator, tmp_path, clock, 3, timezone=zone, command=lambda _: meetings
    )
    reminder = f"Our meeting starts today at {clock_of(meeting.time(), 'en')}."
    stall = emulator.stall(6.0, method="sendMessage", chat_id=groups[0].id, deliver=True)
    env = _environment(
        emulator,
        tmp_path,
        KANNUSTIN_ADMINS=ADMIN,
        KANNUSTIN_TIMEZONE=zone,
        KANNUSTIN_LOG_LEVEL="INFO",
    )

    def is_reminder(row: OutboxRow) -> bool:
        content = content_from_json(row.content)
        return isinstance(content, TextContent) and content.text.startswith(reminder)

    first: Process = await spawn(env, "run")
    await until(lambda: stall.times == 0, "the reminder on its way")
    assert await first.stop(signal.SIGKILL) == -signal.SIGKILL
    at_crash = await outbox_rows(tmp_path, groups, is_reminder)
    assert sorted(at_crash) == sorted(group.id for group in groups)  # fired for each group
    assert at_crash[groups[0].id] == "sending"

    second: Process = await spawn(env, "run")
    await until(
        lambda: (
            all(copies(emulator, g.id, reminder) >= 1 for g in groups)
            and copies(emulator, groups[0].id, reminder) == 2
        ),
        "the reminders after the restart",
    )
    assert await second.stop() == 0, second.stderr.decode()

    after = await outbox_rows(tmp_path, groups, is_reminder)
    assert set(after.values()) == {"sent"}
    assert_only_in_flight_repeated(at_crash, emulator, reminder)
