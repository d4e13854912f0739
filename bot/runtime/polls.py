"""Closing polls at their end time: the part of ``bot/services/polls.py`` that needs
Telegram (``stopPoll``). A chore of the scheduler's sweep, on the instance that leads.

Each group's poll is first claimed in the database, so two instances do not both stop it
(a claim a crash left is taken over after ``CLAIM_LEASE``, and a late stop never
overwrites recorded counts). A poll Telegram refuses to stop (deleted by a group's admin,
the bot removed) counts as closed without results for that group; one Telegram could not
be asked about now (a 429 pause, the network) goes back to the next sweep; a group that
became a supergroup is asked at its new id. ``stopPoll`` takes a slot of the overall
pacing like every request (``bot/runtime/pacing.py``)."""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.services.polls import Closing, PollService

log = logging.getLogger(__name__)


class PollCloser:
    def __init__(self, polls: PollService) -> None:
        self._polls = polls
        self._bot: Bot | None = None

    def start(self, bot: Bot) -> None:
        self._bot = bot

    def stop(self) -> None:
        self._bot = None

    async def close_due(self) -> int:
        """Stop every poll whose end time has come, then tell the composers whose polls are
        done. Returns how many polls were finished."""
        bot = self._bot
        if bot is None:
            return 0
        for closing in await self._polls.claim_due():
            await self._stop(bot, closing)
        return await self._polls.finish()

    async def _stop(self, bot: Bot, closing: Closing, *, moved: bool = False) -> None:
        """One group's poll: its counts; for good without them when Telegram refuses (it
        was deleted, the bot removed); again at the next sweep when Telegram could not be
        asked now (a pause, the network); at the group's new id once it moved."""
        try:
            poll = await bot.stop_poll(closing.chat_id, closing.message_id)
        except ChatMigrated as error:
            if moved:
                await self._polls.not_now(closing)
                return
            closing = await self._polls.moved(closing, int(error.new_chat_id))
            await self._stop(bot, closing, moved=True)
            return
        except (BadRequest, Forbidden) as error:  # (a BadRequest is a NetworkError in PTB)
            log.info(
                "poll %d in group %d not stopped: %s", closing.poll_id, closing.group_id, error
            )
            await self._polls.stopped(closing, None, None)
            return
        except (RetryAfter, NetworkError) as error:  # a pause, the network, a timeout
            log.info("poll %d in group %d: not now (%s)", closing.poll_id, closing.group_id, error)
            await self._polls.not_now(closing)
            return
        except TelegramError as error:
            log.info(
                "poll %d in group %d not stopped: %s", closing.poll_id, closing.group_id, error
            )
            await self._polls.stopped(closing, None, None)
            return
        counts = [option.voter_count for option in poll.options]
        await self._polls.stopped(closing, poll.total_voter_count, counts)
