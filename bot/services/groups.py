"""Group chats: registration when staff add the bot, membership, migration, settings.

A group's record also follows what the outbox sender learns while sending (hooked to it
in ``bot/runtime/wiring.py``, inside the transaction that records the row's fate): a
group that removed or kicked the bot, or no longer exists, becomes inactive and the bot
no admin there (``chat_gone``); a group that became a supergroup follows its new chat id
(``chat_migrated``).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.clock import Clock
from bot.errors import DomainError
from bot.runtime.outcomes import ChatGone, ChatMigrated
from bot.services.access import load_actor, managed_group, require_admin, require_staff
from bot.settings import LANGUAGES
from storage import Database, Transaction
from storage.groups import Group, GroupSummary
from storage.organisations import Organisation
from storage.states import GroupStatus, Language

log = logging.getLogger(__name__)

DISPLAY_NAME_LIMIT = 64


class Added(StrEnum):
    REGISTERED = "registered"  # a new group, greeted
    REACTIVATED = "reactivated"  # back after being removed, history kept
    PENDING = "pending"  # added by an admin without an organisation: they pick one
    NO_ORGANISATION = "no_organisation"  # an admin added it before any organisation exists
    REFUSED = "refused"  # not added by staff: the bot leaves and stores nothing
    ALREADY = "already"  # already active (e.g. promoted to admin)


@dataclass(frozen=True)
class AddOutcome:
    result: Added
    group: Group | None = None
    organisations: tuple[Organisation, ...] = ()


class GroupService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        admins: Collection[int],
        *,
        default_timezone: str,
    ) -> None:
        self._database = database
        self._clock = clock
        self._admins = frozenset(admins)
        self.default_timezone = default_timezone

    async def bot_added(
        self,
        adder_id: int,
        chat_id: int,
        title: str,
        *,
        language: Language,
        bot_is_admin: bool,
    ) -> AddOutcome:
        """Someone added the bot to a group chat (or re-added it)."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            actor = await load_actor(tx, adder_id, self._admins)
            existing = await tx.groups.by_chat(chat_id)
            if existing is not None:
                instructors = await tx.groups.instructor_ids(existing.id)
                if not actor.manages(existing, instructors):
                    return AddOutcome(Added.REFUSED, existing)
                was_active = existing.is_active
                group = await tx.groups.update(
                    existing.id,
                    now,
                    status=GroupStatus.ACTIVE if existing.organisation_id else GroupStatus.PENDING,
                    title=title,
                    bot_is_admin=bot_is_admin,
                    join_code=existing.join_code or new_join_code(),
                )
                if group.status == GroupStatus.PENDING:
                    return AddOutcome(Added.PENDING, group, tuple(await tx.organisations.all()))
                return AddOutcome(Added.ALREADY if was_active else Added.REACTIVATED, group)
            if not (actor.is_admin or actor.is_staff):
                return AddOutcome(Added.REFUSED)
            organisation_id = actor.organisation_id
            organisations: tuple[Organisation, ...] = ()
            if organisation_id is None:
                organisations = tuple(await tx.organisations.all())
                if not organisations:
                    return AddOutcome(Added.NO_ORGANISATION)
                if len(organisations) == 1:
                    organisation_id = organisations[0].id
            group = await tx.groups.create(
                chat_id=chat_id,
                organisation_id=organisation_id,
                title=title,
                language=language,
                timezone=self.default_timezone,
                status=GroupStatus.ACTIVE if organisation_id is not None else GroupStatus.PENDING,
                bot_is_admin=bot_is_admin,
                registered_by=adder_id,
                now=now,
            )
            group = await tx.groups.update(group.id, now, join_code=new_join_code())
            await tx.people.record_seen(adder_id, None, now)
            await tx.groups.add_instructor(group.id, adder_id, now)
        log.info("group %d (chat %d) registered by %d", group.id, chat_id, adder_id)
        if group.status == GroupStatus.PENDING:
            return AddOutcome(Added.PENDING, group, organisations)
        return AddOutcome(Added.REGISTERED, group)

    async def choose_organisation(
        self, actor_id: int, group_id: int, organisation_id: int
    ) -> Group:
        """An admin says which organisation a pending group belongs to."""
        async with self._database.transaction() as tx:
            require_admin(await load_actor(tx, actor_id, self._admins))
            group = await tx.groups.get(group_id)
            organisation = await tx.organisations.get(organisation_id)
            if group is None or organisation is None:
                raise DomainError("access.not-your-group")
            if group.status != GroupStatus.PENDING:
                raise DomainError("group.not-pending")
            return await tx.groups.update(
                group_id,
                self._clock.now(),
                organisation_id=organisation_id,
                status=GroupStatus.ACTIVE,
            )

    async def bot_removed(self, chat_id: int) -> Group | None:
        """The bot was removed or kicked: nothing more is sent there."""
        async with self._database.transaction() as tx:
            group = await tx.groups.by_chat(chat_id)
            if group is None:
                return None
            # a group still waiting for its organisation stays waiting
            status = (
                GroupStatus.PENDING if group.status == GroupStatus.PENDING else GroupStatus.INACTIVE
            )
            updated = await tx.groups.update(
                group.id, self._clock.now(), status=status, bot_is_admin=False
            )
        log.info("group %d (chat %d) inactive: the bot was removed", group.id, chat_id)
        return updated

    async def bot_rights_changed(self, chat_id: int, *, bot_is_admin: bool) -> None:
        async with self._database.transaction() as tx:
            group = await tx.groups.by_chat(chat_id)
            if group is not None and group.bot_is_admin != bot_is_admin:
                await tx.groups.update(group.id, self._clock.now(), bot_is_admin=bot_is_admin)

    async def migrated(self, old_chat_id: int, new_chat_id: int) -> Group | None:
        """The group became a supergroup: the record follows the new chat id."""
        async with self._database.transaction() as tx:
            group = await tx.groups.by_chat(old_chat_id)
            if group is None:
                return None
            duplicate = await tx.groups.by_chat(new_chat_id)
            if duplicate is not None:
                # Telegram's "joined the new supergroup" arrived first and made a record;
                # the history belongs to the old one.
                await tx.groups.merge_into(group.id, duplicate.id)
                log.info("group %d: merged the record made for chat %d", group.id, new_chat_id)
            updated = await tx.groups.update(group.id, self._clock.now(), chat_id=new_chat_id)
        log.info("group %d moved from chat %d to %d", group.id, old_chat_id, new_chat_id)
        return updated

    async def chat_gone(self, tx: Transaction, report: ChatGone) -> None:
        """Inside the outbox sender's transaction: a group that removed the bot (or is no
        more) becomes inactive; nothing more is sent there."""
        if report.private:
            return
        group = await tx.groups.by_chat(report.chat_id)
        if group is not None and group.is_active:
            await tx.groups.update(
                group.id, report.at, status=GroupStatus.INACTIVE, bot_is_admin=False
            )
            log.info("group %d inactive: %s", group.id, report.reason)

    async def chat_migrated(self, tx: Transaction, report: ChatMigrated) -> None:
        """Inside the outbox sender's transaction: the group became a supergroup and its
        record follows the new chat id, unless a record for that chat exists already (then
        the migration message merges the two: ``migrated``)."""
        group = await tx.groups.by_chat(report.old_chat_id)
        if group is not None and await tx.groups.by_chat(report.new_chat_id) is None:
            await tx.groups.update(group.id, report.at, chat_id=report.new_chat_id)
            log.info(
                "group %d moved to chat %d (learnt while sending)", group.id, report.new_chat_id
            )

    async def member_seen(
        self,
        chat_id: int,
        person_id: int,
        telegram_language: str | None = None,
        name: str | None = None,
    ) -> bool:
        """A person is in a registered group (joined or wrote); True if newly recorded."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            group = await tx.groups.by_chat(chat_id)
            if group is None or not group.is_active:
                return False
            await tx.people.record_seen(person_id, telegram_language, now)
            return await tx.groups.participant_seen(group.id, person_id, now, name)

    async def member_left(self, chat_id: int, person_id: int) -> bool:
        async with self._database.transaction() as tx:
            group = await tx.groups.by_chat(chat_id)
            if group is None or not group.is_active:
                return False
            return await tx.groups.participant_left(group.id, person_id, self._clock.now())

    async def by_chat(self, chat_id: int) -> Group | None:
        async with self._database.transaction() as tx:
            return await tx.groups.by_chat(chat_id)

    async def summaries_for(self, actor_id: int) -> list[GroupSummary]:
        """The groups the actor oversees: admins all, coordinators their organisation's,
        instructors those they lead."""
        async with self._database.transaction() as tx:
            actor = await load_actor(tx, actor_id, self._admins)
            require_staff(actor)
            if actor.is_admin:
                groups = await tx.groups.all()
            elif actor.is_coordinator:
                assert actor.organisation_id is not None
                groups = await tx.groups.of_organisation(actor.organisation_id)
            else:
                groups = await tx.groups.led_by(actor_id)
            return [
                GroupSummary(
                    group,
                    await tx.groups.instructor_names(group.id),
                    await tx.groups.participant_count(group.id),
                )
                for group in groups
            ]

    async def manageable(self, actor_id: int, group_id: int) -> Group:
        """The group, if the actor may see and change its settings."""
        async with self._database.transaction() as tx:
            return await managed_group(tx, actor_id, group_id, self._admins)

    async def change_settings(
        self,
        actor_id: int,
        group_id: int,
        *,
        language: str | None = None,
        timezone: str | None = None,
        display_name: str | None = None,
    ) -> Group:
        changes: dict[str, object] = {}
        if language is not None:
            if language not in LANGUAGES:
                raise DomainError("language.unknown")
            changes["language"] = language
        if timezone is not None:
            changes["timezone"] = _valid_timezone(timezone)
        if display_name is not None:
            name = " ".join(display_name.split())
            if not 1 <= len(name) <= DISPLAY_NAME_LIMIT:
                raise DomainError("group.name-invalid", limit=DISPLAY_NAME_LIMIT)
            changes["display_name"] = name
        if not changes:
            raise DomainError("group.settings-usage")
        async with self._database.transaction() as tx:
            await managed_group(tx, actor_id, group_id, self._admins)
            group = await tx.groups.update(group_id, self._clock.now(), **changes)
        log.info("group %d settings changed by %d: %s", group_id, actor_id, sorted(changes))
        return group


def new_join_code() -> str:
    """72 random bits for the start link in a group's greeting (12 URL-safe characters)."""
    return secrets.token_urlsafe(9)


def _valid_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError("group.timezone-unknown", timezone=name[:64]) from None
    return name
