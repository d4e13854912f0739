"""The outbox sender only transports and reports; the services react to its reports.

A real database built by the real migrations, the emulator as Telegram, a fixed clock.
The sender runs as the bot runs it, with a PTB bot pointed at the emulator: first with
listeners that only write down what they hear (what the sender reports, and that it
changes nothing but the outbox), then with the services' own listeners as
``bot/runtime/wiring.py`` hooks them up (what each service makes of a report).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TypeVar

from telegram.ext import ExtBot

from bot.clock import FixedClock
from bot.payload import TextContent, content_to_json
from bot.runtime.outbox import OutboxSender
from bot.runtime.outcomes import (
    ChatGone,
    ChatMigrated,
    Delivered,
    DeliveryListeners,
    Failed,
    Settled,
)
from bot.runtime.pacing import PacedRateLimiter, Pacer
from bot.runtime.wiring import Services
from bot.services.tips import CURATED
from emulator import ApiCall, BotApiEmulator, Chat
from storage import Database, Transaction, apply_migrations
from storage.groups import Group
from storage.migrations import MIGRATIONS_DIR, POSTGRES_MIGRATIONS_DIR
from storage.outbox import OutboxRow
from storage.timestamps import to_db
from testing.databases import database_for, on_postgres
from testing.harness import TOKEN, instructor_with_group

INSTRUCTOR = 3000
R = TypeVar("R")


@contextlib.asynccontextmanager
async def sending(
    emulator: BotApiEmulator, sender: OutboxSender, pacer: Pacer
) -> AsyncIterator[None]:
    """The sender runs (as the bot's leader runs it) until the block ends."""
    bot = ExtBot(
        TOKEN,
        base_url=f"{emulator.base_url}/bot",
        base_file_url=f"{emulator.base_url}/file/bot",
        rate_limiter=PacedRateLimiter(pacer),
    )
    async with bot:
        await sender.start(bot)
        try:
            yield
        finally:
            await sender.stop()


async def write_row(database: Database, clock: FixedClock, chat_id: int, text: str) -> int:
    async with database.transaction() as tx:
        return await tx.outbox.add(
            chat_id=chat_id,
            purpose="notice",
            content=content_to_json(TextContent(text=text)),
            due_at=clock.now(),
            now=clock.now(),
        )


async def rows_by_id(database: Database, chat_ids: list[int]) -> dict[int, OutboxRow]:
    async with database.transaction() as tx:
        return {row.id: row for chat in chat_ids for row in await tx.outbox.of_chat(chat)}


def attempts(emulator: BotApiEmulator, chat_id: int) -> list[str | None]:
    """The texts the bot tried to send to the chat, refused or not."""
    return [c.text for c in emulator.calls if c.method == "sendMessage" and c.chat_id == chat_id]


def member_group(emulator: BotApiEmulator, chat_id: int, title: str) -> Chat:
    """A group chat the bot is in (as far as Telegram knows)."""
    chat = emulator.group(chat_id, title)
    chat.bot_status = "administrator"
    return chat


def kicked_group(emulator: BotApiEmulator, chat_id: int, title: str) -> Chat:
    """A group chat that has kicked the bot (which the bot has not heard of yet)."""
    chat = emulator.group(chat_id, title)
    chat.bot_status = "kicked"
    return chat


def moved_to_supergroup(emulator: BotApiEmulator, chat: Chat, new_id: int) -> None:
    """The group became a supergroup, which the bot has not heard of yet."""
    emulator.chats[new_id] = Chat(
        id=new_id, type="supergroup", title=chat.title, bot_status="administrator"
    )
    chat.migrated_to = new_id


class Heard:
    """Listeners that write down every report, and can be told to fail."""

    def __init__(self) -> None:
        self.inside: list[object] = []
        self.settled: list[Settled] = []
        self.fail_inside: type[object] | None = None
        self.fail_settled = False

    async def in_transaction(self, tx: Transaction, report: object) -> None:
        self.inside.append(report)
        if self.fail_inside is not None and isinstance(report, self.fail_inside):
            raise RuntimeError("a listener inside the transaction failed")

    async def after_commit(self, report: Settled) -> None:
        self.settled.append(report)
        if self.fail_settled:
            raise RuntimeError("a listener after the commit failed")

    def listeners(self) -> DeliveryListeners:
        hook = self.in_transaction
        return DeliveryListeners(
            delivered=(hook,),
            failed=(hook,),
            chat_gone=(hook,),
            migrated=(hook,),
            settled=(self.after_commit,),
        )

    def of(self, kind: type[R]) -> list[R]:
        return [report for report in self.inside if isinstance(report, kind)]


def bare_sender(database: Database, clock: FixedClock, heard: Heard, pacer: Pacer) -> OutboxSender:
    """A sender with only ``heard``'s listeners: no service hears anything."""
    return OutboxSender(database, clock, pacer, heard.listeners())


# What the sender reports ----------------------------------------------------------------


def a_report(call: ApiCall) -> bool:
    """A broadcast's delivery report (not a staff notice sent beside it)."""
    return (call.text or "").startswith("Broadcast #")


async def test_each_outcome_is_reported_through_its_own_hook_and_the_sender_changes_nothing_else(
    database: Database, clock: FixedClock, emulator: BotApiEmulator
) -> None:
    walking = member_group(emulator, -100, "Walking group")
    choir = kicked_group(emulator, -300, "Choir")
    knitting = member_group(emulator, -200, "Knitting")
    moved_to_supergroup(emulator, knitting, -5002)
    aino = emulator.user(5551234, "Aino", started=True)
    emulator.block_bot(aino)
    walk = await write_row(database, clock, walking.id, "Walk at ten")
    sing, sing_again = [await write_row(database, clock, choir.id, f"Sing {n}") for n in (1, 2)]
    knit = await write_row(database, clock, knitting.id, "Knit on")
    hello = await write_row(database, clock, aino["id"], "Hello Aino")
    heard = Heard()
    pacer = Pacer()
    sender = bare_sender(database, clock, heard, pacer)

    async with sending(emulator, sender, pacer):
        await sender.drained()

    now = clock.now()
    rows = await rows_by_id(database, [walking.id, choir.id, -5002, aino["id"]])
    walked = next(c for c in emulator.sent("sendMessage", chat_id=walking.id))
    knitted = next(c for c in emulator.sent("sendMessage", chat_id=-5002))
    assert sorted((r.row.id, r.row.chat_id, r.message_ids, r.at) for r in heard.of(Delivered)) == [
        (walk, walking.id, (walked.result["message_id"],), now),
        (knit, -5002, (knitted.result["message_id"],), now),  # sent again at its new id
    ]
    # the row that learnt the chat is gone, and the one waiting for the same chat
    assert sorted((r.row.id, r.reason) for r in heard.of(Failed)) == [
        (sing, "reason.kicked"),
        (sing_again, "reason.kicked"),
        (hello, "reason.blocked"),
    ]
    assert sorted(heard.of(ChatGone), key=lambda r: r.chat_id) == [
        ChatGone(choir.id, "reason.kicked", now),
        ChatGone(aino["id"], "reason.blocked", now),
    ]
    assert heard.of(ChatMigrated) == [ChatMigrated(knitting.id, -5002, now)]
    # every row is reported settled once, after its fate was committed
    assert sorted(row.id for report in heard.settled for row in report.rows) == sorted(rows)
    assert {row.id: row.status for row in rows.values()} == {
        walk: "sent",
        knit: "sent",
        sing: "failed",
        sing_again: "failed",
        hello: "failed",
    }
    assert attempts(emulator, choir.id) == ["Sing 1"]  # the second never went
    # transport only: nobody listened, so no person was stopped and nothing else was written
    async with database.transaction() as tx:
        assert await tx.people.get(aino["id"]) is None
        assert await tx.groups.all() == []


async def test_a_listener_that_fails_after_the_commit_never_undoes_a_delivery(
    database: Database, clock: FixedClock, emulator: BotApiEmulator
) -> None:
    walking = member_group(emulator, -100, "Walking group")
    heard = Heard()
    heard.fail_settled = True  # the delivery report, say
    first = await write_row(database, clock, walking.id, "Walk at ten")
    pacer = Pacer()
    sender = bare_sender(database, clock, heard, pacer)

    async with sending(emulator, sender, pacer):
        await sender.drained()
        second = await write_row(database, clock, walking.id, "Walk at eleven")
        sender.wake()
        await emulator.wait_for("sendMessage", chat_id=walking.id, where=_text("Walk at eleven"))
        await sender.drained()

    rows = await rows_by_id(database, [walking.id])
    assert [rows[first].status, rows[second].status] == ["sent", "sent"]
    assert [len(report.rows) for report in heard.settled] == [1, 1]
    assert len(heard.of(Delivered)) == 2


async def test_a_listener_that_fails_inside_the_transaction_undoes_the_recorded_fate(
    database: Database, clock: FixedClock, emulator: BotApiEmulator
) -> None:
    walking = member_group(emulator, -100, "Walking group")
    choir = kicked_group(emulator, -300, "Choir")
    heard = Heard()
    heard.fail_inside = Delivered
    walk = await write_row(database, clock, walking.id, "Walk at ten")
    pacer = Pacer()
    sender = bare_sender(database, clock, heard, pacer)

    async with sending(emulator, sender, pacer):
        await sender.drained()
        heard.fail_inside = ChatGone
        sing = await write_row(database, clock, choir.id, "Sing")
        sender.wake()
        await sender.drained()

    rows = await rows_by_id(database, [walking.id, choir.id])
    # delivered, but not recorded as sent: it goes out again only after a restart
    assert rows[walk].status == "sending"
    assert attempts(emulator, walking.id) == ["Walk at ten"]
    assert attempts(emulator, choir.id) == ["Sing"]
    # the chat's loss was not recorded either: the row is tried again later
    assert (rows[sing].status, rows[sing].reason) == ("pending", "reason.error")
    assert rows[sing].due_at > clock.now()
    assert heard.settled == []


def _text(text: str) -> Callable[[ApiCall], bool]:
    return lambda call: call.text == text


# What the services make of the reports ----------------------------------------------------


@contextlib.asynccontextmanager
async def wired(
    database: Database, clock: FixedClock, emulator: BotApiEmulator
) -> AsyncIterator[tuple[Services, Group]]:
    """The services as the bot wires them (their listeners on the sender), an instructor
    with the group "Walking group" (chat -100), and their chats in the emulator."""
    services, group = await instructor_with_group(
        database, clock, instructor=INSTRUCTOR, title="Walking group", language="en"
    )
    await services.people.choose_language(INSTRUCTOR, "en")
    emulator.user(INSTRUCTOR, "Ilkka", language_code="en", started=True)
    member_group(emulator, group.chat_id, group.title)
    yield services, group


async def second_group(services: Services, emulator: BotApiEmulator, *, kicked: bool) -> Group:
    """The instructor's group "Choir" (chat -300); Telegram has ``kicked`` the bot from it,
    which the bot has not heard of yet."""
    added = await services.groups.bot_added(
        INSTRUCTOR, -300, "Choir", language="en", bot_is_admin=True
    )
    assert added.group is not None
    chat = member_group(emulator, -300, "Choir")
    chat.bot_status = "kicked" if kicked else chat.bot_status
    return added.group


async def test_a_group_that_removed_the_bot_becomes_inactive_and_its_broadcast_is_reported(
    database: Database, clock: FixedClock, emulator: BotApiEmulator
) -> None:
    async with wired(database, clock, emulator) as (services, walking):
        choir = await second_group(services, emulator, kicked=True)
        both = [walking.id, choir.id]
        later = clock.now() + dt.timedelta(days=1)
        await services.broadcasts.send(INSTRUCTOR, TextContent(text="Tomorrow"), both, later)
        await services.broadcasts.send(INSTRUCTOR, TextContent(text="Today"), both)

        async with sending(emulator, services.outbox, services.pacer):
            report = await emulator.wait_for("sendMessage", chat_id=INSTRUCTOR, where=a_report)
            await services.outbox.drained()

        assert report.text == (
            "Broadcast #2: delivered to 1 of 2 groups.\n- Choir: the bot was removed from the group"
        )
        # its instructor is also told what the removal means, once (tests/test_e2e_notices.py)
        told = [c.text for c in emulator.sent("sendMessage", chat_id=INSTRUCTOR)]
        assert [t for t in told if (t or "").startswith("I was removed from the group Choir.")]
        assert len(told) == 2
        gone = await services.groups.by_chat(-300)
        assert gone is not None and (gone.status, gone.bot_is_admin) == ("inactive", False)
        still = await services.groups.by_chat(walking.chat_id)
        assert still is not None and still.is_active
        async with database.transaction() as tx:
            waiting = await tx.outbox.of_broadcast(1)
            second = await tx.broadcasts.get(2)
        assert [(r.chat_id, r.status, r.reason) for r in waiting] == [
            (walking.chat_id, "pending", None),
            (-300, "failed", "reason.kicked"),  # failed with the removal, not sent tomorrow
        ]
        assert second is not None and second.status == "done"


async def test_a_group_that_became_a_supergroup_is_followed_to_its_new_chat(
    database: Database, clock: FixedClock, emulator: BotApiEmulator
) -> None:
    async with wired(database, clock, emulator) as (services, walking):
        moved_to_supergroup(emulator, emulator.chats[walking.chat_id], -5002)
        await services.broadcasts.send(INSTRUCTOR, TextContent(text="Walk on"), [walking.id])

        async with sending(emulator, services.outbox, services.pacer):
            arrived = await emulator.wait_for("sendMessage", chat_id=-5002)
            await emulator.wait_for("sendMessage", chat_id=INSTRUCTOR)  # the report
            await services.outbox.drained()

        assert arrived.text == "Walk on"
        moved = await services.groups.by_chat(-5002)
        assert moved is not None and moved.id == walking.id and moved.is_active
        assert await services.groups.by_chat(walking.chat_id) is None


async def test_a_person_who_blocked_the_bot_is_stopped(
    database: Database, clock: FixedClock, emulator: BotApiEmulator
) -> None:
    async with wired(database, clock, emulator) as (services, _):
        emulator.block_bot(emulator.users[INSTRUCTOR])
        await write_row(database, clock, INSTRUCTOR, "Your contribution was approved")
        await write_row(database, clock, INSTRUCTOR, "And another one")

        async with sending(emulator, services.outbox, services.pacer):
            await services.outbox.drained()

        assert attempts(emulator, INSTRUCTOR) == ["Your contribution was approved"]
        person = await services.people.get(INSTRUCTOR)
        assert person is not None and person.stopped_at == clock.now()
        rows = await rows_by_id(database, [INSTRUCTOR])
        assert {(row.status, row.reason) for row in rows.values()} == {("failed", "reason.blocked")}


async def tip_uses(database: Database) -> list[tuple[str, str, int | None, int | None]]:
    async with database.transaction() as tx:
        rows = await tx.connection.fetch_all(
            "SELECT tip, kind, group_id, broadcast_id FROM tip_uses ORDER BY id"
        )
    return [(str(row[0]), str(row[1]), row[2], row[3]) for row in rows]


async def test_a_meeting_at_home_tip_counts_as_used_only_when_delivered(
    database: Database, clock: FixedClock, emulator: BotApiEmulator
) -> None:
    async with wired(database, clock, emulator) as (services, walking):
        choir = await second_group(services, emulator, kicked=True)
        at_home = {}
        for group in (walking, choir):
            await services.meetings.set_calendar(INSTRUCTOR, group.id, "Tue 14:00", "1.12.")
            await services.meetings.cancel(INSTRUCTOR, group.id, "8.12.")
            async with database.transaction() as tx:
                items = await tx.meetings.of_group(group.id)
            at_home[group.id] = next(item for item in items if item.kind == "at-home")
        clock.set(at_home[walking.id].due_at)
        for item in at_home.values():
            assert await services.meetings.fire(item.id, item.due_at)

        rows = await rows_by_id(database, [walking.chat_id, choir.chat_id])
        carried = {row.chat_id: row.tip for row in rows.values() if row.purpose == "schedule"}
        assert set(carried) == {walking.chat_id, choir.chat_id}
        assert all(tip is not None and tip.startswith(CURATED) for tip in carried.values())
        assert await tip_uses(database) == []  # written, not yet delivered: not used yet

        async with sending(emulator, services.outbox, services.pacer):
            await emulator.wait_for("sendMessage", chat_id=walking.chat_id)
            await services.outbox.drained()

        # delivered to the walking group; the choir had removed the bot: not used there
        assert await tip_uses(database) == [(carried[walking.chat_id], "sent", walking.id, None)]
        async with database.transaction() as tx:
            assert await tx.tips.use_counts(choir.id) == {}
            assert await tx.tips.use_counts(walking.id) == {carried[walking.chat_id]: 1}
        rows = await rows_by_id(database, [walking.chat_id, choir.chat_id])
        assert {row.chat_id: row.status for row in rows.values()} == {
            walking.chat_id: "sent",
            choir.chat_id: "failed",
        }


async def test_a_tip_broadcast_counts_as_used_in_each_group_it_reached(
    database: Database, clock: FixedClock, emulator: BotApiEmulator
) -> None:
    async with wired(database, clock, emulator) as (services, walking):
        choir = await second_group(services, emulator, kicked=True)
        yoga = await services.groups.bot_added(
            INSTRUCTOR, -400, "Chair yoga", language="en", bot_is_admin=True
        )
        assert yoga.group is not None
        member_group(emulator, -400, "Chair yoga")
        tip = next(iter(services.library))
        key = CURATED + tip.id
        targets = [walking.id, choir.id, yoga.group.id]
        broadcast, _ = await services.broadcasts.send(
            INSTRUCTOR, TextContent(text=tip.text.en), targets, tip=key
        )
        assert await tip_uses(database) == []

        async with sending(emulator, services.outbox, services.pacer):
            report = await emulator.wait_for("sendMessage", chat_id=INSTRUCTOR, where=a_report)
            await services.outbox.drained()

        assert report.text is not None and report.text.startswith(
            f"Broadcast #{broadcast.id}: delivered to 2 of 3 groups."
        )
        assert sorted(await tip_uses(database)) == [
            (key, "sent", walking.id, broadcast.id),
            (key, "sent", yoga.group.id, broadcast.id),
        ]


async def test_rows_of_tip_broadcasts_written_before_the_tip_column_carry_their_tip(
    tmp_path: Path, clock: FixedClock
) -> None:
    source = POSTGRES_MIGRATIONS_DIR if on_postgres() else MIGRATIONS_DIR
    before = tmp_path / "migrations"
    before.mkdir()
    for path in sorted(source.glob("*.sql")):
        if path.name < "0013_":  # the schema as it was before the tip column
            (before / path.name).write_text(path.read_text())
    db = Database(database_for(tmp_path / "k.db"))
    await db.connect()
    try:
        await apply_migrations(db, clock.now(), before)
        async with db.transaction() as tx:
            tip = await tx.broadcasts.create(
                created_by=None, content="{}", send_at=clock.now(), now=clock.now(), tip="lib:x"
            )
            plain = await tx.broadcasts.create(
                created_by=None, content="{}", send_at=clock.now(), now=clock.now()
            )
            for broadcast_id, purpose in (
                (tip.id, "broadcast"),
                (plain.id, "broadcast"),
                (tip.id, "report"),
                (None, "schedule"),
            ):
                await tx.connection.execute(
                    """
                    INSERT INTO outbox (chat_id, broadcast_id, purpose, content, status, due_at,
                                        created_at)
                    VALUES (-100, :broadcast, :purpose, '{}', 'pending', :now, :now)
                    """,
                    {"broadcast": broadcast_id, "purpose": purpose, "now": to_db(clock.now())},
                )
        await apply_migrations(db, clock.now())
        async with db.transaction() as tx:
            rows = await tx.outbox.of_chat(-100)
        assert [(row.purpose, row.tip) for row in rows] == [
            ("broadcast", "lib:x"),
            ("broadcast", None),
            ("report", None),  # the delivery report carries no tip
            ("schedule", None),  # counted when it was written, under the old rule
        ]
    finally:
        await db.close()


async def test_the_sender_stops_even_when_woken_at_that_moment(
    database: Database, clock: FixedClock, emulator: BotApiEmulator
) -> None:
    pacer = Pacer()
    sender = bare_sender(database, clock, Heard(), pacer)
    async with sending(emulator, sender, pacer):
        await sender.drained()
        await asyncio.sleep(0.1)  # idle, waiting to be woken
        sender.wake()  # rows were written just as the bot stops
        stopping = asyncio.create_task(sender.stop())
        done, _ = await asyncio.wait({stopping}, timeout=5)
        assert done == {stopping}, "the sender took the wake-up and missed the stop"
