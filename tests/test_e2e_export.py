"""The research export end to end: a coordinator's /export (XLSX) and /export csv (ZIP)
open as a researcher would open them, agree with the event log and with each other, hold
no names or Telegram ids, and protect small numbers in the outcome summary; the command
line writes the same; nobody else's groups are in it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import openpyxl

from bot.clock import FixedClock
from bot.services.exports import DICTIONARY
from emulator import ApiCall
from testing.databases import run_kannustin
from testing.harness import RunningBot
from tests.test_e2e_checkins import fire_at, helsinki, participants, private, tap


async def answer_survey(
    bot: RunningBot, person: dict[str, Any], first: ApiCall, values: list[str]
) -> None:
    call = first
    for value in values:
        call = await tap(bot, person, call, value)


def sheet(workbook: Any, name: str) -> list[dict[str, Any]]:
    rows = list(workbook[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def csv_table(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    text = archive.read(f"{name}.csv").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


async def test_a_coordinator_exports_what_the_log_holds(
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
    await bot.say(ilkka, "/meetings ti 14:00 1.12. x2", chat=group)

    # the "before" survey: five answer everything, the sixth only the first question
    mark = await fire_at(bot, clock, helsinki("2026-12-01", "14:00"))
    for n, person in enumerate(people):
        first = await private(bot, person, mark, "Lyhyt kysely")
        values = ["3", "5", "5", "3", "5"] if n < 5 else ["2"]
        await answer_survey(bot, person, first, values)
    for n, person in enumerate(people[:5]):  # week 1: they talk
        await emulator.send_text(person, f"Hei {n}", chat=group)
    await emulator.send_text(ilkka, "Ohjaajan viesti", chat=group)
    await bot.handled_everything()
    # the "after" survey at the last meeting
    mark = await fire_at(bot, clock, helsinki("2026-12-08", "16:00"))
    for person in people[:5]:
        first = await private(bot, person, mark, "Lyhyt kysely")
        await answer_survey(bot, person, first, ["4", "7", "6", "2", "7"])
    await bot.handled_everything()
    await bot.services.events.flush()

    mark = emulator.mark()
    await emulator.send_text(kaisa, "/export")
    document = await emulator.wait_for("sendDocument", chat_id=kaisa["id"], after=mark)
    assert (document.text or "").startswith("Aineisto: ")
    workbook = openpyxl.load_workbook(io.BytesIO(document.files["document"]), read_only=True)
    assert workbook.sheetnames == ["events", "weekly", "surveys", "outcomes", "dictionary"]
    events = sheet(workbook, "events")
    weekly = sheet(workbook, "weekly")
    surveys = sheet(workbook, "surveys")
    outcomes = sheet(workbook, "outcomes")

    # the events are the log's, and the weekly sums agree with them
    async with bot.services.database.transaction() as tx:
        logged = await tx.events.latest(100_000)
    stored = next(
        g for g in await bot.services.groups.summaries_for(1000) if g.group.chat_id == -100
    )
    in_group = [e for e in logged if e.group_id == stored.group.id]
    assert [row["event_id"] for row in events] == [e.id for e in in_group]
    staff = {bot.services.pseudonyms.of(p) for p in (ilkka["id"], kaisa["id"], vilma["id"])}
    for week in (1, 2):
        mine = [
            row for row in events if row["week"] == week and row["pseudonym"] not in staff | {""}
        ]
        kinds = Counter(row["kind"] for row in mine)
        summary = next(row for row in weekly if row["week"] == week)
        assert summary["messages"] == kinds["message"] + kinds["reply"]
        assert summary["taps"] == kinds["button"]
        assert summary["active"] == len(
            {
                row["pseudonym"]
                for row in mine
                if row["kind"] in ("message", "reply", "reaction", "button", "check-in", "progress")
            }
        )
    assert next(row for row in weekly if row["week"] == 1)["messages"] == 5  # not the instructor's
    assert all(row["members"] == 6 for row in weekly)

    # surveys: wide, one row per person and round; a skipped or unreached item is empty
    assert len(surveys) == 11
    partial = [row for row in surveys if row["answered"] == 1]
    assert len(partial) == 1 and partial[0]["health"] == 2 and partial[0]["coping"] is None
    assert Counter(row["round"] for row in surveys) == {"before": 6, "after": 5}

    # outcomes: five pairs are shown, fewer are not
    health = next(row for row in outcomes if row["group_id"] and row["item"] == "health")
    assert (health["n"], health["mean_before"], health["mean_after"]) == (5, 3, 4)
    assert health["mean_change"] == 1
    low = next(r for r in outcomes if r["group"] == "engagement: low" and r["item"] == "coping")
    assert (low["n"], low["mean_change"]) == (5, 1)
    high = next(r for r in outcomes if r["group"] == "engagement: high" and r["item"] == "coping")
    assert (high["n"], high["mean_change"]) == ("<5", None)

    # the dictionary names every column of every table
    dictionary = sheet(workbook, "dictionary")
    assert {(r["table"], r["column"]) for r in dictionary} == {
        (table, column) for table, columns in DICTIONARY.items() for column, _ in columns
    }
    # no names, no Telegram ids anywhere
    raw = document.files["document"]
    for person in [*people, ilkka]:
        assert person["first_name"].encode() not in raw
    workbook.close()

    # the outcome chart comes as a picture
    chart = await emulator.wait_for("sendPhoto", chat_id=kaisa["id"], after=mark)
    assert chart.files["photo"].startswith(b"\x89PNG")

    # the same in CSV files
    mark = emulator.mark()
    await emulator.send_text(kaisa, "/export csv")
    zipped = await emulator.wait_for("sendDocument", chat_id=kaisa["id"], after=mark)
    archive = zipfile.ZipFile(io.BytesIO(zipped.files["document"]))
    assert sorted(archive.namelist()) == [
        "dictionary.csv",
        "events.csv",
        "outcomes.csv",
        "outcomes.png",
        "surveys.csv",
        "weekly.csv",
    ]
    assert [int(r["event_id"]) for r in csv_table(archive, "events")] == [e.id for e in in_group]
    assert [r["messages"] for r in csv_table(archive, "weekly")] == [
        str(r["messages"]) for r in weekly
    ]

    # others: an instructor cannot export; Vantaa's coordinator gets none of Espoo's data
    refused = await bot.say(ilkka, "/export")
    assert (refused.text or "").startswith("Vain koordinaattori")
    mark = emulator.mark()
    await emulator.send_text(vilma, "/export csv")
    theirs = await emulator.wait_for("sendDocument", chat_id=vilma["id"], after=mark)
    archive = zipfile.ZipFile(io.BytesIO(theirs.files["document"]))
    assert csv_table(archive, "events") == [] and csv_table(archive, "surveys") == []

    # the command line writes the same workbook
    out = tmp_path / "export.xlsx"
    status, stdout, stderr = await run_kannustin(
        bot.settings.database, "export", "--out", str(out), "--org", "Espoo", "--from", "2026-11-01"
    )
    assert status == 0, stderr
    assert stdout.startswith(f"export: {out}: {len(events)} events")
    written = openpyxl.load_workbook(out, read_only=True)
    assert len(sheet(written, "events")) == len(events)
    assert len(sheet(written, "surveys")) == len(surveys)
    written.close()
    assert out.with_suffix(".png").read_bytes().startswith(b"\x89PNG")
    # --from after the "before" round was sent (1 December) leaves out its answers
    later = tmp_path / "later.xlsx"
    status, _, stderr = await run_kannustin(
        bot.settings.database, "export", "--out", str(later), "--from", "2026-12-05"
    )
    assert status == 0, stderr
    written = openpyxl.load_workbook(later, read_only=True)
    assert Counter(row["round"] for row in sheet(written, "surveys")) == {"after": 5}
    written.close()
    clock.set(clock.now() + dt.timedelta(minutes=1))
