"""Charts end to end, as a coordinator would show them in a meeting, in Finnish, Swedish
and English: /stats chart sends a portrait picture whose weeks, bars and words are those
of the text answer (what the text hides is not drawn; a panel with nothing that may be
shown says so in the reader's language); /export sends the outcome chart beside the
workbook whenever the before-and-after answers allow one, and ``kannustin export`` writes
it beside the file."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import openpyxl
from matplotlib import image

from bot.clock import FixedClock
from bot.formats.charts import weekly_figure
from emulator import ApiCall
from testing.charts import panel, words
from testing.databases import run_kannustin
from testing.harness import RunningBot
from tests.test_e2e_checkins import fire_at, helsinki, participants, private
from tests.test_e2e_export import answer_survey, sheet
from tests.test_e2e_stats import talk

SAID = {  # language: the caption, the panels' titles, the x axis, and the empty panel's words
    "fi": (
        "📊 Kävelyryhmä: viikoittain",
        ["Aktiivisia osallistujia", "Suunnitelmista tehty (%)", "Ohjelmaviikko"],
        "Tässä ei ole vielä piirrettävää: jokainen luku koskee alle 5 henkeä tai paljastaisi "
        "sellaisen.",
    ),
    "sv": (
        "📊 Kävelyryhmä: vecka för vecka",
        ["Aktiva deltagare", "Planer som blev klara (%)", "Programvecka"],
        "Här finns ännu inget att rita: varje siffra gäller färre än 5 personer eller skulle "
        "avslöja en sådan.",
    ),
    "en": (
        "📊 Kävelyryhmä: week by week",
        ["Active participants", "Plans done (%)", "Programme week"],
        "Nothing to draw here yet: each figure is about fewer than 5 people or would let one "
        "be worked out.",
    ),
}
READERS = {  # language: (coordinator's id, first name)
    "fi": (2000, "Kaisa"),
    "sv": (2001, "Sven"),
    "en": (2002, "Emma"),
}


async def coordinators(bot: RunningBot) -> dict[str, dict[str, Any]]:
    people = {}
    for language, (user_id, name) in READERS.items():
        person = bot.emulator.user(user_id, name, language_code=language)
        await bot.make_staff(person, "coordinator", "Espoo")
        people[language] = person
    return people


async def test_stats_chart_in_three_languages(bot: RunningBot, clock: FixedClock) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="fi")
    walking = await bot.registered_group(ilkka, -100, "Kävelyryhmä")
    readers = await coordinators(bot)
    walkers = [emulator.user(5000 + n, f"Osallistuja{n}", language_code="fi") for n in range(7)]
    for person in walkers:
        await emulator.member_joined(person, walking)
    await talk(bot, walking, walkers, 1)  # week 1: 7 active
    await bot.handled_everything()
    await bot.services.events.flush()
    clock.set(clock.now() + dt.timedelta(weeks=1))
    await talk(bot, walking, walkers[:6], 1)  # week 2: 6 active
    await bot.handled_everything()
    await bot.services.events.flush()
    clock.set(clock.now() + dt.timedelta(weeks=1))
    await talk(bot, walking, walkers[:3], 1)  # week 3: 3 active, hidden ("<5")
    await bot.handled_everything()
    await bot.services.events.flush()

    for language, person in readers.items():
        caption, titles, empty = SAID[language]
        text = (await bot.say(person, "/stats")).text or ""
        assert text.startswith(caption)
        # the weeks' active participants as the text has them: 7, 6 and hidden
        people = [block.splitlines()[1] for block in text.split("\n\n")[1:4]]
        assert [line.rsplit(" · ", 1)[1].split(" ", 1)[1] for line in people] == [
            "7",
            "6 (-1)",
            "<5",
        ]

        mark = emulator.mark()
        await emulator.send_text(person, "/stats chart")
        photo = await emulator.wait_for("sendPhoto", chat_id=person["id"], after=mark)
        assert photo.text == caption
        pixels = image.imread(io.BytesIO(photo.files["photo"]), format="png")
        assert pixels.shape[:2] == (1440, 1080)  # portrait, for a phone

        # what that picture holds, built by the same service call
        drawing, _ = await bot.services.stats.chart_drawing(person["id"], None, language)
        figure = weekly_figure(*drawing)
        active, completion = (panel(axes) for axes in figure.axes)
        assert active.ticks == [1.0, 2.0, 3.0] and active.tick_labels == ["1", "2", "3"]
        assert active.bars == [(1.0, 7.0), (2.0, 6.0)]  # week 3's "<5" is not drawn
        assert active.points == []
        # nobody made plans: words in the reader's language instead of an empty axis
        assert not completion.drawn_axes and completion.bars == []
        assert " ".join(" ".join(completion.words).split()) == empty
        shown = words(figure)
        assert all(title in shown for title in titles), (language, shown)
        assert caption.removeprefix("📊 ") in shown  # the title


OUTCOME_TITLES = {
    "fi": "Muutos alusta loppuun aktiivisuuden mukaan",
    "sv": "Förändring från början till slut efter aktivitet",
    "en": "Change from before to after by engagement",
}
NO_CHART_YET = {
    "fi": "Vaikutuskaaviota ei tullut: kyselyyn sekä alussa että lopussa on vastannut alle 5 "
    "henkeä.",
    "sv": "Inget resultatdiagram: färre än 5 personer har svarat på enkäten både före och efter.",
    "en": "No outcome chart: fewer than 5 people have answered the survey both before and after.",
}


async def exported(bot: RunningBot, person: dict[str, Any]) -> tuple[ApiCall, int]:
    """/export: the workbook, and the mark before it was asked for."""
    mark = bot.emulator.mark()
    await bot.emulator.send_text(person, "/export")
    document = await bot.emulator.wait_for("sendDocument", chat_id=person["id"], after=mark)
    return document, mark


async def test_the_outcome_chart_comes_with_the_export_when_answers_allow(
    bot: RunningBot, clock: FixedClock, tmp_path: Path
) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="fi")
    group = await bot.registered_group(ilkka, -100, "Kävelyryhmä")
    readers = await coordinators(bot)
    people = [emulator.user(5000 + n, f"Osallistuja{n}", language_code="fi") for n in range(10)]
    await participants(bot, group, people, consenting=10)
    await bot.set_meetings(ilkka, "/meetings ti 14:00 1.12. x2", chat=group)
    mark = await fire_at(bot, clock, helsinki("2026-12-01", "14:00"))
    for person in people:
        first = await private(bot, person, mark, "Lyhyt kysely")
        await answer_survey(bot, person, first, ["3", "5", "5", "3", "5"])
    await bot.handled_everything()

    # only "before" answers: no chart, and each coordinator is told why in their language
    for language, person in readers.items():
        _, mark = await exported(bot, person)
        said = NO_CHART_YET[language]
        await emulator.wait_for(
            "sendMessage",
            chat_id=person["id"],
            after=mark,
            where=lambda c, said=said: c.text == said,
        )
        await bot.handled_everything()
        assert emulator.sent("sendPhoto", chat_id=person["id"]) == []
    out = tmp_path / "before.xlsx"
    status, stdout, stderr = await run_kannustin(bot.settings.database, "export", "--out", str(out))
    assert status == 0, stderr
    assert "  no chart: fewer than 5 people answered both before and after" in stdout
    assert not out.with_suffix(".png").exists()
    workbook = openpyxl.load_workbook(out, read_only=True)
    assert {
        "table": "chart",
        "column": "outcomes.png",
        "meaning": ("no chart: fewer than 5 people answered both before and after"),
    } in sheet(workbook, "dictionary")
    workbook.close()

    # ten answer after as well (all of low engagement: by level the figures stay hidden,
    # for everyone they may be shown): the chart follows the workbook
    mark = await fire_at(bot, clock, helsinki("2026-12-08", "16:00"))
    for person in people:
        first = await private(bot, person, mark, "Lyhyt kysely")
        await answer_survey(bot, person, first, ["4", "7", "6", "2", "7"])
    await bot.handled_everything()
    for language, person in readers.items():
        document, mark = await exported(bot, person)
        chart = await emulator.wait_for("sendPhoto", chat_id=person["id"], after=mark)
        assert chart.text == OUTCOME_TITLES[language]
        pixels = image.imread(io.BytesIO(chart.files["photo"]), format="png")
        assert pixels.shape[:2] == (1440, 1080)
        workbook = openpyxl.load_workbook(io.BytesIO(document.files["document"]), read_only=True)
        about = [row for row in sheet(workbook, "dictionary") if row["table"] == "chart"]
        assert about[0]["meaning"].startswith("the mean change from before to after")
        workbook.close()

    # the command line writes it beside the workbook, and says so
    out = tmp_path / "after.xlsx"
    status, stdout, stderr = await run_kannustin(bot.settings.database, "export", "--out", str(out))
    assert status == 0, stderr
    assert f"  the outcome chart: {out.with_suffix('.png')}" in stdout
    assert out.with_suffix(".png").read_bytes().startswith(b"\x89PNG")
