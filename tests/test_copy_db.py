"""``kannustin copy-db``: an SQLite deployment moves to PostgreSQL with all its data, and
the bot carries on there (same pseudonyms with the old key file, new ids after the old)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.clock import FixedClock
from bot.payload import TextContent
from emulator import BotApiEmulator
from storage import Database
from testing.databases import database_for, on_postgres, run_kannustin
from testing.harness import RunningBot, test_settings
from tests.test_access_matrix import snapshot
from tests.test_e2e_checkins import walking_group

pytestmark = pytest.mark.skipif(
    not on_postgres(), reason="copies to PostgreSQL (KANNUSTIN_TEST_POSTGRES)"
)


async def copy_db(source: Path, target: str) -> tuple[int, str]:
    status, out, err = await run_kannustin(
        str(source), "copy-db", "--from", str(source), "--to", target, timeout=120
    )
    return status, out + err


async def contents(target: str) -> dict[str, list[tuple[Any, ...]]]:
    database = Database(target)
    await database.connect()
    try:
        return await snapshot(database)
    finally:
        await database.close()


async def test_a_deployment_moves_to_postgresql_and_carries_on(
    emulator: BotApiEmulator, tmp_path: Path, clock: FixedClock
) -> None:
    # a season on SQLite: a group, its people (two consent), meetings, messages, a broadcast
    source = tmp_path / "sqlite" / "kannustin.db"
    lite = RunningBot(test_settings(emulator, source, sqlite=True, admins="1000"), emulator, clock)
    await lite.start()
    ilkka, group, (aino, britt, _) = await walking_group(lite)
    for person in (aino, britt):
        await emulator.send_text(person, "Hei kaikki", chat=group)
    await lite.say(ilkka, "Muistakaa kävely")
    await lite.services.broadcasts.send(ilkka["id"], TextContent(text="Hyvää viikkoa"), [1])
    await lite.services.outbox.drained()
    aino_pseudonym = lite.services.pseudonyms.of(aino["id"])
    await lite.stop()
    before = await contents(str(source))
    for own in ("schema_migrations", "figure_inputs", "figure_inputs_parts"):
        del before[own]  # each database keeps its own
    assert len(before["events"]) > 5 and len(before["outbox"]) >= 2

    target = database_for(tmp_path / "postgres.db")
    status, output = await copy_db(source, target)

    assert status == 0, output
    lines = output.splitlines()
    assert "  events: " + str(len(before["events"])) + " rows" in lines
    assert lines[-2].startswith(f"copied {sum(map(len, before.values()))} rows in ")
    assert lines[-2].endswith("every count matches")
    assert lines[-1].endswith("set KANNUSTIN_PSEUDONYM_KEY_FILE to it")
    after = await contents(target)
    assert after.pop("figure_inputs")  # its own count of changes, from its own writes
    del after["schema_migrations"], after["figure_inputs_parts"]
    assert after == before  # every row of every table, value for value

    # a second copy into the same database is refused and changes nothing
    status, output = await copy_db(source, target)
    assert status == 1
    assert "already holds data" in output and "nothing was copied" in output
    unchanged = await contents(target)
    del unchanged["schema_migrations"], unchanged["figure_inputs"]
    del unchanged["figure_inputs_parts"]
    assert unchanged == after

    # the bot on PostgreSQL with the old key: same pseudonyms, new ids after the old ones
    key_file = source.parent / "pseudonym.key"
    settings = test_settings(
        emulator,
        tmp_path / "postgres.db",
        pseudonym_key=None,
        pseudonym_key_file=key_file,
        admins="1000",
    )
    server = RunningBot(settings, emulator, clock)
    await server.start()
    try:
        assert server.services.pseudonyms.of(aino["id"]) == aino_pseudonym
        await server.services.broadcasts.send(ilkka["id"], TextContent(text="Uusi viikko"), [1])
        await server.services.outbox.drained()
        await emulator.wait_for(
            "sendMessage", chat_id=group.id, where=lambda c: c.text == "Uusi viikko"
        )
    finally:
        await server.stop()
    broadcasts = (await contents(target))["broadcasts"]
    assert [row[0] for row in broadcasts] == [1, 2]
