"""Before anything else: remember the person and choose the language to answer in."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, TypeHandler

from bot.context import KannustinContext

log = logging.getLogger(__name__)

GROUP = -1


async def remember_person(update: Update, context: KannustinContext) -> None:
    """Records that the person talked to the bot and sets ``context.language`` for the reply."""
    user = update.effective_user
    people = context.services.people
    if user is None or user.is_bot:
        context.language = people.default_language
        return
    try:
        context.person = await people.record_contact(user.id, user.language_code)
    except Exception:
        # Answering in the app's language beats not answering; the error is logged.
        log.exception("could not record contact for update %s", update.update_id)
    context.language = people.language_of(context.person, user.language_code)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(TypeHandler(Update, remember_person), group=GROUP)
