"""Peer support in Telegram: a participant's check-in buttons and the plan they write in
private (never read or stored), instructors' weekly figures (/checkins) and /buddies."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.runtime.context import KannustinApplication, KannustinContext
from bot.services.checkins import KEEP, PROGRESS, RATE, SHARE
from handlers.meetings import group_and_args
from handlers.rendering import answer, pressed_label, send, spend, spent


async def button(update: Update, context: KannustinContext) -> None:
    """Confidence, progress, share or keep: the pressed keys make way for the choice made
    ("✓ 8"), and the answer comes as a new message, so the invitation (what to write) stays
    readable above it. A key already used (or never offered there) changes nothing."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    if await spent(query, context):
        return
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
    await send(context, user.id, reply)
    if not reply.refused:
        await spend(query, pressed_label(query) or "")


async def checkins_command(update: Update, context: KannustinContext) -> None:
    """``/checkins [N]``: per week, how many set a plan, their average confidence and how
    many reported progress. Counts only: the plans themselves are never stored."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    group, _ = await group_and_args(update, context, "checkins")
    await answer(
        message, context, await context.services.checkins.figures_report(user.id, group.id)
    )


async def buddies_command(update: Update, context: KannustinContext) -> None:
    """``/buddies [N]``: this week's buddies (each told in private, with a button to write
    to their buddy); again in the same week shows them."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    group, _ = await group_and_args(update, context, "buddies")
    await answer(message, context, await context.services.checkins.buddies(user.id, group.id))


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
