"""How soon the Mini App's dashboard is usable on a phone-wide page.

    python -m benchmarks.page [--runs 20] [--groups 10]

Starts the real bot with the Mini App (on the real clock, against the emulator), with a
coordinator whose organisation has ``--groups`` groups of six participants who each wrote
twice this week, then opens the dashboard ``--runs`` times in the distribution's headless
Chromium (``apt-get install chromium``), each time in a fresh browser context (nothing
cached, as when the person opens it from Telegram) with freshly signed launch data. Prints
p50 and max of the time from navigation to the dashboard's figures shown (the page's own
``kannustin-ready`` mark: launch data read, words and /app/api/me, the dashboard's answer
drawn as tables and the chart), and of the same seen from outside (``goto`` until the
figures table is visible). Target: under 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.clock import SystemClock
from emulator import BotApiEmulator
from testing.browser import headless_chromium, launch_address, phone_tab
from testing.databases import drop_created, which
from testing.harness import TOKEN, RunningBot
from testing.webapp import web_settings

PEOPLE = 6  # per group: enough that the week's figures are shown, not hidden


async def build(bot: RunningBot, groups: int) -> dict[str, Any]:
    """The coordinator, and ``groups`` groups whose participants wrote this week."""
    emulator = bot.emulator
    coordinator = emulator.user(2000, "Kaisa", language_code="fi")
    await bot.make_staff(coordinator, "coordinator", "Espoo")
    for n in range(groups):
        instructor = emulator.user(3000 + n, f"Ohjaaja{n}", language_code="fi")
        group = await bot.registered_group(instructor, -100 - n, f"Ryhmä {n + 1}")
        for p in range(PEOPLE):
            person = emulator.user(10_000 + n * 100 + p, f"Osallistuja{p}", language_code="fi")
            await emulator.member_joined(person, group)
            for m in range(2):
                await emulator.send_text(person, f"viesti {m}", chat=group)
    await bot.handled_everything()
    await bot.services.events.flush()
    return coordinator


async def measure(runs: int, groups: int) -> None:
    emulator = BotApiEmulator(TOKEN)
    await emulator.start()
    with tempfile.TemporaryDirectory() as folder:
        settings = web_settings(
            emulator, Path(folder) / "bench.db", admins="1000", log_level="WARNING"
        )
        clock = SystemClock()
        bot = RunningBot(settings, emulator, clock)  # type: ignore[arg-type]
        await bot.start()
        try:
            coordinator = await build(bot, groups)
            marks: list[float] = []
            outside: list[float] = []
            async with headless_chromium() as browser:
                for _ in range(runs + 1):  # the first warms the browser and the bot up
                    page = await phone_tab(browser)
                    address = launch_address(bot, coordinator, clock, view="dashboard")
                    started = time.perf_counter()
                    await page.goto(address)
                    await page.locator("table.weeks").first.wait_for(state="visible")
                    outside.append(time.perf_counter() - started)
                    marks.append(
                        await page.evaluate(
                            "performance.getEntriesByName('kannustin-ready')[0].startTime"
                        )
                        / 1000
                    )
                    await page.context.close()
            print(f"dashboard of {groups} groups, {runs} runs in a fresh context each")
            print(f"  navigation to figures shown (the page's mark): {_ms(marks[1:])}")
            print(f"  goto to the figures table visible (from outside): {_ms(outside[1:])}")
        finally:
            await bot.stop()
    await emulator.stop()


def _ms(times: list[float]) -> str:
    return f"p50 {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--groups", type=int, default=10)
    arguments = parser.parse_args()
    print(f"database: {which()}")
    try:
        asyncio.run(measure(arguments.runs, arguments.groups))
    finally:
        drop_created()


if __name__ == "__main__":
    main()
