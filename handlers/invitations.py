"""Invitations: /invite makes a deep link, /invites lists open ones with revoke buttons."""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.errors import DomainError
from bot.replies import Reply
from bot.runtime.context import KannustinApplication, KannustinContext
from bot.services.invitations import PREFIX, REVOKE
from handlers.rendering import answer, send, toast
from storage.states import StaffRole

# Role words people may type, in each of our languages.
_ROLE_WORDS = {
    "coordinator": StaffRole.COORDINATOR,
    "koordinaattori": StaffRole.COORDINATOR,
    "koordinator": StaffRole.COORDINATOR,
    "instructor": StaffRole.INSTRUCTOR,
    "ohjaaja": StaffRole.INSTRUCTOR,
    "handledare": StaffRole.INSTRUCTOR,
}
_NUMBER = re.compile(r"^#?(\d{1,9})$")
_USES = re.compile(r"^(?:[x×](\d{1,3})|(\d{1,3})[x×])$", re.IGNORECASE)


_ORG_WORDS = {"org", "organisation", "organization", "organisaatio"}


@dataclass(frozen=True)
class InviteRequest:
    role: StaffRole
    group_id: int | None
    organisation_id: int | None
    uses: int


def parse_invite(arguments: list[str]) -> InviteRequest:
    """``coordinator|instructor [GROUP | org ORG] [xUSES]``. For a coordinator a bare
    number is the organisation (a coordinator invitation has no group)."""
    if not arguments or arguments[0].lower() not in _ROLE_WORDS:
        raise DomainError("invite.usage")
    role = _ROLE_WORDS[arguments[0].lower()]
    group_id: int | None = None
    organisation_id: int | None = None
    uses = 1
    rest = [argument.lower() for argument in arguments[1:]]
    while rest:
        argument = rest.pop(0)
        if argument in _ORG_WORDS and rest and (match := _NUMBER.match(rest[0])):
            rest.pop(0)
            organisation_id = int(match[1])
        elif (match := _NUMBER.match(argument)) and group_id is None and organisation_id is None:
            if role == StaffRole.COORDINATOR:
                organisation_id = int(match[1])
            else:
                group_id = int(match[1])
        elif match := _USES.match(argument):
            uses = int(match[1] or match[2])
        else:
            raise DomainError("invite.usage")
    return InviteRequest(role, group_id, organisation_id, uses)


async def invite(update: Update, context: KannustinContext) -> None:
    """A link that gives the role (and, with a group number, co-instructorship)."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    request = parse_invite(list(context.args or []))
    services = context.services
    created = await services.invitations.create(
        user.id,
        request.role,
        group_id=request.group_id,
        organisation_id=request.organisation_id,
        uses=request.uses,
    )
    link = services.deep_links.link(context.bot.username, PREFIX, created.token)
    await answer(message, context, services.invitations.created(created, link))


async def list_invitations(update: Update, context: KannustinContext) -> None:
    """Open invitations, each with a button that revokes it."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    await answer(message, context, await context.services.invitations.listing(user.id))


async def revoke(update: Update, context: KannustinContext) -> None:
    """Closes the invitation if the presser may; the link stops working at once."""
    query = update.callback_query
    assert query is not None and query.data is not None
    invitation_id = int(query.data.removeprefix(REVOKE))
    await context.services.invitations.revoke(query.from_user.id, invitation_id)
    said = Reply.of("invite.revoked-done", number=invitation_id)
    if query.message is not None:
        await send(context, query.message.chat.id, said)
    await toast(query, context, said)


def register(application: KannustinApplication) -> None:
    private = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("invite", invite, filters=private))
    application.add_handler(CommandHandler("invites", list_invitations, filters=private))
    application.add_handler(CallbackQueryHandler(revoke, pattern=rf"^{REVOKE}\d{{1,12}}$"))
