"""The schema the migrations build: the words its CHECK constraints allow are the words of
``storage/states.py``, the row dataclasses carry those types, and the PostgreSQL tree builds
what the SQLite tree builds.

Each test migrates fresh databases with the real migrations and reads the result back
(``testing/schema.py``), so a constraint that a later migration redefined is checked as it
finally is. The PostgreSQL halves run when ``KANNUSTIN_TEST_POSTGRES`` is set.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import replace
from enum import StrEnum
from pathlib import Path

import pytest

from bot.clock import FixedClock
from bot.runtime.events import ATTRIBUTES
from storage import Database, apply_migrations, states
from storage.broadcasts import Broadcast, Draft
from storage.checkins import CheckIn
from storage.events import Event
from storage.groups import Group
from storage.invitations import Invitation
from storage.meetings import Meeting, ScheduleItem
from storage.organisations import Organisation, StaffMember
from storage.outbox import OutboxRow
from storage.people import Person
from storage.privacy import AuditEntry
from storage.seasons import Season
from storage.states import (
    AfterRhythm,
    AuditAction,
    AuditChannel,
    BroadcastStatus,
    ButtonNamespace,
    ContributionStatus,
    DraftStep,
    EventErasure,
    EventKind,
    GroupKind,
    GroupStatus,
    Language,
    MeetingStatus,
    MessageType,
    OutboxStatus,
    ParticipantStatus,
    PollGroupStatus,
    PollStatus,
    PostKind,
    PostStatus,
    Progress,
    Purpose,
    Round,
    ScheduleKind,
    ScheduleStatus,
    SeasonStatus,
    StaffRole,
    TipUse,
)
from storage.surveys import SurveyRound
from storage.tips import Contribution
from testing.databases import database_for, on_postgres
from testing.schema import Column, Schema, normalized, read_schema

# Every column whose words are fixed by a CHECK (... IN (...)), and its enum.
CHECKED: dict[tuple[str, str], type[StrEnum]] = {
    ("people", "language"): Language,
    ("groups", "language"): Language,
    ("contributions", "language"): Language,
    ("staff", "role"): StaffRole,
    ("invitations", "role"): StaffRole,
    ("groups", "status"): GroupStatus,
    ("groups", "kind"): GroupKind,
    ("group_participants", "status"): ParticipantStatus,
    ("seasons", "status"): SeasonStatus,
    ("seasons", "after_rhythm"): AfterRhythm,
    ("broadcasts", "status"): BroadcastStatus,
    ("outbox", "status"): OutboxStatus,
    ("drafts", "step"): DraftStep,
    ("contributions", "status"): ContributionStatus,
    ("posts", "status"): PostStatus,
    ("posts", "kind"): PostKind,
    ("polls", "status"): PollStatus,
    ("poll_groups", "status"): PollGroupStatus,
    ("tip_uses", "kind"): TipUse,
    ("meetings", "status"): MeetingStatus,
    ("schedule_items", "kind"): ScheduleKind,
    ("schedule_items", "status"): ScheduleStatus,
    ("checkins", "progress_mid"): Progress,
    ("checkins", "progress_end"): Progress,
    ("survey_rounds", "round"): Round,
    ("organisations", "erase_events"): EventErasure,
    ("audit_log", "channel"): AuditChannel,
    ("staff_requests", "role"): StaffRole,
    ("meeting_changes", "status"): MeetingStatus,
}
# Columns with an enum but no CHECK: only code writes them, always from the enum.
UNCHECKED: dict[tuple[str, str], type[StrEnum]] = {
    ("outbox", "purpose"): Purpose,
    ("events", "kind"): EventKind,
    ("audit_log", "action"): AuditAction,
}
# Words kept inside ``events.attributes`` (JSON, no CHECK): ``EventLog.record`` drops any
# other value of these attributes (``bot/runtime/events.py``: ATTRIBUTES).
ATTRIBUTE_WORDS: dict[str, type[StrEnum]] = {
    "type": MessageType,
    "button": ButtonNamespace,
    "answer": Progress,
    "round": Round,
}
# The dataclass each table's rows are read into (tables read only as plain rows are absent).
ROWS: dict[str, type] = {
    "people": Person,
    "groups": Group,
    "staff": StaffMember,
    "organisations": Organisation,
    "invitations": Invitation,
    "broadcasts": Broadcast,
    "drafts": Draft,
    "outbox": OutboxRow,
    "contributions": Contribution,
    "meetings": Meeting,
    "schedule_items": ScheduleItem,
    "checkins": CheckIn,
    "survey_rounds": SurveyRound,
    "seasons": Season,
    "events": Event,
    "audit_log": AuditEntry,
}
DIALECTS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not on_postgres(), reason="needs KANNUSTIN_TEST_POSTGRES"),
    ),
]


async def _built(dialect: str, tmp_path: Path, clock: FixedClock) -> Schema:
    """The schema a fresh database of ``dialect`` has after every migration."""
    path = tmp_path / f"{dialect}.db"
    db = Database(str(path) if dialect == "sqlite" else database_for(path))
    await db.connect()
    try:
        assert db.dialect == dialect
        await apply_migrations(db, clock.now())
        return await read_schema(db)
    finally:
        await db.close()


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_every_checked_list_of_words_is_its_enum(
    dialect: str, tmp_path: Path, clock: FixedClock
) -> None:
    allowed = (await _built(dialect, tmp_path, clock)).allowed_values()

    assert set(allowed) == set(CHECKED)  # no CHECK without its enum, no enum without its CHECK
    differences = {
        f"{table}.{column}": (sorted(allowed[(table, column)]), sorted(m.value for m in enum))
        for (table, column), enum in CHECKED.items()
        if allowed[(table, column)] != {member.value for member in enum}
    }
    assert differences == {}


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_the_columns_without_a_check_exist(
    dialect: str, tmp_path: Path, clock: FixedClock
) -> None:
    schema = await _built(dialect, tmp_path, clock)

    for table, column in UNCHECKED:
        assert column in [c.name for c in schema.tables[table].columns]


def test_every_enum_of_the_vocabulary_types_a_stored_column() -> None:
    declared = {
        value
        for value in vars(states).values()
        if isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum
    }

    assert declared == {*CHECKED.values(), *UNCHECKED.values(), *ATTRIBUTE_WORDS.values()}


def test_the_event_attributes_take_their_enums_words_and_no_others() -> None:
    for name, enum in ATTRIBUTE_WORDS.items():
        assert all(ATTRIBUTES[name](member.value) for member in enum), name
        assert not ATTRIBUTES[name]("not-one-of-them"), name


def test_the_row_dataclasses_carry_the_enums() -> None:
    wrong = {}
    for (table, column), enum in {**CHECKED, **UNCHECKED}.items():
        if table not in ROWS:
            continue
        hint = typing.get_type_hints(ROWS[table])[column]
        if hint is not enum and hint != enum | None:
            wrong[f"{table}.{column}"] = hint

    assert wrong == {}


async def test_stored_words_come_back_as_members(database: Database, clock: FixedClock) -> None:
    now = clock.now()
    async with database.transaction() as tx:
        await tx.people.record_seen(7, "fi", now)
        await tx.people.set_language(7, Language.SV)
        organisation = await tx.organisations.create("Espoo", now)
        group = await tx.groups.create(
            chat_id=-100,
            organisation_id=organisation.id,
            title="Walking group",
            language=Language.FI,
            timezone="Europe/Helsinki",
            status=GroupStatus.ACTIVE,
            bot_is_admin=True,
            registered_by=7,
            now=now,
        )
        person = await tx.people.get(7)
        stored = await tx.groups.get(group.id)
        organisation_row = await tx.organisations.get(organisation.id)

    assert person is not None and stored is not None and organisation_row is not None
    assert type(person.language) is Language and person.language is Language.SV
    assert type(stored.status) is GroupStatus and stored.status is GroupStatus.ACTIVE
    assert type(stored.language) is Language
    assert organisation_row.erase_events is EventErasure.UNLINK  # the column's default
    assert dataclasses.replace(stored, status=GroupStatus.INACTIVE).status == "inactive"


async def test_both_trees_build_the_same_schema(tmp_path: Path, clock: FixedClock) -> None:
    """Tables, columns (kind of value, nullability, default, numbered by the database),
    primary keys, unique constraints, foreign keys, CHECKs and indexes."""
    if not on_postgres():
        pytest.skip("needs KANNUSTIN_TEST_POSTGRES")
    lite = await _built("sqlite", tmp_path, clock)
    server = await _built("postgresql", tmp_path, clock)

    assert sorted(server.tables) == sorted(lite.tables)
    for name, table in lite.tables.items():
        other = server.tables[name]
        columns = [_comparable(name, column) for column in table.columns]
        assert [_comparable(name, column) for column in other.columns] == columns, name
        assert other.primary_key == table.primary_key, name
        assert other.unique == table.unique, name
        assert other.foreign_keys == table.foreign_keys, name
        assert other.checks == table.checks, name
    assert server.indexes == lite.indexes
    assert "outbox" in lite.tables and len(lite.tables) > 20


# An INTEGER PRIMARY KEY is SQLite's rowid, which SQLite numbers when a row comes without
# one. These rows always come with theirs (a calendar is its group's, a ledger row is its
# migration's number, send_pause and figure_inputs hold one row, id 1, a session's part
# is its backend's process id), so PostgreSQL rightly has no identity for them.
_NUMBERED_ONLY_IN_SQLITE = {
    ("calendars", "group_id"),
    ("figure_inputs", "id"),
    ("figure_inputs_parts", "session"),
    ("schema_migrations", "version"),
    ("send_pause", "id"),
}


# A 4-byte integer on PostgreSQL where it is meant: the ledger's migration numbers.
_INTEGER32 = {("schema_migrations", "version")}


def _comparable(table: str, column: Column) -> Column:
    if (table, column.name) in _NUMBERED_ONLY_IN_SQLITE:
        column = dataclasses.replace(column, numbered=False)
    if (table, column.name) in _INTEGER32 and column.type == "integer32":
        column = dataclasses.replace(column, type="integer")
    return column


@pytest.mark.parametrize(
    ("sqlite", "postgresql"),
    [
        (
            "language IN ('fi', 'sv', 'en')",
            "((language = ANY (ARRAY['fi'::text, 'sv'::text, 'en'::text])))",
        ),
        ("weekday BETWEEN 0 AND 6", "(((weekday >= 0) AND (weekday <= 6)))"),
        (
            "status = 'pending' OR organisation_id IS NOT NULL",
            "(((status = 'pending'::text) OR (organisation_id IS NOT NULL)))",
        ),
        ("'18:00'", "'18:00'::text"),
        ("tip IS NOT NULL", "(tip IS NOT NULL)"),
        ("(a = 1 OR b = 2) AND c = 3", "((((a = 1) OR (b = 2)) AND (c = 3)))"),
        ("a = 1 OR (b = 2 AND c = 3)", "(((a = 1) OR ((b = 2) AND (c = 3))))"),
        ("kind NOT IN ('x', 'y')", "((kind <> ALL (ARRAY['x'::text, 'y'::text])))"),
        ("lower(name) = name", "((lower(name) = name))"),
    ],
)
def test_expressions_read_the_same_from_both_databases(sqlite: str, postgresql: str) -> None:
    assert normalized(sqlite) == normalized(postgresql)


def test_different_expressions_stay_different() -> None:
    assert normalized("(a = 1 OR b = 2) AND c = 3") != normalized("a = 1 OR (b = 2 AND c = 3)")
    assert normalized("kind NOT IN ('x')") != normalized("kind IN ('x')")
    assert normalized("kind IN ('sent', 'requested')") != normalized("kind IN ('sent')")
    assert normalized("weekday BETWEEN 0 AND 6") != normalized("weekday BETWEEN 0 AND 7")
    assert normalized("a = 1 OR b = 2") != normalized("a = 1 AND b = 2")


# What the weekly figures and the survey outcome summary are worked out from
# (bot/services/stats.py's weeks_of, bot/services/exports.py's _outcomes_in), by the
# number in figure_inputs that moves with each (0023_figure_inputs.sql)
FIGURE_INPUTS = {
    "weekly_activity": "activity",
    "survey_rounds": "answers",
    "survey_responses": "answers",
    "survey_answers": "answers",
    **dict.fromkeys(
        (
            "groups",
            "staff",
            "group_instructors",
            "group_participants",
            "erased_memberships",
            "seasons",
            "meetings",
            "checkins",
        ),
        "other",
    ),
}


async def test_every_write_to_the_figures_inputs_moves_its_number(database: Database) -> None:
    """Every insert, update and delete on a table the figures are worked out from moves
    that table's number in figure_inputs, whoever writes (the bot, the command line,
    another instance): the figures kept between readers are never older than the data."""
    async with database.transaction() as tx:
        if tx.connection.dialect == "postgresql":
            rows = await tx.connection.fetch_all(
                "SELECT event_object_table, event_manipulation, action_statement "
                "FROM information_schema.triggers WHERE trigger_name LIKE 'figure_inputs%'"
            )
            # EXECUTE FUNCTION figure_inputs_activity(), whose UPDATE moves that number
            found = {
                (str(table), str(event)): str(action).split("figure_inputs_")[1].split("(")[0]
                for table, event, action in rows
                if event != "TRUNCATE"  # (and a statement trigger for each TRUNCATE)
            }
        else:
            rows = await tx.connection.fetch_all(
                "SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'figure_inputs%'"
            )
            found = {}
            for table, sql in rows:
                words = str(sql).split()
                found[(str(table), words[words.index("AFTER") + 1])] = words[words.index("SET") + 1]
        expected = {
            (table, event): number
            for table, number in FIGURE_INPUTS.items()
            for event in ("INSERT", "UPDATE", "DELETE")
        }
        assert found == expected

        # and they do move: a new staff member is an input, a person and an organisation
        # on their own are not
        before = await tx.analytics.figure_inputs()
        assert before is not None
        moment = "2026-12-05T10:00:00.000000+00:00"
        await tx.connection.execute(
            "INSERT INTO people (telegram_id, first_seen, last_seen) VALUES (7, :at, :at)",
            {"at": moment},
        )
        await tx.connection.execute(
            "INSERT INTO organisations (id, name, created_at) VALUES (9, 'Espoo', :at)",
            {"at": moment},
        )
        assert await tx.analytics.figure_inputs() == before
        await tx.connection.execute(
            "INSERT INTO staff (person_id, organisation_id, role, display_name, since) "
            "VALUES (7, 9, 'instructor', 'Ilkka', :at)",
            {"at": moment},
        )
        after = await tx.analytics.figure_inputs()
        assert after == replace(before, other=before.other + 1)
        # a statement that changes no row moves nothing (PostgreSQL's triggers are per row)
        await tx.connection.execute("UPDATE staff SET role = role WHERE person_id = -1")
        assert await tx.analytics.figure_inputs() == after
