"""People: first contact, language choice, roles, and /help (the commands a person may use
where they are).

A person who blocked the bot (or deleted their account) is stopped when the outbox sender
learns it (``chat_gone``, hooked to the sender in ``bot/runtime/wiring.py``): their private
chat is skipped until they write to the bot again (``record_contact`` lifts the stop).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.clock import Clock
from bot.commands import commands_for
from bot.errors import DomainError
from bot.i18n import Lines, Text, Words, normalize_language
from bot.replies import Button, Reply, column
from bot.roles import ChatKind, Role
from bot.runtime.outcomes import ChatGone
from bot.services.access import Actor, load_actor
from bot.settings import LANGUAGES
from storage import Database, Transaction
from storage.people import Person
from storage.states import Language

LANGUAGE_CALLBACK = "lang:"  # lang:LANGUAGE
# Each language is named in itself, so a person can find theirs whatever the current one.
LANGUAGE_NAMES = {"fi": "language.name.fi", "sv": "language.name.sv", "en": "language.name.en"}


def resolve_language(person: Person | None, telegram_language: str | None, default: str) -> str:
    """The person's choice, else their Telegram app's language if we speak it, else the default."""
    if person is not None and person.language in LANGUAGES:
        return person.language
    stored = person.telegram_language if person is not None else None
    return normalize_language(telegram_language) or normalize_language(stored) or default


class PeopleService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        default_language: str,
        admins: frozenset[int],
        menu_may_change: Callable[[int], None] = lambda _person: None,
    ) -> None:
        # told (after it is stored) of a first contact, an admin's private message or a
        # language chosen: the person's menu is compared
        self._menu_may_change = menu_may_change
        self._database = database
        self._clock = clock
        self.default_language = default_language
        self._admins = admins

    async def record_contact(
        self, telegram_id: int, telegram_language: str | None, *, private: bool = True
    ) -> Person:
        """Remember that this person talked to the bot (creates them on first contact). A
        private message also lifts the stop set when they had blocked the bot."""
        async with self._database.transaction() as tx:
            person = await tx.people.record_seen(
                telegram_id, telegram_language, self._clock.now(), wrote_to_bot=private
            )
        # the first contact; or an admin of the settings writing privately, who may have
        # been seen only in a group before (no private chat for their menu until now)
        if person.first_seen == person.last_seen or (private and telegram_id in self._admins):
            self._menu_may_change(telegram_id)
        return person

    async def get(self, telegram_id: int) -> Person | None:
        async with self._database.transaction() as tx:
            return await tx.people.get(telegram_id)

    async def choose_language(self, telegram_id: int, language: str) -> Person:
        """Store the person's language choice; an unknown language changes nothing."""
        if language not in LANGUAGES:
            raise DomainError("language.unknown")
        chosen = Language(language)
        async with self._database.transaction() as tx:
            person = await tx.people.set_language(telegram_id, chosen)
            if person is None:
                person = await tx.people.record_seen(telegram_id, None, self._clock.now())
                person = await tx.people.set_language(telegram_id, chosen)
        assert person is not None
        self._menu_may_change(telegram_id)
        return person

    def language_of(self, person: Person | None, telegram_language: str | None) -> str:
        return resolve_language(person, telegram_language, self.default_language)

    async def actor(self, telegram_id: int) -> Actor:
        """The person with their roles (admin, coordinator, instructor, participant)."""
        async with self._database.transaction() as tx:
            return await load_actor(tx, telegram_id, self._admins)

    async def roles_of(self, telegram_id: int) -> frozenset[Role]:
        return (await self.actor(telegram_id)).roles

    async def chat_gone(self, tx: Transaction, report: ChatGone) -> None:
        """Inside the outbox sender's transaction: a person's private chat refused the bot,
        so they are stopped."""
        if report.private:
            await tx.people.stop(report.chat_id, report.at)

    async def help_for(self, telegram_id: int, chat: ChatKind) -> Reply:
        """The commands this person may use in this kind of chat, each with one line on what
        it does."""
        roles = await self.roles_of(telegram_id)
        lines: list[Words] = [Text("help.header")]
        lines += [
            Lines((f"/{command.name} - ", Text(command.description_key)), sep="")
            for command in commands_for(roles, chat)
        ]
        return Reply(Lines(tuple(lines)))


def language_menu() -> Reply:
    """Buttons for Suomi, Svenska and English."""
    buttons = [
        Button(Text(LANGUAGE_NAMES[code]), data=LANGUAGE_CALLBACK + code) for code in LANGUAGES
    ]
    return Reply(Text("language.prompt"), column(buttons))
