"""The coordinators' export end to end: /export (XLSX) and /export csv (ZIP) open as a
coordinator would open them, agree with what is stored and with each other, hold
aggregates only (no row about one person, no pseudonym, no name or Telegram id, no time
finer than a day) and pass every figure through the disclosure rule; the command line
writes the same; nobody else's groups are in it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl

from bot.clock import FixedClock
from bot.services.exports import DICTIONARY
from emulator import ApiCall, Chat
from testing.databases import run_kannustin
from testing.harness import RunningBot
from tests.test_e2e_broadcast import compose
from tests.test_e2e_checkins import fire_at, helsinki, participants, private, tap


async def answer_survey(
    bot: RunningBot, person: dict[str, Any], first: ApiCall, values: list[str]
) -> None:
    call = first
    for value in values:
        call = await tap(bot, person, call, value)


async def broadcast_and_after_survey(
    bot: RunningBot,
    clock: FixedClock,
    instructor: dict[str, Any],
    group: Chat,
    people: list[dict[str, Any]],
) -> None:
    """The instructor's broadcast "Hyvää viikkoa!", which ``people`` react to; then the
    "after" survey at the last meeting (8.12.), which they answer in full."""
    emulator = bot.emulator
    await emulator.send_text(instructor, "Hyvää viikkoa!")
    await compose(bot, instructor)
    posted = await emulator.wait_for(
        "sendMessage", chat_id=group.id, where=lambda c: c.text == "Hyvää viikkoa!"
    )
    for person in people:
        await emulator.reaction(person, group, posted.result["message_id"], old=[], new=["👍"])
    await bot.handled_everything()
    mark = await fire_at(bot, clock, helsinki("2026-12-08", "16:00"))
    for person in people:
        first = await private(bot, person, mark, "Lyhyt kysely")
        await answer_survey(bot, person, first, ["4", "7", "6", "2", "7"])
    await bot.handled_everything()
    await bot.services.events.flush()


def sheet(workbook: Any, name: str) -> list[dict[str, Any]]:
    rows = list(workbook[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def csv_table(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    text = archive.read(f"{name}.csv").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


async def test_a_coordinator_exports_aggregates_only(
    bot: RunningBot, clock: FixedClock, tmp_path: Path
) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="fi")
    group = await bot.registered_group(ilkka, -100, "Kävelyryhmä")
    kaisa = emulator.user(2000, "Kaisa", language_code="fi")
    await bot.make_staff(kaisa, "coordinator", "Espoo")
    vilma = emulator.user(2100, "Vilma", language_code="fi")
    await bot.make_staff(vilma, "coordinator", "Vantaa")
    people = [emulator.user(5000 + n, f"Osallistuja{n}", language_code="fi") for n in range(6)]
    await participants(bot, group, people, consenting=6)
    await bot.set_meetings(ilkka, "/meetings ti 14:00 1.12. x2", chat=group)

    # the "before" survey: five answer everything, the sixth only the first question
    mark = await fire_at(bot, clock, helsinki("2026-12-01", "14:00"))
    for n, person in enumerate(people):
        first = await private(bot, person, mark, "Lyhyt kysely")
        values = ["3", "5", "5", "3", "5"] if n < 5 else ["2"]
        await answer_survey(bot, person, first, values)
    for n, person in enumerate(people[:5]):  # week 1: they talk
        await emulator.send_text(person, f"Hei {n}", chat=group)
    await emulator.send_text(ilkka, "Ohjaajan viesti", chat=group)
    await broadcast_and_after_survey(bot, clock, ilkka, group, people[:5])

    mark = emulator.mark()
    await emulator.send_text(kaisa, "/export")
    document = await emulator.wait_for("sendDocument", chat_id=kaisa["id"], after=mark)
    assert (document.text or "").startswith("Luvut: 2 ryhmäviikkoa, 1 tiedote, 1 ryhmä")
    workbook = openpyxl.load_workbook(io.BytesIO(document.files["document"]), read_only=True)
    assert workbook.sheetnames == [
        "weekly",
        "outcomes",
        "broadcasts",
        "posts",
        "polls",
        "loop",
        "dictionary",
    ]
    tables = {name: sheet(workbook, name) for name in workbook.sheetnames}
    weekly, outcomes, broadcasts = tables["weekly"], tables["outcomes"], tables["broadcasts"]

    # aggregates only: no pseudonym, name, Telegram id or time of day in any cell
    pseudonyms = {bot.services.pseudonyms.of(p["id"]) for p in [*people, ilkka, kaisa]}
    for name, rows in tables.items():
        for row in rows:
            for value in row.values():
                assert not isinstance(value, dt.datetime), (name, row)
                text = str(value)
                assert text not in pseudonyms, (name, row)
                assert not any(p["first_name"] in text for p in [*people, ilkka]), (name, row)
                assert not any(str(p["id"]) == text for p in [*people, ilkka]), (name, row)
                assert "T" not in text or not text[:4].isdigit(), (name, row)  # no ISO times

    # weekly: the group's figures as /stats has them (the instructor not counted)
    stored = await bot.services.groups.by_chat(group.id)
    assert stored is not None
    assert [(r["group_id"], r["week"], r["week_starts"]) for r in weekly] == [
        (stored.id, 1, "2026-12-01"),
        (stored.id, 2, "2026-12-08"),
    ]
    first_week = weekly[0]
    assert (first_week["members"], first_week["active"], first_week["messages"]) == (6, 5, 5)
    assert first_week["reactions"] == 5 and first_week["broadcasts"] == 1
    assert first_week["plans_invited"] == "<5"  # no plans in this story: about nobody
    assert all(row["members"] == 6 for row in weekly)

    # outcomes: five before-and-after pairs, all five active in one week only (engagement
    # low): shown, the low row would tell that each of them was of low engagement (and
    # medium and high hold nobody), so it is hidden ("x"), and with it the group's n (the
    # same five people); no mean is shown over a hidden n (the unit tests show means)
    rows = {(r["group"], r["item"]): r for r in outcomes}
    for name in ("Kävelyryhmä", "all groups", "engagement: low"):
        row = rows[(name, "health")]
        assert (row["n"], row["mean_before"], row["mean_after"], row["mean_change"]) == (
            "x",
            None,
            None,
            None,
        ), name
    assert rows[("engagement: high", "coping")]["n"] == "<5"
    assert rows[("Kävelyryhmä", "health")]["group_id"] == stored.id

    # broadcasts: the day, the groups reached and the reactions, no time of day
    assert broadcasts == [
        {
            "broadcast": 1,
            "day": "2026-12-01",
            "tip": "",
            "groups": 1,
            "delivered": 1,
            "reactions": 5,
            "replies": "<5",
        }
    ]

    # the dictionary names every column of every table, and says why there is no chart
    assert {(r["table"], r["column"]) for r in tables["dictionary"]} == {
        (table, column) for table, columns in DICTIONARY.items() for column, _ in columns
    } | {("chart", "outcomes.png")}
    assert tables["dictionary"][-1]["meaning"] == (
        "no chart: every mean change is hidden (see n in outcomes), so that a figure about "
        "fewer than 5 people cannot be worked out"
    )
    workbook.close()

    # the outcome chart would show nothing but gaps here: none is drawn, and a line says why
    said = (
        "Vaikutuskaaviota ei tullut: jokainen sen muutos on piilotettu, jottei alle 5 hengen "
        "lukua voi laskea muista."
    )
    await emulator.wait_for(
        "sendMessage", chat_id=kaisa["id"], after=mark, where=lambda call: call.text == said
    )
    await bot.handled_everything()
    assert emulator.sent("sendPhoto", chat_id=kaisa["id"]) == []

    # the same in CSV files
    mark = emulator.mark()
    await emulator.send_text(kaisa, "/export csv")
    zipped = await emulator.wait_for("sendDocument", chat_id=kaisa["id"], after=mark)
    archive = zipfile.ZipFile(io.BytesIO(zipped.files["document"]))
    assert sorted(archive.namelist()) == [
        "broadcasts.csv",
        "dictionary.csv",
        "loop.csv",
        "outcomes.csv",
        "polls.csv",
        "posts.csv",
        "weekly.csv",
    ]
    assert [r["messages"] for r in csv_table(archive, "weekly")] == [
        str(r["messages"]) for r in weekly
    ]
    assert [r["n"] for r in csv_table(archive, "outcomes")] == [str(r["n"]) for r in outcomes]

    # others: an instructor cannot export; Vantaa's coordinator gets none of Espoo's figures
    refused = await bot.say(ilkka, "/export")
    assert (refused.text or "").startswith("Vain koordinaattori")
    mark = emulator.mark()
    await emulator.send_text(vilma, "/export csv")
    theirs = await emulator.wait_for("sendDocument", chat_id=vilma["id"], after=mark)
    archive = zipfile.ZipFile(io.BytesIO(theirs.files["document"]))
    for name in ("weekly", "outcomes", "broadcasts"):
        assert csv_table(archive, name) == [], name

    # the command line writes the same workbook
    out = tmp_path / "export.xlsx"
    status, stdout, stderr = await run_kannustin(
        bot.settings.database, "export", "--out", str(out), "--org", "Espoo", "--from", "2026-11-01"
    )
    assert status == 0, stderr
    assert stdout.startswith(f"export: {out}: 2 group weeks, {len(outcomes)} outcome rows")
    written = openpyxl.load_workbook(out, read_only=True)
    assert sheet(written, "weekly") == weekly
    assert sheet(written, "outcomes") == outcomes
    written.close()
    assert not out.with_suffix(".png").exists()
    assert "\n  no chart: every mean change is hidden" in stdout
    # --from the second week leaves out the first week and the broadcast sent in it
    later = tmp_path / "later.xlsx"
    status, _, stderr = await run_kannustin(
        bot.settings.database, "export", "--out", str(later), "--from", "2026-12-08"
    )
    assert status == 0, stderr
    written = openpyxl.load_workbook(later, read_only=True)
    assert [row["week"] for row in sheet(written, "weekly")] == [2]
    assert sheet(written, "broadcasts") == []
    written.close()
    clock.set(clock.now() + dt.timedelta(minutes=1))
