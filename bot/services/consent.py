"""Participants' consent to their organisation's privacy notice.

The notice names the organisation (the controller) and its contact. Consent is stored with
the notice version and time; withdrawing keeps the record (that consent existed and when it
ended is itself needed to show lawful processing). The rule lives here: check-ins, buddies
and surveys write only to those ``consenting`` returns, and a tip asked for in private is
recorded only when ``consented``; each asks inside its own transaction, and
``has_consent`` asks the same of one person.
"""

from __future__ import annotations

import logging

from bot.clock import Clock
from bot.errors import DomainError
from bot.i18n import Text
from bot.replies import Button, Reply
from bot.services.membership import JOIN, PREFIX, MembershipService
from storage import Database, Transaction
from storage.groups import Participant
from storage.organisations import Organisation
from storage.people import Person

log = logging.getLogger(__name__)

NOTICE_VERSION = "2026-11"


async def consented(tx: Transaction, person_id: int, organisation_id: int) -> bool:
    """Whether the person has consented to this organisation's current notice: the one
    rule every private feature asks (inside its own transaction)."""
    return await tx.consents.current(person_id, organisation_id, NOTICE_VERSION) is not None


async def consenting(tx: Transaction, group_id: int) -> list[Participant]:
    """The group's current participants who consented to its organisation's current
    notice: who the private features (check-ins, buddies, surveys) may write to."""
    return await tx.groups.consenting(group_id, NOTICE_VERSION)


__all__ = ["GIVE", "PREFIX", "WITHDRAW", "ConsentService", "consented", "consenting"]
GIVE = "consent:give:"
WITHDRAW = "consent:withdraw:"


class ConsentService:
    def __init__(self, database: Database, clock: Clock, membership: MembershipService) -> None:
        self._database = database
        self._clock = clock
        self._membership = membership

    async def open_link(self, person: Person, argument: str, display_name: str) -> Reply:
        """The start link the greeting's button hands out: if Telegram says the person is
        in the group's chat they are its participant (``bot/services/membership.py``), and
        get the organisation's notice with an agree button; else they are told why."""
        group = await self._membership.join(person.telegram_id, argument, display_name)
        async with self._database.transaction() as tx:
            assert group.organisation_id is not None
            organisation = await tx.organisations.get(group.organisation_id)
            assert organisation is not None
            return await self._notice(tx, person.telegram_id, organisation)

    async def group_notice(self, chat_id: int) -> Reply:
        """/privacy in a group: the notice of the organisation the group belongs to, or the
        general notice where it is not registered. In a served group it carries the
        greeting's button, which opens the bot with the group's current link (a greeting
        from before the link rotated may carry an old one)."""
        async with self._database.transaction() as tx:
            group = await tx.groups.by_chat(chat_id)
            if group is None or group.organisation_id is None:
                return Reply.of("privacy.general")
            organisation = await tx.organisations.get(group.organisation_id)
        assert organisation is not None
        if not group.is_active:
            return Reply(_notice_text(organisation))
        return Reply(
            _notice_text(organisation), ((Button(Text("group.greeting-button"), data=JOIN),),)
        )

    async def privacy_notices(self, person_id: int) -> list[Reply]:
        """/privacy in private: the notice of each organisation the person's consent
        concerns, with its status and button; else the general notice."""
        return await self.status(person_id) or [Reply.of("privacy.general")]

    async def consent_notices(self, person_id: int) -> list[Reply]:
        """/consent: as /privacy, or that the person is in no group yet."""
        return await self.status(person_id) or [Reply.of("consent.no-groups")]

    async def status(self, person_id: int) -> list[Reply]:
        """One notice per organisation whose group the person is in, with its button."""
        async with self._database.transaction() as tx:
            wanted = {
                group.organisation_id
                for group in await tx.groups.groups_of_participant(person_id)
                if group.organisation_id is not None
            }
            # after leaving a group, consent still in force can be withdrawn
            wanted |= set(await tx.consents.organisations_in_force(person_id))
            organisations = [await tx.organisations.get(org_id) for org_id in sorted(wanted)]
            return [
                await self._notice(tx, person_id, organisation)
                for organisation in organisations
                if organisation is not None
            ]

    async def _notice(self, tx: Transaction, person_id: int, organisation: Organisation) -> Reply:
        current = await tx.consents.current(person_id, organisation.id, NOTICE_VERSION)
        notice = _notice_text(organisation)
        if current is None:
            button = Button(Text("consent.agree-button"), data=f"{GIVE}{organisation.id}")
        else:
            button = Button(Text("consent.withdraw-button"), data=f"{WITHDRAW}{organisation.id}")
        status = Text("consent.status-given" if current else "consent.status-none")
        return Reply(
            Text("consent.with-status", {"notice": notice, "status": status}), ((button,),)
        )

    async def give(self, person_id: int, organisation_id: int) -> Reply:
        async with self._database.transaction() as tx:
            organisation = await tx.organisations.get(organisation_id)
            if organisation is None or not await tx.groups.was_member(person_id, organisation_id):
                raise DomainError("consent.not-a-member")
            await tx.people.record_seen(person_id, None, self._clock.now())
            if await tx.consents.current(person_id, organisation_id, NOTICE_VERSION) is None:
                await tx.consents.give(
                    person_id, organisation_id, NOTICE_VERSION, self._clock.now()
                )
                log.info("consent given by a participant to organisation %d", organisation_id)
        return Reply.of("consent.thanks", organisation=organisation.name)

    async def withdraw(self, person_id: int, organisation_id: int) -> Reply:
        async with self._database.transaction() as tx:
            organisation = await tx.organisations.get(organisation_id)
            if organisation is None:
                raise DomainError("consent.unknown-organisation")
            if not await tx.consents.withdraw(person_id, organisation_id, self._clock.now()):
                return Reply.of("consent.nothing-to-withdraw")
        log.info("consent withdrawn by a participant from organisation %d", organisation_id)
        return Reply.of("consent.withdrawn", organisation=organisation.name)

    async def has_consent(self, person_id: int, organisation_id: int) -> bool:
        async with self._database.transaction() as tx:
            return await consented(tx, person_id, organisation_id)


def _notice_text(organisation: Organisation) -> Text:
    contact: str | Text = organisation.privacy_contact or Text("consent.no-contact")
    return Text(
        "consent.notice",
        {
            "organisation": organisation.name,
            "contact": contact,
            "months": organisation.retention_months,
        },
    )
