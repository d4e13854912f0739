"""``/stats``: how groups are doing per programme week, as text that reads on a phone or as
a chart; small numbers shown as "<5"."""

from __future__ import annotations

import asyncio

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.formats.charts import Labels, weekly_chart
from bot.payload import TEXT_LIMIT, fit_text
from bot.runtime.context import KannustinApplication, KannustinContext
from bot.services.stats import GroupWeeks, Scope, Week, chart_series, protect, totals

GROUP = "st:g:"  # st:g:GROUP — one group's weeks
CHART = "st:c:"  # st:c:GROUP (0: every group the person sees)
CHART_WORDS = ("chart", "kaavio", "diagram")
MAX_BUTTONS = 20


async def stats_command(update: Update, context: KannustinContext) -> None:
    """``/stats [N] [chart]``: every group the person oversees, or group N."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    args = [a.lower() for a in context.args or []]
    chart = any(a in CHART_WORDS for a in args)
    numbers = [a for a in args if a.isdigit() and len(a) <= 9]
    if len(args) != chart + len(numbers) or len(numbers) > 1:
        await message.reply_text(context.t("stats.usage"))
        return
    group_id = int(numbers[0]) if numbers else None
    await _show(message, context, user.id, group_id, chart=chart)


async def button(update: Update, context: KannustinContext) -> None:
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
    scope = await stats.scope(actor_id, group_id)
    groups = await stats.weekly(scope.groups)
    if chart:
        picture = await asyncio.to_thread(_chart, context, scope, groups)
        await message.reply_photo(picture, caption=_title(context, scope, groups))
        return
    text = (
        _group_text(context, groups[0]) if len(groups) == 1 else _overview(context, scope, groups)
    )
    rows = [
        [
            InlineKeyboardButton(
                context.t("stats.chart-button"), callback_data=f"{CHART}{group_id or 0}"
            )
        ]
    ]
    if len(groups) > 1:
        choices = [
            InlineKeyboardButton(g.group.name[:30], callback_data=f"{GROUP}{g.group.id}")
            for g in groups[:MAX_BUTTONS]
        ]
        rows += [choices[i : i + 2] for i in range(0, len(choices), 2)]
    await message.reply_text(fit_text(text, TEXT_LIMIT), reply_markup=InlineKeyboardMarkup(rows))


def _title(context: KannustinContext, scope: Scope, groups: list[GroupWeeks]) -> str:
    if len(groups) == 1:
        return context.t("stats.group-header", group=groups[0].group.name)
    return context.t(
        "stats.overview-header",
        name=scope.organisation or context.t("stats.your-groups"),
        count=len(groups),
    )


def _group_text(context: KannustinContext, group: GroupWeeks) -> str:
    lines = [context.t("stats.group-header", group=group.group.name)]
    previous: Week | None = None
    for cell in group.weeks:
        lines += ["", *_week_lines(context, cell, previous)]
        previous = cell
    lines += ["", _small_note(context)]
    return "\n".join(lines)


def _overview(context: KannustinContext, scope: Scope, groups: list[GroupWeeks]) -> str:
    small = context.services.stats.small_numbers
    lines = [_title(context, scope, groups)]
    previous: Week | None = None
    for cell in totals(groups):
        lines += ["", *_week_lines(context, cell, previous)]
        previous = cell
    lines += ["", context.t("stats.groups-header")]
    for g in groups:
        latest = g.weeks[-1]
        lines.append(
            context.t(
                "stats.group-line",
                number=g.group.id,
                group=g.group.name,
                week=latest.week,
                active=protect(latest.active, latest.active, small),
                members=protect(latest.members, latest.members, small),
                messages=protect(latest.messages, latest.active, small),
            )
        )
    lines += ["", _small_note(context)]
    return "\n".join(lines)


def _week_lines(context: KannustinContext, cell: Week, previous: Week | None) -> list[str]:
    small = context.services.stats.small_numbers
    confidence = protect(cell.confidence, cell.planned, small, decimals=1)
    if context.speaks != "en":
        confidence = confidence.replace(".", ",")
    return [
        context.t("stats.week", week=cell.week),
        context.t(
            "stats.people",
            members=protect(cell.members, cell.members, small),
            active=protect(cell.active, cell.active, small),
            change=_change(
                cell.active,
                cell.active,
                None if previous is None else previous.active,
                previous,
                small,
            ),
        ),
        context.t(
            "stats.talk",
            messages=protect(cell.messages, cell.active, small),
            change=_change(
                cell.messages,
                cell.active,
                None if previous is None else previous.messages,
                previous,
                small,
            ),
            reactions=protect(cell.reactions, cell.active, small),
        ),
        context.t(
            "stats.plans",
            planned=protect(cell.planned, cell.planned, small),
            done=protect(cell.done, cell.done, small),
            confidence=confidence,
        ),
        context.t("stats.delivered", broadcasts=cell.broadcasts),
    ]


def _change(value: int, people: int, before: int | None, previous: Week | None, small: int) -> str:
    """`` (+2)`` against the week before, when both weeks' figures may be shown."""
    if previous is None or before is None or people < small or previous.active < small:
        return ""
    difference = value - before
    return f" ({difference:+d})" if difference else " (±0)"


def _small_note(context: KannustinContext) -> str:
    return context.t("stats.small-note", small=context.services.stats.small_numbers)


def _chart(context: KannustinContext, scope: Scope, groups: list[GroupWeeks]) -> bytes:
    small = context.services.stats.small_numbers
    active, completion = chart_series(groups, small, all_label=context.t("stats.all-groups"))
    labels = Labels(
        title=_title(context, scope, groups).removeprefix("📊 "),
        active=context.t("stats.chart-active"),
        completion=context.t("stats.chart-completion"),
        week=context.t("stats.chart-week"),
        hidden=_small_note(context),
    )
    return weekly_chart(labels, active, completion)


def register(application: KannustinApplication) -> None:
    private = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("stats", stats_command, filters=private))
    application.add_handler(CallbackQueryHandler(button, pattern=rf"^({GROUP}|{CHART})\d{{1,9}}$"))
