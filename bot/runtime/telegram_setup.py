"""What the bot tells Telegram about itself at start-up: command menus and descriptions."""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
)
from telegram.error import TelegramError

from bot.commands import COMMANDS, CommandSpec, menu_for_everyone
from bot.i18n import Translator
from bot.roles import ChatKind

log = logging.getLogger(__name__)

# The update kinds the bot asks for, both when polling and when setting a webhook.
ALLOWED_UPDATES: tuple[str, ...] = (
    "message",
    "edited_message",
    "callback_query",
    "my_chat_member",
    "chat_member",
    "message_reaction",
    "message_reaction_count",
)

_SCOPES: tuple[tuple[ChatKind, BotCommandScope], ...] = (
    (ChatKind.PRIVATE, BotCommandScopeAllPrivateChats()),
    (ChatKind.GROUP, BotCommandScopeAllGroupChats()),
)


def command_menu(
    translator: Translator,
    language: str,
    chat: ChatKind,
    commands: tuple[CommandSpec, ...] = COMMANDS,
) -> list[BotCommand]:
    return [
        BotCommand(spec.name, translator.text(language, spec.description_key))
        for spec in menu_for_everyone(chat, commands)
    ]


async def publish_bot_profile(bot: Bot, translator: Translator) -> None:
    """Localized command menus (private and group chats) and descriptions for fi, sv, en.

    The entry without a language code serves everyone whose app speaks another language,
    in the deployment's default language. Each call stands alone: a failure is logged and
    the rest still go out, because the bot works without a menu.
    """
    targets: list[str | None] = [None, *translator.languages()]
    for language_code in targets:
        language = language_code or translator.default
        for chat, scope in _SCOPES:
            await _quietly(
                bot.set_my_commands(
                    command_menu(translator, language, chat),
                    scope=scope,
                    language_code=language_code,
                ),
                f"{chat} commands ({language_code or 'default'})",
            )
        await _quietly(
            bot.set_my_description(
                translator.text(language, "bot.description"), language_code=language_code
            ),
            f"description ({language_code or 'default'})",
        )
        await _quietly(
            bot.set_my_short_description(
                translator.text(language, "bot.short-description"), language_code=language_code
            ),
            f"short description ({language_code or 'default'})",
        )


async def _quietly(call: Awaitable[object], what: str) -> None:
    try:
        await call
    except TelegramError as error:
        log.warning("could not publish the %s: %s", what, error)
