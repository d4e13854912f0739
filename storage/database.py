"""The database connection and its units of work.

One aiosqlite connection serves the whole bot. Work happens in ``transaction()`` blocks,
which a lock serialises: SQLite has one writer anyway, and without the lock two handlers'
statements would interleave inside one transaction. A transaction hands out the
repositories, each bound to the same connection, so rows written by several repositories
commit or roll back together (the outbox relies on this).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cached_property
from pathlib import Path

import aiosqlite

from storage.analytics import AnalyticsRepository
from storage.broadcasts import BroadcastRepository
from storage.checkins import CheckInRepository
from storage.consents import ConsentRepository
from storage.events import EventRepository
from storage.groups import GroupRepository
from storage.invitations import InvitationRepository
from storage.meetings import MeetingRepository
from storage.organisations import OrganisationRepository, StaffRepository
from storage.outbox import OutboxRepository
from storage.people import PeopleRepository
from storage.privacy import AuditRepository, PrivacyRepository
from storage.surveys import SurveyRepository
from storage.tips import TipRepository

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000


class DatabaseError(Exception):
    """The database cannot be opened or used; the message says which file and why."""


class Transaction:
    """One unit of work; its repositories share the connection and the transaction."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
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
    def groups(self) -> GroupRepository:
        return GroupRepository(self.connection)

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
    def events(self) -> EventRepository:
        return EventRepository(self.connection)

    @cached_property
    def meetings(self) -> MeetingRepository:
        return MeetingRepository(self.connection)

    @cached_property
    def tips(self) -> TipRepository:
        return TipRepository(self.connection)

    @cached_property
    def checkins(self) -> CheckInRepository:
        return CheckInRepository(self.connection)

    @cached_property
    def analytics(self) -> AnalyticsRepository:
        return AnalyticsRepository(self.connection)

    @cached_property
    def surveys(self) -> SurveyRepository:
        return SurveyRepository(self.connection)


class Database:
    """An SQLite file (or ``:memory:``) opened with WAL, foreign keys and a busy timeout."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._connection: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    @property
    def is_memory(self) -> bool:
        return self.path == ":memory:"

    async def connect(self) -> None:
        if self._connection is not None:
            return
        if not self.is_memory:
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise DatabaseError(
                    f"{self.path}: cannot create its folder ({error.strerror})"
                ) from None
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
            if not self.is_memory:
                async with connection.execute("PRAGMA journal_mode = WAL") as cursor:
                    mode = await cursor.fetchone()
                if mode is None or str(mode[0]).lower() != "wal":
                    log.warning("%s: write-ahead logging unavailable, using %s", self.path, mode)
                await connection.execute("PRAGMA synchronous = NORMAL")
        except Exception as error:
            await connection.close()
            raise DatabaseError(f"{self.path}: not a usable SQLite database ({error})") from None
        self._connection = connection
        log.info("database opened: %s", self.path)

    async def close(self) -> None:
        if self._connection is not None:
            async with self._lock:
                await self._connection.close()
                self._connection = None
            log.info("database closed: %s", self.path)

    @property
    def connection(self) -> aiosqlite.Connection:
        if self._connection is None:
            raise DatabaseError(f"{self.path}: not connected")
        return self._connection

    @asynccontextmanager
    async def locked(self) -> AsyncIterator[aiosqlite.Connection]:
        """The raw connection with nobody else using it (migrations, backups)."""
        async with self._lock:
            yield self.connection

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """A unit of work: commits when the block ends, rolls back if it (or the commit)
        fails. Whatever happens, the connection leaves without an open transaction, so one
        failure cannot wedge every later unit of work."""
        async with self._lock:
            connection = self.connection
            if connection.in_transaction:
                log.warning("a transaction was left open on %s; rolling it back", self.path)
                await connection.execute("ROLLBACK")
            try:
                await connection.execute("BEGIN IMMEDIATE")
                yield Transaction(connection)
                await connection.execute("COMMIT")
            except BaseException:
                await self._roll_back(connection)
                raise

    async def _roll_back(self, connection: aiosqlite.Connection) -> None:
        # SQLite may have rolled back already (ON CONFLICT ROLLBACK, a full disk); a second
        # ROLLBACK would fail and hide the real error.
        if not connection.in_transaction:
            return
        try:
            await connection.execute("ROLLBACK")
        except Exception:
            log.exception("rollback failed on %s", self.path)
