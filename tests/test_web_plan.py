"""The participant's weekly plan in the Mini App, against the running bot and the emulator:
the open week, the plan shown back (never kept, never logged), the confidence slider with the
"make it smaller" guidance at once, progress and "tell the group", all recorded exactly as
the chat's keys record them, so /checkins counts both alike. Another's or a made-up check-in,
a round already taken and junk change nothing. The invitation opens the Mini App at the plan
only when the bot serves it."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from bot.clock import FixedClock
from storage.checkins import CheckIn
from testing.harness import RunningBot
from testing.webapp import WebClient
from tests.test_e2e_checkins import (
    fire_at,
    helsinki,
    participants,
    private,
    tap,
    walking_group,
)
from tests.test_e2e_privacy import found_anywhere

SMALLER = {
    "fi": "Kiitos rehellisyydestä. Kun varmuus on alle 7, suunnitelmaa kannattaa pienentää",
    "sv": "Tack för att du är ärlig. När säkerheten är under 7",
    "en": "Thank you for being honest. When your confidence is under 7, it helps to make",
}
INVITED = helsinki("2026-12-01", "16:00")  # two hours after Tuesday's meeting


async def checkins(bot: RunningBot) -> dict[int, CheckIn]:
    """Every check-in row of the first meeting, by check-in id."""
    async with bot.services.database.transaction() as tx:
        return {row.id: row for row in await tx.checkins.of_meeting(1)}


def web_buttons(call: Any) -> list[dict[str, Any]]:
    markup = call.params.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row if "web_app" in b]


async def test_a_participant_rates_and_reports_in_the_mini_app_as_in_the_chat(
    served: RunningBot, clock: FixedClock
) -> None:
    bot, emulator = served, served.emulator
    ilkka, group, (aino, britt, carl) = await walking_group(bot, consenting=3)
    more = [
        emulator.user(5004, "Dora", language_code="fi"),
        emulator.user(5005, "Eero", language_code="en"),
    ]
    await participants(bot, group, more, consenting=2)
    page = {p["first_name"]: WebClient(bot, p, clock) for p in (aino, britt, carl, *more)}

    # nothing open before the invitation (a plain answer, not an error)
    assert await page["Aino"].get("/app/api/plan") == (200, {"open": False})

    invited = mark = await fire_at(bot, clock, INVITED)
    invite = await private(bot, aino, mark, "Tämän viikon pieni suunnitelma (Kävelyryhmä)")
    # the keys people use today stay; below them, the Mini App opens at the plan
    assert [label for label, _ in invite.buttons()][:11] == [str(n) for n in range(11)]
    assert web_buttons(invite) == [
        {
            "text": "Avaa viikkosuunnitelma",
            "web_app": {"url": f"{bot.settings.web_url}#plan"},
        }
    ]
    britts = await private(bot, britt, mark, "Veckans lilla plan (Kävelyryhmä)")
    assert [b["text"] for b in web_buttons(britts)] == ["Öppna veckans plan"]
    carls = await private(bot, carl, mark, "This week's small plan (Kävelyryhmä)")
    assert [b["text"] for b in web_buttons(carls)] == ["Open the weekly plan"]

    status, plan = await page["Aino"].get("/app/api/plan")
    assert status == 200
    ainos_checkin = plan["checkin"]
    assert plan == {
        "open": True,
        "group": "Kävelyryhmä",
        "week": 1,
        "checkin": ainos_checkin,
        "round": 0,
        "confidence": None,
        "progress": None,
        "asks": "plan",
    }
    # the plan is shown back trimmed, without control characters
    shown = await page["Aino"].post(
        "/app/api/plan/reflect", {"text": "  Kävelen\x00 kirjastoon\ttiistaina\n\n "}
    )
    assert shown == (200, {"text": "Kävelen kirjastoon\ttiistaina"})

    # under 7, at once the chat's "make it smaller" words, in each one's language
    ids = {}
    for name, language in (("Aino", "fi"), ("Britt", "sv"), ("Carl", "en")):
        ids[name] = (await page[name].get("/app/api/plan"))[1]["checkin"]
        status, rated = await page[name].post(
            "/app/api/plan/confidence", {"checkin": ids[name], "round": 0, "value": 5}
        )
        assert status == 200, rated
        assert rated["message"].startswith(SMALLER[language]), rated
        assert (rated["counted"], rated["smaller"], rated["round"]) == (True, True, 1)
    status, plan = await page["Aino"].get("/app/api/plan")
    assert (plan["round"], plan["confidence"], plan["asks"]) == (1, 5, "confidence")

    # the same round again (a double submit, or the chat's first keyboard) counts once
    twice = await page["Aino"].post(
        "/app/api/plan/confidence", {"checkin": ainos_checkin, "round": 0, "value": 9}
    )
    assert twice == (
        400,
        {"error": "checkin.already-rated", "message": "Varmuutesi on jo kirjattu. Kiitos!"},
    )
    pressed = await tap(bot, aino, invite, "9")
    assert pressed.text == "Varmuutesi on jo kirjattu. Kiitos!"

    # the next round: 8, sure enough
    status, rated = await page["Aino"].post(
        "/app/api/plan/confidence", {"checkin": ainos_checkin, "round": 1, "value": 8}
    )
    assert (status, rated) == (
        200,
        {
            "counted": True,
            "smaller": False,
            "round": 2,
            "message": "Hienoa! Varmuutesi: 8/10. Kysyn viikon puolivälissä, miten "
            "suunnitelmasi etenee. Onnea matkaan!",
        },
    )
    # Britt taps twice at once: one of the two counts
    both = await asyncio.gather(
        *(
            page["Britt"].post(
                "/app/api/plan/confidence", {"checkin": ids["Britt"], "round": 1, "value": v}
            )
            for v in (7, 9)
        )
    )
    assert sorted(status for status, _ in both) == [200, 400]
    britts_value = (7, 9)[[status for status, _ in both].index(200)]
    assert sorted(answered["error"] for status, answered in both if status == 400) == [
        "checkin.already-rated"
    ]
    # Carl rates again, 7; Dora and Eero use the chat's keys, as before
    status, _ = await page["Carl"].post(
        "/app/api/plan/confidence", {"checkin": ids["Carl"], "round": 1, "value": 7}
    )
    assert status == 200
    for person, start in zip(more, ("Tämän viikon pieni", "This week's small"), strict=True):
        keys = await private(bot, person, invited, start)
        assert (await tap(bot, person, keys, "8")).text is not None

    rows = await checkins(bot)
    by_id = {ids[name]: name for name in ids}
    assert sorted(
        (by_id.get(row.id, "chat"), row.confidence, row.ratings) for row in rows.values()
    ) == [
        ("Aino", 8, 2),
        ("Britt", britts_value, 2),
        ("Carl", 7, 2),
        ("chat", 8, 1),
        ("chat", 8, 1),
    ]

    # progress: done, and the group may be told (once), as in the chat
    status, reported = await page["Aino"].post(
        "/app/api/plan/progress", {"checkin": ainos_checkin, "value": "done"}
    )
    assert status == 200
    assert reported["share"] is True
    assert reported["message"].startswith("Mahtavaa, teit sen! 🎉 Haluatko kertoa ryhmälle?")
    mark = emulator.mark()
    told = await page["Aino"].post("/app/api/plan/share", {"checkin": ainos_checkin})
    assert told == (200, {"message": "Kerroin ryhmälle. 🎉"})
    celebration = await emulator.wait_for("sendMessage", chat_id=group.id, after=mark)
    assert celebration.text == (
        "🎉 Aino teki tämän viikon suunnitelmansa! Kannustetaan reaktiolla 👏"
    )
    again = await page["Aino"].post("/app/api/plan/share", {"checkin": ainos_checkin})
    assert again[0] == 400 and again[1]["error"] == "checkin.already-shared"
    status, reported = await page["Britt"].post(
        "/app/api/plan/progress", {"checkin": ids["Britt"], "value": "partly"}
    )
    assert (status, reported["share"]) == (200, False)
    assert reported["message"].startswith("Bra, en del är redan gjort!")
    status, plan = await page["Aino"].get("/app/api/plan")
    assert (plan["progress"], plan["asks"]) == ("done", "done")

    rows = await checkins(bot)
    assert (rows[ainos_checkin].progress_mid, rows[ainos_checkin].progress_end) == ("done", None)
    assert rows[ainos_checkin].shared_at is not None
    assert rows[ids["Britt"]].progress_mid == "partly"

    # /checkins counts the Mini App's ratings and the chat's alike
    walking = await bot.services.groups.by_chat(group.id)
    assert walking is not None
    async with bot.services.database.transaction() as tx:
        (week,) = await tx.analytics.checkins_by_week([walking.id])
    assert (week.invited, week.planned, week.done, week.partly, week.shared) == (5, 5, 1, 1, 1)
    figures = await bot.say(ilkka, "/checkins")
    assert "Suunnitelman teki 5/5" in (figures.text or ""), figures.text

    # the log has the page's answers as it has the chat's: pseudonym, rating and round
    await bot.services.events.flush()
    async with bot.services.database.transaction() as tx:
        events = sorted(await tx.events.latest(1000), key=lambda e: e.id)
    ainos = bot.services.pseudonyms.of(aino["id"])
    kinds = ("check-in", "progress", "progress-shared")
    assert [
        (e.kind, json.loads(e.attributes or "{}"))
        for e in events
        if e.pseudonym == ainos and e.kind in kinds
    ] == [
        ("check-in", {"confidence": 5, "attempt": 1}),
        ("check-in", {"confidence": 8, "attempt": 2}),
        ("progress", {"stage": "mid", "answer": "done"}),
        ("progress-shared", {}),
    ]

    # at the week's end the page's answer is the answer to the week's end's question
    mark = await fire_at(bot, clock, helsinki("2026-12-07", "12:00"))
    await private(bot, britt, mark, "Veckan är snart slut. Hur gick det med din plan?")
    status, reported = await page["Britt"].post(
        "/app/api/plan/progress", {"checkin": ids["Britt"], "value": "done"}
    )
    assert (status, reported["share"]) == (200, True)
    britts = (await checkins(bot))[ids["Britt"]]
    assert (britts.progress_mid, britts.progress_end) == ("partly", "done")


async def test_another_persons_or_a_made_up_check_in_and_junk_change_nothing(
    served: RunningBot, clock: FixedClock
) -> None:
    bot = served
    ilkka, _group, (aino, britt, carl) = await walking_group(bot)  # Carl does not consent
    await fire_at(bot, clock, INVITED)
    ainos = WebClient(bot, aino, clock)
    britts = WebClient(bot, britt, clock)
    ainos_checkin = (await ainos.get("/app/api/plan"))[1]["checkin"]
    before = await checkins(bot)

    not_open = {"error": "checkin.not-open", "message": "Den här frågan är inte längre öppen."}
    for path, data in (
        ("confidence", {"checkin": ainos_checkin, "round": 0, "value": 8}),
        ("progress", {"checkin": ainos_checkin, "value": "done"}),
        ("share", {"checkin": ainos_checkin}),
        ("confidence", {"checkin": 999_999, "round": 0, "value": 8}),
    ):
        assert await britts.post(f"/app/api/plan/{path}", data) == (400, not_open), path
    # no consent, no open plan; staff neither
    assert await WebClient(bot, carl, clock).get("/app/api/plan") == (200, {"open": False})
    assert await WebClient(bot, ilkka, clock).get("/app/api/plan") == (200, {"open": False})
    refused = await WebClient(bot, carl, clock).post(
        "/app/api/plan/confidence", {"checkin": ainos_checkin, "round": 0, "value": 8}
    )
    assert refused == (
        400,
        {"error": "checkin.not-open", "message": "This question is no longer open."},
    )
    # progress before any rating: first the rating
    early = await ainos.post("/app/api/plan/progress", {"checkin": ainos_checkin, "value": "done"})
    assert early == (
        400,
        {
            "error": "checkin.rate-first",
            "message": "Arvioi ensin, kuinka varma olet suunnitelmastasi.",
        },
    )

    junk = "x" * 1000
    bad_request = {
        "error": "web.bad-request",
        "message": "Pyyntöä ei voitu lukea. Avaa sovellus uudelleen.",
    }
    for data in (
        {"checkin": ainos_checkin, "round": 0, "value": 11},
        {"checkin": ainos_checkin, "round": 0, "value": -1},
        {"checkin": ainos_checkin, "round": 0, "value": "8"},
        {"checkin": ainos_checkin, "round": 0, "value": 7.5},
        {"checkin": ainos_checkin, "round": 0, "value": True},
        {"checkin": ainos_checkin, "round": 0, "value": None},
        {"checkin": ainos_checkin, "round": 0, "value": junk},
        {"checkin": ainos_checkin, "round": -1, "value": 8},
        {"checkin": ainos_checkin, "round": 10**12, "value": 8},
        {"checkin": str(ainos_checkin), "round": 0, "value": 8},
        {"checkin": 10**30, "round": 0, "value": 8},
        {"round": 0, "value": 8},
    ):
        assert await ainos.post("/app/api/plan/confidence", data) == (400, bad_request), data
    for value in ("maybe", junk, 1, None, ["done"]):
        answered = await ainos.post(
            "/app/api/plan/progress", {"checkin": ainos_checkin, "value": value}
        )
        assert answered == (400, bad_request), value
    for data in ([1, 2], "text", 5):
        answered = await ainos.post("/app/api/plan/confidence", data)
        assert answered == (400, bad_request), data
    assert await checkins(bot) == before

    # the plan shown back: nothing, or too long, is said so in their language
    assert await ainos.post("/app/api/plan/reflect", {"text": " \x00\n "}) == (
        400,
        {"error": "checkin.plan-empty", "message": "Kirjoita ensin suunnitelmasi."},
    )
    status, long = await britts.post("/app/api/plan/reflect", {"text": "ö" * 1001})
    assert (status, long["error"]) == (400, "checkin.plan-too-long")
    assert long["message"] == "Planen är för lång. Skriv den kortare, högst 1\u00a0000 tecken."
    assert (await ainos.post("/app/api/plan/reflect", {"text": "ö" * 1000}))[0] == 200
    assert (await ainos.post("/app/api/plan/reflect", {"text": 1000}))[0] == 400
    # without signed launch data, nothing at all
    assert (await WebClient(bot, None, clock).get("/app/api/plan"))[0] == 401


async def test_the_plan_is_nowhere_in_the_database_or_the_log(
    served: RunningBot, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bot = served
    _ilkka, _group, (aino, _britt, _carl) = await walking_group(bot)
    await fire_at(bot, clock, INVITED)
    page = WebClient(bot, aino, clock)
    checkin = (await page.get("/app/api/plan"))[1]["checkin"]
    plan = "Ui 25 minuuttia Zebulonin altaassa maanantaina ja torstaina"
    assert await page.post("/app/api/plan/reflect", {"text": plan}) == (200, {"text": plan})
    smaller = "Ui 10 minuuttia Zebulonin altaassa maanantaina"
    assert (await page.post("/app/api/plan/reflect", {"text": smaller}))[0] == 200
    for before, value in ((0, 4), (1, 9)):
        assert (
            await page.post(
                "/app/api/plan/confidence", {"checkin": checkin, "round": before, "value": value}
            )
        )[0] == 200
    assert (await page.post("/app/api/plan/progress", {"checkin": checkin, "value": "done"}))[
        0
    ] == 200
    await bot.services.events.flush()
    # every log line at every level (the database's own debug lines too) is free of it
    assert caplog.records
    assert "Zebulon" not in caplog.text
    assert "25 minuuttia" not in caplog.text
    assert await found_anywhere(bot, 73_519_264, ("Zebulon", "25 minuuttia")) == []


async def test_the_invitation_opens_the_mini_app_only_when_it_is_served(
    bot: RunningBot, clock: FixedClock
) -> None:
    """A bot without the Mini App settings (``bot``) invites with the keys alone."""
    _ilkka, _group, (aino, _britt, _carl) = await walking_group(bot)
    mark = await fire_at(bot, clock, INVITED)
    invite = await private(bot, aino, mark, "Tämän viikon pieni suunnitelma")
    assert [label for label, _ in invite.buttons()] == [str(n) for n in range(11)]
    assert web_buttons(invite) == []
