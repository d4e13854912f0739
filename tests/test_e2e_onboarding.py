"""First contact over real HTTP: the real Application against the Bot API emulator."""

from __future__ import annotations

import logging

import pytest
from telegram import Update
from telegram.ext import CommandHandler

from bot.runtime.context import KannustinContext
from emulator import BotApiEmulator
from testing.databases import stored_bytes
from testing.harness import RunningBot


async def test_start_welcomes_in_the_language_of_the_persons_app(bot: RunningBot) -> None:
    emulator = bot.emulator
    aino = emulator.user(1, "Aino", language_code="fi")
    britt = emulator.user(2, "Britt", language_code="sv-FI")
    carol = emulator.user(3, "Carol", language_code="en")

    finnish = await bot.say(aino, "/start")
    swedish = await bot.say(britt, "/start")
    english = await bot.say(carol, "/start")

    assert finnish.text is not None and finnish.text.startswith("Hei Aino!")
    assert swedish.text is not None and swedish.text.startswith("Hej Britt!")
    assert english.text is not None and english.text.startswith("Hello Carol!")


async def test_an_app_in_a_language_we_do_not_speak_gets_finnish(bot: RunningBot) -> None:
    dieter = bot.emulator.user(4, "Dieter", language_code="de")
    nobody = bot.emulator.user(5, "Nobody", language_code=None)

    assert (await bot.say(dieter, "/start")).text.startswith("Hei Dieter!")  # type: ignore[union-attr]
    assert (await bot.say(nobody, "/start")).text.startswith("Hei Nobody!")  # type: ignore[union-attr]


async def test_everyone_who_talks_to_the_bot_is_remembered_without_their_words(
    bot: RunningBot,
) -> None:
    aino = bot.emulator.user(1, "Aino", language_code="fi")
    await bot.say(aino, "/start")
    await bot.say(aino, "my secret diary entry")

    person = await bot.services.people.get(1)
    assert person is not None
    assert person.telegram_language == "fi"
    assert person.language is None  # not chosen yet
    # SQLite: the main file and its write-ahead log (fresh rows live in the -wal file)
    stored = stored_bytes(bot.settings.database)
    assert len(stored) > 4096  # really read the database
    assert (await bot.services.people.get(1)) is not None
    assert b"secret diary" not in stored
    assert b"Aino" not in stored


async def test_help_lists_the_commands_with_descriptions(bot: RunningBot) -> None:
    carol = bot.emulator.user(3, "Carol", language_code="en")

    reply = await bot.say(carol, "/help")

    assert reply.text == (
        "You can use these commands:\n"
        "/start - Start and say hello\n"
        "/help - What I can do\n"
        "/language - Change language\n"
        "/privacy - What is stored and why\n"
        "/consent - Your consent: give or withdraw\n"
        "/tip - A tip for your week\n"
        "/survey - Carry on with an unfinished survey\n"
        "/myposts - Posts you shared\n"
        "/mydata - Everything stored about you, as a file\n"
        "/forgetme - Erase your data"
    )


async def test_help_in_a_group_lists_only_group_commands(bot: RunningBot) -> None:
    emulator = bot.emulator
    carol = emulator.user(3, "Carol", language_code="en")
    group = await bot.registered_group(emulator.user(8, "Ines", language_code="en"))

    reply = await bot.say(carol, "/help@kannustin_test_bot", chat=group)

    assert reply.text == (
        "You can use these commands:\n/help - What I can do\n/privacy - What is stored and why"
    )


async def test_choosing_a_language_changes_every_later_answer(bot: RunningBot) -> None:
    emulator = bot.emulator
    aino = emulator.user(1, "Aino", language_code="fi")

    menu = await bot.say(aino, "/language")
    assert menu.text == "Valitse kieli:"
    assert menu.buttons() == [("Suomi", "lang:fi"), ("Svenska", "lang:sv"), ("English", "lang:en")]

    mark = emulator.mark()
    await bot.press(aino, menu.result, "lang:sv")
    confirmation = await emulator.wait_for("editMessageText", chat_id=1, after=mark)
    assert confirmation.text == "Okej! Nu talar jag svenska."

    assert (await bot.say(aino, "/start")).text.startswith("Hej Aino!")  # type: ignore[union-attr]
    person = await bot.services.people.get(1)
    assert person is not None and person.language == "sv"


async def test_a_forged_language_button_changes_nothing(bot: RunningBot) -> None:
    emulator = bot.emulator
    carol = emulator.user(3, "Carol", language_code="en")
    menu = await bot.say(carol, "/language")

    answer = await bot.press(carol, menu.result, "lang:de")

    assert answer.params["text"] == (
        "I do not speak that language. Please choose Finnish, Swedish or English."
    )
    assert answer.params["show_alert"] is True
    person = await bot.services.people.get(3)
    assert person is not None and person.language is None
    assert emulator.sent("editMessageText") == []


async def test_a_button_nobody_knows_gets_a_friendly_notice(bot: RunningBot) -> None:
    carol = bot.emulator.user(3, "Carol", language_code="en")
    menu = await bot.say(carol, "/language")

    answer = await bot.press(carol, menu.result, "broadcast:send:9999")

    assert answer.params["text"] == "This button no longer works."


async def test_unknown_commands_and_plain_messages_get_a_pointer_to_help(bot: RunningBot) -> None:
    carol = bot.emulator.user(3, "Carol", language_code="en")

    unknown = await bot.say(carol, "/frobnicate now")
    chatter = await bot.say(carol, "hello there")

    assert unknown.text == "I do not know that command. Type /help to see what I can do."
    assert chatter.text is not None and chatter.text.startswith("Thank you for your message!")


async def test_group_chatter_gets_no_answer(bot: RunningBot) -> None:
    emulator = bot.emulator
    carol = emulator.user(3, "Carol", language_code="en")
    group = await bot.registered_group(emulator.user(8, "Ines", language_code="en"))
    mark = emulator.mark()
    await emulator.send_text(carol, "see you all on Tuesday", chat=group)
    await emulator.send_text(carol, "/frobnicate", chat=group)

    await bot.handled_everything()

    assert [
        c for c in emulator.calls[mark:] if c.method == "sendMessage" and c.chat_id == group.id
    ] == []


async def test_an_edited_command_is_not_answered_again(bot: RunningBot) -> None:
    emulator = bot.emulator
    carol = emulator.user(3, "Carol", language_code="en")
    await bot.say(carol, "/help")
    await emulator.send_text(carol, "/help", edited=True)

    await bot.handled_everything()

    assert len(emulator.sent("sendMessage", chat_id=3)) == 1


async def test_unknown_deep_link_says_the_link_did_not_work(bot: RunningBot) -> None:
    carol = bot.emulator.user(3, "Carol", language_code="en")

    unknown = await bot.say(carol, "/start zzz_AAAAAAAAAAAAAAAAAAAAAAAA")
    garbage = await bot.say(carol, "/start <script>")

    for reply in (unknown, garbage):
        assert reply.text is not None and reply.text.startswith("This link did not work.")


async def test_update_kinds_we_do_not_handle_are_ignored(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = bot.emulator
    carol = emulator.user(3, "Carol", language_code="en")
    group = await bot.registered_group(emulator.user(8, "Ines", language_code="en"))
    mark = emulator.mark()
    delivered = [
        await emulator.push_update("future_kind_of_update", {"anything": 1}, force=True),
        await emulator.reaction(carol, group, 1, old=[], new=["👍"]),
        await emulator.reaction_count(group, 1, {"👍": 3}),
    ]
    await emulator.member_joined(emulator.user(6, "Eero"), group)

    with caplog.at_level(logging.WARNING):
        await bot.handled_everything()

    assert None not in delivered, "the emulator would not have delivered every update"
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []

    sends = [c for c in emulator.calls[mark:] if c.method == "sendMessage"]
    assert [c.chat_id for c in sends] == [999_999]  # only the sentinel's answer


async def test_a_crash_gives_an_apology_and_a_log_line_not_a_traceback(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    async def explode(update: Update, context: KannustinContext) -> None:
        raise RuntimeError("database on fire")

    bot.app.handlers[0].insert(0, CommandHandler("explode", explode))  # before the fallback
    britt = bot.emulator.user(2, "Britt", language_code="sv")

    with caplog.at_level(logging.ERROR, logger="handlers.errors"):
        reply = await bot.say(britt, "/explode")

    assert reply.text == "Förlåt, något gick fel. Försök igen om en stund."
    assert "Traceback" not in (reply.text or "")
    failure = next(record for record in caplog.records if record.name == "handlers.errors")
    assert "failed" in failure.getMessage() and "database on fire" in failure.getMessage()
    assert failure.exc_info is not None
    # The bot goes on answering.
    assert (await bot.say(britt, "/start")).text.startswith("Hej Britt!")  # type: ignore[union-attr]


async def test_start_up_publishes_localized_menus_and_asks_for_our_update_kinds(
    bot: RunningBot,
) -> None:
    emulator: BotApiEmulator = bot.emulator
    names = {
        key: [command["command"] for command in commands]
        for key, commands in emulator.commands.items()
    }
    for language in ("", "fi", "sv", "en"):
        assert names[("all_private_chats", language)] == [
            "start",
            "help",
            "language",
            "privacy",
            "consent",
            "tip",
            "survey",
            "myposts",
            "mydata",
            "forgetme",
        ]
        assert names[("all_group_chats", language)] == ["help", "privacy"]
    descriptions = {
        language: emulator.commands[("all_private_chats", language)][1]["description"]
        for language in ("", "fi", "sv", "en")
    }
    assert descriptions == {
        "": "Mitä osaan tehdä",
        "fi": "Mitä osaan tehdä",
        "sv": "Vad jag kan göra",
        "en": "What I can do",
    }
    assert emulator.descriptions[("short_description", "sv")].startswith("Din kamratstöd")
    carol = emulator.user(3, "Carol", language_code="en")
    await bot.say(carol, "/help")  # at least one poll has happened
    assert emulator.allowed_updates == [
        "message",
        "edited_message",
        "callback_query",
        "my_chat_member",
        "chat_member",
        "message_reaction",
        "message_reaction_count",
    ]
