"""Turning a service's ``Reply`` into Telegram text and buttons in the reader's language."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest

from bot.replies import Reply
from bot.runtime.context import KannustinContext


def keyboard(context: KannustinContext, reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(context.render(button.label), callback_data=button.data)
                if button.data is not None
                else InlineKeyboardButton(context.render(button.label), url=button.url)
                for button in row
            ]
            for row in reply.buttons
        ]
    )


async def answer(message: Message, context: KannustinContext, reply: Reply) -> Message:
    """Reply in the same chat."""
    return await message.reply_text(
        context.render(reply.text), reply_markup=keyboard(context, reply)
    )


def command_text(message: Message) -> str:
    """What follows the command, whitespace kept (``/neworg  Espoon  kaupunki``)."""
    text = message.text or ""
    _, _, rest = text.partition(" ")
    return rest.strip()


async def show(
    message: Message, text: str, markup: InlineKeyboardMarkup | None, *, edit: bool
) -> None:
    """Edit the message under a button (a double tap that changes nothing is fine), or
    answer with a new one."""
    if not edit:
        await message.reply_text(text, reply_markup=markup)
        return
    try:
        await message.edit_text(text, reply_markup=markup)
    except BadRequest as error:
        if "not modified" not in error.message:
            raise
