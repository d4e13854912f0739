"""What no journey handled: a short pointer to /help in private; in groups silence, except
a staff member's private-only command, which gets a line pointing to the private chat
(``bot/services/menus.py`` decides, at most once an hour per person and group)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.replies import Reply
from bot.runtime.context import KannustinApplication, KannustinContext
from handlers import posts
from handlers.rendering import answer, toast

GROUP = 0  # same group as the journeys, registered after them: runs only when none matched


async def unknown_command(update: Update, context: KannustinContext) -> None:
    """Says the command is unknown and points to /help."""
    message = update.effective_message
    assert message is not None
    await answer(message, context, Reply.of("fallback.unknown-command"))


async def anything_else(update: Update, context: KannustinContext) -> None:
    """A participant writing their week's plan gets the confidence buttons again (the text
    is neither read nor stored); any other message of a participant gets the offer to share
    it with their group (``handlers/posts.py``); anyone else is told how to find what the
    bot can do."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None
    if user is not None:
        plan = await context.services.checkins.plan_written(user.id)
        if plan is not None:
            await answer(message, context, plan)
            return
        if await posts.offer(message, context, user.id):
            return
    await answer(message, context, Reply.of("fallback.private-message"))


async def command_in_group(update: Update, context: KannustinContext) -> None:
    """A staff member who typed a private-only staff command in a group is pointed, in one
    line, to the private chat; anyone else gets today's silence."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None
    command = addressed_command(message.text or "", context.bot.username)
    if user is None or command is None:
        return
    pointer = await context.services.menus.group_pointer(
        user.id, message.chat.id, command, context.bot.username
    )
    if pointer is not None:
        await answer(message, context, pointer)


def addressed_command(text: str, bot_username: str) -> str | None:
    """The command's name in ``/name@bot rest``, if it is meant for us (no @, or ours)."""
    first = text.split(maxsplit=1)[0] if text.strip() else ""
    name, _, target = first.removeprefix("/").partition("@")
    if not first.startswith("/") or (target and target.lower() != bot_username.lower()):
        return None
    return name.lower()


async def stale_button(update: Update, context: KannustinContext) -> None:
    """A button nobody handles (old or forged): a short notice, nothing changes."""
    query = update.callback_query
    assert query is not None
    await toast(query, context, Reply.of("fallback.stale-button"), alert=True)


def register(application: KannustinApplication) -> None:
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    application.add_handler(MessageHandler(private & filters.COMMAND, unknown_command), group=GROUP)
    application.add_handler(MessageHandler(private, anything_else), group=GROUP)
    in_group = filters.ChatType.GROUPS & filters.UpdateType.MESSAGE & filters.COMMAND
    application.add_handler(MessageHandler(in_group, command_in_group), group=GROUP)
    application.add_handler(CallbackQueryHandler(stale_button), group=GROUP)
