"""One error handler: a domain error's own text, else a logged incident and a short apology."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError

from bot.errors import DomainError
from bot.payload import TEXT_LIMIT, fit_text
from bot.runtime.context import KannustinApplication, KannustinContext

log = logging.getLogger(__name__)

ALERT_LIMIT = 200  # characters Telegram shows in a callback alert


async def on_error(update: object, context: KannustinContext) -> None:
    """The person hears what went wrong in plain words (or a short apology); never a traceback."""
    error = context.error
    if not isinstance(update, Update):
        log.error("error outside an update: %r", error, exc_info=error)
        return
    if isinstance(error, DomainError):
        log.info("update %s refused: %s", update.update_id, error.key)
        key, params = error.key, error.params
    else:
        log.error("update %s failed: %r", update.update_id, error, exc_info=error)
        key, params = "error.apology", {}
    user = update.effective_user
    chat = update.effective_chat
    language = await context.services.engagement.language_for(
        update.update_id,
        chat.id if chat is not None and chat.type != ChatType.PRIVATE else None,
        user.id if user is not None else None,
        user.language_code if user is not None else None,
    )
    text = fit_text(context.services.translator.text(language, key, **params), TEXT_LIMIT)
    try:
        await _tell(update, text)
    except TelegramError as send_error:
        log.warning(
            "update %s: could not deliver the error notice: %s", update.update_id, send_error
        )


async def _tell(update: Update, text: str) -> None:
    # Only answer what was addressed to the bot: a button, a private message or a command.
    query = update.callback_query
    if query is not None:
        try:
            if len(text) <= ALERT_LIMIT:
                await query.answer(text, show_alert=True)
                return
            await query.answer()  # too long for an alert: say it in the chat below
        except BadRequest:
            pass  # already answered (the failure came after the answer)
        if query.message is not None:
            await query.get_bot().send_message(query.message.chat.id, text)
        return
    message = update.effective_message
    if message is None:
        return
    is_command = bool(message.text and message.text.startswith("/"))
    if message.chat.type == ChatType.PRIVATE or is_command:
        await message.reply_text(text)


def register(application: KannustinApplication) -> None:
    application.add_error_handler(on_error)
