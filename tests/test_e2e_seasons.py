"""Seasons end to end: a season ends after its last meeting (a farewell once in the group,
no more meeting reminders, the after-survey as planned, the instructor asked how the group
goes on: weekly, monthly or not at all); a new season starts in the same chat (refused
while one runs; a new calendar, participants asked again, statistics of the new season
only); a group idle for long is archived and gets nothing more."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.clock import FixedClock
from emulator import ApiCall, BotApiEmulator, Chat
from testing.harness import RunningBot, test_settings
from tests.test_e2e_checkins import fire_at, helsinki, participants, private, sent_since

FAREWELL = "Ohjelma on nyt päättynyt. Kiitos jokaiselle yhteisistä viikoista!"
WEEKLY = "Viikon kuulumiset: miten teillä menee?"
MONTHLY = "Kuukauden kuulumiset: miten teillä menee?"
REMINDERS = ("Muistutus:", "Tapaaminen alkaa")  # the meeting reminders' openings


async def season_group(bot: RunningBot) -> tuple[dict[str, Any], Chat, list[dict[str, Any]]]:
    """Ilkka's group meeting on Tuesdays 1.12. and 8.12. at 14:00 with Aino (fi) and
    Britt (sv), both consenting."""
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="fi")
    group = await bot.registered_group(ilkka, -100, "Kävelyryhmä")
    people = [
        emulator.user(5001, "Aino", language_code="fi"),
        emulator.user(5002, "Britt", language_code="sv"),
    ]
    await participants(bot, group, people, consenting=2)
    await bot.set_meetings(ilkka, "/meetings ti 14:00 1.12. x2", chat=group)
    return ilkka, group, people


async def first_season(
    bot: RunningBot, clock: FixedClock, group: Chat, aino: dict[str, Any]
) -> None:
    """Season 1: Aino writes three times in the group; then the season ends."""
    clock.set(helsinki("2026-12-02", "10:00"))
    for text in ("Hei kaikki", "Kävelin tänään", "Hyvää viikkoa"):
        await bot.emulator.send_text(aino, text, chat=group)
    await bot.handled_everything()
    await bot.services.events.flush()
    await fire_at(bot, clock, helsinki("2026-12-08", "16:00"))  # the season ends


def group_texts(emulator: BotApiEmulator, mark: int, group: Chat) -> list[str]:
    return [call.text or "" for call in sent_since(emulator, mark, group.id)]


async def press(bot: RunningBot, person: dict[str, Any], call: ApiCall, label: str) -> str:
    """The person presses ``label`` under ``call``: the answer in the chat, or the alert."""
    data = dict(call.buttons())[label]
    mark = bot.emulator.mark()
    answered = await bot.press(person, call.result, data)
    alert = answered.params.get("text")
    if alert:
        return str(alert)
    reply = await bot.emulator.wait_for("sendMessage", chat_id=person["id"], after=mark)
    return reply.text or ""


async def test_a_season_ends_and_the_group_goes_on_as_its_instructor_chose(
    bot: RunningBot, clock: FixedClock
) -> None:
    emulator = bot.emulator
    ilkka, group, (aino, britt) = await season_group(bot)

    # while the season runs, a new one is refused, and nothing changes
    refused = await bot.say(ilkka, "/season uusi", chat=group)
    assert refused.text == (
        "Ryhmän Kävelyryhmä kausi 1 on vielä käynnissä. Uuden kauden voi aloittaa, kun "
        "viimeinen tapaaminen on pidetty. Mitään ei muutettu."
    )
    shown = await bot.say(ilkka, "/season", chat=group)
    assert (shown.text or "").startswith("Kävelyryhmä: kausi 1 on käynnissä (2 tapaamista")
    stored = await bot.services.groups.by_chat(group.id)
    assert stored is not None
    async with bot.services.database.transaction() as tx:
        assert [s.number for s in await tx.seasons.of_groups([stored.id])] == [1]

    # the last meeting: reminded as ever; two hours after it begins, the season ends
    mark = await fire_at(bot, clock, helsinki("2026-12-08", "13:00"))
    assert any(text.startswith(REMINDERS) for text in group_texts(emulator, mark, group))
    mark = await fire_at(bot, clock, helsinki("2026-12-08", "16:00"))
    assert group_texts(emulator, mark, group) == [
        FAREWELL + " Pitäkää huolta itsestänne ja toisistanne. Ryhmä saa jatkaa täällä."
    ]
    # the after-survey goes as planned, in each participant's language
    await private(bot, aino, mark, "Lyhyt kysely ryhmästä Kävelyryhmä")
    await private(bot, britt, mark, "En kort enkät från gruppen Kävelyryhmä")
    notice = await private(bot, ilkka, mark, "Ryhmän Kävelyryhmä ohjelma (kausi 1) päättyi")
    assert [label for label, _ in notice.buttons()] == [
        "Jatketaan viikoittain",
        "Kerran kuukaudessa",
        "Ei enää viestejä",
    ]
    assert all(len(data.encode()) <= 64 for _, data in notice.buttons())
    # a later sweep, a restart's sweep: no second farewell, no second question
    mark = await fire_at(bot, clock, helsinki("2026-12-08", "16:05"))
    assert group_texts(emulator, mark, group) == []
    assert sent_since(emulator, mark, ilkka["id"]) == []

    # by default the group keeps its weekly rhythm: a check-in with the week's tip
    mark = await fire_at(bot, clock, helsinki("2026-12-15", "14:00"))
    weekly = group_texts(emulator, mark, group)
    assert len(weekly) == 1 and weekly[0].startswith(WEEKLY)
    assert not any(text.startswith(REMINDERS) for text in weekly)

    # a participant and a forged press change nothing
    assert (await press(bot, aino, notice, "Kerran kuukaudessa")).startswith(
        "Et voi hallita tätä ryhmää."
    )
    forged = await bot.press(ilkka, notice.result, "ss:a:99999:o")
    assert str(forged.params.get("text", "")).startswith("Et voi hallita tätä ryhmää.")
    assert (await bot.say(ilkka, "/season", chat=group)).text == (
        "Kävelyryhmä: kausi 1 on päättynyt. Ohjelman jälkeen: viikoittainen kuulumiskysely "
        "ja viikon vinkki. Uusi kausi: /season uusi"
    )

    # lighten: once a month (four weeks after the last meeting), nothing in between
    chosen = await press(bot, ilkka, notice, "Kerran kuukaudessa")
    assert chosen == "Kävelyryhmä: ohjelman jälkeen kuulumiskysely kerran kuukaudessa."
    again = await press(bot, ilkka, notice, "Kerran kuukaudessa")
    assert again.endswith("kuten jo oli. Mitään ei muutettu.")
    mark = await fire_at(bot, clock, helsinki("2026-12-22", "14:00"))
    assert group_texts(emulator, mark, group) == []
    mark = await fire_at(bot, clock, helsinki("2027-01-05", "14:00"))
    assert [text[: len(MONTHLY)] for text in group_texts(emulator, mark, group)] == [MONTHLY]
    mark = await fire_at(bot, clock, helsinki("2027-01-05", "14:10"))
    assert group_texts(emulator, mark, group) == []

    # off: nothing more, however long
    off = await bot.say(ilkka, "/season jälkeen pois", chat=group)
    assert off.text == "Kävelyryhmä: ohjelman jälkeen ei viestejä."
    mark = await fire_at(bot, clock, helsinki("2027-02-02", "14:00"))
    assert group_texts(emulator, mark, group) == []
    bad = await bot.say(ilkka, "/season jälkeen joskus", chat=group)
    assert (bad.text or "").startswith("Kirjoita /season [N]")


async def test_a_new_season_starts_in_the_same_chat(bot: RunningBot, clock: FixedClock) -> None:
    emulator = bot.emulator
    ilkka, group, (aino, britt) = await season_group(bot)
    stored = await bot.services.groups.by_chat(group.id)
    assert stored is not None
    await first_season(bot, clock, group, aino)

    # the calendar of an ended season is not changed: a new season is
    closed = await bot.set_meetings(ilkka, "/meetings ti 14:00 5.1. x2", chat=group)
    assert (closed.text or "").startswith("Kausi 1 on päättynyt")

    mark = emulator.mark()
    clock.set(helsinki("2026-12-20", "12:00"))
    started = await bot.say(ilkka, "/season uusi", chat=group)
    assert (started.text or "").startswith("Ryhmän Kävelyryhmä kausi 2 alkoi.")
    await bot.services.outbox.drained()
    link = f"https://t.me/kannustin_test_bot?start=consent_{stored.join_code}"
    call = next(c for c in sent_since(emulator, mark, group.id) if c.text != started.text)
    assert (call.text or "").startswith("Uusi kausi alkaa! Ryhmän Kävelyryhmä kausi 2")
    assert call.buttons() == [("Liityn uuteen kauteen", link)]
    asked = await private(bot, britt, mark, "Säsong 2 i Kävelyryhmä börjar.")
    assert asked.buttons() == [("Jag går med i den nya säsongen", link)]
    await private(bot, aino, mark, "Ryhmän Kävelyryhmä kausi 2 alkaa.")
    # a second /season new while season 2 runs: refused, one season 2
    again = await bot.say(ilkka, "/season uusi", chat=group)
    assert (again.text or "").startswith("Ryhmän Kävelyryhmä kausi 2 on vielä käynnissä.")
    async with bot.services.database.transaction() as tx:
        assert [s.number for s in await tx.seasons.of_groups([stored.id])] == [1, 2]

    # a new calendar: meetings 1 and 2 of season 2
    await bot.set_meetings(ilkka, "/meetings ti 14:00 5.1. x2", chat=group)
    listed = await bot.say(ilkka, "/meetings", chat=group)
    lines = (listed.text or "").splitlines()
    assert lines[1].startswith("1. ti 5.1.") and lines[2].startswith("2. ti 12.1.")
    assert len(lines) == 3

    # Aino joins the new season through the group's link; Britt does not
    await bot.say(aino, f"/start consent_{stored.join_code}")
    mark = await fire_at(bot, clock, helsinki("2027-01-05", "16:00"))
    await private(bot, aino, mark, "Tämän viikon pieni suunnitelma (Kävelyryhmä)")
    assert sent_since(emulator, mark, britt["id"]) == []  # the "before" survey neither

    # statistics: season 2's weeks only; season 1's messages are not in its week 1
    clock.set(helsinki("2027-01-06", "10:00"))
    await emulator.send_text(aino, "Uusi kausi, uusi into", chat=group)
    await bot.handled_everything()
    await bot.services.events.flush()
    weekly = await bot.services.stats.weekly()
    (weeks,) = weekly.of([stored])
    assert [(cell.week, cell.messages) for cell in weeks.weeks] == [(1, 1)]
    assert weeks.weeks[0].invited == 1  # the plan went to Aino alone
    shown = await bot.say(ilkka, f"/stats {stored.id}")
    assert (shown.text or "").startswith("📊 Kävelyryhmä, kausi 2: viikoittain\n\nViikko 1\n")
    assert "Viikko 2" not in (shown.text or "")


async def test_an_idle_group_is_archived_and_gets_nothing_more(
    emulator: BotApiEmulator, tmp_path: Path, clock: FixedClock
) -> None:
    settings = test_settings(emulator, tmp_path / "bot.db", admins="1000", archive_after_days=30)
    bot = RunningBot(settings, emulator, clock)
    await bot.start()
    try:
        ilkka, group, _ = await season_group(bot)
        await fire_at(bot, clock, helsinki("2026-12-08", "16:00"))  # the season ends
        mark = await fire_at(bot, clock, helsinki("2026-12-15", "14:00"))
        assert len(group_texts(emulator, mark, group)) == 1  # the weekly check-in

        # 30 days after the last meeting with nothing happening: archived, silent
        mark = await fire_at(bot, clock, helsinki("2027-01-08", "12:00"))
        listing = await bot.say(ilkka, "/groups")
        assert "arkistoitu" in (listing.text or "")
        mark = await fire_at(bot, clock, helsinki("2027-01-12", "14:00"))
        assert group_texts(emulator, mark, group) == []
        refused = await bot.say(ilkka, "/rhythm", chat=group)
        assert (refused.text or "").startswith("Ryhmä on arkistoitu")

        # a new season wakes it up
        # the answer and the group's invitation to the new season may come in either order
        mark = emulator.mark()
        await emulator.send_text(ilkka, "/season uusi", chat=group)
        started = await emulator.wait_for(
            "sendMessage",
            chat_id=group.id,
            after=mark,
            where=lambda call: "alkoi" in call.params["text"],
        )
        assert started.params["text"].startswith("Ryhmän Kävelyryhmä kausi 2 alkoi.")
        listing = await bot.say(ilkka, "/groups")
        assert "arkistoitu" not in (listing.text or "")
    finally:
        await bot.stop()
