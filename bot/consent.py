"""Participants' consent to their organisation's privacy notice.

The notice names the organisation (the controller) and its contact. Consent is stored with
the notice version and time; withdrawing keeps the record (that consent existed and when it
ended is itself needed to show lawful processing). Anything private the bot does with a
participant (check-ins, surveys) asks ``has_consent`` first.
"""

from __future__ import annotations

import logging

from bot.clock import Clock
from bot.errors import DomainError
from bot.i18n import Text
from bot.replies import Button, Reply
from storage import Database, Transaction
from storage.organisations import Organisation
from storage.people import Person

log = logging.getLogger(__name__)

NOTICE_VERSION = "2026-11"
PREFIX = "consent"
GIVE = "consent:give:"
WITHDRAW = "consent:withdraw:"


class ConsentService:
    def __init__(self, database: Database, clock: Clock) -> None:
        self._database = database
        self._clock = clock

    async def open_link(self, person: Person, argument: str, display_name: str) -> Reply:
        """The start link in a group's greeting: the organisation's notice and an agree button."""
        if not argument.isdigit():
            return Reply.of("start.link-unknown")
        async with self._database.transaction() as tx:
            group = await tx.groups.get(int(argument))
            if group is None or group.organisation_id is None:
                return Reply.of("start.link-unknown")
            organisation = await tx.organisations.get(group.organisation_id)
            assert organisation is not None
            return await self._notice(tx, person.telegram_id, organisation)

    async def group_notice(self, chat_id: int) -> Text | None:
        """The notice of the organisation a group chat belongs to, if it is registered."""
        async with self._database.transaction() as tx:
            group = await tx.groups.by_chat(chat_id)
            if group is None or group.organisation_id is None:
                return None
            organisation = await tx.organisations.get(group.organisation_id)
        assert organisation is not None
        return _notice_text(organisation)

    async def status(self, person_id: int) -> list[Reply]:
        """One notice per organisation whose group the person is in, with its button."""
        async with self._database.transaction() as tx:
            organisations: dict[int, Organisation] = {}
            for group in await tx.groups.groups_of_participant(person_id):
                if group.organisation_id is not None and group.organisation_id not in organisations:
                    organisation = await tx.organisations.get(group.organisation_id)
                    assert organisation is not None
                    organisations[organisation.id] = organisation
            return [await self._notice(tx, person_id, org) for org in organisations.values()]

    async def _notice(self, tx: Transaction, person_id: int, organisation: Organisation) -> Reply:
        current = await tx.consents.current(person_id, organisation.id)
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
            if organisation is None:
                raise DomainError("consent.unknown-organisation")
            await tx.people.record_seen(person_id, None, self._clock.now())
            if await tx.consents.current(person_id, organisation_id) is None:
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
            await tx.consents.withdraw(person_id, organisation_id, self._clock.now())
        log.info("consent withdrawn by a participant from organisation %d", organisation_id)
        return Reply.of("consent.withdrawn", organisation=organisation.name)

    async def has_consent(self, person_id: int, organisation_id: int) -> bool:
        async with self._database.transaction() as tx:
            return await tx.consents.current(person_id, organisation_id) is not None


def _notice_text(organisation: Organisation) -> Text:
    contact = organisation.privacy_contact or organisation.name
    return Text("consent.notice", {"organisation": organisation.name, "contact": contact})
