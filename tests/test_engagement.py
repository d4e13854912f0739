"""Who is remembered and what counts as taking part, decided by EngagementService from plain
values: a served group's activity is logged as metadata, a group the bot does not serve
leaves no trace, and the language follows the group or the person."""

from __future__ import annotations

import json
from pathlib import Path
from random import Random

import pytest

from bot.clock import FixedClock
from bot.runtime.wiring import Services
from bot.services import buttons
from bot.services.engagement import MemberChange, Sighting
from storage import Database
from testing.databases import stored_bytes
from testing.harness import instructor_with_group

AINO, MALLORY = 501, 666
# what forged data is made of: letters of three languages, markup, spaces, emoji
FORGED_ALPHABET = "abcdefghijklmnopqrstuvwxyzäöåÄÖÅ0123456789 :<>/&;'\"=-_😀"


@pytest.fixture
async def services(database: Database, clock: FixedClock) -> Services:
    """Services with a Swedish-speaking group (chat -100) that an instructor registered."""
    built, _ = await instructor_with_group(
        database, clock, instructor=30, title="Kävelyryhmä", language="sv"
    )
    return built


async def logged(
    services: Services, database: Database, limit: int = 100
) -> list[tuple[str, dict[str, object]]]:
    await services.events.flush()
    async with database.transaction() as tx:
        events = await tx.events.latest(limit)
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


async def test_in_private_a_stranger_is_remembered_but_leaves_no_events(
    services: Services, database: Database
) -> None:
    known = await services.engagement.seen(
        Sighting(3, AINO, private=True, person_id=AINO, language_code="sv-FI", button="lang:sv")
    )

    assert known.person is not None and known.person.telegram_id == AINO
    assert known.language == "sv"
    assert await logged(services, database) == []  # no role, no group: nothing to count
    bot = await services.engagement.seen(Sighting(4, AINO, private=True, person_id=7, is_bot=True))
    assert bot.person is None and await services.people.get(7) is None


async def test_own_buttons_are_logged_by_namespace_and_any_other_data_as_unrecognised(
    services: Services, database: Database
) -> None:
    engagement = services.engagement

    await engagement.seen(in_group(message=("text",)))  # Aino takes part in the group
    for n, data in enumerate(("ck:c:12:8", "averyveryverylongname:1", "ck:c:12 <b>", "")):
        await engagement.seen(Sighting(n, AINO, private=True, person_id=AINO, button=data))
    await engagement.seen(in_group(button="tip:v:lib:sleep-1:fi"))
    await engagement.seen(in_group(button="Kävelin järven ympäri"))
    await engagement.seen(Sighting(9, 30, private=True, person_id=30, button="bc:all"))  # staff

    assert await logged(services, database) == [
        ("message", {"type": "text"}),
        ("button", {"button": "ck"}),
        ("unrecognised", {}),
        ("unrecognised", {}),
        ("unrecognised", {}),
        ("button", {"button": "tip"}),
        ("unrecognised", {}),
        ("button", {"button": "bc"}),
    ]


async def test_a_thousand_forged_presses_leave_no_piece_of_their_data(
    services: Services, database: Database, tmp_path: Path
) -> None:
    engagement = services.engagement
    await engagement.seen(in_group(message=("text",)))  # Aino takes part in the group
    random = Random(17)
    junk = [
        "".join(random.choices(FORGED_ALPHABET, k=random.randint(60, 300))) for _ in range(1_000)
    ]
    forged = [random.choice(("", *buttons.ISSUED)) + piece for piece in junk]  # some with our start

    for n, data in enumerate(forged):  # a stranger, in private
        await engagement.seen(Sighting(n, MALLORY, private=True, person_id=MALLORY, button=data))
    strangers = await logged(services, database)
    for n, data in enumerate(forged):  # a participant, in the group and in private
        await engagement.seen(in_group(button=data))
        await engagement.seen(Sighting(n, AINO, private=True, person_id=AINO, button=data))

    assert strangers == [("message", {"type": "text"})]
    limit = services.events.per_person.limit
    assert await logged(services, database, 10_000) == [
        ("message", {"type": "text"}),
        *[("unrecognised", {})] * limit,
    ]
    stored = stored_bytes(tmp_path / "kannustin.db")
    assert b"Aino" in stored  # the scan does see what is stored
    for piece in junk:
        for start in range(0, len(piece) - 8, 8):  # no piece of it, anywhere
            assert piece[start : start + 8].encode() not in stored


async def test_forged_presses_count_in_no_figure(services: Services, database: Database) -> None:
    engagement = services.engagement
    for data in ("Kävelin järven ympäri", "ck:c:12 <b>", "averyveryverylongname:1"):
        await engagement.seen(in_group(button=data))  # Aino: forged presses only
    britt = in_group(person_id=AINO + 1, first_name="Britt", button="tip:v:lib:sleep-1:fi")
    await engagement.seen(britt)  # Britt: one press of the bot's own button

    kinds = [kind for kind, _ in await logged(services, database)]
    assert kinds.count("unrecognised") == 3 and kinds.count("button") == 1
    (group,) = (await services.stats.weekly()).groups
    assert [(week.active, week.taps) for week in group.weeks] == [(1, 1)]
