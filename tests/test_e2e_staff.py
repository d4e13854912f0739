"""Staff roles that end, end to end: a coordinator ends an instructor's role or takes them
off one group from /staff (asked first, done on the next press), an instructor steps down
with /leave N or by leaving the group chat, a coordinator's role ends, and the last
coordinator keeps theirs. Afterwards the person's staff commands refuse; the person, the
group's other instructor and the coordinators are each told once, in their language, and
a group nobody leads is flagged. Forged, stale, replayed and other people's presses change
nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.payload import TextContent
from emulator import ApiCall
from testing.harness import RunningBot
from tests.test_e2e_notices import payload_in, settled, told
from tests.test_e2e_privacy import found_anywhere, refused, rows

Json = dict[str, Any]
ADMIN_ID = 1000  # the bot fixture's KANNUSTIN_ADMINS


async def espoo(bot: RunningBot) -> tuple[Json, Json, Json, Json]:
    """Espoo: coordinators Kaisa (en) and Cora (fi); Ilkka (en) leads the walking group
    (#1), Tuula (sv) joined it with his link."""
    emulator = bot.emulator
    kaisa = emulator.user(2000, "Kaisa", language_code="en")
    cora = emulator.user(2001, "Cora", language_code="fi")
    ilkka = emulator.user(3000, "Ilkka", language_code="en")
    tuula = emulator.user(3001, "Tuula", language_code="sv")
    await bot.make_staff(kaisa, role="coordinator")
    await bot.make_staff(cora, role="coordinator")
    await bot.registered_group(ilkka, -100, "Walking group")
    link = await bot.say(ilkka, "/invite instructor 1")
    await bot.say(tuula, f"/start {payload_in(link)}")
    await settled(bot)
    return kaisa, cora, ilkka, tuula


async def asked(bot: RunningBot, person: Json, listing: ApiCall, data: str) -> ApiCall:
    """The person presses a /staff button; returns the question the bot sends."""
    mark = bot.emulator.mark()
    answered = await bot.press(person, listing.result, data)
    assert answered.params.get("show_alert") is not True, answered.params
    return await bot.emulator.wait_for("sendMessage", chat_id=person["id"], after=mark)


async def confirm(bot: RunningBot, person: Json, question: ApiCall) -> str:
    """The person presses the question's yes button; returns what the message then says."""
    mark = bot.emulator.mark()
    await bot.press(person, question.result, question.buttons()[0][1])
    done = await bot.emulator.wait_for("editMessageText", chat_id=person["id"], after=mark)
    await settled(bot)
    return done.text or ""


async def said(bot: RunningBot, person: Json, text: str) -> str:
    return (await bot.say(person, text)).text or ""


def everything_told(bot: RunningBot, person: Json, mark: int) -> list[str]:
    return [c.text or "" for c in bot.emulator.calls[mark:] if c.chat_id == person["id"]]


async def audit(bot: RunningBot) -> list[tuple[Any, ...]]:
    return await rows(
        bot,
        "SELECT actor_id, action, target, channel, subject_id FROM audit_log "
        "WHERE action IN ('role-revoked', 'instructor-removed') ORDER BY id",
    )


async def test_a_coordinator_ends_an_instructors_role_and_everyone_hears_once(
    bot: RunningBot,
) -> None:
    kaisa, cora, ilkka, tuula = await espoo(bot)
    tomorrow = bot.clock.now() + dt.timedelta(days=1)
    for text in ("Tomorrow from Ilkka", "Tomorrow from Tuula"):
        sender = ilkka if "Ilkka" in text else tuula
        await bot.services.broadcasts.send(sender["id"], TextContent(text=text), [1], tomorrow)

    listing = await bot.say(kaisa, "/staff")
    assert listing.text == (
        "Staff of Espoo:\n"
        "• Cora, coordinator\n"
        "• Kaisa, coordinator\n"
        "• Ilkka, instructor: #1 Walking group\n"
        "• Tuula, instructor: #1 Walking group"
    )
    assert ("✖ Ilkka: end the role (instructor)", f"staff:role:{ilkka['id']}") in (
        listing.buttons()
    )
    assert ("➖ Tuula off #1", f"staff:off:{tuula['id']}:1") in listing.buttons()
    assert all(len(data.encode()) <= 64 for _, data in listing.buttons())

    question = await asked(bot, kaisa, listing, f"staff:role:{ilkka['id']}")
    assert (question.text or "").startswith(
        "End Ilkka's role as instructor of Espoo? Their staff commands stop working at once"
    )
    assert "they no longer lead: #1 Walking group." in (question.text or "")
    assert [label for label, _ in question.buttons()] == ["Yes, remove", "No, keep it as it is"]
    # nothing has changed yet: asking is not doing
    assert await audit(bot) == []
    mark = bot.emulator.mark()

    done = await confirm(bot, kaisa, question)

    assert done == (
        "Done.\nIlkka's role as instructor of Espoo has ended (removed by a coordinator).\n"
        "They no longer lead: #1 Walking group."
    )
    assert everything_told(bot, ilkka, mark) == [
        "Your role as instructor of Espoo has ended (removed by a coordinator). Staff commands "
        "no longer work for you. If this is a mistake, ask a coordinator of Espoo (or an "
        "admin) for a new invitation link.\nYou no longer lead: #1 Walking group."
    ]
    assert everything_told(bot, tuula, mark) == [
        "Ilkka är inte längre handledare för gruppen Walking group (borttagen av en "
        "koordinator). Du leder den fortfarande."
    ]
    assert everything_told(bot, cora, mark) == [
        "Henkilön Ilkka rooli organisaatiossa Espoo (ohjaaja) on päättynyt (koordinaattori "
        "poisti).\nHän ei enää ohjaa ryhmää: #1 Walking group."
    ]
    # the coordinator who did it reads it in the reply, and nothing more
    assert [c.method for c in bot.emulator.calls[mark:] if c.chat_id == kaisa["id"]] == [
        "editMessageText"
    ]
    assert await audit(bot) == [
        (kaisa["id"], "role-revoked", "instructor of organisation 1", "chat", ilkka["id"])
    ]

    # his staff commands refuse now
    assert (await said(bot, ilkka, "/broadcast")).startswith("This is for instructors")
    assert (await said(bot, ilkka, "/buddies 1")).startswith("You cannot manage this group")
    assert (await said(bot, ilkka, "/groups")).startswith("This is for instructors")
    # the question's button again (a replay) changes nothing, nor does the stale list
    alert = await refused(bot, kaisa, question, question.buttons()[0][1])
    assert alert.startswith("This button no longer works")
    alert = await refused(bot, kaisa, listing, f"staff:role:{ilkka['id']}")
    assert alert.startswith("That person is not (or no longer) staff")
    await settled(bot)
    assert len(await audit(bot)) == 1
    assert len(told(bot, ilkka, "Your role")) == 1
    # what he scheduled for the group does not go; what Tuula scheduled does
    bot.clock.advance(dt.timedelta(days=1, minutes=1))
    await settled(bot)
    sent = [c.text for c in bot.emulator.sent("sendMessage", chat_id=-100)]
    assert "Tomorrow from Tuula" in sent
    assert "Tomorrow from Ilkka" not in sent
    assert await rows(
        bot,
        "SELECT o.status, o.reason, b.status FROM outbox o "
        "JOIN broadcasts b ON b.id = o.broadcast_id WHERE b.created_by = :id",
        id=ilkka["id"],
    ) == [("cancelled", "reason.sender-left", "cancelled")]


async def test_an_instructor_taken_off_one_group_keeps_the_role_and_the_last_one_flags_it(
    bot: RunningBot,
) -> None:
    kaisa, cora, ilkka, tuula = await espoo(bot)

    listing = await bot.say(kaisa, "/staff")
    question = await asked(bot, kaisa, listing, f"staff:off:{tuula['id']}:1")
    assert (question.text or "").startswith("Take Tuula off the group #1 Walking group?")
    assert await confirm(bot, kaisa, question) == (
        "Done.\nTuula is no longer an instructor of the group #1 Walking group (removed by a "
        "coordinator)."
    )
    assert told(bot, tuula, "Du är inte längre handledare") == [
        "Du är inte längre handledare för gruppen #1 Walking group (borttagen av en "
        "koordinator). Din roll i Espoo och dina andra grupper förblir som de var. Vill du "
        "leda den igen, be om en inbjudningslänk som medhandledare."
    ]
    assert told(bot, ilkka, "Tuula is no longer") == [
        "Tuula is no longer an instructor of the group Walking group (removed by a "
        "coordinator). You still lead it."
    ]
    # she is still an instructor of Espoo, but not of this group
    assert (await said(bot, tuula, "/buddies 1")).startswith("Du kan inte hantera")
    assert (await said(bot, tuula, "/groups")).startswith("Du har inga grupper")

    # now the last instructor: the group is flagged to whoever is told
    listing = await bot.say(kaisa, "/staff")
    question = await asked(bot, kaisa, listing, f"staff:off:{ilkka['id']}:1")
    done = await confirm(bot, kaisa, question)
    assert done.endswith(
        "⚠️ Nobody leads this group now: #1 Walking group. Give an instructor a link with "
        "/invite instructor N (N is the group's number)."
    )
    assert told(bot, cora, "Ilkka ei ole enää") == [
        "Ilkka ei ole enää ryhmän #1 Walking group ohjaaja (koordinaattori poisti).\n"
        "⚠️ Tätä ryhmää ei nyt ohjaa kukaan: #1 Walking group. Anna ohjaajalle linkki "
        "komennolla /invite instructor N (N on ryhmän numero)."
    ]
    assert "Ohjaajat: ⚠️ kukaan ei ohjaa nyt" in await said(bot, cora, "/groups")
    assert "⚠️ Nobody leads: #1 Walking group" in await said(bot, kaisa, "/staff")
    assert [(action, subject) for _, action, _, _, subject in await audit(bot)] == [
        ("instructor-removed", tuula["id"]),
        ("instructor-removed", ilkka["id"]),
    ]


async def test_an_instructor_steps_down_with_leave(bot: RunningBot) -> None:
    kaisa, cora, ilkka, tuula = await espoo(bot)

    assert await said(bot, tuula, "/leave 7") == (
        "Du leder inte gruppen #7, så det finns inget att sluta med, och ingenting ändrades. "
        "Du leder: #1 Walking group"
    )
    assert await said(bot, tuula, "/leave") == (
        "Vilken grupp? Skriv /leave N, där N är gruppens nummer. Du leder: #1 Walking group"
    )
    assert (await said(bot, tuula, "/leave walking")).startswith("Skriv /leave N")
    assert (await said(bot, kaisa, "/leave 1")).startswith("You do not lead any group")
    question = await bot.say(tuula, "/leave 1")
    assert (question.text or "").startswith("Sluta leda gruppen #1 Walking group?")
    # another person's press of her question does nothing
    alert = await refused(bot, ilkka, question, question.buttons()[0][1])
    assert alert.startswith("This button no longer works")
    mark = bot.emulator.mark()

    assert await confirm(bot, tuula, question) == (
        "Du leder inte längre gruppen #1 Walking group. Dess andra handledare och "
        "koordinatorerna har fått veta det."
    )
    assert everything_told(bot, ilkka, mark) == [
        "Tuula is no longer an instructor of the group Walking group (stepped down). "
        "You still lead it."
    ]
    assert everything_told(bot, kaisa, mark) == [
        "Tuula is no longer an instructor of the group #1 Walking group (stepped down)."
    ]
    assert len(everything_told(bot, cora, mark)) == 1
    assert [c.method for c in bot.emulator.calls[mark:] if c.chat_id == tuula["id"]] == [
        "editMessageText"
    ]
    assert (await said(bot, tuula, "/buddies 1")).startswith("Du kan inte hantera")
    assert await audit(bot) == [(tuula["id"], "instructor-removed", "group 1", "chat", tuula["id"])]


async def test_an_instructor_who_leaves_the_group_chat_no_longer_leads_it(
    bot: RunningBot,
) -> None:
    kaisa, cora, ilkka, tuula = await espoo(bot)
    group = bot.emulator.chats[-100]
    mark = bot.emulator.mark()

    # Telegram says it twice: the chat_member update and the service message
    await bot.emulator.member_left(tuula, group)
    await settled(bot)

    assert everything_told(bot, tuula, mark) == [
        "Du är inte längre handledare för gruppen #1 Walking group (lämnade gruppchatten). "
        "Din roll i Espoo och dina andra grupper förblir som de var. Vill du leda den igen, "
        "be om en inbjudningslänk som medhandledare."
    ]
    assert everything_told(bot, ilkka, mark) == [
        "Tuula is no longer an instructor of the group Walking group (left the group chat). "
        "You still lead it."
    ]
    assert everything_told(bot, kaisa, mark) == [
        "Tuula is no longer an instructor of the group #1 Walking group (left the group chat)."
    ]
    assert len(everything_told(bot, cora, mark)) == 1
    assert (await said(bot, tuula, "/buddies 1")).startswith("Du kan inte hantera")
    assert await audit(bot) == [(tuula["id"], "instructor-removed", "group 1", "chat", tuula["id"])]

    # removed by someone else: the last instructor goes, and the group is flagged
    mark = bot.emulator.mark()
    await bot.emulator.push_update(
        "message",
        {
            "message_id": 9001,
            "from": kaisa,
            "chat": group.json(),
            "date": 0,
            "left_chat_member": ilkka,
        },
    )
    await settled(bot)
    assert everything_told(bot, ilkka, mark) == [
        "You are no longer an instructor of the group #1 Walking group (removed from the group "
        "chat). Your role in Espoo and your other groups stay as they were. To lead it again, "
        "ask for a co-instructor's invitation link."
    ]
    assert everything_told(bot, kaisa, mark)[0].endswith(
        "Give an instructor a link with /invite instructor N (N is the group's number)."
    )


async def test_the_last_coordinator_keeps_the_role_and_an_ended_one_refuses(
    bot: RunningBot,
) -> None:
    kaisa, cora, _, _ = await espoo(bot)

    listing = await bot.say(cora, "/staff")
    question = await asked(bot, cora, listing, f"staff:role:{kaisa['id']}")
    done = await confirm(bot, cora, question)
    assert done.startswith("Valmis.\nHenkilön Kaisa rooli organisaatiossa Espoo")
    assert told(bot, kaisa, "Your role as coordinator of Espoo has ended") != []
    assert (await said(bot, kaisa, "/export")).startswith("Only a coordinator")
    assert (await said(bot, kaisa, "/staff")).startswith("Only a coordinator")

    # Cora is now the last coordinator: neither she nor an admin can end her role
    listing = await bot.say(cora, "/staff")
    alert = await refused(bot, cora, listing, f"staff:role:{cora['id']}")
    assert alert.startswith("Cora on organisaation Espoo viimeinen koordinaattori")
    admin = bot.emulator.user(ADMIN_ID, "Admin", language_code="en")
    listing = await bot.say(admin, "/staff")
    alert = await refused(bot, admin, listing, f"staff:role:{cora['id']}")
    assert alert.startswith("Cora is the last coordinator of Espoo")
    assert len(await audit(bot)) == 1


async def test_forged_expired_and_foreign_presses_change_nothing(bot: RunningBot) -> None:
    kaisa, cora, ilkka, tuula = await espoo(bot)
    emulator = bot.emulator
    vera = emulator.user(2100, "Vera", language_code="en")
    await bot.make_staff(vera, role="coordinator", organisation="Vantaa")
    stranger = emulator.user(4000, "Sami", language_code="en")
    emulator.open_private_chat(stranger)
    listing = await bot.say(kaisa, "/staff")

    # someone else's organisation, a stranger, an instructor: refused in words
    alert = await refused(bot, vera, listing, f"staff:role:{ilkka['id']}")
    assert alert.startswith("That person is not (or no longer) staff")
    assert (await refused(bot, stranger, listing, f"staff:role:{ilkka['id']}")).startswith(
        "Only a coordinator"
    )
    assert (await refused(bot, tuula, listing, f"staff:off:{ilkka['id']}:1")).startswith(
        "Bara en koordinator"
    )
    # made-up tokens
    for data in ("staff:yes:AAAAAAAAAAAAAAAAAAAAAA", "staff:no:x"):
        assert (await refused(bot, kaisa, listing, data)).startswith("This button no longer")

    question = await asked(bot, kaisa, listing, f"staff:role:{ilkka['id']}")
    # another coordinator of the same organisation pressing Kaisa's question: not theirs
    assert (await refused(bot, cora, question, question.buttons()[0][1])).startswith(
        "Tämä painike ei enää toimi"
    )
    # a newer question replaces the older one
    newer = await asked(bot, kaisa, listing, f"staff:off:{tuula['id']}:1")
    assert (await refused(bot, kaisa, question, question.buttons()[0][1])).startswith(
        "This button no longer works"
    )
    # too late: 15 minutes have passed
    bot.clock.advance(dt.timedelta(minutes=15))
    assert (await refused(bot, kaisa, newer, newer.buttons()[0][1])).startswith(
        "This button no longer works"
    )
    # and no keeps it as it is
    question = await asked(bot, kaisa, listing, f"staff:role:{ilkka['id']}")
    mark = emulator.mark()
    await bot.press(kaisa, question.result, question.buttons()[1][1])
    kept = await emulator.wait_for("editMessageText", chat_id=kaisa["id"], after=mark)
    assert kept.text == "Nothing was changed."
    assert (await refused(bot, kaisa, question, question.buttons()[0][1])).startswith(
        "This button no longer works"
    )

    await settled(bot)
    assert await audit(bot) == []
    assert await rows(bot, "SELECT person_id, role FROM staff ORDER BY person_id") == [
        (kaisa["id"], "coordinator"),
        (cora["id"], "coordinator"),
        (vera["id"], "coordinator"),
        (ilkka["id"], "instructor"),
        (tuula["id"], "instructor"),
    ]
    assert len(await rows(bot, "SELECT 1 FROM group_instructors")) == 2
    assert told(bot, ilkka, "Your role") == []


async def test_an_admin_sees_every_organisation_and_long_lists_come_in_pages(
    bot: RunningBot,
) -> None:
    emulator = bot.emulator
    admin = emulator.user(ADMIN_ID, "Admin", language_code="en")
    await bot.make_staff(emulator.user(2100, "Vera", language_code="en"), "coordinator", "Vantaa")
    for number in range(20):
        name = f"Instructor number {number:02d} with a rather long name"
        await bot.make_staff(emulator.user(5000 + number, name, language_code="fi"))

    first = await bot.say(admin, "/staff")
    text = first.text or ""
    assert text.startswith("Staff of Espoo:\n")
    assert text.endswith("Page 1/3")
    assert ("Next ›", "staff:page:1") in first.buttons()
    pages = [text]
    shown = first
    for number in (1, 2):
        mark = emulator.mark()
        await bot.press(admin, shown.result, f"staff:page:{number}")
        shown = await emulator.wait_for("editMessageText", chat_id=ADMIN_ID, after=mark)
        pages.append(shown.text or "")
    assert pages[1].startswith("Staff of Espoo (continued):\n")
    assert "Staff of Vantaa:\n• Vera, coordinator" in pages[2]
    assert ("‹ Previous", "staff:page:1") in shown.buttons()
    listed = [line for page in pages for line in page.splitlines() if line.startswith("• ")]
    assert len(listed) == 21
    assert all(len(page) < 4096 for page in pages)
    # a page number beyond the last shows the last
    mark = emulator.mark()
    await bot.press(admin, shown.result, "staff:page:99")
    await bot.handled_everything()
    assert [c.method for c in emulator.calls[mark:] if c.chat_id == ADMIN_ID] in (
        [],  # the same page again: Telegram says "not modified", nothing changes
        ["editMessageText"],
    )


async def test_an_ended_role_leaves_nothing_of_the_person_once_they_are_erased(
    bot: RunningBot,
) -> None:
    kaisa, _, ilkka, tuula = await espoo(bot)
    await bot.say(ilkka, "/leave 1")  # his own question, left open
    listing = await bot.say(kaisa, "/staff")
    await confirm(bot, kaisa, await asked(bot, kaisa, listing, f"staff:role:{ilkka['id']}"))
    await asked(bot, kaisa, listing, f"staff:off:{tuula['id']}:1")  # open, not about him
    assert len(await rows(bot, "SELECT 1 FROM staff_requests")) == 2

    erase = await bot.say(ilkka, "/forgetme")
    mark = bot.emulator.mark()
    await bot.press(ilkka, erase.result, erase.buttons()[0][1])
    await bot.emulator.wait_for("editMessageText", chat_id=ilkka["id"], after=mark)
    await settled(bot)

    # the notices that named him, the audit entry about him: no id, no name
    assert await found_anywhere(bot, ilkka["id"], ("Ilkka",)) == []
    assert [subject < 0 for *_, subject in await audit(bot)] == [True]
    assert await rows(bot, "SELECT asked_by, person_id FROM staff_requests") == [
        (kaisa["id"], tuula["id"])
    ]
