"""Setting each staff member's own command menu in Telegram (``setMyCommands`` with
``BotCommandScopeChat``; ``deleteMyCommands`` when their role ended), as
``bot/services/menus.py`` decides; with the Mini App served, the chat's menu button too
(``setChatMenuButton``: the dashboard, or back to Telegram's default).

A service whose change may alter someone's menu (an invitation accepted, a role ended in
the chat, a language chosen) calls ``refresh(person_id)``, which only notes the person and
wakes the worker: nobody's answer waits for Telegram's menu. The worker asks the service
what differs from the menu last set (stored in ``command_menus``), sends that and records
it, so an unchanged menu is never sent again, also after a restart. At start-up and at
every scheduler sweep (``refresh_all``) everyone is compared: that catches the admins of
the settings, a role ended with ``kannustin role revoke`` (another process) or while the
bot was down, and a language Telegram reported since. An erasure deletes the record of
the person's menu with everything else, so it tells the publisher (``take_back``), which
deletes the menu in Telegram without recording anything.

Stored rather than kept in memory: a memory would be empty after a restart, so the bot
would either send every staff member's menu again at each start or never learn that a
menu set before the restart belongs to a role that has since ended.

The requests go through PTB's request path, so the one ``Pacer`` spaces them
(``bot/runtime/pacing.py``: a slot of the overall spacing each) and a 429 pauses them
like any send. A request Telegram refuses (an admin of the settings seen only in a group
has no private chat with the bot yet) is not recorded, so the next sweep tries again; it
is logged as a warning the first time in this process only, not every minute. The bot is
attached when the application starts; without it (the command line) ``refresh`` notes
nothing."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    MenuButtonDefault,
    MenuButtonWebApp,
    WebAppInfo,
)
from telegram.error import TelegramError

from bot.commands import COMMANDS
from bot.i18n import Translator
from bot.services.menus import MenuChange, MenuService

log = logging.getLogger(__name__)

_DESCRIPTIONS = {spec.name: spec.description_key for spec in COMMANDS}


class MenuPublisher:
    def __init__(self, menus: MenuService, translator: Translator) -> None:
        self._menus = menus
        self._translator = translator
        self._bot: Bot | None = None
        self._waiting: set[int] = set()
        self._taken_back: set[int] = set()  # erased people whose own menu is to go
        self._everyone = False
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()  # one comparison and its sends at a time
        self._worker: asyncio.Task[None] | None = None
        # whose menu Telegram refused since the last success (at most the staff and admins)
        self._refused: set[int] = set()

    def refresh(self, person_id: int) -> None:
        """This person's roles or language may have changed: compare their menu soon."""
        if self._bot is None:
            return
        self._waiting.add(person_id)
        self._wake.set()

    def take_back(self, person_id: int) -> None:
        """This person was erased with a menu of their own set: delete it in Telegram
        soon (no record of it is kept, so a failure is not tried again)."""
        if self._bot is None:
            return
        self._taken_back.add(person_id)
        self._wake.set()

    def start(self, bot: Bot) -> None:
        """Attach the bot and compare everyone's menu in the background."""
        self._bot = bot
        self._everyone = True
        self._wake.set()
        self._worker = asyncio.create_task(self._work(), name="command menus")

    async def stop(self) -> None:
        worker, self._worker = self._worker, None
        self._bot = None
        if worker is not None:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker

    async def refresh_all(self) -> None:
        """Compare everyone who has or may need a menu of their own (a scheduler chore)."""
        if self._bot is not None:
            await self._publish(None)

    async def _work(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            people, self._waiting = self._waiting, set()
            everyone, self._everyone = self._everyone, False
            erased, self._taken_back = self._taken_back, set()
            try:
                for person_id in sorted(erased):
                    button = self._menus.dashboard is not None
                    await self._send(MenuChange(person_id, None, had_button=button))
                await self._publish(None if everyone else people)
            except Exception:  # the worker must outlive a database hiccup
                log.exception("command menus not compared")

    async def _publish(self, people: set[int] | None) -> None:
        async with self._lock:
            for change in await self._menus.due(people):
                if await self._send(change):
                    await self._menus.record(change)

    async def _send(self, change: MenuChange) -> bool:
        bot = self._bot
        if bot is None:
            return False
        scope = BotCommandScopeChat(change.person_id)
        menu = change.menu
        try:
            if menu is None:
                await bot.delete_my_commands(scope=scope)
            else:
                commands = [
                    BotCommand(name, self._translator.text(menu.language, _DESCRIPTIONS[name]))
                    for name in menu.commands
                ]
                await bot.set_my_commands(commands, scope=scope)
            if menu is not None and menu.dashboard is not None:
                text = self._translator.text(menu.language, "menu.dashboard-button")
                button = MenuButtonWebApp(text, WebAppInfo(menu.dashboard))
                await bot.set_chat_menu_button(change.person_id, button)
            elif change.had_button:
                await bot.set_chat_menu_button(change.person_id, MenuButtonDefault())
        except TelegramError as error:
            again = change.person_id in self._refused
            self._refused.add(change.person_id)
            log.log(
                logging.DEBUG if again else logging.WARNING,
                "command menu of person %d not set: %s",
                change.person_id,
                error,
            )
            return False
        self._refused.discard(change.person_id)
        log.info(
            "command menu of person %d %s", change.person_id, menu.key if menu else "taken back"
        )
        return True
