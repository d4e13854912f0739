"""``/export``: the research export as a file in the chat (coordinators and admins).

The file is made in a task of its own (``Application.create_task``, whose failures reach
the error handler with the update), so the bot goes on answering everyone while it is
built; an export of an organisation that has one running already is told it is queued
and gets its file when its turn comes (``bot/services/exports.py``'s ``Turns``)."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import CommandHandler, filters

from bot.errors import DomainError
from bot.i18n import Text
from bot.replies import Reply
from bot.runtime.context import KannustinApplication, KannustinContext
from bot.services.exports import Place
from handlers.rendering import answer, hand_over, render
from storage.groups import Group

CSV_WORDS = ("csv", "zip")


def export_kind(args: list[str]) -> str:
    """``xlsx`` without words, ``zip`` for ``csv`` (or ``zip``); anything else is refused."""
    words = [a.lower() for a in args]
    if len(words) > 1 or (words and words[0] not in CSV_WORDS):
        raise DomainError("export.usage")
    return "zip" if words else "xlsx"


async def export_command(update: Update, context: KannustinContext) -> None:
    """``/export`` sends an XLSX workbook, ``/export csv`` a ZIP of CSV files; the outcome
    chart follows as a picture, or a line says why there is none."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    kind = export_kind(list(context.args or []))
    exports = context.services.exports
    groups = await exports.groups_for(user.id)
    place = exports.claim(groups)
    context.application.create_task(
        _send(message, context, place, groups, kind), update=update, name=f"export-{user.id}"
    )


async def _send(
    message: Message, context: KannustinContext, place: Place, groups: list[Group], kind: str
) -> None:
    """Working on it (or queued), and when the organisations' turn comes the file and its
    chart."""
    assert message.from_user is not None
    notice = "export.queued" if place.queued else "export.working"
    try:
        await answer(message, context, Reply.of(notice))
    except BaseException:
        place.give_up()
        raise
    async with place:
        file, chart = await context.services.exports.for_chat(
            message.from_user.id, groups, kind=kind, language=context.speaks
        )
    await hand_over(message, context, file)
    if isinstance(chart, bytes):
        await message.reply_photo(chart, caption=render(context, Text("export.chart-title")))
    else:
        await answer(message, context, Reply(chart))


def register(application: KannustinApplication) -> None:
    private = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("export", export_command, filters=private))
