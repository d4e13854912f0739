"""Staff roles that end, in private: /staff lists the organisation's coordinators and
instructors with buttons that end a role or take someone off a group, /leave N steps down
from a group; each asks first and is done on the next press. Whether a press holds is the
service's to decide (``bot/services/staff.py``): one that does not is refused with a
``DomainError``, which the error handler shows as an alert, and nothing changes."""

from __future__ import annotations

import re

from telegram import Message, Update, User
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.errors import DomainError
from bot.runtime.context import KannustinApplication, KannustinContext
from bot.services.staff import ASK_GROUP, ASK_ROLE, CONFIRM, DECLINE, PAGE
from handlers.rendering import answer, command_text, edit_pressed, send, show

_NUMBER = re.compile(r"^#?(\d{1,9})$")
_ID = r"\d{1,19}"
_TOKEN = r"[A-Za-z0-9_-]{1,43}"  # noqa: S105 - the pattern of a request's token


async def staff(update: Update, context: KannustinContext) -> None:
    """The organisation's coordinators and instructors, their groups, and removal buttons."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    await answer(message, context, await context.services.staff.listing(user.id))


async def page(update: Update, context: KannustinContext) -> None:
    """Another page of /staff, in place."""
    query = update.callback_query
    assert query is not None and query.data is not None and isinstance(query.message, Message)
    number = int(query.data.removeprefix(PAGE))
    listed = await context.services.staff.listing(query.from_user.id, number)
    await show(query.message, context, listed, edit=True)
    await query.answer()


async def ask_role(update: Update, context: KannustinContext) -> None:
    """The question before ending someone's role, with yes and no buttons."""
    query = update.callback_query
    assert query is not None and query.data is not None and query.message is not None
    person_id = int(query.data.removeprefix(ASK_ROLE))
    asked = await context.services.staff.ask_role(query.from_user.id, person_id)
    await send(context, query.message.chat.id, asked)
    await query.answer()


async def ask_group(update: Update, context: KannustinContext) -> None:
    """The question before taking someone off one group, with yes and no buttons."""
    query = update.callback_query
    assert query is not None and query.data is not None and query.message is not None
    person_id, group_id = (int(part) for part in query.data.removeprefix(ASK_GROUP).split(":"))
    asked = await context.services.staff.ask_group(query.from_user.id, person_id, group_id)
    await send(context, query.message.chat.id, asked)
    await query.answer()


def leave_request(words: str) -> int | None:
    """``N`` or ``#N`` as the group's number; nothing: None (the person's groups)."""
    match = _NUMBER.match(words)
    if words and match is None:
        raise DomainError("staff.leave-usage-number")
    return None if match is None else int(match[1])


async def leave(update: Update, context: KannustinContext) -> None:
    """/leave N: the question before stepping down from group N (without N: your groups)."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    group_id = leave_request(command_text(message))
    await answer(message, context, await context.services.staff.ask_leave(user.id, group_id))


async def confirmed(update: Update, context: KannustinContext) -> None:
    """The yes button: done if it is the presser's own open question; the question's
    message then says what was done."""
    query = update.callback_query
    assert query is not None and query.data is not None
    user = query.from_user
    said = await context.services.staff.confirm(user.id, query.data, name=user.first_name)
    await edit_pressed(query, context, said)
    await query.answer()


async def declined(update: Update, context: KannustinContext) -> None:
    """The no button: nothing changes, and the message says so."""
    query = update.callback_query
    assert query is not None and query.data is not None
    said = await context.services.staff.decline(query.from_user.id, query.data)
    await edit_pressed(query, context, said)
    await query.answer()


async def left_chat(context: KannustinContext, chat_id: int, person: User, by: User | None) -> None:
    """Telegram says the person left the group chat, or ``by`` removed them: if they led
    the group, they no longer do (called from ``handlers/groups.py``'s leave handling)."""
    if person.is_bot:
        return
    remover = person.id if by is None else by.id
    await context.services.staff.left_chat(chat_id, person.id, by=remover, name=person.first_name)


def register(application: KannustinApplication) -> None:
    private = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("staff", staff, filters=private))
    application.add_handler(CommandHandler("leave", leave, filters=private))
    application.add_handler(CallbackQueryHandler(page, pattern=rf"^{PAGE}\d{{1,4}}$"))
    application.add_handler(CallbackQueryHandler(ask_role, pattern=rf"^{ASK_ROLE}{_ID}$"))
    application.add_handler(
        CallbackQueryHandler(ask_group, pattern=rf"^{ASK_GROUP}{_ID}:\d{{1,9}}$")
    )
    application.add_handler(CallbackQueryHandler(confirmed, pattern=rf"^{CONFIRM}{_TOKEN}$"))
    application.add_handler(CallbackQueryHandler(declined, pattern=rf"^{DECLINE}{_TOKEN}$"))
