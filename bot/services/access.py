"""Who may do what, decided here and nowhere else. Services call these checks; a refusal
is a ``DomainError`` whose text tells the person plainly who can do it instead."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from bot.errors import DomainError
from bot.roles import Role
from storage import Transaction
from storage.groups import Group
from storage.organisations import StaffMember
from storage.states import StaffRole


@dataclass(frozen=True)
class Actor:
    """A person as far as permissions go: admin flag, staff role, group memberships."""

    telegram_id: int
    is_admin: bool
    staff: StaffMember | None
    participates: bool = False

    @property
    def organisation_id(self) -> int | None:
        return None if self.staff is None else self.staff.organisation_id

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
        """Admins coordinate every organisation; a coordinator their own."""
        return self.is_admin or (
            self.is_coordinator
            and organisation_id is not None
            and self.organisation_id == organisation_id
        )

    def manages(self, group: Group, instructor_ids: Collection[int]) -> bool:
        """May see and change this group: its instructors, its coordinators, admins."""
        return self.coordinates(group.organisation_id) or self.telegram_id in instructor_ids


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise DomainError("access.admin-only")


def require_coordinator(actor: Actor) -> None:
    if not (actor.is_admin or actor.is_coordinator):
        raise DomainError("access.coordinator-only")


def require_staff(actor: Actor) -> None:
    if not (actor.is_admin or actor.is_staff):
        raise DomainError("access.staff-only")


def require_manages(actor: Actor, group: Group | None, instructor_ids: Collection[int]) -> Group:
    """The group, if the actor may manage it; a missing group reads the same as a foreign one,
    so a forged id tells nothing about other organisations' groups."""
    if group is None or not actor.manages(group, instructor_ids):
        raise DomainError("access.not-your-group")
    return group


async def load_actor(tx: Transaction, telegram_id: int, admins: Collection[int]) -> Actor:
    """The actor as stored now, read inside the caller's transaction."""
    staff = await tx.staff.get(telegram_id)
    participates = bool(await tx.groups.groups_of_participant(telegram_id))
    return Actor(telegram_id, telegram_id in admins, staff, participates)


async def managed_group(
    tx: Transaction, actor_id: int, group_id: int, admins: Collection[int]
) -> Group:
    """The group, read inside the caller's transaction, if the actor may manage it."""
    actor = await load_actor(tx, actor_id, admins)
    group = await tx.groups.get(group_id)
    return require_manages(actor, group, await tx.groups.instructor_ids(group_id) if group else [])
