"""Before anything else: flood control, then remember the person, note group participation
and pick the language (decided in ``bot/services/engagement.py``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.replies import Reply
from bot.runtime.context import KannustinApplication, KannustinContext
from bot.runtime.flood import WINDOW, FloodGuard, Verdict
from bot.services.engagement import MESSAGE_TYPES, MemberChange, Sighting
from handlers.rendering import answer, toast

log = logging.getLogger(__name__)

FLOOD_GROUP = -3  # first of all: an update over the person's limit goes no further
GROUP = -2


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


def flooding(update: Update) -> tuple[int, str | None] | None:
    """Who sent an update that flood control counts (and the album of a message): a
    message in a private chat, a command in a group, a button press, a reaction. None for
    what it lets be (people talking in a group, member updates, anonymous counts)."""
    user = update.effective_user
    if user is None or user.is_bot:
        return None
    if update.callback_query is not None or update.message_reaction is not None:
        return user.id, None
    message = update.message
    chat = update.effective_chat
    if message is None or chat is None:
        return None
    if chat.type == ChatType.PRIVATE or (message.text or "").startswith("/"):
        return user.id, message.media_group_id
    return None


def flood_control(guard: FloodGuard) -> Handler:
    async def check(update: Update, context: KannustinContext) -> None:
        """Over their limit (``bot/runtime/flood.py``): one friendly "slow down", then
        silence until there is room again; nothing they send meanwhile is handled."""
        counted = flooding(update)
        if counted is None:
            return
        person_id, album = counted
        engagement = context.services.engagement

        async def belongs() -> bool:
            return await engagement.belongs(person_id, update.update_id)

        verdict = await guard.check(person_id, belongs=belongs, album=album)
        if verdict is Verdict.GO:
            return
        if verdict is Verdict.WARN:
            log.info(
                "update %s: a person sent more than their limit in %.0f s", update.update_id, WINDOW
            )
            await slow_down(update, context)
        raise ApplicationHandlerStop

    return check


async def slow_down(update: Update, context: KannustinContext) -> None:
    """The one notice, in the person's language: a toast on a button, an answer to a
    message; a reaction expects no answer and gets none."""
    chat = update.effective_chat
    user = update.effective_user
    assert user is not None
    context.language = await context.services.engagement.language_for(
        update.update_id,
        chat.id if chat is not None and chat.type != ChatType.PRIVATE else None,
        user.id,
        user.language_code,
    )
    notice = Reply.of("people.slow-down")
    if update.callback_query is not None:
        await toast(update.callback_query, context, notice)
    elif update.message is not None:
        await answer(update.message, context, notice)


def register(application: KannustinApplication) -> None:
    # before the person is remembered: an update let go costs no database work
    application.add_handler(
        TypeHandler(Update, flood_control(application.services.flood)), group=FLOOD_GROUP
    )
    application.add_handler(TypeHandler(Update, remember_person), group=GROUP)
