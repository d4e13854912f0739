"""Setting a group's calendar, end to end: /meetings shows the meetings it would set, names
the public holidays among them and asks; the meetings are set, as typed or without the
holidays, and announced to the group only on the asker's own press of the open question,
in its chat, in time, once, while the calendar is as it was asked about. In Finnish,
Swedish and English."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from emulator import Chat
from testing.harness import RunningBot
from tests.test_e2e_meeting_changes import alert, said_in
from tests.test_e2e_privacy import rows

Json = dict[str, Any]
# Fridays from 18.12.2026: Christmas Day (25.12.) and New Year's Day (1.1.) fall on them
FRIDAYS = {"fi": "pe 14:00 18.12. x3 Kirjasto", "sv": "fre 14:00 18.12. x3 Kirjasto"}
FRIDAYS["en"] = "Fri 14:00 18.12. x3 Kirjasto"
SAYS = {
    "fi": {
        "ask": (
            "Asetetaanko ryhmälle Kävelyryhmä 3 tapaamista, paikka: Kirjasto?\n"
            "• pe 18.12. 14.00\n"
            "• pe 25.12. 14.00 ⚠️ Joulupäivä\n"
            "• pe 1.1. 14.00 ⚠️ Uudenvuodenpäivä\n"
            "⚠️ 2 tapaamista osuu pyhäpäiville. Jos jätät ne pois, sarja jatkuu pidempään ja "
            "viimeinen tapaaminen on pe 15.1. 14.00.\n"
            "Mitään ei tallenneta eikä ryhmälle kerrota, ennen kuin vahvistat."
        ),
        "buttons": ["✅ Aseta ja kerro ryhmälle", "📅 Aseta ilman pyhäpäiviä", "Pidä ennallaan"],
        "set": (
            "Kävelyryhmä: 3 tapaamista, paikka: Kirjasto\n"
            "1. pe 18.12. 14.00 ✅\n"
            "2. pe 8.1. 14.00 ✅\n"
            "3. pe 15.1. 14.00 ✅\n"
            "Kerroin tapaamiset ryhmälle."
        ),
        "told": (
            "📅 Ryhmän Kävelyryhmä 3 tapaamista:\n"
            "• pe 18.12. 14.00\n"
            "• pe 8.1. 14.00\n"
            "• pe 15.1. 14.00\n"
            "Paikka: Kirjasto\n"
            "Tervetuloa mukaan!"
        ),
        "kept": "Tapaamiset pidetään ennallaan. Mitään ei muutettu.",
        "gone": "Tämä painike ei enää toimi",
        "stale": "Ryhmän tapaamiset ovat muuttuneet kysymyksen jälkeen",
    },
    "sv": {
        "ask": (
            "Ska gruppen Kävelyryhmä få 3 träffar, plats: Kirjasto?\n"
            "• fre 18.12 14.00\n"
            "• fre 25.12 14.00 ⚠️ Juldagen\n"
            "• fre 1.1 14.00 ⚠️ Nyårsdagen\n"
            "⚠️ 2 träffar infaller på helgdagar. Om du hoppar över dem fortsätter serien "
            "längre och den sista träffen är fre 15.1 14.00.\n"
            "Ingenting sparas och gruppen får inte veta något förrän du bekräftar."
        ),
        "buttons": [
            "✅ Spara och berätta för gruppen",
            "📅 Spara utan helgdagarna",
            "Låt det vara som det är",
        ],
        "set": (
            "Kävelyryhmä: 3 träffar, plats: Kirjasto\n"
            "1. fre 18.12 14.00 ✅\n"
            "2. fre 8.1 14.00 ✅\n"
            "3. fre 15.1 14.00 ✅\n"
            "Jag berättade om träffarna för gruppen."
        ),
        "told": (
            "📅 Gruppen Kävelyryhmä har 3 träffar:\n"
            "• fre 18.12 14.00\n"
            "• fre 8.1 14.00\n"
            "• fre 15.1 14.00\n"
            "Plats: Kirjasto\n"
            "Välkommen med!"
        ),
        "kept": "Träffarna förblir som de var. Ingenting ändrades.",
        "gone": "Den här knappen fungerar inte längre",
        "stale": "Gruppens träffar har ändrats sedan frågan",
    },
    "en": {
        "ask": (
            "Set 3 meetings for Kävelyryhmä, place: Kirjasto?\n"
            "• Fri, 18 Dec, 14.00\n"
            "• Fri, 25 Dec, 14.00 ⚠️ Christmas Day\n"
            "• Fri, 1 Jan, 14.00 ⚠️ New Year's Day\n"
            "⚠️ 2 meetings fall on public holidays. If you leave them out, the series runs "
            "longer and the last meeting is Fri, 15 Jan, 14.00.\n"
            "Nothing is saved or told to the group until you confirm."
        ),
        "buttons": ["✅ Set and tell the group", "📅 Set without the holidays", "Keep as is"],
        "set": (
            "Kävelyryhmä: 3 meetings, place: Kirjasto\n"
            "1. Fri, 18 Dec, 14.00 ✅\n"
            "2. Fri, 8 Jan, 14.00 ✅\n"
            "3. Fri, 15 Jan, 14.00 ✅\n"
            "I told the group about the meetings."
        ),
        "told": (
            "📅 Kävelyryhmä has 3 meetings:\n"
            "• Fri, 18 Dec, 14.00\n"
            "• Fri, 8 Jan, 14.00\n"
            "• Fri, 15 Jan, 14.00\n"
            "Place: Kirjasto\n"
            "Welcome along!"
        ),
        "kept": "The meetings stay as they were. Nothing was changed.",
        "gone": "This button no longer works",
        "stale": "The group's meetings have changed since the question",
    },
}
LANGUAGES = pytest.mark.parametrize("language", ["fi", "sv", "en"])


async def group_of(bot: RunningBot, language: str) -> tuple[Json, Chat]:
    """An instructor speaking ``language`` and their new group, speaking it too."""
    ilkka = bot.emulator.user(3000, "Ilkka", language_code=language)
    group = await bot.registered_group(ilkka, -100, "Kävelyryhmä")
    return ilkka, group


async def stored_days(bot: RunningBot) -> list[str]:
    return [str(day) for (day,) in await rows(bot, "SELECT local_date FROM meetings ORDER BY 1")]


@LANGUAGES
async def test_a_calendar_is_asked_first_with_its_holidays_and_told_to_the_group(
    bot: RunningBot, language: str
) -> None:
    says = SAYS[language]
    ilkka, group = await group_of(bot, language)
    mark = bot.emulator.mark()

    question = await bot.say(ilkka, f"/meetings 1 {FRIDAYS[language]}")
    assert question.text == says["ask"]
    assert [label for label, _ in question.buttons()] == says["buttons"]
    # nothing is set and nobody told before the press
    await bot.handled_everything()
    assert await stored_days(bot) == []
    assert said_in(bot, group, mark) == []

    # without the holidays: the series runs on past them, three meetings still
    skip = question.buttons()[1][1]
    answered = await bot.press(ilkka, question.result, skip)
    assert "show_alert" not in answered.params
    edited = await bot.emulator.wait_for("editMessageText", chat_id=ilkka["id"], after=mark)
    assert edited.text == says["set"]
    assert edited.buttons() == []  # the question's buttons are gone with it
    told = await bot.emulator.wait_for("sendMessage", chat_id=group.id, after=mark)
    assert told.text == says["told"]
    assert await stored_days(bot) == ["2026-12-18", "2027-01-08", "2027-01-15"]

    # the same press again is an alert, and changes nothing
    again = mark = bot.emulator.mark()
    assert (await alert(bot, ilkka, question.result, skip)).startswith(says["gone"])
    await bot.handled_everything()
    assert said_in(bot, group, again) == []
    assert await stored_days(bot) == ["2026-12-18", "2027-01-08", "2027-01-15"]


async def test_set_as_typed_keeps_the_holidays_and_a_plain_calendar_has_no_warning(
    bot: RunningBot,
) -> None:
    ilkka, group = await group_of(bot, "fi")
    shown = await bot.set_meetings(ilkka, f"/meetings 1 {FRIDAYS['fi']}")
    assert "2. pe 25.12. 14.00 ✅\n3. pe 1.1. 14.00 ✅\n" in (shown.text or "")
    assert await stored_days(bot) == ["2026-12-18", "2026-12-25", "2027-01-01"]

    # Tuesdays 1.12.-15.12.: no holiday, so no warning and no button to leave them out
    plain = await bot.say(ilkka, "/meetings 1 ti 10:00 1.12. x3")
    assert "⚠️" not in (plain.text or "")
    assert [label for label, _ in plain.buttons()] == [
        "✅ Aseta ja kerro ryhmälle",
        "Pidä ennallaan",
    ]
    mark = bot.emulator.mark()
    await bot.press(ilkka, plain.result, plain.buttons()[0][1])
    told = await bot.emulator.wait_for("sendMessage", chat_id=group.id, after=mark)
    assert (told.text or "").startswith("📅 Ryhmän Kävelyryhmä 3 tapaamista:\n• ti 1.12. 10.00\n")
    assert "Paikka:" not in (told.text or "")  # none was typed, and none is made up
    assert await stored_days(bot) == ["2026-12-01", "2026-12-08", "2026-12-15"]


async def test_keep_as_is_and_every_press_that_is_not_the_askers_open_question_change_nothing(
    bot: RunningBot,
) -> None:
    says = SAYS["fi"]
    ilkka, group = await group_of(bot, "fi")
    await bot.set_meetings(ilkka, "/meetings 1 ti 14:00 1.12. x3")
    before = await stored_days(bot)
    other = bot.emulator.user(3001, "Olli", language_code="fi")
    await bot.make_staff(other)
    await bot.services.groups.member_seen(group.id, other["id"])
    mark = bot.emulator.mark()

    question = await bot.say(ilkka, f"/meetings 1 {FRIDAYS['fi']}")
    set_as_typed = question.buttons()[0][1]
    # another person, a made-up token, the right token pressed in another chat
    assert (await alert(bot, other, question.result, set_as_typed)).startswith(says["gone"])
    forged = "mt:set:" + "A" * 22
    assert (await alert(bot, ilkka, question.result, forged)).startswith(says["gone"])
    moved = {**question.result, "chat": {"id": group.id, "type": "supergroup"}}
    assert (await alert(bot, ilkka, moved, set_as_typed)).startswith(says["gone"])

    # asked again: the newer question replaces the older; an expired one holds no more
    newer = await bot.say(ilkka, f"/meetings 1 {FRIDAYS['fi']}")
    assert (await alert(bot, ilkka, question.result, set_as_typed)).startswith(says["gone"])
    bot.clock.advance(dt.timedelta(minutes=16))
    late = newer.buttons()[0][1]
    assert (await alert(bot, ilkka, newer.result, late)).startswith(says["gone"])

    # the calendar changed meanwhile (a meeting cancelled): the question is stale
    question = await bot.say(ilkka, f"/meetings 1 {FRIDAYS['fi']}")
    await bot.say(ilkka, "/cancel 1 8.12.")
    stale = await alert(bot, ilkka, question.result, question.buttons()[0][1])
    assert stale.startswith(says["stale"])
    await bot.say(ilkka, "/uncancel 1 8.12.")

    # Keep as is: said so in place of the question; its other buttons are spent too
    question = await bot.say(ilkka, f"/meetings 1 {FRIDAYS['fi']}")
    edits = bot.emulator.mark()
    await bot.press(ilkka, question.result, question.buttons()[2][1])
    kept = await bot.emulator.wait_for("editMessageText", chat_id=ilkka["id"], after=edits)
    assert kept.text == says["kept"]
    assert (await alert(bot, ilkka, question.result, question.buttons()[0][1])).startswith(
        says["gone"]
    )

    await bot.handled_everything()
    assert await stored_days(bot) == before
    # the group heard of the cancellation and its undoing, never of a calendar
    assert not any(text.startswith("📅") for text in said_in(bot, group, mark))
    assert await rows(bot, "SELECT 1 FROM calendar_questions") == []


async def test_a_calendar_in_the_past_or_over_a_finished_season_is_refused_before_asking(
    bot: RunningBot,
) -> None:
    ilkka, _ = await group_of(bot, "fi")
    past = await bot.say(ilkka, "/meetings 1 ti 14:00 24.11.2026 x3")
    assert past.buttons() == []
    assert (past.text or "").startswith("Tämä ajankohta on jo mennyt.")
    no_such = await bot.say(ilkka, "/meetings 1 ti 14:00 31.2. x3")
    assert no_such.text == "Päivämäärää 31.2. ei ole olemassa. Tarkista päivä ja kuukausi."
    assert await rows(bot, "SELECT 1 FROM calendar_questions") == []
