"""Deep links: ``https://t.me/<bot>?start=<payload>`` reaches the bot as ``/start <payload>``.

Later features (invitations, consent) register a prefix; the payload ``<prefix>_<rest>`` is
routed to the handler of that prefix. Telegram allows 1-64 characters of A-Z, a-z, 0-9, _ and -.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

from bot.replies import Reply
from storage.people import Person

log = logging.getLogger(__name__)

PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_PREFIX = re.compile(r"^[a-z]{1,16}$")

# (the person who opened it, the payload after "<prefix>_", their Telegram first name)
DeepLinkHandler = Callable[[Person, str, str], Awaitable[Reply]]


def payload(prefix: str, argument: str) -> str:
    """What follows ``/start`` for ``argument`` of the feature with ``prefix``."""
    joined = f"{prefix}_{argument}"
    if not PAYLOAD.match(joined):
        raise ValueError("deep-link payload must be 1-64 characters of A-Za-z0-9_-")
    return joined


def start_link(bot_username: str | None, payload: str) -> str:
    return f"https://t.me/{bot_username}?start={payload}"


class DeepLinkRouter:
    def __init__(self) -> None:
        self._routes: dict[str, DeepLinkHandler] = {}

    def register(self, prefix: str, handler: DeepLinkHandler) -> None:
        if not _PREFIX.match(prefix):
            raise ValueError(f"deep-link prefix must be 1-16 lowercase letters, got {prefix!r}")
        if prefix in self._routes:
            raise ValueError(f"deep-link prefix {prefix!r} registered twice")
        self._routes[prefix] = handler

    @staticmethod
    def link(bot_username: str | None, prefix: str, argument: str) -> str:
        return start_link(bot_username, payload(prefix, argument))

    async def open(self, person: Person, payload: str, display_name: str) -> Reply:
        """What the person is told after opening the link; an unknown link changes nothing."""
        prefix, _, argument = payload.partition("_")
        handler = self._routes.get(prefix) if PAYLOAD.match(payload) else None
        if handler is None or not argument:
            log.info("unknown deep link opened (prefix %r)", prefix[:16])
            return Reply.of("start.link-unknown")
        return await handler(person, argument, display_name)
