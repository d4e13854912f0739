"""The membership rules on their own (``bot/services/membership.py``), with a fake Telegram:
what a check before a send asks, what each answer does to the stored participation and the
join code, and how look-ups are paced (a fake clock: no waiting, no wall time)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from bot.clock import FixedClock
from bot.errors import DomainError
from bot.runtime.pacing import SAFETY, Pacer
from bot.runtime.wiring import Services
from bot.services.membership import MembershipService, Presence
from storage import Database
from storage.groups import Group
from testing.harness import instructor_with_group

AINO, BRITT, CARL = 11, 12, 13


class FakeTelegram:
    """Answers from a table; remembers who was asked about."""

    def __init__(self, answers: dict[int, Presence]) -> None:
        self.answers = answers
        self.asked: list[tuple[int, int]] = []

    async def presence(self, chat_id: int, person_id: int) -> Presence:
        self.asked.append((chat_id, person_id))
        return self.answers.get(person_id, Presence.OUT)


@pytest.fixture
async def setting(database: Database, clock: FixedClock) -> tuple[Services, Group]:
    services, group = await instructor_with_group(
        database, clock, instructor=2, title="Kävelyryhmä", language="fi"
    )
    for person in (AINO, BRITT, CARL):
        await services.groups.member_seen(group.chat_id, person, "fi", f"P{person}")
    return services, group


async def participants(database: Database, group: Group) -> set[int]:
    async with database.transaction() as tx:
        return {p for p in (AINO, BRITT, CARL) if await tx.groups.is_participant(group.id, p)}


async def code_of(database: Database, group: Group) -> str | None:
    async with database.transaction() as tx:
        stored = await tx.groups.get(group.id)
    assert stored is not None
    return stored.join_code


async def test_a_check_asks_only_about_those_not_confirmed_lately(
    setting: tuple[Services, Group], database: Database, clock: FixedClock
) -> None:
    _, group = setting
    telegram = FakeTelegram({AINO: Presence.IN, BRITT: Presence.IN, CARL: Presence.IN})
    membership = MembershipService(database, clock, telegram, fresh=dt.timedelta(minutes=15))

    clock.advance(dt.timedelta(minutes=10))
    assert (await membership.recheck(group.id)).asked == 0  # all seen 10 minutes ago
    assert telegram.asked == []

    clock.advance(dt.timedelta(minutes=10))
    checked = await membership.recheck(group.id)
    assert checked.asked == 3 and checked.ended == ()
    assert sorted(person for _, person in telegram.asked) == [AINO, BRITT, CARL]
    assert {chat for chat, _ in telegram.asked} == {group.chat_id}

    telegram.asked.clear()
    assert (await membership.recheck(group.id)).asked == 0  # just confirmed: not asked again
    assert telegram.asked == []


async def test_out_ends_the_participation_and_rotates_the_code_unknown_changes_nothing(
    setting: tuple[Services, Group], database: Database, clock: FixedClock
) -> None:
    _, group = setting
    telegram = FakeTelegram({AINO: Presence.IN, BRITT: Presence.OUT, CARL: Presence.UNKNOWN})
    membership = MembershipService(database, clock, telegram, fresh=dt.timedelta(0))
    code = await code_of(database, group)
    clock.advance(dt.timedelta(minutes=1))

    checked = await membership.recheck(group.id)

    assert checked.ended == (BRITT,) and checked.unknown == 1
    assert await participants(database, group) == {AINO, CARL}
    assert await code_of(database, group) != code


async def test_joining_needs_telegrams_word(
    setting: tuple[Services, Group], database: Database, clock: FixedClock
) -> None:
    _, group = setting
    dora, eero = 21, 22
    telegram = FakeTelegram({dora: Presence.UNKNOWN, eero: Presence.IN})
    membership = MembershipService(database, clock, telegram, fresh=dt.timedelta(minutes=15))
    code = await code_of(database, group)
    assert code is not None

    for person, key in ((dora, "membership.try-again"), (99, "membership.not-in-chat")):
        with pytest.raises(DomainError) as refused:
            await membership.join(person, code, "Someone")
        assert refused.value.key == key
    with pytest.raises(DomainError) as outdated:
        await membership.join(eero, "not-the-code", "Eero")
    assert outdated.value.key == "membership.link-outdated"
    async with database.transaction() as tx:
        assert not await tx.groups.is_participant(group.id, dora)
        assert await tx.people.get(99) is None  # nothing stored for the outsider

    joined = await membership.join(eero, code, "Eero")
    assert joined.id == group.id
    async with database.transaction() as tx:
        assert await tx.groups.is_participant(group.id, eero)


def test_look_ups_take_the_overall_spacing_and_no_chat_window() -> None:
    now = [100.0]
    pacer = Pacer(clock=lambda: now[0])

    slots = [pacer.reserve_lookup() for _ in range(60)]
    send = pacer.reserve(-5, group=True)

    gaps = {round(b - a, 6) for a, b in itertools.pairwise(slots)}
    assert gaps == {round(SAFETY / 30, 6)}  # about 30 a second, like sends
    assert slots[-1] - slots[0] < 2.1  # not 20 a minute, as a group's sends would be
    assert send > slots[-1]  # a send shares the same overall spacing
