"""Small helpers every repository uses: run a query, turn rows into dataclasses."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import types
import typing
from collections.abc import Callable, Collection, Sequence
from enum import StrEnum
from typing import Any, TypeVar

from storage.sql import Connection, Params
from storage.timestamps import from_db

T = TypeVar("T")


async def fetch_one(connection: Connection, sql: str, params: Params) -> Any:
    return await connection.fetch_one(sql, params)


async def fetch_all(connection: Connection, sql: str, params: Params) -> Sequence[Any]:
    return await connection.fetch_all(sql, params)


async def execute(connection: Connection, sql: str, params: Params) -> int:
    """Run a statement; returns the number of rows it changed."""
    return await connection.execute(sql, params)


async def insert(connection: Connection, sql: str, params: Params) -> int:
    """Run an INSERT ... RETURNING id; returns the new id."""
    row = await connection.fetch_one(sql, params)
    assert row is not None
    return int(row[0])


def marks(values: Collection[object]) -> str:
    """One ``?`` per value, for ``IN (...)``."""
    return ", ".join("?" for _ in values)


def to_model(cls: type[T], row: Any) -> T:
    """Build dataclass ``cls`` from a row whose column names are its field names.

    Fields typed ``datetime`` (or ``datetime | None``) are parsed from stored text; fields
    typed ``date`` likewise; fields typed ``bool`` from 0/1; fields typed with an enum of
    ``storage/states.py`` become its member (a word outside it is an error).
    """
    values: dict[str, Any] = {}
    for name, convert in _converters(typing.cast(Any, cls)):
        value = row[name]
        values[name] = value if value is None or convert is None else convert(value)
    return cls(**values)


@functools.cache
def _converters(cls: Any) -> tuple[tuple[str, Callable[[Any], Any] | None], ...]:
    """Each field with how its stored value is read (worked out once per class)."""
    hints = typing.get_type_hints(cls)
    found: list[tuple[str, Callable[[Any], Any] | None]] = []
    for field in dataclasses.fields(cls):
        kind = hints[field.name]
        convert: Callable[[Any], Any] | None = None
        if _is(kind, dt.datetime):
            convert = from_db
        elif _is(kind, dt.date):
            convert = dt.date.fromisoformat
        elif _is(kind, bool):
            convert = bool
        else:
            convert = _enum_of(kind)
        found.append((field.name, convert))
    return tuple(found)


def to_models(cls: type[T], rows: Sequence[Any]) -> list[T]:
    return [to_model(cls, row) for row in rows]


def _enum_of(kind: Any) -> type[StrEnum] | None:
    """The StrEnum a field is typed with (alone or with None), if any."""
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        found = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        kind = found[0] if len(found) == 1 else None
    return kind if isinstance(kind, type) and issubclass(kind, StrEnum) else None


def _is(kind: Any, target: type) -> bool:
    if kind is target:
        return True
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        return target in typing.get_args(kind)
    return False
