"""Seasons without Telegram: a second season's meetings, check-ins, survey rounds and
weekly figures are its own; the after-programme times; an archived group's data is still
made anonymous its retention period after its last meeting, whichever season."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile

from bot.clock import FixedClock
from bot.services.consent import consenting
from bot.services.seasons import latest_due
from storage import Database
from storage.states import EventKind, Round
from testing.harness import instructor_with_group

INSTRUCTOR = 3000
AINO = 5001


def utc(day: str, hhmm: str) -> dt.datetime:
    """A December or January local time in Helsinki (UTC+2) as UTC."""
    return dt.datetime.fromisoformat(f"{day}T{hhmm}+02:00").astimezone(dt.UTC)


async def test_a_second_season_has_its_own_meetings_rounds_and_weeks(
    database: Database, clock: FixedClock
) -> None:
    services, group = await instructor_with_group(
        database, clock, instructor=INSTRUCTOR, title="Kävelyryhmä", language="fi"
    )
    _, season_1 = await services.meetings.set_calendar(
        INSTRUCTOR, group.id, "ti 14:00", "1.12.", count=2
    )
    await services.groups.member_seen(group.chat_id, AINO, "fi", "Aino")
    clock.set(utc("2026-12-02", "10:00"))
    for _ in range(3):
        services.events.record(EventKind.MESSAGE, group_id=group.id, person_id=AINO, type="text")
    await services.events.flush()
    async with database.transaction() as tx:
        first = await tx.surveys.open_round(group.id, "kannustin-default", Round.AFTER, clock.now())

    clock.set(utc("2026-12-08", "16:00"))
    assert await services.seasons.end_finished() == 1
    assert await services.seasons.end_finished() == 0  # once
    clock.set(utc("2026-12-20", "12:00"))
    await services.seasons.start_new(INSTRUCTOR, group.id)
    _, meetings = await services.meetings.set_calendar(
        INSTRUCTOR, group.id, "ti 14:00", "5.1.", count=3
    )

    # the new season's meetings are 1-3, its rounds and weeks its own
    assert [(m.number, m.local_date.isoformat(), m.season) for m in meetings] == [
        (1, "2027-01-05", 2),
        (2, "2027-01-12", 2),
        (3, "2027-01-19", 2),
    ]
    async with database.transaction() as tx:
        second = await tx.surveys.open_round(
            group.id, "kannustin-default", Round.AFTER, clock.now(), season=2
        )
        again = await tx.surveys.open_round(
            group.id, "kannustin-default", Round.AFTER, clock.now(), season=2
        )
        old = await tx.meetings.meeting(season_1[0].id)
    assert second.id != first.id and again.id == second.id
    assert old is not None and (old.number, old.season) == (1, 1)  # season 1's first, still 1

    clock.set(utc("2027-01-13", "10:00"))
    services.events.record(EventKind.MESSAGE, group_id=group.id, person_id=AINO, type="text")
    await services.events.flush()
    async with database.transaction() as tx:
        rows = await tx.analytics.activity_by_week([group.id], [])
    assert [(row.week, row.messages) for row in rows] == [(2, 1)]  # season 2's week 2 only


def test_the_after_programme_times_count_from_the_last_meetings_day(
    clock: FixedClock,
) -> None:
    from storage.groups import Group
    from storage.states import GroupStatus, Language

    group = Group(
        1, -1, 1, "G", None, Language.FI, "Europe/Helsinki", GroupStatus.ACTIVE, True, 1,
        clock.now(), clock.now(),
    )  # fmt: skip
    last = dt.date(2026, 12, 8)
    assert latest_due(last, "14:00", 7, utc("2026-12-15", "13:59"), group) is None
    assert latest_due(last, "14:00", 7, utc("2026-12-15", "14:00"), group) == utc(
        "2026-12-15", "14:00"
    )
    assert latest_due(last, "14:00", 7, utc("2026-12-23", "09:00"), group) == utc(
        "2026-12-22", "14:00"
    )
    assert latest_due(last, "14:00", 28, utc("2027-01-04", "12:00"), group) is None
    assert latest_due(last, "14:00", 28, utc("2027-01-05", "14:00"), group) == utc(
        "2027-01-05", "14:00"
    )


async def test_an_archived_group_is_still_made_anonymous_after_its_last_meeting(
    database: Database, clock: FixedClock
) -> None:
    services, group = await instructor_with_group(
        database, clock, instructor=INSTRUCTOR, title="Kävelyryhmä", language="fi"
    )
    await services.meetings.set_calendar(INSTRUCTOR, group.id, "ti 14:00", "1.12.", count=2)
    clock.set(utc("2027-07-01", "12:00"))  # 180 days and more after the last meeting
    assert await services.seasons.archive_idle() == 1
    stored = await services.groups.by_chat(group.chat_id)
    assert stored is not None and stored.is_archived and not stored.is_active

    clock.set(utc("2028-12-01", "12:00"))  # 24 months after it: not yet
    assert (await services.privacy.apply_retention())["groups"] == 0
    clock.set(utc("2028-12-15", "12:00"))
    assert (await services.privacy.apply_retention())["groups"] == 1


async def test_a_season_found_over_long_after_its_end_ends_quietly_with_nothing_after(
    database: Database, clock: FixedClock
) -> None:
    services, group = await instructor_with_group(
        database, clock, instructor=INSTRUCTOR, title="Kävelyryhmä", language="fi"
    )
    await services.meetings.set_calendar(INSTRUCTOR, group.id, "ti 14:00", "1.12.", count=2)
    clock.set(utc("2026-12-09", "12:00"))  # the bot was down: found 20 hours late
    assert await services.seasons.end_finished() == 1
    async with database.transaction() as tx:
        season = await tx.seasons.current(group.id)
        said = [row for row in await tx.outbox.of_chat(group.chat_id) if row.purpose == "season"]
    assert season is not None and not season.is_running
    assert season.after_rhythm == "off"
    assert said == []  # no farewell a day late
    clock.set(utc("2026-12-15", "14:00"))
    assert await services.seasons.keep_after_rhythm() == 0


async def test_a_new_seasons_first_week_gets_its_own_buddies(
    database: Database, clock: FixedClock
) -> None:
    services, group = await instructor_with_group(
        database, clock, instructor=INSTRUCTOR, title="Kävelyryhmä", language="fi"
    )
    assert group.organisation_id is not None
    await services.meetings.set_calendar(INSTRUCTOR, group.id, "ti 14:00", "1.12.", count=1)
    for person, name in ((AINO, "Aino"), (AINO + 1, "Britt")):
        await services.groups.member_seen(group.chat_id, person, "fi", name)
        await services.consent.give(person, group.organisation_id)
    clock.set(utc("2026-12-01", "15:00"))
    assert (await services.checkins.pair_buddies(INSTRUCTOR, group.id)).fresh

    clock.set(utc("2026-12-02", "12:00"))
    await services.seasons.end_finished()
    await services.seasons.start_new(INSTRUCTOR, group.id)
    async with database.transaction() as tx:  # both join season 2 through the link
        for person in (AINO, AINO + 1):
            await tx.seasons.join(group.id, person, 2)
    second = await services.checkins.pair_buddies(INSTRUCTOR, group.id)
    assert second.week == 1 and second.fresh  # not season 1's week 1 shown again
    assert second.repeats == 1  # only one pair can be made: the old one, said so


async def test_the_farewell_speaks_the_groups_language(
    database: Database, clock: FixedClock
) -> None:
    services, group = await instructor_with_group(
        database, clock, instructor=INSTRUCTOR, title="Promenadgruppen", language="sv"
    )
    await services.meetings.set_calendar(INSTRUCTOR, group.id, "ti 14:00", "1.12.", count=1)
    clock.set(utc("2026-12-01", "16:00"))
    await services.seasons.end_finished()
    async with database.transaction() as tx:
        said = [row for row in await tx.outbox.of_chat(group.chat_id) if row.purpose == "season"]
        asked = [row for row in await tx.outbox.of_chat(INSTRUCTOR) if row.purpose == "notice"]
    assert [json.loads(row.content)["text"][:22] for row in said] == ["Programmet är nu slut."]
    # the instructor is asked in their own language (Finnish), whatever the group's
    (notice,) = asked
    assert json.loads(notice.content)["text"].startswith("Ryhmän Promenadgruppen ohjelma")


async def test_the_coordinators_export_keeps_every_seasons_weeks(
    database: Database, clock: FixedClock
) -> None:
    services, group = await instructor_with_group(
        database, clock, instructor=INSTRUCTOR, title="Kävelyryhmä", language="fi"
    )
    await services.meetings.set_calendar(INSTRUCTOR, group.id, "ti 14:00", "1.12.", count=2)
    clock.set(utc("2026-12-08", "16:00"))
    await services.seasons.end_finished()
    clock.set(utc("2026-12-20", "12:00"))
    await services.seasons.start_new(INSTRUCTOR, group.id)
    await services.meetings.set_calendar(INSTRUCTOR, group.id, "ti 14:00", "5.1.", count=2)
    clock.set(utc("2027-01-13", "12:00"))
    stored = await services.groups.by_chat(group.chat_id)
    assert stored is not None

    buffer = io.BytesIO()
    await services.exports.write(buffer, [stored], kind="csv")
    archive = zipfile.ZipFile(buffer)
    text = archive.read("weekly.csv").decode("utf-8-sig")
    weekly = list(csv.DictReader(io.StringIO(text)))
    # season 1 to the day before season 2 began, then season 2 from its first meeting
    assert [(row["season"], row["week"], row["week_starts"]) for row in weekly] == [
        ("1", "1", "2026-12-01"),
        ("1", "2", "2026-12-08"),
        ("1", "3", "2026-12-15"),
        ("2", "1", "2027-01-05"),
        ("2", "2", "2027-01-12"),
    ]


async def test_someone_new_in_a_new_season_joins_it_and_old_members_are_asked_again(
    database: Database, clock: FixedClock
) -> None:
    services, group = await instructor_with_group(
        database, clock, instructor=INSTRUCTOR, title="Kävelyryhmä", language="fi"
    )
    assert group.organisation_id is not None
    await services.meetings.set_calendar(INSTRUCTOR, group.id, "ti 14:00", "1.12.", count=1)
    await services.groups.member_seen(group.chat_id, AINO, "fi", "Aino")
    await services.consent.give(AINO, group.organisation_id)
    clock.set(utc("2026-12-02", "12:00"))
    await services.seasons.end_finished()
    await services.seasons.start_new(INSTRUCTOR, group.id)
    carl = AINO + 2
    await services.groups.member_seen(group.chat_id, carl, "en", "Carl")  # new in the chat
    await services.consent.give(carl, group.organisation_id)
    async with database.transaction() as tx:
        joined = [person.person_id for person in await consenting(tx, group.id)]
    assert joined == [carl]  # Aino is asked again; Carl came in season 2
