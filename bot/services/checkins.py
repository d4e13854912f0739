"""Peer support between meetings: the weekly action plan, progress, celebrations, buddies.

Each meeting opens a week. At the meeting's end (or at a cancelled meeting's time) every
consenting participant is invited in private to write a small plan there and to rate their
confidence 0-10. The plan is only ever in their chat: the bot stores the rating and, mid-week
and at the week's end, the answer to "how is it going?" (done, partly, not yet), all under
the pseudonym. Under 7 the bot suggests a smaller plan and asks again. Someone who did it
may share that in the group, where the bot posts a short celebration (reactions to it are
counted like any of the bot's posts). Instructors see the counts, never a plan.

Buttons carry the meeting id; every press is checked against the presser: a current,
consenting participant of that meeting's group with a check-in of their own. A forged or
stale press changes nothing. A week may be rated more than once (under 7, again), but each
keyboard of confidence keys counts once: it carries its round (how many ratings came
before it), and the database takes a rating only while the check-in is still at that round,
so a double tap, a replay or a second bot instance cannot count the same keys twice.

The Mini App's weekly plan (``web/plan.py``) is the same check-in on a screen: its page
asks ``open_plan`` what the week needs, rates through ``rate_in_app`` and reports through
``report_in_app``, which resolve the check-in id the page sends to the person's own
check-in and then take exactly the chat keys' path (the same round rule, records, events
and words). The plan it shows back (``plan_shown``) is only trimmed, never kept. When the
Mini App is served, the invitation carries a button that opens it at the plan.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bot.clock import Clock
from bot.dates import days_and_times
from bot.errors import DomainError
from bot.i18n import Lines, Text, Translator, Words, decimal, normalize_language
from bot.payload import OutboxButton, TextContent, content_to_json
from bot.pseudonyms import Pseudonyms
from bot.replies import Button, Reply
from bot.runtime.events import EventLog
from bot.services.access import managed_group
from bot.services.consent import consented, consenting
from bot.services.disclosure import WeeklyPatterns, note
from bot.services.membership import RecheckGroup
from bot.services.stats import StatsService, Week
from bot.services.tips import local_date, programme_week
from bot.typed import without_controls
from storage import Database, Transaction
from storage.checkins import CheckIn, WeekFigures
from storage.groups import Group, Participant
from storage.meetings import Meeting
from storage.states import EventKind, Progress, Purpose, ScheduleKind, ScheduleStatus

log = logging.getLogger(__name__)

PREFIX = "ck"
RATE = "ck:c:"  # ck:c:MEETING:ROUND:CONFIDENCE (ROUND: the ratings made before this keyboard)
PROGRESS = "ck:p:"  # ck:p:MEETING:STAGE:ANSWER (stage m|e, answer d|p|n)
SHARE = "ck:s:"  # ck:s:MEETING
KEEP = "ck:k:"  # ck:k:MEETING
CONFIDENT = 7  # under this, the bot suggests a smaller plan
OPEN_FOR = dt.timedelta(days=7)  # a plan can be written and rated for a week
STAGES = {"m": "mid", "e": "end"}
ANSWERS = {"d": Progress.DONE, "p": Progress.PARTLY, "n": Progress.NOT_YET}
ANSWER_KEYS = {
    Progress.DONE: "checkin.done",
    Progress.PARTLY: "checkin.partly",
    Progress.NOT_YET: "checkin.not-yet",
}
PLAN_LIMIT = 1000  # characters of a plan the Mini App shows back (never stored)
SEARCH_LIMIT = 50_000  # steps of the buddy search (a group has at most a few dozen)


@dataclass(frozen=True)
class WeekRow:
    meeting: Meeting
    figures: WeekFigures


@dataclass(frozen=True)
class OpenPlan:
    """A participant's open week, as the Mini App shows it (never the plan itself).

    ``asks``: what comes next: ``plan`` (write it and rate it), ``confidence`` (rated under
    7: make it smaller and rate again), ``progress`` (how is it going?), ``done`` (it is)."""

    checkin: CheckIn
    group: Group
    week: int
    asks: str

    @property
    def progress(self) -> Progress | None:
        """The latest answer (the week's end's over mid-week's), as the figures count it."""
        return self.checkin.progress_end or self.checkin.progress_mid


@dataclass(frozen=True)
class Rated:
    """A counted rating; ``round``: the ratings made now (the next keyboard's round)."""

    meeting_id: int
    round: int
    confidence: int

    @property
    def smaller(self) -> bool:
        return self.confidence < CONFIDENT

    def words(self) -> Text:
        if self.smaller:
            return Text("checkin.smaller")
        return Text("checkin.set", {"confidence": self.confidence})


@dataclass(frozen=True)
class Reported:
    """A progress answer; ``share``: the group may be told (done, not yet shared)."""

    answer: Progress
    share: bool

    def words(self) -> Text:
        if self.answer == Progress.DONE:
            return Text("checkin.done" if self.share else "checkin.done-again")
        return Text(ANSWER_KEYS[self.answer])


@dataclass(frozen=True)
class Buddies:
    group: Group
    week: int
    # each tuple is a pair, or a trio when the count is odd (names as the group knows them)
    teams: list[tuple[str, ...]]
    repeats: int
    fresh: bool  # False: the week's buddies were already made, these are they


class CheckInService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        admins: Collection[int],
        translator: Translator,
        *,
        pseudonyms: Pseudonyms,
        events: EventLog,
        stats: StatsService,
        recheck: RecheckGroup,
        rng: random.Random | None = None,
        web_url: str | None = None,
    ) -> None:
        self._database = database
        # the Mini App's address (None: not served); the invitation opens it at the plan
        self._web_url = web_url
        # asks Telegram who is still in the group before buddies are paired
        self._recheck = recheck
        self._stats = stats
        self._clock = clock
        self._admins = frozenset(admins)
        self._translator = translator
        self._pseudonyms = pseudonyms
        self._events = events
        # who pairs with whom is not a secret to guard: a plain generator serves
        self._rng = rng or random.Random()  # noqa: S311

    # Sent by the schedule (inside its firing transaction) ------------------------------------

    async def invite(self, tx: Transaction, group: Group, meeting: Meeting) -> int:
        """The week's plan invitation to every consenting participant; returns how many."""
        now = self._clock.now()
        sent = 0
        for person in await consenting(tx, group.id):
            pseudonym = self._pseudonyms.of(person.person_id)
            if not await tx.checkins.invite(group.id, meeting.id, pseudonym, now):
                continue
            language = self._language(person, group)
            text = self._translator.text(language, "checkin.invite", group=group.name)
            buttons = _confidence_buttons(meeting.id, 0)
            if self._web_url is not None:
                label = self._translator.text(language, "checkin.open-app")
                buttons.append([OutboxButton(text=label, web_app=f"{self._web_url}#plan")])
            await self._tell(tx, person.person_id, group, text, buttons)
            sent += 1
        return sent

    async def ask_progress(
        self, tx: Transaction, group: Group, meeting: Meeting, stage: str
    ) -> int:
        """ "How is your plan going?" to those who set one (at the week's end, not to those
        who already said it is done)."""
        checkins = {c.pseudonym: c for c in await tx.checkins.of_meeting(meeting.id) if c.ratings}
        code = next(code for code, name in STAGES.items() if name == stage)
        sent = 0
        for person in await consenting(tx, group.id):
            checkin = checkins.get(self._pseudonyms.of(person.person_id))
            if checkin is None or (stage == "end" and checkin.progress_mid == Progress.DONE):
                continue
            language = self._language(person, group)
            key = "checkin.ask-mid" if stage == "mid" else "checkin.ask-end"
            text = self._translator.text(language, key, group=group.name)
            buttons = [
                [
                    OutboxButton(
                        text=self._translator.text(language, label),
                        data=f"{PROGRESS}{meeting.id}:{code}:{answer}",
                    )
                    for answer, label in (
                        ("d", "checkin.done-button"),
                        ("p", "checkin.partly-button"),
                        ("n", "checkin.not-yet-button"),
                    )
                ]
            ]
            await self._tell(tx, person.person_id, group, text, buttons)
            sent += 1
        return sent

    # The participant's answers ----------------------------------------------------------------

    async def rate(self, person_id: int, data: str) -> Reply:
        """A confidence key: counted once per keyboard (a second press is thanked, no more)."""
        meeting_id, before, value = _rating(data)
        try:
            rated = await self._rate(person_id, meeting_id, before, value)
        except DomainError as refused:
            return Reply.refusal(refused.key)
        if rated.smaller:
            return Reply(rated.words(), _reply_confidence(meeting_id, rated.round))
        return Reply(rated.words())

    async def report(self, person_id: int, data: str) -> Reply:
        """Done, partly or not yet, mid-week or at the week's end."""
        parts = data.removeprefix(PROGRESS).split(":")
        if len(parts) != 3 or parts[1] not in STAGES or parts[2] not in ANSWERS:
            return Reply.refusal("checkin.not-open")
        meeting_id, stage, answer = _small_int(parts[0]), STAGES[parts[1]], ANSWERS[parts[2]]
        try:
            reported = await self._report(person_id, meeting_id, stage, answer)
        except DomainError as refused:
            return Reply.refusal(refused.key)
        if reported.share:
            return Reply(
                reported.words(),
                (
                    (
                        Button(Text("checkin.share-button"), data=f"{SHARE}{meeting_id}"),
                        Button(Text("checkin.keep-button"), data=f"{KEEP}{meeting_id}"),
                    ),
                ),
            )
        return Reply(reported.words())

    async def share(self, person_id: int, data: str, first_name: str) -> Reply:
        """Tell the group (their choice): a short celebration with their first name."""
        (meeting_id,) = _numbers(data, SHARE, 1)
        try:
            await self._share(person_id, meeting_id, first_name)
        except DomainError as refused:
            return Reply.refusal(refused.key)
        return Reply.of("checkin.shared")

    async def keep(self, person_id: int, data: str) -> Reply:
        (meeting_id,) = _numbers(data, KEEP, 1)
        async with self._database.transaction() as tx:
            if await self._own(tx, person_id, meeting_id) is None:
                return Reply.refusal("checkin.not-open")
        return Reply.of("checkin.kept")

    async def plan_written(self, person_id: int) -> Reply | None:
        """A participant wrote in private while their week's plan is open (not yet rated, or
        rated under 7): the text stays in their chat, and the rating buttons come again.
        None when no plan is open (the message is not about a plan)."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            pseudonym = self._pseudonyms.of(person_id)
            for checkin in await tx.checkins.latest_of(pseudonym, now - OPEN_FOR):
                if checkin.confidence is not None and checkin.confidence >= CONFIDENT:
                    continue
                if await self._own(tx, person_id, checkin.meeting_id) is not None:
                    buttons = _reply_confidence(checkin.meeting_id, checkin.ratings)
                    return Reply(Text("checkin.plan-written"), buttons)
        return None

    # The Mini App's weekly plan (web/plan.py) ------------------------------------------------

    async def open_plan(self, person_id: int) -> OpenPlan | None:
        """The person's newest check-in still open (invited within the week, and they still
        belong and consent), or None."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            for checkin in await tx.checkins.latest_of(
                self._pseudonyms.of(person_id), now - OPEN_FOR
            ):
                found = await self._own(tx, person_id, checkin.meeting_id)
                meeting = await tx.meetings.meeting(checkin.meeting_id)
                if found is not None and meeting is not None:
                    return OpenPlan(checkin, found[1], meeting.number, _asks(checkin))
        return None

    @staticmethod
    def plan_shown(text: str) -> str:
        """The plan as the Mini App shows it back: trimmed, without control characters, at
        most ``PLAN_LIMIT`` characters. It is never stored nor logged."""
        shown = without_controls(text).strip()
        if not shown:
            raise DomainError("checkin.plan-empty")
        if len(shown) > PLAN_LIMIT:
            raise DomainError("checkin.plan-too-long", limit=PLAN_LIMIT)
        return shown

    async def rate_in_app(self, person_id: int, checkin_id: int, before: int, value: int) -> Rated:
        """The slider's rating: the chat keys' rule (one rating per round). A check-in that
        is not the person's open one, or a round already taken, changes nothing."""
        checkin = await self._open_checkin(person_id, checkin_id)
        return await self._rate(person_id, checkin.meeting_id, before, value)

    async def report_in_app(self, person_id: int, checkin_id: int, answer: Progress) -> Reported:
        """Progress from the Mini App, recorded as the answer to the question the chat asked
        last (the week's end's once it was sent, mid-week's before), after a rating."""
        checkin = await self._open_checkin(person_id, checkin_id)
        if not checkin.ratings:
            raise DomainError("checkin.rate-first")
        async with self._database.transaction() as tx:
            items = await tx.meetings.of_group(checkin.group_id)
        end_asked = any(
            item.meeting_id == checkin.meeting_id
            and item.kind == ScheduleKind.PROGRESS_END
            and item.status == ScheduleStatus.SENT
            for item in items
        )
        return await self._report(
            person_id, checkin.meeting_id, "end" if end_asked else "mid", answer
        )

    async def share_in_app(self, person_id: int, checkin_id: int, first_name: str) -> None:
        """ "Tell the group" from the Mini App: the chat's celebration, once."""
        checkin = await self._open_checkin(person_id, checkin_id)
        await self._share(person_id, checkin.meeting_id, first_name)

    async def _open_checkin(self, person_id: int, checkin_id: int) -> CheckIn:
        """The person's own check-in of the week with this id; another's, an old or a made
        up id is refused the same way (nothing tells them apart)."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            for checkin in await tx.checkins.latest_of(
                self._pseudonyms.of(person_id), now - OPEN_FOR
            ):
                if checkin.id == checkin_id:
                    return checkin
        raise DomainError("checkin.not-open")

    async def _rate(self, person_id: int, meeting_id: int, before: int, value: int) -> Rated:
        """Count a rating of the check-in's round ``before``; refused (DomainError) when it
        is not the person's, or the round is taken."""
        if not 0 <= value <= 10 or before < 0:
            raise DomainError("checkin.not-open")
        now = self._clock.now()
        async with self._database.transaction() as tx:
            found = await self._own(tx, person_id, meeting_id)
            if found is None:
                raise DomainError("checkin.not-open")
            checkin, group = found
            if not await tx.checkins.rate(checkin.id, value, now, ratings_before=before):
                raise DomainError("checkin.already-rated")
        self._events.record(
            EventKind.CHECK_IN,
            group_id=group.id,
            person_id=person_id,
            confidence=value,
            attempt=before + 1,
        )
        return Rated(meeting_id, before + 1, value)

    async def _report(
        self, person_id: int, meeting_id: int, stage: str, answer: Progress
    ) -> Reported:
        async with self._database.transaction() as tx:
            found = await self._own(tx, person_id, meeting_id)
            if found is None:
                raise DomainError("checkin.not-open")
            checkin, group = found
            await tx.checkins.report(checkin.id, stage, answer)
        self._events.record(
            EventKind.PROGRESS, group_id=group.id, person_id=person_id, stage=stage, answer=answer
        )
        return Reported(answer, share=answer == Progress.DONE and checkin.shared_at is None)

    async def _share(self, person_id: int, meeting_id: int, first_name: str) -> None:
        now = self._clock.now()
        async with self._database.transaction() as tx:
            found = await self._own(tx, person_id, meeting_id)
            if found is None:
                raise DomainError("checkin.not-open")
            checkin, group = found
            if Progress.DONE not in (checkin.progress_mid, checkin.progress_end):
                raise DomainError("checkin.not-open")
            if not await tx.checkins.shared(checkin.id, now):
                raise DomainError("checkin.already-shared")
            name = ((await tx.groups.participant_name(group.id, person_id)) or first_name)[:64]
            text = self._translator.text(group.language, "checkin.celebration", name=name)
            await tx.outbox.add(
                chat_id=group.chat_id,
                group_id=group.id,
                purpose=Purpose.CELEBRATION,
                content=content_to_json(TextContent(text=text)),
                due_at=now,
                now=now,
                names=[(person_id, name)],
            )
        self._events.record(EventKind.SHARED, group_id=group.id, person_id=person_id)
        log.info("a participant shared their progress in group %d", group.id)

    # Instructors ------------------------------------------------------------------------------

    async def figures(self, actor_id: int, group_id: int) -> tuple[Group, list[WeekRow]]:
        """Per week: invited, set a plan, average confidence, reported progress (exact)."""
        async with self._database.transaction() as tx:
            group = await managed_group(tx, actor_id, group_id, self._admins)
            meetings = {m.id: m for m in await tx.meetings.meetings(group.id)}
            rows = [
                WeekRow(meetings[f.meeting_id], f)
                for f in await tx.checkins.figures(group.id)
                if f.meeting_id in meetings
            ]
        return group, rows

    async def figures_report(self, actor_id: int, group_id: int) -> Reply:
        """/checkins: per week, how many set a plan, their average confidence and how many
        reported progress, as the disclosure rule lets them be shown (the same pattern as
        /stats). Counts only: the plans themselves are never stored."""
        group, weeks = await self.figures(actor_id, group_id)
        if not weeks:
            return Reply.of("checkin.figures-none", group=group.name)
        weekly = await self._stats.weekly()
        own = {cell.week: cell for g in weekly.of([group]) for cell in g.weeks}
        lines: list[Words] = [Text("checkin.figures-header", {"group": group.name})]
        for week in weeks:
            cell = own.get(week.meeting.number)
            if cell is not None:
                lines.append(figures_line(week.meeting, cell, group.id, weekly.shown))
        lines.append(note(weekly.shown.small))
        return Reply(Lines(tuple(lines), sep="\n\n"))

    async def buddies(self, actor_id: int, group_id: int) -> Reply:
        """/buddies: this week's buddies (``pair_buddies``), one team a line."""
        made = await self.pair_buddies(actor_id, group_id)
        teams = Lines(tuple(_team_line(team) for team in made.teams))
        key = "buddies.made" if made.fresh else "buddies.already"
        text: Words = Text(key, {"week": made.week, "group": made.group.name, "teams": teams})
        if made.repeats:
            text = Lines((text, Text("buddies.repeats", {"count": made.repeats})))
        return Reply(text)

    async def pair_buddies(self, actor_id: int, group_id: int) -> Buddies:
        """This programme week's buddies: consenting participants in pairs (one trio if the
        count is odd), avoiding earlier weeks' pairs where possible; each is told in private
        with a button to write to their buddy. Once per week: again shows the same. Before
        pairing, Telegram is asked who is still in the group: someone who left is never
        paired and never named to anyone."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            group = await managed_group(tx, actor_id, group_id, self._admins)
            week, stored_week = await _pairing_week(tx, group, now)
            paired = any(w == stored_week for w, _, _ in await tx.checkins.pairs(group.id))
        if not paired:
            await self._recheck(group.id)
        async with self._database.transaction() as tx:
            group = await managed_group(tx, actor_id, group_id, self._admins)
            week, stored_week = await _pairing_week(tx, group, now)
            people = await consenting(tx, group.id)
            by_pseudonym = {self._pseudonyms.of(p.person_id): p for p in people}
            existing = await tx.checkins.pairs(group.id)
            this_week = [(a, b) for w, a, b in existing if w == stored_week]
            if this_week:
                teams = _teams_of(this_week)
                return Buddies(group, week, self._names(teams, by_pseudonym), 0, fresh=False)
            if len(people) < 2:
                raise DomainError("buddies.too-few", count=len(people))
            earlier = {frozenset((a, b)) for _, a, b in existing}
            teams, repeats = _pair(sorted(by_pseudonym), earlier, self._rng)
            for team in teams:
                for first, second in itertools.combinations(team, 2):
                    await tx.checkins.add_pair(
                        group.id, stored_week, (first, second), actor_id, now
                    )
            for team in teams:
                for pseudonym in team:
                    person = by_pseudonym[pseudonym]
                    others = [by_pseudonym[p] for p in team if p != pseudonym]
                    await self._tell_buddy(tx, group, person, others)
        for team in teams:
            for pseudonym in team:
                self._events.record(
                    EventKind.BUDDY,
                    group_id=group.id,
                    person_id=by_pseudonym[pseudonym].person_id,
                    week=week,
                    size=len(team),
                )
        log.info("group %d: %d buddy teams for week %d", group.id, len(teams), week)
        return Buddies(group, week, self._names(teams, by_pseudonym), repeats, fresh=True)

    # Inside -----------------------------------------------------------------------------------

    async def _own(
        self, tx: Transaction, person_id: int, meeting_id: int
    ) -> tuple[CheckIn, Group] | None:
        """The presser's own check-in for this meeting, if they still belong and consent."""
        meeting = await tx.meetings.meeting(meeting_id)
        if meeting is None:
            return None
        group = await tx.groups.get(meeting.group_id)
        if group is None or not group.is_active or group.organisation_id is None:
            return None
        if not await tx.groups.is_participant(group.id, person_id):
            return None
        if not await consented(tx, person_id, group.organisation_id):
            return None
        checkin = await tx.checkins.get(meeting_id, self._pseudonyms.of(person_id))
        return None if checkin is None else (checkin, group)

    def _language(self, person: Participant, group: Group) -> str:
        return normalize_language(person.language) or group.language

    async def _tell(
        self,
        tx: Transaction,
        person_id: int,
        group: Group,
        text: str,
        buttons: list[list[OutboxButton]],
        *,
        names: Sequence[tuple[int, str | None]] = (),
    ) -> None:
        """A private message through the outbox; ``names``: the others it names."""
        now = self._clock.now()
        await tx.outbox.add(
            chat_id=person_id,
            group_id=group.id,
            purpose=Purpose.CHECKIN,
            content=content_to_json(TextContent(text=text, buttons=buttons)),
            due_at=now,
            now=now,
            names=names,
        )

    async def _tell_buddy(
        self, tx: Transaction, group: Group, person: Participant, others: Sequence[Participant]
    ) -> None:
        language = self._language(person, group)
        t = self._translator
        names = [other.name or t.text(language, "buddies.unnamed") for other in others]
        text = t.text(
            language,
            "buddies.message",
            group=group.name,
            name=f" {t.text(language, 'buddies.and')} ".join(names),
        )
        buttons = [
            [
                OutboxButton(
                    text=t.text(language, "buddies.button", name=name),
                    url=f"tg://user?id={other.person_id}",
                )
            ]
            for other, name in zip(others, names, strict=True)
        ]
        named = [(other.person_id, other.name) for other in others]
        await self._tell(tx, person.person_id, group, text, buttons, names=named)

    def _names(
        self, teams: list[tuple[str, ...]], by_pseudonym: dict[str, Participant]
    ) -> list[tuple[str, ...]]:
        """Teams by first name (someone who has left since shows as "?")."""
        return [
            tuple((by_pseudonym[p].name or "?") if p in by_pseudonym else "?" for p in team)
            for team in teams
        ]


def _pair(
    people: list[str], earlier: set[frozenset[str]], rng: random.Random
) -> tuple[list[tuple[str, ...]], int]:
    """Pairs (a trio if the count is odd) with the fewest pairs seen in earlier weeks:
    a depth-first search that tries new partners first and stops at a repeat-free week,
    or after ``SEARCH_LIMIT`` steps with the best found. The order is shuffled, so equal
    choices differ from week to week."""
    order: list[str | None] = list(people)
    rng.shuffle(order)
    if len(order) % 2:
        order.append(None)  # whoever is paired with None joins another pair

    def cost(a: str | None, b: str | None) -> int:
        return 0 if a is None or b is None else int(frozenset((a, b)) in earlier)

    best: list[tuple[str | None, str | None]] = []
    fewest = [len(order) + 1]
    steps = [SEARCH_LIMIT]

    def search(
        left: list[str | None], chosen: list[tuple[str | None, str | None]], cost_so_far: int
    ) -> None:
        if cost_so_far >= fewest[0] or steps[0] <= 0:
            return
        steps[0] -= 1
        if not left:
            best[:] = chosen
            fewest[0] = cost_so_far
            return
        first, rest = left[0], left[1:]
        for partner in sorted(rest, key=lambda other: cost(first, other)):
            remaining = [other for other in rest if other is not partner]
            search(remaining, [*chosen, (first, partner)], cost_so_far + cost(first, partner))
            if fewest[0] == 0:
                return

    search(order, [], 0)
    teams = [(a, b) for a, b in best if a is not None and b is not None]
    repeats = fewest[0]
    extra = next((a or b for a, b in best if a is None or b is None), None)
    if extra is not None:
        # the odd one out joins the pair where they add the fewest repeats
        joins = min(range(len(teams)), key=lambda i: sum(cost(extra, p) for p in teams[i]))
        repeats += sum(cost(extra, p) for p in teams[joins])
        return [(*team, extra) if i == joins else team for i, team in enumerate(teams)], repeats
    return [tuple(team) for team in teams], repeats


def _team_line(team: Sequence[str]) -> Lines:
    """``• Aino and Britt`` (and a third)."""
    words: list[Words] = [f"• {team[0]}"]
    for name in team[1:]:
        words += [Text("buddies.and"), name]
    return Lines(tuple(words), sep=" ")


def _teams_of(pairs: list[tuple[str, str]]) -> list[tuple[str, ...]]:
    """Stored pairs back into teams (a trio is stored as its three pairs)."""
    teams: list[set[str]] = []
    for a, b in pairs:
        for team in teams:
            if a in team or b in team:
                team.update((a, b))
                break
        else:
            teams.append({a, b})
    return [tuple(sorted(team)) for team in teams]


def _asks(checkin: CheckIn) -> str:
    """What the week needs next (``OpenPlan.asks``)."""
    if not checkin.ratings:
        return "plan"
    if checkin.confidence is not None and checkin.confidence < CONFIDENT:
        return "confidence"
    if (checkin.progress_end or checkin.progress_mid) == Progress.DONE:
        return "done"
    return "progress"


def _confidence_buttons(meeting_id: int, before: int) -> list[list[OutboxButton]]:
    return [
        [OutboxButton(text=str(n), data=f"{RATE}{meeting_id}:{before}:{n}") for n in row]
        for row in (range(0, 6), range(6, 11))
    ]


def _reply_confidence(meeting_id: int, before: int) -> tuple[tuple[Button, ...], ...]:
    return tuple(
        tuple(
            Button(Text("checkin.number", {"n": n}), data=f"{RATE}{meeting_id}:{before}:{n}")
            for n in row
        )
        for row in (range(0, 6), range(6, 11))
    )


def _rating(data: str) -> tuple[int, int, int]:
    """Meeting, round and confidence of a confidence key. Keys sent before keyboards had
    rounds (MEETING:CONFIDENCE) count as the first round's."""
    if data.removeprefix(RATE).count(":") == 1:
        meeting_id, value = _numbers(data, RATE, 2)
        return meeting_id, 0, value
    meeting_id, before, value = _numbers(data, RATE, 3)
    return meeting_id, before, value


def figures_line(meeting: Meeting, cell: Week, group_id: int, shown: WeeklyPatterns) -> Text:
    """One week of /checkins: the figures /stats has for that programme week, as shown."""

    def show(measure: str, value: float | None, decimals: int = 0) -> str:
        return shown.text(measure, cell.week, [group_id], value, decimals=decimals)

    return Text(
        "checkin.figures-line",
        {
            "number": meeting.number,
            "when": days_and_times([(meeting.local_date, meeting.local_time)]),
            "planned": show("planned", cell.planned),
            "invited": show("invited", cell.invited),
            "confidence": decimal(show("confidence_sum", cell.confidence, 1)),
            "reported": show("reported", cell.reported),
            "done": show("done", cell.done),
            "partly": show("partly", cell.partly),
            "not_yet": show("not_yet", cell.not_yet),
            "shared": show("shared", cell.shared),
        },
    )


def _small_int(text: str) -> int:
    return int(text) if text.isdigit() and len(text) <= 9 else -1


def _numbers(data: str, prefix: str, count: int) -> list[int]:
    parts = data.removeprefix(prefix).split(":")
    if len(parts) != count:
        return [-1] * count
    return [_small_int(part) for part in parts]


async def _pairing_week(tx: Transaction, group: Group, now: dt.datetime) -> tuple[int, int]:
    """The programme week of ``now``, and the week buddy pairs are kept under: the group's
    running week count (its weeks run on across seasons, bot/services/seasons.py), so season
    2's week 1 is not season 1's."""
    week = programme_week(group, local_date(group, now))
    season = await tx.seasons.current(group.id)
    return week, week + (season.first_week - 1 if season else 0)
