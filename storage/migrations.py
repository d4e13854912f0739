"""Numbered, append-only schema migrations, each applied in its own transaction.

Files are ``storage/migrations/NNNN_name.sql`` for SQLite and
``storage/migrations/postgresql/NNNN_name.sql`` for PostgreSQL: the same numbers and names,
each written in its database's own words, building the same schema: ``tests/test_schema.py``
migrates a fresh database with each tree and compares tables, columns, keys, constraints and
indexes, and the CHECK lists with ``storage/states.py``. The ``schema_migrations`` table
remembers which ran and a checksum of each, so an edited old migration is caught instead
of leaving databases that disagree about their schema.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from storage.database import Database
from storage.timestamps import to_db

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
POSTGRES_MIGRATIONS_DIR = MIGRATIONS_DIR / "postgresql"
# pg_advisory_xact_lock's key: instances starting together migrate one after another
_MIGRATION_LOCK = 0x6B616E6E  # "kann"
_FILENAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

_CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at TEXT NOT NULL
)
"""


class MigrationError(Exception):
    """A migration cannot be applied or the database disagrees with the migration files."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


@dataclass(frozen=True)
class MigrationStatus:
    current: int
    latest: int
    pending: tuple[Migration, ...]


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILENAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files are named NNNN_name.sql")
        migrations.append(Migration(int(match[1]), match[2], path.read_text(encoding="utf-8")))
    versions = [migration.version for migration in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise MigrationError(
            f"migrations must be numbered 1, 2, 3... without gaps, found {versions}"
        )
    return migrations


def migrations_dir(database: Database) -> Path:
    return POSTGRES_MIGRATIONS_DIR if database.is_postgres else MIGRATIONS_DIR


async def migration_status(database: Database, directory: Path | None = None) -> MigrationStatus:
    migrations = load_migrations(directory or migrations_dir(database))
    async with database.locked() as connection:
        if connection.dialect == "postgresql":
            await connection.execute("BEGIN")
            await connection.execute("SET LOCAL lock_timeout = 0")  # another may migrate long
            await connection.execute(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
        await connection.execute(_CREATE_LEDGER)
        rows = await connection.fetch_all(
            "SELECT version, name, checksum FROM schema_migrations ORDER BY version"
        )
        if connection.dialect == "postgresql":
            await connection.execute("COMMIT")
        applied = {row[0]: (row[1], row[2]) for row in rows}
    known = {migration.version: migration for migration in migrations}
    for version, (name, checksum) in applied.items():
        migration = known.get(version)
        if migration is None:
            raise MigrationError(
                f"the database has migration {version:04d}_{name}, which this version of "
                "Kannustin does not know (was it made by a newer version?)"
            )
        if migration.checksum != checksum:
            raise MigrationError(
                f"migration {version:04d}_{name} was changed after it was applied; "
                "add a new migration instead of editing an old one"
            )
    pending = tuple(migration for migration in migrations if migration.version not in applied)
    return MigrationStatus(current=max(applied, default=0), latest=len(migrations), pending=pending)


async def apply_migrations(
    database: Database, now: dt.datetime, directory: Path | None = None
) -> list[Migration]:
    """Apply every pending migration in order; returns those applied."""
    status = await migration_status(database, directory)
    applied = []
    for migration in status.pending:
        if await _apply_one(database, migration, now):
            log.info("applied migration %04d_%s", migration.version, migration.name)
            applied.append(migration)
    return applied


async def _apply_one(database: Database, migration: Migration, now: dt.datetime) -> bool:
    """Apply one migration; False if another process applied it first."""
    # The ledger row comes first: if another process (a `migrate` beside a starting bot, a
    # second instance) got there first, its key refuses this one before any DDL runs.
    ledger_row = (
        "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES "
        f"({migration.version}, '{migration.name}', '{migration.checksum}', '{to_db(now)}')"
    )
    # Every value spelled into that statement is an integer, a name matched by the file-name
    # pattern, a hex digest or a timestamp we formatted.
    async with database.locked() as connection:
        try:
            if connection.dialect == "postgresql":
                await connection.execute("BEGIN")
                await connection.execute("SET LOCAL lock_timeout = 0")  # another may migrate long
                await connection.execute(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
                if not await connection.execute(f"{ledger_row} ON CONFLICT DO NOTHING"):
                    await connection.execute("ROLLBACK")
                    return False
            else:
                await connection.execute("BEGIN IMMEDIATE")
                await connection.execute(ledger_row)
            await connection.script(migration.sql)
            await connection.execute("COMMIT")
        except Exception as error:
            if connection.in_transaction:
                await connection.execute("ROLLBACK")
            if isinstance(error, sqlite3.IntegrityError) and "schema_migrations" in str(error):
                return False
            raise MigrationError(
                f"migration {migration.version:04d}_{migration.name} failed: {error}"
            ) from error
    return True
