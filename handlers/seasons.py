"""Seasons: /season (show, ``new``, ``after weekly|monthly|off``) and the buttons under the
notice that a season ended. What the words mean and what is said back is
``bot/services/seasons.py``'s."""

from __future__ import annotations

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.runtime.context import KannustinApplication, KannustinContext
from bot.services.seasons import AFTER
from handlers.rendering import answer


async def season_command(update: Update, context: KannustinContext) -> None:
    """``/season [N]`` shows the group's season; ``/season [N] new`` starts the next one;
    ``/season [N] after weekly|monthly|off`` sets the rhythm after the programme."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    seasons = context.services.seasons
    group, args = await seasons.which_group(
        user.id,
        message.chat.id,
        private=message.chat.type == ChatType.PRIVATE,
        args=list(context.args or []),
    )
    await answer(message, context, await seasons.command(user.id, group, args))


async def after_button(update: Update, context: KannustinContext) -> None:
    """Sets the rhythm after the programme chosen under the season's end notice."""
    query = update.callback_query
    assert query is not None and query.data is not None and isinstance(query.message, Message)
    reply = await context.services.seasons.after_chosen(query.from_user.id, query.data)
    await answer(query.message, context, reply)
    await query.answer()


def register(application: KannustinApplication) -> None:
    commands = filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("season", season_command, filters=commands))
    application.add_handler(CallbackQueryHandler(after_button, pattern=rf"^{AFTER}"))
