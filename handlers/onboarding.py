"""First contact: /start (with deep links), /help and /language."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.replies import Reply
from bot.roles import ChatKind
from bot.runtime.context import KannustinApplication, KannustinContext
from bot.services.people import LANGUAGE_CALLBACK
from bot.services.people import language_menu as menu
from handlers.rendering import answer, edit_pressed


async def start(update: Update, context: KannustinContext) -> None:
    """A warm welcome; a deep link's payload is handed to whoever registered its prefix."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    if context.args and context.person is not None:
        outcome = await context.services.deep_links.open(
            context.person, context.args[0], user.full_name
        )
        await answer(message, context, outcome)
        return
    await answer(message, context, Reply.of("start.welcome", name=user.first_name))


async def help_command(update: Update, context: KannustinContext) -> None:
    """The commands this person may use here, each with one line on what it does."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    chat = ChatKind.PRIVATE if message.chat.type == ChatType.PRIVATE else ChatKind.GROUP
    await answer(message, context, await context.services.people.help_for(user.id, chat))


async def language_menu(update: Update, context: KannustinContext) -> None:
    """Buttons for Suomi, Svenska and English."""
    message = update.effective_message
    assert message is not None
    await answer(message, context, menu())


async def language_chosen(update: Update, context: KannustinContext) -> None:
    """Stores the choice and confirms it in the chosen language."""
    query = update.callback_query
    assert query is not None and query.data is not None
    code = query.data.removeprefix(LANGUAGE_CALLBACK)
    person = await context.services.people.choose_language(query.from_user.id, code)
    context.person = person
    context.language = person.language
    await edit_pressed(query, context, Reply.of("language.changed"))
    await query.answer()


def register(application: KannustinApplication) -> None:
    # Edited commands are not commands again: only new messages count.
    new = filters.UpdateType.MESSAGE
    private = new & filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("start", start, filters=private))
    application.add_handler(CommandHandler("help", help_command, filters=new))
    application.add_handler(CommandHandler("language", language_menu, filters=private))
    application.add_handler(CallbackQueryHandler(language_chosen, pattern=f"^{LANGUAGE_CALLBACK}"))
