"""Whether one busy person holds up everybody: the admins' /help answered while others
load the bot, end to end over HTTP through the Bot API emulator.

    python -m benchmarks.responsive [--texts 200] [--pressers 50] [--seconds 8] [--groups 1000]

Admins who take no part in the load ask /help over and over (five of them in turn, each
every 1.3 s, inside their private chat's own limit, also from one phase to the next), and
the time to each
answer is measured: quiet, then while a stranger sends ``--texts`` private messages as
fast as they go, then while ``--pressers`` participants press their check-in button in
the same second, then while a broadcast goes to ``--groups`` groups with the emulator
enforcing Telegram's limits. Prints p50, p99 and max of each (target: p99 < 300 ms,
max < 1 s); for the broadcast also its time from the first send to the last against the
minimum at 30 a second (target: at most 1.05 times it) and the 429s. Then
``benchmarks.replies`` for 200 people sending commands at once (the replies-per-second
ceiling and the latency percentiles). The deployment's own flood limits are used (the
tests turn them off). On PostgreSQL when ``KANNUSTIN_TEST_POSTGRES`` names a server.

During the broadcast the admins ask less often (all together once every
``BROADCAST_PROBE_EVERY`` seconds): every answer takes a slot of the same 30 a second, so
five admins asking every 1.3 s (3.8 answers a second) alone would stretch the broadcast
past 1.05 times its minimum.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from benchmarks import replies
from benchmarks.broadcast import TEXT, broadcast_groups, undelivered
from bot.payload import TextContent
from bot.settings import Settings
from emulator import BotApiEmulator, RateLimits
from emulator.limits import RateLimiter
from testing.databases import drop_created, which
from testing.harness import TOKEN, RunningBot, benchmark_bot

ADMINS = [1000 + n for n in range(5)]
PROBE_EVERY = 1.3  # seconds between one admin's questions: within their chat's limits
GIVE_UP = 30.0  # a /help unanswered this long counts as this long
BROADCAST_PROBE_EVERY = 3.0  # seconds between two admins' questions during the broadcast


def deployment_limits() -> dict[str, Any]:
    """The default flood limits (the test settings raise them), by whichever names this
    version of the settings has."""
    fields = Settings.model_fields
    return {
        name: fields[name].default
        for name in ("flood_limit", "stranger_limit", "command_limit")
        if name in fields
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


class Pace:
    """When each admin last asked, across the phases: a phase that begins just after
    another must not make an admin ask twice inside their private chat's own limit (the
    pacer would then hold the answer back, and that wait is not what is measured)."""

    def __init__(self) -> None:
        self._asked: dict[int, float] = {}

    async def ready(self, admin: int, every: float) -> None:
        """Until ``every`` seconds since the admin last asked."""
        last = self._asked.get(admin)
        if last is not None:
            await asyncio.sleep(max(0.0, last + every - time.perf_counter()))

    def asked(self, admin: int) -> None:
        self._asked[admin] = time.perf_counter()


PACE = Pace()


async def latencies_while(
    bot: RunningBot,
    seconds: float,
    load: Callable[[], Awaitable[None]],
    every: float = PROBE_EVERY,
) -> list[float]:
    """Run ``load`` while the admins ask /help (each every ``every`` seconds) for
    ``seconds`` and until the load is over; their latencies."""
    emulator = bot.emulator
    admins = [emulator.user(person, f"Admin {person}", language_code="en") for person in ADMINS]
    latencies: list[float] = []
    stop = time.perf_counter() + seconds
    loaded = asyncio.Event()

    async def loading() -> None:
        try:
            await load()
        finally:
            loaded.set()

    async def ask(admin: dict[str, Any], delay: float) -> None:
        await asyncio.sleep(delay)
        while True:
            await PACE.ready(admin["id"], every)
            if time.perf_counter() >= stop and loaded.is_set():
                return
            PACE.asked(admin["id"])
            began = time.perf_counter()
            try:
                await bot.say(admin, "/help", timeout=GIVE_UP)
                latencies.append(time.perf_counter() - began)
            except AssertionError:
                latencies.append(GIVE_UP)

    stagger = every / len(admins)
    await asyncio.gather(loading(), *(ask(admin, n * stagger) for n, admin in enumerate(admins)))
    return latencies


def summary(latencies: list[float]) -> str:
    return (
        f"{len(latencies)} answers: p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    )


async def probing(
    bot: RunningBot,
    seconds: float,
    load: Callable[[], Awaitable[None]],
    every: float = PROBE_EVERY,
) -> str:
    """``latencies_while``, summed up."""
    return summary(await latencies_while(bot, seconds, load, every))


async def check_in_invitations(bot: RunningBot, people: list[dict[str, Any]]) -> list[Any]:
    """A registered group whose ``people`` consented; their week's check-in invitation."""
    emulator, services = bot.emulator, bot.services
    instructor = emulator.user(3000, "Ilkka", language_code="fi")
    group_chat = await bot.registered_group(instructor, -100, "Kävelyryhmä")
    for person in people:
        await emulator.member_joined(person, group_chat)
        emulator.open_private_chat(person)
    await bot.set_meetings(instructor, "/meetings ti 14:00 1.12. x2", chat=group_chat)
    group = await services.groups.by_chat(group_chat.id)
    assert group is not None and group.organisation_id is not None
    for person in people:
        await services.consent.give(person["id"], group.organisation_id)
    mark = emulator.mark()
    async with services.database.transaction() as tx:
        meeting = (await tx.meetings.meetings(group.id))[0]
        await services.checkins.invite(tx, group, meeting)
    services.outbox.wake()
    return [
        await emulator.wait_for(
            "sendMessage",
            chat_id=person["id"],
            after=mark,
            where=lambda call: "ck:c:" in str(call.params.get("reply_markup")),
        )
        for person in people
    ]


async def broadcast_case(bot: RunningBot, group_count: int) -> str:
    """The admins' /help while a broadcast goes to ``group_count`` groups, the emulator
    enforcing Telegram's limits; with the broadcast's time and the 429s."""
    emulator = bot.emulator
    group_ids = await broadcast_groups(bot, group_count)
    emulator.rate_limiter = RateLimiter(RateLimits.telegram(), time.monotonic)
    refused = emulator.counters.rate_limited
    mark = emulator.mark()

    async def broadcast() -> None:
        await bot.services.broadcasts.send(None, TextContent(text=TEXT), group_ids)
        while await undelivered(bot):  # noqa: ASYNC110 - the outbox is in the database
            await asyncio.sleep(0.1)

    answers = await probing(bot, 0.0, broadcast, every=BROADCAST_PROBE_EVERY * len(ADMINS))
    sent = [
        call.at
        for call in emulator.calls[mark:]
        if call.method == "sendMessage" and call.ok and call.params.get("text") == TEXT
    ]
    first, last = min(sent), max(sent)
    answered = sum(  # the answers to the admins sent meanwhile, in the same 30 a second
        1
        for call in emulator.calls[mark:]
        if call.method == "sendMessage"
        and call.ok
        and call.chat_id in ADMINS
        and first <= call.at <= last
    )
    took = last - first
    minimum = (group_count - 1) / 30  # from the first send to the last
    everything = (len(sent) + answered - 1) / 30
    return (
        f"{answers}\n  broadcast: {len(sent)} of {group_count} groups in {took:.1f} s from the "
        f"first send to the last (minimum at 30/s {minimum:.1f} s, ratio {took / minimum:.3f}; "
        f"with the {answered} answers to the admins meanwhile {everything:.1f} s, ratio "
        f"{took / everything:.3f}); 429 answers: {emulator.counters.rate_limited - refused}"
    )


async def cases(bot: RunningBot, texts: int, pressers: int, seconds: float, groups: int) -> None:
    emulator = bot.emulator
    people = [emulator.user(6000 + n, f"P{n}", language_code="fi") for n in range(pressers)]
    invitations = await check_in_invitations(bot, people)

    async def nothing() -> None:
        return None

    stranger = emulator.user(7777, "Stranger", language_code="en")

    async def flood() -> None:
        for n in range(texts):
            await emulator.send_text(stranger, f"hello {n}")

    async def press() -> None:
        await asyncio.gather(
            *(
                emulator.press_button(person, call.result, dict(call.buttons())["8"])
                for person, call in zip(people, invitations, strict=True)
            )
        )

    print(f"admins' /help, quiet: {await probing(bot, seconds, nothing)}")
    flooded = await probing(bot, seconds, flood)
    print(f"admins' /help, a stranger sends {texts} texts: {flooded}")
    print(
        f"admins' /help, {pressers} check-in presses at once: {await probing(bot, seconds, press)}"
    )
    if groups:
        print(f"admins' /help, a broadcast to {groups} groups: {await broadcast_case(bot, groups)}")


async def measure(texts: int, pressers: int, seconds: float, groups: int) -> None:
    emulator = BotApiEmulator(TOKEN)
    await emulator.start()
    with tempfile.TemporaryDirectory() as folder:
        bot = benchmark_bot(
            emulator,
            Path(folder) / "bench.db",
            admins=",".join(map(str, ADMINS)),
            **deployment_limits(),
        )
        await bot.start()
        try:
            await cases(bot, texts, pressers, seconds, groups)
        finally:  # a case that fails must not leave the bot running (and this waiting)
            await bot.stop()
            await emulator.stop()
    print("200 people sending commands at once (3 each):")
    await replies.measure(200, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=200)
    parser.add_argument("--pressers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--groups", type=int, default=1000, help="0: no broadcast")
    arguments = parser.parse_args()
    print(f"database: {which()}")
    try:
        asyncio.run(
            measure(arguments.texts, arguments.pressers, arguments.seconds, arguments.groups)
        )
    finally:
        drop_created()


if __name__ == "__main__":
    main()
