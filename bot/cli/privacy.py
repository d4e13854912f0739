"""``kannustin forget`` and ``audit``: erase a person on request (the erasure /forgetme
does, asked by an admin) and read the log of privileged actions."""

from __future__ import annotations

import asyncio

from bot.cli.common import EXIT_OK, Commands, connected, services
from bot.i18n import counted
from bot.settings import Settings
from storage.states import AuditAction, AuditChannel

CHANNELS = {AuditChannel.CHAT: "chat", AuditChannel.COMMAND_LINE: "command line"}


def register(commands: Commands) -> None:
    forget_parser = commands.add_parser(
        "forget", help="erase a person (by Telegram user id) and everything personal"
    )
    forget_parser.add_argument("user_id", type=int, help="their Telegram user id")
    forget_parser.set_defaults(
        handler=lambda settings, arguments: asyncio.run(forget(settings, arguments.user_id))
    )
    audit = commands.add_parser("audit", help="the log of privileged actions, newest first")
    audit.add_argument("--limit", type=int, default=50, help="how many entries (default 50)")
    audit.add_argument("--action", help="only this action, e.g. export or erase")
    audit.set_defaults(
        handler=lambda settings, arguments: asyncio.run(
            show_audit(settings, arguments.limit, arguments.action)
        )
    )


async def forget(settings: Settings, user_id: int) -> int:
    """``kannustin forget USER_ID``: the erasure /forgetme does, asked by an admin."""
    async with services(settings) as bot:
        erased = await bot.privacy.forget(user_id)
    if not erased.found:
        print(f"nothing stored about user {user_id}")
        return EXIT_OK
    print(
        f"erased user {user_id}: {counted(erased.groups, 'membership')}, "
        f"{counted(erased.consents, 'consent')}, "
        f"{counted(erased.survey_answers, 'survey answer')}, "
        f"{counted(erased.records, 'activity record')}; "
        f"{counted(erased.kept, 'weekly figure')} kept as counts under stand-ins; "
        f"their name taken out of {counted(erased.messages, 'message')} to others"
    )
    if erased.menu:  # the bot is not running here: nothing can reach Telegram
        print(
            "their staff command menu stays in their Telegram: next time end the role first "
            "(kannustin role revoke) and let the bot take the menu back, then erase"
        )
    return EXIT_OK


async def show_audit(settings: Settings, limit: int, action: str | None) -> int:
    """``kannustin audit``: privileged actions, newest first, one line each."""
    async with connected(settings) as database, database.transaction() as tx:
        entries = await tx.audit.latest(max(1, limit), action=action)
    for entry in entries:
        actor = "command line" if entry.actor_id in (None, 0) else f"user {entry.actor_id}"
        if entry.actor_id is not None and entry.actor_id < 0:
            actor = f"erased #{-entry.actor_id}"  # a stand-in: the number of their erasure
        if entry.action == AuditAction.RETENTION and entry.actor_id is None:
            actor = "retention job"
        target = entry.target or ""
        if entry.action in (AuditAction.ERASE, AuditAction.RETENTION):
            target = f"{target} #{entry.id}"
        if entry.subject_id is not None:  # whom it was about (a stand-in once erased)
            subject = entry.subject_id
            target = f"{target} of " + (f"user {subject}" if subject > 0 else f"erased #{-subject}")
        if entry.channel is not None:
            target = f"{target} via {CHANNELS[entry.channel]}"
        line = f"{entry.at:%Y-%m-%d %H:%M:%S}Z  {entry.action:<20} {actor:<16} {target}"
        print(f"{line}  {entry.details}" if entry.details else line)
    if not entries:
        print("no audit entries" + (f" for {action}" if action else ""))
    return EXIT_OK
