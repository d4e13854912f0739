from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.clock import FixedClock
from emulator import BotApiEmulator
from storage import Database, apply_migrations
from testing.databases import database_for, drop_created, on_postgres
from testing.harness import START, TOKEN, RunningBot, test_settings
from testing.webapp import web_settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No KANNUSTIN_* variable or .env file of the machine leaks into a test."""
    for name in list(os.environ):
        if name.startswith("KANNUSTIN_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return


@pytest.fixture(autouse=True)
def _fresh_databases(request: pytest.FixtureRequest) -> Iterator[None]:
    """On PostgreSQL: skip what is about SQLite itself; drop the test's databases after."""
    if on_postgres() and request.node.get_closest_marker("sqlite_only"):
        pytest.skip("about SQLite itself")
    yield
    drop_created()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
async def database(tmp_path: Path, clock: FixedClock) -> AsyncIterator[Database]:
    """A real database (an SQLite file, or PostgreSQL) built by the real migrations."""
    db = Database(database_for(tmp_path / "kannustin.db"))
    await db.connect()
    await apply_migrations(db, clock.now())
    yield db
    await db.close()


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    server = BotApiEmulator(TOKEN)
    await server.start()
    yield server
    await server.stop()
    assert server.violations == [], "requests or answers that break the Bot API spec"


@pytest.fixture
async def bot(
    emulator: BotApiEmulator, tmp_path: Path, clock: FixedClock
) -> AsyncIterator[RunningBot]:
    settings = test_settings(emulator, tmp_path / "bot.db", admins="1000")
    running = RunningBot(settings, emulator, clock)
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def served(
    emulator: BotApiEmulator, tmp_path: Path, clock: FixedClock
) -> AsyncIterator[RunningBot]:
    """A running bot that also serves the Mini App (``testing/webapp.py``)."""
    running = RunningBot(
        web_settings(emulator, tmp_path / "bot.db", admins="1000"), emulator, clock
    )
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
