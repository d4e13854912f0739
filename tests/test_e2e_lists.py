"""Lists that fit a phone, end to end in Finnish, Swedish and English: /schedule asks an
instructor with two groups which one, pages a group's thirty-odd items ten at a time with a
cancel button for each, cancels on page 2 of the second group, and answers a forged or stale
button in words without changing anything; /scheduled and /broadcasts tell each broadcast's
status (with its own date), kind and first words."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from bot.clock import FixedClock
from bot.errors import DomainError
from bot.payload import AlbumContent, MediaContent, TextContent
from bot.services.meetings import LABEL_LIMIT, PAGE_ENTRIES
from emulator import ApiCall
from storage import Database
from storage.states import BroadcastStatus, Language, ScheduleStatus
from testing.harness import RunningBot, instructor_with_group

Json = dict[str, Any]

SAID = {
    "fi": {
        "which": "Minkä ryhmän aikataulun haluat nähdä?",
        "page": "📅 Chair yoga, sivu {page}/{pages}",
        "cancel": "Peru",
        "next": "Seuraava ›",
        "previous": "‹ Edellinen",
        "groups": "Ryhmät",
        "cancelled": "Peruttu: ",
        "not-planned": "Tätä viestiä ei ole enää suunniteltu",
        "page-gone": "Tätä sivua ei enää ole. Avaa lista uudelleen: /schedule",
        "not-yours": "Et voi hallita tätä ryhmää.",
        "usage": "Kirjoita ryhmän numero, esimerkiksi /schedule 3, tai pelkkä /schedule.",
        "meeting": "tapaaminen",
    },
    "sv": {
        "which": "Vilken grupps schema vill du se?",
        "page": "📅 Chair yoga, sida {page}/{pages}",
        "cancel": "Ställ in",
        "next": "Nästa ›",
        "previous": "‹ Föregående",
        "groups": "Grupper",
        "cancelled": "Inställt: ",
        "not-planned": "Det här meddelandet är inte längre planerat",
        "page-gone": "Den här sidan finns inte längre. Öppna listan igen: /schedule",
        "not-yours": "Du kan inte hantera den här gruppen.",
        "usage": "Skriv gruppens nummer, till exempel /schedule 3, eller bara /schedule.",
        "meeting": "träff",
    },
    "en": {
        "which": "Which group's schedule would you like to see?",
        "page": "📅 Chair yoga, page {page}/{pages}",
        "cancel": "Cancel",
        "next": "Next ›",
        "previous": "‹ Previous",
        "groups": "Groups",
        "cancelled": "Cancelled: ",
        "not-planned": "This message is no longer planned",
        "page-gone": "That page is no longer there. Open the list again: /schedule",
        "not-yours": "You cannot manage this group.",
        "usage": "Write the group's number, for example /schedule 3, or just /schedule.",
        "meeting": "meeting",
    },
}


async def press_for(bot: RunningBot, user: Json, call: ApiCall, data: str, method: str) -> ApiCall:
    """Press ``data`` under ``call``'s message; the bot's next ``method`` to the person."""
    mark = bot.emulator.mark()
    await bot.press(user, call.result, data)
    return await bot.emulator.wait_for(method, chat_id=user["id"], after=mark)


def data_of(call: ApiCall, label: str) -> str:
    return next(data for shown, data in call.buttons() if shown == label)


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_schedule_asks_which_group_and_pages_with_a_button_per_item(
    bot: RunningBot, language: str
) -> None:
    said = SAID[language]
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code=language)
    await bot.registered_group(ilkka, -100, "Walking group")
    await bot.registered_group(ilkka, -200, "Chair yoga")
    await bot.set_meetings(ilkka, "/meetings 1 ti 14:00 1.12. x8")
    await bot.set_meetings(ilkka, "/meetings 2 to 10:00 3.12. x8")
    walking = await bot.services.meetings.schedule(ilkka["id"], 1)
    yoga = await bot.services.meetings.schedule(ilkka["id"], 2)
    planned = sum(item.status == ScheduleStatus.PENDING for item in yoga.items)
    assert planned + len(yoga.meetings) >= 30  # thirty-odd things to list in each group
    walking_planned = {i.id for i in walking.items if i.status == ScheduleStatus.PENDING}
    pages = -(-(planned + len(yoga.meetings)) // PAGE_ENTRIES)

    choice = await bot.say(ilkka, "/schedule")
    assert choice.text == said["which"]
    assert choice.buttons() == [("Chair yoga (#2)", "mt:p:2:0"), ("Walking group (#1)", "mt:p:1:0")]

    # every page of the second group: ten numbered lines, each with its own short button
    page = await press_for(bot, ilkka, choice, "mt:p:2:0", "editMessageText")
    shown = [page]
    for _ in range(pages - 1):
        page = await press_for(bot, ilkka, page, data_of(page, said["next"]), "editMessageText")
        shown.append(page)
    listed = 0
    for index, page in enumerate(shown):
        text = page.text or ""
        lines = text.splitlines()
        assert lines[0] == said["page"].format(page=index + 1, pages=pages)
        assert len(text) < 1500  # well under Telegram's 4096
        numbers = [int(line.split(".", 1)[0]) for line in lines[1:]]
        assert numbers == list(range(listed + 1, listed + len(numbers) + 1))
        assert len(numbers) == (PAGE_ENTRIES if index < pages - 1 else len(numbers))
        cancels = [(label, data) for label, data in page.buttons() if data.startswith("mt:")]
        cancels = [(label, data) for label, data in cancels if not data.startswith("mt:p:")]
        cancels = [(label, data) for label, data in cancels if not data.startswith("mt:g:")]
        # the meetings and messages are all still to come: each line has its button
        assert [label.split(":", 1)[0] for label, _ in cancels] == [
            f"{said['cancel']} {number}" for number in numbers
        ]
        assert all(len(label) <= LABEL_LIMIT for label, _ in page.buttons())
        assert all(len(data.encode()) <= 64 for _, data in page.buttons())
        turns = [label for label, _ in page.buttons()][len(cancels) :]
        assert turns == [
            *([said["previous"]] if index > 0 else []),
            *([said["next"]] if index < pages - 1 else []),
            said["groups"],
        ]
        listed += len(numbers)
    assert listed == planned + len(yoga.meetings)
    assert f" {said['meeting']} ✅" in (shown[0].text or "")

    # page 2 of the second group: its first planned message is cancelled, nothing else
    page_two = await press_for(bot, ilkka, shown[-1], "mt:p:2:1", "editMessageText")
    assert page_two.text == shown[1].text
    cancel = next(data for _, data in page_two.buttons() if data.startswith("mt:i:"))
    item_id = int(cancel.removeprefix("mt:i:"))
    confirmed = await press_for(bot, ilkka, page_two, cancel, "sendMessage")
    assert (confirmed.text or "").startswith(said["cancelled"])
    after = await bot.services.meetings.schedule(ilkka["id"], 2)
    dropped = [i for i in after.items if i.status == ScheduleStatus.DROPPED]
    assert [(i.id, i.group_id) for i in dropped] == [(item_id, 2)]
    again = await bot.services.meetings.schedule(ilkka["id"], 1)
    assert {i.id for i in again.items if i.status == ScheduleStatus.PENDING} == walking_planned
    refreshed = await press_for(bot, ilkka, page_two, "mt:p:2:1", "editMessageText")
    assert cancel not in [data for _, data in refreshed.buttons()]
    assert len(refreshed.buttons()) == len(page_two.buttons())  # the next item moved up

    # the same button again (stale), a page that is not there, someone else's group:
    # each answered in words, nothing changed
    outi = emulator.user(3100, "Outi", language_code="fi")
    await bot.registered_group(outi, -300, "Choir")
    for data, words in (
        (cancel, said["not-planned"]),
        ("mt:p:2:99", said["page-gone"]),
        ("mt:p:3:0", said["not-yours"]),
        ("mt:p:999999:0", said["not-yours"]),
        ("mt:g:7", said["page-gone"]),
    ):
        answered = await bot.press(ilkka, page_two.result, data)
        assert answered.params.get("show_alert") is True
        assert str(answered.params.get("text")).startswith(words), data
    final = await bot.services.meetings.schedule(ilkka["id"], 2)
    assert final.items == after.items

    # /schedule N goes straight to the group; another's group or junk is refused in words
    direct = await bot.say(ilkka, "/schedule 1")
    assert (direct.text or "").startswith("📅 Walking group")
    assert direct.buttons()[0][1].startswith("mt:i:")
    refused = await bot.say(ilkka, "/schedule 3")
    assert (refused.text or "").startswith(said["not-yours"])
    assert (await bot.say(ilkka, "/schedule yoga")).text == said["usage"]


LISTED = {
    "fi": {
        "scheduled": [
            "Ajastetut lähetykset:",
            "#2 29.11.2026 9.00: Walking group · kuva: ”Our picnic by the lake last summer”",
            "#4 30.11.2026 9.00: Chair yoga · video",
        ],
        "recent": [
            "Viimeisimmät lähetykset:",
            "#4 ⏰ ajastettu 30.11.2026 9.00 · video",
            "#3 ❌ peruttu 28.11.2026 12.00 · albumi (3): ”Summer photos”",
            "#2 ⏰ ajastettu 29.11.2026 9.00 · kuva: ”Our picnic by the lake last summer”",
            "#1 ✅ lähetetty 28.11.2026 12.00, perillä 2/2, reaktioita <5, vastauksia <5"
            " · teksti: ”Remember our walk on Tuesday, bring…”",
        ],
    },
    "sv": {
        "scheduled": [
            "Schemalagda utskick:",
            "#2 29.11.2026 09.00: Walking group · bild: ”Our picnic by the lake last summer”",
            "#4 30.11.2026 09.00: Chair yoga · video",
        ],
        "recent": [
            "Senaste utskick:",
            "#4 ⏰ schemalagt till 30.11.2026 09.00 · video",
            "#3 ❌ avbrutet 28.11.2026 12.00 · album (3): ”Summer photos”",
            "#2 ⏰ schemalagt till 29.11.2026 09.00 · bild: ”Our picnic by the lake last summer”",
            "#1 ✅ skickat 28.11.2026 12.00, framme 2/2, reaktioner <5, svar <5"
            " · text: ”Remember our walk on Tuesday, bring…”",
        ],
    },
    "en": {
        "scheduled": [
            "Scheduled broadcasts:",
            "#2 29 Nov 2026, 9.00: Walking group · photo: “Our picnic by the lake last summer”",
            "#4 30 Nov 2026, 9.00: Chair yoga · video",
        ],
        "recent": [
            "Recent broadcasts:",
            "#4 ⏰ scheduled for 30 Nov 2026, 9.00 · video",
            "#3 ❌ cancelled 28 Nov 2026, 12.00 · album (3): “Summer photos”",
            "#2 ⏰ scheduled for 29 Nov 2026, 9.00 · photo: “Our picnic by the lake last summer”",
            "#1 ✅ sent 28 Nov 2026, 12.00, delivered 2/2, reactions <5, replies <5"
            " · text: “Remember our walk on Tuesday, bring…”",
        ],
    },
}


def photo(caption: str | None = None) -> MediaContent:
    return MediaContent(kind="photo", file_id="AgADphoto", caption=caption)


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_broadcast_lists_tell_status_kind_and_first_words(
    bot: RunningBot, clock: FixedClock, language: str
) -> None:
    emulator = bot.emulator
    broadcasts = bot.services.broadcasts
    ilkka = emulator.user(3000, "Ilkka", language_code=language)
    walking = await bot.registered_group(ilkka, -100, "Walking group")
    yoga = await bot.registered_group(ilkka, -200, "Chair yoga")
    tomorrow = dt.datetime(2026, 11, 29, 7, 0, tzinfo=dt.UTC)  # 9:00 in Helsinki

    walk = "Remember our walk on Tuesday, bring water and good shoes please"
    await broadcasts.send(ilkka["id"], TextContent(text=walk), [1, 2])
    for group in (walking, yoga):
        await emulator.wait_for("sendMessage", chat_id=group.id, where=lambda c: c.text == walk)
    for _ in range(100):  # the delivery is recorded just after Telegram's answer
        if (await broadcasts.recent_for(ilkka["id"]))[0].broadcast.status == BroadcastStatus.DONE:
            break
        await asyncio.sleep(0.05)
    picnic = photo("Our picnic\nby the lake  last summer")
    await broadcasts.send(ilkka["id"], picnic, [1], tomorrow)
    album = AlbumContent(items=[photo("Summer photos"), photo(), photo()])
    await broadcasts.send(ilkka["id"], album, [1, 2], tomorrow)
    video = MediaContent(kind="video", file_id="BAADvideo")
    await broadcasts.send(ilkka["id"], video, [2], tomorrow + dt.timedelta(days=1))

    listing = await bot.say(ilkka, "/scheduled")
    assert [data for _, data in listing.buttons()] == ["bc:x:2", "bc:x:3", "bc:x:4"]
    cancelled = await press_for(bot, ilkka, listing, "bc:x:3", "sendMessage")
    assert "#3" in (cancelled.text or "")

    listing = await bot.say(ilkka, "/scheduled")
    assert (listing.text or "").splitlines() == LISTED[language]["scheduled"]
    recent = await bot.say(ilkka, "/broadcasts")
    lines = (recent.text or "").splitlines()
    assert lines[: len(LISTED[language]["recent"])] == LISTED[language]["recent"]
    # the waiting ones are shown, the cancelled one is not "delivered 0/2" on its future day
    assert "29.11.2026" not in lines[2]


async def test_a_broadcast_on_its_way_reads_as_sending(
    database: Database, clock: FixedClock
) -> None:
    """No sender runs here: the rows wait in the outbox, as while a big broadcast goes."""
    services, group = await instructor_with_group(
        database, clock, instructor=2, title="Kävelyryhmä", language="fi"
    )
    await services.broadcasts.send(2, TextContent(text="Hei kaikki!"), [group.id])
    reply = await services.broadcasts.recent_listing(2)
    rendered = {
        language: services.translator.render(language, reply.text).splitlines()[1]
        for language in ("fi", "sv", "en")
    }
    assert rendered == {
        "fi": "#1 📤 lähtee 28.11.2026 12.00, perillä 0/1, reaktioita <5, vastauksia <5"
        " · teksti: ”Hei kaikki!”",
        "sv": "#1 📤 skickas 28.11.2026 12.00, framme 0/1, reaktioner <5, svar <5"
        " · text: ”Hei kaikki!”",
        "en": "#1 📤 sending 28 Nov 2026, 12.00, delivered 0/1, reactions <5, replies <5"
        " · text: “Hei kaikki!”",
    }


async def test_the_choice_of_group_pages_too(database: Database, clock: FixedClock) -> None:
    """Twelve groups: ten buttons and Next, then two and Previous; a page past the end is
    refused in words."""
    services, _ = await instructor_with_group(
        database, clock, instructor=2, title="Ryhmä 01", language="fi"
    )
    for number in range(2, 13):
        await services.groups.bot_added(
            2, -100 - number, f"Ryhmä {number:02}", language=Language.FI, bot_is_admin=True
        )
    first = await services.meetings.schedule_listing(2)
    assert first == await services.meetings.schedule_choice(2, 0)
    rows = [[button.data for button in row] for row in first.buttons]
    assert rows == [*([f"mt:p:{n}:0"] for n in range(1, 11)), ["mt:g:1"]]
    second = await services.meetings.schedule_choice(2, 1)
    assert [[button.data for button in row] for row in second.buttons] == [
        ["mt:p:11:0"],
        ["mt:p:12:0"],
        ["mt:g:0"],
    ]
    assert services.translator.render("sv", second.buttons[0][0].label) == "Ryhmä 11 (#11)"
    with pytest.raises(DomainError) as refused:
        await services.meetings.schedule_choice(2, 2)
    assert refused.value.key == "schedule.page-gone"


PAGED = {
    "fi": (
        "Ajastetut lähetykset, sivu {page}/{pages}:",
        "Tätä sivua ei enää ole. Avaa lista uudelleen: /scheduled",
        "Tämä painike ei ole enää käytössä.",
        "Seuraava ›",
        "‹ Edellinen",
    ),
    "sv": (
        "Schemalagda utskick, sida {page}/{pages}:",
        "Den här sidan finns inte längre. Öppna listan igen: /scheduled",
        "Den här knappen används inte längre.",
        "Nästa ›",
        "‹ Föregående",
    ),
    "en": (
        "Scheduled broadcasts, page {page}/{pages}:",
        "That page is no longer there. Open the list again: /scheduled",
        "This button no longer works.",
        "Next ›",
        "‹ Previous",
    ),
}


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_scheduled_pages_everyones_broadcasts_for_an_admin(
    bot: RunningBot, language: str
) -> None:
    """Two instructors schedule 28 broadcasts to groups with long names; the admin's
    /scheduled is three pages of at most ten, each line with its own cancel button, every
    message well under 4096 characters; a cancel on page 2 cancels that one only, and a
    forged page (past the end, negative, huge, pressed by someone with a shorter list or by
    a participant) is answered in words and changes nothing."""
    header, gone, stale, next_, previous = PAGED[language]
    emulator = bot.emulator
    broadcasts = bot.services.broadcasts
    admin = emulator.user(1000, "Anna", language_code=language)
    emulator.open_private_chat(admin)
    ilkka = emulator.user(3000, "Ilkka", language_code="fi")
    outi = emulator.user(3100, "Outi", language_code="en")
    groups = []
    for number, instructor in enumerate((ilkka, ilkka, outi, outi), start=1):
        title = f"Kävelyryhmä {number}, Espoon keskuksen asukastalo ja kirjaston kerhohuone"
        groups.append(await bot.registered_group(instructor, -100 - number, title))
    tomorrow = dt.datetime(2026, 11, 29, 7, 0, tzinfo=dt.UTC)
    words = "Muistakaa tiistain kävely, ottakaa vettä mukaan ja hyvät kengät jalkaan " * 20
    for index in range(28):
        instructor, targets = (ilkka, [1, 2]) if index % 2 == 0 else (outi, [3, 4])
        at = tomorrow + dt.timedelta(hours=index)
        await broadcasts.send(instructor["id"], TextContent(text=f"{index} {words}"), targets, at)
    everyone = [s.broadcast.id for s in await broadcasts.scheduled_for(admin["id"])]
    assert len(everyone) == 28

    page = await bot.say(admin, "/scheduled")
    pages = [page]
    for _ in range(2):
        page = await press_for(bot, admin, page, data_of(page, next_), "editMessageText")
        pages.append(page)
    listed: list[int] = []
    for index, page in enumerate(pages):
        text = page.text or ""
        lines = text.splitlines()
        assert lines[0] == header.format(page=index + 1, pages=3)
        assert len(text) < 3500  # well under Telegram's 4096
        numbers = [int(line.split(" ", 1)[0].removeprefix("#")) for line in lines[1:]]
        assert len(numbers) == (10 if index < 2 else 8)
        assert all("…" in line and len(line) < 300 for line in lines[1:])
        cancels = [data for _, data in page.buttons() if data.startswith("bc:x:")]
        assert cancels == [f"bc:x:{number}" for number in numbers]
        turns = [label for label, data in page.buttons() if data.startswith("bc:sp:")]
        assert turns == [*([previous] if index > 0 else []), *([next_] if index < 2 else [])]
        listed += numbers
    assert listed == everyone

    # the second page's third broadcast (one of Outi's) is cancelled, and only it
    cancel = [data for _, data in pages[1].buttons() if data.startswith("bc:x:")][2]
    await press_for(bot, admin, pages[1], cancel, "sendMessage")
    left = [s.broadcast.id for s in await broadcasts.scheduled_for(admin["id"])]
    assert left == [n for n in everyone if f"bc:x:{n}" != cancel]

    # forged pages: past the end, negative, huge; Outi's own list has two pages only;
    # a participant is no staff. Each is told so, nothing changes.
    carl = emulator.user(5003, "Carl", language_code="en")
    emulator.open_private_chat(carl)
    for person, data, said in (
        (admin, "bc:sp:3", gone),
        (admin, "bc:sp:-1", stale),
        (admin, "bc:sp:99999999", stale),
        (outi, "bc:sp:2", PAGED["en"][1]),
        (carl, "bc:sp:1", "This is for instructors and coordinators."),
    ):
        answered = await bot.press(person, pages[0].result, data)
        assert answered.params.get("show_alert") is True, data
        assert str(answered.params.get("text")).startswith(said), data
    assert [s.broadcast.id for s in await broadcasts.scheduled_for(admin["id"])] == left
    assert emulator.message(admin["id"], pages[0].result["message_id"])["text"] == pages[2].text
    outis = await bot.say(outi, "/scheduled")
    assert (outis.text or "").startswith("Scheduled broadcasts, page 1/2:")
