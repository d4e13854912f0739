"""Before anything else: remember the person, note group participation, pick the language."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, TypeHandler

from bot.context import KannustinContext

log = logging.getLogger(__name__)

GROUP = -1


async def remember_person(update: Update, context: KannustinContext) -> None:
    """Records that the person talked to the bot (or took part in a registered group) and sets
    ``context.language``: the group's language in a group, else the person's."""
    user = update.effective_user
    chat = update.effective_chat
    services = context.services
    people = services.people
    if user is None or user.is_bot:
        context.language = people.default_language
        return
    try:
        context.person = await people.record_contact(user.id, user.language_code)
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
            await services.groups.member_seen(chat.id, user.id)
    except Exception:
        log.exception("could not record participation for update %s", update.update_id)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(TypeHandler(Update, remember_person), group=GROUP)
