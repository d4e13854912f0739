"""Tips: /tip browses the library (staff) or gives one (participants); saving a broadcast
to the library; /review and /approval for coordinators."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.errors import DomainError
from bot.payload import content_from_json
from bot.runtime.context import KannustinApplication, KannustinContext
from bot.runtime.outbox import deliver
from bot.services.tips import PAGE, THEME_NAMES
from bot.settings import LANGUAGES
from content.library import Theme
from handlers.broadcast import SAVE_TO_LIBRARY, show_targets
from handlers.rendering import show
from storage.states import ContributionStatus

log = logging.getLogger(__name__)

HOME = "tip:h"
TOP = "tip:top"
THEME = "tip:t:"  # tip:t:<theme>:<page>
VIEW = "tip:v:"  # tip:v:<key>[:<language>]
SEND = "tip:s:"  # tip:s:<key>
SAVE = SAVE_TO_LIBRARY  # lib:save:<broadcast>
SAVE_THEME = "lib:th:"  # lib:th:<broadcast>:<theme>
SAVE_LANGUAGE = "lib:lg:"  # lib:lg:<broadcast>:<theme>:<language>
APPROVE = "rv:a:"
REJECT = "rv:r:"

_KEY = r"(lib:[a-z0-9-]{1,48}|own:\d{1,9})"
_THEMES = "|".join(theme.value for theme in Theme)
_LANGUAGES = "|".join(LANGUAGES)
_FLAGS = {"fi": "🇫🇮 suomi", "sv": "🇸🇪 svenska", "en": "🇬🇧 English"}


# /tip ---------------------------------------------------------------------------------------


async def tip_command(update: Update, context: KannustinContext) -> None:
    """Staff browse the library; anyone else gets a tip for their group's week."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    if await context.services.broadcasts.may_broadcast(user.id):
        await _home(message, context, user.id, edit=False)
        return
    content = await context.services.tips.for_participant(user.id, context.speaks)
    await deliver(context.bot, message.chat.id, content, {}, outbox=False)


async def _home(message: Message, context: KannustinContext, user_id: int, *, edit: bool) -> None:
    themes = await context.services.tips.themes(user_id)
    buttons = [
        InlineKeyboardButton(
            f"{context.t(THEME_NAMES[theme])} ({count})",
            callback_data=f"{THEME}{theme.value}:0",
        )
        for theme, count in themes
    ]
    rows = [buttons[index : index + 2] for index in range(0, len(buttons), 2)]
    rows.append([InlineKeyboardButton(context.t("tip.top-button"), callback_data=TOP)])
    await show(message, context.t("tip.home"), InlineKeyboardMarkup(rows), edit=edit)


async def _theme(
    message: Message, context: KannustinContext, user_id: int, theme: str, page: int
) -> None:
    views = await context.services.tips.in_theme(user_id, theme)
    pages = max(1, -(-len(views) // PAGE))
    page = min(max(page, 0), pages - 1)
    shown = views[page * PAGE : (page + 1) * PAGE]
    rows = [
        [InlineKeyboardButton(view.label(context.speaks), callback_data=f"{VIEW}{view.key}")]
        for view in shown
    ]
    paging = []
    if page > 0:
        paging.append(InlineKeyboardButton("◀️", callback_data=f"{THEME}{theme}:{page - 1}"))
    if page < pages - 1:
        paging.append(InlineKeyboardButton("▶️", callback_data=f"{THEME}{theme}:{page + 1}"))
    if paging:
        rows.append(paging)
    rows.append([InlineKeyboardButton(context.t("tip.back-button"), callback_data=HOME)])
    text = context.t(
        "tip.theme-header", theme=_theme_name(context, theme), page=page + 1, pages=pages
    )
    await show(message, text, InlineKeyboardMarkup(rows), edit=True)


async def _view(
    message: Message, context: KannustinContext, user_id: int, key: str, language: str
) -> None:
    view = await context.services.tips.view(user_id, key)
    try:
        await deliver(context.bot, message.chat.id, view.content(language), {}, outbox=False)
    except TelegramError as error:
        log.warning("tip %s cannot be shown: %s", key, error)
        await message.reply_text(context.t("tip.cannot-show", number=key))
    rows = []
    if not view.own:
        rows.append(
            [
                InlineKeyboardButton(_FLAGS[code], callback_data=f"{VIEW}{key}:{code}")
                for code in LANGUAGES
                if code != language
            ]
        )
    rows.append([InlineKeyboardButton(context.t("tip.send-button"), callback_data=f"{SEND}{key}")])
    rows.append(
        [InlineKeyboardButton(context.t("tip.back-button"), callback_data=f"{THEME}{view.theme}:0")]
    )
    note = "tip.own-note" if view.own else "tip.curated-note"
    await message.reply_text(
        context.t(note, theme=_theme_name(context, view.theme)),
        reply_markup=InlineKeyboardMarkup(rows),
    )


async def _top(message: Message, context: KannustinContext, user_id: int) -> None:
    liked = await context.services.tips.popular(user_id)
    if not liked:
        rows = [[InlineKeyboardButton(context.t("tip.back-button"), callback_data=HOME)]]
        await show(message, context.t("tip.top-none"), InlineKeyboardMarkup(rows), edit=True)
        return
    lines = [context.t("tip.top-header")]
    rows = []
    for number, (view, seen) in enumerate(liked, start=1):
        lines.append(
            context.t(
                "tip.top-line",
                number=number,
                tip=view.label(context.speaks, width=60),
                groups=seen.sent,
                reactions=seen.reactions,
                replies=seen.replies,
                requested=seen.requested,
            )
        )
        rows.append(
            [
                InlineKeyboardButton(
                    f"{number}. {view.label(context.speaks)}", callback_data=f"{VIEW}{view.key}"
                )
            ]
        )
    rows.append([InlineKeyboardButton(context.t("tip.back-button"), callback_data=HOME)])
    await show(message, "\n".join(lines), InlineKeyboardMarkup(rows), edit=True)


async def tip_button(update: Update, context: KannustinContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None and isinstance(query.message, Message)
    user_id = query.from_user.id
    message = query.message
    data = query.data
    if data == HOME:
        await _home(message, context, user_id, edit=True)
    elif data == TOP:
        await _top(message, context, user_id)
    elif data.startswith(THEME):
        theme, page = data.removeprefix(THEME).split(":")
        await _theme(message, context, user_id, theme, int(page))
    elif data.startswith(VIEW):
        key, _, language = data.removeprefix(VIEW).rpartition(":")
        if key in ("lib", "own"):  # no language given: the key's own colon split it
            key, language = data.removeprefix(VIEW), context.speaks
        await _view(message, context, user_id, key, language)
    elif data.startswith(SEND):
        await context.services.tips.start_sending(user_id, data.removeprefix(SEND), context.speaks)
        await show_targets(message, context, user_id, edit=False)
    await query.answer()


# Saving a broadcast to the library -----------------------------------------------------------


async def save_command(update: Update, context: KannustinContext) -> None:
    """/save N: offer broadcast N to the organisation's library."""
    message = update.effective_message
    assert message is not None
    args = context.args or []
    if len(args) != 1 or not args[0].lstrip("#").isdigit() or len(args[0]) > 10:
        raise DomainError("tip.save-usage")
    assert update.effective_user is not None
    number = int(args[0].lstrip("#"))
    await context.services.tips.check_saveable(update.effective_user.id, number)
    await _ask_theme(message, context, number, edit=False)


async def _ask_theme(
    message: Message, context: KannustinContext, broadcast_id: int, *, edit: bool
) -> None:
    buttons = [
        InlineKeyboardButton(
            context.t(THEME_NAMES[theme]),
            callback_data=f"{SAVE_THEME}{broadcast_id}:{theme.value}",
        )
        for theme in Theme
    ]
    rows = [buttons[index : index + 2] for index in range(0, len(buttons), 2)]
    text = context.t("tip.save-theme", number=broadcast_id)
    await show(message, text, InlineKeyboardMarkup(rows), edit=edit)


async def save_button_pressed(update: Update, context: KannustinContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None and isinstance(query.message, Message)
    data = query.data
    message = query.message
    tips = context.services.tips
    if data.startswith(SAVE):
        number = int(data.removeprefix(SAVE))
        await tips.check_saveable(query.from_user.id, number)
        await _ask_theme(message, context, number, edit=False)
    elif data.startswith(SAVE_THEME):
        broadcast, theme = data.removeprefix(SAVE_THEME).split(":")
        await tips.check_saveable(query.from_user.id, int(broadcast))
        rows = [
            [
                InlineKeyboardButton(
                    _FLAGS[code], callback_data=f"{SAVE_LANGUAGE}{broadcast}:{theme}:{code}"
                )
                for code in LANGUAGES
            ]
        ]
        await show(message, context.t("tip.save-language"), InlineKeyboardMarkup(rows), edit=True)
    else:
        broadcast, theme, language = data.removeprefix(SAVE_LANGUAGE).split(":")
        contribution = await context.services.tips.contribute(
            query.from_user.id, int(broadcast), theme, language
        )
        key = (
            "tip.saved-shared"
            if contribution.status == ContributionStatus.APPROVED
            else "tip.saved-pending"
        )
        await show(
            message,
            context.t(key, number=contribution.id, theme=_theme_name(context, theme)),
            None,
            edit=True,
        )
    await query.answer()


# Review (coordinators) -------------------------------------------------------------------------


async def review_command(update: Update, context: KannustinContext) -> None:
    """Pending contributions, each shown as it would be sent, with approve and reject."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    pending = await context.services.tips.pending(user.id)
    if not pending:
        await message.reply_text(context.t("tip.review-none"))
        return
    await message.reply_text(context.t("tip.review-header", count=len(pending)))
    for contribution, author in pending[:10]:
        try:
            await deliver(
                context.bot,
                message.chat.id,
                content_from_json(contribution.content),
                {},
                outbox=False,
            )
        except TelegramError as error:  # a file Telegram no longer has: it can still be rejected
            log.warning("contribution %d cannot be shown: %s", contribution.id, error)
            await message.reply_text(context.t("tip.cannot-show", number=contribution.id))
        buttons = [
            InlineKeyboardButton(
                context.t("tip.approve-button"), callback_data=f"{APPROVE}{contribution.id}"
            ),
            InlineKeyboardButton(
                context.t("tip.reject-button"), callback_data=f"{REJECT}{contribution.id}"
            ),
        ]
        await message.reply_text(
            context.t(
                "tip.review-item",
                number=contribution.id,
                author=author,
                theme=_theme_name(context, contribution.theme),
                language=_FLAGS[contribution.language],
            ),
            reply_markup=InlineKeyboardMarkup([buttons]),
        )


async def review_button(update: Update, context: KannustinContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None and isinstance(query.message, Message)
    approve = query.data.startswith(APPROVE)
    number = int(query.data.removeprefix(APPROVE if approve else REJECT))
    reviewed = await context.services.tips.review(query.from_user.id, number, approve)
    key = "tip.approved" if reviewed.status == ContributionStatus.APPROVED else "tip.rejected"
    await show(query.message, context.t(key, number=number), None, edit=True)
    await query.answer()


async def approval_command(update: Update, context: KannustinContext) -> None:
    """/approval on|off: whether instructors' contributions wait for review."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    args = [arg.lower() for arg in context.args or []]
    if args not in (["on"], ["off"]):
        raise DomainError("tip.approval-usage")
    name = await context.services.tips.set_review(user.id, args[0] == "on")
    key = "tip.approval-on" if args[0] == "on" else "tip.approval-off"
    await message.reply_text(context.t(key, organisation=name))


# ---------------------------------------------------------------------------------------------


def _theme_name(context: KannustinContext, theme: str) -> str:
    return context.t(THEME_NAMES[Theme(theme)])


def register(application: KannustinApplication) -> None:
    private = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("tip", tip_command, filters=private))
    application.add_handler(CommandHandler("save", save_command, filters=private))
    application.add_handler(CommandHandler("review", review_command, filters=private))
    application.add_handler(CommandHandler("approval", approval_command, filters=private))
    application.add_handler(
        CallbackQueryHandler(
            tip_button,
            pattern=(
                rf"^({HOME}|{TOP}|{THEME}({_THEMES}):\d{{1,3}}"
                rf"|{VIEW}{_KEY}(:({_LANGUAGES}))?|{SEND}{_KEY})$"
            ),
        )
    )
    application.add_handler(
        CallbackQueryHandler(
            save_button_pressed,
            pattern=(
                rf"^({SAVE}\d{{1,9}}|{SAVE_THEME}\d{{1,9}}:({_THEMES})"
                rf"|{SAVE_LANGUAGE}\d{{1,9}}:({_THEMES}):({_LANGUAGES}))$"
            ),
        )
    )
    application.add_handler(
        CallbackQueryHandler(review_button, pattern=rf"^({APPROVE}|{REJECT})\d{{1,9}}$")
    )
