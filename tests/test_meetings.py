"""The meeting calendar with an injected clock: meetings and reminders in local time across
daylight saving, quiet hours, cancelling and undoing, remote meetings, firing once, and
catching up after downtime."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FixedClock
from bot.errors import DomainError
from bot.payload import content_from_json
from bot.runtime.wiring import Services
from bot.services.meetings import CHECKINS as CHECK_INS
from bot.services.meetings import out_of_quiet_hours
from storage import Database
from storage.groups import Group
from storage.states import EventKind
from testing.harness import instructor_with_group

HELSINKI = ZoneInfo("Europe/Helsinki")
INSTRUCTOR, STRANGER = 3, 9


async def world(database: Database, clock: FixedClock) -> tuple[Services, Group]:
    services, group = await instructor_with_group(
        database, clock, instructor=INSTRUCTOR, title="Kävelyryhmä", language="fi"
    )
    await services.people.record_contact(STRANGER, "fi")
    return services, group


def local(moment: dt.datetime) -> str:
    return f"{moment.astimezone(HELSINKI):%Y-%m-%d %H:%M}"


async def items(services: Services, group: Group) -> dict[tuple[int, str], tuple[str, str]]:
    """(meeting number, kind) -> (local due time, status)."""
    async with services.database.transaction() as tx:
        numbers = {m.id: m.number for m in await tx.meetings.meetings(group.id)}
        return {
            (numbers[item.meeting_id], item.kind): (local(item.due_at), item.status)
            for item in await tx.meetings.of_group(group.id)
        }


async def group_messages(services: Services, chat_id: int) -> list[str]:
    async with services.database.transaction() as tx:
        rows = await tx.outbox.of_chat(chat_id)
    return [getattr(content_from_json(row.content), "text", "") for row in rows]


async def test_a_calendar_makes_weekly_meetings_with_reminders_and_check_ins(
    database: Database, clock: FixedClock
) -> None:
    services, group = await world(database, clock)  # now: Saturday 28.11.2026 12:00

    calendar, meetings = await services.meetings.set_calendar(
        INSTRUCTOR, group.id, "ti 14:00", "1.12.", where="Kirjaston kokoushuone"
    )

    assert calendar.place == "Kirjaston kokoushuone" and calendar.link is None
    assert [local(m.starts_at) for m in meetings] == [
        "2026-12-01 14:00",
        "2026-12-08 14:00",
        "2026-12-15 14:00",
        "2026-12-22 14:00",
        "2026-12-29 14:00",
        "2027-01-05 14:00",
    ]
    planned = await items(services, group)
    assert planned[(1, "evening")] == ("2026-11-30 18:00", "pending")
    assert planned[(1, "before")] == ("2026-12-01 13:00", "pending")
    # the week's check-ins: the plan after the meeting, progress on Friday and Monday noon
    assert planned[(1, "plan")] == ("2026-12-01 16:00", "pending")
    assert planned[(1, "progress-mid")] == ("2026-12-04 12:00", "pending")
    assert planned[(1, "progress-end")] == ("2026-12-07 12:00", "pending")
    # the surveys: at the first meeting and two hours after the last
    assert planned[(1, "survey-before")] == ("2026-12-01 14:00", "pending")
    assert planned[(6, "survey-after")] == ("2027-01-05 16:00", "pending")
    assert len(planned) == 6 * 5 + 2
    stored = await services.groups.by_chat(group.chat_id)
    assert stored is not None and stored.starts_on == dt.date(2026, 12, 1)


async def test_local_times_hold_across_daylight_saving(
    database: Database, clock: FixedClock
) -> None:
    services, group = await world(database, clock)
    clock.set(dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC))

    _, autumn = await services.meetings.set_calendar(INSTRUCTOR, group.id, "Tue 2pm", "20.10.")
    # clocks go back on Sunday 25 October: same 14:00 local, one hour later in UTC
    assert [f"{m.starts_at:%H:%M}" for m in autumn[:2]] == ["11:00", "12:00"]
    assert {local(m.starts_at)[-5:] for m in autumn} == {"14:00"}

    clock.set(dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC))
    _, spring = await services.meetings.set_calendar(INSTRUCTOR, group.id, "ti 14:00", "23.3.")
    # clocks go forward on Sunday 28 March 2027
    assert [f"{m.starts_at:%H:%M}" for m in spring[:2]] == ["12:00", "11:00"]
    planned = await items(services, group)
    assert planned[(2, "evening")] == ("2027-03-29 18:00", "pending")


def test_quiet_hours_move_a_message_to_their_end() -> None:
    class Quiet:
        quiet_from, quiet_until = "21:00", "08:00"

    def moved(text: str) -> str:
        moment = dt.datetime.fromisoformat(text).replace(tzinfo=HELSINKI)
        return local(out_of_quiet_hours(moment, Quiet(), "Europe/Helsinki"))  # type: ignore[arg-type]

    assert moved("2026-12-01 22:30") == "2026-12-02 08:00"
    assert moved("2026-12-01 07:00") == "2026-12-01 08:00"
    assert moved("2026-12-01 21:00") == "2026-12-02 08:00"
    assert moved("2026-12-01 20:59") == "2026-12-01 20:59"
    assert moved("2026-12-01 08:00") == "2026-12-01 08:00"


async def test_an_early_meeting_is_reminded_after_the_quiet_hours(
    database: Database, clock: FixedClock
) -> None:
    services, group = await world(database, clock)

    await services.meetings.set_calendar(INSTRUCTOR, group.id, "ke 8:30", "2.12.", count=1)

    planned = await items(services, group)
    assert planned[(1, "before")] == ("2026-12-02 08:00", "pending")  # not 07:30


async def test_cancelling_drops_reminders_plans_the_keep_going_rhythm_and_undo_restores(
    database: Database, clock: FixedClock
) -> None:
    services, group = await world(database, clock)
    await services.meetings.set_calendar(INSTRUCTOR, group.id, "ti 14:00", "1.12.")

    cancelled = await services.meetings.cancel(
        INSTRUCTOR, group.id, "8.12.–15.12.", reason="ohjaaja sairastui"
    )

    assert [m.number for m in cancelled] == [2, 3]
    planned = await items(services, group)
    assert planned[(2, "evening")][1] == "dropped"
    assert planned[(2, "before")][1] == "dropped"
    assert planned[(2, "at-home")] == ("2026-12-08 14:00", "pending")
    assert planned[(2, "midweek")] == ("2026-12-11 12:00", "pending")
    assert planned[(2, "plan")] == ("2026-12-08 14:00", "pending")  # at the cancelled slot
    assert planned[(1, "plan")] == ("2026-12-01 16:00", "pending")  # after a held meeting
    assert planned[(1, "before")][1] == "pending"  # other meetings untouched
    announced = await group_messages(services, group.chat_id)
    assert announced[-1] == (
        "Tapaamiset on peruttu: ti 8.12. 14.00, ti 15.12. 14.00.\n"
        "Syy: ohjaaja sairastui\n"
        "Jatketaan silti yhdessä: kunkin tapaamisen aikaan saatte tänne vinkin ja kysymyksen "
        "viikon suunnitelmasta."
    )

    await services.meetings.restore(INSTRUCTOR, group.id, "15.12.")

    planned = await items(services, group)
    assert planned[(3, "evening")] == ("2026-12-14 18:00", "pending")
    assert planned[(3, "at-home")][1] == "dropped"
    assert planned[(3, "plan")] == ("2026-12-15 16:00", "pending")  # held again: after it
    assert planned[(2, "at-home")][1] == "pending"  # still cancelled
    with pytest.raises(DomainError) as refused:
        await services.meetings.cancel(INSTRUCTOR, group.id, "2.12.–3.12.")
    assert refused.value.key == "meetings.none-then"


async def test_a_remote_meeting_reminder_carries_the_link(
    database: Database, clock: FixedClock
) -> None:
    services, group = await world(database, clock)
    await services.meetings.set_calendar(INSTRUCTOR, group.id, "ti 14:00", "1.12.")
    await services.meetings.remote(INSTRUCTOR, group.id, "1.12.", "https://meet.example.org/k")
    async with database.transaction() as tx:
        before = next(i for i in await tx.meetings.of_group(group.id) if i.kind == "before")

    clock.set(before.due_at)
    assert await services.meetings.fire(before.id, before.due_at)

    sent = await group_messages(services, group.chat_id)
    assert sent[-1] == (
        "Tapaaminen alkaa tänään klo 14.00. Linkki: https://meet.example.org/k Tervetuloa!"
    )
    assert "Tapaaminen pidetään etänä: ti 1.12. 14.00." in sent[-2]


async def test_a_due_time_fires_once_and_a_stale_job_does_nothing(
    database: Database, clock: FixedClock
) -> None:
    services, group = await world(database, clock)
    await services.meetings.set_calendar(INSTRUCTOR, group.id, "ti 14:00", "1.12.")
    async with database.transaction() as tx:
        evening = next(i for i in await tx.meetings.of_group(group.id) if i.kind == "evening")
    clock.set(evening.due_at)

    assert await services.meetings.fire(evening.id, evening.due_at - dt.timedelta(hours=1)) is False
    assert await services.meetings.fire(evening.id, evening.due_at) is True
    assert await services.meetings.fire(evening.id, evening.due_at) is False

    sent = await group_messages(services, group.chat_id)
    reminders = [text for text in sent if text.startswith("Muistutus")]
    assert reminders == ["Muistutus: huomenna on ryhmän tapaaminen (1/6), ti 1.12. 14.00."]


async def test_catching_up_after_downtime(database: Database, clock: FixedClock) -> None:
    services, group = await world(database, clock)
    await services.meetings.set_calendar(INSTRUCTOR, group.id, "ti 14:00", "1.12.", count=2)
    await services.meetings.cancel(INSTRUCTOR, group.id, "8.12.")
    async with database.transaction() as tx:
        numbered = {m.id: m.number for m in await tx.meetings.meetings(group.id)}
        pending = {
            (numbered[i.meeting_id], i.kind): i for i in await tx.meetings.of_group(group.id)
        }

    # down from Monday evening to Tuesday: the evening reminder is too late, and the
    # one-hour reminder's meeting has started
    evening, before = pending[(1, "evening")], pending[(1, "before")]
    clock.set(dt.datetime(2026, 12, 1, 10, 30, tzinfo=dt.UTC))  # 18.5 h after Monday 18:00
    assert not await services.meetings.fire(evening.id, evening.due_at)
    clock.set(dt.datetime(2026, 12, 1, 12, 30, tzinfo=dt.UTC))  # 14:30, the meeting is on
    assert not await services.meetings.fire(before.id, before.due_at)
    # the cancelled meeting's "at home" message, two hours late, still goes
    at_home = pending[(2, "at-home")]
    clock.set(at_home.due_at + dt.timedelta(hours=2))
    assert await services.meetings.fire(at_home.id, at_home.due_at)

    done = await items(services, group)
    assert done[(1, "evening")][1] == "skipped"
    assert done[(1, "before")][1] == "skipped"
    assert done[(2, "at-home")][1] == "sent"
    async with database.transaction() as tx:
        reasons = {
            (numbered[i.meeting_id], i.kind): i.reason for i in await tx.meetings.of_group(group.id)
        }
    assert reasons[(1, "evening")] == "schedule.too-late"
    assert reasons[(1, "before")] == "schedule.meeting-started"
    sent = await group_messages(services, group.chat_id)
    assert sent[-1].startswith("Tänään ei tavata, joten pidetään tapaaminen kotona.")


async def test_only_those_who_manage_the_group_set_its_meetings(
    database: Database, clock: FixedClock
) -> None:
    services, group = await world(database, clock)

    for attempt in (
        services.meetings.set_calendar(STRANGER, group.id, "ti 14:00", "1.12."),
        services.meetings.cancel(STRANGER, group.id, "1.12."),
    ):
        with pytest.raises(DomainError) as refused:
            await attempt
        assert refused.value.key.startswith("access.")
    for bad, key in (
        (("ti 25:00", "1.12."), "when.unparseable-weekly"),
        (("ti 14:00", "1.1.2020"), "when.past"),
        (("ti 14:00", "someday"), "when.unparseable-dates"),
    ):
        with pytest.raises(DomainError) as refused:
            await services.meetings.set_calendar(INSTRUCTOR, group.id, *bad)
        assert refused.value.key == key
    async with database.transaction() as tx:
        assert await tx.meetings.calendar(group.id) is None


async def test_the_rhythm_is_configurable_per_group(database: Database, clock: FixedClock) -> None:
    services, group = await world(database, clock)
    await services.meetings.set_calendar(INSTRUCTOR, group.id, "ti 14:00", "1.12.", count=2)
    await services.meetings.cancel(INSTRUCTOR, group.id, "8.12.")

    await services.meetings.set_rhythm(INSTRUCTOR, group.id, "evening", ["19.30"])
    await services.meetings.set_rhythm(INSTRUCTOR, group.id, "before", ["off"])
    await services.meetings.set_rhythm(INSTRUCTOR, group.id, "midweek", ["2", "10"])
    calendar = await services.meetings.set_rhythm(INSTRUCTOR, group.id, "quiet", ["22-07"])

    assert (calendar.remind_evening_at, calendar.remind_minutes_before) == ("19:30", None)
    assert (calendar.quiet_from, calendar.quiet_until) == ("22:00", "07:00")
    planned = await items(services, group)
    assert planned[(1, "evening")] == ("2026-11-30 19:30", "pending")
    assert planned[(1, "before")][1] == "dropped"
    assert planned[(2, "midweek")] == ("2026-12-10 10:00", "pending")
    assert planned[(1, "plan")][1] == "pending"

    calendar = await services.meetings.set_rhythm(INSTRUCTOR, group.id, "checkins", ["off"])

    assert calendar.checkins is False
    planned = await items(services, group)
    assert {planned[(n, kind)][1] for n in (1, 2) for kind in CHECK_INS} == {"dropped"}
    calendar = await services.meetings.set_rhythm(INSTRUCTOR, group.id, "checkins", ["on"])
    planned = await items(services, group)
    assert {planned[(n, kind)][1] for n in (1, 2) for kind in CHECK_INS} == {"pending"}
    assert (2, "survey-month-3") not in planned
    calendar = await services.meetings.set_rhythm(INSTRUCTOR, group.id, "followups", ["on"])
    planned = await items(services, group)
    assert planned[(2, "survey-month-3")] == ("2027-03-09 12:00", "pending")
    assert planned[(2, "survey-month-6")] == ("2027-06-08 12:00", "pending")
    for setting, values in (
        ("evening", ["25:00"]),
        ("before", ["2"]),
        ("midweek", ["9", "12:00"]),
        ("quiet", ["21-21"]),
        ("loudness", ["11"]),
        ("checkins", ["maybe"]),
    ):
        with pytest.raises(DomainError) as refused:
            await services.meetings.set_rhythm(INSTRUCTOR, group.id, setting, values)
        assert refused.value.key == "meetings.rhythm-usage"
    assert await services.meetings.rhythm(INSTRUCTOR, group.id) == calendar


async def test_two_firings_racing_send_one_message(database: Database, clock: FixedClock) -> None:
    services, group = await world(database, clock)
    await services.meetings.set_calendar(INSTRUCTOR, group.id, "ti 14:00", "1.12.", count=1)
    async with database.transaction() as tx:
        evening = next(i for i in await tx.meetings.of_group(group.id) if i.kind == "evening")
    clock.set(evening.due_at)

    results = await asyncio.gather(
        *(services.meetings.fire(evening.id, evening.due_at) for _ in range(5))
    )

    assert sorted(results) == [False, False, False, False, True]
    sent = await group_messages(services, group.chat_id)
    assert len([text for text in sent if text.startswith("Muistutus")]) == 1


async def test_setting_the_calendar_again_keeps_cancellations_by_date_and_drops_extras(
    database: Database, clock: FixedClock
) -> None:
    services, group = await world(database, clock)
    await services.meetings.set_calendar(INSTRUCTOR, group.id, "ti 14:00", "1.12.", count=3)
    await services.meetings.cancel(INSTRUCTOR, group.id, "8.12.")

    _, meetings = await services.meetings.set_calendar(
        INSTRUCTOR, group.id, "ti 14:00", "8.12.", count=2
    )

    assert [(local(m.starts_at), m.status) for m in meetings if m.number <= 2] == [
        ("2026-12-08 14:00", "cancelled"),  # still cancelled, now meeting 1
        ("2026-12-15 14:00", "planned"),
    ]
    planned = await items(services, group)
    assert planned[(1, "at-home")] == ("2026-12-08 14:00", "pending")
    assert planned[(2, "before")] == ("2026-12-15 13:00", "pending")
    assert not [key for key, (_, status) in planned.items() if key[0] == 3 and status == "pending"]
    overview = await services.meetings.overview(INSTRUCTOR)
    assert [m.number for m in overview[0].meetings] == [1, 2]


async def test_cancelling_twice_changes_nothing_the_second_time(
    database: Database, clock: FixedClock
) -> None:
    services, group = await world(database, clock)
    await services.meetings.set_calendar(INSTRUCTOR, group.id, "ti 14:00", "1.12.")
    await services.meetings.cancel(INSTRUCTOR, group.id, "8.12.")
    announced = len(await group_messages(services, group.chat_id))

    for again in (
        services.meetings.cancel(INSTRUCTOR, group.id, "8.12."),
        services.meetings.restore(INSTRUCTOR, group.id, "15.12."),  # never cancelled
    ):
        with pytest.raises(DomainError) as refused:
            await again
        assert refused.value.key == "meetings.nothing-to-change"
    assert len(await group_messages(services, group.chat_id)) == announced


async def test_an_overdue_reminder_survives_a_replan_and_keeps_the_quiet_hours(
    database: Database, clock: FixedClock
) -> None:
    services, group = await world(database, clock)
    await services.meetings.set_calendar(INSTRUCTOR, group.id, "ti 14:00", "1.12.")
    async with database.transaction() as tx:
        evening = next(i for i in await tx.meetings.of_group(group.id) if i.kind == "evening")

    # 23:00 on Monday: five hours late (the bot was down), and someone cancels 15.12.
    clock.set(dt.datetime(2026, 11, 30, 21, 0, tzinfo=dt.UTC))
    await services.meetings.cancel(INSTRUCTOR, group.id, "15.12.")
    assert await services.meetings.fire(evening.id, evening.due_at)

    async with database.transaction() as tx:
        rows = await tx.outbox.of_chat(group.chat_id)
    reminder = rows[-1]
    assert local(reminder.due_at) == "2026-12-01 08:00"  # after the quiet hours
    assert getattr(content_from_json(reminder.content), "text", "").startswith(
        "Muistutus: tänään on ryhmän tapaaminen (1/6)"
    )


async def test_the_sweep_fires_what_is_due_without_a_job(
    database: Database, clock: FixedClock
) -> None:
    services, group = await world(database, clock)
    await services.meetings.set_calendar(INSTRUCTOR, group.id, "ti 14:00", "1.12.", count=1)
    clock.set(dt.datetime(2026, 11, 30, 16, 30, tzinfo=dt.UTC))  # 18:30 Monday

    await services.scheduler.sweep_now()  # no job queue at all here

    planned = await items(services, group)
    assert planned[(1, "evening")][1] == "sent"
    assert planned[(1, "before")][1] == "pending"


async def test_a_planned_message_cancelled_by_hand_stays_cancelled(
    database: Database, clock: FixedClock
) -> None:
    services, group = await world(database, clock)
    await services.meetings.set_calendar(INSTRUCTOR, group.id, "ti 14:00", "1.12.", count=2)
    async with database.transaction() as tx:
        evening = next(i for i in await tx.meetings.of_group(group.id) if i.kind == "evening")

    with pytest.raises(DomainError):
        await services.meetings.cancel_message(STRANGER, evening.id)
    dropped, _ = await services.meetings.cancel_message(INSTRUCTOR, evening.id)
    await services.meetings.set_rhythm(INSTRUCTOR, group.id, "before", ["30"])  # a replan

    assert dropped.status == "dropped"
    planned = await items(services, group)
    assert planned[(1, "evening")][1] == "dropped"
    assert planned[(2, "evening")][1] == "pending"
    clock.set(evening.due_at)
    assert not await services.meetings.fire(evening.id, evening.due_at)


async def test_the_first_date_is_one_day_and_today_past_means_next_week(
    database: Database, clock: FixedClock
) -> None:
    services, group = await world(database, clock)  # Saturday 28.11. 12:00

    _, meetings = await services.meetings.set_calendar(
        INSTRUCTOR, group.id, "la 10:00", "tänään", count=1
    )
    assert local(meetings[0].starts_at) == "2026-12-05 10:00"
    with pytest.raises(DomainError) as refused:
        await services.meetings.set_calendar(INSTRUCTOR, group.id, "ti 14:00", "1.12.–8.12.")
    assert refused.value.key == "meetings.one-first-date"


async def test_moving_the_calendar_start_moves_the_weekly_figures(
    database: Database, clock: FixedClock
) -> None:
    services, group = await world(database, clock)  # registered Saturday 28.11.2026
    member = 21

    async def weeks() -> list[tuple[int, int, int]]:
        async with database.transaction() as tx:
            rows = await tx.analytics.activity_by_week([group.id], exclude=[])
        return [(row.week, row.active, row.messages) for row in rows]

    services.events.record(EventKind.MESSAGE, group_id=group.id, person_id=member, type="text")
    clock.advance(dt.timedelta(days=8))  # Sunday 6.12.
    services.events.record(EventKind.MESSAGE, group_id=group.id, person_id=member, type="text")
    services.events.record(EventKind.MESSAGE, group_id=group.id, person_id=member, type="photo")
    await services.events.flush()
    # until a calendar is set, week 1 starts on the day the group came
    assert await weeks() == [(1, 1, 1), (2, 1, 2)]

    await services.meetings.set_calendar(INSTRUCTOR, group.id, "ma 10:00", "7.12.")

    # the first meeting is on Monday 7.12.: everything before it counts as week 1
    assert await weeks() == [(1, 1, 3)]
    clock.advance(dt.timedelta(days=7))  # Sunday 13.12.: still week 1
    services.events.record(EventKind.MESSAGE, group_id=group.id, person_id=member, type="text")
    clock.advance(dt.timedelta(days=1))  # Monday 14.12.: week 2
    services.events.record(EventKind.MESSAGE, group_id=group.id, person_id=member, type="text")
    await services.events.flush()
    assert await weeks() == [(1, 1, 4), (2, 1, 1)]
