"""The meeting calendar: when a group meets, cancelled and remote meetings, and the rhythm
of messages around them (reminders, and while meetings are off a "meeting at home" and a
mid-week encouragement); what /meetings, /cancel, /uncancel, /remote, /rhythm and /schedule
read from their words and say back.

The database is the source of truth. Each planned message is a ``schedule_items`` row,
keyed by its meeting and kind; firing it marks the row and writes the outbox row in one
transaction, so one due time never produces two messages, however often it fires. The
scheduler's jobs are only derived from these rows (``bot/runtime/scheduler.py``).

Rules for a firing:
- a reminder whose meeting has already started is skipped;
- anything more than 12 hours late (the bot was down) is skipped, and shown as skipped;
- otherwise it is sent, late or not; nothing is ever sent during the group's quiet hours
  (default 21:00-08:00): a message that would fall there is planned for their end.

A "meeting at home" carries a library tip for the group's week; its outbox row names the
tip, which counts as used when the row is delivered, like a broadcast's (``bot/services/tips.py``).

A /cancel or /remote that would change more than one meeting is asked first: the question
lists the meetings and is a stored request (``meeting_changes``, like the removals of
``bot/services/staff.py``) whose buttons carry a random token of which only the hash is
stored. Only the asker's press, in the chat where it was asked, within ``CHANGE_MINUTES``,
once, while the meetings are still as they were when asked, does it; nothing is stored or
told to the group before. A cancelled meeting keeps its video link, so /uncancel brings a
remote meeting back remote.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.dates import (
    clock,
    clock_words,
    day_and_time,
    days_and_times,
    moment_words,
    short_moment_words,
)
from bot.errors import DomainError
from bot.i18n import Cut, Lines, PerLanguage, Text, Translator, Words
from bot.payload import TextContent, content_to_json
from bot.public_holidays import holiday_name
from bot.replies import PAGE_ENTRIES, Button, Reply, column, list_page, page_of
from bot.services.access import load_actor, managed_group, require_staff, visible_groups
from bot.services.broadcasts import CANCEL as BROADCAST_CANCEL
from bot.services.broadcasts import BroadcastService
from bot.services.checkins import CheckInService
from bot.services.membership import RecheckGroup
from bot.services.surveys import SurveyService
from bot.services.tips import TipService
from bot.tokens import hash_token
from bot.typed import without_controls
from bot.when import WhenError, parse_dates, parse_weekly
from storage import Database, Transaction
from storage.analytics import season_origin
from storage.groups import Group
from storage.meetings import Calendar, CalendarQuestion, Meeting, MeetingChange, ScheduleItem
from storage.states import GroupKind, MeetingStatus, Purpose, Round, ScheduleKind, ScheduleStatus

log = logging.getLogger(__name__)

LATE_LIMIT = dt.timedelta(hours=12)
REMINDERS = (ScheduleKind.EVENING, ScheduleKind.BEFORE)
KEEP_GOING = (ScheduleKind.AT_HOME, ScheduleKind.MIDWEEK)
CHECKINS = (ScheduleKind.PLAN, ScheduleKind.PROGRESS_MID, ScheduleKind.PROGRESS_END)
PLAN_AFTER = dt.timedelta(hours=2)  # a held meeting's plan invitation: after it ends
# after the meeting day, at noon
PROGRESS_DAYS = {ScheduleKind.PROGRESS_MID: 3, ScheduleKind.PROGRESS_END: 6}
PROGRESS_AT = "12:00"
# the survey rounds' planned messages, and the round each one opens
SURVEYS = {
    ScheduleKind.SURVEY_BEFORE: Round.BEFORE,
    ScheduleKind.SURVEY_AFTER: Round.AFTER,
    ScheduleKind.SURVEY_MONTH_3: Round.MONTH_3,
    ScheduleKind.SURVEY_MONTH_6: Round.MONTH_6,
}
# the kinds written to each participant in private (their membership is checked first)
TO_PARTICIPANTS = frozenset({*CHECKINS, *SURVEYS})
# after the last meeting
FOLLOW_UP_DAYS = {ScheduleKind.SURVEY_MONTH_3: 91, ScheduleKind.SURVEY_MONTH_6: 182}
MAX_MEETINGS = 52
DEFAULT_COUNT = 6  # meetings in a calendar set without ``xCOUNT``
# /schedule's buttons
CANCEL_MEETING = "mt:x:"  # mt:x:MEETING
CANCEL_ITEM = "mt:i:"  # mt:i:ITEM
SCHEDULE_PAGE = "mt:p:"  # mt:p:GROUP:PAGE (from 0)
SCHEDULE_GROUPS = "mt:g:"  # mt:g:PAGE (from 0): which group's schedule
PAGE_GROUPS = 10  # group buttons on a page of the choice
LABEL_LIMIT = 30  # characters of a cancel button: one row on a phone, not cut off
# a change to several meetings, asked first
CONFIRM_CHANGE = "mt:ok:"  # + the question's token
KEEP_CHANGE = "mt:no:"  # + the question's token
TOKEN_BYTES = 16  # 128 random bits: 22 URL-safe characters
CHANGE_MINUTES = 15
# setting a calendar, asked first
SET_CALENDAR = "mt:set:"  # + the question's token: the meetings as typed
SKIP_HOLIDAYS = "mt:skip:"  # + the question's token: without the public holidays
KEEP_CALENDAR = "mt:keep:"  # + the question's token
REASON_LIMIT = 200  # characters of a cancellation's reason (said in the group, listed)
_COUNT = re.compile(r"^[x×](\d{1,2})$", re.IGNORECASE)
# the words a co-development group gets instead (a workshop where a peer group meets)
_CODEV_KEYS = {
    "schedule.evening": "schedule.evening-codev",
    "schedule.evening-today": "schedule.evening-today-codev",
    "schedule.before": "schedule.before-codev",
}


def kind_key(key: str, group: Group) -> str:
    """``key``, or its co-development group's variant where it has one."""
    if group.kind == GroupKind.CODEV:
        return _CODEV_KEYS.get(key, key)
    return key


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
_STATUS_OF = {
    "cancel": MeetingStatus.CANCELLED,
    "remote": MeetingStatus.REMOTE,
    "uncancel": MeetingStatus.PLANNED,
}
_ACTION_OF = {status: action for action, status in _STATUS_OF.items()}
# what a command's refusal without the group's number shows as the example
_EXAMPLES = {
    "cancel": "/cancel 3 8.12.",
    "uncancel": "/uncancel 3 8.12.",
    "remote": "/remote 3 8.12. https://meet.example.org/abc",
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


@dataclass(frozen=True)
class GroupSchedule:
    group: Group
    calendar: Calendar | None
    meetings: list[Meeting]
    items: list[ScheduleItem]


def wall_clock(day: dt.date, hhmm: str, timezone: str) -> dt.datetime:
    """A local date and ``HH:MM`` as UTC (a time skipped by daylight saving moves on)."""
    local = dt.datetime.combine(day, dt.time.fromisoformat(hhmm))
    return local.replace(tzinfo=ZoneInfo(timezone)).astimezone(dt.UTC)


def meeting_when(meeting: Meeting, language: str) -> str:
    """``ti 8.12. 14.00``: the weekday in the reader's language, the date, the time."""
    return day_and_time(meeting.local_date, meeting.local_time, language)


def _local(moment: dt.datetime, timezone: str) -> PerLanguage:
    """``ma 7.12. 18.00``: a moment's weekday, date and time in the group's zone."""
    local = moment.astimezone(ZoneInfo(timezone))
    return days_and_times([(local.date(), local.time())])


def days_of(meetings: Sequence[Meeting]) -> PerLanguage:
    """The meetings' days and times, in a sentence, in every language."""
    return days_and_times([(meeting.local_date, meeting.local_time) for meeting in meetings])


def local_today(now: dt.datetime, timezone: str) -> dt.date:
    return now.astimezone(ZoneInfo(timezone)).date()


def out_of_quiet_hours(moment: dt.datetime, calendar: Calendar, timezone: str) -> dt.datetime:
    """``moment``, or the end of the quiet hours it falls in."""
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    start = dt.time.fromisoformat(calendar.quiet_from)
    end = dt.time.fromisoformat(calendar.quiet_until)
    now = local.time()
    quiet = (start <= now or now < end) if start > end else (start <= now < end)
    if not quiet:
        return moment
    day = local.date() if now < end else local.date() + dt.timedelta(days=1)
    return wall_clock(day, calendar.quiet_until, timezone)


class MeetingService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        admins: Collection[int],
        translator: Translator,
        tips: TipService,
        *,
        checkins: CheckInService,
        surveys: SurveyService,
        broadcasts: BroadcastService,
        notify: Callable[[], None] = lambda: None,
        planned: Callable[[Sequence[ScheduleItem]], None] = lambda items: None,
        recheck: RecheckGroup,
    ) -> None:
        self._database = database
        self._clock = clock
        self._admins = frozenset(admins)
        self._translator = translator
        self._tips = tips
        self._checkins = checkins
        self._surveys = surveys
        self._broadcasts = broadcasts  # their scheduled ones are listed in /schedule
        self._notify = notify
        # who to tell about new or moved items (the scheduler adds their jobs)
        self._planned = planned
        # asks Telegram who is still in the group before its participants are written to
        self._recheck = recheck

    # The commands ---------------------------------------------------------------------------

    async def which_group(
        self,
        actor_id: int,
        chat_id: int,
        *,
        private: bool,
        args: Sequence[str],
        command: str = "meetings",
    ) -> tuple[Group, list[str]]:
        """The group a command acts on, and the command's other words: in a group chat that
        group; in private the number given first, else the actor's only group (a refusal
        shows ``command`` with a number as the example)."""
        rest = list(args)
        if not private:
            return await self.group_of_chat(actor_id, chat_id), rest
        if rest and rest[0].isascii() and rest[0].isdigit() and len(rest[0]) <= 9:
            number = int(rest.pop(0))
            async with self._database.transaction() as tx:
                return await managed_group(tx, actor_id, number, self._admins), rest
        return await self.only_group(actor_id, command), rest

    async def calendar_command(
        self, actor_id: int, group: Group, args: Sequence[str], *, chat_id: int
    ) -> Reply:
        """``/meetings`` shows the calendar; ``/meetings DAY TIME FROM [xCOUNT] [PLACE]``
        (typed in ``chat_id``) asks first whether to set it: the question."""
        if not args:
            return await self.calendar(actor_id, group)
        if len(args) < 3:
            raise DomainError("meetings.usage")
        # "ti 14:00" or "Tue 2 pm": the longest start that reads as a weekly slot
        taken = next((n for n in (3, 2) if _reads(parse_weekly, " ".join(args[:n]))), 2)
        weekly, rest = " ".join(args[:taken]), list(args[taken:])
        if not rest:
            raise DomainError("meetings.usage")
        first, rest = rest[0], rest[1:]
        count = DEFAULT_COUNT
        if rest and (match := _COUNT.match(rest[0])):
            count = int(match[1])
            rest = rest[1:]
        return await self.ask_calendar(
            actor_id,
            group.id,
            weekly,
            first,
            count=count,
            where=" ".join(rest) or None,
            chat_id=chat_id,
        )

    async def calendar(self, actor_id: int, group: Group) -> Reply:
        """The group's meetings, one a line, with their status."""
        schedule = await self.schedule(actor_id, group.id)
        calendar = schedule.calendar
        if calendar is None or not schedule.meetings:  # (a new season has none yet)
            return Reply.of("meetings.none", group=group.name)
        lines: list[Words] = [
            Text(
                "meetings.header",
                {
                    "group": schedule.group.name,
                    "count": calendar.meetings,
                    "where": calendar.place or calendar.link or "-",
                },
            )
        ]
        for meeting in schedule.meetings:
            line: Words = Lines(
                (f"{meeting.number}.", days_of([meeting]), Text(_STATUS_KEYS[meeting.status])),
                sep=" ",
            )
            if meeting.reason:
                line = Lines((line, f" ({meeting.reason})"), sep="")
            lines.append(line)
        return Reply(Lines(tuple(lines)))

    async def change_command(
        self, actor_id: int, group: Group, action: str, args: Sequence[str], *, chat_id: int
    ) -> Reply:
        """``/cancel DATES [REASON]``, ``/remote DATES LINK`` or ``/uncancel DATES``
        (``action``, typed in ``chat_id``): the meetings changed, in a sentence; or, when
        it would cancel or move online more than one meeting, the question that asks first."""
        if not args:
            raise DomainError(_USAGE[action])
        # "8.12.", "8.12.–15.12." or "8.12. – 15.12.": the longest start that reads as days
        now = self._clock.now()
        taken = next(
            (
                n
                for n in (3, 2, 1)
                if n <= len(args)
                and _reads(lambda text: parse_dates(text, now, group.timezone), " ".join(args[:n]))
            ),
            1,
        )
        dates = " ".join(args[:taken])
        rest = without_controls(" ".join(args[taken:])).strip()
        if action == "cancel" and len(rest) > REASON_LIMIT:
            raise DomainError("meetings.reason-too-long", limit=REASON_LIMIT)
        reason = (rest or None) if action == "cancel" else None
        link = _link(rest) if action == "remote" else None
        asked = await self._change(
            actor_id, group.id, dates, _STATUS_OF[action], reason=reason, link=link, ask=chat_id
        )
        if isinstance(asked, Reply):
            return asked
        return Reply.of(_DONE[action], group=group.name, days=days_of(asked), count=len(asked))

    async def confirm_change(self, actor_id: int, chat_id: int, data: str) -> Reply:
        """The confirm button under a question about several meetings: done if it is the
        presser's own open question, pressed in the chat where it was asked, in time, once,
        and the meetings are still as they were when asked; anything else raises with the
        reason, and nothing changes."""
        token_hash = hash_token(data.removeprefix(CONFIRM_CHANGE))
        now = self._clock.now()
        async with self._database.transaction() as tx:
            asked = await tx.meetings.change(token_hash)
            if (
                asked is None
                or not _answerable(asked, actor_id, chat_id, now)
                or not await tx.meetings.close_change(token_hash)
            ):
                raise DomainError("meetings.change-gone")
            group = await self._managed(tx, actor_id, asked.group_id)
            calendar = await tx.meetings.calendar(group.id)
            ids = [int(number) for number in asked.meetings.split(" ", 1)[0].split(",")]
            found = {m.id: m for m in await tx.meetings.meetings(group.id)}
            chosen = [found[number] for number in ids if number in found]
            if (
                calendar is None
                or len(chosen) != len(ids)
                or _snapshot(chosen) != asked.meetings
                or any(m.starts_at <= now or m.number > calendar.meetings for m in chosen)
            ):
                raise DomainError("meetings.change-stale")
            changed, items = await self._apply(
                tx, group, calendar, chosen, asked.status, reason=asked.reason, link=asked.link
            )
        self._planned(items)
        self._notify()
        log.info("group %d: %d meetings now %s, confirmed", group.id, len(changed), asked.status)
        return Reply.of(
            _DONE[_ACTION_OF[asked.status]],
            group=group.name,
            days=days_of(changed),
            count=len(changed),
        )

    async def keep_change(self, actor_id: int, data: str) -> Reply:
        """The keep button: the presser's question is closed and nothing changes; a token
        that is not the presser's open question closes nothing."""
        token_hash = hash_token(data.removeprefix(KEEP_CHANGE))
        async with self._database.transaction() as tx:
            asked = await tx.meetings.change(token_hash)
            if asked is None or asked.asked_by != actor_id:
                raise DomainError("meetings.change-gone")
            await tx.meetings.close_change(token_hash)
        return Reply.of("meetings.change-kept")

    async def rhythm_command(self, actor_id: int, group: Group, args: Sequence[str]) -> Reply:
        """``/rhythm`` shows the reminder and keep-going settings; ``/rhythm SETTING VALUE``
        changes one first."""
        if args:
            calendar = await self.set_rhythm(actor_id, group.id, args[0], args[1:])
        else:
            calendar = await self.rhythm(actor_id, group.id)
        off = Text("meetings.off")
        on = Text("meetings.on")
        return Reply.of(
            "meetings.rhythm",
            group=group.name,
            evening=clock_words(calendar.remind_evening_at) if calendar.remind_evening_at else off,
            before=calendar.remind_minutes_before or off,
            midweek=(
                Lines((f"+{calendar.midweek_days_after}", clock_words(calendar.midweek_at)), " ")
                if calendar.midweek_days_after is not None and calendar.midweek_at
                else off
            ),
            quiet=Lines((clock_words(calendar.quiet_from), clock_words(calendar.quiet_until)), "–"),
            checkins=on if calendar.checkins else off,
            follow_ups=on if calendar.follow_ups else off,
        )

    async def schedule_listing(self, actor_id: int, args: Sequence[str] = ()) -> Reply:
        """/schedule: with one group its first page; with several, which group (buttons);
        ``/schedule N`` group N's first page, if the actor manages it."""
        if args:
            if len(args) != 1 or not (args[0].isascii() and args[0].isdigit()):
                raise DomainError("schedule.usage")
            return await self.schedule_page(actor_id, int(args[0]), 0)
        groups = await self._schedule_groups(actor_id)
        if not groups:
            return Reply.of("schedule.empty")
        if len(groups) == 1:
            return await self.schedule_page(actor_id, groups[0].id, 0)
        return await self.schedule_choice(actor_id, 0)

    async def schedule_choice(self, actor_id: int, page: int) -> Reply:
        """Which group's schedule: a button per group, ``PAGE_GROUPS`` to a page."""
        groups = await self._schedule_groups(actor_id)
        if not groups:
            return Reply.of("schedule.empty")
        shown = page_of(groups, page, PAGE_GROUPS, SCHEDULE_GROUPS, "schedule.page-gone")
        turn = shown.turn
        buttons = [
            Button(
                Lines((Cut(group.name, LABEL_LIMIT - 12), f"(#{group.id})"), sep=" "),
                f"{SCHEDULE_PAGE}{group.id}:0",
            )
            for group in shown.entries
        ]
        return Reply(
            Text("schedule.which-group"), (*column(buttons), turn) if turn else column(buttons)
        )

    async def schedule_page(self, actor_id: int, group_id: int, page: int) -> Reply:
        """A page of one group's schedule: its coming meetings, planned messages and the
        actor's scheduled broadcasts to it, in time order, numbered, each that can still be
        cancelled with its own button; Previous and Next between pages."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            group = await self._managed(tx, actor_id, group_id)
            schedule = await self._schedule_of(tx, group)
            several = len(await self._active_groups(tx, actor_id)) > 1
        zone = group.timezone
        entries: list[tuple[dt.datetime, Words, str | None]] = []  # time, what, cancel data
        what: Words
        for meeting in schedule.meetings:
            if meeting.starts_at > now:
                data = None
                if meeting.status != MeetingStatus.CANCELLED:
                    data = f"{CANCEL_MEETING}{meeting.id}"
                status = Text(_STATUS_KEYS[meeting.status])
                what = Text("schedule.meeting-line", {"when": days_of([meeting]), "status": status})
                entries.append((meeting.starts_at, what, data))
        for item in schedule.items:
            planned = (_local(item.due_at, zone), Text(_ITEM_KEYS[item.kind]))
            if item.status == ScheduleStatus.PENDING:
                what = Lines(("⏰", *planned), sep=" ")
                entries.append((item.due_at, what, f"{CANCEL_ITEM}{item.id}"))
            elif item.status == ScheduleStatus.SKIPPED:
                reason = Text(item.reason or "schedule.too-late")
                skipped = Lines(("⏭", *planned), sep=" ")
                entries.append((item.due_at, Lines((skipped, ": ", reason), sep=""), None))
        for summary in await self._broadcasts.scheduled_for(actor_id):
            if group.id in summary.group_ids:
                at = summary.broadcast.send_at
                what = Lines(
                    (f"📣 #{summary.broadcast.id}", _local(at, zone), summary.what()), sep=" "
                )
                entries.append((at, what, f"{BROADCAST_CANCEL}{summary.broadcast.id}"))
        if not entries:
            return Reply.of("schedule.group-empty", group=group.name)
        entries.sort(key=lambda entry: entry[0])
        numbered = list(enumerate(entries, start=1))
        shown = page_of(
            numbered, page, PAGE_ENTRIES, f"{SCHEDULE_PAGE}{group.id}:", "schedule.page-gone"
        )
        header = (
            Text(
                "schedule.page-header",
                {"group": group.name, "page": page + 1, "pages": shown.count},
            )
            if shown.count > 1
            else Text("schedule.group-header", {"group": group.name})
        )
        page_lines: list[tuple[Words, Button | None]] = []
        for number, (at, entry, data) in shown.entries:
            button = None
            if data is not None:
                when = short_moment_words(at, zone)
                label = Text("schedule.cancel-button", {"number": number, "when": when})
                button = Button(Cut(label, LABEL_LIMIT), data)
            page_lines.append((Lines((f"{number}.", entry), sep=" "), button))
        back = (Button(Text("schedule.all-groups"), f"{SCHEDULE_GROUPS}0"),) if several else ()
        return list_page(header, page_lines, (*shown.turn, *back))

    async def _schedule_groups(self, actor_id: int) -> list[Group]:
        async with self._database.transaction() as tx:
            return await self._active_groups(tx, actor_id)

    async def _active_groups(self, tx: Transaction, actor_id: int) -> list[Group]:
        actor = await load_actor(tx, actor_id, self._admins)
        require_staff(actor)
        return [group for group in await visible_groups(tx, actor) if group.is_active]

    async def meeting_cancelled(self, actor_id: int, meeting_id: int) -> Reply:
        """The cancel button under a meeting in /schedule."""
        changed = await self.cancel_meeting(actor_id, meeting_id)
        return Reply.of("meetings.cancelled-one", days=days_of(changed))

    async def message_cancelled(self, actor_id: int, item_id: int) -> Reply:
        """The cancel button under a planned message in /schedule."""
        item, group = await self.cancel_message(actor_id, item_id)
        return Reply.of(
            "schedule.message-cancelled",
            when=moment_words(item.due_at, group.timezone),
            what=Text(_ITEM_KEYS[item.kind]),
        )

    # Setting up ----------------------------------------------------------------------------

    async def set_calendar(
        self,
        actor_id: int,
        group_id: int,
        weekly: str,
        first: str,
        *,
        count: int = 6,
        where: str | None = None,
    ) -> tuple[Calendar, list[Meeting]]:
        """The group meets weekly at ``weekly`` (``ti 14:00``) from ``first`` (a date; the
        first such weekday on or after it), ``count`` times, at a place or a video link; set
        at once, without asking or telling the group (what /meetings asks is
        ``ask_calendar``)."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            group = await self._managed(tx, actor_id, group_id)
            plan = await self._plan(tx, group, weekly, first, count=count, where=where, now=now)
            calendar, items = await self._store(tx, group, plan, actor_id, now)
            meetings = await tx.meetings.meetings(group.id)
        self._planned(items)
        return calendar, meetings

    async def ask_calendar(
        self,
        actor_id: int,
        group_id: int,
        weekly: str,
        first: str,
        *,
        count: int = DEFAULT_COUNT,
        where: str | None = None,
        chat_id: int,
    ) -> Reply:
        """The meetings ``set_calendar`` would set, the public holidays among them marked,
        and the buttons that set them as typed (and tell the group), set them without the
        holidays, or keep the calendar as it is: a stored question, nothing set yet."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            group = await self._managed(tx, actor_id, group_id)
            plan = await self._plan(tx, group, weekly, first, count=count, where=where, now=now)
            workdays = _without_holidays(plan.days[0], len(plan.days))
            token = secrets.token_urlsafe(TOKEN_BYTES)
            await tx.meetings.open_calendar(
                hash_token(token),
                CalendarQuestion(
                    asked_by=actor_id,
                    chat_id=chat_id,
                    group_id=group.id,
                    weekday=plan.weekday,
                    meeting_time=plan.time,
                    days=_iso_days(plan.days),
                    workdays=_iso_days(workdays),
                    place=plan.place,
                    link=plan.link,
                    calendar_was=await _calendar_state(tx, group.id),
                    created_at=now,
                    expires_at=now + dt.timedelta(minutes=CHANGE_MINUTES),
                ),
            )
        return _calendar_question(group, plan, workdays, token)

    async def answer_calendar(self, actor_id: int, chat_id: int, data: str) -> Reply:
        """A press under a calendar question: set as typed (``SET_CALENDAR``), set without
        the holidays (``SKIP_HOLIDAYS``) or keep as is (``KEEP_CALENDAR``). Set only if it
        is the presser's own open question, pressed in the chat where it was asked, in time,
        once, and the group's calendar is as it was when asked; then the group is told.
        Anything else raises with the reason, and nothing changes."""
        prefix = next(p for p in (SET_CALENDAR, SKIP_HOLIDAYS, KEEP_CALENDAR) if data.startswith(p))
        token_hash = hash_token(data.removeprefix(prefix))
        now = self._clock.now()
        async with self._database.transaction() as tx:
            asked = await tx.meetings.calendar_question(token_hash)
            if (
                asked is None
                or not _answerable(asked, actor_id, chat_id, now)
                or not await tx.meetings.close_calendar(token_hash)
            ):
                raise DomainError("meetings.change-gone")
            if prefix == KEEP_CALENDAR:
                return Reply.of("meetings.calendar-kept")
            group = await self._managed(tx, actor_id, asked.group_id)
            season = await tx.seasons.current(group.id)
            days = _days_of(asked.workdays if prefix == SKIP_HOLIDAYS else asked.days)
            if (
                season is None
                or not season.is_running
                or await _calendar_state(tx, group.id) != asked.calendar_was
                or wall_clock(days[0], asked.meeting_time, group.timezone) <= now
            ):
                raise DomainError("meetings.calendar-stale")
            plan = _Plan(asked.weekday, asked.meeting_time, days, asked.place, asked.link)
            calendar, items = await self._store(tx, group, plan, actor_id, now)
            meetings = [m for m in await tx.meetings.meetings(group.id) if m.starts_at > now]
            await self._announce_calendar(tx, group, calendar, meetings, now)
        self._planned(items)
        self._notify()
        listing = await self.calendar(actor_id, group)
        return Reply(Lines((listing.text, Text("meetings.calendar-told"))))

    async def _plan(
        self,
        tx: Transaction,
        group: Group,
        weekly: str,
        first: str,
        *,
        count: int,
        where: str | None,
        now: dt.datetime,
    ) -> _Plan:
        """What ``/meetings DAY TIME FROM [xCOUNT] [PLACE]`` means for the group, checked:
        the weekday, the time, the meetings' days (weekly from the first such weekday on or
        after ``first``; today's, if its time has passed, from next week) and the place or
        link."""
        if not 1 <= count <= MAX_MEETINGS:
            raise DomainError("meetings.count", most=MAX_MEETINGS)
        weekday, time = parse_weekly(weekly)
        season = await tx.seasons.current(group.id)
        assert season is not None  # every group has one from its registration
        if not season.is_running:  # its programme is over: a new one is a new season
            raise DomainError("season.calendar-ended", season=season.number)
        start, end = parse_dates(first, now, group.timezone)
        if end != start:
            raise DomainError("meetings.one-first-date")
        start += dt.timedelta(days=(weekday - start.weekday()) % 7)
        if wall_clock(start, f"{time:%H:%M}", group.timezone) <= now:
            if start != local_today(now, group.timezone):
                raise DomainError("when.past")
            start += dt.timedelta(weeks=1)  # today's has passed: from next week
        place, link = _place_or_link(where)
        days = [start + dt.timedelta(weeks=week) for week in range(count)]
        return _Plan(weekday, f"{time:%H:%M}", days, place, link)

    async def _store(
        self, tx: Transaction, group: Group, plan: _Plan, actor_id: int, now: dt.datetime
    ) -> tuple[Calendar, list[ScheduleItem]]:
        """The group's calendar becomes ``plan``: its meetings, their planned messages, and
        the season's programme weeks from its first day."""
        season = await tx.seasons.current(group.id)
        assert season is not None
        start, count = plan.days[0], len(plan.days)
        calendar = await tx.meetings.set_calendar(
            group.id,
            weekday=plan.weekday,
            meeting_time=plan.time,
            first_date=start,
            meetings=count,
            place=plan.place,
            link=plan.link,
            set_by=actor_id,
            now=now,
        )
        # a cancelled or remote meeting stays so at its time, whatever its new number
        before = {m.starts_at: m for m in await tx.meetings.meetings(group.id)}
        for number, day in enumerate(plan.days, start=1):
            meeting = await tx.meetings.put_meeting(
                group.id,
                number,
                local_date=day,
                local_time=calendar.meeting_time,
                starts_at=wall_clock(day, calendar.meeting_time, group.timezone),
            )
            old = before.get(meeting.starts_at)
            if old is not None and old.status != meeting.status:
                await tx.meetings.set_status(
                    meeting.id, old.status, link=old.link, reason=old.reason
                )
        await tx.meetings.remove_meetings_after(group.id, count)
        if group.starts_on != start:
            await tx.groups.update(group.id, now, starts_on=start)
            # the programme weeks of the current season moved: its roll-up follows
            await tx.events.sum_again(
                group.id,
                season_origin(start, season.first_week),
                since=season.started_at if season.number > 1 else None,
            )
        log.info("group %d meets %d times from %s", group.id, count, start)
        return calendar, await self._replan(tx, group, calendar)

    async def cancel(
        self, actor_id: int, group_id: int, dates: str, reason: str | None = None
    ) -> list[Meeting]:
        """Meetings on these days are off: announced in the group, their reminders dropped,
        and the keep-going rhythm planned instead."""
        return _changed(
            await self._change(actor_id, group_id, dates, MeetingStatus.CANCELLED, reason=reason)
        )

    async def rhythm(self, actor_id: int, group_id: int) -> Calendar:
        async with self._database.transaction() as tx:
            group = await self._managed(tx, actor_id, group_id)
            calendar = await tx.meetings.calendar(group.id)
        if calendar is None:
            raise DomainError("meetings.no-calendar")
        return calendar

    async def set_rhythm(
        self, actor_id: int, group_id: int, setting: str, values: Sequence[str]
    ) -> Calendar:
        """One rhythm setting: ``evening 18:00|off``, ``before 60|off`` (minutes),
        ``midweek 3 12:00|off`` (days after the meeting day, time), ``quiet 21:00-08:00``,
        ``checkins on|off`` (the weekly plan, progress questions in private), ``followups
        on|off`` (the surveys 3 and 6 months after the last meeting)."""
        changes = _rhythm_changes(setting.lower(), [value.lower() for value in values])
        now = self._clock.now()
        async with self._database.transaction() as tx:
            group = await self._managed(tx, actor_id, group_id)
            if await tx.meetings.calendar(group.id) is None:
                raise DomainError("meetings.no-calendar")
            calendar = await tx.meetings.set_rhythm(group.id, now, **changes)
            items = await self._replan(tx, group, calendar)
        self._planned(items)
        log.info("group %d rhythm changed: %s", group.id, sorted(changes))
        return calendar

    async def cancel_meeting(self, actor_id: int, meeting_id: int) -> list[Meeting]:
        """The cancel button under one meeting in /schedule."""
        async with self._database.transaction() as tx:
            meeting = await tx.meetings.meeting(meeting_id)
        if meeting is None:
            raise DomainError("access.not-your-group")  # a forged id reads like a foreign one
        day = meeting.local_date
        return _changed(
            await self._change(actor_id, meeting.group_id, (day, day), MeetingStatus.CANCELLED)
        )

    async def cancel_message(self, actor_id: int, item_id: int) -> tuple[ScheduleItem, Group]:
        """The cancel button under one planned message in /schedule: it will not be sent,
        and re-planning does not bring it back."""
        async with self._database.transaction() as tx:
            item = await tx.meetings.item(item_id)
            if item is None:
                raise DomainError("access.not-your-group")
            group = await self._managed(tx, actor_id, item.group_id)
            if item.status != ScheduleStatus.PENDING:  # a button from an older list
                raise DomainError("schedule.not-planned")
            await tx.meetings.drop(item.meeting_id, (item.kind,), "schedule.cancelled-by-hand")
            dropped = await tx.meetings.item(item_id)
        assert dropped is not None
        log.info("schedule item %d cancelled by hand", item_id)
        return dropped, group

    async def group_of_chat(self, actor_id: int, chat_id: int) -> Group:
        """The registered group of this chat, if the actor manages it."""
        async with self._database.transaction() as tx:
            group = await tx.groups.by_chat(chat_id)
            if group is None:
                raise DomainError("access.not-your-group")
            return await self._managed(tx, actor_id, group.id)

    async def only_group(self, actor_id: int, command: str = "meetings") -> Group:
        """The one active group the actor sees; with several the number must be given (the
        refusal's example is ``command``'s)."""
        async with self._database.transaction() as tx:
            actor = await load_actor(tx, actor_id, self._admins)
            require_staff(actor)
            active = [g for g in await visible_groups(tx, actor) if g.is_active]
        if len(active) != 1:
            raise DomainError(
                "meetings.which-group", example=_EXAMPLES.get(command, f"/{command} 3")
            )
        return active[0]

    async def restore(self, actor_id: int, group_id: int, dates: str) -> list[Meeting]:
        """Undo a cancellation (or a remote period): the reminders come back."""
        return _changed(await self._change(actor_id, group_id, dates, MeetingStatus.PLANNED))

    async def remote(self, actor_id: int, group_id: int, dates: str, link: str) -> list[Meeting]:
        """Meetings on these days are held online; reminders carry the link."""
        return _changed(
            await self._change(actor_id, group_id, dates, MeetingStatus.REMOTE, link=_link(link))
        )

    async def _change(
        self,
        actor_id: int,
        group_id: int,
        dates: str | tuple[dt.date, dt.date],
        status: MeetingStatus,
        *,
        reason: str | None = None,
        link: str | None = None,
        ask: int | None = None,
    ) -> list[Meeting] | Reply:
        """The upcoming meetings on these days get ``status``: the changed ones. With
        ``ask`` (the chat it was typed in), a cancellation or move online of more than one
        meeting is asked first instead: the question, and nothing changed."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            group = await self._managed(tx, actor_id, group_id)
            calendar = await tx.meetings.calendar(group.id)
            if calendar is None:
                raise DomainError("meetings.no-calendar")
            if isinstance(dates, tuple):
                first, last = dates
            else:
                first, last = parse_dates(dates, now, group.timezone)
            upcoming = [
                meeting
                for meeting in await tx.meetings.meetings(group.id)
                if first <= meeting.local_date <= last
                and meeting.starts_at > now
                and meeting.number <= calendar.meetings
            ]
            if not upcoming:
                raise DomainError("meetings.none-then")
            if status == MeetingStatus.PLANNED:  # undo: only what was cancelled or remote
                chosen = [m for m in upcoming if m.status != MeetingStatus.PLANNED]
            elif status == MeetingStatus.CANCELLED:
                chosen = [m for m in upcoming if m.status != MeetingStatus.CANCELLED]
            else:
                chosen = [m for m in upcoming if (m.status, m.link) != (status, link)]
            if not chosen:
                raise DomainError("meetings.nothing-to-change")
            if ask is not None and status != MeetingStatus.PLANNED and len(chosen) > 1:
                token = secrets.token_urlsafe(TOKEN_BYTES)
                await tx.meetings.open_change(
                    hash_token(token),
                    MeetingChange(
                        asked_by=actor_id,
                        chat_id=ask,
                        group_id=group.id,
                        status=status,
                        meetings=_snapshot(chosen),
                        reason=reason,
                        link=link,
                        created_at=now,
                        expires_at=now + dt.timedelta(minutes=CHANGE_MINUTES),
                    ),
                )
                return _question(group, chosen, status, link, token)
            changed, items = await self._apply(
                tx, group, calendar, chosen, status, reason=reason, link=link
            )
        self._planned(items)
        self._notify()
        log.info("group %d: %d meetings now %s", group.id, len(changed), status)
        return changed

    async def _apply(
        self,
        tx: Transaction,
        group: Group,
        calendar: Calendar,
        chosen: Sequence[Meeting],
        status: MeetingStatus,
        *,
        reason: str | None,
        link: str | None,
    ) -> tuple[list[Meeting], list[ScheduleItem]]:
        """The chosen meetings get ``status`` (an undone one the status it had before it
        was cancelled), their messages are planned again and the group is told: the changed
        meetings, and the pending messages."""
        now = self._clock.now()
        for meeting in chosen:
            becomes, its_link = _after(meeting, status, link)
            its_reason = reason if becomes == MeetingStatus.CANCELLED else None
            await tx.meetings.set_status(meeting.id, becomes, link=its_link, reason=its_reason)
        items = await self._replan(tx, group, calendar)
        ids = {meeting.id for meeting in chosen}
        changed = [m for m in await tx.meetings.meetings(group.id) if m.id in ids]
        told: dict[tuple[MeetingStatus, str | None], list[Meeting]] = {}
        for meeting in changed:
            shown_link = meeting.link if meeting.status == MeetingStatus.REMOTE else None
            told.setdefault((meeting.status, shown_link), []).append(meeting)
        for (becomes, _), meetings in told.items():
            await self._announce(
                tx, group, calendar, meetings, status=becomes, reason=reason, now=now
            )
        return changed, items

    async def overview(self, actor_id: int) -> list[GroupSchedule]:
        """The calendars and planned messages of every active group the actor sees."""
        async with self._database.transaction() as tx:
            actor = await load_actor(tx, actor_id, self._admins)
            require_staff(actor)
            groups = await visible_groups(tx, actor)
            return [await self._schedule_of(tx, group) for group in groups if group.is_active]

    async def schedule(self, actor_id: int, group_id: int) -> GroupSchedule:
        """One managed group's calendar, meetings and planned messages."""
        async with self._database.transaction() as tx:
            return await self._schedule_of(tx, await self._managed(tx, actor_id, group_id))

    async def _schedule_of(self, tx: Transaction, group: Group) -> GroupSchedule:
        calendar = await tx.meetings.calendar(group.id)
        count = calendar.meetings if calendar else 0
        meetings = [m for m in await tx.meetings.meetings(group.id) if m.number <= count]
        shown = {m.id for m in meetings}
        items = [i for i in await tx.meetings.of_group(group.id) if i.meeting_id in shown]
        return GroupSchedule(group, calendar, meetings, items)

    # Firing ---------------------------------------------------------------------------------

    async def pending(self) -> list[ScheduleItem]:
        async with self._database.transaction() as tx:
            return await tx.meetings.pending()

    async def due(self) -> list[ScheduleItem]:
        """Pending items whose time has come (the scheduler's safety sweep)."""
        async with self._database.transaction() as tx:
            return await tx.meetings.due(self._clock.now())

    async def fire(self, item_id: int, due_at: dt.datetime) -> bool:
        """The job for ``item_id`` at ``due_at`` fired: send its message once. A job for a
        time the item no longer has (it was moved) does nothing. True if sent. Before a
        message to the participants (check-ins, surveys) Telegram is asked who is still in
        the group (``bot/services/membership.py``)."""
        await self._recheck_before(item_id, due_at)
        now = self._clock.now()
        async with self._database.transaction() as tx:
            item = await tx.meetings.item(item_id)
            if item is None or item.status != ScheduleStatus.PENDING or item.due_at != due_at:
                return False
            meeting = await tx.meetings.meeting(item.meeting_id)
            group = await tx.groups.get(item.group_id)
            calendar = await tx.meetings.calendar(item.group_id)
            assert meeting is not None and group is not None and calendar is not None
            skip = None
            if not group.is_active:
                skip = "schedule.group-inactive"
            elif item.kind in REMINDERS and meeting.starts_at <= now:
                skip = "schedule.meeting-started"
            elif now - item.due_at > LATE_LIMIT:
                skip = "schedule.too-late"
            elif (item.kind == ScheduleKind.PLAN or item.kind in CHECKINS) and not group.plans_on:
                skip = "schedule.plans-off"  # a co-development group's, unless turned on
            if skip is not None:
                await tx.meetings.finish(item.id, ScheduleStatus.SKIPPED, now, skip)
                log.info("schedule item %d skipped: %s", item.id, skip)
                return False
            if not await tx.meetings.finish(item.id, ScheduleStatus.SENT, now):
                return False
            if item.kind == ScheduleKind.PLAN:
                await self._checkins.invite(tx, group, meeting)
            elif item.kind in SURVEYS:
                await self._surveys.invite(tx, group, SURVEYS[item.kind], meeting.season)
            elif item.kind in CHECKINS:
                stage = "mid" if item.kind == ScheduleKind.PROGRESS_MID else "end"
                await self._checkins.ask_progress(tx, group, meeting, stage)
            else:
                text, tip = await self._message(tx, item, meeting, calendar, group)
                # a late one (the bot was down) still keeps the quiet hours
                await _tell_group(tx, group, calendar, text, now, tip=tip)
        self._notify()
        log.info("schedule item %d (%s) sent to group %d", item.id, item.kind, group.id)
        return True

    async def _recheck_before(self, item_id: int, due_at: dt.datetime) -> None:
        async with self._database.transaction() as tx:
            item = await tx.meetings.item(item_id)
        if (
            item is not None
            and item.status == ScheduleStatus.PENDING
            and item.due_at == due_at
            and item.kind in TO_PARTICIPANTS
        ):
            await self._recheck(item.group_id)

    # Inside ---------------------------------------------------------------------------------

    async def _managed(self, tx: Transaction, actor_id: int, group_id: int) -> Group:
        group = await managed_group(tx, actor_id, group_id, self._admins)
        if group.is_archived:
            raise DomainError("meetings.group-archived", number=group.id)
        if not group.is_active:
            raise DomainError("meetings.group-inactive")
        return group

    async def _replan(
        self, tx: Transaction, group: Group, calendar: Calendar
    ) -> list[ScheduleItem]:
        """Every future meeting's messages, from its status and the group's settings."""
        now = self._clock.now()
        existing = {(i.meeting_id, i.kind): i for i in await tx.meetings.of_group(group.id)}
        for meeting in await tx.meetings.meetings(group.id):
            wanted = (
                self._due_times(meeting, calendar, group.timezone)
                if meeting.number <= calendar.meetings
                else {}  # beyond the calendar's count: nothing more about it
            )
            for kind in (*REMINDERS, *KEEP_GOING, *CHECKINS, *SURVEYS):
                due = wanted.get(kind)
                held = existing.get((meeting.id, kind))
                if due is not None and due > now:
                    await tx.meetings.plan(group.id, meeting.id, kind, due)
                elif due is not None and held is not None and held.due_at == due:
                    continue  # overdue but not yet fired: the firing rules decide
                else:
                    await tx.meetings.drop(meeting.id, (kind,), "schedule.not-wanted")
        return [
            item
            for item in await tx.meetings.of_group(group.id)
            if item.status == ScheduleStatus.PENDING
        ]

    def _due_times(
        self, meeting: Meeting, calendar: Calendar, timezone: str
    ) -> dict[ScheduleKind, dt.datetime]:
        due: dict[ScheduleKind, dt.datetime] = {}
        if meeting.status in (MeetingStatus.PLANNED, MeetingStatus.REMOTE):
            if calendar.remind_evening_at is not None:
                eve = meeting.local_date - dt.timedelta(days=1)
                due[ScheduleKind.EVENING] = wall_clock(eve, calendar.remind_evening_at, timezone)
            if calendar.remind_minutes_before is not None:
                due[ScheduleKind.BEFORE] = meeting.starts_at - dt.timedelta(
                    minutes=calendar.remind_minutes_before
                )
        else:
            due[ScheduleKind.AT_HOME] = meeting.starts_at
            if calendar.midweek_days_after is not None and calendar.midweek_at is not None:
                day = meeting.local_date + dt.timedelta(days=calendar.midweek_days_after)
                due[ScheduleKind.MIDWEEK] = wall_clock(day, calendar.midweek_at, timezone)
        if calendar.checkins:
            # the week's plan: after a held meeting, or at a cancelled one's time
            off = meeting.status == MeetingStatus.CANCELLED
            due[ScheduleKind.PLAN] = meeting.starts_at if off else meeting.starts_at + PLAN_AFTER
            for kind, days in PROGRESS_DAYS.items():
                day = meeting.local_date + dt.timedelta(days=days)
                due[kind] = wall_clock(day, PROGRESS_AT, timezone)
        # the surveys: at the first meeting, after the last, and the chosen follow-ups
        if meeting.number == 1:
            due[ScheduleKind.SURVEY_BEFORE] = meeting.starts_at
        if meeting.number == calendar.meetings:
            due[ScheduleKind.SURVEY_AFTER] = meeting.starts_at + PLAN_AFTER
            if calendar.follow_ups:
                for kind, days in FOLLOW_UP_DAYS.items():
                    day = meeting.local_date + dt.timedelta(days=days)
                    due[kind] = wall_clock(day, PROGRESS_AT, timezone)
        return {kind: out_of_quiet_hours(at, calendar, timezone) for kind, at in due.items()}

    async def _message(
        self,
        tx: Transaction,
        item: ScheduleItem,
        meeting: Meeting,
        calendar: Calendar,
        group: Group,
    ) -> tuple[str, str | None]:
        """The message's text, and the key of the tip it carries (counted as used in the
        group when it is delivered: ``TipService.delivered``)."""
        t, language = self._translator, group.language
        tip_key = None
        when = meeting_when(meeting, language)
        link = meeting.link or calendar.link
        if meeting.status == MeetingStatus.REMOTE and link:
            where = t.text(language, "schedule.where-link", link=link)
        elif calendar.place:
            where = t.text(language, "schedule.where-place", place=calendar.place)
        elif link:
            where = t.text(language, "schedule.where-link", link=link)
        else:
            where = ""
        if item.kind == ScheduleKind.EVENING:
            sent_on = out_of_quiet_hours(self._clock.now(), calendar, group.timezone)
            same_day = sent_on.astimezone(ZoneInfo(group.timezone)).date() == meeting.local_date
            text = t.text(
                language,
                kind_key("schedule.evening-today" if same_day else "schedule.evening", group),
                when=when,
                number=meeting.number,
                total=calendar.meetings,
                where=where,
            )
        elif item.kind == ScheduleKind.BEFORE:
            time = clock(meeting.local_time, language)
            text = t.text(language, kind_key("schedule.before", group), time=time, where=where)
        elif item.kind == ScheduleKind.AT_HOME:
            tip_key, tip = await self._tips.for_group_in(tx, group)
            tip_text = (
                tip.text if isinstance(tip, TextContent) else (getattr(tip, "caption", None) or "")
            )
            text = t.text(language, "schedule.at-home", tip=tip_text)
        else:
            text = t.text(language, "schedule.midweek")
        return text.strip(), tip_key

    async def _announce_calendar(
        self,
        tx: Transaction,
        group: Group,
        calendar: Calendar,
        meetings: list[Meeting],
        now: dt.datetime,
    ) -> None:
        """Tell the group its coming meetings, in its language, through the outbox."""
        t, language = self._translator, group.language
        where = calendar.place or calendar.link
        lines = [t.text(language, "schedule.calendar", group=group.name, count=len(meetings))]
        lines += [f"• {meeting_when(meeting, language)}" for meeting in meetings]
        if where:
            lines.append(t.text(language, "schedule.calendar-where", where=where))
        lines.append(t.text(language, "schedule.calendar-welcome"))
        await _tell_group(tx, group, calendar, "\n".join(lines), now)

    async def _announce(
        self,
        tx: Transaction,
        group: Group,
        calendar: Calendar,
        meetings: list[Meeting],
        *,
        status: MeetingStatus,
        reason: str | None,
        now: dt.datetime,
    ) -> None:
        """Tell the group, in its language, through the outbox."""
        t, language = self._translator, group.language
        days = t.render(language, days_of(meetings))
        count = len(meetings)  # picks "Tapaaminen on peruttu" or "Tapaamiset on peruttu"
        if status == MeetingStatus.CANCELLED:
            text = t.text(language, "schedule.cancelled", days=days, count=count)
            if reason:
                text += "\n" + t.text(language, "schedule.reason", reason=reason)
            text += "\n" + t.text(language, "schedule.keep-going", count=count)
        elif status == MeetingStatus.REMOTE:
            link = meetings[0].link or ""
            text = t.text(language, "schedule.remote", days=days, link=link, count=count)
        else:
            text = t.text(language, "schedule.restored", days=days, count=count)
        await _tell_group(tx, group, calendar, text, now)


async def _calendar_state(tx: Transaction, group_id: int) -> str:
    """The group's calendar and meetings as they are now, as a hash (a question about the
    calendar holds only while this stays the same)."""
    calendar = await tx.meetings.calendar(group_id)
    meetings = await tx.meetings.meetings(group_id)
    state = f"{calendar!r} {_snapshot(meetings)}"
    return hashlib.sha256(state.encode()).hexdigest()


async def _tell_group(
    tx: Transaction,
    group: Group,
    calendar: Calendar,
    text: str,
    now: dt.datetime,
    *,
    tip: str | None = None,
) -> None:
    """A message to the group through the outbox, out of its quiet hours; ``tip`` is the
    key of the tip it carries, if any."""
    await tx.outbox.add(
        chat_id=group.chat_id,
        group_id=group.id,
        purpose=Purpose.SCHEDULE,
        content=content_to_json(TextContent(text=text)),
        due_at=out_of_quiet_hours(now, calendar, group.timezone),
        now=now,
        tip=tip,
    )


def _answerable(
    asked: MeetingChange | CalendarQuestion, actor_id: int, chat_id: int, now: dt.datetime
) -> bool:
    """Whether a press answers this open question: the asker's own, pressed in the chat
    where it was asked, before it expired."""
    return asked.asked_by == actor_id and asked.chat_id == chat_id and now < asked.expires_at


def _snapshot(meetings: Sequence[Meeting]) -> str:
    """The meetings as they are now: their ids, and a hash of each one's status, time and
    link (a question about them holds only while this stays the same)."""
    states = ";".join(
        f"{m.id}|{m.status}|{m.starts_at.isoformat()}|{m.link or ''}" for m in meetings
    )
    ids = ",".join(str(m.id) for m in meetings)
    return f"{ids} {hashlib.sha256(states.encode()).hexdigest()}"


def _after(
    meeting: Meeting, status: MeetingStatus, link: str | None
) -> tuple[MeetingStatus, str | None]:
    """The status and link ``meeting`` gets: a cancelled meeting keeps its link, and an
    undone one is again what it was before it was cancelled (online, with its link)."""
    if status == MeetingStatus.CANCELLED:
        return status, meeting.link
    if status == MeetingStatus.REMOTE:
        return status, link
    if meeting.status == MeetingStatus.CANCELLED and meeting.link:
        return MeetingStatus.REMOTE, meeting.link
    return MeetingStatus.PLANNED, None


def _changed(result: list[Meeting] | Reply) -> list[Meeting]:
    assert not isinstance(result, Reply)  # (asked only when the chat is given)
    return result


def _question(
    group: Group, chosen: Sequence[Meeting], status: MeetingStatus, link: str | None, token: str
) -> Reply:
    """Asks before several meetings are cancelled or moved online: which ones, and the
    buttons that do it or keep them as they are."""
    key = (
        "meetings.confirm-cancel"
        if status == MeetingStatus.CANCELLED
        else "meetings.confirm-remote"
    )
    days = Lines(tuple(Lines(("•", days_of([m])), sep=" ") for m in chosen))
    return Reply(
        Lines(
            (
                Text(key, {"group": group.name, "link": link or ""}),
                days,
                Text("meetings.confirm-note"),
            )
        ),
        (
            (Button(Text("meetings.confirm-yes"), f"{CONFIRM_CHANGE}{token}"),),
            (Button(Text("meetings.confirm-keep"), f"{KEEP_CHANGE}{token}"),),
        ),
    )


def _link(text: str) -> str:
    """The video link of /remote: a web address, nothing else."""
    place, url = _place_or_link(text)
    if url is None or place is not None:
        raise DomainError("meetings.link-needed")
    return url


def _reads(parse: Callable[[str], object], text: str) -> bool:
    try:
        parse(text)
    except WhenError as error:
        # a past or backwards range did read as dates: let the service say so
        return error.key in ("when.past", "when.range-backwards", "when.out-of-range")
    return True


def _rhythm_changes(setting: str, values: list[str]) -> dict[str, object]:
    off = values in (["off"], ["pois"], ["av"])
    try:
        if setting in ("evening", "ilta", "kväll") and len(values) == 1:
            return {"remind_evening_at": None if off else _hhmm(values[0])}
        if setting in ("before", "ennen", "före") and len(values) == 1:
            if off:
                return {"remind_minutes_before": None}
            minutes = int(values[0])
            if not 5 <= minutes <= 24 * 60:
                raise ValueError(minutes)
            return {"remind_minutes_before": minutes}
        if setting in ("midweek", "välipäivä", "mitt") and (off or len(values) == 2):
            if off:
                return {"midweek_days_after": None, "midweek_at": None}
            days = int(values[0])
            if not 1 <= days <= 6:
                raise ValueError(days)
            return {"midweek_days_after": days, "midweek_at": _hhmm(values[1])}
        on = values in (["on"], ["päälle"], ["på"])
        if setting in ("checkins", "suunnitelmat", "planer") and (on or off):
            return {"checkins": 0 if off else 1}
        if setting in ("followups", "seuranta", "uppföljning") and (on or off):
            return {"follow_ups": 0 if off else 1}
        if setting in ("quiet", "hiljaisuus", "tyst") and len(values) == 1:
            start, _, end = values[0].replace("–", "-").partition("-")
            if _hhmm(start) == _hhmm(end):
                raise ValueError(values[0])
            return {"quiet_from": _hhmm(start), "quiet_until": _hhmm(end)}
    except ValueError:
        pass
    raise DomainError("meetings.rhythm-usage")


def _hhmm(text: str) -> str:
    """``18``, ``18:00`` or ``18.00`` as ``18:00``."""
    hour, _, minute = text.replace(".", ":").partition(":")
    return f"{dt.time(int(hour), int(minute or 0)):%H:%M}"


def _place_or_link(where: str | None) -> tuple[str | None, str | None]:
    """A web address is the video link; anything else is the place."""
    text = without_controls(where or "").strip()
    if not text:
        return None, None
    if len(text) > 200:
        raise DomainError("meetings.place-too-long")
    if text.lower().startswith(("https://", "http://")) and " " not in text:
        return None, text
    return text, None


@dataclass(frozen=True)
class _Plan:
    """A calendar read from /meetings and checked: the weekday (0 is Monday), the time
    (``HH:MM``), the meetings' days, the place or the video link."""

    weekday: int
    time: str
    days: list[dt.date]
    place: str | None
    link: str | None


def _without_holidays(start: dt.date, count: int) -> list[dt.date]:
    """``count`` weekly days from ``start`` with the public holidays left out: the series
    runs on a week for each one."""
    days: list[dt.date] = []
    day = start
    while len(days) < count and day < start + dt.timedelta(weeks=MAX_MEETINGS * 2):
        if holiday_name(day, "fi") is None:
            days.append(day)
        day += dt.timedelta(weeks=1)
    return days


def _iso_days(days: Sequence[dt.date]) -> str:
    return ",".join(day.isoformat() for day in days)


def _days_of(stored: str) -> list[dt.date]:
    return [dt.date.fromisoformat(day) for day in stored.split(",")]


def _calendar_question(group: Group, plan: _Plan, workdays: list[dt.date], token: str) -> Reply:
    """Asks before a calendar is set: its meetings, each public holiday among them named,
    and the buttons (without the holidays only when there are any)."""
    holidays = [day for day in plan.days if holiday_name(day, "fi") is not None]

    def line(day: dt.date) -> PerLanguage:
        def words(language: str) -> str:
            shown = f"• {day_and_time(day, plan.time, language)}"
            name = holiday_name(day, language)
            return f"{shown} ⚠️ {name}" if name else shown

        return PerLanguage.of(words)

    text: list[Words] = [
        Text(
            "meetings.calendar-confirm",
            {"group": group.name, "count": len(plan.days), "where": plan.place or plan.link or "-"},
        ),
        Lines(tuple(line(day) for day in plan.days)),
    ]
    buttons = [(Button(Text("meetings.calendar-set"), f"{SET_CALENDAR}{token}"),)]
    if holidays:
        text.append(
            Text(
                "meetings.calendar-holidays",
                {"count": len(holidays), "last": days_and_times([(workdays[-1], plan.time)])},
            )
        )
        buttons.append((Button(Text("meetings.calendar-skip"), f"{SKIP_HOLIDAYS}{token}"),))
    text.append(Text("meetings.calendar-note"))
    buttons.append((Button(Text("meetings.confirm-keep"), f"{KEEP_CALENDAR}{token}"),))
    return Reply(Lines(tuple(text)), tuple(buttons))
