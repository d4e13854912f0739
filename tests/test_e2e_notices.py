"""Staff notices end to end: instructors hear who joined or left their group, instructors
and coordinators hear when the bot is removed from a group or made (or unmade) its
administrator and what that means, coordinators are reminded of tips waiting for review at
most once a day, and an author hears why their tip was rejected. Each notice comes once, in
its reader's language, however often Telegram repeats an update; forged buttons and a
reason too long change nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from bot.payload import TextContent
from bot.services.notices import StaffNotices
from emulator import ApiCall
from testing.harness import RunningBot
from tests.test_e2e_privacy import found_anywhere, rows

Json = dict[str, Any]
ADMIN_ID = 1000  # the bot fixture's KANNUSTIN_ADMINS
HELSINKI = dt.timezone(dt.timedelta(hours=2))  # the deployment's zone in winter


def told(bot: RunningBot, person: Json, start: str) -> list[str]:
    """What the bot said to the person in private that starts with ``start``."""
    return [
        call.text
        for call in bot.emulator.sent("sendMessage", chat_id=person["id"])
        if call.text is not None and call.text.startswith(start)
    ]


def starting(text: str) -> Callable[[ApiCall], bool]:
    return lambda call: (call.text or "").startswith(text)


async def settled(bot: RunningBot) -> None:
    """Every update so far handled, and every message it wrote sent."""
    await bot.handled_everything()
    await bot.services.outbox.drained()


def payload_in(reply: ApiCall) -> str:
    match = re.search(r"\?start=([A-Za-z0-9_-]+)", reply.text or "")
    assert match is not None, reply.text
    return match[1]


# Co-instructors -------------------------------------------------------------------------------


async def three_instructors(bot: RunningBot) -> tuple[Json, Json, Json]:
    """Ilkka (en) leads the walking group; Tuula (sv) joins with his link, Fanni (fi) with
    Tuula's."""
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="en")
    tuula = emulator.user(3001, "Tuula", language_code="sv")
    fanni = emulator.user(3002, "Fanni", language_code="fi")
    await bot.registered_group(ilkka, -100, "Walking group")
    link = await bot.say(ilkka, "/invite instructor 1")
    await bot.say(tuula, f"/start {payload_in(link)}")
    await emulator.wait_for(
        "sendMessage", chat_id=ilkka["id"], where=starting("Tuula is now also an instructor")
    )
    # the same link again changes nothing, and tells nobody anything new
    again = await bot.say(tuula, f"/start {payload_in(link)}")
    assert again.text == "Den här inbjudan har redan använts. Be om en ny."
    link = await bot.say(tuula, "/invite handledare 1")
    await bot.say(fanni, f"/start {payload_in(link)}")
    await settled(bot)
    return ilkka, tuula, fanni


async def test_instructors_hear_once_in_their_language_who_joined_their_group(
    bot: RunningBot,
) -> None:
    ilkka, tuula, fanni = await three_instructors(bot)

    assert told(bot, ilkka, "Tuula is") == [
        "Tuula is now also an instructor of the group Walking group."
    ]
    assert told(bot, ilkka, "Fanni is") == [
        "Fanni is now also an instructor of the group Walking group."
    ]
    assert told(bot, tuula, "Fanni") == ["Fanni är nu också handledare för gruppen Walking group."]
    # nobody is told about themselves, and a newcomer hears of no one
    assert told(bot, tuula, "Tuula") == []
    assert [c.text for c in bot.emulator.sent("sendMessage", chat_id=fanni["id"])] == [
        "Tervetuloa! Olet nyt ryhmän Walking group ohjaaja (Espoo). "
        "Kirjoita /help, niin näet komentosi."
    ]


async def test_when_a_co_instructor_is_erased_the_others_hear_one_left_but_not_who(
    bot: RunningBot,
) -> None:
    ilkka, tuula, fanni = await three_instructors(bot)

    asked = await bot.say(tuula, "/forgetme")
    mark = bot.emulator.mark()
    await bot.press(tuula, asked.result, asked.buttons()[0][1])  # yes, erase me
    erased = await bot.emulator.wait_for("editMessageText", chat_id=tuula["id"], after=mark)
    assert (erased.text or "").startswith("Du har raderats.")
    await settled(bot)

    assert told(bot, ilkka, "One of the instructors") == [
        "One of the instructors of the group Walking group has left it. You still lead it."
    ]
    assert told(bot, fanni, "Yksi ryhmän") == [
        "Yksi ryhmän Walking group ohjaajista on lähtenyt. Sinä ohjaat ryhmää edelleen."
    ]
    assert [c for c in bot.emulator.calls[mark:] if c.chat_id == tuula["id"]] == [erased]
    # the notices that named her keep nothing of her: not her id, not her name
    assert await found_anywhere(bot, tuula["id"], ("Tuula",)) == []
    stored = await rows(bot, "SELECT content FROM outbox WHERE chat_id = :id", id=ilkka["id"])
    assert any("a group member is now also an instructor" in row[0] for row in stored)


# The bot in a group ----------------------------------------------------------------------------


async def test_staff_hear_once_when_the_bot_is_made_admin_unmade_or_removed(
    bot: RunningBot,
) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="en")
    kaisa = emulator.user(2000, "Kaisa", language_code="fi")
    vera = emulator.user(2001, "Vera", language_code="sv")
    await bot.make_staff(ilkka)
    await bot.make_staff(kaisa, role="coordinator")
    await bot.make_staff(vera, role="coordinator", organisation="Vantaa")
    group = emulator.group(-100, "Walking group")
    await emulator.bot_added(ilkka, group, admin=False)
    await emulator.wait_for("sendMessage", chat_id=ilkka["id"], where=starting("The group"))

    # Telegram may send the same change twice: each is told once
    promoted = await emulator.bot_added(ilkka, group, admin=True)
    assert promoted is not None
    await emulator.push_update("my_chat_member", promoted["my_chat_member"])
    await settled(bot)
    assert told(bot, ilkka, "I am now an administrator") == [
        "I am now an administrator of the group Walking group. Telegram tells me about every "
        "message, who joins and leaves, and reactions, so the group's figures are complete. "
        "I still never store what messages say."
    ]
    assert len(told(bot, kaisa, "Olen nyt ryhmän Walking group ylläpitäjä.")) == 1

    demoted = await emulator.bot_added(ilkka, group, admin=False)
    assert demoted is not None
    await emulator.push_update("my_chat_member", demoted["my_chat_member"])
    await settled(bot)
    (unmade,) = told(bot, ilkka, "I am no longer an administrator")
    assert "not who joins or leaves, not reactions" in unmade
    assert "make me an administrator again" in unmade
    assert len(told(bot, kaisa, "En ole enää ryhmän Walking group ylläpitäjä.")) == 1

    removed = await emulator.bot_removed(ilkka, group)
    assert removed is not None
    await emulator.push_update("my_chat_member", removed["my_chat_member"])
    await settled(bot)
    (gone,) = told(bot, ilkka, "I was removed from the group Walking group.")
    assert "Its history is kept" in gone
    (poistettu,) = told(bot, kaisa, "Minut poistettiin ryhmästä Walking group.")
    assert "historia säilyy" in poistettu
    stored = await bot.services.groups.by_chat(group.id)
    assert stored is not None and (stored.status, stored.bot_is_admin) == ("inactive", False)
    # another organisation's coordinator hears nothing of it
    assert [c.text for c in emulator.sent("sendMessage", chat_id=vera["id"])] == []


# Contributions waiting for review --------------------------------------------------------------


async def contributions(bot: RunningBot, author: Json, count: int) -> list[int]:
    """``count`` of the author's broadcasts to their group, saved to the library: waiting."""
    services = bot.services
    group = await services.groups.by_chat(-100)
    assert group is not None
    numbers = []
    for index in range(count):
        sent, _ = await services.broadcasts.send(
            author["id"], TextContent(text=f"Rest stop {index}: the bench by the lake."), [group.id]
        )
        saved = await services.tips.contribute(author["id"], sent.id, "relaxation", "en")
        numbers.append(saved.id)
    await settled(bot)
    return numbers


async def test_coordinators_are_reminded_of_waiting_tips_at_most_once_a_day(
    bot: RunningBot,
) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="en")
    kaisa = emulator.user(2000, "Kaisa", language_code="en")
    karin = emulator.user(2001, "Karin", language_code="sv")
    vera = emulator.user(2002, "Vera", language_code="fi")
    await bot.registered_group(ilkka, -100, "Walking group")
    for coordinator in (kaisa, karin):
        await bot.make_staff(coordinator, role="coordinator")
    await bot.make_staff(vera, role="coordinator", organisation="Vantaa")
    services = bot.services

    # nothing waits: nobody is reminded
    await services.scheduler.sweep_now()
    await settled(bot)
    assert told(bot, kaisa, "") == told(bot, karin, "") == []

    first, second = await contributions(bot, ilkka, 2)
    await services.scheduler.sweep_now()  # 12:00 in Helsinki
    await services.scheduler.sweep_now()
    # a second instance (another process on the same database) finds the day claimed
    other = StaffNotices(
        services.database, bot.clock, services.translator, timezone="Europe/Helsinki"
    )
    assert await other.remind_reviewers() == 0
    await settled(bot)
    assert told(bot, kaisa, "Suggested tips") == [
        "Suggested tips are waiting for your review (Espoo): 2. Open them with /review."
    ]
    assert told(bot, karin, "Föreslagna tips") == [
        "Föreslagna tips väntar på din granskning (Espoo): 2. Öppna dem med /review."
    ]
    assert [c.text for c in emulator.sent("sendMessage", chat_id=vera["id"])] == []
    assert told(bot, ilkka, "Suggested tips") == []

    # the next morning: not before nine, then once, even with two instances at it
    bot.clock.set(dt.datetime(2026, 11, 29, 8, 30, tzinfo=HELSINKI))
    await services.scheduler.sweep_now()
    await settled(bot)
    assert len(told(bot, kaisa, "Suggested tips")) == 1
    bot.clock.set(dt.datetime(2026, 11, 29, 9, 5, tzinfo=HELSINKI))
    await services.tips.review(kaisa["id"], first, approve=True)
    reminded = await asyncio.gather(services.notices.remind_reviewers(), other.remind_reviewers())
    await settled(bot)
    assert sum(reminded) == 2  # Kaisa and Karin, once each
    assert told(bot, kaisa, "Suggested tips")[1:] == [
        "Suggested tips are waiting for your review (Espoo): 1. Open them with /review."
    ]
    assert len(told(bot, karin, "Föreslagna tips")) == 2

    # nothing waits any more: nobody is reminded the day after
    await services.tips.review(karin["id"], second, approve=False)
    bot.clock.set(dt.datetime(2026, 11, 30, 10, 0, tzinfo=HELSINKI))
    await services.scheduler.sweep_now()
    await settled(bot)
    assert len(told(bot, kaisa, "Suggested tips")) == 2
    assert len(told(bot, karin, "Föreslagna tips")) == 2


# A rejection's reason --------------------------------------------------------------------------


async def card(bot: RunningBot, coordinator: Json, number: int) -> ApiCall:
    """/review, then the card of contribution ``number`` (with its buttons)."""
    mark = bot.emulator.mark()
    await bot.emulator.send_text(coordinator, "/review")
    return await bot.emulator.wait_for(
        "sendMessage",
        chat_id=coordinator["id"],
        after=mark,
        where=lambda c: f"rv:r:{number}" in str(c.buttons()),
    )


async def edited(bot: RunningBot, person: Json, call: ApiCall, data: str) -> ApiCall:
    """Press a button under ``call``; the edit it makes."""
    mark = bot.emulator.mark()
    await bot.press(person, call.result, data)
    return await bot.emulator.wait_for("editMessageText", chat_id=person["id"], after=mark)


async def refused(bot: RunningBot, person: Json, call: ApiCall, data: str) -> str | None:
    """Press a button under ``call``; the alert it gets."""
    answer = await bot.press(person, call.result, data)
    assert answer.params.get("show_alert") is True
    text = answer.params.get("text")
    return None if text is None else str(text)


async def statuses(bot: RunningBot) -> list[tuple[Any, ...]]:
    return await rows(bot, "SELECT id, status, reviewed_by FROM contributions ORDER BY id")


async def test_a_rejection_reaches_its_author_with_the_reviewers_reason_once(
    bot: RunningBot,
) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="fi")
    kaisa = emulator.user(2000, "Kaisa", language_code="en")
    vera = emulator.user(2001, "Vera", language_code="sv")
    await bot.registered_group(ilkka, -100, "Walking group")
    await bot.make_staff(kaisa, role="coordinator")
    await bot.make_staff(vera, role="coordinator", organisation="Vantaa")
    await contributions(bot, ilkka, 2)
    first = await card(bot, kaisa, 1)
    assert first.buttons() == [("✅ Approve", "rv:a:1"), ("❌ Reject", "rv:r:1")]

    # forged, foreign and unasked presses are answered kindly and change nothing
    elsewhere = await bot.say(vera, "/review")
    assert await refused(bot, vera, elsewhere, "rv:r:1") == (
        "Det här tipset finns inte. Öppna biblioteket igen med /tip."
    )
    own = await bot.say(ilkka, "/help")
    assert await refused(bot, ilkka, own, "rv:r:1") == "Vain koordinaattori voi tehdä tämän."
    assert await refused(bot, kaisa, first, "rv:r:999") == (
        "That tip cannot be found. Open the library again with /tip."
    )
    assert await refused(bot, kaisa, first, "rv:n:1") == (
        "This question is no longer open. Open /review and press Reject again."
    )
    assert await statuses(bot) == [(1, "pending", None), (2, "pending", None)]
    assert await rows(bot, "SELECT * FROM reasons_awaited") == []

    # Reject asks why; a reason far too long is refused kindly and rejects nothing
    asked = await edited(bot, kaisa, first, "rv:r:1")
    assert asked.text == (
        "Rejecting tip #1. Why? Write the reason for its author as your next message "
        "(at most 300 characters), or press a button."
    )
    assert asked.buttons() == [("❌ Reject without a reason", "rv:n:1"), ("↩️ Back", "rv:b:1")]
    too_long = await bot.say(kaisa, "Because " * 625)
    assert too_long.text == (
        "A reason is one message of 1 to 300 characters (this one has 4999). "
        "Write it again, or press a button."
    )
    assert await statuses(bot) == [(1, "pending", None), (2, "pending", None)]

    reason = "Please say where the bench is, then send it again."
    done = await bot.say(kaisa, reason)
    assert done.text == "Tip #1 rejected. Its author is told, with your reason."
    await settled(bot)
    assert told(bot, ilkka, "Ehdottamaasi vinkkiä #1") == [
        "Ehdottamaasi vinkkiä #1 (Rentoutuminen) ei tällä kertaa otettu kirjastoon. "
        f"Tarkistajan perustelu: {reason}"
    ]
    assert await statuses(bot) == [(1, "rejected", kaisa["id"]), (2, "pending", None)]
    # the reason is kept only in the message to the author; the question is closed
    assert await found_anywhere(bot, 987_654_321, ("where the bench is",)) == ["outbox.content"]
    assert await rows(bot, "SELECT * FROM reasons_awaited") == []
    assert await refused(bot, kaisa, asked, "rv:n:1") == "That tip has already been reviewed."
    later = await bot.say(kaisa, "See you on Tuesday!")
    assert later.text == "Do you want to send this to your groups?"  # not a reason any more

    # going back, another command or a quarter hour closes the question too
    second = await card(bot, kaisa, 2)
    asked = await edited(bot, kaisa, second, "rv:r:2")
    back = await edited(bot, kaisa, asked, "rv:b:2")
    assert back.text == "Tip #2 above: by Ilkka, theme Relaxation, language 🇬🇧 English."
    assert back.buttons() == [("✅ Approve", "rv:a:2"), ("❌ Reject", "rv:r:2")]
    assert (await bot.say(kaisa, "Not a reason")).text == "Do you want to send this to your groups?"
    await edited(bot, kaisa, back, "rv:r:2")
    await bot.say(kaisa, "/help")
    assert (await bot.say(kaisa, "Nor this")).text == "Do you want to send this to your groups?"
    await bot.press(kaisa, back.result, "rv:r:2")  # (the same question: the text stays)
    assert len(await rows(bot, "SELECT * FROM reasons_awaited")) == 1
    bot.clock.advance(dt.timedelta(minutes=16))
    assert (await bot.say(kaisa, "Too late")).text == "Do you want to send this to your groups?"
    assert await refused(bot, kaisa, back, "rv:n:2") == (
        "This question is no longer open. Open /review and press Reject again."
    )
    assert await statuses(bot) == [(1, "rejected", kaisa["id"]), (2, "pending", None)]

    # without a reason: the author hears the verdict alone
    await bot.press(kaisa, back.result, "rv:r:2")
    rejected = await edited(bot, kaisa, back, "rv:n:2")
    assert rejected.text == "Tip #2 rejected. Others will not see it."
    await settled(bot)
    assert told(bot, ilkka, "Ehdottamaasi vinkkiä #2") == [
        "Ehdottamaasi vinkkiä #2 (Rentoutuminen) ei tällä kertaa otettu kirjastoon. "
        "Voit kysyä syytä koordinaattoriltasi."
    ]
    assert len(told(bot, ilkka, "Ehdottamaasi vinkkiä #1")) == 1
