"""How groups are doing, per programme week: members, active participants, messages,
reactions, plans set and done, average confidence, broadcasts delivered; and /stats, the
same as text that reads on a phone or as a chart.

Figures come from the daily roll-up of the engagement log (``activity``), the check-ins
and the membership records; the groups' instructors and other staff are left out, so
"active" means participants. The figures are exact; what may be shown of them is decided
once for every registered group by the disclosure rule (``bot/services/disclosure.py``,
``Weekly``): /stats (text and chart), /checkins and the coordinators' export all read the
same pattern, so no view shows what another hides.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import operator
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.dates import day_month
from bot.errors import DomainError
from bot.formats.charts import Labels, Series, weekly_chart
from bot.i18n import Lines, PerLanguage, Text, Translator, Words, decimal
from bot.pseudonyms import Pseudonyms
from bot.replies import Button, Reply, in_rows
from bot.services.access import (
    coordinated_organisations,
    load_actor,
    managed_group,
    require_staff,
    visible_groups,
)
from bot.services.disclosure import (
    HIDDEN,
    Measures,
    Pattern,
    PatternCache,
    WeeklyPatterns,
    both,
    weekly_patterns,
)
from bot.services.voice import AFTER, LoopMonth, loop_months, poll_voters, post_figures
from storage import Database, Transaction
from storage.analytics import day_number
from storage.events import EPOCH_DAY
from storage.groups import Group
from storage.states import GroupKind

MAX_WEEKS = 52
GROUP = "st:g:"  # st:g:GROUP — one group's weeks
CHART = "st:c:"  # st:c:GROUP (0: every group the person sees)
MAX_BUTTONS = 20
VOICE_ROWS = 3  # the latest months and polls a group's /stats shows of its participants' voice


# Which weekly figures count people, and how they relate (the disclosure rule's input).
# "reported" (done + partly + not yet) is shown per group only, by /checkins.
PEOPLE = ("members", "active", "invited", "planned", "done", "partly", "not_yet", "shared")
MEASURES = Measures(
    people=PEOPLE,
    per_group=(("reported", ("done", "partly", "not_yet")),),
    at_most=(
        ("active", "members"),
        ("planned", "invited"),
        ("done", "invited"),
        ("partly", "invited"),
        ("not_yet", "invited"),
        ("shared", "invited"),
        ("reported", "invited"),
    ),
    derived=(
        ("messages", "active", 0, None),
        ("reactions", "active", 0, None),
        ("taps", "active", 0, None),
        ("confidence_sum", "planned", 0, 10),  # a rating is 0-10
    ),
)
SUMMED = (*PEOPLE, "messages", "reactions", "taps", "confidence_sum", "broadcasts")


@dataclass
class Week:
    week: int
    members: int = 0
    active: int = 0
    messages: int = 0  # messages and replies
    reactions: int = 0
    taps: int = 0
    invited: int = 0  # to the week's plan
    planned: int = 0
    done: int = 0  # the latest progress answer
    partly: int = 0
    not_yet: int = 0
    shared: int = 0  # told the group
    confidence_sum: int = 0
    broadcasts: int = 0  # about the group, not people: always shown

    @property
    def confidence(self) -> float | None:
        return self.confidence_sum / self.planned if self.planned else None

    @property
    def reported(self) -> int:
        return self.done + self.partly + self.not_yet

    def add(self, other: Week) -> None:
        for name in SUMMED:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def figures(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in SUMMED}


@dataclass
class GroupWeeks:
    group: Group
    weeks: list[Week] = field(default_factory=list)
    season: int = 1  # the weeks are this season's (the group's current: bot/services/seasons.py)
    starts: dt.date | None = None  # the day its week 1 begins


@dataclass(frozen=True)
class Scope:
    """What the actor asked to see: one group, or every group they may see."""

    groups: list[Group]
    organisation: str | None  # the organisation's name for an overview, None for one group


@dataclass(frozen=True)
class Figures:
    """Every registered group's weeks and the sets of groups some reader sees added up."""

    groups: list[GroupWeeks]
    scopes: list[set[int]]


@dataclass
class _Board:
    """One group's dashboard weeks and what they were made of: its figures and the very
    patterns they were read through (a pattern kept between readers is the same object)."""

    group: Group
    season: tuple[int, dt.date | None]  # its season and the day its week 1 begins
    figures: list[tuple[float, ...]]
    patterns: list[Pattern]
    board: DashboardGroup | None = None

    @classmethod
    def of(cls, group: GroupWeeks, shown: WeeklyPatterns) -> _Board:
        return cls(
            group.group,
            (group.season, group.starts),
            [(cell.week, *cell.figures().values()) for cell in group.weeks],
            [
                shown.pattern(measure, cell.week)
                for cell in group.weeks
                for _, measure in DASHBOARD_FIGURES
            ],
        )

    def same(self, other: _Board) -> bool:
        return (
            self.group == other.group
            and self.season == other.season
            and self.figures == other.figures
            and len(self.patterns) == len(other.patterns)
            and all(map(operator.is_, self.patterns, other.patterns))
        )


@dataclass(frozen=True)
class Weekly:
    """Every registered group's weeks and what may be shown of them: the one pattern that
    /stats, its chart, /checkins and the coordinators' export all read."""

    groups: list[GroupWeeks]
    shown: WeeklyPatterns
    # what the dashboard made of them, worked out once for every reader of these figures
    # (and taken over from the figures before, for a group whose weeks and their patterns
    # are the very same)
    _boards: dict[int, _Board] = field(default_factory=dict, compare=False, repr=False)
    before: Weekly | None = field(default=None, compare=False, repr=False)
    _totals: dict[tuple[int, ...], list[DashboardWeek]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @cached_property
    def _by_id(self) -> dict[int, GroupWeeks]:
        return {g.group.id: g for g in self.groups}

    def of(self, groups: Collection[Group]) -> list[GroupWeeks]:
        """These groups' weeks, in the order given (registered groups only)."""
        return [self._by_id[group.id] for group in groups if group.id in self._by_id]

    def board(self, group: GroupWeeks) -> DashboardGroup:
        """One of these groups' weeks as the dashboard shows them."""
        key = group.group.id
        found = self._boards.get(key)
        if found is None:
            found = _Board.of(group, self.shown)
            earlier = None if self.before is None else self.before._boards.get(key)
            if earlier is not None and earlier.same(found):
                found = earlier
            else:
                found.board = dashboard_group(group, self.shown, key)
            self._boards[key] = found
        assert found.board is not None
        return found.board

    def after(self) -> None:
        """These figures follow others: keep no figures from before those."""
        if self.before is not None:
            object.__setattr__(self.before, "before", None)

    def board_total(self, groups: list[GroupWeeks]) -> list[DashboardWeek]:
        """These groups' weeks added up, as the dashboard shows them (when they add up)."""
        ids = tuple(g.group.id for g in groups)
        found = self._totals.get(ids)
        if found is None:
            found = [dashboard_week(cell, list(ids), self.shown) for cell in totals(groups)]
            self._totals[ids] = found
        return found


def reader_scopes(groups: Collection[Group], led: Collection[tuple[int, int]]) -> list[set[int]]:
    """The sets of groups some reader sees added up: all (admins), each organisation's
    (its coordinators), and each instructor's (``led``: (instructor, group)) that nests
    with all the others: inside, around or apart from each. An instructor whose groups
    cross another's set (two co-instructors who share one group of two each) sees their
    groups one by one, never added up: crossing sums are what lets one figure be worked
    out from several, and they make the rule's search grow with every overlap (a chain
    of 500 co-led groups took minutes)."""
    ids = {g.id for g in groups}
    fixed: dict[object, set[int]] = {"all": set(ids)}
    for group in groups:
        fixed.setdefault(("organisation", group.organisation_id), set()).add(group.id)
    own: dict[int, set[int]] = {}
    for person, group_id in led:
        if group_id in ids:
            own.setdefault(person, set()).add(group_id)
    theirs = {frozenset(groups) for groups in own.values()}
    others = [frozenset(scope) for scope in fixed.values()] + list(theirs)
    nested = [scope for scope in theirs if all(_nests(scope, other) for other in others)]
    return [*fixed.values(), *(set(scope) for scope in sorted(nested, key=sorted))]


def _nests(one: frozenset[int], other: frozenset[int]) -> bool:
    return one <= other or other <= one or not one & other


def disclose(
    groups: list[GroupWeeks],
    scopes: Collection[Collection[int]],
    small: int,
    cache: PatternCache | None = None,
) -> WeeklyPatterns:
    """The pattern of every group's weekly figures, one group at a time and added up over
    each scope."""
    figures = {(g.group.id, cell.week): cell.figures() for g in groups for cell in g.weeks}
    return weekly_patterns(figures, scopes, small, MEASURES, cache)


def start_day(group: Group) -> dt.date:
    """Week 1 starts on the first meeting's day, or until it is set, on registration."""
    return group.programme_start


class StatsService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        admins: Collection[int],
        pseudonyms: Pseudonyms,
        translator: Translator,
        *,
        small_numbers: int = 5,
        dashboard: str | None = None,
    ) -> None:
        self.dashboard_url = dashboard  # the Mini App's dashboard, when it is served
        self._database = database
        self._clock = clock
        self._admins = frozenset(admins)
        self._pseudonyms = pseudonyms
        self._translator = translator
        self.small_numbers = small_numbers
        self._patterns = PatternCache()  # past weeks' patterns, while their figures stay
        self._remembered: tuple[tuple[int, int, dt.date], Weekly] | None = None  # see weekly()
        self._weekly_lock = asyncio.Lock()

    async def report(self, actor_id: int, group_id: int | None, *, private: bool = False) -> Reply:
        """/stats: one group's weeks, or an overview of every group the actor sees, with a
        chart button (and for an overview, a button per group); in a private chat, when
        the Mini App is served, a button that opens its dashboard."""
        scope = await self.scope(actor_id, group_id)
        weekly = await self.weekly()
        groups = weekly.of(scope.groups)
        shown = weekly.shown
        one = len(groups) == 1
        if one:
            text = group_text(groups[0], shown, await self.voice(groups[0].group))
        else:
            text = overview(scope, groups, shown)
        rows: list[tuple[Button, ...]] = [
            (Button(Text("stats.chart-button"), data=f"{CHART}{group_id or 0}"),)
        ]
        if private and self.dashboard_url is not None:
            rows.append((Button(Text("stats.dashboard-button"), web_app=self.dashboard_url),))
        if len(groups) > 1:
            choices = [
                Button(g.group.name[:30], data=f"{GROUP}{g.group.id}") for g in groups[:MAX_BUTTONS]
            ]
            rows += in_rows(choices, 2)
        return Reply(text, tuple(rows))

    async def chart(self, actor_id: int, group_id: int | None, language: str) -> tuple[bytes, Text]:
        """/stats chart: active participants and check-in completion per week as a picture
        (drawn off the event loop), and its caption."""
        drawing, title = await self.chart_drawing(actor_id, group_id, language)
        picture = await asyncio.to_thread(weekly_chart, *drawing)
        return picture, title

    async def chart_drawing(
        self, actor_id: int, group_id: int | None, language: str
    ) -> tuple[tuple[Labels, Series, Series], Text]:
        """What /stats chart draws (``bot/formats/charts.py``'s ``weekly_figure``): its
        words in ``language`` and its two series, the same figures the text shows and
        hides; and its caption."""
        scope = await self.scope(actor_id, group_id)
        weekly = await self.weekly()
        groups = weekly.of(scope.groups)

        def say(words: Words) -> str:
            return self._translator.render(language, words)

        title = _title(scope, groups)
        active, completion = chart_series(
            groups, weekly.shown, all_label=say(Text("stats.all-groups"))
        )
        labels = Labels(
            title=say(title).removeprefix("📊 "),
            active=say(Text("stats.chart-active")),
            completion=say(Text("stats.chart-completion")),
            week=say(Text("stats.chart-week")),
            note=say(Text("stats.chart-note", {"small": self.small_numbers})),
            empty=say(Text("stats.chart-empty", {"small": self.small_numbers})),
        )
        return (labels, active, completion), title

    async def dashboard(
        self, actor_id: int, group_id: int | None, season: int | None = None
    ) -> Dashboard:
        """The Mini App's dashboard: what /stats shows (one group's weeks, or every group the
        actor sees and, when /stats adds them up, their total), as values from the same
        pattern. ``season``: the groups' weeks of that season, an earlier one disclosed on
        its own as the export does; by default each group's current one (as /stats)."""
        scope = await self.scope(actor_id, group_id)
        weekly = await self.weekly()
        current = weekly.of(scope.groups)
        earlier: list[GroupWeeks] = []
        if season is not None:
            async with self._database.transaction() as tx:
                past = await self.weeks_of(tx, scope.groups, past=True)
            earlier = [unit for unit in past if unit.season == season]
        # seasons are numbered on from 1 in each group: its current one is its last
        seasons = list(range(1, max((g.season for g in current), default=1) + 1))
        if season is not None and season not in seasons:
            raise DomainError("dashboard.unknown-season", season=season)
        now = [g for g in current if season is None or g.season == season]
        units = [(g, weekly.board(g)) for g in now]
        units += [
            (unit, dashboard_group(unit, shown, key))
            for unit, shown, key in await self.disclosed_alone(earlier)
        ]
        order = {g.id: index for index, g in enumerate(scope.groups)}
        units.sort(key=lambda unit: order.get(unit[0].group.id, 0))
        ids = [g.group.id for g in now]
        total = None
        if len(units) > 1 and not earlier and weekly.shown.adds_up(ids):
            total = weekly.board_total(now)
        return Dashboard(
            title=_title(scope, [unit for unit, _ in units]),
            season=season,
            seasons=seasons,
            groups=[board for _, board in units],
            total=total,
            one_by_one=len(units) > 1 and total is None,
            small=self.small_numbers,
        )

    async def voice(self, group: Group) -> list[Words]:
        """A group's participants' own voice as /stats shows it (``bot/services/voice.py``:
        the export's very figures): its posts in the latest months, its latest closed
        polls' voters, and a co-development group's ideas loop by month."""
        ids = [group.id]
        small = self.small_numbers
        async with self._database.reading() as tx:
            posts = (await tx.posts.monthly(ids))[-VOICE_ROWS:]
            polls = (await tx.polls.closed_in(ids))[-VOICE_ROWS:]
            loop: list[LoopMonth] = []
            if group.kind == GroupKind.CODEV:
                active = await tx.analytics.active_people(ids, await self.staff_pseudonyms(tx, ids))
                seasons = {s.group_id: s for s in await tx.seasons.of_groups(ids)}
                loop = loop_months(active, seasons, {group.id: group}, small)[-VOICE_ROWS:]
        lines: list[Words] = []
        if posts:
            lines.append(Text("stats.voice-posts"))
            for month in posts:
                shown = post_figures(month, small)
                lines.append(
                    Text(
                        "stats.voice-posts-month",
                        {
                            "month": shown.month,
                            "sharers": shown.sharers,
                            "shared": shown.shared,
                            "approved": shown.approved,
                            "withdrawn": shown.withdrawn,
                        },
                    )
                )
        if polls:
            lines.append(Text("stats.voice-polls"))
            for poll, entries in polls:
                voters = poll_voters(poll, entries, small)
                lines.append(
                    Text(
                        "stats.voice-poll",
                        {
                            "number": poll.id,
                            "day": _day(voters.day),
                            "voters": voters.voters.get(group.id, "–"),
                        },
                    )
                )
        if loop:
            lines.append(Text("stats.voice-loop"))
            for loop_month in loop:
                key = (
                    "stats.voice-loop-after"
                    if loop_month.phase == AFTER
                    else "stats.voice-loop-workshops"
                )
                lines.append(Text(key, {"month": loop_month.month, "active": loop_month.active}))
        return lines

    async def scope(self, actor_id: int, group_id: int | None = None) -> Scope:
        """One group the actor manages, or every registered group they see
        (``bot/services/access.py``)."""
        async with self._database.transaction() as tx:
            if group_id is not None:
                return Scope([await managed_group(tx, actor_id, group_id, self._admins)], None)
            actor = await load_actor(tx, actor_id, self._admins)
            require_staff(actor)
            groups, name = await visible_groups(tx, actor), None
            if not actor.is_admin and actor.is_coordinator:
                # a coordinator's overview is titled by their organisation
                organisations = await coordinated_organisations(tx, actor)
                name = organisations[0].name if organisations else None
        registered = [g for g in groups if g.organisation_id is not None]
        if not registered:
            raise DomainError("stats.no-groups")
        return Scope(registered, name)

    async def weekly(self) -> Weekly:
        """Every registered group's weeks and their pattern, remembered while what they are
        worked out from stays the same (``figure_inputs``, which every write to those
        tables moves on, and the day): every reader until the next change is answered
        from the same figures, so /stats, its chart, /checkins and the dashboard cannot
        disagree, and none waits for hundreds of groups to be added up again. Worked out
        in a read-only snapshot, beside everyone else's units of work; one at a time, so
        readers arriving together wait for one answer instead of each working it out."""
        async with self._weekly_lock:
            async with self._database.reading() as tx:
                inputs = await tx.analytics.figure_inputs()
                mark = None
                if inputs is not None:
                    mark = (inputs.activity, inputs.other, self._clock.now().date())
                if mark is not None and self._remembered and self._remembered[0] == mark:
                    return self._remembered[1]
                figures = await self.figures_in(tx)
            weekly = await self.disclosed(figures)
            if self._remembered is not None:
                weekly = replace(weekly, before=self._remembered[1])
                weekly.after()
            self._remembered = None if mark is None else (mark, weekly)
            return weekly

    async def figures_in(self, tx: Transaction) -> Figures:
        """Every registered group's weeks, and the sets of groups readers see added up."""
        registered = [g for g in await tx.groups.all() if g.organisation_id is not None]
        groups = await self.weeks_of(tx, registered)
        return Figures(groups, reader_scopes(registered, await tx.analytics.instructor_groups()))

    async def disclosed(self, figures: Figures) -> Weekly:
        """The figures with the disclosure pattern over all of them (what one reader sees
        added up, another may see group by group), worked out in a thread after the
        transaction: over hundreds of groups it takes seconds, which the event loop and
        the database must not wait for."""
        shown = await asyncio.to_thread(
            disclose, figures.groups, figures.scopes, self.small_numbers, self._patterns
        )
        return Weekly(figures.groups, shown)

    async def disclosed_alone(
        self, seasons: list[GroupWeeks]
    ) -> list[tuple[GroupWeeks, WeeklyPatterns, int]]:
        """Earlier seasons' weeks (``weeks_of(past=True)``) with their patterns, each season
        on its own: they are added to nothing anywhere, so each is its own only sum. With
        each, the key its pattern knows it by."""
        alone = [
            GroupWeeks(replace(unit.group, id=-index), unit.weeks, unit.season, unit.starts)
            for index, unit in enumerate(seasons, start=1)
        ]
        shown = await asyncio.to_thread(disclose, alone, [], self.small_numbers)
        return [(unit, shown, -index) for index, unit in enumerate(seasons, start=1)]

    async def staff_pseudonyms(self, tx: Transaction, group_ids: list[int]) -> list[str]:
        """Whose activity is not counted: the groups' instructors, all staff and admins."""
        staff = set(await tx.analytics.staff_ids(group_ids)) | self._admins
        return [self._pseudonyms.of(person) for person in sorted(staff)]

    async def _seasons_shown(
        self, tx: Transaction, groups: list[Group], *, past: bool, today: int
    ) -> dict[tuple[int, int], tuple[Group, int, int]]:
        """(group, season) -> its group, its week-1 day and the day its weeks stop counting
        (days since 1970): each group's current season, or with ``past`` its earlier ones
        (each until the next one began)."""
        ids = [g.id for g in groups]
        every = await tx.seasons.of_groups(ids)  # by group and number: the last is current
        if not past:
            current = {s.group_id: s.number for s in every}
            return {
                (g.id, current.get(g.id, 1)): (g, day_number(start_day(g)), today) for g in groups
            }
        by_id = {g.id: g for g in groups}
        first_days = await tx.seasons.first_days(ids)
        units: dict[tuple[int, int], tuple[Group, int, int]] = {}
        for season, following in itertools.pairwise(every):
            if season.group_id != following.group_id:
                continue
            group = by_id[season.group_id]
            zone = ZoneInfo(group.timezone)
            start = day_number(
                first_days.get((group.id, season.number), season.started_at.astimezone(zone).date())
            )
            ended = day_number(following.started_at.astimezone(zone).date())
            units[(group.id, season.number)] = (group, start, max(ended - 1, start))
        return units

    async def weeks_of(
        self, tx: Transaction, groups: list[Group], *, past: bool = False
    ) -> list[GroupWeeks]:
        """Every group's weeks of its current season, from 1 to the current one (or the
        last with data); with ``past``, the weeks of each group's earlier seasons instead,
        one ``GroupWeeks`` a season, each to the day the next one began."""
        if not groups:
            return []
        ids = [g.id for g in groups]
        exclude = await self.staff_pseudonyms(tx, ids)
        today = day_number(self._clock.now().date())
        units = await self._seasons_shown(tx, groups, past=past, today=today)
        table: dict[tuple[int, int], dict[int, Week]] = {unit: {} for unit in units}

        def week(unit: tuple[int, int], number: int) -> Week | None:
            if unit not in table or number > MAX_WEEKS:
                return None
            return table[unit].setdefault(number, Week(number))

        for row in await tx.analytics.activity_by_week(ids, exclude, past=past):
            cell = week((row.group_id, row.season), row.week)
            if cell is None:
                continue
            cell.active = row.active
            cell.messages = row.messages + row.replies
            cell.reactions = row.reactions
            cell.taps = row.taps
            cell.broadcasts = row.broadcasts
        for plans in await tx.analytics.checkins_by_week(ids, past=past):
            cell = week((plans.group_id, plans.season), plans.week)
            if cell is None:
                continue
            cell.invited = plans.invited
            cell.planned = plans.planned
            cell.done = plans.done
            cell.partly = plans.partly
            cell.not_yet = plans.not_yet
            cell.shared = plans.shared
            cell.confidence_sum = plans.confidence_sum
        members: dict[int, list[tuple[int, int | None]]] = {g.id: [] for g in groups}
        for m in await tx.analytics.memberships(ids):
            left = None if m.left_on is None else day_number(m.left_on)
            members[m.group_id].append((day_number(m.joined_on), left))
        for group_id, joined, until in await tx.analytics.erased_memberships(ids):
            members[group_id].append((day_number(joined), day_number(until)))
        result = []
        for (group_id, season), (group, start, counted_to) in units.items():
            current_week = max(1, min((counted_to - start) // 7 + 1, MAX_WEEKS))
            last = max([current_week, *table[(group_id, season)]])
            weeks = [table[(group_id, season)].setdefault(n, Week(n)) for n in range(1, last + 1)]
            for cell in weeks:
                begins = start + 7 * (cell.week - 1) if cell.week > 1 else -(10**9)
                ends = start + 7 * cell.week
                cell.members = sum(
                    1
                    for joined, left in members[group_id]
                    if joined < ends and (left is None or left >= begins)
                )
            starts = dt.date.fromordinal(start + EPOCH_DAY)
            result.append(GroupWeeks(group, weeks, season, starts))
        return result


def _title(scope: Scope, groups: list[GroupWeeks]) -> Text:
    if len(groups) == 1:
        return group_header(groups[0])
    return Text(
        "stats.overview-header",
        {"name": scope.organisation or Text("stats.your-groups"), "count": len(groups)},
    )


def group_header(group: GroupWeeks) -> Text:
    """The group's name (a co-development group's with its kind); from its second season
    on, the season its weeks are."""
    name: Words = group.group.name
    if group.group.kind == GroupKind.CODEV:
        name = Lines((group.group.name, " (", Text("group.kind-codev"), ")"), sep="")
    if group.season > 1:
        return Text("stats.group-season-header", {"group": name, "season": group.season})
    return Text("stats.group-header", {"group": name})


def _day(day: dt.date) -> PerLanguage:
    return PerLanguage.of(lambda language: day_month(day, language))


def group_text(group: GroupWeeks, shown: WeeklyPatterns, voice: Sequence[Words] = ()) -> Lines:
    """A group's weeks, then its participants' own voice (posts, polls, the ideas loop)."""
    lines: list[Words] = [group_header(group)]
    ids = [group.group.id]
    previous: Week | None = None
    for cell in group.weeks:
        lines += ["", *_week_lines(cell, previous, ids, shown)]
        previous = cell
    if voice:
        lines += ["", *voice]
    lines += ["", small_note(shown.small)]
    return Lines(tuple(lines))


def overview(scope: Scope, groups: list[GroupWeeks], shown: WeeklyPatterns) -> Lines:
    """Several groups: their weeks added up (when the reader's groups add up, see
    ``reader_scopes``; otherwise a line says why not), then each group's latest week."""
    lines: list[Words] = [_title(scope, groups)]
    ids = [g.group.id for g in groups]
    if shown.adds_up(ids):
        previous: Week | None = None
        for cell in totals(groups):
            lines += ["", *_week_lines(cell, previous, ids, shown)]
            previous = cell
    else:
        lines += ["", Text("stats.one-by-one")]
    lines += ["", Text("stats.groups-header")]
    for g in groups:
        latest = g.weeks[-1]
        one = [g.group.id]
        lines.append(
            Text(
                "stats.group-line",
                {
                    "number": g.group.id,
                    "group": g.group.name,
                    "week": latest.week,
                    "active": shown.text("active", latest.week, one, latest.active),
                    "members": shown.text("members", latest.week, one, latest.members),
                    "messages": shown.text("messages", latest.week, one, latest.messages),
                },
            )
        )
    lines += ["", small_note(shown.small)]
    return Lines(tuple(lines))


def _week_lines(
    cell: Week, previous: Week | None, groups: list[int], shown: WeeklyPatterns
) -> list[Words]:
    def show(measure: str, value: float | None, decimals: int = 0) -> str:
        return shown.text(measure, cell.week, groups, value, decimals=decimals)

    def change(measure: str) -> str:
        return _change(measure, cell, previous, groups, shown)

    return [
        Text("stats.week", {"week": cell.week}),
        Text(
            "stats.people",
            {
                "members": show("members", cell.members),
                "active": show("active", cell.active),
                "change": change("active"),
            },
        ),
        Text(
            "stats.talk",
            {
                "messages": show("messages", cell.messages),
                "change": change("messages"),
                "reactions": show("reactions", cell.reactions),
            },
        ),
        Text(
            "stats.plans",
            {
                "planned": show("planned", cell.planned),
                "done": show("done", cell.done),
                "confidence": decimal(show("confidence_sum", cell.confidence, 1)),
            },
        ),
        Text("stats.delivered", {"broadcasts": cell.broadcasts}),
    ]


def _change(
    measure: str, cell: Week, previous: Week | None, groups: list[int], shown: WeeklyPatterns
) -> str:
    """`` (+2)`` against the week before, when both weeks' figures are shown."""
    if previous is None or not both(
        shown.shows(measure, cell.week, groups), shown.shows(measure, previous.week, groups)
    ):
        return ""
    difference = int(getattr(cell, measure)) - int(getattr(previous, measure))
    return f" ({difference:+d})" if difference else " (±0)"


def small_note(small: int) -> Text:
    """Under /stats and its chart: the disclosure rule's marks and who counts as active."""
    return Text("stats.small-note", {"small": small, "hidden": HIDDEN})


def totals(groups: list[GroupWeeks]) -> list[Week]:
    """The groups' weeks added up, programme week by programme week."""
    summed: dict[int, Week] = {}
    for group in groups:
        for cell in group.weeks:
            summed.setdefault(cell.week, Week(cell.week)).add(cell)
    return [summed[number] for number in sorted(summed)]


def chart_series(
    groups: list[GroupWeeks], shown: WeeklyPatterns, *, all_label: str, max_lines: int = 8
) -> tuple[Series, Series]:
    """Active participants and check-in completion (% of plans done) per week, one line per
    group, or one for all of them when there are more than ``max_lines`` and they add up.
    A value the disclosure rule hides is None (a gap); a percentage is shown only when
    both its counts are."""
    everyone = [g.group.id for g in groups]
    lines = (
        [(g.group.name, [g.group.id], g.weeks) for g in groups]
        if len(groups) <= max_lines or not shown.adds_up(everyone)
        else [(all_label, everyone, totals(groups))]
    )
    active: Series = {}
    completion: Series = {}
    for label, ids, weeks in lines:
        active[label] = [(w.week, shown.value("active", w.week, ids, w.active)) for w in weeks]
        completion[label] = [
            (
                w.week,
                100.0 * w.done / w.planned
                if both(shown.shows("done", w.week, ids), shown.shows("planned", w.week, ids))
                else None,
            )
            for w in weeks
        ]
    return active, completion


# The Mini App's dashboard (web/dashboard.py) ------------------------------------------------------

# the weekly figures the dashboard shows, each with the measure whose pattern decides it
DASHBOARD_FIGURES = (
    ("members", "members"),
    ("active", "active"),
    ("messages", "messages"),
    ("reactions", "reactions"),
    ("planned", "planned"),
    ("done", "done"),
    ("confidence", "confidence_sum"),
)


@dataclass(frozen=True)
class DashboardWeek:
    """One programme week as /stats shows it: a figure the disclosure rule hides is None,
    and ``marks`` says how /stats writes it (``<5`` or ``x``)."""

    week: int
    members: int | None
    active: int | None
    messages: int | None
    reactions: int | None
    planned: int | None
    done: int | None
    confidence: float | None  # to one decimal, as /stats shows it
    broadcasts: int  # about the group, not people: always shown
    marks: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DashboardGroup:
    id: int
    name: str
    season: int
    weeks: list[DashboardWeek]
    kind: str = "peer"  # peer or codev


@dataclass(frozen=True)
class DashboardBroadcast:
    """A broadcast to the groups shown, and how it was received there (reactions and
    replies by the people rule: None when hidden, as /broadcasts and the export)."""

    id: int
    sent_at: dt.datetime
    tip: str | None  # the tip it sent, None for a message of its own
    groups: int
    delivered: int
    reactions: int | None
    replies: int | None


@dataclass(frozen=True)
class DashboardOutcome:
    """A survey item's before-and-after means (the export's outcome row): ``n`` is None
    when too few answered both (``n_mark`` then says ``<5`` or ``x``)."""

    item: str
    name: str
    group: int | None  # None: the groups shown together
    n: int | None
    before: float | None
    after: float | None
    n_mark: str | None = None


@dataclass(frozen=True)
class Dashboard:
    """What the dashboard shows one staff member: /stats' figures as values."""

    title: Text
    season: int | None  # the season asked for; None: each group's current one
    seasons: list[int]  # the seasons the groups have had, to choose from
    groups: list[DashboardGroup]
    total: list[DashboardWeek] | None  # the groups added up (None: one group, or they don't)
    one_by_one: bool  # several groups that may be shown only one at a time
    small: int
    broadcasts: list[DashboardBroadcast] = field(default_factory=list)
    outcomes: list[DashboardOutcome] = field(default_factory=list)


def dashboard_week(cell: Week, ids: list[int], shown: WeeklyPatterns) -> DashboardWeek:
    """A week's figures as /stats shows them (``_week_lines``): the same pattern, values."""
    values: dict[str, float | None] = {}
    marks: dict[str, str] = {}
    for name, measure in DASHBOARD_FIGURES:
        value = cell.confidence if name == "confidence" else getattr(cell, name)
        pattern = shown.pattern(measure, cell.week)
        figure = shown.cell(measure, cell.week, ids)
        if pattern.shows(figure):
            values[name] = round(value, 1) if name == "confidence" and value is not None else value
        else:
            values[name] = None
            marks[name] = pattern.text(figure, value)
    return DashboardWeek(
        cell.week,
        broadcasts=cell.broadcasts,
        marks=marks,
        **values,  # type: ignore[arg-type]
    )


def dashboard_group(group: GroupWeeks, shown: WeeklyPatterns, key: int) -> DashboardGroup:
    """``key``: the group as its pattern knows it (an earlier season's: its own key)."""
    return DashboardGroup(
        group.group.id,
        group.group.name,
        group.season,
        [dashboard_week(cell, [key], shown) for cell in group.weeks],
        group.group.kind.value,
    )
