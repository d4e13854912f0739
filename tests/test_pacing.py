"""The pacer spaces sends to Telegram's limits (a fake clock: no waiting, no wall time)."""

from __future__ import annotations

import itertools

from bot.runtime.pacing import SAFETY, Pacer


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_thousand_groups_go_out_at_thirty_a_second() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock)

    slots = [pacer.reserve(-1000 - n, group=True) for n in range(1000)]

    assert slots == sorted(slots)
    gaps = {round(b - a, 6) for a, b in itertools.pairwise(slots)}
    assert gaps == {round(SAFETY / 30, 6)}
    total = slots[-1] - slots[0]
    assert 999 / 30 <= total <= 999 / 30 * SAFETY * 1.001  # 1,000 messages in about 34 s
    for start in range(0, 970):  # never more than 30 in any one-second window
        window = [s for s in slots if slots[start] <= s < slots[start] + 1.0]
        assert len(window) <= 30


def test_one_group_gets_at_most_twenty_a_minute() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock)

    slots = [pacer.reserve(-5, group=True) for _ in range(41)]

    assert slots[19] - slots[0] < 1.0  # the first twenty go at once (spaced overall)
    assert slots[20] >= slots[0] + 60.0  # the 21st waits until the first leaves the minute
    assert slots[40] >= slots[20] + 60.0


def test_a_private_chat_gets_one_a_second_and_others_are_not_held_up() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock)

    burst = [pacer.reserve(7, group=False) for _ in range(4)]
    someone_else = pacer.reserve(8, group=False)

    assert burst[2] - burst[0] < 0.1  # a short answer of three messages goes at once
    assert burst[3] - burst[0] >= 3.0  # the fourth waits: about one a second on average
    assert someone_else - burst[0] < 0.2  # others are not held up behind the fourth


def test_a_429_pauses_everyone() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock)
    pacer.reserve(1, group=False)

    pacer.pause(5)

    assert pacer.reserve(2, group=False) >= clock.now + 5
    assert pacer.pauses == 1


def test_an_album_counts_as_its_items() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock)

    pacer.reserve(-5, group=True, count=10)
    pacer.reserve(-5, group=True, count=10)
    third = pacer.reserve(-5, group=True, count=1)

    assert third >= clock.now + 60.0


def test_an_album_bigger_than_a_private_window_waits_for_an_empty_window() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock)

    first = pacer.reserve(7, group=False, count=10)  # ten photos to one person
    second = pacer.reserve(7, group=False, count=10)
    reply = pacer.reserve(7, group=False)

    assert first == clock.now  # an empty window takes even a big album at once
    assert second >= first + 3.0  # the next waits until the whole album left the window
    assert reply >= second + 3.0


async def test_a_pause_that_arrives_during_a_wait_holds_the_waiter() -> None:
    clock = FakeClock()
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 1:
            pacer.pause(5)  # Telegram said 429 while we waited for our slot
        clock.now += seconds

    pacer = Pacer(clock=clock, sleep=sleep)
    for _ in range(3):
        pacer.reserve(7, group=False)

    await pacer.acquire(7, group=False)  # the fourth waits about 3 s for the window

    assert len(slept) == 2  # the slot's wait, then what was left of the pause
    assert clock.now >= 100.0 + 5.0
