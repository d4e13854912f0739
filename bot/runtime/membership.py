"""Asking Telegram whether a person is in a group chat (``getChatMember``), for the rules in
``bot/services/membership.py``.

Every look-up goes through PTB's request path, so the one ``Pacer`` spaces it
(``PacedRateLimiter``: look-ups take a slot of the overall spacing, shared with every
send, and count against no chat's window) and a 429 pauses it like any send. The bot is
attached when the application starts (``bot/runtime/app.py``); until then, and in
services built without Telegram (the command line, tests of one service), every answer is
``UNKNOWN``.

Telegram's answers: member, administrator, owner, or restricted with ``is_member`` are in;
left and kicked are out, and so is a person Telegram does not know in the chat ("user not
found", "participant id invalid"). A refusal about the chat itself (the bot is no longer
in it, the chat is gone) and network errors say nothing about the person: ``UNKNOWN``.
"""

from __future__ import annotations

import logging

from telegram import Bot, ChatMember, ChatMemberRestricted
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, TelegramError

from bot.services.membership import Presence

log = logging.getLogger(__name__)

_IN = {ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}
# 400s that are about the person, not the chat: Telegram does not know them there
_NOT_THERE = ("user not found", "participant_id_invalid", "user_id_invalid", "member not found")


def presence_of(member: ChatMember) -> Presence:
    """Telegram's status as in or out of the chat."""
    if isinstance(member, ChatMemberRestricted):
        return Presence.IN if member.is_member else Presence.OUT
    return Presence.IN if member.status in _IN else Presence.OUT


class TelegramMembers:
    def __init__(self) -> None:
        self._bot: Bot | None = None

    def attach(self, bot: Bot) -> None:
        self._bot = bot

    async def presence(self, chat_id: int, person_id: int) -> Presence:
        if self._bot is None:
            log.warning("membership look-up in chat %d without Telegram: unanswered", chat_id)
            return Presence.UNKNOWN
        try:
            member = await self._bot.get_chat_member(chat_id, person_id)
        except BadRequest as error:
            if any(fragment in error.message.lower() for fragment in _NOT_THERE):
                return Presence.OUT
            log.warning("membership look-up in chat %d refused: %s", chat_id, error.message)
            return Presence.UNKNOWN
        except TelegramError as error:  # network, timeout, 5xx, 429 after retries, 403
            log.warning("membership look-up in chat %d failed: %s", chat_id, error)
            return Presence.UNKNOWN
        return presence_of(member)
