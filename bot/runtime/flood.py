"""Per-person flood control for commands: at most ``limit`` in any ``window`` seconds.

A person over the limit gets one friendly "slow down" answer, and their further commands
are let go unanswered until the window has room again. Kept in memory: a restart forgets
it, which is harmless."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from enum import Enum

WINDOW = 10.0
FORGET_AFTER = 1_000  # people tracked before idle ones are swept out


class Verdict(Enum):
    GO = "go"
    WARN = "warn"  # over the limit: say so, once
    DROP = "drop"  # still over it: say nothing more


class FloodGuard:
    def __init__(
        self,
        limit: int,
        *,
        window: float = WINDOW,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = limit
        self._window = window
        self._now = now
        self._seen: dict[int, deque[float]] = {}
        self._warned: set[int] = set()

    def check(self, person_id: int) -> Verdict:
        now = self._now()
        times = self._seen.setdefault(person_id, deque())
        while times and now - times[0] >= self._window:
            times.popleft()
        if len(times) < self._limit:
            times.append(now)
            self._warned.discard(person_id)
            if len(self._seen) > FORGET_AFTER:
                self._sweep(now)
            return Verdict.GO
        if person_id in self._warned:
            return Verdict.DROP
        self._warned.add(person_id)
        return Verdict.WARN

    def _sweep(self, now: float) -> None:
        for person_id in [p for p, t in self._seen.items() if not t or now - t[-1] >= self._window]:
            del self._seen[person_id]
            self._warned.discard(person_id)
