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
    records only what the product needs: a person who addressed the bot (a private message,
    a command, a button), and a participant of a registered group. A stranger's chatter in
    a group the bot does not serve is not stored."""
    user = update.effective_user
    chat = update.effective_chat
    services = context.services
    people = services.people
    context.language = people.default_language
    if user is None or user.is_bot:
        return
    if _addressed_to_bot(update):
        try:
            private = chat is not None and chat.type == ChatType.PRIVATE
            context.person = await people.record_contact(
                user.id, user.language_code, private=private
            )
        except Exception:
            # Answering in the app's language beats not answering; the error is logged.
            log.exception("could not record contact for update %s", update.update_id)
    context.language = people.language_of(context.person, user.language_code)
    if chat is None or chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return
    if update.my_chat_member is not None or update.chat_member is not None:
        return  # membership changes are handled by the groups journey
    try:
        group = await services.groups.by_chat(chat.id)
        if group is not None and group.is_active:
            context.language = group.language
            await services.groups.member_seen(chat.id, user.id, user.language_code)
    except Exception:
        log.exception("could not record participation for update %s", update.update_id)


def _addressed_to_bot(update: Update) -> bool:
    if update.callback_query is not None:
        return True
    message = update.message
    if message is None:
        return False
    if message.chat.type == ChatType.PRIVATE:
        return True
    return bool(message.text and message.text.startswith("/"))


def register(application: KannustinApplication) -> None:
    application.add_handler(TypeHandler(Update, remember_person), group=GROUP)
