"""Staff find their commands: the command menu each person's private chat should have, and
the one-line pointer to the private chat for a staff command typed in a group.

Everyone's menu (private and group chats, every language) is set once at start-up
(``bot/runtime/telegram_setup.py``). A person with a staff role (instructor, coordinator,
admin) gets a menu of their own in their private chat: every command they may use there
(``bot/commands.py``), described in their language. Telegram picks a chat's own menu before
the menus for all private chats, and the person's language is ours to choose (their
/language), so their menu is set without a language code. A person without a staff role
has no menu of their own: everyone's serves them. With the Mini App served (``web_url``),
a staff member's private chat also gets a menu button that opens the dashboard
(``setChatMenuButton``), set and taken back with their commands: it is part of the stored
menu's key, so a changed address or a button no longer wanted is sent once.
``bot/runtime/menus.py`` sends what ``due`` finds and ``record``s it.

The pointer: a staff member who types, in a group, a command that works only in the
private chat (and that they may use there) is told once where to use it; a participant
typing it gets today's silence. At most once an hour per person and group, remembered
in memory for an hour and for at most ``POINTERS_KEPT`` pairs: a restart forgets it,
which costs at most one more line in a group."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from bot.clock import Clock
from bot.commands import COMMANDS, commands_for
from bot.replies import Reply
from bot.roles import ChatKind, Role
from bot.services.access import load_actor
from bot.services.people import resolve_language
from storage import Database

STAFF_ROLES = frozenset({Role.INSTRUCTOR, Role.COORDINATOR, Role.ADMIN})
POINTER_EVERY = dt.timedelta(hours=1)
POINTERS_KEPT = 10_000  # (person, group) pairs pointed within the hour, at most


@dataclass(frozen=True)
class Menu:
    """A private chat's own menu: the commands, described in ``language``."""

    language: str
    commands: tuple[str, ...]
    dashboard: str | None = None  # the menu button's address (the Mini App's dashboard)

    @property
    def key(self) -> str:
        """How it is stored: equal keys, equal menus (a menu button adds ``|`` and its
        address, so a key stored before the Mini App still reads the same)."""
        key = f"{self.language}:{','.join(self.commands)}"
        return key if self.dashboard is None else f"{key}|{self.dashboard}"


@dataclass(frozen=True)
class MenuChange:
    """The menu to set in this person's private chat; None: take theirs back."""

    person_id: int
    menu: Menu | None
    # whether a menu button of ours may be in the chat, to be taken back without one
    had_button: bool = False


def menu_for(roles: Collection[Role], language: str, dashboard: str | None = None) -> Menu | None:
    """The menu of someone with these roles: theirs when they hold a staff role, with a
    button to ``dashboard`` when the Mini App is served, else None (everyone's menu serves
    them)."""
    if STAFF_ROLES.isdisjoint(roles):
        return None
    commands = tuple(spec.name for spec in commands_for(roles, ChatKind.PRIVATE))
    return Menu(language, commands, dashboard)


def dashboard_address(web_url: object | None) -> str | None:
    """Where the staff's menu button and /stats' button open the Mini App: its dashboard."""
    return None if web_url is None else f"{web_url}#dashboard"


class MenuService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        admins: frozenset[int],
        *,
        default_language: str,
        dashboard: str | None = None,
    ) -> None:
        self.dashboard = dashboard  # the menu button's address; None: no menu button
        self._database = database
        self._clock = clock
        self._admins = admins
        self._default_language = default_language
        self._pointed: OrderedDict[tuple[int, int], dt.datetime] = OrderedDict()

    async def due(self, people: Iterable[int] | None = None) -> list[MenuChange]:
        """The menus that differ from what was last set, for ``people`` (None: everyone who
        has or may need a menu of their own)."""
        changes = []
        async with self._database.transaction() as tx:
            stored = await tx.menus.all()
            wanted_of = (
                await tx.menus.people_to_check(self._admins) if people is None else sorted(people)
            )
            for person_id in wanted_of:
                person = await tx.people.get(person_id)
                if person is None:  # never talked to the bot (or erased): no chat to set
                    continue
                actor = await load_actor(tx, person_id, self._admins)
                language = resolve_language(person, None, self._default_language)
                menu = menu_for(actor.roles, language, self.dashboard)
                before = stored.get(person_id)
                if (menu.key if menu else None) != before:
                    changes.append(MenuChange(person_id, menu, "|" in (before or "")))
        return changes

    async def record(self, change: MenuChange) -> None:
        """Telegram has the change: remember it, so the same menu is not sent again."""
        async with self._database.transaction() as tx:
            if change.menu is None:
                await tx.menus.remove(change.person_id)
            else:
                await tx.menus.put(change.person_id, change.menu.key, self._clock.now())

    async def group_pointer(
        self, person_id: int, chat_id: int, command: str, bot_username: str
    ) -> Reply | None:
        """``command`` typed in group chat ``chat_id``: a one-line pointer to the private
        chat if it is a staff command that works only there and this person may use it,
        and they were not pointed there in this group within the hour; else None."""
        spec = next((spec for spec in COMMANDS if spec.name == command), None)
        if spec is None or ChatKind.GROUP in spec.chats or Role.EVERYONE in spec.roles:
            return None
        async with self._database.transaction() as tx:
            actor = await load_actor(tx, person_id, self._admins)
        if not spec.usable_by(actor.roles, ChatKind.PRIVATE):
            return None
        if not self._may_point(person_id, chat_id):
            return None
        return Reply.of(
            "fallback.staff-command-in-group",
            command=f"/{command}",
            link=f"https://t.me/{bot_username}",
        )

    def _may_point(self, person_id: int, chat_id: int) -> bool:
        """Once per person and group within ``POINTER_EVERY``; remembers this one."""
        now = self._clock.now()
        pointed = self._pointed
        # oldest first: what is older than the hour is forgotten, and past the cap the oldest
        while pointed and (
            len(pointed) >= POINTERS_KEPT or now - next(iter(pointed.values())) >= POINTER_EVERY
        ):
            pointed.popitem(last=False)
        key = (person_id, chat_id)
        if key in pointed:
            return False
        pointed[key] = now
        return True

    def pointers_kept(self) -> int:
        """How many (person, group) pairs are remembered (for the memory test)."""
        return len(self._pointed)
