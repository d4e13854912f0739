"""Before any journey: who the bot remembers, what counts as taking part, and the language to
answer in, decided for every update from plain values (``Sighting``).

Only what the product needs is stored: a person who writes to the bot privately or presses
its buttons there, or addresses it in a registered, active group (a command, a button); and
a participant of such a group (someone Telegram shows is in its chat: they wrote or reacted
there; joins and leaves are the groups journey's, ``bot/services/membership.py``). Nothing
is stored about anyone in a group the bot does not serve. Taking part in a served group
goes to the engagement log as metadata, never text: a message's type, a reply, a reaction
(a person's change, or for anonymous reactions Telegram's count on the message), a button,
joining and leaving; a button pressed in private is logged too, if the presser belongs
somewhere (a role, or a group they take part in): a stranger's presses leave no event, as
their messages leave none.

A button is logged by its namespace only (``bot/services/buttons.py``: the bot's own
buttons); data the bot never issued counts as one ``unrecognised`` event, with nothing of
the data. ``EventLog`` bounds how many events of a kind one person can leave in an hour.

The language: in a served group the group's; elsewhere the person's ``/language`` choice,
else their Telegram app's language if we speak it, else the deployment's default. A
failing look-up is logged and the update is still answered (in the best language known).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.roles import Role
from bot.runtime.events import EventLog
from bot.services import buttons
from bot.services.groups import GroupService
from bot.services.people import PeopleService
from storage.groups import Group
from storage.people import Person
from storage.states import EventKind, MessageType

log = logging.getLogger(__name__)

# The kinds of message content logged, in the order a message is classified by (the first
# it has); a message with none of them is a service message, whose joins and leaves come as
# member updates.
MESSAGE_TYPES = tuple(kind for kind in MessageType if kind is not MessageType.COMMAND)
# Member statuses that count as being in the group, for the joined and left events.
_IN = ("member", "administrator", "creator", "restricted")


@dataclass(frozen=True)
class MemberChange:
    """A member update: whose, and their status before and after."""

    person_id: int
    old_status: str
    new_status: str


@dataclass(frozen=True)
class Sighting:
    """One update, as these rules need it."""

    update_id: int  # for the log
    chat_id: int | None
    private: bool  # a private chat, or no chat at all
    person_id: int | None = None  # who did it, if a person is known
    is_bot: bool = False
    language_code: str | None = None  # their Telegram app's
    first_name: str | None = None
    button: str | None = None  # a pressed button's callback data ("" when it has none)
    message: tuple[str, ...] | None = None  # a new message: which MESSAGE_TYPES it has
    command: bool = False  # a new message whose text starts with "/"
    reply: bool = False  # a new message that answers another
    reaction_change: int | None = None  # a person's reactions: how many more (or fewer)
    member: MemberChange | None = None
    bot_membership: bool = False  # the bot's own membership changed
    anonymous_reactions: int | None = None  # Telegram's new count of a message's reactions


def _shows_presence(sighting: Sighting) -> bool:
    """Whether the update shows the person is in the group's chat now (Telegram delivered
    their message or reaction). Joins and leaves are the groups journey's (a member update
    or Telegram's notice, whose sender may be someone who left or removed another); a
    button press shows only that they could see the message."""
    if sighting.member is not None or sighting.bot_membership or sighting.button is not None:
        return False
    return sighting.message != ()  # () is a service message


@dataclass(frozen=True)
class Known:
    person: Person | None  # the stored person, when this update made them known
    language: str  # to answer in


class EngagementService:
    def __init__(self, people: PeopleService, groups: GroupService, events: EventLog) -> None:
        self._people = people
        self._groups = groups
        self._events = events

    async def seen(self, sighting: Sighting) -> Known:
        """Remember what the product needs of this update, log the engagement and say
        which language to answer in."""
        default = Known(None, self._people.default_language)
        if sighting.anonymous_reactions is not None:
            return await self._anonymous_reactions(sighting, sighting.anonymous_reactions)
        if sighting.person_id is None or sighting.is_bot:
            return default
        person_id, chat_id = sighting.person_id, sighting.chat_id
        group = None
        if not sighting.private and chat_id is not None:
            group = await self._served(chat_id, sighting.update_id)
        addressed = sighting.button is not None or sighting.command
        person = None
        if sighting.private or (group is not None and addressed):
            try:
                person = await self._people.record_contact(
                    person_id, sighting.language_code, private=sighting.private
                )
            except Exception:
                # Answering in the app's language beats not answering; the error is logged.
                log.exception("could not record contact for update %s", sighting.update_id)
        language = self._people.language_of(person, sighting.language_code)
        if (
            sighting.private
            and sighting.button is not None
            and await self._belongs(person_id, sighting.update_id)
        ):
            self._button(sighting.button, None, person_id)
        if group is None or chat_id is None:
            return Known(person, language)
        self._log_engagement(sighting, group.id, person_id)
        if _shows_presence(sighting):
            try:
                await self._groups.member_seen(
                    chat_id, person_id, sighting.language_code, sighting.first_name
                )
            except Exception:
                log.exception("could not record participation for update %s", sighting.update_id)
        return Known(person, group.language)

    async def language_for(
        self, update_id: int, group_chat_id: int | None, person_id: int | None, code: str | None
    ) -> str:
        """The language to answer in when the update's handling failed (nothing it set can
        be trusted): the group's in a registered group, else the person's; a failing
        look-up leaves their app's language (``code``)."""
        people = self._people
        language = people.language_of(None, code)
        try:
            group = await self._groups.by_chat(group_chat_id) if group_chat_id else None
            if group is not None:
                language = group.language  # in a group the bot speaks the group's language
            elif person_id is not None:
                language = people.language_of(await people.get(person_id), code)
        except Exception:
            log.warning("update %s: could not look up the language to answer in", update_id)
        return language

    async def _belongs(self, person_id: int, update_id: int) -> bool:
        """Whether the person has a role or takes part in a group (not a stranger)."""
        try:
            return await self._people.roles_of(person_id) != {Role.EVERYONE}
        except Exception:
            log.exception("could not look up the roles of update %s", update_id)
            return False

    def _button(self, data: str, group_id: int | None, person_id: int) -> None:
        """A press of the bot's own button, by its namespace; anything else, unrecognised."""
        namespace = buttons.namespace(data)
        if namespace is None:
            self._events.record(EventKind.UNRECOGNISED, group_id=group_id, person_id=person_id)
        else:
            self._events.record(
                EventKind.BUTTON, group_id=group_id, person_id=person_id, button=namespace
            )

    async def _served(self, chat_id: int, update_id: int) -> Group | None:
        """The registered, active group of this chat, if any."""
        try:
            group = await self._groups.by_chat(chat_id)
        except Exception:
            log.exception("could not look up the group of update %s", update_id)
            return None
        return group if group is not None and group.is_active else None

    async def _anonymous_reactions(self, sighting: Sighting, total: int) -> Known:
        """Reactions in a group where they are anonymous come as a count per message (no
        person): logged with the message's new total."""
        group = None
        if sighting.chat_id is not None:
            group = await self._served(sighting.chat_id, sighting.update_id)
        if group is None:
            return Known(None, self._people.default_language)
        self._events.record(EventKind.REACTION, group_id=group.id, total=total, anonymous=True)
        return Known(None, group.language)

    def _log_engagement(self, sighting: Sighting, group_id: int, person_id: int) -> None:
        """Metadata of taking part in a served group: a message's type (never its text), a
        reply, a reaction, a button, joining and leaving."""
        events = self._events
        if sighting.message is not None:
            kind = sighting.message[0] if sighting.message else None
            if kind is None:
                return  # a service message: joins and leaves come as member updates
            if kind == MessageType.TEXT and sighting.command:
                kind = MessageType.COMMAND
            events.record(
                EventKind.REPLY if sighting.reply else EventKind.MESSAGE,
                group_id=group_id,
                person_id=person_id,
                type=kind,
            )
        elif sighting.reaction_change is not None:
            events.record(
                EventKind.REACTION,
                group_id=group_id,
                person_id=person_id,
                change=sighting.reaction_change,
            )
        elif sighting.button is not None:
            self._button(sighting.button, group_id, person_id)
        elif sighting.member is not None:
            was = sighting.member.old_status in _IN
            now = sighting.member.new_status in _IN
            if was != now:
                events.record(
                    EventKind.JOINED if now else EventKind.LEFT,
                    group_id=group_id,
                    person_id=sighting.member.person_id,
                )
