"""The database connection and its units of work.

The database is an SQLite file (aiosqlite, the default) or a PostgreSQL server (asyncpg,
when ``KANNUSTIN_DATABASE`` is a ``postgresql://`` URL); ``storage.sql`` hides the
difference from the repositories. Work happens in ``transaction()`` blocks, which a lock
serialises within one process: SQLite has one writer anyway, and on PostgreSQL it keeps
the same behaviour, so no handler has to think about another handler of the same process
in the middle of its unit of work. A transaction hands out the repositories, each bound
to the same connection, so rows written by several repositories commit or roll back
together (the outbox relies on this).

Long reads (an export over a million events) go through ``reading()`` instead: a
read-only snapshot on a connection of their own (SQLite: a second, read-only connection
to the file, whose deferred transaction sees one snapshot of the write-ahead log;
PostgreSQL: a pool connection in a REPEATABLE READ READ ONLY transaction), outside the
lock, so the units of work of everyone else go on meanwhile (the export reads so in a
process of its own, ``bot/runtime/apart.py``).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from storage.analytics import AnalyticsRepository
from storage.broadcasts import BroadcastRepository
from storage.checkins import CheckInRepository
from storage.consents import ConsentRepository
from storage.events import EventRepository
from storage.files import create_private, make_private, private_folder
from storage.groups import GroupRepository
from storage.invitations import InvitationRepository
from storage.meetings import MeetingRepository
from storage.menus import MenuRepository
from storage.organisations import (
    OrganisationRepository,
    StaffRepository,
    StaffRequestRepository,
)
from storage.outbox import OutboxRepository
from storage.people import PeopleRepository
from storage.polls import PollRepository
from storage.posts import PostRepository
from storage.privacy import AuditRepository, ErasureRequestRepository, PrivacyRepository
from storage.research import ResearchRepository
from storage.seasons import SeasonRepository
from storage.sql import (
    Connection,
    PostgresConnection,
    SqliteConnection,
    is_postgres_url,
    prepare_postgres,
    redacted_url,
    url_passwords,
    url_problem,
)
from storage.surveys import SurveyRepository
from storage.tips import TipRepository

log = logging.getLogger(__name__)
T = TypeVar("T")

SIDE_FILES = ("-wal", "-shm", "-journal")  # SQLite's, beside the database file
BUSY_TIMEOUT_MS = 5000
POOL_SIZE = 4
COMMAND_TIMEOUT_S = 60


class DatabaseError(Exception):
    """The database cannot be opened or used; the message says which file and why."""


class Transaction:
    """One unit of work; its repositories share the connection and the transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    @cached_property
    def people(self) -> PeopleRepository:
        return PeopleRepository(self.connection)

    @cached_property
    def organisations(self) -> OrganisationRepository:
        return OrganisationRepository(self.connection)

    @cached_property
    def staff(self) -> StaffRepository:
        return StaffRepository(self.connection)

    @cached_property
    def staff_requests(self) -> StaffRequestRepository:
        return StaffRequestRepository(self.connection)

    @cached_property
    def menus(self) -> MenuRepository:
        return MenuRepository(self.connection)

    @cached_property
    def groups(self) -> GroupRepository:
        return GroupRepository(self.connection)

    @cached_property
    def seasons(self) -> SeasonRepository:
        return SeasonRepository(self.connection)

    @cached_property
    def invitations(self) -> InvitationRepository:
        return InvitationRepository(self.connection)

    @cached_property
    def consents(self) -> ConsentRepository:
        return ConsentRepository(self.connection)

    @cached_property
    def broadcasts(self) -> BroadcastRepository:
        return BroadcastRepository(self.connection)

    @cached_property
    def outbox(self) -> OutboxRepository:
        return OutboxRepository(self.connection)

    @cached_property
    def privacy(self) -> PrivacyRepository:
        return PrivacyRepository(self.connection)

    @cached_property
    def audit(self) -> AuditRepository:
        return AuditRepository(self.connection)

    @cached_property
    def erasure_requests(self) -> ErasureRequestRepository:
        return ErasureRequestRepository(self.connection)

    @cached_property
    def events(self) -> EventRepository:
        return EventRepository(self.connection)

    @cached_property
    def meetings(self) -> MeetingRepository:
        return MeetingRepository(self.connection)

    @cached_property
    def tips(self) -> TipRepository:
        return TipRepository(self.connection)

    @cached_property
    def polls(self) -> PollRepository:
        return PollRepository(self.connection)

    @cached_property
    def posts(self) -> PostRepository:
        return PostRepository(self.connection)

    @cached_property
    def checkins(self) -> CheckInRepository:
        return CheckInRepository(self.connection)

    @cached_property
    def analytics(self) -> AnalyticsRepository:
        return AnalyticsRepository(self.connection)

    @cached_property
    def surveys(self) -> SurveyRepository:
        return SurveyRepository(self.connection)

    @cached_property
    def research(self) -> ResearchRepository:
        return ResearchRepository(self.connection)


class Database:
    """An SQLite file (or ``:memory:``) opened with WAL, foreign keys and a busy timeout;
    or a PostgreSQL database given by its URL, through a small pool."""

    def __init__(self, target: Path | str) -> None:
        self.path = str(target)
        self.dialect = "postgresql" if is_postgres_url(self.path) else "sqlite"
        self._connection: Connection | None = None
        self._pool: Any = None
        self._lock = asyncio.Lock()

    @property
    def is_memory(self) -> bool:
        return self.path == ":memory:"

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    @property
    def label(self) -> str:
        """The database as it may be logged: a URL without its password."""
        return redacted_url(self.path) if self.is_postgres else self.path

    async def connect(self) -> None:
        if self._connection is not None or self._pool is not None:
            return
        if self.is_postgres:
            await self._connect_postgres()
        else:
            self._connection = SqliteConnection(await self._connect_sqlite())
        log.info("database opened: %s", self.label)

    async def _connect_sqlite(self) -> aiosqlite.Connection:
        if not self.is_memory:
            self._private_files()
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves.
            connection = await aiosqlite.connect(self.path, isolation_level=None)
        except Exception as error:
            raise DatabaseError(f"{self.path}: cannot open ({error})") from None
        try:
            connection.row_factory = aiosqlite.Row
            await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            # up to 16 MB of pages kept between queries (statistics read the roll-up often)
            await connection.execute("PRAGMA cache_size = -16384")
            await connection.execute("PRAGMA foreign_keys = ON")
            # deleted rows are overwritten with zeros, not left in free space: an erased
            # person's data must not stay readable in the file
            await connection.execute("PRAGMA secure_delete = ON")
            if not self.is_memory:
                async with connection.execute("PRAGMA journal_mode = WAL") as cursor:
                    mode = await cursor.fetchone()
                if mode is None or str(mode[0]).lower() != "wal":
                    log.warning("%s: write-ahead logging unavailable, using %s", self.path, mode)
                await connection.execute("PRAGMA synchronous = NORMAL")
        except Exception as error:
            await connection.close()
            raise DatabaseError(f"{self.path}: not a usable SQLite database ({error})") from None
        return connection

    def _private_files(self) -> None:
        """The database file, new or found, and its ``-wal`` and ``-shm`` are mode 600; a
        folder made for it is 700 (``storage/files.py``)."""
        path = Path(self.path)
        try:
            private_folder(path.parent)
        except OSError as error:
            raise DatabaseError(
                f"{self.path}: cannot create its folder ({error.strerror})"
            ) from None
        try:
            create_private(path)
        except FileExistsError:
            for file in (path, *(path.with_name(path.name + end) for end in SIDE_FILES)):
                make_private(file)
        except OSError as error:
            raise DatabaseError(f"{self.path}: cannot create ({error.strerror})") from None

    async def _connect_postgres(self) -> None:
        import asyncpg  # noqa: PLC0415 - only PostgreSQL deployments load the driver

        problem = url_problem(self.path)
        if problem is not None:
            raise DatabaseError(f"{self.label}: {problem}")
        try:
            # One connection does the units of work (they are serialised, as on SQLite);
            # the pool reconnects after the server restarts, and lends a second connection
            # to whatever holds a lock of its own (the scheduler's leadership).
            self._pool = await asyncpg.create_pool(
                self.path,
                min_size=1,
                max_size=POOL_SIZE,
                init=prepare_postgres,
                command_timeout=COMMAND_TIMEOUT_S,
                server_settings={
                    "application_name": "kannustin",
                    # a lock held by another instance waits this long, then fails like
                    # SQLite's busy timeout
                    "lock_timeout": str(BUSY_TIMEOUT_MS),
                },
            )
        except Exception as error:
            reason = _reason(error, url_passwords(self.path))
            raise DatabaseError(f"{self.label}: cannot connect ({reason})") from None

    async def close(self) -> None:
        if self._connection is None and self._pool is None:
            return
        async with self._lock:
            if isinstance(self._connection, SqliteConnection):
                await self._connection.raw.close()
            self._connection = None
            if self._pool is not None:
                await self._pool.close()
                self._pool = None
        log.info("database closed: %s", self.label)

    async def truncate_log(self) -> None:
        """SQLite: copy the write-ahead log into the file and empty it, so that the pages
        from before an erasure are not left in it (waits up to the busy timeout for
        readers; what it cannot copy now goes at the next checkpoint). Nothing to do on
        PostgreSQL, whose dump never shows deleted rows."""
        if self.is_postgres or self.is_memory:
            return
        try:
            async with self.locked() as connection:
                row = await connection.fetch_one("PRAGMA wal_checkpoint(TRUNCATE)")
        except Exception as error:  # the erasure itself is done: say so, do not undo it
            log.warning("%s: emptying the write-ahead log failed (%s)", self.label, error)
            return
        if row is not None and row[0]:
            log.warning("%s: the write-ahead log could not be emptied yet", self.label)

    @property
    def connection(self) -> Connection:
        """The SQLite connection (PostgreSQL lends one per unit of work: use
        ``transaction()`` or ``locked()``)."""
        if self._connection is None:
            raise DatabaseError(f"{self.label}: not connected")
        return self._connection

    @asynccontextmanager
    async def _borrowed(self) -> AsyncIterator[Connection]:
        if self._pool is None:
            yield self.connection
            return
        async with self._pool.acquire() as raw:
            yield PostgresConnection(raw)

    @asynccontextmanager
    async def side_transaction(self) -> AsyncIterator[Connection]:
        """PostgreSQL: a short transaction on a connection of its own, beside the units of
        work (they may be waiting for a send that waits for this)."""
        if self._pool is None:
            raise DatabaseError(f"{self.label}: side transactions need PostgreSQL")
        async with self._pool.acquire() as raw, self._unit(PostgresConnection(raw)) as connection:
            yield connection

    @asynccontextmanager
    async def locked(self) -> AsyncIterator[Connection]:
        """A connection with nobody else in this process using it, outside any
        transaction (migrations, copy-db)."""
        async with self._lock, self._borrowed() as connection:
            yield connection

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """A unit of work: commits when the block ends, rolls back if it (or the commit)
        fails. Whatever happens, the connection leaves without an open transaction, so one
        failure cannot wedge every later unit of work."""
        async with self._lock, self._borrowed() as borrowed:
            if borrowed.in_transaction:
                log.warning("a transaction was left open on %s; rolling it back", self.label)
                await borrowed.execute("ROLLBACK")
            async with self._unit(borrowed) as connection:
                yield Transaction(connection)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Transaction]:
        """A read-only unit of work on a connection of its own, beside the units of work
        (which it neither waits for nor holds up): one consistent snapshot until the block
        ends. An in-memory SQLite database has no second connection: it reads in a unit of
        work instead."""
        if self._pool is not None:
            async with self._pool.acquire() as raw:
                connection = PostgresConnection(raw)
                await connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                try:
                    yield Transaction(connection)
                finally:
                    await self._roll_back(connection)
            return
        if self.is_memory:
            async with self.transaction() as tx:
                yield tx
            return
        try:
            raw_sqlite = await aiosqlite.connect(
                self._read_only_uri(), uri=True, isolation_level=None
            )
        except Exception as error:
            raise DatabaseError(f"{self.path}: cannot open for reading ({error})") from None
        try:
            raw_sqlite.row_factory = aiosqlite.Row
            await raw_sqlite.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            reader = SqliteConnection(raw_sqlite)
            await reader.execute("BEGIN")  # deferred: the first read fixes the snapshot
            try:
                yield Transaction(reader)
            finally:
                await self._roll_back(reader)
        finally:
            await raw_sqlite.close()

    def _read_only_uri(self) -> str:
        return Path(self.path).resolve().as_uri() + "?mode=ro"

    @asynccontextmanager
    async def _unit(self, connection: Connection) -> AsyncIterator[Connection]:
        """BEGIN; COMMIT when the block ends, ROLLBACK if it (or the commit) fails."""
        try:
            # SQLite: take the write lock now, so the unit of work never fails halfway on
            # another process's write
            await self._begin(connection)
            yield connection
            await _finish(connection.execute("COMMIT"))
        except BaseException:
            await self._roll_back(connection)
            raise

    async def _begin(self, connection: Connection) -> None:
        """BEGIN (SQLite: IMMEDIATE). A unit of work cancelled while its BEGIN waited in
        the driver's queue (a shutdown) has that BEGIN run later anyway, after the check
        for a transaction left open: this one then finds the connection in an empty
        transaction, rolls it back and begins again."""
        if connection.dialect == "postgresql":
            await connection.execute("BEGIN")
            return
        try:
            await connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if "within a transaction" not in str(error):
                raise
            log.warning("a cancelled unit's BEGIN was left open on %s; rolling it back", self.label)
            await connection.execute("ROLLBACK")
            await connection.execute("BEGIN IMMEDIATE")

    async def _roll_back(self, connection: Connection) -> None:
        # SQLite may have rolled back already (ON CONFLICT ROLLBACK, a full disk); a second
        # ROLLBACK would fail and hide the real error.
        if not connection.in_transaction:
            return
        try:
            await _finish(connection.execute("ROLLBACK"))
        except Exception:
            log.exception("rollback failed on %s", self.label)


async def _finish(statement: Coroutine[Any, Any, int]) -> None:
    """Run COMMIT or ROLLBACK to its end even when the task is cancelled meanwhile (a
    shutdown): the driver would finish it anyway, and only then is it known whether the
    unit of work is in the database. The cancellation goes on afterwards."""
    running = asyncio.ensure_future(statement)
    cancelled = False
    while not running.done():
        try:
            await asyncio.shield(running)
        except asyncio.CancelledError:
            cancelled = True  # however often: the statement still runs to its end
    running.result()
    if cancelled:
        raise asyncio.CancelledError


def _reason(error: Exception, passwords: list[str]) -> str:
    """Why a connection failed, in one line without the URL's passwords."""
    line = f"{type(error).__name__}: {error}".splitlines()[0]
    for password in passwords:
        line = line.replace(password, "***")
    return line
