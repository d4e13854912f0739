"""The access matrix: every role against every command and button, and the one rule for
which groups a person sees (``bot/services/access.py``).

The world: organisation Espoo with a coordinator, an instructor leading group G (and an
older group the bot was removed from) and another instructor leading group H; organisation
Vantaa with its own coordinator and group V; a group waiting for an admin to pick its
organisation; a coordinator whose organisation is not there (as when the organisation or
the role's tie to it has ended); a participant of G; a stranger; an admin (from the
settings) who belongs to no organisation.

Three checks, each tying the one before to the next:

- the rule as written: which groups each role sees, by hand (``SEES``);
- every list a command or button shows (/groups, /stats, /schedule, the broadcast picker,
  /export, ...) holds exactly what the rule lets the person see, and refuses only when the
  rule gives them nothing;
- every command and button (``MATRIX``; ``OWN`` names those that only touch the person's own
  things) works for the roles allowed and refuses everyone else with words, changing
  nothing in the database; an entry that acts on one group is allowed exactly for the
  roles the rule lets manage it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from bot.clock import FixedClock
from bot.commands import COMMANDS
from bot.errors import DomainError
from bot.payload import TextContent, content_to_json
from bot.replies import Reply
from bot.runtime.wiring import Services
from bot.services import (
    broadcasts,
    groups,
    invitations,
    meetings,
    posts,
    seasons,
    staff,
    stats,
    tips,
)
from bot.services.access import Actor, group_staff, load_actor, visible_groups
from bot.services.buttons import ISSUED, namespace
from bot.services.posts import Shared
from storage import Database
from storage.states import AfterRhythm, ButtonNamespace, DraftStep, PostKind, ScheduleStatus
from testing.harness import services_without_telegram

ADMIN, COORDINATOR, INSTRUCTOR, OTHER_INSTRUCTOR, FOREIGN_COORDINATOR = 1, 2, 3, 4, 5
PARTICIPANT, STRANGER, NO_ORGANISATION = 6, 7, 9
BUDDY, VANTAA_INSTRUCTOR = 8, 10  # in the world, not among the roles tried
ROLES = {
    "admin": ADMIN,
    "coordinator": COORDINATOR,
    "coordinator-no-org": NO_ORGANISATION,
    "instructor": INSTRUCTOR,
    "other-instructor": OTHER_INSTRUCTOR,
    "foreign-coordinator": FOREIGN_COORDINATOR,
    "participant": PARTICIPANT,
    "stranger": STRANGER,
}
STAFF = frozenset(ROLES) - {"participant", "stranger"}
GONE = 999_999  # an organisation that is not there
G, H, V, OLD, WAITING = "Kävelyryhmä", "Lukupiiri", "Kuoro", "Vanha ryhmä", "Odottava"
# The rule, by hand: the groups each role sees (and manages).
SEES: dict[str, set[str]] = {
    "admin": {G, H, V, OLD, WAITING},
    "coordinator": {G, H, OLD},
    "coordinator-no-org": set(),
    "instructor": {G, OLD},
    "other-instructor": {H},
    "foreign-coordinator": {V},
    "participant": set(),
    "stranger": set(),
}
ACTIVE = {G, H, V}
# The first words of a refusal's message key: each is said to the person in their language.
REFUSALS = {
    *("access", "invite", "org", "group", "tip", "broadcast", "stats", "meetings", "staff"),
    "post",
}


@dataclass
class World:
    services: Services
    espoo: int
    vantaa: int
    groups: dict[str, int]  # by title
    invitation: int  # an open instructor invitation made by the coordinator
    broadcast: int  # the instructor's broadcast, not yet saved to the library
    scheduled: int  # the instructor's broadcast due tomorrow
    contribution: int  # the instructor's earlier broadcast, waiting for review
    meeting: int  # a planned meeting of G
    item: int  # a planned message of G
    post: int  # the participant's post in G, waiting for review
    approved_post: int  # the participant's post in G, approved

    @property
    def group(self) -> int:
        return self.groups[G]

    def titles(self, ids: set[int]) -> set[str]:
        by_id = {number: title for title, number in self.groups.items()}
        return {by_id[number] for number in ids}


async def detach_from_organisation(database: Database, person: int) -> None:
    """The person's staff role names an organisation that is not there: the state an ended
    organisation or role leaves behind. The schema does not let it happen today, so the
    test loosens the staff table's foreign key to make it."""
    async with database.locked() as connection:
        if connection.dialect == "postgresql":
            await connection.execute(
                "ALTER TABLE staff DROP CONSTRAINT IF EXISTS staff_organisation_id_fkey"
            )
        else:
            await connection.execute("PRAGMA foreign_keys = OFF")
        await connection.execute(
            "UPDATE staff SET organisation_id = :gone WHERE person_id = :person",
            {"gone": GONE, "person": person},
        )
        if connection.dialect != "postgresql":
            await connection.execute("PRAGMA foreign_keys = ON")


@pytest.fixture
async def world(database: Database, clock: FixedClock) -> World:
    services = services_without_telegram(database, clock, admins=str(ADMIN))
    for person in (*ROLES.values(), BUDDY, VANTAA_INSTRUCTOR):
        await services.people.record_contact(person, "fi")
    espoo = await services.organisations.create(ADMIN, "Espoo")
    vantaa = await services.organisations.create(ADMIN, "Vantaa")

    async def join(person: int, role: str, organisation: int) -> None:
        made = await services.invitations.create(ADMIN, role, organisation_id=organisation)
        stored = await services.people.get(person)
        assert stored is not None
        await services.invitations.accept(stored, made.token, f"Person {person}")

    async def register(person: int, chat: int, title: str) -> int:
        added = await services.groups.bot_added(
            person, chat, title, language="fi", bot_is_admin=True
        )
        assert added.group is not None
        return added.group.id

    await join(COORDINATOR, "coordinator", espoo.id)
    await join(NO_ORGANISATION, "coordinator", espoo.id)
    await join(FOREIGN_COORDINATOR, "coordinator", vantaa.id)
    await join(INSTRUCTOR, "instructor", espoo.id)
    await join(OTHER_INSTRUCTOR, "instructor", espoo.id)
    await join(VANTAA_INSTRUCTOR, "instructor", vantaa.id)
    await detach_from_organisation(database, NO_ORGANISATION)
    ids = {
        G: await register(INSTRUCTOR, -500, G),
        OLD: await register(INSTRUCTOR, -550, OLD),
        H: await register(OTHER_INSTRUCTOR, -600, H),
        V: await register(VANTAA_INSTRUCTOR, -700, V),
        WAITING: await register(ADMIN, -800, WAITING),  # two organisations: the admin picks
    }
    await services.groups.bot_removed(-550)
    await services.groups.member_seen(-500, PARTICIPANT)
    await services.groups.member_seen(-500, BUDDY)
    for person in (PARTICIPANT, BUDDY):  # consenting: the week's buddies can be paired
        await services.consent.give(person, espoo.id)
    invitation = await services.invitations.create(COORDINATOR, "instructor")
    await services.invitations.create(INSTRUCTOR, "instructor", group_id=ids[G])
    await services.invitations.create(FOREIGN_COORDINATOR, "instructor")
    hello = TextContent(text="Hyvää viikkoa!")
    earlier, _ = await services.broadcasts.send(INSTRUCTOR, hello, [ids[G]])
    later, _ = await services.broadcasts.send(INSTRUCTOR, hello, [ids[G]])
    tomorrow = clock.now() + dt.timedelta(days=1)
    scheduled, _ = await services.broadcasts.send(INSTRUCTOR, hello, [ids[G]], tomorrow)
    saved = await services.tips.contribute(INSTRUCTOR, earlier.id, "peer_support", "fi")
    for reviewer in (ADMIN, COORDINATOR):  # asked for a rejection's reason: "no reason" works
        await services.tips.ask_reason(reviewer, saved.id)
    for message_id in (1, 2):  # the participant shares two texts with G; one is approved
        await services.posts.share(
            PARTICIPANT,
            ids[G],
            False,
            Shared(PostKind.TEXT, TextContent(text="Kuva retkeltä"), message_id, "Osallistuja"),
        )
    async with database.transaction() as tx:
        waiting = [post.id for post in await tx.posts.of_author(PARTICIPANT)]
    await services.posts.approve(INSTRUCTOR, min(waiting))
    _, planned = await services.meetings.set_calendar(INSTRUCTOR, ids[G], "ti 14:00", "1.12.")
    await services.meetings.cancel(INSTRUCTOR, ids[G], "22.12.")
    async with database.transaction() as tx:
        item = next(
            i for i in await tx.meetings.of_group(ids[G]) if i.status == ScheduleStatus.PENDING
        )
        for person in (ROLES[role] for role in STAFF):  # a draft meant for G
            await tx.broadcasts.save_draft(
                person,
                content=content_to_json(TextContent(text="Luonnos")),
                targets=[ids[G]],
                step=DraftStep.TARGETS,
                media_group_id=None,
                now=clock.now(),
            )
    return World(
        services,
        espoo.id,
        vantaa.id,
        ids,
        invitation.invitation.id,
        later.id,
        scheduled.id,
        saved.id,
        planned[2].id,  # 15.12.
        item.id,
        max(waiting),
        min(waiting),
    )


async def actor_of(w: World, role: str) -> Actor:
    async with w.services.database.transaction() as tx:
        return await load_actor(tx, ROLES[role], {ADMIN})


# The rule as written ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
async def test_the_rule_as_written(world: World, role: str) -> None:
    actor = await actor_of(world, role)
    async with world.services.database.transaction() as tx:
        seen = await visible_groups(tx, actor)
        staff_of_g = await group_staff(tx, await _get(tx, world.group))
    assert {group.title for group in seen} == SEES[role]
    assert all(actor.manages(group) for group in seen)
    # read the other way: who is told about G is who sees it (admins aside)
    assert (actor.telegram_id in staff_of_g) == (G in SEES[role] and role != "admin")


async def _get(tx: Any, group_id: int) -> Any:
    found = await tx.groups.get(group_id)
    assert found is not None
    return found


def test_a_coordinator_without_an_organisation_is_told_so_in_every_language(
    world: World,
) -> None:
    translator = world.services.translator
    for language in ("fi", "sv", "en"):
        assert translator.text(language, "access.no-organisation") != "access.no-organisation"
    assert "admin" in translator.text("en", "access.no-organisation")


# Every list agrees with the rule -----------------------------------------------------------


Lister = Callable[[World, int], Awaitable[set[int]]]


def _data(reply: Reply, prefix: str) -> set[int]:
    """The ids on a reply's buttons whose data starts with ``prefix``."""
    return {
        int(button.data.removeprefix(prefix))
        for row in reply.buttons
        for button in row
        if button.data is not None and button.data.startswith(prefix)
    }


async def list_groups(w: World, actor: int) -> set[int]:
    return {summary.group.id for summary in await w.services.groups.summaries_for(actor)}


async def group_picker(w: World, actor: int) -> set[int]:
    reply = await w.services.groups.settings_command(actor, actor, private=True, words="")
    return _data(reply, groups.SHOW)


async def stats_overview(w: World, actor: int) -> set[int]:
    reply = await w.services.stats.report(actor, None)
    scope = await w.services.stats.scope(actor)  # the same for its chart (st:c:0)
    ids = {group.id for group in scope.groups}
    assert _data(reply, stats.GROUP) <= ids
    return ids


async def schedule_overview(w: World, actor: int) -> set[int]:
    return {schedule.group.id for schedule in await w.services.meetings.overview(actor)}


async def schedule_choice(w: World, actor: int) -> set[int]:
    """The groups /schedule offers to choose from, page after page."""
    offered: set[int] = set()
    for page in range(10):
        reply = await w.services.meetings.schedule_choice(actor, page)
        offered |= {
            int(button.data.removeprefix(meetings.SCHEDULE_PAGE).split(":")[0])
            for row in reply.buttons
            for button in row
            if button.data is not None and button.data.startswith(meetings.SCHEDULE_PAGE)
        }
        if f"{meetings.SCHEDULE_GROUPS}{page + 1}" not in {
            button.data for row in reply.buttons for button in row
        }:
            return offered
    raise AssertionError("more pages than groups")


async def broadcast_picker(w: World, actor: int) -> set[int]:
    return _data(await w.services.broadcasts.targets(actor), broadcasts.TOGGLE)


async def export_groups(w: World, actor: int) -> set[int]:
    return {group.id for group in await w.services.exports.groups_for(actor)}


async def the_only_group(w: World, actor: int) -> set[int]:
    group, _ = await w.services.meetings.which_group(actor, actor, private=True, args=[])
    return {group.id}


def everything(seen: set[str]) -> set[str]:
    return seen


def active(seen: set[str]) -> set[str]:
    return seen & ACTIVE


def registered(seen: set[str]) -> set[str]:
    return seen - {WAITING}


def the_only_active(seen: set[str]) -> set[str]:
    return active(seen) if len(active(seen)) == 1 else set()


def coordinators_only(narrow: Callable[[set[str]], set[str]]) -> Callable[[str], set[str]]:
    return lambda role: narrow(SEES[role]) if "coordinator" in role or role == "admin" else set()


def any_staff(narrow: Callable[[set[str]], set[str]]) -> Callable[[str], set[str]]:
    return lambda role: narrow(SEES[role])


LISTS: dict[str, tuple[Lister, Callable[[str], set[str]]]] = {
    "/groups": (list_groups, any_staff(everything)),
    "/group (picker)": (group_picker, any_staff(everything)),
    "/stats and its chart": (stats_overview, any_staff(registered)),
    "/schedule": (schedule_overview, any_staff(active)),
    "/schedule (which group)": (schedule_choice, any_staff(active)),
    "/broadcast (picker)": (broadcast_picker, any_staff(active)),
    "/export": (export_groups, coordinators_only(everything)),
    "/meetings without a number": (the_only_group, any_staff(the_only_active)),
}


@pytest.mark.parametrize("role", ROLES)
async def test_every_list_shows_what_the_rule_lets_the_person_see(world: World, role: str) -> None:
    for name, (lister, expected) in LISTS.items():
        refusal = None
        try:
            shown = world.titles(await lister(world, ROLES[role]))
        except DomainError as refused:  # in words, and only when the rule gives nothing
            refusal, shown = refused.key, set()
        assert shown == expected(role), name
        assert refusal is None or refusal.split(".")[0] in REFUSALS, name


@pytest.mark.parametrize("role", ROLES)
async def test_invitations_and_reviews_follow_the_organisation(world: World, role: str) -> None:
    actor = await actor_of(world, role)
    services = world.services
    try:
        listed = {
            item.invitation.id for item in await services.invitations.open_for(actor.telegram_id)
        }
    except DomainError:
        listed = set()
    async with services.database.transaction() as tx:
        everyone = await tx.invitations.open_ones(services.clock.now())
    assert listed == {i.id for i in everyone if actor.sees_invitation(i)}
    try:
        waiting = {c.organisation_id for c, _ in await services.tips.pending(actor.telegram_id)}
    except DomainError:
        waiting = set()
    assert waiting == ({world.espoo} if role in ("admin", "coordinator") else set())


async def test_a_coordinator_without_an_organisation_sees_no_other_invitation(
    world: World,
) -> None:
    # before the one rule, their missing organisation read as "every organisation"
    assert await world.services.invitations.open_for(NO_ORGANISATION) == []


# Every command and button -------------------------------------------------------------------


Action = Callable[[World, int], Awaitable[Any]]
MANAGES_G = "manages G"  # allowed exactly for those the rule lets manage G
SEES_ACTIVE = "sees an active group"  # allowed exactly for those the rule gives one to send to


@dataclass(frozen=True)
class Entry:
    action: Action
    allowed: frozenset[str]
    # the commands (/name) and buttons (their data's prefix) this action stands for
    stands_for: tuple[str, ...]
    follows: str | None = None


def entry(
    action: Action, allowed: set[str] | frozenset[str], *stands_for: str, follows: str | None = None
) -> Entry:
    return Entry(action, frozenset(allowed), stands_for, follows)


def on_g(action: Action, *stands_for: str) -> Entry:
    """An action on group G: allowed exactly for those the rule lets manage it."""
    return entry(action, by_rule(MANAGES_G), *stands_for, follows=MANAGES_G)


def by_rule(follows: str) -> frozenset[str]:
    if follows == MANAGES_G:
        return frozenset(role for role, seen in SEES.items() if G in seen)
    return frozenset(role for role, seen in SEES.items() if active(seen))


async def register_group(w: World, actor: int) -> Any:
    outcome = await w.services.groups.bot_added(
        actor, -900 - actor, "Uusi ryhmä", language="fi", bot_is_admin=False
    )
    if outcome.result.value == "refused":
        raise DomainError("group.refused")
    return outcome


async def browse_tips(w: World, actor: int) -> Any:
    await w.services.tips.home(actor)
    return await w.services.tips.theme_page(actor, "sleep", 0)


async def save_to_library(w: World, actor: int) -> Any:
    await w.services.tips.offer_saving(actor, w.broadcast)
    return await w.services.tips.contribute(actor, w.broadcast, "sleep", "fi")


async def show_meetings(w: World, actor: int) -> Any:
    group, rest = await w.services.meetings.which_group(
        actor, actor, private=True, args=[str(w.group)]
    )
    return await w.services.meetings.calendar_command(actor, group, rest, chat_id=actor)


async def ask_calendar(w: World, actor: int) -> Reply:
    """/meetings G with a calendar: the question (asked of whoever manages G)."""
    group, rest = await w.services.meetings.which_group(
        actor, actor, private=True, args=[str(w.group), "ke", "10:00", "23.12.", "x3"]
    )
    return await w.services.meetings.calendar_command(actor, group, rest, chat_id=actor)


async def answer_calendar(w: World, actor: int, row: int) -> Any:
    """/meetings G with a calendar over 6.1. (a holiday), then the question's ``row``th
    button: set as typed, without the holiday, or kept as is."""
    asked = await ask_calendar(w, actor)
    return await w.services.meetings.answer_calendar(actor, actor, asked.buttons[row][0].data or "")


async def change_rhythm(w: World, actor: int) -> Any:
    await w.services.meetings.rhythm(actor, w.group)
    return await w.services.meetings.set_rhythm(actor, w.group, "before", ["30"])


async def ask_to_cancel_two(w: World, actor: int) -> Reply:
    """/cancel G over two meetings: the question (asked of whoever manages G)."""
    group, rest = await w.services.meetings.which_group(
        actor, actor, private=True, args=[str(w.group), "8.12.–15.12."], command="cancel"
    )
    return await w.services.meetings.change_command(actor, group, "cancel", rest, chat_id=actor)


async def cancel_two(w: World, actor: int) -> Any:
    """/cancel G over two meetings, then Confirm: both are cancelled."""
    asked = await ask_to_cancel_two(w, actor)
    return await w.services.meetings.confirm_change(actor, actor, asked.buttons[0][0].data or "")


async def keep_two(w: World, actor: int) -> Any:
    """/cancel G over two meetings, then Keep as is."""
    asked = await ask_to_cancel_two(w, actor)
    return await w.services.meetings.keep_change(actor, asked.buttons[1][0].data or "")


async def end_a_role(w: World, actor: int) -> Any:
    """/staff's button, then yes: the other instructor's role ends."""
    asked = await w.services.staff.ask_role(actor, OTHER_INSTRUCTOR)
    return await w.services.staff.confirm(actor, _yes(asked))


async def take_off_g(w: World, actor: int) -> Any:
    """/staff's button, then yes: the instructor no longer leads G."""
    asked = await w.services.staff.ask_group(actor, INSTRUCTOR, w.group)
    return await w.services.staff.confirm(actor, _yes(asked))


async def keep_as_it_is(w: World, actor: int) -> Any:
    asked = await w.services.staff.ask_role(actor, OTHER_INSTRUCTOR)
    return await w.services.staff.decline(actor, asked.buttons[1][0].data or "")


async def step_down_from_g(w: World, actor: int) -> Any:
    """/leave G, then yes."""
    asked = await w.services.staff.ask_leave(actor, w.group)
    return await w.services.staff.confirm(actor, _yes(asked))


def _yes(asked: Reply) -> str:
    data = asked.buttons[0][0].data
    assert data is not None and data.startswith(staff.CONFIRM)
    return data


async def past_the_rule(action: Awaitable[Any], *answers: str) -> Any:
    """``action``, where one of ``answers`` is the season's own answer to someone the rule
    let through (G's season runs: a new one is refused, its end's question is not open)."""
    try:
        return await action
    except DomainError as refused:
        if refused.key in answers:
            return refused
        raise


async def season_of_g(w: World) -> int:
    async with w.services.database.transaction() as tx:
        season = await tx.seasons.current(w.group)
    assert season is not None
    return season.id


async def new_season(w: World, actor: int) -> Any:
    start = w.services.seasons.start_new(actor, w.group)
    return await past_the_rule(start, "season.still-running")


async def after_button(w: World, actor: int) -> Any:
    data = f"{seasons.AFTER}{await season_of_g(w)}:m"
    chosen = w.services.seasons.after_chosen(actor, data)
    return await past_the_rule(chosen, "season.question-closed")


ADMIN_ONLY = {"admin"}
ESPOO = {"admin", "coordinator"}
COORDINATORS = {"admin", "coordinator", "foreign-coordinator"}
OWN_COORDINATORS = {"coordinator", "foreign-coordinator"}  # an organisation's own choice
# staff who see a registered group, and admins
COUNTED = {role for role in STAFF if registered(SEES[role])}
LIBRARY_TIP = "lib:plan-small-step"
MATRIX: dict[str, Entry] = {
    "/neworg": entry(
        lambda w, a: w.services.organisations.create(a, f"New {a}"), ADMIN_ONLY, "/neworg"
    ),
    "/invite coordinator": entry(
        lambda w, a: w.services.invitations.create(a, "coordinator", organisation_id=w.espoo),
        ADMIN_ONLY,
        "/invite",
    ),
    "/invite instructor (Espoo)": entry(
        lambda w, a: w.services.invitations.create(a, "instructor", organisation_id=w.espoo),
        ESPOO,
        "/invite",
    ),
    # an admin names the organisation when there are several
    "/invite instructor": entry(
        lambda w, a: w.services.invitations.create(a, "instructor"), OWN_COORDINATORS, "/invite"
    ),
    "/invite instructor G": on_g(
        lambda w, a: w.services.invitations.create(a, "instructor", group_id=w.group), "/invite"
    ),
    "/invites": entry(lambda w, a: w.services.invitations.listing(a), STAFF, "/invites"),
    "/invites revoke": entry(
        lambda w, a: w.services.invitations.revoke(a, w.invitation), ESPOO, invitations.REVOKE
    ),
    "/groups": entry(lambda w, a: w.services.groups.listing(a), STAFF, "/groups"),
    "/group G": on_g(
        lambda w, a: w.services.groups.settings_command(a, a, private=True, words=str(w.group)),
        "/group",
    ),
    "group button": on_g(lambda w, a: w.services.groups.manageable(a, w.group), groups.SHOW),
    "/group G language": on_g(
        lambda w, a: w.services.groups.change_settings(a, w.group, language="sv"), groups.LANGUAGE
    ),
    "/group G name": on_g(
        lambda w, a: w.services.groups.change_settings(a, w.group, display_name="Uusi nimi"),
        "/group",
    ),
    "organisation button": entry(
        lambda w, a: w.services.groups.choose_organisation(a, w.groups[WAITING], w.espoo),
        ADMIN_ONLY,
        groups.ORGANISATION,
    ),
    "/orgcontact": entry(
        lambda w, a: w.services.organisations.set_privacy_contact(a, "privacy@example.org"),
        OWN_COORDINATORS,
        "/orgcontact",
    ),
    # staff with an organisation; an admin picks one (here: there are two, so it waits)
    "add the bot to a group": entry(register_group, STAFF - {"coordinator-no-org"}),
    "/broadcast": entry(lambda w, a: w.services.broadcasts.begin(a), STAFF, "/broadcast"),
    "start button": entry(
        lambda w, a: w.services.broadcasts.targets(a),
        by_rule(SEES_ACTIVE),
        broadcasts.START,
        follows=SEES_ACTIVE,
    ),
    "tick G": on_g(lambda w, a: w.services.broadcasts.toggle_target(a, w.group), broadcasts.TOGGLE),
    "tick all": entry(
        lambda w, a: w.services.broadcasts.toggle_target(a, None), STAFF, broadcasts.ALL
    ),
    # a draft for G (ticked before their role changed) is checked again when it goes
    "send now": on_g(lambda w, a: w.services.broadcasts.send_and_confirm(a, None), broadcasts.NOW),
    "/scheduled": entry(
        lambda w, a: w.services.broadcasts.scheduled_listing(a),
        STAFF,
        "/scheduled",
        broadcasts.SCHEDULED_PAGE,
    ),
    "/broadcasts": entry(
        lambda w, a: w.services.broadcasts.recent_listing(a), STAFF, "/broadcasts"
    ),
    # a scheduled broadcast is its author's (and the admins') to cancel
    "cancel a scheduled broadcast": entry(
        lambda w, a: w.services.broadcasts.cancel(a, w.scheduled),
        {"admin", "instructor"},
        broadcasts.CANCEL,
    ),
    "/tip (browse)": entry(browse_tips, STAFF, "/tip", tips.HOME, tips.THEME),
    "most liked tips": entry(lambda w, a: w.services.tips.top(a), STAFF, tips.TOP),
    "view a tip": entry(lambda w, a: w.services.tips.view(a, LIBRARY_TIP), STAFF, tips.VIEW),
    # staff without an active group to send to are told so, and their draft is kept
    "send a tip": entry(
        lambda w, a: w.services.tips.start_sending(a, LIBRARY_TIP, "fi"),
        by_rule(SEES_ACTIVE),
        tips.SEND,
        follows=SEES_ACTIVE,
    ),
    "/save": entry(
        save_to_library,
        {"instructor"},
        "/save",
        broadcasts.SAVE_TO_LIBRARY,
        tips.SAVE_THEME,
        tips.SAVE_LANGUAGE,
    ),
    "/review": entry(lambda w, a: w.services.tips.reviews(a), COORDINATORS, "/review"),
    "approve": entry(lambda w, a: w.services.tips.approve(a, w.contribution), ESPOO, tips.APPROVE),
    "reject": entry(lambda w, a: w.services.tips.ask_reason(a, w.contribution), ESPOO, tips.REJECT),
    "reject without a reason": entry(
        lambda w, a: w.services.tips.reject_without_reason(a, w.contribution),
        ESPOO,
        tips.NO_REASON,
    ),
    "back to the review": entry(
        lambda w, a: w.services.tips.back_to_review(a, w.contribution), ESPOO, tips.BACK
    ),
    # a poll goes to groups the actor may send to: staff without an active one are told so
    "/poll": entry(
        lambda w, a: w.services.polls.compose(a, "/poll pe 18:00\nMikä päivä?\nMa\nTi"),
        by_rule(SEES_ACTIVE),
        "/poll",
        follows=SEES_ACTIVE,
    ),
    # a participant's post in G: whoever may manage G decides on it
    "approve a post": on_g(lambda w, a: w.services.posts.approve(a, w.post), posts.APPROVE),
    "reject a post": on_g(lambda w, a: w.services.posts.reject(a, w.post), posts.REJECT),
    # saving one to the library: staff of G's organisation who manage G
    "save a post to the library": entry(
        lambda w, a: w.services.posts.save(a, w.approved_post, "peer_support"),
        {"coordinator", "instructor"},
        posts.SAVE,
        posts.SAVE_THEME,
    ),
    "/approval off": entry(
        lambda w, a: w.services.tips.set_review(a, review=False), OWN_COORDINATORS, "/approval"
    ),
    "/meetings G": on_g(show_meetings, "/meetings"),
    "/meetings G set": on_g(
        lambda w, a: w.services.meetings.set_calendar(a, w.group, "ke 10:00", "2.12."),
        "/meetings",
    ),
    "/cancel": on_g(lambda w, a: w.services.meetings.cancel(a, w.group, "8.12."), "/cancel"),
    "/uncancel": on_g(lambda w, a: w.services.meetings.restore(a, w.group, "22.12."), "/uncancel"),
    "/remote": on_g(
        lambda w, a: w.services.meetings.remote(a, w.group, "8.12.", "https://meet.example.org/a"),
        "/remote",
    ),
    "/rhythm": on_g(change_rhythm, "/rhythm"),
    "calendar (asked, set)": on_g(lambda w, a: answer_calendar(w, a, 0), meetings.SET_CALENDAR),
    "calendar (asked, no holidays)": on_g(
        lambda w, a: answer_calendar(w, a, 1), meetings.SKIP_HOLIDAYS
    ),
    "calendar (asked, kept)": on_g(lambda w, a: answer_calendar(w, a, 2), meetings.KEEP_CALENDAR),
    "cancel two meetings (asked, confirmed)": on_g(cancel_two, meetings.CONFIRM_CHANGE),
    "cancel two meetings (asked, kept)": on_g(keep_two, meetings.KEEP_CHANGE),
    "/schedule": entry(lambda w, a: w.services.meetings.schedule_listing(a), STAFF, "/schedule"),
    "/schedule G": on_g(
        lambda w, a: w.services.meetings.schedule_listing(a, [str(w.group)]), "/schedule"
    ),
    "schedule page of G": on_g(
        lambda w, a: w.services.meetings.schedule_page(a, w.group, 0), meetings.SCHEDULE_PAGE
    ),
    "which group's schedule": entry(
        lambda w, a: w.services.meetings.schedule_choice(a, 0), STAFF, meetings.SCHEDULE_GROUPS
    ),
    "cancel a meeting": on_g(
        lambda w, a: w.services.meetings.meeting_cancelled(a, w.meeting), meetings.CANCEL_MEETING
    ),
    "cancel a message": on_g(
        lambda w, a: w.services.meetings.message_cancelled(a, w.item), meetings.CANCEL_ITEM
    ),
    "/season G": on_g(lambda w, a: w.services.seasons.status(a, w.group), "/season"),
    "/season G new": on_g(new_season, "/season"),
    "/season G after": on_g(
        lambda w, a: w.services.seasons.set_after(a, w.group, AfterRhythm.MONTHLY), "/season"
    ),
    "after-programme button": on_g(after_button, seasons.AFTER),
    "/checkins": on_g(lambda w, a: w.services.checkins.figures(a, w.group), "/checkins"),
    "/buddies": on_g(lambda w, a: w.services.checkins.pair_buddies(a, w.group), "/buddies"),
    "/stats": entry(lambda w, a: w.services.stats.report(a, None), COUNTED, "/stats"),
    "/stats G": on_g(lambda w, a: w.services.stats.report(a, w.group), stats.GROUP),
    # the chart's check, without drawing it
    "chart of G": on_g(lambda w, a: w.services.stats.scope(a, w.group), stats.CHART),
    "/export": entry(lambda w, a: w.services.exports.groups_for(a), COORDINATORS, "/export"),
    "/staff": entry(lambda w, a: w.services.staff.listing(a), COORDINATORS, "/staff", staff.PAGE),
    # a role or a group of Espoo's: its coordinators and the admins, asked and then done
    "end a role (asked)": entry(
        lambda w, a: w.services.staff.ask_role(a, OTHER_INSTRUCTOR), ESPOO, staff.ASK_ROLE
    ),
    "end a role": entry(end_a_role, ESPOO, staff.CONFIRM),
    "take an instructor off G (asked)": entry(
        lambda w, a: w.services.staff.ask_group(a, INSTRUCTOR, w.group), ESPOO, staff.ASK_GROUP
    ),
    "take an instructor off G": entry(take_off_g, ESPOO, staff.CONFIRM),
    "keep a role": entry(keep_as_it_is, ESPOO, staff.DECLINE),
    # only whoever leads G steps down from it
    "/leave G": entry(step_down_from_g, {"instructor"}, "/leave", staff.CONFIRM),
}
# Commands and buttons about the person's own things only, never anyone else's group.
OWN_COMMANDS = {
    "/start": "a first greeting, or a link whose code is the pass (invitation, consent)",
    "/help": "lists the commands the person's roles may use",
    "/language": "the person's own language",
    "/privacy": "the privacy notice",
    "/consent": "the person's consent to their own group's organisation",
    "/survey": "the person's own survey answers",
    "/mydata": "the person's own data",
    "/myposts": "the person's own posts",
    "/pollresults": "the results of a poll the person composed",
    "/forgetme": "the person's own erasure",
}
OWN_BUTTONS = {
    broadcasts.DONE: "the preview of the person's own draft",
    broadcasts.LATER: "asks when the person's own draft goes (checked again when it goes)",
    broadcasts.DROP: "drops the person's own draft",
}
OWN_NAMESPACES = {  # every button of these is the person's own
    ButtonNamespace.CHECK_IN: "a participant's own check-in",
    ButtonNamespace.CONSENT: "the person's own consent",
    ButtonNamespace.LANGUAGE: "the person's own language",
    ButtonNamespace.PRIVACY: "the person's own erasure request",
    ButtonNamespace.POLL: "the person's own poll draft (its groups checked as they are sent)",
    ButtonNamespace.POST_SHARE: "shares the person's own message with their own group",
    ButtonNamespace.POST_WITHDRAW: "withdraws the person's own post",
    ButtonNamespace.SURVEY: "the person's own survey answers",
}
OWN = {
    *OWN_COMMANDS,
    *OWN_BUTTONS,
    *(prefix for prefix in ISSUED if namespace(prefix) in OWN_NAMESPACES),
}
CASES = [
    pytest.param(name, role, role in item.allowed, id=f"{name}-{role}")
    for name, item in MATRIX.items()
    for role in ROLES
]


def test_every_command_and_button_is_in_the_matrix() -> None:
    covered = {name for item in MATRIX.values() for name in item.stands_for}
    commands = {f"/{command.name}" for command in COMMANDS}
    assert commands | set(ISSUED) <= covered | OWN
    assert not covered & OWN, "an own command or button is also in the matrix"
    assert not OWN - commands - set(ISSUED), "OWN names something the bot has not"


def test_every_group_command_follows_the_rule() -> None:
    for name, item in MATRIX.items():
        if item.follows is not None:
            assert item.allowed == by_rule(item.follows), name


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


@pytest.mark.parametrize(("name", "role", "allowed"), CASES)
async def test_role_matrix(
    world: World, database: Database, clock: FixedClock, name: str, role: str, allowed: bool
) -> None:
    action = MATRIX[name].action
    clock.advance(dt.timedelta(minutes=1))  # so a change would show in timestamps
    before = await snapshot(database)

    if allowed:
        await action(world, ROLES[role])
        return
    with pytest.raises(DomainError) as refused:
        await action(world, ROLES[role])

    assert refused.value.key.split(".")[0] in REFUSALS
    if role == "coordinator-no-org" and refused.value.key.startswith("access."):
        # never "only a coordinator": they are one, of no organisation
        assert refused.value.key != "access.coordinator-only"
    assert await snapshot(database) == before, "a refused command changed the database"


def test_refusal_texts_say_who_may(world: World) -> None:
    translator = world.services.translator
    assert translator.text("en", "access.admin-only") == "Only an admin can do this."
    assert translator.text("fi", "access.not-your-group").startswith("Et voi hallita tätä ryhmää.")
