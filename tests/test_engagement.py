"""Who is remembered and what counts as taking part, decided by EngagementService from plain
values: a served group's activity is logged as metadata, a group the bot does not serve
leaves no trace, and the language follows the group or the person."""

from __future__ import annotations

import json

import pytest

from bot.clock import FixedClock
from bot.runtime.wiring import Services
from bot.services.engagement import MemberChange, Sighting
from storage import Database
from testing.harness import instructor_with_group

AINO, MALLORY = 501, 666


@pytest.fixture
async def services(database: Database, clock: FixedClock) -> Services:
    """Services with a Swedish-speaking group (chat -100) that an instructor registered."""
    built, _ = await instructor_with_group(
        database, clock, instructor=30, title="Kävelyryhmä", language="sv"
    )
    return built


async def logged(services: Services, database: Database) -> list[tuple[str, dict[str, object]]]:
    await services.events.flush()
    async with database.transaction() as tx:
        events = await tx.events.latest(100)
    return [(event.kind, json.loads(event.attributes or "{}")) for event in events]


def in_group(chat_id: int = -100, **seen: object) -> Sighting:
    values: dict[str, object] = {
        "person_id": AINO,
        "language_code": "en",
        "first_name": "Aino",
        **seen,
    }
    return Sighting(1, chat_id, private=False, **values)  # type: ignore[arg-type]


async def test_taking_part_in_a_served_group_is_logged_by_kind_never_by_text(
    services: Services, database: Database
) -> None:
    engagement = services.engagement

    known = await engagement.seen(in_group(message=("text",)))
    await engagement.seen(in_group(message=("text",), command=True))
    await engagement.seen(in_group(message=("document", "animation"), reply=True))
    await engagement.seen(in_group(message=()))  # a service message
    await engagement.seen(in_group(reaction_change=-1))
    await engagement.seen(in_group(button="ck:s:12"))
    await engagement.seen(in_group(member=MemberChange(502, "left", "restricted")))
    await engagement.seen(in_group(member=MemberChange(503, "member", "member")))
    await engagement.seen(Sighting(2, -100, private=False, anonymous_reactions=4))

    assert known.language == "sv" and known.person is None  # chatter is not contact
    assert await logged(services, database) == [
        ("message", {"type": "text"}),
        ("message", {"type": "command"}),
        ("reply", {"type": "document"}),
        ("reaction", {"change": -1}),
        ("button", {"button": "ck"}),
        ("joined", {}),
        ("reaction", {"total": 4, "anonymous": True}),
    ]
    # a participant who wrote is one of the group; one who addressed the bot is a contact
    async with database.transaction() as tx:
        assert await tx.groups.participant_name(1, AINO) == "Aino"
    assert await services.people.get(AINO) is not None


async def test_a_group_the_bot_does_not_serve_leaves_no_trace(
    services: Services, database: Database
) -> None:
    engagement = services.engagement

    known = await engagement.seen(
        in_group(-200, person_id=MALLORY, message=("text",), command=True, language_code="en")
    )
    await engagement.seen(Sighting(2, -200, private=False, anonymous_reactions=4))

    assert known.language == "en" and known.person is None
    assert await services.people.get(MALLORY) is None
    assert await logged(services, database) == []


async def test_in_private_the_person_is_remembered_and_their_buttons_logged(
    services: Services, database: Database
) -> None:
    known = await services.engagement.seen(
        Sighting(
            3,
            AINO,
            private=True,
            person_id=AINO,
            language_code="sv-FI",
            button="averyveryverylongname:1",
        )
    )

    assert known.person is not None and known.person.telegram_id == AINO
    assert known.language == "sv"
    assert await logged(services, database) == [("button", {"button": "averyveryverylon"})]
    bot = await services.engagement.seen(Sighting(4, AINO, private=True, person_id=7, is_bot=True))
    assert bot.person is None and await services.people.get(7) is None
