"""A person's rights end to end: /mydata sends everything stored about them, /forgetme
erases them after a confirmation (a "no" and an expired button change nothing), the
organisation's choice to delete events instead of unlinking them, flood control, and
names shown as written (no markup)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

from bot.clock import FixedClock
from emulator import ApiCall, BotApiEmulator
from storage import Database
from storage.migrations import load_migrations
from storage.rows import fetch_all
from testing.databases import on_postgres, restore_postgres, run_kannustin
from testing.harness import RunningBot, test_settings
from tests.test_e2e_checkins import fire_at, helsinki, private, sent_since, tap, walking_group


async def rows(bot: RunningBot, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    async with bot.services.database.transaction() as tx:
        return [tuple(row) for row in await fetch_all(tx.connection, sql, params)]


async def press(bot: RunningBot, person: dict[str, Any], call: ApiCall, label: str) -> ApiCall:
    """Tap a button whose answer edits the message; returns the edit."""
    mark = bot.emulator.mark()
    await bot.press(person, call.result, dict(call.buttons())[label])
    return await bot.emulator.wait_for("editMessageText", chat_id=person["id"], after=mark)


async def test_my_data_then_forget_me(bot: RunningBot, clock: FixedClock) -> None:
    emulator = bot.emulator
    _, group, (aino, britt, _) = await walking_group(bot)
    mark = await fire_at(bot, clock, helsinki("2026-12-01", "16:00"))
    invite = await private(bot, aino, mark, "Tämän viikon pieni suunnitelma")
    await tap(bot, aino, invite, "8")
    for text in ("Hei kaikki", "Mukava ryhmä"):
        await emulator.send_text(aino, text, chat=group)
    await emulator.send_text(britt, "Hej", chat=group)
    await bot.handled_everything()
    await bot.services.events.flush()
    mine = bot.services.pseudonyms.of(aino["id"])

    # /mydata: one JSON file with everything, and none of what she wrote
    mark = emulator.mark()
    await emulator.send_text(aino, "/mydata")
    sent = await emulator.wait_for("sendDocument", chat_id=aino["id"], after=mark)
    raw = sent.files["document"]
    data = json.loads(raw)
    assert data["person"][0]["telegram_id"] == aino["id"]
    assert [(g["group_name"], g["name"], g["status"]) for g in data["groups"]] == [
        ("Kävelyryhmä", "Aino", "member")
    ]
    assert [c["organisation"] for c in data["consents"]] == ["Espoo"]
    assert [c["confidence"] for c in data["check_ins"]] == [8]
    kinds = [e["kind"] for e in data["events"]]
    assert kinds.count("message") == 2 and "check-in" in kinds
    assert data["pseudonym"] == mine
    assert b"Hei kaikki" not in raw and b"Mukava" not in raw
    assert (sent.text or "").startswith("Kaikki sinusta tallennettu (JSON; ")

    # /forgetme, "no": nothing changes
    asked = await bot.say(aino, "/forgetme")
    assert (asked.text or "").startswith("Haluatko, että poistan tietosi?")
    kept = await press(bot, aino, asked, "Ei, säilytä")
    assert kept.text == "Mitään ei poistettu."
    assert await rows(bot, "SELECT 1 FROM people WHERE telegram_id = :id", id=aino["id"])

    # an old question's button has expired: nothing changes
    old = await bot.say(aino, "/forgetme")
    clock.set(clock.now() + dt.timedelta(minutes=16))
    expired = await press(bot, aino, old, "Kyllä, poista tietoni")
    assert (expired.text or "").startswith("Tämä painike ei ole enää voimassa.")
    assert await rows(bot, "SELECT 1 FROM consents WHERE person_id = :id", id=aino["id"])

    asked = await bot.say(aino, "/forgetme")
    await bot.services.events.flush()
    events_before = await rows(bot, "SELECT COUNT(*) FROM events")
    in_groups, in_private = (
        await rows(
            bot,
            "SELECT COUNT(group_id), COUNT(*) - COUNT(group_id) FROM events WHERE pseudonym = :p",
            p=mine,
        )
    )[0]
    assert in_groups >= 3 and in_private >= 2  # messages and the check-in; private taps
    done = await press(bot, aino, asked, "Kyllä, poista tietoni")
    assert done.text == (
        "Tietosi on poistettu. Poistettiin: tilisi numero ja kieli, 1 ryhmäjäsenyyttä, "
        f"1 suostumusta, 1 viikkokyselyä, 0 kyselyvastausta ja {in_private} "
        f"osallistumismerkintää. {in_groups} osallistumismerkintää säilyy ilman yhteyttä "
        "sinuun. Jos kirjoitat minulle uudelleen, en tunne sinua."
    )
    # what was hers is gone; her events stay, with a stand-in nobody can compute
    for table, column in (
        ("people", "telegram_id"),
        ("group_participants", "person_id"),
        ("consents", "person_id"),
        ("outbox", "chat_id"),
    ):
        assert await rows(bot, f"SELECT 1 FROM {table} WHERE {column} = :id", id=aino["id"]) == []
    for table in ("checkins", "events", "weekly_activity"):
        assert await rows(bot, f"SELECT 1 FROM {table} WHERE pseudonym = :p", p=mine) == []
    # her events in groups stay; those about her alone (private taps) went
    assert await rows(bot, "SELECT COUNT(*) FROM events") == [(events_before[0][0] - in_private,)]
    stand_ins = await rows(
        bot,
        "SELECT COUNT(*), COUNT(DISTINCT pseudonym) FROM events WHERE pseudonym LIKE 'erased:%'",
    )
    assert stand_ins == [(in_groups, 1)]
    # Britt is untouched, and the audit log has the erasure without naming anyone
    assert await rows(bot, "SELECT 1 FROM consents WHERE person_id = :id", id=britt["id"])
    audit = await rows(bot, "SELECT actor_id, target FROM audit_log WHERE action = 'erase'")
    assert len(audit) == 1 and audit[0][0] is None and str(aino["id"]) not in str(audit)

    # names and texts go out as plain text: no request ever asks Telegram to parse markup
    assert all("parse_mode" not in call.params for call in emulator.calls)


async def test_an_organisation_can_have_events_deleted_on_erasure(
    bot: RunningBot, clock: FixedClock
) -> None:
    emulator = bot.emulator
    _, group, (aino, _, _) = await walking_group(bot)
    await emulator.send_text(aino, "Hei", chat=group)
    await bot.handled_everything()
    stored = await bot.services.groups.by_chat(group.id)
    assert stored is not None and stored.organisation_id is not None
    await bot.services.organisations.set_retention(stored.organisation_id, 24, "delete")

    asked = await bot.say(aino, "/forgetme")
    done = await press(bot, aino, asked, "Kyllä, poista tietoni")

    assert "0 osallistumismerkintää säilyy" in (done.text or "")
    assert await rows(bot, "SELECT 1 FROM events WHERE pseudonym LIKE 'erased:%'") == []
    mine = bot.services.pseudonyms.of(aino["id"])
    assert await rows(bot, "SELECT 1 FROM events WHERE pseudonym = :p", p=mine) == []


async def test_a_stranger_can_be_forgotten_too(bot: RunningBot) -> None:
    stranger = bot.emulator.user(7777, "Vieras", language_code="sv")
    asked = await bot.say(stranger, "/forgetme")
    done = await press(bot, stranger, asked, "Ja, radera mig")
    assert (done.text or "").startswith("Du har raderats.")
    assert await rows(bot, "SELECT 1 FROM people WHERE telegram_id = 7777") == []


async def test_too_many_commands_at_once_get_one_friendly_answer(
    emulator: BotApiEmulator, tmp_path: Path, clock: FixedClock
) -> None:
    settings = test_settings(emulator, tmp_path / "bot.db", admins="1000", command_limit=3)
    bot = RunningBot(settings, emulator, clock)
    await bot.start()
    try:
        eager = emulator.user(4242, "Eager", language_code="en")
        emulator.open_private_chat(eager)
        mark = emulator.mark()
        for _ in range(6):
            await emulator.send_text(eager, "/help")
        await bot.handled_everything()
        await bot.services.outbox.drained()
        answers = [c.text or "" for c in sent_since(emulator, mark, eager["id"])]
        assert len(answers) == 4
        assert all(a.startswith("You can use these commands:") for a in answers[:3])
        assert answers[3] == "That was a lot at once. Please wait a moment, then try again."
        # someone else is not held up
        other = await bot.say(emulator.user(4343, "Calm", language_code="en"), "/help")
        assert (other.text or "").startswith("You can use these commands:")
    finally:
        await bot.stop()


async def kannustin(bot: RunningBot, *arguments: str) -> tuple[int, str]:
    """``kannustin ARGUMENTS`` as its own process on the running bot's database: its status,
    and what it printed (stdout, then stderr)."""
    status, out, err = await run_kannustin(bot.settings.database, *arguments)
    return status, out + err


async def test_an_admin_backs_up_erases_and_reads_the_audit_log(
    bot: RunningBot, tmp_path: Path
) -> None:
    emulator = bot.emulator
    _, group, (aino, britt, _) = await walking_group(bot)
    await bot.say(emulator.user(1000, "Admin", language_code="en"), "/export")

    # a backup while the bot runs and people write
    copy = tmp_path / "backup.db"
    writing = asyncio.gather(
        *(emulator.send_text(britt, f"Hej {n}", chat=group) for n in range(20))
    )
    status, output = await kannustin(bot, "backup", str(copy))
    await writing
    assert status == 0, output
    assert output.startswith(f"backup: {copy} (")
    if on_postgres():  # pg_dump's custom format, read back by pg_restore
        assert "PostgreSQL custom format, " in output and "): ok" in output
        restored = Database(restore_postgres(copy, tmp_path / "restored.db"))
        await restored.connect()
        async with restored.transaction() as tx:
            found = await fetch_all(tx.connection, "SELECT telegram_id FROM people", {})
        people = {row[0] for row in found}
        await restored.close()
    else:
        assert f"schema version {len(load_migrations())}, " in output and "): ok" in output
        with contextlib.closing(sqlite3.connect(copy)) as backup:
            assert backup.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            people = {row[0] for row in backup.execute("SELECT telegram_id FROM people")}
    assert {aino["id"], britt["id"]} <= people
    status, output = await kannustin(bot, "backup", str(copy))
    assert status == 2 and "exists already" in output

    # erasure by user id
    status, output = await kannustin(bot, "forget", str(aino["id"]))
    assert status == 0, output
    assert output.startswith(f"erased user {aino['id']}: 1 membership(s), 1 consent(s), ")
    assert await rows(bot, "SELECT 1 FROM people WHERE telegram_id = :id", id=aino["id"]) == []
    status, output = await kannustin(bot, "forget", str(aino["id"]))
    assert output == f"nothing stored about user {aino['id']}\n"

    # the audit log: newest first, the privileged actions with their actors
    status, output = await kannustin(bot, "audit")
    assert status == 0
    actions = [line.split()[2] for line in output.splitlines()]
    assert actions[0] == "erase" and "export" in actions and "role-granted" in actions
    assert "invitation-created" in actions and "organisation-created" in actions
    assert str(aino["id"]) not in output
    status, output = await kannustin(bot, "audit", "--action", "export")
    assert [line.split()[2:5] for line in output.splitlines()] == [["export", "user", "1000"]]
