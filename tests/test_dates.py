"""Dates and times as people read them: Babel's fi_FI, sv_FI and en_FI, in the reader's
language and the group's time zone."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.dates import (
    clock,
    date_time,
    day_and_time,
    day_month,
    day_month_time,
    days_and_times,
    for_groups,
    full_date,
    moment_words,
)
from bot.i18n import Text, Translator

TUESDAY = dt.date(2026, 12, 8)
# Tuesday 8 December 2026, 14:00 in Helsinki (UTC+2)
AFTERNOON = dt.datetime(2026, 12, 8, 12, 0, tzinfo=dt.UTC)
HELSINKI = "Europe/Helsinki"


@pytest.mark.parametrize(
    ("language", "day", "date", "morning", "afternoon"),
    [
        ("fi", "8.12.", "8.12.2026", "9.05", "14.00"),
        ("sv", "8.12", "8.12.2026", "09.05", "14.00"),
        ("en", "8 Dec", "8 Dec 2026", "9.05", "14.00"),
    ],
)
def test_days_and_times_in_each_language(
    language: str, day: str, date: str, morning: str, afternoon: str
) -> None:
    assert day_month(TUESDAY, language) == day
    assert full_date(TUESDAY, language) == date
    assert clock(dt.time(9, 5), language) == morning
    assert clock("14:00", language) == afternoon  # a meeting's stored time


@pytest.mark.parametrize(
    ("language", "meeting", "moment", "short"),
    [
        ("fi", "ti 8.12. 14.00", "8.12.2026 14.00", "8.12. 14.00"),
        ("sv", "tis 8.12 14.00", "8.12.2026 14.00", "8.12 14.00"),
        ("en", "Tue, 8 Dec, 14.00", "8 Dec 2026, 14.00", "8 Dec, 14.00"),
    ],
)
def test_a_meeting_and_a_moment(language: str, meeting: str, moment: str, short: str) -> None:
    assert day_and_time(TUESDAY, "14:00", language) == meeting
    assert date_time(AFTERNOON, HELSINKI, language) == moment
    assert day_month_time(AFTERNOON, HELSINKI, language) == short


def test_a_moment_is_shown_on_the_groups_wall_clock() -> None:
    assert date_time(AFTERNOON, "Europe/Stockholm", "fi") == "8.12.2026 13.00"
    summer = dt.datetime(2027, 6, 15, 6, 30, tzinfo=dt.UTC)  # UTC+3 in Helsinki
    assert date_time(summer, HELSINKI, "sv") == "15.6.2027 09.30"
    assert for_groups(AFTERNOON, [HELSINKI, "Europe/Stockholm"], "en") == (
        "8 Dec 2026, 14.00 Europe/Helsinki"
    )


def test_words_are_rendered_in_the_readers_language() -> None:
    translator = Translator.load()
    when = moment_words(AFTERNOON, HELSINKI)
    assert [translator.render(language, when) for language in ("fi", "sv", "en")] == [
        "8.12.2026 14.00",
        "8.12.2026 14.00",
        "8 Dec 2026, 14.00",
    ]
    days = days_and_times([(TUESDAY, "14:00"), (dt.date(2026, 12, 15), "09:30")])
    assert translator.render("en", days) == "Tue, 8 Dec, 14.00; Tue, 15 Dec, 9.30"
    inside = Text("schedule.message-cancelled", {"when": when, "what": "x"})
    assert "8.12.2026 14.00" in translator.render("sv", inside)
    assert translator.render(None, when) == "8.12.2026 14.00"  # the default: Finnish
