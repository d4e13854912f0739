"""What no journey handled: a short pointer to /help in private, silence in groups."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.replies import Reply
from bot.runtime.context import KannustinApplication, KannustinContext
from handlers.rendering import answer, toast

GROUP = 0  # same group as the journeys, registered after them: runs only when none matched


async def unknown_command(update: Update, context: KannustinContext) -> None:
    """Says the command is unknown and points to /help."""
    message = update.effective_message
    assert message is not None
    await answer(message, context, Reply.of("fallback.unknown-command"))


async def anything_else(update: Update, context: KannustinContext) -> None:
    """A participant writing their week's plan gets the confidence buttons again (the text
    is neither read nor stored); anyone else is told how to find what the bot can do."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None
    if user is not None:
        plan = await context.services.checkins.plan_written(user.id)
        if plan is not None:
            await answer(message, context, plan)
            return
    await answer(message, context, Reply.of("fallback.private-message"))


async def stale_button(update: Update, context: KannustinContext) -> None:
    """A button nobody handles (old or forged): a short notice, nothing changes."""
    query = update.callback_query
    assert query is not None
    await toast(query, context, Reply.of("fallback.stale-button"), alert=True)


def register(application: KannustinApplication) -> None:
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    application.add_handler(MessageHandler(private & filters.COMMAND, unknown_command), group=GROUP)
    application.add_handler(MessageHandler(private, anything_else), group=GROUP)
    application.add_handler(CallbackQueryHandler(stale_button), group=GROUP)
