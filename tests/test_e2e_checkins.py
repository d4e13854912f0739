"""Peer support end to end: the weekly plan in private (written, never stored), confidence
and the under-7 path, progress mid-week and at the week's end, a shared celebration and
its reactions, instructors' figures, buddies, and the pseudonymous log of all of it."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from pathlib import Path
from typing import Any

from bot.clock import FixedClock
from emulator import ApiCall, BotApiEmulator, Chat
from storage import Database
from testing.databases import stored_bytes
from testing.harness import RunningBot, test_settings

HELSINKI_OFFSET = dt.timedelta(hours=2)  # December: UTC+2


def helsinki(day: str, hhmm: str) -> dt.datetime:
    local = dt.datetime.fromisoformat(f"{day}T{hhmm}")
    return (local - HELSINKI_OFFSET).replace(tzinfo=dt.UTC)


async def participants(
    bot: RunningBot, group: Chat, people: list[dict[str, Any]], *, consenting: int
) -> None:
    """``people`` join the group and open a private chat; the first ``consenting`` consent."""
    emulator = bot.emulator
    for person in people:
        await emulator.member_joined(person, group)
        emulator.open_private_chat(person)
    await bot.handled_everything()
    stored = await bot.services.groups.by_chat(group.id)
    assert stored is not None and stored.organisation_id is not None
    for person in people[:consenting]:
        await bot.services.consent.give(person["id"], stored.organisation_id)


async def walking_group(
    bot: RunningBot, *, consenting: int = 2
) -> tuple[dict[str, Any], Chat, list[dict[str, Any]]]:
    """Ilkka's group meeting on Tuesdays from 1.12. (twice) with Aino (fi) and Britt (sv),
    who consent, and Carl (en), who does not (unless ``consenting`` is 3)."""
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="fi")
    group = await bot.registered_group(ilkka, -100, "Kävelyryhmä")
    people = [
        emulator.user(5001, "Aino", language_code="fi"),
        emulator.user(5002, "Britt", language_code="sv"),
        emulator.user(5003, "Carl", language_code="en"),
    ]
    await participants(bot, group, people, consenting=consenting)
    await bot.set_meetings(ilkka, "/meetings ti 14:00 1.12. x2", chat=group)
    return ilkka, group, people


async def fire_at(bot: RunningBot, clock: FixedClock, moment: dt.datetime) -> int:
    """Time moves to ``moment``; what is due fires; returns the mark before it."""
    mark = bot.emulator.mark()
    clock.set(moment)
    await bot.services.scheduler.sweep_now()
    await bot.services.outbox.drained()
    return mark


async def private(bot: RunningBot, person: dict[str, Any], mark: int, start: str) -> ApiCall:
    return await bot.emulator.wait_for(
        "sendMessage",
        chat_id=person["id"],
        after=mark,
        where=lambda call: (call.text or "").startswith(start),
    )


def sent_since(emulator: BotApiEmulator, mark: int, chat_id: int) -> list[ApiCall]:
    return [c for c in emulator.calls[mark:] if c.method == "sendMessage" and c.chat_id == chat_id]


async def tap(bot: RunningBot, person: dict[str, Any], call: ApiCall, label: str) -> ApiCall:
    """The person taps the button labelled ``label`` under ``call``; returns the answer."""
    data = dict(call.buttons())[label]
    mark = bot.emulator.mark()
    await bot.press(person, call.result, data)
    return await bot.emulator.wait_for("sendMessage", chat_id=person["id"], after=mark)


async def test_the_weekly_check_in_cycle(
    emulator: BotApiEmulator, tmp_path: Path, clock: FixedClock
) -> None:
    bot = RunningBot(test_settings(emulator, tmp_path / "bot.db", admins="1000"), emulator, clock)
    await bot.start()
    ilkka, group, (aino, britt, carl) = await walking_group(bot)

    # Tuesday: two hours after the meeting, the consenting participants are invited
    mark = await fire_at(bot, clock, helsinki("2026-12-01", "16:00"))
    invite = await private(bot, aino, mark, "Tämän viikon pieni suunnitelma (Kävelyryhmä)")
    assert "En tallenna sitä." in (invite.text or "")
    assert [label for label, _ in invite.buttons()] == [str(n) for n in range(11)]
    britts = await private(bot, britt, mark, "Veckans lilla plan (Kävelyryhmä)")
    assert not sent_since(emulator, mark, carl["id"])

    # Aino writes her plan in the chat: it is not stored, the rating buttons come again
    plan = "Pyöräilen kirjastoon tiistaina ja torstaina"
    again = await bot.say(aino, plan)
    assert (again.text or "").startswith("Kiitos! Suunnitelmasi on nyt tässä keskustelussa.")
    assert len(again.buttons()) == 11
    rated = await tap(bot, aino, again, "8")
    assert rated.text == (
        "Hienoa! Varmuutesi: 8/10. Kysyn viikon puolivälissä, miten suunnitelmasi etenee. "
        "Onnea matkaan!"
    )

    # Britt is unsure: under 7 the bot suggests a smaller plan and asks again
    smaller = await tap(bot, britt, britts, "5")
    assert (smaller.text or "").startswith("Tack för att du är ärlig. När säkerheten är under 7")
    assert len(smaller.buttons()) == 11
    await bot.say(britt, "Jag promenerar 10 minuter på måndag")
    sure = await tap(bot, britt, smaller, "7")
    assert (sure.text or "").startswith("Fint! Din säkerhet: 7/10.")

    # two plans of two invited, confidence 7.5 on average: about fewer than five people,
    # so hidden (a mean over two would be one person's rating next to another's)
    figures = await bot.say(ilkka, "/checkins")
    assert figures.text == (
        "Kävelyryhmä: viikkosuunnitelmat (vain luvut, suunnitelmia ei tallenneta)\n\n"
        "Viikko 1 (ti 1.12. 14.00)\n"
        "Suunnitelman teki <5/<5, varmuus keskimäärin <5\n"
        "Edistymisestä kertoi <5: tehty <5, osittain <5, ei vielä <5; ryhmälle jakoi <5\n\n"
        "Alle 5 hengen luvut näkyvät muodossa <5; x on luku, joka on piilotettu, jottei "
        "piilotettua lukua voi laskea muista."
    )
    walking = await bot.services.groups.by_chat(group.id)
    assert walking is not None
    async with bot.services.database.transaction() as tx:
        (week,) = await tx.analytics.checkins_by_week([walking.id])
    assert (week.invited, week.planned, week.confidence_sum) == (2, 2, 15)

    # Friday noon: "how is it going?"
    mark = await fire_at(bot, clock, helsinki("2026-12-04", "12:00"))
    asked = await private(bot, aino, mark, "Miten viikon suunnitelmasi etenee? (Kävelyryhmä)")
    assert [label for label, _ in asked.buttons()] == ["✅ Tehty", "🌓 Osittain", "⏳ Ei vielä"]
    britt_asked = await private(bot, britt, mark, "Hur går det med veckans plan?")
    done = await tap(bot, aino, asked, "✅ Tehty")
    assert (done.text or "").startswith("Mahtavaa, teit sen! 🎉 Haluatko kertoa ryhmälle?")
    mark = emulator.mark()
    told = await tap(bot, aino, done, "🎉 Kerro ryhmälle")
    assert told.text == "Kerroin ryhmälle. 🎉"
    celebration = await emulator.wait_for("sendMessage", chat_id=group.id, after=mark)
    assert celebration.text == (
        "🎉 Aino teki tämän viikon suunnitelmansa! Kannustetaan reaktiolla 👏"
    )
    # the group cheers: reactions on the bot's post are counted and logged
    message_id = celebration.result["message_id"]
    await emulator.reaction(britt, group, message_id, old=[], new=["👏"])
    await emulator.reaction(carl, group, message_id, old=[], new=["❤"])
    await emulator.reaction_count(group, message_id, {"👏": 1, "❤": 1, "🎉": 1})
    # pressing "tell the group" twice posts once: its button is gone, a replay is told so
    await emulator.wait_for(
        "editMessageText",
        chat_id=aino["id"],
        where=lambda edit: edit.params["message_id"] == done.result["message_id"],
    )
    twice = await bot.press(aino, done.result, dict(done.buttons())["🎉 Kerro ryhmälle"])
    assert twice.params["text"] == "Tämä painike on jo käytetty. Valintasi näkyy viestissä."
    partly = await tap(bot, britt, britt_asked, "🌓 Delvis")
    assert (partly.text or "").startswith("Bra, en del är redan gjort!")

    # Monday noon, the week's end: only Britt is asked (Aino already did it)
    mark = await fire_at(bot, clock, helsinki("2026-12-07", "12:00"))
    end = await private(bot, britt, mark, "Veckan är snart slut. Hur gick det med din plan?")
    assert not sent_since(emulator, mark, aino["id"])
    done = await tap(bot, britt, end, "✅ Klart")
    kept = await tap(bot, britt, done, "Inte nu")
    assert kept.text == "Okej, det stannar mellan oss. Bra jobbat!"

    figures = await bot.say(ilkka, "/checkins")
    assert "Edistymisestä kertoi <5: tehty <5, osittain <5" in (figures.text or "")
    async with bot.services.database.transaction() as tx:
        (week,) = await tx.analytics.checkins_by_week([walking.id])
    assert (week.done, week.partly, week.not_yet, week.shared) == (2, 0, 0, 1)

    # Carl (no consent) changes nothing, and the key he pressed stays as it was
    meeting_button = dict(invite.buttons())["9"]
    mark = emulator.mark()
    await bot.press(carl, invite.result, meeting_button)
    refused = await emulator.wait_for("sendMessage", chat_id=carl["id"], after=mark)
    assert refused.text == "This question is no longer open."
    assert emulator.message(aino["id"], invite.result["message_id"])["reply_markup"]
    # a forged meeting id or confidence, data the message never offered, changes nothing
    for data in ("ck:c:999999:9", "ck:c:1:99"):
        forged = await bot.press(aino, invite.result, data)
        assert forged.params["text"] == "Tämä painike on jo käytetty. Valintasi näkyy viestissä."
    async with bot.services.database.transaction() as tx:
        rows = await tx.checkins.of_meeting(1)
        reactions = await tx.connection.fetch_all(
            "SELECT reactions FROM sent_messages WHERE chat_id = ? AND message_id = ?",
            (group.id, message_id),
        )
    assert sorted((r.confidence, r.ratings, r.progress_mid, r.progress_end) for r in rows) == [
        (7, 2, "partly", "done"),
        (8, 1, "done", None),
    ]
    assert [row[0] for row in reactions] == [3]  # Telegram's own count is the last word

    await bot.stop()
    # the log: pseudonyms only, confidence and progress as small values, no plan anywhere
    events = await logged(bot)
    aino_p, britt_p = (bot.services.pseudonyms.of(p["id"]) for p in (aino, britt))
    assert [(e["who"], e["confidence"]) for e in events if e["kind"] == "check-in"] == [
        (aino_p, 8),
        (britt_p, 5),
        (britt_p, 7),
    ]
    assert [(e["who"], e["stage"], e["answer"]) for e in events if e["kind"] == "progress"] == [
        (aino_p, "mid", "done"),
        (britt_p, "mid", "partly"),
        (britt_p, "end", "done"),
    ]
    assert [e["who"] for e in events if e["kind"] == "progress-shared"] == [aino_p]
    cheers = [e for e in events if e["kind"] == "reaction"]
    assert [e.get("change") for e in cheers if e["who"]] == [1, 1]
    assert [(e["who"], e.get("total")) for e in cheers if not e["who"]] == [(None, 3)]
    stored = stored_bytes(tmp_path / "bot.db")
    for text in (plan, "Jag promenerar 10 minuter på måndag"):
        assert text.encode() not in stored, tmp_path
    logged_json = "".join(json.dumps(e) for e in events)
    for person in (aino, britt):
        # (not merely a substring: a pseudonym's hex digits may happen to contain "5001")
        assert not re.search(rf"(?<![0-9a-f]){person['id']}(?![0-9a-f])", logged_json)


async def logged(bot: RunningBot) -> list[dict[str, Any]]:
    """The event log after a clean stop, as plain dicts (who is the pseudonym)."""
    database = Database(bot.settings.database)
    await database.connect()
    async with database.transaction() as tx:
        events = await tx.events.latest(1000)
    await database.close()
    return [
        {
            "kind": e.kind,
            "who": e.pseudonym,
            "group": e.group_id,
            **json.loads(e.attributes or "{}"),
        }
        for e in sorted(events, key=lambda e: e.id)
    ]


async def test_buddies_change_weekly_without_repeats_and_each_gets_a_button(
    bot: RunningBot, clock: FixedClock
) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="fi")
    group = await bot.registered_group(ilkka, -100, "Kävelyryhmä")
    people = [
        emulator.user(5001, "Aino", language_code="fi"),
        emulator.user(5002, "Britt", language_code="sv"),
        emulator.user(5003, "Carl", language_code="en"),
        emulator.user(5004, "Dora", language_code="fi"),
        emulator.user(5005, "Eero", language_code="fi"),  # has not consented
    ]
    await participants(bot, group, people, consenting=4)
    names = {p["first_name"]: p for p in people}

    seen: list[frozenset[str]] = []
    for week in (1, 2, 3):
        mark = emulator.mark()
        made = await bot.say(ilkka, "/buddies")
        lines = (made.text or "").splitlines()
        assert lines[0] == (
            f"Kaverit viikolle {week} (Kävelyryhmä). Kerroin jokaiselle yksityisesti:"
        )
        teams = [frozenset(line.removeprefix("• ").split(" ja ")) for line in lines[1:]]
        assert len(teams) == 2 and frozenset().union(*teams) == {"Aino", "Britt", "Carl", "Dora"}
        assert not set(teams) & set(seen)  # three weeks, three new pairings
        seen += teams
        await bot.services.outbox.drained()
        for team in teams:
            for name in team:
                (buddy,) = team - {name}
                told = await emulator.wait_for("sendMessage", chat_id=names[name]["id"], after=mark)
                assert buddy in (told.text or "")
                assert told.buttons()[0][1] == f"tg://user?id={names[buddy]['id']}"
        assert not sent_since(emulator, mark, names["Eero"]["id"])
        again = await bot.say(ilkka, "/buddies")
        assert (again.text or "").startswith(f"Viikon {week} kaverit (Kävelyryhmä) on jo")
        clock.set(clock.now() + dt.timedelta(weeks=1))

    # the fourth week must repeat a pair: the instructor is told
    made = await bot.say(ilkka, "/buddies")
    assert (made.text or "").endswith("on ollut yhdessä jo aiemmin: muuta vaihtoehtoa ei ollut.")
    assert len(set(itertools.chain.from_iterable(seen))) == 4

    # a participant cannot pair anyone
    refused = await bot.say(names["Aino"], "/buddies 1")
    assert (refused.text or "").startswith("Et voi hallita tätä ryhmää.")
