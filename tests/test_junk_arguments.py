"""Junk values never reach a traceback: hypothesis drives every command's argument parser,
and every free-text step, with random strings (huge ones, control characters, RTL marks,
emoji, numbers and years far out of range) through the services the handlers call, and
each must give an answer: a ``Reply`` whose text fits a message, or a friendly
``DomainError`` whose key every language has, short enough to say. Never anything else.

The services run as the bot builds them (``services_without_telegram``) on a real
database built by the migrations, with a fake clock, so state carries over between
examples as it does in production (a name that was accepted stays). The handlers' own
parsing is the same code (``handlers/*.py``'s pure functions) the bot runs. A command
added to ``bot/commands.py`` without an entry here fails the first test.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot.clock import FixedClock
from bot.commands import COMMANDS
from bot.errors import DomainError
from bot.i18n import LOCALES_DIR, Translator, catalog_keys
from bot.payload import CAPTION_LIMIT, TEXT_LIMIT, TextContent, telegram_length
from bot.replies import File, Reply
from bot.roles import ChatKind
from bot.runtime.wiring import Services
from bot.services.meetings import SET_CALENDAR, _rhythm_changes
from bot.services.people import language_menu
from bot.services.polls import poll_request
from bot.settings import LANGUAGES
from bot.when import parse_dates, parse_weekly, parse_when
from handlers.exports import export_kind
from handlers.invitations import parse_invite
from handlers.polls import results_request
from handlers.staff import leave_request
from handlers.stats import stats_request
from handlers.tips import approval_request, save_request
from storage import Database, apply_migrations
from storage.groups import Group
from storage.states import StaffRole
from testing.databases import database_for
from testing.harness import START, instructor_with_group

ADMIN, INSTRUCTOR, COORDINATOR, PARTICIPANT = 1, 3, 4, 5
GROUP_CHAT = -100
ERROR_LIMIT = 1000  # characters: an error echoes at most a short piece of what was typed
TRANSLATOR = Translator.load()


@dataclass
class World:
    services: Services
    group: Group
    clock: FixedClock


Drive = Callable[[World, list[str], str], Awaitable[object]]


async def _group_args(world: World, args: list[str], *, private: bool) -> tuple[Group, list[str]]:
    return await world.services.meetings.which_group(
        INSTRUCTOR, GROUP_CHAT, private=private, args=args
    )


async def _meetings(world: World, args: list[str], _: str) -> object:
    """/meetings as typed in private; a calendar's question is confirmed as typed."""
    group, rest = await _group_args(world, args, private=True)
    meetings = world.services.meetings
    reply = await meetings.calendar_command(INSTRUCTOR, group, rest, chat_id=INSTRUCTOR)
    for row in reply.buttons:
        for button in row:
            if (button.data or "").startswith(SET_CALENDAR):
                return await meetings.answer_calendar(INSTRUCTOR, INSTRUCTOR, button.data or "")
    return reply


def _change(action: str) -> Drive:
    async def drive(world: World, args: list[str], _: str) -> object:
        group, rest = await _group_args(world, args, private=False)
        return await world.services.meetings.change_command(
            INSTRUCTOR, group, action, rest, chat_id=INSTRUCTOR
        )

    return drive


async def _rhythm(world: World, args: list[str], _: str) -> object:
    group, rest = await _group_args(world, args, private=True)
    return await world.services.meetings.rhythm_command(INSTRUCTOR, group, rest)


async def _season(world: World, args: list[str], _: str) -> object:
    seasons = world.services.seasons
    group, rest = await seasons.which_group(INSTRUCTOR, INSTRUCTOR, private=True, args=args)
    return await seasons.command(INSTRUCTOR, group, rest)


async def _checkins(world: World, args: list[str], _: str) -> object:
    group, _rest = await _group_args(world, args, private=True)
    return await world.services.checkins.figures_report(INSTRUCTOR, group.id)


async def _buddies(world: World, args: list[str], _: str) -> object:
    group, _rest = await _group_args(world, args, private=True)
    return await world.services.checkins.buddies(INSTRUCTOR, group.id)


async def _start(world: World, args: list[str], text: str) -> object:
    person = await world.services.people.get(PARTICIPANT)
    assert person is not None
    if not args:
        return Reply.of("start.welcome", name="Aino")
    return await world.services.deep_links.open(person, args[0], text[:128] or "Aino")


async def _group(world: World, _: list[str], text: str) -> object:
    in_private = await world.services.groups.settings_command(
        INSTRUCTOR, INSTRUCTOR, private=True, words=text
    )
    in_group = await world.services.groups.settings_command(
        INSTRUCTOR, GROUP_CHAT, private=False, words=text
    )
    return [in_private, in_group]


async def _invite(world: World, args: list[str], _: str) -> object:
    request = parse_invite(args)
    return await world.services.invitations.create(
        COORDINATOR,
        request.role,
        group_id=request.group_id,
        organisation_id=request.organisation_id,
        uses=request.uses,
    )


async def _stats(world: World, args: list[str], _: str) -> object:
    group_id, chart = stats_request(args)
    if chart:  # a picture takes long to draw: the words were read, which is the point
        return Reply("chart")
    return await world.services.stats.report(COORDINATOR, group_id)


async def _export(world: World, args: list[str], _: str) -> object:
    export_kind(args)
    return await world.services.exports.groups_for(COORDINATOR)


async def _save(world: World, args: list[str], _: str) -> object:
    return await world.services.tips.offer_saving(INSTRUCTOR, save_request(args))


async def _poll(world: World, _: list[str], text: str) -> object:
    return await world.services.polls.compose(INSTRUCTOR, f"/poll {text}")


async def _pollresults(world: World, args: list[str], _: str) -> object:
    return (await world.services.polls.results(INSTRUCTOR, results_request(args), "fi"))[0]


async def _approval(world: World, args: list[str], _: str) -> object:
    return await world.services.tips.set_review(COORDINATOR, approval_request(args))


async def _leave(world: World, _: list[str], text: str) -> object:
    return await world.services.staff.ask_leave(INSTRUCTOR, leave_request(text))


async def _orgcontact(world: World, _: list[str], text: str) -> object:
    if not text:
        raise DomainError("org.contact-usage")
    organisations = world.services.organisations
    return organisations.contact_set(await organisations.set_privacy_contact(COORDINATOR, text))


async def _neworg(world: World, _: list[str], text: str) -> object:
    if not text:
        raise DomainError("org.usage")
    organisations = world.services.organisations
    return organisations.founded(await organisations.found(ADMIN, text), "https://t.me/x")


def _plain(call: Callable[[World], Awaitable[object]]) -> Drive:
    """A command that takes no words: the handler never reads them."""

    async def drive(world: World, _args: list[str], _text: str) -> object:
        return await call(world)

    return drive


async def _sync(value: object) -> object:
    return value


# Every command, as its handler reads its words and calls the services.
COMMAND_DRIVERS: dict[str, Drive] = {
    "start": _start,
    "help": _plain(lambda w: w.services.people.help_for(INSTRUCTOR, ChatKind.PRIVATE)),
    "language": _plain(lambda w: _sync(language_menu())),
    "privacy": _plain(lambda w: w.services.consent.privacy_notices(PARTICIPANT)),
    "consent": _plain(lambda w: w.services.consent.consent_notices(PARTICIPANT)),
    "tip": _plain(lambda w: w.services.tips.asked(PARTICIPANT, "fi")),
    "survey": _plain(lambda w: w.services.surveys.resume(PARTICIPANT, "fi")),
    "mydata": _plain(lambda w: w.services.privacy.my_data(PARTICIPANT)),
    "forgetme": _plain(lambda w: w.services.privacy.ask_forget(PARTICIPANT)),
    "groups": _plain(lambda w: w.services.groups.listing(INSTRUCTOR)),
    "group": _group,
    "broadcast": _plain(lambda w: w.services.broadcasts.begin(INSTRUCTOR)),
    "scheduled": _plain(lambda w: w.services.broadcasts.scheduled_listing(INSTRUCTOR)),
    "broadcasts": _plain(lambda w: w.services.broadcasts.recent_listing(INSTRUCTOR)),
    "save": _save,
    "meetings": _meetings,
    "cancel": _change("cancel"),
    "uncancel": _change("uncancel"),
    "remote": _change("remote"),
    "rhythm": _rhythm,
    "season": _season,
    "schedule": _plain(lambda w: w.services.meetings.schedule_listing(INSTRUCTOR)),
    "checkins": _checkins,
    "buddies": _buddies,
    "invite": _invite,
    "invites": _plain(lambda w: w.services.invitations.listing(COORDINATOR)),
    "leave": _leave,
    "stats": _stats,
    "export": _export,
    "review": _plain(lambda w: w.services.tips.reviews(COORDINATOR)),
    "staff": _plain(lambda w: w.services.staff.listing(COORDINATOR)),
    "approval": _approval,
    "orgcontact": _orgcontact,
    "neworg": _neworg,
    "myposts": _plain(lambda w: w.services.posts.my_posts(PARTICIPANT)),
    "poll": _poll,
    "pollresults": _pollresults,
}


async def _broadcast_time(world: World, _: list[str], text: str) -> object:
    """The time typed after "later" in a broadcast being composed."""
    broadcasts = world.services.broadcasts
    await broadcasts.begin(INSTRUCTOR)
    await broadcasts.received(
        INSTRUCTOR, TextContent(text="Muistakaa kävellä"), text="Muistakaa kävellä", album=None
    )
    await broadcasts.toggle_target(INSTRUCTOR, None)
    await broadcasts.ask_time(INSTRUCTOR)
    return await broadcasts.received(INSTRUCTOR, None, text=text, album=None)


async def _broadcast_content(world: World, _: list[str], text: str) -> object:
    """Text sent to the bot in private by staff (it becomes a draft)."""
    broadcasts = world.services.broadcasts
    content = TextContent(text=text) if text.strip() else None
    return await broadcasts.received(INSTRUCTOR, content, text=text or None, album=None)


async def _rejection_reason(world: World, _: list[str], text: str) -> object:
    """What a coordinator writes when asked why a contribution is rejected: a new
    contribution each time (an instructor's broadcast saved to the library), so that the
    question is open."""
    services = world.services
    broadcasts = services.broadcasts
    await broadcasts.received(INSTRUCTOR, TextContent(text="Vinkki"), text="Vinkki", album=None)
    await broadcasts.toggle_target(INSTRUCTOR, None)
    broadcast, _groups = await broadcasts.send_draft(INSTRUCTOR, None)
    await services.tips.save(INSTRUCTOR, broadcast.id, "sleep", "fi")
    async with services.database.transaction() as tx:
        contribution = await tx.tips.contribution_of_broadcast(broadcast.id)
    assert contribution is not None
    await services.tips.ask_reason(COORDINATOR, contribution.id)
    return await services.tips.reason_written(COORDINATOR, text)


async def _plan(world: World, _: list[str], __: str) -> object:
    """A participant writing their week's plan: never read."""
    return await world.services.checkins.plan_written(PARTICIPANT)


FREE_TEXT_DRIVERS: dict[str, Drive] = {
    "broadcast time": _broadcast_time,
    "broadcast content": _broadcast_content,
    "rejection reason": _rejection_reason,
    "week's plan": _plan,
}


# Junk -------------------------------------------------------------------------------------

ODD = (
    *("", " ", "\n\n", "\u202e\u202dRTL עברית العربية", "\x00\x01\x1b[31m\x7f", "\u200b"),
    *("🙂" * 50, "👨‍👩‍👧‍👦🏳️‍🌈", "<b>x</b> *y* _z_ `w` [a](b)", "@all", "\ud7ff\uffff", "'; --"),
)
WORDS = (
    *("1", "-5", "0", "x2", "x99", "×0", "99999999999", "1" * 40, "1e309", "NaN", "-0", "#1"),
    *("ti", "tue", "tisdag", "14:00", "25:99", "99:99", "2pm", "13pm", "0am", "klo", "9."),
    *("1.12.", "31.2.", "1.1.9999", "9999-12-31", "31.12.9999", "1.1.0001", "0001-01-01"),
    *("1.1.1900", "1.1.2100", "1.1.10000", "3.12.2026", "huomenna", "today", "..", "–", "-"),
    *("on", "off", "pois", "all", "csv", "zip", "chart", "org", "coordinator", "instructor"),
    *("name", "timezone", "language", "aikavyöhyke", "Europe/Helsinki", "UTC", "Etc/GMT+14"),
    *("../../etc/passwd", "Europe", "localtime", "Factory", "zone.tab", "Europe/x" * 50),
    *("evening", "before", "midweek", "quiet", "checkins", "followups", "21-08", "8-8"),
    *("https://example.org/meet", "http://", "Kävelyryhmä", "fi", "sv", "en", "xx"),
    *("²", "٣", "¹²:³⁴", "١.١٢.", "Ⅻ", "１２", "٣٣"),
)


def texts() -> st.SearchStrategy[str]:
    very_long = st.builds(
        lambda unit, n: (unit or "x") * n, st.text(min_size=1, max_size=3), st.integers(300, 6000)
    )
    huge_number = st.integers(min_value=-(10**30), max_value=10**30).map(str)
    word = st.one_of(
        st.sampled_from(WORDS),
        st.sampled_from(WORDS),
        st.sampled_from(WORDS),
        st.sampled_from(ODD),
        st.text(max_size=12),
        huge_number,
        very_long,
    )
    words = st.lists(word, max_size=7).map(" ".join)
    return st.one_of(st.text(max_size=60), st.sampled_from(ODD), very_long, words, words, words)


# The words each command knows, to put first so that the junk reaches the deeper parsing.
LEADS: dict[str, tuple[str, ...]] = {
    "group": ("timezone", "name", "language", "1 timezone", "1 name", "aikavyöhyke", "nimi"),
    "meetings": ("ti 14:00", "1 ti 14:00", "tue 2 pm", "ti 14:00 1.12.", "ti 14:00 3.12. x6"),
    "cancel": ("8.12.", "8.12. – 15.12.", "huomenna", "ti", "1.12.–31.12."),
    "uncancel": ("8.12.", "8.12. – 15.12.", "ti"),
    "remote": ("8.12.", "8.12. https://meet.example.org/x", "ti"),
    "rhythm": ("evening", "before", "midweek", "midweek 3", "quiet", "checkins", "followups"),
    "invite": ("instructor", "coordinator", "instructor 1", "coordinator org"),
    "stats": ("1", "chart", "1 chart"),
    "start": ("join_", "inv_", "consent_"),
    "season": ("1", "new", "after", "1 after", "after weekly", "1 new"),
    "neworg": ("Espoo",),
    "orgcontact": ("tietosuoja@espoo.fi",),
}


def arguments(command: str = "") -> st.SearchStrategy[str]:
    """What follows the command: junk, or junk after words the command knows."""
    leads = LEADS.get(command)
    if not leads:
        return texts()
    led = st.builds(lambda lead, rest: f"{lead} {rest}", st.sampled_from(leads), texts())
    return st.one_of(texts(), led, led)


# Checking an answer -------------------------------------------------------------------------

CATALOG_KEYS = {
    language: set(catalog_keys(LOCALES_DIR / f"{language}.po")) for language in LANGUAGES
}


def parts(outcome: object) -> Iterator[object]:
    """What an outcome holds: itself, the items of a list, the fields of a result."""
    if isinstance(outcome, list | tuple):
        for item in outcome:
            yield from parts(item)
        return
    yield outcome
    if not isinstance(outcome, Reply | File | str | bytes) and hasattr(outcome, "__dict__"):
        yield from (value for value in vars(outcome).values() if isinstance(value, Reply | File))


def check_answer(translator: Translator, outcome: object) -> None:
    """Every ``Reply`` in what a service gave back renders and fits a message in every
    language; a ``File``'s caption fits a caption."""
    for part in parts(outcome):
        for language in LANGUAGES:
            if isinstance(part, Reply):
                text = translator.render(language, part.text)
                assert telegram_length(text) <= TEXT_LIMIT, (language, text[:200])
                for row in part.buttons:
                    for button in row:
                        translator.render(language, button.label)
            elif isinstance(part, File):
                caption = translator.render(language, part.caption)
                assert telegram_length(caption) <= CAPTION_LIMIT, (language, caption[:200])


def check_refusal(translator: Translator, refusal: DomainError) -> None:
    """A friendly refusal: its key in every language, short to say."""
    for language in LANGUAGES:
        assert refusal.key in CATALOG_KEYS[language], (refusal.key, language)
        said = translator.text(language, refusal.key, **refusal.params)
        assert telegram_length(said) <= ERROR_LIMIT, (refusal.key, said[:200])


async def attempt(world: World, drive: Drive, rest: str) -> None:
    translator = world.services.translator
    try:
        outcome = await drive(world, rest.split(), rest.strip())
    except DomainError as refusal:
        check_refusal(translator, refusal)
    else:
        check_answer(translator, outcome)


# The world ------------------------------------------------------------------------------------


async def build(tmp_path: Path) -> World:
    clock = FixedClock(START)
    database = Database(database_for(tmp_path / "kannustin.db"))
    await database.connect()
    await apply_migrations(database, clock.now())
    services, group = await instructor_with_group(
        database, clock, instructor=INSTRUCTOR, title="Kävelyryhmä", language="fi"
    )
    await services.people.record_contact(COORDINATOR, "sv")
    await services.people.record_contact(PARTICIPANT, "en")
    made = await services.invitations.create(
        ADMIN, StaffRole.COORDINATOR, organisation_id=(await services.organisations.all())[0].id
    )
    person = await services.people.get(COORDINATOR)
    assert person is not None
    await services.invitations.accept(person, made.token, "Kaisa")
    await services.groups.member_seen(GROUP_CHAT, PARTICIPANT, name="Aino")
    await services.meetings.set_calendar(INSTRUCTOR, group.id, "ti 14:00", "1.12.", count=4)
    return World(services, group, clock)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[asyncio.AbstractEventLoop, World]]:
    # hypothesis drives a synchronous test; the services run on a loop of their own
    loop = asyncio.new_event_loop()
    try:
        built = loop.run_until_complete(build(tmp_path))
        yield loop, built
        loop.run_until_complete(built.services.database.close())
    finally:
        loop.close()


JUNK_SETTINGS = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    # the services' state carries over, so a replayed example may not fail again
    phases=[Phase.generate],
    report_multiple_bugs=False,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)


def test_every_command_has_a_driver() -> None:
    assert sorted(COMMAND_DRIVERS) == sorted(command.name for command in COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMAND_DRIVERS))
def test_every_command_answers_junk_arguments(
    world: tuple[asyncio.AbstractEventLoop, World], command: str
) -> None:
    loop, built = world

    @JUNK_SETTINGS
    @given(arguments(command))
    def feed(rest: str) -> None:
        loop.run_until_complete(attempt(built, COMMAND_DRIVERS[command], rest))

    feed()


def test_every_free_text_step_answers_junk(
    world: tuple[asyncio.AbstractEventLoop, World],
) -> None:
    loop, built = world

    @given(st.sampled_from(sorted(FREE_TEXT_DRIVERS)), arguments())
    @JUNK_SETTINGS
    def feed(step: str, rest: str) -> None:
        loop.run_until_complete(attempt(built, FREE_TEXT_DRIVERS[step], rest))

    feed()


# The cases that once ended in a traceback, and their answers -----------------------------


def give(world: tuple[asyncio.AbstractEventLoop, World], command: str, rest: str) -> object:
    """The command with these words, as its handler would read them."""
    loop, built = world
    return loop.run_until_complete(COMMAND_DRIVERS[command](built, rest.split(), rest.strip()))


NAMED_CASES = [
    ("meetings", "ti 14:00 31.12.9999", "when.out-of-range"),
    ("meetings", "1 ti 14:00 1.1.9999 x52", "when.out-of-range"),
    ("meetings", "ti 14:00 1.1.1900", "when.out-of-range"),
    ("cancel", "31.12.9999", "when.out-of-range"),
    ("remote", "1.1.9999 https://meet.example.org/x", "when.out-of-range"),
    ("cancel", "8.12. " + "syy " * 100, "meetings.reason-too-long"),
    ("group", "timezone " + "a" * 5000, "group.timezone-unknown"),
    ("group", "1 timezone Europe/" + "x" * 300, "group.timezone-unknown"),
    ("group", "timezone Europe", "group.timezone-unknown"),
    ("group", "timezone ../../etc/passwd", "group.timezone-unknown"),
    ("group", "timezone zone.tab", "group.timezone-unknown"),
    ("group", "timezone Europe/Helsinki\x00", "group.timezone-unknown"),
    ("meetings", "² ti 14:00 3.12.", "when.unparseable-weekly"),
    ("season", "² after weekly", "season.usage"),
]


@pytest.mark.parametrize(("command", "rest", "key"), NAMED_CASES)
def test_named_junk_gets_its_own_answer(
    world: tuple[asyncio.AbstractEventLoop, World], command: str, rest: str, key: str
) -> None:
    with pytest.raises(DomainError) as refused:
        give(world, command, rest)

    assert refused.value.key == key
    check_refusal(TRANSLATOR, refused.value)


# Control characters are dropped from what is stored (PostgreSQL refuses a NUL in text).
CLEANED_CASES = [
    ("group", "1 name Kävely\x00ryhmä\x1b", "Kävelyryhmä"),
    ("neworg", "Van\x00taa", "Vantaa"),
    ("orgcontact", "tieto\x00suoja@espoo.fi\x7f", "tietosuoja@espoo.fi"),
]


@pytest.mark.parametrize(("command", "rest", "shown"), CLEANED_CASES)
def test_control_characters_are_dropped_from_what_is_stored(
    world: tuple[asyncio.AbstractEventLoop, World], command: str, rest: str, shown: str
) -> None:
    outcome = give(world, command, rest)

    texts = [
        TRANSLATOR.render("fi", part.text) for part in parts(outcome) if isinstance(part, Reply)
    ]
    assert any(shown in text for text in texts), texts


def test_control_characters_leave_a_reason_and_a_place_readable(
    world: tuple[asyncio.AbstractEventLoop, World],
) -> None:
    loop, built = world

    loop.run_until_complete(_meetings(built, ["1", "ti", "14:00", "3.12.", "Kir\x00jasto"], ""))
    loop.run_until_complete(_change("cancel")(built, ["8.12.", "sai\x00raus"], ""))

    schedule = loop.run_until_complete(built.services.meetings.schedule(INSTRUCTOR, built.group.id))
    assert schedule.calendar is not None and schedule.calendar.place == "Kirjasto"
    assert [m.reason for m in schedule.meetings if m.reason] == ["sairaus"]


def test_a_known_zone_in_any_case_is_taken_by_its_name(
    world: tuple[asyncio.AbstractEventLoop, World],
) -> None:
    loop, built = world

    replies = loop.run_until_complete(
        COMMAND_DRIVERS["group"](built, [], "timezone america/new_york")
    )

    assert isinstance(replies, list)
    text = built.services.translator.render("en", replies[1].text)
    assert "America/New_York" in text


# The pure parsers, many more examples ------------------------------------------------------

NOW = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)
PARSERS: dict[str, Callable[[str], Any]] = {
    "when": lambda text: parse_when(text, NOW, "Europe/Helsinki"),
    "dates": lambda text: parse_dates(text, NOW, "Europe/Helsinki"),
    "weekly": parse_weekly,
    "rhythm": lambda text: _rhythm_changes(
        text.split()[0] if text.split() else "", text.split()[1:]
    ),
    "invite": lambda text: parse_invite(text.split()),
    "stats": lambda text: stats_request(text.split()),
    "export": lambda text: export_kind(text.split()),
    "save": lambda text: save_request(text.split()),
    "approval": lambda text: approval_request(text.split()),
    "poll": lambda text: poll_request(f"/poll {text}"),
    "pollresults": lambda text: results_request(text.split()),
    "leave": leave_request,
}


@settings(max_examples=1500, deadline=None, derandomize=True, database=None)
@given(st.sampled_from(sorted(PARSERS)), arguments())
def test_the_parsers_answer_or_refuse_kindly(parser: str, text: str) -> None:
    try:
        PARSERS[parser](text)
    except DomainError as refusal:
        check_refusal(TRANSLATOR, refusal)
