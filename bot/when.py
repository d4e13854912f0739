"""Dates and times typed by people, in Finnish, Swedish or English, in a group's time zone.

Accepted, case-insensitive, with ``klo``/``kl``/``at`` optional before the time and ``:`` or
``.`` between hours and minutes:

- ``2026-12-03 09:00``, ``3.12.2026 9.00``, ``3.12. klo 9``, ``3.12 14:30``
- a weekday: ``ti 14:00``, ``tiistai 14``, ``tis kl 14``, ``tisdag 14.00``, ``tue 2:00``,
  ``tuesday 14`` (the next such day; today if the time is still ahead)
- ``tänään 18``/``idag 18``/``today 18``, ``huomenna 9``/``imorgon 9``/``tomorrow 9``
- a time alone, ``14:00`` or ``14.00``: today (``3.12`` alone is a day: two digits after
  the point are a time only when they cannot be a month, so ``14.00`` and ``9.30`` are times
  and ``14.05`` is the 14th of May; ``klo 14.05`` is a time)

A date without a year is the next such date. The result is an aware UTC datetime; a time
that does not exist locally (the hour skipped when clocks go forward) moves forward with
the clock. Anything else raises ``WhenError`` with the message key to show.

How dates and times are shown, in the reader's language, is ``bot.dates``: Babel's, so
the bot shows ``14.00`` in Finnish and reads both ``14.00`` and ``14:00``.

A date is read only within ``EARLIEST_YEAR`` .. ``LATEST_YEARS`` years from now (a
programme runs for weeks, its follow-ups for months): a year outside that is refused as
``when.out-of-range`` before any date arithmetic could overflow. A time zone is one of the
IANA names of the zone database (``known_timezone``), matched without regard to case.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from zoneinfo import ZoneInfo, available_timezones

from bot.errors import DomainError

_WEEKDAYS = {
    # Finnish
    "ma": 0,
    "maanantai": 0,
    "ti": 1,
    "tiistai": 1,
    "ke": 2,
    "keskiviikko": 2,
    "to": 3,
    "torstai": 3,
    "pe": 4,
    "perjantai": 4,
    "la": 5,
    "lauantai": 5,
    "su": 6,
    "sunnuntai": 6,
    # Swedish
    "må": 0,
    "mån": 0,
    "måndag": 0,
    "tis": 1,
    "tisdag": 1,
    "ons": 2,
    "onsdag": 2,
    "tor": 3,
    "tors": 3,
    "torsdag": 3,
    "fre": 4,
    "fredag": 4,
    "lör": 5,
    "lördag": 5,
    "sön": 6,
    "söndag": 6,
    # English
    "mon": 0,
    "monday": 0,
    "tue": 1,
    "tues": 1,
    "tuesday": 1,
    "wed": 2,
    "wednesday": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "thursday": 3,
    "fri": 4,
    "friday": 4,
    "sat": 5,
    "saturday": 5,
    "sun": 6,
    "sunday": 6,
}
_RELATIVE = {
    "tänään": 0,
    "idag": 0,
    "today": 0,
    "huomenna": 1,
    "imorgon": 1,
    "i morgon": 1,
    "tomorrow": 1,
    "ylihuomenna": 2,
    "iövermorgon": 2,
    "i övermorgon": 2,
}
_TIME = (
    r"(?:(?:klo|kl|at)\.?\s*)?(?P<hour>\d{1,2})(?:[:.](?P<minute>\d{2}))?"
    r"(?:\s*(?P<ampm>am|pm|a\.m\.|p\.m\.))?"
)
_ISO = re.compile(rf"^(?P<year>\d{{4}})-(?P<month>\d{{1,2}})-(?P<day>\d{{1,2}})(?:[ t]+{_TIME})?$")
_DOTTED = re.compile(
    rf"^(?P<day>\d{{1,2}})\.(?P<month>\d{{1,2}})\.?(?P<year>\d{{4}})?(?:\s+{_TIME})?$"
)
_NAMED = re.compile(rf"^(?P<name>[a-zåäö]+(?: morgon| övermorgon)?)\.?(?:\s+{_TIME})?$")
_TIME_ONLY = re.compile(rf"^{_TIME}$")


EARLIEST_YEAR = 2020  # before the first group began: a typing mistake
# a range whose end has no year is read over New Year (28.12.–4.1.) only while it spans
# at most this: a longer one was typed backwards (22.12.–15.12.)
NEW_YEAR_SPAN = dt.timedelta(days=183)
LATEST_YEARS = 3  # years ahead: a programme, its follow-ups and planning well ahead
ZONE_NAME_LIMIT = 64  # characters: the longest IANA name is 32
# names in the zone database that are not places people live by
_NOT_ZONES = frozenset({"Factory", "localtime", "posixrules"})


class WhenError(DomainError):
    """The text is not a time we understand, or it is in the past."""


def year_in_range(year: int, today: dt.date) -> None:
    """Refuse a year far from now (``3.12.9999``: a typing mistake, and past the calendar's
    end once weeks are added)."""
    if not EARLIEST_YEAR <= year <= today.year + LATEST_YEARS:
        raise WhenError(
            "when.out-of-range", earliest=EARLIEST_YEAR, latest=today.year + LATEST_YEARS
        )


@functools.cache
def _zones() -> dict[str, str]:
    """Every IANA zone name, by its lower case."""
    return {name.lower(): name for name in available_timezones() - _NOT_ZONES}


def known_timezone(name: str) -> str | None:
    """The IANA zone ``name`` means (``europe/helsinki`` is ``Europe/Helsinki``), or None."""
    if len(name) > ZONE_NAME_LIMIT:
        return None
    return _zones().get(name.strip().lower())


def parse_when(text: str, now: dt.datetime, timezone: str) -> dt.datetime:
    """The moment ``text`` means, seen from ``now`` in ``timezone``, as UTC."""
    zone = ZoneInfo(timezone)
    local_now = now.astimezone(zone)
    cleaned = " ".join(text.lower().replace(",", " ").split())
    if not cleaned:
        raise WhenError("when.unparseable")
    day, hour, minute = _day_and_time(cleaned, local_now)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise WhenError("when.unparseable")
    naive = dt.datetime.combine(day, dt.time(hour, minute))
    moment = _localize(naive, zone)
    if moment <= now:
        raise WhenError("when.past")
    return moment


def _day_and_time(text: str, local_now: dt.datetime) -> tuple[dt.date, int, int]:
    today = local_now.date()
    if match := _ISO.match(text):
        year_in_range(int(match["year"]), today)
        day = _date(int(match["year"]), int(match["month"]), int(match["day"]))
        return day, *_clock(match, default_hour=9)
    if (match := _TIME_ONLY.match(text)) and not _could_be_month(match["minute"]):
        return today, *_clock(match, default_hour=None)
    if match := _DOTTED.match(text):
        if match["year"]:
            year_in_range(int(match["year"]), today)
            day = _date(int(match["year"]), int(match["month"]), int(match["day"]))
        else:
            month, number = int(match["month"]), int(match["day"])
            day = _date(today.year, month, number, typed_year=False)
            if day < today:
                day = _date(today.year + 1, month, number, typed_year=False)
        return day, *_clock(match, default_hour=9)
    if match := _TIME_ONLY.match(text):
        return today, *_clock(match, default_hour=None)
    if match := _NAMED.match(text):
        name = match["name"]
        hour, minute = _clock(match, default_hour=None)
        if name in _RELATIVE:
            return today + dt.timedelta(days=_RELATIVE[name]), hour, minute
        if name in _WEEKDAYS:
            ahead = (_WEEKDAYS[name] - today.weekday()) % 7
            day = today + dt.timedelta(days=ahead)
            if ahead == 0 and (hour, minute) <= (local_now.hour, local_now.minute):
                day += dt.timedelta(days=7)
            return day, hour, minute
    raise WhenError("when.unparseable")


def _could_be_month(minutes: str | None) -> bool:
    """Whether the digits after a point could be a month: a lone ``3.12`` is a day, but
    ``14.00``, ``9.30`` or ``18.45`` (how the bot itself shows a time) is a time."""
    return minutes is not None and 1 <= int(minutes) <= 12


def _clock(match: re.Match[str], default_hour: int | None) -> tuple[int, int]:
    hour = match["hour"]
    if hour is None:
        if default_hour is None:
            raise WhenError("when.unparseable")
        return default_hour, 0
    value, minute = int(hour), int(match["minute"] or 0)
    if match["ampm"]:  # 12-hour clock: 12am is midnight, 12pm noon
        if not 1 <= value <= 12:
            raise WhenError("when.unparseable")
        value = value % 12 + (12 if match["ampm"].startswith("p") else 0)
    return value, minute


def _date(year: int, month: int, day: int, *, typed_year: bool = True) -> dt.date:
    """The day, or "there is no such date" (``31.2.``, ``32.1.``, ``29.2.2027``), shown as
    it was typed (without the year the person left out)."""
    try:
        return dt.date(year, month, day)
    except ValueError:
        shown = f"{day}.{month}.{year}" if typed_year else f"{day}.{month}."
        raise WhenError("when.no-such-date", date=shown) from None


def _localize(naive: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """Local wall time to UTC. With fold=0 a wall time skipped when clocks go forward
    lands an hour later (03:30 becomes 04:30), and a repeated one when they go back is
    its first occurrence."""
    return naive.replace(tzinfo=zone).astimezone(dt.UTC)


# Date ranges and weekly slots (the meeting calendar) -------------------------------------

_RANGE_SPLIT = re.compile(r"\s*(?:–|—|\.\.|\s-\s|(?<=\.)-|(?<=\d)-(?=\d{1,2}\.\d))\s*")
_WEEKLY = re.compile(rf"^(?P<name>[a-zåäö]+)\.?\s+{_TIME}$")


def parse_dates(text: str, now: dt.datetime, timezone: str) -> tuple[dt.date, dt.date]:
    """A day or a range of days, inclusive: ``3.12.``, ``3.12.–17.12.``, ``3.12.-17.12.2026``,
    ``2026-12-03..2026-12-17``, ``huomenna``, ``ti``. A range ending before it starts, or
    a day before today, is refused; a day without a year is the next such day (and an end
    without one is the next such day from the start, so ``28.12.–4.1.`` spans New Year)."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    cleaned = " ".join(text.lower().replace(",", " ").split())
    parts = [part for part in _RANGE_SPLIT.split(cleaned) if part]
    if not 1 <= len(parts) <= 2:
        raise WhenError("when.unparseable-dates")
    first = _day_only(parts[0], today, today)
    last = _day_only(parts[-1], today, first)
    if last < first or (last - first > NEW_YEAR_SPAN and _wrapped(parts[-1], first, last)):
        raise WhenError("when.range-backwards")
    if last < today:
        raise WhenError("when.past")
    return first, last


def _wrapped(text: str, first: dt.date, last: dt.date) -> bool:
    """The end was typed without a year and read as next year's only because that day of
    the start's year comes before the start: ``22.12.–15.12.`` (typed backwards, not a
    range of a year) rather than ``28.12.–4.1.`` (over New Year)."""
    match = _DOTTED.match(text)
    return (
        match is not None
        and not match["year"]
        and last.year == first.year + 1
        and last.replace(year=first.year) < first
    )


def parse_weekly(text: str) -> tuple[int, dt.time]:
    """A weekday and a time, as a weekly meeting: ``ti 14:00``, ``tis 14.00``, ``Tue 2pm``.
    Returns the weekday (Monday 0) and the local time."""
    cleaned = " ".join(text.lower().replace(",", " ").split())
    match = _WEEKLY.match(cleaned)
    if match is None or match["name"] not in _WEEKDAYS:
        raise WhenError("when.unparseable-weekly")
    try:
        hour, minute = _clock(match, default_hour=None)
        return _WEEKDAYS[match["name"]], dt.time(hour, minute)
    except (WhenError, ValueError):
        raise WhenError("when.unparseable-weekly") from None


def _day_only(text: str, today: dt.date, not_before: dt.date) -> dt.date:
    """A day without a time; a day without a year, or a weekday, is the first such day
    from ``not_before`` on."""
    try:
        if match := _ISO.match(text):
            if match["hour"] is None:
                year_in_range(int(match["year"]), today)
                return _date(int(match["year"]), int(match["month"]), int(match["day"]))
        elif match := _DOTTED.match(text):
            if match["hour"] is None:
                month, day = int(match["month"]), int(match["day"])
                if match["year"]:
                    year_in_range(int(match["year"]), today)
                    return _date(int(match["year"]), month, day)
                found = _date(not_before.year, month, day, typed_year=False)
                if found >= not_before:
                    return found
                return _date(not_before.year + 1, month, day, typed_year=False)
        elif text in _RELATIVE:
            return today + dt.timedelta(days=_RELATIVE[text])
        elif text.rstrip(".") in _WEEKDAYS:
            ahead = (_WEEKDAYS[text.rstrip(".")] - not_before.weekday()) % 7
            return not_before + dt.timedelta(days=ahead)
    except WhenError as error:
        if error.key in {"when.out-of-range", "when.no-such-date"}:
            raise
    raise WhenError("when.unparseable-dates")
