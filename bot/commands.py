"""The bot's commands: one list feeds /help, setMyCommands and the handlers' expectations."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.roles import ChatKind, Role


@dataclass(frozen=True)
class CommandSpec:
    name: str
    description_key: str
    roles: frozenset[Role]
    chats: frozenset[ChatKind]

    def usable_by(self, roles: Iterable[Role], chat: ChatKind) -> bool:
        return chat in self.chats and not self.roles.isdisjoint(roles)


_ANYONE = frozenset({Role.EVERYONE})
_ADMIN = frozenset({Role.ADMIN})
_COORDINATOR = frozenset({Role.COORDINATOR})
_COORDINATOR_OR_ADMIN = frozenset({Role.COORDINATOR, Role.ADMIN})
_STAFF = frozenset({Role.ADMIN, Role.COORDINATOR, Role.INSTRUCTOR})
_PRIVATE = frozenset({ChatKind.PRIVATE})
_EVERYWHERE = frozenset({ChatKind.PRIVATE, ChatKind.GROUP})

COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("start", "command.start", _ANYONE, _PRIVATE),
    CommandSpec("help", "command.help", _ANYONE, _EVERYWHERE),
    CommandSpec("language", "command.language", _ANYONE, _PRIVATE),
    CommandSpec("privacy", "command.privacy", _ANYONE, _EVERYWHERE),
    CommandSpec("consent", "command.consent", _ANYONE, _PRIVATE),
    CommandSpec("tip", "command.tip", _ANYONE, _PRIVATE),
    CommandSpec("survey", "command.survey", _ANYONE, _PRIVATE),
    CommandSpec("myposts", "command.myposts", _ANYONE, _PRIVATE),
    CommandSpec("mydata", "command.mydata", _ANYONE, _PRIVATE),
    CommandSpec("forgetme", "command.forgetme", _ANYONE, _PRIVATE),
    CommandSpec("groups", "command.groups", _STAFF, _PRIVATE),
    CommandSpec("group", "command.group", _STAFF, _EVERYWHERE),
    CommandSpec("broadcast", "command.broadcast", _STAFF, _PRIVATE),
    CommandSpec("scheduled", "command.scheduled", _STAFF, _PRIVATE),
    CommandSpec("broadcasts", "command.broadcasts", _STAFF, _PRIVATE),
    CommandSpec("save", "command.save", _STAFF, _PRIVATE),
    CommandSpec("poll", "command.poll", _STAFF, _PRIVATE),
    CommandSpec("pollresults", "command.pollresults", _STAFF, _PRIVATE),
    CommandSpec("meetings", "command.meetings", _STAFF, _EVERYWHERE),
    CommandSpec("cancel", "command.cancel", _STAFF, _EVERYWHERE),
    CommandSpec("uncancel", "command.uncancel", _STAFF, _EVERYWHERE),
    CommandSpec("remote", "command.remote", _STAFF, _EVERYWHERE),
    CommandSpec("rhythm", "command.rhythm", _STAFF, _EVERYWHERE),
    CommandSpec("season", "command.season", _STAFF, _EVERYWHERE),
    CommandSpec("schedule", "command.schedule", _STAFF, _PRIVATE),
    CommandSpec("checkins", "command.checkins", _STAFF, _PRIVATE),
    CommandSpec("buddies", "command.buddies", _STAFF, _PRIVATE),
    CommandSpec("invite", "command.invite", _STAFF, _PRIVATE),
    CommandSpec("invites", "command.invites", _STAFF, _PRIVATE),
    CommandSpec("leave", "command.leave", _STAFF, _PRIVATE),
    CommandSpec("stats", "command.stats", _STAFF, _PRIVATE),
    CommandSpec("export", "command.export", _COORDINATOR_OR_ADMIN, _PRIVATE),
    CommandSpec("review", "command.review", _COORDINATOR_OR_ADMIN, _PRIVATE),
    CommandSpec("staff", "command.staff", _COORDINATOR_OR_ADMIN, _PRIVATE),
    CommandSpec("approval", "command.approval", _COORDINATOR, _PRIVATE),
    CommandSpec("orgcontact", "command.orgcontact", _COORDINATOR, _PRIVATE),
    CommandSpec("neworg", "command.neworg", _ADMIN, _PRIVATE),
)


def commands_for(
    roles: Iterable[Role], chat: ChatKind, commands: Iterable[CommandSpec] = COMMANDS
) -> list[CommandSpec]:
    """The commands this person may use in this kind of chat, in menu order."""
    held = frozenset(roles)
    return [command for command in commands if command.usable_by(held, chat)]


def menu_for_everyone(
    chat: ChatKind, commands: Iterable[CommandSpec] = COMMANDS
) -> list[CommandSpec]:
    """What Telegram's command menu shows to anyone in this kind of chat."""
    return commands_for({Role.EVERYONE}, chat, commands)
