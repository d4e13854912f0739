"""A person's rights end to end: /mydata sends everything stored about them, /forgetme
erases them after a confirmation (a "no" and an expired button change nothing; only the
person's own open request erases them, and no forged, replayed, replaced or expired press
does), the organisation's choice to delete events instead of unlinking them, flood control,
and names shown as written (no markup)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FixedClock
from emulator import ApiCall, BotApiEmulator, Chat
from storage import Database
from storage.migrations import load_migrations
from storage.rows import fetch_all
from testing.databases import on_postgres, restore_postgres, run_kannustin, stored_bytes
from testing.harness import RunningBot, test_settings
from testing.schema import read_schema
from tests.test_e2e_broadcast import compose
from tests.test_e2e_checkins import (
    fire_at,
    helsinki,
    participants,
    private,
    sent_since,
    tap,
    walking_group,
)


async def rows(bot: RunningBot, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    async with bot.services.database.transaction() as tx:
        return [tuple(row) for row in await fetch_all(tx.connection, sql, params)]


async def press(bot: RunningBot, person: dict[str, Any], call: ApiCall, label: str) -> ApiCall:
    """Tap a button whose answer edits the message; returns the edit."""
    mark = bot.emulator.mark()
    await bot.press(person, call.result, dict(call.buttons())[label])
    return await bot.emulator.wait_for("editMessageText", chat_id=person["id"], after=mark)


async def refused(bot: RunningBot, person: dict[str, Any], call: ApiCall, data: str) -> str:
    """The person presses ``data`` (real, replayed or forged) under the bot's message
    ``call``: the answer is an alert, and the message stays as it was. Returns the alert."""
    mark = bot.emulator.mark()
    answered = await bot.press(person, call.result, data)
    await bot.handled_everything()
    assert answered.params.get("show_alert") is True, answered.params
    assert [c.method for c in bot.emulator.calls[mark:] if c.method.startswith("edit")] == []
    assert [c for c in bot.emulator.calls[mark:] if c.chat_id == person["id"]] == []
    return str(answered.params["text"])


# a press changes these without changing anything of the person's: the button event and
# its weekly count (no text, only the namespace), when the person was last seen, and on
# PostgreSQL the pacer's bookings for the answer
BOOKKEEPING = {"events", "weekly_activity", "send_slots"}


async def state(bot: RunningBot) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the press's bookkeeping (``people`` without
    ``last_seen``), to compare before and after."""
    await bot.handled_everything()
    await bot.services.events.flush()
    schema = await read_schema(bot.services.database)
    found = {}
    for name, table in sorted(schema.tables.items()):
        if name in BOOKKEEPING:
            continue
        columns = [c.name for c in table.columns if (name, c.name) != ("people", "last_seen")]
        found[name] = sorted(await rows(bot, f"SELECT {', '.join(columns)} FROM {name}"), key=str)
    return found


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
    expired = await refused(bot, aino, old, dict(old.buttons())["Kyllä, poista tietoni"])
    assert expired.startswith("Tämä painike ei ole enää voimassa.")
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
    # her events go (and the tap on the yes button with them); their counts stay in one
    # weekly figure, and her week's plan in its figures, each under a stand-in of its own
    assert done.text == (
        "Tietosi on poistettu. Poistettiin: tilisi numero ja kieli, 1 ryhmäjäsenyys, "
        f"1 suostumus, 0 kyselyvastausta ja {in_groups + in_private + 1} "
        "osallistumismerkintää, ja nimesi 0 muille lähetetystä viestistä. 2 viikkolukua "
        "säilyy ryhmiesi tilastoissa pelkkinä lukuina ilman yhteyttä sinuun tai toisiinsa. "
        "Jos kirjoitat minulle uudelleen, en tunne sinua."
    )
    # what was hers is gone
    for table, column in (
        ("people", "telegram_id"),
        ("group_participants", "person_id"),
        ("consents", "person_id"),
        ("outbox", "chat_id"),
    ):
        assert await rows(bot, f"SELECT 1 FROM {table} WHERE {column} = :id", id=aino["id"]) == []
    for table in ("checkins", "events", "weekly_activity"):
        assert await rows(bot, f"SELECT 1 FROM {table} WHERE pseudonym = :p", p=mine) == []
    assert await rows(bot, "SELECT COUNT(*) FROM events") == [
        (events_before[0][0] - in_groups - in_private,)
    ]
    stand_ins = await rows(
        bot,
        "SELECT 'week', messages, NULL FROM weekly_activity WHERE pseudonym LIKE 'erased:%' "
        "UNION ALL SELECT 'plan', NULL, confidence FROM checkins WHERE pseudonym LIKE 'erased:%'",
    )
    assert sorted(stand_ins, key=str) == [("plan", None, 8), ("week", 2, None)]
    # Britt is untouched, and the audit log has the erasure without naming anyone: the
    # actor is the stand-in for the person erased, and it was asked for in the chat
    assert await rows(bot, "SELECT 1 FROM consents WHERE person_id = :id", id=britt["id"])
    audit = await rows(
        bot, "SELECT id, actor_id, target, channel FROM audit_log WHERE action = 'erase'"
    )
    assert len(audit) == 1 and str(aino["id"]) not in str(audit)
    assert audit[0][1:] == (-audit[0][0], "person (own request)", "chat")

    # names and texts go out as plain text: no request ever asks Telegram to parse markup
    assert all("parse_mode" not in call.params for call in emulator.calls)


YES, NO = "Kyllä, poista tietoni", "Ei, säilytä"
NOWHERE = 987_654_321_987  # a number no table holds (found_anywhere looks for words too)
NO_LONGER = "Tämä painike ei ole enää voimassa. Lähetä /forgetme uudelleen"


def token_of(asked: ApiCall) -> str:
    """The request's token in the question's yes button (the no button below carries it
    too)."""
    yes, no = (data for _, data in asked.buttons())
    token = yes.removeprefix("pv:forget:")
    assert no == f"pv:keep:{token}"
    return token


async def test_only_the_persons_own_open_request_erases_them(
    bot: RunningBot, clock: FixedClock
) -> None:
    emulator = bot.emulator
    _, group, (aino, britt, _) = await walking_group(bot)
    await emulator.send_text(aino, "Hei kaikki", chat=group)
    # today's sweep has run (the scheduler's, a real minute apart, does nothing more today):
    # an expired request stays until tomorrow's
    await bot.services.privacy.sweep()

    # /forgetme stores a request: hers, for 15 minutes, by the hash of its token only
    asked = await bot.say(aino, "/forgetme")
    assert "Kyllä-painike toimii 15 minuuttia." in (asked.text or "")
    mine = token_of(asked)
    assert all(len(data.encode()) <= 64 for _, data in asked.buttons())
    stored = await rows(
        bot, "SELECT token_hash, person_id, created_at, expires_at FROM erasure_requests"
    )
    assert [row[:2] for row in stored] == [(hashlib.sha256(mine.encode()).hexdigest(), aino["id"])]
    opened, expires = (dt.datetime.fromisoformat(t) for t in stored[0][2:])
    assert (opened, expires - opened) == (clock.now(), dt.timedelta(minutes=15))
    assert await found_anywhere(bot, NOWHERE, (mine,)) == []  # the token itself is nowhere
    mark = emulator.mark()
    await emulator.send_text(aino, "/mydata")  # her copy shows the open question
    copy = await emulator.wait_for("sendDocument", chat_id=aino["id"], after=mark)
    assert json.loads(copy.files["document"])["erasure_requests"] == [
        {"created_at": stored[0][2], "expires_at": stored[0][3]}
    ]
    theirs = await bot.say(britt, "/forgetme")
    hers = token_of(theirs)
    before = await state(bot)

    # a made-up token, another person's token (pressed under her own question), someone
    # else's "no": each is refused kindly in the presser's language, and nothing changes
    made_up = "pv:forget:" + "A" * len(mine)
    assert (await refused(bot, aino, asked, made_up)).startswith(NO_LONGER)
    said = await refused(bot, britt, theirs, f"pv:forget:{mine}")
    assert said.startswith("Den här knappen gäller inte längre.")
    assert await refused(bot, aino, asked, f"pv:keep:{hers}") == "Mitään ei poistettu."
    assert await state(bot) == before
    assert await found_anywhere(bot, NOWHERE, (mine, hers)) == []  # nor in any event

    # a newer question replaces the older: the older's yes no longer holds
    newer = await bot.say(aino, "/forgetme")
    assert token_of(newer) != mine
    before = await state(bot)
    assert (await refused(bot, aino, asked, f"pv:forget:{mine}")).startswith(NO_LONGER)
    # after 15 minutes the newer no longer holds either
    clock.set(clock.now() + dt.timedelta(minutes=15))
    assert (await refused(bot, aino, newer, dict(newer.buttons())[YES])).startswith(NO_LONGER)
    assert await state(bot) == before

    # "no" closes the request: its yes, replayed afterwards, no longer holds
    declined = await bot.say(aino, "/forgetme")
    kept = await press(bot, aino, declined, NO)
    assert kept.text == "Mitään ei poistettu."
    assert (
        await rows(bot, "SELECT 1 FROM erasure_requests WHERE person_id = :id", id=aino["id"]) == []
    )
    before = await state(bot)
    assert (await refused(bot, aino, declined, dict(declined.buttons())[YES])).startswith(NO_LONGER)
    assert await state(bot) == before
    assert await rows(bot, "SELECT 1 FROM consents WHERE person_id = :id", id=aino["id"])

    # her own press of her open question, in time: she is erased, and the audit log says
    # it was asked for in the chat
    final = await bot.say(aino, "/forgetme")
    clock.set(clock.now() + dt.timedelta(minutes=14))
    done = await press(bot, aino, final, YES)
    assert (done.text or "").startswith("Tietosi on poistettu.")
    assert await rows(bot, "SELECT 1 FROM people WHERE telegram_id = :id", id=aino["id"]) == []
    assert await rows(bot, "SELECT person_id FROM erasure_requests") == [(britt["id"],)]
    audit = await rows(
        bot, "SELECT id, actor_id, target, channel FROM audit_log WHERE action = 'erase'"
    )
    assert [entry[1:] for entry in audit] == [(-audit[0][0], "person (own request)", "chat")]
    status, output = await kannustin(bot, "audit", "--action", "erase")
    assert status == 0, output
    assert f"erased #{audit[0][0]}" in output and " via chat " in output

    # the same press again erases nothing more (she is a stranger now), and Britt, whose
    # request has run out, is as she was
    before = await state(bot)
    replayed = await refused(bot, aino, final, dict(final.buttons())[YES])
    assert replayed.startswith(NO_LONGER)
    after = await state(bot)
    assert {k: v for k, v in after.items() if k != "people"} == {
        k: v for k, v in before.items() if k != "people"
    }
    assert await rows(bot, "SELECT COUNT(*) FROM audit_log WHERE action = 'erase'") == [(1,)]
    assert await rows(bot, "SELECT 1 FROM consents WHERE person_id = :id", id=britt["id"])
    # the next day's sweep deletes her expired request
    await fire_at(bot, clock, clock.now() + dt.timedelta(days=1))
    assert await rows(bot, "SELECT 1 FROM erasure_requests") == []


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

    assert "0 viikkolukua säilyy" in (done.text or "")
    for table in ("events", "weekly_activity", "checkins"):
        assert await rows(bot, f"SELECT 1 FROM {table} WHERE pseudonym LIKE 'erased:%'") == []
    mine = bot.services.pseudonyms.of(aino["id"])
    assert await rows(bot, "SELECT 1 FROM events WHERE pseudonym = :p", p=mine) == []
    assert await rows(bot, "SELECT 1 FROM weekly_activity WHERE pseudonym = :p", p=mine) == []
    assert await rows(bot, "SELECT 1 FROM erased_memberships") == []


async def test_a_stranger_can_be_forgotten_too(bot: RunningBot) -> None:
    stranger = bot.emulator.user(7777, "Vieras", language_code="sv")
    asked = await bot.say(stranger, "/forgetme")
    done = await press(bot, stranger, asked, "Ja, radera mig")
    assert (done.text or "").startswith("Du har raderats.")
    assert await rows(bot, "SELECT 1 FROM people WHERE telegram_id = 7777") == []


async def test_too_many_commands_at_once_get_one_friendly_answer(
    emulator: BotApiEmulator, tmp_path: Path, clock: FixedClock
) -> None:
    settings = test_settings(emulator, tmp_path / "bot.db", admins="1000", flood_limit=3)
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
    assert output.startswith(f"erased user {aino['id']}: 1 membership, 1 consent, ")
    assert await rows(bot, "SELECT actor_id, channel FROM audit_log WHERE action = 'erase'") == [
        (0, "command-line")
    ]
    assert await rows(bot, "SELECT 1 FROM people WHERE telegram_id = :id", id=aino["id"]) == []
    status, output = await kannustin(bot, "forget", str(aino["id"]))
    assert output == f"nothing stored about user {aino['id']}\n"

    # the audit log: newest first, the privileged actions with their actors; the erasure
    # says where it was asked for
    status, output = await kannustin(bot, "audit")
    assert status == 0
    actions = [line.split()[2] for line in output.splitlines()]
    assert actions[0] == "erase" and "export" in actions and "role-granted" in actions
    erasure = output.splitlines()[0]
    assert erasure.split()[3:5] == ["command", "line"]
    assert " person (by an admin) #" in erasure and " via command line " in erasure
    assert "invitation-created" in actions and "organisation-created" in actions
    assert str(aino["id"]) not in output
    status, output = await kannustin(bot, "audit", "--action", "export")
    assert [line.split()[2:5] for line in output.splitlines()] == [["export", "user", "1000"]]

    # a staff member erased: their privileged actions stay on record, under a stand-in
    await bot.emulator.wait_for(  # (their staff menu, set when they became staff)
        "setMyCommands", where=lambda call: call.params["scope"].get("chat_id") == 3000
    )
    status, output = await kannustin(bot, "forget", "3000")
    assert status == 0, output
    assert "their staff command menu stays in their Telegram: next time end the role" in output
    status, output = await kannustin(bot, "audit")
    erasure = output.splitlines()[0]
    assert erasure.split()[2:4] == ["erase", "command"]
    number = erasure.rsplit("#", 1)[1].split()[0]
    granted = [line for line in output.splitlines() if " role-granted " in line]
    assert granted and all(f"erased #{number} " in line for line in granted)
    assert "3000" not in output and str(aino["id"]) not in output


# A whole season, then the erasure of one participant: nothing of her is left anywhere ------

ZEB = 3_550_132_165  # a Telegram id, a name and a username found nowhere else
ZEB_WORDS = ("Zebulonia", "Quartzfield", "zebquokka42")


def sqlite_integer(value: int) -> bytes:
    """How an SQLite record stores ``value``: big-endian in the fewest of 1, 2, 3, 4, 6 or 8
    bytes that hold it signed."""
    for size in (1, 2, 3, 4, 6, 8):
        if -(1 << (8 * size - 1)) <= value < 1 << (8 * size - 1):
            return value.to_bytes(size, "big", signed=True)
    raise ValueError(value)


async def found_anywhere(bot: RunningBot, number: int, words: tuple[str, ...]) -> list[str]:
    """Every table and column of the database (as its schema says) that holds ``number``
    (as an integer, or inside a text) or one of ``words`` (in any case): ``table.column``."""
    schema = await read_schema(bot.services.database)
    found = []
    async with bot.services.database.transaction() as tx:
        for name, table in sorted(schema.tables.items()):
            for column in table.columns:
                if column.type in ("integer", "integer32"):
                    sql = f"SELECT COUNT(*) FROM {name} WHERE CAST({column.name} AS BIGINT) = :n"
                    params: dict[str, Any] = {"n": number}
                elif column.type == "text":
                    # a digest column is 64 random hex digits: any short number turns up in
                    # one now and then by chance, so there only the words are looked for
                    digest = column.name.endswith("_hash")
                    needles = [*([] if digest else [str(number)]), *(w.lower() for w in words)]
                    if not needles:
                        continue
                    sql = f"SELECT COUNT(*) FROM {name} WHERE " + " OR ".join(
                        f"LOWER({column.name}) LIKE :w{i}" for i in range(len(needles))
                    )
                    params = {f"w{i}": f"%{needle}%" for i, needle in enumerate(needles)}
                else:
                    continue
                (count,) = (await fetch_all(tx.connection, sql, params))[0]
                if count:
                    found.append(f"{name}.{column.name}")
    return found


async def a_season_with_zebulonia(
    bot: RunningBot, clock: FixedClock
) -> tuple[dict[str, Any], Chat, dict[str, dict[str, Any]]]:
    """Ilkka's walking group over two weeks. Zebulonia (fi) consents through the group's
    link, answers the survey, makes her plans, writes and reacts, asks for a tip, tells the
    group she did her plan and is in a buddy trio with Britt (sv) and Dora (fi); Carl (en),
    Eero, Fanni and Gun do not consent. Dora's private chat fails for now, so her buddy
    message waits."""
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="fi")
    zeb = emulator.user(
        ZEB, ZEB_WORDS[0], last_name=ZEB_WORDS[1], username=ZEB_WORDS[2], language_code="fi"
    )
    britt = emulator.user(5002, "Britt", language_code="sv")
    dora = emulator.user(5004, "Dora", language_code="fi")
    carl = emulator.user(5003, "Carl", language_code="en")
    others = [emulator.user(5010 + n, name) for n, name in enumerate(("Eero", "Fanni", "Gun"))]
    group = await bot.registered_group(ilkka, -100, "Kävelyryhmä")
    await participants(bot, group, [britt, dora, carl, *others, zeb], consenting=2)
    stored = await bot.services.groups.by_chat(group.id)
    assert stored is not None and stored.join_code is not None
    notice = await bot.say(zeb, f"/start consent_{stored.join_code}")
    agreed = await press(bot, zeb, notice, "Hyväksyn")
    assert "Kiitos" in (agreed.text or ""), agreed.text
    await bot.set_meetings(ilkka, "/meetings ti 14:00 1.12. x2", chat=group)
    greeting = await emulator.send_text(zeb, "Hei kaikki, kiva olla mukana", chat=group)
    await emulator.send_text(britt, "Hej!", chat=group, reply_to=greeting)
    await emulator.reaction(zeb, group, greeting["message_id"] + 1, old=[], new=["👍"])

    # the first meeting: the "before" survey, then the week's plan
    mark = await fire_at(bot, clock, helsinki("2026-12-01", "14:00"))
    question = await private(bot, zeb, mark, "Lyhyt kysely ryhmästä Kävelyryhmä")
    for label in ("4", "7", "7", "2", "8"):
        question = await tap(bot, zeb, question, label)
    assert (question.text or "").startswith("Kiitos vastauksistasi!")
    mark = await fire_at(bot, clock, helsinki("2026-12-01", "16:00"))
    await tap(bot, zeb, await private(bot, zeb, mark, "Tämän viikon pieni suunnitelma"), "8")
    await tap(bot, britt, await private(bot, britt, mark, "Veckans lilla plan"), "7")
    await tap(bot, dora, await private(bot, dora, mark, "Tämän viikon pieni suunnitelma"), "6")
    tip = await bot.say(zeb, "/tip")
    assert tip.text, "a tip"

    # Friday: she did it, and tells the group
    mark = await fire_at(bot, clock, helsinki("2026-12-04", "12:00"))
    asked = await private(bot, zeb, mark, "Miten viikon suunnitelmasi etenee?")
    done = await tap(bot, zeb, asked, "✅ Tehty")
    mark = emulator.mark()
    await tap(bot, zeb, done, "🎉 Kerro ryhmälle")
    celebration = await emulator.wait_for("sendMessage", chat_id=group.id, after=mark)
    assert ZEB_WORDS[0] in (celebration.text or "")
    await emulator.reaction(britt, group, celebration.result["message_id"], old=[], new=["👏"])

    # buddies: a trio; Britt's message goes out, Dora's waits for her chat to work again
    emulator.fail(method="sendMessage", chat_id=dora["id"], times=None)
    mark = emulator.mark()
    made = await bot.say(ilkka, "/buddies")
    assert ZEB_WORDS[0] in (made.text or "")
    await bot.services.outbox.drained()
    told = await emulator.wait_for("sendMessage", chat_id=britt["id"], after=mark)
    assert ZEB_WORDS[0] in (told.text or "")
    assert f"tg://user?id={ZEB}" in [url for _, url in told.buttons()]

    # Ilkka thanks her in a broadcast, with a mention that links to her account
    thanks = "Kiitos viikosta, sinä olit upea!"
    mention = {"type": "text_mention", "offset": 16, "length": 4, "user": zeb}
    await emulator.send_text(ilkka, thanks, entities=[mention])
    await compose(bot, ilkka)
    await bot.services.outbox.drained()

    # the second meeting: a new week's plan
    mark = await fire_at(bot, clock, helsinki("2026-12-08", "16:00"))
    await tap(bot, zeb, await private(bot, zeb, mark, "Tämän viikon pieni suunnitelma"), "9")
    await emulator.send_text(zeb, "Kiitos kaikille!", chat=group)
    await bot.handled_everything()
    await bot.services.events.flush()
    return ilkka, group, {"zeb": zeb, "britt": britt, "dora": dora, "carl": carl}


async def test_my_data_holds_everything_linked_to_the_person(
    bot: RunningBot, clock: FixedClock
) -> None:
    emulator = bot.emulator
    ilkka, _, people = await a_season_with_zebulonia(bot, clock)
    zeb = people["zeb"]

    mark = emulator.mark()
    await emulator.send_text(zeb, "/mydata")
    sent = await emulator.wait_for("sendDocument", chat_id=zeb["id"], after=mark)
    summary = sent_since(emulator, mark, zeb["id"])[0]
    data = json.loads(sent.files["document"])

    # the summary comes first, in her language: how many of each kind
    lines = (summary.text or "").splitlines()
    assert lines[0] == "Sinusta on tallennettu (tiedostossa kaikki yksityiskohdat):"
    counts = dict(line.rsplit(": ", 1) for line in lines[1:])
    assert counts["Ryhmäjäsenyydet"] == "1"
    assert counts["Suostumukset"] == "1"
    assert counts["Viikkosuunnitelmat (varmuus ja edistyminen)"] == "2"
    assert counts["Kyselyt"] == "2"  # before, and after the last meeting
    assert counts["Kyselyvastaukset"] == "5"
    assert counts["Pyytämäsi vinkit"] == "1"
    assert counts["Osallistumismerkinnät"] == str(len(data["events"]))
    assert counts["Muille lähetetyt viestit, joissa on nimesi"] == "3"  # celebration, 2 buddies
    assert int(counts["Sinulle lähetetyt viestit"]) == len(data["messages_to_you"]) >= 5
    assert int(counts["Viikkoluvut"]) == len(data["weekly_counts"]) == 2

    # the file: every kind, with its times
    assert data["person"][0]["telegram_id"] == zeb["id"]
    assert [g["name"] for g in data["groups"]] == ["Zebulonia"]
    assert [(s["round"], s["finished_at"] is not None) for s in data["surveys"]] == [
        ("before", True),
        ("after", False),
    ]
    assert sorted(a["value"] for a in data["survey_answers"]) == [2, 4, 7, 7, 8]
    assert all(a["answered_at"] for a in data["survey_answers"])
    assert [t["group_id"] for t in data["tips_requested"]] == [1]
    assert sum(w["messages"] for w in data["weekly_counts"]) == 2
    assert sum(w["checkins"] for w in data["weekly_counts"]) == 2
    texts = [m["content"]["text"] for m in data["messages_to_you"]]
    assert any(text.startswith("Lyhyt kysely ryhmästä Kävelyryhmä") for text in texts)
    assert any("Britt" in text and "Dora" in text for text in texts)  # her own buddy message
    assert all(m["created_at"] and m["status"] for m in data["messages_to_you"])
    assert sorted(m["purpose"] for m in data["messages_naming_you"]) == [
        "celebration",
        "checkin",
        "checkin",
    ]
    assert data["buddy_weeks"] and data["check_ins"][0]["shared_at"]
    assert not data["broadcasts"] and not data["privileged_actions"]  # she is no staff

    # for staff: their broadcasts, invitations, calendars, registrations and audit entries
    mark = emulator.mark()
    await bot.say(ilkka, "/invite ohjaaja 1")
    await emulator.send_text(ilkka, "/mydata")
    staff = json.loads(
        (await emulator.wait_for("sendDocument", chat_id=ilkka["id"], after=mark)).files["document"]
    )
    assert [r["role"] for r in staff["roles"]] == ["instructor"]
    assert [g["group_name"] for g in staff["groups_registered"]] == ["Kävelyryhmä"]
    assert [c["group_id"] for c in staff["calendars_set"]] == [1]
    assert [i["role"] for i in staff["invitations_made"]] == ["instructor"]
    assert [b["pairs"] for b in staff["buddies_made"]] == [3]
    actions = [a["action"] for a in staff["privileged_actions"]]
    assert "role-granted" in actions and "invitation-created" in actions


@pytest.mark.parametrize("how", ["/forgetme", "kannustin forget"])
async def test_erasure_leaves_nothing_behind_after_a_season(
    bot: RunningBot, clock: FixedClock, tmp_path: Path, how: str
) -> None:
    emulator = bot.emulator
    ilkka, _, people = await a_season_with_zebulonia(bot, clock)
    zeb, britt, dora = people["zeb"], people["britt"], people["dora"]
    await bot.say(zeb, "/mydata", method="sendDocument")
    pseudonym = bot.services.pseudonyms.of(ZEB)
    assert set(await found_anywhere(bot, ZEB, ZEB_WORDS)) >= {
        "people.telegram_id",
        "group_participants.name",
        "outbox.content",
        "outbox_mentions.person_id",
        "broadcasts.content",
    }
    stats_before = (await bot.say(ilkka, "/stats")).text
    checkins_before = (await bot.say(ilkka, "/checkins")).text
    assert "Jäseniä 7" in (stats_before or "")
    scope = await bot.services.stats.scope(ilkka["id"])
    figures_before = (await bot.services.stats.weekly()).of(scope.groups)

    if how == "/forgetme":
        asked = await bot.say(zeb, "/forgetme")
        done = await press(bot, zeb, asked, "Kyllä, poista tietoni")
        assert (done.text or "").startswith(
            "Tietosi on poistettu. Poistettiin: tilisi numero ja kieli, 1 ryhmäjäsenyys, "
            "1 suostumus, 5 kyselyvastausta ja "
        )
        assert "ja nimesi 3 muille lähetetystä viestistä." in (done.text or "")
    else:
        status, output = await kannustin(bot, "forget", str(ZEB))
        assert status == 0, output
        assert "their name taken out of 3 messages to others" in output
    await bot.handled_everything()
    await bot.services.events.flush()

    # nothing holds her id, her names, her username or her pseudonym: no table, no column
    assert await found_anywhere(bot, ZEB, (*ZEB_WORDS, pseudonym)) == []
    # nor the bytes of the database and its write-ahead log
    if not on_postgres():
        stored = stored_bytes(tmp_path / "bot.db")
        for needle in (str(ZEB), *ZEB_WORDS, pseudonym):
            assert needle.encode() not in stored, needle
        assert sqlite_integer(ZEB) not in stored

    # the staff see the same history: every week's figures as before (the command line
    # runs on the real clock, which is before this season's dates: her membership would
    # end on the day of the erasure, before week 2; the bot's own clock is the fake one)
    assert (await bot.say(ilkka, "/checkins")).text == checkins_before
    if how == "/forgetme":
        assert (await bot.say(ilkka, "/stats")).text == stats_before
        # (and exactly, behind the small-number protection)
        assert (await bot.services.stats.weekly()).of(scope.groups) == figures_before

    # the messages that named her: Dora's, still waiting, is withdrawn; Britt's and the
    # group's celebration, sent, keep their texts without her (in Telegram they stay)
    named = await rows(
        bot, "SELECT chat_id, status, reason, content FROM outbox WHERE purpose <> 'schedule'"
    )
    to_dora = [row for row in named if row[0] == dora["id"] and "Dora" not in row[3]]
    (withdrawn,) = [row for row in to_dora if "Britt" in row[3]]
    assert withdrawn[1:3] == ("cancelled", "reason.erased")
    assert ": Britt ja ryhmäläinen." in withdrawn[3] or ": ryhmäläinen ja Britt." in withdrawn[3]
    (to_britt,) = [row for row in named if row[0] == britt["id"] and "Dora" in row[3]]
    assert to_britt[1] == "sent"
    assert "en gruppmedlem och Dora" in to_britt[3] or "Dora och en gruppmedlem" in to_britt[3]
    assert "tg://user?id=5004" in to_britt[3]  # Dora's button stays
    (celebrated,) = [row for row in named if row[0] == -100 and "🎉" in row[3]]
    assert celebrated[1] == "sent" and "ryhmäläinen teki" in celebrated[3]
    # and Dora's chat works again: nothing naming her buddy reaches her
    for fault in emulator.faults:
        fault.times = 0
    mark = await fire_at(bot, clock, clock.now() + dt.timedelta(hours=1))
    assert all(ZEB_WORDS[0] not in (c.text or "") for c in sent_since(emulator, mark, dora["id"]))

    # Ilkka's thanks keep his words; the link to her account is gone
    (broadcast,) = await rows(bot, "SELECT content FROM broadcasts")
    assert "sinä olit upea" in broadcast[0] and "text_mention" not in broadcast[0]

    # what stays in the figures has no key an export has shown, and nothing links it
    kept = await rows(
        bot,
        "SELECT pseudonym FROM weekly_activity WHERE pseudonym LIKE 'erased:%' "
        "UNION ALL SELECT pseudonym FROM checkins WHERE pseudonym LIKE 'erased:%'",
    )
    assert len(kept) == 4 and len({key for (key,) in kept}) == 4  # 2 weeks, 2 check-ins
    times = await rows(
        bot, "SELECT invited_at, rated_at, shared_at FROM checkins WHERE pseudonym LIKE 'erased:%'"
    )
    assert len(times) == 2
    assert all(t is None or t.endswith("T00:00:00.000000+00:00") for row in times for t in row)
    assert await rows(bot, "SELECT COUNT(*) FROM erased_memberships") == [(1,)]
    # the audit log records the erasure, where it was asked for, and no one's id but the
    # stand-in for her (her own request) or the command line's 0
    audit = await rows(
        bot, "SELECT id, actor_id, target, channel FROM audit_log WHERE action = 'erase'"
    )
    assert [entry[1:] for entry in audit] == [
        (-audit[0][0], "person (own request)", "chat")
        if how == "/forgetme"
        else (0, "person (by an admin)", "command-line")
    ]
