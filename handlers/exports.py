"""``/export``: the research export as a file in the chat (coordinators and admins)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot.errors import DomainError
from bot.i18n import Text
from bot.replies import Reply
from bot.runtime.context import KannustinApplication, KannustinContext
from handlers.rendering import answer, hand_over, render

CSV_WORDS = ("csv", "zip")


def export_kind(args: list[str]) -> str:
    """``xlsx`` without words, ``zip`` for ``csv`` (or ``zip``); anything else is refused."""
    words = [a.lower() for a in args]
    if len(words) > 1 or (words and words[0] not in CSV_WORDS):
        raise DomainError("export.usage")
    return "zip" if words else "xlsx"


async def export_command(update: Update, context: KannustinContext) -> None:
    """``/export`` sends an XLSX workbook, ``/export csv`` a ZIP of CSV files; the outcome
    chart follows as a picture when there are outcomes to draw."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    kind = export_kind(list(context.args or []))
    exports = context.services.exports
    groups = await exports.groups_for(user.id)
    await answer(message, context, Reply.of("export.working"))
    file, chart = await exports.for_chat(user.id, groups, kind=kind, language=context.speaks)
    await hand_over(message, context, file)
    if chart is not None:
        await message.reply_photo(chart, caption=render(context, Text("export.chart-title")))


def register(application: KannustinApplication) -> None:
    private = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("export", export_command, filters=private))
