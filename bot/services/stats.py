"""How groups are doing, per programme week: members, active participants, messages,
reactions, plans set and done, average confidence, broadcasts delivered; and /stats, the
same as text that reads on a phone or as a chart.

Figures come from the daily roll-up of the engagement log (``activity``), the check-ins
and the membership records; the groups' instructors and other staff are left out, so
"active" means participants. The figures are exact; ``protect`` hides a figure about
fewer than ``small_numbers`` people wherever one is shown (chat, charts, the outcome
summary), and a week's change is only shown when both weeks' figures may be.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field

from bot.clock import Clock
from bot.errors import DomainError
from bot.formats.charts import Labels, weekly_chart
from bot.i18n import Lines, Text, Translator, Words, decimal
from bot.pseudonyms import Pseudonyms
from bot.replies import Button, Reply, in_rows
from bot.services.access import load_actor, managed_group, require_staff
from storage import Database, Transaction
from storage.analytics import day_number
from storage.groups import Group

MAX_WEEKS = 52
GROUP = "st:g:"  # st:g:GROUP — one group's weeks
CHART = "st:c:"  # st:c:GROUP (0: every group the person sees)
MAX_BUTTONS = 20


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
    done: int = 0
    confidence_sum: int = 0
    broadcasts: int = 0

    @property
    def confidence(self) -> float | None:
        return self.confidence_sum / self.planned if self.planned else None

    def add(self, other: Week) -> None:
        for name in (
            "members",
            "active",
            "messages",
            "reactions",
            "taps",
            "invited",
            "planned",
            "done",
            "confidence_sum",
            "broadcasts",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class GroupWeeks:
    group: Group
    weeks: list[Week] = field(default_factory=list)


@dataclass(frozen=True)
class Scope:
    """What the actor asked to see: one group, or every group they may see."""

    groups: list[Group]
    organisation: str | None  # the organisation's name for an overview, None for one group


def protect(value: int | float | None, people: int, small: int, *, decimals: int = 0) -> str:
    """``value`` as text, or ``<small`` when it is about fewer than ``small`` people."""
    if value is None:
        return "–"
    if people < small:
        return f"<{small}"
    return f"{value:.{decimals}f}"


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
    ) -> None:
        self._database = database
        self._clock = clock
        self._admins = frozenset(admins)
        self._pseudonyms = pseudonyms
        self._translator = translator
        self.small_numbers = small_numbers

    async def report(self, actor_id: int, group_id: int | None) -> Reply:
        """/stats: one group's weeks, or an overview of every group the actor sees, with a
        chart button (and for an overview, a button per group)."""
        scope = await self.scope(actor_id, group_id)
        groups = await self.weekly(scope.groups)
        small = self.small_numbers
        text = (
            _group_text(groups[0], small) if len(groups) == 1 else _overview(scope, groups, small)
        )
        rows: list[tuple[Button, ...]] = [
            (Button(Text("stats.chart-button"), data=f"{CHART}{group_id or 0}"),)
        ]
        if len(groups) > 1:
            choices = [
                Button(g.group.name[:30], data=f"{GROUP}{g.group.id}") for g in groups[:MAX_BUTTONS]
            ]
            rows += in_rows(choices, 2)
        return Reply(text, tuple(rows))

    async def chart(self, actor_id: int, group_id: int | None, language: str) -> tuple[bytes, Text]:
        """/stats chart: active participants and check-in completion per week as a picture
        (drawn off the event loop), and its caption."""
        scope = await self.scope(actor_id, group_id)
        groups = await self.weekly(scope.groups)
        small = self.small_numbers

        def say(words: Words) -> str:
            return self._translator.render(language, words)

        title = _title(scope, groups)
        active, completion = chart_series(groups, small, all_label=say(Text("stats.all-groups")))
        labels = Labels(
            title=say(title).removeprefix("📊 "),
            active=say(Text("stats.chart-active")),
            completion=say(Text("stats.chart-completion")),
            week=say(Text("stats.chart-week")),
            hidden=say(_small_note(small)),
        )
        picture = await asyncio.to_thread(weekly_chart, labels, active, completion)
        return picture, title

    async def scope(self, actor_id: int, group_id: int | None = None) -> Scope:
        """One group the actor manages, or all they oversee: an admin every group, a
        coordinator their organisation's, an instructor those they lead."""
        async with self._database.transaction() as tx:
            if group_id is not None:
                return Scope([await managed_group(tx, actor_id, group_id, self._admins)], None)
            actor = await load_actor(tx, actor_id, self._admins)
            require_staff(actor)
            if actor.is_admin:
                groups, name = await tx.groups.all(), None
            elif actor.is_coordinator and actor.organisation_id is not None:
                organisation = await tx.organisations.get(actor.organisation_id)
                groups = await tx.groups.of_organisation(actor.organisation_id)
                name = organisation.name if organisation else None
            else:
                groups, name = await tx.groups.led_by(actor_id), None
        registered = [g for g in groups if g.organisation_id is not None]
        if not registered:
            raise DomainError("stats.no-groups")
        return Scope(registered, name)

    async def weekly(self, groups: list[Group]) -> list[GroupWeeks]:
        async with self._database.transaction() as tx:
            return await self.weeks_of(tx, groups)

    async def staff_pseudonyms(self, tx: Transaction, group_ids: list[int]) -> list[str]:
        """Whose activity is not counted: the groups' instructors, all staff and admins."""
        staff = set(await tx.analytics.staff_ids(group_ids)) | self._admins
        return [self._pseudonyms.of(person) for person in sorted(staff)]

    async def weeks_of(self, tx: Transaction, groups: list[Group]) -> list[GroupWeeks]:
        """Every group's weeks from 1 to the current one (or the last with data)."""
        if not groups:
            return []
        ids = [g.id for g in groups]
        starts = {g.id: day_number(start_day(g)) for g in groups}
        exclude = await self.staff_pseudonyms(tx, ids)
        today = day_number(self._clock.now().date())
        table: dict[int, dict[int, Week]] = {g.id: {} for g in groups}

        def week(group_id: int, number: int) -> Week:
            return table[group_id].setdefault(number, Week(number))

        for row in await tx.analytics.activity_by_week(ids, exclude):
            if row.week > MAX_WEEKS:
                continue
            cell = week(row.group_id, row.week)
            cell.active = row.active
            cell.messages = row.messages + row.replies
            cell.reactions = row.reactions
            cell.taps = row.taps
            cell.broadcasts = row.broadcasts
        for plans in await tx.analytics.checkins_by_week(ids):
            if plans.week > MAX_WEEKS:
                continue
            cell = week(plans.group_id, plans.week)
            cell.invited = plans.invited
            cell.planned = plans.planned
            cell.done = plans.done
            cell.confidence_sum = plans.confidence_sum
        members: dict[int, list[tuple[int, int | None]]] = {g.id: [] for g in groups}
        for m in await tx.analytics.memberships(ids):
            left = None if m.left_at is None else day_number(m.left_at.date())
            members[m.group_id].append((day_number(m.joined_at.date()), left))
        for group_id, joined, until in await tx.analytics.erased_memberships(ids):
            members[group_id].append((day_number(joined), day_number(until)))
        result = []
        for group in groups:
            start = starts[group.id]
            current = max(1, min((today - start) // 7 + 1, MAX_WEEKS))
            last = max([current, *table[group.id]])
            weeks = [week(group.id, n) for n in range(1, last + 1)]
            for cell in weeks:
                begins = start + 7 * (cell.week - 1) if cell.week > 1 else -(10**9)
                ends = start + 7 * cell.week
                cell.members = sum(
                    1
                    for joined, left in members[group.id]
                    if joined < ends and (left is None or left >= begins)
                )
            result.append(GroupWeeks(group, weeks))
        return result


def _title(scope: Scope, groups: list[GroupWeeks]) -> Text:
    if len(groups) == 1:
        return Text("stats.group-header", {"group": groups[0].group.name})
    return Text(
        "stats.overview-header",
        {"name": scope.organisation or Text("stats.your-groups"), "count": len(groups)},
    )


def _group_text(group: GroupWeeks, small: int) -> Lines:
    lines: list[Words] = [Text("stats.group-header", {"group": group.group.name})]
    previous: Week | None = None
    for cell in group.weeks:
        lines += ["", *_week_lines(cell, previous, small)]
        previous = cell
    lines += ["", _small_note(small)]
    return Lines(tuple(lines))


def _overview(scope: Scope, groups: list[GroupWeeks], small: int) -> Lines:
    lines: list[Words] = [_title(scope, groups)]
    previous: Week | None = None
    for cell in totals(groups):
        lines += ["", *_week_lines(cell, previous, small)]
        previous = cell
    lines += ["", Text("stats.groups-header")]
    for g in groups:
        latest = g.weeks[-1]
        lines.append(
            Text(
                "stats.group-line",
                {
                    "number": g.group.id,
                    "group": g.group.name,
                    "week": latest.week,
                    "active": protect(latest.active, latest.active, small),
                    "members": protect(latest.members, latest.members, small),
                    "messages": protect(latest.messages, latest.active, small),
                },
            )
        )
    lines += ["", _small_note(small)]
    return Lines(tuple(lines))


def _week_lines(cell: Week, previous: Week | None, small: int) -> list[Words]:
    return [
        Text("stats.week", {"week": cell.week}),
        Text(
            "stats.people",
            {
                "members": protect(cell.members, cell.members, small),
                "active": protect(cell.active, cell.active, small),
                "change": _change(
                    cell.active,
                    cell.active,
                    None if previous is None else previous.active,
                    previous,
                    small,
                ),
            },
        ),
        Text(
            "stats.talk",
            {
                "messages": protect(cell.messages, cell.active, small),
                "change": _change(
                    cell.messages,
                    cell.active,
                    None if previous is None else previous.messages,
                    previous,
                    small,
                ),
                "reactions": protect(cell.reactions, cell.active, small),
            },
        ),
        Text(
            "stats.plans",
            {
                "planned": protect(cell.planned, cell.planned, small),
                "done": protect(cell.done, cell.done, small),
                "confidence": decimal(protect(cell.confidence, cell.planned, small, decimals=1)),
            },
        ),
        Text("stats.delivered", {"broadcasts": cell.broadcasts}),
    ]


def _change(value: int, people: int, before: int | None, previous: Week | None, small: int) -> str:
    """`` (+2)`` against the week before, when both weeks' figures may be shown."""
    if previous is None or before is None or people < small or previous.active < small:
        return ""
    difference = value - before
    return f" ({difference:+d})" if difference else " (±0)"


def _small_note(small: int) -> Text:
    return Text("stats.small-note", {"small": small})


def totals(groups: list[GroupWeeks]) -> list[Week]:
    """The groups' weeks added up, programme week by programme week."""
    summed: dict[int, Week] = {}
    for group in groups:
        for cell in group.weeks:
            summed.setdefault(cell.week, Week(cell.week)).add(cell)
    return [summed[number] for number in sorted(summed)]


def chart_series(
    groups: list[GroupWeeks], small: int, *, all_label: str, max_lines: int = 8
) -> tuple[dict[str, list[tuple[int, float | None]]], dict[str, list[tuple[int, float | None]]]]:
    """Active participants and check-in completion (% of plans done) per week, one line per
    group, or one for all of them when there are more than ``max_lines``. A value about
    fewer than ``small`` people is None (left out of the picture)."""
    lines = (
        [(g.group.name, g.weeks) for g in groups]
        if len(groups) <= max_lines
        else [(all_label, totals(groups))]
    )
    active: dict[str, list[tuple[int, float | None]]] = {}
    completion: dict[str, list[tuple[int, float | None]]] = {}
    for label, weeks in lines:
        active[label] = [(w.week, None if w.active < small else float(w.active)) for w in weeks]
        completion[label] = [
            (w.week, None if w.planned < small else 100.0 * w.done / w.planned) for w in weeks
        ]
    return active, completion
