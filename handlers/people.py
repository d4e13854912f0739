"""Before anything else: remember the person, note group participation, pick the language."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import TypeHandler

from bot.context import KannustinApplication, KannustinContext

log = logging.getLogger(__name__)

GROUP = -1


async def remember_person(update: Update, context: KannustinContext) -> None:
    """Sets ``context.language`` (the group's in a registered group, else the person's) and
    records only what the product needs: a person who writes to the bot privately or
    presses its buttons there, and a participant of a registered, active group. Nothing
    is stored about anyone in a group the bot does not serve."""
    user = update.effective_user
    chat = update.effective_chat
    services = context.services
    people = services.people
    context.language = people.default_language
    if user is None or user.is_bot:
        return
    private = chat is None or chat.type == ChatType.PRIVATE
    group = None
    if not private and chat is not None:
        try:
            group = await services.groups.by_chat(chat.id)
        except Exception:
            log.exception("could not look up the group of update %s", update.update_id)
        if group is not None and not group.is_active:
            group = None
    if private or (group is not None and _addressed_to_bot(update)):
        try:
            context.person = await people.record_contact(
                user.id, user.language_code, private=private
            )
        except Exception:
            # Answering in the app's language beats not answering; the error is logged.
            log.exception("could not record contact for update %s", update.update_id)
    context.language = people.language_of(context.person, user.language_code)
    if group is None or chat is None:
        return
    context.language = group.language
    if update.my_chat_member is not None or update.chat_member is not None:
        return  # membership changes are handled by the groups journey
    try:
        await services.groups.member_seen(chat.id, user.id, user.language_code)
    except Exception:
        log.exception("could not record participation for update %s", update.update_id)


def _addressed_to_bot(update: Update) -> bool:
    if update.callback_query is not None:
        return True
    message = update.message
    return bool(message is not None and message.text and message.text.startswith("/"))


def register(application: KannustinApplication) -> None:
    application.add_handler(TypeHandler(Update, remember_person), group=GROUP)
