"""The Mini App's door: only launch data Telegram signed for this bot, and recently, opens
its API; everything else gets a 401 and learns nothing. ``/app/api/me`` tells the page the
person's language and roles. A bot without the Mini App settings serves nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import aiohttp
import pytest
from pydantic import ValidationError

from bot.clock import FixedClock
from emulator import BotApiEmulator
from testing.harness import TOKEN, RunningBot, test_settings
from testing.webapp import WebClient, free_port, init_data
from web.auth import Unauthorized, verify

OTHER_BOT = "987654321:" + "Q" * 35


async def test_a_signed_launch_opens_the_api_for_that_person(
    served: RunningBot, clock: FixedClock
) -> None:
    sam = served.emulator.user(3100, "Sam", language_code="en")
    await served.make_staff(sam, "coordinator")
    status, me = await WebClient(served, sam, clock).get("/app/api/me")
    assert status == 200
    assert me == {
        "id": 3100,
        "first_name": "Sam",
        "language": "en",
        "roles": ["coordinator", "everyone"],
    }

    aino = served.emulator.user(5001, "Aino", language_code="sv")
    status, me = await WebClient(served, aino, clock).get("/app/api/me")
    assert (status, me["language"], me["roles"]) == (200, "sv", ["everyone"])


async def test_missing_forged_foreign_and_old_launch_data_get_401(
    served: RunningBot, clock: FixedClock
) -> None:
    sam = served.emulator.user(3100, "Sam", language_code="en")
    await served.make_staff(sam, "coordinator")
    client = WebClient(served, None, clock)
    now = clock.now()
    good = init_data(sam, signed_at=now)
    tampered = good.replace("Sam", "Eve")  # the name changed after signing
    refused = {
        "none": await client.get("/app/api/me"),
        "not tma": await client.get("/app/api/me", launch=None),
        "forged": await client.get("/app/api/me", launch=tampered),
        "other bot": await client.get(
            "/app/api/me", launch=init_data(sam, signed_at=now, token=OTHER_BOT)
        ),
        "an hour and a minute old": await client.get(
            "/app/api/me", launch=init_data(sam, signed_at=now - dt.timedelta(minutes=61))
        ),
        "from tomorrow": await client.get(
            "/app/api/me", launch=init_data(sam, signed_at=now + dt.timedelta(days=1))
        ),
        "no hash": await client.get("/app/api/me", launch=good.rsplit("&hash=", 1)[0]),
        "junk": await client.get("/app/api/me", launch="%%%&&&=" * 50),
    }
    assert refused == {why: (401, {"error": "unauthorized"}) for why in refused}
    # a Basic header is not launch data either
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{client.base}/app/api/me", headers={"Authorization": "Basic c2FtOnNhbQ=="}
        ) as response,
    ):
        assert response.status == 401
    # within the hour it holds
    assert (await client.get("/app/api/me", launch=good))[0] == 200
    held = init_data(sam, signed_at=now - dt.timedelta(minutes=59))
    assert (await client.get("/app/api/me", launch=held))[0] == 200


async def test_the_page_is_served_without_login(served: RunningBot) -> None:
    base = str(served.settings.web_url)
    async with aiohttp.ClientSession() as session:
        async with session.get(base) as page:
            assert page.status == 200
            assert page.content_type == "text/html"
            assert "<title>Kannustin</title>" in await page.text()
        async with session.get(base + "static/../../bot/settings.py") as escape:
            assert escape.status in (403, 404)
        async with session.get(base + "api/nothing-here") as unknown:
            assert unknown.status == 404


def test_verify_follows_telegrams_documented_example_shape() -> None:
    """The check itself, without a server: the signed fields come back as the person;
    a field added after signing breaks it."""
    now = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)
    user = {"id": 42, "first_name": "Aino", "language_code": "fi"}
    launch = init_data(user, signed_at=now)
    person = verify(launch, TOKEN, now=now, max_age=dt.timedelta(hours=1))
    assert (person.id, person.first_name, person.language_code) == (42, "Aino", "fi")
    with pytest.raises(Unauthorized):
        verify(launch + "&chat_type=private", TOKEN, now=now, max_age=dt.timedelta(hours=1))
    with pytest.raises(Unauthorized):
        verify(launch + "&auth_date=1", TOKEN, now=now, max_age=dt.timedelta(hours=1))


def test_the_settings_want_both_web_settings_and_https(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    port = free_port()
    with pytest.raises(ValidationError, match="set both"):
        test_settings(emulator, tmp_path / "a.db", web_listen=f"127.0.0.1:{port}")
    with pytest.raises(ValidationError, match="https"):
        test_settings(
            emulator,
            tmp_path / "a.db",
            web_listen=f"127.0.0.1:{port}",
            web_url="http://bot.example.org/app/",
        )
    fine = test_settings(
        emulator,
        tmp_path / "a.db",
        web_listen="0.0.0.0:8081",
        web_url="https://bot.example.org/app/",
    )
    assert fine.web_auth_max_age == 3600
    assert test_settings(emulator, tmp_path / "a.db").web_listen is None
