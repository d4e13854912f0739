"""The public holidays a meeting may fall on, named in the reader's language.

The programme runs in Finland, so the days are Finland's, from the maintained ``holidays``
library (its Finnish calendar keeps the moving feasts, Midsummer and All Saints' Day right
for any year, and names each day in Finnish, Swedish and English). Christmas Eve and
Midsummer Eve are in it too: nobody comes to a group meeting on them either.
"""

from __future__ import annotations

import datetime as dt
import functools

import holidays

COUNTRY = "FI"
# the library's name for each of the bot's languages
_LANGUAGES = {"fi": "fi", "sv": "sv_FI", "en": "en_US"}


@functools.cache
def _calendar(language: str) -> holidays.HolidayBase:
    return holidays.country_holidays(COUNTRY, language=_LANGUAGES.get(language, "fi"))


def holiday_name(day: dt.date, language: str) -> str | None:
    """The name of the public holiday on ``day`` in ``language``; None on other days."""
    name = _calendar(language).get(day)
    return None if name is None else str(name)
