"""Every privileged action against every role: allowed ones work, the rest are refused with
a message key and change nothing in the database.

The world: organisation Espoo with a coordinator, an instructor leading group G and another
instructor; organisation Vantaa with its own coordinator; a participant of G; a stranger;
an admin (from the settings) who belongs to no organisation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from bot.clock import FixedClock
from bot.errors import DomainError
from bot.payload import TextContent
from bot.runtime.wiring import Services
from storage import Database
from testing.harness import services_without_telegram

ADMIN, COORDINATOR, INSTRUCTOR, OTHER_INSTRUCTOR, FOREIGN_COORDINATOR = 1, 2, 3, 4, 5
PARTICIPANT, STRANGER = 6, 7
BUDDY = 8  # another participant of G, not one of the roles tried
ROLES = {
    "admin": ADMIN,
    "coordinator": COORDINATOR,
    "instructor": INSTRUCTOR,
    "other-instructor": OTHER_INSTRUCTOR,
    "foreign-coordinator": FOREIGN_COORDINATOR,
    "participant": PARTICIPANT,
    "stranger": STRANGER,
}
GROUP_CHAT = -500


@dataclass
class World:
    services: Services
    espoo: int
    vantaa: int
    group: int
    invitation: int  # an open instructor invitation made by the coordinator
    broadcast: int  # the instructor's broadcast, not yet saved to the library
    contribution: int  # the instructor's earlier broadcast, waiting for review


@pytest.fixture
async def world(database: Database, clock: FixedClock) -> World:
    services = services_without_telegram(database, clock, admins=str(ADMIN))
    for person in ROLES.values():
        await services.people.record_contact(person, "fi")
    espoo = await services.organisations.create(ADMIN, "Espoo")
    vantaa = await services.organisations.create(ADMIN, "Vantaa")

    async def join(person: int, role: str, organisation: int) -> None:
        made = await services.invitations.create(ADMIN, role, organisation_id=organisation)
        stored = await services.people.get(person)
        assert stored is not None
        await services.invitations.accept(stored, made.token, f"Person {person}")

    await join(COORDINATOR, "coordinator", espoo.id)
    await join(FOREIGN_COORDINATOR, "coordinator", vantaa.id)
    await join(INSTRUCTOR, "instructor", espoo.id)
    await join(OTHER_INSTRUCTOR, "instructor", espoo.id)
    added = await services.groups.bot_added(
        INSTRUCTOR, GROUP_CHAT, "Kävelyryhmä", language="fi", bot_is_admin=True
    )
    assert added.group is not None
    await services.groups.member_seen(GROUP_CHAT, PARTICIPANT)
    await services.people.record_contact(BUDDY, "fi")
    await services.groups.member_seen(GROUP_CHAT, BUDDY)
    for person in (PARTICIPANT, BUDDY):  # consenting: the week's buddies can be paired
        await services.consent.give(person, espoo.id)
    invitation = await services.invitations.create(COORDINATOR, "instructor")
    hello = TextContent(text="Hyvää viikkoa!")
    earlier, _ = await services.broadcasts.send(INSTRUCTOR, hello, [added.group.id])
    later, _ = await services.broadcasts.send(INSTRUCTOR, hello, [added.group.id])
    saved = await services.tips.contribute(INSTRUCTOR, earlier.id, "peer_support", "fi")
    await services.meetings.set_calendar(INSTRUCTOR, added.group.id, "ti 14:00", "1.12.")
    return World(
        services,
        espoo.id,
        vantaa.id,
        added.group.id,
        invitation.invitation.id,
        later.id,
        saved.id,
    )


Action = Callable[[World, int], Awaitable[Any]]


async def create_organisation(w: World, actor: int) -> Any:
    return await w.services.organisations.create(actor, f"New {actor}")


async def invite_coordinator(w: World, actor: int) -> Any:
    return await w.services.invitations.create(actor, "coordinator", organisation_id=w.espoo)


async def invite_instructor(w: World, actor: int) -> Any:
    return await w.services.invitations.create(actor, "instructor", organisation_id=w.espoo)


async def invite_co_instructor(w: World, actor: int) -> Any:
    return await w.services.invitations.create(actor, "instructor", group_id=w.group)


async def list_invitations(w: World, actor: int) -> Any:
    return await w.services.invitations.open_for(actor)


async def revoke_invitation(w: World, actor: int) -> Any:
    return await w.services.invitations.revoke(actor, w.invitation)


async def list_groups(w: World, actor: int) -> Any:
    return await w.services.groups.summaries_for(actor)


async def view_group(w: World, actor: int) -> Any:
    return await w.services.groups.manageable(actor, w.group)


async def change_group_language(w: World, actor: int) -> Any:
    return await w.services.groups.change_settings(actor, w.group, language="sv")


async def rename_group(w: World, actor: int) -> Any:
    return await w.services.groups.change_settings(actor, w.group, display_name="Uusi nimi")


async def set_privacy_contact(w: World, actor: int) -> Any:
    return await w.services.organisations.set_privacy_contact(actor, "privacy@example.org")


async def register_group(w: World, actor: int) -> Any:
    outcome = await w.services.groups.bot_added(
        actor, -900 - actor, "Uusi ryhmä", language="fi", bot_is_admin=False
    )
    if outcome.result.value == "refused":
        raise DomainError("group.refused")
    return outcome


async def browse_tips(w: World, actor: int) -> Any:
    return await w.services.tips.in_theme(actor, "sleep")


async def send_a_tip(w: World, actor: int) -> Any:
    return await w.services.tips.start_sending(actor, "lib:plan-small-step", "fi")


async def save_to_library(w: World, actor: int) -> Any:
    return await w.services.tips.contribute(actor, w.broadcast, "sleep", "fi")


async def list_for_review(w: World, actor: int) -> Any:
    return await w.services.tips.pending(actor)


async def approve_contribution(w: World, actor: int) -> Any:
    return await w.services.tips.review(actor, w.contribution, approve=True)


async def reject_contribution(w: World, actor: int) -> Any:
    return await w.services.tips.ask_reason(actor, w.contribution)


async def turn_approval_off(w: World, actor: int) -> Any:
    return await w.services.tips.set_review(actor, review=False)


async def set_meetings(w: World, actor: int) -> Any:
    return await w.services.meetings.set_calendar(actor, w.group, "ke 10:00", "2.12.")


async def cancel_meetings(w: World, actor: int) -> Any:
    return await w.services.meetings.cancel(actor, w.group, "8.12.")


async def change_rhythm(w: World, actor: int) -> Any:
    return await w.services.meetings.set_rhythm(actor, w.group, "before", ["30"])


async def see_checkin_figures(w: World, actor: int) -> Any:
    return await w.services.checkins.figures(actor, w.group)


async def pair_buddies(w: World, actor: int) -> Any:
    return await w.services.checkins.pair_buddies(actor, w.group)


STAFF = {"admin", "coordinator", "instructor", "other-instructor", "foreign-coordinator"}
MATRIX: dict[str, tuple[Action, set[str]]] = {
    "/neworg": (create_organisation, {"admin"}),
    "/invite coordinator": (invite_coordinator, {"admin"}),
    "/invite instructor": (invite_instructor, {"admin", "coordinator"}),
    "/invite instructor GROUP": (invite_co_instructor, {"admin", "coordinator", "instructor"}),
    "/invites": (list_invitations, STAFF),
    "/invites revoke": (revoke_invitation, {"admin", "coordinator"}),
    "/groups": (list_groups, STAFF),
    "/group": (view_group, {"admin", "coordinator", "instructor"}),
    "/group language": (change_group_language, {"admin", "coordinator", "instructor"}),
    "/group name": (rename_group, {"admin", "coordinator", "instructor"}),
    "/orgcontact": (set_privacy_contact, {"coordinator", "foreign-coordinator"}),
    "add the bot to a group": (register_group, STAFF),
    "/tip (browse)": (browse_tips, STAFF),
    # staff without an active group to send to are told so, and their draft is kept
    "/tip send": (send_a_tip, {"admin", "coordinator", "instructor"}),
    "/save": (save_to_library, {"instructor"}),
    "/review": (list_for_review, {"admin", "coordinator", "foreign-coordinator"}),
    "/review approve": (approve_contribution, {"admin", "coordinator"}),
    "/review reject": (reject_contribution, {"admin", "coordinator"}),
    "/approval off": (turn_approval_off, {"coordinator", "foreign-coordinator"}),
    "/meetings set": (set_meetings, {"admin", "coordinator", "instructor"}),
    "/cancel": (cancel_meetings, {"admin", "coordinator", "instructor"}),
    "/rhythm": (change_rhythm, {"admin", "coordinator", "instructor"}),
    "/checkins": (see_checkin_figures, {"admin", "coordinator", "instructor"}),
    "/buddies": (pair_buddies, {"admin", "coordinator", "instructor"}),
}
CASES = [
    pytest.param(command, role, role in allowed, id=f"{command}-{role}")
    for command, (_, allowed) in MATRIX.items()
    for role in ROLES
]


TABLES = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
    "postgresql": "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
    "ORDER BY tablename",
}


async def snapshot(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    async with database.locked() as connection:
        tables = [row[0] for row in await connection.fetch_all(TABLES[connection.dialect])]
        dump = {}
        for table in tables:
            rows = await connection.fetch_all(f"SELECT * FROM {table} ORDER BY 1")
            dump[table] = [tuple(row) for row in rows]
    return dump


@pytest.mark.parametrize(("command", "role", "allowed"), CASES)
async def test_role_matrix(
    world: World, database: Database, clock: FixedClock, command: str, role: str, allowed: bool
) -> None:
    action, _ = MATRIX[command]
    clock.advance(dt.timedelta(minutes=1))  # so a change would show in timestamps
    before = await snapshot(database)

    if allowed:
        await action(world, ROLES[role])
        return
    with pytest.raises(DomainError) as refused:
        await action(world, ROLES[role])

    refusals = {"access", "invite", "org", "group", "tip", "broadcast"}
    assert refused.value.key.split(".")[0] in refusals
    assert await snapshot(database) == before, "a refused command changed the database"


def test_refusal_texts_say_who_may(world: World) -> None:
    translator = world.services.translator
    assert translator.text("en", "access.admin-only") == "Only an admin can do this."
    assert translator.text("fi", "access.not-your-group").startswith("Et voi hallita tätä ryhmää.")
