"""Seasons: a group's programme ends after its last meeting, the group goes on in an "after
the programme" rhythm, a new season can start in the same chat, and groups idle for long
are archived; what /season reads from its words and says back.

- **The end.** Two hours after its last meeting began (when its after-survey goes, which
  the meeting calendar plans as before) a running season ends, once: the group gets a short
  farewell in its language, and its instructors are asked, with buttons, how the group goes
  on (``after_rhythm``): weekly (a check-in with the week's tip, the rhythm it had), monthly
  (a check-in once in four weeks) or not at all. There are no meetings after the last one,
  so there are no more reminders; whatever the calendar planned around the last meeting
  (its plan, progress questions, the after-survey, the follow-ups) goes as planned. A season
  found ended more than 12 hours late (the bot was down, or the season ended before seasons
  existed) ends without a farewell or a question, and with no rhythm after it (nothing
  starts that nobody chose; ``/season after`` turns one on).
- **After the programme.** A weekly or monthly message at the usual meeting time, counted
  from the last meeting's day, out of the quiet hours; each due time is claimed on the
  season's row (``after_last_at``) in the transaction that writes it, so it goes once
  however many instances run; one more than 12 hours late is skipped.
- **A new season** (``/season new``) is refused while one runs. It numbers its meetings and
  its roll-up weeks on from the earlier seasons' (``storage/seasons.py``), so statistics
  show the current season's weeks and never the old ones; the calendar is set again with
  /meetings; the group and the participants of the season before are asked to join again
  (the group's own link, ``bot/services/consent.py``): only those who do get its check-ins,
  buddies and surveys. An archived group comes back with it.
- **Archiving.** A group with no event, meeting or season begun for ``archive_after`` is
  archived: nothing is sent there (``Group.is_active``), /groups shows it archived. The
  retention rule is untouched: it counts from the group's last meeting, whichever season.

The after-programme buttons carry the season's id and the choice (``ss:a:SEASON:w|m|o``);
a press counts only from someone who manages the group, while that season is the group's
current one and has ended; anything else gets a plain answer and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Collection, Sequence

from bot.clock import Clock
from bot.deeplinks import payload
from bot.errors import DomainError
from bot.i18n import Text, Translator
from bot.payload import OutboxButton, TextContent, content_to_json
from bot.replies import Reply
from bot.services.access import managed_group
from bot.services.consent import PREFIX as CONSENT_PREFIX
from bot.services.consent import consenting
from bot.services.meetings import (
    LATE_LIMIT,
    PLAN_AFTER,
    MeetingService,
    local_today,
    out_of_quiet_hours,
    wall_clock,
)
from bot.services.notices import StaffNotices
from bot.services.people import resolve_language
from bot.services.tips import TipService
from storage import Database, Transaction
from storage.analytics import day_number, season_origin
from storage.groups import Group
from storage.seasons import Season
from storage.states import AfterRhythm, GroupKind, GroupStatus, Purpose

log = logging.getLogger(__name__)

PREFIX = "ss"
AFTER = "ss:a:"  # ss:a:SEASON:CHOICE (w|m|o)
CHOICES = {"w": AfterRhythm.WEEKLY, "m": AfterRhythm.MONTHLY, "o": AfterRhythm.OFF}
EVERY = {AfterRhythm.WEEKLY: 7, AfterRhythm.MONTHLY: 28}  # days between after-programme messages
END_AFTER = PLAN_AFTER  # a season ends when its last meeting's after-survey goes
DEFAULT_ARCHIVE_AFTER = dt.timedelta(days=180)
IDLE_CHECK = dt.timedelta(hours=1)
_RHYTHM_KEYS = {
    AfterRhythm.WEEKLY: "season.after-weekly",
    AfterRhythm.MONTHLY: "season.after-monthly",
    AfterRhythm.OFF: "season.after-off",
}
_BUTTON_KEYS = {
    AfterRhythm.WEEKLY: "season.button-weekly",
    AfterRhythm.MONTHLY: "season.button-monthly",
    AfterRhythm.OFF: "season.button-off",
}
# /season's words, in every language
_NEW = {"new", "uusi", "ny"}
_AFTER = {"after", "jälkeen", "efter"}
_RHYTHM_WORDS = {
    AfterRhythm.WEEKLY: {"weekly", "viikoittain", "veckovis"},
    AfterRhythm.MONTHLY: {"monthly", "kuukausittain", "månadsvis"},
    AfterRhythm.OFF: {"off", "pois", "av"},
}


class SeasonService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        admins: Collection[int],
        translator: Translator,
        *,
        meetings: MeetingService,
        tips: TipService,
        notices: StaffNotices,
        archive_after: dt.timedelta = DEFAULT_ARCHIVE_AFTER,
        notify: Callable[[], None] = lambda: None,
    ) -> None:
        self._database = database
        self._clock = clock
        self._admins = frozenset(admins)
        self._translator = translator
        self._meetings = meetings
        self._tips = tips
        self._notices = notices
        self._archive_after = archive_after
        self._notify = notify
        self._idle_checked: dt.datetime | None = None  # when idle groups were last looked for

    # /season ---------------------------------------------------------------------------------

    async def which_group(
        self, actor_id: int, chat_id: int, *, private: bool, args: Sequence[str]
    ) -> tuple[Group, list[str]]:
        """As the meeting commands: the group chat's group, or in private the number given
        first (else the actor's only active group); an archived group may be named."""
        rest = list(args)
        if private and rest and rest[0].isascii() and rest[0].isdigit() and len(rest[0]) <= 9:
            number = int(rest.pop(0))
            async with self._database.transaction() as tx:
                return await managed_group(tx, actor_id, number, self._admins), rest
        if private:
            return await self._meetings.only_group(actor_id, "season"), rest
        async with self._database.transaction() as tx:
            group = await tx.groups.by_chat(chat_id)
            if group is None:
                raise DomainError("access.not-your-group")
            return await managed_group(tx, actor_id, group.id, self._admins), rest

    async def command(self, actor_id: int, group: Group, args: Sequence[str]) -> Reply:
        """``/season`` shows the season; ``/season new`` starts the next; ``/season after
        weekly|monthly|off`` sets the rhythm after the programme."""
        words = [word.lower() for word in args]
        if not words:
            return await self.status(actor_id, group.id)
        if words == [words[0]] and words[0] in _NEW:
            return await self.start_new(actor_id, group.id)
        if len(words) == 2 and words[0] in _AFTER:
            chosen = next((r for r, names in _RHYTHM_WORDS.items() if words[1] in names), None)
            if chosen is not None:
                return await self.set_after(actor_id, group.id, chosen)
        raise DomainError("season.usage")

    async def status(self, actor_id: int, group_id: int) -> Reply:
        """The group's season: its number, running or ended (and the rhythm after it)."""
        async with self._database.transaction() as tx:
            group = await managed_group(tx, actor_id, group_id, self._admins)
            season = await self._current(tx, group)
            calendar = await tx.meetings.calendar(group.id)
            meetings = await tx.meetings.meetings(group.id)  # none yet in a new season
        planned = calendar.meetings if calendar is not None and meetings else 0
        if group.is_archived:
            return Reply.of("season.status-archived", group=group.name, season=season.number)
        if season.is_running:
            return Reply.of(
                "season.status-running",
                group=group.name,
                season=season.number,
                meetings=planned,
            )
        return Reply.of(
            "season.status-ended",
            group=group.name,
            season=season.number,
            rhythm=Text(_RHYTHM_KEYS[season.after_rhythm]),
        )

    async def start_new(self, actor_id: int, group_id: int) -> Reply:
        """The next season in the same chat: refused while one runs; else its meetings and
        weeks are numbered on, the group is told and the last season's participants asked to
        join again, and an archived group comes back."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            group = await managed_group(tx, actor_id, group_id, self._admins)
            if group.status != GroupStatus.ACTIVE:
                raise DomainError("meetings.group-inactive")
            season = await self._current(tx, group)
            if season.is_running:
                raise DomainError("season.still-running", group=group.name, season=season.number)
            origin, first_week = season_origin(group.programme_start, season.first_week)
            today = local_today(now, group.timezone)
            this_week = max(first_week, (day_number(today) - origin) // 7 + 1)
            asked = await consenting(tx, group.id)  # the season before's, before it changes
            started = await tx.seasons.start(
                group.id,
                season.number + 1,
                first_meeting=await tx.seasons.last_meeting_number(group.id) + 1,
                first_week=max(this_week, await tx.seasons.last_week(group.id)) + 1,
                now=now,
            )
            if started is None:  # another press began it a moment ago
                raise DomainError("season.still-running", group=group.name, season=season.number)
            if group.is_archived:
                await tx.seasons.unarchive(group.id)
            # the programme weeks (and the participants' tips) count from today again
            group = await tx.groups.update(group.id, now, starts_on=today)
            await self._call_to_join(tx, group, started, [p.person_id for p in asked], now)
        self._notify()
        log.info("group %d: season %d begins", group.id, started.number)
        return Reply.of("season.started", group=group.name, season=started.number)

    async def set_after(self, actor_id: int, group_id: int, rhythm: AfterRhythm) -> Reply:
        """``/season after ...``: the rhythm after the programme, now or for when it ends."""
        async with self._database.transaction() as tx:
            group = await managed_group(tx, actor_id, group_id, self._admins)
            season = await self._current(tx, group)
            changed = await tx.seasons.set_after_rhythm(season.id, rhythm)
        return self._rhythm_reply(group, rhythm, changed)

    async def after_chosen(self, actor_id: int, data: str) -> Reply:
        """The buttons under the notice that a season ended."""
        season_id, choice = _after_data(data)
        async with self._database.transaction() as tx:
            season = await tx.seasons.get(season_id)
            if season is None:
                raise DomainError("access.not-your-group")  # a forged id reads like a foreign one
            group = await managed_group(tx, actor_id, season.group_id, self._admins)
            current = await self._current(tx, group)
            if current.id != season.id or season.is_running:
                raise DomainError("season.question-closed")
            changed = await tx.seasons.set_after_rhythm(season.id, choice)
        return self._rhythm_reply(group, choice, changed)

    # The scheduler's sweep -----------------------------------------------------------------

    async def sweep(self) -> None:
        """A chore of the scheduler's sweep: seasons that ended, the after-programme
        messages due, idle groups archived."""
        await self.end_finished()
        await self.keep_after_rhythm()
        await self.archive_idle()

    async def end_finished(self) -> int:
        """Running seasons whose last meeting has been over for ``END_AFTER``: ended, each
        once, with the farewell and the instructors' question. Returns how many ended."""
        now = self._clock.now()
        ended = 0
        async with self._database.transaction() as tx:
            for season, last_start in await tx.seasons.running_to_end(now - END_AFTER):
                if not await tx.seasons.end(season.id, now):
                    continue  # another instance ended it
                ended += 1
                group = await tx.groups.get(season.group_id)
                calendar = await tx.meetings.calendar(season.group_id)
                assert group is not None and calendar is not None
                due = out_of_quiet_hours(last_start + END_AFTER, calendar, group.timezone)
                if now - due > LATE_LIMIT:
                    # nobody was asked: nothing starts unasked (/season after turns it on)
                    await tx.seasons.set_after_rhythm(season.id, AfterRhythm.OFF)
                    log.info("group %d: season %d ended quietly (late)", group.id, season.number)
                    continue
                codev = group.kind == GroupKind.CODEV
                if codev:  # kept in the loop: "what happened with your ideas", monthly
                    await tx.seasons.set_after_rhythm(season.id, AfterRhythm.MONTHLY)
                farewell = self._translator.text(
                    group.language, "season.farewell-codev" if codev else "season.farewell"
                )
                await self._tell_group(tx, group, farewell, now)
                choices = [
                    (Text(_BUTTON_KEYS[rhythm]), f"{AFTER}{season.id}:{code}")
                    for code, rhythm in CHOICES.items()
                ]
                words = Text(
                    "season.ended-notice-codev" if codev else "season.ended-notice",
                    {"group": group.name, "season": season.number, "number": group.id},
                )
                await self._notices.season_ended(tx, group, words, choices)
                log.info("group %d: season %d ended", group.id, season.number)
        if ended:
            self._notify()
        return ended

    async def keep_after_rhythm(self) -> int:
        """The after-programme message due in each group that keeps one; returns how many
        were sent."""
        now = self._clock.now()
        sent = 0
        async with self._database.transaction() as tx:
            for season in await tx.seasons.ended_with_rhythm():
                group = await tx.groups.get(season.group_id)
                calendar = await tx.meetings.calendar(season.group_id)
                if group is None or calendar is None:
                    continue
                meetings = await tx.meetings.meetings(season.group_id)
                last = next((m for m in meetings if m.number == calendar.meetings), None)
                if last is None:
                    continue
                due = latest_due(
                    last.local_date, last.local_time, EVERY[season.after_rhythm], now, group
                )
                if due is None:
                    continue
                due = out_of_quiet_hours(due, calendar, group.timezone)
                if due > now or not await tx.seasons.claim_after(season.id, due):
                    continue
                if now - due > LATE_LIMIT:
                    continue  # the bot was down: skipped, not sent late
                if group.kind == GroupKind.CODEV:
                    # the instructors fill it, with an ordinary broadcast
                    words = Text("season.ideas-reminder", {"group": group.name})
                    sent += bool(await self._notices.ideas_update_due(tx, group, words))
                    continue
                tip = None
                if season.after_rhythm == AfterRhythm.WEEKLY:
                    tip, content = await self._tips.for_group_in(tx, group)
                    text = self._translator.text(
                        group.language,
                        "season.weekly-checkin",
                        tip=getattr(content, "text", None) or getattr(content, "caption", ""),
                    )
                else:
                    text = self._translator.text(group.language, "season.monthly-checkin")
                await self._tell_group(tx, group, text.strip(), now, tip=tip)
                sent += 1
        if sent:
            self._notify()
        return sent

    async def archive_idle(self) -> int:
        """Groups with nothing happening for ``archive_after`` are archived (looked for
        once an hour: a day more or less of idleness changes nothing)."""
        now = self._clock.now()
        if self._idle_checked is not None and now - self._idle_checked < IDLE_CHECK:
            return 0
        self._idle_checked = now
        async with self._database.transaction() as tx:
            archived = [
                group_id
                for group_id in await tx.seasons.idle_groups(now - self._archive_after)
                if await tx.seasons.archive(group_id, now)
            ]
        for group_id in archived:
            log.info("group %d archived: no activity since %s", group_id, now - self._archive_after)
        return len(archived)

    # Inside ----------------------------------------------------------------------------------

    async def _current(self, tx: Transaction, group: Group) -> Season:
        season = await tx.seasons.current(group.id)
        if season is None:  # (a group always has one from its registration)
            await tx.seasons.first(group.id, self._clock.now())
            season = await tx.seasons.current(group.id)
        assert season is not None
        return season

    def _rhythm_reply(self, group: Group, rhythm: AfterRhythm, changed: bool) -> Reply:
        return Reply.of(
            "season.rhythm-set" if changed else "season.rhythm-already",
            group=group.name,
            rhythm=Text(_RHYTHM_KEYS[rhythm]),
        )

    async def _call_to_join(
        self,
        tx: Transaction,
        group: Group,
        season: Season,
        participants: Sequence[int],
        now: dt.datetime,
    ) -> None:
        """The new season told in the group, and each participant of the season before
        asked in private, both with the group's join link."""
        assert group.join_code is not None
        link = payload(CONSENT_PREFIX, group.join_code)
        text = self._translator.text(
            group.language, "season.new-in-group", group=group.name, season=season.number
        )
        button = self._translator.text(group.language, "season.join-button")
        await self._tell_group(
            tx, group, text, now, buttons=[[OutboxButton(text=button, start=link)]]
        )
        for person_id in participants:
            person = await tx.people.get(person_id)
            language = resolve_language(person, None, group.language)
            text = self._translator.text(
                language, "season.new-in-private", group=group.name, season=season.number
            )
            button = self._translator.text(language, "season.join-button")
            await tx.outbox.add(
                chat_id=person_id,
                person_id=person_id,
                group_id=group.id,
                purpose=Purpose.SEASON,
                content=content_to_json(
                    TextContent(text=text, buttons=[[OutboxButton(text=button, start=link)]])
                ),
                due_at=now,
                now=now,
            )

    async def _tell_group(
        self,
        tx: Transaction,
        group: Group,
        text: str,
        now: dt.datetime,
        *,
        tip: str | None = None,
        buttons: list[list[OutboxButton]] | None = None,
    ) -> None:
        calendar = await tx.meetings.calendar(group.id)
        due = now if calendar is None else out_of_quiet_hours(now, calendar, group.timezone)
        await tx.outbox.add(
            chat_id=group.chat_id,
            group_id=group.id,
            purpose=Purpose.SEASON,
            content=content_to_json(TextContent(text=text, buttons=buttons or [])),
            due_at=due,
            now=now,
            tip=tip,
        )


def latest_due(
    day: dt.date, time: str, every: int, now: dt.datetime, group: Group
) -> dt.datetime | None:
    """The latest after-programme time at or before ``now``: ``every`` days after the last
    meeting's day at its time, and every ``every`` days on (None before the first)."""
    today = local_today(now, group.timezone)
    steps = (today - day).days // every
    for step in (steps, steps - 1):
        if step >= 1:
            due = wall_clock(day + dt.timedelta(days=every * step), time, group.timezone)
            if due <= now:
                return due
    return None


def _after_data(data: str) -> tuple[int, AfterRhythm]:
    season, _, code = data.removeprefix(AFTER).partition(":")
    if not season.isdigit() or len(season) > 12 or code not in CHOICES:
        raise DomainError("season.question-closed")
    return int(season), CHOICES[code]
