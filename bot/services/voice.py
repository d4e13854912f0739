"""Participants' own voice in figures, as every view shows them (a group's ``/stats``, the
coordinators' export): their posts by month, their polls' voters, and a co-development
group's "what happened with your ideas" loop by month. Pure functions of what
``storage`` read; the disclosure rule as everywhere (``bot/services/disclosure.py``).

- **Posts**, per group and month: how many people shared (hidden under ``small``), and
  the posts shared, approved and withdrawn, which follow the sharers (shown only where
  they are), as messages follow the active.
- **Polls**: per group, its voters through the pattern its composer's results were read
  through (``PollFigures``), so no view can be set against another.
- **The loop**: a co-development group's active people (wrote, replied, reacted, tapped)
  per month of its programme weeks, ``workshops`` up to the month its season ended and
  ``after`` from then on; each a count of distinct people on its own (months and groups
  are never added up, so nothing shown lets a hidden one be worked out).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.services.polls import PollFigures
from storage.groups import Group
from storage.polls import Poll, PollGroup
from storage.posts import PostMonth
from storage.seasons import Season

Figure = int | str  # a count, or how it shows hidden ("<5")
WORKSHOPS, AFTER = "workshops", "after"


def people(value: int, small: int) -> Figure:
    """A count of people shown on its own: itself, or ``<5`` (0 is about nobody: hidden
    too)."""
    return value if value >= small else f"<{small}"


@dataclass(frozen=True)
class PostFigures:
    group_id: int
    month: str
    sharers: Figure
    shared: Figure
    approved: Figure
    withdrawn: Figure


def post_figures(month: PostMonth, small: int) -> PostFigures:
    counts: list[Figure] = [month.shared, month.approved, month.withdrawn]
    if month.sharers < small:
        counts = [f"<{small}"] * len(counts)
    return PostFigures(month.group_id, month.month, people(month.sharers, small), *counts)


@dataclass(frozen=True)
class PollVoters:
    poll: Poll
    day: dt.date
    voters: dict[int, Figure]  # by group (those with counts)
    together: Figure | None  # None with one group


def poll_voters(poll: Poll, entries: Sequence[PollGroup], small: int) -> PollVoters:
    figures = PollFigures.of(entries, len(poll.option_texts), small)

    def shown(cell: frozenset[object]) -> Figure:
        value = figures.value(cell)
        return figures.text(cell) if value is None else value

    voters = {group: shown(cell) for group, cell in figures.by_group.items()}
    together = shown(figures.everyone) if len(figures.by_group) > 1 else None
    return PollVoters(poll, (poll.sent_at or poll.created_at).date(), voters, together)


@dataclass(frozen=True)
class LoopMonth:
    group_id: int
    month: str
    phase: str
    active: Figure


def loop_months(
    active: Sequence[tuple[int, int, str]],
    seasons: Mapping[int, Season],
    groups: Mapping[int, Group],
    small: int,
) -> list[LoopMonth]:
    """(group, programme week, pseudonym) of everyone active: per group and month, how
    many, and whether the workshops were still on."""
    who: dict[tuple[int, str], set[str]] = defaultdict(set)
    for group_id, week, pseudonym in active:
        day = groups[group_id].programme_start + dt.timedelta(days=7 * (week - 1))
        who[(group_id, f"{day:%Y-%m}")].add(pseudonym)
    months = []
    for (group_id, month), them in sorted(who.items()):
        season = seasons.get(group_id)
        ended = None if season is None or season.ended_at is None else f"{season.ended_at:%Y-%m}"
        phase = AFTER if ended is not None and month > ended else WORKSHOPS
        months.append(LoopMonth(group_id, month, phase, people(len(them), small)))
    return months
