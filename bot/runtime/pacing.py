"""Keeping inside Telegram's flood limits by spacing requests, not by bursting into 429s.

Every message the bot sends, replies and broadcasts alike, passes one ``Pacer`` (wired
into PTB as its rate limiter); so does every membership look-up (``getChatMember``),
which takes a slot of the overall spacing and counts against no chat's window, and so
does every change of a staff member's command menu (``setMyCommands``). Overall
sends are spaced evenly at just under 30 a second; each chat has a sliding window (20 a
minute in a group, one a second in a private chat).
A slot is reserved without awaiting anything, so concurrent callers never collide; the
outbox sender reserves one slot at a time, so a reply to a person never queues behind a
large broadcast for more than a slot or two.

When Telegram answers 429 anyway, everything pauses for ``retry_after``: the limit is
per bot, so pushing on with other chats would only earn more 429s.

Memory stays bounded by the chats written to within the last window, not by every chat
ever written to: a chat whose window is empty is forgotten (it would be free anyway), on
its next look and by a sweep at most once per group window.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.runtime.updates import answering_a_press, stepping_aside
from storage.pacing import SlotBook

log = logging.getLogger(__name__)

# Methods that deliver a message to a chat and count against the limits.
MESSAGE_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendVideo",
        "sendAnimation",
        "sendDocument",
        "sendVoice",
        "sendAudio",
        "sendMediaGroup",
        "sendSticker",
        "sendVideoNote",
        "sendPoll",
        "sendLocation",
        "copyMessage",
        "forwardMessage",
        "copyMessages",
        "forwardMessages",
    }
)
# Requests that read rather than send (is this person in the group?): each takes a slot of
# the overall spacing, shared with the sends, and counts against no chat's window.
LOOKUP_METHODS = frozenset({"getChatMember"})
# The bot's own settings (a staff member's command menu, ``bot/runtime/menus.py``): each
# takes a slot of the overall spacing like a look-up.
SETTING_METHODS = frozenset({"setMyCommands", "deleteMyCommands"})
# Changes to what was sent (closing a poll, deleting a withdrawn post's copies): a slot of
# the overall spacing each, like a look-up, so a burst of them (many polls closing at six)
# stays inside 30 a second.
CHANGE_METHODS = frozenset({"stopPoll", "deleteMessage"})
LOOKUPS = "lookups"  # their key in the shared booking of several instances
SAFETY = 1.03  # a little under the documented limits: request timing jitters by some ms


@dataclass(frozen=True)
class Limits:
    per_second: float = 30.0
    group_per_minute: int = 20
    # "about one a second" in a private chat: three in any three seconds, so an answer
    # of two or three messages goes out at once and a stream is held to one a second
    private_per_window: int = 3
    private_window: float = 3.0

    def window(self, *, group: bool) -> tuple[float, int]:
        """A chat's sliding window (seconds, with the safety margin) and how many fit."""
        if group:
            return 60.0 * SAFETY, self.group_per_minute
        return self.private_window * SAFETY, self.private_per_window

    @property
    def spacing(self) -> float:
        """Seconds between two sends overall."""
        return SAFETY / self.per_second


def chat_free_at(
    recent: Sequence[float], now: float, window: float, allowed: int, count: int
) -> float:
    """When a chat whose sends in the last ``window`` seconds were at ``recent`` (sorted)
    has room for ``count`` more."""
    recent = [at for at in recent if at > now - window]
    # an album larger than the window (ten photos to a person) needs the window empty
    count = min(count, allowed)
    if len(recent) + count <= allowed:
        return now
    # the oldest message that must leave the window first
    return recent[len(recent) + count - allowed - 1] + window


def free_slot(
    taken: Sequence[tuple[float, float]], earliest: float, count: int, spacing: float
) -> float:
    """The first time from ``earliest`` with room for ``count`` evenly spaced sends between
    the overall reservations already made (sorted (start, end) intervals, which may lie in
    the future, held by a chat waiting for its own window)."""
    slot = earliest
    for start, end in taken:
        if slot + count * spacing <= start:
            break
        slot = max(slot, end)
    return slot


class Pacer:
    def __init__(
        self,
        limits: Limits = Limits(),
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._sleep = sleep
        # overall reservations as (start, end) intervals, sorted
        self._taken: list[tuple[float, float]] = []
        self._paused_until = 0.0
        self._recent: dict[int | str, deque[float]] = {}
        # the longest window: a chat whose last send is older than this is forgotten
        self._longest = max(limits.window(group=True)[0], limits.window(group=False)[0])
        self._next_sweep = 0.0
        self.pauses = 0  # 429s that paused everything

    def now(self) -> float:
        return self._clock()

    def chat_ready_at(self, chat_id: int | str, *, group: bool, count: int = 1) -> float:
        """When the chat's own window has room for ``count`` more (reserves nothing)."""
        now = self._clock()
        window, allowed = self.limits.window(group=group)
        recent = self._recent.get(chat_id)
        if recent is None:
            return now
        while recent and recent[0] <= now - window:
            recent.popleft()
        if not recent:
            del self._recent[chat_id]
            return now
        return chat_free_at(list(recent), now, window, allowed, count)

    def reserve(self, chat_id: int | str, *, group: bool, count: int = 1) -> float:
        """Reserve the earliest slot for ``count`` messages to ``chat_id``; returns its time."""
        now = self._clock()
        self._sweep(now)
        chat_free = self.chat_ready_at(chat_id, group=group, count=count)
        slot = self._free_overall_slot(max(now, self._paused_until, chat_free), count, now)
        self._recent.setdefault(chat_id, deque()).extend([slot] * count)
        return slot

    @property
    def chats_kept(self) -> int:
        """How many chats' recent sends are held in memory now."""
        return len(self._recent)

    def _sweep(self, now: float) -> None:
        """Forget every chat whose last send has left even the longest window; at most
        once per that window, so the cost is a pass over the chats of one window."""
        if now < self._next_sweep:
            return
        self._next_sweep = now + self._longest
        stale = now - self._longest
        for chat_id in [
            chat for chat, sends in self._recent.items() if not sends or sends[-1] <= stale
        ]:
            del self._recent[chat_id]

    def _free_overall_slot(self, earliest: float, count: int, now: float) -> float:
        taken = self._taken
        while taken and taken[0][1] <= now:
            taken.pop(0)
        spacing = self.limits.spacing
        slot = free_slot(taken, earliest, count, spacing)
        taken.append((slot, slot + count * spacing))
        taken.sort()
        return slot

    async def acquire(self, chat_id: int | str, *, group: bool, count: int = 1) -> None:
        slot = self.reserve(chat_id, group=group, count=count)
        await self._wait(slot - self._clock())

    def overall_free_at(self, count: int = 1) -> float:
        """When the overall spacing next has room for ``count`` sends (reserves nothing)."""
        now = self._clock()
        earliest = max(now, self._paused_until)
        return free_slot(
            [t for t in self._taken if t[1] > now], earliest, count, self.limits.spacing
        )

    async def acquire_behind(self, chat_id: int | str, *, group: bool, count: int = 1) -> None:
        """``acquire``, but only once the overall spacing has room now: every send asked for
        while this one waits goes first. One caller at a time (the rate limiter's lane)."""
        spacing = self.limits.spacing
        while (wait := self.overall_free_at(count) - self._clock()) > spacing:
            await self._sleep(wait - spacing)
        await self.acquire(chat_id, group=group, count=count)

    def reserve_lookup(self) -> float:
        """Reserve the earliest overall slot for one look-up; returns its time."""
        now = self._clock()
        return self._free_overall_slot(max(now, self._paused_until), 1, now)

    async def acquire_lookup(self) -> None:
        """Wait for a slot of the overall spacing for one look-up (``getChatMember``)."""
        await self._wait(self.reserve_lookup() - self._clock())

    async def _wait(self, delay: float) -> None:
        """Sleep ``delay`` seconds (if any) until a slot, and past any pause."""
        if delay > 0:
            await self._sleep(delay)
        await self.wait_while_paused()

    async def wait_while_paused(self) -> None:
        """A 429 that arrived while we waited for our slot holds us too."""
        while (left := self._paused_until - self._clock()) > 0:
            await self._sleep(left)

    def pause(self, seconds: float) -> None:
        """Telegram said 429: nobody sends until ``seconds`` have passed."""
        self.pauses += 1
        self._paused_until = max(self._paused_until, self._clock() + seconds)
        log.warning("Telegram asked to slow down: pausing all sends for %.0f s", seconds)

    def forget(self, chat_id: int | str) -> None:
        self._recent.pop(chat_id, None)


class SharedPacer(Pacer):
    """Several instances on one PostgreSQL database: every send is also booked in the
    database (``storage/pacing.py``), so that the instances together keep the limits,
    which Telegram counts per bot. The in-memory view still answers ``chat_ready_at`` (the
    outbox sender's quick check); the booking decides when a message goes. A 429 pauses
    every instance. If the database cannot be reached, this instance keeps to its own
    pacing rather than stop answering."""

    def __init__(
        self,
        book: SlotBook,
        limits: Limits = Limits(),
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(limits, clock=clock, sleep=sleep)
        self._book = book
        self._wall = wall
        self._pausing: set[asyncio.Task[None]] = set()

    async def acquire(self, chat_id: int | str, *, group: bool, count: int = 1) -> None:
        local = self.reserve(chat_id, group=group, count=count)
        now = self._wall()
        earliest = now + max(local - self._clock(), 0.0)
        window, allowed = self.limits.window(group=group)
        spacing = self.limits.spacing

        def place(
            recent: Sequence[float], taken: Sequence[tuple[float, float]], start: float
        ) -> float:
            chat_free = chat_free_at(recent, now, window, allowed, count)
            busy = sorted((at, at + messages * spacing) for at, messages in taken)
            return free_slot([b for b in busy if b[1] > now], max(start, chat_free), count, spacing)

        try:
            slot = await self._book.book(
                str(chat_id), count=count, earliest=earliest, now=now, window=window, place=place
            )
        except Exception as error:
            log.warning("send slots unavailable (%s): pacing this instance alone", error)
            slot = earliest
        await self._wait(slot - self._wall())

    async def acquire_lookup(self) -> None:
        local = self.reserve_lookup()
        now = self._wall()
        earliest = now + max(local - self._clock(), 0.0)
        spacing = self.limits.spacing

        def place(
            recent: Sequence[float], taken: Sequence[tuple[float, float]], start: float
        ) -> float:
            # no chat window: only the overall spacing every instance shares
            busy = sorted((at, at + messages * spacing) for at, messages in taken)
            return free_slot([b for b in busy if b[1] > now], start, 1, spacing)

        try:
            slot = await self._book.book(
                LOOKUPS, count=1, earliest=earliest, now=now, window=0.0, place=place
            )
        except Exception as error:
            log.warning("send slots unavailable (%s): pacing this instance alone", error)
            slot = earliest
        await self._wait(slot - self._wall())

    def pause(self, seconds: float) -> None:
        super().pause(seconds)
        task = asyncio.create_task(self._share_pause(self._wall() + seconds))
        self._pausing.add(task)
        task.add_done_callback(self._pausing.discard)

    async def _share_pause(self, until: float) -> None:
        try:
            await self._book.pause_until(until)
        except Exception as error:
            log.warning("could not tell the other instances to pause (%s)", error)


class PacedRateLimiter(BaseRateLimiter[dict[str, Any]]):
    """PTB's hook into every request: message sends wait for their slot.

    A request made with ``rate_limit_args={"outbox": True}`` is the outbox sender's: a
    429 is handed back to it (it reschedules the row). Any other request is a reply to a
    person; after a 429 it waits and tries again, up to ``retries`` times.
    """

    def __init__(self, pacer: Pacer, retries: int = 2) -> None:
        self.pacer = pacer
        self.retries = retries
        # messages sent while answering a button press wait here, one at a time, for a
        # moment the overall budget has room (``bot/runtime/updates.py``)
        self._behind = asyncio.Lock()

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(  # noqa: PLR0917 - PTB's signature
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        from_outbox = bool(rate_limit_args and rate_limit_args.get("outbox"))
        # The outbox sender reserved its slot before sending; everything else reserves here.
        counted = endpoint in MESSAGE_METHODS and "chat_id" in data and not from_outbox
        attempt = 0
        while True:
            if (
                endpoint in LOOKUP_METHODS
                or endpoint in SETTING_METHODS
                or endpoint in CHANGE_METHODS
            ):
                async with stepping_aside():  # other chats' updates go on meanwhile
                    await self.pacer.acquire_lookup()
            elif counted:
                chat_id = data["chat_id"]
                media = data.get("media")
                count = (
                    len(media) if endpoint == "sendMediaGroup" and isinstance(media, list) else 1
                )
                # a private chat's own slot may be a second away: meanwhile this
                # update's worker handles other chats' updates
                async with stepping_aside():
                    await self._acquire(chat_id, count)
            else:
                await self.pacer.wait_while_paused()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                self.pacer.pause(seconds(error.retry_after))
                attempt += 1
                if from_outbox or attempt > self.retries:
                    raise

    async def _acquire(self, chat_id: int | str, count: int) -> None:
        group = _is_group(chat_id)
        if not answering_a_press():
            await self.pacer.acquire(chat_id, group=group, count=count)
            return
        async with self._behind:
            await self.pacer.acquire_behind(chat_id, group=group, count=count)


def _is_group(chat_id: int | str) -> bool:
    """Group and channel ids are negative; a ``@username`` is a public group or channel."""
    if isinstance(chat_id, str):
        return not chat_id.lstrip("-").isdigit() or int(chat_id) < 0
    return chat_id < 0


def seconds(value: Any) -> float:
    """``retry_after`` is a timedelta under PTB_TIMEDELTA and an int without it."""
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
