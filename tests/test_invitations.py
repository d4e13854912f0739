"""Invitation links: random, stored as a hash, expiring, counted, revocable."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bot.clock import FixedClock
from bot.deeplinks import PAYLOAD
from bot.errors import DomainError
from bot.runtime.wiring import Services
from bot.services.invitations import hash_token
from storage import Database
from storage.people import Person
from testing.harness import services_without_telegram

ADMIN = 1


@pytest.fixture
async def services(database: Database, clock: FixedClock) -> Services:
    built = services_without_telegram(database, clock, admins=str(ADMIN))
    await built.people.record_contact(ADMIN, "fi")
    await built.organisations.create(ADMIN, "Espoo")
    return built


async def person(services: Services, telegram_id: int) -> Person:
    return await services.people.record_contact(telegram_id, "fi")


async def test_tokens_are_random_hashed_and_fit_a_deep_link(
    services: Services, database: Database
) -> None:
    made = [await services.invitations.create(ADMIN, "coordinator") for _ in range(20)]

    tokens = {item.token for item in made}
    assert len(tokens) == 20
    for item in made:
        assert len(item.token) >= 22  # 128 bits in URL-safe base64
        assert PAYLOAD.match(item.payload) and len(item.payload) <= 64
    async with database.locked() as connection:
        stored = {
            row[0] for row in await connection.fetch_all("SELECT token_hash FROM invitations")
        }
    assert stored == {hash_token(token) for token in tokens}
    assert not stored & tokens


async def test_a_single_use_link_works_once(services: Services) -> None:
    made = await services.invitations.create(ADMIN, "coordinator")

    first = await services.invitations.accept(await person(services, 10), made.token, "Kaisa")
    second = await services.invitations.accept(await person(services, 11), made.token, "Mikko")
    again = await services.invitations.accept(await person(services, 10), made.token, "Kaisa")

    assert first.text.key == "invite.accepted-coordinator"
    assert second.text.key == "invite.used"
    assert again.text.key == "invite.used"
    assert (await services.people.actor(10)).is_coordinator
    assert not (await services.people.actor(11)).is_staff


async def test_a_multi_use_link_counts_people_not_clicks(services: Services) -> None:
    made = await services.invitations.create(ADMIN, "instructor", uses=2)

    results = [
        (await services.invitations.accept(await person(services, who), made.token, "X")).text.key
        for who in (20, 20, 21, 22)
    ]

    assert results == [
        "invite.accepted-instructor",
        "invite.already-accepted",
        "invite.accepted-instructor",
        "invite.used",
    ]


async def test_expired_revoked_and_forged_links_change_nothing(
    services: Services, clock: FixedClock
) -> None:
    expiring = await services.invitations.create(ADMIN, "instructor")
    revoked = await services.invitations.create(ADMIN, "instructor")
    await services.invitations.revoke(ADMIN, revoked.invitation.id)
    clock.advance(dt.timedelta(days=7))
    visitor = await person(services, 30)

    assert (
        await services.invitations.accept(visitor, expiring.token, "V")
    ).text.key == "invite.expired"
    assert (
        await services.invitations.accept(visitor, revoked.token, "V")
    ).text.key == "invite.revoked"
    forged = "A" * 22
    assert (await services.invitations.accept(visitor, forged, "V")).text.key == "invite.unknown"
    assert not (await services.people.actor(30)).is_staff


async def test_an_invitation_lasts_seven_days(services: Services, clock: FixedClock) -> None:
    made = await services.invitations.create(ADMIN, "instructor")
    clock.advance(dt.timedelta(days=6, hours=23))

    outcome = await services.invitations.accept(await person(services, 40), made.token, "Y")

    assert outcome.text.key == "invite.accepted-instructor"


async def test_revoking_twice_or_someone_elses_is_refused(services: Services) -> None:
    made = await services.invitations.create(ADMIN, "instructor")
    await services.invitations.revoke(ADMIN, made.invitation.id)

    with pytest.raises(DomainError, match=r"invite\.already-closed"):
        await services.invitations.revoke(ADMIN, made.invitation.id)
    with pytest.raises(DomainError, match=r"invite\.not-yours"):
        await services.invitations.revoke(ADMIN, 9999)


async def test_a_person_belongs_to_one_organisation(services: Services) -> None:
    vantaa = await services.organisations.create(ADMIN, "Vantaa")
    espoo_invite = await services.invitations.create(ADMIN, "instructor", organisation_id=1)
    vantaa_invite = await services.invitations.create(
        ADMIN, "instructor", organisation_id=vantaa.id
    )
    anna = await person(services, 50)

    await services.invitations.accept(anna, espoo_invite.token, "Anna")
    outcome = await services.invitations.accept(anna, vantaa_invite.token, "Anna")

    assert outcome.text == outcome.of("invite.other-organisation", organisation="Espoo").text
    assert (await services.people.actor(50)).organisation_id == 1


async def test_a_coordinator_accepting_a_group_invitation_stays_coordinator(
    services: Services,
) -> None:
    coordinator = await person(services, 60)
    made = await services.invitations.create(ADMIN, "coordinator")
    await services.invitations.accept(coordinator, made.token, "Kaisa")
    added = await services.groups.bot_added(
        60, -70, "Tuolijumppa", language="fi", bot_is_admin=True
    )
    assert added.group is not None
    colleague = await person(services, 62)
    second = await services.invitations.create(ADMIN, "coordinator")
    await services.invitations.accept(colleague, second.token, "Kerttu")
    co = await services.invitations.create(60, "instructor", group_id=added.group.id)

    outcome = await services.invitations.accept(colleague, co.token, "Kerttu")

    assert outcome.text.key == "invite.accepted-group"
    assert (await services.people.actor(62)).is_coordinator
    summaries = await services.groups.summaries_for(62)
    assert summaries[0].instructor_names == ["Kaisa", "Kerttu"]


async def test_admin_with_several_organisations_must_say_which(services: Services) -> None:
    await services.organisations.create(ADMIN, "Vantaa")

    with pytest.raises(DomainError) as raised:
        await services.invitations.create(ADMIN, "coordinator")

    assert raised.value.key == "invite.choose-organisation"
    assert re.fullmatch(r"\d+ Espoo, \d+ Vantaa", str(raised.value.params["organisations"]))


async def test_admin_names_the_organisation_for_an_instructor_invitation(
    services: Services,
) -> None:
    vantaa = await services.organisations.create(ADMIN, "Vantaa")

    made = await services.invitations.create(ADMIN, "instructor", organisation_id=vantaa.id)

    assert made.organisation_name == "Vantaa"
    assert made.invitation.group_id is None


def test_invite_arguments_are_read_as_people_type_them() -> None:
    from handlers.invitations import InviteRequest, parse_invite

    assert parse_invite(["ohjaaja"]) == InviteRequest("instructor", None, None, 1)
    assert parse_invite(["instructor", "#3", "x5"]) == InviteRequest("instructor", 3, None, 5)
    assert parse_invite(["handledare", "org", "2"]) == InviteRequest("instructor", None, 2, 1)
    assert parse_invite(["koordinaattori", "2", "3x"]) == InviteRequest("coordinator", None, 2, 3)
    with pytest.raises(DomainError, match="invite"):
        parse_invite(["instructor", "banana"])
    with pytest.raises(DomainError, match="invite"):
        parse_invite(["wizard"])


async def test_instructors_give_single_use_links_only(services: Services) -> None:
    made = await services.invitations.create(ADMIN, "instructor")
    await services.invitations.accept(await person(services, 70), made.token, "Ilkka")
    added = await services.groups.bot_added(70, -80, "Kuoro", language="fi", bot_is_admin=True)
    assert added.group is not None

    with pytest.raises(DomainError, match=r"invite\.instructor-single-use"):
        await services.invitations.create(70, "instructor", group_id=added.group.id, uses=5)
    single = await services.invitations.create(70, "instructor", group_id=added.group.id)
    assert single.invitation.max_uses == 1
