"""The pacer's memory stays bounded: it keeps the chats written to within the last window,
not every chat it has ever written to (a fake clock: no waiting, no wall time)."""

from __future__ import annotations

from bot.runtime.pacing import Pacer


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_hundred_thousand_chats_are_forgotten_once_their_windows_have_passed() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock)
    group_window, _ = pacer.limits.window(group=True)
    most = 0
    for n in range(100_000):
        # half groups, half private chats, each written to once, as fast as allowed
        chat = -1_000_000 - n if n % 2 else 1_000_000 + n
        clock.now = pacer.reserve(chat, group=chat < 0)  # the message goes at its slot
        most = max(most, pacer.chats_kept)

    # at most the chats of about two group windows (29 a second), never all 100,000
    assert most <= 2 * group_window / pacer.limits.spacing + 10
    clock.now += group_window
    pacer.reserve(42, group=False)  # the next send, a while later
    assert pacer.chats_kept == 1


def test_a_chat_still_inside_its_window_is_not_forgotten() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock)
    pacer.reserve(1, group=False)
    clock.now += 30.0
    first = [pacer.reserve(-5, group=True) for _ in range(20)]
    clock.now += 35.0  # the group's minute is not over, and the others are long gone
    pacer.reserve(2, group=False)  # a send that sweeps the stale chats

    assert pacer.chats_kept == 2  # the group and the chat written to just now
    assert pacer.reserve(-5, group=True) >= first[0] + 60.0  # the 21st still waits
