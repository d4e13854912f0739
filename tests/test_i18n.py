"""Every user-facing text exists in fi, sv and en, is used, and has the same placeholders."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from bot.i18n import (
    LOCALES_DIR,
    Cut,
    Lines,
    PerLanguage,
    Text,
    Translator,
    catalog_keys,
    decimal,
    normalize_language,
)
from bot.settings import LANGUAGES

ROOT = Path(__file__).resolve().parents[1]
CODE_DIRS = ("bot", "handlers", "content", "storage", "web")
KEY = re.compile(r"^[a-z]+(\.[a-z0-9-]+)+$")
# call name -> position of the message key among its arguments
TRANSLATING_CALLS = {
    "t": 0,
    "Text": 0,
    "DomainError": 0,
    "WhenError": 0,
    "of": 0,
    "text": 1,
}

CATALOGS = {language: catalog_keys(LOCALES_DIR / f"{language}.po") for language in LANGUAGES}
REFERENCE = CATALOGS["fi"]
NAMESPACES = {key.split(".")[0] for key in REFERENCE}


def _string_constants() -> tuple[set[str], set[str]]:
    """(every string literal in the code, literals passed first to a translating call)."""
    literals: set[str] = set()
    translated: set[str] = set()
    for directory in CODE_DIRS:
        for path in (ROOT / directory).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    literals.add(node.value)
                if isinstance(node, ast.Call):
                    name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                    position = TRANSLATING_CALLS.get(name)
                    if position is None or len(node.args) <= position:
                        continue
                    key = node.args[position]
                    if isinstance(key, ast.Constant) and isinstance(key.value, str):
                        translated.add(key.value)
    return literals, translated


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_language_has_exactly_the_reference_keys(language: str) -> None:
    keys = set(CATALOGS[language])

    assert sorted(set(REFERENCE) - keys) == [], f"missing in {language}"
    assert sorted(keys - set(REFERENCE)) == [], f"in {language} but not in fi"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_text_is_empty_and_placeholders_match_finnish(language: str) -> None:
    for key, forms in CATALOGS[language].items():
        assert all(form.strip() for form in forms), f"{language}: {key} is empty"
        for form, reference in zip(forms, REFERENCE[key], strict=False):
            assert _placeholders(form) == _placeholders(reference), f"{language}: {key}"


def test_every_key_is_used_and_every_used_key_exists() -> None:
    literals, translated = _string_constants()
    key_like = {literal for literal in literals if KEY.match(literal)}
    used = translated | {key for key in key_like if key.split(".")[0] in NAMESPACES}

    assert sorted(set(REFERENCE) - literals) == [], "keys in the catalogs that no code uses"
    assert sorted(used - set(REFERENCE)) == [], "keys the code uses that the catalogs lack"


def test_texts_render_with_their_parameters() -> None:
    translator = Translator.load()

    assert translator.text("sv", "start.welcome", name="Britt").startswith("Hej Britt!")
    assert translator.text(None, "start.welcome", name="{oops}").startswith("Hei {oops}!")
    assert translator.text("en", "language.changed") == "Done! I will now speak English."


def test_words_render_in_the_readers_language() -> None:
    translator = Translator.load()
    off = Text("meetings.off")
    words = Lines(
        (
            "Kävelyryhmä",
            Lines(("✓ ", Text("language.name.sv")), sep=""),
            Text("stats.week", {"week": 2}),
            decimal("7.5"),
            PerLanguage({"fi": "ti", "sv": "tis", "en": "Tue"}),
            Cut(Lines(("abcdef", off), sep=" "), 8),
        )
    )

    fi = translator.render("fi", words).split("\n")
    en = translator.render("en", words).split("\n")
    assert fi[0] == en[0] == "Kävelyryhmä"  # a name is shown as it is
    assert fi[1] == "✓ " + translator.text("fi", "language.name.sv")
    assert fi[2] == translator.text("fi", "stats.week", week=2)
    assert (fi[3], en[3]) == ("7,5", "7.5")
    assert (fi[4], en[4]) == ("ti", "Tue")
    assert en[5] == ("abcdef " + translator.text("en", "meetings.off"))[:8]
    assert translator.render(None, words) == translator.render("fi", words)


def test_a_missing_key_falls_back_to_finnish_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    translator = Translator.load()

    text = translator.text("en", "no.such-key")

    assert text == "no.such-key"
    assert "missing" in caplog.text


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("fi", "fi"),
        ("sv-FI", "sv"),
        ("en-gb", "en"),
        ("EN", "en"),
        ("de", None),
        ("", None),
        (None, None),
    ],
)
def test_telegram_language_codes_map_to_ours(code: str | None, expected: str | None) -> None:
    assert normalize_language(code) == expected
