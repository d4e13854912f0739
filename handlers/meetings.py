"""The meeting calendar: /meetings, /cancel, /uncancel, /remote and /schedule.

In a group chat the commands act on that group; in a private chat the group's number
comes first (``/cancel 3 8.12.``), and may be left out by an instructor with one group.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.errors import DomainError
from bot.runtime.context import KannustinApplication, KannustinContext
from bot.services.meetings import GroupSchedule, meeting_when
from bot.when import WhenError, format_for_groups, format_local, parse_dates, parse_weekly
from handlers.broadcast import CANCEL as CANCEL_BROADCAST
from storage.groups import Group
from storage.states import MeetingStatus, ScheduleKind, ScheduleStatus

CANCEL_MEETING = "mt:x:"
CANCEL_ITEM = "mt:i:"
MAX_BUTTONS = 30  # a keyboard Telegram shows comfortably on a phone
_COUNT = re.compile(r"^[x×](\d{1,2})$", re.IGNORECASE)
_STATUS_KEYS = {
    MeetingStatus.PLANNED: "meetings.status-planned",
    MeetingStatus.CANCELLED: "meetings.status-cancelled",
    MeetingStatus.REMOTE: "meetings.status-remote",
}
_USAGE = {
    "cancel": "meetings.cancel-usage",
    "remote": "meetings.remote-usage",
    "uncancel": "meetings.uncancel-usage",
}
_DONE = {
    "cancel": "meetings.cancel-done",
    "remote": "meetings.remote-done",
    "uncancel": "meetings.uncancel-done",
}
_ITEM_KEYS = {
    ScheduleKind.EVENING: "meetings.item-evening",
    ScheduleKind.BEFORE: "meetings.item-before",
    ScheduleKind.AT_HOME: "meetings.item-at-home",
    ScheduleKind.MIDWEEK: "meetings.item-midweek",
    ScheduleKind.PLAN: "meetings.item-plan",
    ScheduleKind.PROGRESS_MID: "meetings.item-progress-mid",
    ScheduleKind.PROGRESS_END: "meetings.item-progress-end",
    ScheduleKind.SURVEY_BEFORE: "meetings.item-survey-before",
    ScheduleKind.SURVEY_AFTER: "meetings.item-survey-after",
    ScheduleKind.SURVEY_MONTH_3: "meetings.item-survey-month-3",
    ScheduleKind.SURVEY_MONTH_6: "meetings.item-survey-month-6",
}


async def group_and_args(update: Update, context: KannustinContext) -> tuple[Group, list[str]]:
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    args = list(context.args or [])
    meetings = context.services.meetings
    if message.chat.type != ChatType.PRIVATE:
        return await meetings.group_of_chat(user.id, message.chat.id), args
    if args and args[0].isdigit() and len(args[0]) <= 9:
        number = int(args.pop(0))
        group = await context.services.groups.manageable(user.id, number)
        return group, args
    return await meetings.only_group(user.id), args


def _reads(parse: Callable[[str], object], text: str) -> bool:
    try:
        parse(text)
    except WhenError as error:
        # a past or backwards range did read as dates: let the service say so
        return error.key in ("when.past", "when.range-backwards")
    return True


async def meetings_command(update: Update, context: KannustinContext) -> None:
    """``/meetings [N]`` shows the calendar; ``/meetings [N] DAY TIME FROM [xCOUNT] [PLACE]``
    sets it: ``/meetings ti 14:00 3.12. x6 Kirjaston kokoushuone``."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    group, args = await group_and_args(update, context)
    if not args:
        await _show(message, context, group)
        return
    if len(args) < 3:
        raise DomainError("meetings.usage")
    # "ti 14:00" or "Tue 2 pm": the longest start that reads as a weekly slot
    taken = next((n for n in (3, 2) if _reads(parse_weekly, " ".join(args[:n]))), 2)
    weekly, rest = " ".join(args[:taken]), args[taken:]
    if not rest:
        raise DomainError("meetings.usage")
    first, rest = rest[0], rest[1:]
    count = 6
    if rest and (match := _COUNT.match(rest[0])):
        count = int(match[1])
        rest = rest[1:]
    await context.services.meetings.set_calendar(
        user.id, group.id, weekly, first, count=count, where=" ".join(rest) or None
    )
    await _show(message, context, group)


async def _show(message: Message, context: KannustinContext, group: Group) -> None:
    assert message.from_user is not None
    schedule = await context.services.meetings.schedule(message.from_user.id, group.id)
    if schedule.calendar is None:
        await message.reply_text(context.t("meetings.none", group=group.name))
        return
    await message.reply_text(_describe(context, schedule))


def _describe(context: KannustinContext, schedule: GroupSchedule) -> str:
    calendar = schedule.calendar
    assert calendar is not None
    language = context.speaks
    lines = [
        context.t(
            "meetings.header",
            group=schedule.group.name,
            count=calendar.meetings,
            where=calendar.place or calendar.link or "-",
        )
    ]
    for meeting in schedule.meetings:
        status = context.t(_STATUS_KEYS[meeting.status])
        line = f"{meeting.number}. {meeting_when(meeting, language)} {status}"
        if meeting.reason:
            line += f" ({meeting.reason})"
        lines.append(line)
    return "\n".join(lines)


async def _change(update: Update, context: KannustinContext, action: str) -> None:
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    group, args = await group_and_args(update, context)
    if not args:
        raise DomainError(_USAGE[action])
    meetings = context.services.meetings
    # "8.12.", "8.12.–15.12." or "8.12. – 15.12.": the longest start that reads as days
    now = context.services.clock.now()
    taken = next(
        (
            n
            for n in (3, 2, 1)
            if n <= len(args)
            and _reads(lambda text: parse_dates(text, now, group.timezone), " ".join(args[:n]))
        ),
        1,
    )
    dates, rest = " ".join(args[:taken]), " ".join(args[taken:]).strip()
    if action == "cancel":
        changed = await meetings.cancel(user.id, group.id, dates, rest or None)
    elif action == "remote":
        if not rest:
            raise DomainError("meetings.link-needed")
        changed = await meetings.remote(user.id, group.id, dates, rest)
    else:
        changed = await meetings.restore(user.id, group.id, dates)
    days = ", ".join(meeting_when(meeting, context.speaks) for meeting in changed)
    await message.reply_text(context.t(_DONE[action], group=group.name, days=days))


async def cancel_command(update: Update, context: KannustinContext) -> None:
    """``/cancel [N] DATES [REASON]``: meetings off, announced, the keep-going rhythm on."""
    await _change(update, context, "cancel")


async def uncancel_command(update: Update, context: KannustinContext) -> None:
    """``/uncancel [N] DATES``: meetings back on as usual, reminders restored."""
    await _change(update, context, "uncancel")


async def remote_command(update: Update, context: KannustinContext) -> None:
    """``/remote [N] DATES LINK``: meetings online; reminders carry the link."""
    await _change(update, context, "remote")


async def rhythm_command(update: Update, context: KannustinContext) -> None:
    """``/rhythm [N]`` shows the reminder and keep-going settings; ``/rhythm [N] SETTING
    VALUE`` changes one (evening, before, midweek, quiet)."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    group, args = await group_and_args(update, context)
    meetings = context.services.meetings
    if args:
        calendar = await meetings.set_rhythm(user.id, group.id, args[0], args[1:])
    else:
        calendar = await meetings.rhythm(user.id, group.id)
    off = context.t("meetings.off")
    await message.reply_text(
        context.t(
            "meetings.rhythm",
            group=group.name,
            evening=calendar.remind_evening_at or off,
            before=calendar.remind_minutes_before or off,
            midweek=(
                f"+{calendar.midweek_days_after} {calendar.midweek_at}"
                if calendar.midweek_days_after is not None and calendar.midweek_at
                else off
            ),
            quiet=f"{calendar.quiet_from}-{calendar.quiet_until}",
            checkins=context.t("meetings.on") if calendar.checkins else off,
            follow_ups=context.t("meetings.on") if calendar.follow_ups else off,
        )
    )


async def schedule_command(update: Update, context: KannustinContext) -> None:
    """The next meetings and every scheduled message of the person's groups, each
    meeting and broadcast with a cancel button."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    services = context.services
    language = context.speaks
    now = services.clock.now()
    lines: list[str] = []
    buttons: list[list[InlineKeyboardButton]] = []
    for schedule in await services.meetings.overview(user.id):
        if schedule.calendar is None:
            continue
        zone = schedule.group.timezone
        lines.append(context.t("schedule.group-header", group=schedule.group.name))
        upcoming = [m for m in schedule.meetings if m.starts_at > now][:3]
        for meeting in upcoming:
            lines.append(
                f"• {meeting_when(meeting, language)} {context.t(_STATUS_KEYS[meeting.status])}"
            )
            if meeting.status != MeetingStatus.CANCELLED and len(buttons) < MAX_BUTTONS:
                label = context.t(
                    "schedule.cancel-meeting-button", when=meeting_when(meeting, language)
                )
                buttons.append(
                    [InlineKeyboardButton(label, callback_data=f"{CANCEL_MEETING}{meeting.id}")]
                )
        for item in schedule.items:
            if item.status == ScheduleStatus.PENDING and len(lines) < 60:
                what = context.t(_ITEM_KEYS[item.kind])
                at = format_local(item.due_at, zone)
                lines.append(f"  ⏰ {at} {what}")
                if len(buttons) < MAX_BUTTONS:
                    label = context.t("schedule.cancel-message-button", when=at, what=what)
                    buttons.append(
                        [InlineKeyboardButton(label[:60], callback_data=f"{CANCEL_ITEM}{item.id}")]
                    )
            elif item.status == ScheduleStatus.SKIPPED:
                lines.append(
                    f"  ⏭ {format_local(item.due_at, zone)} {context.t(_ITEM_KEYS[item.kind])}: "
                    + context.t(item.reason or "schedule.too-late")
                )
    for summary in await services.broadcasts.scheduled_for(user.id):
        if len(buttons) >= MAX_BUTTONS + 10:
            break
        broadcast = summary.broadcast
        lines.append(
            context.t(
                "broadcast.scheduled-line",
                number=broadcast.id,
                when=format_for_groups(broadcast.send_at, summary.timezones),
                groups=", ".join(summary.group_names),
            )
        )
        buttons.append(
            [
                InlineKeyboardButton(
                    context.t("broadcast.cancel-scheduled-button", number=broadcast.id),
                    callback_data=f"{CANCEL_BROADCAST}{broadcast.id}",
                )
            ]
        )
    if not lines:
        await message.reply_text(context.t("schedule.empty"))
        return
    await message.reply_text(
        "\n".join(lines)[:4000], reply_markup=InlineKeyboardMarkup(buttons) if buttons else None
    )


async def cancel_meeting_button(update: Update, context: KannustinContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None and isinstance(query.message, Message)
    changed = await context.services.meetings.cancel_meeting(
        query.from_user.id, int(query.data.removeprefix(CANCEL_MEETING))
    )
    days = ", ".join(meeting_when(meeting, context.speaks) for meeting in changed)
    await query.message.reply_text(context.t("meetings.cancelled-one", days=days))
    await query.answer()


async def cancel_message_button(update: Update, context: KannustinContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None and isinstance(query.message, Message)
    item, group = await context.services.meetings.cancel_message(
        query.from_user.id, int(query.data.removeprefix(CANCEL_ITEM))
    )
    await query.message.reply_text(
        context.t(
            "schedule.message-cancelled",
            when=format_local(item.due_at, group.timezone),
            what=context.t(_ITEM_KEYS[item.kind]),
        )
    )
    await query.answer()


def register(application: KannustinApplication) -> None:
    commands = filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("meetings", meetings_command, filters=commands))
    application.add_handler(CommandHandler("cancel", cancel_command, filters=commands))
    application.add_handler(CommandHandler("uncancel", uncancel_command, filters=commands))
    application.add_handler(CommandHandler("remote", remote_command, filters=commands))
    application.add_handler(CommandHandler("rhythm", rhythm_command, filters=commands))
    application.add_handler(
        CommandHandler("schedule", schedule_command, filters=commands & filters.ChatType.PRIVATE)
    )
    application.add_handler(
        CallbackQueryHandler(cancel_meeting_button, pattern=rf"^{CANCEL_MEETING}\d{{1,9}}$")
    )
    application.add_handler(
        CallbackQueryHandler(cancel_message_button, pattern=rf"^{CANCEL_ITEM}\d{{1,9}}$")
    )
