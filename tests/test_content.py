"""The tip library: the shipped files load; a bad file is reported with file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.payload import telegram_length
from content import ContentError, load_library
from content.library import CAPTION_LIMIT, Theme
from content.surveys import load_surveys

GOOD_TIP = """
[[tips]]
id = "{id}"
theme = "sleep"
weeks = [1, 2]
[tips.text]
fi = "Mene nukkumaan samaan aikaan."
sv = "Gå och lägg dig vid samma tid."
en = "{en}"
"""


def test_the_shipped_library_loads_and_every_tip_fits_a_caption() -> None:
    library = load_library()

    assert len(library) >= 60
    for tip in library:
        for language in ("fi", "sv", "en"):
            assert 0 < telegram_length(tip.text_in(language)) <= CAPTION_LIMIT
    assert library.themes() == sorted(Theme)  # every theme the issue names has tips
    for theme in Theme:
        assert sum(1 for tip in library if tip.theme == theme) >= 3, theme
    for week in range(1, 7):  # a participant in any week has several tips to get
        assert sum(1 for tip in library if tip.suits_week(week)) >= 20, week


def test_week_rules() -> None:
    library = load_library()
    small_step = library.get("plan-small-step")
    any_week = library.get("breathing-slow-out")

    assert small_step is not None and any_week is not None
    assert small_step.suits_week(1) and not small_step.suits_week(5)
    assert all(any_week.suits_week(week) for week in range(1, 7))


def test_every_problem_is_reported_with_file_and_field(tmp_path: Path) -> None:
    (tmp_path / "good.toml").write_text(
        GOOD_TIP.format(id="sleep-routine", en="Go to bed on time.")
    )
    (tmp_path / "dupe.toml").write_text(GOOD_TIP.format(id="sleep-routine", en="Again."))
    (tmp_path / "long.toml").write_text(
        GOOD_TIP.format(id="too-long", en="x" * (CAPTION_LIMIT + 1))
    )
    (tmp_path / "broken.toml").write_text("[[tips]\nid = ")
    (tmp_path / "wrong.toml").write_text(
        '[[tips]]\nid = "Bad Id"\ntheme = "astrology"\nweeks = [9]\n'
        '[tips.text]\nfi = "x"\nsv = "x"\n'
    )

    with pytest.raises(ContentError) as raised:
        load_library(tmp_path)

    report = raised.value.report()
    assert "broken.toml: not valid TOML" in report
    assert "long.toml: tips.0.text.en: String should have at most 1024 characters" in report
    assert "wrong.toml: tips.0.id: String should match pattern" in report
    assert "wrong.toml: tips.0.theme: Input should be" in report
    assert "wrong.toml: tips.0.weeks" in report
    assert "wrong.toml: tips.0.text.en: Field required" in report
    assert "tip id 'sleep-routine' is used 2 times" in report


def test_media_must_exist(tmp_path: Path) -> None:
    tips = tmp_path / "tips"
    tips.mkdir()
    (tips / "a.toml").write_text(
        GOOD_TIP.format(id="with-picture", en="Look.")
        + '[tips.media]\nkind = "photo"\nfile = "moon.jpg"\n'
    )

    with pytest.raises(ContentError, match="problem"):
        load_library(tips)
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "moon.jpg").write_bytes(b"\xff\xd8\xff")

    library = load_library(tips)
    tip = library.get("with-picture")
    assert tip is not None and tip.media is not None and tip.media.kind == "photo"


def test_an_empty_folder_is_a_problem(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="problem"):
        load_library(tmp_path)


def test_untranslated_texts_and_odd_weeks_are_reported(tmp_path: Path) -> None:
    (tmp_path / "copied.toml").write_text(
        '[[tips]]\nid = "copied"\ntheme = "sleep"\nweeks = [1, 1]\n'
        '[tips.text]\nfi = "Nuku hyvin."\nsv = "Sov gott."\nen = "Sov gott."\n'
        '[[tips]]\nid = "no-weeks"\ntheme = "sleep"\nweeks = []\n'
        '[tips.text]\nfi = "Nuku."\nsv = "Sov."\nen = "Sleep."\n'
        '[[tips]]\nid = "same"\ntheme = "sleep"\n'
        '[tips.text]\nfi = "Lepää."\nsv = "Lepää."\nen = "Rest."\n'
    )

    with pytest.raises(ContentError) as raised:
        load_library(tmp_path)

    report = raised.value.report()
    assert "copied.toml: tips.0.weeks: Value error, a week is listed twice" in report
    assert "copied.toml: tips.1.weeks: Value error, list at least one week" in report
    assert "copied.toml: tips.2: Value error, text.sv is the same as text.fi" in report


def test_every_shipped_survey_item_has_a_short_name_and_a_file_without_one_shows_the_question(
    tmp_path: Path,
) -> None:
    for survey in load_surveys().surveys.values():
        for item in survey.items:
            names = [item.name(language) for language in ("fi", "sv", "en")]
            assert len(set(names)) == 3 and all(len(name) <= 22 for name in names), item.id
    (tmp_path / "own.toml").write_text(
        'id = "own"\n[intro]\nfi = "Kysely"\nsv = "Enkät"\nen = "Survey"\n'
        '[[items]]\nid = "mood"\nscale = [1, 5]\n'
        '[items.question]\nfi = "Mikä on mielialasi?"\nsv = "Hur är ditt humör?"\n'
        'en = "How is your mood?"\n'
        '[items.low]\nfi = "huono"\nsv = "dåligt"\nen = "poor"\n'
        '[items.high]\nfi = "hyvä"\nsv = "bra"\nen = "good"\n'
    )
    own = load_surveys(tmp_path).surveys["own"]
    assert [own.items[0].name(language) for language in ("fi", "sv")] == [
        "Mikä on mielialasi?",
        "Hur är ditt humör?",
    ]
