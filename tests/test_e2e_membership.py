"""Membership that Telegram confirms, end to end over the emulator: who may join through the
group's link, what happens when someone leaves or is removed, the rotating join code and the
greeting's button, coming back, and the paced re-check before group-specific sends."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from bot.clock import FixedClock
from emulator import ApiCall, BotApiEmulator, Chat, RateLimits
from storage.groups import Group
from testing.harness import TOKEN, RunningBot, test_settings

HELSINKI_OFFSET = dt.timedelta(hours=2)  # December: UTC+2
JOIN = "consent:join"


def helsinki(day: str, hhmm: str) -> dt.datetime:
    local = dt.datetime.fromisoformat(f"{day}T{hhmm}")
    return (local - HELSINKI_OFFSET).replace(tzinfo=dt.UTC)


async def stored(bot: RunningBot, chat: Chat) -> Group:
    group = await bot.services.groups.by_chat(chat.id)
    assert group is not None and group.organisation_id is not None
    return group


async def is_participant(bot: RunningBot, chat: Chat, person: dict[str, Any]) -> bool:
    group = await stored(bot, chat)
    async with bot.services.database.transaction() as tx:
        return await tx.groups.is_participant(group.id, person["id"])


async def greeting_of(bot: RunningBot, chat: Chat) -> ApiCall:
    return next(
        call
        for call in bot.emulator.sent("sendMessage", chat_id=chat.id)
        if [data for _, data in call.buttons()] == [JOIN]
    )


async def link_from_button(bot: RunningBot, person: dict[str, Any], chat: Chat) -> str:
    """The person presses the greeting's button in the group: Telegram opens the link the
    bot answered with; returns what follows /start."""
    answered = await bot.press(person, (await greeting_of(bot, chat)).result, JOIN)
    url = str(answered.params["url"])
    assert url.startswith("https://t.me/kannustin_test_bot?start=consent_")
    return url.partition("?start=")[2]


async def joins(bot: RunningBot, person: dict[str, Any], chat: Chat) -> None:
    """The person, in the chat, opens the link from the button and agrees."""
    bot.emulator.open_private_chat(person)
    notice = await bot.say(person, f"/start {await link_from_button(bot, person, chat)}")
    group = await stored(bot, chat)
    mark = bot.emulator.mark()
    await bot.press(person, notice.result, f"consent:give:{group.organisation_id}")
    await bot.emulator.wait_for("editMessageText", chat_id=person["id"], after=mark)


def lookups(emulator: BotApiEmulator, after: int = 0) -> list[ApiCall]:
    return [call for call in emulator.calls[after:] if call.method == "getChatMember"]


def texts_to(emulator: BotApiEmulator, person: dict[str, Any], after: int = 0) -> list[str]:
    return [
        call.text or ""
        for call in emulator.calls[after:]
        if call.method == "sendMessage" and call.chat_id == person["id"]
    ]


async def test_an_outsider_with_the_link_is_refused_and_told_why(bot: RunningBot) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="fi")
    chat = await bot.registered_group(ilkka, -100, "Kävelyryhmä")
    aino = emulator.user(1, "Aino", language_code="fi")
    await emulator.member_joined(aino, chat)
    link = await link_from_button(bot, aino, chat)  # she passes it on
    mallory = emulator.user(66, "Mallory", language_code="en")
    marta = emulator.user(67, "Märta", language_code="sv")

    refused = await bot.say(mallory, f"/start {link}")
    assert (refused.text or "").startswith(
        "I can't add you to this group: Telegram says you are not in its group chat. "
        "Join the group's Telegram chat first"
    )
    assert refused.buttons() == []  # no notice, no agree button
    nej = await bot.say(marta, f"/start {link}")
    assert (nej.text or "").startswith("Jag kan inte ta med dig i den här gruppen")
    asked = lookups(emulator)
    assert [(c.chat_id, c.params["user_id"]) for c in asked] == [(-100, 66), (-100, 67)]
    assert not await is_participant(bot, chat, mallory)
    assert not await is_participant(bot, chat, marta)
    group = await stored(bot, chat)
    forged = await bot.press(mallory, refused.result, f"consent:give:{group.organisation_id}")
    assert (forged.params.get("text") or "").startswith("Only a member of one of the organisation")
    assert not await bot.services.consent.has_consent(66, group.organisation_id or 0)

    # Britt has been in the chat all along (the bot heard nothing of her yet); Telegram is
    # out of reach when she opens the link: joining fails closed, with a "try again"
    britt = emulator.user(2, "Britt", language_code="fi")
    emulator.add_member(britt, chat)
    emulator.fail(method="getChatMember", status=502, description="Bad Gateway")
    later = await bot.say(britt, f"/start {link}")
    assert (later.text or "").startswith("En juuri nyt saanut Telegramilta tietoa")
    assert not await is_participant(bot, chat, britt)
    # ...and the same link works once Telegram answers again
    notice = await bot.say(britt, f"/start {link}")
    assert (notice.text or "").startswith("Tietosuoja")
    assert await is_participant(bot, chat, britt)


async def test_a_member_who_leaves_gets_no_more_invitations_and_is_never_a_buddy(
    bot: RunningBot, clock: FixedClock
) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="fi")
    chat = await bot.registered_group(ilkka, -100, "Kävelyryhmä")
    people = [
        emulator.user(5001, "Aino", language_code="fi"),
        emulator.user(5002, "Britt", language_code="fi"),
        emulator.user(5003, "Carl", language_code="fi"),
    ]
    aino, britt, carl = people
    for person in people:
        await emulator.member_joined(person, chat)
        await joins(bot, person, chat)
    await bot.set_meetings(ilkka, "/meetings ti 14:00 1.12. x2", chat=chat)
    code = (await stored(bot, chat)).join_code

    await emulator.member_left(carl, chat)  # the bot is an administrator: it hears
    await bot.handled_everything()
    assert not await is_participant(bot, chat, carl)
    assert (await stored(bot, chat)).join_code != code  # his copy of the link is no pass

    mark = emulator.mark()
    clock.set(helsinki("2026-12-01", "16:00"))  # two hours after the first meeting
    await bot.services.scheduler.sweep_now()
    await bot.services.outbox.drained()
    for person in (aino, britt):
        assert any(
            t.startswith("Tämän viikon pieni suunnitelma") for t in texts_to(emulator, person, mark)
        )
    assert texts_to(emulator, carl, mark) == []

    made = await bot.say(ilkka, "/buddies")
    assert (made.text or "").splitlines()[1:] in (["• Aino ja Britt"], ["• Britt ja Aino"])
    await bot.services.outbox.drained()
    assert texts_to(emulator, carl, mark) == []
    for person in (aino, britt):
        told = [t for t in texts_to(emulator, person, mark) if "kaveri" in t.lower()]
        assert told and all("Carl" not in t for t in told)
    buttons = [b for c in emulator.calls[mark:] for _, b in c.buttons()]
    assert f"tg://user?id={carl['id']}" not in buttons


async def test_a_removed_members_old_link_is_no_pass_and_the_button_gives_a_fresh_one(
    bot: RunningBot,
) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="en")
    chat = await bot.registered_group(ilkka, -100, "Walking group")
    aino = emulator.user(1, "Aino", language_code="en")
    dora = emulator.user(4, "Dora", language_code="en")
    for person in (aino, dora):
        await emulator.member_joined(person, chat)
    old_link = await link_from_button(bot, dora, chat)

    await emulator.member_removed(dora, chat, by=ilkka)
    await bot.handled_everything()
    assert not await is_participant(bot, chat, dora)

    emulator.open_private_chat(dora)
    stale = await bot.say(dora, f"/start {old_link}")
    assert (stale.text or "").startswith("This group link is out of date.")
    assert not await is_participant(bot, chat, dora)

    fresh = await link_from_button(bot, aino, chat)  # a current member presses the button
    assert fresh != old_link
    # /privacy in the group carries the same button (for a greeting older than the button)
    notice_in_group = await bot.say(aino, "/privacy", chat=chat)
    pressed = await bot.press(aino, notice_in_group.result, JOIN)
    assert str(pressed.params["url"]).endswith(f"?start={fresh}")
    # the fresh link in a removed person's hands is no pass either: Telegram says kicked
    refused = await bot.say(dora, f"/start {fresh}")
    assert (refused.text or "").startswith("I can't add you to this group")
    emulator.open_private_chat(aino)
    notice = await bot.say(aino, f"/start {fresh}")
    assert (notice.text or "").startswith("Privacy")
    assert await is_participant(bot, chat, aino)

    # Dora comes back through the group: Telegram says she is in, and she can join again
    await emulator.member_joined(dora, chat)
    await bot.handled_everything()
    await joins(bot, dora, chat)
    assert await is_participant(bot, chat, dora)


async def test_the_recheck_before_sends_drops_a_silent_leaver_and_is_paced(
    tmp_path: Path, clock: FixedClock
) -> None:
    # Telegram's limits enforced: an unpaced burst of look-ups would earn 429s
    emulator = BotApiEmulator(TOKEN, rate_limits=RateLimits.telegram())
    await emulator.start()
    bot = RunningBot(test_settings(emulator, tmp_path / "bot.db", admins="1000"), emulator, clock)
    await bot.start()
    try:
        ilkka = emulator.user(3000, "Ilkka", language_code="fi")
        await bot.make_staff(ilkka)
        chat = emulator.group(-100, "Iso ryhmä")
        mark = emulator.mark()
        await emulator.bot_added(ilkka, chat, admin=False)  # it hears no one leave
        await emulator.wait_for("sendMessage", chat_id=chat.id, after=mark)
        people = [emulator.user(6000 + n, f"Osallistuja{n}") for n in range(40)]
        for person in people:
            await emulator.member_joined(person, chat)
            emulator.open_private_chat(person)
        await bot.handled_everything()
        group = await stored(bot, chat)
        for person in people:
            await bot.services.consent.give(person["id"], group.organisation_id or 0)
        await bot.set_meetings(ilkka, "/meetings ti 14:00 1.12. x2", chat=chat)
        quiet = people[7]
        emulator.member_left_unseen(quiet, chat)  # no update or notice reaches the bot

        mark = emulator.mark()
        clock.set(helsinki("2026-12-01", "16:00"))  # days after they were last seen
        await bot.services.scheduler.sweep_now()
        await bot.services.outbox.drained()

        asked = lookups(emulator, mark)
        # each participant asked about once, in the group's chat; the instructor is not one
        assert sorted(c.params["user_id"] for c in asked) == sorted(p["id"] for p in people)
        assert {c.chat_id for c in asked} == {chat.id}
        # paced (they share the sends' overall spacing): Telegram refused none of them
        assert all(c.ok for c in asked)
        assert texts_to(emulator, quiet, mark) == []
        assert not await is_participant(bot, chat, quiet)
        invited = [p for p in people if texts_to(emulator, p, mark)]
        assert len(invited) == 39

        # confirmed moments ago: buddies are paired without asking Telegram again
        again = emulator.mark()
        made = await bot.say(ilkka, "/buddies")
        assert "Osallistuja7" not in (made.text or "")
        assert lookups(emulator, again) == []
    finally:
        await bot.stop()
        await emulator.stop()
    assert emulator.violations == []
