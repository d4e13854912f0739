"""/poll: composing a poll in one message, its group buttons, Send and Cancel; /pollresults.
The rules are in ``bot/services/polls.py``."""

from __future__ import annotations

import re

from telegram import Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.errors import DomainError
from bot.runtime.context import KannustinApplication, KannustinContext
from bot.services.polls import ALL, DROP, SEND, TOGGLE
from handlers.rendering import answer, pressed_label, show, spend, spent

_NUMBER = re.compile(r"^#?\d{1,9}$")


async def poll_command(update: Update, context: KannustinContext) -> None:
    """/poll END, the question and the options, one a line."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    reply = await context.services.polls.compose(user.id, message.text or "")
    await answer(message, context, reply)


async def results_command(update: Update, context: KannustinContext) -> None:
    """/pollresults N: a closed poll's results again."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    number = results_request(list(context.args or []))
    for reply in await context.services.polls.results(user.id, number, context.speaks):
        await answer(message, context, reply)


def results_request(args: list[str]) -> int:
    """``N`` or ``#N``: the poll's number."""
    if len(args) != 1 or not _NUMBER.match(args[0]):
        raise DomainError("poll.results-usage")
    return int(args[0].lstrip("#"))


async def poll_button(update: Update, context: KannustinContext) -> None:
    """A group ticked, all, Send (spent once pressed), Cancel."""
    query = update.callback_query
    assert query is not None and query.data is not None and isinstance(query.message, Message)
    data = query.data
    polls = context.services.polls
    user_id = query.from_user.id
    if data.startswith(SEND):
        if await spent(query, context):
            return
        label = pressed_label(query) or ""
        reply = await polls.send(user_id, int(data.removeprefix(SEND)))
        await answer(query.message, context, reply)
        await spend(query, label)
    elif data.startswith(DROP):
        await show(
            query.message,
            context,
            await polls.drop(user_id, int(data.removeprefix(DROP))),
            edit=True,
        )
    elif data.startswith(ALL):
        reply = await polls.toggle(user_id, int(data.removeprefix(ALL)), None)
        await show(query.message, context, reply, edit=True)
    else:
        poll, group = data.removeprefix(TOGGLE).split(":")
        await show(
            query.message, context, await polls.toggle(user_id, int(poll), int(group)), edit=True
        )
    await query.answer()


def register(application: KannustinApplication) -> None:
    private = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("poll", poll_command, filters=private))
    application.add_handler(CommandHandler("pollresults", results_command, filters=private))
    application.add_handler(
        CallbackQueryHandler(
            poll_button,
            pattern=rf"^({TOGGLE}\d{{1,9}}:\d{{1,9}}|({ALL}|{SEND}|{DROP})\d{{1,9}})$",
        )
    )
