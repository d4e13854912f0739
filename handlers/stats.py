"""``/stats``: how groups are doing per programme week, as text that reads on a phone or as
a chart; small numbers shown as "<5" (``bot/services/stats.py``)."""

from __future__ import annotations

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.errors import DomainError
from bot.runtime.context import KannustinApplication, KannustinContext
from bot.services.stats import CHART, GROUP
from handlers.rendering import answer, caption_of

CHART_WORDS = ("chart", "kaavio", "diagram")


def stats_request(args: list[str]) -> tuple[int | None, bool]:
    """``[N] [chart]`` as the group's number (None: every group) and whether a chart."""
    words = [a.lower() for a in args]
    chart = any(a in CHART_WORDS for a in words)
    numbers = [a for a in words if a.isascii() and a.isdigit() and len(a) <= 9]
    if len(words) != chart + len(numbers) or len(numbers) > 1:
        raise DomainError("stats.usage")
    return (int(numbers[0]) if numbers else None), chart


async def stats_command(update: Update, context: KannustinContext) -> None:
    """``/stats [N] [chart]``: every group the person oversees, or group N."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    group_id, chart = stats_request(list(context.args or []))
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
        await message.reply_photo(picture, caption=caption_of(context, title))
        return
    private = message.chat.type == ChatType.PRIVATE
    await answer(message, context, await stats.report(actor_id, group_id, private=private))


def register(application: KannustinApplication) -> None:
    private = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("stats", stats_command, filters=private))
    application.add_handler(CallbackQueryHandler(button, pattern=rf"^({GROUP}|{CHART})\d{{1,9}}$"))
