"""Pictures of the statistics, drawn with matplotlib (headless) as PNG for a phone screen:
portrait, 1080×1440, large type, few lines. Every word in them comes from the caller, in
the reader's language.

What a coordinator can put on a screen in a meeting: programme weeks are whole numbers on
the axis; with a few weeks (``BARS_UP_TO``) each figure is a bar with its value on it
rather than a lone dot; a value hidden by the disclosure rule is not drawn at all (a gap,
no bar), and a panel with nothing that may be shown says so in words instead of drawing
empty axes. The note under the picture is wrapped to fit inside it. ``*_figure`` build
the matplotlib ``Figure`` (tests read its ticks, bars and texts); ``*_chart`` its PNG."""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

Series = dict[str, list[tuple[int, float | None]]]  # label -> (week, value or hidden)
MAX_LINES = 8
COLOURS = ("#1b6ca8", "#e4572e", "#29a36a", "#8e44ad", "#f3a712", "#4d4d4d", "#17becf", "#bc4b51")
SIZE = (5.4, 7.2)  # inches: at DPI, 1080×1440, a phone's portrait screen
DPI = 200
BARS_UP_TO = 4  # weeks: up to this many, bars; more, lines
ALL_TICKS_UP_TO = 16  # weeks: up to this many, every week has its tick
TITLE, PANEL, TICKS, LEGEND, NOTE = 15, 13, 12, 11, 10  # font sizes (points)
NOTE_CHARACTERS = 62  # a line of the note at NOTE points across SIZE's width
TITLE_CHARACTERS = 40
LABEL_CHARACTERS = 22  # a line of a bar chart's axis label
LINE = 1.3  # line height, in font sizes


@dataclass(frozen=True)
class Labels:
    title: str
    active: str  # the first panel's title
    completion: str  # the second panel's title
    week: str  # the x axis
    note: str  # under the picture: what a gap means
    empty: str  # in a panel with nothing that may be shown


def weekly_chart(labels: Labels, active: Series, completion: Series) -> bytes:
    """Two panels: active participants per week per group, and check-in completion (%)."""
    return _png(weekly_figure(labels, active, completion))


def weekly_figure(labels: Labels, active: Series, completion: Series) -> Figure:
    figure = _figure()
    top, bottom = figure.subplots(2, 1)
    _weeks(top, active, labels, labels.active, percent=False)
    _weeks(bottom, completion, labels, labels.completion, percent=True)
    legend = list(active)[:MAX_LINES]  # every group, drawn or not: its colour says whose gap
    _finish(figure, labels.title, labels.note, legend if len(legend) > 1 else [])
    return figure


def bar_chart(
    title: str, groups: Sequence[str], values: dict[str, list[float | None]], note: str
) -> bytes:
    """Bars side by side: for each of ``groups`` (x), one bar per series in ``values``."""
    return _png(bar_figure(title, groups, values, note))


def bar_figure(
    title: str, groups: Sequence[str], values: dict[str, list[float | None]], note: str
) -> Figure:
    figure = _figure()
    axes = figure.subplots()
    width = 0.8 / max(len(values), 1)
    for index, (label, heights) in enumerate(values.items()):
        shown = [(x, h) for x, h in enumerate(heights) if h is not None]
        if not shown:
            continue
        xs = [x - 0.4 + width * (index + 0.5) for x, _ in shown]
        colour = COLOURS[index % len(COLOURS)]
        bars = axes.bar(xs, [h for _, h in shown], width, color=colour, label=label)
        axes.bar_label(bars, fmt="{:+.1f}", fontsize=LEGEND - 1, padding=2)
    axes.set_xticks(range(len(groups)))
    # a long name (a survey file's question where it gives no short name) on a few lines
    labels = [textwrap.fill(name, LABEL_CHARACTERS) for name in groups]
    axes.set_xticklabels(labels, rotation=30, ha="right", fontsize=TICKS)
    axes.set_xlim(-0.6, len(groups) - 0.4)
    axes.axhline(0, color="#333333", linewidth=0.8)
    axes.tick_params(labelsize=TICKS)
    axes.grid(axis="y", alpha=0.3)
    axes.margins(y=0.15)
    _finish(figure, title, note, list(values))
    return figure


def _weeks(axes: Axes, series: Series, labels: Labels, title: str, *, percent: bool) -> None:
    """One panel: bars for a few weeks, lines for more."""
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415

    axes.set_title(title, fontsize=PANEL)
    lines = list(series.items())[:MAX_LINES]
    weeks = sorted({week for _, points in lines for week, _ in points})
    if not any(value is not None for _, points in lines for _, value in points):
        axes.set_axis_off()  # no axes from -0.04 to 0.04: words instead
        axes.text(
            0.5,
            0.5,
            textwrap.fill(labels.empty, 36),
            ha="center",
            va="center",
            fontsize=PANEL,
            color="#555555",
            transform=axes.transAxes,
        )
        return
    if len(weeks) <= BARS_UP_TO:
        width = 0.8 / len(lines)
        for index, (label, points) in enumerate(lines):
            shown = [(week, value) for week, value in points if value is not None]
            if not shown:
                continue
            xs = [week - 0.4 + width * (index + 0.5) for week, _ in shown]
            bars = axes.bar(xs, [v for _, v in shown], width, color=COLOURS[index], label=label)
            axes.bar_label(bars, fmt="{:.0f}", fontsize=TICKS - 2 if len(lines) > 3 else TICKS)
    else:
        for index, (label, points) in enumerate(lines):
            ys = [math.nan if value is None else value for _, value in points]
            if all(math.isnan(y) for y in ys):
                continue
            axes.plot(
                [week for week, _ in points],
                ys,
                marker="o",
                linewidth=2.5,
                label=label,
                color=COLOURS[index],
            )
    if len(weeks) <= ALL_TICKS_UP_TO:
        axes.set_xticks(weeks)
    else:
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlim(weeks[0] - 0.6, weeks[-1] + 0.6)
    axes.set_xlabel(labels.week, fontsize=TICKS)
    axes.tick_params(labelsize=TICKS)
    axes.grid(axis="y", alpha=0.3)
    if percent:
        axes.set_ylim(0, 112)  # room for the values over full bars
        axes.set_yticks([0, 25, 50, 75, 100])
    else:
        highest = max(v for _, points in lines for _, v in points if v is not None)
        axes.set_ylim(0, highest * 1.18)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))


def _finish(figure: Figure, title: str, note: str, legend: Sequence[str]) -> None:
    """The title over the panels, the legend and the wrapped note under them, all inside
    the picture."""
    height = SIZE[1] * 72  # points
    note_lines = textwrap.wrap(note, NOTE_CHARACTERS)
    bottom = (len(note_lines) * NOTE * LINE + 8) / height
    figure.text(
        0.5,
        4 / height,
        "\n".join(note_lines),
        ha="center",
        va="bottom",
        fontsize=NOTE,
        color="#555555",
    )
    if legend:
        from matplotlib.patches import Patch  # noqa: PLC0415

        columns = 2
        rows = math.ceil(len(legend) / columns)
        figure.legend(
            handles=[
                Patch(color=COLOURS[index % len(COLOURS)], label=label)
                for index, label in enumerate(legend)
            ],
            loc="lower center",
            bbox_to_anchor=(0.5, bottom),
            ncol=columns,
            fontsize=LEGEND,
            frameon=False,
        )
        bottom += (rows * LEGEND * LINE * 1.4 + 6) / height
    title_lines = textwrap.wrap(title, TITLE_CHARACTERS)
    figure.suptitle("\n".join(title_lines), fontsize=TITLE, fontweight="bold")
    figure.tight_layout(rect=(0, bottom, 1, 1))  # it leaves room for the title itself


def _figure() -> Figure:
    """A Figure of its own, not pyplot's (pyplot's global state is not for worker threads).
    matplotlib is imported on the first chart: it holds some 50 MB that a bot which never
    draws need not carry."""
    from matplotlib.figure import Figure  # noqa: PLC0415

    return Figure(figsize=SIZE, dpi=DPI)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
