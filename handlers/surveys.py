"""Surveys in Telegram: a participant's answer buttons, and /survey to carry on."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.runtime.context import KannustinApplication, KannustinContext
from bot.services.surveys import ANSWER, SKIP
from handlers.rendering import answer, send


async def button(update: Update, context: KannustinContext) -> None:
    """An answer or a skip: the next question comes as a new message (the answered one
    stays as it was, so the chat reads as a conversation)."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    reply = await context.services.surveys.answer(user.id, query.data or "", context.speaks)
    await query.answer()
    await send(context, user.id, reply)


async def survey_command(update: Update, context: KannustinContext) -> None:
    """``/survey``: the next question of a half-finished survey."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    reply = await context.services.surveys.resume(user.id, context.speaks)
    await answer(message, context, reply)


def register(application: KannustinApplication) -> None:
    private = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("survey", survey_command, filters=private))
    application.add_handler(
        CallbackQueryHandler(button, pattern=rf"^({ANSWER}|{SKIP})[0-9:]{{1,32}}$")
    )
