"""The Bot API emulator itself: what it accepts, what it answers, the limits and faults.

Most checks use PTB's own ``Bot`` as the client, so the answers are proven to parse the way
they will for the real bot; raw HTTP covers the request encodings PTB does not use.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonCommands,
    MenuButtonDefault,
    MenuButtonWebApp,
    WebAppInfo,
)
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from emulator import BotApiEmulator, RateLimits
from emulator.server import Chat
from testing.harness import TOKEN


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def client(emulator: BotApiEmulator) -> AsyncIterator[Bot]:
    bot = Bot(
        TOKEN,
        base_url=f"{emulator.base_url}/bot",
        base_file_url=f"{emulator.base_url}/file/bot",
        request=HTTPXRequest(read_timeout=1.0),
    )
    async with bot:
        yield bot


async def test_get_me_describes_the_bot(client: Bot) -> None:
    me = await client.get_me()

    assert me.id == 123456789
    assert me.username == "kannustin_test_bot"
    assert me.is_bot


async def test_a_photo_upload_arrives_as_multipart_and_can_be_downloaded(
    emulator: BotApiEmulator, client: Bot
) -> None:
    aino = emulator.user(1, "Aino", started=True)

    message = await client.send_photo(aino["id"], photo=b"\x89PNG fake image", caption="Kuva")

    call = emulator.sent("sendPhoto")[0]
    assert call.files == {"photo": b"\x89PNG fake image"}
    assert call.params["caption"] == "Kuva"
    assert message.caption == "Kuva"
    assert emulator.files[message.photo[-1].file_id] == b"\x89PNG fake image"


async def test_form_json_and_query_requests_are_understood(emulator: BotApiEmulator) -> None:
    emulator.user(1, "Aino", started=True)
    base = f"{emulator.base_url}/bot{TOKEN}"
    markup = '{"inline_keyboard": [[{"text": "Ok", "callback_data": "ok"}]]}'
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{base}/sendMessage", data={"chat_id": "1", "text": "form", "reply_markup": markup}
        ) as form:
            assert (await form.json())["ok"] is True
        async with session.post(f"{base}/sendMessage", json={"chat_id": 1, "text": "json"}) as body:
            assert (await body.json())["result"]["text"] == "json"
        async with session.get(
            f"{base}/SENDMESSAGE", params={"chat_id": "1", "text": "query"}
        ) as query:
            assert (await query.json())["ok"] is True

    calls = emulator.sent("sendMessage")
    assert [call.params["text"] for call in calls] == ["form", "json", "query"]
    assert calls[0].params["chat_id"] == 1  # coerced from the form's string
    assert calls[0].buttons() == [("Ok", "ok")]


async def test_wrong_token_and_unknown_method_get_telegrams_answers(
    emulator: BotApiEmulator,
) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{emulator.base_url}/bot1:wrong/getMe") as wrong:
            assert wrong.status == 401
        async with session.post(f"{emulator.base_url}/bot{TOKEN}/fly") as unknown:
            assert unknown.status == 404
            assert (await unknown.json())["description"] == "Not Found"


async def test_a_request_that_breaks_the_spec_is_refused_and_recorded(
    emulator: BotApiEmulator,
) -> None:
    emulator.user(1, "Aino", started=True)
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{emulator.base_url}/bot{TOKEN}/sendMessage",
            json={"chat_id": 1, "txt": "typo"},
        ) as reply,
    ):
        answer = await reply.json()

    assert reply.status == 400
    assert answer["description"].startswith("Bad Request: sendMessage.")
    assert "request sendMessage.txt: unknown parameter" in emulator.violations
    assert "request sendMessage.text: required parameter missing" in emulator.violations
    emulator.violations.clear()  # seen; the fixture fails on any left over


async def test_telegrams_size_limits_are_enforced(emulator: BotApiEmulator, client: Bot) -> None:
    emulator.user(1, "Aino", started=True)

    with pytest.raises(BadRequest, match="too long"):
        await client.send_message(1, "x" * 4097)
    with pytest.raises(BadRequest, match="caption is too long"):
        await client.send_photo(1, b"img", caption="x" * 1025)
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await client.send_message(
            1,
            "ok",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("a", callback_data="x" * 65)]]
            ),
        )
    # 4096 UTF-16 units is fine even when they are Finnish letters
    await client.send_message(1, "ä" * 4096)
    with pytest.raises(BadRequest, match="Chat not found"):
        await client.send_message(424242, "hello?")


async def test_group_limit_of_20_per_minute_answers_429_with_retry_after() -> None:
    clock = ManualClock()
    emulator = BotApiEmulator(TOKEN, rate_limits=RateLimits.telegram(), clock=clock)
    await emulator.start()
    try:
        group = emulator.group(-5, "Kävelyryhmä")
        await emulator.bot_added(emulator.user(1, "Aino", started=True), group)
        async with Bot(TOKEN, base_url=f"{emulator.base_url}/bot") as bot:
            for index in range(20):
                clock.now += 0.5
                await bot.send_message(group.id, f"tip {index}")
            with pytest.raises(RetryAfter) as raised:
                await bot.send_message(group.id, "one too many")
            assert raised.value.retry_after.total_seconds() == 51  # the first send leaves at 1060.5
            clock.now += 51
            await bot.send_message(group.id, "room again")
    finally:
        await emulator.stop()
    assert emulator.counters.rate_limited == 1


async def test_overall_limit_of_30_per_second() -> None:
    clock = ManualClock()
    emulator = BotApiEmulator(TOKEN, rate_limits=RateLimits.telegram(), clock=clock)
    await emulator.start()
    try:
        people = [emulator.user(100 + n, f"P{n}", started=True) for n in range(31)]
        async with Bot(TOKEN, base_url=f"{emulator.base_url}/bot") as bot:
            for person in people[:30]:
                await bot.send_message(person["id"], "hello")
            with pytest.raises(RetryAfter):
                await bot.send_message(people[30]["id"], "hello")
            clock.now += 1.0
            await bot.send_message(people[30]["id"], "hello")
    finally:
        await emulator.stop()


async def test_faults_look_like_telegrams(emulator: BotApiEmulator, client: Bot) -> None:
    aino = emulator.user(1, "Aino", started=True)
    group = emulator.group(-5, "Kävelyryhmä")
    await emulator.bot_added(aino, group)

    emulator.fail(method="sendMessage", status=502, description="Bad Gateway")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await client.send_message(1, "first try")
    await client.send_message(1, "second try")

    emulator.fail(method="sendMessage", retry_after=7)
    with pytest.raises(RetryAfter) as raised:
        await client.send_message(1, "flood")
    assert raised.value.retry_after.total_seconds() == 7

    emulator.block_bot(aino)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await client.send_message(1, "are you there")

    supergroup = await emulator.migrate_to_supergroup(group, -1005, by=aino)
    with pytest.raises(ChatMigrated) as migrated:
        await client.send_message(group.id, "to the old id")
    assert migrated.value.new_chat_id == supergroup.id
    await client.send_message(supergroup.id, "to the new id")

    await emulator.bot_removed(aino, supergroup, kicked=True)
    with pytest.raises(Forbidden, match="bot was kicked from the supergroup chat"):
        await client.send_message(supergroup.id, "still here?")


async def test_a_stalled_answer_times_out_after_the_message_was_delivered(
    emulator: BotApiEmulator, client: Bot
) -> None:
    emulator.user(1, "Aino", started=True)
    emulator.stall(3.0, method="sendMessage")

    with pytest.raises(TimedOut):
        await client.send_message(1, "did it arrive?")

    await asyncio.sleep(0)  # the emulator records the call when its answer goes out
    delivered = [m for m in emulator.messages.values() if m.get("text") == "did it arrive?"]
    assert len(delivered) == 1


async def test_a_dropped_connection_gets_no_answer_before_or_after_delivery(
    emulator: BotApiEmulator, client: Bot
) -> None:
    emulator.user(1, "Aino", started=True)
    emulator.drop(method="sendMessage")
    emulator.drop(method="sendMessage", deliver=True)

    with pytest.raises(NetworkError):
        await client.send_message(1, "lost on the way")
    with pytest.raises(NetworkError):
        await client.send_message(1, "the answer was lost")
    await client.send_message(1, "the line works again")

    delivered = [m["text"] for m in emulator.messages.values()]
    assert delivered == ["the answer was lost", "the line works again"]
    sends = [call for call in emulator.calls if call.method == "sendMessage"]
    assert [call.dropped for call in sends] == [True, True, False]
    assert [call.text for call in emulator.sent("sendMessage")] == ["the line works again"]


async def test_long_polling_waits_for_an_update_and_offsets_confirm(
    emulator: BotApiEmulator, client: Bot
) -> None:
    aino = emulator.user(1, "Aino", started=True)

    async def write_later() -> None:
        await asyncio.sleep(0.2)
        await emulator.send_text(aino, "/start")

    writer = asyncio.create_task(write_later())
    updates = await client.get_updates(timeout=5, read_timeout=10)
    await writer

    assert [u.message.text for u in updates if u.message] == ["/start"]
    assert updates[0].message is not None and updates[0].message.entities[0].type == "bot_command"
    again = await client.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    assert again == ()
    assert emulator.pending_updates == 0


async def test_opt_in_update_kinds_arrive_only_when_asked_for(
    emulator: BotApiEmulator, client: Bot
) -> None:
    aino = emulator.user(1, "Aino", started=True)
    group = emulator.group(-5, "Kävelyryhmä")
    await emulator.bot_added(aino, group, admin=True)
    await client.get_updates(timeout=0, allowed_updates=["message"])
    assert await emulator.reaction(aino, group, 1, old=[], new=["👍"]) is None  # not asked for
    await client.get_updates(timeout=0, allowed_updates=["message", "message_reaction"])
    assert await emulator.reaction(aino, group, 1, old=["👍"], new=["❤"]) is not None

    updates = await client.get_updates(timeout=0)

    reactions = [u.message_reaction for u in updates if u.message_reaction]
    assert len(reactions) == 1
    assert reactions[0].new_reaction[0].emoji == "❤"  # type: ignore[union-attr]


async def test_privacy_mode_hides_group_chatter_from_a_plain_member_bot(
    emulator: BotApiEmulator, client: Bot
) -> None:
    aino = emulator.user(1, "Aino", started=True)
    group = emulator.group(-5, "Kävelyryhmä")
    await emulator.bot_added(aino, group, admin=False)
    await client.get_updates(timeout=0, allowed_updates=["message", "message_reaction"])

    chatter = await emulator.send_text(aino, "nice walk today", chat=group)
    command = await emulator.send_text(aino, "/help", chat=group)
    other_bot = await emulator.send_text(aino, "/help@some_other_bot", chat=group)
    reaction = await emulator.reaction(aino, group, 1, old=[], new=["👍"])
    await emulator.member_joined(emulator.user(2, "Britt"), group)

    texts = [u.message.text for u in await client.get_updates(timeout=0) if u.message]
    assert texts == ["/help", None]  # the command and the "Britt joined" service message
    assert command is not None and chatter is not None and other_bot is not None
    assert reaction is None
    assert (await client.get_me()).can_read_all_group_messages is False


async def test_a_bot_cannot_start_a_private_conversation(
    emulator: BotApiEmulator, client: Bot
) -> None:
    emulator.user(9, "Never pressed start")

    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await client.send_message(9, "hello")


async def test_a_callback_query_is_answered_once(emulator: BotApiEmulator, client: Bot) -> None:
    aino = emulator.user(1, "Aino", started=True)
    message = await client.send_message(
        1,
        "Pick",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]]),
    )
    query_id = await emulator.press_button(aino, message.to_dict(), "a")

    assert await client.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match="Query is too old"):
        await client.answer_callback_query(query_id)


async def test_edited_buttons_are_kept_and_pressed_as_the_chat_shows_them(
    emulator: BotApiEmulator, client: Bot
) -> None:
    from telegram import MessageEntity

    aino = emulator.user(1, "Aino", started=True)
    keys = InlineKeyboardMarkup([[InlineKeyboardButton("8", callback_data="k:8")]])
    bold = [MessageEntity(MessageEntity.BOLD, 0, 4)]
    message = await client.send_message(1, "Plan it", entities=bold, reply_markup=keys)

    with pytest.raises(BadRequest, match="Message is not modified"):
        await client.edit_message_reply_markup(1, message.message_id, reply_markup=keys)
    await client.edit_message_text("Plan it\n\n✓ 8", 1, message.message_id, entities=bold)
    shown = emulator.message(1, message.message_id)
    assert shown["text"] == "Plan it\n\n✓ 8"
    assert shown["entities"] == [{"type": "bold", "offset": 0, "length": 4}]
    assert "reply_markup" not in shown  # an edit without buttons removes them
    with pytest.raises(BadRequest, match="Message is not modified"):
        await client.edit_message_reply_markup(1, message.message_id)
    # a press carries the message as it is now: no keyboard any more
    await emulator.press_button(aino, message.to_dict(), "k:8")
    (update,) = await client.get_updates(timeout=0)
    assert update.callback_query is not None and update.callback_query.message is not None
    assert update.callback_query.message.reply_markup is None  # type: ignore[union-attr]

    await client.edit_message_reply_markup(1, message.message_id, reply_markup=keys)
    assert emulator.message(1, message.message_id)["reply_markup"] == keys.to_dict()
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await client.edit_message_reply_markup(1, 999)


async def test_commands_are_stored_per_scope_and_language(client: Bot) -> None:
    from telegram import BotCommand, BotCommandScopeAllGroupChats

    await client.set_my_commands(
        [BotCommand("help", "Apua")], scope=BotCommandScopeAllGroupChats(), language_code="fi"
    )

    stored = await client.get_my_commands(scope=BotCommandScopeAllGroupChats(), language_code="fi")
    assert [(c.command, c.description) for c in stored] == [("help", "Apua")]
    assert await client.get_my_commands() == ()


async def test_get_chat_member_says_who_is_in_the_chat_as_telegram_does(
    emulator: BotApiEmulator, client: Bot
) -> None:
    ilkka, aino, britt = emulator.user(3, "Ilkka"), emulator.user(1, "Aino"), emulator.user(2, "B")
    stranger = emulator.user(9, "Stranger")
    group = emulator.group(-100, "Kävelyryhmä")
    await emulator.bot_added(ilkka, group)
    await emulator.member_joined(aino, group)
    await emulator.member_joined(britt, group)
    await emulator.member_left(aino, group)
    await emulator.member_removed(britt, group, by=ilkka)

    statuses = {
        name: (await client.get_chat_member(group.id, person["id"])).status
        for name, person in (("ilkka", ilkka), ("aino", aino), ("britt", britt), ("x", stranger))
    }

    assert statuses == {"ilkka": "member", "aino": "left", "britt": "kicked", "x": "left"}
    with pytest.raises(BadRequest, match="User not found"):
        await client.get_chat_member(group.id, 424242)
    await emulator.bot_removed(ilkka, group)
    with pytest.raises(Forbidden, match=r"[Bb]ot is not a member"):
        await client.get_chat_member(group.id, ilkka["id"])


async def test_a_callback_answer_may_open_only_the_bot_with_a_start_parameter(
    emulator: BotApiEmulator, client: Bot
) -> None:
    aino = emulator.user(1, "Aino", started=True)
    message = await client.send_message(aino["id"], "Hei")
    good = await emulator.press_button(aino, message.to_dict(), "x")
    bad = await emulator.press_button(aino, message.to_dict(), "y")

    assert await client.answer_callback_query(
        good, url="https://t.me/kannustin_test_bot?start=consent_abc"
    )
    with pytest.raises(BadRequest, match="Url_invalid"):
        await client.answer_callback_query(bad, url="https://example.org/phish")


async def test_web_app_buttons_only_in_private_chats_and_only_https(
    emulator: BotApiEmulator, client: Bot
) -> None:
    aino = emulator.user(1, "Aino", started=True)
    group = emulator.group(-100, "Ryhmä")
    group.bot_status = "member"

    def markup(url: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("Avaa", web_app=WebAppInfo(url))]])

    sent = await client.send_message(
        aino["id"], "Hei", reply_markup=markup("https://a.example/app/")
    )
    assert sent.reply_markup is not None
    assert emulator.sent("sendMessage")[-1].buttons() == [("Avaa", "https://a.example/app/")]
    # http only on this machine (the emulator's convenience for tests)
    await client.send_message(aino["id"], "Hei", reply_markup=markup("http://127.0.0.1:8/app/"))
    with pytest.raises(BadRequest, match=r"(?i)only https"):
        await client.send_message(aino["id"], "Hei", reply_markup=markup("http://a.example/app/"))
    with pytest.raises(BadRequest, match=r"(?i)button_type_invalid"):
        await client.send_message(group.id, "Hei", reply_markup=markup("https://a.example/app/"))
    plain = await client.send_message(group.id, "Hei")
    with pytest.raises(BadRequest, match=r"(?i)button_type_invalid"):
        await client.edit_message_reply_markup(
            group.id, plain.message_id, reply_markup=markup("https://a.example/app/")
        )


async def test_a_private_chats_menu_button_is_set_read_and_taken_back(
    emulator: BotApiEmulator, client: Bot
) -> None:
    aino = emulator.user(1, "Aino", started=True)
    stranger = emulator.user(2, "Eero")  # never started the bot
    assert emulator.menu_button_of(aino["id"]) == {"type": "commands"}
    assert isinstance(await client.get_chat_menu_button(aino["id"]), MenuButtonDefault)

    await client.set_chat_menu_button(
        aino["id"], MenuButtonWebApp("Koontinäkymä", WebAppInfo("https://a.example/app/"))
    )
    button = await client.get_chat_menu_button(aino["id"])
    assert isinstance(button, MenuButtonWebApp)
    assert (button.text, button.web_app.url) == ("Koontinäkymä", "https://a.example/app/")
    assert emulator.menu_button_of(aino["id"])["type"] == "web_app"

    await client.set_chat_menu_button(aino["id"], MenuButtonDefault())
    assert emulator.menu_button_of(aino["id"]) == {"type": "commands"}
    await client.set_chat_menu_button(menu_button=MenuButtonCommands())  # the bot's default
    assert isinstance(await client.get_chat_menu_button(), MenuButtonCommands)

    with pytest.raises(BadRequest, match="Chat not found"):
        await client.set_chat_menu_button(stranger["id"], MenuButtonCommands())
    with pytest.raises(BadRequest, match=r"(?i)only https"):
        await client.set_chat_menu_button(
            aino["id"], MenuButtonWebApp("Koontinäkymä", WebAppInfo("http://a.example/app/"))
        )


async def _walking_group(emulator: BotApiEmulator, chat_id: int = -100) -> Chat:
    """A walking group with the bot in it."""
    group = emulator.group(chat_id, "Kävelyryhmä")
    await emulator.bot_added(emulator.user(3, "Ilkka", started=True), group)
    return group


async def test_a_poll_goes_out_anonymous_and_regular_with_nobody_counted(
    emulator: BotApiEmulator, client: Bot
) -> None:
    group = await _walking_group(emulator)

    message = await client.send_poll(group.id, "  Mihin aikaan?  ", ["Aamulla", " Illalla "])

    poll = message.poll
    assert poll is not None
    assert poll.question == "Mihin aikaan?"  # kept trimmed, as Telegram keeps it
    assert [option.text for option in poll.options] == ["Aamulla", "Illalla"]
    assert [option.voter_count for option in poll.options] == [0, 0]
    assert all(option.persistent_id for option in poll.options)
    assert (poll.total_voter_count, poll.is_closed, poll.is_anonymous) == (0, False, True)
    assert (poll.type, poll.allows_multiple_answers, poll.allows_revoting) == (
        "regular",
        False,
        True,
    )
    assert poll.members_only is False
    # PTB knows every field the emulator sent: nothing left over in api_kwargs
    assert poll.api_kwargs == {} and all(option.api_kwargs == {} for option in poll.options)
    (shown,) = emulator.polls_sent(group.id)
    assert shown["message_id"] == message.message_id
    assert shown is emulator.sent("sendPoll")[0].result  # the recorded answer, kept current
    # one option is enough since Bot API 10.0 ("1-12 answer options")
    await client.send_poll(group.id, "Tuletko?", ["Tulen"])


async def test_a_poll_is_refused_as_telegram_refuses_it(
    emulator: BotApiEmulator, client: Bot
) -> None:
    group = await _walking_group(emulator)
    twelve = [f"Vaihtoehto {n}" for n in range(12)]
    bad_button = InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="x" * 65)]])

    with pytest.raises(BadRequest, match="Poll must have at least one answer option"):
        await client.send_poll(group.id, "Mitä?", [])
    with pytest.raises(BadRequest, match="Poll can't have more than 12 options"):
        await client.send_poll(group.id, "Mitä?", [*twelve, "Yksi liikaa"])
    with pytest.raises(BadRequest, match="Poll question length must not exceed 300"):
        await client.send_poll(group.id, "k" * 301, ["Kyllä", "Ei"])
    with pytest.raises(BadRequest, match="Poll options length must not exceed 100"):
        await client.send_poll(group.id, "Mitä?", ["Kyllä", "e" * 101])
    with pytest.raises(BadRequest, match="Text must be non-empty"):
        await client.send_poll(group.id, "   ", ["Kyllä", "Ei"])
    with pytest.raises(BadRequest, match="Text must be non-empty"):
        await client.send_poll(group.id, "Mitä?", ["Kyllä", "\n"])
    with pytest.raises(BadRequest, match="Unsupported poll type specified"):
        await client.send_poll(group.id, "Mitä?", ["Kyllä", "Ei"], type="survey")
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await client.send_poll(group.id, "Mitä?", ["Kyllä", "Ei"], reply_markup=bad_button)
    with pytest.raises(BadRequest, match="Chat not found"):
        await client.send_poll(-424242, "Mitä?", ["Kyllä", "Ei"])
    assert emulator.polls_sent() == []

    # at the limits, counted in characters as TDLib counts them (not UTF-16 units)
    await client.send_poll(group.id, "🚶" * 300, ["🚶" * 100, *twelve[1:]])
    await emulator.bot_removed(emulator.user(3, "Ilkka"), group, kicked=True)
    with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
        await client.send_poll(group.id, "Mitä?", ["Kyllä", "Ei"])


async def test_votes_reach_the_bot_as_counts_and_stop_poll_closes_once(
    emulator: BotApiEmulator, client: Bot
) -> None:
    group = await _walking_group(emulator)
    aino, britt = emulator.user(1, "Aino"), emulator.user(2, "Britt")
    sent = await client.send_poll(group.id, "Mihin aikaan?", ["Aamulla", "Illalla"])
    (message,) = emulator.polls_sent(group.id)

    await emulator.vote(aino, message, [0])
    await emulator.vote(britt, message, [0])
    now = await emulator.vote(aino, message, [1])  # Aino changes her mind

    assert [option["voter_count"] for option in now["options"]] == [1, 1]
    assert now["total_voter_count"] == 2
    updates = await client.get_updates(timeout=0)
    polls = [update.poll for update in updates if update.poll is not None]
    assert [[option.voter_count for option in poll.options] for poll in polls] == [
        [1, 0],
        [2, 0],
        [1, 1],
    ]
    assert sent.poll is not None and {poll.id for poll in polls} == {sent.poll.id}
    assert all(update.poll_answer is None for update in updates)  # anonymous: no names

    stopped = await client.stop_poll(group.id, sent.message_id)

    assert stopped.is_closed
    assert (stopped.options[0].voter_count, stopped.options[1].voter_count) == (1, 1)
    assert stopped.total_voter_count == 2
    assert stopped.api_kwargs == {}
    assert emulator.message(group.id, sent.message_id)["poll"]["is_closed"] is True
    (update,) = await client.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    assert update.poll is not None and update.poll.is_closed
    with pytest.raises(BadRequest, match="Poll has already been closed"):
        await client.stop_poll(group.id, sent.message_id)
    with pytest.raises(ValueError, match="closed"):
        await emulator.vote(britt, message, [1])


async def test_a_vote_is_refused_where_telegrams_apps_would_not_allow_it(
    emulator: BotApiEmulator, client: Bot
) -> None:
    group = await _walking_group(emulator)
    aino, britt = emulator.user(1, "Aino"), emulator.user(2, "Britt")
    single = await client.send_poll(group.id, "Yksi?", ["A", "B"], allows_revoting=False)
    several = await client.send_poll(
        group.id, "Monta?", ["A", "B", "C"], allows_multiple_answers=True
    )
    single_json, several_json = single.to_dict(), several.to_dict()

    with pytest.raises(ValueError, match="no such option"):
        await emulator.vote(aino, single_json, [2])
    with pytest.raises(ValueError, match="one answer"):
        await emulator.vote(aino, single_json, [0, 1])
    await emulator.vote(aino, single_json, [0])
    with pytest.raises(ValueError, match="does not let an answer change"):
        await emulator.vote(aino, single_json, [1])
    both = await emulator.vote(aino, several_json, [2, 0])
    assert [option["voter_count"] for option in both["options"]] == [1, 0, 1]
    taken_back = await emulator.vote(aino, several_json, [])
    assert taken_back["total_voter_count"] == 0
    await emulator.member_left(britt, group)
    with pytest.raises(ValueError, match="not in chat"):
        await emulator.vote(britt, several_json, [1])
    await client.delete_message(group.id, several.message_id)
    with pytest.raises(ValueError, match="no poll"):
        await emulator.vote(aino, several_json, [1])


async def test_stop_poll_needs_the_bots_own_poll(emulator: BotApiEmulator, client: Bot) -> None:
    group = await _walking_group(emulator)
    text = await client.send_message(group.id, "Ei kysely")

    with pytest.raises(BadRequest, match="Message is not a poll"):
        await client.stop_poll(group.id, text.message_id)
    with pytest.raises(BadRequest, match="Message with poll to stop not found"):
        await client.stop_poll(group.id, 999)


async def test_poll_updates_follow_allowed_updates_and_name_voters_only_when_not_anonymous(
    emulator: BotApiEmulator, client: Bot
) -> None:
    group = await _walking_group(emulator)
    aino = emulator.user(1, "Aino")
    open_vote = await client.send_poll(group.id, "Kuka?", ["Minä", "En"], is_anonymous=False)

    await client.get_updates(timeout=0, allowed_updates=["message"])
    assert await emulator.vote(aino, open_vote.to_dict(), [0])
    assert [
        update["poll"]["total_voter_count"] for update in emulator.dropped if "poll" in update
    ] == [1]
    await client.get_updates(timeout=0, allowed_updates=["message", "poll", "poll_answer"])
    await emulator.vote(aino, open_vote.to_dict(), [1])

    updates = await client.get_updates(timeout=0)
    (answer,) = [update.poll_answer for update in updates if update.poll_answer is not None]
    assert answer.user is not None and answer.user.id == aino["id"]
    assert answer.option_ids == (1,)
    assert open_vote.poll is not None
    assert answer.option_persistent_ids == (open_vote.poll.options[1].persistent_id,)


async def test_a_poll_counts_against_the_groups_rate_limit() -> None:
    clock = ManualClock()
    emulator = BotApiEmulator(TOKEN, rate_limits=RateLimits.telegram(), clock=clock)
    await emulator.start()
    try:
        group = await _walking_group(emulator)
        async with Bot(TOKEN, base_url=f"{emulator.base_url}/bot") as bot:
            for index in range(20):
                clock.now += 0.5
                await bot.send_message(group.id, f"tip {index}")
            with pytest.raises(RetryAfter):
                await bot.send_poll(group.id, "Mitä?", ["Kyllä", "Ei"])
    finally:
        await emulator.stop()
    assert emulator.polls_sent() == []


async def test_a_message_can_be_deleted_only_within_48_hours(
    emulator: BotApiEmulator, client: Bot
) -> None:
    group = await _walking_group(emulator)
    fresh = await client.send_message(group.id, "Tuore")
    nearly = await client.send_poll(group.id, "Melkein vanha?", ["Kyllä", "Ei"])
    old = await client.send_message(group.id, "Vanha")

    emulator.age_message(group.id, nearly.message_id, hours=47.9)
    emulator.age_message(group.id, old.message_id, hours=48)

    assert await client.delete_message(group.id, fresh.message_id)
    assert await client.delete_message(group.id, nearly.message_id)
    with pytest.raises(BadRequest, match="Message can't be deleted for everyone"):
        await client.delete_message(group.id, old.message_id)
    assert emulator.message(group.id, old.message_id)["text"] == "Vanha"  # still there
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await client.delete_message(group.id, fresh.message_id)
    assert emulator.polls_sent(group.id) == []
