"""Where the tests and benchmarks keep their data: SQLite files, or fresh PostgreSQL databases.

By default every test gets SQLite files in its own temporary folder. With
``KANNUSTIN_TEST_POSTGRES`` set to a server's URL (``postgresql://postgres@127.0.0.1:5432/
postgres``, a user that may create databases), every database a test names by a file path
is a new, empty PostgreSQL database instead: the same path gives the same database (so a
test can stop the bot and start it again on its data), and it is dropped when the test
ends. Tests that are about SQLite itself (its file, its pragmas, its backup) are marked
``sqlite_only`` and skipped on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from storage import Database
from storage.sql import is_postgres_url, redacted_url

# read once at import: the tests' clean environment removes every KANNUSTIN_* variable
POSTGRES = os.environ.get("KANNUSTIN_TEST_POSTGRES") or None
# a key for the tests' PostgreSQL runs, which cannot keep one beside a database file
PSEUDONYM_KEY = "tests-pseudonym-key-0123456789abcdef"
_created: set[str] = set()


def on_postgres() -> bool:
    return POSTGRES is not None


def which() -> str:
    """The database the tests (and the benchmarks) run on, for their reports."""
    if POSTGRES is None:
        return "SQLite (a file, WAL)"
    return f"PostgreSQL ({redacted_url(POSTGRES).rsplit('/', 1)[0]})"


def database_for(path: Path | str) -> str:
    """What ``KANNUSTIN_DATABASE`` is for a test's database file ``path``."""
    if POSTGRES is None or str(path) == ":memory:":
        return str(path)
    name = "kannustin_test_" + hashlib.sha256(str(path).encode()).hexdigest()[:20]
    if name not in _created:
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}")
        _created.add(name)
    return urlunsplit(urlsplit(POSTGRES)._replace(path=f"/{name}"))


@asynccontextmanager
async def two_instances(path: Path | str) -> AsyncIterator[list[Database]]:
    """Two connected ``Database`` objects on the one database of test path ``path``, as two
    instances of the bot hold it (several instances need PostgreSQL); closed at the end."""
    url = database_for(path)
    databases = [Database(url), Database(url)]
    try:
        for database in databases:
            await database.connect()
        yield databases
    finally:
        for database in databases:
            await database.close()


def stored_bytes(database: Path | str) -> bytes:
    """Everything a database holds, as bytes to search: an SQLite file with its write-ahead
    log, or a dump of a PostgreSQL database (given by a test's path or by its URL)."""
    url = str(database) if is_postgres_url(str(database)) else database_for(database)
    if not is_postgres_url(url):
        path = Path(database)
        return b"".join(
            file.read_bytes() for file in path.parent.iterdir() if file.name.startswith(path.name)
        )
    dump = subprocess.run([pg_tool("pg_dump"), "--no-owner", url], capture_output=True, check=True)
    return dump.stdout


def restore_postgres(dump: Path, path: Path) -> str:
    """A ``pg_dump --format=custom`` file restored into the (new) database of test path
    ``path``; its URL."""
    url = database_for(path)
    subprocess.run(
        [pg_tool("pg_restore"), "--no-owner", f"--dbname={url}", str(dump)],
        capture_output=True,
        check=True,
    )
    return url


KANNUSTIN = str(Path(sys.executable).with_name("kannustin"))


async def run_kannustin(
    database: str, *arguments: str, timeout: float = 60
) -> tuple[int, str, str]:
    """``kannustin ARGUMENTS`` as its own process on ``database``: status, stdout, stderr."""
    process = await asyncio.create_subprocess_exec(
        KANNUSTIN,
        *arguments,
        env=cli_environment(database),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def cli_environment(database: str, **extra: str) -> dict[str, str]:
    """The environment for a ``kannustin`` process of a test: this machine's, without any
    KANNUSTIN_* setting but the database (and on PostgreSQL the pseudonym key)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("KANNUSTIN_")}
    env["KANNUSTIN_DATABASE"] = database
    if is_postgres_url(database):
        env["KANNUSTIN_PSEUDONYM_KEY"] = PSEUDONYM_KEY
    env.update(extra)
    return env


def pg_tool(name: str) -> str:
    found = shutil.which(name) or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))), None
    )
    if found is None:
        raise RuntimeError(f"{name} not found: install the PostgreSQL client")
    return found


def drop_created() -> None:
    """Drop every database made for the test that just ended."""
    if _created:
        _admin(*(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)" for name in sorted(_created)))
        _created.clear()


def _admin(*statements: str) -> None:
    """Run statements on the server's maintenance database, outside any test's event loop
    (a test may be in the middle of its own)."""
    failure: list[BaseException] = []

    async def run() -> None:
        connection: Any = await asyncpg.connect(POSTGRES)
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()

    def in_thread() -> None:
        try:
            asyncio.run(run())
        except BaseException as error:  # handed to the caller's thread
            failure.append(error)

    worker = threading.Thread(target=in_thread)
    worker.start()
    worker.join()
    if failure:
        raise failure[0]
