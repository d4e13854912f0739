"""Privacy and consent: /privacy, /consent, the button in a group's greeting (it answers with
the group's current start link), and the agree and withdraw buttons."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.deeplinks import start_link
from bot.runtime.context import KannustinApplication, KannustinContext
from bot.services.consent import GIVE, WITHDRAW
from bot.services.membership import JOIN
from handlers.rendering import answer, edit_pressed


async def privacy(update: Update, context: KannustinContext) -> None:
    """What is stored, why, and who is responsible (the organisation of this group, or of
    the person's groups)."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    consent = context.services.consent
    if message.chat.type != ChatType.PRIVATE:
        await answer(message, context, await consent.group_notice(message.chat.id))
        return
    for notice in await consent.privacy_notices(user.id):
        await answer(message, context, notice)


async def consent_status(update: Update, context: KannustinContext) -> None:
    """Whether the person has agreed, per organisation, with a button to agree or withdraw."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    for notice in await context.services.consent.consent_notices(user.id):
        await answer(message, context, notice)


async def consent_given(update: Update, context: KannustinContext) -> None:
    """Stores the consent (notice version and time) and thanks the person."""
    query = update.callback_query
    assert query is not None and query.data is not None
    reply = await context.services.consent.give(
        query.from_user.id, int(query.data.removeprefix(GIVE))
    )
    await edit_pressed(query, context, reply)
    await query.answer()


async def consent_withdrawn(update: Update, context: KannustinContext) -> None:
    """Withdraws the consent; nothing private is done with the person from now on."""
    query = update.callback_query
    assert query is not None and query.data is not None
    reply = await context.services.consent.withdraw(
        query.from_user.id, int(query.data.removeprefix(WITHDRAW))
    )
    await edit_pressed(query, context, reply)
    await query.answer()


async def join_pressed(update: Update, context: KannustinContext) -> None:
    """The greeting's button: Telegram opens the bot privately with the group's current
    start link, where the person is checked and gets the notice."""
    query = update.callback_query
    assert query is not None
    if query.message is None:  # too old for Telegram to say where it was pressed
        await query.answer()
        return
    link = await context.services.membership.join_link(query.message.chat.id)
    await query.answer(url=start_link(context.bot.username, link))


def register(application: KannustinApplication) -> None:
    new = filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("privacy", privacy, filters=new))
    application.add_handler(
        CommandHandler("consent", consent_status, filters=new & filters.ChatType.PRIVATE)
    )
    application.add_handler(CallbackQueryHandler(join_pressed, pattern=rf"^{JOIN}$"))
    application.add_handler(CallbackQueryHandler(consent_given, pattern=rf"^{GIVE}\d{{1,9}}$"))
    application.add_handler(
        CallbackQueryHandler(consent_withdrawn, pattern=rf"^{WITHDRAW}\d{{1,9}}$")
    )
