"""Bad input, generated: hypothesis feeds the running bot random updates and checks that it
breaks nothing, changes nothing it may not, and still answers.

One bot for the whole test (the real Application over real HTTP against the emulator, a
real SQLite database built by the migrations), so state carries over between examples as
it does in production. Each example is a short batch of updates: random unicode and very
long texts in private chats, the bot's group and a group the bot does not know; every
command with junk arguments; edits and replies; button presses under real bot messages
with random data, forged data and other people's real buttons replayed; the bot added to
groups by strangers; update kinds the bot does not handle. After each example nothing was
logged at ERROR and no request or answer broke the Bot API spec; a failure reports its
batch (not shrunk: the state has moved on, a replay would prove nothing).

First only people without any role act (participants and strangers), and afterwards
nothing only staff may change has changed; then the instructor and the coordinator act.
At the end no request was refused (but for an edit that would change nothing), no text is
over Telegram's limits or shows a traceback, and a participant who took no part still
gets the normal /help. Examples are derandomised, so CI sees the same run every time.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot.clock import FixedClock
from bot.commands import COMMANDS
from bot.runtime.events import ATTRIBUTES
from bot.services.buttons import ISSUED
from bot.services.tips import CURATED, OWN
from content.library import Theme
from emulator import BotApiEmulator, Chat
from storage.rows import fetch_all
from storage.states import EventKind
from testing.harness import START, TOKEN, RunningBot, test_settings
from tests.test_e2e_checkins import participants

# Every callback prefix the bot issues, and tip keys; forged data starts with one of them.
PREFIXES = (*ISSUED, CURATED, OWN)
# Pieces that make forged data match a handler's pattern: ids that exist and ids that do
# not, languages, themes, check-in stages and answers.
TOKENS = (
    *("0", "1", "2", "3", "-1", "999999999", "1234567890123", "00", "fi", "sv", "en", "xx"),
    *("m", "e", "d", "p", "n", "lib:sleep-1", "own:1", *(theme.value for theme in Theme)),
)
JUNK_WORDS = (
    *("1", "-5", "0", "x2", "99999999999", "ti", "14:00", "25:99", "1.12.", "31.2.", "all"),
    *("Kävelyryhmä", "fi", "sv", "en", "coordinator", "instructor", "Espoo", "@x", "'; --"),
)
UNHANDLED_KINDS = (
    *("channel_post", "edited_channel_post", "chat_join_request", "poll", "poll_answer"),
    *("inline_query", "business_message", "message_reaction", "hologram_message"),
)
# What only staff (or the bot's own schedule) may change; people without a role act first.
GUARDED = (
    "SELECT * FROM staff",
    "SELECT * FROM organisations",
    "SELECT * FROM groups",
    "SELECT * FROM group_instructors",
    "SELECT * FROM group_participants WHERE person_id < 9000",
    # a stranger who writes in the group is a member of it (only members can write there)
    "SELECT * FROM group_participants WHERE person_id >= 9000"
    " AND (status != 'member' OR group_id != (SELECT id FROM groups WHERE chat_id = -100))",
    "SELECT * FROM invitations",
    "SELECT * FROM invitation_uses",
    "SELECT * FROM broadcasts",
    "SELECT * FROM drafts",
    "SELECT * FROM calendars",
    "SELECT * FROM meetings",
    "SELECT * FROM contributions",
    "SELECT * FROM buddy_pairs",
    "SELECT * FROM survey_rounds",
    # a person may erase themselves (/forgetme), nothing else is written by them
    "SELECT * FROM audit_log WHERE action != 'erase'",
    "SELECT chat_id, purpose, content FROM outbox WHERE purpose = 'broadcast'",
    # consent is the participant's own; a stranger has no organisation to consent to
    "SELECT * FROM consents WHERE person_id >= 9000",
)
# Batches of random updates from people without a role, then from staff (whose private
# chats are paced at about a message a second, hence the smaller batches).
EXAMPLES, BATCH = 40, 8
STAFF_EXAMPLES, STAFF_BATCH = 30, 4
TEXT_LIMIT, CAPTION_LIMIT = 4096, 1024
# The one refusal the bot expects and shrugs off: a second tap on a button whose edit
# would change nothing (handlers/rendering.py: show).
HARMLESS_REFUSAL = "message is not modified"
GROUP_WINDOW = 75.0  # seconds: Telegram's 20 messages a minute in a group, and a margin


class ErrorLog(logging.Handler):
    """Every record at ERROR or above: a handler failed, or PTB could not go on."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class World:
    bot: RunningBot
    group: Chat
    # a group the bot is in but has no record of (its "added" update was lost)
    unknown_group: Chat
    people: list[dict[str, Any]]
    staff: list[dict[str, Any]]
    # a participant the fuzzing never touches, who asks for help before and after
    calm: dict[str, Any]
    # the bot's latest message in each chat, to press (forged) buttons under
    bot_messages: dict[int, dict[str, Any]]
    sentinels: Iterator[int] = field(default_factory=lambda: itertools.count(800_000))

    @property
    def emulator(self) -> BotApiEmulator:
        return self.bot.emulator

    async def handled(self) -> None:
        """Everything injected so far has been handled: someone new gets an answer to /help
        (updates are handled in order). A new person each time, so that no private chat's
        pacing slows the run. The wait allows for a group's full minute window: a reply
        waiting for its slot in a busy group holds up the updates behind it."""
        sentinel = self.emulator.user(next(self.sentinels), "Vahti", language_code="en")
        mark = self.emulator.mark()
        await self.emulator.send_text(sentinel, "/help")
        await self.emulator.wait_for(
            "sendMessage", chat_id=sentinel["id"], after=mark, timeout=GROUP_WINDOW
        )


async def build(tmp_path: Path) -> World:
    emulator = BotApiEmulator(TOKEN)
    await emulator.start()
    bot = RunningBot(
        test_settings(emulator, tmp_path / "bot.db", admins="1000"), emulator, FixedClock(START)
    )
    await bot.start()
    ilkka = emulator.user(3000, "Ilkka", language_code="fi")
    kaisa = emulator.user(3001, "Kaisa", language_code="sv")
    group = await bot.registered_group(ilkka, -100, "Kävelyryhmä")
    await bot.make_staff(kaisa, "coordinator")
    await bot.set_meetings(ilkka, "/meetings ti 14:00 1.12. x2", chat=group)
    members = [
        emulator.user(5001, "Aino", language_code="fi"),
        emulator.user(5002, "Britt", language_code="sv"),
        emulator.user(5003, "Carl", language_code="en"),
    ]
    calm = emulator.user(5004, "Daina", language_code="en")
    await participants(bot, group, [*members, calm], consenting=2)
    strangers = [
        emulator.user(9000 + n, f"Vieras{n}", language_code=code)
        for n, code in enumerate([None, "de", "pt-br", "fi", "sv", "en"])
    ]
    unknown_group = emulator.group(-300, "Muu ryhmä", supergroup=True)
    unknown_group.bot_status = "member"
    for person in [*members, *strangers, ilkka, kaisa]:
        await bot.say(person, "/start")
    # the buttons that matter, on the screen of the people they are meant for
    await bot.say(ilkka, "/group", chat=group)  # the group's language buttons
    for person, text in [
        (ilkka, "/broadcast"),
        (ilkka, "Muistakaa juoda vettä"),  # a draft: group and send buttons
        (ilkka, "/stats"),
        (kaisa, "/invite instructor"),
        (kaisa, "/invites"),  # revoke buttons
        (members[0], "/consent"),
        (members[2], "/consent"),
        (members[0], "/tip"),
        (members[0], "/survey"),
    ]:
        await bot.say(person, text)
    bot_messages = {call.result["chat"]["id"]: call.result for call in emulator.sent("sendMessage")}
    people = [*members, *strangers]
    return World(bot, group, unknown_group, people, [ilkka, kaisa], calm, bot_messages)


def texts() -> st.SearchStrategy[str]:
    odd = st.sampled_from(
        [
            *("", " ", "\n\n", "\u202e\u202dRTL עברית العربية", "\x00\x01\x1b[31m\x7f"),
            *("🙂" * 50, "👨‍👩‍👧‍👦🏳️‍🌈", "<b>x</b> *y* _z_ `w` [a](b)", "@all", "\ud7ff\uffff"),
            *("/", "//", "/ help", "/help@", "＼help", "\u200b/help"),
        ]
    )
    very_long = st.builds(
        lambda unit, n: (unit or "x") * n, st.text(min_size=1, max_size=3), st.integers(1500, 6000)
    )
    return st.one_of(st.text(max_size=80), odd, very_long)


def commands() -> st.SearchStrategy[str]:
    names = st.sampled_from([c.name for c in COMMANDS] + ["nosuch", "START", "help_"])
    mention = st.sampled_from(["", "", "@kannustin_test_bot", "@other_bot"])
    junk = st.one_of(
        st.just(""),
        st.text(max_size=40),
        st.lists(st.sampled_from(JUNK_WORDS), max_size=5).map(" ".join),
        texts(),
    )
    return st.builds(lambda n, m, j: f"/{n}{m} {j}".rstrip(), names, mention, junk)


def callback_data(seen: list[str]) -> st.SearchStrategy[str]:
    """Random bytes, forged data after every prefix the bot listens for, and the data of
    buttons the bot really sent (to anyone, so also other people's) with its numbers kept
    or changed: replaying a coordinator's button is the forgery that matters."""
    forged = st.builds(
        lambda prefix, tail: prefix + ":".join(tail),
        st.sampled_from(PREFIXES),
        st.lists(st.sampled_from(TOKENS), max_size=4),
    )
    replayed = st.builds(
        lambda data, number, change: re.sub(r"\d+", str(number), data) if change else data,
        st.sampled_from(seen),
        st.sampled_from([0, 1, 2, 3, 99, 999999999]),
        st.booleans(),
    )
    junk = st.one_of(
        st.text(min_size=1, max_size=64),
        st.binary(min_size=1, max_size=64).map(lambda raw: raw.decode("latin-1")),
    )
    return st.one_of(forged, replayed, replayed, junk).filter(
        lambda data: 0 < len(data.encode()) <= 64
    )


@st.composite
def updates(draw: st.DrawFn, actors: int, seen: list[str]) -> tuple[str, int, Any]:
    """(what, who: an index into the actors, payload)."""
    who = draw(st.integers(0, actors - 1))
    what = draw(
        st.sampled_from(
            [
                *("private", "private", "group", "unknown-group", "edit", "reply", "caption"),
                *("command", "command", "command", "press", "press", "added", "kind"),
            ]
        )
    )
    if what in ("private", "group", "unknown-group", "edit", "reply", "caption"):
        return what, who, draw(texts())
    if what == "command":
        where = draw(st.sampled_from(["private", "private", "group", "unknown-group"]))
        return what, who, (draw(commands()), where)
    if what == "press":
        return what, who, (draw(callback_data(seen)), draw(st.booleans()))
    if what == "added":
        return what, who, (draw(st.integers(-1_000_010, -1_000_000)), draw(st.booleans()))
    return what, who, draw(st.sampled_from(UNHANDLED_KINDS))


async def act(world: World, actors: list[dict[str, Any]], update: tuple[str, int, Any]) -> None:
    emulator = world.emulator
    what, who, payload = update
    person = actors[who]
    if what == "private":
        await emulator.send_text(person, payload)
    elif what == "group":
        await emulator.send_text(person, payload, chat=world.group)
    elif what == "unknown-group":
        await emulator.send_text(person, payload, chat=world.unknown_group)
    elif what == "edit":
        await emulator.send_text(person, payload, edited=True)
    elif what == "reply":
        await emulator.send_text(
            person, payload, chat=world.group, reply_to=world.bot_messages[world.group.id]
        )
    elif what == "caption":
        await emulator.send_media(person, "photo", caption=payload[:CAPTION_LIMIT])
    elif what == "command":
        text, where = payload
        chat = {"group": world.group, "unknown-group": world.unknown_group}.get(where)
        await emulator.send_text(person, text, chat=chat)
    elif what == "press":
        data, in_group = payload
        chat_id = world.group.id if in_group else person["id"]
        await emulator.press_button(person, world.bot_messages[chat_id], data)
    elif what == "added":
        chat_id, admin = payload
        chat = emulator.chats.get(chat_id) or emulator.group(chat_id, "Uusi ryhmä")
        await emulator.bot_added(person, chat, admin=admin)
    else:
        await emulator.push_update(payload, unhandled(payload, person, world), force=True)


def unhandled(kind: str, person: dict[str, Any], world: World) -> dict[str, Any]:
    """A valid payload of an update kind the bot does not handle (or that does not exist)."""
    channel = {"id": -1001234, "type": "channel", "title": "Kanava"}
    if kind in ("channel_post", "edited_channel_post"):
        return {"message_id": 1, "date": 1, "chat": channel, "text": "kanavan viesti"}
    if kind == "business_message":
        private = {"id": person["id"], "type": "private", "first_name": person["first_name"]}
        return {"message_id": 1, "date": 1, "chat": private, "from": person, "text": "/help"}
    if kind == "chat_join_request":
        return {"chat": world.group.json(), "from": person, "user_chat_id": person["id"], "date": 1}
    if kind == "message_reaction":
        return {
            "chat": world.group.json(),
            "message_id": world.bot_messages[world.group.id]["message_id"],
            "user": person,
            "date": 1,
            "old_reaction": [],
            "new_reaction": [{"type": "emoji", "emoji": "👍"}],
        }
    if kind == "poll_answer":
        return {"poll_id": "p1", "user": person, "option_ids": [0], "option_persistent_ids": ["a"]}
    if kind == "inline_query":
        return {"id": "q1", "from": person, "query": "/help", "offset": ""}
    if kind == "poll":
        return {
            "id": "p1",
            "question": "?",
            "options": [{"persistent_id": "a", "text": "a", "voter_count": 0}],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
            "allows_revoting": False,
            "members_only": False,
        }
    return {"from": person, "what": "a kind from a newer Bot API"}


async def foreign_events(world: World) -> list[tuple[str, str | None]]:
    """Events of a kind the bot does not have, or with a value not its own."""
    async with world.bot.services.database.transaction() as tx:
        events = await tx.events.latest(100_000)
    return [
        (event.kind, event.attributes)
        for event in events
        if event.kind not in set(EventKind)
        or not all(
            name in ATTRIBUTES and ATTRIBUTES[name](value)
            for name, value in json.loads(event.attributes or "{}").items()
        )
    ]


async def snapshot(world: World) -> dict[str, list[tuple[Any, ...]]]:
    """The guarded rows, by the query that read them (so a failure names the table)."""
    async with world.bot.services.database.transaction() as tx:
        return {
            sql: [tuple(row) for row in await fetch_all(tx.connection, sql, {})] for sql in GUARDED
        }


def buttons(world: World) -> list[str]:
    """The callback data of every button the bot has sent so far, in a stable order."""
    return sorted(
        {
            data
            for call in world.emulator.calls
            if call.ok and call.method in ("sendMessage", "editMessageText")
            for _label, data in call.buttons()
            if not data.startswith(("https:", "tg:"))
        }
    )


def problems(world: World, errors: ErrorLog) -> list[str]:
    """What went wrong so far: failed handlers and requests or answers against the spec."""
    failed = [f"{record.name}: {record.getMessage()}" for record in errors.records]
    return failed + world.emulator.violations


def fuzz(
    loop: asyncio.AbstractEventLoop,
    world: World,
    errors: ErrorLog,
    actors: list[dict[str, Any]],
    *,
    examples: int,
    batch: int,
) -> int:
    """Feed ``examples`` batches of up to ``batch`` random updates from ``actors``; returns
    how many updates went in."""
    fed = 0

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        # The bot's state carries over, so a replayed batch may not fail again: report the
        # first failing batch (at most ``batch`` updates) instead of shrinking it.
        phases=[Phase.generate],
        report_multiple_bugs=False,
        # one slow bot shared by all examples, on purpose; long texts are large on purpose
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(updates(len(actors), buttons(world)), min_size=1, max_size=batch))
    def feed(updates: list[tuple[str, int, Any]]) -> None:
        nonlocal fed
        already = len(problems(world, errors))
        mark = world.emulator.mark()

        async def run() -> None:
            for update in updates:
                await act(world, actors, update)
            await world.handled()

        loop.run_until_complete(run())
        fed += len(updates)
        # later presses land under what the bot has just sent (drafts, pickers, questions)
        for call in world.emulator.calls[mark:]:
            if call.ok and call.method == "sendMessage":
                world.bot_messages[call.result["chat"]["id"]] = call.result
        assert problems(world, errors)[already:] == []

    feed()
    return fed


@pytest.fixture
def errors() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


def test_random_updates_break_nothing_and_change_nothing_they_may_not(
    tmp_path: Path, errors: ErrorLog
) -> None:
    # hypothesis drives a synchronous test; the bot runs on a loop of its own
    loop = asyncio.new_event_loop()
    try:
        world = loop.run_until_complete(build(tmp_path))
    except BaseException:
        loop.close()
        raise
    bot, emulator = world.bot, world.emulator
    try:
        help_before = loop.run_until_complete(bot.say(world.calm, "/help")).text
        first = emulator.mark()
        before = loop.run_until_complete(snapshot(world))

        assert fuzz(loop, world, errors, world.people, examples=EXAMPLES, batch=BATCH) >= EXAMPLES
        assert loop.run_until_complete(snapshot(world)) == before

        staff = fuzz(loop, world, errors, world.staff, examples=STAFF_EXAMPLES, batch=STAFF_BATCH)
        assert staff >= STAFF_EXAMPLES
        loop.run_until_complete(bot.services.outbox.drained())

        assert problems(world, errors) == []
        calls = emulator.calls[first:]
        refused = [
            (c.method, c.params, c.error)
            for c in calls
            if not c.ok and not (c.error and HARMLESS_REFUSAL in c.error["description"])
        ]
        assert refused == []
        for call in calls:
            text, caption = str(call.params.get("text", "")), str(call.params.get("caption", ""))
            assert "Traceback" not in text + caption
            assert len(text.encode("utf-16-le")) // 2 <= TEXT_LIMIT
            assert len(caption.encode("utf-16-le")) // 2 <= CAPTION_LIMIT
        assert loop.run_until_complete(bot.say(world.calm, "/help")).text == help_before
        # the engagement log holds the bot's own kinds and values, nothing forged
        loop.run_until_complete(bot.services.events.flush())
        assert loop.run_until_complete(foreign_events(world)) == []
    finally:
        loop.run_until_complete(bot.stop())
        loop.run_until_complete(emulator.stop())
        loop.close()
