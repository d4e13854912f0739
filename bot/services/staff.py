"""Staff roles that end: /staff (an organisation's coordinators and instructors, their
groups, and buttons that end a role or take an instructor off one group), /leave N (an
instructor steps down), an instructor who leaves the group chat, and ``kannustin role
list|revoke``.

A removal in a chat is asked first and done on a second press. The question is a stored
request (``staff_requests``, like the /forgetme request of ``bot/services/privacy.py``): it
names who asked and what it ends (the role as it was when asked, or one group), holds for
``REQUEST_MINUTES``, and its buttons carry a random token of which only the hash is stored.
Only the asker's press within that time does it, once; asking again replaces the asker's
older question. Any other press (someone else's token, a made-up, replayed, replaced or
expired one) is told the button no longer holds, and nothing changes. Whether the presser
may still do it, and whether the role or the group is still as asked, is checked again at
the press, in the transaction that makes the change.

Who may end what follows ``bot/services/access.py``: whoever coordinates the person's
organisation (its coordinators, admins) ends a role or takes someone off a group; a person
steps down from a group they lead. The last coordinator of an organisation keeps the role
(bot and command line alike): the organisation would have nobody to run it.

Ending a role takes the person off every group they lead and closes the invitations they
made that are still open; their staff commands refuse from then on. What they scheduled
(broadcasts) for a group they no longer manage is withdrawn: it is never sent. Every
change is in the audit log (who did it, whom it was about, where: a chat or the command
line) and told (``StaffNotices.staff_changed``) to the person, the groups' other
instructors and the organisation's coordinators, with the groups nobody leads now flagged;
/staff and /groups show those groups too.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from bot.clock import Clock
from bot.errors import DomainError
from bot.i18n import Cut, Lines, Text, Words
from bot.replies import Button, Reply, in_rows
from bot.services.access import Actor, load_actor, require_coordinator
from bot.services.notices import (
    ROLE_KEYS,
    RoleEnd,
    StaffChange,
    StaffNotices,
    change_words,
    numbered,
    unled_words,
)
from bot.tokens import hash_token
from storage import Database, Transaction
from storage.groups import Group
from storage.organisations import Organisation, StaffMember, StaffRequest
from storage.states import AuditAction, AuditChannel, StaffRole

log = logging.getLogger(__name__)

PAGE = "staff:page:"  # staff:page:N (from 0)
ASK_ROLE = "staff:role:"  # staff:role:PERSON
ASK_GROUP = "staff:off:"  # staff:off:PERSON:GROUP
CONFIRM = "staff:yes:"  # + the request's token
DECLINE = "staff:no:"  # + the request's token
_IN_THE_CHAT = (RoleEnd.LEFT_CHAT, RoleEnd.REMOVED_FROM_CHAT)
# why a scheduled broadcast's row was not sent: its sender no longer leads the group
WITHDRAWN = "reason.sender-left"
TOKEN_BYTES = 16  # 128 random bits: 22 URL-safe characters
REQUEST_MINUTES = 15
# a page of /staff: at most this many people, and about this many characters of names
PAGE_PEOPLE = 8
PAGE_CHARACTERS = 2400
LABEL_LIMIT = 24  # characters of a name on a button


@dataclass(frozen=True)
class StaffEntry:
    """A staff member with the groups they lead."""

    member: StaffMember
    groups: tuple[Group, ...]


@dataclass(frozen=True)
class OrganisationStaff:
    """An organisation's coordinators and instructors, and its active groups nobody leads."""

    organisation: Organisation
    people: tuple[StaffEntry, ...]
    unled: tuple[Group, ...]


class StaffService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        admins: Collection[int],
        notices: StaffNotices,
        *,
        roles_changed: Callable[[int], None] = lambda _person: None,
    ) -> None:
        self._database = database
        self._clock = clock
        self._admins = frozenset(admins)
        self._notices = notices
        # told (after the change is stored) whose role ended: their menu is compared
        self._roles_changed = roles_changed

    # Who holds which role ---------------------------------------------------------------

    async def roles(self, organisation_id: int | None = None) -> list[OrganisationStaff]:
        """Every organisation's (or one's) staff and their groups (``kannustin role list``)."""
        async with self._database.transaction() as tx:
            organisations = await tx.organisations.all()
            if organisation_id is not None:
                organisations = [o for o in organisations if o.id == organisation_id]
                if not organisations:
                    raise DomainError("org.unknown")
            return [await _staff_of(tx, organisation) for organisation in organisations]

    async def listing(self, actor_id: int, page: int = 0) -> Reply:
        """/staff (and its page buttons): the staff of the organisations the actor
        coordinates, with their groups and the buttons that end a role or take someone off
        a group; the groups nobody leads are flagged."""
        async with self._database.transaction() as tx:
            actor = await load_actor(tx, actor_id, self._admins)
            require_coordinator(actor)
            if actor.is_admin:
                organisations = await tx.organisations.all()
            else:
                organisation = await tx.organisations.get(actor.organisation_id or 0)
                organisations = [] if organisation is None else [organisation]
            if not organisations:
                raise DomainError("org.none-yet")
            found = [await _staff_of(tx, organisation) for organisation in organisations]
        return _page(found, page)

    # Asking ------------------------------------------------------------------------------

    async def ask_role(self, actor_id: int, person_id: int) -> Reply:
        """The question before ending the person's role (a /staff button)."""
        async with self._database.transaction() as tx:
            actor = await load_actor(tx, actor_id, self._admins)
            member, organisation = await self._their_staff(tx, actor, person_id)
            await _not_the_last_coordinator(tx, member, organisation)
            groups = await tx.groups.led_by(person_id)
            token = await self._open(tx, actor_id, person_id, organisation.id, role=member.role)
        return self._question(
            Text(
                "staff.ask-role",
                {
                    "name": member.display_name,
                    "role": Text(ROLE_KEYS[member.role]),
                    "organisation": organisation.name,
                    "led": (
                        Text(
                            "staff.ask-role-groups",
                            {"count": len(groups), "groups": numbered(groups)},
                        )
                        if groups
                        else Text("staff.ask-role-no-groups")
                    ),
                    "minutes": REQUEST_MINUTES,
                },
            ),
            Text("staff.yes-remove"),
            token,
        )

    async def ask_group(self, actor_id: int, person_id: int, group_id: int) -> Reply:
        """The question before taking the person off one group (a /staff button)."""
        async with self._database.transaction() as tx:
            actor = await load_actor(tx, actor_id, self._admins)
            member, organisation = await self._their_staff(tx, actor, person_id)
            group = await tx.groups.get(group_id)
            if group is None or person_id not in await tx.groups.instructor_ids(group_id):
                raise DomainError("staff.not-instructor")
            token = await self._open(tx, actor_id, person_id, organisation.id, group_id=group_id)
        return self._question(
            Text(
                "staff.ask-group",
                {
                    "name": member.display_name,
                    "group": numbered([group]),
                    "organisation": organisation.name,
                    "minutes": REQUEST_MINUTES,
                },
            ),
            Text("staff.yes-remove"),
            token,
        )

    async def ask_leave(self, actor_id: int, group_id: int | None) -> Reply:
        """/leave N: the question before stepping down from group N; without a number, or
        for a group they do not lead, which groups they lead."""
        async with self._database.transaction() as tx:
            led = await tx.groups.led_by(actor_id)
            group = next((g for g in led if g.id == group_id), None)
            if group is None:
                if not led:
                    raise DomainError("staff.leave-none")
                key = "staff.leave-usage" if group_id is None else "staff.leave-not-yours"
                raise DomainError(key, number=group_id or 0, groups=numbered(led), count=len(led))
            if group.organisation_id is None:
                raise DomainError("group.pending")
            token = await self._open(
                tx, actor_id, actor_id, group.organisation_id, group_id=group.id
            )
        return self._question(
            Text("staff.ask-leave", {"group": numbered([group]), "minutes": REQUEST_MINUTES}),
            Text("staff.yes-leave"),
            token,
        )

    async def _their_staff(
        self, tx: Transaction, actor: Actor, person_id: int
    ) -> tuple[StaffMember, Organisation]:
        """The person's staff role and organisation, if the actor coordinates it; someone
        who is not (or no longer) staff there reads the same as a stranger."""
        require_coordinator(actor)
        member = await tx.staff.get(person_id)
        organisation = (
            None if member is None else await tx.organisations.get(member.organisation_id)
        )
        if member is None or organisation is None or not actor.coordinates(organisation.id):
            raise DomainError("staff.unknown-person")
        return member, organisation

    async def _open(
        self,
        tx: Transaction,
        actor_id: int,
        person_id: int,
        organisation_id: int,
        *,
        role: StaffRole | None = None,
        group_id: int | None = None,
    ) -> str:
        """A new question of the actor's (replacing their older one); its token."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        now = self._clock.now()
        await tx.staff_requests.open(
            hash_token(token),
            StaffRequest(
                asked_by=actor_id,
                person_id=person_id,
                organisation_id=organisation_id,
                role=role,
                group_id=group_id,
                created_at=now,
                expires_at=now + dt.timedelta(minutes=REQUEST_MINUTES),
            ),
        )
        return token

    def _question(self, words: Words, yes: Words, token: str) -> Reply:
        return Reply(
            words,
            (
                (Button(yes, f"{CONFIRM}{token}"),),
                (Button(Text("staff.no"), f"{DECLINE}{token}"),),
            ),
        )

    # Answering ---------------------------------------------------------------------------

    async def confirm(self, actor_id: int, data: str, *, name: str = "") -> Reply:
        """The yes button: does what the presser's own open question asked, in time, once,
        if they may still do it and the role or group is still as asked. Anything else
        raises with the reason, and nothing changes. ``name``: the presser's, for one who
        steps down without a staff role (an admin who registered the group)."""
        token_hash = hash_token(data.removeprefix(CONFIRM))
        async with self._database.transaction() as tx:
            request = await tx.staff_requests.get(token_hash)
            if (
                request is None
                or request.asked_by != actor_id
                or self._clock.now() >= request.expires_at
                or not await tx.staff_requests.close(token_hash)
            ):
                raise DomainError("staff.request-gone")
            actor = await load_actor(tx, actor_id, self._admins)
            stepping_down = request.person_id == actor_id and request.group_id is not None
            if not stepping_down:
                require_coordinator(actor)
                if not actor.coordinates(request.organisation_id):
                    raise DomainError("staff.unknown-person")
            how = (
                RoleEnd.STEPPED_DOWN
                if stepping_down
                else RoleEnd.BY_ADMIN
                if actor.is_admin
                else RoleEnd.BY_COORDINATOR
            )
            if request.role is not None:
                member = await tx.staff.get(request.person_id)
                if (
                    member is None
                    or member.role != request.role
                    or member.organisation_id != request.organisation_id
                ):
                    raise DomainError("staff.role-changed")
                change = await self._end_role(
                    tx, member, how=how, actor_id=actor_id, channel=AuditChannel.CHAT
                )
            else:
                assert request.group_id is not None  # the table's CHECK: a role or a group
                change = await self._end_group(
                    tx,
                    request.person_id,
                    request.group_id,
                    how=how,
                    actor_id=actor_id,
                    channel=AuditChannel.CHAT,
                    fallback_name=name,
                )
        self._roles_changed(change.person_id)
        return _done(change)

    async def decline(self, actor_id: int, data: str) -> Reply:
        """The no button: the presser's question is closed and nothing changes; a token
        that is not the presser's open question closes nothing."""
        token_hash = hash_token(data.removeprefix(DECLINE))
        async with self._database.transaction() as tx:
            request = await tx.staff_requests.get(token_hash)
            if request is None or request.asked_by != actor_id:
                raise DomainError("staff.request-gone")
            await tx.staff_requests.close(token_hash)
        return Reply.of("staff.kept")

    # Without a question --------------------------------------------------------------------

    async def left_chat(self, chat_id: int, person_id: int, *, by: int, name: str = "") -> bool:
        """Telegram says the person left the group chat (``by`` them) or was removed from it
        (``by`` someone else): they no longer lead the group. Once, however often Telegram
        says it; False when they did not lead it."""
        how = RoleEnd.LEFT_CHAT if by == person_id else RoleEnd.REMOVED_FROM_CHAT
        async with self._database.transaction() as tx:
            group = await tx.groups.by_chat(chat_id)
            if group is None or person_id not in await tx.groups.instructor_ids(group.id):
                return False
            await self._end_group(
                tx,
                person_id,
                group.id,
                how=how,
                actor_id=by,
                channel=AuditChannel.CHAT,
                fallback_name=name,
            )
        return True

    async def revoke(self, person_id: int, group_id: int | None = None) -> StaffChange:
        """``kannustin role revoke``: end the person's role, or with ``group_id`` take them
        off that group only, as an admin on the command line."""
        async with self._database.transaction() as tx:
            if group_id is not None:
                group = await tx.groups.get(group_id)
                if group is None:
                    raise DomainError("staff.unknown-group", number=group_id)
                return await self._end_group(
                    tx,
                    person_id,
                    group_id,
                    how=RoleEnd.BY_ADMIN,
                    actor_id=0,
                    channel=AuditChannel.COMMAND_LINE,
                )
            member = await tx.staff.get(person_id)
            if member is None:
                raise DomainError("staff.unknown-person")
            change = await self._end_role(
                tx, member, how=RoleEnd.BY_ADMIN, actor_id=0, channel=AuditChannel.COMMAND_LINE
            )
        self._roles_changed(person_id)
        return change

    # The changes -------------------------------------------------------------------------

    async def _withdraw(self, tx: Transaction, person_id: int, group_id: int | None) -> int:
        """What the person scheduled for groups they no longer manage does not go (to
        ``group_id``, or anywhere when their role ended); an admin's still does."""
        if person_id in self._admins:
            return 0
        return await tx.broadcasts.withdraw_scheduled(
            person_id, group_id, WITHDRAWN, self._clock.now()
        )

    async def _end_role(
        self,
        tx: Transaction,
        member: StaffMember,
        *,
        how: RoleEnd,
        actor_id: int,
        channel: AuditChannel,
    ) -> StaffChange:
        """End the member's role: off every group they lead, their open invitations closed,
        audited and told; the last coordinator is refused."""
        organisation = await tx.organisations.get(member.organisation_id)
        if organisation is None:
            raise DomainError("staff.unknown-person")
        await _not_the_last_coordinator(tx, member, organisation)
        now = self._clock.now()
        person_id = member.person_id
        groups = []
        for group in await tx.groups.led_by(person_id):
            if await tx.groups.remove_instructor(group.id, person_id):
                groups.append(group)
        if await tx.staff.remove(person_id) is None:
            raise DomainError("staff.role-changed")
        closed = 0
        for invitation in await tx.invitations.open_ones(now, created_by=person_id):
            await tx.invitations.revoke(invitation.id, now)
            closed += 1
        withdrawn = await self._withdraw(tx, person_id, None)
        change = StaffChange(
            person_id=person_id,
            name=member.display_name,
            organisation=organisation,
            role=member.role,
            groups=tuple(groups),
            unled=tuple(await _unled(tx, groups)),
            how=how,
            actor_id=actor_id or None,
        )
        await tx.audit.add(
            now,
            actor_id,
            AuditAction.ROLE_REVOKED,
            f"{member.role} of organisation {organisation.id}",
            channel,
            subject_id=person_id,
            how=how,
            groups=[group.id for group in groups],
            unled=[group.id for group in change.unled],
            invitations_closed=closed,
            scheduled_withdrawn=withdrawn,
        )
        await self._notices.staff_changed(tx, change)
        log.info("person %d: %s role ended (%s)", person_id, member.role, how)
        return change

    async def _end_group(
        self,
        tx: Transaction,
        person_id: int,
        group_id: int,
        *,
        how: RoleEnd,
        actor_id: int,
        channel: AuditChannel,
        fallback_name: str = "",
    ) -> StaffChange:
        """Take the person off one group (their role stays), audited and told."""
        group = await tx.groups.get(group_id)
        if group is None or not await tx.groups.remove_instructor(group_id, person_id):
            raise DomainError("staff.not-instructor")
        member = await tx.staff.get(person_id)
        organisation = (
            None
            if group.organisation_id is None
            else await tx.organisations.get(group.organisation_id)
        )
        now = self._clock.now()
        unled = await _unled(tx, [group])
        manages = (await load_actor(tx, person_id, self._admins)).manages(group)
        withdrawn = 0 if manages else await self._withdraw(tx, person_id, group.id)
        await tx.audit.add(
            now,
            actor_id,
            AuditAction.INSTRUCTOR_REMOVED,
            f"group {group.id}",
            channel,
            subject_id=person_id,
            how=how,
            unled=bool(unled),
            scheduled_withdrawn=withdrawn,
        )
        name = member.display_name if member is not None else fallback_name or "-"
        # whoever made the change reads their reply; a departure from the chat has none
        told_by_reply = actor_id if how not in _IN_THE_CHAT and actor_id else None
        if organisation is None:  # a group still waiting for its organisation: nobody to tell
            organisation = Organisation(0, "", None, now)
            return StaffChange(person_id, name, organisation, None, (group,), (), how, None)
        change = StaffChange(
            person_id=person_id,
            name=name,
            organisation=organisation,
            role=None,
            groups=(group,),
            unled=tuple(unled),
            how=how,
            actor_id=told_by_reply,
        )
        await self._notices.staff_changed(tx, change)
        log.info("person %d no longer leads group %d (%s)", person_id, group.id, how)
        return change


async def _staff_of(tx: Transaction, organisation: Organisation) -> OrganisationStaff:
    people = [
        StaffEntry(member, tuple(await tx.groups.led_by(member.person_id)))
        for member in await tx.staff.of_organisation(organisation.id)
    ]
    unled = await tx.groups.without_instructors(organisation.id)
    return OrganisationStaff(organisation, tuple(people), tuple(unled))


async def _unled(tx: Transaction, groups: Sequence[Group]) -> list[Group]:
    """Those of ``groups`` that are active and that nobody leads now."""
    return [g for g in groups if g.is_active and not await tx.groups.instructor_ids(g.id)]


async def _not_the_last_coordinator(
    tx: Transaction, member: StaffMember, organisation: Organisation
) -> None:
    if member.role != StaffRole.COORDINATOR:
        return
    if await tx.staff.coordinators_of(organisation.id) == [member.person_id]:
        raise DomainError(
            "staff.last-coordinator", name=member.display_name, organisation=organisation.name
        )


def _done(change: StaffChange) -> Reply:
    """What whoever made the change reads: what ended, and the groups nobody leads now."""
    if change.how == RoleEnd.STEPPED_DOWN:
        said: Words = Text("staff.done-leave", {"group": numbered(change.groups)})
    else:
        said = Lines((Text("staff.done"), change_words(change, to_person=False)))
    unled = unled_words(change.unled)
    return Reply(said if unled is None else Lines((said, unled)))


# /staff, page by page -------------------------------------------------------------------------


def _weight(entry: StaffEntry) -> int:
    """About how many characters the person's line takes."""
    return 24 + len(entry.member.display_name) + sum(len(g.name) + 8 for g in entry.groups)


def _pages(found: Sequence[OrganisationStaff]) -> list[list[tuple[int, StaffEntry | None]]]:
    """The people (by their organisation's index; None: the organisation's own heading,
    where its groups nobody leads are flagged) split into pages of at most ``PAGE_PEOPLE``
    people and about ``PAGE_CHARACTERS`` characters; a page is never empty."""
    pages: list[list[tuple[int, StaffEntry | None]]] = [[]]
    people = size = 0
    for index, organisation in enumerate(found):
        items: list[tuple[int, StaffEntry | None]] = [(index, None)]
        items += [(index, entry) for entry in organisation.people]
        for item in items:
            weight = 60 + 40 * len(organisation.unled) if item[1] is None else _weight(item[1])
            counts = item[1] is not None
            if pages[-1] and (size + weight > PAGE_CHARACTERS or people + counts > PAGE_PEOPLE):
                pages.append([])
                people = size = 0
            pages[-1].append(item)
            people += counts
            size += weight
    return pages


def _page(found: Sequence[OrganisationStaff], number: int) -> Reply:
    pages = _pages(found)
    number = min(max(number, 0), len(pages) - 1)
    lines: list[Words] = []
    buttons: list[tuple[Button, ...]] = []
    shown: int | None = None
    for index, entry in pages[number]:
        organisation = found[index]
        if index != shown:
            if lines:
                lines.append("")
            continued = entry is not None
            key = "staff.header-continued" if continued else "staff.header"
            lines.append(Text(key, {"organisation": organisation.organisation.name}))
            shown = index
        if entry is None:
            if organisation.unled:
                lines.append(Text("staff.unled", {"groups": numbered(organisation.unled)}))
            if not organisation.people:
                lines.append(Text("staff.nobody"))
            continue
        lines.append(_line(entry))
        buttons += _buttons(entry)
    if len(pages) > 1:
        lines += ["", Text("staff.page", {"page": number + 1, "pages": len(pages)})]
        turn = []
        if number > 0:
            turn.append(Button(Text("staff.previous"), f"{PAGE}{number - 1}"))
        if number < len(pages) - 1:
            turn.append(Button(Text("staff.next"), f"{PAGE}{number + 1}"))
        buttons.append(tuple(turn))
    return Reply(Lines(tuple(lines)), tuple(buttons))


def _line(entry: StaffEntry) -> Text:
    member = entry.member
    values = {"name": member.display_name, "role": Text(ROLE_KEYS[member.role])}
    if entry.groups:
        return Text("staff.line-groups", {**values, "groups": numbered(entry.groups)})
    return Text("staff.line", values)


def _buttons(entry: StaffEntry) -> list[tuple[Button, ...]]:
    """End the role; take them off each group they lead (two to a row)."""
    member = entry.member
    name = Cut(member.display_name, LABEL_LIMIT)
    rows: list[tuple[Button, ...]] = [
        (
            Button(
                Text("staff.remove-button", {"name": name, "role": Text(ROLE_KEYS[member.role])}),
                f"{ASK_ROLE}{member.person_id}",
            ),
        )
    ]
    off = [
        Button(
            Text("staff.off-button", {"name": name, "number": group.id}),
            f"{ASK_GROUP}{member.person_id}:{group.id}",
        )
        for group in entry.groups
    ]
    return rows + list(in_rows(off, 2))
