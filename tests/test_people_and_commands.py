"""Language resolution, roles, the command list and deep-link routing, as plain functions."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.clock import FixedClock
from bot.commands import COMMANDS, commands_for
from bot.deeplinks import DeepLinkRouter
from bot.errors import DomainError
from bot.replies import Reply
from bot.roles import ChatKind, Role
from bot.services.people import PeopleService, resolve_language
from storage import Database
from storage.people import Person

NOW = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)


def person(language: str | None = None, telegram_language: str | None = None) -> Person:
    return Person(1, language, telegram_language, NOW, NOW)


@pytest.mark.parametrize(
    ("stored", "app", "expected"),
    [
        (person(language="sv", telegram_language="en"), "en", "sv"),  # the choice wins
        (person(telegram_language="en"), "en-US", "en"),  # then the app's language
        (person(telegram_language="sv"), None, "sv"),  # then the app language seen before
        (person(telegram_language="de"), "de", "fi"),  # then the default
        (None, "sv", "sv"),
        (None, None, "fi"),
    ],
)
def test_the_language_to_answer_in(stored: Person | None, app: str | None, expected: str) -> None:
    assert resolve_language(stored, app, "fi") == expected


async def test_an_unknown_language_choice_changes_nothing(
    database: Database, clock: FixedClock
) -> None:
    people = PeopleService(database, clock, default_language="fi", admins=frozenset())
    await people.record_contact(1, "en")

    with pytest.raises(DomainError) as raised:
        await people.choose_language(1, "xx")

    assert raised.value.key == "language.unknown"
    stored = await people.get(1)
    assert stored is not None and stored.language is None


async def test_choosing_a_language_before_any_contact_creates_the_person(
    database: Database, clock: FixedClock
) -> None:
    people = PeopleService(database, clock, default_language="fi", admins=frozenset())

    chosen = await people.choose_language(5, "en")

    assert chosen.language == "en"


async def test_admins_come_from_the_settings(database: Database, clock: FixedClock) -> None:
    people = PeopleService(database, clock, default_language="fi", admins=frozenset({7}))

    assert await people.roles_of(7) == {Role.EVERYONE, Role.ADMIN}
    assert await people.roles_of(8) == {Role.EVERYONE}


def test_help_shows_only_what_a_role_may_use_where_it_is() -> None:
    def names(roles: set[Role], chat: ChatKind) -> list[str]:
        return [c.name for c in commands_for(roles, chat, COMMANDS)]

    everyone = [
        "start",
        "help",
        "language",
        "privacy",
        "consent",
        "tip",
        "survey",
        "myposts",
        "mydata",
        "forgetme",
    ]
    staff = [
        "groups",
        "group",
        "broadcast",
        "scheduled",
        "broadcasts",
        "save",
        "poll",
        "pollresults",
        "meetings",
        "cancel",
        "uncancel",
        "remote",
        "rhythm",
        "season",
        "schedule",
        "checkins",
        "buddies",
        "invite",
        "invites",
        "leave",
        "stats",
    ]
    assert names({Role.EVERYONE}, ChatKind.PRIVATE) == everyone
    assert names({Role.EVERYONE, Role.PARTICIPANT}, ChatKind.PRIVATE) == everyone
    assert names({Role.EVERYONE, Role.INSTRUCTOR}, ChatKind.PRIVATE) == everyone + staff
    assert names({Role.EVERYONE, Role.COORDINATOR}, ChatKind.PRIVATE) == [
        *everyone,
        *staff,
        "export",
        "review",
        "staff",
        "approval",
        "orgcontact",
    ]
    assert names({Role.EVERYONE, Role.ADMIN}, ChatKind.PRIVATE) == [
        *everyone,
        *staff,
        "export",
        "review",
        "staff",
        "neworg",
    ]
    assert names({Role.EVERYONE}, ChatKind.GROUP) == ["help", "privacy"]
    assert names({Role.EVERYONE, Role.INSTRUCTOR}, ChatKind.GROUP) == [
        "help",
        "privacy",
        "group",
        "meetings",
        "cancel",
        "uncancel",
        "remote",
        "rhythm",
        "season",
    ]


async def test_deep_links_reach_the_handler_of_their_prefix() -> None:
    router = DeepLinkRouter()
    opened: list[tuple[int, str]] = []

    async def accept_invitation(who: Person, argument: str, name: str) -> Reply:
        opened.append((who.telegram_id, argument))
        return Reply.of("start.welcome", name=name)

    router.register("inv", accept_invitation)
    unknown = Reply.of("start.link-unknown")

    assert await router.open(person(), "inv_abc-DEF_123", "Aino") == Reply.of(
        "start.welcome", name="Aino"
    )
    assert opened == [(1, "abc-DEF_123")]
    assert await router.open(person(), "inv_", "Aino") == unknown
    assert await router.open(person(), "zzz_abc", "Aino") == unknown
    assert await router.open(person(), "inv_" + "a" * 70, "Aino") == unknown
    assert await router.open(person(), "inv_a<b", "Aino") == unknown
    assert opened == [(1, "abc-DEF_123")]


def test_deep_links_are_built_within_telegrams_rules() -> None:
    assert (
        DeepLinkRouter.link("kannustin_bot", "inv", "abc")
        == "https://t.me/kannustin_bot?start=inv_abc"
    )
    with pytest.raises(ValueError, match="1-64"):
        DeepLinkRouter.link("kannustin_bot", "inv", "x" * 61)
    router = DeepLinkRouter()
    with pytest.raises(ValueError, match="lowercase"):
        router.register("Inv_", lambda who, argument: None)  # type: ignore[arg-type,return-value]
