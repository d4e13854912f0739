"""Small helpers every repository uses: run a query, turn rows into dataclasses."""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import aiosqlite

from storage.timestamps import from_db

T = TypeVar("T")
Params = Mapping[str, Any]


async def fetch_one(connection: aiosqlite.Connection, sql: str, params: Params) -> Any:
    async with connection.execute(sql, params) as cursor:
        return await cursor.fetchone()


async def fetch_all(connection: aiosqlite.Connection, sql: str, params: Params) -> Sequence[Any]:
    async with connection.execute(sql, params) as cursor:
        return list(await cursor.fetchall())


async def execute(connection: aiosqlite.Connection, sql: str, params: Params) -> int:
    """Run a statement; returns the number of rows it changed."""
    async with connection.execute(sql, params) as cursor:
        return cursor.rowcount


async def insert(connection: aiosqlite.Connection, sql: str, params: Params) -> int:
    """Run an INSERT ... RETURNING id; returns the new id."""
    row = await fetch_one(connection, sql, params)
    assert row is not None
    return int(row[0])


def to_model(cls: type[T], row: Any) -> T:
    """Build dataclass ``cls`` from a row whose column names are its field names.

    Fields typed ``datetime`` (or ``datetime | None``) are parsed from stored text; fields
    typed ``bool`` from 0/1.
    """
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        value = row[field.name]
        kind = hints[field.name]
        if value is not None and _is(kind, dt.datetime):
            value = from_db(value)
        elif value is not None and _is(kind, dt.date):
            value = dt.date.fromisoformat(value)
        elif value is not None and _is(kind, bool):
            value = bool(value)
        values[field.name] = value
    return cls(**values)


def to_models(cls: type[T], rows: Sequence[Any]) -> list[T]:
    return [to_model(cls, row) for row in rows]


def _is(kind: Any, target: type) -> bool:
    if kind is target:
        return True
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        return target in typing.get_args(kind)
    return False
