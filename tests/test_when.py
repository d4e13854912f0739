"""Times typed in Finnish, Swedish or English, in the group's time zone, daylight saving too."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.dates import date_time, for_groups
from bot.when import WhenError, parse_dates, parse_weekly, parse_when

HELSINKI = "Europe/Helsinki"
# Saturday 28 November 2026, 12:00 in Helsinki (UTC+2)
NOW = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)


def local(text: str, now: dt.datetime = NOW, zone: str = HELSINKI) -> str:
    return date_time(parse_when(text, now, zone), zone, "fi")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-03 09:00", "3.12.2026 9.00"),
        ("2026-12-03T9.30", "3.12.2026 9.30"),
        ("3.12. klo 9", "3.12.2026 9.00"),
        ("3.12 kl 14.30", "3.12.2026 14.30"),
        ("3.12.2026 14:00", "3.12.2026 14.00"),
        ("5.1. 10", "5.1.2027 10.00"),  # already passed this year: next year
        ("ti 14:00", "1.12.2026 14.00"),
        ("tiistai 14", "1.12.2026 14.00"),
        ("tis kl 14", "1.12.2026 14.00"),
        ("tisdag 14.00", "1.12.2026 14.00"),
        ("Tue 14:00", "1.12.2026 14.00"),
        ("tuesday at 14", "1.12.2026 14.00"),
        ("la 13", "28.11.2026 13.00"),  # today, still ahead
        ("la 11", "5.12.2026 11.00"),  # today but passed: next week
        ("huomenna 9", "29.11.2026 9.00"),
        ("imorgon kl 9", "29.11.2026 9.00"),
        ("tomorrow 9:15", "29.11.2026 9.15"),
        ("tänään 18", "28.11.2026 18.00"),
        ("18:00", "28.11.2026 18.00"),
        ("18.00", "28.11.2026 18.00"),  # a time alone, the way the bot shows one
        ("13.45", "28.11.2026 13.45"),
        ("klo 14.05", "28.11.2026 14.05"),
        ("3.12", "3.12.2026 9.00"),  # a day: 12 could be a month
        ("14.05", "14.5.2027 9.00"),
        ("Tue 2pm", "1.12.2026 14.00"),
        ("tue 2:30 pm", "1.12.2026 14.30"),
        ("tomorrow 12am", "29.11.2026 0.00"),
        ("tomorrow 12 p.m.", "29.11.2026 12.00"),
    ],
)
def test_forms_people_type(text: str, expected: str) -> None:
    assert local(text) == expected


@pytest.mark.parametrize("text", ["", "soon", "ti 25:00", "ti", "tue 13pm", "ti 0am"])
def test_what_we_do_not_understand(text: str) -> None:
    with pytest.raises(WhenError) as raised:
        parse_when(text, NOW, HELSINKI)
    assert raised.value.key == "when.unparseable"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("31.2.", "31.2."),
        ("32.12. 9", "32.12."),
        ("29.2. 10:00", "29.2."),  # neither 2027 nor, from 28.11.2026, 2026 has one
        ("2026-02-30 10:00", "30.2.2026"),
        ("31.4.2027 12", "31.4.2027"),
        ("1.13.", "1.13."),
    ],
)
def test_a_date_that_does_not_exist_is_named(text: str, shown: str) -> None:
    with pytest.raises(WhenError) as raised:
        parse_when(text, NOW, HELSINKI)
    assert raised.value.key == "when.no-such-date"
    assert raised.value.params == {"date": shown}


@pytest.mark.parametrize("text", ["2026-11-28 11:00", "tänään 8", "1.1.2020 10:00", "11:59"])
def test_the_past_is_refused(text: str) -> None:
    with pytest.raises(WhenError) as raised:
        parse_when(text, NOW, HELSINKI)
    assert raised.value.key == "when.past"


def test_daylight_saving_is_honoured() -> None:
    winter = parse_when("2027-01-15 09:00", NOW, HELSINKI)
    summer = parse_when("2027-06-15 09:00", NOW, HELSINKI)
    skipped = parse_when("2027-03-28 03:30", NOW, HELSINKI)  # clocks go 03:00 -> 04:00

    assert winter == dt.datetime(2027, 1, 15, 7, 0, tzinfo=dt.UTC)
    assert summer == dt.datetime(2027, 6, 15, 6, 0, tzinfo=dt.UTC)
    assert date_time(skipped, HELSINKI, "fi") == "28.3.2027 4.30"


def test_the_group_time_zone_decides() -> None:
    assert parse_when("2026-12-03 09:00", NOW, "Europe/Stockholm") == dt.datetime(
        2026, 12, 3, 8, 0, tzinfo=dt.UTC
    )


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("3.12.", "2026-12-03", "2026-12-03"),
        ("3.12.–17.12.", "2026-12-03", "2026-12-17"),
        ("3.12.-17.12.2026", "2026-12-03", "2026-12-17"),
        ("3.12. - 17.12.", "2026-12-03", "2026-12-17"),
        ("2026-12-03..2026-12-17", "2026-12-03", "2026-12-17"),
        ("28.12.–4.1.", "2026-12-28", "2027-01-04"),  # over New Year
        ("1.12.–28.2.", "2026-12-01", "2027-02-28"),  # a winter over New Year
        ("huomenna", "2026-11-29", "2026-11-29"),
        ("ti–pe", "2026-12-01", "2026-12-04"),
        ("tänään–imorgon", "2026-11-28", "2026-11-29"),
        ("5.1.", "2027-01-05", "2027-01-05"),  # passed this year: next year
    ],
)
def test_days_and_ranges(text: str, first: str, last: str) -> None:
    assert parse_dates(text, NOW, HELSINKI) == (
        dt.date.fromisoformat(first),
        dt.date.fromisoformat(last),
    )


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("17.12.2026–3.12.2026", "when.range-backwards"),
        # an end without a year before the start is typed backwards, not a year's range
        ("22.12.–15.12.", "when.range-backwards"),
        ("15.12.–1.12.", "when.range-backwards"),
        ("1.12.–30.11.", "when.range-backwards"),
        ("1.11.2026–3.11.2026", "when.past"),
        ("someday", "when.unparseable-dates"),
        ("3.12. 14:00", "when.unparseable-dates"),
        ("31.2.", "when.no-such-date"),
        ("30.2.–3.3.", "when.no-such-date"),
        ("1.3.–31.4.", "when.no-such-date"),
        ("1.12.–2.12.–3.12.", "when.unparseable-dates"),
    ],
)
def test_bad_ranges_are_refused(text: str, key: str) -> None:
    with pytest.raises(WhenError) as raised:
        parse_dates(text, NOW, HELSINKI)
    assert raised.value.key == key


@pytest.mark.parametrize(
    ("text", "weekday", "time"),
    [
        ("ti 14:00", 1, "14:00"),
        ("tis 14.00", 1, "14:00"),
        ("Tue 2pm", 1, "14:00"),
        ("torstai klo 9.30", 3, "09:30"),
        ("fredag kl 10", 4, "10:00"),
    ],
)
def test_weekly_slots(text: str, weekday: int, time: str) -> None:
    assert parse_weekly(text) == (weekday, dt.time.fromisoformat(time))


@pytest.mark.parametrize("text", ["ti", "14:00", "someday 14:00", "ti 25:00", "3.12. 14:00"])
def test_bad_weekly_slots(text: str) -> None:
    with pytest.raises(WhenError) as raised:
        parse_weekly(text)
    assert raised.value.key == "when.unparseable-weekly"


def test_a_time_for_groups_in_several_zones_names_the_zone_it_is_shown_in() -> None:
    moment = dt.datetime(2026, 12, 3, 7, 0, tzinfo=dt.UTC)
    assert for_groups(moment, ["Europe/Stockholm"], "fi") == "3.12.2026 8.00"
    assert for_groups(moment, ["Europe/Helsinki"] * 2, "fi") == "3.12.2026 9.00"
    assert (
        for_groups(moment, ["Europe/Helsinki", "Europe/Stockholm"], "fi")
        == "3.12.2026 9.00 Europe/Helsinki"
    )
    # typed elsewhere (the command line reads --at in the deployment's zone)
    assert (
        for_groups(moment, ["Europe/Stockholm"], "en", typed_in="Europe/Helsinki")
        == "3 Dec 2026, 9.00 Europe/Helsinki"
    )
    assert for_groups(moment, ["Europe/Helsinki"], "sv", typed_in="Europe/Helsinki") == (
        "3.12.2026 09.00"
    )
