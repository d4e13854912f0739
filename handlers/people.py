"""Before anything else: remember the person, note group participation, pick the language."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, MessageHandler, TypeHandler, filters

from bot.runtime.context import KannustinApplication, KannustinContext
from bot.runtime.flood import WINDOW, FloodGuard, Verdict
from storage.states import EventKind

log = logging.getLogger(__name__)

GROUP = -2
FLOOD_GROUP = -1  # after the person is known (their language), before any journey


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
    if update.message_reaction_count is not None:
        await _log_anonymous_reactions(update, context)
        return
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
    if private and update.callback_query is not None:
        name = (update.callback_query.data or "").split(":", 1)[0][:16]
        services.events.record(EventKind.BUTTON, person_id=user.id, button=name)
    if group is None or chat is None:
        return
    context.language = group.language
    _log_engagement(update, context, group.id, user.id)
    if update.my_chat_member is not None or update.chat_member is not None:
        return  # membership changes are handled by the groups journey
    try:
        await services.groups.member_seen(chat.id, user.id, user.language_code, user.first_name)
    except Exception:
        log.exception("could not record participation for update %s", update.update_id)


_MESSAGE_TYPES = (
    "text",
    "photo",
    "video",
    "voice",
    "video_note",
    "audio",
    "document",
    "animation",
    "sticker",
    "poll",
    "location",
    "contact",
)


def _log_engagement(
    update: Update, context: KannustinContext, group_id: int, person_id: int
) -> None:
    """Metadata of taking part in a served group, for the engagement log: a message's
    type (never its text), a reply, a reaction, a button, joining and leaving."""
    events = context.services.events
    message = update.message
    if message is not None:
        kind = next((name for name in _MESSAGE_TYPES if getattr(message, name, None)), None)
        if kind is None:
            return  # a service message: joins and leaves come as member updates
        if kind == "text" and message.text and message.text.startswith("/"):
            kind = "command"
        is_reply = message.reply_to_message is not None
        events.record(
            EventKind.REPLY if is_reply else EventKind.MESSAGE,
            group_id=group_id,
            person_id=person_id,
            type=kind,
        )
    elif update.message_reaction is not None:
        change = update.message_reaction
        events.record(
            EventKind.REACTION,
            group_id=group_id,
            person_id=person_id,
            change=len(change.new_reaction) - len(change.old_reaction),
        )
    elif update.callback_query is not None:
        name = (update.callback_query.data or "").split(":", 1)[0][:16]
        events.record(EventKind.BUTTON, group_id=group_id, person_id=person_id, button=name)
    elif update.chat_member is not None:
        member = update.chat_member
        was = member.old_chat_member.status in _IN
        now = member.new_chat_member.status in _IN
        if was != now:
            events.record(
                EventKind.JOINED if now else EventKind.LEFT,
                group_id=group_id,
                person_id=member.new_chat_member.user.id,
            )


_IN = ("member", "administrator", "creator", "restricted")


async def _log_anonymous_reactions(update: Update, context: KannustinContext) -> None:
    """Reactions in a group where they are anonymous come as a count per message (no
    person): logged with the message's new total."""
    counted = update.message_reaction_count
    assert counted is not None
    services = context.services
    try:
        group = await services.groups.by_chat(counted.chat.id)
    except Exception:
        log.exception("could not look up the group of update %s", update.update_id)
        return
    if group is None or not group.is_active:
        return
    context.language = group.language
    total = sum(item.total_count for item in counted.reactions)
    services.events.record(EventKind.REACTION, group_id=group.id, total=total, anonymous=True)


def _addressed_to_bot(update: Update) -> bool:
    if update.callback_query is not None:
        return True
    message = update.message
    return bool(message is not None and message.text and message.text.startswith("/"))


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
            await message.reply_text(context.t("people.slow-down"))
        raise ApplicationHandlerStop

    return check


def register(application: KannustinApplication) -> None:
    application.add_handler(TypeHandler(Update, remember_person), group=GROUP)
    guard = FloodGuard(application.services.settings.command_limit)
    application.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & filters.COMMAND, flood_control(guard)),
        group=FLOOD_GROUP,
    )
