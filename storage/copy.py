"""Moving a deployment from its SQLite file to a PostgreSQL database (``kannustin copy-db``).

Both are brought to the latest schema by their own migrations; the target must hold no
data yet. Every table is copied in one PostgreSQL transaction, parents before the tables
that refer to them, in pages (the event log can be millions of rows), with PostgreSQL's
COPY. Identity counters continue after the copied ids. Then the rows of every table are
counted on both sides: any difference undoes the whole copy.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from storage.database import Database
from storage.migrations import apply_migrations
from storage.sql import PostgresConnection, SqliteConnection

PAGE = 10_000
_LEDGER = "schema_migrations"
# each database keeps its own count of changes (storage/migrations/0023_figure_inputs.sql)
_NOT_COPIED = {_LEDGER, "figure_inputs", "figure_inputs_parts"}


class CopyError(Exception):
    """The copy cannot be made; the message says why, and nothing was written."""


@dataclass(frozen=True)
class CopiedTable:
    name: str
    rows: int


async def copy_database(
    source: Database,
    target: Database,
    now: dt.datetime,
    progress: Callable[[str, int], None] = lambda table, rows: None,
) -> list[CopiedTable]:
    if source.is_postgres or not target.is_postgres:
        raise CopyError("copies an SQLite database to a PostgreSQL one")
    await apply_migrations(source, now)
    await apply_migrations(target, now)
    async with source.locked() as lite, target.locked() as server:
        assert isinstance(lite, SqliteConnection) and isinstance(server, PostgresConnection)
        tables = await _tables_in_order(lite)
        for table in tables:
            if await server.fetch_one(f"SELECT 1 FROM {table} LIMIT 1"):
                raise CopyError(f"the target already holds data (table {table}): use an empty one")
        copied: list[CopiedTable] = []
        await lite.execute("BEGIN")  # one snapshot of the source
        await server.execute("BEGIN")
        try:
            for table in tables:
                rows = await _copy_table(lite, server, table)
                progress(table, rows)
                copied.append(CopiedTable(table, rows))
            await _continue_identities(server, tables)
            for done in copied:
                (there,) = await server.fetch_one(f"SELECT COUNT(*) FROM {done.name}")
                (here,) = await lite.fetch_one(f"SELECT COUNT(*) FROM {done.name}")
                if there != here or here != done.rows:
                    raise CopyError(f"{done.name}: {here} rows in SQLite, {there} copied")
            await server.execute("COMMIT")
        except BaseException as error:
            with contextlib.suppress(Exception):  # the first error is the one to tell
                await server.execute("ROLLBACK")
            if isinstance(error, Exception) and not isinstance(error, CopyError):
                raise CopyError(f"{type(error).__name__}: {error}") from error
            raise
        finally:
            with contextlib.suppress(Exception):
                await lite.execute("ROLLBACK")
    return copied


async def _tables_in_order(lite: SqliteConnection) -> list[str]:
    """Every table but the migration ledger and the count of changes, each after the
    tables it refers to."""
    names = [
        row[0]
        for row in await lite.fetch_all(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
        if row[0] not in _NOT_COPIED
    ]
    parents = {
        name: {
            row["table"]
            for row in await lite.fetch_all(f"PRAGMA foreign_key_list({name})")
            if row["table"] != name
        }
        for name in names
    }
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [n for n in names if n not in ordered and parents[n] <= set(ordered)]
        if not ready:
            raise CopyError(f"tables refer to each other in a circle: {sorted(parents)}")
        ordered.extend(ready)
    return ordered


async def _copy_table(lite: SqliteConnection, server: PostgresConnection, table: str) -> int:
    info = await lite.fetch_all(f"PRAGMA table_info({table})")
    columns = [row["name"] for row in info]
    key = [row["name"] for row in sorted(info, key=lambda row: row["pk"]) if row["pk"]]
    listed = ", ".join(columns)
    copied = 0
    last: object = None
    while True:
        if key == ["id"]:  # the usual case: page by id, never re-reading what went
            where = "" if last is None else f"WHERE id > {int(last)}"  # type: ignore[call-overload]
            sql = f"SELECT {listed} FROM {table} {where} ORDER BY id LIMIT {PAGE}"
        else:
            order = ", ".join(key) or "rowid"
            sql = f"SELECT {listed} FROM {table} ORDER BY {order} LIMIT {PAGE} OFFSET {copied}"
        rows = await lite.fetch_all(sql)
        if not rows:
            return copied
        await server.raw.copy_records_to_table(
            table, records=[tuple(row) for row in rows], columns=columns
        )
        copied += len(rows)
        last = rows[-1]["id"] if key == ["id"] else None


async def _continue_identities(server: PostgresConnection, tables: list[str]) -> None:
    """Identity columns hand out ids after the highest one copied."""
    identities = await server.fetch_all(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND column_name = 'id' AND is_identity = 'YES'"
    )
    for (table,) in identities:
        if table in tables:
            await server.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )
