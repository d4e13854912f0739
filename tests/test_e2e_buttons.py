"""Snappy previews and buttons that look used, over real HTTP: an album's preview is one
album and one message with the buttons, its press answered before either goes out; a
pressed Send now, Schedule for later, confidence key or Tell the group makes way for the
choice made, and a second press (a replay, a forged press) changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from bot.clock import FixedClock
from bot.i18n import Translator
from bot.runtime.wiring import build_services
from content import load_library
from emulator import ApiCall
from storage import Database
from testing.harness import RunningBot
from tests.test_e2e_broadcast import press_and_wait
from tests.test_e2e_checkins import fire_at, helsinki, private, walking_group

Json = dict[str, Any]

# per language: the preview's note, the recipients line, Send now, the spent notice
WORDS = {
    "fi": (
        "Yllä näet, miltä viesti näyttää ryhmässä.",
        "Vastaanottajat (2): Walking group, Chair yoga",
        "Lähetä nyt",
        "Tämä painike on jo käytetty. Valintasi näkyy viestissä.",
    ),
    "sv": (
        "Ovan ser du hur meddelandet syns i gruppen.",
        "Mottagare (2): Walking group, Chair yoga",
        "Skicka nu",
        "Den här knappen har redan använts. Ditt val syns i meddelandet.",
    ),
    "en": (
        "Above is how it will look in the group.",
        "Recipients (2): Walking group, Chair yoga",
        "Send now",
        "This button has already been used. Your choice is shown in the message.",
    ),
}
SPENT = {language: words[3] for language, words in WORDS.items()}


async def picker_with_all_groups(bot: RunningBot, instructor: Json) -> ApiCall:
    """From the offer under the content just sent to the picker with every group ticked."""
    offer = await bot.emulator.wait_for(
        "sendMessage",
        chat_id=instructor["id"],
        where=lambda c: "bc:start" in str(c.params.get("reply_markup")),
    )
    picker = await press_and_wait(bot, instructor, offer, "bc:start", "editMessageText")
    return await press_and_wait(bot, instructor, picker, "bc:all", "editMessageText")


async def use(bot: RunningBot, person: Json, call: ApiCall, data: str) -> ApiCall:
    """The person presses ``data`` under ``call``; returns the answer below, once the
    pressed message has been edited too."""
    mark = bot.emulator.mark()
    await bot.press(person, call.result, data)
    reply = await bot.emulator.wait_for("sendMessage", chat_id=person["id"], after=mark)
    await bot.emulator.wait_for(
        "editMessageText",
        chat_id=person["id"],
        after=mark,
        where=lambda edit: edit.params["message_id"] == call.result["message_id"],
    )
    return reply


def shown(bot: RunningBot, call: ApiCall) -> Json:
    """The message ``call`` sent, as its chat shows it now (after any edit)."""
    return bot.emulator.message(call.result["chat"]["id"], call.result["message_id"])


def buttons_of(message: Json) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [button["callback_data"] for row in markup.get("inline_keyboard", []) for button in row]


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_an_album_preview_is_one_album_and_one_message_and_send_now_is_spent(
    bot: RunningBot, language: str
) -> None:
    emulator = bot.emulator
    note, recipients, send_now, spent = WORDS[language]
    ilkka = emulator.user(3000, "Ilkka", language_code=language)
    walking = await bot.registered_group(ilkka, -100, "Walking group")
    await bot.registered_group(ilkka, -200, "Chair yoga")
    for index in range(3):
        await emulator.send_media(
            ilkka, "photo", caption="Our walk" if index == 0 else None, media_group_id="a3"
        )
    picker = await picker_with_all_groups(bot, ilkka)

    mark = emulator.mark()
    query_id = await emulator.press_button(ilkka, picker.result, "bc:done")
    choice = await emulator.wait_for(
        "sendMessage",
        chat_id=ilkka["id"],
        after=mark,
        where=lambda c: "bc:now" in str(c.params.get("reply_markup")),
    )
    # the press is answered first, then one album and one message with the buttons
    preview = [
        call
        for call in emulator.calls[mark:]
        if call.ok
        and (call.chat_id == ilkka["id"] or call.params.get("callback_query_id") == query_id)
    ]
    assert [call.method for call in preview] == [
        "answerCallbackQuery",
        "sendMediaGroup",
        "sendMessage",
    ]
    assert [item["type"] for item in preview[1].params["media"]] == ["photo"] * 3
    assert preview[1].params["media"][0]["caption"] == "Our walk"
    assert choice.text == f"{note}\n{recipients}"
    assert [data for _, data in choice.buttons()] == ["bc:now", "bc:later", "bc:drop"]

    # Send now: the buttons make way for the choice; the answer comes below
    await use(bot, ilkka, choice, "bc:now")
    after_use = shown(bot, choice)
    assert after_use["text"] == f"{note}\n{recipients}\n\n✓ {send_now}"
    assert buttons_of(after_use) == []

    # a second press (a replay) is told so and sends nothing more
    await bot.services.outbox.drained()
    mark = emulator.mark()
    for data in ("bc:now", "bc:later", "bc:drop"):
        again = await bot.press(ilkka, choice.result, data)
        assert again.params["text"] == spent
    await bot.handled_everything()
    await bot.services.outbox.drained()
    assert [c for c in emulator.calls[mark:] if c.chat_id in (ilkka["id"], walking.id)] == []
    assert len(emulator.sent("sendMediaGroup", chat_id=walking.id)) == 1
    assert len(await bot.services.broadcasts.recent_for(ilkka["id"])) == 1


async def test_schedule_for_later_and_cancel_are_spent_too(bot: RunningBot) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="en")
    await bot.registered_group(ilkka, -100, "Walking group")
    await bot.registered_group(ilkka, -200, "Chair yoga")
    await emulator.send_text(ilkka, "Walk on Tuesday")
    picker = await picker_with_all_groups(bot, ilkka)
    await bot.press(ilkka, picker.result, "bc:done")
    choice = await emulator.wait_for(
        "sendMessage", chat_id=ilkka["id"], where=lambda c: "bc:later" in str(c.buttons())
    )

    asked = await use(bot, ilkka, choice, "bc:later")
    assert (asked.text or "").startswith("When should it go out?")
    assert shown(bot, choice)["text"].endswith("\n\n✓ Schedule for later")
    assert buttons_of(shown(bot, choice)) == []
    again = await bot.press(ilkka, choice.result, "bc:now")  # the draft waits for its time
    assert again.params["text"] == SPENT["en"]
    scheduled = await bot.say(ilkka, "tomorrow 9")
    assert (scheduled.text or "").startswith("Scheduled: 29 Nov 2026, 9.00, 2 groups")
    assert [s.broadcast.id for s in await bot.services.broadcasts.scheduled_for(ilkka["id"])] == [1]

    # Cancel on a fresh preview: the message says so and has no buttons left to press
    await emulator.send_text(ilkka, "Another one")
    picker = await picker_with_all_groups(bot, ilkka)
    mark = emulator.mark()
    await bot.press(ilkka, picker.result, "bc:done")
    second = await emulator.wait_for(
        "sendMessage",
        chat_id=ilkka["id"],
        after=mark,
        where=lambda c: "bc:drop" in str(c.buttons()),
    )
    dropped = await press_and_wait(bot, ilkka, second, "bc:drop", "editMessageText")
    assert dropped.text == "All right, nothing was sent."
    assert buttons_of(shown(bot, second)) == []
    again = await bot.press(ilkka, second.result, "bc:now")
    assert again.params["text"] == SPENT["en"]
    assert len(await bot.services.broadcasts.scheduled_for(ilkka["id"])) == 1
    assert await bot.services.broadcasts.draft(ilkka["id"]) is None


async def test_confidence_keys_and_tell_the_group_make_way_for_the_choice(
    bot: RunningBot, clock: FixedClock
) -> None:
    emulator = bot.emulator
    _, group, people = await walking_group(bot, consenting=3)
    starts = {
        "fi": ("Tämän viikon pieni suunnitelma", "Miten viikon suunnitelmasi etenee?"),
        "sv": ("Veckans lilla plan", "Hur går det med veckans plan?"),
        "en": ("This week's small plan", "How is your plan for the week going?"),
    }

    mark = await fire_at(bot, clock, helsinki("2026-12-01", "16:00"))
    for person in people:
        language = person["language_code"]
        invite = await private(bot, person, mark, starts[language][0])
        eight = dict(invite.buttons())["8"]
        await use(bot, person, invite, eight)
        after_use = shown(bot, invite)
        assert after_use["text"] == f"{invite.text}\n\n✓ 8"
        assert buttons_of(after_use) == []
        # the key pressed again, or another key of the spent keyboard: nothing changes
        for data in (eight, eight.removesuffix(":8") + ":3"):
            again = await bot.press(person, invite.result, data)
            assert again.params["text"] == SPENT[language]
    async with bot.services.database.transaction() as tx:
        rows = await tx.checkins.of_meeting(1)
    assert sorted((row.confidence, row.ratings) for row in rows) == [(8, 1)] * 3

    # mid-week: each says done; Aino and Carl tell the group, Britt keeps it to herself
    mark = await fire_at(bot, clock, helsinki("2026-12-04", "12:00"))
    for person in people:
        language = person["language_code"]
        asked = await private(bot, person, mark, starts[language][1])
        done_label, done_data = asked.buttons()[0]
        done = await use(bot, person, asked, done_data)
        assert shown(bot, asked)["text"].endswith(f"\n\n✓ {done_label}")
        assert buttons_of(shown(bot, asked)) == []
        share, keep = done.buttons()
        chosen = keep if person is people[1] else share
        before = emulator.mark()
        await use(bot, person, done, chosen[1])
        assert shown(bot, done)["text"] == f"{done.text}\n\n✓ {chosen[0]}"
        assert buttons_of(shown(bot, done)) == []
        for _, data in (share, keep):  # a replay of either changes nothing
            again = await bot.press(person, done.result, data)
            assert again.params["text"] == SPENT[language]
        await bot.handled_everything()
        await bot.services.outbox.drained()
        told = [c for c in emulator.calls[before:] if c.ok and c.chat_id == group.id]
        assert len(told) == (0 if person is people[1] else 1)
    async with bot.services.database.transaction() as tx:
        rows = await tx.checkins.of_meeting(1)
    assert sum(row.shared_at is not None for row in rows) == 2


ALREADY_NOTED = {
    "fi": "Varmuutesi on jo kirjattu. Kiitos!",
    "sv": "Din säkerhet är redan noterad. Tack!",
    "en": "Already noted, thank you!",
}


async def double_tap(bot: RunningBot, person: Json, call: ApiCall, label: str) -> list[ApiCall]:
    """Two presses of one key sent back to back, both while the keyboard still shows (as
    two taps reach Telegram before the first edit); returns what the person got."""
    emulator = bot.emulator
    data = dict(call.buttons())[label]
    mark = emulator.mark()
    first = await emulator.press_button(person, call.result, data)
    second = await emulator.press_button(person, call.result, data)
    for query_id in (first, second):
        await emulator.wait_for(
            "answerCallbackQuery",
            after=mark,
            where=lambda c, query_id=query_id: c.params["callback_query_id"] == query_id,
        )
    await bot.handled_everything()
    return [
        c
        for c in emulator.calls[mark:]
        if c.method == "sendMessage" and c.chat_id == person["id"] and c.ok
    ]


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_a_double_tap_of_a_confidence_key_counts_once(
    bot: RunningBot, clock: FixedClock, language: str
) -> None:
    starts = {"fi": "Tämän viikon", "sv": "Veckans lilla plan", "en": "This week's small plan"}
    smaller = {
        "fi": "Kiitos rehellisyydestä.",
        "sv": "Tack för att du är ärlig.",
        "en": "Thank you for being honest.",
    }
    confident = {
        "fi": "Hienoa! Varmuutesi: 8/10.",
        "sv": "Fint! Din säkerhet: 8/10.",
        "en": "Great! Your confidence: 8/10.",
    }
    _, _, people = await walking_group(bot, consenting=3)
    person = next(p for p in people if p["language_code"] == language)
    mark = await fire_at(bot, clock, helsinki("2026-12-01", "16:00"))
    invite = await private(bot, person, mark, starts[language])

    # a low rating, tapped twice: one rating, one "smaller plan" answer with new keys
    first, second = await double_tap(bot, person, invite, "4")
    assert (first.text or "").startswith(smaller[language])
    assert len(first.buttons()) == 11
    assert (second.text, second.buttons()) == (ALREADY_NOTED[language], [])
    assert buttons_of(shown(bot, invite)) == []
    async with bot.services.database.transaction() as tx:
        rows = [r for r in await tx.checkins.of_meeting(1) if r.ratings]
    assert [(r.confidence, r.ratings) for r in rows] == [(4, 1)]

    # the new keys are the next round: they count once too, however fast they are tapped
    first, second = await double_tap(bot, person, first, "8")
    assert (first.text or "").startswith(confident[language])
    assert second.text == ALREADY_NOTED[language]
    async with bot.services.database.transaction() as tx:
        rows = [r for r in await tx.checkins.of_meeting(1) if r.ratings]
    assert [(r.confidence, r.ratings) for r in rows] == [(8, 2)]


async def test_two_instances_count_one_confidence_key_once(
    bot: RunningBot, clock: FixedClock
) -> None:
    """The same press reaches this bot over Telegram and, at the same moment, a second
    instance on the same database (as behind one webhook URL): one rating is stored, and
    one of the two answers is the thanks for a rating already noted."""
    _, _, people = await walking_group(bot, consenting=1)
    aino = people[0]
    mark = await fire_at(bot, clock, helsinki("2026-12-01", "16:00"))
    invite = await private(bot, aino, mark, "Tämän viikon pieni suunnitelma")
    data = dict(invite.buttons())["8"]
    database = Database(bot.settings.database)
    await database.connect()
    try:
        other = build_services(
            bot.settings,
            clock=clock,
            database=database,
            translator=Translator.load(),
            library=load_library(),
        )
        mark = bot.emulator.mark()
        await bot.emulator.press_button(aino, invite.result, data)
        theirs = await other.checkins.rate(aino["id"], data)
        await bot.handled_everything()
    finally:
        await database.close()
    ours = [
        c.text
        for c in bot.emulator.calls[mark:]
        if c.method == "sendMessage" and c.chat_id == aino["id"] and c.ok
    ]
    noted = other.translator.render("fi", theirs.text)
    assert sorted([*ours, noted]) == sorted(
        [
            ALREADY_NOTED["fi"],
            "Hienoa! Varmuutesi: 8/10. Kysyn viikon puolivälissä, miten "
            "suunnitelmasi etenee. Onnea matkaan!",
        ]
    )
    async with bot.services.database.transaction() as tx:
        rows = [r for r in await tx.checkins.of_meeting(1) if r.ratings]
    assert [(r.confidence, r.ratings) for r in rows] == [(8, 1)]
