"""Retention with an injected clock, and the flood guard with an injected time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.clock import FixedClock
from bot.runtime.flood import FloodGuard, Verdict
from storage import Database
from storage.rows import fetch_all
from storage.states import EventKind
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


def test_the_flood_guard_warns_once_then_lets_go_when_there_is_room() -> None:
    now = [0.0]
    guard = FloodGuard(3, window=10.0, now=lambda: now[0])

    for second in (0.0, 1.0, 2.0):
        now[0] = second
        assert guard.check(7) is Verdict.GO
    assert guard.check(7) is Verdict.WARN
    assert guard.check(7) is Verdict.DROP
    assert guard.check(8) is Verdict.GO  # someone else is not held up
    now[0] = 9.9
    assert guard.check(7) is Verdict.DROP
    now[0] = 10.0  # the first command has left the window
    assert guard.check(7) is Verdict.GO
    assert guard.check(7) is Verdict.WARN  # over again: warned again
