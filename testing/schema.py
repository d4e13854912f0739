"""A built database's schema read back in one shape for SQLite and PostgreSQL.

The two migration trees (``storage/migrations/`` and ``storage/migrations/postgresql/``) are
written by hand in each database's words; the tests build a fresh database with each and
compare what these functions read: tables, columns (a normalized type, nullability,
default, whether the database numbers it), primary keys, unique constraints, foreign
keys, CHECK constraints and indexes. Reading the built schema rather than the SQL files
means a constraint that a later migration redefines (SQLite rebuilds the table,
PostgreSQL drops and adds the named constraint) is read as it finally is.

Expressions (CHECKs, defaults, partial-index conditions) are normalized to the same text
on both: casts (``'fi'::text``) are dropped, PostgreSQL's ``x = ANY (ARRAY[...])`` and
SQLite's ``x IN (...)`` become ``x in [...]`` (values sorted), ``x <> ALL (ARRAY[...])``
becomes ``x not in [...]``, ``x BETWEEN a AND b`` becomes ``x >= a and x <= b``, as
PostgreSQL stores it, and only the parentheses that change the meaning stay (PostgreSQL
wraps every comparison and the whole expression in its own).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from storage import Database
from storage.sql import Connection

# Declared column types, per database, and the kind of value they hold. SQLite stores every
# integer in up to 8 bytes whatever the declared name, so INTEGER and BIGINT are one kind,
# and PostgreSQL's match is bigint: its 4-byte integer is a kind of its own (a Telegram
# chat id such as -1001234567890 does not fit it), which the parity test names where meant.
TYPES = {
    "sqlite": {
        "INTEGER": "integer",
        "BIGINT": "integer",
        "TEXT": "text",
        "REAL": "real",
        "DOUBLE PRECISION": "real",
    },
    "postgresql": {
        "bigint": "integer",
        "integer": "integer32",
        "text": "text",
        "double precision": "real",
    },
}
# PostgreSQL's codes for a foreign key's ON DELETE / ON UPDATE action, in SQLite's words
_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # "integer", "text", "real" (see TYPES); "?DECLARED" for a type not in TYPES
    nullable: bool
    default: str | None  # normalized (see normalized())
    numbered: bool  # the database gives it the next number (SQLite rowid, PostgreSQL identity)


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    table: str
    referenced: tuple[str, ...]
    on_delete: str
    on_update: str


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    unique: frozenset[tuple[str, ...]]  # UNIQUE constraints (not CREATE UNIQUE INDEX)
    foreign_keys: frozenset[ForeignKey]
    checks: tuple[str, ...]  # normalized, sorted


@dataclass(frozen=True)
class Index:
    """An index made by CREATE INDEX (not one that backs a key or UNIQUE constraint)."""

    table: str
    columns: tuple[str, ...]
    unique: bool
    where: str | None  # a partial index's condition, normalized


@dataclass(frozen=True)
class Schema:
    tables: dict[str, Table]
    indexes: dict[str, Index]

    def allowed_values(self) -> dict[tuple[str, str], frozenset[str]]:
        """Each column with a ``CHECK (column IN (...))``: (table, column) -> its words."""
        found: dict[tuple[str, str], frozenset[str]] = {}
        for name, table in self.tables.items():
            for check in table.checks:
                match = re.fullmatch(r"(\w+) in \[(.*)\]", check)
                if match is not None:
                    words = re.findall(r"'((?:[^']|'')*)'", match[2])
                    found[(name, match[1])] = frozenset(w.replace("''", "'") for w in words)
        return found


async def read_schema(database: Database) -> Schema:
    """The schema of a connected database (tables of the current schema on PostgreSQL)."""
    async with database.locked() as connection:
        if connection.dialect == "sqlite":
            return await _sqlite(connection)
        return await _postgresql(connection)


def normalized(expression: str) -> str:
    """An SQL expression in one spelling for both databases (see the module docstring)."""
    text = re.sub(r"::\w+(?: precision| varying)?(?:\[\])?", "", expression)
    text = re.sub(r"=\s*ANY\s*\(\s*ARRAY\[(.*?)\]\s*\)", r" IN (\1)", text, flags=re.S)
    text = re.sub(r"<>\s*ALL\s*\(\s*ARRAY\[(.*?)\]\s*\)", r" NOT IN (\1)", text, flags=re.S)
    text = re.sub(
        r"(\w+)\s+BETWEEN\s+(\S+)\s+AND\s+(\S+)", r"\1 >= \2 AND \1 <= \3", text, flags=re.I
    )
    tokens = re.findall(r"'(?:[^']|'')*'|[-\d.]+|\w+|[<>!=]=|<>|[=<>,()]", text)
    out: list[str] = []
    index = 0
    while index < len(tokens):
        part = tokens[index]
        if part.lower() == "in" and index + 1 < len(tokens) and tokens[index + 1] == "(":
            end = tokens.index(")", index)
            values = sorted(value for value in tokens[index + 2 : end] if value != ",")
            out.append(f"in [{', '.join(values)}]")
            index = end + 1
            continue
        out.append("<>" if part == "!=" else part if part.startswith("'") else part.lower())
        index += 1
    return " ".join(_meaningful(_nested(out)))


_Nested = list["str | _Nested"]


def _nested(tokens: list[str]) -> _Nested:
    """Tokens with each parenthesised group as a list of its own."""
    stack: list[_Nested] = [[]]
    for part in tokens:
        if part == "(":
            stack.append([])
        elif part == ")" and len(stack) > 1:
            group = stack.pop()
            stack[-1].append(group)
        else:
            stack[-1].append(part)
    while len(stack) > 1:  # an unclosed group: read as if closed
        group = stack.pop()
        stack[-1].append(group)
    return stack[0]


def _meaningful(items: _Nested) -> list[str]:
    """Flat tokens, keeping a group's parentheses only where they change the meaning: a
    group joined by AND or OR inside an expression joined by the other one (or by a
    function call or a comparison)."""
    joins = {item for item in items if isinstance(item, str) and item in ("and", "or")}
    own = next(iter(joins)) if len(joins) == 1 else ("mixed" if joins else None)
    out: list[str] = []
    for item in items:
        if isinstance(item, str):
            out.append(item)
            continue
        inner_joins = {part for part in item if isinstance(part, str) and part in ("and", "or")}
        inner = _meaningful(item)
        needed = bool(inner_joins) and (len(items) > 1) and inner_joins != {own}
        if needed or (not inner_joins and out and out[-1] not in ("and", "or", "not")):
            # a function's arguments (lower(x)) keep theirs
            out += ["(", *inner, ")"]
        else:
            out += inner
    return out


# SQLite ---------------------------------------------------------------------------------


async def _sqlite(connection: Connection) -> Schema:
    tables: dict[str, Table] = {}
    indexes: dict[str, Index] = {}
    masters = await connection.fetch_all(
        "SELECT type, name, tbl_name, sql FROM sqlite_master "
        "WHERE name NOT LIKE 'sqlite_%' AND sql IS NOT NULL ORDER BY name"
    )
    for master in masters:
        if master["type"] == "table":
            tables[master["name"]] = await _sqlite_table(connection, master["name"], master["sql"])
        elif master["type"] == "index":
            columns = await connection.fetch_all(f"PRAGMA index_info({master['name']})")
            sql = _without_comments(master["sql"])
            where = re.search(r"\bWHERE\b(.*)$", sql, re.S | re.I)
            indexes[master["name"]] = Index(
                table=master["tbl_name"],
                columns=tuple(c["name"] for c in sorted(columns, key=lambda c: c["seqno"])),
                unique=re.match(r"\s*CREATE\s+UNIQUE\b", sql, re.I) is not None,
                where=normalized(where[1]) if where else None,
            )
    return Schema(tables, indexes)


async def _sqlite_table(connection: Connection, name: str, sql: str) -> Table:
    info = await connection.fetch_all(f"PRAGMA table_info({name})")
    key = tuple(c["name"] for c in sorted((c for c in info if c["pk"]), key=lambda c: c["pk"]))
    rowid = len(key) == 1 and not re.search(r"\bWITHOUT\s+ROWID\b", sql, re.I)
    columns = tuple(
        Column(
            name=c["name"],
            type=TYPES["sqlite"].get(c["type"].upper(), "?" + c["type"]),
            nullable=not c["notnull"] and not c["pk"],
            default=None if c["dflt_value"] is None else normalized(c["dflt_value"]),
            # only a lone INTEGER PRIMARY KEY is the rowid, numbered by SQLite
            numbered=rowid and c["pk"] == 1 and c["type"].upper() == "INTEGER",
        )
        for c in info
    )
    unique = set()
    for index in await connection.fetch_all(f"PRAGMA index_list({name})"):
        if index["origin"] == "u":
            parts = await connection.fetch_all(f"PRAGMA index_info({index['name']})")
            unique.add(tuple(p["name"] for p in sorted(parts, key=lambda p: p["seqno"])))
    references: dict[int, list[Any]] = {}
    for reference in await connection.fetch_all(f"PRAGMA foreign_key_list({name})"):
        references.setdefault(reference["id"], []).append(reference)
    foreign_keys = {
        ForeignKey(
            columns=tuple(p["from"] for p in sorted(parts, key=lambda p: p["seq"])),
            table=parts[0]["table"],
            referenced=tuple(p["to"] for p in sorted(parts, key=lambda p: p["seq"])),
            on_delete=parts[0]["on_delete"],
            on_update=parts[0]["on_update"],
        )
        for parts in references.values()
    }
    return Table(
        columns=columns,
        primary_key=key,
        unique=frozenset(unique),
        foreign_keys=frozenset(foreign_keys),
        checks=tuple(sorted(normalized(check) for check in _checks(sql))),
    )


def _without_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def _checks(sql: str) -> list[str]:
    """The expression of every CHECK (...) in an SQLite CREATE TABLE statement."""
    text = _without_comments(sql)
    found = []
    for match in re.finditer(r"\bCHECK\s*\(", text, re.I):
        depth, index, quoted = 1, match.end(), False
        while depth:
            char = text[index]
            if char == "'":
                quoted = not quoted
            elif not quoted:
                depth += {"(": 1, ")": -1}.get(char, 0)
            index += 1
        found.append(text[match.end() : index - 1])
    return found


# PostgreSQL -----------------------------------------------------------------------------

_PG_TABLES = """
SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname = current_schema() ORDER BY c.relname
"""
_PG_COLUMNS = """
SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity
FROM information_schema.columns WHERE table_schema = current_schema()
ORDER BY table_name, ordinal_position
"""
# the column names of an array of attribute numbers, in the array's order
_PG_NAMES = """
ARRAY(SELECT a.attname FROM unnest({numbers}) WITH ORDINALITY k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = {relation} AND a.attnum = k.attnum ORDER BY k.ord)
"""
_PG_CONSTRAINTS = f"""
SELECT c.conrelid AS relation, CAST(c.contype AS TEXT) AS kind,
       pg_get_constraintdef(c.oid) AS definition,
       {_PG_NAMES.format(numbers="c.conkey", relation="c.conrelid")} AS columns,
       f.relname AS referenced_table,
       {_PG_NAMES.format(numbers="c.confkey", relation="c.confrelid")} AS referenced,
       CAST(c.confdeltype AS TEXT) AS on_delete, CAST(c.confupdtype AS TEXT) AS on_update
FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
LEFT JOIN pg_class f ON f.oid = c.confrelid
WHERE n.nspname = current_schema() AND c.contype IN ('p', 'u', 'f', 'c')
"""
_PG_INDEXES = f"""
SELECT i.relname AS name, t.relname AS table_name, x.indisunique AS is_unique,
       pg_get_expr(x.indpred, x.indrelid) AS predicate,
       {_PG_NAMES.format(numbers="CAST(x.indkey AS int2[])", relation="x.indrelid")} AS columns
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = current_schema() AND NOT EXISTS (
    SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.contype IN ('p', 'u')
)
"""


async def _postgresql(connection: Connection) -> Schema:
    names = {row["oid"]: row["relname"] for row in await connection.fetch_all(_PG_TABLES)}
    columns: dict[str, list[Column]] = {name: [] for name in names.values()}
    for c in await connection.fetch_all(_PG_COLUMNS):
        if c["table_name"] not in columns:
            continue  # a view
        default = c["column_default"]
        columns[c["table_name"]].append(
            Column(
                name=c["column_name"],
                type=TYPES["postgresql"].get(c["data_type"], "?" + c["data_type"]),
                nullable=c["is_nullable"] == "YES",
                default=None if default is None else normalized(default),
                numbered=c["is_identity"] == "YES",
            )
        )
    keys: dict[str, tuple[str, ...]] = {}
    unique: dict[str, set[tuple[str, ...]]] = {name: set() for name in names.values()}
    foreign: dict[str, set[ForeignKey]] = {name: set() for name in names.values()}
    checks: dict[str, list[str]] = {name: [] for name in names.values()}
    for c in await connection.fetch_all(_PG_CONSTRAINTS):
        table = names[c["relation"]]
        if c["kind"] == "p":
            keys[table] = tuple(c["columns"])
        elif c["kind"] == "u":
            unique[table].add(tuple(c["columns"]))
        elif c["kind"] == "f":
            foreign[table].add(
                ForeignKey(
                    columns=tuple(c["columns"]),
                    table=c["referenced_table"],
                    referenced=tuple(c["referenced"]),
                    on_delete=_ACTIONS[c["on_delete"]],
                    on_update=_ACTIONS[c["on_update"]],
                )
            )
        else:
            checks[table].append(normalized(c["definition"].removeprefix("CHECK ")))
    tables = {
        name: Table(
            columns=tuple(columns[name]),
            primary_key=keys.get(name, ()),
            unique=frozenset(unique[name]),
            foreign_keys=frozenset(foreign[name]),
            checks=tuple(sorted(checks[name])),
        )
        for name in sorted(names.values())
    }
    indexes = {
        row["name"]: Index(
            table=row["table_name"],
            columns=tuple(row["columns"]),
            unique=row["is_unique"],
            where=None if row["predicate"] is None else normalized(row["predicate"]),
        )
        for row in await connection.fetch_all(_PG_INDEXES)
    }
    return Schema(tables, dict(sorted(indexes.items())))
