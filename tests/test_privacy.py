"""Retention with an injected clock, erasure where a test needs states the bot reaches only
rarely (a message in flight, rows written before an upgrade, a staff member erased), and the
flood guard with an injected time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.clock import FixedClock
from bot.payload import OutboxButton, TextContent, content_to_json
from bot.runtime.flood import FloodGuard, Verdict
from storage import Database
from storage.rows import fetch_all
from storage.states import EventKind, Purpose
from testing.harness import instructor_with_group

INSTRUCTOR = 3
MEMBERS = (21, 22, 23)


async def table(database: Database, sql: str) -> list[tuple[Any, ...]]:
    async with database.transaction() as tx:
        return [tuple(row) for row in await fetch_all(tx.connection, sql, {})]


async def test_a_group_past_its_retention_period_is_made_anonymous(
    database: Database, clock: FixedClock
) -> None:
    services, group = await instructor_with_group(
        database, clock, instructor=INSTRUCTOR, title="Kävelyryhmä", language="fi"
    )
    await services.meetings.set_calendar(INSTRUCTOR, group.id, "ti 14:00", "1.12.", count=2)
    assert group.organisation_id is not None
    for member in MEMBERS:
        await services.groups.member_seen(group.chat_id, member, "fi", f"Osallistuja {member}")
        await services.consent.give(member, group.organisation_id)
        services.events.record(EventKind.MESSAGE, group_id=group.id, person_id=member, type="text")
    services.events.record(EventKind.MESSAGE, group_id=group.id, person_id=MEMBERS[0], type="text")
    await services.events.flush()
    async with database.transaction() as tx:  # a celebration that went out, naming someone
        sent = await tx.outbox.add(
            chat_id=group.chat_id,
            group_id=group.id,
            purpose="notice",
            content='{"kind": "text", "text": "Osallistuja 21 teki sen!"}',
            due_at=clock.now(),
            now=clock.now(),
        )
        await tx.connection.execute("UPDATE outbox SET status = 'sent' WHERE id = ?", (sent,))
    last_meeting = dt.datetime(2026, 12, 8, 12, tzinfo=dt.UTC)

    # 24 months after the last meeting: not yet; only admin 1, who wrote to the bot once
    # and belongs to nothing, is forgotten
    clock.set(last_meeting + dt.timedelta(days=365 * 2 - 2))
    assert await services.privacy.apply_retention() == {"groups": 0, "people": 1}
    assert await table(database, "SELECT 1 FROM people WHERE telegram_id = 1") == []
    assert len(await table(database, "SELECT * FROM group_participants")) == 3

    clock.set(last_meeting + dt.timedelta(days=365 * 2 + 5))
    await services.privacy.sweep()
    assert await table(database, "SELECT * FROM group_participants") == []
    assert await table(database, "SELECT * FROM group_instructors") == []
    assert await table(database, f"SELECT * FROM outbox WHERE group_id = {group.id}") == []
    # the events keep one stand-in per person, meaningful inside this group only
    counts = await table(database, "SELECT pseudonym, COUNT(*) FROM events GROUP BY 1")
    assert sorted(count for _, count in counts) == [1, 1, 2]
    stand_ins = {p for (p,) in await table(database, "SELECT DISTINCT pseudonym FROM events")}
    assert all(p.startswith(f"anon:{group.id}:") for p in stand_ins) and len(stand_ins) == 3
    weekly = await table(database, "SELECT pseudonym, messages FROM weekly_activity")
    assert sorted(messages for _, messages in weekly) == [1, 1, 2]
    assert {p for p, _ in weekly} == stand_ins
    # the members, in no group any more and long silent, are forgotten altogether
    for member in MEMBERS:
        assert await table(database, f"SELECT 1 FROM people WHERE telegram_id = {member}") == []
        assert await table(database, f"SELECT 1 FROM consents WHERE person_id = {member}") == []
    audit = await table(
        database, "SELECT target, details FROM audit_log WHERE action = 'retention' ORDER BY id"
    )
    assert [target for target, _ in audit] == ["people", f"group {group.id}", "people"]
    assert '"forgotten":3' in audit[2][1]
    # a second sweep the same day does nothing more
    await services.privacy.sweep()
    assert len(await table(database, "SELECT * FROM audit_log WHERE action = 'retention'")) == 3


async def test_the_flood_guard_warns_once_then_lets_go_when_there_is_room() -> None:
    now = [0.0]
    guard = FloodGuard(3, window=10.0, now=lambda: now[0])

    for second in (0.0, 1.0, 2.0):
        now[0] = second
        assert await guard.check(7) is Verdict.GO
    assert await guard.check(7) is Verdict.WARN
    assert await guard.check(7) is Verdict.DROP
    assert await guard.check(8) is Verdict.GO  # someone else is not held up
    now[0] = 9.9
    assert await guard.check(7) is Verdict.DROP
    now[0] = 10.0  # the first update has left the window
    assert await guard.check(7) is Verdict.GO
    assert await guard.check(7) is Verdict.WARN  # over again: warned again


async def test_messages_that_name_an_erased_person_lose_the_name_wherever_they_stand(
    database: Database, clock: FixedClock
) -> None:
    services, group = await instructor_with_group(
        database, clock, instructor=INSTRUCTOR, title="Kävelyryhmä", language="fi"
    )
    aino, britt = MEMBERS[0], MEMBERS[1]
    await services.groups.member_seen(group.chat_id, aino, "fi", "Aino")
    await services.groups.member_seen(group.chat_id, britt, "sv", "Britt")
    now = clock.now()

    async def message(
        to: int, text: str, *, named: bool = True, due: dt.timedelta = dt.timedelta(0), **more: Any
    ) -> int:
        async with database.transaction() as tx:
            return await tx.outbox.add(
                chat_id=to,
                group_id=group.id,
                purpose=more.get("purpose", Purpose.CHECKIN),
                content=content_to_json(TextContent(text=text, buttons=more.get("buttons", []))),
                due_at=now + due,
                now=now,
                names=[(aino, "Aino")] if named else [],
            )

    link = [[OutboxButton(text="💬 Aino", url=f"tg://user?id={aino}")]]
    waiting = await message(britt, "Kompis: Aino", due=dt.timedelta(minutes=5), buttons=link)
    due = await message(britt, "Kompis: Aino och Carl", buttons=link)
    in_flight = await message(britt, "Kompis: Aino (igen)")
    sent = await message(group.chat_id, "🎉 Aino teki sen!", purpose=Purpose.CELEBRATION)
    # written before messages recorded whom they name: found by the link, or as a
    # celebration in her group that has her name; someone else's stays as it was
    old_buddy = await message(britt, "Kompis: Aino", named=False, buttons=link)
    old_party = await message(group.chat_id, "🎉 Aino!", named=False, purpose="celebration")
    britts = await message(group.chat_id, "🎉 Britt!", named=False, purpose="celebration")
    async with database.transaction() as tx:
        await tx.connection.execute(
            "UPDATE outbox SET status = 'sending' WHERE id = ?", (in_flight,)
        )
        await tx.connection.execute(
            f"UPDATE outbox SET status = 'sent' WHERE id IN ({sent}, {old_party}, {britts})"
        )

    erased = await services.privacy.forget(aino)

    assert erased.messages == 6
    rows = {
        row[0]: row[1:]
        for row in await table(database, "SELECT id, status, reason, content FROM outbox")
    }
    text = {key: TextContent.model_validate_json(row[2]) for key, row in rows.items()}
    assert rows[waiting][:2] == ("cancelled", "reason.erased")
    assert rows[due][:2] == ("pending", None)
    assert rows[in_flight][:2] == ("sending", None)
    assert rows[sent][0] == "sent"
    assert [text[key].text for key in (waiting, due, in_flight, old_buddy)] == [
        "Kompis: en gruppmedlem",  # in Britt's language
        "Kompis: en gruppmedlem och Carl",
        "Kompis: en gruppmedlem (igen)",
        "Kompis: en gruppmedlem",
    ]
    assert all(not text[key].buttons for key in (waiting, due, old_buddy))
    assert text[sent].text == "🎉 ryhmäläinen teki sen!"
    assert text[old_party].text == "🎉 ryhmäläinen!"
    assert text[britts].text == "🎉 Britt!"
    assert await table(database, "SELECT * FROM outbox_mentions") == []


async def test_an_erased_staff_members_actions_keep_a_stand_in_and_their_activity_goes(
    database: Database, clock: FixedClock
) -> None:
    services, group = await instructor_with_group(
        database, clock, instructor=INSTRUCTOR, title="Kävelyryhmä", language="fi"
    )
    await services.meetings.set_calendar(INSTRUCTOR, group.id, "ti 14:00", "1.12.", count=2)
    services.events.record(EventKind.MESSAGE, group_id=group.id, person_id=INSTRUCTOR, type="text")
    await services.events.flush()
    mine = await table(database, f"SELECT id FROM audit_log WHERE actor_id = {INSTRUCTOR}")
    assert mine  # the role they were granted

    await services.privacy.forget(INSTRUCTOR)

    (erasure,) = await table(database, "SELECT id, actor_id FROM audit_log WHERE action = 'erase'")
    assert erasure[1] == 0  # the command line
    actors = await table(database, f"SELECT actor_id FROM audit_log WHERE id IN {_ids(mine)}")
    assert actors == [(-erasure[0],)] * len(mine)
    assert await table(database, f"SELECT 1 FROM audit_log WHERE actor_id = {INSTRUCTOR}") == []
    # their own messages never counted in the figures: nothing of them is kept
    assert await table(database, "SELECT * FROM weekly_activity") == []
    assert await table(database, "SELECT * FROM erased_memberships") == []
    groups = await table(database, "SELECT registered_by FROM groups")
    assert groups == [(0,)]


async def test_summing_a_groups_weeks_again_keeps_what_an_erased_person_left(
    database: Database, clock: FixedClock
) -> None:
    services, group = await instructor_with_group(
        database, clock, instructor=INSTRUCTOR, title="Kävelyryhmä", language="fi"
    )
    await services.meetings.set_calendar(INSTRUCTOR, group.id, "ti 14:00", "1.12.", count=2)
    for member in MEMBERS:
        await services.groups.member_seen(group.chat_id, member, "fi", f"Osallistuja {member}")
        services.events.record(EventKind.MESSAGE, group_id=group.id, person_id=member, type="text")
    await services.events.flush()
    await services.privacy.forget(MEMBERS[0])
    kept = await table(
        database, "SELECT week, messages FROM weekly_activity WHERE pseudonym LIKE 'erased:%'"
    )
    assert kept == [(1, 1)]

    # the calendar moves: the weeks are summed again from the events, and hers stays
    await services.meetings.set_calendar(INSTRUCTOR, group.id, "ti 14:00", "8.12.", count=2)
    assert (
        await table(
            database, "SELECT week, messages FROM weekly_activity WHERE pseudonym LIKE 'erased:%'"
        )
        == kept
    )
    totals = await table(database, "SELECT SUM(messages) FROM weekly_activity")
    assert totals == [(3,)]


def _ids(rows: list[tuple[Any, ...]]) -> str:
    return "(" + ", ".join(str(row[0]) for row in rows) + ")"
