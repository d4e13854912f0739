"""Group chats: what the bot does when it is added, removed or promoted (register and
greet, ask an admin for the organisation, advise admin rights, or explain and leave a
stranger's chat), membership, migration to a supergroup, /groups and /group settings.

When a group becomes a supergroup, Telegram may say the bot "joined" the new chat, from
whoever upgraded it, before the migration notice that ties it to the registered group. A
supergroup added by someone who may not register groups is therefore decided
``MIGRATION_GRACE`` later on the bot's clock: ``unclaimed_due`` then refuses it, unless the
migration notice arrived meanwhile. The pending decisions are kept in memory: the instance
that saw the join decides it.

A group's record also follows what the outbox sender learns while sending (hooked to it
in ``bot/runtime/wiring.py``, inside the transaction that records the row's fate): a
group that removed or kicked the bot, or no longer exists, becomes inactive and the bot
no admin there (``chat_gone``); a group that became a supergroup follows its new chat id
(``chat_migrated``).

Staff hear what changes for them (``bot/services/notices.py``): the bot removed from a
group, made its administrator or no longer one (told once, however often Telegram repeats
the update), and an instructor added to a group when its records merge at a migration.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from bot.clock import Clock
from bot.errors import DomainError
from bot.i18n import Lines, Text, normalize_language
from bot.replies import Button, Reply, column
from bot.runtime.outcomes import ChatGone, ChatMigrated
from bot.services.access import (
    load_actor,
    managed_group,
    may_register_groups,
    require_admin,
    require_staff,
    visible_groups,
)
from bot.services.membership import JOIN, end_participation, new_join_code
from bot.services.notices import BotChange, StaffNotices
from bot.services.people import LANGUAGE_NAMES
from bot.settings import LANGUAGES
from bot.typed import echo, without_controls
from bot.when import known_timezone
from storage import Database, Transaction
from storage.groups import Group, GroupSummary
from storage.organisations import Organisation
from storage.states import GroupKind, GroupStatus, Language

log = logging.getLogger(__name__)

DISPLAY_NAME_LIMIT = 64
MIGRATION_GRACE = dt.timedelta(seconds=5)  # to wait for a migration notice (see above)

SHOW = "grp:show:"  # grp:show:GROUP
LANGUAGE = "grp:lang:"  # grp:lang:GROUP:LANGUAGE
ORGANISATION = "grp:org:"  # grp:org:GROUP:ORGANISATION
_STATUS_KEYS = {
    GroupStatus.ACTIVE: "group.status-active",
    GroupStatus.INACTIVE: "group.status-inactive",
    GroupStatus.PENDING: "group.status-pending",
}


def status_key(group: Group) -> str:
    """How /groups and /group name the group's state: archived (``bot/services/seasons.py``)
    or its status."""
    return "group.status-archived" if group.is_archived else _STATUS_KEYS[group.status]


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


@dataclass(frozen=True)
class BotMembership:
    """Telegram says the bot's membership of a group chat changed, in plain values."""

    chat_id: int
    title: str
    supergroup: bool
    by: int  # who added, removed or promoted the bot
    by_language: str | None  # their Telegram app's language
    was_in: bool
    is_in: bool
    is_admin: bool
    language: Language  # the language a group registered now starts with


@dataclass(frozen=True)
class MembershipAnswer:
    """What the bot does about a change of its membership."""

    to_group: tuple[Reply, ...] = ()  # said in the group chat, in this order
    leave: bool = False  # then leave the chat (what was said may fail to arrive)
    to_adder: Reply | None = None  # said privately to whoever added the bot
    # said in the group when the private message cannot reach them (they never opened a
    # private chat with the bot)
    if_adder_unreachable: Reply | None = None
    # an unclaimed supergroup: ``unclaimed_due`` decides it at this moment
    decide_at: dt.datetime | None = None


@dataclass(frozen=True)
class Farewell:
    """Said in a chat the bot then leaves."""

    chat_id: int
    reply: Reply


@dataclass(frozen=True)
class OrganisationChosen:
    answer: Reply  # to the admin who chose
    chat_id: int  # the group's chat, which is greeted now
    greeting: Reply


@dataclass(frozen=True)
class _Unclaimed:
    decide_at: dt.datetime
    language: Language  # the adder's, for the words before leaving


class GroupService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        admins: Collection[int],
        *,
        default_timezone: str,
        default_language: Language,
        notices: StaffNotices,
    ) -> None:
        self._database = database
        self._notices = notices
        self._clock = clock
        self._admins = frozenset(admins)
        self.default_timezone = default_timezone
        self._default_language = default_language
        # supergroups added by someone who may not register groups, by chat id
        self._unclaimed: dict[int, _Unclaimed] = {}

    # The bot itself ---------------------------------------------------------------------------

    async def bot_membership(self, change: BotMembership) -> MembershipAnswer:
        """Added by staff: register and greet (an admin without an organisation picks one;
        without admin rights, advice to the adder). Added by anyone else: say why and
        leave, or for a supergroup, decide after the grace for its migration notice.
        Removed: the group goes quiet. Rights changed: remembered. Either way the group's
        staff are told (``bot/services/notices.py``), once."""
        if change.was_in and not change.is_in:
            await self.bot_removed(change.chat_id)
            return MembershipAnswer()
        if change.was_in and change.is_in:
            await self.bot_rights_changed(change.chat_id, bot_is_admin=change.is_admin)
            return MembershipAnswer()
        if not change.is_in:
            return MembershipAnswer()
        outcome = await self.bot_added(
            change.by,
            change.chat_id,
            change.title,
            language=change.language,
            bot_is_admin=change.is_admin,
        )
        if outcome.result == Added.REFUSED and change.supergroup and outcome.group is None:
            decide_at = self._clock.now() + MIGRATION_GRACE
            language = normalize_language(change.by_language) or self._default_language
            self._unclaimed[change.chat_id] = _Unclaimed(decide_at, language)
            return MembershipAnswer(decide_at=decide_at)
        if outcome.result in (Added.REFUSED, Added.NO_ORGANISATION):
            if outcome.result == Added.NO_ORGANISATION:
                key = "group.no-organisation"
            else:
                key = "group.refused-known" if outcome.group is not None else "group.refused"
            log.info(
                "leaving chat %d: added by %d, who may not register groups",
                change.chat_id,
                change.by,
            )
            return MembershipAnswer(to_group=(Reply.of(key),), leave=True)
        group = outcome.group
        assert group is not None
        if outcome.result == Added.PENDING:
            buttons = [
                Button(organisation.name, data=f"{ORGANISATION}{group.id}:{organisation.id}")
                for organisation in outcome.organisations
            ]
            return MembershipAnswer(
                to_group=(Reply.of("group.pending-notice"),),
                to_adder=Reply(
                    Text("group.choose-organisation", {"group": group.name}), column(buttons)
                ),
                if_adder_unreachable=Reply.of("group.pending-unreachable"),
            )
        greeted = outcome.result in (Added.REGISTERED, Added.REACTIVATED)
        # Without admin rights Telegram sends no member updates and no reactions, and with
        # group privacy on not even the messages: advise whatever BotFather says.
        advised = not change.is_admin and outcome.result != Added.ALREADY
        return MembershipAnswer(
            to_group=(greeting(group),) if greeted else (),
            to_adder=Reply.of("group.make-admin", group=group.name) if advised else None,
        )

    async def unclaimed_due(self) -> list[Farewell]:
        """The unclaimed supergroups whose grace is over: each is refused and left, unless
        its migration notice tied it to a registered group meanwhile."""
        now = self._clock.now()
        due = {chat: wait for chat, wait in self._unclaimed.items() if wait.decide_at <= now}
        for chat_id in due:  # taken before any await: a second check finds them gone
            del self._unclaimed[chat_id]
        farewells = []
        for chat_id, waiting in due.items():
            if await self.by_chat(chat_id) is not None:
                continue  # it was a registered group moving to its supergroup
            log.info("leaving supergroup %d: added by someone who may not register groups", chat_id)
            farewells.append(
                Farewell(chat_id, Reply(Text("group.refused"), language=waiting.language))
            )
        return farewells

    def next_unclaimed(self) -> dt.datetime | None:
        """When the next unclaimed supergroup is to be decided, if any waits."""
        return min((waiting.decide_at for waiting in self._unclaimed.values()), default=None)

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
                if not actor.manages(existing):
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
            if not may_register_groups(actor):
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

    async def organisation_chosen(
        self, actor_id: int, group_id: int, organisation_id: int
    ) -> OrganisationChosen:
        """An admin picked the organisation of a group they added: it is registered and
        greeted."""
        group = await self.choose_organisation(actor_id, group_id, organisation_id)
        return OrganisationChosen(
            Reply.of("group.organisation-set", group=group.name), group.chat_id, greeting(group)
        )

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
        """The bot was removed or kicked: nothing more is sent there, and the group's
        instructors and coordinators are told, once however often Telegram says so (an
        unclaimed supergroup it was waiting to leave need not be left)."""
        self._unclaimed.pop(chat_id, None)
        now = self._clock.now()
        async with self._database.transaction() as tx:
            group = await tx.groups.by_chat(chat_id)
            if group is None:
                return None
            if await tx.groups.deactivate(group.id, now):
                await self._notices.bot_changed(tx, group, BotChange.REMOVED)
                log.info("group %d (chat %d) inactive: the bot was removed", group.id, chat_id)
            else:  # inactive already, or still waiting for its organisation (it stays so)
                await tx.groups.set_bot_admin(group.id, False, now)
            return await tx.groups.get(group.id)

    async def bot_rights_changed(self, chat_id: int, *, bot_is_admin: bool) -> None:
        """The bot was made the group's administrator, or is no longer one: remembered, and
        an active group's instructors and coordinators are told what it means, once."""
        async with self._database.transaction() as tx:
            group = await tx.groups.by_chat(chat_id)
            if group is None:
                return
            changed = await tx.groups.set_bot_admin(group.id, bot_is_admin, self._clock.now())
            if changed and group.is_active:
                change = BotChange.ADMIN if bot_is_admin else BotChange.NOT_ADMIN
                await self._notices.bot_changed(tx, group, change)

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
                leading = set(await tx.groups.instructor_ids(group.id))
                await tx.groups.merge_into(group.id, duplicate.id)
                log.info("group %d: merged the record made for chat %d", group.id, new_chat_id)
                # whoever the new record made its instructor now leads this group too
                for person_id in await tx.groups.instructor_ids(group.id):
                    member = await tx.staff.get(person_id)
                    if person_id not in leading and member is not None:
                        await self._notices.instructor_joined(
                            tx, group, person_id, member.display_name
                        )
            updated = await tx.groups.update(group.id, self._clock.now(), chat_id=new_chat_id)
        log.info("group %d moved from chat %d to %d", group.id, old_chat_id, new_chat_id)
        return updated

    async def chat_gone(self, tx: Transaction, report: ChatGone) -> None:
        """Inside the outbox sender's transaction: a group that removed the bot (or is no
        more) becomes inactive, nothing more is sent there, and its instructors and
        coordinators are told (unless they were told already, when Telegram said so)."""
        if report.private:
            return
        group = await tx.groups.by_chat(report.chat_id)
        if group is not None and await tx.groups.deactivate(group.id, report.at):
            await self._notices.bot_changed(tx, group, BotChange.REMOVED)
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
        """Telegram says the person left the chat or was removed: their participation ends
        at once and the join code rotates (``bot/services/membership.py``); True if they
        were a participant until now."""
        async with self._database.transaction() as tx:
            group = await tx.groups.by_chat(chat_id)
            if group is None:
                return False
            return await end_participation(tx, group, person_id, self._clock.now())

    async def by_chat(self, chat_id: int) -> Group | None:
        async with self._database.transaction() as tx:
            return await tx.groups.by_chat(chat_id)

    async def summaries_for(self, actor_id: int) -> list[GroupSummary]:
        """The groups the actor sees (``bot/services/access.py``), with their instructors'
        names (or that nobody leads an active one) and how many take part."""
        async with self._database.transaction() as tx:
            actor = await load_actor(tx, actor_id, self._admins)
            require_staff(actor)
            return [
                GroupSummary(
                    group,
                    await tx.groups.instructor_names(group.id),
                    await tx.groups.participant_count(group.id),
                    unled=group.is_active and not await tx.groups.instructor_ids(group.id),
                )
                for group in await visible_groups(tx, actor)
            ]

    async def listing(self, actor_id: int) -> Reply:
        """/groups: the groups the actor leads or oversees, with their instructors,
        participants and status."""
        summaries = await self.summaries_for(actor_id)
        if not summaries:
            return Reply.of("group.none")
        blocks = [Text("group.list-header")]
        for summary in summaries:
            group = summary.group
            blocks.append(
                Text(
                    "group.list-entry",
                    {
                        "number": group.id,
                        "name": group.name,
                        "status": Text(status_key(group)),
                        "kind": Text(KIND_NAMES[group.kind]),
                        "instructors": Text("group.no-instructor")
                        if summary.unled
                        else ", ".join(summary.instructor_names) or "-",
                        "participants": summary.participants,
                    },
                )
            )
        return Reply(Lines(tuple(blocks), sep="\n\n"))

    async def settings_command(
        self, actor_id: int, chat_id: int, *, private: bool, words: str
    ) -> Reply:
        """/group [N] [name|timezone|language VALUE]: the settings card of this chat's group
        (in private: of group N, or buttons to pick one), after changing one setting."""
        match = _SETTING.match(words)
        if match is None:
            raise DomainError("group.settings-usage")
        number, setting, value = match[1], match[2], match[3].strip()
        if setting is None and value:
            raise DomainError("group.settings-usage")
        if private:
            if number is None:
                return await self._pick(actor_id)
            group_id = int(number)
        else:
            here = await self.by_chat(chat_id)
            if here is None:
                raise DomainError("access.not-your-group")
            group_id = here.id
        if setting is None:
            group = await self.manageable(actor_id, group_id)
        else:
            if not value:
                raise DomainError("group.settings-usage")
            group = await self.change_settings(
                actor_id, group_id, **{_SETTING_NAMES[setting.lower()]: value}
            )
        return settings_card(group)

    async def _pick(self, actor_id: int) -> Reply:
        summaries = await self.summaries_for(actor_id)
        if not summaries:
            return Reply.of("group.none")
        buttons = [
            Button(summary.group.name, data=f"{SHOW}{summary.group.id}") for summary in summaries
        ]
        return Reply(Text("group.pick"), column(buttons))

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
        kind: str | None = None,
        weekly_plans: str | None = None,
    ) -> Group:
        changes: dict[str, object] = {}
        if kind is not None:
            if kind.lower() not in KIND_WORDS:
                raise DomainError("group.kind-unknown", kind=echo(kind))
            changes["kind"] = KIND_WORDS[kind.lower()]
        if weekly_plans is not None:
            if weekly_plans.lower() not in SWITCH_WORDS:
                raise DomainError("group.plans-usage")
            changes["weekly_plans"] = SWITCH_WORDS[weekly_plans.lower()]
        if language is not None:
            if language not in LANGUAGES:
                raise DomainError("language.unknown")
            changes["language"] = language
        if timezone is not None:
            changes["timezone"] = _valid_timezone(timezone)
        if display_name is not None:
            name = " ".join(without_controls(display_name).split())
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


_SETTING = re.compile(
    r"^#?(\d{1,9})?\s*(name|nimi|namn|timezone|aikavyöhyke|tidszon|language|kieli|språk"
    r"|kind|laji|typ|plans|suunnitelma|plan)?\s*(.*)$",
    re.IGNORECASE | re.DOTALL,
)
_SETTING_NAMES = {
    "name": "display_name",
    "nimi": "display_name",
    "namn": "display_name",
    "timezone": "timezone",
    "aikavyöhyke": "timezone",
    "tidszon": "timezone",
    "language": "language",
    "kieli": "language",
    "språk": "language",
    "kind": "kind",
    "laji": "kind",
    "typ": "kind",
    "plans": "weekly_plans",
    "suunnitelma": "weekly_plans",
    "plan": "weekly_plans",
}
# /group N kind VALUE: the kind's words in every language the bot speaks
KIND_WORDS = {
    "peer": GroupKind.PEER,
    "vertais": GroupKind.PEER,
    "kamrat": GroupKind.PEER,
    "codev": GroupKind.CODEV,
    "kehittäminen": GroupKind.CODEV,
    "utveckling": GroupKind.CODEV,
}
KIND_NAMES = {GroupKind.PEER: "group.kind-peer", GroupKind.CODEV: "group.kind-codev"}
# /group N plans on|off
SWITCH_WORDS = {"on": True, "päälle": True, "på": True, "off": False, "pois": False, "av": False}


def settings_card(group: Group) -> Reply:
    """A group's settings, with a button for each language (the current one ticked)."""
    text = Text(
        "group.settings",
        {
            "number": group.id,
            "name": group.name,
            "title": group.title,
            "status": Text(status_key(group)),
            "language": Text(LANGUAGE_NAMES[group.language]),
            "timezone": group.timezone,
            "kind": Text(KIND_NAMES[group.kind]),
            "plans": Text("group.plans-on" if group.plans_on else "group.plans-off"),
        },
    )
    buttons = tuple(
        Button(
            Lines(("✓ " if code == group.language else "", Text(LANGUAGE_NAMES[code])), sep=""),
            data=f"{LANGUAGE}{group.id}:{code}",
        )
        for code in LANGUAGES
    )
    return Reply(text, (buttons,))


def greeting(group: Group) -> Reply:
    """The greeting in a newly registered group, in its language, with a button whose press
    opens the bot privately with the group's current start link (the join code rotates, so
    the link is made at the press: ``bot/services/membership.py``)."""
    return Reply(
        Text("group.greeting"),
        ((Button(Text("group.greeting-button"), data=JOIN),),),
        language=group.language,
    )


def _valid_timezone(name: str) -> str:
    """The IANA name of the zone meant (any case); anything else is refused, with a short
    piece of what was typed."""
    known = known_timezone(name)
    if known is None:
        raise DomainError("group.timezone-unknown", timezone=echo(name))
    return known
