"""What every command of the ``kannustin`` command line shares: the exit statuses, the
``Failure`` that stops a command with one line, and opening the database, texts and
services the way the bot itself does.

Exit status: 0 fine, 1 a problem found at run time (database, content, Telegram
unreachable), 2 a bad setting or bad command-line input. Every failure is one clear line on
stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, TypeAlias

from bot.clock import SystemClock
from bot.errors import DomainError
from bot.i18n import CatalogError, Translator
from bot.pseudonyms import PseudonymKeyError
from bot.runtime.wiring import Services, build_services
from bot.settings import Settings
from content import ContentError, Library, load_library
from content.surveys import load_surveys
from storage import Database, MigrationError, apply_migrations
from storage.database import DatabaseError

# Where each command module adds its parsers (argparse's subparsers object)
if TYPE_CHECKING:
    Commands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    Commands = argparse._SubParsersAction

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_USAGE = 2

# What a command's parser runs: it gets the settings and the parsed command line, and
# returns the exit status (or raises Failure).
Handler = Callable[[Settings, argparse.Namespace], int]


class Failure(Exception):
    """Stop the command with one line and an exit status."""

    def __init__(self, line: str, status: int = EXIT_PROBLEM) -> None:
        super().__init__(line)
        self.status = status


@contextlib.contextmanager
def database_failures() -> Iterator[None]:
    """The database cannot be opened, used or migrated: one line, exit 1."""
    try:
        yield
    except (DatabaseError, MigrationError) as error:
        raise Failure(f"database: {error}") from None


@contextlib.contextmanager
def refusals() -> Iterator[None]:
    """What the bot would refuse in a chat (a ``DomainError``) as one English line, exit 2."""
    try:
        yield
    except DomainError as error:
        english = Translator.load("en").text("en", error.key, **error.params)
        raise Failure(english, EXIT_USAGE) from None


async def prepare_database(settings: Settings) -> list[int]:
    """Bring the database to the latest schema; the versions applied now."""
    database = Database(settings.database)
    try:
        with database_failures():
            await database.connect()
            applied = await apply_migrations(database, SystemClock().now())
    finally:
        await database.close()
    return [migration.version for migration in applied]


@contextlib.asynccontextmanager
async def connected(settings: Settings) -> AsyncIterator[Database]:
    """The configured database at the latest schema, open for the block."""
    await prepare_database(settings)
    database = Database(settings.database)
    await database.connect()
    try:
        yield database
    finally:
        await database.close()


@contextlib.asynccontextmanager
async def services(settings: Settings) -> AsyncIterator[Services]:
    """The bot's services on the configured database, for a command that does one job."""
    translator, library = load_texts_and_content(settings)
    async with connected(settings) as database:
        try:
            built = build_services(
                settings,
                clock=SystemClock(),
                database=database,
                translator=translator,
                library=library,
            )
        except PseudonymKeyError as error:  # a key file named but missing or unreadable
            raise Failure(f"pseudonyms: {error}") from None
        yield built


def load_texts_and_content(settings: Settings) -> tuple[Translator, Library]:
    """The translations and the tip library; the configured survey must exist."""
    try:
        translator = Translator.load(settings.language)
    except CatalogError as error:
        raise Failure(f"languages: {error}") from None
    try:
        library = load_library()
    except ContentError as error:
        report = "\n  ".join(error.problems)
        raise Failure(f"content: the tip library has problems:\n  {report}") from None
    try:
        surveys = load_surveys()
    except ContentError as error:
        report = "\n  ".join(error.problems)
        raise Failure(f"content: the survey files have problems:\n  {report}") from None
    if surveys.get(settings.survey) is None:
        known = ", ".join(sorted(surveys.surveys))
        raise Failure(
            f"KANNUSTIN_SURVEY: no survey {settings.survey!r} (there is: {known})", EXIT_USAGE
        )
    return translator, library
