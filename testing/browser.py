"""The Mini App in a real browser, for its test and its benchmark: the distribution's
headless Chromium (``apt-get install chromium``) driven by Playwright's Python API.
Playwright's own browser downloads are never used (no ``playwright install``): the page
must work in the browser a phone's Telegram embeds, and a packaged Chromium is the
nearest this machine has.

The page is opened the way Telegram opens it: the Mini App's address with the launch
parameters in its fragment (``#tgWebAppData=...&tgWebAppThemeParams=...``), the
``initData`` signed with the bot's token for the person who opens it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote, urlencode

from playwright.async_api import Browser, Page, async_playwright

from bot.clock import Clock
from testing.harness import RunningBot
from testing.webapp import init_data

# a phone: most Android phones are 360-412 CSS pixels wide
PHONE = {"width": 360, "height": 780}
DARK = {
    "bg_color": "#17212b",
    "text_color": "#f5f5f5",
    "hint_color": "#aab6c3",
    "link_color": "#8ab4f8",
    "button_color": "#2b5fad",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#232e3c",
}
LIGHT = {
    "bg_color": "#ffffff",
    "text_color": "#1b1f24",
    "hint_color": "#57606a",
    "link_color": "#0b57d0",
    "button_color": "#0b57d0",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#f1f3f5",
}


def chromium() -> str | None:
    """The packaged Chromium's path, or None when it is not installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def launch_address(
    bot: RunningBot,
    user: dict[str, Any],
    clock: Clock,
    *,
    view: str | None = None,
    theme: dict[str, str] | None = None,
) -> str:
    """The address Telegram opens for ``user``: the Mini App's URL, the view asked for and
    the launch parameters (signed now) in the fragment."""
    settings = bot.settings
    assert settings.web_url is not None
    launch = {
        "tgWebAppData": init_data(user, signed_at=clock.now()),
        "tgWebAppVersion": "8.0",
        "tgWebAppPlatform": "android",
        "tgWebAppThemeParams": json.dumps(theme or LIGHT, separators=(",", ":")),
    }
    fragment = urlencode(launch, quote_via=quote)
    return f"{settings.web_url}#{view + '&' if view else ''}{fragment}"


@asynccontextmanager
async def headless_chromium() -> AsyncIterator[Browser]:
    """The packaged Chromium, headless, closed on the way out."""
    path = chromium()
    if path is None:
        raise RuntimeError("Chromium is not installed: apt-get install chromium")
    async with async_playwright() as playwright:
        # --no-sandbox: the tests may run as root in a container, where the sandbox can't
        browser = await playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            await browser.close()


async def phone_tab(browser: Browser, *, width: int = PHONE["width"]) -> Page:
    """A new tab as wide as a phone, with touch, in a context of its own (nothing cached)."""
    context = await browser.new_context(
        viewport={"width": width, "height": PHONE["height"]},
        device_scale_factor=1,
        has_touch=True,
    )
    return await context.new_page()


@asynccontextmanager
async def phone(*, width: int = PHONE["width"]) -> AsyncIterator[Page]:
    """A tab of a headless Chromium as wide as a phone, with touch."""
    async with headless_chromium() as browser:
        yield await phone_tab(browser, width=width)
