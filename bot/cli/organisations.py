"""``kannustin org``: create and list organisations, set their privacy contact and how long
their personal data is kept; the same service the bot's /neworg uses, as an admin."""

from __future__ import annotations

import argparse
import asyncio

from bot.cli.common import EXIT_OK, Commands, refusals, services
from bot.i18n import counted
from bot.services.privacy import EVENT_POLICIES
from bot.settings import Settings
from storage.states import EventErasure


def register(commands: Commands) -> None:
    org = commands.add_parser("org", help="organisations: create, list, set the privacy contact")
    org.set_defaults(
        handler=lambda settings, arguments: asyncio.run(organisations(settings, arguments))
    )
    actions = org.add_subparsers(dest="org_command", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create an organisation")
    create.add_argument("name", nargs="+", help="its name, e.g. City of Espoo")
    create.add_argument("--contact", help="privacy contact shown to participants")
    actions.add_parser("list", help="list organisations with their numbers")
    contact = actions.add_parser("contact", help="set an organisation's privacy contact")
    contact.add_argument("number", type=int, help="the organisation's number (see org list)")
    contact.add_argument("contact", nargs="+", help="name and email or phone")
    retention = actions.add_parser(
        "retention", help="how long personal data is kept, and what erasure does to events"
    )
    retention.add_argument("number", type=int, help="the organisation's number (see org list)")
    retention.add_argument(
        "months", type=int, help="months after a group's last meeting (1-120; default 24)"
    )
    retention.add_argument(
        "--events",
        choices=EVENT_POLICIES,
        default=EventErasure.UNLINK,
        help="on erasure, unlink a person's events from them (default) or delete them",
    )


async def organisations(settings: Settings, arguments: argparse.Namespace) -> int:
    """``kannustin org ...``: the same service the bot's /neworg uses, as an admin."""
    async with services(settings) as built:
        service = built.organisations
        with refusals():
            if arguments.org_command == "create":
                organisation = await service.create(None, " ".join(arguments.name))
                if arguments.contact:
                    organisation = await service.set_privacy_contact(
                        None, arguments.contact, organisation.id
                    )
                print(f"created organisation {organisation.id}: {organisation.name}")
            elif arguments.org_command == "retention":
                organisation = await service.set_retention(
                    arguments.number, arguments.months, arguments.events
                )
                deletes = organisation.erase_events == EventErasure.DELETE
                print(
                    f"organisation {organisation.id}: personal data kept "
                    f"{counted(organisation.retention_months, 'month')} "
                    "after a group's last meeting; "
                    f"an erasure {'deletes' if deletes else 'unlinks'} the person's events"
                )
            elif arguments.org_command == "contact":
                organisation = await service.set_privacy_contact(
                    None, " ".join(arguments.contact), arguments.number
                )
                print(
                    f"organisation {organisation.id}: privacy contact "
                    f"{organisation.privacy_contact}"
                )
            else:
                found = await service.all()
                for organisation in found:
                    contact = organisation.privacy_contact or "(no privacy contact yet)"
                    print(f"{organisation.id}\t{organisation.name}\t{contact}")
                if not found:
                    print("no organisations yet: kannustin org create NAME")
    return EXIT_OK
