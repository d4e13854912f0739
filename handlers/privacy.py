"""A person's rights in private: /mydata sends a summary and everything stored about them
as a file, /forgetme erases them after a confirmation (the service decides whether a press
holds: a press that does not is refused with a ``DomainError``, which the error handler
shows as an alert, and the pressed message stays as it is)."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.replies import Reply
from bot.runtime.context import KannustinApplication, KannustinContext
from bot.services.privacy import FORGET, KEEP
from handlers.posts import delete_copies
from handlers.rendering import answer, edit_pressed, hand_over

# what follows a prefix: a request's token (or an older version's minute, which no longer
# holds; the service says so)
_TAIL = r"[A-Za-z0-9_-]{1,43}"


async def my_data(update: Update, context: KannustinContext) -> None:
    """How much of each kind is stored about the person, then all of it as a JSON file (or
    that nothing is)."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    found = await context.services.privacy.my_data(user.id)
    if isinstance(found, Reply):
        await answer(message, context, found)
        return
    await answer(message, context, found.summary)
    await hand_over(message, context, found.file)


async def forget_me(update: Update, context: KannustinContext) -> None:
    """The question before an erasure, with yes and no buttons."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    await answer(message, context, await context.services.privacy.ask_forget(user.id))


async def forget_confirmed(update: Update, context: KannustinContext) -> None:
    """The yes button: the presser is erased if it is their own question, still open."""
    query = update.callback_query
    assert query is not None and query.data is not None
    in_private = query.message is not None and query.message.chat.type == ChatType.PRIVATE
    posts = context.services.posts
    copies = await posts.copies_before_erasure(query.from_user.id)
    said = await context.services.privacy.confirm_forget(
        query.from_user.id, query.data, in_private=in_private
    )
    if copies and await posts.erased(query.from_user.id):
        await delete_copies(context, copies)  # their posts left the groups' chats too
    await edit_pressed(query, context, said)
    await query.answer()


async def forget_declined(update: Update, context: KannustinContext) -> None:
    """The no button: nothing is erased, and the message says so."""
    query = update.callback_query
    assert query is not None and query.data is not None
    said = await context.services.privacy.keep(query.from_user.id, query.data)
    await edit_pressed(query, context, said)
    await query.answer()


def register(application: KannustinApplication) -> None:
    private = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("mydata", my_data, filters=private))
    application.add_handler(CommandHandler("forgetme", forget_me, filters=private))
    application.add_handler(CallbackQueryHandler(forget_confirmed, pattern=rf"^{FORGET}{_TAIL}$"))
    application.add_handler(CallbackQueryHandler(forget_declined, pattern=rf"^{KEEP}{_TAIL}$"))
