"""Who takes part in a group: Telegram's word (DESIGN rule 11).

A person becomes a participant only while Telegram says they are in the group's chat:

- joining through the group's start link (``/start consent_<code>``, which the greeting's
  button hands out) asks Telegram (``getChatMember``) first. Someone who is not in the chat
  (left, kicked, or a person Telegram does not know there) is refused and told to join the
  chat first; nothing is stored for them as a participant. When Telegram cannot be reached
  the answer is "try again shortly" and nothing is stored either: joining fails closed.
  A link whose code is not a group's current one is out of date: it says so and points to
  the button in the group;
- joining the chat, writing or reacting in it (Telegram delivered it, so they are in),
  makes them a participant and confirms them (``group_participants.confirmed_at``);
- before something group-specific goes to participants (the weekly plan and progress
  questions, survey rounds and reminders, buddy pairing with its names and buttons),
  ``recheck`` asks Telegram about every current participant not confirmed within the
  freshness window (``KANNUSTIN_MEMBERSHIP_FRESH``): one read, the look-ups one at a time
  paced by the one pacer (``bot/runtime/pacing.py``: they share the overall spacing with
  every send), one write. Whoever Telegram says has left or was removed is ended at once;
  a look-up that fails leaves the person as they were (Telegram said nothing new; the send
  that follows would meet the same outage) and is logged;
- leaving or being removed (a ``chat_member`` update, Telegram's "left the group" notice,
  or a look-up saying left/kicked) ends participation at once (``end_participation``):
  from then on they are in no list that invitations, surveys or buddies are written for.

Every leave or removal rotates the group's join code, so a link copied before is no pass;
the greeting's button is a callback button whose press answers with the current link
(``answerCallbackQuery`` with a ``t.me/<bot>?start=`` url), so it keeps working for
whoever can see the greeting. Coming back through the group works again: Telegram then
says they are in.

Telegram itself is reached through a ``MemberLookup`` (``bot/runtime/membership.py``), so
the rules here take plain values and the injected clock like every service.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.clock import Clock
from bot.deeplinks import payload
from bot.errors import DomainError
from storage import Database, Transaction
from storage.groups import Group

log = logging.getLogger(__name__)

PREFIX = "consent"  # the group's start link: /start consent_<code>
JOIN = "consent:join"  # the greeting's button: answered with the group's current link


class Presence(StrEnum):
    """What Telegram says of a person in a chat."""

    IN = "in"  # a member, administrator, owner, or restricted but still a member
    OUT = "out"  # left, kicked, or not known there
    UNKNOWN = "unknown"  # Telegram could not be asked (network, a chat-level refusal)


class MemberLookup(Protocol):
    async def presence(self, chat_id: int, person_id: int) -> Presence:
        """Ask Telegram whether the person is in the chat (one paced request)."""
        ...


@dataclass(frozen=True)
class Recheck:
    """What a check before a group-specific send found."""

    asked: int  # look-ups made (those confirmed within the window were not asked about)
    ended: tuple[int, ...]  # person ids Telegram says are no longer in the chat
    unknown: int  # look-ups that failed


# ``MembershipService.recheck`` as the services that write group-specific messages get it
RecheckGroup = Callable[[int], Awaitable[object]]


def new_join_code() -> str:
    """72 random bits for the group's start link (12 URL-safe characters)."""
    return secrets.token_urlsafe(9)


async def end_participation(
    tx: Transaction, group: Group, person_id: int, now: dt.datetime
) -> bool:
    """The person left the chat or was removed: they are no longer a participant (no
    invitations, surveys or buddies from now on), and the group's join code rotates so a
    link copied before is no pass. True if they were a participant until now."""
    ended = await tx.groups.participant_left(group.id, person_id, now)
    if group.join_code is not None:
        await tx.groups.update(group.id, now, join_code=new_join_code())
    if ended:
        log.info("group %d: a participant left the chat; join code rotated", group.id)
    return ended


class MembershipService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        lookup: MemberLookup,
        *,
        fresh: dt.timedelta,
    ) -> None:
        self._database = database
        self._clock = clock
        self._lookup = lookup
        self._fresh = fresh

    async def join(self, person_id: int, code: str, name: str) -> Group:
        """The group's start link was opened: the person becomes (or stays) a participant,
        confirmed now, if Telegram says they are in its chat; else a ``DomainError`` that
        says why, and nothing is stored."""
        async with self._database.transaction() as tx:
            group = await tx.groups.by_join_code(code)
        if group is None or group.organisation_id is None or not group.is_active:
            log.info("an out-of-date or unknown group link was opened")
            raise DomainError("membership.link-outdated")
        presence = await self._lookup.presence(group.chat_id, person_id)
        if presence is Presence.UNKNOWN:
            raise DomainError("membership.try-again")
        if presence is Presence.OUT:
            log.info("group %d: link opened by someone not in the chat; refused", group.id)
            raise DomainError("membership.not-in-chat")
        async with self._database.transaction() as tx:
            current = await tx.groups.get(group.id)
            if current is None or current.join_code != code or not current.is_active:
                raise DomainError("membership.link-outdated")  # rotated meanwhile
            await tx.people.record_seen(person_id, None, self._clock.now())
            await tx.groups.participant_seen(group.id, person_id, self._clock.now(), name)
            season = await tx.seasons.current(group.id)
            if season is not None:  # the link joins them to the group's current season
                await tx.seasons.join(group.id, person_id, season.number)
        return group

    async def join_link(self, chat_id: int) -> str:
        """The start-link payload the greeting's button answers with: the group's current
        code."""
        async with self._database.transaction() as tx:
            group = await tx.groups.by_chat(chat_id)
        if group is None or not group.is_active or group.join_code is None:
            raise DomainError("membership.group-not-served")
        return payload(PREFIX, group.join_code)

    async def recheck(self, group_id: int) -> Recheck:
        """Before something group-specific goes to the group's participants: ask Telegram
        about everyone not confirmed within the freshness window, end whoever it says has
        left or was removed, and confirm the rest."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            group = await tx.groups.get(group_id)
            if group is None or not group.is_active:
                return Recheck(0, (), 0)
            people = await tx.groups.unconfirmed(group.id, now - self._fresh)
        if not people:
            return Recheck(0, (), 0)
        # One at a time, each taking its slot when it goes (the rate limiter): slots booked
        # all at once ahead would let a late start catch up in a burst.
        answers = [await self._lookup.presence(group.chat_id, person) for person in people]
        ended: list[int] = []
        now = self._clock.now()
        async with self._database.transaction() as tx:
            current = await tx.groups.get(group.id)
            assert current is not None
            for person, presence in zip(people, answers, strict=True):
                if presence is Presence.IN:
                    await tx.groups.confirm(group.id, person, now)
                elif presence is Presence.OUT:
                    if await end_participation(tx, current, person, now):
                        ended.append(person)
                    current = await tx.groups.get(group.id)
                    assert current is not None
        unknown = sum(1 for presence in answers if presence is Presence.UNKNOWN)
        if ended or unknown:
            log.info(
                "group %d: membership checked for %d: %d no longer in the chat, %d unanswered",
                group.id,
                len(people),
                len(ended),
                unknown,
            )
        return Recheck(len(people), tuple(ended), unknown)
