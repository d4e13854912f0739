"""Tips: /tip browses the library (staff) or gives one (participants); saving a broadcast
to the library; /review (approve, or reject with an optional reason written as the next
message) and /approval for coordinators. The screens are made in ``bot/services/tips.py``."""

from __future__ import annotations

import logging
import re

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.errors import DomainError
from bot.payload import content_from_json
from bot.replies import Reply
from bot.runtime.context import KannustinApplication, KannustinContext
from bot.runtime.outbox import deliver
from bot.services.broadcasts import SAVE_TO_LIBRARY
from bot.services.tips import (
    APPROVE,
    BACK,
    HOME,
    NO_REASON,
    REJECT,
    SAVE_LANGUAGE,
    SAVE_THEME,
    SEND,
    THEME,
    TOP,
    VIEW,
    view_menu,
)
from bot.settings import LANGUAGES
from content.library import Theme
from handlers.rendering import answer, show

log = logging.getLogger(__name__)

SAVE = SAVE_TO_LIBRARY  # lib:save:<broadcast>
REVIEW_NAMESPACE = "rv:"  # the review's buttons (approve, reject, no reason, back)
ANSWERS_GROUP = -1  # before the journeys: a reason asked for
AFTER_JOURNEYS = 1  # after the journeys: a question walked away from is closed

_KEY = r"(lib:[a-z0-9-]{1,48}|own:\d{1,9})"
_THEMES = "|".join(theme.value for theme in Theme)
_LANGUAGES = "|".join(LANGUAGES)
_NUMBER = re.compile(r"^#?\d{1,9}$")


# /tip ---------------------------------------------------------------------------------------


async def tip_command(update: Update, context: KannustinContext) -> None:
    """Staff browse the library; anyone else gets a tip for their group's week."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    asked = await context.services.tips.asked(user.id, context.speaks)
    if isinstance(asked, Reply):
        await answer(message, context, asked)
        return
    await deliver(context.bot, message.chat.id, asked, {}, outbox=False)


async def _view(
    message: Message, context: KannustinContext, user_id: int, key: str, language: str
) -> None:
    view = await context.services.tips.view(user_id, key)
    try:
        await deliver(context.bot, message.chat.id, view.content(language), {}, outbox=False)
    except TelegramError as error:
        log.warning("tip %s cannot be shown: %s", key, error)
        await answer(message, context, Reply.of("tip.cannot-show", number=key))
    await answer(message, context, view_menu(view, language))


async def tip_button(update: Update, context: KannustinContext) -> None:
    """The library's buttons: themes, pages, a tip in a language, the most liked, send."""
    query = update.callback_query
    assert query is not None and query.data is not None and isinstance(query.message, Message)
    user_id = query.from_user.id
    message = query.message
    data = query.data
    tips = context.services.tips
    if data == HOME:
        await show(message, context, await tips.home(user_id), edit=True)
    elif data == TOP:
        await show(message, context, await tips.top(user_id), edit=True)
    elif data.startswith(THEME):
        theme, page = data.removeprefix(THEME).split(":")
        await show(message, context, await tips.theme_page(user_id, theme, int(page)), edit=True)
    elif data.startswith(VIEW):
        key, _, language = data.removeprefix(VIEW).rpartition(":")
        if key in ("lib", "own"):  # no language given: the key's own colon split it
            key, language = data.removeprefix(VIEW), context.speaks
        await _view(message, context, user_id, key, language)
    elif data.startswith(SEND):
        targets = await tips.start_sending(user_id, data.removeprefix(SEND), context.speaks)
        await answer(message, context, targets)
    await query.answer()


# Saving a broadcast to the library -----------------------------------------------------------


def save_request(args: list[str]) -> int:
    """``N`` or ``#N``: the broadcast's number."""
    if len(args) != 1 or not _NUMBER.match(args[0]):
        raise DomainError("tip.save-usage")
    return int(args[0].lstrip("#"))


async def save_command(update: Update, context: KannustinContext) -> None:
    """/save N: offer broadcast N to the organisation's library."""
    message = update.effective_message
    assert message is not None
    number = save_request(list(context.args or []))
    assert update.effective_user is not None
    await answer(
        message, context, await context.services.tips.offer_saving(update.effective_user.id, number)
    )


async def save_button_pressed(update: Update, context: KannustinContext) -> None:
    """Saving to the library: the theme, then the language, then saved."""
    query = update.callback_query
    assert query is not None and query.data is not None and isinstance(query.message, Message)
    data = query.data
    message = query.message
    user_id = query.from_user.id
    tips = context.services.tips
    if data.startswith(SAVE):
        await answer(
            message, context, await tips.offer_saving(user_id, int(data.removeprefix(SAVE)))
        )
    elif data.startswith(SAVE_THEME):
        broadcast, theme = data.removeprefix(SAVE_THEME).split(":")
        await show(
            message, context, await tips.ask_language(user_id, int(broadcast), theme), edit=True
        )
    else:
        broadcast, theme, language = data.removeprefix(SAVE_LANGUAGE).split(":")
        saved = await tips.save(user_id, int(broadcast), theme, language)
        await show(message, context, saved, edit=True)
    await query.answer()


# Review (coordinators) -------------------------------------------------------------------------


async def review_command(update: Update, context: KannustinContext) -> None:
    """Pending contributions, each shown as it would be sent, with approve and reject."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    review = await context.services.tips.reviews(user.id)
    if isinstance(review, Reply):
        await answer(message, context, review)
        return
    await answer(message, context, review.header)
    for contribution, buttons in review.items:
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
            await answer(message, context, Reply.of("tip.cannot-show", number=contribution.id))
        await answer(message, context, buttons)


async def review_button(update: Update, context: KannustinContext) -> None:
    """Approve: approved, the author hears it. Reject: the reviewer is asked why (or presses
    no reason, or goes back to the card)."""
    query = update.callback_query
    assert query is not None and query.data is not None and isinstance(query.message, Message)
    prefix, number = query.data[: len(APPROVE)], int(query.data[len(APPROVE) :])
    tips = context.services.tips
    user_id = query.from_user.id
    if prefix == APPROVE:
        reply = await tips.approve(user_id, number)
    elif prefix == REJECT:
        reply = await tips.ask_reason(user_id, number)
    elif prefix == NO_REASON:
        reply = await tips.reject_without_reason(user_id, number)
    else:
        reply = await tips.back_to_review(user_id, number)
    await show(query.message, context, reply, edit=True)
    await query.answer()


async def reason_written(update: Update, context: KannustinContext) -> None:
    """A reviewer asked for a rejection's reason wrote it: the tip is rejected and its author
    told why (nothing else handles the message). Anyone else's message goes on as usual."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    reply = await context.services.tips.reason_written(user.id, message.text or "")
    if reply is None:
        return
    await answer(message, context, reply)
    raise ApplicationHandlerStop


async def something_else(update: Update, context: KannustinContext) -> None:
    """After any command or other button in the private chat: a rejection's reason is no
    longer awaited, so a later message is not taken for it."""
    user = update.effective_user
    if user is not None:
        await context.services.tips.close_question(user.id)


async def approval_command(update: Update, context: KannustinContext) -> None:
    """/approval on|off: whether instructors' contributions wait for review."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    review = approval_request(list(context.args or []))
    await answer(message, context, await context.services.tips.set_review(user.id, review))


def approval_request(args: list[str]) -> bool:
    """``on`` or ``off``: whether contributions wait for review."""
    words = [arg.lower() for arg in args]
    if words not in (["on"], ["off"]):
        raise DomainError("tip.approval-usage")
    return words[0] == "on"


# ---------------------------------------------------------------------------------------------


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
        CallbackQueryHandler(
            review_button, pattern=rf"^({APPROVE}|{REJECT}|{NO_REASON}|{BACK})\d{{1,9}}$"
        )
    )
    # a reason asked for is read before the journeys (which would take staff's text for a
    # broadcast)
    application.add_handler(
        MessageHandler(private & filters.TEXT & ~filters.COMMAND, reason_written),
        group=ANSWERS_GROUP,
    )
    # and a command or another button, once handled, closes the question
    application.add_handler(
        MessageHandler(private & filters.COMMAND, something_else), group=AFTER_JOURNEYS
    )
    application.add_handler(
        CallbackQueryHandler(something_else, pattern=rf"^(?!{REVIEW_NAMESPACE})"),
        group=AFTER_JOURNEYS,
    )
