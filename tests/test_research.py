"""The researchers' extract at the service and file level: study pseudonyms and how they
are made, who is in an extract (consent now, not staff, groups big enough), days in the
group's own time zone, attributes only the bot's own, cells that no spreadsheet runs, and
files only their owner can read."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import stat
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from bot.clock import FixedClock
from bot.errors import DomainError
from bot.formats.tables import CsvZipWriter, XlsxWriter
from bot.pseudonyms import Pseudonyms
from bot.runtime.wiring import Services
from bot.services import research
from bot.services.research import LocalDays, Request, clean_study
from storage import Database
from storage.groups import Group
from storage.organisations import Organisation
from storage.states import Language, StaffRole
from testing.databases import database_for, run_kannustin
from testing.harness import services_without_telegram
from tests.test_e2e_research import workbook_tables

KEY = b"0123456789abcdef0123456789abcdef"
FORMULA = '=HYPERLINK("http://x","y")'


def test_study_pseudonyms_are_the_study_keys_hmacs_in_base32() -> None:
    pseudonyms = Pseudonyms(KEY)
    internal = pseudonyms.of(5001)
    study_key = hmac.new(KEY, b"study:kavely-2027", hashlib.sha256).digest()
    made = hmac.new(study_key, f"person:{internal}".encode(), hashlib.sha256).digest()

    study = pseudonyms.study("kavely-2027")
    assert study.person(internal) == base64.b32encode(made).decode()[:16]
    assert len(study.group(7)) == 8
    # stable within a study, different in another, unrelated to the bot's own pseudonym
    assert Pseudonyms(KEY).study("kavely-2027").person(internal) == study.person(internal)
    other = pseudonyms.study("kavely-2028")
    assert other.person(internal) != study.person(internal)
    assert other.group(7) != study.group(7)
    assert study.person(internal) not in internal and internal not in study.person(internal)
    # another deployment (another key) gives other pseudonyms for the same study name
    assert Pseudonyms(KEY[::-1]).study("kavely-2027").person(internal) != study.person(internal)
    # many people, no collisions, never a running number
    people = {study.person(pseudonyms.of(n)) for n in range(5000)}
    assert len(people) == 5000
    assert not any(person.isdigit() for person in people)


def test_a_study_name_is_short_plain_and_case_blind() -> None:
    assert clean_study("  Kavely-2027 ") == "kavely-2027"
    assert clean_study("a.b_c") == "a.b_c"
    for bad in ("", "-x", "with space", "ä", "x" * 65, "=1+1"):
        with pytest.raises(DomainError):
            clean_study(bad)


def test_no_cell_is_run_as_a_formula_and_numbers_stay_numbers(tmp_path: Path) -> None:
    names = [FORMULA, "+1", "-2", "@a", "\tx", "\rx", "Kävelyryhmä", "a-b"]
    rows = [(name, -0.5, -3) for name in names]
    for writer in (XlsxWriter(str(tmp_path / "t.xlsx")), CsvZipWriter(str(tmp_path / "t.zip"))):
        writer.start("weekly", ["group", "mean_change", "change"])
        writer.rows(rows)
        writer.close()

    text = zipfile.ZipFile(tmp_path / "t.zip").read("weekly.csv").decode("utf-8-sig")
    read = list(csv.reader(io.StringIO(text, newline="")))
    assert read[1:] == [
        ["'" + FORMULA, "-0.5", "-3"],
        ["'+1", "-0.5", "-3"],
        ["'-2", "-0.5", "-3"],
        ["'@a", "-0.5", "-3"],
        ["'\tx", "-0.5", "-3"],
        ["'\rx", "-0.5", "-3"],
        ["Kävelyryhmä", "-0.5", "-3"],
        ["a-b", "-0.5", "-3"],
    ]

    workbook = openpyxl.load_workbook(tmp_path / "t.xlsx")  # not read-only: formulas show
    sheet = workbook["weekly"]
    for row, name in enumerate(names, start=2):
        cell = sheet.cell(row, 1)
        assert (cell.value, cell.data_type) == (name, "s")
        assert (sheet.cell(row, 2).value, sheet.cell(row, 2).data_type) == (-0.5, "n")
    sheet_xml = zipfile.ZipFile(tmp_path / "t.xlsx").read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml


def test_a_text_xml_cannot_hold_is_dropped_and_the_workbook_opens(tmp_path: Path) -> None:
    writer = XlsxWriter(str(tmp_path / "t.xlsx"))
    writer.start("groups", ["group"])
    writer.rows([("Ryhmä\x0b\x01 1",)])
    writer.close()
    workbook = openpyxl.load_workbook(tmp_path / "t.xlsx", read_only=True)
    assert [row for row in workbook["groups"].iter_rows(values_only=True)] == [
        ("group",),
        ("Ryhmä 1",),
    ]
    workbook.close()


async def season(database: Database, clock: FixedClock, *, consenting: int) -> Services:
    """An organisation named like a formula with one group: six participants, of whom
    ``consenting`` consent; the instructor also writes."""
    services = services_without_telegram(database, clock, admins="1")
    for person_id in (1, 3000):
        await services.people.record_contact(person_id, "fi")
    organisation = await services.organisations.create(1, FORMULA)
    made = await services.invitations.create(
        1, StaffRole.INSTRUCTOR, organisation_id=organisation.id
    )
    instructor = await services.people.get(3000)
    assert instructor is not None
    await services.invitations.accept(instructor, made.token, "Ilkka")
    added = await services.groups.bot_added(
        3000, -100, "+1 Kävelyryhmä", language=Language.FI, bot_is_admin=True
    )
    assert added.group is not None
    for person_id in range(5001, 5007):
        await services.people.record_contact(person_id, "fi")
        await services.groups.member_seen(-100, person_id, "fi", f"Osallistuja{person_id}")
    for person_id in range(5001, 5001 + consenting):
        await services.consent.give(person_id, organisation.id)
    return services


async def log_events(
    services: Services, group: Group, rows: list[tuple[str, int | None, str, Any]]
) -> None:
    """(UTC time, person or None, kind, attributes) rows into the event log."""
    pseudonyms = services.pseudonyms
    async with services.database.transaction() as tx:
        await tx.events.append(
            [
                (
                    at,
                    group.id,
                    None if person is None else pseudonyms.of(person),
                    kind,
                    None if attributes is None else json.dumps(attributes),
                )
                for at, person, kind, attributes in rows
            ]
        )


async def test_days_are_local_attributes_the_bots_own_and_people_only_with_consent(
    database: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = await season(database, clock, consenting=6)
    group = await services.groups.by_chat(-100)
    assert group is not None and group.programme_start.isoformat() == "2026-11-28"
    await services.consent.withdraw(5006, group.organisation_id or 0)  # the sixth withdraws
    await log_events(
        services,
        group,
        [
            # Monday 23:30 UTC is Tuesday 01:30 in Helsinki: week 1, weekday 2
            ("2026-11-30T23:30:00.000000+00:00", 5001, "message", {"type": "text"}),
            ("2026-11-30T23:40:00.000000+00:00", 5001, "message", {"type": "text"}),
            # the day before the programme: week 0
            ("2026-11-27T10:00:00.000000+00:00", 5002, "joined", None),
            # attributes: the bot's own kept, a forged button's text and a broadcast's number not
            ("2026-12-01T10:00:00.000000+00:00", 5002, "button", {"button": "aino virtanen"}),
            ("2026-12-01T10:00:00.000000+00:00", 5003, "button", {"button": "ck"}),
            ("2026-12-01T10:00:00.000000+00:00", None, "broadcast-delivered", {"broadcast": 77}),
            ("2026-12-01T10:00:00.000000+00:00", 5004, "check-in", {"confidence": 8, "x": "y"}),
            # the instructor, someone who withdrew, and a kind the bot does not log: never
            ("2026-12-01T10:00:00.000000+00:00", 3000, "message", {"type": "text"}),
            ("2026-12-01T10:00:00.000000+00:00", 5006, "message", {"type": "text"}),
            ("2026-12-01T10:00:00.000000+00:00", 5005, "aino-was-here", None),
        ],
    )
    buffer = io.BytesIO()
    extract = await services.research.extract(buffer, Request("s1"))
    assert (extract.persons, extract.groups, extract.left_out) == (5, 1, [])
    tables = workbook_tables(buffer.getvalue())

    study = services.pseudonyms.study("s1")
    person = {n: study.person(services.pseudonyms.of(n)) for n in (5001, 5002, 5003, 5004)}
    assert Counter(
        (row["person"], row["week"], row["weekday"], row["kind"], row["attributes"], row["count"])
        for row in tables["events"]
    ) == Counter(
        [
            (person[5001], 1, 2, "message", '{"type":"text"}', 2),
            (person[5002], 0, 5, "joined", None, 1),
            (person[5002], 1, 2, "button", None, 1),
            (person[5003], 1, 2, "button", '{"button":"ck"}', 1),
            (None, 1, 2, "broadcast-delivered", None, 1),
            (person[5004], 1, 2, "check-in", '{"confidence":8}', 1),
        ]
    )
    assert extract.events == 7 and extract.event_rows == 6
    # read two events at a time (six share one moment), the extract is the same
    monkeypatch.setattr(research, "PAGE", 2)
    paged = io.BytesIO()
    await services.research.extract(paged, Request("s1"))
    assert workbook_tables(paged.getvalue())["events"] == tables["events"]
    # the organisation's name, typed by an admin, is text: no formula in the workbook
    assert tables["groups"][0]["organisation"] == FORMULA

    # as CSV files the same name cannot run either
    buffer = io.BytesIO()
    await services.research.extract(buffer, Request("s1"), kind="zip")
    text = zipfile.ZipFile(buffer).read("groups.csv").decode("utf-8-sig")
    assert next(csv.DictReader(io.StringIO(text)))["organisation"] == "'" + FORMULA


async def test_a_group_with_too_few_consenting_is_left_out_and_said_so(
    database: Database, clock: FixedClock
) -> None:
    services = await season(database, clock, consenting=4)  # the threshold is 5
    group = await services.groups.by_chat(-100)
    assert group is not None
    await log_events(
        services, group, [("2026-12-01T10:00:00.000000+00:00", 5001, "message", {"type": "text"})]
    )
    buffer = io.BytesIO()
    extract = await services.research.extract(buffer, Request("s1"))
    assert (extract.persons, extract.groups, extract.left_out) == (0, 0, [group])
    tables = workbook_tables(buffer.getvalue())
    assert tables["events"] == tables["checkins"] == tables["surveys"] == tables["groups"] == []
    key = services.pseudonyms.study("s1").group(group.id)
    rows = [(row["item"], row["value"]) for row in tables["disclosure"]]
    assert ("left out", f"group {key}: fewer than 5 consenting participants") in rows
    assert ("groups", 0) in rows and ("smallest group", None) in rows

    # with a threshold of 4 the same group is in
    lower = services_without_telegram(database, clock, admins="1", small_numbers=4)
    buffer = io.BytesIO()
    extract = await lower.research.extract(buffer, Request("s1"))
    assert (extract.persons, extract.groups) == (4, 1)


async def test_an_organisation_is_found_by_number_or_name(
    database: Database, clock: FixedClock
) -> None:
    services = await season(database, clock, consenting=5)
    second = await services.organisations.create(None, "2027")
    organisations = services.organisations
    first: Organisation = await organisations.find("1")
    assert first.name == FORMULA
    assert (await organisations.find(f"  {FORMULA} ")).id == 1
    assert (await organisations.find(str(second.id))).name == "2027"
    for unknown in ("99", "Vantaa", "99999999999999999999"):
        with pytest.raises(DomainError) as refused:
            await organisations.find(unknown)
        assert refused.value.key == "org.not-found"
    # one organisation's extract holds only its groups
    buffer = io.BytesIO()
    extract = await services.research.extract(buffer, Request("s1", second))
    assert (extract.groups, extract.left_out) == (0, [])


async def test_files_from_kannustin_export_are_for_their_owner_only(tmp_path: Path) -> None:
    database = database_for(tmp_path / "kannustin.db")
    existing = tmp_path / "old.xlsx"
    existing.write_bytes(b"old")
    existing.chmod(0o644)
    for arguments in (
        ["export", "--out", str(tmp_path / "coordinators.zip")],
        ["export", "--out", str(existing)],
        ["export", "--study", "s1", "--out", str(tmp_path / "study.xlsx")],
    ):
        status, _, stderr = await run_kannustin(database, *arguments)
        assert status == 0, stderr
    for name in ("coordinators.zip", "old.xlsx", "study.xlsx"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name

    # a bad study name or organisation: one line, exit 2, and no file
    for arguments, line in (
        (["--study", "no spaces"], "A study name is 1-64 characters"),
        (["--study", "s1", "--org", "7"], "There is no organisation numbered or called 7"),
        (["--org", "Vantaa"], "There is no organisation numbered or called Vantaa"),
    ):
        out = tmp_path / "refused.xlsx"
        status, _, stderr = await run_kannustin(database, "export", *arguments, "--out", str(out))
        assert status == 2 and line in stderr, stderr
        assert not out.exists()


def test_a_local_day_is_the_groups_even_around_midnight_and_offset_changes() -> None:
    days = LocalDays()
    helsinki, kolkata = ZoneInfo("Europe/Helsinki"), ZoneInfo("Asia/Kolkata")

    def day(zone: ZoneInfo, at: str) -> str:
        return dt.date.fromordinal(days.of(zone, f"{at}.000000+00:00")).isoformat()

    # Helsinki is UTC+2 in December: 21:59 UTC is the same day, 22:00 the next
    assert day(helsinki, "2026-11-30T21:59:59") == "2026-11-30"
    assert day(helsinki, "2026-11-30T22:00:00") == "2026-12-01"
    # Kolkata is UTC+5:30: one UTC hour holds two local days
    assert day(kolkata, "2026-11-30T18:20:00") == "2026-11-30"
    assert day(kolkata, "2026-11-30T18:40:00") == "2026-12-01"
    assert day(kolkata, "2026-11-30T18:10:00") == "2026-11-30"
    # summer time ends in Helsinki at 01:00 UTC on 25 October 2026 (04:00 -> 03:00)
    assert day(helsinki, "2026-10-24T20:59:00") == "2026-10-24"
    assert day(helsinki, "2026-10-24T21:00:00") == "2026-10-25"
    assert day(helsinki, "2026-10-25T01:30:00") == "2026-10-25"
    assert day(helsinki, "2026-10-25T21:59:00") == "2026-10-25"
    assert day(helsinki, "2026-10-25T22:00:00") == "2026-10-26"
