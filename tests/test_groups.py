"""What the bot does when it is added to a group, decided by GroupService from plain values:
greet, ask an admin for the organisation, advise admin rights, or explain and leave; and a
stranger's supergroup decided once its grace for a migration notice is over, on the bot's
clock."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bot.clock import FixedClock
from bot.i18n import Text
from bot.replies import Button, Reply
from bot.runtime.wiring import Services
from bot.services.groups import MIGRATION_GRACE, ORGANISATION, BotMembership
from storage import Database
from testing.harness import services_without_telegram

ADMIN, INSTRUCTOR, STRANGER = 1, 30, 66


@pytest.fixture
async def services(database: Database, clock: FixedClock) -> Services:
    built = services_without_telegram(database, clock, admins=str(ADMIN), language="fi")
    await built.people.record_contact(ADMIN, "fi")
    return built


async def make_instructor(services: Services) -> None:
    organisation = await services.organisations.create(ADMIN, "Espoo")
    made = await services.invitations.create(ADMIN, "instructor", organisation_id=organisation.id)
    person = await services.people.record_contact(INSTRUCTOR, "fi")
    await services.invitations.accept(person, made.token, "Ilkka")


def added(by: int, chat_id: int = -100, **changes: object) -> BotMembership:
    change = BotMembership(
        chat_id=chat_id,
        title="Kävelyryhmä",
        supergroup=False,
        by=by,
        by_language="en",
        was_in=False,
        is_in=True,
        is_admin=True,
        language="fi",
    )
    return dataclasses.replace(change, **changes)  # type: ignore[arg-type]


async def test_added_by_a_stranger_the_bot_explains_and_leaves_storing_nothing(
    services: Services,
) -> None:
    answer = await services.groups.bot_membership(added(STRANGER))

    assert answer.to_group == (Reply.of("group.refused"),)
    assert answer.leave and answer.to_adder is None and answer.decide_at is None
    assert await services.groups.by_chat(-100) is None
    assert await services.people.get(STRANGER) is None


async def test_added_by_an_instructor_the_group_is_registered_and_greeted(
    services: Services,
) -> None:
    await make_instructor(services)

    answer = await services.groups.bot_membership(added(INSTRUCTOR))

    group = await services.groups.by_chat(-100)
    assert group is not None and group.is_active and group.join_code is not None
    (greeting,) = answer.to_group
    assert greeting.text == Text("group.greeting") and greeting.language == "fi"
    # a button whose press answers with the group's current link (the code rotates)
    assert greeting.buttons == ((Button(Text("group.greeting-button"), data="consent:join"),),)
    assert not answer.leave and answer.to_adder is None  # an administrator needs no advice


async def test_without_admin_rights_the_adder_is_advised_once(services: Services) -> None:
    await make_instructor(services)

    first = await services.groups.bot_membership(added(INSTRUCTOR, is_admin=False))
    promoted = await services.groups.bot_membership(added(INSTRUCTOR, was_in=True, is_admin=True))

    assert first.to_adder == Reply.of("group.make-admin", group="Kävelyryhmä")
    assert promoted == type(promoted)()  # only remembered
    group = await services.groups.by_chat(-100)
    assert group is not None and group.bot_is_admin


async def test_an_admin_without_an_organisation_picks_one_privately(services: Services) -> None:
    await services.organisations.create(ADMIN, "Espoo")
    await services.organisations.create(ADMIN, "Vantaa")

    answer = await services.groups.bot_membership(added(ADMIN))

    group = await services.groups.by_chat(-100)
    assert group is not None and group.status == "pending"
    assert answer.to_group == (Reply.of("group.pending-notice"),)
    assert answer.to_adder is not None
    assert [row[0].data for row in answer.to_adder.buttons] == [
        f"{ORGANISATION}{group.id}:1",
        f"{ORGANISATION}{group.id}:2",
    ]
    assert answer.if_adder_unreachable == Reply.of("group.pending-unreachable")


async def test_removed_the_group_goes_quiet(services: Services) -> None:
    await make_instructor(services)
    await services.groups.bot_membership(added(INSTRUCTOR))

    answer = await services.groups.bot_membership(added(INSTRUCTOR, was_in=True, is_in=False))

    assert answer == type(answer)()
    group = await services.groups.by_chat(-100)
    assert group is not None and group.status == "inactive"


async def test_a_strangers_supergroup_is_refused_only_when_its_grace_is_over(
    services: Services, clock: FixedClock
) -> None:
    groups = services.groups

    answer = await groups.bot_membership(added(STRANGER, -1001, supergroup=True))

    assert answer.to_group == () and not answer.leave
    assert answer.decide_at == clock.now() + MIGRATION_GRACE
    assert groups.next_unclaimed() == answer.decide_at
    clock.advance(MIGRATION_GRACE - dt.timedelta(milliseconds=1))
    assert await groups.unclaimed_due() == []  # a migration notice may still come
    clock.advance(dt.timedelta(milliseconds=1))
    (farewell,) = await groups.unclaimed_due()
    assert farewell.chat_id == -1001
    # in the adder's language: the group has none
    assert farewell.reply == Reply(Text("group.refused"), language="en")
    assert await groups.unclaimed_due() == [] and groups.next_unclaimed() is None


async def test_a_supergroup_claimed_by_its_migration_notice_is_kept(
    services: Services, clock: FixedClock
) -> None:
    await make_instructor(services)
    groups = services.groups
    await groups.bot_membership(added(INSTRUCTOR, -100))
    # a participant upgrades the group: the bot "joins" the supergroup from them first
    joined = await groups.bot_membership(added(STRANGER, -1001, supergroup=True))
    await groups.migrated(-100, -1001)

    assert joined.decide_at is not None
    clock.advance(MIGRATION_GRACE)
    assert await groups.unclaimed_due() == []
    group = await groups.by_chat(-1001)
    assert group is not None and group.is_active


async def test_a_strangers_supergroup_that_removes_the_bot_in_its_grace_is_not_left_again(
    services: Services, clock: FixedClock
) -> None:
    groups = services.groups
    await groups.bot_membership(added(STRANGER, -1001, supergroup=True))
    await groups.bot_membership(added(STRANGER, -1002, supergroup=True))

    # the first removes the bot before the grace is over: nothing is left to leave there
    await groups.bot_membership(added(STRANGER, -1001, supergroup=True, was_in=True, is_in=False))
    clock.advance(MIGRATION_GRACE)

    assert [farewell.chat_id for farewell in await groups.unclaimed_due()] == [-1002]
    assert groups.next_unclaimed() is None
