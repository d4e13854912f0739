"""Runs the real bot (``build_application``) against the emulator, as ``run_polling`` would:
the settings of a test or benchmark run, ``RunningBot`` with helpers to talk to it, and
services without Telegram for tests of one service."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from pathlib import Path
from typing import Any

from bot.clock import FixedClock, SystemClock
from bot.i18n import Translator
from bot.runtime.app import build_application
from bot.runtime.context import KannustinApplication
from bot.runtime.telegram_setup import ALLOWED_UPDATES
from bot.runtime.wiring import Services, build_services
from bot.services import buttons
from bot.services.meetings import SET_CALENDAR, SKIP_HOLIDAYS
from bot.settings import Settings
from content import load_library
from emulator import WAIT_TIMEOUT, ApiCall, BotApiEmulator, Chat
from storage import Database
from storage.groups import Group
from storage.states import Language, StaffRole
from testing.databases import PSEUDONYM_KEY, database_for, on_postgres

TOKEN = "123456789:" + "AbCdEfGhIjKlMnOpQrStUvWxYz012345678"
SENTINEL_ID = 999_999
START = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)


def test_settings(
    emulator: BotApiEmulator,
    database: Path | str,
    *,
    sqlite: bool = False,  # noqa: PT028 - not a test (see test_settings.__test__)
    **overrides: Any,
) -> Settings:
    """The bot's settings for a test; its database is an SQLite file, or on a PostgreSQL
    run a PostgreSQL database (``sqlite=True`` keeps the file)."""
    values: dict[str, Any] = {
        "bot_token": TOKEN,
        "api_base_url": emulator.base_url,
        "database": str(database) if sqlite else database_for(database),
        "poll_timeout": 1,
        # tests talk faster than people; the flood control has its own test
        "flood_limit": 10_000,
        "stranger_limit": 10_000,
    }
    if on_postgres() and not sqlite:
        values["pseudonym_key"] = PSEUDONYM_KEY
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


test_settings.__test__ = False  # type: ignore[attr-defined]


class RunningBot:
    """The bot started the way ``run_polling`` starts it, with helpers to talk to it."""

    def __init__(self, settings: Settings, emulator: BotApiEmulator, clock: FixedClock) -> None:
        self.settings = settings
        self.emulator = emulator
        self.clock = clock
        self.app: KannustinApplication = build_application(settings, clock=clock)

    @property
    def services(self) -> Services:
        return self.app.services

    async def start(self) -> None:
        app = self.app
        await app.initialize()
        assert app.post_init is not None
        await app.post_init(app)
        assert app.updater is not None
        await app.updater.start_polling(
            allowed_updates=list(ALLOWED_UPDATES), timeout=self.settings.poll_timeout
        )
        await app.start()
        # The first poll tells the emulator which update kinds we asked for; until then it
        # would filter opt-in kinds (reactions, member updates) with Telegram's defaults.
        while self.emulator.allowed_updates is None:  # noqa: ASYNC110 - a plain attribute
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        app = self.app
        assert app.updater is not None
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        assert app.post_stop is not None
        await app.post_stop(app)
        await app.shutdown()
        assert app.post_shutdown is not None
        await app.post_shutdown(app)
        # every test that runs the bot checks that the engagement log knows its buttons
        unlisted = unlisted_buttons(self.emulator)
        assert unlisted == [], f"buttons missing from bot/services/buttons.py: {unlisted}"

    async def say(
        self,
        user: dict[str, Any],
        text: str,
        *,
        chat: Chat | None = None,
        method: str = "sendMessage",
        timeout: float = WAIT_TIMEOUT,
    ) -> ApiCall:
        """The person writes ``text``; returns the bot's next message to that chat."""
        mark = self.emulator.mark()
        chat_id = chat.id if chat else user["id"]
        await self.emulator.send_text(user, text, chat=chat)
        return await self.emulator.wait_for(method, chat_id=chat_id, after=mark, timeout=timeout)

    async def set_meetings(
        self, user: dict[str, Any], text: str, *, chat: Chat | None = None, skip: bool = False
    ) -> ApiCall:
        """The instructor sets a calendar with ``/meetings ...`` (``text``) and confirms the
        question it asks (without the public holidays, if ``skip``); returns the question's
        message as the press left it (the calendar), once the group has been told. A refusal
        (no question) is returned as it came."""
        chat_id = chat.id if chat else user["id"]
        asked = await self.say(user, text, chat=chat)
        wanted = SKIP_HOLIDAYS if skip else SET_CALENDAR
        data = next((data for _, data in asked.buttons() if data.startswith(wanted)), None)
        if data is None:
            return asked
        mark = self.emulator.mark()
        await self.press(user, asked.result, data)
        edited = await self.emulator.wait_for("editMessageText", chat_id=chat_id, after=mark)
        await self.emulator.wait_for(
            "sendMessage",
            after=mark,
            where=lambda call: str(call.params.get("text", "")).startswith("📅"),
        )
        return edited

    async def answer_time(
        self,
        user: dict[str, Any],
        text: str,
        *,
        method: str = "sendMessage",
        timeout: float = WAIT_TIMEOUT,
    ) -> float:
        """Seconds from the person writing ``text`` to the bot's answer (for the benchmarks)."""
        started = time.perf_counter()
        await self.say(user, text, method=method, timeout=timeout)
        return time.perf_counter() - started

    async def press(self, user: dict[str, Any], message: dict[str, Any], data: str) -> ApiCall:
        """The person taps a button; returns the bot's answer to the callback query."""
        mark = self.emulator.mark()
        query_id = await self.emulator.press_button(user, message, data)
        return await self.emulator.wait_for(
            "answerCallbackQuery",
            where=lambda call: call.params["callback_query_id"] == query_id,
            after=mark,
        )

    async def make_staff(
        self, user: dict[str, Any], role: str = "instructor", organisation: str = "Espoo"
    ) -> int:
        """Make the person staff of ``organisation`` (created if needed) the way the product
        does: an admin's invitation, accepted. Returns the organisation id."""
        services = self.services
        existing = {o.name: o for o in await services.organisations.all()}
        org = existing.get(organisation) or await services.organisations.create(None, organisation)
        admin = next(iter(self.settings.admins))
        invitation = await services.invitations.create(
            admin, StaffRole(role), organisation_id=org.id
        )
        person = await services.people.record_contact(user["id"], user.get("language_code"))
        self.emulator.open_private_chat(user)  # they opened the invitation link
        await services.invitations.accept(person, invitation.token, user["first_name"])
        return org.id

    async def registered_group(
        self, instructor: dict[str, Any], chat_id: int = -100, title: str = "Walking group"
    ) -> Chat:
        """A group chat the instructor added the bot to (registered and greeted)."""
        await self.make_staff(instructor)
        group = self.emulator.group(chat_id, title)
        mark = self.emulator.mark()
        await self.emulator.bot_added(instructor, group, admin=True)
        await self.emulator.wait_for("sendMessage", chat_id=chat_id, after=mark)
        return group

    async def handled_everything(self) -> None:
        """Wait until every update injected so far has been handled.

        Updates from different chats are handled side by side: once the bot answers a
        /help sent now, everything before it has been fetched (Telegram hands updates out
        in order), and then the application's queue tells when all of them are done. The
        sentinel is a person of its own.
        """
        sentinel = self.emulator.user(SENTINEL_ID, "Sentinel", language_code="en")
        await self.say(sentinel, "/help")
        await self.app.update_queue.join()

    async def handled_quietly(self) -> None:
        """Wait until every update injected so far has been handled, without a sentinel's
        /help (a flood control test counts every update): the emulator forgets an update
        once the bot has fetched it, and the application's queue then tells when it is
        done."""
        while self.emulator.pending_updates:  # noqa: ASYNC110 - a plain attribute
            await asyncio.sleep(0.01)
        await self.app.update_queue.join()


def benchmark_bot(emulator: BotApiEmulator, database: Path, **overrides: Any) -> RunningBot:
    """The bot as a benchmark runs it, not yet started: on the real clock, logging warnings
    only, its database at ``database`` (on a PostgreSQL run, a PostgreSQL database)."""
    settings = test_settings(emulator, database, log_level="WARNING", **overrides)
    return RunningBot(settings, emulator, SystemClock())  # type: ignore[arg-type]


def services_without_telegram(database: Database, clock: FixedClock, **settings: Any) -> Services:
    """Every service, built as the bot builds them (``build_services``) but without Telegram,
    for tests of one service; ``settings`` as the environment gives them (``admins="1"``)."""
    return build_services(
        Settings(_env_file=None, **settings),  # type: ignore[call-arg]
        clock=clock,
        database=database,
        translator=Translator.load(),
        library=load_library(),
    )


async def instructor_with_group(
    database: Database,
    clock: FixedClock,
    *,
    instructor: int,
    title: str,
    language: str,
) -> tuple[Services, Group]:
    """Services without Telegram (admin 1 from the settings), and an instructor of Espoo
    who registered a group: for tests of one service."""
    services = services_without_telegram(database, clock, admins="1")
    for person_id in (1, instructor):
        await services.people.record_contact(person_id, "fi")
    organisation = await services.organisations.create(1, "Espoo")
    made = await services.invitations.create(
        1, StaffRole.INSTRUCTOR, organisation_id=organisation.id
    )
    person = await services.people.get(instructor)
    assert person is not None
    await services.invitations.accept(person, made.token, "Ilkka")
    added = await services.groups.bot_added(
        instructor, -100, title, language=Language(language), bot_is_admin=True
    )
    assert added.group is not None
    return services, added.group


def unlisted_buttons(server: BotApiEmulator) -> list[str]:
    """The callback data of buttons the bot sent that the engagement log would not know as
    its own (``bot/services/buttons.py``)."""
    return sorted(
        {
            button["callback_data"]
            for call in server.calls
            for row in (call.params.get("reply_markup") or {}).get("inline_keyboard", [])
            for button in row
            if "callback_data" in button and buttons.namespace(button["callback_data"]) is None
        }
    )
