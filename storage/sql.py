"""One way to talk to either database: SQLite (aiosqlite) or PostgreSQL (asyncpg).

Repositories write their SQL once, in the subset both databases run, with ``:name`` (or
``?``) parameters, and call ``fetch_one``, ``fetch_all``, ``execute`` and
``execute_many`` on a ``Connection``. The PostgreSQL connection numbers the parameters the
way asyncpg wants them (``$1``, ``$2``...), remembering each translation. Rows from both
answer ``row["column"]`` and ``row[0]``.

The few places where the two differ (the schema's migrations, a backup, locking a row for
one instance) ask ``connection.dialect``.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import aiosqlite

Dialect = Literal["sqlite", "postgresql"]
Params = Mapping[str, Any] | Sequence[Any]


class Connection(ABC):
    """A connection the repositories share inside one transaction."""

    dialect: Dialect

    @abstractmethod
    async def fetch_one(self, sql: str, params: Params = ()) -> Any: ...

    @abstractmethod
    async def fetch_all(self, sql: str, params: Params = ()) -> list[Any]: ...

    @abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run a statement; the number of rows it changed."""

    @abstractmethod
    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None: ...

    @abstractmethod
    async def script(self, sql: str) -> None:
        """Run several statements without parameters (a migration) in the open
        transaction."""

    @property
    @abstractmethod
    def in_transaction(self) -> bool: ...


class SqliteConnection(Connection):
    dialect: Dialect = "sqlite"

    def __init__(self, raw: aiosqlite.Connection) -> None:
        self.raw = raw

    async def fetch_one(self, sql: str, params: Params = ()) -> Any:
        async with self.raw.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Any]:
        async with self.raw.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self.raw.execute(sql, params) as cursor:
            return cursor.rowcount

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        await self.raw.executemany(sql, rows)

    async def script(self, sql: str) -> None:
        # executescript would commit the open transaction first, so split it here instead
        for statement in split_statements(sql):
            await self.raw.execute(statement)

    @property
    def in_transaction(self) -> bool:
        return self.raw.in_transaction


class PostgresConnection(Connection):
    dialect: Dialect = "postgresql"

    def __init__(self, raw: Any) -> None:
        self.raw = raw  # an asyncpg connection (from the pool)

    async def fetch_one(self, sql: str, params: Params = ()) -> Any:
        query, names = numbered(sql)
        return await self.raw.fetchrow(query, *arguments(names, params))

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Any]:
        query, names = numbered(sql)
        return list(await self.raw.fetch(query, *arguments(names, params)))

    async def execute(self, sql: str, params: Params = ()) -> int:
        query, names = numbered(sql)
        status = await self.raw.execute(query, *arguments(names, params))
        return changed(status)

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        query, names = numbered(sql)
        batch = [arguments(names, row) for row in rows]
        if batch:
            await self.raw.executemany(query, batch)

    async def script(self, sql: str) -> None:
        await self.raw.execute(sql)  # asyncpg runs a parameterless script as one message

    @property
    def in_transaction(self) -> bool:
        return bool(self.raw.is_in_transaction())


# A parameter is :name (not ::type, a PostgreSQL cast) or ?; quoted text and comments are
# copied as they are.
_TOKENS = re.compile(
    r"""(?P<quoted>'(?:[^']|'')*'|"(?:[^"]|"")*")"""
    r"|(?P<comment>--[^\n]*)"
    r"|(?P<cast>::)"
    r"|:(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<mark>\?)"
)


@functools.lru_cache(maxsize=2048)
def numbered(sql: str) -> tuple[str, tuple[str | int, ...]]:
    """``sql`` with its parameters as $1, $2...; and what each number takes: a name for a
    mapping of parameters, a position for a sequence. A name used twice keeps its number."""
    names: list[str | int] = []
    marks = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal marks
        if match["name"] is not None:
            if match["name"] not in names:
                names.append(match["name"])
            return f"${names.index(match['name']) + 1}"
        if match["mark"] is not None:
            names.append(marks)
            marks += 1
            return f"${len(names)}"
        return match[0]

    query = _TOKENS.sub(replace, sql)
    if marks and len(names) != marks:
        raise ValueError("a statement mixes :name and ? parameters")
    return query, tuple(names)


def arguments(names: tuple[str | int, ...], params: Params) -> list[Any]:
    """The values for $1, $2...; a bool as 0 or 1, as SQLite stores it (the schema keeps
    flags in integer columns on both databases)."""
    values: Any = params  # a mapping for names, a sequence for positions
    return [
        int(value) if isinstance(value, bool) else value for value in map(values.__getitem__, names)
    ]


def changed(status: str) -> int:
    """Rows changed, from asyncpg's command status ("UPDATE 3", "INSERT 0 1")."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


def split_statements(script: str) -> list[str]:
    """An SQLite script's statements: split at the semicolons that end one, as SQLite
    itself decides (``sqlite3.complete_statement``: not inside quotes, comments or a
    trigger's BEGIN ... END)."""
    statements: list[str] = []
    current = ""
    for piece in re.split(r"(;)", script):
        current += piece
        if piece == ";" and sqlite3.complete_statement(current):
            statements.append(current)
            current = ""
    statements.append(current)
    return [kept for statement in statements if (kept := _without_comments(statement))]


def _without_comments(statement: str) -> str:
    """The statement without its ``--`` comments (outside quotes) and the spaces around."""
    pieces = re.split(r"""('(?:[^']|'')*'|--[^\n]*)""", statement)
    return "".join(piece for piece in pieces if not piece.startswith("--")).strip().rstrip(";")


def decode_numeric(text: str) -> int | float | Decimal:
    """PostgreSQL's SUM and AVG answer ``numeric``; SQLite gives int or float. Give the
    same: an int for a whole number, else a float."""
    if "." not in text and "e" not in text.lower() and text.lstrip("-").isdigit():
        return int(text)
    return float(text)


async def prepare_postgres(raw: Any) -> None:
    """Each new PostgreSQL connection: numbers come back as SQLite would give them."""
    await raw.set_type_codec(
        "numeric", encoder=str, decoder=decode_numeric, schema="pg_catalog", format="text"
    )


def is_postgres_url(database: str) -> bool:
    return database.startswith(("postgresql://", "postgres://"))


# Read as text, not parsed: a URL that does not parse (a password with an unencoded "/", "?",
# "#" or "@") still loses its whole password. The user and password run from "://" to the
# last "@"; a password may also come as a query parameter.
_QUERY_PASSWORD = re.compile(r"([?&]password=)([^&]*)")
_UNPARSED = (
    'the URL does not parse: write "/", "?", "#" and "@" in the password as %2F, %3F, %23 and %40'
)


def _userinfo(url: str) -> tuple[int, int] | None:
    """Where the user name and password are in ``url`` (from "://" to the last "@")."""
    start = url.find("://") + 3
    end = url.rfind("@")
    return (start, end) if start >= 3 and end >= start else None


def url_passwords(url: str) -> list[str]:
    """The passwords a database URL holds: after the user name, or as ``?password=``; as
    written and decoded, longest first."""
    found = [match[2] for match in _QUERY_PASSWORD.finditer(url)]
    span = _userinfo(url)
    if span is not None:
        found.append(url[span[0] : span[1]].partition(":")[2])
    found = [password for password in found if password]
    return sorted({*found, *(unquote(p) for p in found)}, key=len, reverse=True)


def redacted_url(url: str) -> str:
    """``postgresql://user:secret@host/db?password=secret`` as
    ``postgresql://user:***@host/db?password=***``, even when the URL does not parse."""
    span = _userinfo(url)
    if span is not None:
        user, colon, _ = url[span[0] : span[1]].partition(":")
        if colon:
            url = f"{url[: span[0]]}{user}:***{url[span[1] :]}"
    return _QUERY_PASSWORD.sub(r"\1***", url)


def url_problem(url: str) -> str | None:
    """Why a PostgreSQL URL cannot be read the same way by every client (asyncpg, pg_dump),
    or ``None``: its password (or any part) holds an unencoded "/", "?", "#" or "@"."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        return _UNPARSED
    after = url[url.find("//") + 2 + len(parts.netloc) :]  # the path and the query
    if "#" in url or parts.netloc.count("@") > 1 or "@" in after:
        return _UNPARSED
    return None


def without_password(url: str) -> tuple[str, str | None]:
    """A URL that parses (``url_problem`` is None) without its password, and the password
    (decoded; a ``?password=`` wins over one after the user name, as in libpq)."""
    parts = urlsplit(url)
    password = unquote(parts.password) if parts.password is not None else None
    netloc = parts.netloc
    if parts.password is not None:
        userinfo, _, host = netloc.rpartition("@")
        user = userinfo.partition(":")[0]
        netloc = f"{user}@{host}" if user else host
    start = url.find("//") + 2
    path, _, query = url[start + len(parts.netloc) :].partition("?")
    kept = []
    for parameter in query.split("&") if query else []:
        if parameter.startswith("password="):
            password = unquote(parameter.removeprefix("password="))
        else:
            kept.append(parameter)
    return f"{url[:start]}{netloc}{path}{'?' if kept else ''}{'&'.join(kept)}", password
