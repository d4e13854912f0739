"""Reading a chart the way a person reads it, through matplotlib's own objects (never the
PNG's bytes): the week ticks, the bars and their heights, the lines' points, the words,
and whether each word lies inside the picture."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text


@dataclass(frozen=True)
class Panel:
    title: str
    ticks: list[float]  # the x axis's ticks
    tick_labels: list[str]
    bars: list[tuple[float, float]]  # (x at the bar's middle, height)
    points: list[list[tuple[float, float]]]  # each line's drawn (x, y), gaps left out
    words: list[str]  # texts written in the panel (the "nothing to show" note)
    drawn_axes: bool  # False: no axes at all, words instead


def panel(axes: Axes) -> Panel:
    figure = axes.get_figure(root=True)
    assert isinstance(figure, Figure)
    _drawn(figure)  # tick labels are set on drawing
    bars = [
        (bar.get_x() + bar.get_width() / 2, bar.get_height())
        for container in axes.containers
        for bar in container
    ]
    points = []
    for line in axes.get_lines():
        drawn = numpy.asarray(line.get_xydata(), dtype=float).tolist()
        points.append([(x, y) for x, y in drawn if not math.isnan(y)])
    return Panel(
        axes.get_title(),
        [float(t) for t in axes.get_xticks()],
        [label.get_text() for label in axes.get_xticklabels()],
        sorted(bars),
        points,
        [text.get_text() for text in axes.texts if text.get_text()],
        axes.axison,
    )


def words(figure: Figure) -> list[str]:
    """Every text the picture shows, drawn or in a legend."""
    return [t.get_text() for t in figure.findobj(Text) if t.get_text() and t.get_visible()]


def outside(figure: Figure) -> list[str]:
    """The texts that do not fit inside the picture (cut at an edge)."""
    renderer = _drawn(figure).get_renderer()  # type: ignore[no-untyped-call]
    box = figure.bbox
    cut = []
    for text in figure.findobj(Text):
        if not text.get_text() or not text.get_visible():
            continue
        extent = text.get_window_extent(renderer)
        inside = box.x0 - 1 <= extent.x0 and extent.x1 <= box.x1 + 1
        if not (inside and box.y0 - 1 <= extent.y0 and extent.y1 <= box.y1 + 1):
            cut.append(text.get_text())
    return cut


def pixels(figure: Figure) -> tuple[int, int]:
    width, height = figure.get_size_inches() * figure.dpi
    return round(width), round(height)


def _drawn(figure: Figure) -> FigureCanvasAgg:
    """The figure drawn as the PNG would be (Agg), for the texts' places and the ticks."""
    canvas = FigureCanvasAgg(figure)
    canvas.draw()  # type: ignore[no-untyped-call]
    return canvas
