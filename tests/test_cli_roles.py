"""`kannustin role list|revoke`: who holds which role, and an admin ending one on the command
line, in the same database the running bot uses (which sends the notices)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.clock import FixedClock
from testing.databases import run_kannustin
from testing.harness import RunningBot
from tests.test_cli_broadcast import WallClock
from tests.test_e2e_notices import settled, told
from tests.test_e2e_privacy import rows
from tests.test_e2e_staff import espoo, said


@pytest.fixture
def clock() -> FixedClock:
    return WallClock(dt.datetime.now(dt.UTC))


async def kannustin(bot: RunningBot, *arguments: str) -> tuple[int, str, str]:
    return await run_kannustin(bot.settings.database, "role", *arguments)


async def test_an_admin_lists_and_ends_roles_on_the_command_line(bot: RunningBot) -> None:
    kaisa, cora, ilkka, tuula = await espoo(bot)

    status, out, _ = await kannustin(bot, "list")
    assert status == 0
    assert out == (
        "organisation 1: Espoo\n"
        "  coordinator  2001         Cora\n"
        "  coordinator  2000         Kaisa\n"
        "  instructor   3000         Ilkka  leads #1 Walking group\n"
        "  instructor   3001         Tuula  leads #1 Walking group\n"
    )

    status, out, _ = await kannustin(bot, "revoke", str(ilkka["id"]), "--group", "1")
    assert (status, out) == (0, "user 3000 (Ilkka) no longer leads #1 Walking group\n")
    await bot.emulator.wait_for("sendMessage", chat_id=ilkka["id"], timeout=20)
    await settled(bot)
    assert told(bot, ilkka, "You are no longer") == [
        "You are no longer an instructor of the group #1 Walking group (removed by an admin). "
        "Your role in Espoo and your other groups stay as they were. To lead it again, ask "
        "for a co-instructor's invitation link."
    ]
    assert len(told(bot, tuula, "Ilkka är inte längre")) == 1
    assert len(told(bot, kaisa, "Ilkka is no longer")) == 1
    assert len(told(bot, cora, "Ilkka ei ole enää")) == 1

    status, out, _ = await kannustin(bot, "revoke", str(tuula["id"]))
    assert (status, out) == (
        0,
        "user 3001 (Tuula): instructor role in Espoo ended; no longer leads #1 Walking group\n"
        "nobody leads now: #1 Walking group\n",
    )
    await bot.emulator.wait_for("sendMessage", chat_id=tuula["id"], timeout=20)
    await settled(bot)
    assert (await said(bot, tuula, "/broadcast")).startswith("Det här är för handledare")

    status, out, _ = await kannustin(bot, "revoke", str(kaisa["id"]))
    assert status == 0
    status, out, err = await kannustin(bot, "revoke", str(cora["id"]))
    assert (status, out) == (2, "")
    assert err == (
        "kannustin: Cora is the last coordinator of Espoo, so the role stays. Another "
        "coordinator must join first. Nothing was changed.\n"
    )
    status, _, err = await kannustin(bot, "revoke", "999")
    assert status == 2 and err.startswith("kannustin: That person is not")
    status, _, err = await kannustin(bot, "revoke", str(cora["id"]), "--group", "99")
    assert (status, err) == (2, "kannustin: There is no group #99. Nothing was changed.\n")

    status, out, _ = await kannustin(bot, "list", "--org", "Espoo")
    assert out == (
        "organisation 1: Espoo\n"
        "  coordinator  2001         Cora\n"
        "  instructor   3000         Ilkka\n"
        "  nobody leads: #1 Walking group\n"
    )
    status, out, _ = await run_kannustin(bot.settings.database, "audit", "--action", "role-revoked")
    assert status == 0
    newest, older = (line.split("Z  ", 1)[1] for line in out.splitlines())
    assert newest == (
        "role-revoked         command line     coordinator of organisation 1 of user 2000 via "
        'command line  {"groups":[],"how":"by-admin","invitations_closed":0,'
        '"scheduled_withdrawn":0,"unled":[]}'
    )
    assert older.endswith(
        "instructor of organisation 1 of user 3001 via command line  "
        '{"groups":[1],"how":"by-admin","invitations_closed":0,"scheduled_withdrawn":0,"unled":[1]}'
    )
    assert await rows(
        bot, "SELECT actor_id, channel, subject_id FROM audit_log WHERE action = 'role-revoked'"
    ) == [(0, "command-line", tuula["id"]), (0, "command-line", kaisa["id"])]
