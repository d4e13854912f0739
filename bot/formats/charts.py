"""Pictures of the statistics, drawn with matplotlib (headless) as PNG for a phone screen:
tall, large type, few lines. A value hidden by small-number protection is left out of
the line (a gap), and the picture says so."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

Series = dict[str, list[tuple[int, float | None]]]  # label -> (week, value or hidden)
MAX_LINES = 8
COLOURS = ("#1b6ca8", "#e4572e", "#29a36a", "#8e44ad", "#f3a712", "#4d4d4d", "#17becf", "#bc4b51")


@dataclass(frozen=True)
class Labels:
    title: str
    active: str  # the first panel's title
    completion: str  # the second panel's title
    week: str  # the x axis
    hidden: str  # the note under the picture


def weekly_chart(labels: Labels, active: Series, completion: Series) -> bytes:
    """Two panels: active participants per week per group, and check-in completion (%)."""
    figure = _figure(6, 8)
    top, bottom = figure.subplots(2, 1)
    _lines(top, active, labels.active, labels.week)
    _lines(bottom, completion, labels.completion, labels.week, percent=True)
    figure.suptitle(labels.title, fontsize=15, fontweight="bold")
    figure.text(0.5, 0.01, labels.hidden, ha="center", fontsize=9, color="#555555")
    figure.tight_layout(rect=(0, 0.03, 1, 0.96))
    return _png(figure)


def bar_chart(
    title: str, groups: Sequence[str], values: dict[str, list[float | None]], note: str
) -> bytes:
    """Bars side by side: for each of ``groups`` (x), one bar per series in ``values``."""
    figure = _figure(6, 7)
    axes = figure.subplots()
    width = 0.8 / max(len(values), 1)
    for index, (label, heights) in enumerate(values.items()):
        xs = [x + index * width for x in range(len(groups))]
        shown = [math.nan if h is None else h for h in heights]
        axes.bar(xs, shown, width, label=label, color=COLOURS[index % len(COLOURS)])
    axes.set_xticks([x + width * (len(values) - 1) / 2 for x in range(len(groups))])
    axes.set_xticklabels(groups, rotation=30, ha="right", fontsize=10)
    axes.axhline(0, color="#333333", linewidth=0.8)
    axes.legend(fontsize=10)
    axes.grid(axis="y", alpha=0.3)
    figure.suptitle(title, fontsize=14, fontweight="bold")
    figure.text(0.5, 0.01, note, ha="center", fontsize=9, color="#555555")
    figure.tight_layout(rect=(0, 0.03, 1, 0.95))
    return _png(figure)


def _lines(axes: Axes, series: Series, title: str, week: str, *, percent: bool = False) -> None:
    for index, (label, points) in enumerate(list(series.items())[:MAX_LINES]):
        xs = [w for w, _ in points]
        ys = [math.nan if v is None else v for _, v in points]
        axes.plot(xs, ys, marker="o", linewidth=2.5, label=label, color=COLOURS[index])
    axes.set_title(title, fontsize=13)
    axes.set_xlabel(week, fontsize=11)
    axes.grid(alpha=0.3)
    axes.tick_params(labelsize=11)
    axes.xaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]
    if percent:
        axes.set_ylim(0, 105)
    else:
        axes.set_ylim(bottom=0)
    if series:
        axes.legend(fontsize=10, loc="best")


def _figure(width: float, height: float) -> Figure:
    """A Figure of its own, not pyplot's (pyplot's global state is not for worker threads).
    matplotlib is imported on the first chart: it holds some 50 MB that a bot which never
    draws need not carry."""
    from matplotlib.figure import Figure  # noqa: PLC0415

    return Figure(figsize=(width, height), dpi=150)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
