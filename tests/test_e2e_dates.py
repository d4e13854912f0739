"""Dates and times as people read them, end to end, in the group's language: a Swedish
group reads ``tis 1.12 09.05``, an English one ``Tue, 1 Dec, 9.05`` in its calendar and
reminders; the instructor's /rhythm and /schedule show times the same way; what people
type (``9:05``, ``19.30``) is read as before."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.clock import FixedClock
from testing.harness import RunningBot
from tests.test_e2e_checkins import fire_at, helsinki

CASES = {
    "sv": {
        "told": "• tis 1.12 09.05",
        "evening": "Påminnelse: i morgon är det gruppträff (1/2), tis 1.12 09.05.",
        "before": "Träffen börjar i dag kl. 09.05.",
        "rhythm": ("Påminnelse kvällen innan: 19.30", "Tyst tid: 21.00–08.00"),
        "line": "3. 👥 tis 1.12 09.05 träff ✅",
        "button": "1: 30.11 19.30",
    },
    "en": {
        "told": "• Tue, 1 Dec, 9.05",
        "evening": "Reminder: tomorrow is our group meeting (1/2), Tue, 1 Dec, 9.05.",
        "before": "Our meeting starts today at 9.05.",
        "rhythm": ("Reminder the evening before: 19.30", "Quiet hours: 21.00–8.00"),
        "line": "3. 👥 Tue, 1 Dec, 9.05 meeting ✅",
        "button": "1: 30 Nov, 19.30",
    },
}


@pytest.mark.parametrize("language", list(CASES))
async def test_a_group_reads_its_meetings_dates_and_times_in_its_language(
    bot: RunningBot, clock: FixedClock, language: str
) -> None:
    said = CASES[language]
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code=language)
    group = await bot.registered_group(ilkka, -100, "Kävelyryhmä")
    mark = emulator.mark()
    await bot.set_meetings(ilkka, "/meetings ti 9:05 1.12. x2 Kirjasto", chat=group)
    told = await emulator.wait_for(
        "sendMessage", chat_id=group.id, after=mark, where=lambda c: (c.text or "")[:1] == "📅"
    )
    assert said["told"] in (told.text or "").splitlines()
    rhythm = await bot.say(ilkka, "/rhythm evening 19.30", chat=group)  # typed with a point
    lines = (rhythm.text or "").splitlines()
    for shown in said["rhythm"]:
        assert shown in lines

    schedule = await bot.say(ilkka, "/schedule")
    assert said["line"] in (schedule.text or "").splitlines()
    assert [label for label, _ in schedule.buttons() if label.endswith(said["button"])]

    mark = await fire_at(bot, clock, helsinki("2026-11-30", "19:30"))
    evening = await emulator.wait_for("sendMessage", chat_id=group.id, after=mark)
    assert (evening.text or "").startswith(said["evening"])

    mark = await fire_at(bot, clock, helsinki("2026-12-01", "08:05"))
    before = await emulator.wait_for("sendMessage", chat_id=group.id, after=mark)
    assert (before.text or "").startswith(said["before"])
    assert clock.now() == dt.datetime(2026, 12, 1, 6, 5, tzinfo=dt.UTC)
