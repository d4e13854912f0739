"""The tip library end to end: instructors browse, send and schedule tips (each group in its
own language), participants ask for one, and instructors' own contributions are reviewed
and shared within their organisation only."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from typing import Any

from bot.clock import FixedClock
from bot.services.tips import CURATED
from emulator import ApiCall, Chat
from testing.harness import RunningBot

Json = dict[str, Any]
TIP = "plan-small-step"


async def press_for(bot: RunningBot, user: Json, call: ApiCall, data: str, method: str) -> ApiCall:
    """Tap a button under ``call``'s message; the bot's next ``method`` to the person."""
    mark = bot.emulator.mark()
    await bot.press(user, call.result, data)
    return await bot.emulator.wait_for(method, chat_id=user["id"], after=mark)


def button_data(call: ApiCall, label_part: str) -> str:
    return next(data for label, data in call.buttons() if label_part in label)


async def two_groups(bot: RunningBot, instructor: Json) -> tuple[Chat, Chat]:
    """A Finnish and a Swedish group led by ``instructor``."""
    finnish = await bot.registered_group(instructor, -100, "Kävelyryhmä")
    swedish = await bot.registered_group(instructor, -200, "Promenadgruppen")
    group = await bot.services.groups.by_chat(swedish.id)
    assert group is not None
    await bot.services.groups.change_settings(instructor["id"], group.id, language="sv")
    finnish_group = await bot.services.groups.by_chat(finnish.id)
    assert finnish_group is not None
    await bot.services.groups.change_settings(instructor["id"], finnish_group.id, language="fi")
    return finnish, swedish


async def open_tip(bot: RunningBot, instructor: Json) -> ApiCall:
    """/tip, the action planning theme, then the tip: returns the note under the tip."""
    home = await bot.say(instructor, "/tip")
    themes = await press_for(
        bot, instructor, home, button_data(home, "Action planning"), "editMessageText"
    )
    mark = bot.emulator.mark()
    await bot.press(instructor, themes.result, f"tip:v:{CURATED}{TIP}")
    return await bot.emulator.wait_for(
        "sendMessage",
        chat_id=instructor["id"],
        after=mark,
        where=lambda c: any("tip:s:" in data for _, data in c.buttons()),
    )


async def test_an_instructor_browses_and_sends_a_tip_each_group_in_its_language(
    bot: RunningBot,
) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="en")
    finnish, swedish = await two_groups(bot, ilkka)
    tip = bot.services.library.get(TIP)
    assert tip is not None

    home = await bot.say(ilkka, "/tip")
    labels = [label for label, _ in home.buttons()]
    assert any(label.startswith("Action planning (") for label in labels)
    assert "⭐ Most liked" in labels
    themes = await press_for(
        bot, ilkka, home, button_data(home, "Action planning"), "editMessageText"
    )
    assert (themes.text or "").startswith("Action planning: choose a tip")
    mark = emulator.mark()
    await bot.press(ilkka, themes.result, f"tip:v:{CURATED}{TIP}")
    shown = await emulator.wait_for("sendMessage", chat_id=ilkka["id"], after=mark)
    assert shown.text == tip.text.en  # in the instructor's own language first
    note = await emulator.wait_for(
        "sendMessage", chat_id=ilkka["id"], after=mark, where=lambda c: "tip:s:" in str(c.buttons())
    )
    mark = emulator.mark()
    await bot.press(ilkka, note.result, button_data(note, "svenska"))
    in_swedish = await emulator.wait_for("sendMessage", chat_id=ilkka["id"], after=mark)
    assert in_swedish.text == tip.text.sv

    confirm = await tip_to_all_groups(bot, ilkka, note)
    assert (confirm.text or "").startswith(
        "Above is how the tip will look in the group (each group gets it in its own language)."
    )
    await bot.press(ilkka, confirm.result, "bc:now")

    in_finnish = await emulator.wait_for("sendMessage", chat_id=finnish.id, where=is_tip(tip))
    in_sv = await emulator.wait_for("sendMessage", chat_id=swedish.id, where=is_tip(tip))
    assert in_finnish.text == tip.text.fi
    assert in_sv.text == tip.text.sv
    report = await emulator.wait_for(
        "sendMessage",
        chat_id=ilkka["id"],
        where=lambda c: (c.text or "").startswith("Broadcast #1"),
    )
    assert report.text == "Broadcast #1: delivered to 2 of 2 groups."
    async with bot.services.database.transaction() as tx:
        uses = await tx.tips.use_counts(0)  # nothing for no group...
        by_group = {
            g.chat_id: await tx.tips.use_counts(g.id) for g in await tx.groups.led_by(ilkka["id"])
        }
    assert uses == {}
    assert by_group == {finnish.id: {f"{CURATED}{TIP}": 1}, swedish.id: {f"{CURATED}{TIP}": 1}}


def is_tip(tip: Any) -> Any:
    texts = {tip.text.fi, tip.text.sv, tip.text.en}
    return lambda call: call.text in texts


async def tip_to_all_groups(bot: RunningBot, user: Json, note: ApiCall) -> ApiCall:
    """**Send to groups** under a tip, all groups, next: the confirmation."""
    picker = await press_for(bot, user, note, f"tip:s:{CURATED}{TIP}", "sendMessage")
    picker = await press_for(bot, user, picker, "bc:all", "editMessageText")
    return await send_from_picker(bot, user, picker)


async def send_from_picker(bot: RunningBot, user: Json, picker: ApiCall) -> ApiCall:
    """From the ticked group picker to the confirmation with its now/later buttons."""
    mark = bot.emulator.mark()
    await bot.press(user, picker.result, "bc:done")
    return await bot.emulator.wait_for(
        "sendMessage",
        chat_id=user["id"],
        after=mark,
        where=lambda c: "bc:now" in str(c.params.get("reply_markup")),
    )


async def test_a_tip_can_be_scheduled_and_arrives_at_its_time(
    bot: RunningBot, clock: FixedClock
) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="en")
    finnish, _ = await two_groups(bot, ilkka)
    tip = bot.services.library.get(TIP)
    assert tip is not None

    confirm = await tip_to_all_groups(bot, ilkka, await open_tip(bot, ilkka))
    await press_for(bot, ilkka, confirm, "bc:later", "sendMessage")
    scheduled = await bot.say(ilkka, "tomorrow 9:00")
    assert "#1" in (scheduled.text or "")
    listed = await bot.say(ilkka, "/scheduled")
    assert "#1" in (listed.text or "")
    await asyncio.sleep(0.3)
    assert not [c for c in emulator.sent("sendMessage", chat_id=finnish.id) if is_tip(tip)(c)]

    clock.advance(dt.timedelta(days=1))
    bot.services.outbox.wake()
    arrived = await emulator.wait_for("sendMessage", chat_id=finnish.id, where=is_tip(tip))
    assert arrived.text == tip.text.fi


async def participant_tips(bot: RunningBot, person: Json, times: int) -> list[Any]:
    """The person asks /tip ``times`` times; the library tips they got, in order."""
    by_text = {tip.text_in(person["language_code"]): tip for tip in bot.services.library}
    tips = []
    for _ in range(times):
        answer = await bot.say(person, "/tip")
        assert answer.text in by_text, "a library tip in the person's language"
        tips.append(by_text[answer.text])
    return tips


async def test_a_participant_asks_for_tips_for_their_week_never_the_same_twice_in_a_row(
    bot: RunningBot,
) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="en")
    group = await bot.registered_group(ilkka, -100, "Walking group")
    stored = await bot.services.groups.by_chat(group.id)
    assert stored is not None and stored.organisation_id is not None
    aino = emulator.user(5551234, "Aino", language_code="sv")
    await emulator.member_joined(aino, group)
    await bot.handled_everything()
    await bot.services.consent.give(aino["id"], stored.organisation_id)

    tips = await participant_tips(bot, aino, 6)

    assert all(tip.suits_week(1) for tip in tips)  # the group is in its first week
    assert all(a.id != b.id for a, b in itertools.pairwise(tips))
    async with bot.services.database.transaction() as tx:
        rows = await tx.connection.fetch_all(
            "SELECT tip, kind, pseudonym, group_id FROM tip_uses ORDER BY id"
        )
    assert [row[0] for row in rows] == [f"{CURATED}{tip.id}" for tip in tips]
    pseudonym = bot.services.pseudonyms.of(aino["id"])
    assert {(row[1], row[2], row[3]) for row in rows} == {("requested", pseudonym, stored.id)}
    assert not [row for row in rows if aino["id"] in tuple(row) or str(aino["id"]) in row[2]]
    await bot.services.events.flush()
    async with bot.services.database.transaction() as tx:
        logged = [e for e in await tx.events.latest() if e.kind == "tip-requested"]
    assert len(logged) == 6
    assert {(e.pseudonym, e.group_id) for e in logged} == {(pseudonym, stored.id)}


async def test_without_consent_a_participant_still_gets_tips_but_nothing_is_recorded(
    bot: RunningBot,
) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="en")
    group = await bot.registered_group(ilkka, -100, "Walking group")
    britt = emulator.user(5551235, "Britt", language_code="en")
    await emulator.member_joined(britt, group)
    stranger = emulator.user(5551236, "Sam", language_code="fi")  # in no group at all
    await bot.handled_everything()

    tips = await participant_tips(bot, britt, 4)
    assert all(a.id != b.id for a, b in itertools.pairwise(tips))
    assert all(tip.suits_week(1) for tip in tips)
    loose = await participant_tips(bot, stranger, 3)
    assert all(tip.weeks == "any" for tip in loose)
    assert all(a.id != b.id for a, b in itertools.pairwise(loose))

    await bot.services.events.flush()
    async with bot.services.database.transaction() as tx:
        rows = await tx.connection.fetch_all("SELECT COUNT(*) FROM tip_uses")
        logged = [e for e in await tx.events.latest() if e.kind == "tip-requested"]
    assert next(iter(rows))[0] == 0
    assert logged == []  # without consent, not even the pseudonymous log


async def test_a_contribution_is_reviewed_and_shared_within_its_organisation_only(
    bot: RunningBot,
) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="en")
    walking = await bot.registered_group(ilkka, -100, "Walking group")
    tuula = emulator.user(3001, "Tuula", language_code="en")
    await bot.make_staff(tuula)  # Espoo, like Ilkka
    vera = emulator.user(3002, "Vera", language_code="en")
    await bot.make_staff(vera, organisation="Vantaa")
    coordinator = emulator.user(3003, "Kaisa", language_code="en")
    await bot.make_staff(coordinator, role="coordinator")

    # Ilkka sends a photo of his own to his group, then saves it to the library
    await emulator.send_media(ilkka, "photo", caption="Our bench by the lake: rest stop!")
    offer = await emulator.wait_for(
        "sendMessage", chat_id=ilkka["id"], where=lambda c: "bc:start" in str(c.buttons())
    )
    picker = await press_for(bot, ilkka, offer, "bc:start", "editMessageText")
    picker = await press_for(bot, ilkka, picker, "bc:all", "editMessageText")
    confirm = await send_from_picker(bot, ilkka, picker)
    sending = await press_for(bot, ilkka, confirm, "bc:now", "sendMessage")
    assert ("📚 Save to the tip library", "lib:save:1") in sending.buttons()
    await delivery_report(bot, ilkka)  # before the next step's answer, not in its place
    themes = await press_for(bot, ilkka, sending, "lib:save:1", "sendMessage")
    languages = await press_for(bot, ilkka, themes, "lib:th:1:relaxation", "editMessageText")
    saved = await press_for(bot, ilkka, languages, "lib:lg:1:relaxation:en", "editMessageText")
    assert "waiting for a coordinator's approval" in (saved.text or "")

    # not yet visible to Tuula
    assert not await own_tips(bot, tuula)

    review = await bot.say(coordinator, "/review")
    assert review.text == "Tips to review: 1. Each is shown below as it would be sent."
    photo = await emulator.wait_for("sendPhoto", chat_id=coordinator["id"])
    assert photo.params["caption"] == "Our bench by the lake: rest stop!"
    item = await emulator.wait_for(
        "sendMessage", chat_id=coordinator["id"], where=lambda c: "rv:a:1" in str(c.buttons())
    )
    assert item.text == "Tip #1 above: by Ilkka, theme Relaxation, language 🇬🇧 English."
    approved = await press_for(bot, coordinator, item, "rv:a:1", "editMessageText")
    assert approved.text.startswith("Tip #1 approved")
    notice = await emulator.wait_for(
        "sendMessage", chat_id=ilkka["id"], where=lambda c: "was approved" in (c.text or "")
    )
    assert notice.text.startswith("Your suggested tip #1 (Relaxation) was approved")

    # now Tuula (same organisation) sees it, marked as their own, and can send it
    assert await own_tips(bot, tuula) == ["🏠 Our bench by the lake: rest stop!"]
    # Vera (another organisation) does not, and a forged button tells her nothing
    assert not await own_tips(bot, vera)
    await bot.say(vera, "/tip")
    home = emulator.sent("sendMessage", chat_id=vera["id"])[-1]
    answer = await bot.press(vera, home.result, "tip:v:own:1")
    assert (
        answer.params.get("text") == "That tip cannot be found. Open the library again with /tip."
    )

    # a second review of the same item changes nothing
    again = await bot.press(coordinator, item.result, "rv:r:1")
    assert again.params.get("text") == "That tip has already been reviewed."
    async with bot.services.database.transaction() as tx:
        stored = await tx.tips.contribution(1)
    assert stored is not None and stored.status == "approved"

    # reactions to the broadcast it was saved from count for it in ⭐ Most liked
    in_group = await emulator.wait_for("sendPhoto", chat_id=walking.id)
    aino = emulator.user(1, "Aino", language_code="fi")
    await emulator.reaction(aino, walking, in_group.result["message_id"], old=[], new=["❤"])
    await bot.handled_everything()
    home = await bot.say(tuula, "/tip")
    top = await press_for(bot, tuula, home, "tip:top", "editMessageText")
    assert (top.text or "").splitlines()[1:] == [
        "1. 🏠 Our bench by the lake: rest stop!",
        "   groups 1, reactions 1, replies 0, requests 0",
    ]


async def own_tips(bot: RunningBot, instructor: Json) -> list[str]:
    """The labels of the organisation's own tips in the Relaxation theme, as the
    instructor's /tip shows them."""
    home = await bot.say(instructor, "/tip")
    relaxation = [data for label, data in home.buttons() if label.startswith("Relaxation")]
    if not relaxation:
        return []
    listing = await press_for(bot, instructor, home, relaxation[0], "editMessageText")
    return [label for label, _ in listing.buttons() if label.startswith("🏠")]


async def test_without_review_a_contribution_is_shared_at_once(bot: RunningBot) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="en")
    await bot.registered_group(ilkka, -100, "Walking group")
    coordinator = emulator.user(3003, "Kaisa", language_code="en")
    await bot.make_staff(coordinator, role="coordinator")
    tuula = emulator.user(3001, "Tuula", language_code="en")
    await bot.make_staff(tuula)

    off = await bot.say(coordinator, "/approval off")
    assert off.text == "Instructors' tips in Espoo are now shared at once, without approval."
    await emulator.send_text(ilkka, "Drink a glass of water before each meal this week.")
    offer = await emulator.wait_for(
        "sendMessage", chat_id=ilkka["id"], where=lambda c: "bc:start" in str(c.buttons())
    )
    picker = await press_for(bot, ilkka, offer, "bc:start", "editMessageText")
    picker = await press_for(bot, ilkka, picker, "bc:all", "editMessageText")
    confirm = await send_from_picker(bot, ilkka, picker)
    await press_for(bot, ilkka, confirm, "bc:now", "sendMessage")
    await delivery_report(bot, ilkka)  # before /save's answer, not in its place

    themes = await bot.say(ilkka, "/save 1")
    languages = await press_for(bot, ilkka, themes, "lib:th:1:relaxation", "editMessageText")
    saved = await press_for(bot, ilkka, languages, "lib:lg:1:relaxation:en", "editMessageText")
    assert "now available to the other instructors" in (saved.text or "")
    assert await own_tips(bot, tuula) == ["🏠 Drink a glass of water before each meal this…"]

    nothing = await bot.say(coordinator, "/review")
    assert nothing.text == "There are no tips to review."
    # refused at once, before any menu: saved already, someone else's, forged buttons
    twice = await bot.say(ilkka, "/save 1")
    assert twice.text == "That broadcast is already saved in the library."
    foreign = await bot.say(tuula, "/save 1")
    assert foreign.text == (
        "You can only save your own broadcasts. You can see their numbers with /broadcasts."
    )
    home = await bot.say(tuula, "/tip")
    for forged in ("lib:save:1", "lib:th:1:sleep", "lib:lg:1:sleep:en", "lib:save:999"):
        refused = await bot.press(tuula, home.result, forged)
        assert refused.params.get("show_alert") is True
        assert refused.params.get("text") == foreign.text
    await emulator.send_text(ilkka, "/save first")
    await emulator.wait_for(
        "sendMessage",
        chat_id=ilkka["id"],
        where=lambda c: (c.text or "").startswith("Write /save and the broadcast's number"),
    )
    async with bot.services.database.transaction() as tx:
        saved_ones = await tx.tips.contributions(1, status="approved")
    assert [c.broadcast_id for c in saved_ones] == [1]  # the refusals stored nothing


async def test_the_most_liked_tips_are_shown_to_instructors(bot: RunningBot) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="en")
    finnish, _ = await two_groups(bot, ilkka)
    tip = bot.services.library.get(TIP)
    assert tip is not None
    home = await bot.say(ilkka, "/tip")
    empty = await press_for(bot, ilkka, home, "tip:top", "editMessageText")
    assert (empty.text or "").startswith("Groups have not reacted to any tip yet")

    confirm = await tip_to_all_groups(bot, ilkka, await open_tip(bot, ilkka))
    await bot.press(ilkka, confirm.result, "bc:now")
    sent = await emulator.wait_for("sendMessage", chat_id=finnish.id, where=is_tip(tip))
    aino = emulator.user(1, "Aino", language_code="fi")
    await emulator.reaction(aino, finnish, sent.result["message_id"], old=[], new=["👍"])
    await bot.handled_everything()

    home = await bot.say(ilkka, "/tip")
    top = await press_for(bot, ilkka, home, "tip:top", "editMessageText")
    lines = (top.text or "").splitlines()
    assert lines[0] == "The tips groups reacted to most:"
    assert lines[1].startswith("1. Make one small plan for this week.")
    assert lines[2].strip() == "groups 2, reactions 1, replies 0, requests 0"


async def delivery_report(bot: RunningBot, sender: dict[str, Any]) -> None:
    """Wait for the broadcast's delivery report to its sender: it comes when the last group
    has it, in its own time, and would otherwise be taken for the answer to what follows."""
    await bot.emulator.wait_for(
        "sendMessage",
        chat_id=sender["id"],
        where=lambda c: (c.text or "").startswith("Broadcast #1: delivered"),
    )
