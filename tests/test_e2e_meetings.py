"""The meeting calendar end to end: an instructor sets meetings in the group, cancels two
(asked first), sees /schedule with a cancel button per item; a reminder planned before a
restart arrives once."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from bot.clock import FixedClock
from emulator import BotApiEmulator
from testing.harness import RunningBot, test_settings


async def test_an_instructor_sets_meetings_cancels_one_and_sees_the_schedule(
    bot: RunningBot,
) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="fi")
    group = await bot.registered_group(ilkka, -100, "Kävelyryhmä")

    shown = await bot.set_meetings(
        ilkka, "/meetings ti 14:00 1.12. x3 Kirjaston kokoushuone", chat=group
    )
    assert shown.text == (
        "Kävelyryhmä: 3 tapaamista, paikka: Kirjaston kokoushuone\n"
        "1. ti 1.12. 14.00 ✅\n"
        "2. ti 8.12. 14.00 ✅\n"
        "3. ti 15.12. 14.00 ✅\n"
        "Kerroin tapaamiset ryhmälle."
    )

    # two meetings: asked first, done on Confirm
    question = await bot.say(ilkka, "/cancel 8.12. – 15.12. ohjaaja sairastui", chat=group)
    assert (question.text or "").startswith("Perutaanko nämä ryhmän Kävelyryhmä tapaamiset?")
    mark = emulator.mark()
    await bot.press(ilkka, question.result, question.buttons()[0][1])
    announced = await emulator.wait_for(
        "sendMessage",
        chat_id=group.id,
        after=mark,
        where=lambda c: (c.text or "").startswith("Tapaamiset on peruttu"),
    )
    assert announced.text is not None and "Syy: ohjaaja sairastui" in announced.text
    done = await emulator.wait_for(
        "editMessageText",
        chat_id=group.id,
        after=mark,
        where=lambda c: (c.text or "").startswith("Peruttu (Kävelyryhmä)"),
    )
    assert done.text is not None and "ti 8.12. 14.00, ti 15.12. 14.00" in done.text

    schedule = await bot.say(ilkka, "/schedule")  # ten to a page, each with its button
    lines = (schedule.text or "").splitlines()
    assert lines[0] == "📅 Kävelyryhmä, sivu 1/2"
    assert "8. 👥 ti 8.12. 14.00 tapaaminen ❌ peruttu" in lines
    assert "10. ⏰ ti 8.12. 14.00 tapaaminen kotona (vinkki)" in lines
    buttons = dict(schedule.buttons())
    assert buttons["Peru 3: 1.12. 14.00"] == "mt:x:1"  # the one meeting still on
    assert buttons["Peru 1: 30.11. 18.00"].startswith("mt:i:")  # the reminder the evening before
    assert buttons["Peru 10: 8.12. 14.00"].startswith("mt:i:")  # the meeting at home
    assert not [label for label in buttons if label.startswith("Peru 8:")]  # cancelled already

    mark = emulator.mark()
    await bot.press(ilkka, schedule.result, "mt:x:1")
    confirmed = await emulator.wait_for("sendMessage", chat_id=ilkka["id"], after=mark)
    assert confirmed.text == "Peruttu: ti 1.12. 14.00. Kerroin ryhmälle."

    # someone who does not lead the group changes nothing
    sam = emulator.user(3100, "Sam", language_code="en")
    await emulator.member_joined(sam, group)
    for person, command, answer in (
        (sam, "/cancel 15.12.", "Et voi hallita tätä ryhmää."),  # the group's language
        (ilkka, "/cancel someday", "En ymmärtänyt päivää. Kirjoita esimerkiksi 3.12."),
    ):
        await emulator.send_text(person, command, chat=group)
        await emulator.wait_for(
            "sendMessage",
            chat_id=group.id,
            where=lambda c, answer=answer: (c.text or "").startswith(answer),
        )
    overview = await bot.services.meetings.overview(ilkka["id"])
    assert [m.status for m in overview[0].meetings] == ["cancelled", "cancelled", "cancelled"]


async def test_a_reminder_planned_before_a_restart_arrives_once(
    emulator: BotApiEmulator, tmp_path: Path, clock: FixedClock
) -> None:
    settings = test_settings(emulator, tmp_path / "bot.db", admins="1000")
    first = RunningBot(settings, emulator, clock)
    await first.start()
    ilkka = emulator.user(3000, "Ilkka", language_code="fi")
    group = await first.registered_group(ilkka, -100, "Kävelyryhmä")
    await first.set_meetings(ilkka, "/meetings ti 14:00 1.12. x2", chat=group)
    await first.stop()

    # the bot is down over Monday's 18:00 reminder; it comes back at 20:00 Helsinki time
    clock.set(dt.datetime(2026, 11, 30, 18, 0, tzinfo=dt.UTC))
    for _ in range(2):  # restarted twice: the reminder must still arrive only once
        again = RunningBot(settings, emulator, clock)
        await again.start()
        try:
            await emulator.wait_for(
                "sendMessage",
                chat_id=group.id,
                where=lambda c: (c.text or "").startswith("Muistutus: huomenna"),
            )
            await asyncio.sleep(0.5)
            await again.services.outbox.drained()
        finally:
            await again.stop()

    reminders = [
        message
        for message in emulator.messages.values()
        if message["chat"]["id"] == group.id
        and str(message.get("text", "")).startswith("Muistutus: huomenna")
    ]
    assert len(reminders) == 1
    assert reminders[0]["text"] == (
        "Muistutus: huomenna on ryhmän tapaaminen (1/2), ti 1.12. 14.00."
    )
