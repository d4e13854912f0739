"""The meeting calendar: /meetings, /cancel, /uncancel, /remote, /rhythm and /schedule.

In a group chat the commands act on that group; in a private chat the group's number
comes first (``/cancel 3 8.12.``), and may be left out by an instructor with one group.
What the words mean and what is said back is ``bot/services/meetings.py``'s. A /cancel or
/remote of several meetings, and the setting of a calendar, are asked first; the answering
press replaces the question with what was done, and a press that no longer holds is
answered with an alert (the error handler's) and changes nothing.
"""

from __future__ import annotations

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.runtime.context import KannustinApplication, KannustinContext
from bot.services.meetings import (
    CANCEL_ITEM,
    CANCEL_MEETING,
    CONFIRM_CHANGE,
    KEEP_CALENDAR,
    KEEP_CHANGE,
    SCHEDULE_GROUPS,
    SCHEDULE_PAGE,
    SET_CALENDAR,
    SKIP_HOLIDAYS,
)
from handlers.rendering import answer, edit_pressed, show
from storage.groups import Group

_TOKEN = r"[A-Za-z0-9_-]{1,43}"  # noqa: S105 - the pattern of a question's token


async def group_and_args(
    update: Update, context: KannustinContext, command: str
) -> tuple[Group, list[str]]:
    """The group ``command`` acts on, and the command's other words."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    return await context.services.meetings.which_group(
        user.id,
        message.chat.id,
        private=message.chat.type == ChatType.PRIVATE,
        args=list(context.args or []),
        command=command,
    )


async def meetings_command(update: Update, context: KannustinContext) -> None:
    """``/meetings [N]`` shows the calendar; ``/meetings [N] DAY TIME FROM [xCOUNT] [PLACE]``
    sets it: ``/meetings ti 14:00 3.12. x6 Kirjaston kokoushuone``."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    group, args = await group_and_args(update, context, "meetings")
    reply = await context.services.meetings.calendar_command(
        user.id, group, args, chat_id=message.chat.id
    )
    await answer(message, context, reply)


async def _change(update: Update, context: KannustinContext, action: str) -> None:
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    group, args = await group_and_args(update, context, action)
    reply = await context.services.meetings.change_command(
        user.id, group, action, args, chat_id=message.chat.id
    )
    await answer(message, context, reply)


async def cancel_command(update: Update, context: KannustinContext) -> None:
    """``/cancel [N] DATES [REASON]``: meetings off, announced, the keep-going rhythm on."""
    await _change(update, context, "cancel")


async def uncancel_command(update: Update, context: KannustinContext) -> None:
    """``/uncancel [N] DATES``: meetings back on as usual, reminders restored."""
    await _change(update, context, "uncancel")


async def remote_command(update: Update, context: KannustinContext) -> None:
    """``/remote [N] DATES LINK``: meetings online; reminders carry the link."""
    await _change(update, context, "remote")


async def rhythm_command(update: Update, context: KannustinContext) -> None:
    """``/rhythm [N]`` shows the reminder and keep-going settings; ``/rhythm [N] SETTING
    VALUE`` changes one (evening, before, midweek, quiet)."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    group, args = await group_and_args(update, context, "rhythm")
    reply = await context.services.meetings.rhythm_command(user.id, group, args)
    await answer(message, context, reply)


async def schedule_command(update: Update, context: KannustinContext) -> None:
    """``/schedule [N]``: which group (with several), or a page of the group's coming
    meetings, planned messages and scheduled broadcasts, each with its own cancel button."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    args = list(context.args or [])
    await answer(message, context, await context.services.meetings.schedule_listing(user.id, args))


async def schedule_page_button(update: Update, context: KannustinContext) -> None:
    """The chosen group's schedule, or another page of it, in place of the message."""
    query = update.callback_query
    assert query is not None and query.data is not None and isinstance(query.message, Message)
    group, page = query.data.removeprefix(SCHEDULE_PAGE).split(":")
    reply = await context.services.meetings.schedule_page(query.from_user.id, int(group), int(page))
    await show(query.message, context, reply, edit=True)
    await query.answer()


async def schedule_groups_button(update: Update, context: KannustinContext) -> None:
    """Back to (another page of) the choice of group."""
    query = update.callback_query
    assert query is not None and query.data is not None and isinstance(query.message, Message)
    page = int(query.data.removeprefix(SCHEDULE_GROUPS))
    reply = await context.services.meetings.schedule_choice(query.from_user.id, page)
    await show(query.message, context, reply, edit=True)
    await query.answer()


async def cancel_meeting_button(update: Update, context: KannustinContext) -> None:
    """Cancels the meeting under whose line it was pressed."""
    query = update.callback_query
    assert query is not None and query.data is not None and isinstance(query.message, Message)
    reply = await context.services.meetings.meeting_cancelled(
        query.from_user.id, int(query.data.removeprefix(CANCEL_MEETING))
    )
    await answer(query.message, context, reply)
    await query.answer()


async def cancel_message_button(update: Update, context: KannustinContext) -> None:
    """Cancels the planned message under whose line it was pressed."""
    query = update.callback_query
    assert query is not None and query.data is not None and isinstance(query.message, Message)
    reply = await context.services.meetings.message_cancelled(
        query.from_user.id, int(query.data.removeprefix(CANCEL_ITEM))
    )
    await answer(query.message, context, reply)
    await query.answer()


async def confirm_change_button(update: Update, context: KannustinContext) -> None:
    """Confirm under a question about several meetings: done, and the question's message
    then says what was done."""
    query = update.callback_query
    assert query is not None and query.data is not None and isinstance(query.message, Message)
    reply = await context.services.meetings.confirm_change(
        query.from_user.id, query.message.chat.id, query.data
    )
    await edit_pressed(query, context, reply)
    await query.answer()


async def keep_change_button(update: Update, context: KannustinContext) -> None:
    """Keep as is under a question about several meetings: nothing changes, and the
    message says so."""
    query = update.callback_query
    assert query is not None and query.data is not None
    reply = await context.services.meetings.keep_change(query.from_user.id, query.data)
    await edit_pressed(query, context, reply)
    await query.answer()


async def calendar_button(update: Update, context: KannustinContext) -> None:
    """Under the question /meetings asks: the calendar set (as typed or without the public
    holidays) and the group told, or kept as it is; the question's message then says what
    was done."""
    query = update.callback_query
    assert query is not None and query.data is not None and isinstance(query.message, Message)
    reply = await context.services.meetings.answer_calendar(
        query.from_user.id, query.message.chat.id, query.data
    )
    await edit_pressed(query, context, reply)
    await query.answer()


def register(application: KannustinApplication) -> None:
    commands = filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("meetings", meetings_command, filters=commands))
    application.add_handler(CommandHandler("cancel", cancel_command, filters=commands))
    application.add_handler(CommandHandler("uncancel", uncancel_command, filters=commands))
    application.add_handler(CommandHandler("remote", remote_command, filters=commands))
    application.add_handler(CommandHandler("rhythm", rhythm_command, filters=commands))
    application.add_handler(
        CommandHandler("schedule", schedule_command, filters=commands & filters.ChatType.PRIVATE)
    )
    application.add_handler(
        CallbackQueryHandler(schedule_page_button, pattern=rf"^{SCHEDULE_PAGE}\d{{1,9}}:\d{{1,4}}$")
    )
    application.add_handler(
        CallbackQueryHandler(schedule_groups_button, pattern=rf"^{SCHEDULE_GROUPS}\d{{1,4}}$")
    )
    application.add_handler(
        CallbackQueryHandler(cancel_meeting_button, pattern=rf"^{CANCEL_MEETING}\d{{1,9}}$")
    )
    application.add_handler(
        CallbackQueryHandler(cancel_message_button, pattern=rf"^{CANCEL_ITEM}\d{{1,9}}$")
    )
    application.add_handler(
        CallbackQueryHandler(confirm_change_button, pattern=rf"^{CONFIRM_CHANGE}{_TOKEN}$")
    )
    application.add_handler(
        CallbackQueryHandler(keep_change_button, pattern=rf"^{KEEP_CHANGE}{_TOKEN}$")
    )
    calendar_answers = "|".join((SET_CALENDAR, SKIP_HOLIDAYS, KEEP_CALENDAR))
    application.add_handler(
        CallbackQueryHandler(calendar_button, pattern=rf"^(?:{calendar_answers}){_TOKEN}$")
    )
