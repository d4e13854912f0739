"""Junk values end to end: the real bot over the emulator answers a year far from now and a
5,000-character time zone in the person's language, and nothing reaches the log as a
traceback or an error."""

from __future__ import annotations

import logging

import pytest

from testing.harness import RunningBot


async def test_year_9999_and_a_huge_time_zone_get_friendly_answers(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="fi")
    group = await bot.registered_group(ilkka, -100, "Kävelyryhmä")
    caplog.set_level(logging.INFO)

    far = await bot.set_meetings(ilkka, "/meetings ti 14:00 31.12.9999 x6", chat=group)
    assert far.text is not None
    assert far.text.startswith("Vuosi on liian kaukana. Kirjoita päivä vuosilta 2020–2029")

    await bot.set_meetings(ilkka, "/meetings ti 14:00 1.12. x3", chat=group)
    cancelled = await bot.say(ilkka, "/cancel 1.1.9999", chat=group)
    assert cancelled.text is not None and cancelled.text.startswith("Vuosi on liian kaukana.")

    zone = await bot.say(ilkka, "/group timezone " + "Europe/" + "x" * 5000, chat=group)
    assert zone.text is not None
    assert zone.text.startswith("En tunne aikavyöhykettä Europe/xxxxxxxx")
    assert len(zone.text) < 200  # a short piece of what was typed, not all of it

    sam = emulator.user(3100, "Sam", language_code="en")
    await bot.make_staff(sam, "coordinator")
    emulator.open_private_chat(sam)
    english = await bot.set_meetings(sam, "/meetings 1 tue 2 pm 9999-01-01")
    assert english.text is not None and english.text.startswith("That year is too far away.")

    log = "\n".join(record.getMessage() for record in caplog.records)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == [], log
    assert not any(record.exc_info for record in caplog.records)
    assert "Traceback" not in caplog.text
    async with bot.services.database.transaction() as tx:
        group_row = await tx.groups.by_chat(-100)
    assert group_row is not None and group_row.timezone == "Europe/Helsinki"
