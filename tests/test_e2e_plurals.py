"""Numbers read right end to end, in the group's language: a calendar of one meeting is
"1 tapaaminen" (not "1 tapaamista"), several cancelled meetings are announced as
"Tapaamiset on peruttu" (with a tip at each one's time) and one as "Tapaaminen on
peruttu"; /forgetme says "1 ryhmäjäsenyys"; the same in Swedish and English."""

from __future__ import annotations

import pytest

from testing.harness import RunningBot

CASES = {
    "fi": (
        "ti",
        "Kävelyryhmä: 1 tapaaminen, paikka: Kirjasto",
        "Kävelyryhmä: 3 tapaamista, paikka: Kirjasto",
        "Tapaamiset on peruttu: ti 8.12. 14.00, ti 15.12. 14.00.",
        "Tapaaminen on peruttu: ti 1.12. 14.00.",
        "kunkin tapaamisen aikaan",
    ),
    "sv": (
        "tis",
        "Kävelyryhmä: 1 träff, plats: Kirjasto",
        "Kävelyryhmä: 3 träffar, plats: Kirjasto",
        "Träffarna är inställda: tis 8.12 14.00, tis 15.12 14.00.",
        "Träffen är inställd: tis 1.12 14.00.",
        "vid varje träffs tid",
    ),
    "en": (
        "Tue",
        "Kävelyryhmä: 1 meeting, place: Kirjasto",
        "Kävelyryhmä: 3 meetings, place: Kirjasto",
        "The meetings are cancelled: Tue, 8 Dec, 14.00; Tue, 15 Dec, 14.00.",
        "The meeting is cancelled: Tue, 1 Dec, 14.00.",
        "at each meeting time",
    ),
}


@pytest.mark.parametrize("language", list(CASES))
async def test_meeting_counts_and_cancellations_agree_with_their_number(
    bot: RunningBot, language: str
) -> None:
    weekday, one, three, cancelled_many, cancelled_one, each = CASES[language]
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code=language)
    group = await bot.registered_group(ilkka, -100, "Kävelyryhmä")

    shown = await bot.set_meetings(
        ilkka, f"/meetings {weekday} 14:00 1.12. x1 Kirjasto", chat=group
    )
    assert (shown.text or "").splitlines()[0] == one
    shown = await bot.set_meetings(
        ilkka, f"/meetings {weekday} 14:00 1.12. x3 Kirjasto", chat=group
    )
    assert (shown.text or "").splitlines()[0] == three

    # two meetings: asked first, announced on Confirm, in the plural
    question = await bot.say(ilkka, "/cancel 8.12. – 15.12.", chat=group)
    mark = emulator.mark()
    await bot.press(ilkka, question.result, question.buttons()[0][1])
    announced = await emulator.wait_for(
        "sendMessage",
        chat_id=group.id,
        after=mark,
        where=lambda c: (c.text or "").startswith(cancelled_many[:12]),
    )
    lines = (announced.text or "").splitlines()
    assert lines[0] == cancelled_many
    assert each in lines[1]  # a tip at each meeting's time

    # one meeting: at once, in the singular
    mark = emulator.mark()
    await emulator.send_text(ilkka, "/cancel 1.12.", chat=group)
    announced = await emulator.wait_for(
        "sendMessage",
        chat_id=group.id,
        after=mark,
        where=lambda c: (c.text or "").startswith(cancelled_one[:12]),
    )
    lines = (announced.text or "").splitlines()
    assert lines[0] == cancelled_one
    assert each not in lines[1]


FORGOTTEN = {
    "fi": ("1 ryhmäjäsenyys, 0 suostumusta, 0 kyselyvastausta ja ", "viikkolukua säilyy"),
    "sv": ("1 gruppmedlemskap, 0 samtycken, 0 enkätsvar och ", "veckosiffror finns kvar"),
    "en": ("1 group membership, 0 consents, 0 survey answers and ", "weekly figures stay"),
}


@pytest.mark.parametrize("language", list(FORGOTTEN))
async def test_forget_me_counts_what_it_removed_in_the_right_number(
    bot: RunningBot, language: str
) -> None:
    """The answer to /forgetme once said "1 ryhmäjäsenyyttä" and "1 group membership(s)"."""
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="fi")
    group = await bot.registered_group(ilkka, -100, "Kävelyryhmä")
    aino = emulator.user(5001, "Aino", language_code=language)
    await emulator.member_joined(aino, group)
    await bot.handled_everything()

    asked = await bot.say(aino, "/forgetme")
    yes = bot.services.translator.text(language, "privacy.forget-yes")
    mark = emulator.mark()
    await bot.press(aino, asked.result, dict(asked.buttons())[yes])
    done = await emulator.wait_for("editMessageText", chat_id=aino["id"], after=mark)

    memberships, kept = FORGOTTEN[language]
    assert memberships in (done.text or "")
    assert kept in (done.text or "")
    assert "(s)" not in (done.text or "")
