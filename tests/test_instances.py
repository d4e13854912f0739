"""Several instances on one PostgreSQL database, behind one webhook URL.

Two real ``kannustin run --webhook`` processes share the database and a round-robin proxy
(the one URL Telegram knows). One leads: it alone sends the outbox and fires the schedule.
The test kills the leader with SIGKILL in the middle of a broadcast to 200 groups, while
200 reminders fall due; the other instance takes over within its poll time and finishes:
every group gets the broadcast once (a message in flight at the kill may come twice, the
documented rule) and its reminder exactly once, and the survivor still answers people.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.clock import FixedClock
from bot.dates import SHORT_WEEKDAYS as WEEKDAYS
from emulator import BotApiEmulator
from storage.rows import execute
from storage.timestamps import to_db
from testing.databases import on_postgres
from tests.test_e2e_process import Process, _environment, _free_port, _wait_for_port
from tests.test_e2e_process import spawn as spawn  # noqa: PLC0414 - the fixture, shared
from tests.test_faults import (
    ADMIN,
    Spawn,
    assert_only_in_flight_repeated,
    copies,
    is_broadcast,
    local_zone_at,
    outbox_rows,
    prepared_groups,
    process_database,
    until,
)

pytestmark = pytest.mark.skipif(
    not on_postgres(), reason="several instances need PostgreSQL (KANNUSTIN_TEST_POSTGRES)"
)

GROUPS = 200
LEADING = "leading: this instance sends"
SECRET = "shared-by-every-instance"
# the one URL, the instances behind it, and how many updates each answered
Proxy = tuple[str, list[str], dict[str, int]]


@pytest.fixture
async def proxy() -> AsyncIterator[Proxy]:
    """The one webhook URL: forwards each update to the next instance that answers."""
    backends: list[str] = []
    served: dict[str, int] = {}  # updates each instance answered
    turn = itertools.count()
    session = aiohttp.ClientSession()

    async def forward(request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower().startswith("x-")}
        headers["Content-Type"] = "application/json"
        start = next(turn)
        for offset in range(len(backends)):
            backend = backends[(start + offset) % len(backends)]
            try:
                async with session.post(backend, data=body, headers=headers) as answer:
                    served[backend] = served.get(backend, 0) + 1
                    return web.Response(status=answer.status, body=await answer.read())
            except aiohttp.ClientConnectionError:
                continue  # that instance is gone: the next one serves
        return web.Response(status=502)

    app = web.Application()
    app.router.add_post("/hook", forward)
    runner = web.AppRunner(app)
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}/hook", backends, served
    await runner.cleanup()
    await session.close()


async def test_the_leader_dies_mid_broadcast_and_the_other_instance_finishes_once(
    emulator: BotApiEmulator, tmp_path: Path, spawn: Spawn, proxy: Proxy
) -> None:
    url, backends, served = proxy
    now = dt.datetime.now(dt.UTC)
    clock = FixedClock(now)
    # a meeting in each group next week (its reminders are far off until the test moves
    # them), and a broadcast to all 200 groups due a second after the setup
    zone = local_zone_at(11, now)  # it is late morning there: no quiet hours
    local = now.astimezone(dt.timezone(dt.timedelta(hours=11 - now.hour)))
    meeting = local + dt.timedelta(days=7)
    weekday = WEEKDAYS["fi"][meeting.weekday()]
    text = "Everyone together"
    ilkka, groups = await prepared_groups(
        emulator,
        tmp_path,
        clock,
        GROUPS,
        timezone=zone,
        broadcast=text,
        command=lambda _: f"/meetings {weekday} 12:00 {meeting.day}.{meeting.month}. x1",
    )
    reminder = "Reminder: tomorrow is our group meeting"

    instances: list[Instance] = []
    for _ in range(2):
        port = _free_port()
        env = _environment(
            emulator,
            tmp_path,
            KANNUSTIN_ADMINS=ADMIN,
            KANNUSTIN_LOG_LEVEL="INFO",
            KANNUSTIN_TIMEZONE=zone,
            KANNUSTIN_WEBHOOK_URL=url,
            KANNUSTIN_WEBHOOK_SECRET=SECRET,
            KANNUSTIN_LISTEN=f"127.0.0.1:{port}",
            KANNUSTIN_LEADER_POLL="0.5",
        )
        instances.append(Instance(await spawn(env, "run", "--webhook")))
        await _wait_for_port(port, timeout=30)
        backends.append(f"http://127.0.0.1:{port}/hook")

    # people write in a group: each update goes to one instance or the other, and every
    # instance logs its engagement events into the one log
    logged = await _count(tmp_path, "message", groups[0].id)  # the instructor's command
    aino = emulator.user(5001, "Aino", language_code="en")
    await emulator.member_joined(aino, groups[0])
    for n in range(6):
        await emulator.send_text(aino, f"Hello {n}", chat=groups[0])
    await until_async(
        lambda: _count(tmp_path, "message", groups[0].id), logged + 6, "the messages logged"
    )

    await until(lambda: sum(copies(emulator, g.id, text) for g in groups) >= 20, "sending began")
    await until(lambda: all("bot @" in i.log for i in instances), "both instances started")
    leading = [i for i in instances if LEADING in i.log]
    assert len(leading) == 1, "exactly one instance leads"
    leader, survivor = leading[0], next(i for i in instances if i not in leading)
    # every group's evening reminder falls due a second from now: after the kill, while
    # no instance leads (the leader's jobs are for their old time)
    await _due_in(tmp_path, "evening", dt.timedelta(seconds=1))
    assert await leader.stop(signal.SIGKILL) == -signal.SIGKILL
    at_crash = await outbox_rows(tmp_path, groups, is_broadcast)
    assert "pending" in at_crash.values(), "the broadcast was over before the kill"

    report = await emulator.wait_for(
        "sendMessage",
        chat_id=ilkka["id"],
        where=lambda c: (c.text or "").startswith("Broadcast #1"),
        timeout=90,
    )
    assert report.text == f"Broadcast #1: delivered to {GROUPS} of {GROUPS} groups."
    assert_only_in_flight_repeated(at_crash, emulator, text)
    await until(
        lambda: all(copies(emulator, g.id, reminder) >= 1 for g in groups),
        "every group's reminder",
        timeout=90,
    )
    await asyncio.sleep(1.5)  # time for a second copy, were one coming
    assert [copies(emulator, g.id, reminder) for g in groups] == [1] * GROUPS

    # the one URL still answers: the proxy finds the instance that lives
    carol = emulator.user(77, "Carol", language_code="en")
    await emulator.send_text(carol, "/start")
    answer = await emulator.wait_for("sendMessage", chat_id=77, timeout=15)
    assert (answer.text or "").startswith("Hello Carol!")

    assert await survivor.stop() == 0, survivor.log
    assert LEADING in survivor.log and "Traceback" not in survivor.log
    assert await _count(tmp_path, "message", groups[0].id) == logged + 6
    assert len(served) == 2 and min(served.values()) >= 3  # both instances answered


async def until_async(
    value: Callable[[], Awaitable[int]], wanted: int, what: str, timeout: float = 30.0
) -> None:
    for _ in range(int(timeout / 0.1)):
        if await value() == wanted:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


async def _count(tmp_path: Path, kind: str, group_id: int) -> int:
    async with process_database(tmp_path) as tx:
        row = await tx.connection.fetch_one(
            "SELECT COUNT(*) FROM events e JOIN groups g ON g.id = e.group_id "
            "WHERE e.kind = :kind AND g.chat_id = :chat",
            {"kind": kind, "chat": group_id},
        )
    return int(row[0])


class Instance:
    """A running ``kannustin run``, and its log so far (``Process`` reads it as it is
    written: a full pipe would stop the process)."""

    def __init__(self, process: Process) -> None:
        self._process = process

    @property
    def log(self) -> str:
        return self._process.stderr.decode(errors="replace")

    async def stop(self, signum: int = signal.SIGTERM) -> int:
        return await self._process.stop(signum, timeout=15)


async def _due_in(tmp_path: Path, kind: str, delay: dt.timedelta) -> None:
    async with process_database(tmp_path) as tx:
        moved = await execute(
            tx.connection,
            "UPDATE schedule_items SET due_at = :now WHERE kind = :kind AND status = 'pending'",
            {"now": to_db(dt.datetime.now(dt.UTC) + delay), "kind": kind},
        )
    assert moved == GROUPS
