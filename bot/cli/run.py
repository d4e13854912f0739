"""``kannustin run``, ``check`` and ``migrate``: start the bot, look over a deployment
before starting it, bring its database to the latest schema.

``run`` checks everything it can before the bot starts (settings, texts, content, the
pseudonym key, the database, the token against Telegram), so a mistake is one clear line
instead of a bot that fails on its first update.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

from telegram.error import InvalidToken, NetworkError, TelegramError

from bot import pseudonyms
from bot.cli.botapi import HIDDEN_TOKEN, bot_username
from bot.cli.common import (
    EXIT_OK,
    EXIT_PROBLEM,
    EXIT_USAGE,
    Commands,
    Failure,
    database_failures,
    load_texts_and_content,
    prepare_database,
)
from bot.i18n import CatalogError, Translator, counted
from bot.runtime.app import build_application
from bot.runtime.telegram_setup import ALLOWED_UPDATES
from bot.settings import Settings
from content import ContentError, load_library
from content.surveys import load_surveys
from storage import Database, MigrationError, migration_status
from storage.database import DatabaseError

log = logging.getLogger(__name__)


def register(commands: Commands) -> None:
    run_parser = commands.add_parser("run", help="run the bot (long polling unless --webhook)")
    run_parser.add_argument(
        "--webhook",
        action="store_true",
        help="serve Telegram's webhook at KANNUSTIN_WEBHOOK_URL on KANNUSTIN_LISTEN",
    )
    run_parser.set_defaults(
        handler=lambda settings, arguments: run(settings, webhook=arguments.webhook)
    )
    commands.add_parser(
        "check", help="validate settings, database and content; print a summary"
    ).set_defaults(handler=lambda settings, _: check(settings))
    commands.add_parser("migrate", help="apply pending database migrations").set_defaults(
        handler=lambda settings, _: migrate(settings)
    )


def run(settings: Settings, *, webhook: bool) -> int:
    """Run until SIGTERM or Ctrl-C; PTB stops polling, finishes handlers and closes storage."""
    settings.require_token()
    if webhook:
        settings.require_webhook()
    translator, library = load_texts_and_content(settings)
    try:
        _pseudonym_key(settings)
    except pseudonyms.PseudonymKeyError as error:
        raise Failure(f"pseudonyms: {error}") from None
    asyncio.run(prepare_database(settings))
    asyncio.run(_check_telegram(settings))
    application = build_application(settings, translator=translator, library=library)
    with telegram_failures(settings), database_failures():
        if webhook:
            assert settings.webhook_url is not None and settings.webhook_secret is not None
            application.run_webhook(
                listen=settings.listen_host,
                port=settings.listen_port,
                url_path=settings.webhook_path,
                webhook_url=str(settings.webhook_url),
                secret_token=settings.webhook_secret.get_secret_value(),
                allowed_updates=list(ALLOWED_UPDATES),
            )
        else:
            application.run_polling(
                allowed_updates=list(ALLOWED_UPDATES), timeout=settings.poll_timeout
            )
    log.info("stopped")
    return EXIT_OK


@contextlib.contextmanager
def telegram_failures(settings: Settings) -> Iterator[None]:
    """Telegram refuses the token, cannot be reached or refuses to start: one line each."""
    try:
        yield
    except InvalidToken as error:
        # PTB's own message quotes the token; ours does not. PTB raises this for a 404 too,
        # which is a wrong URL (the start-up check has asked with this token already).
        if "not found" in error.message.lower():
            raise Failure(
                f"the Bot API at {settings.bot_api_url}{HIDDEN_TOKEN}/ answered HTTP 404 Not Found "
                "(check KANNUSTIN_API_BASE_URL)"
            ) from None
        raise Failure("KANNUSTIN_BOT_TOKEN: Telegram rejected the token", EXIT_USAGE) from None
    except NetworkError as error:
        raise Failure(
            f"cannot reach the Bot API at {settings.api_base_url}: {error.message}"
        ) from None
    except TelegramError as error:
        raise Failure(f"the Bot API refused to start the bot: {error.message}") from None


async def _check_telegram(settings: Settings) -> None:
    """Ask Telegram who we are before starting, so a bad token or URL is one clear line
    (``bot/cli/botapi.py``)."""
    username = await bot_username(settings.bot_api_url, settings.require_token())
    log.info("Telegram knows this bot as @%s", username)


def check(settings: Settings) -> int:
    """Print one line per part; exit 1 if any part has a problem."""
    problems = 0
    mode = "webhook" if settings.webhook_url else "long polling"
    admins = len(settings.admins)
    print(
        f"settings: ok (language {settings.language}, time zone {settings.timezone}, "
        f"{admins} admin{'' if admins == 1 else 's'}, {mode})"
    )
    print(f"bot token: {'set' if settings.bot_token else 'NOT SET (required to run)'}")
    if settings.bot_token is None:
        problems += 1
    try:
        translator = Translator.load(settings.language)
        print(f"languages: {', '.join(translator.languages())} (default {settings.language})")
    except CatalogError as error:
        print(f"languages: PROBLEM {error}")
        problems += 1
    try:
        print(asyncio.run(_database_summary(settings)))
    except (DatabaseError, MigrationError) as error:
        print(f"database: PROBLEM {error}")
        problems += 1
    try:
        print(f"pseudonyms: {_pseudonym_key(settings)}")
    except pseudonyms.PseudonymKeyError as error:
        print(f"pseudonyms: PROBLEM {error}")
        problems += 1
    try:
        library = load_library()
        print(
            f"content: {counted(len(library), 'tip')} in {counted(len(library.themes()), 'theme')}"
        )
    except ContentError as error:
        problems += _content_problems("content", error)
    try:
        surveys = load_surveys()
        if surveys.get(settings.survey) is None:
            print(f"surveys: PROBLEM KANNUSTIN_SURVEY={settings.survey} is not among them")
            problems += 1
        else:
            print(f"surveys: {len(surveys.surveys)}, in use: {settings.survey}")
    except ContentError as error:
        problems += _content_problems("surveys", error)
    print("all good" if problems == 0 else f"{counted(problems, 'problem')} found")
    return EXIT_OK if problems == 0 else EXIT_PROBLEM


def _pseudonym_key(settings: Settings) -> str:
    """Where the pseudonym key comes from; raises if it cannot be had."""
    key = settings.pseudonym_key.get_secret_value() if settings.pseudonym_key else None
    return pseudonyms.describe(settings.database, key, settings.pseudonym_key_file)


def _content_problems(what: str, error: ContentError) -> int:
    print(f"{what}: PROBLEM {counted(len(error.problems), 'problem')}")
    for line in error.problems:
        print(f"  {line}")
    return 1


async def _database_summary(settings: Settings) -> str:
    if (
        not settings.is_postgres
        and settings.database != ":memory:"
        and not settings.database_path.exists()
    ):
        return (
            f"database: {settings.database} not created yet "
            "(`kannustin migrate` or `run` creates it)"
        )
    database = Database(settings.database)
    try:
        await database.connect()
        status = await migration_status(database)
        if status.pending:
            return (
                f"database: {settings.database_label}, schema version {status.current} of "
                f"{status.latest}, {len(status.pending)} pending (`kannustin migrate` applies them)"
            )
        async with database.transaction() as tx:
            people = await tx.people.count()
    finally:
        await database.close()
    return (
        f"database: {settings.database_label}, schema version {status.current} of "
        f"{status.latest}, "
        f"{counted(people, 'person', 'people')}"
    )


def migrate(settings: Settings) -> int:
    applied = asyncio.run(prepare_database(settings))
    if applied:
        print(
            f"database {settings.database_label}: applied {applied[0]}..{applied[-1]}, "
            f"now at version {applied[-1]}"
        )
    else:
        print(f"database {settings.database_label}: up to date")
    return EXIT_OK
