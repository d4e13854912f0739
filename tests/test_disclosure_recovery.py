"""The disclosure rule against a reader who tries to work out what is hidden.

Random small deployments (organisations, groups of a few people, a few programme weeks,
instructors leading any groups) are rendered the way every reader gets them: each
reader's /stats (overview and every group), the charts' series, /checkins of every
group, and the coordinators' and admins' export tables. Everything shown is collected as
numbers, by figure (measure, week, the groups it adds up), and then attacked:

- the same figure in two views: both shown alike, or both hidden;
- a hidden figure from the shown ones: by any sums and differences (exact linear algebra
  over all of them), by a total minus its shown parts (the rest must be about at least
  five people), by the bounds a "<5" or "x" gives, searched through when the unknowns are
  few enough;
- means and percentages over hidden counts, a week's change next to a hidden week, and
  derived figures (messages of a hidden active count) that are shown or add up to zero.

None may succeed, and no figure about fewer than five people may be shown. The attack
is written apart from the rule (bot/services/disclosure.py): sharing its code would test
nothing.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.formats.tables import Cell as TableCell
from bot.formats.tables import TableWriter
from bot.i18n import Lines, PerLanguage, Text, Words
from bot.services.checkins import figures_line
from bot.services.exports import WEEKLY, weekly_table
from bot.services.stats import (
    PEOPLE,
    GroupWeeks,
    Scope,
    Week,
    Weekly,
    chart_series,
    disclose,
    group_text,
    overview,
    reader_scopes,
)
from storage.groups import Group
from storage.meetings import Meeting
from storage.states import GroupStatus, Language, MeetingStatus

SMALL = 5
START = dt.date(2026, 11, 2)
MOMENT = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
PLAN_PARTS = ("done", "partly", "not_yet")
DERIVED = {"messages": "active", "reactions": "active", "taps": "active"}
HIDDEN = "hidden"  # a gap in a chart: hidden, reason not said

Key = tuple[str, int, frozenset[int]]  # measure, week, the groups added up


# The deployment ------------------------------------------------------------------------------


@dataclass
class World:
    groups: list[Group]
    weeks: list[GroupWeeks]
    organisations: dict[int, list[Group]]
    instructors: list[list[Group]]

    def present(self, week: int) -> frozenset[int]:
        return frozenset(g.group.id for g in self.weeks if any(c.week == week for c in g.weeks))

    def true(self, measure: str, week: int, ids: Iterable[int]) -> int:
        total = 0
        for g in self.weeks:
            if g.group.id in ids:
                for cell in g.weeks:
                    if cell.week == week:
                        total += int(getattr(cell, measure))
        return total


def group(number: int, organisation: int) -> Group:
    return Group(
        id=number,
        chat_id=-number,
        organisation_id=organisation,
        title=f"G{number}",
        display_name=None,
        language=Language.FI,
        timezone="Europe/Helsinki",
        status=GroupStatus.ACTIVE,
        bot_is_admin=True,
        registered_by=1,
        created_at=MOMENT,
        updated_at=MOMENT,
        starts_on=START,
    )


@st.composite
def week_figures(draw: st.DrawFn, number: int) -> Week:
    people = st.integers(0, 12)
    members = draw(people)
    active = draw(st.integers(0, members))
    invited = draw(st.integers(0, members))
    planned = draw(st.integers(0, invited))
    reported = draw(st.integers(0, invited))
    done = draw(st.integers(0, reported))
    partly = draw(st.integers(0, reported - done))
    return Week(
        number,
        members=members,
        active=active,
        messages=0 if not active else draw(st.integers(0, 3 * active)),
        reactions=0 if not active else draw(st.integers(0, 2 * active)),
        taps=0 if not active else draw(st.integers(0, active)),
        invited=invited,
        planned=planned,
        done=done,
        partly=partly,
        not_yet=reported - done - partly,
        shared=draw(st.integers(0, done)),
        confidence_sum=draw(st.integers(0, 10 * planned)),
        broadcasts=draw(st.integers(0, 2)),
    )


@st.composite
def worlds(draw: st.DrawFn) -> World:
    count = draw(st.integers(2, 5))
    organisations = draw(st.integers(1, 2))
    groups = [group(n + 1, draw(st.integers(1, organisations))) for n in range(count)]
    weeks = [
        GroupWeeks(g, [draw(week_figures(w)) for w in range(1, draw(st.integers(1, 3)) + 1)])
        for g in groups
    ]
    by_organisation: dict[int, list[Group]] = defaultdict(list)
    for g in groups:
        assert g.organisation_id is not None
        by_organisation[g.organisation_id].append(g)
    some_groups = st.lists(
        st.sampled_from(groups), min_size=1, max_size=count, unique_by=lambda g: g.id
    )
    led = draw(st.lists(some_groups, max_size=3))
    return World(groups, weeks, dict(by_organisation), led)


# What every reader sees, as numbers -----------------------------------------------------------


@dataclass
class Seen:
    """Every figure shown anywhere: its key -> what each view showed (a number or a mark)."""

    figures: dict[Key, set[str]] = field(default_factory=lambda: defaultdict(set))
    changes: list[tuple[str, int, frozenset[int]]] = field(default_factory=list)
    percentages: list[Key] = field(default_factory=list)

    def add(self, measure: str, week: int, ids: Iterable[int], shown: object) -> None:
        value = _number(shown)
        if measure == "confidence" and is_number(value):
            value = "shown"  # a mean, to one or two decimals: shown or not is what counts
        self.figures[(measure, week, frozenset(ids))].add(value)


def _number(shown: object) -> str:
    if shown is None:
        return HIDDEN
    if isinstance(shown, PerLanguage):
        shown = shown.versions["en"]
    text = str(shown)
    if text in ("<5", "x", "–"):
        return text
    return str(Fraction(text))  # 8, 8.0 and "8" are one number


def texts(words: Words) -> Iterable[Text]:
    if isinstance(words, Text):
        yield words
    elif isinstance(words, Lines):
        for part in words.parts:
            yield from texts(part)


def read_stats(world: World, seen: Seen, words: Words, ids: Sequence[int]) -> None:
    """A /stats text: a week block's figures add up ``ids`` (those that have the week)."""
    week = 0
    for text in texts(words):
        p = text.params
        if text.key == "stats.week":
            week = int(str(p["week"]))
        here = [g for g in ids if g in world.present(week)]
        if text.key == "stats.people":
            seen.add("members", week, here, p["members"])
            seen.add("active", week, here, p["active"])
            if p["change"]:
                seen.changes.append(("active", week, frozenset(ids)))
        elif text.key == "stats.talk":
            seen.add("messages", week, here, p["messages"])
            seen.add("reactions", week, here, p["reactions"])
            if p["change"]:
                seen.changes.append(("messages", week, frozenset(ids)))
        elif text.key == "stats.plans":
            seen.add("planned", week, here, p["planned"])
            seen.add("done", week, here, p["done"])
            seen.add("confidence", week, here, p["confidence"])
        elif text.key == "stats.group-line":
            number, latest = int(str(p["number"])), int(str(p["week"]))
            for measure in ("active", "members", "messages"):
                seen.add(measure, latest, [number], p[measure])


class Rows(TableWriter):
    def __init__(self) -> None:
        self.header: list[str] = []
        self.table: list[Sequence[TableCell]] = []

    def start(self, name: str, header: Sequence[str]) -> None:
        self.header = list(header)

    def rows(self, rows: Iterable[Sequence[TableCell]]) -> None:
        self.table += list(rows)

    def close(self) -> None:
        pass


def render_everything(world: World) -> tuple[Seen, Weekly]:
    led = [(n, g.id) for n, groups in enumerate(world.instructors) for g in groups]
    weekly = Weekly(world.weeks, disclose(world.weeks, reader_scopes(world.groups, led), SMALL))
    shown = weekly.shown
    seen = Seen()
    readers = [world.groups, *world.organisations.values(), *world.instructors]
    for groups in readers:
        mine = weekly.of(groups)
        ids = [g.group.id for g in mine]
        if len(mine) > 1:
            read_stats(world, seen, overview(Scope(groups, "Org"), mine, shown), ids)
            read_chart(world, seen, mine, weekly)
        for one in mine:
            read_stats(world, seen, group_text(one, shown), [one.group.id])
            read_chart(world, seen, [one], weekly)
            read_checkins(seen, one, weekly)
    for groups in [world.groups, *world.organisations.values()]:  # admins', coordinators'
        writer = Rows()
        weekly_table(writer, weekly, groups, {}, since=None, until=None)
        for row in writer.table:
            values = dict(zip(writer.header, row, strict=True))
            week, number = int(str(values["week"])), int(str(values["group_id"]))
            for column, measure in WEEKLY:
                seen.add(measure, week, [number], values[column])
            seen.add("confidence", week, [number], values["confidence_mean"])
    return seen, weekly


def read_chart(world: World, seen: Seen, groups: list[GroupWeeks], weekly: Weekly) -> None:
    active, completion = chart_series(groups, weekly.shown, all_label="all")
    for label, points in active.items():
        ids = [g.group.id for g in groups if label in ("all", g.group.name)]
        for week, value in points:
            seen.add("active", week, [g for g in ids if g in world.present(week)], value)
        for week, value in completion[label]:
            if value is not None:
                here = frozenset(g for g in ids if g in world.present(week))
                seen.percentages.append(("done", week, here))


def read_checkins(seen: Seen, one: GroupWeeks, weekly: Weekly) -> None:
    for cell in one.weeks:
        meeting = Meeting(
            id=cell.week,
            group_id=one.group.id,
            number=cell.week,
            local_date=START + dt.timedelta(weeks=cell.week - 1),
            local_time="14:00",
            starts_at=MOMENT,
            status=MeetingStatus.PLANNED,
            link=None,
            reason=None,
        )
        p = figures_line(meeting, cell, one.group.id, weekly.shown).params
        for measure in ("planned", "invited", "reported", *PLAN_PARTS, "shared", "confidence"):
            seen.add(measure, cell.week, [one.group.id], p[measure])


# The attack -----------------------------------------------------------------------------------


def atoms(measure: str, week: int, ids: Iterable[int]) -> list[tuple[int, str]]:
    parts = PLAN_PARTS if measure == "reported" else (measure,)
    return [(g, part) for g in sorted(ids) for part in parts]


def is_number(text: str) -> bool:
    return text not in ("<5", "x", "–", HIDDEN)  # "shown" is a mean that is shown


def bounds(text: str) -> tuple[int, float]:
    return {"<5": (0, SMALL - 1), "x": (SMALL, float("inf"))}.get(text, (0, float("inf")))


def attack(world: World, seen: Seen) -> None:
    people = {*PEOPLE, "reported"}
    weeks = {key[1] for key in seen.figures}
    for week in weeks:
        figures = {
            key: next(iter(values))
            for key, values in seen.figures.items()
            if key[1] == week and key[0] in people and key[2]
        }
        shown = {k: int(Fraction(v)) for k, v in figures.items() if is_number(v)}
        hidden = {k: v for k, v in figures.items() if not is_number(v)}
        equations = [(atoms(*key), value) for key, value in shown.items()]
        for key, mark in hidden.items():
            target = atoms(*key)
            assert not determined(equations, target), f"{key} ({mark}) follows from sums"
        for key in hidden:
            exact = pinned(equations, hidden, key)
            assert exact is None, f"{key} is pinned to {exact} by sums and bounds"
        sums_leave_enough(world, week, shown, hidden)
        answers_add_up(world, week, shown, hidden)
        derived_leave_nothing(world, seen, week)


def determined(equations: list[tuple[list[tuple[int, str]], int]], target: list) -> bool:
    """Whether ``target`` (a sum of atoms) is a combination of the equations' sums (exact
    Gaussian elimination over the rationals)."""
    columns = sorted({a for atoms_, _ in equations for a in atoms_} | set(target))
    index = {a: i for i, a in enumerate(columns)}
    rows = []
    for atoms_, _ in equations:
        row = [Fraction(0)] * len(columns)
        for a in atoms_:
            row[index[a]] = Fraction(1)
        rows.append(row)
    goal = [Fraction(0)] * len(columns)
    for a in target:
        goal[index[a]] = Fraction(1)
    return rank(rows) == rank([*rows, goal])


def rank(rows: list[list[Fraction]]) -> int:
    rows = [list(r) for r in rows]
    found = 0
    width = len(rows[0]) if rows else 0
    for column in range(width):
        pivot = next((r for r in range(found, len(rows)) if rows[r][column]), None)
        if pivot is None:
            continue
        rows[found], rows[pivot] = rows[pivot], rows[found]
        for r in range(len(rows)):
            if r != found and rows[r][column]:
                factor = rows[r][column] / rows[found][column]
                rows[r] = [x - factor * y for x, y in zip(rows[r], rows[found], strict=True)]
        found += 1
    return found


def pinned(
    equations: list[tuple[list[tuple[int, str]], int]], hidden: dict[Key, str], key: Key
) -> int | None:
    """The only value ``key`` can take given every shown sum and every hidden mark's bounds,
    searched exhaustively over the atoms tied to it when there are few enough; None if it
    can take two values (or the search would be too big to make)."""
    target = atoms(*key)
    related = set(target)
    for _ in range(3):  # the atoms tied to it through sums, a few steps out
        for atoms_, _value in equations:
            if related & set(atoms_):
                related |= set(atoms_)
    unknown = sorted(related)
    constraints = [(a, (v, v)) for a, v in equations if set(a) <= related]
    constraints += [(atoms(*k), bounds(m)) for k, m in hidden.items() if set(atoms(*k)) <= related]
    ranges = []
    for atom in unknown:
        low, high = 0, 13  # no group holds more than 12 people here: 13 is never pinned
        for atoms_, (least, most) in constraints:
            if atom in atoms_ and most != float("inf"):
                high = min(high, int(most))
            if atoms_ == [atom]:
                low = max(low, int(least))
        ranges.append(range(low, high + 1))
    size = 1
    for values in ranges:
        size *= len(values)
    if size > 60_000:
        return None
    index = {a: i for i, a in enumerate(unknown)}
    found: set[int] = set()
    for guess in itertools.product(*ranges):
        if all(
            low <= sum(guess[index[a]] for a in atoms_) <= high
            for atoms_, (low, high) in constraints
        ):
            found.add(sum(guess[index[a]] for a in target))
            if len(found) > 1:
                return None
    return next(iter(found)) if found else None


def sums_leave_enough(
    world: World, week: int, shown: dict[Key, int], hidden: dict[Key, str]
) -> None:
    """A total minus its shown parts (groups, or a smaller total and groups, or the plan
    answers of a group) is about at least five people, or about none hidden."""
    for (measure, _, ids), total in shown.items():
        pieces = [frozenset([g]) for g in ids]
        options = [pieces]
        options += [
            [inner, *(frozenset([g]) for g in ids - inner)]
            for (m, _, inner), _v in shown.items()
            if m == measure and len(inner) > 1 and inner < ids
        ]
        for parts in options:
            keys = [(measure, week, part) for part in parts]
            if measure == "reported" and len(ids) == 1:
                keys = [(part, week, ids) for part in PLAN_PARTS]
            if measure == "reported" and len(ids) > 1:
                continue  # not shown over several groups: below, from its parts
            if any(k not in shown and k not in hidden for k in keys):
                continue
            unknown = [k for k in keys if k in hidden]
            if unknown:
                rest = total - sum(shown[k] for k in keys if k in shown)
                assert len(unknown) >= 2 and rest >= SMALL, (
                    f"{measure} week {week} over {sorted(ids)}: {rest} left for {unknown}"
                )


def answers_add_up(world: World, week: int, shown: dict[Key, int], hidden: dict[Key, str]) -> None:
    """Done, partly and not yet over several groups add up to the answers reported there:
    minus the groups' shown reported counts, the rest is about five people or more."""
    scopes = {ids for (m, _, ids) in shown if m == "done" and len(ids) > 1}
    for ids in scopes:
        keys = [(part, week, ids) for part in PLAN_PARTS]
        if not all(k in shown for k in keys):
            continue
        groups = [("reported", week, frozenset([g])) for g in ids]
        unknown = [k for k in groups if k in hidden]
        if unknown:
            rest = sum(shown[k] for k in keys) - sum(shown[k] for k in groups if k in shown)
            assert len(unknown) >= 2 and rest >= SMALL, f"reported over {sorted(ids)}: {rest}"


def derived_leave_nothing(world: World, seen: Seen, week: int) -> None:
    """Messages, reactions and taps are shown only with their active count, a mean only
    with its count; what the hidden groups of a shown total wrote is not nothing (which
    would tell each of them); the plans-done percentage only with both counts."""
    figures = {k: next(iter(v)) for k, v in seen.figures.items() if k[1] == week}
    for (measure, _, ids), text in figures.items():
        base = DERIVED.get(measure) or ("planned" if measure == "confidence" else None)
        if base is None or not is_number(text):
            continue
        assert is_number(figures[(base, week, ids)]), f"{measure} shown over hidden {base}"
        parts = [(measure, week, frozenset([g])) for g in ids]
        hidden_parts = [k for k in parts if not is_number(figures.get(k, HIDDEN))]
        if len(ids) > 1 and hidden_parts:
            if measure == "confidence":
                continue  # means: the sums below
            rest = Fraction(text) - sum(
                Fraction(figures[k]) for k in parts if k not in hidden_parts
            )
            assert rest > 0, f"{measure} week {week}: the hidden groups' figure is {rest}"
    for _, w, ids in seen.percentages:
        for measure in ("done", "planned"):
            assert is_number(next(iter(seen.figures[(measure, w, ids)]))), (
                f"a percentage over a hidden count of {measure} in week {w}"
            )


def check_views(world: World, seen: Seen) -> None:
    for key, values in seen.figures.items():
        measure, week, ids = key
        if not ids:
            continue
        marks = {v for v in values if v != HIDDEN}
        numbers = {v for v in marks if is_number(v)}
        assert not (numbers and len(values) > len(numbers)), f"{key} shown in one view only"
        assert len(marks) <= 1, f"{key} differs between views: {values}"
        if measure in PEOPLE or measure == "reported":
            true = (
                sum(world.true(p, week, ids) for p in PLAN_PARTS)
                if measure == "reported"
                else world.true(measure, week, ids)
            )
            for value in numbers:
                assert int(Fraction(value)) == true and true >= SMALL, f"{key} = {value}"
            if "<5" in marks:
                assert true < SMALL, f"{key} marked <5 but is {true}"
            if "x" in marks:
                assert true >= SMALL, f"{key} marked x but is {true}"
    for measure, week, ids in seen.changes:
        for when in (week, week - 1):
            key = (measure, when, frozenset(g for g in ids if g in world.present(when)))
            assert is_number(next(iter(seen.figures[key]))), (
                f"a change next to a hidden week: {measure} week {week}"
            )


# A fixed sequence of examples (derandomize): the same worlds on every run, so CI is stable;
# 200 of them take some 25 s. While the rule was built, runs of 1,500 and 3,000 random
# ones searched further; what they found is kept in KNOWN below.
@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(worlds())
def test_nothing_hidden_can_be_worked_out(world: World) -> None:
    seen, _ = render_everything(world)
    check_views(world, seen)
    attack(world, seen)


def world_of(
    organisations: dict[int, int], weeks: dict[int, list[Week]], led: list[list[int]]
) -> World:
    """A deployment by hand: each group's organisation and weeks, each instructor's groups."""
    groups = {number: group(number, organisation) for number, organisation in organisations.items()}
    by_organisation: dict[int, list[Group]] = defaultdict(list)
    for g in groups.values():
        by_organisation[organisations[g.id]].append(g)
    return World(
        list(groups.values()),
        [GroupWeeks(groups[number], weeks[number]) for number in groups],
        dict(by_organisation),
        [[groups[number] for number in mine] for mine in led],
    )


def members(*counts: int) -> list[Week]:
    return [Week(week + 1, members=count) for week, count in enumerate(counts)]


# Worlds the search once found figures to work out in: kept so that they stay protected
KNOWN = {
    # all groups 8 = one organisation's <5 + the other's <5: both are 4
    "two organisations": world_of(
        {1: 1, 2: 1, 3: 2, 4: 2}, {n: members(2) for n in range(1, 5)}, []
    ),
    # all 6; each pair of the three groups <5: each group is 2
    "three overlapping pairs": world_of(
        {1: 2, 2: 1, 3: 1, 4: 2, 5: 1},
        {1: members(0, 2), 2: members(0), 3: members(0, 2), 4: members(0, 2), 5: members(0)},
        [[2, 3, 4], [3, 1]],
    ),
    # an instructor's groups shown (6) over one organisation's (<5) and into another's
    "an instructor across organisations": world_of(
        {1: 1, 2: 1, 3: 1, 4: 2, 5: 2},
        {1: members(0), 2: members(2), 3: members(2), 4: members(2), 5: members(2)},
        [[1, 2, 3, 4]],
    ),
    # an instructor's two groups 5 of all 6: the other three groups hold 1
    "the rest of an instructor's groups": world_of(
        {n: 1 for n in range(1, 6)},
        {1: members(1), 2: members(4), 3: members(0), 4: members(0), 5: members(1)},
        [[1, 2], [1, 2, 3]],
    ),
    # several inequalities at once: g1 + g3 < 5, g2 + g3 >= 5 and g1 + g2 + g5 <= 2 (all
    # 7 minus the other organisation's x) leave g1 nothing but 0
    "inequalities together": world_of(
        {1: 1, 2: 1, 3: 2, 4: 2, 5: 1},
        {1: members(0), 2: members(1), 3: members(4, 0), 4: members(2), 5: members(0)},
        [[1, 3], [2, 3]],
    ),
    # nothing but zeros: every figure <5, none "x"
    "zeros": world_of({1: 1, 2: 1}, {1: [Week(1)], 2: [Week(1)]}, []),
}


@pytest.mark.parametrize("name", KNOWN)
def test_worlds_that_once_gave_figures_away_do_not(name: str) -> None:
    world = KNOWN[name]
    seen, _ = render_everything(world)
    check_views(world, seen)
    attack(world, seen)
