"""Closing polls at their end time: the part of ``bot/services/polls.py`` that needs
Telegram (``stopPoll``). A chore of the scheduler's sweep, on the instance that leads.

Each group's poll is first claimed in the database, so two instances never both stop it;
a poll Telegram cannot stop (deleted by a group's admin, the bot removed) counts as closed
without results for that group. A crash between the claim and the stop leaves the claim,
and the next sweep stops it again (Telegram then refuses, and that group has no results)."""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import TelegramError

from bot.services.polls import PollService

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
            try:
                poll = await bot.stop_poll(closing.chat_id, closing.message_id)
            except TelegramError as error:
                log.info(
                    "poll %d in group %d not stopped: %s", closing.poll_id, closing.group_id, error
                )
                await self._polls.stopped(closing, None, None)
                continue
            counts = [option.voter_count for option in poll.options]
            await self._polls.stopped(closing, poll.total_voter_count, counts)
        return await self._polls.finish()
