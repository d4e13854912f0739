"""Staff find their commands, end to end: each staff member's private chat gets a menu of
their own (``setMyCommands`` for that chat) with every command they may use there,
described in their language; it follows a role gained or ended and a language chosen, and
an unchanged menu is not sent again. A staff member who types a private-only command in a
group is pointed to the private chat, once an hour per person and group; a participant
typing it gets the silence of before."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FixedClock
from bot.commands import COMMANDS, commands_for
from bot.roles import ChatKind, Role
from bot.services import menus as menus_module
from bot.services.staff import StaffService
from emulator import ApiCall, BotApiEmulator
from testing.harness import RunningBot, test_settings
from tests.test_e2e_privacy import rows

Json = dict[str, Any]
ADMIN_ID = 1000  # the bot fixture's KANNUSTIN_ADMINS
EVERYONE = [spec.name for spec in commands_for({Role.EVERYONE}, ChatKind.PRIVATE)]
INSTRUCTOR = [*EVERYONE, "groups", "group", "broadcast", "scheduled", "broadcasts", "save"]
BROADCAST = {
    "fi": "Lähetä viesti ryhmille",
    "sv": "Skicka ett meddelande till grupper",
    "en": "Send a message to groups",
}
NEWORG = {"fi": "Uusi organisaatio", "sv": "Ny organisation", "en": "New organisation"}


async def menu_set(
    bot: RunningBot, person: Json, after: int, method: str = "setMyCommands"
) -> ApiCall:
    """The bot's next change of this person's own menu."""
    return await bot.emulator.wait_for(
        method,
        where=lambda call: (call.params.get("scope") or {}).get("chat_id") == person["id"],
        after=after,
    )


def described(call: ApiCall) -> dict[str, str]:
    return {command["command"]: command["description"] for command in call.params["commands"]}


def own_menu_calls(bot: RunningBot, person: Json) -> int:
    return sum(
        1
        for call in bot.emulator.calls
        if call.method in {"setMyCommands", "deleteMyCommands"}
        and (call.params.get("scope") or {}).get("chat_id") == person["id"]
    )


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_an_instructor_gets_the_staff_commands_in_their_language(
    bot: RunningBot, language: str
) -> None:
    emulator = bot.emulator
    ilona = emulator.user(3000, "Ilona", language_code=language)
    mark = emulator.mark()
    await bot.make_staff(ilona, role="instructor")
    call = await menu_set(bot, ilona, mark)
    assert call.params["scope"] == {"type": "chat", "chat_id": 3000}
    assert "language_code" not in call.params  # theirs, whatever their app speaks
    shown = emulator.menu_of(3000, language)
    assert shown[: len(INSTRUCTOR)] == INSTRUCTOR
    assert {"meetings", "stats", "schedule", "invite", "leave"} <= set(shown)
    assert not {"export", "staff", "approval", "neworg"} & set(shown)
    assert described(call)["broadcast"] == BROADCAST[language]
    # the app in another language sees the same menu: it is the chat's own
    assert emulator.menu_of(3000, "de") == shown
    # someone else's chat still shows everyone's menu
    assert emulator.menu_of(4242, language) == EVERYONE


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_a_coordinator_and_an_admin_get_theirs(bot: RunningBot, language: str) -> None:
    emulator = bot.emulator
    kaisa = emulator.user(2000, "Kaisa", language_code=language)
    mark = emulator.mark()
    await bot.make_staff(kaisa, role="coordinator")
    call = await menu_set(bot, kaisa, mark)
    shown = emulator.menu_of(2000, language)
    assert {"broadcast", "stats", "export", "review", "staff", "approval", "orgcontact"} <= set(
        shown
    )
    assert "neworg" not in shown
    assert described(call)["broadcast"] == BROADCAST[language]

    # the admin of the settings gets theirs once they have written to the bot
    admin = emulator.user(ADMIN_ID, "Ada", language_code=language)
    mark = emulator.mark()
    await bot.say(admin, "/start")
    call = await menu_set(bot, admin, mark)
    shown = emulator.menu_of(ADMIN_ID, language)
    assert shown == [
        spec.name for spec in commands_for({Role.EVERYONE, Role.ADMIN}, ChatKind.PRIVATE)
    ]
    assert {"neworg", "export", "broadcast"} <= set(shown)
    assert described(call)["neworg"] == NEWORG[language]


async def test_a_sweep_does_not_send_an_unchanged_menu_again(bot: RunningBot) -> None:
    """Ada, an admin of the settings, has her menu; the comparison every sweep and every
    start-up makes finds it as last set and sends nothing."""
    emulator = bot.emulator
    admin = emulator.user(ADMIN_ID, "Ada", language_code="sv")
    mark = emulator.mark()
    await bot.say(admin, "/start")
    await menu_set(bot, admin, mark)
    assert emulator.menu_of(ADMIN_ID, "sv")[-1] == "neworg"
    sent = own_menu_calls(bot, admin)
    await bot.services.menu_publisher.refresh_all()  # what every scheduler sweep does
    await bot.handled_everything()
    assert own_menu_calls(bot, admin) == sent


async def test_a_menu_follows_the_language_chosen_and_is_not_sent_twice(bot: RunningBot) -> None:
    emulator = bot.emulator
    tuula = emulator.user(3001, "Tuula", language_code="sv")
    mark = emulator.mark()
    await bot.make_staff(tuula)
    assert described(await menu_set(bot, tuula, mark))["broadcast"] == BROADCAST["sv"]
    choice = await bot.say(tuula, "/language")
    mark = emulator.mark()
    await bot.press(tuula, choice.result, "lang:en")
    assert described(await menu_set(bot, tuula, mark))["broadcast"] == BROADCAST["en"]
    sent = own_menu_calls(bot, tuula)
    # the same language again, a sweep: nothing new to send
    choice = await bot.say(tuula, "/language")
    await bot.press(tuula, choice.result, "lang:en")
    await bot.services.menu_publisher.refresh_all()
    await bot.handled_everything()
    assert own_menu_calls(bot, tuula) == sent


async def test_a_role_ended_takes_the_menu_back(bot: RunningBot) -> None:
    emulator = bot.emulator
    ilona = emulator.user(3000, "Ilona", language_code="fi")
    kaisa = emulator.user(2000, "Kaisa", language_code="en")
    await bot.make_staff(kaisa, role="coordinator")
    mark = emulator.mark()
    await bot.make_staff(ilona)
    await menu_set(bot, ilona, mark)
    assert "broadcast" in emulator.menu_of(3000, "fi")

    mark = emulator.mark()
    await bot.services.staff.revoke(3000)  # as `kannustin role revoke` does it
    await menu_set(bot, ilona, mark, method="deleteMyCommands")
    assert emulator.menu_of(3000, "fi") == EVERYONE
    assert (await bot.say(ilona, "/broadcast")).text != ""  # she is answered as anyone

    # invited again: the staff menu is back
    mark = emulator.mark()
    await bot.make_staff(ilona)
    await menu_set(bot, ilona, mark)
    assert "broadcast" in emulator.menu_of(3000, "fi")


async def test_an_erasure_takes_the_menu_back(bot: RunningBot) -> None:
    """/forgetme deletes the record of the menu with everything else: the menu itself is
    deleted in Telegram too, not left there for good."""
    emulator = bot.emulator
    ilona = emulator.user(3000, "Ilona", language_code="en")
    mark = emulator.mark()
    await bot.make_staff(ilona)
    await menu_set(bot, ilona, mark)
    assert "broadcast" in emulator.menu_of(3000, "en")

    erase = await bot.say(ilona, "/forgetme")
    mark = emulator.mark()
    await bot.press(ilona, erase.result, erase.buttons()[0][1])
    await menu_set(bot, ilona, mark, method="deleteMyCommands")
    assert emulator.menu_of(3000, "en") == EVERYONE
    assert await rows(bot, "SELECT telegram_id FROM command_menus") == []


async def test_a_role_ended_by_the_command_line_is_found_by_the_sweep(bot: RunningBot) -> None:
    """`kannustin role revoke` runs in a process of its own: the bot learns of it when it
    compares everyone's menus (each scheduler sweep, and at start-up)."""
    emulator = bot.emulator
    ilona = emulator.user(3000, "Ilona", language_code="sv")
    mark = emulator.mark()
    await bot.make_staff(ilona)
    await menu_set(bot, ilona, mark)
    services = bot.services
    elsewhere = StaffService(
        services.database, services.clock, services.settings.admins, services.notices
    )
    await elsewhere.revoke(3000)
    assert "broadcast" in emulator.menu_of(3000, "sv")  # the other process told nobody
    mark = emulator.mark()
    await services.menu_publisher.refresh_all()
    await menu_set(bot, ilona, mark, method="deleteMyCommands")
    assert emulator.menu_of(3000, "sv") == EVERYONE


async def test_a_staff_command_in_the_group_points_to_the_private_chat_once_an_hour(
    bot: RunningBot,
) -> None:
    emulator = bot.emulator
    ilona = emulator.user(3000, "Ilona", language_code="fi")
    pekka = emulator.user(5000, "Pekka", language_code="fi")
    group = await bot.registered_group(ilona, -100, "Kävelyryhmä")
    emulator.add_member(pekka, group)

    pointer = await bot.say(ilona, "/broadcast", chat=group)
    assert pointer.text == (
        "Komento /broadcast toimii yksityisviestissä: https://t.me/kannustin_test_bot"
    )
    assert "\n" not in (pointer.text or "")

    # within the hour: no second line, for this or another private-only command
    mark = emulator.mark()
    await emulator.send_text(ilona, "/stats", chat=group)
    await emulator.send_text(ilona, "/broadcast@kannustin_test_bot", chat=group)
    # a participant typing it, and a command meant for another bot: silence as before
    await emulator.send_text(pekka, "/broadcast", chat=group)
    await emulator.send_text(ilona, "/broadcast@otherbot", chat=group)
    await bot.handled_everything()
    assert not [c for c in emulator.calls[mark:] if c.method == "sendMessage" and c.chat_id == -100]

    # an hour later: one line again
    bot.clock.advance(dt.timedelta(hours=1))
    again = await bot.say(ilona, "/stats", chat=group)
    assert again.text == "Komento /stats toimii yksityisviestissä: https://t.me/kannustin_test_bot"


@pytest.mark.parametrize(
    ("language", "line"),
    [
        ("sv", "Kommandot /schedule fungerar i ett privat meddelande till mig: "),
        ("en", "The command /schedule works in a private chat with me: "),
    ],
)
async def test_the_pointer_speaks_the_groups_language(
    bot: RunningBot, language: str, line: str
) -> None:
    emulator = bot.emulator
    ilona = emulator.user(3000, "Ilona", language_code=language)
    group = await bot.registered_group(ilona, -100, "Walking group")
    # the group speaks the language of the instructor who added the bot
    pointer = await bot.say(ilona, "/schedule", chat=group)
    assert pointer.text is not None and pointer.text.startswith(line)


async def test_the_pointer_memory_is_bounded(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(menus_module, "POINTERS_KEPT", 5)
    service = bot.services.menus
    ilona = bot.emulator.user(3000, "Ilona", language_code="fi")
    await bot.make_staff(ilona)
    for chat in range(-1, -21, -1):
        assert await service.group_pointer(3000, chat, "broadcast", "kannustin_test_bot")
        assert service.pointers_kept() <= 5
    bot.clock.advance(dt.timedelta(hours=1))
    assert await service.group_pointer(3000, -1, "broadcast", "kannustin_test_bot")
    assert service.pointers_kept() == 1  # the hour-old ones are forgotten


def test_every_staff_command_fits_a_menu() -> None:
    names = [spec.name for spec in COMMANDS]
    assert len(names) <= 100 and len(set(names)) == len(names)


async def test_at_start_up_the_admins_of_the_settings_get_theirs_and_an_old_one_is_taken_back(
    emulator: BotApiEmulator, tmp_path: Path, clock: FixedClock
) -> None:
    """Ada (admin) and Bo wrote to the bot; it restarts with Bo as its admin instead: Bo's
    menu is set and Ada's taken back at start-up, before either writes again."""
    ada = emulator.user(1000, "Ada", language_code="en")
    bo = emulator.user(1001, "Bo", language_code="sv")
    first = RunningBot(test_settings(emulator, tmp_path / "bot.db", admins="1000"), emulator, clock)
    await first.start()
    try:
        mark = emulator.mark()
        await first.say(ada, "/start")
        await first.say(bo, "/start")
        await menu_set(first, ada, mark)
    finally:
        await first.stop()
    assert "neworg" in emulator.menu_of(1000, "en")
    assert emulator.menu_of(1001, "sv") == EVERYONE

    mark = emulator.mark()
    second = RunningBot(
        test_settings(emulator, tmp_path / "bot.db", admins="1001"), emulator, clock
    )
    await second.start()
    try:
        call = await menu_set(second, bo, mark)
        await menu_set(second, ada, mark, method="deleteMyCommands")
    finally:
        await second.stop()
    assert described(call)["neworg"] == NEWORG["sv"]
    assert "neworg" in emulator.menu_of(1001, "sv")
    assert emulator.menu_of(1000, "en") == EVERYONE


async def test_an_admin_seen_only_in_a_group_gets_theirs_on_writing_privately(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    """Telegram refuses a menu for a chat the person never opened: the sweeps try again
    without a warning each minute, and the admin's first private message brings it."""
    emulator = bot.emulator
    ilona = emulator.user(3000, "Ilona", language_code="fi")
    group = await bot.registered_group(ilona, -100, "Kävelyryhmä")
    admin = emulator.user(ADMIN_ID, "Ada", language_code="en")
    emulator.add_member(admin, group)
    await emulator.send_text(admin, "Hei kaikki", chat=group)
    await bot.handled_everything()
    assert await bot.services.people.get(ADMIN_ID) is not None
    for _ in range(3):
        await bot.services.menu_publisher.refresh_all()
    refused = [r for r in caplog.records if "command menu of person 1000 not set" in r.message]
    assert [r.levelname for r in refused if r.levelname == "WARNING"] == ["WARNING"]
    assert emulator.menu_of(ADMIN_ID, "en") == EVERYONE

    mark = emulator.mark()
    emulator.open_private_chat(admin)
    await bot.say(admin, "/help")
    await menu_set(bot, admin, mark)
    assert "neworg" in emulator.menu_of(ADMIN_ID, "en")
