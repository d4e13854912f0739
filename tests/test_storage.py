"""Storage: the real migrations on a real database (SQLite, or PostgreSQL), the people
repository, transactions."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path

import asyncpg
import pytest

from bot.clock import FixedClock
from storage import Database, MigrationError, apply_migrations, migration_status
from storage.migrations import MIGRATIONS_DIR, POSTGRES_MIGRATIONS_DIR, load_migrations
from testing.databases import database_for, on_postgres


async def test_a_fresh_database_gets_every_migration_once(
    tmp_path: Path, clock: FixedClock
) -> None:
    db = Database(database_for(tmp_path / "new" / "k.db"))
    await db.connect()
    try:
        first = await apply_migrations(db, clock.now())
        second = await apply_migrations(db, clock.now())
        status = await migration_status(db)
    finally:
        await db.close()

    assert [m.version for m in first] == list(range(1, len(load_migrations()) + 1))
    assert second == []
    assert status.current == status.latest and status.pending == ()


@pytest.mark.sqlite_only
async def test_the_connection_uses_wal_foreign_keys_and_a_busy_timeout(database: Database) -> None:
    async with database.locked() as connection:
        values = {}
        for pragma in ("journal_mode", "foreign_keys", "busy_timeout"):
            row = await connection.fetch_one(f"PRAGMA {pragma}")
            assert row is not None
            values[pragma] = row[0]

    assert values == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 5000}


TABLE_NAMED = {
    "sqlite": "SELECT name FROM sqlite_master WHERE name = 'half_done'",
    "postgresql": "SELECT tablename FROM pg_tables WHERE tablename = 'half_done'",
}


def _copy_migrations(target: Path) -> Path:
    target.mkdir()
    for path in (POSTGRES_MIGRATIONS_DIR if on_postgres() else MIGRATIONS_DIR).glob("*.sql"):
        (target / path.name).write_text(path.read_text())
    return target


async def test_an_edited_old_migration_is_caught(tmp_path: Path, clock: FixedClock) -> None:
    migrations = _copy_migrations(tmp_path / "migrations")
    db = Database(database_for(tmp_path / "k.db"))
    await db.connect()
    try:
        await apply_migrations(db, clock.now(), migrations)
        first = sorted(migrations.glob("*.sql"))[0]
        first.write_text(first.read_text() + "\n-- sneaky edit\n")
        with pytest.raises(MigrationError, match="was changed after it was applied"):
            await apply_migrations(db, clock.now(), migrations)
    finally:
        await db.close()


async def test_a_failing_migration_leaves_nothing_behind(tmp_path: Path, clock: FixedClock) -> None:
    migrations = _copy_migrations(tmp_path / "migrations")
    number = len(list(migrations.glob("*.sql"))) + 1
    (migrations / f"{number:04d}_broken.sql").write_text(
        "CREATE TABLE half_done (id INTEGER PRIMARY KEY);\nTHIS IS NOT SQL;\n"
    )
    db = Database(database_for(tmp_path / "k.db"))
    await db.connect()
    try:
        with pytest.raises(MigrationError, match=f"migration {number:04d}_broken failed"):
            await apply_migrations(db, clock.now(), migrations)
        status = await migration_status(db, migrations)
        async with db.locked() as connection:
            leftover = await connection.fetch_all(TABLE_NAMED[connection.dialect])
    finally:
        await db.close()

    assert status.current == number - 1
    assert [m.version for m in status.pending] == [number]
    assert leftover == []


async def test_a_database_from_a_newer_version_is_refused(
    tmp_path: Path, clock: FixedClock
) -> None:
    db = Database(database_for(tmp_path / "k.db"))
    await db.connect()
    try:
        await apply_migrations(db, clock.now())
        async with db.locked() as connection:
            await connection.execute(
                "INSERT INTO schema_migrations VALUES (999, 'future', 'x', '2030-01-01')"
            )
        with pytest.raises(MigrationError, match="does not know"):
            await migration_status(db)
    finally:
        await db.close()


def test_migration_files_are_numbered_without_gaps(tmp_path: Path) -> None:
    (tmp_path / "0001_one.sql").write_text("SELECT 1;")
    (tmp_path / "0003_three.sql").write_text("SELECT 1;")

    with pytest.raises(MigrationError, match="without gaps"):
        load_migrations(tmp_path)


async def test_people_are_created_once_and_refreshed(database: Database, clock: FixedClock) -> None:
    async with database.transaction() as tx:
        created = await tx.people.record_seen(42, "sv", clock.now())
    clock.advance(dt.timedelta(hours=3))
    async with database.transaction() as tx:
        seen_again = await tx.people.record_seen(42, None, clock.now())
        await tx.people.set_language(42, "en")
        stored = await tx.people.get(42)
        count = await tx.people.count()

    assert created.first_seen == created.last_seen == dt.datetime(2026, 11, 28, 10, tzinfo=dt.UTC)
    assert seen_again.first_seen == created.first_seen
    assert seen_again.last_seen == dt.datetime(2026, 11, 28, 13, tzinfo=dt.UTC)
    assert seen_again.telegram_language == "sv"  # an update without a language keeps the old one
    assert stored is not None and stored.language == "en"
    assert count == 1


async def test_a_read_goes_on_beside_units_of_work_in_a_snapshot_of_its_own(
    database: Database, clock: FixedClock
) -> None:
    """``reading()`` (the exports'): read-only, one snapshot, and never waiting for the
    units of work (nor they for it)."""
    async with database.transaction() as tx:
        await tx.people.record_seen(1, "fi", clock.now())

    async def read_beside() -> None:
        async with database.reading() as snapshot:
            assert await snapshot.people.count() == 1
            async with database.transaction() as tx:  # a unit of work goes on meanwhile
                await tx.people.record_seen(2, "fi", clock.now())
            assert await snapshot.people.count() == 1  # the read keeps its snapshot
            with pytest.raises((sqlite3.OperationalError, asyncpg.PostgresError)):
                await snapshot.people.record_seen(3, "fi", clock.now())
        # a unit of work is open: a read starts anyway
        async with database.transaction(), database.reading() as snapshot:
            assert await snapshot.people.count() == 2

    await asyncio.wait_for(read_beside(), timeout=30)


async def test_a_failed_unit_of_work_rolls_back(database: Database, clock: FixedClock) -> None:
    async def record_then_fail() -> None:
        async with database.transaction() as tx:
            await tx.people.record_seen(7, "fi", clock.now())
            raise RuntimeError("something later in the same unit failed")

    with pytest.raises(RuntimeError):
        await record_then_fail()

    async with database.transaction() as tx:
        assert await tx.people.get(7) is None


async def test_a_unit_of_work_cancelled_at_its_begin_leaves_no_transaction_open(
    database: Database, clock: FixedClock
) -> None:
    if database.is_postgres:
        pytest.skip("about SQLite's one connection and its queue of statements")
    # keep the connection's thread busy, so that the unit's BEGIN waits in its queue
    busy = asyncio.ensure_future(
        database.connection.fetch_all(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000)"
            " SELECT count(*) FROM c"
        )
    )

    async def unit() -> None:
        async with database.transaction() as tx:
            await tx.people.record_seen(7, "fi", clock.now())

    task = asyncio.ensure_future(unit())
    for _ in range(5):
        await asyncio.sleep(0)  # until it waits for its BEGIN
    task.cancel()  # a shutdown
    with pytest.raises(asyncio.CancelledError):
        await task
    # the next unit of work begins while the queue still holds the cancelled BEGIN
    async with database.transaction() as tx:
        await tx.people.record_seen(9, "fi", clock.now())
    await busy
    async with database.transaction() as tx:
        assert await tx.people.get(7) is None
        assert await tx.people.get(9) is not None


async def test_the_schema_refuses_a_language_we_do_not_speak(
    database: Database, clock: FixedClock
) -> None:
    async with database.transaction() as tx:
        await tx.people.record_seen(7, "fi", clock.now())
    with pytest.raises(Exception, match=r"CHECK constraint failed|violates check constraint"):
        async with database.transaction() as tx:
            await tx.people.set_language(7, "de")


async def test_a_failed_commit_leaves_the_connection_usable(
    database: Database, clock: FixedClock
) -> None:
    async with database.locked() as connection:
        await connection.execute("CREATE TABLE parents (id INTEGER PRIMARY KEY)")
        await connection.execute(
            "CREATE TABLE children (parent INTEGER REFERENCES parents (id) "
            "DEFERRABLE INITIALLY DEFERRED)"
        )

    async def orphan() -> None:
        async with database.transaction() as tx:
            await tx.connection.execute("INSERT INTO children (parent) VALUES (42)")

    with pytest.raises(Exception, match=r"FOREIGN KEY|violates foreign key constraint"):
        await orphan()  # the deferred check fails at COMMIT

    async with database.transaction() as tx:
        person = await tx.people.record_seen(9, "fi", clock.now())
    assert person.telegram_id == 9


async def test_two_processes_migrating_at_once_do_not_collide(
    tmp_path: Path, clock: FixedClock
) -> None:
    first, second = (
        Database(database_for(tmp_path / "k.db")),
        Database(database_for(tmp_path / "k.db")),
    )
    await first.connect()
    await second.connect()
    try:
        pending = (await migration_status(second)).pending
        await apply_migrations(first, clock.now())
        # `second` read the pending list before `first` applied it: applying now must skip.
        from storage.migrations import _apply_one

        results = [await _apply_one(second, migration, clock.now()) for migration in pending]
        status = await migration_status(second)
    finally:
        await first.close()
        await second.close()

    assert results == [False] * len(pending)
    assert status.pending == ()
