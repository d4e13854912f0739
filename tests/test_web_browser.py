"""The Mini App in a real browser (the distribution's headless Chromium, phone-wide): a
participant writes a plan (shown back, never stored), rates how sure they are, which
reaches the check-in records like the chat's keys do, and tells how it went; a coordinator
opens it from Telegram and sees the group's weekly figures and the chart, small numbers as
/stats writes them and never as 0, and switches to Swedish and to the dark theme; launch
data too old to trust says to open the app from Telegram again. Nothing is fetched from
any other host. Screenshots are saved in the test's temporary folder."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Page, Route, expect

from bot.clock import FixedClock
from testing.browser import DARK, LIGHT, chromium, launch_address, phone
from testing.harness import RunningBot
from testing.webapp import init_data
from tests.test_e2e_checkins import fire_at, helsinki, participants, private
from tests.test_e2e_stats import talk

# .ci/run installs Chromium and sets CI: there a missing browser fails the test
if chromium() is None and not os.environ.get("CI"):
    pytest.skip(
        "the browser test needs Chromium from the distribution: apt-get install chromium",
        allow_module_level=True,
    )


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    async with phone() as tab:
        yield tab


class Watched:
    """What the page did that it must not: script errors and requests to other hosts."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        self.foreign: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    async def local_only(self, route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            await route.continue_()
        else:
            self.foreign.append(route.request.url)
            await route.abort()


async def watched(page: Page) -> Watched:
    watch = Watched(page)
    await page.route("**/*", watch.local_only)
    return watch


def cells(row: list[str], header: list[str]) -> dict[str, str]:
    return dict(zip(header, row, strict=True))


async def table(page: Page, caption: str) -> tuple[list[str], list[list[str]]]:
    """A weekly table's header and rows as the person reads them."""
    found = page.locator("table.weeks", has=page.locator("caption", has_text=caption))
    header = await found.locator("thead th").all_inner_texts()
    rows = [
        await row.locator("th, td").all_inner_texts()
        for row in await found.locator("tbody tr").all()
    ]
    return header, rows


async def test_a_participant_makes_a_plan_and_a_coordinator_reads_the_dashboard(
    served: RunningBot, page: Page, clock: FixedClock, tmp_path: Path
) -> None:
    bot, emulator = served, served.emulator
    watch = await watched(page)
    ilkka = emulator.user(3000, "Ilkka", language_code="fi")
    walking = await bot.registered_group(ilkka, -100, "Kävelyryhmä")
    kaisa = emulator.user(2000, "Kaisa", language_code="en")
    await bot.make_staff(kaisa, "coordinator", "Espoo")
    walkers = [emulator.user(5000 + n, f"Osallistuja{n}", language_code="fi") for n in range(6)]
    await participants(bot, walking, walkers, consenting=1)
    await bot.set_meetings(ilkka, "/meetings ti 14:00 1.12. x2", chat=walking)
    # Tuesday after the first meeting: Osallistuja0 (who consented) is invited to plan
    mark = await fire_at(bot, clock, helsinki("2026-12-01", "16:00"))
    await private(bot, walkers[0], mark, "Tämän viikon pieni suunnitelma (Kävelyryhmä)")
    await talk(bot, walking, walkers, 2)  # week 1: 6 active, 12 messages, 6 reactions

    # the participant opens the weekly plan from the invitation's button, in Telegram's dark
    participant = walkers[0]
    await page.goto(launch_address(bot, participant, clock, view="plan", theme=DARK))
    await expect(page.locator("body[data-ready=plan]")).to_be_attached()
    await expect(page.get_by_text("Kävelyryhmä, viikko 1")).to_be_visible()
    assert await page.locator("#views").is_hidden()  # no dashboard for a participant
    assert await page.locator("#plan-progress").is_hidden()  # first the plan and a rating
    words = "Kävelen kirjastoon tiistaina ja torstaina"
    await page.get_by_label("Mitä aiot tehdä tällä viikolla?").fill(f"  {words}  ")
    await page.get_by_role("button", name="Näytä suunnitelmani").click()
    await expect(page.locator("#plan-echo")).to_have_text(words)

    slider = page.get_by_label("Kuinka varma olet")
    await slider.fill("5")
    await expect(page.locator("#confidence-value")).to_have_text("5")
    assert await slider.get_attribute("aria-valuetext") == "5 / 10"
    await page.get_by_role("button", name="Tallenna varmuus").click()
    answer = page.locator("#confidence-answer")
    await expect(answer).to_be_visible()
    assert "alle 7" in await answer.inner_text()  # make it smaller: at once
    await expect(page.locator("#plan-progress")).to_be_visible()  # rated: progress may follow
    await page.screenshot(path=tmp_path / "plan-fi-dark.png", full_page=True)
    async with bot.services.database.transaction() as tx:
        (record,) = await tx.checkins.of_meeting(1)
    assert (record.confidence, record.ratings) == (5, 1)

    # a smaller plan, rated again: the same rule as the chat's keys
    await slider.fill("8")
    await page.get_by_role("button", name="Tallenna varmuus").click()
    await expect(answer).not_to_contain_text("alle 7")
    async with bot.services.database.transaction() as tx:
        (record,) = await tx.checkins.of_meeting(1)
    assert (record.confidence, record.ratings) == (8, 2)

    # done already: the group may be told, once
    await page.get_by_role("button", name="Tehty").click()
    await expect(page.locator("#progress-answer")).to_contain_text("teit sen")
    await expect(page.get_by_role("button", name="Tehty")).to_have_attribute("aria-pressed", "true")
    mark = emulator.mark()
    await page.get_by_role("button", name="Kerro ryhmälle").click()
    await expect(page.get_by_role("button", name="Kerro ryhmälle")).to_be_hidden()
    told = await emulator.wait_for("sendMessage", chat_id=walking.id, after=mark)
    assert (told.text or "").startswith("🎉 Osallistuja0 teki tämän viikon suunnitelmansa!")
    async with bot.services.database.transaction() as tx:
        (record,) = await tx.checkins.of_meeting(1)
    assert record.progress_mid == "done"

    # the next week only four write: fewer than five
    clock.set(helsinki("2026-12-08", "16:00"))
    await talk(bot, walking, walkers[:4], 1)
    await bot.handled_everything()
    await bot.services.events.flush()
    stats = await bot.say(kaisa, "/stats")
    assert "Week 1\nMembers 6 · active 6\nMessages 12 · reactions 6" in (stats.text or "")
    assert "Week 2\nMembers 6 · active <5\n" in (stats.text or "")

    # the coordinator opens the Mini App from the menu button: English, Telegram's light
    # theme (a page of its own: an address that differs only after # would not load anew)
    await page.goto("about:blank")
    await page.goto(launch_address(bot, kaisa, clock, theme=LIGHT))
    await expect(page.locator("body[data-ready=dashboard]")).to_be_attached()
    await expect(page.locator("table.weeks").first).to_be_visible()
    await expect(page.locator("#dashboard-title")).to_have_text(re.compile("week by week|together"))
    header, rows = await table(page, "Kävelyryhmä")
    assert header[:5] == ["Week", "Members", "Active", "Messages", "Reactions"]
    week1, week2 = (cells(row, header) for row in rows)
    assert [week1[name] for name in header[:5]] == ["1", "6", "6", "12", "6"]
    # about fewer than five people: as /stats writes it, never as 0
    assert (week1["Plans"], week2["Active"], week2["Messages"]) == ("<5", "<5", "<5")
    chart = page.locator("svg.chart")
    bars = chart.locator("rect.bar-shape")
    await expect(bars).to_have_count(1)
    assert await bars.get_attribute("data-value") == "6"
    assert await chart.locator("rect.bar-hidden").count() == 1  # week 2, hidden
    assert (await chart.get_attribute("aria-label") or "").endswith("Week 1: 6; Week 2: <5")
    assert page.viewport_size is not None
    assert (
        await page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    )
    await page.screenshot(path=tmp_path / "dashboard-en-light.png", full_page=True)

    # Swedish, then the dark theme
    await page.get_by_label("Language").select_option("sv")
    await expect(page.locator("html")).to_have_attribute("lang", "sv")
    header, _ = await table(page, "Kävelyryhmä")
    assert header[:3] == ["Vecka", "Medlemmar", "Aktiva"]
    # the answer's own words (its title, the notes) are asked for in Swedish as well
    await expect(page.locator("#dashboard-title")).to_have_text(
        re.compile("vecka för vecka|sammanlagt")
    )
    await expect(page.locator("#status")).to_have_text("")  # loaded
    light = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    await page.get_by_role("button", name="Mörkt tema").click()
    await expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    dark = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (light, dark) == ("rgb(255, 255, 255)", "rgb(23, 33, 43)")
    await expect(page.get_by_role("button", name="Ljust tema")).to_have_attribute(
        "aria-pressed", "true"
    )
    await page.screenshot(path=tmp_path / "dashboard-sv-dark.png", full_page=True)
    small = await page.evaluate(
        """[...document.querySelectorAll('button, select, a.tab')]
            .filter(e => e.offsetParent !== null)
            .map(e => e.getBoundingClientRect())
            .filter(r => r.height < 44 || r.width < 44).length"""
    )
    assert small == 0  # every touch target at least 44 px

    # the other view, by the address's fragment: the launch data stays in it
    await page.get_by_role("link", name="Veckans plan").click()
    await expect(page.get_by_text("Du har ingen öppen veckoplan just nu.")).to_be_visible()
    assert "#plan&tgWebAppData=" in page.url
    await expect(page.locator("#dashboard")).to_be_hidden()

    assert watch.errors == []
    assert watch.foreign == []


async def test_old_launch_data_says_to_open_the_app_from_telegram_again(
    served: RunningBot, page: Page, clock: FixedClock
) -> None:
    kaisa = served.emulator.user(2000, "Kaisa", language_code="en")
    await served.make_staff(kaisa, "coordinator", "Espoo")
    address = launch_address(served, kaisa, clock)
    clock.set(clock.now() + dt.timedelta(hours=2))
    await page.goto(address)
    await expect(page.get_by_role("alert")).to_contain_text(
        "Open the app again from the bot's button in Telegram."
    )


async def test_telegrams_script_when_there_gives_the_launch_data_and_the_theme(
    served: RunningBot, page: Page, clock: FixedClock
) -> None:
    kaisa = served.emulator.user(2000, "Kaisa", language_code="sv")
    await served.make_staff(kaisa, "coordinator", "Espoo")
    signed = init_data(kaisa, signed_at=clock.now())
    # what telegram-web-app.js sets up inside Telegram (the address then has no fragment)
    web_app = f"{{initData: {json.dumps(signed)}, themeParams: {json.dumps(DARK)}}}"
    await page.add_init_script(
        f"window.Telegram = {{WebApp: {web_app}}};"
        "window.Telegram.WebApp.ready = () => { window.told = 1 };"
    )
    await page.goto(str(served.settings.web_url))
    await expect(page.locator("body[data-ready=dashboard]")).to_be_attached()
    await expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    await expect(page.get_by_role("heading", name="Översikt")).to_be_attached()
    assert await page.evaluate("window.told") == 1  # the page told Telegram it is ready


async def test_a_participant_asking_for_the_dashboard_reads_why_not(
    served: RunningBot, page: Page, clock: FixedClock
) -> None:
    aino = served.emulator.user(5001, "Aino", language_code="en")
    await page.goto(launch_address(served, aino, clock, view="dashboard"))
    await expect(page.get_by_role("alert")).to_have_text(
        "This is for instructors and coordinators. If you are an instructor, ask your "
        "coordinator for an invitation link."
    )
    assert await page.locator("#views").is_hidden()
