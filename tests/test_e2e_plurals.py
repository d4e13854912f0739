"""Numbers read right end to end, in the group's language: a calendar of one meeting is
"1 tapaaminen" (not "1 tapaamista"), several cancelled meetings are announced as
"Tapaamiset on peruttu" and one as "Tapaaminen on peruttu"; the same in Swedish and
English."""

from __future__ import annotations

import pytest

from testing.harness import RunningBot

CASES = {
    "fi": (
        "ti",
        "Kävelyryhmä: 1 tapaaminen, paikka: Kirjasto",
        "Kävelyryhmä: 3 tapaamista, paikka: Kirjasto",
        "Tapaamiset on peruttu: ti 8.12. 14:00, ti 15.12. 14:00.",
        "Tapaaminen on peruttu: ti 1.12. 14:00.",
    ),
    "sv": (
        "tis",
        "Kävelyryhmä: 1 träff, plats: Kirjasto",
        "Kävelyryhmä: 3 träffar, plats: Kirjasto",
        "Träffarna är inställda: tis 8.12. 14:00, tis 15.12. 14:00.",
        "Träffen är inställd: tis 1.12. 14:00.",
    ),
    "en": (
        "Tue",
        "Kävelyryhmä: 1 meeting, place: Kirjasto",
        "Kävelyryhmä: 3 meetings, place: Kirjasto",
        "The meetings are cancelled: Tue 8.12. 14:00, Tue 15.12. 14:00.",
        "The meeting is cancelled: Tue 1.12. 14:00.",
    ),
}


@pytest.mark.parametrize("language", list(CASES))
async def test_meeting_counts_and_cancellations_agree_with_their_number(
    bot: RunningBot, language: str
) -> None:
    weekday, one, three, cancelled_many, cancelled_one = CASES[language]
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code=language)
    group = await bot.registered_group(ilkka, -100, "Kävelyryhmä")

    shown = await bot.say(ilkka, f"/meetings {weekday} 14:00 1.12. x1 Kirjasto", chat=group)
    assert (shown.text or "").splitlines()[0] == one
    shown = await bot.say(ilkka, f"/meetings {weekday} 14:00 1.12. x3 Kirjasto", chat=group)
    assert (shown.text or "").splitlines()[0] == three

    for command, announcement in (
        ("/cancel 8.12. – 15.12.", cancelled_many),
        ("/cancel 1.12.", cancelled_one),
    ):
        mark = emulator.mark()
        await emulator.send_text(ilkka, command, chat=group)
        announced = await emulator.wait_for(
            "sendMessage",
            chat_id=group.id,
            after=mark,
            where=lambda c, start=announcement[:12]: (c.text or "").startswith(start),
        )
        assert (announced.text or "").splitlines()[0] == announcement
