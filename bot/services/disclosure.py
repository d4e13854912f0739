"""The disclosure rule (DESIGN rule 12), in one place: which figures about people staff
may read, in every view (``/stats`` text and chart, ``/checkins``, ``/broadcasts``, the
coordinators' export and its outcome summary and chart).

A figure ("cell") counts the people in a set of "atoms": one group's members in a week,
or an organisation's (the set of its groups' atoms). Two cells with the same atoms are
the same figure wherever they are shown. The rule:

1. **Small numbers**: a figure about fewer than ``small`` people (0 included) is hidden
   and shows as ``<5``.
2. **Complementary**: no hidden figure may be worked out from the shown ones. For every
   sum a reader can see (a total and the parts that add up to it: an organisation and
   its groups, an instructor's groups, all groups, the done/partly/not-yet answers and
   the reported ones), the hidden parts are none or at least two, they hold at least
   ``small`` people together (what a reader gets from the total minus the shown parts),
   and the bounds a reader knows (a ``<5`` is 0-4, an ``x`` at least 5) pin none of
   them. Beyond single sums, no hidden figure may follow from the shown ones by any
   combination of sums (linear algebra over all of them) or from the bounds propagated
   through all of them together with "part of" relations (the active are some of the
   members). While one can, the smallest shown figure involved is hidden too, and shows
   as ``x`` (hidden so that another stays hidden); the pattern is computed once over
   every figure any reader can see, so all views agree.
3. **Derived figures follow their base**: messages, reactions and taps follow the
   active people, a mean follows the count it is over; when the hidden parts of a sum
   add up to an extreme (nobody wrote, everyone rated 10) the total's derived figure is
   hidden as well. A percentage is shown only when both its counts are, a change from
   the week before only when both weeks' figures are.

Everything here is a pure function of plain values; the services that own the figures
say which cells exist (``weekly_patterns`` for the weekly figures, ``suppress`` and
``follow`` directly for the rest) and render through ``Pattern.text``.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import deque
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property, lru_cache, partial

from bot.i18n import Text

Atom = Hashable
Cell = frozenset[Atom]
HIDDEN = "x"  # shown for a figure hidden so that another stays hidden
NONE = "–"  # shown for a mean over nobody (never for a hidden one)
MAX_PASSES = 200  # bound propagation rounds: far more than any real table needs
TRIALS = 12  # candidates tried for one problem before the smallest is simply hidden
LARGE = 8  # cells of more atoms wait in bound propagation until the smaller ones settle
TRY_CELLS = 150  # in tables of at most this many figures every value of a small one is tried


class Reason(Enum):
    SMALL = "small"  # about fewer than ``small`` people
    COMPLEMENTARY = "complementary"  # would let a hidden figure be worked out


@dataclass(frozen=True)
class Relation:
    """``total`` = the sum of ``parts`` (the parts' atoms partition the total's)."""

    total: Cell
    parts: tuple[Cell, ...]
    # the family's own sums and those made of the largest smaller totals, which the bounds
    # are carried through; a total minus one smaller total inside it is checked on its own
    carried: bool = True


@dataclass(frozen=True)
class Pattern:
    """Which of ``cells`` are hidden, and why."""

    cells: frozenset[Cell]
    hidden: Mapping[Cell, Reason]
    small: int

    def shows(self, cell: Cell) -> bool:
        if cell not in self.cells:
            raise KeyError(f"not a known figure: {sorted(map(repr, cell))}")
        return cell not in self.hidden

    def text(self, cell: Cell, value: float | None, *, decimals: int = 0) -> str:
        """``value`` as text, ``<5`` when it is about too few people, ``x`` when hidden so
        that another stays hidden, ``–`` for no value (a mean over nobody)."""
        if not self.shows(cell):
            return f"<{self.small}" if self.hidden[cell] is Reason.SMALL else HIDDEN
        if value is None:
            return NONE
        return f"{value:.{decimals}f}"

    def value(self, cell: Cell, value: float | None) -> float | None:
        """``value`` when it may be shown, else None (a gap in a chart, an empty cell)."""
        return value if self.shows(cell) else None


def note(small: int) -> Text:
    """Said under figures: what ``<5`` and ``x`` mean."""
    return Text("disclosure.note", {"small": small, "hidden": HIDDEN})


def both(first: bool, second: bool) -> bool:
    """A figure made of two others (a percentage, a change) is shown only when both are."""
    return first and second


@dataclass(frozen=True)
class Split:
    """One count split by organisation (a broadcast's reactions), read for one
    organisation or for all of them together: one pattern over both."""

    counts: Mapping[Hashable, int]
    pattern: Pattern

    def cell(self, within: Collection[Hashable] | None = None) -> Cell:
        return frozenset(key for key in self.counts if within is None or key in within)

    def text(self, within: Collection[Hashable] | None = None) -> str:
        cell = self.cell(within)
        if not cell:  # nothing there: about nobody
            return f"<{self.pattern.small}"
        return self.pattern.text(cell, sum(self.counts[key] for key in cell))

    def value(self, within: Collection[Hashable] | None = None) -> int | None:
        cell = self.cell(within)
        if not cell or not self.pattern.shows(cell):
            return None
        return sum(self.counts[key] for key in cell)


def split(counts: Mapping[Hashable, int], small: int) -> Split:
    """``counts`` by organisation, shown one at a time or all together."""
    cells = [frozenset(counts), *(frozenset([key]) for key in counts)]
    return Split(counts, suppress(counts, cells, small))


# The rule -----------------------------------------------------------------------------------


def suppress(
    counts: Mapping[Atom, int],
    cells: Iterable[Cell],
    small: int,
    *,
    families: Sequence[Collection[Cell]] | None = None,
    at_most: Collection[tuple[Cell, Cell]] = (),
) -> Pattern:
    """The hidden pattern of ``cells`` (each the sum of ``counts`` over its atoms).

    ``families``: collections of disjoint cells that sums are made of (default: the
    cells of one atom); every cell that one family's cells add up to is a sum a reader
    can check, and so is a cell minus a smaller cell inside it. ``at_most``: pairs (part,
    whole) where the part's people are some of the whole's (active of members): a part
    of a hidden figure is hidden too.
    """
    known = frozenset(cell for cell in cells if cell)
    if small <= 1:
        return Pattern(known, {}, small)
    values = {cell: sum(counts.get(atom, 0) for atom in cell) for cell in known}
    hidden: dict[Cell, Reason] = {cell: Reason.SMALL for cell in known if values[cell] < small}
    if not hidden:
        return Pattern(known, hidden, small)
    _Audit(values, relations(known, families), small, list(at_most)).run(hidden)
    return Pattern(known, hidden, small)


def follow(
    base: Pattern,
    counts: Mapping[Atom, int],
    amounts: Mapping[Atom, float],
    *,
    per_person: tuple[float, float | None],
    cells: Collection[Cell] | None = None,
    families: Sequence[Collection[Cell]] | None = None,
) -> Pattern:
    """The pattern of a figure derived from ``base``'s people (their messages, the sum of
    their ratings) over ``cells`` (default: all of the base's): hidden wherever the base
    is, and also a total whose hidden parts add up to an extreme (``per_person``'s low or
    high times their people: nobody wrote, everyone rated 10), and whatever would then
    let that total be worked out."""
    mine = frozenset(base.cells if cells is None else cells)
    start = {cell: reason for cell, reason in base.hidden.items() if cell in mine}
    hidden = dict(start)
    if not hidden:
        return Pattern(mine, hidden, base.small)
    values = {cell: sum(amounts.get(atom, 0) for atom in cell) for cell in mine}
    people = {cell: sum(counts.get(atom, 0) for atom in cell) for cell in mine}
    sums = relations(mine, families)
    while True:
        extreme = _extreme_total(sums, hidden, values, people, per_person=per_person)
        if extreme is not None:
            hidden[extreme] = Reason.COMPLEMENTARY
            continue
        if hidden.keys() == start.keys():
            break  # the base's own pattern already passed the linear check
        problem = _first_determined(mine, hidden)
        if problem is None:
            break
        target, (added, inside) = problem
        choice = _effective(
            sorted(
                {c for c in [*added, *inside] if c not in hidden},
                key=lambda c: (-len(c), -values[c], _order(c)),
            ),
            partial(_determined_after, mine, hidden, target),
        )
        hidden[choice] = Reason.COMPLEMENTARY
    return Pattern(mine, hidden, base.small)


def _extreme_total(
    sums: Sequence[Relation],
    hidden: Mapping[Cell, Reason],
    values: Mapping[Cell, float],
    people: Mapping[Cell, int],
    *,
    per_person: tuple[float, float | None],
) -> Cell | None:
    low, high = per_person
    for relation in sums:
        if relation.total in hidden:
            continue
        parts = [part for part in relation.parts if part in hidden]
        if not parts:
            continue
        amount = sum(values[part] for part in parts)
        persons = sum(people[part] for part in parts)
        if math.isclose(amount, low * persons) or (
            high is not None and math.isclose(amount, high * persons)
        ):
            return relation.total
    return None


def relations(
    cells: Collection[Cell], families: Sequence[Collection[Cell]] | None = None
) -> list[Relation]:
    """Every sum a reader can check among ``cells``: a cell that one family's cells add up
    to, a cell minus a smaller cell inside it that one family's cells add up to, and a
    cell made of the largest smaller cells inside it and one family's cells. Bounds are
    carried through the first and the last kind (a tree of sums: few, however many groups);
    every sum is checked on its own. Any other combination is the linear check's
    (``_first_determined``)."""
    chosen = None if families is None else tuple(frozenset(f) for f in families)
    return _relations(frozenset(cells), chosen)


@lru_cache(maxsize=256)
def _relations(
    cells: frozenset[Cell], families: tuple[frozenset[Cell], ...] | None
) -> list[Relation]:
    if families is None:
        families = (frozenset(cell for cell in cells if len(cell) == 1),)
    indexes = [{atom: cell for cell in family for atom in cell} for family in families]
    totals = sorted((cell for cell in cells if len(cell) > 1), key=_order)
    containing: dict[Atom, list[Cell]] = {}
    for total in totals:
        for atom in total:
            containing.setdefault(atom, []).append(total)
    found: dict[tuple[Cell, frozenset[Cell]], Relation] = {}

    def add(total: Cell, parts: list[Cell], carried: bool = True) -> None:
        if len(parts) >= 2:
            key = (total, frozenset(parts))
            if key not in found or carried:
                found[key] = Relation(total, tuple(parts), carried)

    for total in totals:
        for index in indexes:
            parts = _cover(total, index)
            if parts is not None:
                add(total, parts)
    # smaller totals inside a larger one, whichever family they belong to (one plan answer
    # over an instructor's groups is a part of the same answer over the organisation's)
    inside: dict[Cell, list[Cell]] = {}
    for inner in totals:
        for total in containing[min(inner, key=repr)]:
            if inner < total:
                inside.setdefault(total, []).append(inner)
    for total, blocks in inside.items():
        for parts, carried in _made_of_smaller(total, blocks, indexes):
            add(total, parts, carried)
    return list(found.values())


def _made_of_smaller(
    total: Cell, blocks: list[Cell], indexes: Sequence[Mapping[Atom, Cell]]
) -> Iterable[tuple[list[Cell], bool]]:
    """Sums of ``total`` with the smaller totals inside it (``blocks``): each of them and
    one family's cells for the rest (unless that family holds the smaller total and adds
    up to the total: then this is that family's sum); and the largest ones, one after
    another, as many as fit (all groups = one organisation's + another's), with one
    family's cells for what is left, also starting from each of the largest (they may
    overlap: an instructor's groups in two organisations)."""
    covering = [index for index in indexes if _cover(total, index) is not None]
    for inner in blocks:
        if any(index.get(next(iter(inner))) == inner for index in covering):
            continue
        for index in indexes:
            rest = _cover(total - inner, index)
            if rest is not None:
                yield [inner, *rest], False
    ordered = sorted(blocks, key=lambda c: (-len(c), _order(c)))
    largest: list[Cell] = []
    by_atom: dict[Atom, list[Cell]] = {}
    for block in ordered:
        atom = next(iter(block))
        if not any(block < other for other in by_atom.get(atom, ())):
            largest.append(block)
            for one in block:
                by_atom.setdefault(one, []).append(block)
    for first in [None, *largest]:
        parts = [] if first is None else [first]
        left = set(total if first is None else total - first)
        for block in ordered:  # the largest that fit in what is left, one after another
            if block is not first and len(block) <= len(left) and block <= left:
                parts.append(block)
                left -= block
        for index in indexes:
            rest = _cover(frozenset(left), index)
            if rest is not None:
                yield [*parts, *rest], True
                break


def _cover(atoms: Cell, index: Mapping[Atom, Cell]) -> list[Cell] | None:
    """The family's cells that add up to exactly ``atoms``, or None if they do not."""
    parts: dict[Cell, None] = {}
    for atom in atoms:
        cell = index.get(atom)
        if cell is None or not cell <= atoms:
            return None
        parts[cell] = None
    return sorted(parts, key=_order)


def _order(cell: Cell) -> tuple[str, ...]:
    return tuple(sorted(map(repr, cell)))


def _effective(candidates: list[Cell], still_a_problem: Callable[[Cell], bool]) -> Cell:
    """The first candidate whose hiding solves the problem, or (none of the first few
    does) the first: the next round finds what is left."""
    for candidate in candidates[:TRIALS]:
        if not still_a_problem(candidate):
            return candidate
    return candidates[0]


@dataclass
class _Audit:
    values: Mapping[Cell, int]
    sums: Sequence[Relation]
    small: int
    at_most: Sequence[tuple[Cell, Cell]]
    cells: frozenset[Cell] = field(init=False)
    rank: dict[Cell, int] = field(init=False)  # smallest first, then fewest atoms
    index: _SumIndex = field(init=False)

    def __post_init__(self) -> None:
        self.cells = frozenset(self.values)
        self.index = _SumIndex.of(self.values, [r for r in self.sums if r.carried])
        ordered = sorted(self.cells, key=lambda c: (self.values[c], len(c), _order(c)))
        self.rank = {cell: number for number, cell in enumerate(ordered)}

    def smallest_first(self, cells: Iterable[Cell]) -> list[Cell]:
        return sorted(set(cells), key=self.rank.__getitem__)

    def run(self, hidden: dict[Cell, Reason]) -> None:
        """Hide what must be hidden besides ``hidden`` (the small numbers), in place: first
        sum by sum (a worklist: a sum is looked at again when one of its cells is hidden),
        then whatever the linear check or the bounds still find, until nothing does."""
        as_part: dict[Cell, list[int]] = {}
        as_total: dict[Cell, list[int]] = {}
        for number, relation in enumerate(self.sums):
            as_total.setdefault(relation.total, []).append(number)
            for part in relation.parts:
                as_part.setdefault(part, []).append(number)
        # per sum: its hidden parts shown as <5, as x, and the people in them
        state = [[0, 0, 0] for _ in self.sums]
        parts_of: dict[Cell, list[Cell]] = {}
        for part, whole in self.at_most:
            if part in self.cells:
                parts_of.setdefault(whole, []).append(part)
        waiting: deque[int] = deque()
        queued: set[int] = set()

        def look_again(number: int) -> None:
            if number not in queued:
                queued.add(number)
                waiting.append(number)

        def hide(cell: Cell) -> None:
            # what a reader is told: <5 for a small number, even one hidden first as a
            # part of a hidden whole; x (at least ``small``) only for a figure that is
            reason = Reason.SMALL if self.values[cell] < self.small else Reason.COMPLEMENTARY
            hidden[cell] = reason
            for number in as_part.get(cell, []):
                state[number][0 if reason is Reason.SMALL else 1] += 1
                state[number][2] += self.values[cell]
                look_again(number)
            for number in as_total.get(cell, []):
                look_again(number)
            for part in parts_of.get(cell, []):
                if part not in hidden:
                    hide(part)

        first = list(hidden)
        hidden.clear()
        for cell in first:
            if cell not in hidden:
                hide(cell)
        while True:
            while waiting:
                number = waiting.popleft()
                queued.discard(number)
                small, other, together = state[number]
                for cell in self.unprotected(self.sums[number], hidden, small, other, together):
                    hide(cell)
            choice = self.beyond_sums(hidden)
            if choice is None:
                return
            hide(choice)

    def unprotected(
        self,
        relation: Relation,
        hidden: Mapping[Cell, Reason],
        small: int,
        other: int,
        together: int,
    ) -> list[Cell]:
        """What to hide for this sum (its smallest shown parts, one after another, until it
        is protected; then its total): none when it gives nothing away. ``small``,
        ``other``: its hidden parts shown as <5 and as x; ``together``: their people."""
        count = small + other
        if relation.total in hidden:
            if count:
                return []
            # a hidden total whose parts are all shown is their sum
            return self.smallest_first(relation.parts)[:1]
        if not count or self.protected(small, other, together):
            return []
        chosen: list[Cell] = []
        for part in self.smallest_first(p for p in relation.parts if p not in hidden):
            chosen.append(part)
            other, together = other + 1, together + self.values[part]
            if self.protected(small, other, together):
                return chosen
        return [*chosen, relation.total]

    def beyond_sums(self, hidden: Mapping[Cell, Reason]) -> Cell | None:
        """What to hide next when every sum is protected on its own: a hidden figure the
        shown ones still determine together, or one the bounds pin down."""
        problem = _first_determined(self.cells, hidden)
        if problem is not None:
            target, (sums, inside) = problem
            return _effective(
                [
                    *self.smallest_first(c for c in sums if c not in hidden),
                    *self.smallest_first(c for c in inside if c not in hidden),
                ],
                partial(_determined_after, self.cells, hidden, target),
            )
        for pinned in self.pinned(hidden):
            near = [c for c in self.cells if c & pinned]
            near += [a if b == pinned else b for a, b in self.at_most if pinned in (a, b)]
            candidates = self.smallest_first(c for c in near if c not in hidden)
            if candidates:
                return _effective(candidates, partial(self.still_pinned, hidden, pinned))
        return None

    def protected(self, small: int, other: int, together: int) -> bool:
        """Whether a total's hidden parts (``small`` of them shown as <5, ``other`` as x,
        with ``together`` people) keep their secret: two or more, ``small`` people or more
        together, and none pinned by the bounds a reader knows (<5: 0 to small-1; x: small
        or more)."""
        least_people, top = self.small, self.small - 1
        if small + other < 2 or together < least_people:
            return False
        lows = other * least_people  # the least the hidden parts can hold
        if small:  # one <5 part: what the others leave it
            others_high = math.inf if other else (small - 1) * top
            if max(0, together - others_high) >= min(top, together - lows):
                return False
        if other:  # one x part
            others_high = math.inf if other > 1 else small * top
            if max(least_people, together - others_high) >= together - (lows - least_people):
                return False
        return True

    def still_pinned(self, hidden: Mapping[Cell, Reason], pinned: Cell, extra: Cell) -> bool:
        return pinned in self.pinned({**hidden, extra: Reason.COMPLEMENTARY}, only=pinned)

    def pinned(self, hidden: Mapping[Cell, Reason], only: Cell | None = None) -> list[Cell]:
        """The hidden figures whose value the bounds, propagated through every sum and
        "part of" relation, leave no choice for (``only``: whether this one is). Bounds
        carried sum by sum miss what takes several inequalities at once (a + c < 5,
        b + c >= 5, a + b <= 2: a is 0), so in a small table (where a reader can try every
        value by hand) each value a narrowly bounded hidden figure could take is tried as
        well: one that leads the bounds into a contradiction is ruled out, and a figure
        left with one value is pinned."""
        ranges = propagate(self.values, hidden, self.small, self.at_most, self.index)
        cells = sorted(hidden, key=_order) if only is None else [only]
        found = [cell for cell in cells if ranges[cell][0] >= ranges[cell][1]]
        if found or len(self.values) > TRY_CELLS:
            return found
        for cell in cells:
            low, high = ranges[cell]
            if high - low < self.small and len(self._possible(hidden, cell, low, high)) == 1:
                found.append(cell)
        return found

    def _possible(
        self, hidden: Mapping[Cell, Reason], cell: Cell, low: float, high: float
    ) -> list[int]:
        """The values of ``low``..``high`` that the bounds do not rule out for ``cell``
        (stopping at two)."""
        possible: list[int] = []
        for value in range(int(low), int(high) + 1):
            try:
                propagate(
                    self.values, hidden, self.small, self.at_most, self.index, trying=(cell, value)
                )
            except _Impossible:
                continue
            possible.append(value)
            if len(possible) > 1:
                break
        return possible


def propagate(
    values: Mapping[Cell, int],
    hidden: Mapping[Cell, Reason],
    small: int,
    at_most: Sequence[tuple[Cell, Cell]] = (),
    sums: Sequence[Relation] | _SumIndex = (),
    *,
    trying: tuple[Cell, int] | None = None,
) -> dict[Cell, tuple[float, float]]:
    """What a reader can tell about every cell from the shown values, the hidden ones'
    labels (``<5``: 0 to small-1; ``x``: small or more), the "part of" pairs, the sums
    and that every atom is 0 or more: each cell's lowest and highest possible value, by
    propagating bounds until nothing changes (worklists of the cells and the sums to look
    at again). A sum carries what its atoms alone do not: in all = A + B with A and B
    each below five, all = 8 makes both 4, though no one atom is pinned."""
    index = sums if isinstance(sums, _SumIndex) else _SumIndex.of(values, sums)
    return _Propagation(values, hidden, small, at_most, index, trying=trying).run()


class _Impossible(Exception):
    """The bounds contradict each other: what was tried cannot be."""


class _Propagation:
    def __init__(
        self,
        values: Mapping[Cell, int],
        hidden: Mapping[Cell, Reason],
        small: int,
        at_most: Sequence[tuple[Cell, Cell]],
        sums: _SumIndex,
        *,
        trying: tuple[Cell, int] | None = None,
    ) -> None:
        self.bounds = bounds = _Bounds(values, hidden, small)
        if trying is not None:  # what follows if this hidden figure were this value
            cell, value = trying
            low, high = bounds.ranges[cell]
            if not low <= value <= high:
                raise _Impossible
            bounds.ranges[cell] = (value, value)
        self.open_cells = set(bounds.open)
        self.containing: dict[Atom, list[Cell]] = {}
        for cell in bounds.open:
            for atom in cell:
                self.containing.setdefault(atom, []).append(cell)
        self.partners: dict[Cell, list[tuple[Cell, Cell]]] = {}
        for part, whole in at_most:
            if part in bounds.ranges and whole in bounds.ranges:
                self.partners.setdefault(part, []).append((part, whole))
                self.partners.setdefault(whole, []).append((part, whole))
                bounds.order(part, whole)
        self.sums = _Sums(bounds, hidden, sums)
        # small cells first: a large total is looked at again once they have settled
        self.small_first, self.large_later = deque[Cell](), deque[Cell]()
        self.queued: set[Cell] = set()

    def look_again(self, cell: Cell) -> None:
        if cell in self.open_cells and cell not in self.queued:
            self.queued.add(cell)
            (self.small_first if len(cell) <= LARGE else self.large_later).append(cell)

    def moved(self, cell: Cell, by: int | None = None) -> None:
        """A cell's range moved (``by``: in that sum, which has it right): its atoms, its
        sums and its "part of" partners."""
        self.look_again(cell)
        self.sums.moved(cell, by)
        for part, whole in self.partners.get(cell, ()):
            if self.bounds.order(part, whole):
                self.moved(part)
                self.moved(whole)

    def run(self) -> dict[Cell, tuple[float, float]]:
        bounds, sums = self.bounds, self.sums
        for cell in bounds.open:
            self.look_again(cell)
        budget = MAX_PASSES * max(len(self.queued) + len(sums.totals), 1)
        while (self.small_first or self.large_later or sums.waiting) and budget:
            budget -= 1
            if self.small_first or self.large_later:
                cells = self.small_first if self.small_first else self.large_later
                cell = cells.popleft()
                self.queued.discard(cell)
                atoms, changed = bounds.tighten(cell)
                for atom in atoms:
                    for other in self.containing.get(atom, ()):
                        self.look_again(other)
                if changed:
                    self.moved(cell)
            else:
                number = sums.waiting.popleft()
                sums.queued.discard(number)
                for cell in sums.settle(number):
                    self.moved(cell, number)
        return bounds.ranges


@dataclass
class _SumIndex:
    """The sums as ``propagate`` reads them, worked out once for many calls: each total,
    its parts' figures added up, and which sums each cell is the total or a part of."""

    values: Mapping[Cell, int]
    totals: list[Cell]
    part_sums: list[int]
    of_total: dict[Cell, list[int]]
    of_part: dict[Cell, list[int]]

    @classmethod
    def of(cls, values: Mapping[Cell, int], relations: Sequence[Relation]) -> _SumIndex:
        index = cls(values, [], [], {}, {})
        for number, relation in enumerate(relations):
            index.totals.append(relation.total)
            index.part_sums.append(sum(values[part] for part in relation.parts))
            index.of_total.setdefault(relation.total, []).append(number)
            for part in relation.parts:
                index.of_part.setdefault(part, []).append(number)
        return index


class _Sums:
    """The sums for ``propagate``, each kept as its total, its hidden parts and its shown
    parts added up (a shown figure's range never moves), with its hidden parts' lows and
    highs added up as they move: a sum of hundreds of groups is looked at in a few steps
    unless one of its parts can actually move."""

    def __init__(self, bounds: _Bounds, hidden: Mapping[Cell, Reason], index: _SumIndex) -> None:
        self.ranges = bounds.ranges
        varying: dict[int, list[Cell]] = {}
        for cell in hidden:
            for number in index.of_part.get(cell, ()):
                varying.setdefault(number, []).append(cell)
            for number in index.of_total.get(cell, ()):
                varying.setdefault(number, [])
        self.totals: list[Cell] = []
        self.parts: list[tuple[Cell, ...]] = []
        self.shown: list[int] = []
        self.of_total: dict[Cell, list[int]] = {}
        self.of_part: dict[Cell, list[int]] = {}
        for old, parts in sorted(varying.items()):
            number = len(self.totals)
            self.totals.append(index.totals[old])
            self.parts.append(tuple(parts))
            self.shown.append(index.part_sums[old] - sum(index.values[p] for p in parts))
            self.of_total.setdefault(index.totals[old], []).append(number)
            for part in parts:
                self.of_part.setdefault(part, []).append(number)
        # per sum: its hidden parts' lows, finite highs, infinite highs, widest finite range
        self.lows = [0.0] * len(self.totals)
        self.finite = [0.0] * len(self.totals)
        self.endless = [0] * len(self.totals)
        self.widest = [0.0] * len(self.totals)
        self.counted: dict[Cell, tuple[float, float]] = {}
        for part, numbers in self.of_part.items():
            low, high = self.counted[part] = self.ranges[part]
            for number in numbers:
                self.lows[number] += low
                if high == math.inf:
                    self.endless[number] += 1
                else:
                    self.finite[number] += high
                    self.widest[number] = max(self.widest[number], high - low)
        self.waiting = deque(range(len(self.totals)))
        self.queued = set(self.waiting)

    def moved(self, cell: Cell, by: int | None) -> None:
        """Count the cell's new range in its sums, and look at them again."""
        before = self.counted.get(cell)
        if before is not None and before != self.ranges[cell]:
            low, high = self.counted[cell] = self.ranges[cell]
            for number in self.of_part[cell]:
                self.lows[number] += low - before[0]
                if before[1] == math.inf:
                    self.endless[number] -= 1
                else:
                    self.finite[number] -= before[1]
                if high == math.inf:
                    self.endless[number] += 1
                else:
                    self.finite[number] += high
                    if before[1] == math.inf:  # widths only narrow, but this one is new
                        self.widest[number] = max(self.widest[number], high - low)
        for number in (*self.of_part.get(cell, ()), *self.of_total.get(cell, ())):
            if number != by and number not in self.queued:
                self.queued.add(number)
                self.waiting.append(number)

    def settle(self, number: int) -> list[Cell]:
        """The total's range from the parts', and each part's from the total's and the
        other parts': the cells whose range moved."""
        total = self.totals[number]
        lows = self.shown[number] + self.lows[number]
        endless = self.endless[number]
        finite = self.shown[number] + self.finite[number]
        moved = []
        before = self.ranges[total]
        t_low, t_high = max(before[0], lows), min(before[1], math.inf if endless else finite)
        if t_low > t_high:
            raise _Impossible
        if (t_low, t_high) != before:
            self.ranges[total] = (t_low, t_high)
            moved.append(total)
        # a part's low rises only past the room the others leave, its high falls only
        # below what the total leaves it: nothing to do while every part fits in both
        room = min(math.inf if endless else finite - t_low, t_high - lows)
        if not endless and self.widest[number] <= room:
            return moved
        widest = 0.0
        for part in self.parts[number]:
            low, high = self.ranges[part]
            if high == math.inf:
                others_high = math.inf if endless > 1 else finite
            else:
                others_high = math.inf if endless else finite - high
            new = (max(low, t_low - others_high), min(high, t_high - (lows - low)))
            if new[0] > new[1]:
                raise _Impossible
            if new != (low, high):
                self.ranges[part] = new
                moved.append(part)
            if new[1] != math.inf:
                widest = max(widest, new[1] - new[0])
        self.widest[number] = widest
        return moved


class _Bounds:
    def __init__(self, values: Mapping[Cell, int], hidden: Mapping[Cell, Reason], small: int):
        self.ranges: dict[Cell, tuple[float, float]] = {}
        self.low: dict[Atom, float] = {}
        self.high: dict[Atom, float] = {}
        for cell, value in values.items():
            reason = hidden.get(cell)
            if reason is None:
                self.ranges[cell] = (value, value)
                if len(cell) == 1:  # a shown one-atom cell gives its atom
                    (atom,) = cell
                    self.low[atom] = self.high[atom] = value
            else:
                self.ranges[cell] = (0, small - 1) if reason is Reason.SMALL else (small, math.inf)
        for cell in values:
            for atom in cell:
                if atom not in self.low:
                    self.low[atom], self.high[atom] = 0, math.inf
        # only hidden cells and cells with an atom not given can tell anything new
        self.open = [
            c for c in values if c in hidden or any(self.low[a] != self.high[a] for a in c)
        ]

    def tighten(self, cell: Cell) -> tuple[list[Atom], bool]:
        """The cell's range from its atoms', and its atoms' from the cell's and each
        other's: the atoms whose bounds moved, and whether the cell's range did."""
        low, high = self.low, self.high
        lows = sum(low[atom] for atom in cell)
        endless = sum(1 for atom in cell if high[atom] == math.inf)
        finite = sum(high[atom] for atom in cell if high[atom] != math.inf)
        before = self.ranges[cell]
        least = max(before[0], lows)
        most = min(before[1], math.inf if endless else finite)
        if least > most:
            raise _Impossible
        self.ranges[cell] = (least, most)
        moved: list[Atom] = []
        for atom in cell:
            top = most - (lows - low[atom])
            if high[atom] == math.inf:
                others = math.inf if endless > 1 else finite
            else:
                others = math.inf if endless else finite - high[atom]
            bottom = least - others
            if top < high[atom] or bottom > low[atom]:
                high[atom], low[atom] = min(high[atom], top), max(low[atom], bottom)
                if low[atom] > high[atom]:
                    raise _Impossible
                moved.append(atom)
        return moved, (least, most) != before

    def order(self, part: Cell, whole: Cell) -> bool:
        """A part's people are some of the whole's."""
        (p_low, p_high), (w_low, w_high) = self.ranges[part], self.ranges[whole]
        if w_high >= p_high and p_low <= w_low:
            return False
        if p_low > min(p_high, w_high) or max(w_low, p_low) > w_high:
            raise _Impossible
        self.ranges[part] = (p_low, min(p_high, w_high))
        self.ranges[whole] = (max(w_low, p_low), w_high)
        return True


# Linear algebra: which hidden cells follow from the shown ones by sums and differences --------

# Arithmetic modulo a large prime: exact for the small integer matrices sums make (a
# rational solution's denominators would have to be a multiple of this prime for a
# determined cell to be missed), and many times faster than fractions.
PRIME = (1 << 61) - 1


def _first_determined(
    cells: Collection[Cell], hidden: Mapping[Cell, Reason]
) -> tuple[Cell, tuple[list[Cell], list[Cell]]] | None:
    """A hidden cell the shown ones determine exactly, with the shown cells involved (the
    sums added and subtracted, and the one-atom cells inside them)."""
    basis = _Basis.of(cells, hidden)
    if basis is None:
        return None
    for cell in sorted(hidden, key=_order):
        if basis.explains(cell):
            tracked = _Basis.of(cells, hidden, track=True)
            assert tracked is not None
            return cell, tracked.involved(cell)
    return None


def _determined_after(
    cells: Collection[Cell], hidden: Mapping[Cell, Reason], target: Cell, extra: Cell
) -> bool:
    basis = _Basis.of(cells, {**hidden, extra: Reason.COMPLEMENTARY})
    return basis is not None and basis.explains(target)


Row = dict[Hashable, int]


@dataclass
class _Basis:
    """The shown cells as linear equations over the atoms no shown one-atom cell gives,
    in reduced row echelon form (each pivot atom appears in its own row only); with
    ``track``, each row also says which shown cells it was made of."""

    known: dict[Atom, Cell]  # atom -> the shown one-atom cell that gives it
    rank: dict[Atom, int]  # the order pivots are chosen in
    pivots: dict[Atom, tuple[Row, Row]]
    track: bool

    @classmethod
    def of(
        cls, cells: Collection[Cell], hidden: Mapping[Cell, Reason], *, track: bool = False
    ) -> _Basis | None:
        """None when no equation is left (nothing hidden can follow then but a hidden
        cell whose atoms all are given, which ``explains`` finds as well)."""
        shown = [cell for cell in cells if cell not in hidden]
        known = {next(iter(cell)): cell for cell in shown if len(cell) == 1}
        rows = [c for c in shown if len(c) > 1 and any(a not in known for a in c)]
        hidden_given = any(all(a in known for a in cell) for cell in hidden)
        if not rows and not hidden_given:
            return None
        atoms = sorted({a for c in rows for a in c if a not in known}, key=repr)
        basis = cls(known, {atom: i for i, atom in enumerate(atoms)}, {}, track)
        for cell in sorted(rows, key=_order):
            basis.add({a: 1 for a in cell if a not in known}, {cell: 1} if track else {})
        return basis

    def reduce(self, vector: Row, combination: Row) -> None:
        for atom in [atom for atom in vector if atom in self.pivots]:
            factor = vector.get(atom)
            if factor:
                row, made_of = self.pivots[atom]
                _subtract(vector, row, factor)
                if self.track:
                    _subtract(combination, made_of, factor)

    def add(self, vector: Row, combination: Row) -> None:
        self.reduce(vector, combination)
        if not vector:
            return
        pivot = min(vector, key=self.rank.__getitem__)
        inverse = pow(vector[pivot], -1, PRIME)
        vector = {atom: value * inverse % PRIME for atom, value in vector.items()}
        combination = {cell: value * inverse % PRIME for cell, value in combination.items()}
        for row, made_of in self.pivots.values():
            factor = row.get(pivot)
            if factor:
                _subtract(row, vector, factor)
                if self.track:
                    _subtract(made_of, combination, factor)
        self.pivots[pivot] = (vector, combination)

    def explains(self, cell: Cell) -> bool:
        """Whether the shown cells add and subtract to ``cell``."""
        vector: Row = {atom: 1 for atom in cell if atom not in self.known}
        if any(atom not in self.rank for atom in vector):
            return False  # an atom no equation holds
        self.reduce(vector, {})
        return not vector

    def involved(self, cell: Cell) -> tuple[list[Cell], list[Cell]]:
        """The shown cells that make up ``cell`` (it must be explained): the sums, and the
        one-atom cells inside them and it."""
        given = [self.known[atom] for atom in cell if atom in self.known]
        vector: Row = {atom: 1 for atom in cell if atom not in self.known}
        combination: Row = {}
        self.reduce(vector, combination)
        sums = [c for c, factor in combination.items() if factor and isinstance(c, frozenset)]
        inside = {self.known[atom] for c in sums for atom in c if atom in self.known}
        return sums, [*given, *inside]


def _subtract(target: Row, row: Row, factor: int) -> None:
    for key, value in row.items():
        result = (target.get(key, 0) - factor * value) % PRIME
        if result:
            target[key] = result
        else:
            target.pop(key, None)


# The weekly figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Measures:
    """How the weekly figures relate, for ``weekly_patterns``: which count people (shown
    per group and added up over every scope), which are sums of those shown per group
    only (name, parts), whose people are some of another's (part, whole), and which
    figures follow a count (name, base, the least and the most one person adds)."""

    people: tuple[str, ...]
    per_group: tuple[tuple[str, tuple[str, ...]], ...] = ()
    at_most: tuple[tuple[str, str], ...] = ()
    derived: tuple[tuple[str, str, float, float | None], ...] = ()

    @cached_property
    def _bases(self) -> dict[str, tuple[str, ...]]:
        bases: dict[str, tuple[str, ...]] = {name: (name,) for name in self.people}
        bases.update(self.per_group)
        bases.update({name: (base,) for name, base, _, _ in self.derived})
        return bases

    def cell(self, measure: str, groups: Iterable[int]) -> Cell:
        """The figure of ``measure`` added up over ``groups``."""
        bases = self._bases[measure]
        if len(bases) == 1:
            (base,) = bases
            return frozenset((group, base) for group in groups)
        return frozenset((group, base) for group in groups for base in bases)

    @cached_property
    def _derived(self) -> frozenset[str]:
        return frozenset(name for name, _, _, _ in self.derived)

    def is_derived(self, measure: str) -> bool:
        return measure in self._derived


JOINT = ""  # the people figures' pattern, all measures of a week together


@dataclass(frozen=True)
class WeeklyPatterns:
    """The pattern of every weekly figure, found by measure, programme week and the groups
    it adds up (one group, an organisation's, an instructor's, all): a figure over groups
    that do not have that week yet adds up those that do."""

    measures: Measures
    present: Mapping[int, frozenset[int]]  # week -> the groups that have it
    patterns: Mapping[tuple[int, str], Pattern]  # (week, JOINT or a derived figure)
    small: int

    def cell(self, measure: str, week: int, groups: Iterable[int]) -> Cell:
        here = self.present.get(week, frozenset())
        return self.measures.cell(measure, (g for g in groups if g in here))

    def pattern(self, measure: str, week: int) -> Pattern:
        return self.patterns[(week, measure if self.measures.is_derived(measure) else JOINT)]

    def shows(self, measure: str, week: int, groups: Iterable[int]) -> bool:
        return self.pattern(measure, week).shows(self.cell(measure, week, groups))

    def text(
        self,
        measure: str,
        week: int,
        groups: Iterable[int],
        value: float | None,
        *,
        decimals: int = 0,
    ) -> str:
        cell = self.cell(measure, week, groups)
        return self.pattern(measure, week).text(cell, value, decimals=decimals)

    def value(
        self, measure: str, week: int, groups: Iterable[int], value: float | None
    ) -> float | None:
        return value if self.shows(measure, week, groups) else None

    def adds_up(self, groups: Collection[int]) -> bool:
        """Whether these groups' figures are known added up in every week (a reader's
        scope); otherwise they may be shown only one group at a time."""
        return all(
            self.cell(measure, week, groups) in self.pattern(measure, week).cells
            for week in self.present
            for measure in self.measures.people[:1]
            if self.cell(measure, week, groups)
        )


def _holding(pairs: list[tuple[Cell, Cell]], counts: Mapping[Atom, int]) -> list[tuple[Cell, Cell]]:
    def total(cell: Cell) -> int:
        return sum(counts.get(atom, 0) for atom in cell)

    return [(part, whole) for part, whole in pairs if total(part) <= total(whole)]


class PatternCache:
    """The latest pattern of each week's figure (the people figures' and each derived
    figure's), with a digest of everything it was computed from: a past week's figures
    rarely change, so /stats recomputes only the patterns whose figures did. One slot per
    (week, figure), replaced when its digest changes: bounded by the weeks there are, and
    a kept pattern stays the same object while its figures stay (``Weekly`` relies on
    that to take a group's dashboard weeks over)."""

    def __init__(self) -> None:
        self._slots: dict[tuple[int, str], tuple[bytes, Pattern]] = {}
        self.last: tuple[bytes, WeeklyPatterns] | None = None  # the latest whole answer
        self._lock = threading.Lock()  # patterns are computed in worker threads

    def get(self, slot: tuple[int, str], key: bytes) -> Pattern | None:
        with self._lock:
            found = self._slots.get(slot)
            return found[1] if found is not None and found[0] == key else None

    def put(self, slot: tuple[int, str], key: bytes, pattern: Pattern) -> None:
        with self._lock:
            self._slots[slot] = (key, pattern)


def weekly_patterns(
    figures: Mapping[tuple[int, int], Mapping[str, float]],
    scopes: Iterable[Collection[int]],
    small: int,
    measures: Measures,
    cache: PatternCache | None = None,
) -> WeeklyPatterns:
    """The pattern of every figure in ``figures`` ((group, week) -> measure -> value), one
    group at a time and added up over each of ``scopes`` (the sets of groups some reader
    sees together), computed once for all views."""
    chosen = {frozenset(scope) for scope in scopes}
    whole = None
    if cache is not None:
        whole = _digest(
            small,
            measures,
            sorted(sorted(scope) for scope in chosen),
            sorted((key, sorted(values.items())) for key, values in figures.items()),
        )
        if cache.last is not None and cache.last[0] == whole:
            return cache.last[1]
    by_week: dict[int, dict[int, Mapping[str, float]]] = {}
    for (group, week), values in figures.items():
        by_week.setdefault(week, {})[group] = values
    present = {week: frozenset(groups) for week, groups in by_week.items()}
    patterns: dict[tuple[int, str], Pattern] = {}
    for week, groups in sorted(by_week.items()):
        here = present[week]
        sets = {scope & here for scope in chosen} | {frozenset([group]) for group in here}
        sets.discard(frozenset())
        for name, pattern in _week(week, groups, sets, small, measures, cache=cache).items():
            patterns[(week, name)] = pattern
    found = WeeklyPatterns(measures, present, patterns, small)
    if cache is not None and whole is not None:
        cache.last = (whole, found)
    return found


def _digest(*parts: object) -> bytes:
    """A key for what a pattern was computed from (a hash that does not collide by chance:
    a wrong pattern would show what should be hidden)."""
    return hashlib.sha256(repr(parts).encode()).digest()


def _week(
    week: int,
    groups: Mapping[int, Mapping[str, float]],
    sets: Collection[frozenset[int]],
    small: int,
    measures: Measures,
    *,
    cache: PatternCache | None,
) -> dict[str, Pattern]:
    """One week's patterns: JOINT (the people figures) and each derived figure's."""
    made: dict[tuple[str, frozenset[int]], Cell] = {}

    def cell(measure: str, groups: frozenset[int]) -> Cell:
        found = made.get((measure, groups))
        if found is None:
            found = made[(measure, groups)] = measures.cell(measure, groups)
        return found

    # the people figures' pattern is kept by the people counts alone, each derived
    # figure's by that and its own amounts: one more message from someone already active
    # works out only the messages' pattern again (a moment), not the week's (seconds);
    # a kept pattern is used as it is, its cells and all
    key = None
    if cache is not None:
        key = _digest(
            small,
            measures,
            sorted(sorted(s) for s in sets),
            sorted((g, [values[name] for name in measures.people]) for g, values in groups.items()),
        )
    counts: dict[Atom, int] = {
        (group, measure): int(values[measure])
        for group, values in groups.items()
        for measure in measures.people
    }
    joint = None if cache is None or key is None else cache.get((week, JOINT), key)
    if joint is None:
        # the sums shown per group are added up over every scope as well: no view shows
        # those, but a reader can add up their parts' totals, so they are sums to protect
        names = [*measures.people, *(name for name, _ in measures.per_group)]
        cells = [cell(measure, s) for s in sets for measure in names]
        pairs = [(cell(part, s), cell(whole, s)) for s in sets for part, whole in measures.at_most]
        families = [
            [cell(measure, frozenset([g])) for g in groups for measure in measures.people],
            [cell(name, frozenset([g])) for g in groups for name, _ in measures.per_group],
            # and over each scope, a sum is its parts' figures over that scope
            *([cell(part, s) for part in parts] for s in sets for _, parts in measures.per_group),
        ]
        # only what holds: a forgotten member's activity can outnumber the members left
        joint = suppress(counts, cells, small, families=families, at_most=_holding(pairs, counts))
        if cache is not None and key is not None:
            cache.put((week, JOINT), key, joint)
    patterns = {JOINT: joint}
    for name, base, low, high in measures.derived:
        amounts: dict[Atom, float] = {(g, base): values[name] for g, values in groups.items()}
        own_key = None if key is None else _digest(key, name, sorted(amounts.items()))
        kept = None if cache is None or own_key is None else cache.get((week, name), own_key)
        if kept is None:
            own = [cell(base, s) for s in sets]
            kept = follow(joint, counts, amounts, per_person=(low, high), cells=own)
            if cache is not None and own_key is not None:
                cache.put((week, name), own_key, kept)
        patterns[name] = kept
    return patterns
