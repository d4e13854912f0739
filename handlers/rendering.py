"""Turning a service's ``Reply`` into Telegram text and buttons in the reader's language: the
one place that builds the keyboards of replies (a message waiting in the outbox keeps its
buttons as stored ``OutboxButton``s, which the sender turns into a keyboard when it sends).
A text longer than a message may be is cut at a line, with "…".

A button that has done its work is spent (``spend``): its keyboard leaves the message and
the choice made stays in the text ("✓ 8", "✓ Send now"), so the chat shows what was
chosen and nothing still looks pressable. A press whose button the message no longer
carries (``spent``: a second tap, a replayed or forged press; Telegram sends the message
as it is now with every press) changes nothing and gets a short friendly notice."""

from __future__ import annotations

import logging

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    WebAppInfo,
)
from telegram.error import BadRequest

from bot.deeplinks import start_link
from bot.i18n import Text, Words
from bot.payload import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    MediaContent,
    TextContent,
    fit_text,
    telegram_length,
)
from bot.replies import Button, File, Reply
from bot.runtime.context import KannustinContext
from bot.runtime.updates import stepping_aside

log = logging.getLogger(__name__)


def render(context: KannustinContext, words: Words, language: str | None = None) -> str:
    """``words`` in ``language``, else in the reader's."""
    return context.services.translator.render(language or context.language, words)


def text_of(context: KannustinContext, reply: Reply) -> str:
    return fit_text(render(context, reply.text, reply.language), TEXT_LIMIT)


def keyboard(context: KannustinContext, reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [[_button(context, button, reply.language) for button in row] for row in reply.buttons]
    )


def _button(
    context: KannustinContext, button: Button, language: str | None
) -> InlineKeyboardButton:
    label = render(context, button.label, language)
    if button.data is not None:
        return InlineKeyboardButton(label, callback_data=button.data)
    if button.start is not None:
        return InlineKeyboardButton(label, url=start_link(context.bot.username, button.start))
    if button.web_app is not None:
        return InlineKeyboardButton(label, web_app=WebAppInfo(button.web_app))
    return InlineKeyboardButton(label, url=button.url)


async def answer(
    message: Message, context: KannustinContext, reply: Reply, *, quoted: bool = False
) -> Message:
    """Reply in the same chat (``quoted``: as a reply to the message, which Telegram then
    hands back with every press of the answer's buttons)."""
    return await message.reply_text(
        text_of(context, reply), reply_markup=keyboard(context, reply), do_quote=quoted
    )


async def send(context: KannustinContext, chat_id: int, reply: Reply) -> Message:
    """Say it in ``chat_id`` (a group, or the person's private chat)."""
    return await context.bot.send_message(
        chat_id, text_of(context, reply), reply_markup=keyboard(context, reply)
    )


async def edit_pressed(query: CallbackQuery, context: KannustinContext, reply: Reply) -> None:
    """The message under the pressed button now says this."""
    await query.edit_message_text(text_of(context, reply), reply_markup=keyboard(context, reply))


async def toast(
    query: CallbackQuery, context: KannustinContext, reply: Reply, *, alert: bool = False
) -> None:
    """Answer the button press with a short notice over the chat (an alert to dismiss, if
    ``alert``)."""
    await query.answer(text_of(context, reply), show_alert=alert)


def pressed_label(query: CallbackQuery) -> str | None:
    """The label of the pressed button as the message shows it now; None when the message
    no longer carries a button with the pressed data (used already, or never there)."""
    message = query.message
    if not isinstance(message, Message):
        return ""  # too old for Telegram to show: the service's own rules decide
    markup = message.reply_markup
    for row in markup.inline_keyboard if markup is not None else ():
        for button in row:
            if button.callback_data == query.data:
                return button.text
    return None


async def spent(query: CallbackQuery, context: KannustinContext) -> bool:
    """Whether the press is on a button that has been used (or was never offered on this
    message); if so, the presser is told so and nothing else happens."""
    if pressed_label(query) is not None:
        return False
    await query.answer(render(context, Text("button.spent")))
    return True


async def spend(query: CallbackQuery, chosen: str) -> None:
    """The pressed message's buttons are gone and the choice stays in its text (a
    message with a caption, or one too long for the mark, just loses its buttons)."""
    message = query.message
    if not isinstance(message, Message):
        return
    marked = f"{message.text}\n\n✓ {chosen}" if message.text else ""
    try:
        # a look that changes, not an answer: others' updates may have this worker meanwhile
        async with stepping_aside():
            if message.text and telegram_length(marked) <= TEXT_LIMIT:
                # appended at the end: the formatting of the text before keeps its offsets
                await query.edit_message_text(marked, entities=message.entities or None)
            elif message.reply_markup is not None:
                await query.edit_message_reply_markup(None)
    except BadRequest as error:
        # the choice is made either way: a message deleted or too old to edit keeps its look
        log.info("a used button's message was not edited: %s", error.message)


async def show(message: Message, context: KannustinContext, reply: Reply, *, edit: bool) -> None:
    """Edit the message under a button (a double tap that changes nothing is fine), or
    answer with a new one."""
    if not edit:
        await answer(message, context, reply)
        return
    try:
        await message.edit_text(text_of(context, reply), reply_markup=keyboard(context, reply))
    except BadRequest as error:
        if "not modified" not in error.message:
            raise


async def hand_over(message: Message, context: KannustinContext, file: File) -> None:
    """Send the file in the same chat."""
    await message.reply_document(
        file.data, filename=file.filename, caption=caption_of(context, file.caption)
    )


def caption_of(context: KannustinContext, words: Words) -> str:
    """``words`` in the reader's language, cut to what a caption may hold."""
    return fit_text(render(context, words), CAPTION_LIMIT)


def command_text(message: Message) -> str:
    """What follows the command, whitespace kept (``/neworg  Espoon  kaupunki``)."""
    text = message.text or ""
    _, _, rest = text.partition(" ")
    return rest.strip()


def content_of(message: Message) -> TextContent | MediaContent | None:
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
