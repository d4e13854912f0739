"""Group chats: the bot added or removed, members coming and going, migration, /groups and
/group settings. What the bot does about each is decided in ``bot/services/groups.py``."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from telegram import ChatMember, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    JobQueue,
    MessageHandler,
    filters,
)

from bot.replies import Reply
from bot.runtime.context import KannustinApplication, KannustinContext
from bot.services.groups import LANGUAGE, ORGANISATION, SHOW, BotMembership, settings_card
from handlers.rendering import answer, edit_pressed, send, toast
from handlers.staff import left_chat
from storage.states import Language

log = logging.getLogger(__name__)

UNCLAIMED_JOB = "unclaimed-supergroups"
_IN_CHAT = {ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}


def _is_in(member: ChatMember) -> bool:
    if member.status == ChatMemberStatus.RESTRICTED:
        return bool(getattr(member, "is_member", False))
    return member.status in _IN_CHAT


# The bot itself ----------------------------------------------------------------------------


async def bot_membership_changed(update: Update, context: KannustinContext) -> None:
    """Added by staff: register and greet. Added by anyone else: say why and leave.
    Removed: the group goes quiet."""
    change = update.my_chat_member
    assert change is not None
    chat = change.chat
    if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return
    decided = await context.services.groups.bot_membership(
        BotMembership(
            chat_id=chat.id,
            title=chat.title or "",
            supergroup=chat.type == ChatType.SUPERGROUP,
            by=change.from_user.id,
            by_language=change.from_user.language_code,
            was_in=_is_in(change.old_chat_member),
            is_in=_is_in(change.new_chat_member),
            is_admin=change.new_chat_member.status == ChatMemberStatus.ADMINISTRATOR,
            language=Language(context.speaks),
        )
    )
    if decided.leave:
        await _say_and_leave(context, chat.id, *decided.to_group)
        return
    for reply in decided.to_group:
        await send(context, chat.id, reply)
    if decided.to_adder is not None:
        reached = await _tell_privately(context, change.from_user.id, chat.id, decided.to_adder)
        if not reached and decided.if_adder_unreachable is not None:
            await send(context, chat.id, decided.if_adder_unreachable)
    if decided.decide_at is not None:
        _check_unclaimed_at(context, decided.decide_at)


async def _say_and_leave(context: KannustinContext, chat_id: int, *replies: Reply) -> None:
    try:
        for reply in replies:
            await send(context, chat_id, reply)
    except TelegramError as error:
        log.info("could not explain before leaving chat %d: %s", chat_id, error)
    try:
        await context.bot.leave_chat(chat_id)
    except TelegramError as error:  # already out (removed meanwhile): nothing to leave
        log.info("could not leave chat %d: %s", chat_id, error)


def _check_unclaimed_at(context: KannustinContext, moment: dt.datetime) -> None:
    # the delay is measured on the bot's clock, as the scheduler's are
    delay = max((moment - context.services.clock.now()).total_seconds(), 0.0)
    queue: JobQueue[Any] | None = context.job_queue  # (PTB types it by the bot_data type)
    assert queue is not None  # the job-queue extra is a dependency
    for planned in queue.get_jobs_by_name(UNCLAIMED_JOB):
        planned.schedule_removal()  # one check serves every waiting supergroup
    queue.run_once(
        check_unclaimed, when=delay, name=UNCLAIMED_JOB, job_kwargs={"misfire_grace_time": None}
    )


async def check_unclaimed(context: KannustinContext) -> None:
    """A supergroup added by someone who may not register groups, when its grace is over:
    the bot says why and leaves, unless the group's migration notice came meanwhile."""
    groups = context.services.groups
    for farewell in await groups.unclaimed_due():
        await _say_and_leave(context, farewell.chat_id, farewell.reply)
    waiting = groups.next_unclaimed()
    if waiting is not None:  # another is still in its grace (or the job ran early)
        _check_unclaimed_at(context, waiting)


async def _tell_privately(
    context: KannustinContext, person_id: int, chat_id: int, reply: Reply
) -> bool:
    # The adder may never have opened a private chat with the bot; then Telegram refuses.
    try:
        await send(context, person_id, reply)
    except TelegramError as error:
        log.info("could not message the adder of chat %d privately: %s", chat_id, error)
        return False
    return True


async def organisation_chosen(update: Update, context: KannustinContext) -> None:
    """An admin picked the organisation of a group they added: it is registered and greeted."""
    query = update.callback_query
    assert query is not None and query.data is not None
    group_id, organisation_id = (
        int(part) for part in query.data.removeprefix(ORGANISATION).split(":")
    )
    chosen = await context.services.groups.organisation_chosen(
        query.from_user.id, group_id, organisation_id
    )
    await edit_pressed(query, context, chosen.answer)
    await send(context, chosen.chat_id, chosen.greeting)
    await query.answer()


# Members -------------------------------------------------------------------------------------


async def member_changed(update: Update, context: KannustinContext) -> None:
    """Someone joined or left (needs the bot to be an administrator)."""
    change = update.chat_member
    assert change is not None
    person = change.new_chat_member.user
    if person.is_bot:
        return
    groups = context.services.groups
    if _is_in(change.new_chat_member):
        await groups.member_seen(change.chat.id, person.id, person.language_code, person.first_name)
    else:
        await groups.member_left(change.chat.id, person.id)
        await left_chat(context, change.chat.id, person, change.from_user)


async def service_message(update: Update, context: KannustinContext) -> None:
    """Telegram's own notices: people joined or left, the group became a supergroup."""
    message = update.effective_message
    assert message is not None
    groups = context.services.groups
    for person in message.new_chat_members or ():
        if not person.is_bot:
            await groups.member_seen(
                message.chat.id, person.id, person.language_code, person.first_name
            )
    if message.left_chat_member is not None and not message.left_chat_member.is_bot:
        await groups.member_left(message.chat.id, message.left_chat_member.id)
        await left_chat(context, message.chat.id, message.left_chat_member, message.from_user)
    if message.migrate_to_chat_id:
        await groups.migrated(message.chat.id, message.migrate_to_chat_id)
    if message.migrate_from_chat_id:
        await groups.migrated(message.migrate_from_chat_id, message.chat.id)


# /groups and /group ------------------------------------------------------------------------


async def list_groups(update: Update, context: KannustinContext) -> None:
    """The groups this person leads or oversees: title, instructors, participants, status."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    await answer(message, context, await context.services.groups.listing(user.id))


async def group_settings(update: Update, context: KannustinContext) -> None:
    """A group's settings with language buttons; ``/group [N] name|timezone|language VALUE``
    changes one."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    reply = await context.services.groups.settings_command(
        user.id,
        message.chat.id,
        private=message.chat.type == ChatType.PRIVATE,
        words=(message.text or "").partition(" ")[2].strip(),
    )
    await send(context, message.chat.id, reply)


async def group_picked(update: Update, context: KannustinContext) -> None:
    """The settings of the group chosen from the buttons."""
    query = update.callback_query
    assert query is not None and query.data is not None and query.message is not None
    group = await context.services.groups.manageable(
        query.from_user.id, int(query.data.removeprefix(SHOW))
    )
    await send(context, query.message.chat.id, settings_card(group))
    await query.answer()


async def group_language_chosen(update: Update, context: KannustinContext) -> None:
    """Sets the group's language; the bot speaks it in the group from now on."""
    query = update.callback_query
    assert query is not None and query.data is not None and query.message is not None
    group_id, code = query.data.removeprefix(LANGUAGE).split(":")
    group = await context.services.groups.change_settings(
        query.from_user.id, int(group_id), language=code
    )
    await send(context, query.message.chat.id, settings_card(group))
    await toast(query, context, Reply.of("group.language-set", name=group.name))


def register(application: KannustinApplication) -> None:
    new = filters.UpdateType.MESSAGE
    application.add_handler(
        ChatMemberHandler(bot_membership_changed, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    application.add_handler(ChatMemberHandler(member_changed, ChatMemberHandler.CHAT_MEMBER))
    application.add_handler(
        MessageHandler(
            filters.ChatType.GROUPS
            & (
                filters.StatusUpdate.NEW_CHAT_MEMBERS
                | filters.StatusUpdate.LEFT_CHAT_MEMBER
                | filters.StatusUpdate.MIGRATE
            ),
            service_message,
        )
    )
    application.add_handler(
        CommandHandler("groups", list_groups, filters=new & filters.ChatType.PRIVATE)
    )
    application.add_handler(CommandHandler("group", group_settings, filters=new))
    application.add_handler(CallbackQueryHandler(group_picked, pattern=rf"^{SHOW}\d{{1,9}}$"))
    application.add_handler(
        CallbackQueryHandler(group_language_chosen, pattern=rf"^{LANGUAGE}\d{{1,9}}:[a-z]{{2}}$")
    )
    application.add_handler(
        CallbackQueryHandler(organisation_chosen, pattern=rf"^{ORGANISATION}\d{{1,9}}:\d{{1,9}}$")
    )
