"""Updates side by side, a chat's own in order (``bot/runtime/updates.py``), and flood
control of every kind of update (``bot/runtime/flood.py``), over the emulator.

A "slow" request is one the emulator holds until the test lets it go: what ran meanwhile
is read from the emulator's record of calls, never from a clock."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

from telegram import Update

from bot.clock import FixedClock
from bot.runtime.flood import FloodGuard, Verdict
from bot.runtime.pacing import PacedRateLimiter, Pacer
from bot.runtime.updates import ChatOrderedProcessor, answering_a_press, order_keys
from emulator import ApiCall, BotApiEmulator
from testing.harness import RunningBot, test_settings
from tests.test_e2e_checkins import fire_at, helsinki, participants, private
from tests.test_e2e_privacy import rows

Json = dict[str, Any]
WINDOW = dt.timedelta(seconds=10)


def texts_to(emulator: BotApiEmulator, chat_id: int, after: int = 0) -> list[str]:
    return [c.text or "" for c in emulator.calls[after:] if c.ok and c.chat_id == chat_id]


# The processor ------------------------------------------------------------------------------


def update(payload: Json) -> Update:
    return Update.de_json({"update_id": 1, **payload}, None)


AINO = {"id": 5001, "is_bot": False, "first_name": "Aino"}
BRITT = {"id": 5002, "is_bot": False, "first_name": "Britt"}


def message(person: Json, text: str) -> Update:
    """A private message of ``person``."""
    chat = {"id": person["id"], "type": "private", "first_name": person["first_name"]}
    return update({"message": {"message_id": 1, "date": 0, "chat": chat, "text": text}})


def test_an_update_waits_for_its_chat_and_a_group_press_for_its_presser_too() -> None:
    aino = {"id": 5001, "is_bot": False, "first_name": "Aino"}
    group = {"id": -100, "type": "group", "title": "Walking group"}
    private = {"id": 5001, "type": "private", "first_name": "Aino"}
    said = {"message_id": 1, "date": 0, "chat": private, "from": aino, "text": "hi"}
    in_group = {**said, "chat": group}
    posted = {"message_id": 2, "date": 0, "chat": group, "text": "Plan?"}
    pressed = {"id": "q", "from": aino, "chat_instance": "c", "message": posted, "data": "x"}

    assert order_keys(update({"message": said})) == (5001,)
    assert order_keys(update({"message": in_group})) == (-100,)
    # a press in the group changes Aino's own state: after her private updates too
    assert order_keys(update({"callback_query": pressed})) == (-100, 5001)
    assert order_keys(object()) == ()


async def test_the_processor_keeps_a_chats_order_and_lets_other_chats_pass() -> None:
    processor = ChatOrderedProcessor(workers=2)
    done: list[str] = []
    slow = asyncio.Event()

    async def handle(name: str, wait: asyncio.Event | None = None) -> None:
        if wait is not None:
            await wait.wait()
        done.append(name)

    first = asyncio.create_task(
        processor.process_update(message(AINO, "1"), handle("aino 1", slow))
    )
    second = asyncio.create_task(processor.process_update(message(AINO, "2"), handle("aino 2")))
    other = asyncio.create_task(processor.process_update(message(BRITT, "1"), handle("britt")))
    await other  # Britt is not held by Aino's slow first update
    assert done == ["britt"]
    assert processor.waiting_keys == 1  # Aino's
    slow.set()
    await asyncio.gather(first, second)
    assert done == ["britt", "aino 1", "aino 2"]
    assert processor.waiting_keys == 0  # nothing kept once nothing waits


async def test_a_free_worker_goes_to_a_waiting_command_before_waiting_presses() -> None:
    processor = ChatOrderedProcessor(workers=1)
    done: list[str] = []
    first = asyncio.Event()

    def pressed(person: Json) -> Update:
        chat = {"id": person["id"], "type": "private", "first_name": person["first_name"]}
        posted = {"message_id": 2, "date": 0, "chat": chat, "text": "Plan?"}
        query = {"id": "q", "from": person, "chat_instance": "c", "message": posted, "data": "x"}
        return update({"callback_query": query})

    async def handle(name: str, wait: asyncio.Event | None = None) -> None:
        if wait is not None:
            await wait.wait()
        done.append(name)

    eve = {"id": 5003, "is_bot": False, "first_name": "Eve"}
    tasks = [
        asyncio.create_task(processor.process_update(pressed(AINO), handle("press 1", first))),
        asyncio.create_task(processor.process_update(pressed(BRITT), handle("press 2"))),
        asyncio.create_task(processor.process_update(message(eve, "/help"), handle("command"))),
    ]
    await asyncio.sleep(0)  # all three handed over: the first press holds the only worker
    first.set()
    await asyncio.gather(*tasks)
    assert done == ["press 1", "command", "press 2"]


async def test_a_reply_waiting_for_its_chats_slot_gives_its_worker_to_other_chats() -> None:
    opened = asyncio.Event()

    async def sleep(seconds: float) -> None:
        if seconds > 1:  # a private chat's window, not the overall spacing
            await opened.wait()

    pacer = Pacer(clock=lambda: 100.0, sleep=sleep)
    for _ in range(3):
        pacer.reserve(AINO["id"], group=False)  # Aino's chat has had its three a moment ago
    limiter = PacedRateLimiter(pacer)
    processor = ChatOrderedProcessor(workers=1)  # one worker: nobody could pass otherwise
    sent: list[int] = []

    async def reply(chat_id: int) -> None:
        async def request() -> bool:
            sent.append(chat_id)
            return True

        data = {"chat_id": chat_id, "text": "hi"}
        await limiter.process_request(request, (), {}, "sendMessage", data, None)

    waiting = asyncio.create_task(processor.process_update(message(AINO, "4"), reply(5001)))
    await asyncio.wait_for(processor.process_update(message(BRITT, "1"), reply(5002)), 10)
    assert sent == [5002]  # Britt's reply went while Aino's waited for her slot
    opened.set()
    await waiting
    assert sent == [5002, 5001]


async def test_a_message_answering_a_press_lets_others_answers_go_first() -> None:
    now = [0.0]

    async def sleep(seconds: float) -> None:
        await asyncio.sleep(0)
        now[0] += seconds

    pacer = Pacer(clock=lambda: now[0], sleep=sleep)
    for chat_id in range(1, 31):  # a second's worth of answers, reserved
        pacer.reserve(chat_id, group=False)
    pressed: list[float] = []

    async def press() -> None:
        await pacer.acquire_behind(99, group=False)
        pressed.append(now[0])

    waiting = asyncio.create_task(press())
    await asyncio.sleep(0)  # the press's message waits for room
    command = pacer.reserve(100, group=False)  # a command's answer asked for meanwhile
    await waiting
    assert command < pressed[0]  # the command's answer went first
    assert command - 30 * pacer.limits.spacing < 0.01  # right after those reserved before


async def test_the_processor_says_which_updates_answer_a_press() -> None:
    processor = ChatOrderedProcessor()
    seen: list[bool] = []

    async def handle() -> None:
        seen.append(answering_a_press())

    chat = {"id": 5001, "type": "private", "first_name": "Aino"}
    posted = {"message_id": 2, "date": 0, "chat": chat, "text": "Plan?"}
    query = {"id": "q", "from": AINO, "chat_instance": "c", "message": posted, "data": "x"}
    await processor.process_update(update({"callback_query": query}), handle())
    await processor.process_update(message(AINO, "hi"), handle())
    assert seen == [True, False]
    assert not answering_a_press()  # outside an update


# Over the emulator --------------------------------------------------------------------------


async def test_a_slow_reply_in_one_chat_holds_back_no_other_chat(bot: RunningBot) -> None:
    emulator = bot.emulator
    aino = emulator.user(5001, "Aino", language_code="en")
    britt = emulator.user(5002, "Britt", language_code="en")
    await bot.say(aino, "/help")  # both are known
    await bot.say(britt, "/help")

    slow = emulator.hold(method="sendMessage", chat_id=aino["id"])
    mark = emulator.mark()
    await emulator.send_text(aino, "/help")
    await asyncio.wait_for(slow.arrived.wait(), 30)  # Aino's answer hangs in the network
    answered = await bot.say(britt, "/help")
    assert (answered.text or "").startswith("You can use these commands:")
    assert texts_to(emulator, aino["id"], mark) == []  # Aino's handler is still waiting
    slow.release()
    late = await emulator.wait_for("sendMessage", chat_id=aino["id"], after=mark)
    assert emulator.calls.index(answered) < emulator.calls.index(late)


async def test_a_persons_quick_compose_is_handled_in_order(bot: RunningBot) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="en")
    await bot.registered_group(ilkka, -100, "Walking group")
    other = emulator.user(5002, "Britt", language_code="en")
    await bot.say(other, "/help")

    slow = emulator.hold(method="sendMessage", chat_id=ilkka["id"])
    mark = emulator.mark()
    # the command and the content at once, as a quick thumb sends them
    await emulator.send_text(ilkka, "/broadcast")
    await emulator.send_text(ilkka, "Remember our walk on Tuesday!")
    await asyncio.wait_for(slow.arrived.wait(), 30)
    await bot.say(other, "/help")  # others go on meanwhile
    # the content waits for the command's answer: nothing of it has been handled
    assert texts_to(emulator, ilkka["id"], mark) == []
    slow.release()
    picker = await emulator.wait_for(
        "sendMessage",
        chat_id=ilkka["id"],
        after=mark,
        where=lambda c: (c.text or "").startswith("Which groups"),
    )
    said = texts_to(emulator, ilkka["id"], mark)
    assert said[0].startswith("Send me what you want to share")
    assert said[-1] == picker.text


async def test_many_participants_pressing_check_in_at_once_are_all_counted(
    emulator: BotApiEmulator, tmp_path: Path, clock: FixedClock
) -> None:
    bot = RunningBot(test_settings(emulator, tmp_path / "bot.db", admins="1000"), emulator, clock)
    await bot.start()
    try:
        ilkka = emulator.user(3000, "Ilkka", language_code="fi")
        group = await bot.registered_group(ilkka, -100, "Kävelyryhmä")
        people = [emulator.user(6000 + n, f"P{n}", language_code="fi") for n in range(20)]
        await participants(bot, group, people, consenting=len(people))
        await bot.set_meetings(ilkka, "/meetings ti 14:00 1.12. x2", chat=group)
        mark = await fire_at(bot, clock, helsinki("2026-12-01", "16:00"))
        invitations: list[ApiCall] = [
            await private(bot, person, mark, "Tämän viikon pieni suunnitelma") for person in people
        ]

        # everyone presses "8" in the same instant
        await asyncio.gather(
            *(
                emulator.press_button(person, invite.result, dict(invite.buttons())["8"])
                for person, invite in zip(people, invitations, strict=True)
            )
        )
        await bot.handled_everything()
        for person in people:
            answer = await emulator.wait_for(
                "sendMessage",
                chat_id=person["id"],
                after=mark,
                where=lambda c: (c.text or "").startswith("Hienoa! Varmuutesi: 8/10."),
            )
            assert answer.ok
        stored = await bot.services.groups.by_chat(group.id)
        assert stored is not None
        async with bot.services.database.transaction() as tx:
            (week,) = await tx.analytics.checkins_by_week([stored.id])
        assert (week.invited, week.planned, week.confidence_sum) == (20, 20, 160)
        await bot.services.events.flush()
        assert await rows(bot, "SELECT COUNT(*) FROM events WHERE kind = 'check-in'") == [(20,)]
    finally:
        await bot.stop()


# Flood control ------------------------------------------------------------------------------


async def test_a_stranger_gets_a_lower_limit_looked_up_once_per_burst() -> None:
    now = [0.0]
    asked: list[int] = []

    async def stranger() -> bool:
        asked.append(1)
        return False

    async def member() -> bool:
        return True

    guard = FloodGuard(5, 2, window=10.0, now=lambda: now[0])
    verdicts = [await guard.check(7, belongs=stranger) for _ in range(4)]
    assert verdicts == [Verdict.GO, Verdict.GO, Verdict.WARN, Verdict.DROP]
    assert len(asked) == 1
    verdicts = [await guard.check(8, belongs=member) for _ in range(7)]
    assert verdicts == [Verdict.GO] * 5 + [Verdict.WARN, Verdict.DROP]
    # an album's photos count once
    assert [await guard.check(9, album="a1") for _ in range(10)] == [Verdict.GO] * 10


async def test_the_flood_guard_forgets_idle_people() -> None:
    now = [0.0]
    guard = FloodGuard(5, 2, window=10.0, people=1_000, now=lambda: now[0])
    for person_id in range(5_000):
        await guard.check(person_id)
    assert guard.people == 1_000  # the least recently active went first
    now[0] = 10.0  # everyone's window is empty
    await guard.check(1)
    assert guard.people == 1


async def test_floods_of_every_kind_get_one_notice_then_silence(
    emulator: BotApiEmulator, tmp_path: Path, clock: FixedClock
) -> None:
    settings = test_settings(
        emulator, tmp_path / "bot.db", admins="1000", flood_limit=4, stranger_limit=2
    )
    bot = RunningBot(settings, emulator, clock)
    await bot.start()
    try:
        ilkka = emulator.user(3000, "Ilkka", language_code="fi")
        group = await bot.registered_group(ilkka, -100, "Kävelyryhmä")
        aino = emulator.user(5001, "Aino", language_code="en")
        await participants(bot, group, [aino], consenting=1)
        clock.advance(WINDOW)

        # a stranger's private texts: two answered, one notice, then nothing
        stranger = emulator.user(7777, "Vieras", language_code="sv")
        mark = emulator.mark()
        for n in range(6):
            await emulator.send_text(stranger, f"hej {n}")
        await bot.handled_quietly()
        said = texts_to(emulator, stranger["id"], mark)
        assert len(said) == 3
        assert said[2] == "Det blev mycket på en gång. Vänta en stund och försök sedan igen."

        # a participant's commands in the group: four answered, one notice in the group's
        # language, then nothing
        mark = emulator.mark()
        for _ in range(7):
            await emulator.send_text(aino, "/privacy", chat=group)
        await bot.handled_quietly()
        said = texts_to(emulator, group.id, mark)
        assert len(said) == 5
        assert said[4] == "Tuli paljon kerralla. Odota hetki ja yritä sitten uudelleen."

        clock.advance(WINDOW)
        # button presses: four handled, a "slow down" over the button (in the language she
        # chose last), then no answer
        menu = await bot.say(aino, "/language")
        clock.advance(WINDOW)
        mark = emulator.mark()
        choices = dict(menu.buttons())
        for n in range(6):  # Svenska, English, ...: each press changes the message
            label = "English" if n % 2 else "Svenska"
            await emulator.press_button(aino, menu.result, choices[label])
        await bot.handled_quietly()
        answered = [c for c in emulator.calls[mark:] if c.method == "answerCallbackQuery"]
        assert len(answered) == 5
        assert answered[4].params.get("text") == (
            "That was a lot at once. Please wait a moment, then try again."
        )

        # reactions: counted too, let go quietly (nothing to answer)
        clock.advance(WINDOW)
        await bot.services.events.flush()
        before = await rows(bot, "SELECT COUNT(*) FROM events WHERE kind = 'reaction'")
        mark = emulator.mark()
        for n in range(6):
            await emulator.reaction(aino, group, n + 1, old=[], new=["👍"])
        await bot.handled_quietly()
        await bot.services.events.flush()
        after = await rows(bot, "SELECT COUNT(*) FROM events WHERE kind = 'reaction'")
        assert after[0][0] - before[0][0] == 4
        assert texts_to(emulator, group.id, mark) == []
        assert texts_to(emulator, aino["id"], mark) == []
    finally:
        await bot.stop()
