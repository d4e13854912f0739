"""Staff notices: what instructors and coordinators are told about their groups and their
organisation's tip library, each in the reader's own language, through the outbox.

- a co-instructor joined or left a group: its other instructors (``instructor_joined``,
  ``instructor_left``);
- a staff role ended, or an instructor no longer leads a group (removed in /staff or on the
  command line, stepped down with /leave, left or removed from the group chat): the person,
  the groups' other instructors and the organisation's coordinators, each once, with the
  groups nobody leads now flagged to the coordinators (``staff_changed``; whoever made the
  change reads it in their reply instead);
- the bot was removed from a group, made its administrator, or is no longer one: the
  group's instructors and its organisation's coordinators, with what that means for what
  the bot sees and sends (``bot_changed``);
- contributions wait for review: the organisation's coordinators, at most once a day each
  (``remind_reviewers``, a chore of the scheduler's sweep);
- a contribution was approved or rejected, with the reviewer's reason if they gave one:
  its author (``tell``, from ``bot/services/tips.py``);
- a group's season ended: its instructors, with buttons to choose its rhythm after the
  programme (``season_ended``, from ``bot/services/seasons.py``).

Each notice is sent once: it is written in the transaction that makes the change it tells
of, and only when that transaction changed something (``add_instructor``, ``deactivate``
and ``set_bot_admin`` in ``storage/groups.py`` say whether they did). A repeated Telegram
update, a second instance or a retried firing finds nothing changed and tells nobody. The
daily reminder claims its day on the coordinator's row (``staff.review_reminded_on``) in the
transaction that writes it, so restarts and several instances do not double it.

A notice that names a colleague records the name with the outbox row (``names``), so an
erasure of that colleague takes it out again; a colleague who left by erasure is not named.
Callers that change who leads a group (an invitation accepted, a supergroup's records
merged, an erasure, a role that ends: ``bot/services/staff.py``) call these functions
inside their own transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.i18n import Lines, Text, Translator, Words, counted
from bot.payload import OutboxButton, TextContent, content_to_json, packed
from bot.services.access import group_staff
from bot.services.people import resolve_language
from storage import Database, Transaction
from storage.groups import Group
from storage.organisations import Organisation
from storage.states import Purpose, StaffRole

log = logging.getLogger(__name__)

# the deployment's local hours in which the review reminder may go out (not at night)
REMIND_FROM = dt.time(9, 0)
REMIND_UNTIL = dt.time(20, 0)


class BotChange(StrEnum):
    """What happened to the bot in a group (not stored: it picks the notice)."""

    REMOVED = "removed"  # removed or kicked, or the chat is gone
    ADMIN = "admin"  # made an administrator
    NOT_ADMIN = "not-admin"  # no longer an administrator


# each change's words: what it means for what the bot sees and sends
_BOT_CHANGE_KEYS = {
    BotChange.REMOVED: "notice.bot-removed",
    BotChange.ADMIN: "notice.bot-admin",
    BotChange.NOT_ADMIN: "notice.bot-not-admin",
}


class RoleEnd(StrEnum):
    """How a staff role, or the lead of a group, ended (not stored: it picks the words)."""

    BY_COORDINATOR = "by-coordinator"  # removed in /staff by a coordinator
    BY_ADMIN = "by-admin"  # removed in /staff by an admin, or on the command line
    STEPPED_DOWN = "stepped-down"  # /leave N
    LEFT_CHAT = "left-chat"  # left the group chat
    REMOVED_FROM_CHAT = "removed-from-chat"  # someone removed them from the group chat


# how it ended, as said after the change, e.g. "(removed by a coordinator)"
_HOW_KEYS = {
    RoleEnd.BY_COORDINATOR: "staff.how-by-coordinator",
    RoleEnd.BY_ADMIN: "staff.how-by-admin",
    RoleEnd.STEPPED_DOWN: "staff.how-stepped-down",
    RoleEnd.LEFT_CHAT: "staff.how-left-chat",
    RoleEnd.REMOVED_FROM_CHAT: "staff.how-removed-from-chat",
}
ROLE_KEYS = {
    StaffRole.COORDINATOR: "invite.role-coordinator",
    StaffRole.INSTRUCTOR: "invite.role-instructor",
}


@dataclass(frozen=True)
class StaffChange:
    """A staff role that ended, or groups a person no longer leads, in plain values."""

    person_id: int
    name: str  # their name as staff know it
    organisation: Organisation
    role: StaffRole | None  # the role that ended; None: only ``groups`` ended
    groups: tuple[Group, ...]  # the groups they no longer lead
    unled: tuple[Group, ...]  # active groups of the organisation that nobody leads now
    how: RoleEnd
    actor_id: int | None  # who made the change (they read it in their reply); None: nobody


def how_words(how: RoleEnd) -> Text:
    return Text(_HOW_KEYS[how])


def numbered(groups: Iterable[Group]) -> str:
    """Groups as staff find them in /groups: ``#3 Walking group, #5 Readers``."""
    return ", ".join(f"#{group.id} {group.name}" for group in groups)


def unled_words(groups: Sequence[Group]) -> Words | None:
    """The warning that groups have nobody leading them now, or None if none has."""
    if not groups:
        return None
    return Text("staff.unled-now", {"groups": numbered(groups), "count": len(groups)})


def change_words(change: StaffChange, *, to_person: bool) -> Words:
    """What the change is, said to the person (``to_person``) or to their colleagues."""
    how = how_words(change.how)
    names = {"name": change.name, "organisation": change.organisation.name, "how": how}
    if change.role is not None:
        role = Text(ROLE_KEYS[change.role])
        key = "notice.your-role-ended" if to_person else "notice.staff-role-ended"
        lines: list[Words] = [Text(key, {**names, "role": role})]
        if change.groups:
            led = "notice.you-led" if to_person else "notice.they-led"
            lines.append(
                Text(led, {"groups": numbered(change.groups), "count": len(change.groups)})
            )
        return Lines(tuple(lines))
    key = "notice.your-group-ended" if to_person else "notice.staff-group-ended"
    return Text(key, {**names, "group": numbered(change.groups)})


class StaffNotices:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        translator: Translator,
        *,
        timezone: str,
        notify: Callable[[], None] = lambda: None,
    ) -> None:
        """``timezone``: where the reminder's day and hours are counted (the deployment's);
        ``notify`` wakes the outbox sender."""
        self._database = database
        self._clock = clock
        self._translator = translator
        self._zone = ZoneInfo(timezone)
        self._notify = notify

    async def tell(
        self,
        tx: Transaction,
        person_id: int,
        words: Words,
        *,
        group_id: int | None = None,
        names: Sequence[tuple[int, str | None]] = (),
        buttons: Sequence[tuple[Words, str]] = (),
        post_id: int | None = None,
    ) -> bool:
        """One notice to one person, in their language, written to the outbox in the
        caller's transaction; ``names``: the colleagues it names (id, name as written);
        ``buttons``: (label, callback data), one a row; ``post_id``: the participant's post
        it is about (emptied when the post goes). False for someone the bot has never
        met (it cannot write to them)."""
        person = await tx.people.get(person_id)
        if person is None:
            return False
        language = resolve_language(person, None, self._translator.default)
        now = self._clock.now()
        keyboard = [
            [OutboxButton(text=self._translator.render(language, label), data=data)]
            for label, data in buttons
        ]
        text = self._translator.render(language, words)
        await tx.outbox.add(
            chat_id=person_id,
            person_id=person_id,
            group_id=group_id,
            purpose=Purpose.NOTICE,
            content=content_to_json(TextContent(text=text, buttons=keyboard)),
            due_at=now,
            now=now,
            names=names,
            post_id=post_id,
        )
        self._notify()  # (a sender woken before the commit finds the row at its next look)
        return True

    async def tell_in_parts(self, tx: Transaction, person_id: int, parts: Sequence[Words]) -> bool:
        """A notice too long for one message (a poll's results): ``parts`` rendered in the
        person's language and packed, whole, into as few messages as hold them (a part
        longer than a message is cut at a line, with "…")."""
        person = await tx.people.get(person_id)
        if person is None:
            return False
        language = resolve_language(person, None, self._translator.default)
        for message in packed([self._translator.render(language, part) for part in parts]):
            await self.tell(tx, person_id, message)
        return True

    async def instructor_joined(
        self, tx: Transaction, group: Group, person_id: int, name: str
    ) -> int:
        """``person_id`` now leads ``group`` too: its other instructors are told who.
        Returns how many were told."""
        words = Text("notice.instructor-joined", {"name": name, "group": group.name})
        return await self._tell_all(
            tx,
            await self._other_instructors(tx, group, person_id),
            words,
            group,
            ((person_id, name),),
        )

    async def instructor_left(
        self,
        tx: Transaction,
        group: Group,
        person_id: int,
        name: str | None,
        *,
        how: RoleEnd = RoleEnd.STEPPED_DOWN,
        skip: Iterable[int] = (),
    ) -> int:
        """``person_id`` no longer leads ``group``: its other instructors (but ``skip``) are
        told, by name and how, unless ``name`` is None: someone erased is not named again.
        Returns how many."""
        if name is None:
            words = Text("notice.instructor-left-unnamed", {"group": group.name})
            names: tuple[tuple[int, str | None], ...] = ()
        else:
            words = Text(
                "notice.instructor-left", {"name": name, "group": group.name, "how": how_words(how)}
            )
            names = ((person_id, name),)
        skipped = set(skip)
        others = [
            p for p in await self._other_instructors(tx, group, person_id) if p not in skipped
        ]
        return await self._tell_all(tx, others, words, group, names)

    async def staff_changed(self, tx: Transaction, change: StaffChange) -> int:
        """A role ended or groups are no longer led by the person: the person, the
        organisation's coordinators (with the groups nobody leads now) and the groups'
        other instructors are told, each once; whoever made the change is told by their
        reply instead. In the caller's transaction, after the change. Returns how many."""
        told: set[int] = set() if change.actor_id is None else {change.actor_id}
        names = ((change.person_id, change.name),)
        count = 0
        if change.person_id not in told:
            told.add(change.person_id)
            count += await self.tell(tx, change.person_id, change_words(change, to_person=True))
        colleagues = Lines(
            tuple(
                words
                for words in (change_words(change, to_person=False), unled_words(change.unled))
                if words is not None
            )
        )
        for coordinator in await tx.staff.coordinators_of(change.organisation.id):
            if coordinator not in told:
                told.add(coordinator)
                count += await self.tell(tx, coordinator, colleagues, names=names)
        for group in change.groups:
            count += await self.instructor_left(
                tx, group, change.person_id, change.name, how=change.how, skip=told
            )
        log.info(
            "person %d: %s ended (%s) in organisation %d; %d told",
            change.person_id,
            change.role or counted(len(change.groups), "group"),
            change.how,
            change.organisation.id,
            count,
        )
        return count

    async def bot_changed(self, tx: Transaction, group: Group, change: BotChange) -> int:
        """The bot was removed from ``group``, or made or unmade its administrator: its
        instructors and its organisation's coordinators are told what that means for what
        the bot sees and sends. Returns how many were told."""
        words = Text(_BOT_CHANGE_KEYS[change], {"group": group.name})
        told = await self._tell_all(tx, await group_staff(tx, group), words, group)
        log.info("group %d: the bot %s; %d staff told", group.id, change, told)
        return told

    async def season_ended(
        self, tx: Transaction, group: Group, words: Words, buttons: Sequence[tuple[Words, str]]
    ) -> int:
        """The group's season ended: its instructors (or, when it has none, its
        organisation's coordinators) are asked how the group goes on, with ``buttons``.
        Returns how many were asked."""
        told = await self._tell_leaders(tx, group, words, buttons)
        log.info("group %d: its season ended; %d staff asked how it goes on", group.id, told)
        return told

    async def ideas_update_due(self, tx: Transaction, group: Group, words: Words) -> int:
        """A co-development group's "what happened with your ideas" time: its instructors
        (or its organisation's coordinators) are reminded to send the group an update.
        Returns how many were reminded."""
        told = await self._tell_leaders(tx, group, words, ())
        log.info("group %d: %d staff reminded of the ideas update", group.id, told)
        return told

    async def _tell_leaders(
        self, tx: Transaction, group: Group, words: Words, buttons: Sequence[tuple[Words, str]]
    ) -> int:
        people = await tx.groups.instructor_ids(group.id) or await group_staff(tx, group)
        told = 0
        for person_id in people:
            told += await self.tell(tx, person_id, words, group_id=group.id, buttons=buttons)
        return told

    async def remind_reviewers(self) -> int:
        """A chore of the scheduler's sweep: coordinators of organisations where
        contributions wait for review are reminded, each at most once a local day and only
        between ``REMIND_FROM`` and ``REMIND_UNTIL``. Returns how many were reminded."""
        local = self._clock.now().astimezone(self._zone)
        if not REMIND_FROM <= local.time() < REMIND_UNTIL:
            return 0
        today = local.date()
        told = 0
        async with self._database.transaction() as tx:
            for due in await tx.staff.reviewers_to_remind(today):
                if not await tx.staff.claim_review_reminder(due.person_id, today):
                    continue  # another instance reminded them meanwhile
                words = Text(
                    "notice.review-waiting",
                    {"count": due.waiting, "organisation": due.organisation_name},
                )
                told += await self.tell(tx, due.person_id, words)
        if told:
            log.info("%d coordinators reminded of contributions waiting for review", told)
        return told

    async def _other_instructors(self, tx: Transaction, group: Group, person_id: int) -> list[int]:
        return [other for other in await tx.groups.instructor_ids(group.id) if other != person_id]

    async def _tell_all(
        self,
        tx: Transaction,
        people: Sequence[int],
        words: Words,
        group: Group,
        names: Sequence[tuple[int, str | None]] = (),
    ) -> int:
        told = 0
        for person_id in people:
            told += await self.tell(tx, person_id, words, group_id=group.id, names=names)
        return told
