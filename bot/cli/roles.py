"""``kannustin role``: who holds which staff role, per organisation, with the groups they
lead (``list``), and ending a role or taking an instructor off one group (``revoke``), as
an admin on the command line. The same rules as /staff in the bot
(``bot/services/staff.py``): the last coordinator of an organisation keeps the role, the
change is audited (via the command line) and told to the person, the groups' other
instructors and the coordinators; the running bot sends those notices."""

from __future__ import annotations

import argparse
import asyncio

from bot.cli.common import EXIT_OK, Commands, refusals, services
from bot.services.notices import numbered
from bot.settings import Settings


def register(commands: Commands) -> None:
    role = commands.add_parser("role", help="staff roles: list who holds which, end one")
    role.set_defaults(handler=lambda settings, arguments: asyncio.run(roles(settings, arguments)))
    actions = role.add_subparsers(dest="role_command", required=True, metavar="ACTION")
    listing = actions.add_parser(
        "list", help="coordinators and instructors per organisation, with their groups"
    )
    listing.add_argument("--org", help="one organisation, by number (see org list) or name")
    revoke = actions.add_parser(
        "revoke", help="end a person's staff role, or with --group take them off one group"
    )
    revoke.add_argument("user_id", type=int, help="their Telegram user id (see role list)")
    revoke.add_argument(
        "--group", type=int, help="only take them off this group (its number, see role list)"
    )


async def roles(settings: Settings, arguments: argparse.Namespace) -> int:
    """``kannustin role list|revoke``."""
    async with services(settings) as built:
        with refusals():
            if arguments.role_command == "revoke":
                change = await built.staff.revoke(arguments.user_id, arguments.group)
                if change.role is not None:
                    line = (
                        f"user {change.person_id} ({change.name}): {change.role} role in "
                        f"{change.organisation.name} ended"
                    )
                    if change.groups:
                        line += f"; no longer leads {numbered(change.groups)}"
                else:
                    line = f"user {change.person_id} ({change.name}) no longer leads " + numbered(
                        change.groups
                    )
                print(line)
                if change.unled:
                    print(f"nobody leads now: {numbered(change.unled)}")
                return EXIT_OK
            organisation = await built.organisations.find(arguments.org) if arguments.org else None
            found = await built.staff.roles(None if organisation is None else organisation.id)
    for staff in found:
        print(f"organisation {staff.organisation.id}: {staff.organisation.name}")
        for entry in staff.people:
            member = entry.member
            led = f"  leads {numbered(entry.groups)}" if entry.groups else ""
            print(f"  {member.role:<12} {member.person_id:<12} {member.display_name}{led}")
        if not staff.people:
            print("  no coordinators or instructors")
        if staff.unled:
            print(f"  nobody leads: {numbered(staff.unled)}")
    if not found:
        print("no organisations yet: kannustin org create NAME")
    return EXIT_OK
