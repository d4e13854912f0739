"""Participants' own posts: the offer under a participant's message, its buttons, the
reviewers' Approve and Reject (and saving to the library), /myposts and withdrawal. The
rules are in ``bot/services/posts.py``; deleting copies in Telegram happens here."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence

from telegram import Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.errors import DomainError
from bot.replies import Reply
from bot.runtime.context import KannustinApplication, KannustinContext
from bot.services.posts import (
    ANONYMOUS,
    APPROVE,
    CHOOSE,
    KEEP,
    LIBRARY_NO,
    LIBRARY_YES,
    NAMED,
    NOT_NOW,
    REJECT,
    SAVE,
    SAVE_THEME,
    WITHDRAW,
    WITHDRAW_YES,
    Shared,
)
from content.library import Theme
from handlers.rendering import answer, content_of, show
from storage.states import PostKind

log = logging.getLogger(__name__)

_THEMES = "|".join(theme.value for theme in Theme)


def shared_of(message: Message) -> Shared | None:
    """What the message would share, if it is of a kind a post may be."""
    content = content_of(message)
    if content is None or content.kind not in tuple(PostKind):
        return None
    user = message.from_user
    return Shared(
        kind=PostKind(content.kind),
        content=content,
        source_message_id=message.message_id,
        first_name=user.first_name if user is not None else "",
    )


async def offer(message: Message, context: KannustinContext, user_id: int) -> bool:
    """Under a participant's message in private: the offer to share it (or why it cannot
    be). False when the person is in no group and the message is text: it is answered as
    anyone's."""
    shared = shared_of(message)
    try:
        reply = await context.services.posts.offer(user_id, shared)
    except DomainError as refused:
        reply = Reply.of(refused.key, **refused.params)
    if reply is None:  # in no group: a photo, video or voice message is told why
        if shared is None or shared.kind == PostKind.TEXT:
            return False
        reply = Reply.of("post.no-group")
    await answer(message, context, reply, quoted=True)
    return True


def _original(query_message: Message) -> Message:
    """The participant's message the offer answers, as Telegram hands it back."""
    original = query_message.reply_to_message
    if original is None:
        raise DomainError("post.send-again")
    return original


async def share_button(update: Update, context: KannustinContext) -> None:
    """The offer's buttons: a group, with my name, anonymously, not now."""
    query = update.callback_query
    assert query is not None and query.data is not None
    message = query.message
    if not isinstance(message, Message):
        raise DomainError("post.send-again")
    posts = context.services.posts
    data = query.data
    user_id = query.from_user.id
    if data == NOT_NOW:
        await show(message, context, Reply.of("post.not-shared"), edit=True)
    elif data.startswith(CHOOSE):
        reply = await posts.chosen(user_id, int(data.removeprefix(CHOOSE)))
        await show(message, context, reply, edit=True)
    else:
        original = _original(message)
        shared = shared_of(original)
        if shared is None or original.from_user is None or original.from_user.id != user_id:
            raise DomainError("post.send-again")
        named = data.startswith(NAMED)
        group_id = int(data.removeprefix(NAMED if named else ANONYMOUS))
        reply = await posts.share(user_id, group_id, named, shared)
        await show(message, context, reply, edit=True)
    await query.answer()


async def review_button(update: Update, context: KannustinContext) -> None:
    """A reviewer's Approve or Reject, and saving an approved post to the library."""
    query = update.callback_query
    assert query is not None and query.data is not None and isinstance(query.message, Message)
    posts = context.services.posts
    data = query.data
    user_id = query.from_user.id
    if data.startswith(APPROVE) or data.startswith(REJECT):
        number = int(data[len(APPROVE) :])
        decide = posts.approve if data.startswith(APPROVE) else posts.reject
        removed = await decide(user_id, number)
        await delete_copies(context, removed.copies, keep=query.message)
        reply = removed.reply
    elif data.startswith(SAVE):
        reply = await posts.offer_saving(user_id, int(data.removeprefix(SAVE)))
    else:
        post, theme = data.removeprefix(SAVE_THEME).split(":")
        reply = await posts.save(user_id, int(post), theme)
    await show(query.message, context, reply, edit=True)
    await query.answer()


async def my_posts(update: Update, context: KannustinContext) -> None:
    """/myposts: the person's posts that exist, each with Withdraw."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    await answer(message, context, await context.services.posts.my_posts(user.id))


async def withdraw_button(update: Update, context: KannustinContext) -> None:
    """Withdraw (asked again), yes, or keep."""
    query = update.callback_query
    assert query is not None and query.data is not None and isinstance(query.message, Message)
    posts = context.services.posts
    data = query.data
    user_id = query.from_user.id
    if data.startswith(WITHDRAW):
        reply = await posts.ask_withdrawal(user_id, int(data.removeprefix(WITHDRAW)))
        await answer(query.message, context, reply)
    elif data.startswith(LIBRARY_YES) or data.startswith(LIBRARY_NO):
        yes = data.startswith(LIBRARY_YES)
        post = int(data.removeprefix(LIBRARY_YES if yes else LIBRARY_NO))
        reply = await posts.library_answer(user_id, post, agreed=yes)
        await show(query.message, context, reply, edit=True)
    elif data.startswith(KEEP):
        reply = await posts.keep(user_id, int(data.removeprefix(KEEP)))
        await show(query.message, context, reply, edit=True)
    else:
        removed = await posts.withdraw(user_id, int(data.removeprefix(WITHDRAW_YES)))
        kept = await delete_copies(context, removed.copies, in_group=removed.in_group)
        await show(query.message, context, posts.withdrawn_words(removed, kept), edit=True)
    await query.answer()


async def delete_copies(
    context: KannustinContext,
    copies: Sequence[tuple[int, int]],
    *,
    in_group: Collection[tuple[int, int]] = (),
    keep: Message | None = None,
) -> bool:
    """Delete a post's copies in Telegram, (chat, message) each, not ``keep`` (the card
    just pressed). True when one of ``in_group`` (the group's copies) is still there:
    Telegram deletes only messages under 48 hours old. (One already gone, deleted by the
    group's admin, is not still there.)"""
    kept_in_group = False
    for chat_id, message_id in copies:
        if keep is not None and (chat_id, message_id) == (keep.chat.id, keep.message_id):
            continue
        try:
            await context.bot.delete_message(chat_id, message_id)
        except BadRequest as error:
            log.info("a post's copy in chat %d was not deleted: %s", chat_id, error.message)
            gone = "not found" in error.message
            kept_in_group = kept_in_group or ((chat_id, message_id) in in_group and not gone)
        except TelegramError as error:
            log.warning("a post's copy in chat %d was not deleted: %s", chat_id, error)
            kept_in_group = kept_in_group or (chat_id, message_id) in in_group
    return kept_in_group


def register(application: KannustinApplication) -> None:
    private = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("myposts", my_posts, filters=private))
    application.add_handler(
        CallbackQueryHandler(
            share_button,
            pattern=rf"^({NOT_NOW}|{CHOOSE}\d{{1,9}}|{NAMED}\d{{1,9}}|{ANONYMOUS}\d{{1,9}})$",
        )
    )
    application.add_handler(
        CallbackQueryHandler(
            review_button,
            pattern=(
                rf"^({APPROVE}\d{{1,9}}|{REJECT}\d{{1,9}}|{SAVE}\d{{1,9}}"
                rf"|{SAVE_THEME}\d{{1,9}}:({_THEMES}))$"
            ),
        )
    )
    application.add_handler(
        CallbackQueryHandler(
            withdraw_button,
            pattern=rf"^({WITHDRAW}|{WITHDRAW_YES}|{KEEP}|{LIBRARY_YES}|{LIBRARY_NO})\d{{1,9}}$",
        )
    )
