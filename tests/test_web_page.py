"""The Mini App's page as files: every word it shows exists in fi, sv and en, the page and
its assets stay under 300 KB, nothing is loaded from another server, and the bot serves
them (the page itself, its script, style and words)."""

from __future__ import annotations

import json
import re

import aiohttp

from bot.settings import LANGUAGES
from testing.harness import RunningBot
from web.server import STATIC

PAGE_BUDGET = 300 * 1024  # bytes: the page and everything it loads


def catalogue() -> dict[str, dict[str, str]]:
    texts: dict[str, dict[str, str]] = json.loads((STATIC / "texts.json").read_text("utf-8"))
    return texts


def keys_used() -> set[str]:
    html = (STATIC / "index.html").read_text("utf-8")
    script = (STATIC / "app.js").read_text("utf-8")
    used = set(re.findall(r'data-t(?:-label)?="([a-z0-9.-]+)"', html))
    # every key-like string of the script: t("plan.rate"), the column headings, refusals
    prefixes = {key.split(".")[0] for key in catalogue()["fi"]}
    literals = re.findall(r'"([a-z]+\.[a-z0-9-]+)"', script)
    used |= set(re.findall(r'\bt\("([a-z0-9.-]+)"', script))
    return used | {key for key in literals if key.split(".")[0] in prefixes}


def test_every_word_of_the_page_is_there_in_every_language() -> None:
    texts = catalogue()
    assert sorted(texts) == sorted(LANGUAGES)
    reference = set(texts["fi"])
    for language, words in texts.items():
        assert set(words) == reference, language
        assert all(word.strip() for word in words.values()), language
    used = keys_used()
    assert used - reference == set(), "words the page uses but the catalogue lacks"
    assert reference - used == set(), "words in the catalogue that the page never uses"


def test_the_page_and_its_assets_are_small_and_local() -> None:
    files = [path for path in STATIC.rglob("*") if path.is_file()]
    assert sum(path.stat().st_size for path in files) < PAGE_BUDGET
    for path in files:
        text = path.read_text("utf-8")
        # no script, style, font or image from another server (a CDN would break the page
        # where only the bot's server can be reached)
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), path.name
        assert not re.search(r"""(url\(|import\s|fetch\()\s*["']?(https?:)?//""", text), path.name


async def test_the_bot_serves_the_page_and_its_assets(served: RunningBot) -> None:
    base = str(served.settings.web_url)
    got = {}
    async with aiohttp.ClientSession() as session:
        for path in ("", "static/app.js", "static/app.css", "static/texts.json"):
            async with session.get(base + path) as response:
                got[path] = (response.status, response.content_type, len(await response.read()))
    assert {path: status for path, (status, _, _) in got.items()} == dict.fromkeys(got, 200)
    assert got[""][1] == "text/html"
    assert got["static/app.js"][1] in ("application/javascript", "text/javascript")
    assert got["static/app.css"][1] == "text/css"
    assert got["static/texts.json"][1] == "application/json"


def contrast(one: str, other: str) -> float:
    """WCAG 2's contrast ratio of two #rrggbb colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_our_colours_pass_wcag_aa_in_both_themes() -> None:
    style = (STATIC / "app.css").read_text("utf-8")
    themes = {
        name: dict(re.findall(r"--([a-z-]+): var\(--tg-theme-[a-z-]+, (#[0-9a-f]{6})\)", block))
        for name, block in (
            ("light", style.split(":root {", 1)[1].split("}", 1)[0]),
            ("dark", style.split(':root[data-theme="dark"] {', 1)[1].split("}", 1)[0]),
        )
    }
    pairs = [
        ("text", "bg"),
        ("text", "section"),
        ("hint", "bg"),
        ("hint", "section"),
        ("link", "bg"),
        ("link", "section"),
        ("button-text", "button"),
        ("danger", "bg"),
    ]
    for name, colours in themes.items():
        assert len(colours) == 8, name
        low = {
            (fore, back): round(contrast(colours[fore], colours[back]), 2)
            for fore, back in pairs
            if contrast(colours[fore], colours[back]) < 4.5  # AA for normal text
        }
        assert low == {}, name
