"""Organisations: created by admins; their privacy contact kept by coordinators."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from bot.clock import Clock
from bot.errors import DomainError
from bot.i18n import Text
from bot.replies import Reply
from bot.services.access import load_actor, require_admin, require_coordinator
from bot.services.invitations import InvitationService, NewInvitation
from bot.typed import without_controls
from storage import Database, Transaction
from storage.organisations import Organisation
from storage.states import AuditAction, EventErasure, StaffRole

NAME_LIMIT = 80
CONTACT_LIMIT = 300
MAX_RETENTION_MONTHS = 120
NUMBER_DIGITS = 9  # an organisation's number fits the database's INTEGER


def clean_name(name: str) -> str:
    cleaned = " ".join(without_controls(name).split())
    if not 2 <= len(cleaned) <= NAME_LIMIT:
        raise DomainError("org.name-invalid", limit=NAME_LIMIT)
    return cleaned


@dataclass(frozen=True)
class Founded:
    """A new organisation and the invitation for its first coordinator."""

    organisation: Organisation
    invitation: NewInvitation


class OrganisationService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        admins: Collection[int],
        invitations: InvitationService,
    ) -> None:
        self._database = database
        self._clock = clock
        self._admins = frozenset(admins)
        self._invitations = invitations

    async def create(self, actor_id: int | None, name: str) -> Organisation:
        """A new organisation. ``actor_id`` None means the command line (an admin by definition)."""
        async with self._database.transaction() as tx:
            return await self._create(tx, actor_id, name)

    async def found(self, actor_id: int, name: str) -> Founded:
        """/neworg: a new organisation and its first coordinator's invitation, committed
        together (an organisation is never left without its link)."""
        async with self._database.transaction() as tx:
            organisation = await self._create(tx, actor_id, name)
            invitation = await self._invitations.create_in(
                tx, actor_id, StaffRole.COORDINATOR, organisation_id=organisation.id
            )
        return Founded(organisation, invitation)

    @staticmethod
    def founded(founded: Founded, link: str) -> Reply:
        """What the admin is told: the organisation, its number and the coordinator's link."""
        organisation = founded.organisation
        return Reply(
            Text(
                "org.created",
                {"name": organisation.name, "number": organisation.id, "link": link},
            )
        )

    @staticmethod
    def contact_set(organisation: Organisation) -> Reply:
        """What the coordinator is told after setting the privacy contact."""
        return Reply(
            Text(
                "org.contact-set",
                {"name": organisation.name, "contact": organisation.privacy_contact},
            )
        )

    async def _create(self, tx: Transaction, actor_id: int | None, name: str) -> Organisation:
        name = clean_name(name)
        if actor_id is not None:
            require_admin(await load_actor(tx, actor_id, self._admins))
        if await tx.organisations.by_name(name) is not None:
            raise DomainError("org.exists", name=name)
        now = self._clock.now()
        organisation = await tx.organisations.create(name, now)
        target = f"organisation {organisation.id}"
        await tx.audit.add(now, actor_id, AuditAction.ORGANISATION_CREATED, target)
        return organisation

    async def all(self) -> list[Organisation]:
        async with self._database.transaction() as tx:
            return await tx.organisations.all()

    async def find(self, number_or_name: str) -> Organisation:
        """An organisation by its number (as ``kannustin org list`` shows it) or by its
        name: digits only are a number (an organisation named so is chosen by number)."""
        text = " ".join(without_controls(number_or_name).split())
        async with self._database.transaction() as tx:
            if text.isascii() and text.isdigit() and len(text) <= NUMBER_DIGITS:
                found = await tx.organisations.get(int(text))
            else:
                found = await tx.organisations.by_name(text)
        if found is None:
            raise DomainError("org.not-found", name=text)
        return found

    async def set_retention(
        self, organisation_id: int, months: int, erase_events: str
    ) -> Organisation:
        """How long the organisation keeps personal data after a group's last meeting, and
        whether an erasure unlinks or deletes a person's events (admins, command line)."""
        if not 1 <= months <= MAX_RETENTION_MONTHS:
            raise DomainError("org.retention-invalid", limit=MAX_RETENTION_MONTHS)
        if erase_events not in tuple(EventErasure):
            raise DomainError("org.retention-invalid", limit=MAX_RETENTION_MONTHS)
        policy = EventErasure(erase_events)
        async with self._database.transaction() as tx:
            if await tx.organisations.get(organisation_id) is None:
                raise DomainError("org.unknown")
            await tx.organisations.set_retention(organisation_id, months, policy)
            await tx.audit.add(
                self._clock.now(),
                None,
                AuditAction.RETENTION_SETTING,
                f"organisation {organisation_id}",
                months=months,
                events=policy,
            )
            updated = await tx.organisations.get(organisation_id)
        assert updated is not None
        return updated

    async def set_privacy_contact(
        self, actor_id: int | None, contact: str, organisation_id: int | None = None
    ) -> Organisation:
        """The controller's contact shown in the privacy notice (coordinator: their own)."""
        contact = " ".join(without_controls(contact).split())
        if not 3 <= len(contact) <= CONTACT_LIMIT:
            raise DomainError("org.contact-invalid", limit=CONTACT_LIMIT)
        async with self._database.transaction() as tx:
            if actor_id is not None:
                actor = await load_actor(tx, actor_id, self._admins)
                require_coordinator(actor)
                organisation_id = actor.organisation_id
            if organisation_id is None:
                raise DomainError("org.no-organisation")
            organisation = await tx.organisations.get(organisation_id)
            if organisation is None:
                raise DomainError("org.unknown")
            await tx.organisations.set_privacy_contact(organisation_id, contact)
            await tx.audit.add(
                self._clock.now(),
                actor_id,
                AuditAction.PRIVACY_CONTACT,
                f"organisation {organisation_id}",
            )
            updated = await tx.organisations.get(organisation_id)
        assert updated is not None
        return updated
