"""The researchers' extract end to end: a season played through the real bot in two groups
(posts, check-ins, a progress shared to the group with its "🎉 <name> ..." post, surveys
before and after), then ``kannustin export --study NAME`` as its own process and the
service itself. What a researcher opens holds person-level rows under the study's own
pseudonyms (the same in two extracts of one study, different in another study, never the
bot's own), no id, name or time finer than a day, and leaves out the group with too few
consenting participants, saying so; every extract is in the audit log.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import re
import stat
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl

from bot.clock import FixedClock
from bot.services.exports import DICTIONARY as EXPORTED
from bot.services.research import DICTIONARY, Request
from emulator import ApiCall
from storage.groups import Group
from storage.states import AuditAction
from storage.timestamps import to_db
from testing.databases import run_kannustin
from testing.harness import RunningBot
from tests.test_e2e_checkins import fire_at, helsinki, participants, private, tap
from tests.test_e2e_export import answer_survey

SHEETS = ["disclosure", "groups", "events", "checkins", "surveys", "dictionary"]
TIME_OF_DAY = re.compile(r"\d{1,2}[:.]\d{2}")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ITEMS = ["health", "quality_of_life", "coping", "loneliness", "health_confidence"]
# the columns that hold numbers: weeks, weekdays, counts and answers (and the disclosure's)
FIGURES = {"week", "weekday", "count", "persons", "confidence", "ratings", "shared"}
FIGURES |= {"answered", "skipped", "value", *ITEMS}


@dataclass
class Season:
    ilkka: dict[str, Any]
    big: Group  # six consent, a seventh does not
    small: Group  # three consent: fewer than the small-number threshold (5)
    big_people: list[dict[str, Any]]
    small_people: list[dict[str, Any]]
    celebration: ApiCall  # "🎉 Osallistuja0 teki tämän viikon suunnitelmansa! ..."
    shared_at: dt.datetime  # when the bot posted it
    messages: Counter[int]  # group messages each consenting participant of the big group sent


async def play_season(bot: RunningBot, clock: FixedClock) -> Season:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="fi")
    big_chat = await bot.registered_group(ilkka, -100, "Kävelyryhmä")
    small_chat = await bot.registered_group(ilkka, -200, "Pieni ryhmä")
    big_people = [emulator.user(5000 + n, f"Osallistuja{n}", language_code="fi") for n in range(7)]
    small_people = [
        emulator.user(5100 + n, f"Pienryhmäläinen{n}", language_code="fi") for n in range(4)
    ]
    await participants(bot, big_chat, big_people, consenting=6)
    await participants(bot, small_chat, small_people, consenting=3)
    for chat in (big_chat, small_chat):
        await bot.set_meetings(ilkka, "/meetings ti 14:00 1.12. x2", chat=chat)

    # the first meeting: everyone who consents answers the "before" survey
    mark = await fire_at(bot, clock, helsinki("2026-12-01", "14:00"))
    await everyone(bot, [*big_people[:6], *small_people[:3]], mark, "Lyhyt kysely", "3 5 5 3 5")
    # the week: posts in both groups, by participants (consenting or not) and the instructor
    messages: Counter[int] = Counter()
    for n, person in enumerate(big_people):
        for _ in range(1 + n % 3):
            await emulator.send_text(person, f"Hei {n}", chat=big_chat)
            messages[person["id"]] += 1
    for person in small_people:
        await emulator.send_text(person, "Moi", chat=small_chat)
    await emulator.send_text(ilkka, "Ohjaajan viesti", chat=big_chat)
    await bot.handled_everything()

    # the week's plan: invited two hours after the meeting, rated 8
    mark = await fire_at(bot, clock, helsinki("2026-12-01", "16:00"))
    await everyone(bot, [*big_people[:6], *small_people[:3]], mark, "Tämän viikon pieni", "8")
    # Friday noon: the first of the big group did it and tells the group
    mark = await fire_at(bot, clock, helsinki("2026-12-04", "12:00"))
    asked = await private(bot, big_people[0], mark, "Miten viikon suunnitelmasi etenee?")
    done = await tap(bot, big_people[0], asked, "✅ Tehty")
    clock.set(helsinki("2026-12-04", "12:17"))
    mark = emulator.mark()
    await tap(bot, big_people[0], done, "🎉 Kerro ryhmälle")
    celebration = await emulator.wait_for("sendMessage", chat_id=big_chat.id, after=mark)
    assert (celebration.text or "").startswith("🎉 Osallistuja0 teki tämän viikon suunnitelmansa!")
    shared_at = clock.now()

    # the last meeting: the "after" survey
    mark = await fire_at(bot, clock, helsinki("2026-12-08", "16:00"))
    await everyone(bot, big_people[:6], mark, "Lyhyt kysely", "4 7 6 2 7")
    await bot.handled_everything()
    await bot.services.events.flush()
    big = await bot.services.groups.by_chat(big_chat.id)
    small = await bot.services.groups.by_chat(small_chat.id)
    assert big is not None and small is not None
    return Season(ilkka, big, small, big_people, small_people, celebration, shared_at, messages)


async def everyone(
    bot: RunningBot, people: list[dict[str, Any]], mark: int, start: str, answers: str
) -> None:
    """Each person answers the private question that begins with ``start`` by tapping
    ``answers`` one after another; people side by side (each chat has its own pace)."""

    async def answer(person: dict[str, Any]) -> None:
        first = await private(bot, person, mark, start)
        await answer_survey(bot, person, first, answers.split())

    await asyncio.gather(*(answer(person) for person in people))


def workbook_tables(data: bytes) -> dict[str, list[dict[str, Any]]]:
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    tables = {}
    for name in workbook.sheetnames:
        rows = list(workbook[name].iter_rows(values_only=True))
        tables[name] = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    workbook.close()
    return tables


def zip_tables(data: bytes) -> dict[str, list[dict[str, str]]]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {
        name.removesuffix(".csv"): list(
            csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig")))
        )
        for name in archive.namelist()
        if name.endswith(".csv")  # not the outcome chart beside them
    }


def unpacked(data: bytes) -> bytes:
    """Every member of a workbook or ZIP, uncompressed: what could be searched for (but
    the outcome chart, a picture of the outcome table's own figures)."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    return b"".join(archive.read(n) for n in archive.namelist() if not n.endswith(".png"))


def cells(tables: dict[str, list[dict[str, Any]]]) -> list[tuple[str, str, Any]]:
    """(table, column, value) of every cell but the disclosure table's own dates."""
    found = []
    for table, rows in tables.items():
        for row in rows:
            if table == "disclosure" and row["item"] in ("extracted on", "from", "to"):
                continue
            found += [(table, column, value) for column, value in row.items()]
    return found


def persons(tables: dict[str, list[dict[str, Any]]]) -> set[str]:
    return {
        row["person"]
        for name in ("events", "checkins", "surveys")
        for row in tables[name]
        if row["person"]
    }


def disclosed(tables: dict[str, list[dict[str, Any]]], item: str) -> list[Any]:
    return [row["value"] for row in tables["disclosure"] if row["item"] == item]


async def test_a_study_extract_is_person_level_under_the_study_pseudonyms(
    bot: RunningBot, clock: FixedClock, tmp_path: Path
) -> None:
    season = await play_season(bot, clock)
    database = bot.settings.database
    pseudonyms = bot.services.pseudonyms
    first, again, other = tmp_path / "first.xlsx", tmp_path / "again.zip", tmp_path / "other.xlsx"

    status, stdout, stderr = await run_kannustin(
        database, "export", "--study", "Kavely-2027", "--out", str(first)
    )
    assert status == 0, stderr
    assert stdout.startswith(f"study kavely-2027: {first}: 6 persons in 1 group; ")
    assert f"left out: group {season.small.id} 'Pieni ryhmä' (fewer than 5 consenting" in stdout
    assert "the first extract of this study" in stdout
    # the same study again (as CSV files, one organisation by its number), and another study
    status, stdout, stderr = await run_kannustin(
        database, "export", "--study", "kavely-2027", "--org", "1", "--out", str(again)
    )
    assert status == 0, stderr
    assert "extracted 1 time before: the same study pseudonyms as then" in stdout
    status, _, stderr = await run_kannustin(
        database, "export", "--study", "other-study", "--org", "Espoo", "--out", str(other)
    )
    assert status == 0, stderr
    for path in (first, again, other):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path

    tables = workbook_tables(first.read_bytes())
    assert list(tables) == SHEETS
    for name in ("disclosure", "groups", "events", "checkins", "dictionary"):
        assert list(tables[name][0]) == [column for column, _ in DICTIONARY[name]], name
    assert list(tables["surveys"][0]) == [
        *(column for column, _ in DICTIONARY["surveys"][:-1]),
        *ITEMS,
    ]

    # people appear under the study's keys, derived from the bot's pseudonyms
    study = pseudonyms.study("kavely-2027")
    internal = {p["id"]: pseudonyms.of(p["id"]) for p in season.big_people + season.small_people}
    expected = {study.person(internal[p["id"]]) for p in season.big_people[:6]}
    assert persons(tables) == expected
    assert all(re.fullmatch(r"[A-Z2-7]{16}", person) for person in expected)
    big_key, small_key = study.group(season.big.id), study.group(season.small.id)
    assert tables["groups"] == [{"group": big_key, "organisation": "Espoo", "persons": 6}]

    # the same study as CSV files: the same pseudonyms and group; another study: none shared
    csv_tables = zip_tables(again.read_bytes())
    assert sorted(csv_tables) == sorted(SHEETS)
    assert persons(csv_tables) == expected
    assert {row["group"] for row in csv_tables["events"]} == {big_key}
    assert len(csv_tables["events"]) == len(tables["events"])
    others = workbook_tables(other.read_bytes())
    assert len(persons(others)) == 6
    assert not persons(others) & expected
    assert {row["group"] for row in others["events"]} == {
        pseudonyms.study("other-study").group(season.big.id)
    }
    assert not persons(others) & set(internal.values())

    # events: one row per person, day and kind with a count; the seventh (no consent), the
    # instructor and the small group are not there
    events = tables["events"]
    posted = Counter[str]()
    for row in events:
        if row["kind"] == "message":
            posted[row["person"]] += row["count"]
    assert posted == {
        study.person(internal[person_id]): n
        for person_id, n in season.messages.items()
        if person_id != season.big_people[6]["id"]
    }
    message_row = next(row for row in events if row["kind"] == "message")
    assert (message_row["week"], message_row["weekday"], message_row["attributes"]) == (
        1,
        2,
        '{"type":"text"}',
    )
    shared = [row for row in events if row["kind"] == "progress-shared"]
    aino = study.person(internal[season.big_people[0]["id"]])
    assert [(r["person"], r["week"], r["weekday"], r["count"]) for r in shared] == [(aino, 1, 5, 1)]
    # rows are in the order of the study's keys, never of time
    order = [(r["group"], r["person"] or "", r["week"], r["weekday"], r["kind"]) for r in events]
    assert order == sorted(order)

    # check-ins: the figures of each week's plan; surveys: one row per person and round
    checkins = tables["checkins"]
    assert len(checkins) >= 6
    first_week = [row for row in checkins if row["week"] == 1]
    assert {(row["confidence"], row["ratings"]) for row in first_week} == {(8, 1)}
    assert next(row for row in first_week if row["person"] == aino)["shared"] == 1
    assert next(row for row in first_week if row["person"] == aino)["progress_mid"] == "done"
    surveys = tables["surveys"]
    assert Counter(row["round"] for row in surveys) == {"before": 6, "after": 6}
    assert {(row["health"], row["coping"]) for row in surveys if row["round"] == "after"} == {
        (4, 6)
    }

    # the disclosure table: figures, the small group left out by its key, the rest said
    assert disclosed(tables, "study") == ["kavely-2027"]
    assert disclosed(tables, "persons") == [6]
    assert disclosed(tables, "groups") == [1]
    assert disclosed(tables, "smallest group") == [6]
    assert disclosed(tables, "small-number threshold") == [5]
    left_out = disclosed(tables, "left out")
    assert f"group {small_key}: fewer than 5 consenting participants" in left_out
    assert any("do not consent" in text for text in left_out)
    assert any("weekday" in text for text in disclosed(tables, "quasi-identifier"))

    # nothing to join by: no id, name or time of day, in any table or anywhere in the files
    everything = cells(tables)
    numbers = {value for _, _, value in everything if isinstance(value, int)}
    assert max(numbers) < 100  # weeks, weekdays, counts, ratings, answers: no ids
    for _, _, value in everything:
        if isinstance(value, str):
            assert not TIME_OF_DAY.search(value), value
            assert not DATE.search(value), value
    for path in (first, again, other):
        raw = unpacked(path.read_bytes())
        for person in [*season.big_people, *season.small_people, season.ilkka]:
            assert person["first_name"].encode() not in raw
            assert str(person["id"]).encode() not in raw
            assert internal.get(person["id"], "no pseudonym").encode() not in raw
        for name in (b"K\xc3\xa4vely", b"Pieni", b"-100", b"-200"):
            assert name not in raw
        assert to_db(season.shared_at)[:16].encode() not in raw

    # the audit log: each extract with its study's name
    async with bot.services.database.transaction() as tx:
        audit = await tx.audit.latest(10, action=AuditAction.STUDY_EXTRACT)
    assert [(entry.target, entry.actor_id) for entry in audit] == [
        ("other-study", None),
        ("kavely-2027", None),
        ("kavely-2027", None),
    ]
    status, stdout, _ = await run_kannustin(
        database, "audit", "--action", "study-extract", "--limit", "1"
    )
    assert status == 0 and "study-extract" in stdout and "other-study" in stdout


async def test_a_played_season_cannot_be_joined_to_the_chat_by_time_or_id(
    bot: RunningBot, clock: FixedClock
) -> None:
    """Done when (issue 17): the "🎉 <name> did this week's plan!" post in the group came at a
    moment the log knows to the microsecond; two studies' extracts hold no time finer than
    a day, no id, and pseudonyms of their own; the coordinators' export of the same season
    holds no pseudonym, name, id or time of day at all."""
    season = await play_season(bot, clock)
    clock.set(helsinki("2027-01-15", "09:00"))
    extracts = {}
    for study in ("kavely-2027", "yksinaisyys-2027"):
        buffer = io.BytesIO()
        await bot.services.research.extract(buffer, Request(study))
        extracts[study] = buffer.getvalue()

    # what the chat knows: when the post came, and every id it shows
    celebration = season.celebration
    moment = season.shared_at
    local = moment + dt.timedelta(hours=2)
    times = {
        to_db(moment),
        moment.isoformat(),
        moment.strftime("%H:%M"),
        local.strftime("%H:%M"),
        local.strftime("%H.%M"),
        moment.date().isoformat(),
        local.strftime("%d.%m."),
        str(celebration.result["date"]),
    }
    ids = {season.big.chat_id, *(p["id"] for p in season.big_people + season.small_people)}
    async with bot.services.database.transaction() as tx:
        logged = await tx.events.latest(100_000)
    shared = next(event for event in logged if event.kind == "progress-shared")
    assert abs(shared.at - moment) < dt.timedelta(seconds=1)  # the log itself could be joined

    found: dict[str, set[str]] = {}
    for study, data in extracts.items():
        tables = workbook_tables(data)
        raw = unpacked(data).decode("utf-8")
        for text in times:
            assert text not in raw, (study, text)
        for _, _, value in cells(tables):
            assert value not in ids, (study, value)
            if isinstance(value, str):
                assert not TIME_OF_DAY.search(value) and not DATE.search(value), value
        # the only dates are the extract's own
        assert disclosed(tables, "extracted on") == ["2027-01-15"]
        # no column beyond the dictionary's: no event id, no time, no Telegram id
        columns = {column for rows in tables.values() for row in rows[:1] for column in row}
        assert columns <= {c for cs in DICTIONARY.values() for c, _ in cs} | set(ITEMS)
        # the share is there, as a week and a weekday
        assert [
            (row["week"], row["weekday"])
            for row in tables["events"]
            if row["kind"] == "progress-shared"
        ] == [(1, 5)]
        found[study] = persons(tables)
        internal = {bot.services.pseudonyms.of(p["id"]) for p in season.big_people}
        assert not found[study] & internal
    # two studies cannot be joined to each other by their pseudonyms either
    assert len(found["kavely-2027"]) == len(found["yksinaisyys-2027"]) == 6
    assert not found["kavely-2027"] & found["yksinaisyys-2027"]

    # the coordinators' export of the same season: aggregates only, no pseudonym of any
    # kind, no name, no id the chat shows, no time of day, no date but the weeks' first days
    groups = [season.big, season.small]
    names = [p["first_name"] for p in season.big_people + season.small_people]
    keys = internal | found["kavely-2027"] | found["yksinaisyys-2027"]
    for kind in ("xlsx", "zip"):
        buffer = io.BytesIO()
        result = await bot.services.exports.write(buffer, groups, kind=kind)
        data = buffer.getvalue()
        tables = workbook_tables(data) if kind == "xlsx" else zip_tables(data)
        raw = unpacked(data).decode("utf-8")
        assert result.weeks > 0 and tables["weekly"], kind
        for text in (*times, *names, *keys):
            assert text not in raw, (kind, text)
        columns = {column for rows in tables.values() for row in rows[:1] for column in row}
        assert columns <= {c for cs in EXPORTED.values() for c, _ in cs}, kind
        assert not columns & {"person", "pseudonym", "event_id", "at", "time"}, kind
        for table, column, value in cells(tables):
            assert str(value) not in {str(i) for i in ids}, (kind, table, column, value)
            if isinstance(value, str | dt.datetime):
                assert not TIME_OF_DAY.search(str(value).replace(" 00:00:00", "")), value
        # the weeks start on the first meeting's weekday (Tuesday 1.12.), never the share's
        days = {dt.date.fromisoformat(str(row["week_starts"])[:10]) for row in tables["weekly"]}
        assert dt.date(2026, 12, 1) in days and {d.weekday() for d in days} == {1}, kind
