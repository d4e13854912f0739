"""Times typed in Finnish, Swedish or English, in the group's time zone, daylight saving too."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.when import WhenError, format_local, parse_when

HELSINKI = "Europe/Helsinki"
# Saturday 28 November 2026, 12:00 in Helsinki (UTC+2)
NOW = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)


def local(text: str, now: dt.datetime = NOW, zone: str = HELSINKI) -> str:
    return format_local(parse_when(text, now, zone), zone)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-03 09:00", "3.12.2026 09:00"),
        ("2026-12-03T9.30", "3.12.2026 09:30"),
        ("3.12. klo 9", "3.12.2026 09:00"),
        ("3.12 kl 14.30", "3.12.2026 14:30"),
        ("3.12.2026 14:00", "3.12.2026 14:00"),
        ("5.1. 10", "5.1.2027 10:00"),  # already passed this year: next year
        ("ti 14:00", "1.12.2026 14:00"),
        ("tiistai 14", "1.12.2026 14:00"),
        ("tis kl 14", "1.12.2026 14:00"),
        ("tisdag 14.00", "1.12.2026 14:00"),
        ("Tue 14:00", "1.12.2026 14:00"),
        ("tuesday at 14", "1.12.2026 14:00"),
        ("la 13", "28.11.2026 13:00"),  # today, still ahead
        ("la 11", "5.12.2026 11:00"),  # today but passed: next week
        ("huomenna 9", "29.11.2026 09:00"),
        ("imorgon kl 9", "29.11.2026 09:00"),
        ("tomorrow 9:15", "29.11.2026 09:15"),
        ("tänään 18", "28.11.2026 18:00"),
        ("18:00", "28.11.2026 18:00"),
    ],
)
def test_forms_people_type(text: str, expected: str) -> None:
    assert local(text) == expected


@pytest.mark.parametrize("text", ["", "soon", "32.12. 9", "ti 25:00", "2026-02-30 10:00", "ti"])
def test_what_we_do_not_understand(text: str) -> None:
    with pytest.raises(WhenError) as raised:
        parse_when(text, NOW, HELSINKI)
    assert raised.value.key == "when.unparseable"


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
    assert format_local(skipped, HELSINKI) == "28.3.2027 04:30"


def test_the_group_time_zone_decides() -> None:
    assert parse_when("2026-12-03 09:00", NOW, "Europe/Stockholm") == dt.datetime(
        2026, 12, 3, 8, 0, tzinfo=dt.UTC
    )
