"""``kannustin backup`` and ``copy-db``: a checked copy of the database while the bot runs,
and moving an SQLite deployment's data to PostgreSQL (with the bot stopped). The work is
storage's (``storage.backup``, ``storage.copy``); here the command line checks its
arguments and prints what was done."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bot import pseudonyms
from bot.cli.common import EXIT_OK, EXIT_USAGE, Commands, Failure
from bot.clock import SystemClock
from bot.i18n import counted
from bot.settings import Settings
from storage import Database, MigrationError
from storage.backup import BackupError, SqliteBackup, back_up
from storage.copy import CopiedTable, CopyError, copy_database
from storage.database import DatabaseError
from storage.sql import is_postgres_url, redacted_url


def register(commands: Commands) -> None:
    backup_parser = commands.add_parser(
        "backup", help="a consistent copy of the database, also while the bot runs"
    )
    backup_parser.add_argument("path", type=Path, help="the copy to write (must not exist)")
    backup_parser.set_defaults(handler=lambda settings, arguments: backup(settings, arguments.path))
    copy = commands.add_parser(
        "copy-db", help="move an SQLite deployment's data to an empty PostgreSQL database"
    )
    copy.add_argument("--from", dest="source", required=True, metavar="SQLITE_PATH")
    copy.add_argument("--to", dest="target", required=True, metavar="POSTGRES_URL")
    copy.set_defaults(
        handler=lambda settings, arguments: copy_db(arguments.source, arguments.target)
    )


def backup(settings: Settings, path: Path) -> int:
    """``kannustin backup PATH``: one consistent snapshot even while the bot writes (SQLite's
    online backup, or pg_dump's); the copy is checked before it is reported."""
    if path.exists():
        raise Failure(f"{path} exists already: choose a new name", EXIT_USAGE)
    if not path.parent.is_dir():
        raise Failure(f"{path.parent}: no such folder", EXIT_USAGE)
    try:
        made = back_up(settings.database, path)
    except BackupError as error:
        raise Failure(str(error)) from None  # main() takes any password out of the line
    size = made.size / 2**20
    if not isinstance(made, SqliteBackup):
        print(
            f"backup: {path} ({size:.1f} MB, PostgreSQL custom format, "
            f"{counted(made.tables, 'table')}): ok"
        )
        return EXIT_OK
    print(
        f"backup: {path} ({size:.1f} MB, schema version {made.schema_version}, "
        f"{counted(made.people, 'person', 'people')}): ok"
    )
    if settings.pseudonym_key is None:
        key = Path(settings.database).parent / pseudonyms.KEY_FILE
        print(f"keep the pseudonym key ({key}) with your backups: it does not change")
    return EXIT_OK


def copy_db(source_path: str, target_url: str) -> int:
    """``kannustin copy-db --from SQLITE_PATH --to POSTGRES_URL``, with the bot stopped."""
    if not is_postgres_url(target_url):
        raise Failure("--to: a postgresql://user:password@host/name URL", EXIT_USAGE)
    if not Path(source_path).is_file():
        raise Failure(f"--from {source_path}: no such database file", EXIT_USAGE)
    started = time.monotonic()
    copied = asyncio.run(_copy(source_path, target_url))
    total = sum(table.rows for table in copied)
    print(
        f"copied {counted(total, 'row')} in {counted(len(copied), 'table')} from {source_path} to "
        f"{redacted_url(target_url)} in {time.monotonic() - started:.1f} s: every count matches"
    )
    key = Path(source_path).parent / pseudonyms.KEY_FILE
    if key.exists():
        print(
            f"people keep their pseudonyms only with the same key: copy {key} to every "
            "instance and set KANNUSTIN_PSEUDONYM_KEY_FILE to it"
        )
    return EXIT_OK


async def _copy(source_path: str, target_url: str) -> list[CopiedTable]:
    source, target = Database(source_path), Database(target_url)
    try:
        await source.connect()
        await target.connect()
        return await copy_database(
            source,
            target,
            SystemClock().now(),
            progress=lambda table, rows: print(f"  {table}: {counted(rows, 'row')}"),
        )
    except (DatabaseError, MigrationError, CopyError) as error:
        raise Failure(f"copy-db: {error}; nothing was copied") from None
    finally:
        await source.close()
        await target.close()
