"""Admins create organisations; coordinators keep their privacy contact up to date."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot.errors import DomainError
from bot.runtime.context import KannustinApplication, KannustinContext
from bot.services.invitations import PREFIX
from handlers.rendering import answer, command_text


async def new_organisation(update: Update, context: KannustinContext) -> None:
    """Creates the organisation and hands back the first coordinator's invitation link."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    name = command_text(message)
    if not name:
        raise DomainError("org.usage")
    services = context.services
    founded = await services.organisations.found(user.id, name)
    link = services.deep_links.link(context.bot.username, PREFIX, founded.invitation.token)
    await answer(message, context, services.organisations.founded(founded, link))


async def organisation_contact(update: Update, context: KannustinContext) -> None:
    """Sets who participants can contact about their data (shown in the privacy notice)."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    contact = command_text(message)
    if not contact:
        raise DomainError("org.contact-usage")
    organisations = context.services.organisations
    organisation = await organisations.set_privacy_contact(user.id, contact)
    await answer(message, context, organisations.contact_set(organisation))


def register(application: KannustinApplication) -> None:
    private = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("neworg", new_organisation, filters=private))
    application.add_handler(CommandHandler("orgcontact", organisation_contact, filters=private))
