"""Before anything else: remember the person, note group participation, pick the language
(decided in ``bot/services/engagement.py``); then flood control."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, MessageHandler, TypeHandler, filters

from bot.replies import Reply
from bot.runtime.context import KannustinApplication, KannustinContext
from bot.runtime.flood import WINDOW, FloodGuard, Verdict
from bot.services.engagement import MESSAGE_TYPES, MemberChange, Sighting
from handlers.rendering import answer

log = logging.getLogger(__name__)

GROUP = -2
FLOOD_GROUP = -1  # after the person is known (their language), before any journey


async def remember_person(update: Update, context: KannustinContext) -> None:
    """Sets ``context.language`` (the group's in a registered group, else the person's) and
    ``context.person``; what is stored and logged is decided in
    ``bot/services/engagement.py``: nothing about anyone in a group the bot does not serve."""
    known = await context.services.engagement.seen(sighting(update))
    context.person = known.person
    context.language = known.language


def sighting(update: Update) -> Sighting:
    """The update in the plain values the engagement rules read."""
    chat = update.effective_chat
    user = update.effective_user
    counted = update.message_reaction_count
    if counted is not None:
        return Sighting(
            update.update_id,
            counted.chat.id,
            private=False,
            anonymous_reactions=sum(item.total_count for item in counted.reactions),
        )
    message = update.message
    reaction = update.message_reaction
    query = update.callback_query
    member = update.chat_member
    return Sighting(
        update.update_id,
        chat.id if chat is not None else None,
        private=chat is None or chat.type == ChatType.PRIVATE,
        person_id=user.id if user is not None else None,
        is_bot=user is not None and user.is_bot,
        language_code=user.language_code if user is not None else None,
        first_name=user.first_name if user is not None else None,
        button=(query.data or "") if query is not None else None,
        message=(
            tuple(name for name in MESSAGE_TYPES if getattr(message, name, None))
            if message is not None
            else None
        ),
        command=bool(message is not None and message.text and message.text.startswith("/")),
        reply=message is not None and message.reply_to_message is not None,
        reaction_change=(
            None if reaction is None else len(reaction.new_reaction) - len(reaction.old_reaction)
        ),
        member=(
            MemberChange(
                member.new_chat_member.user.id,
                member.old_chat_member.status,
                member.new_chat_member.status,
            )
            if member is not None
            else None
        ),
        bot_membership=update.my_chat_member is not None,
    )


Handler = Callable[[Update, KannustinContext], Coroutine[Any, Any, None]]


def flood_control(guard: FloodGuard) -> Handler:
    async def check(update: Update, context: KannustinContext) -> None:
        """Over the command limit: one friendly "slow down", then silence until there is
        room again; the commands are not handled."""
        user = update.effective_user
        message = update.effective_message
        if user is None or message is None:
            return
        verdict = guard.check(user.id)
        if verdict is Verdict.GO:
            return
        if verdict is Verdict.WARN:
            log.info("a person sent more commands than the limit in %.0f s", WINDOW)
            await answer(message, context, Reply.of("people.slow-down"))
        raise ApplicationHandlerStop

    return check


def register(application: KannustinApplication) -> None:
    application.add_handler(TypeHandler(Update, remember_person), group=GROUP)
    application.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE & filters.COMMAND, flood_control(application.services.flood)
        ),
        group=FLOOD_GROUP,
    )
