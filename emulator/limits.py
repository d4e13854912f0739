"""Telegram's flood limits as sliding windows, per bot token.

Telegram documents about 30 messages per second overall, 20 per minute in one group and
about one per second in one private chat. A membership look-up (``getChatMember``) counts
against the overall limit only. A request over a limit is refused with 429 and
``retry_after``: the whole seconds until the window has room again.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RateLimits:
    enabled: bool = True
    per_second: int = 30
    per_group_minute: int = 20
    # about one a second in a private chat, with a small burst allowed
    per_private_window: int = 3
    private_window: float = 3.0

    @classmethod
    def telegram(cls) -> RateLimits:
        return cls()

    @classmethod
    def off(cls) -> RateLimits:
        return cls(enabled=False)


class RateLimiter:
    def __init__(self, limits: RateLimits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self._clock = clock
        self._overall: deque[float] = deque()
        self._per_chat: dict[Any, deque[float]] = {}

    def admit(self, chat_id: Any, kind: str) -> int | None:
        """Record a send now; None if allowed, else the seconds to wait (nothing recorded)."""
        if not self.limits.enabled:
            return None
        now = self._clock()
        if kind == "group":
            window, allowed = 60.0, self.limits.per_group_minute
        else:
            window, allowed = self.limits.private_window, self.limits.per_private_window
        # a look-up (getChatMember) counts overall only, against no chat's window
        chat = self._per_chat.setdefault(chat_id, deque()) if kind != "lookup" else deque()
        waits = [_wait(self._overall, now, 1.0, self.limits.per_second)]
        if kind != "lookup":
            waits.append(_wait(chat, now, window, allowed))
        longest = max(waits)
        if longest > 0:
            return max(1, math.ceil(longest))
        self._overall.append(now)
        chat.append(now)
        return None


def _wait(stamps: deque[float], now: float, window: float, allowed: int) -> float:
    while stamps and stamps[0] <= now - window:
        stamps.popleft()
    if len(stamps) < allowed:
        return 0.0
    return stamps[len(stamps) - allowed] + window - now
