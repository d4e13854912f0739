"""Composing a broadcast in the private chat: content, groups, preview, now or later;
/scheduled and /broadcasts."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    MessageReactionHandler,
    filters,
)

from bot.runtime.context import KannustinApplication, KannustinContext
from bot.runtime.outbox import deliver
from bot.services.broadcasts import (
    ALL,
    CANCEL,
    DONE,
    DROP,
    LATER,
    NOW,
    SCHEDULED_PAGE,
    START,
    TOGGLE,
)
from handlers.fallback import anything_else
from handlers.rendering import answer, content_of, pressed_label, send, show, spend, spent


async def begin(update: Update, context: KannustinContext) -> None:
    """Asks for the content to send."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    await answer(message, context, await context.services.broadcasts.begin(user.id))


async def content_received(update: Update, context: KannustinContext) -> None:
    """Staff's content becomes a draft (album items are gathered); a time is read when one
    was asked for. Anyone else gets the usual pointer to /help."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    broadcasts = context.services.broadcasts
    if not await broadcasts.may_broadcast(user.id):
        await anything_else(update, context)
        return
    reply = await broadcasts.received(
        user.id, content_of(message), text=message.text, album=message.media_group_id
    )
    if reply is not None:
        await answer(message, context, reply)


async def button(update: Update, context: KannustinContext) -> None:
    """The composing buttons: start, tick a group, all, next (preview), now, later, cancel.
    The preview's buttons are spent once pressed: a second press does nothing."""
    query = update.callback_query
    assert query is not None and query.data is not None and isinstance(query.message, Message)
    if query.data in (NOW, LATER, DROP) and await spent(query, context):
        return
    user_id = query.from_user.id
    broadcasts = context.services.broadcasts
    data = query.data
    message = query.message
    if data == START:
        await show(message, context, await broadcasts.targets(user_id), edit=True)
    elif data.startswith(TOGGLE) or data == ALL:
        group_id = None if data == ALL else int(data.removeprefix(TOGGLE))
        await broadcasts.toggle_target(user_id, group_id)
        await show(message, context, await broadcasts.targets(user_id), edit=True)
    elif data == DONE:
        preview = await broadcasts.preview(user_id)  # a refusal is an alert on the press
        await query.answer()  # before the sends: the spinner stops while they go out
        await deliver(context.bot, message.chat.id, preview.content, {}, outbox=False)
        await answer(message, context, preview.choice)
        return
    elif data in (NOW, LATER):
        label = pressed_label(query) or ""
        reply = await (
            broadcasts.send_and_confirm(user_id, None)
            if data == NOW
            else broadcasts.ask_time(user_id)
        )
        await answer(message, context, reply)
        await spend(query, label)
    elif data == DROP:
        await show(message, context, await broadcasts.discard(user_id), edit=True)
    await query.answer()


async def list_scheduled(update: Update, context: KannustinContext) -> None:
    """Scheduled broadcasts, each with a button that cancels it."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    await answer(message, context, await context.services.broadcasts.scheduled_listing(user.id))


async def scheduled_page(update: Update, context: KannustinContext) -> None:
    """Another page of /scheduled, in place of the message."""
    query = update.callback_query
    assert query is not None and query.data is not None and isinstance(query.message, Message)
    page = int(query.data.removeprefix(SCHEDULED_PAGE))
    reply = await context.services.broadcasts.scheduled_listing(query.from_user.id, page)
    await show(query.message, context, reply, edit=True)
    await query.answer()


async def cancel_scheduled(update: Update, context: KannustinContext) -> None:
    """Cancels a scheduled broadcast; it will never be sent."""
    query = update.callback_query
    assert query is not None and query.data is not None and query.message is not None
    said = await context.services.broadcasts.cancel(
        query.from_user.id, int(query.data.removeprefix(CANCEL))
    )
    await send(context, query.message.chat.id, said)
    await query.answer()


async def list_recent(update: Update, context: KannustinContext) -> None:
    """Recent broadcasts and how each was delivered."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    await answer(message, context, await context.services.broadcasts.recent_listing(user.id))


async def reaction(update: Update, context: KannustinContext) -> None:
    """Counts reactions on the bot's messages (metadata only)."""
    services = context.services.broadcasts
    if update.message_reaction is not None:
        change = update.message_reaction
        await services.reaction_changed(
            change.chat.id, change.message_id, len(change.old_reaction), len(change.new_reaction)
        )
    elif update.message_reaction_count is not None:
        counted = update.message_reaction_count
        total = sum(item.total_count for item in counted.reactions)
        await services.reactions_counted(counted.chat.id, counted.message_id, total)


async def reply_to_bot(update: Update, context: KannustinContext) -> None:
    """Counts replies to the bot's messages in a group; the reply's text is not read."""
    message = update.effective_message
    assert message is not None and message.reply_to_message is not None
    original = message.reply_to_message
    if original.from_user is not None and original.from_user.id == context.bot.id:
        await context.services.broadcasts.replied(message.chat.id, original.message_id)


def register(application: KannustinApplication) -> None:
    private = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("broadcast", begin, filters=private))
    application.add_handler(CommandHandler("scheduled", list_scheduled, filters=private))
    application.add_handler(CommandHandler("broadcasts", list_recent, filters=private))
    content = (
        filters.TEXT
        | filters.PHOTO
        | filters.VIDEO
        | filters.ANIMATION
        | filters.VOICE
        | filters.AUDIO
        | filters.Document.ALL
    )
    application.add_handler(MessageHandler(private & ~filters.COMMAND & content, content_received))
    application.add_handler(
        CallbackQueryHandler(
            button, pattern=rf"^({TOGGLE}\d{{1,9}}|{ALL}|{DONE}|{NOW}|{LATER}|{DROP}|{START})$"
        )
    )
    application.add_handler(CallbackQueryHandler(cancel_scheduled, pattern=rf"^{CANCEL}\d{{1,9}}$"))
    application.add_handler(
        CallbackQueryHandler(scheduled_page, pattern=rf"^{SCHEDULED_PAGE}\d{{1,4}}$")
    )
    application.add_handler(MessageReactionHandler(reaction))
    application.add_handler(
        MessageHandler(
            filters.ChatType.GROUPS & filters.REPLY & filters.UpdateType.MESSAGE, reply_to_bot
        )
    )
