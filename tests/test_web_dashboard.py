"""The Mini App's dashboard (``GET /app/api/dashboard``): staff only, their own groups only,
and every figure the very one /stats shows for the same data, the figures /stats hides
(``<5``, and ``x`` so that those cannot be worked out) hidden alike, in the person's
language."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from bot.clock import FixedClock
from emulator import ApiCall
from storage import Database
from testing.harness import RunningBot
from testing.webapp import WebClient
from tests.test_e2e_checkins import fire_at, helsinki, participants, private
from tests.test_e2e_export import answer_survey, broadcast_and_after_survey
from tests.test_e2e_seasons import first_season, season_group
from tests.test_e2e_stats import talk

WEEK = re.compile(
    r"Week (?P<week>\d+)\n"
    r"Members (?P<members>\S+) · active (?P<active>\S+)(?: \(\S+\))?\n"
    r"Messages (?P<messages>\S+)(?: \(\S+\))? · reactions (?P<reactions>\S+)\n"
    r"Plans (?P<planned>\S+) · done (?P<done>\S+) · confidence (?P<confidence>\S+)\n"
    r"Broadcasts delivered (?P<broadcasts>\d+)"
)
FIGURES = ("members", "active", "messages", "reactions", "planned", "done", "confidence")


async def two_groups(bot: RunningBot, clock: FixedClock) -> dict[str, Any]:
    """The /stats end-to-end test's data: Espoo's walking group of 6 and reading group of
    2 (so the walking group's figures are hidden as "x" beside the reading group's "<5"),
    a second week of 4 walkers; another organisation's coordinator."""
    emulator = bot.emulator
    people = {
        "ilkka": emulator.user(3000, "Ilkka", language_code="en"),
        "ritva": emulator.user(3001, "Ritva", language_code="en"),
        "kaisa": emulator.user(2000, "Kaisa", language_code="en"),
        "vilma": emulator.user(2100, "Vilma", language_code="en"),
    }
    walking = await bot.registered_group(people["ilkka"], -100, "Walking group")
    reading = await bot.registered_group(people["ritva"], -200, "Reading circle")
    await bot.make_staff(people["kaisa"], "coordinator", "Espoo")
    await bot.make_staff(people["vilma"], "coordinator", "Vantaa")
    walkers = [emulator.user(5000 + n, f"Walker{n}", language_code="en") for n in range(6)]
    readers = [emulator.user(6000 + n, f"Reader{n}", language_code="en") for n in range(2)]
    for person in walkers:
        await emulator.member_joined(person, walking)
    for person in readers:
        await emulator.member_joined(person, reading)
    await talk(bot, walking, walkers, 2)
    await talk(bot, reading, readers, 1)
    await bot.handled_everything()
    await bot.services.events.flush()
    clock.set(clock.now() + dt.timedelta(weeks=1))
    await talk(bot, walking, walkers[:4], 1)
    await bot.handled_everything()
    await bot.services.events.flush()
    people["walker"] = walkers[0]
    for chat, name in ((walking, "walking"), (reading, "reading")):
        group = await bot.services.groups.by_chat(chat.id)
        assert group is not None
        people[name] = group.id
    return people


def as_stats_writes(week: dict[str, Any]) -> dict[str, str]:
    """A dashboard week the way /stats writes it: a number, or the hidden figure's mark."""
    written = {"week": str(week["week"]), "broadcasts": str(week["broadcasts"])}
    for name in FIGURES:
        value = week[name]
        if value is None:
            written[name] = week["marks"].get(name, "–")
        else:
            written[name] = f"{value:.1f}" if name == "confidence" else str(value)
    return written


async def stats_weeks(
    bot: RunningBot, person: dict[str, Any], command: str
) -> list[dict[str, str]]:
    text = (await bot.say(person, command)).text or ""
    return [match.groupdict() for match in WEEK.finditer(text)]


async def test_every_figure_is_the_one_stats_shows_suppression_included(
    served: RunningBot, clock: FixedClock
) -> None:
    people = await two_groups(served, clock)
    kaisa = WebClient(served, people["kaisa"], clock)

    # the coordinator's overview: the organisation's weeks added up, as /stats adds them
    status, board = await kaisa.get("/app/api/dashboard")
    assert status == 200
    assert board["title"] == "📊 Espoo: 2 groups together"
    by_name = {g["name"]: g for g in board["groups"]}
    assert set(by_name) == {"Walking group", "Reading circle"}
    total = board["total"]["weeks"]
    assert [as_stats_writes(week) for week in total] == await stats_weeks(
        served, people["kaisa"], "/stats"
    )
    assert (total[0]["members"], total[0]["active"], total[0]["messages"]) == (8, 8, 14)
    # nobody answered the survey: each item's n, per group and together, is "<5"
    assert board["surveys"]
    assert {(row["n"], row["n_mark"], row["before"]) for row in board["surveys"]} == {
        (None, "<5", None)
    }
    assert {row["group"] for row in board["surveys"]} == {
        people["walking"],
        people["reading"],
        None,
    }

    # each group: week 1 of the walking group is hidden ("x") so that the reading group's
    # "<5" cannot be worked out from the total; its week 2 is about fewer than 5
    walking = by_name["Walking group"]["weeks"]
    assert walking[0]["active"] is None and walking[0]["marks"]["active"] == "x"
    assert walking[1]["active"] is None and walking[1]["marks"]["active"] == "<5"
    for group in board["groups"]:
        assert [as_stats_writes(week) for week in group["weeks"]] == await stats_weeks(
            served, people["kaisa"], f"/stats {group['id']}"
        )
        status, one = await kaisa.get(f"/app/api/dashboard?group={group['id']}")
        assert (status, one["groups"], one["total"]) == (200, [group], None)

    # an instructor's own group: the same figures again
    status, mine = await WebClient(served, people["ilkka"], clock).get("/app/api/dashboard")
    assert status == 200
    assert mine["title"] == "📊 Walking group: week by week"
    assert [g["id"] for g in mine["groups"]] == [people["walking"]]
    assert [as_stats_writes(week) for week in mine["groups"][0]["weeks"]] == await stats_weeks(
        served, people["ilkka"], "/stats"
    )
    assert mine["total"] is None
    # numbers are JSON numbers; a season of its own is asked for the same way
    assert isinstance(total[0]["members"], int)
    status, first = await kaisa.get("/app/api/dashboard?season=1")
    assert (status, first["groups"], first["total"]) == (200, board["groups"], board["total"])


async def test_only_staff_and_only_their_groups(served: RunningBot, clock: FixedClock) -> None:
    people = await two_groups(served, clock)
    walker = WebClient(served, people["walker"], clock)
    status, refused = await walker.get("/app/api/dashboard")
    assert (status, refused["error"]) == (403, "access.staff-only")
    assert refused["message"].startswith("This is for instructors and coordinators")

    vilma = WebClient(served, people["vilma"], clock)
    for group in (people["walking"], people["reading"], 99999):  # a missing one reads alike
        status, refused = await vilma.get(f"/app/api/dashboard?group={group}")
        assert (status, refused["error"]) == (403, "access.not-your-group")
    ilkka = WebClient(served, people["ilkka"], clock)
    status, refused = await ilkka.get(f"/app/api/dashboard?group={people['reading']}")
    assert (status, refused["error"]) == (403, "access.not-your-group")

    kaisa = WebClient(served, people["kaisa"], clock)
    for junk in ("group=abc", "group=-1", "group=0", "season=%C2%B2", "group=1e3", "season=x"):
        status, refused = await kaisa.get(f"/app/api/dashboard?{junk}")
        assert (status, refused["error"]) == (400, "dashboard.bad-filter"), junk
        assert "should be a number" in refused["message"]
    status, refused = await kaisa.get("/app/api/dashboard?season=7")
    assert (status, refused["error"]) == (400, "dashboard.unknown-season")
    assert refused["message"] == "These groups have no season 7. Please choose another season."


async def test_in_the_persons_language_with_the_words_of_stats(
    served: RunningBot, clock: FixedClock
) -> None:
    await two_groups(served, clock)
    expected = {
        "fi": ("📊 Espoo: 2 ryhmää yhteensä", "Alle 5 hengen luvut näkyvät muodossa <5"),
        "sv": ("📊 Espoo: 2 grupper", "Siffror om färre än 5 personer visas som <5"),
        "en": ("📊 Espoo: 2 groups together", "Figures about fewer than 5 people show as <5"),
    }
    for number, (language, (title, note)) in enumerate(expected.items()):
        coordinator = served.emulator.user(2200 + number, "Koordinaattori", language_code=language)
        await served.make_staff(coordinator, "coordinator", "Espoo")
        status, board = await WebClient(served, coordinator, clock).get("/app/api/dashboard")
        assert status == 200
        assert (board["language"], board["small"]) == (language, 5)
        assert board["title"].startswith(title)
        assert board["notes"]["small"].startswith(note)
        # the very words under /stats
        stats = (await served.say(coordinator, "/stats")).text or ""
        assert stats.endswith(board["notes"]["small"])
        assert stats.startswith(board["title"])
        assert board["notes"]["hidden"] is None
        status, refused = await WebClient(served, coordinator, clock).get(
            "/app/api/dashboard?group=x"
        )
        assert refused["message"] == served.services.translator.text(
            language, "dashboard.bad-filter", name="group"
        )
        # the language chosen on the page (?lang=) wins; one it does not know is ignored
        for asked, (other_title, _) in expected.items():
            status, board = await WebClient(served, coordinator, clock).get(
                f"/app/api/dashboard?lang={asked}"
            )
            assert (status, board["language"]) == (200, asked)
            assert board["title"].startswith(other_title)
        status, board = await WebClient(served, coordinator, clock).get(
            "/app/api/dashboard?lang=de"
        )
        assert (status, board["language"]) == (200, language)


def menu_button_calls(bot: RunningBot, person: dict[str, Any]) -> list[ApiCall]:
    return [
        call
        for call in bot.emulator.calls
        if call.method == "setChatMenuButton" and call.params.get("chat_id") == person["id"]
    ]


@pytest.mark.parametrize(
    ("language", "label"),
    [("fi", "📊 Koontinäkymä"), ("sv", "📊 Översikt"), ("en", "📊 Dashboard")],
)
async def test_staff_get_a_menu_button_to_the_dashboard_taken_back_with_their_role(
    served: RunningBot, language: str, label: str
) -> None:
    emulator = served.emulator
    address = f"{served.settings.web_url}#dashboard"
    ilona = emulator.user(3000, "Ilona", language_code=language)
    mark = emulator.mark()
    await served.make_staff(ilona, role="instructor")
    call = await emulator.wait_for("setChatMenuButton", chat_id=3000, after=mark)
    button = {"type": "web_app", "text": label, "web_app": {"url": address}}
    assert call.params["menu_button"] == button
    assert emulator.menu_button_of(3000) == button
    # an unchanged menu is not sent again
    sent = len(menu_button_calls(served, ilona))
    await served.services.menu_publisher.refresh_all()
    await served.handled_everything()
    assert len(menu_button_calls(served, ilona)) == sent

    mark = emulator.mark()
    await served.services.staff.revoke(3000)  # the role ends: the button goes with the menu
    call = await emulator.wait_for("setChatMenuButton", chat_id=3000, after=mark)
    assert call.params["menu_button"] == {"type": "default"}
    assert emulator.menu_button_of(3000) == {"type": "commands"}
    # a participant never gets one
    aino = emulator.user(5000, "Aino", language_code=language)
    await served.say(aino, "/start")
    await served.services.menu_publisher.refresh_all()
    assert menu_button_calls(served, aino) == []


async def test_stats_opens_the_dashboard_from_a_button_in_the_private_chat(
    served: RunningBot, clock: FixedClock
) -> None:
    people = await two_groups(served, clock)
    reply = await served.say(people["kaisa"], "/stats")
    markup = reply.params["reply_markup"]["inline_keyboard"]
    assert markup[1] == [
        {
            "text": "📊 Open the dashboard",
            "web_app": {"url": f"{served.settings.web_url}#dashboard"},
        }
    ]
    # a group's own weeks, from the buttons under the overview, have it too
    labels = dict(reply.buttons())
    mark = served.emulator.mark()
    await served.press(people["kaisa"], reply.result, labels["Walking group"])
    chosen = await served.emulator.wait_for(
        "sendMessage", chat_id=people["kaisa"]["id"], after=mark
    )
    assert ("📊 Open the dashboard", f"{served.settings.web_url}#dashboard") in chosen.buttons()


async def test_without_the_mini_app_neither_button(bot: RunningBot, clock: FixedClock) -> None:
    people = await two_groups(bot, clock)
    reply = await bot.say(people["kaisa"], "/stats")
    assert all(
        "web_app" not in button
        for row in reply.params["reply_markup"]["inline_keyboard"]
        for button in row
    )
    await bot.services.menu_publisher.refresh_all()
    await bot.handled_everything()
    assert [call for call in bot.emulator.calls if call.method == "setChatMenuButton"] == []
    assert bot.emulator.menu_of(people["kaisa"]["id"], "en")  # the commands were set


async def test_broadcasts_and_survey_outcomes_as_the_export_shows_them(
    served: RunningBot, clock: FixedClock
) -> None:
    """The export's story (tests/test_e2e_export.py): five answer before and after; the
    group's n is hidden as the export hides it ("x": the engagement rows would give it
    away), and before the after-survey nobody has both ("<5"). The broadcast's reactions
    show (5), its replies do not (fewer than 5)."""
    bot, emulator = served, served.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="fi")
    group = await bot.registered_group(ilkka, -100, "Kävelyryhmä")
    kaisa = emulator.user(2000, "Kaisa", language_code="en")
    await bot.make_staff(kaisa, "coordinator", "Espoo")
    people = [emulator.user(5000 + n, f"Osallistuja{n}", language_code="fi") for n in range(6)]
    await participants(bot, group, people, consenting=6)
    await bot.set_meetings(ilkka, "/meetings ti 14:00 1.12. x2", chat=group)
    mark = await fire_at(bot, clock, helsinki("2026-12-01", "14:00"))
    for n, person in enumerate(people):
        first = await private(bot, person, mark, "Lyhyt kysely")
        await answer_survey(bot, person, first, ["3", "5", "5", "3", "5"] if n < 5 else ["2"])
    await bot.handled_everything()
    client = WebClient(bot, kaisa, clock)
    status, before = await client.get("/app/api/dashboard")
    assert status == 200
    assert {(row["n"], row["n_mark"]) for row in before["surveys"]} == {(None, "<5")}
    assert before["broadcasts"] == []

    for n, person in enumerate(people[:5]):
        await emulator.send_text(person, f"Hei {n}", chat=group)
    await broadcast_and_after_survey(bot, clock, ilkka, group, people[:5])

    status, after = await client.get("/app/api/dashboard")
    assert status == 200
    health = [row for row in after["surveys"] if row["item"] == "health"]
    assert health == [
        {
            "item": "health",
            "name": health[0]["name"],
            "group": health[0]["group"],
            "n": None,
            "before": None,
            "after": None,
            "n_mark": "x",
        }
    ]
    assert [(b["id"], b["kind"], b["groups"], b["delivered"]) for b in after["broadcasts"]] == [
        (1, "message", 1, 1)
    ]
    assert (after["broadcasts"][0]["reactions"], after["broadcasts"][0]["replies"]) == (5, None)


async def test_an_earlier_season_is_shown_on_its_own(served: RunningBot, clock: FixedClock) -> None:
    """Season 1's weeks by ``?season=1`` (disclosed on their own, as the export does);
    by default the current season's, as /stats."""
    bot = served
    ilkka, group, (aino, _) = await season_group(bot)
    stored = await bot.services.groups.by_chat(group.id)
    assert stored is not None
    await first_season(bot, clock, group, aino)
    clock.set(helsinki("2026-12-20", "12:00"))
    await bot.say(ilkka, "/season uusi", chat=group)
    await bot.handled_everything()

    client = WebClient(bot, ilkka, clock)
    status, now = await client.get("/app/api/dashboard")
    assert status == 200
    assert now["title"] == "📊 Kävelyryhmä, kausi 2: viikoittain"
    assert (now["season"], now["seasons"]) == (None, [1, 2])
    assert [g["season"] for g in now["groups"]] == [2]
    status, first = await client.get(f"/app/api/dashboard?season=1&group={stored.id}")
    assert status == 200
    assert first["title"] == "📊 Kävelyryhmä: viikoittain"
    (season_one,) = first["groups"]
    assert (season_one["id"], season_one["season"]) == (stored.id, 1)
    week = season_one["weeks"][0]
    assert (week["messages"], week["marks"]["messages"]) == (None, "<5")  # one writer of two
    status, refused = await client.get("/app/api/dashboard?season=3")
    assert (status, refused["error"]) == (400, "dashboard.unknown-season")


async def test_the_figures_kept_between_readers_follow_every_change(
    served: RunningBot, clock: FixedClock
) -> None:
    """The weekly figures are worked out once and kept while nothing they come from
    changes: new messages, a person erased by the command line in another process and
    the day moving on each show at once, in the dashboard and /stats alike."""
    people = await two_groups(served, clock)
    kaisa = WebClient(served, people["kaisa"], clock)

    async def this_week() -> dict[str, Any]:
        """Espoo's groups added up, this week: the dashboard's figures, which /stats shows."""
        status, board = await kaisa.get("/app/api/dashboard")
        assert status == 200
        weeks = [as_stats_writes(week) for week in board["total"]["weeks"]]
        assert weeks == await stats_weeks(served, people["kaisa"], "/stats")
        return board["total"]["weeks"][-1]

    week = await this_week()
    assert (week["week"], week["active"], week["marks"]["active"]) == (2, None, "<5")
    assert await this_week() == week  # asked again with nothing changed: the same answer

    # two more walkers write in week 2: six are active. Their membership rows are only
    # confirmed (not changed): the groups' and members' number stays, the activity's moves
    async with served.services.database.reading() as tx:
        before = await tx.analytics.figure_inputs()
    for number in (5004, 5005):
        walker = served.emulator.user(number, f"Walker{number - 5000}", language_code="en")
        await served.emulator.send_text(walker, "Hello!", chat=served.emulator.chats[-100])
    await served.handled_everything()
    await served.services.events.flush()
    week = await this_week()
    assert (week["week"], week["members"], week["active"], week["messages"]) == (2, 8, 6, 6)
    async with served.services.database.reading() as tx:
        after = await tx.analytics.figure_inputs()
    assert before is not None and after is not None
    assert (after.other, after.activity > before.activity) == (before.other, True)

    # another connection (the command line, another instance) counts ten more of one's
    other = Database(served.settings.database)
    await other.connect()
    try:
        async with other.transaction() as tx:
            await tx.connection.execute(
                "UPDATE weekly_activity SET messages = messages + 10 WHERE pseudonym = :who",
                {"who": served.services.pseudonyms.of(5005)},
            )
    finally:
        await other.close()
    week = await this_week()
    assert (week["active"], week["messages"]) == (6, 16)

    # a week later is week 3, where nobody has written yet
    clock.set(clock.now() + dt.timedelta(weeks=1))
    week = await this_week()
    assert (week["week"], week["active"], week["marks"]["active"]) == (3, None, "<5")
