"""Dates and times as a person reads them, in their language, through Babel.

Everything the bot, its files and its command line show a person as a date or a time comes
from here (what people type is read by ``bot.when``). The locales are Finland's:
``fi_FI``, ``sv_FI`` and ``en_FI`` (``LOCALES``), so the data is CLDR's, not a hand-kept
list, and each language reads as it does in Finland. What Babel prints, and so the bot:

    what        fi                  sv                  en
    day         8.12.               8.12                8 Dec
    date        8.12.2026           8.12.2026           8 Dec 2026
    time        14.00, 9.05         14.00, 09.05        14.00, 9.05
    meeting     ti 8.12. 14.00      tis 8.12 14.00      Tue, 8 Dec, 14.00
    date-time   8.12.2026 14.00     8.12.2026 14.00     8 Dec 2026, 14.00

The choice (``_SKELETONS``): Finnish and Swedish take the numeric day and month their
readers write (CLDR skeletons ``Md``, ``yMd``, ``MEd``). English takes the month's short
name (``MMMd``, ``yMMMd``, ``MMMEd``): en_FI's numeric ``08/12`` (8 December) reads as
August 12 to many English readers, ``8 Dec`` to none, and is as short on a phone. Times
are the 24-hour ``Hm`` of each locale, with the period Finland writes between hours and
minutes (sv adds a leading zero: ``09.05``). A date and a time are joined by the
locale's own date-time pattern (``{1} {0}``; en ``{1}, {0}``), and a list of English
meetings, whose items hold commas, is kept apart by semicolons.

Machine-readable columns (ISO dates in CSV and XLSX data sheets, file names, the audit
log's timestamps) are not shown through here: they stay ISO.

The functions taking a ``language`` give that language's text (the command line passes
``en``); the ones returning ``PerLanguage`` give words a service hands back, rendered later
in the reader's language (a group's message in the group's, a private answer in the
person's).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, get_datetime_format, get_day_names

from bot.i18n import PerLanguage
from bot.settings import LANGUAGES
from storage.states import Language

LOCALES: dict[str, str] = {Language.FI: "fi_FI", Language.SV: "sv_FI", Language.EN: "en_FI"}


@dataclass(frozen=True)
class _Skeletons:
    """The CLDR skeletons of one language: a day and month, with the year, with the weekday."""

    day: str
    date: str
    weekday: str


_NUMERIC = _Skeletons("Md", "yMd", "MEd")
_SKELETONS: dict[str, _Skeletons] = {
    Language.FI: _NUMERIC,
    Language.SV: _NUMERIC,
    Language.EN: _Skeletons("MMMd", "yMMMd", "MMMEd"),
}
_TIME = "Hm"


def _locale(language: str) -> str:
    """The Babel locale of one of our languages; another (None, a stray code) reads as Finnish."""
    return LOCALES.get(language, LOCALES[Language.FI])


def _skeletons(language: str) -> _Skeletons:
    return _SKELETONS.get(language, _SKELETONS[Language.FI])


def _joined(date: str, time: str, language: str) -> str:
    """A date and a time the way the locale joins them (``{1} {0}``)."""
    pattern = str(get_datetime_format("short", locale=_locale(language)))
    return pattern.format(time, date)


def day_month(day: dt.date, language: str) -> str:
    """``8.12.``, ``8.12``, ``8 Dec``: a day in the coming months, its year understood."""
    return format_skeleton(_skeletons(language).day, day, locale=_locale(language))


def full_date(day: dt.date, language: str) -> str:
    """``8.12.2026``, ``8.12.2026``, ``8 Dec 2026``."""
    return format_skeleton(_skeletons(language).date, day, locale=_locale(language))


def clock(time: dt.time | str, language: str) -> str:
    """``14.00`` (sv ``09.05`` where fi and en write ``9.05``); ``time`` may be a stored
    ``HH:MM``."""
    if isinstance(time, str):
        time = dt.time.fromisoformat(time)
    return format_skeleton(_TIME, time, locale=_locale(language))


def day_and_time(day: dt.date, time: dt.time | str, language: str) -> str:
    """``ti 8.12. 14.00``, ``tis 8.12 14.00``, ``Tue, 8 Dec, 14.00``: a meeting's weekday,
    day and time."""
    shown_day = format_skeleton(_skeletons(language).weekday, day, locale=_locale(language))
    return _joined(shown_day, clock(time, language), language)


def local_time(moment: dt.datetime, timezone: str) -> dt.datetime:
    """``moment`` on the wall clock of ``timezone``."""
    return moment.astimezone(ZoneInfo(timezone))


def date_time(moment: dt.datetime, timezone: str, language: str) -> str:
    """``8.12.2026 14.00``, ``8 Dec 2026, 14.00``: a moment in ``timezone``."""
    local = local_time(moment, timezone)
    return _joined(full_date(local.date(), language), clock(local.time(), language), language)


def day_month_time(moment: dt.datetime, timezone: str, language: str) -> str:
    """``8.12. 14.00``, ``8 Dec, 14.00``: a moment in the coming weeks (a button label, a
    line of a list), in ``timezone``."""
    local = local_time(moment, timezone)
    return _joined(day_month(local.date(), language), clock(local.time(), language), language)


def for_groups(
    moment: dt.datetime, zones: Sequence[str], language: str, *, typed_in: str | None = None
) -> str:
    """A time that concerns several groups (a broadcast's), shown once: in the zone it was
    typed in, by default the first group's (where ``BroadcastService.send_draft`` reads
    it); when that is not every group's zone, the zone is named,
    ``3.12.2026 9.00 Europe/Helsinki``, so nobody takes it for their own local time."""
    shown_in = typed_in or zones[0]
    shown = date_time(moment, shown_in, language)
    return shown if all(zone == shown_in for zone in zones) else f"{shown} {shown_in}"


# Words a service hands back, one version per language -------------------------------------


def moment_words(moment: dt.datetime, timezone: str) -> PerLanguage:
    """``date_time`` in every language."""
    return PerLanguage.of(lambda language: date_time(moment, timezone, language))


def short_moment_words(moment: dt.datetime, timezone: str) -> PerLanguage:
    """``day_month_time`` in every language."""
    return PerLanguage.of(lambda language: day_month_time(moment, timezone, language))


def clock_words(time: dt.time | str) -> PerLanguage:
    """``clock`` in every language."""
    return PerLanguage.of(lambda language: clock(time, language))


def groups_words(
    moment: dt.datetime, zones: Sequence[str], *, typed_in: str | None = None
) -> PerLanguage:
    """``for_groups`` in every language."""
    return PerLanguage.of(lambda language: for_groups(moment, zones, language, typed_in=typed_in))


def days_and_times(days: Sequence[tuple[dt.date, dt.time | str]]) -> PerLanguage:
    """``day_and_time`` of each, in a sentence, in every language: ``ti 8.12. 14.00, ti
    15.12. 14.00``; ``Tue, 8 Dec, 14.00; Tue, 15 Dec, 14.00`` (items that hold commas are
    kept apart by semicolons)."""

    def listed(language: str) -> str:
        shown = [day_and_time(day, time, language) for day, time in days]
        return ("; " if any("," in item for item in shown) else ", ").join(shown)

    return PerLanguage.of(listed)


# the weekdays as a meeting's day is shown, Monday first: Babel's (CLDR) abbreviations,
# ma ti ke, mån tis ons, Mon Tue Wed
SHORT_WEEKDAYS: dict[str, tuple[str, ...]] = {
    str(language): tuple(
        get_day_names("abbreviated", locale=LOCALES[language])[day] for day in range(7)
    )
    for language in LANGUAGES
}
