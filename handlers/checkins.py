"""Peer support in Telegram: a participant's check-in buttons and the plan they write in
private (never read or stored), instructors' weekly figures (/checkins) and /buddies."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.runtime.context import KannustinApplication, KannustinContext
from bot.services.checkins import KEEP, PROGRESS, RATE, SHARE
from bot.services.meetings import meeting_when
from handlers.meetings import group_and_args
from handlers.rendering import keyboard


async def button(update: Update, context: KannustinContext) -> None:
    """Confidence, progress, share or keep: the answer comes as a new message, so the
    invitation (what to write) stays readable above it."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    data = query.data or ""
    checkins = context.services.checkins
    if data.startswith(RATE):
        reply = await checkins.rate(user.id, data)
    elif data.startswith(PROGRESS):
        reply = await checkins.report(user.id, data)
    elif data.startswith(SHARE):
        reply = await checkins.share(user.id, data, user.first_name)
    else:
        reply = await checkins.keep(user.id, data)
    await query.answer()
    await context.bot.send_message(
        user.id, context.render(reply.text), reply_markup=keyboard(context, reply)
    )


async def checkins_command(update: Update, context: KannustinContext) -> None:
    """``/checkins [N]``: per week, how many set a plan, their average confidence and how
    many reported progress. Counts only: the plans themselves are never stored."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    group, _ = await group_and_args(update, context)
    group, weeks = await context.services.checkins.figures(user.id, group.id)
    if not weeks:
        await message.reply_text(context.t("checkin.figures-none", group=group.name))
        return
    lines = [context.t("checkin.figures-header", group=group.name)]
    for week in weeks:
        figures = week.figures
        average = figures.average_confidence
        shown = "–" if average is None else f"{average:.1f}"
        if context.speaks != "en":
            shown = shown.replace(".", ",")
        lines.append(
            context.t(
                "checkin.figures-line",
                number=week.meeting.number,
                when=meeting_when(week.meeting, context.speaks),
                planned=figures.planned,
                invited=figures.invited,
                confidence=shown,
                reported=figures.reported,
                done=figures.done,
                partly=figures.partly,
                not_yet=figures.not_yet,
                shared=figures.shared,
            )
        )
    await message.reply_text("\n\n".join(lines))


async def buddies_command(update: Update, context: KannustinContext) -> None:
    """``/buddies [N]``: this week's buddies (each told in private, with a button to write
    to their buddy); again in the same week shows them."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    group, _ = await group_and_args(update, context)
    made = await context.services.checkins.pair_buddies(user.id, group.id)
    joiner = f" {context.t('buddies.and')} "
    teams = "\n".join(f"• {joiner.join(team)}" for team in made.teams)
    key = "buddies.made" if made.fresh else "buddies.already"
    text = context.t(key, week=made.week, group=made.group.name, teams=teams)
    if made.repeats:
        text += "\n" + context.t("buddies.repeats", count=made.repeats)
    await message.reply_text(text)


def register(application: KannustinApplication) -> None:
    # in private only: the figures and the pairs are not for the whole group to read
    commands = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("checkins", checkins_command, filters=commands))
    application.add_handler(CommandHandler("buddies", buddies_command, filters=commands))
    application.add_handler(
        CallbackQueryHandler(
            button, pattern=rf"^({RATE}|{PROGRESS}|{SHARE}|{KEEP})[0-9a-z:]{{1,24}}$"
        )
    )
