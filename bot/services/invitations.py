"""Invitations: deep links that give a staff role in the inviter's organisation (and, from a
co-instructor's link, a group to lead: its other instructors are told who joined).

A token is 128 random bits (22 URL-safe characters); only its SHA-256 is stored, so the
database cannot hand out working links. The link payload is ``inv_<token>``: 26 characters,
well inside Telegram's 64 of ``A-Za-z0-9_-``.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass

from bot.clock import Clock
from bot.dates import moment_words, short_moment_words
from bot.errors import DomainError
from bot.i18n import Text
from bot.replies import Button, Reply, lines_with_buttons
from bot.services.access import (
    Actor,
    load_actor,
    own_organisation,
    require_manages,
    require_staff,
)
from bot.services.notices import ROLE_KEYS, StaffNotices
from bot.tokens import hash_token
from storage import Database, Transaction
from storage.groups import Group
from storage.invitations import Invitation
from storage.people import Person
from storage.states import AuditAction, StaffRole

log = logging.getLogger(__name__)

PREFIX = "inv"
REVOKE = "inv:revoke:"  # inv:revoke:INVITATION
TOKEN_BYTES = 16
MAX_USES = 50


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    token: str
    organisation_name: str
    group_name: str | None
    timezone: str  # its expiry is shown in it: the group's, else the deployment's

    @property
    def payload(self) -> str:
        return f"{PREFIX}_{self.token}"


@dataclass(frozen=True)
class OpenInvitation:
    invitation: Invitation
    group_name: str | None
    timezone: str  # its expiry is shown in it: the group's, else the deployment's


class InvitationService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        admins: Collection[int],
        *,
        default_timezone: str,
        notices: StaffNotices,
        valid_for: dt.timedelta = dt.timedelta(days=7),
        roles_changed: Callable[[int], None] = lambda _person: None,
    ) -> None:
        self._notices = notices
        # told (after the change is stored) whose roles changed: their menu is compared
        self._roles_changed = roles_changed
        self.default_timezone = default_timezone
        self._database = database
        self._clock = clock
        self._admins = frozenset(admins)
        self.valid_for = valid_for

    async def create(
        self,
        actor_id: int,
        role: StaffRole,
        *,
        group_id: int | None = None,
        uses: int = 1,
        organisation_id: int | None = None,
    ) -> NewInvitation:
        """An invitation the actor may give; raises with the reason when they may not."""
        async with self._database.transaction() as tx:
            return await self.create_in(
                tx,
                actor_id,
                role,
                group_id=group_id,
                uses=uses,
                organisation_id=organisation_id,
            )

    async def create_in(
        self,
        tx: Transaction,
        actor_id: int,
        role: StaffRole,
        *,
        group_id: int | None = None,
        uses: int = 1,
        organisation_id: int | None = None,
    ) -> NewInvitation:
        """``create`` inside the caller's transaction (a new organisation and its first
        coordinator's invitation commit together)."""
        if role not in tuple(StaffRole):
            raise DomainError("invite.usage")
        if not 1 <= uses <= MAX_USES:
            raise DomainError("invite.uses-invalid", limit=MAX_USES)
        now = self._clock.now()
        actor = await load_actor(tx, actor_id, self._admins)
        if actor.is_instructor and not actor.is_admin and uses > 1:
            # every holder becomes staff: only coordinators hand out links for many
            raise DomainError("invite.instructor-single-use")
        organisation_id, group = await self._check_may_invite(
            tx, actor, role, group_id, organisation_id
        )
        organisation = await tx.organisations.get(organisation_id)
        if organisation is None:
            raise DomainError("org.unknown")
        token = secrets.token_urlsafe(TOKEN_BYTES)
        invitation = await tx.invitations.create(
            token_hash=hash_token(token),
            organisation_id=organisation_id,
            role=role,
            group_id=group_id,
            created_by=actor_id,
            now=now,
            expires_at=now + self.valid_for,
            max_uses=uses,
        )
        await tx.audit.add(
            now,
            actor_id,
            AuditAction.INVITATION_CREATED,
            f"invitation {invitation.id}",
            role=role,
            organisation=organisation_id,
            group=group_id,
            uses=uses,
        )
        log.info("invitation %d (%s) created by %d", invitation.id, role, actor_id)
        return NewInvitation(
            invitation,
            token,
            organisation.name,
            None if group is None else group.name,
            self._timezone(group),
        )

    async def _check_may_invite(
        self,
        tx: Transaction,
        actor: Actor,
        role: StaffRole,
        group_id: int | None,
        organisation_id: int | None,
    ) -> tuple[int, Group | None]:
        """(organisation, group) of the invitation, if the actor may give it."""
        if role == StaffRole.COORDINATOR:
            if not actor.is_admin:
                raise DomainError("access.admin-only")
            if group_id is not None:
                raise DomainError("invite.coordinator-no-group")
            return await self._admins_organisation(tx, actor, organisation_id), None
        require_staff(actor)
        if group_id is None:
            if actor.is_admin:
                return await self._admins_organisation(tx, actor, organisation_id), None
            if actor.is_instructor:
                raise DomainError("invite.instructor-needs-group")
            own = own_organisation(actor)
            if organisation_id is not None and organisation_id != own:
                raise DomainError("access.not-your-organisation")
            return own, None
        group = require_manages(actor, await tx.groups.get(group_id))
        if group.organisation_id is None:
            raise DomainError("group.pending")
        return group.organisation_id, group

    def _timezone(self, group: Group | None) -> str:
        """Where an invitation's times are shown: its group's zone; an invitation to an
        organisation concerns no group, so the deployment's."""
        return self.default_timezone if group is None else group.timezone

    async def _admins_organisation(
        self, tx: Transaction, actor: Actor, organisation_id: int | None
    ) -> int:
        if organisation_id is not None:
            return organisation_id  # an admin's explicit choice comes first
        organisations = await tx.organisations.all()
        if len(organisations) == 1:
            return organisations[0].id
        if actor.organisation_id is not None:
            return actor.organisation_id
        if not organisations:
            raise DomainError("org.none-yet")
        listing = ", ".join(
            f"{organisation.id} {organisation.name}" for organisation in organisations
        )
        raise DomainError("invite.choose-organisation", organisations=listing)

    async def accept(self, person: Person, token: str, display_name: str) -> Reply:
        """Opening the link: the role, or a plain reason why not. Nothing changes on refusal."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            invitation = await tx.invitations.by_token_hash(hash_token(token))
            if invitation is None:
                return Reply.of("invite.unknown")
            if invitation.revoked_at is not None:
                return Reply.of("invite.revoked")
            if now >= invitation.expires_at:
                return Reply.of("invite.expired")
            if invitation.uses >= invitation.max_uses:
                return Reply.of("invite.used")
            organisation = await tx.organisations.get(invitation.organisation_id)
            assert organisation is not None
            current = await tx.staff.get(person.telegram_id)
            if current is not None and current.organisation_id != invitation.organisation_id:
                other = await tx.organisations.get(current.organisation_id)
                return Reply.of(
                    "invite.other-organisation", organisation=other.name if other else ""
                )
            use = await tx.invitations.record_use(invitation.id, person.telegram_id, now)
            if use == "again":
                return Reply.of("invite.already-accepted")
            if use == "full":
                return Reply.of("invite.used")
            # A coordinator stays coordinator when accepting an instructor invitation.
            role = invitation.role
            if current is not None and current.role == StaffRole.COORDINATOR:
                role = StaffRole.COORDINATOR
            member = await tx.staff.put(
                person.telegram_id, organisation.id, role, display_name, now
            )
            await tx.audit.add(
                now,
                person.telegram_id,
                AuditAction.ROLE_GRANTED,
                f"invitation {invitation.id}",
                role=role,
                organisation=organisation.id,
                previous=current.role if current is not None else None,
            )
            group_name = None
            if invitation.group_id is not None:
                group = await tx.groups.get(invitation.group_id)
                if group is not None:
                    if await tx.groups.add_instructor(group.id, person.telegram_id, now):
                        await self._notices.instructor_joined(
                            tx, group, person.telegram_id, member.display_name
                        )
                    group_name = group.name
        log.info("invitation %d accepted by %d", invitation.id, person.telegram_id)
        self._roles_changed(person.telegram_id)
        if group_name is not None:
            return Reply(
                Text(
                    "invite.accepted-group",
                    {"organisation": organisation.name, "group": group_name},
                )
            )
        key = (
            "invite.accepted-coordinator"
            if role == StaffRole.COORDINATOR
            else "invite.accepted-instructor"
        )
        return Reply.of(key, organisation=organisation.name)

    async def open_for(self, actor_id: int) -> list[OpenInvitation]:
        """Open invitations the actor may see (``Actor.sees_invitation``): admins all,
        coordinators their organisation's, anyone else their own."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            actor = await load_actor(tx, actor_id, self._admins)
            require_staff(actor)
            if actor.is_admin:
                found = await tx.invitations.open_ones(now)
            elif actor.coordinates(actor.organisation_id):
                found = await tx.invitations.open_ones(now, organisation_id=actor.organisation_id)
            else:
                found = await tx.invitations.open_ones(now, created_by=actor_id)
            result = []
            for invitation in found:
                group = (
                    None
                    if invitation.group_id is None
                    else await tx.groups.get(invitation.group_id)
                )
                result.append(
                    OpenInvitation(
                        invitation, None if group is None else group.name, self._timezone(group)
                    )
                )
        return result

    def created(self, created: NewInvitation, link: str) -> Reply:
        """What the inviter is told: the role, where, until when, how many uses, the link."""
        invitation = created.invitation
        until = moment_words(invitation.expires_at, created.timezone)
        where = (
            Text("invite.for-group", {"group": created.group_name})
            if created.group_name
            else Text("invite.for-organisation", {"organisation": created.organisation_name})
        )
        return Reply.of(
            "invite.created",
            role=Text(ROLE_KEYS[invitation.role]),
            where=where,
            until=until,
            uses=invitation.max_uses,
            link=link,
        )

    async def listing(self, actor_id: int) -> Reply:
        """/invites: the open invitations the actor may see, each with a revoke button."""
        found = await self.open_for(actor_id)
        if not found:
            return Reply.of("invite.none-open")
        return lines_with_buttons(Text("invite.open-header"), map(_open_entry, found))

    async def revoke(self, actor_id: int, invitation_id: int) -> Invitation:
        """Close an invitation: its inviter, the organisation's coordinators or an admin."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            actor = await load_actor(tx, actor_id, self._admins)
            invitation = await tx.invitations.get(invitation_id)
            if invitation is None or not actor.sees_invitation(invitation):
                raise DomainError("invite.not-yours")
            if not invitation.is_open(now):
                raise DomainError("invite.already-closed")
            await tx.invitations.revoke(invitation_id, now)
            await tx.audit.add(
                now, actor_id, AuditAction.INVITATION_REVOKED, f"invitation {invitation_id}"
            )
            revoked = await tx.invitations.get(invitation_id)
        assert revoked is not None
        log.info("invitation %d revoked by %d", invitation_id, actor_id)
        return revoked


def _open_entry(item: OpenInvitation) -> tuple[Text, Button]:
    """An open invitation's line in /invites, and the button that revokes it."""
    invitation = item.invitation
    until = short_moment_words(invitation.expires_at, item.timezone)
    line = Text(
        "invite.open-line",
        {
            "number": invitation.id,
            "role": Text(ROLE_KEYS[invitation.role]),
            "group": item.group_name or "-",
            "uses": invitation.max_uses - invitation.uses,
            "until": until,
        },
    )
    button = Button(
        Text("invite.revoke-button", {"number": invitation.id}), data=f"{REVOKE}{invitation.id}"
    )
    return line, button
