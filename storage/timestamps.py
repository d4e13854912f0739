"""Time is stored in UTC as fixed-width ISO 8601 text, which sorts and compares as text."""

from __future__ import annotations

import datetime as dt


def to_db(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("refusing to store a naive datetime")
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def from_db(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).astimezone(dt.UTC)
