"""Composing a broadcast in the private chat: content, groups, preview, now or later;
/scheduled and /broadcasts."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    MessageReactionHandler,
    filters,
)

from bot.errors import DomainError
from bot.payload import MediaContent, TextContent, content_from_json
from bot.runtime.context import KannustinApplication, KannustinContext
from bot.runtime.outbox import deliver
from bot.services.broadcasts import AnyContent
from bot.when import format_for_groups
from handlers.fallback import anything_else
from handlers.rendering import show
from storage.states import DraftStep

TOGGLE = "bc:t:"
ALL = "bc:all"
DONE = "bc:done"
NOW = "bc:now"
LATER = "bc:later"
DROP = "bc:drop"
START = "bc:start"
CANCEL = "bc:x:"
SAVE_TO_LIBRARY = "lib:save:"  # handled by the tips journey


def content_of(message: Message) -> AnyContent | None:
    """The broadcastable content of a message, as Telegram holds it (file ids, entities)."""
    entities = [entity.to_dict() for entity in message.caption_entities or ()]
    caption = message.caption
    if message.text:
        return TextContent(text=message.text, entities=[e.to_dict() for e in message.entities])
    if message.photo:
        return MediaContent(
            kind="photo",
            file_id=message.photo[-1].file_id,
            caption=caption,
            caption_entities=entities,
        )
    for kind in ("video", "animation", "voice", "audio", "document"):
        attachment = getattr(message, kind)
        if attachment is not None:
            return MediaContent(
                kind=kind, file_id=attachment.file_id, caption=caption, caption_entities=entities
            )
    return None


async def begin(update: Update, context: KannustinContext) -> None:
    """Asks for the content to send."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    await context.services.broadcasts.begin(user.id)
    await message.reply_text(context.t("broadcast.send-content"))


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
    draft = await broadcasts.draft(user.id)
    if draft is not None and draft.step == DraftStep.TIME and message.text:
        await _send(message, context, user.id, message.text)
        return
    content = content_of(message)
    if content is None:
        await message.reply_text(context.t("broadcast.unsupported"))
        return
    explicit = draft is not None and draft.step == DraftStep.CONTENT
    draft, fresh = await broadcasts.take_content(user.id, content, message.media_group_id)
    if not fresh:
        return  # another item of the same album
    if explicit:
        await show_targets(message, context, user.id, edit=False)
    else:
        button = InlineKeyboardButton(context.t("broadcast.to-groups-button"), callback_data=START)
        await message.reply_text(
            context.t("broadcast.offer"), reply_markup=InlineKeyboardMarkup([[button]])
        )


async def show_targets(
    message: Message, context: KannustinContext, user_id: int, *, edit: bool
) -> None:
    broadcasts = context.services.broadcasts
    groups = await broadcasts.targets_for(user_id)
    if not groups:
        raise DomainError("broadcast.no-groups")
    draft = await broadcasts.draft(user_id)
    chosen = set(draft.target_ids) if draft else set()
    rows = [
        [
            InlineKeyboardButton(
                ("✅ " if group.id in chosen else "⬜ ") + group.name,
                callback_data=f"{TOGGLE}{group.id}",
            )
        ]
        for group in groups
    ]
    rows.append([InlineKeyboardButton(context.t("broadcast.all-button"), callback_data=ALL)])
    rows.append(
        [
            InlineKeyboardButton(context.t("broadcast.next-button"), callback_data=DONE),
            InlineKeyboardButton(context.t("broadcast.cancel-button"), callback_data=DROP),
        ]
    )
    text = context.t("broadcast.choose-groups", chosen=len(chosen))
    await show(message, text, InlineKeyboardMarkup(rows), edit=edit)


async def button(update: Update, context: KannustinContext) -> None:
    """The composing buttons: start, tick a group, all, next (preview), now, later, cancel."""
    query = update.callback_query
    assert query is not None and query.data is not None and isinstance(query.message, Message)
    user_id = query.from_user.id
    broadcasts = context.services.broadcasts
    data = query.data
    message = query.message
    if data == START:
        await show_targets(message, context, user_id, edit=True)
    elif data.startswith(TOGGLE) or data == ALL:
        group_id = None if data == ALL else int(data.removeprefix(TOGGLE))
        await broadcasts.toggle_target(user_id, group_id)
        await show_targets(message, context, user_id, edit=True)
    elif data == DONE:
        await _preview(message, context, user_id)
    elif data == NOW:
        await _send(message, context, user_id, None)
    elif data == LATER:
        await broadcasts.ask_time(user_id)
        await message.reply_text(context.t("broadcast.ask-time"))
    elif data == DROP:
        await broadcasts.discard(user_id)
        await message.edit_text(context.t("broadcast.discarded"))
    await query.answer()


async def _preview(message: Message, context: KannustinContext, user_id: int) -> None:
    broadcasts = context.services.broadcasts
    draft = await broadcasts.draft(user_id)
    if draft is None or draft.content == "{}":
        raise DomainError("broadcast.no-draft")
    if not draft.target_ids:
        raise DomainError("broadcast.no-targets")
    groups = {group.id: group for group in await broadcasts.targets_for(user_id)}
    names = ", ".join(groups[group_id].name for group_id in draft.target_ids if group_id in groups)
    header = "broadcast.preview-header-tip" if draft.tip else "broadcast.preview-header"
    await message.reply_text(context.t(header))
    await deliver(context.bot, message.chat.id, content_from_json(draft.content), {}, outbox=False)
    buttons = [
        [InlineKeyboardButton(context.t("broadcast.now-button"), callback_data=NOW)],
        [InlineKeyboardButton(context.t("broadcast.later-button"), callback_data=LATER)],
        [InlineKeyboardButton(context.t("broadcast.cancel-button"), callback_data=DROP)],
    ]
    await message.reply_text(
        context.t("broadcast.confirm", groups=names, count=len(draft.target_ids)),
        reply_markup=InlineKeyboardMarkup(buttons),
    )


async def _send(
    message: Message, context: KannustinContext, user_id: int, when: str | None
) -> None:
    broadcast, groups = await context.services.broadcasts.send_draft(user_id, when)
    # one's own content can be kept in the organisation's tip library
    save = (
        None
        if broadcast.tip is not None
        else InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        context.t("tip.save-button"),
                        callback_data=f"{SAVE_TO_LIBRARY}{broadcast.id}",
                    )
                ]
            ]
        )
    )
    if when is None:
        await message.reply_text(
            context.t("broadcast.sending", count=len(groups), number=broadcast.id),
            reply_markup=save,
        )
        return
    zones = [group.timezone for group in groups] or [context.services.settings.timezone]
    await message.reply_text(
        context.t(
            "broadcast.scheduled",
            count=len(groups),
            number=broadcast.id,
            when=format_for_groups(broadcast.send_at, zones),
        ),
        reply_markup=save,
    )


async def list_scheduled(update: Update, context: KannustinContext) -> None:
    """Scheduled broadcasts, each with a button that cancels it."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    summaries = await context.services.broadcasts.scheduled_for(user.id)
    if not summaries:
        await message.reply_text(context.t("broadcast.none-scheduled"))
        return
    lines = [context.t("broadcast.scheduled-header")]
    buttons = []
    for summary in summaries:
        broadcast = summary.broadcast
        lines.append(
            context.t(
                "broadcast.scheduled-line",
                number=broadcast.id,
                when=format_for_groups(broadcast.send_at, summary.timezones),
                groups=", ".join(summary.group_names),
            )
        )
        buttons.append(
            [
                InlineKeyboardButton(
                    context.t("broadcast.cancel-scheduled-button", number=broadcast.id),
                    callback_data=f"{CANCEL}{broadcast.id}",
                )
            ]
        )
    await message.reply_text("\n".join(lines), reply_markup=InlineKeyboardMarkup(buttons))


async def cancel_scheduled(update: Update, context: KannustinContext) -> None:
    """Cancels a scheduled broadcast; it will never be sent."""
    query = update.callback_query
    assert query is not None and query.data is not None and query.message is not None
    broadcast = await context.services.broadcasts.cancel(
        query.from_user.id, int(query.data.removeprefix(CANCEL))
    )
    await context.bot.send_message(
        query.message.chat.id, context.t("broadcast.cancelled", number=broadcast.id)
    )
    await query.answer()


async def list_recent(update: Update, context: KannustinContext) -> None:
    """Recent broadcasts and how each was delivered."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    summaries = await context.services.broadcasts.recent_for(user.id)
    if not summaries:
        await message.reply_text(context.t("broadcast.none-sent"))
        return
    lines = [context.t("broadcast.recent-header")]
    for summary in summaries:
        lines.append(
            context.t(
                "broadcast.recent-line",
                number=summary.broadcast.id,
                when=format_for_groups(summary.broadcast.send_at, summary.timezones),
                sent=summary.tally.sent,
                total=summary.tally.total,
                reactions=summary.reactions,
                replies=summary.replies,
            )
        )
    await message.reply_text("\n".join(lines))


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
            button, pattern=rf"^(bc:t:\d{{1,9}}|{ALL}|{DONE}|{NOW}|{LATER}|{DROP}|{START})$"
        )
    )
    application.add_handler(CallbackQueryHandler(cancel_scheduled, pattern=rf"^{CANCEL}\d{{1,9}}$"))
    application.add_handler(MessageReactionHandler(reaction))
    application.add_handler(
        MessageHandler(
            filters.ChatType.GROUPS & filters.REPLY & filters.UpdateType.MESSAGE, reply_to_bot
        )
    )
