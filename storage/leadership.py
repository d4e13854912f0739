"""The leader's lock: which of several instances does the work that must happen once.

On PostgreSQL it is a session-level advisory lock, held on a connection of its own for as
long as the instance leads. When the leader's process dies or loses the server, the server
ends its session and the lock is free; another instance's next try takes it. On SQLite
there is one instance, and it always leads.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from storage.database import Database
from storage.presence import PRESENCE

log = logging.getLogger(__name__)

LEADER_LOCK = 0x6B6C6472  # "kldr": one key for the whole deployment
CHECK_TIMEOUT = 5.0


class LeaderLock:
    """Also this instance's presence: its session holds ``(PRESENCE, instance)`` from the
    first try on, so the rows it claims are known to be in flight only while it lives."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._connection: Any = None  # an asyncpg connection, outside the pool
        self.instance: int | None = (
            secrets.randbelow(2**31 - 1) + 1 if database.is_postgres else None
        )

    async def try_acquire(self) -> bool:
        """Take the lock if it is free (or already ours)."""
        if not self._database.is_postgres:
            return True
        import asyncpg  # noqa: PLC0415 - only PostgreSQL deployments load the driver

        try:
            if self._connection is None or self._connection.is_closed():
                self._connection = None
                connection = await asyncpg.connect(
                    self._database.path,
                    timeout=CHECK_TIMEOUT,
                    server_settings={
                        "application_name": "kannustin-leader",
                        # a leader whose host vanishes is dropped in about 25 s, not after
                        # the system's two hours, so another can lead
                        "tcp_keepalives_idle": "10",
                        "tcp_keepalives_interval": "5",
                        "tcp_keepalives_count": "3",
                    },
                )
                await connection.execute(
                    "SELECT pg_advisory_lock($1, $2)",
                    PRESENCE,
                    self.instance,
                    timeout=CHECK_TIMEOUT,
                )
                self._connection = connection
            return bool(
                await self._connection.fetchval(
                    "SELECT pg_try_advisory_lock($1)", LEADER_LOCK, timeout=CHECK_TIMEOUT
                )
            )
        except Exception as error:
            log.warning("leadership: cannot reach the database (%s)", type(error).__name__)
            await self.release()
            return False

    async def held(self) -> bool:
        """Is the lock still ours? False once the session is gone."""
        if not self._database.is_postgres:
            return True
        if self._connection is None or self._connection.is_closed():
            return False
        try:
            return bool(
                await self._connection.fetchval(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' "
                    "AND pid = pg_backend_pid() AND objid = $1 AND granted)",
                    LEADER_LOCK,
                    timeout=CHECK_TIMEOUT,
                )
            )
        except Exception as error:
            log.warning("leadership: lost the database (%s)", type(error).__name__)
            await self.release()
            return False

    async def release(self) -> None:
        """Give the lock up (closing the session releases it)."""
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            try:
                await connection.close(timeout=CHECK_TIMEOUT)
            except Exception:
                connection.terminate()
