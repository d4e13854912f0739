"""``/export``: the research export as a file in the chat (coordinators and admins)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot.runtime.context import KannustinApplication, KannustinContext
from handlers.rendering import hand_over

CSV_WORDS = ("csv", "zip")


async def export_command(update: Update, context: KannustinContext) -> None:
    """``/export`` sends an XLSX workbook, ``/export csv`` a ZIP of CSV files; the outcome
    chart follows as a picture when there are outcomes to draw."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    args = [a.lower() for a in context.args or []]
    if len(args) > 1 or (args and args[0] not in CSV_WORDS):
        await message.reply_text(context.t("export.usage"))
        return
    kind = "zip" if args else "xlsx"
    exports = context.services.exports
    groups = await exports.groups_for(user.id)
    await message.reply_text(context.t("export.working"))
    file, chart = await exports.for_chat(user.id, groups, kind=kind, language=context.speaks)
    await hand_over(message, context, file)
    if chart is not None:
        await message.reply_photo(chart, caption=context.t("export.chart-title"))


def register(application: KannustinApplication) -> None:
    private = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("export", export_command, filters=private))
