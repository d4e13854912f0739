"""Group chats: the bot added or removed, members coming and going, migration, /groups and
/group settings."""

from __future__ import annotations

import asyncio
import logging
import re

from telegram import (
    ChatMember,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.errors import DomainError
from bot.i18n import normalize_language
from bot.runtime.context import KannustinApplication, KannustinContext
from bot.services.consent import PREFIX as CONSENT_PREFIX
from bot.services.groups import Added
from bot.settings import LANGUAGES
from storage.groups import Group
from storage.states import GroupStatus, Language

log = logging.getLogger(__name__)

MIGRATION_GRACE = 5.0  # seconds to wait for a migration notice before refusing a supergroup

SHOW = "grp:show:"
LANGUAGE = "grp:lang:"
ORGANISATION = "grp:org:"
_LANGUAGE_NAMES = {"fi": "language.name.fi", "sv": "language.name.sv", "en": "language.name.en"}
_STATUS_KEYS = {
    GroupStatus.ACTIVE: "group.status-active",
    GroupStatus.INACTIVE: "group.status-inactive",
    GroupStatus.PENDING: "group.status-pending",
}
_IN_CHAT = {ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}


def _is_in(member: ChatMember) -> bool:
    if member.status == ChatMemberStatus.RESTRICTED:
        return bool(getattr(member, "is_member", False))
    return member.status in _IN_CHAT


# The bot itself ----------------------------------------------------------------------------


async def bot_membership_changed(update: Update, context: KannustinContext) -> None:
    """Added by staff: register and greet. Added by anyone else: say why and leave.
    Removed: the group goes quiet."""
    change = update.my_chat_member
    assert change is not None
    chat = change.chat
    if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return
    was_in, is_in = _is_in(change.old_chat_member), _is_in(change.new_chat_member)
    is_admin = change.new_chat_member.status == ChatMemberStatus.ADMINISTRATOR
    groups = context.services.groups
    if was_in and not is_in:
        await groups.bot_removed(chat.id)
        return
    if was_in and is_in:
        await groups.bot_rights_changed(chat.id, bot_is_admin=is_admin)
        return
    if not is_in:
        return
    outcome = await groups.bot_added(
        change.from_user.id,
        chat.id,
        chat.title or "",
        language=Language(context.language or context.services.settings.language),
        bot_is_admin=is_admin,
    )
    if (
        outcome.result == Added.REFUSED
        and chat.type == ChatType.SUPERGROUP
        and outcome.group is None
    ):
        # When a group becomes a supergroup, Telegram says the bot "joined" the new chat,
        # from whoever upgraded it, possibly before the migration notice. Wait for that
        # notice before deciding this is a stranger's chat.
        context.application.create_task(
            _refuse_unless_migrated(context, chat.id, change.from_user.language_code),
            update=update,
        )
        return
    if outcome.result in (Added.REFUSED, Added.NO_ORGANISATION):
        if outcome.result == Added.NO_ORGANISATION:
            key = "group.no-organisation"
        else:
            key = "group.refused-known" if outcome.group is not None else "group.refused"
        await _say_and_leave(context, chat.id, context.t(key))
        log.info(
            "left chat %d: added by %d, who may not register groups", chat.id, change.from_user.id
        )
        return
    assert outcome.group is not None
    if outcome.result == Added.PENDING:
        await context.bot.send_message(chat.id, context.t("group.pending-notice"))
        buttons = [
            [
                InlineKeyboardButton(
                    organisation.name,
                    callback_data=f"{ORGANISATION}{outcome.group.id}:{organisation.id}",
                )
            ]
            for organisation in outcome.organisations
        ]
        reached = await _tell_privately(
            context,
            change,
            context.t("group.choose-organisation", group=outcome.group.name),
            InlineKeyboardMarkup(buttons),
        )
        if not reached:
            await context.bot.send_message(chat.id, context.t("group.pending-unreachable"))
        return
    if outcome.result in (Added.REGISTERED, Added.REACTIVATED):
        await _greet(context, outcome.group)
    if not is_admin and outcome.result != Added.ALREADY:
        # Without admin rights Telegram sends no member updates and no reactions, and with
        # group privacy on not even the messages: advise whatever BotFather says.
        await _tell_privately(
            context, change, context.t("group.make-admin", group=outcome.group.name)
        )


async def _say_and_leave(context: KannustinContext, chat_id: int, text: str) -> None:
    try:
        await context.bot.send_message(chat_id, text)
    except TelegramError as error:
        log.info("could not explain before leaving chat %d: %s", chat_id, error)
    await context.bot.leave_chat(chat_id)


async def _refuse_unless_migrated(
    context: KannustinContext, chat_id: int, language_code: str | None
) -> None:
    await asyncio.sleep(MIGRATION_GRACE)
    if await context.services.groups.by_chat(chat_id) is not None:
        return  # it was a registered group moving to its supergroup
    translator = context.services.translator
    language = normalize_language(language_code) or context.services.settings.language
    await _say_and_leave(context, chat_id, translator.text(language, "group.refused"))
    log.info("left supergroup %d: added by someone who may not register groups", chat_id)


async def _greet(context: KannustinContext, group: Group) -> None:
    translator = context.services.translator
    assert group.join_code is not None
    link = context.services.deep_links.link(context.bot.username, CONSENT_PREFIX, group.join_code)
    button = InlineKeyboardButton(
        translator.text(group.language, "group.greeting-button"), url=link
    )
    await context.bot.send_message(
        group.chat_id,
        translator.text(group.language, "group.greeting"),
        reply_markup=InlineKeyboardMarkup([[button]]),
    )


async def _tell_privately(
    context: KannustinContext,
    change: ChatMemberUpdated,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> bool:
    # The adder may never have opened a private chat with the bot; then Telegram refuses.
    try:
        await context.bot.send_message(change.from_user.id, text, reply_markup=markup)
    except TelegramError as error:
        log.info("could not message the adder of chat %d privately: %s", change.chat.id, error)
        return False
    return True


async def organisation_chosen(update: Update, context: KannustinContext) -> None:
    """An admin picked the organisation of a group they added: it is registered and greeted."""
    query = update.callback_query
    assert query is not None and query.data is not None
    group_id, organisation_id = (
        int(part) for part in query.data.removeprefix(ORGANISATION).split(":")
    )
    group = await context.services.groups.choose_organisation(
        query.from_user.id, group_id, organisation_id
    )
    await query.edit_message_text(context.t("group.organisation-set", group=group.name))
    await _greet(context, group)
    await query.answer()


# Members -------------------------------------------------------------------------------------


async def member_changed(update: Update, context: KannustinContext) -> None:
    """Someone joined or left (needs the bot to be an administrator)."""
    change = update.chat_member
    assert change is not None
    person = change.new_chat_member.user
    if person.is_bot:
        return
    groups = context.services.groups
    if _is_in(change.new_chat_member):
        await groups.member_seen(change.chat.id, person.id, name=person.first_name)
    else:
        await groups.member_left(change.chat.id, person.id)


async def service_message(update: Update, context: KannustinContext) -> None:
    """Telegram's own notices: people joined or left, the group became a supergroup."""
    message = update.effective_message
    assert message is not None
    groups = context.services.groups
    for person in message.new_chat_members or ():
        if not person.is_bot:
            await groups.member_seen(message.chat.id, person.id, name=person.first_name)
    if message.left_chat_member is not None and not message.left_chat_member.is_bot:
        await groups.member_left(message.chat.id, message.left_chat_member.id)
    if message.migrate_to_chat_id:
        await groups.migrated(message.chat.id, message.migrate_to_chat_id)
    if message.migrate_from_chat_id:
        await groups.migrated(message.migrate_from_chat_id, message.chat.id)


# /groups and /group ------------------------------------------------------------------------


async def list_groups(update: Update, context: KannustinContext) -> None:
    """The groups this person leads or oversees: title, instructors, participants, status."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    summaries = await context.services.groups.summaries_for(user.id)
    if not summaries:
        await message.reply_text(context.t("group.none"))
        return
    blocks = [context.t("group.list-header")]
    for summary in summaries:
        group = summary.group
        blocks.append(
            context.t(
                "group.list-entry",
                number=group.id,
                name=group.name,
                status=context.t(_STATUS_KEYS[group.status]),
                instructors=", ".join(summary.instructor_names) or "-",
                participants=summary.participants,
            )
        )
    await message.reply_text("\n\n".join(blocks))


_SETTING = re.compile(
    r"^#?(\d{1,9})?\s*(name|nimi|namn|timezone|aikavyöhyke|tidszon|language|kieli|språk)?\s*(.*)$",
    re.IGNORECASE | re.DOTALL,
)
_SETTING_NAMES = {
    "name": "display_name",
    "nimi": "display_name",
    "namn": "display_name",
    "timezone": "timezone",
    "aikavyöhyke": "timezone",
    "tidszon": "timezone",
    "language": "language",
    "kieli": "language",
    "språk": "language",
}


async def group_settings(update: Update, context: KannustinContext) -> None:
    """A group's settings with language buttons; ``/group [N] name|timezone|language VALUE``
    changes one."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    groups = context.services.groups
    text = (message.text or "").partition(" ")[2].strip()
    match = _SETTING.match(text)
    if match is None:
        raise DomainError("group.settings-usage")
    number, setting, value = match[1], match[2], match[3].strip()
    if setting is None and value:
        raise DomainError("group.settings-usage")
    if message.chat.type == ChatType.PRIVATE:
        if number is None:
            await _pick_group(update, context)
            return
        group_id = int(number)
    else:
        here = await groups.by_chat(message.chat.id)
        if here is None:
            raise DomainError("access.not-your-group")
        group_id = here.id
    if setting is None:
        group = await groups.manageable(user.id, group_id)
    else:
        if not value:
            raise DomainError("group.settings-usage")
        group = await groups.change_settings(
            user.id, group_id, **{_SETTING_NAMES[setting.lower()]: value}
        )
    await _show_settings(context, message.chat.id, group)


async def _pick_group(update: Update, context: KannustinContext) -> None:
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    summaries = await context.services.groups.summaries_for(user.id)
    if not summaries:
        await message.reply_text(context.t("group.none"))
        return
    buttons = [
        [InlineKeyboardButton(summary.group.name, callback_data=f"{SHOW}{summary.group.id}")]
        for summary in summaries
    ]
    await message.reply_text(context.t("group.pick"), reply_markup=InlineKeyboardMarkup(buttons))


async def _show_settings(context: KannustinContext, chat_id: int, group: Group) -> None:
    text = context.t(
        "group.settings",
        number=group.id,
        name=group.name,
        title=group.title,
        status=context.t(_STATUS_KEYS[group.status]),
        language=context.t(_LANGUAGE_NAMES[group.language]),
        timezone=group.timezone,
    )
    buttons = [
        [
            InlineKeyboardButton(
                ("✓ " if code == group.language else "") + context.t(_LANGUAGE_NAMES[code]),
                callback_data=f"{LANGUAGE}{group.id}:{code}",
            )
            for code in LANGUAGES
        ]
    ]
    await context.bot.send_message(chat_id, text, reply_markup=InlineKeyboardMarkup(buttons))


async def group_picked(update: Update, context: KannustinContext) -> None:
    """The settings of the group chosen from the buttons."""
    query = update.callback_query
    assert query is not None and query.data is not None and query.message is not None
    group = await context.services.groups.manageable(
        query.from_user.id, int(query.data.removeprefix(SHOW))
    )
    await _show_settings(context, query.message.chat.id, group)
    await query.answer()


async def group_language_chosen(update: Update, context: KannustinContext) -> None:
    """Sets the group's language; the bot speaks it in the group from now on."""
    query = update.callback_query
    assert query is not None and query.data is not None and query.message is not None
    group_id, code = query.data.removeprefix(LANGUAGE).split(":")
    group = await context.services.groups.change_settings(
        query.from_user.id, int(group_id), language=code
    )
    await _show_settings(context, query.message.chat.id, group)
    await query.answer(context.t("group.language-set", name=group.name))


def register(application: KannustinApplication) -> None:
    new = filters.UpdateType.MESSAGE
    application.add_handler(
        ChatMemberHandler(bot_membership_changed, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    application.add_handler(ChatMemberHandler(member_changed, ChatMemberHandler.CHAT_MEMBER))
    application.add_handler(
        MessageHandler(
            filters.ChatType.GROUPS
            & (
                filters.StatusUpdate.NEW_CHAT_MEMBERS
                | filters.StatusUpdate.LEFT_CHAT_MEMBER
                | filters.StatusUpdate.MIGRATE
            ),
            service_message,
        )
    )
    application.add_handler(
        CommandHandler("groups", list_groups, filters=new & filters.ChatType.PRIVATE)
    )
    application.add_handler(CommandHandler("group", group_settings, filters=new))
    application.add_handler(CallbackQueryHandler(group_picked, pattern=rf"^{SHOW}\d{{1,9}}$"))
    application.add_handler(
        CallbackQueryHandler(group_language_chosen, pattern=rf"^{LANGUAGE}\d{{1,9}}:[a-z]{{2}}$")
    )
    application.add_handler(
        CallbackQueryHandler(organisation_chosen, pattern=rf"^{ORGANISATION}\d{{1,9}}:\d{{1,9}}$")
    )
