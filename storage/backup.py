"""A consistent copy of the database while the bot may be writing (``kannustin backup``).

SQLite: the online backup API copies every page in one step, so the copy is one snapshot;
it is then checked (``PRAGMA integrity_check``) and read back (schema version, people)
before it is reported. PostgreSQL: ``pg_dump`` in its custom format (restored with
``pg_restore``), read back with ``pg_restore --list``; the password (after the user name or
as ``?password=``) goes to ``pg_dump`` in its environment (``PGPASSWORD``), never on a
command line that others on the machine can read, and a URL that does not parse is refused
before anything runs. The copy is created mode 600 (``storage/files.py``). A copy that
fails its check is removed: nothing half-made is left to be mistaken for a backup.

Plain blocking code: the command line runs it, never the bot's event loop.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from storage.files import FILE_MODE, create_private
from storage.sql import is_postgres_url, url_problem, without_password

# how long the SQLite backup waits for a live database that is busy writing
_BUSY_TIMEOUT_S = 30


class BackupError(Exception):
    """No backup was made; the message says why (callers redact it before showing it:
    ``pg_dump``'s own last line is quoted)."""


@dataclass(frozen=True)
class SqliteBackup:
    """A checked SQLite copy: it passed its integrity check."""

    path: Path
    size: int  # bytes
    schema_version: int
    people: int


@dataclass(frozen=True)
class PostgresBackup:
    """A ``pg_dump`` archive that ``pg_restore`` can read back."""

    path: Path
    size: int  # bytes
    tables: int  # tables whose data the archive holds


def back_up(database: str, path: Path) -> SqliteBackup | PostgresBackup:
    """Copy ``database`` (an SQLite path or a PostgreSQL URL) to the new file ``path``."""
    if is_postgres_url(database):
        return _back_up_postgres(database, path)
    return _back_up_sqlite(Path(database), path)


def _back_up_sqlite(source: Path, path: Path) -> SqliteBackup:
    if not source.is_file():
        raise BackupError(f"{source}: no database to back up")
    create_private(path)
    try:
        with (
            contextlib.closing(sqlite3.connect(source, timeout=_BUSY_TIMEOUT_S)) as live,
            contextlib.closing(sqlite3.connect(path)) as copy,
        ):
            live.backup(copy)  # all pages in one step: a single snapshot
            (check,) = copy.execute("PRAGMA integrity_check").fetchone()
            (version,) = copy.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
            (people,) = copy.execute("SELECT COUNT(*) FROM people").fetchone()
    except sqlite3.Error as error:
        path.unlink(missing_ok=True)
        raise BackupError(f"backup: {source}: {error}; nothing kept") from None
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if check != "ok":
        path.unlink()
        raise BackupError(f"the copy failed its integrity check ({check}); nothing kept")
    return SqliteBackup(path, path.stat().st_size, int(version), int(people))


def _back_up_postgres(url: str, path: Path) -> PostgresBackup:
    tools = {name: shutil.which(name) for name in ("pg_dump", "pg_restore")}
    if None in tools.values():
        raise BackupError("backup: needs pg_dump and pg_restore (the PostgreSQL client) on PATH")
    problem = url_problem(url)
    if problem is not None:
        raise BackupError(f"backup: KANNUSTIN_DATABASE: {problem}")
    bare, password = without_password(url)
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = password
    create_private(path)  # pg_dump writes into it and keeps its mode
    dumped = subprocess.run(  # noqa: S603 - fixed tools, arguments we built
        [str(tools["pg_dump"]), "--format=custom", "--no-owner", f"--file={path}", bare],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        umask=0o777 ^ FILE_MODE,  # should it make the file anew
    )
    if dumped.returncode != 0:
        path.unlink(missing_ok=True)
        last = (dumped.stderr.strip().splitlines() or ["no reason given"])[-1]
        raise BackupError(f"backup: pg_dump failed: {last}")
    listed = subprocess.run(  # noqa: S603
        [str(tools["pg_restore"]), "--list", str(path)], capture_output=True, text=True, check=False
    )
    tables = sum(" TABLE DATA " in line for line in listed.stdout.splitlines())
    if listed.returncode != 0 or tables == 0:
        path.unlink(missing_ok=True)
        raise BackupError("backup: the copy cannot be read back by pg_restore; nothing kept")
    return PostgresBackup(path, path.stat().st_size, tables)
