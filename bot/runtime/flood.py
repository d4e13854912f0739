"""Flood control for everything a person sends the bot: at most ``limit`` updates in any
``window`` seconds per person, ``stranger_limit`` for a stranger (no role, no group).

Counted (``handlers/people.py`` says which update is which): a message in a private chat,
a command in a group, a button press, a reaction. Not counted: people talking to each
other in a group, member updates, Telegram's anonymous reaction counts. The photos of one
album (a media group) count once.

A person over their limit gets one friendly "slow down" and their further updates are let
go unanswered (and unhandled: no database work) until the window has room again. Whether
someone is a stranger is looked up only when they pass the stranger's limit, once per
burst, so a calm person costs no query.

Kept in memory, bounded: the people are kept in the order they were last active, an idle
person (their window empty) is forgotten, and at most ``people`` are kept (the least
recently active forgotten first; forgetting lets more through, never fewer). A restart
forgets everything, which is harmless.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum

WINDOW = 10.0
PEOPLE_TRACKED = 10_000


class Verdict(Enum):
    GO = "go"
    WARN = "warn"  # over the limit: say so, once
    DROP = "drop"  # still over it: say nothing more


@dataclass
class _Person:
    times: deque[float] = field(default_factory=deque)
    warned: bool = False
    stranger: bool | None = None  # looked up when needed, forgotten with the burst
    album: str | None = None  # the media group last counted


class FloodGuard:
    def __init__(
        self,
        limit: int,
        stranger_limit: int | None = None,
        *,
        window: float = WINDOW,
        people: int = PEOPLE_TRACKED,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = limit
        self._stranger_limit = min(limit, stranger_limit or limit)
        self._window = window
        self._most = people
        self._now = now
        self._people: OrderedDict[int, _Person] = OrderedDict()

    @property
    def people(self) -> int:
        """How many people's counts are kept now."""
        return len(self._people)

    async def check(
        self,
        person_id: int,
        *,
        belongs: Callable[[], Awaitable[bool]] | None = None,
        album: str | None = None,
    ) -> Verdict:
        """Count one update of ``person_id``. ``belongs`` answers whether they have a role
        or a group (asked only past the stranger's limit; without it, nobody is a
        stranger); ``album``: the media group of a message, counted once."""
        now = self._now()
        self._forget_idle(now)
        person = self._people.get(person_id)
        if person is None:
            person = self._people[person_id] = _Person()
            if len(self._people) > self._most:
                self._people.popitem(last=False)
        self._people.move_to_end(person_id)
        times = person.times
        while times and now - times[0] >= self._window:
            times.popleft()
        if not times:
            person.stranger = None  # a new burst: they may have joined a group since
        if album is not None and album == person.album:
            return Verdict.GO
        person.album = album
        allowed = self._limit
        if self._stranger_limit <= len(times) < self._limit:
            if person.stranger is None:
                person.stranger = belongs is not None and not await belongs()
            if person.stranger:
                allowed = self._stranger_limit
        if len(times) < allowed:
            times.append(now)
            person.warned = False
            return Verdict.GO
        if person.warned:
            return Verdict.DROP
        person.warned = True
        return Verdict.WARN

    def _forget_idle(self, now: float) -> None:
        """People are kept in the order they were last active: the idle ones are first."""
        people = self._people
        while people:
            person_id, person = next(iter(people.items()))
            if person.times and now - person.times[-1] < self._window:
                return
            del people[person_id]
