"""Changes to meetings that cannot go wrong, end to end: a range typed backwards, or one
with no meeting in it, is refused and changes nothing; cancelling or moving online more
than one meeting is asked first (Confirm / Keep as is), and only the asker's own press of
the open question, in its chat, while the meetings are as asked, does it, once; /uncancel
brings a remote meeting back remote, with its link; the hint for a missing group number
names the command that was typed. In Finnish, Swedish and English."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from emulator import Chat
from testing.harness import RunningBot
from tests.test_e2e_privacy import rows

Json = dict[str, Any]
LINK = "https://meet.example.org/kavely"
# what each language says (the group and the person share it here)
SAYS = {
    "fi": {
        "backwards": (
            "Jakso päättyy ennen kuin se alkaa. Kirjoita ensin alkupäivä, sitten loppupäivä."
        ),
        "none": "Noina päivinä ei ole tulevia tapaamisia.",
        "no-such": "Päivämäärää 31.2. ei ole olemassa. Tarkista päivä ja kuukausi.",
        "ask": (
            "Perutaanko nämä ryhmän Kävelyryhmä tapaamiset?\n"
            "• ti 8.12. 14.00\n"
            "• ti 15.12. 14.00\n"
            "Mitään ei muuteta eikä ryhmälle kerrota, ennen kuin vahvistat."
        ),
        "buttons": ["✅ Vahvista", "Pidä ennallaan"],
        "done": "Peruttu (Kävelyryhmä): ti 8.12. 14.00, ti 15.12. 14.00.",
        "announced": "Tapaamiset on peruttu: ti 8.12. 14.00, ti 15.12. 14.00.",
        "gone": "Tämä painike ei enää toimi",
        "stale": "Tapaamiset ovat muuttuneet kysymyksen jälkeen. Mitään ei muutettu",
        "kept": "Pidetään ennallaan. Mitään ei muutettu.",
        "which": "Kirjoita ensin ryhmän numero, esimerkiksi {example}\nNumerot näet",
    },
    "sv": {
        "backwards": "Perioden slutar innan den börjar. Skriv först startdagen, sedan slutdagen.",
        "none": "Det finns inga kommande träffar de dagarna.",
        "no-such": "Datumet 31.2. finns inte. Kontrollera dag och månad.",
        "ask": (
            "Ska de här träffarna i Kävelyryhmä ställas in?\n"
            "• tis 8.12 14.00\n"
            "• tis 15.12 14.00\n"
            "Inget ändras och gruppen får inte veta något förrän du bekräftar."
        ),
        "buttons": ["✅ Bekräfta", "Låt det vara som det är"],
        "done": "Inställt (Kävelyryhmä): tis 8.12 14.00, tis 15.12 14.00.",
        "announced": "Träffarna är inställda: tis 8.12 14.00, tis 15.12 14.00.",
        "gone": "Den här knappen fungerar inte längre",
        "stale": "Träffarna har ändrats sedan frågan. Ingenting ändrades",
        "kept": "Det får vara som det är. Ingenting ändrades.",
        "which": "Skriv först gruppens nummer, till exempel {example}\nNumren ser du",
    },
    "en": {
        "backwards": "The period ends before it starts. Write the first day first, then the last.",
        "none": "There are no upcoming meetings on those days.",
        "no-such": "There is no day 31.2. in the calendar: please check the day and the month.",
        "ask": (
            "Cancel these meetings of Kävelyryhmä?\n"
            "• Tue, 8 Dec, 14.00\n"
            "• Tue, 15 Dec, 14.00\n"
            "Nothing changes and the group is told nothing until you confirm."
        ),
        "buttons": ["✅ Confirm", "Keep as is"],
        "done": "Cancelled (Kävelyryhmä): Tue, 8 Dec, 14.00; Tue, 15 Dec, 14.00.",
        "announced": "The meetings are cancelled: Tue, 8 Dec, 14.00; Tue, 15 Dec, 14.00.",
        "gone": "This button no longer works",
        "stale": "The meetings have changed since the question. Nothing was changed",
        "kept": "Kept as it is. Nothing was changed.",
        "which": "Write the group's number first, for example {example}\nYou can see",
    },
}
LANGUAGES = pytest.mark.parametrize("language", ["fi", "sv", "en"])


async def calendar_of(bot: RunningBot, language: str) -> tuple[Json, Chat]:
    """An instructor speaking ``language`` whose group (speaking it too) meets on
    Tuesdays 1.12., 8.12. and 15.12. at 14:00."""
    ilkka = bot.emulator.user(3000, "Ilkka", language_code=language)
    group = await bot.registered_group(ilkka, -100, "Kävelyryhmä")
    await bot.set_meetings(ilkka, "/meetings 1 ti 14:00 1.12. x3")
    return ilkka, group


async def statuses(bot: RunningBot, person: Json) -> list[tuple[str, str | None]]:
    overview = await bot.services.meetings.overview(person["id"])
    return [(m.status.value, m.link) for m in overview[0].meetings]


def said_in(bot: RunningBot, chat: Chat, mark: int) -> list[str]:
    """What the bot wrote or edited in the chat since ``mark``."""
    return [
        call.text or ""
        for call in bot.emulator.calls[mark:]
        if call.chat_id == chat.id and call.method in ("sendMessage", "editMessageText")
    ]


async def nothing_changed(bot: RunningBot, person: Json, group: Chat, since: int) -> None:
    """The group was told nothing since ``since``, and every meeting is still on."""
    await bot.handled_everything()
    assert said_in(bot, group, since) == []
    assert await statuses(bot, person) == [("planned", None)] * 3


async def alert(bot: RunningBot, person: Json, message: Json, data: str) -> str:
    """The person presses a button that no longer holds: the alert's words."""
    answered = await bot.press(person, message, data)
    assert answered.params.get("show_alert") is True, answered.params
    return str(answered.params.get("text", ""))


@LANGUAGES
async def test_a_backwards_or_empty_range_is_refused_and_changes_nothing(
    bot: RunningBot, language: str
) -> None:
    ilkka, group = await calendar_of(bot, language)
    mark = bot.emulator.mark()

    backwards = await bot.say(ilkka, "/cancel 1 22.12.–15.12.")
    assert backwards.text == SAYS[language]["backwards"]
    for command in ("/cancel 1 15.12.–8.12.", "/remote 1 15.12.–1.12. " + LINK):
        assert (await bot.say(ilkka, command)).text == SAYS[language]["backwards"]
    # after the last meeting, and between two: no meeting there
    for command in ("/cancel 1 2.1.–9.1.", "/cancel 1 9.12.–14.12."):
        assert (await bot.say(ilkka, command)).text == SAYS[language]["none"]
    # a day that no calendar has is named as such, not "not understood"
    for command in ("/cancel 1 31.2.", "/remote 1 1.2.–31.2. " + LINK):
        assert (await bot.say(ilkka, command)).text == SAYS[language]["no-such"]

    await nothing_changed(bot, ilkka, group, mark)


@LANGUAGES
async def test_cancelling_two_meetings_is_asked_first_and_done_once_on_confirm(
    bot: RunningBot, language: str
) -> None:
    says = SAYS[language]
    ilkka, group = await calendar_of(bot, language)
    mark = bot.emulator.mark()

    question = await bot.say(ilkka, "/cancel 1 8.12.–15.12. flu")
    assert question.text == says["ask"]
    labels = [label for label, _ in question.buttons()]
    assert labels == says["buttons"]
    confirm, keep = (data for _, data in question.buttons())
    assert all(len(data.encode()) <= 64 for data in (confirm, keep))
    await nothing_changed(bot, ilkka, group, mark)  # nothing before the press

    answered = await bot.press(ilkka, question.result, confirm)
    assert answered.params.get("show_alert") is not True
    done = await bot.emulator.wait_for("editMessageText", chat_id=ilkka["id"], after=mark)
    assert (done.text or "").startswith(says["done"])
    assert done.buttons() == []  # the question's buttons are gone
    announced = await bot.emulator.wait_for(
        "sendMessage",
        chat_id=group.id,
        after=mark,
        where=lambda c: (c.text or "").startswith(says["announced"]),
    )
    assert "flu" in (announced.text or "")
    assert await statuses(bot, ilkka) == [
        ("planned", None),
        ("cancelled", None),
        ("cancelled", None),
    ]

    # the same press again (a replay) does nothing more
    again = bot.emulator.mark()
    assert (await alert(bot, ilkka, question.result, confirm)).startswith(says["gone"])
    await bot.handled_everything()
    assert said_in(bot, group, again) == []


async def test_a_press_that_is_not_the_askers_open_question_changes_nothing(
    bot: RunningBot,
) -> None:
    says = SAYS["en"]
    ilkka, group = await calendar_of(bot, "en")
    other = bot.emulator.user(3001, "Olli", language_code="en")
    await bot.make_staff(other)
    await bot.services.groups.member_seen(group.id, other["id"])
    question = await bot.say(ilkka, "/cancel 1 8.12.–15.12.")
    confirm = question.buttons()[0][1]
    mark = bot.emulator.mark()

    # another person, a made-up token, the right token pressed in another chat
    assert (await alert(bot, other, question.result, confirm)).startswith(says["gone"])
    forged = "mt:ok:" + "A" * 22
    assert (await alert(bot, ilkka, question.result, forged)).startswith(says["gone"])
    elsewhere = await bot.say(ilkka, "/meetings 1", chat=None)
    moved = {**elsewhere.result, "chat": {"id": group.id, "type": "supergroup"}}
    assert (await alert(bot, ilkka, moved, confirm)).startswith(says["gone"])
    await nothing_changed(bot, ilkka, group, mark)

    # asked again: the newer question replaces the older; an expired one holds no more
    newer = await bot.say(ilkka, "/cancel 1 8.12.–15.12.")
    assert (await alert(bot, ilkka, question.result, confirm)).startswith(says["gone"])
    bot.clock.advance(dt.timedelta(minutes=16))
    late = newer.buttons()[0][1]
    assert (await alert(bot, ilkka, newer.result, late)).startswith(says["gone"])
    await nothing_changed(bot, ilkka, group, mark)
    question = await bot.say(ilkka, "/cancel 1 8.12.–15.12.")
    confirm = question.buttons()[0][1]

    # the meetings changed meanwhile (8.12. cancelled on its own): the question is stale
    mark = bot.emulator.mark()
    await bot.say(ilkka, "/cancel 1 8.12.")
    await bot.emulator.wait_for("sendMessage", chat_id=group.id, after=mark)  # announced
    mark = bot.emulator.mark()
    assert (await alert(bot, ilkka, question.result, confirm)).startswith(says["stale"])
    await bot.handled_everything()
    assert said_in(bot, group, mark) == []
    assert await statuses(bot, ilkka) == [
        ("planned", None),
        ("cancelled", None),
        ("planned", None),
    ]


@LANGUAGES
async def test_keep_as_is_changes_nothing_and_closes_the_question(
    bot: RunningBot, language: str
) -> None:
    says = SAYS[language]
    ilkka, group = await calendar_of(bot, language)
    question = await bot.say(ilkka, f"/remote 1 1.12.–15.12. {LINK}")
    assert LINK in (question.text or "")
    (_, confirm), (_, keep) = question.buttons()
    mark = bot.emulator.mark()

    await bot.press(ilkka, question.result, keep)
    kept = await bot.emulator.wait_for("editMessageText", chat_id=ilkka["id"], after=mark)
    assert kept.text == says["kept"]
    assert (await alert(bot, ilkka, question.result, confirm)).startswith(says["gone"])
    await nothing_changed(bot, ilkka, group, mark)


async def test_uncancel_brings_a_remote_meeting_back_remote_with_its_link(
    bot: RunningBot,
) -> None:
    ilkka, group = await calendar_of(bot, "en")
    remote = await bot.say(ilkka, f"/remote 1 8.12. {LINK}")  # one meeting: done at once
    assert (remote.text or "").startswith("Online (Kävelyryhmä): Tue, 8 Dec, 14.00.")
    question = await bot.say(ilkka, "/cancel 1 8.12.–15.12.")
    await bot.press(ilkka, question.result, question.buttons()[0][1])
    await bot.emulator.wait_for("editMessageText", chat_id=ilkka["id"])
    for told in ("The meeting is held online", "The meetings are cancelled"):
        await bot.emulator.wait_for(
            "sendMessage", chat_id=group.id, where=lambda c, t=told: (c.text or "").startswith(t)
        )
    assert await statuses(bot, ilkka) == [
        ("planned", None),
        ("cancelled", LINK),
        ("cancelled", None),
    ]

    mark = bot.emulator.mark()
    restored = await bot.say(ilkka, "/uncancel 1 8.12.–15.12.")  # nothing lost: not asked
    assert (restored.text or "").startswith(
        "As usual (Kävelyryhmä): Tue, 8 Dec, 14.00; Tue, 15 Dec, 14.00."
    )
    assert await statuses(bot, ilkka) == [
        ("planned", None),
        ("remote", LINK),
        ("planned", None),
    ]
    await bot.emulator.wait_for(
        "sendMessage",
        chat_id=group.id,
        after=mark,
        where=lambda c: c.text == f"The meeting is held online: Tue, 8 Dec, 14.00. Link: {LINK}",
    )
    await bot.emulator.wait_for(
        "sendMessage",
        chat_id=group.id,
        after=mark,
        where=lambda c: c.text == "The meeting is on as usual after all: Tue, 15 Dec, 14.00.",
    )


@LANGUAGES
async def test_the_hint_for_a_missing_group_number_names_the_command_typed(
    bot: RunningBot, language: str
) -> None:
    ilkka, _ = await calendar_of(bot, language)
    await bot.registered_group(ilkka, -200, "Second group")
    for typed, example in (
        ("/meetings", "/meetings 3"),
        ("/rhythm", "/rhythm 3"),
        ("/cancel 8.12.", "/cancel 3 8.12."),
        ("/uncancel 8.12.", "/uncancel 3 8.12."),
        ("/season", "/season 3"),
        ("/checkins", "/checkins 3"),
    ):
        said = await bot.say(ilkka, typed)
        assert (said.text or "").startswith(SAYS[language]["which"].format(example=example))


async def test_an_open_question_goes_with_the_asker_when_they_are_erased(bot: RunningBot) -> None:
    ilkka, _ = await calendar_of(bot, "en")
    await bot.say(ilkka, "/cancel 1 8.12.–15.12. my own reasons")  # left open
    assert len(await rows(bot, "SELECT reason FROM meeting_changes")) == 1

    erase = await bot.say(ilkka, "/forgetme")
    mark = bot.emulator.mark()
    await bot.press(ilkka, erase.result, erase.buttons()[0][1])
    await bot.emulator.wait_for("editMessageText", chat_id=ilkka["id"], after=mark)
    assert await rows(bot, "SELECT reason FROM meeting_changes") == []
