"""The coordinators' export (/export, /export csv, ``kannustin export`` without ``--study``):
aggregates only, as an XLSX workbook or a ZIP of CSV files with the same tables.

- **weekly**: per group, season and programme week, the figures of /stats (the current
  season's, as /stats shows them, and before them each earlier season's weeks, each
  season's pattern worked out on its own: it is added to nothing);
- **outcomes**: per group, for all the exported groups together and per engagement level
  (the programme weeks a person was active in: low 0-2, medium 3-4, high 5 or more), each
  survey item's n (people who answered both before and after) and mean before, after and
  change, with the chart of the change for everyone and by engagement level (``Chart``:
  drawn whenever any of it may be shown; when not, the dictionary says why, and /export
  and ``kannustin export`` say so too);
- **broadcasts**: each broadcast (and tip sent as one) to the exported groups: its day,
  groups addressed and delivered to, reactions and replies;
- **posts**: per group and month, participants' own posts: how many people shared, and
  the posts shared, approved and withdrawn (shown only where the sharers are);
- **polls**: per closed poll, each exported group's voters and all its groups together
  (``PollFigures``: the pattern its composer read);
- **loop**: per co-development group and month, how many took part, in the workshops and
  in the "what happened with your ideas" loop after them;
- **dictionary**: every column with its meaning.

No row is about one person: no pseudonym, no event, no survey answer, no time finer than
a day. Every figure about people goes through the disclosure rule
(``bot/services/disclosure.py``) with the same pattern as /stats: a figure about fewer
than ``small_numbers`` people shows as ``<5``, one hidden so that another cannot be
worked out as ``x``, and a mean over a hidden count is left empty. The pattern of every
table is computed over all registered groups, whoever exports, so a coordinator's export
and an admin's agree with each other and with /stats. The researchers' person-level
extract is another module (``--study``).

Off the event loop, and out of the bot's interpreter: the figures are read (a read-only
snapshot, ``Database.reading()``), disclosed, and the tables, the chart and the file
built in a process of its own (``bot/runtime/apart.py``), at a lower CPU priority, so
the bot's loop and threads never wait for it. The child gets a ``Recipe`` (the database,
the admins, the pseudonym key, the survey, the small-numbers threshold) and builds the
services it needs from it; the file comes back as bytes, or is written where the command
line said. An in-memory database (tests of one service) has no second connection, let
alone a second process: there the reading happens on the loop and the build in a thread.
At most one export per organisation runs at a time (``Turns``): a second one waits its
turn, and /export tells its asker so.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import io
import logging
from collections import defaultdict
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import IO

from bot.clock import Clock, FixedClock
from bot.errors import DomainError
from bot.formats.charts import bar_chart
from bot.formats.tables import Cell, CsvZipWriter, TableWriter, XlsxWriter
from bot.i18n import Text, Translator, counted
from bot.payload import UPLOAD_LIMIT
from bot.pseudonyms import Pseudonyms
from bot.replies import File
from bot.runtime import apart
from bot.services.access import load_actor, require_coordinator, visible_groups
from bot.services.broadcasts import reach
from bot.services.disclosure import Cell as Figure
from bot.services.disclosure import Pattern, Split, WeeklyPatterns, follow, suppress
from bot.services.stats import (
    Dashboard,
    DashboardBroadcast,
    DashboardOutcome,
    GroupWeeks,
    StatsService,
    Weekly,
    start_day,
)
from bot.services.voice import loop_months, poll_voters, post_figures
from content.surveys import Survey
from storage import Database, Transaction
from storage.analytics import ActiveWeeks, BroadcastReach, FigureInputs
from storage.groups import Group
from storage.polls import Poll, PollGroup
from storage.posts import PostMonth
from storage.seasons import Season
from storage.states import AuditAction, GroupKind, Round
from storage.surveys import AnswerRow

log = logging.getLogger(__name__)

DASHBOARD_BROADCASTS = 20  # the latest broadcasts the dashboard lists
LEVELS = (("low", 0, 2), ("medium", 3, 4), ("high", 5, 10**6))
LEVEL_KEYS = {
    "all": "export.level-all",
    "low": "export.level-low",
    "medium": "export.level-medium",
    "high": "export.level-high",
}
ALL_GROUPS = "all groups"  # the outcome row over every exported group

# Every exported column, by table: the data dictionary sheet, and the README's table
DICTIONARY: dict[str, list[tuple[str, str]]] = {
    "weekly": [
        ("group_id", "the group's number"),
        ("group", "the group's name"),
        ("organisation", "the organisation running it"),
        ("kind", "peer (a peer-support group) or codev (a co-development group)"),
        (
            "season",
            "the group's season (its programme run again in the same chat); each season's"
            " weeks count from 1, and an earlier season's figures are never added to another's",
        ),
        ("week", "programme week: 1 from the first meeting's day (anything earlier counts as 1)"),
        ("week_starts", "the first day of the week (the group's local date)"),
        ("members", "participants in the group during the week (instructors not counted)"),
        (
            "active",
            "participants who wrote, replied, reacted, tapped a button or made or reported a plan"
            " that week",
        ),
        ("messages", "messages and replies by participants"),
        ("reactions", "reactions added by participants"),
        ("taps", "button taps by participants"),
        ("plans_invited", "participants invited to the week's plan (consenting)"),
        ("plans_set", "of them, those who rated their confidence"),
        ("plans_done", "of them, those whose latest progress answer was done"),
        ("confidence_mean", "mean of the latest confidence ratings (0-10)"),
        (
            "broadcasts",
            "broadcasts and tips delivered to the group (about the group: never hidden)",
        ),
    ],
    "outcomes": [
        ("group_id", "the group's number; empty for the rows over several groups"),
        (
            "group",
            "the group's name, 'all groups' (every exported group), or 'engagement: "
            "low/medium/high' (active weeks 0-2, 3-4, 5+) across the exported groups",
        ),
        ("item", "the survey item"),
        ("n", "people with both a before and an after answer"),
        ("mean_before", "mean before answer (empty when n is hidden)"),
        ("mean_after", "mean after answer (empty when n is hidden)"),
        ("mean_change", "mean of after minus before (empty when n is hidden)"),
    ],
    "broadcasts": [
        ("broadcast", "the broadcast's number (as in /broadcasts)"),
        ("day", "the day it was due (UTC date)"),
        ("tip", "the tip it sent, if it was one"),
        ("groups", "exported groups it was addressed to"),
        ("delivered", "of them, groups it was delivered to"),
        ("reactions", "reactions to it in those groups"),
        ("replies", "replies to it in those groups"),
    ],
    "posts": [
        ("group_id", "the group's number"),
        ("group", "the group's name"),
        ("kind", "peer or codev (the group's kind)"),
        ("month", "the month the posts were shared in (YYYY-MM, UTC)"),
        ("sharers", "participants who shared a post with the group that month"),
        ("shared", "posts shared for review (shown only where sharers is)"),
        ("approved", "of them, posts an instructor let into the group (withdrawn later too)"),
        ("withdrawn", "of them, posts their authors withdrew (or erased)"),
    ],
    "polls": [
        ("poll", "the poll's number (as in /pollresults)"),
        ("day", "the day it was sent (UTC date)"),
        ("group_id", "the group's number; empty for the row of all its groups together"),
        ("group", "the group's name, or 'all groups'"),
        ("voters", "participants who answered (the poll is anonymous: only counts exist)"),
    ],
    "loop": [
        ("group_id", "a co-development group's number"),
        ("group", "the group's name"),
        ("month", "the month (YYYY-MM) its programme weeks started in"),
        (
            "phase",
            "workshops (up to the month its season ended) or after (the 'what happened"
            " with your ideas' loop)",
        ),
        ("active", "participants who wrote, replied, reacted or tapped a button that month"),
    ],
    "dictionary": [
        ("table", "the table a column belongs to"),
        ("column", "the column's name"),
        (
            "meaning",
            "what it holds; in every table a figure about fewer than 5 people shows "
            "as <5, and one hidden so that another cannot be worked out as x",
        ),
    ],
}
# weekly columns and the figures they show (None: shown as it is, about the group)
WEEKLY = (
    ("members", "members"),
    ("active", "active"),
    ("messages", "messages"),
    ("reactions", "reactions"),
    ("taps", "taps"),
    ("plans_invited", "invited"),
    ("plans_set", "planned"),
    ("plans_done", "done"),
)


class Chart(StrEnum):
    """Whether the outcome chart was drawn, and if not, why: said in the dictionary, and
    to whoever exported (``key``). Neither says more than the outcome table's n does."""

    DRAWN = "drawn"
    FEW = "few"  # fewer than the small-number threshold answered both before and after
    HIDDEN = "hidden"  # enough answered, but every mean change is hidden by the rule

    @property
    def key(self) -> str:
        """What /export says: the chart's caption, or why there is none."""
        return {Chart.FEW: "export.chart-few", Chart.HIDDEN: "export.chart-hidden"}.get(
            self, "export.chart-title"
        )

    def described(self, small: int) -> tuple[str, str, str]:
        """The dictionary's row about the chart."""
        meaning = {
            Chart.DRAWN: "the mean change from before to after per survey item, for everyone"
            " and by engagement level, as bars (a hidden mean has no bar); outcomes.png in a"
            " ZIP, a picture beside the workbook",
            Chart.FEW: f"no chart: fewer than {small} people answered both before and after",
            Chart.HIDDEN: "no chart: every mean change is hidden (see n in outcomes), so that a"
            f" figure about fewer than {small} people cannot be worked out",
        }[self]
        return ("chart", "outcomes.png", meaning)


@dataclass(frozen=True)
class ExportResult:
    weeks: int  # group weeks
    outcomes: int  # outcome rows
    broadcasts: int
    chart: bytes | None  # the outcome chart (PNG), if any of it may be shown
    drawn: Chart = Chart.DRAWN  # and if not, why


@dataclass(frozen=True)
class _Read:
    """What an export reads from the database, disclosed, for the worker to build from."""

    weekly: Weekly
    earlier: list[tuple[GroupWeeks, WeeklyPatterns, int]]
    everyone: list[Group]
    organisations: dict[int, str]
    answers: list[AnswerRow]
    active_weeks: list[ActiveWeeks]
    reached: list[BroadcastReach]
    posts: list[PostMonth] = field(default_factory=list)
    polls: list[tuple[Poll, list[PollGroup]]] = field(default_factory=list)
    # co-development groups: (group, programme week, pseudonym) of everyone active
    loop: list[tuple[int, int, str]] = field(default_factory=list)
    seasons: dict[int, Season] = field(default_factory=dict)  # current, by group


@dataclass(frozen=True)
class Recipe:
    """What a process of its own needs to build an export as the bot's service would
    (plain data: it travels by pickle)."""

    database: str  # the SQLite file or the PostgreSQL URL
    admins: frozenset[int]
    pseudonyms: Pseudonyms  # with its key: staff activity is left out by pseudonym
    survey: Survey
    small_numbers: int
    language: str  # the deployment's default language

    def service(self, database: Database, now: dt.datetime) -> ExportService:
        translator = Translator.load(self.language)
        clock = FixedClock(now)  # "today" is the asker's moment, not the child's
        stats = StatsService(
            database,
            clock,
            self.admins,
            self.pseudonyms,
            translator,
            small_numbers=self.small_numbers,
        )
        return ExportService(
            database,
            self.admins,
            stats,
            self.survey,
            pseudonyms=self.pseudonyms,
            translator=translator,
            clock=clock,
        )


@dataclass(frozen=True)
class Job:
    """One export for ``build_apart``: a file to write (``target``), or None to send the
    file's bytes back."""

    recipe: Recipe
    now: dt.datetime
    target: str | None
    kind: str
    groups: list[Group]  # the exported groups (registered ones)
    since: dt.date | None
    until: dt.date | None
    language: str


def build_apart(job: Job) -> tuple[ExportResult, bytes | None]:
    """An export, in a process of its own (``apart.run``): its result, and the file's bytes
    when it was not written to ``job.target``."""
    return asyncio.run(_build_apart(job))


async def _build_apart(job: Job) -> tuple[ExportResult, bytes | None]:
    database = Database(job.recipe.database)
    await database.connect()
    try:
        service = job.recipe.service(database, job.now)
        target: str | IO[bytes] = io.BytesIO() if job.target is None else job.target
        result = await service.write_here(
            target,
            job.kind,
            job.groups,
            since=job.since,
            until=job.until,
            language=job.language,
        )
    finally:
        await database.close()
    return result, target.getvalue() if isinstance(target, io.BytesIO) else None


class Turns:
    """At most one export per organisation at a time; the others wait in the order they
    came. An export of several organisations (an admin's) takes each one's turn, in the
    organisations' order, so two exports never wait for each other. Only organisations
    with an export running or waiting are remembered."""

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._claims: dict[int, int] = {}  # exports running or waiting, by organisation

    def claim(self, organisations: Collection[int]) -> Place:
        """A place in the queues of ``organisations``, taken now (without waiting)."""
        keys = sorted(set(organisations))
        queued = any(self._claims.get(key, 0) for key in keys)
        for key in keys:
            self._claims[key] = self._claims.get(key, 0) + 1
            self._locks.setdefault(key, asyncio.Lock())
        return Place(self, keys, queued=queued)

    def _release(self, keys: list[int]) -> None:
        for key in keys:
            self._claims[key] -= 1
            if not self._claims[key]:
                del self._claims[key], self._locks[key]

    @property
    def remembered(self) -> int:
        """Organisations with an export running or waiting."""
        return len(self._locks)


class Place:
    """One export's place in its organisations' queues: ``async with`` waits for the turn
    and gives it to the next one at the end; ``give_up()`` leaves a place never used."""

    def __init__(self, turns: Turns, keys: list[int], *, queued: bool) -> None:
        self.queued = queued  # another export of one of them was running or waiting
        self._turns = turns
        self._keys = keys
        self._held: list[asyncio.Lock] = []
        self._done = False

    async def __aenter__(self) -> None:
        try:
            for key in self._keys:
                lock = self._turns._locks[key]
                await lock.acquire()
                self._held.append(lock)
        except BaseException:
            self.give_up()
            raise

    async def __aexit__(self, *_: object) -> None:
        self.give_up()

    def give_up(self) -> None:
        if self._done:
            return
        self._done = True
        for lock in reversed(self._held):
            lock.release()
        self._turns._release(self._keys)


class ExportService:
    def __init__(
        self,
        database: Database,
        admins: Collection[int],
        stats: StatsService,
        survey: Survey,
        *,
        pseudonyms: Pseudonyms,
        translator: Translator,
        clock: Clock,
    ) -> None:
        self._clock = clock
        self._database = database
        self._admins = frozenset(admins)
        self._stats = stats
        self._survey = survey
        self._pseudonyms = pseudonyms
        self._translator = translator
        self.turns = Turns()
        # the dashboard's outcome summary and what it was worked out from (``_outcomes_in``)
        self._outcomes: _KnownOutcomes | None = None

    def claim(self, groups: list[Group]) -> Place:
        """A place in the export queue of the groups' organisations (``Turns``)."""
        return self.turns.claim(
            {g.organisation_id for g in groups if g.organisation_id is not None}
        )

    async def groups_for(
        self, actor_id: int | None, organisation: str | None = None
    ) -> list[Group]:
        """The groups an export may hold: those a coordinator sees (their organisation's,
        ``bot/services/access.py``); an admin's (or the command line's, ``actor_id`` None)
        all, or one organisation's by name."""
        async with self._database.transaction() as tx:
            if actor_id is not None:
                actor = await load_actor(tx, actor_id, self._admins)
                require_coordinator(actor)
                if not actor.is_admin:
                    return await visible_groups(tx, actor)
            if organisation is None:
                return await tx.groups.all()
            found = [o for o in await tx.organisations.all() if o.name == organisation]
            if not found:
                raise DomainError("export.unknown-organisation", name=organisation)
            return await tx.groups.of_organisation(found[0].id)

    async def write(
        self,
        target: str | IO[bytes],
        groups: list[Group],
        *,
        kind: str = "xlsx",
        since: dt.date | None = None,
        until: dt.date | None = None,
        language: str = "en",
        actor: int | None = None,
    ) -> ExportResult:
        """Write the export; ``since``/``until`` (inclusive) limit the weeks and broadcasts
        by date (the outcome summary covers the whole programme). ``actor``: who asked
        (None: the command line), for the audit log."""
        result = await self._write(
            target, kind, groups, since=since, until=until, language=language
        )
        async with self._database.transaction() as tx:
            await tx.audit.add(
                self._clock.now(),
                actor,
                AuditAction.EXPORT,
                counted(len(groups), "group"),
                format=kind,
                since=since.isoformat() if since else None,
                until=until.isoformat() if until else None,
                weeks=result.weeks,
            )
        return result

    async def for_chat(
        self, actor_id: int, groups: list[Group], *, kind: str, language: str
    ) -> tuple[File, bytes | Text]:
        """/export: the file named by today's date with a caption of what it holds, and the
        outcome chart, or when none may be drawn, a line saying why; refused when the file
        is too big for a chat."""
        buffer = io.BytesIO()
        result = await self.write(buffer, groups, kind=kind, language=language, actor=actor_id)
        data = buffer.getvalue()
        if len(data) > UPLOAD_LIMIT:
            raise DomainError("export.too-big")
        day = self._clock.now().date().isoformat()
        caption = Text(
            "export.done",
            {
                "weeks": Text("export.count-weeks", {"count": result.weeks}),
                "broadcasts": Text("export.count-broadcasts", {"count": result.broadcasts}),
                "groups": Text("export.count-groups", {"count": len(groups)}),
                "small": self._stats.small_numbers,
            },
        )
        chart: bytes | Text = (
            result.chart
            if result.chart is not None
            else Text(result.drawn.key, {"small": self._stats.small_numbers})
        )
        return File(data, f"kannustin-{day}.{kind}", caption), chart

    async def _write(
        self,
        target: str | IO[bytes],
        kind: str,
        groups: list[Group],
        *,
        since: dt.date | None,
        until: dt.date | None,
        language: str,
    ) -> ExportResult:
        """Read and build in a process of its own (``bot/runtime/apart.py``); with an
        in-memory database, here."""
        exported = [g for g in groups if g.organisation_id is not None]
        if self._database.is_memory:
            return await self.write_here(
                target, kind, exported, since=since, until=until, language=language
            )
        job = Job(
            Recipe(
                self._database.path,
                self._admins,
                self._pseudonyms.resolved(),
                self._survey,
                self._stats.small_numbers,
                self._translator.default,
            ),
            self._clock.now(),
            target if isinstance(target, str) else None,
            kind,
            exported,
            since,
            until,
            language,
        )
        result, data = await apart.run(build_apart, job)
        if data is not None and not isinstance(target, str):
            target.write(data)
        return result

    async def write_here(
        self,
        target: str | IO[bytes],
        kind: str,
        exported: list[Group],
        *,
        since: dt.date | None,
        until: dt.date | None,
        language: str,
    ) -> ExportResult:
        """Read in a snapshot of this database and build the file in a worker thread."""
        async with self._database.reading() as tx:
            read = await self._read(exported, tx)
        return await asyncio.to_thread(
            functools.partial(
                self._build,
                target,
                kind,
                read,
                exported,
                since=since,
                until=until,
                language=language,
            )
        )

    async def _read(self, exported: list[Group], tx: Transaction) -> _Read:
        """Everything the export shows, disclosed."""
        figures = await self._stats.figures_in(tx)
        earlier = await self._stats.weeks_of(tx, exported, past=True)
        everyone = [g.group for g in figures.groups]  # every registered group
        ids = [g.id for g in everyone]
        answers = await tx.surveys.answers(ids)
        active_weeks = await tx.analytics.active_weeks(
            ids, await self._stats.staff_pseudonyms(tx, ids)
        )
        organisations = {o.id: o.name for o in await tx.organisations.all()}
        reached = await tx.analytics.broadcast_reach(
            await tx.analytics.broadcasts_to([g.id for g in exported])
        )
        weekly = await self._stats.disclosed(figures)
        alone = await self._stats.disclosed_alone(earlier)
        exported_ids = [g.id for g in exported]
        codev = [g.id for g in exported if g.kind == GroupKind.CODEV]
        staff = await self._stats.staff_pseudonyms(tx, codev) if codev else []
        return _Read(
            weekly,
            alone,
            everyone,
            organisations,
            answers,
            active_weeks,
            reached,
            posts=await tx.posts.monthly(exported_ids),
            polls=await tx.polls.closed_in(exported_ids),
            loop=await tx.analytics.active_people(codev, staff),
            seasons={s.group_id: s for s in await tx.seasons.of_groups(codev)},
        )

    async def dashboard(
        self, actor_id: int, group_id: int | None, season: int | None, language: str
    ) -> Dashboard:
        """The Mini App's dashboard (``StatsService.dashboard``) with the broadcasts to its
        groups and their reach, and the before-and-after survey summary: the export's
        figures, through the export's patterns (by organisation for a broadcast's reach;
        for the outcomes, each group, and the groups together when an export adds them
        up: all of them or one organisation's)."""
        board = await self._stats.dashboard(actor_id, group_id, season)
        shown = {g.id for g in board.groups}
        async with self._database.reading() as tx:
            registered = [g for g in await tx.groups.all() if g.organisation_id is not None]
            outcomes = await self._outcomes_in(tx, registered)
            reached = await tx.analytics.broadcast_reach(
                (await tx.analytics.broadcasts_to(sorted(shown)))[-DASHBOARD_BROADCASTS:]
            )
        organisations = {g.organisation_id for g in registered if g.id in shown}
        reactions, replies = reach(reached, self._stats.small_numbers)
        by_broadcast: dict[int, list[BroadcastReach]] = defaultdict(list)
        for row in reached:
            if row.organisation_id in organisations:
                by_broadcast[row.broadcast_id].append(row)
        broadcasts = [
            DashboardBroadcast(
                number,
                rows[0].sent_at,
                rows[0].tip,
                sum(row.groups for row in rows),
                sum(row.delivered for row in rows),
                reactions[number].value(organisations),
                replies[number].value(organisations),
            )
            for number, rows in sorted(by_broadcast.items(), reverse=True)
        ]
        rows = self._outcome_rows(outcomes, shown, language)
        return replace(board, broadcasts=broadcasts, outcomes=rows)

    async def _outcomes_in(self, tx: Transaction, registered: list[Group]) -> Outcomes:
        """The outcome summary over every registered group, as the export works it out;
        remembered while what it is worked out from stays the same, so the dashboard's
        readers do not each read every answer again: the answers, the groups and their
        staff (``figure_inputs``) and everyone's engagement level (read again when the
        activity changed: one more message seldom moves anyone to another level)."""
        inputs = await tx.analytics.figure_inputs()
        remembered = self._outcomes
        if inputs is not None and remembered is not None and remembered.inputs == inputs:
            return remembered.outcomes
        ids = [g.id for g in registered]
        staff = await self._stats.staff_pseudonyms(tx, ids)
        levels = _levels(await tx.analytics.active_weeks(ids, staff))
        if (
            inputs is not None
            and remembered is not None
            and (remembered.inputs.answers, remembered.inputs.other)
            == (inputs.answers, inputs.other)
            and remembered.levels == levels
        ):
            self._outcomes = replace(remembered, inputs=inputs)
            return remembered.outcomes
        answers = await tx.surveys.answers(ids)
        items = {item.id: item.scale for item in self._survey.items}
        outcomes = await asyncio.to_thread(
            lambda: Outcomes(
                _pairs(answers, items, levels), registered, items, self._stats.small_numbers
            )
        )
        self._outcomes = None if inputs is None else _KnownOutcomes(inputs, levels, outcomes)
        return outcomes

    def _outcome_rows(
        self, outcomes: Outcomes, shown: set[int], language: str
    ) -> list[DashboardOutcome]:
        """Per survey item, each shown group's outcome row and, when the export adds the
        shown groups up (all groups, or one organisation's), theirs together."""
        names = {item.id: item.name(language) for item in self._survey.items}
        together = frozenset(shown)
        cells: list[tuple[int | None, Figure]] = [
            (group, outcomes.group_cell(group)) for group in sorted(shown)
        ]
        if len(shown) > 1 and together in outcomes.scopes:
            cells.append((None, outcomes.scope_cell(together)))
        rows = []
        for item, name in names.items():
            for group, cell in cells:
                n, before, after, _ = outcomes.row(item, cell)
                counted = n if isinstance(n, int) else None
                rows.append(
                    DashboardOutcome(
                        item,
                        name,
                        group,
                        counted,
                        _mean(before),
                        _mean(after),
                        None if counted is not None else str(n),
                    )
                )
        return rows

    def _build(
        self,
        target: str | IO[bytes],
        kind: str,
        read: _Read,
        exported: list[Group],
        *,
        since: dt.date | None,
        until: dt.date | None,
        language: str,
    ) -> ExportResult:
        """The tables, the chart and the file, from what was read."""
        writer: TableWriter = XlsxWriter(target) if kind == "xlsx" else CsvZipWriter(target)
        try:
            small = self._stats.small_numbers
            weeks = weekly_table(
                writer,
                read.weekly,
                exported,
                read.organisations,
                since=since,
                until=until,
                earlier=read.earlier,
            )
            items = {item.id: item.scale for item in self._survey.items}
            pairs = _pairs(read.answers, items, _levels(read.active_weeks))
            outcomes = Outcomes(pairs, read.everyone, items, small)
            rows, changes = outcomes.table(exported, _scope(exported, read.everyone))
            writer.start("outcomes", _columns("outcomes"))
            writer.rows(rows)
            chart = self._chart(writer, changes, language)
            drawn = (
                Chart.DRAWN
                if chart is not None
                else outcomes.missing(_scope(exported, read.everyone))
            )
            broadcasts = _broadcasts(
                writer, read.reached, exported, small, since=since, until=until
            )
            _posts(writer, read.posts, exported, small, since=since, until=until)
            _polls(writer, read.polls, exported, small, since=since, until=until)
            _loop(writer, read.loop, read.seasons, exported, small, since=since, until=until)
            about_chart = drawn.described(small)
            writer.dictionary({**DICTIONARY, about_chart[0]: [about_chart[1:]]})
        finally:
            writer.close()
        log.info(
            "export: %d group weeks, %d outcome rows, %d broadcasts", weeks, len(rows), broadcasts
        )
        return ExportResult(weeks, len(rows), broadcasts, chart, drawn)

    def _chart(
        self, writer: TableWriter, changes: dict[str, list[float | None]], language: str
    ) -> bytes | None:
        """The mean change for everyone and by engagement level as bars, if any may be
        shown."""
        if not any(value is not None for series in changes.values() for value in series):
            return None
        chart = bar_chart(*self.outcome_drawing(changes, language))
        writer.add_file("outcomes.png", chart)
        return chart

    def outcome_drawing(
        self, changes: dict[str, list[float | None]], language: str
    ) -> tuple[str, list[str], dict[str, list[float | None]], str]:
        """What the outcome chart draws (``bot/formats/charts.py``'s ``bar_figure``), all in
        ``language``: its title, the survey items' short names along the axis (in the
        survey's order, as ``changes`` has them), a series per engagement level, the note."""
        t = self._translator
        return (
            t.text(language, "export.chart-title"),
            [item.name(language) for item in self._survey.items],
            {t.text(language, LEVEL_KEYS[level]): values for level, values in changes.items()},
            t.text(language, "export.chart-note", small=self._stats.small_numbers),
        )


def _columns(table: str) -> list[str]:
    return [column for column, _ in DICTIONARY[table]]


def _within(day: dt.date, since: dt.date | None, until: dt.date | None) -> bool:
    return (since is None or day >= since) and (until is None or day <= until)


def _level(active_weeks: int) -> str:
    return next(name for name, low, high in LEVELS if low <= active_weeks <= high)


def _scope(exported: list[Group], everyone: list[Group]) -> frozenset[int]:
    """The groups an export adds up: the exported ones (all, or one organisation's)."""
    return frozenset(g.id for g in exported) & frozenset(g.id for g in everyone)


def shown(pattern: WeeklyPatterns, measure: str, week: int, ids: list[int], value: float) -> Cell:
    """A weekly figure as an exported cell: the number, or ``<5`` / ``x``."""
    if pattern.shows(measure, week, ids):
        return value
    return pattern.text(measure, week, ids, value)


def weekly_table(
    writer: TableWriter,
    weekly: Weekly,
    exported: list[Group],
    organisations: dict[int, str],
    *,
    since: dt.date | None,
    until: dt.date | None,
    earlier: Sequence[tuple[GroupWeeks, WeeklyPatterns, int]] = (),
) -> int:
    """Per group, its earlier seasons' weeks (each disclosed on its own) and then its
    current season's; returns the rows."""
    writer.start("weekly", _columns("weekly"))
    before: dict[int, list[tuple[GroupWeeks, WeeklyPatterns, int]]] = defaultdict(list)
    for entry in earlier:
        before[entry[0].group.id].append(entry)
    count = 0
    for current in weekly.of(exported):
        group = current.group
        for group_weeks, pattern, key in [
            *sorted(before[group.id], key=lambda entry: entry[0].season),
            (current, weekly.shown, group.id),
        ]:
            count += _season_rows(
                writer, group_weeks, pattern, key, organisations, since=since, until=until
            )
    return count


def _season_rows(
    writer: TableWriter,
    group_weeks: GroupWeeks,
    pattern: WeeklyPatterns,
    key: int,
    organisations: dict[int, str],
    *,
    since: dt.date | None,
    until: dt.date | None,
) -> int:
    """One season's weeks of one group; ``key``: the group as its pattern knows it."""
    group = group_weeks.group
    one = [key]
    count = 0
    for cell in group_weeks.weeks:
        begins = (group_weeks.starts or start_day(group)) + dt.timedelta(weeks=cell.week - 1)
        if (since and begins + dt.timedelta(days=6) < since) or (until and begins > until):
            continue
        confidence = cell.confidence  # shown only over enough ratings: never None then
        writer.rows(
            [
                (
                    group.id,
                    group.name,
                    organisations.get(group.organisation_id or 0, ""),
                    group.kind.value,
                    group_weeks.season,
                    cell.week,
                    begins.isoformat(),
                    *(
                        shown(pattern, measure, cell.week, one, getattr(cell, measure))
                        for _, measure in WEEKLY
                    ),
                    shown(pattern, "confidence_sum", cell.week, one, round(confidence or 0, 2)),
                    cell.broadcasts,
                )
            ]
        )
        count += 1
    return count


# The outcome summary ----------------------------------------------------------------------------

Pair = tuple[int, str, int, int]  # group, engagement level, before, after


def _levels(active_weeks: list[ActiveWeeks]) -> dict[tuple[int, str], str]:
    """Everyone's engagement level in their group, by how many weeks they were active."""
    return {(a.group_id, a.pseudonym): _level(a.weeks) for a in active_weeks}


def _pairs(
    answers: list[AnswerRow],
    items: Mapping[str, tuple[int, int]],
    levels: Mapping[tuple[int, str], str],
) -> dict[str, list[Pair]]:
    """Per item: everyone's before and after answer, with their group and engagement level
    (``_levels``; kept in memory only: never a row of the export)."""
    wide: dict[tuple[int, str, str], dict[str, int | None]] = defaultdict(dict)
    for answer in answers:
        wide[(answer.group_id, answer.pseudonym, answer.round)][answer.item] = answer.value
    pairs: dict[str, list[Pair]] = {item: [] for item in items}
    for (group_id, pseudonym, round_name), values in wide.items():
        if round_name != Round.BEFORE:
            continue
        after = wide.get((group_id, pseudonym, Round.AFTER), {})
        level = levels.get((group_id, pseudonym), "low")
        for item in items:
            before_value, after_value = values.get(item), after.get(item)
            if before_value is not None and after_value is not None:
                pairs[item].append((group_id, level, before_value, after_value))
    return pairs


@dataclass(frozen=True)
class _KnownOutcomes:
    """The dashboard's outcome summary and what it was worked out from."""

    inputs: FigureInputs
    levels: dict[tuple[int, str], str]
    outcomes: Outcomes


class Outcomes:
    """The outcome summary's figures for every registered group and every scope an export
    can have (all groups, each organisation's), with one disclosure pattern per item over
    all of them: n per group, per scope and per scope and engagement level, and the
    before and after means following their n."""

    def __init__(
        self,
        pairs: Mapping[str, list[Pair]],
        groups: list[Group],
        scales: Mapping[str, tuple[int, int]],
        small: int,
    ) -> None:
        self.small = small
        self.levels = [name for name, _, _ in LEVELS]
        self.scopes: list[frozenset[int]] = [frozenset(g.id for g in groups)]
        by_organisation: dict[int | None, set[int]] = defaultdict(set)
        for group in groups:
            by_organisation[group.organisation_id].add(group.id)
        self.scopes += [frozenset(ids) for ids in by_organisation.values()]
        self.groups = [g.id for g in groups]
        self.figures: dict[
            str, tuple[dict[Hashable, int], dict[Hashable, float], dict[Hashable, float]]
        ] = {}
        self.patterns: dict[str, tuple[Pattern, Pattern, Pattern]] = {}
        for item, scale in scales.items():
            counts: dict[Hashable, int] = defaultdict(int)
            before: dict[Hashable, float] = defaultdict(float)
            after: dict[Hashable, float] = defaultdict(float)
            for group_id, level, first, last in pairs.get(item, []):
                counts[(group_id, level)] += 1
                before[(group_id, level)] += first
                after[(group_id, level)] += last
            cells, families = self._cells()
            base = suppress(counts, cells, small, families=families)
            self.figures[item] = (counts, before, after)
            self.patterns[item] = (
                base,
                follow(base, counts, before, per_person=scale, families=families),
                follow(base, counts, after, per_person=scale, families=families),
            )

    def group_cell(self, group_id: int) -> Figure:
        return frozenset((group_id, level) for level in self.levels)

    def scope_cell(self, scope: frozenset[int], level: str | None = None) -> Figure:
        levels = self.levels if level is None else [level]
        return frozenset((g, name) for g in scope for name in levels)

    def _cells(self) -> tuple[list[Figure], list[list[Figure]]]:
        groups = [self.group_cell(g) for g in self.groups]
        families: list[list[Figure]] = [groups]
        cells = list(groups)
        for scope in self.scopes:
            by_level = [self.scope_cell(scope, level) for level in self.levels]
            families.append(by_level)
            cells += [self.scope_cell(scope), *by_level]
        organisations = self.scopes[1:]
        families.append([self.scope_cell(scope) for scope in organisations])
        for level in self.levels:
            families.append([self.scope_cell(scope, level) for scope in organisations])
        return cells, families

    def row(self, item: str, cell: Figure) -> list[Cell]:
        """n, mean before, mean after, mean change; a hidden n shows its mark, a mean over
        a hidden n (or one that would give a hidden one away) is empty."""
        counts, before, after = self.figures[item]
        people, first, last = self.patterns[item]
        n = sum(counts.get(atom, 0) for atom in cell)
        if not people.shows(cell):
            return [people.text(cell, n), None, None, None]
        mean_before = sum(before.get(atom, 0) for atom in cell) / n
        mean_after = sum(after.get(atom, 0) for atom in cell) / n
        shows_before, shows_after = first.shows(cell), last.shows(cell)
        return [
            n,
            round(mean_before, 3) if shows_before else None,
            round(mean_after, 3) if shows_after else None,
            round(mean_after - mean_before, 3) if shows_before and shows_after else None,
        ]

    def missing(self, scope: frozenset[int]) -> Chart:
        """Why the chart of ``scope`` shows nothing: too few answered both before and
        after for every item (what the outcome table's n says as well), or the rule hid
        every change."""
        everyone = self.scope_cell(scope)
        most = max(
            (
                sum(counts.get(atom, 0) for atom in everyone)
                for counts, _, _ in self.figures.values()
            ),
            default=0,
        )
        return Chart.FEW if most < self.small else Chart.HIDDEN

    def table(
        self, exported: list[Group], scope: frozenset[int]
    ) -> tuple[list[list[Cell]], dict[str, list[float | None]]]:
        """The outcome rows of an export of ``exported`` (adding up ``scope``), and the mean
        change for everyone and per engagement level for the chart."""
        rows: list[list[Cell]] = []
        chart: dict[str, list[float | None]] = {"all": []}
        chart |= {level: [] for level in self.levels}
        for item in self.figures:
            for group in exported:
                if group.id in self.groups:
                    rows.append(
                        [group.id, group.name, item, *self.row(item, self.group_cell(group.id))]
                    )
            if not scope:
                continue
            row = self.row(item, self.scope_cell(scope))
            rows.append([None, ALL_GROUPS, item, *row])
            chart["all"].append(_change(row))
            for level in self.levels:
                row = self.row(item, self.scope_cell(scope, level))
                rows.append([None, f"engagement: {level}", item, *row])
                chart[level].append(_change(row))
        return rows, chart


def _mean(value: Cell) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _change(row: list[Cell]) -> float | None:
    """An outcome row's mean change, None when it is hidden."""
    return _mean(row[3])


# Broadcasts -------------------------------------------------------------------------------------


def _broadcasts(
    writer: TableWriter,
    reached: list[BroadcastReach],
    exported: list[Group],
    small: int,
    *,
    since: dt.date | None,
    until: dt.date | None,
) -> int:
    """One row per broadcast: its groups among the exported ones, and the reactions and
    replies there as the disclosure rule lets them be shown (by organisation, the same
    pattern as /broadcasts)."""
    writer.start("broadcasts", _columns("broadcasts"))
    organisations = {g.organisation_id for g in exported}
    reactions, replies = reach(reached, small)
    by_broadcast: dict[int, list[BroadcastReach]] = defaultdict(list)
    for row in reached:
        by_broadcast[row.broadcast_id].append(row)
    written = 0
    for number, rows in sorted(by_broadcast.items()):
        mine = [row for row in rows if row.organisation_id in organisations]
        day = rows[0].sent_at.date()
        if not mine or not _within(day, since, until):
            continue
        writer.rows(
            [
                (
                    number,
                    day.isoformat(),
                    rows[0].tip or "",
                    sum(row.groups for row in mine),
                    sum(row.delivered for row in mine),
                    _split_cell(reactions[number], organisations),
                    _split_cell(replies[number], organisations),
                )
            ]
        )
        written += 1
    return written


def _month_within(month: str, since: dt.date | None, until: dt.date | None) -> bool:
    """Whether any day of ``month`` (YYYY-MM) is in the exported range."""
    first = dt.date.fromisoformat(f"{month}-01")
    last = (first + dt.timedelta(days=31)).replace(day=1) - dt.timedelta(days=1)
    return (since is None or last >= since) and (until is None or first <= until)


def _posts(
    writer: TableWriter,
    months: list[PostMonth],
    exported: list[Group],
    small: int,
    *,
    since: dt.date | None,
    until: dt.date | None,
) -> None:
    """Per group and month, participants' posts (``bot/services/voice.py``)."""
    writer.start("posts", _columns("posts"))
    groups = {g.id: g for g in exported}
    for month in months:
        if not _month_within(month.month, since, until):
            continue
        group = groups[month.group_id]
        shown = post_figures(month, small)
        row = (shown.sharers, shown.shared, shown.approved, shown.withdrawn)
        writer.rows([(group.id, group.title, group.kind, month.month, *row)])


def _polls(
    writer: TableWriter,
    polls: list[tuple[Poll, list[PollGroup]]],
    exported: list[Group],
    small: int,
    *,
    since: dt.date | None,
    until: dt.date | None,
) -> None:
    """Per closed poll: each exported group's voters, and all its groups together when
    every one of them is exported (``bot/services/voice.py``)."""
    writer.start("polls", _columns("polls"))
    groups = {g.id: g for g in exported}
    for poll, entries in polls:
        shown = poll_voters(poll, entries, small)
        if not _within(shown.day, since, until):
            continue
        day = shown.day.isoformat()
        for group_id, voters in shown.voters.items():
            if group_id in groups:
                writer.rows([(poll.id, day, group_id, groups[group_id].title, voters)])
        if shown.together is not None and all(g in groups for g in shown.voters):
            writer.rows([(poll.id, day, "", ALL_GROUPS, shown.together)])


def _loop(
    writer: TableWriter,
    active: list[tuple[int, int, str]],
    seasons: Mapping[int, Season],
    exported: list[Group],
    small: int,
    *,
    since: dt.date | None,
    until: dt.date | None,
) -> None:
    """Co-development groups, month by month (``bot/services/voice.py``)."""
    writer.start("loop", _columns("loop"))
    groups = {g.id: g for g in exported}
    for month in loop_months(active, seasons, groups, small):
        if _month_within(month.month, since, until):
            group = groups[month.group_id]
            writer.rows([(group.id, group.title, month.month, month.phase, month.active)])


def _split_cell(figure: Split, within: Collection[Hashable]) -> Cell:
    value = figure.value(within)
    return figure.text(within) if value is None else value
