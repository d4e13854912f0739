"""Who may do what, and which groups each person may see and manage: decided here and
nowhere else. Services load the ``Actor`` inside their own transaction and ask these
functions; a refusal is a ``DomainError`` whose text tells the person plainly who can do it
instead.

The one rule for groups (``Actor.manages``, listed by ``visible_groups``): an admin sees and
manages every group; a coordinator the groups of the organisation they coordinate; a staff
member the groups they lead. Nobody else sees any group here (a participant's own group is
theirs through consent and check-ins, not through this rule). A coordinator whose
organisation is not there (an ended role, a removed organisation) coordinates nothing and
is told so, never an assertion. Seeing and managing are one answer today: whoever may read
a group's figures may change its settings. The disclosure rule's reader scopes
(``bot/services/stats.py: reader_scopes``) are the sets of groups this rule lets each
reader see; ``tests/test_access_matrix.py`` checks that every service agrees with it."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from bot.errors import DomainError
from bot.roles import Role
from storage import Transaction
from storage.groups import Group
from storage.invitations import Invitation
from storage.organisations import Organisation, StaffMember
from storage.states import StaffRole


@dataclass(frozen=True)
class Actor:
    """A person as far as permissions go: admin flag, staff role and the organisation it is
    in (None when it has none), the groups they lead, whether they take part in a group.
    Built by ``load_actor`` only, so every field says what is stored now."""

    telegram_id: int
    is_admin: bool
    staff: StaffMember | None
    participates: bool = False
    # the groups they are an instructor of (counted only while they are staff)
    led: frozenset[int] = frozenset()
    # the organisation of their staff role, if it is there
    organisation_id: int | None = None

    @property
    def is_coordinator(self) -> bool:
        return self.staff is not None and self.staff.role == StaffRole.COORDINATOR

    @property
    def is_instructor(self) -> bool:
        return self.staff is not None and self.staff.role == StaffRole.INSTRUCTOR

    @property
    def is_staff(self) -> bool:
        return self.staff is not None

    @property
    def roles(self) -> frozenset[Role]:
        roles = {Role.EVERYONE}
        if self.is_admin:
            roles.add(Role.ADMIN)
        if self.is_coordinator:
            roles.add(Role.COORDINATOR)
        if self.is_instructor:
            roles.add(Role.INSTRUCTOR)
        if self.participates:
            roles.add(Role.PARTICIPANT)
        return frozenset(roles)

    def coordinates(self, organisation_id: int | None) -> bool:
        """Admins coordinate every organisation; a coordinator their own (if it is there)."""
        return self.is_admin or (
            self.is_coordinator
            and organisation_id is not None
            and self.organisation_id == organisation_id
        )

    def manages(self, group: Group) -> bool:
        """The rule: may see and change this group. Admins every group, a coordinator their
        organisation's, staff the groups they lead."""
        return (
            self.is_admin
            or self.coordinates(group.organisation_id)
            or (self.is_staff and group.id in self.led)
        )

    def sees_invitation(self, invitation: Invitation) -> bool:
        """An invitation is its inviter's, its organisation's coordinators' and the admins'."""
        return invitation.created_by == self.telegram_id or self.coordinates(
            invitation.organisation_id
        )


def may_register_groups(actor: Actor) -> bool:
    """Adding the bot to a new group registers it: an admin (who picks its organisation when
    there are several), or staff, into their own organisation (so not without one)."""
    return actor.is_admin or (actor.is_staff and actor.organisation_id is not None)


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise DomainError("access.admin-only")


def require_coordinator(actor: Actor) -> None:
    """An admin, or a coordinator of an organisation that is there."""
    if actor.is_admin:
        return
    if not actor.is_coordinator:
        raise DomainError("access.coordinator-only")
    if actor.organisation_id is None:
        raise DomainError("access.no-organisation")


def require_staff(actor: Actor) -> None:
    if not (actor.is_admin or actor.is_staff):
        raise DomainError("access.staff-only")


def require_manages(actor: Actor, group: Group | None) -> Group:
    """The group, if the actor may manage it; a missing group reads the same as a foreign one,
    so a forged id tells nothing about other organisations' groups."""
    if group is None or not actor.manages(group):
        raise DomainError("access.not-your-group")
    return group


def own_organisation(actor: Actor) -> int:
    """The organisation a coordinator or instructor acts for; refused, in words, when their
    role has none (an admin without a staff role has none either)."""
    if actor.organisation_id is None:
        raise DomainError("access.no-organisation")
    return actor.organisation_id


def visible(actor: Actor, groups: Iterable[Group]) -> list[Group]:
    """Those of ``groups`` the actor may see, in the order given."""
    return [group for group in groups if actor.manages(group)]


async def visible_groups(tx: Transaction, actor: Actor) -> list[Group]:
    """Every group the actor may see and manage, whatever its status, by title: the list
    behind /groups, /stats, /schedule, the broadcast picker and the coordinators' export.
    Each caller narrows it for its purpose (active groups to send to, registered ones to
    count), never widens it."""
    if actor.is_admin:
        return await tx.groups.all()
    found: dict[int, Group] = {}
    if actor.is_coordinator and actor.organisation_id is not None:
        found.update((g.id, g) for g in await tx.groups.of_organisation(actor.organisation_id))
    if actor.is_staff:
        found.update((g.id, g) for g in await tx.groups.led_by(actor.telegram_id))
    return sorted(visible(actor, found.values()), key=lambda group: (group.title, group.id))


async def group_staff(tx: Transaction, group: Group) -> list[int]:
    """The rule read the other way: who sees this group because of it, admins aside (its
    instructors, then its organisation's coordinators). Whom its notices go to; an admin
    who registered the group leads it and is told too."""
    people = list(await tx.groups.instructor_ids(group.id))
    if group.organisation_id is not None:
        people += await tx.staff.coordinators_of(group.organisation_id)
    return list(dict.fromkeys(people))


async def coordinated_organisations(tx: Transaction, actor: Actor) -> list[Organisation]:
    """The organisations whose coordinator's work (review, export) the actor may do: an
    admin every one, a coordinator their own, anyone else none."""
    if actor.is_admin:
        return await tx.organisations.all()
    if not actor.is_coordinator or actor.organisation_id is None:
        return []
    organisation = await tx.organisations.get(actor.organisation_id)
    return [] if organisation is None else [organisation]


async def load_actor(tx: Transaction, telegram_id: int, admins: Collection[int]) -> Actor:
    """The actor as stored now, read inside the caller's transaction."""
    staff = await tx.staff.get(telegram_id)
    organisation = None
    if staff is not None and await tx.organisations.get(staff.organisation_id) is not None:
        organisation = staff.organisation_id
    led = frozenset(group.id for group in await tx.groups.led_by(telegram_id))
    participates = bool(await tx.groups.groups_of_participant(telegram_id))
    return Actor(telegram_id, telegram_id in admins, staff, participates, led, organisation)


async def managed_group(
    tx: Transaction, actor_id: int, group_id: int, admins: Collection[int]
) -> Group:
    """The group, read inside the caller's transaction, if the actor may manage it."""
    actor = await load_actor(tx, actor_id, admins)
    return require_manages(actor, await tx.groups.get(group_id))
