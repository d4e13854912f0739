"""The charts as a coordinator would put them on a screen in a meeting, read through
matplotlib's objects: programme weeks are whole numbers; one week or a few are bars with
their values, more are lines; a hidden figure is not drawn; a panel with nothing to show
says so in words instead of an empty -0.04..0.04 axis; the note under it and every other
word fit inside a portrait 1080x1440 picture."""

from __future__ import annotations

import pytest

from bot.clock import FixedClock
from bot.formats.charts import Labels, bar_figure, weekly_figure
from storage import Database
from testing.charts import outside, panel, pixels, words
from testing.harness import instructor_with_group

LABELS = Labels(
    title="Espoo: 2 groups together",
    active="Active participants",
    completion="Plans done (%)",
    week="Programme week",
    note="A missing bar or point is a figure about fewer than 5 people, or one hidden so "
    "that such a figure cannot be worked out. Active = wrote, reacted, tapped a button or "
    "made a plan; instructors are not counted.",
    empty="Nothing to draw here yet: each figure is about fewer than 5 people or would let "
    "one be worked out.",
)


def test_a_single_week_is_bars_over_week_1_not_a_lone_dot() -> None:
    figure = weekly_figure(
        LABELS,
        {"Walking": [(1, 8.0)], "Reading": [(1, 6.0)]},
        {"Walking": [(1, 75.0)], "Reading": [(1, 50.0)]},
    )
    top, bottom = (panel(axes) for axes in figure.axes)
    assert top.ticks == [1.0] and top.tick_labels == ["1"]
    assert [height for _, height in top.bars] == [8.0, 6.0]
    assert [round(x, 2) for x, _ in top.bars] == [0.8, 1.2]  # side by side over week 1
    assert top.points == [] and top.words == ["8", "6"]  # no dots; the values on the bars
    assert [height for _, height in bottom.bars] == [75.0, 50.0]
    assert bottom.words == ["75", "50"]
    assert "Walking" in words(figure) and "Reading" in words(figure)  # the legend


@pytest.mark.parametrize("weeks", [2, 4])
def test_a_few_weeks_are_bars_on_whole_weeks(weeks: int) -> None:
    active = {"Walking": [(w, 5.0 + w) for w in range(1, weeks + 1)]}
    figure = weekly_figure(LABELS, active, {"Walking": [(w, 50.0) for w in range(1, weeks + 1)]})
    top = panel(figure.axes[0])
    assert top.ticks == [float(w) for w in range(1, weeks + 1)]
    assert top.tick_labels == [str(w) for w in range(1, weeks + 1)]
    assert top.bars == [(float(w), 5.0 + w) for w in range(1, weeks + 1)]
    assert "Walking" not in words(figure)  # one group: the title names it, no legend


def test_many_weeks_are_lines_with_a_tick_on_every_week_and_gaps_where_hidden() -> None:
    active = {
        "Walking": [(w, 6.0) for w in range(1, 9)],
        "Reading": [(w, None if w < 3 else 7.0) for w in range(1, 9)],
    }
    completion = {
        "Walking": [(w, 60.0) for w in range(1, 9)],
        "Reading": [(w, None) for w in range(1, 9)],
    }
    figure = weekly_figure(LABELS, active, completion)
    top, bottom = (panel(axes) for axes in figure.axes)
    assert top.bars == []
    assert top.ticks == [float(w) for w in range(1, 9)]
    assert top.points == [
        [(float(w), 6.0) for w in range(1, 9)],
        [(float(w), 7.0) for w in range(3, 9)],  # weeks 1 and 2 hidden: not drawn
    ]
    assert bottom.points == [[(float(w), 60.0) for w in range(1, 9)]]  # the hidden line: none
    assert "Reading" in words(figure)  # still in the legend: its colour says whose gap


def test_a_long_season_has_whole_week_ticks_only() -> None:
    active = {"Walking": [(w, 6.0) for w in range(1, 31)]}
    figure = weekly_figure(LABELS, active, {"Walking": [(w, 50.0) for w in range(1, 31)]})
    top = panel(figure.axes[0])
    visible = [t for t in top.ticks if 0.4 <= t <= 30.6]
    assert visible and all(t == int(t) for t in visible)
    assert len(visible) < 30


def test_a_panel_with_nothing_shown_says_so_instead_of_an_empty_axis() -> None:
    figure = weekly_figure(
        LABELS,
        {"Walking": [(1, None)], "Reading": [(1, None)]},
        {"Walking": [(1, None)], "Reading": [(1, None)]},
    )
    for axes in figure.axes:
        shown = panel(axes)
        assert not shown.drawn_axes and shown.bars == [] and shown.points == []
        assert " ".join(" ".join(shown.words).split()) == LABELS.empty
    assert pixels(figure) == (1080, 1440)


def test_every_word_fits_inside_a_phone_sized_picture() -> None:
    long_names = {f"Group with a long name {n}": [(1, 6.0)] for n in range(8)}
    figure = weekly_figure(
        Labels(
            **{
                **LABELS.__dict__,
                "title": "A coordinator's organisation with a long name: 8 groups",
            }
        ),
        long_names,
        {name: [(1, 40.0)] for name in long_names},
    )
    assert pixels(figure) == (1080, 1440)
    assert outside(figure) == []
    note = next(text for text in words(figure) if text.startswith("A missing bar"))
    assert "\n" in note  # wrapped, not one line running off both edges
    assert " ".join(note.split()) == LABELS.note


def test_the_outcome_chart_draws_the_shown_changes_only() -> None:
    figure = bar_figure(
        "Change from before to after by engagement",
        ["health", "coping"],
        {"everyone": [0.4, -0.2], "low": [None, 0.1], "medium": [None, None], "high": [0.9, None]},
        "Figures about fewer than 5 people show as <5.",
    )
    axes = panel(figure.axes[0])
    assert axes.tick_labels == ["health", "coping"]
    assert [(round(x, 1), h) for x, h in axes.bars] == [
        (-0.3, 0.4),
        (0.3, 0.9),
        (0.7, -0.2),
        (0.9, 0.1),
    ]
    assert axes.words == ["+0.4", "+0.9", "-0.2", "+0.1"] or sorted(axes.words) == sorted(
        ["+0.4", "-0.2", "+0.1", "+0.9"]
    )
    assert outside(figure) == [] and pixels(figure) == (1080, 1440)


OUTCOME_AXIS = {
    "fi": (
        "Muutos alusta loppuun",
        ["Terveys", "Elämänlaatu", "Arjessa pärjääminen", "Yksinäisyys", "Terveyden hoitaminen"],
    ),
    "sv": (
        "Förändring",
        ["Hälsa", "Livskvalitet", "Klara vardagen", "Ensamhet", "Sköta sin hälsa"],
    ),
    "en": (
        "Change",
        ["Health", "Quality of life", "Coping in daily life", "Loneliness", "Managing own health"],
    ),
}


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_the_outcome_chart_names_the_survey_items_in_its_language(
    database: Database, clock: FixedClock, language: str
) -> None:
    """The export's outcome chart (what ``/export`` and ``kannustin export`` draw) reads
    "Quality of life", "Elämänlaatu", not the survey file's ids (quality_of_life)."""
    services, _ = await instructor_with_group(
        database, clock, instructor=2, title="Kävelyryhmä", language="fi"
    )
    changes: dict[str, list[float | None]] = {
        "all": [0.4, -0.2, 0.3, None, 0.5],
        "low": [None, 0.1, None, None, None],
        "medium": [None] * 5,
        "high": [0.9, None, None, None, 0.2],
    }
    figure = bar_figure(*services.exports.outcome_drawing(changes, language))
    axes = panel(figure.axes[0])
    title, names = OUTCOME_AXIS[language]
    assert axes.tick_labels == names
    assert [round(x) for x, _ in axes.bars] == [0, 0, 1, 1, 2, 4, 4]
    assert any(word.startswith(title) for word in words(figure))
    assert outside(figure) == []
