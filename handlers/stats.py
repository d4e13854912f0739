"""``/stats``: how groups are doing per programme week, as text that reads on a phone or as
a chart; small numbers shown as "<5" (``bot/services/stats.py``)."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.errors import DomainError
from bot.runtime.context import KannustinApplication, KannustinContext
from bot.services.stats import CHART, GROUP
from handlers.rendering import answer, render

CHART_WORDS = ("chart", "kaavio", "diagram")


async def stats_command(update: Update, context: KannustinContext) -> None:
    """``/stats [N] [chart]``: every group the person oversees, or group N."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    args = [a.lower() for a in context.args or []]
    chart = any(a in CHART_WORDS for a in args)
    numbers = [a for a in args if a.isdigit() and len(a) <= 9]
    if len(args) != chart + len(numbers) or len(numbers) > 1:
        raise DomainError("stats.usage")
    group_id = int(numbers[0]) if numbers else None
    await _show(message, context, user.id, group_id, chart=chart)


async def button(update: Update, context: KannustinContext) -> None:
    """One group's weeks, or the chart, from the buttons under the figures."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None and isinstance(query.message, Message)
    data = query.data or ""
    chart = data.startswith(CHART)
    number = int(data.removeprefix(CHART if chart else GROUP))
    await _show(query.message, context, user.id, number or None, chart=chart)
    await query.answer()


async def _show(
    message: Message, context: KannustinContext, actor_id: int, group_id: int | None, *, chart: bool
) -> None:
    stats = context.services.stats
    if chart:
        picture, title = await stats.chart(actor_id, group_id, context.speaks)
        await message.reply_photo(picture, caption=render(context, title))
        return
    await answer(message, context, await stats.report(actor_id, group_id))


def register(application: KannustinApplication) -> None:
    private = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("stats", stats_command, filters=private))
    application.add_handler(CallbackQueryHandler(button, pattern=rf"^({GROUP}|{CHART})\d{{1,9}}$"))
