"""Statistics and exports at national scale.

    python -m benchmarks.analytics [--events 1000000] [--groups 500] [--people 10000]

Builds one organisation with ``--groups`` groups (registered by one instructor, each
co-led by two more who each lead two neighbouring groups, six weekly meetings that started
six weeks ago) and ``--people`` participants spread over them, then
``--events`` engagement events over the six weeks, written through the event writer's own
statements (log and weekly roll-up), with every participant's check-ins and before/after
survey answers. Then, with the real bot over HTTP against the emulator:

- the coordinator's ``/stats`` (the organisation's overview), timed from sending the
  command to the answer arriving (median of 5);
- ``/stats chart`` likewise (median of 3);
- ``kannustin export`` as its own process, XLSX and ZIP, with its wall time and peak memory;
- ``kannustin export --study NAME`` (the researchers' extract) likewise.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from emulator import BotApiEmulator
from storage.states import Language
from storage.timestamps import to_db
from testing.databases import cli_environment, drop_created, which
from testing.harness import TOKEN, RunningBot, benchmark_bot

KANNUSTIN = str(Path(sys.executable).with_name("kannustin"))
KINDS = (
    ("message", 50),
    ("reaction", 25),
    ("button", 10),
    ("reply", 10),
    ("check-in", 3),
    ("progress", 2),
)
PARTICIPANTS = 10_000_000  # participant p's Telegram id is PARTICIPANTS + p
COORDINATOR = 2000
# The export process's own peak memory in MB: VmHWM, which starts afresh at exec (the
# getrusage peak would keep this benchmark's own, larger one, inherited through fork)
PEAK_AFTER_MAIN = """
import resource, sys
from bot.cli import main
status = main(sys.argv[1:])
try:
    with open("/proc/self/status") as status_file:
        line = next(line for line in status_file if line.startswith("VmHWM:"))
    print(int(line.split()[1]) / 1024)
except OSError:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
sys.exit(status)
"""


async def build(  # noqa: PLR0915 - one long recipe for the data set, read top to bottom
    bot: RunningBot, groups: int, people: int, events: int
) -> None:
    services = bot.services
    emulator = bot.emulator
    rng = random.Random(7)
    now = dt.datetime.now(dt.UTC)
    start = (now - dt.timedelta(weeks=6)).date()
    coordinator = emulator.user(COORDINATOR, "Kaisa", language_code="fi")
    organisation = await bot.make_staff(coordinator, "coordinator", "Espoo")
    instructor = emulator.user(3000, "Ilkka", language_code="fi")
    await bot.make_staff(instructor, "instructor", "Espoo")
    group_ids = []
    for n in range(groups):
        added = await services.groups.bot_added(
            3000, -1_000_000 - n, f"Ryhmä {n + 1}", language=Language.FI, bot_is_admin=True
        )
        assert added.group is not None
        group_ids.append(added.group.id)
    person_group = {PARTICIPANTS + p: group_ids[p % groups] for p in range(people)}
    pseudonym = {person: services.pseudonyms.of(person) for person in person_group}
    joined = to_db(now - dt.timedelta(weeks=6, days=1))
    async with services.database.transaction() as tx:
        db = tx.connection
        await db.execute("UPDATE groups SET starts_on = ?", (start.isoformat(),))
        await db.execute_many(
            "INSERT INTO people (telegram_id, first_seen, last_seen) VALUES (?, ?, ?)",
            [(p, joined, joined) for p in person_group],
        )
        await db.execute_many(
            "INSERT INTO group_participants (group_id, person_id, status, joined_at, name) "
            "VALUES (?, ?, 'member', ?, ?)",
            [(g, p, joined, f"P{p}") for p, g in person_group.items()],
        )
        # co-instructors: the k-th leads groups k and k+1 beside Ilkka (who registered them
        # all), so every group has two and the instructors' sums overlap in a chain: the
        # disclosure rule's hardest case, each instructor a reader of their own total
        co = {4_000 + k: (group_ids[k], group_ids[(k + 1) % groups]) for k in range(groups)}
        await db.execute_many(
            "INSERT INTO people (telegram_id, first_seen, last_seen) VALUES (?, ?, ?)",
            [(person, joined, joined) for person in co],
        )
        await db.execute_many(
            "INSERT INTO group_instructors (group_id, person_id, since) VALUES (?, ?, ?)",
            [(g, person, joined) for person, led in co.items() for g in set(led)],
        )
        await db.execute_many(
            "INSERT INTO consents (person_id, organisation_id, version, given_at) "
            "VALUES (?, ?, '2026-11', ?)",
            [(p, organisation, joined) for p in person_group],
        )
        meetings = []
        for group in group_ids:
            for week in range(1, 7):
                day = start + dt.timedelta(weeks=week - 1)
                at = dt.datetime.combine(day, dt.time(12), dt.UTC)
                meetings.append((group, week, day.isoformat(), "14:00", to_db(at)))
        await db.execute_many(
            "INSERT INTO meetings (group_id, number, local_date, local_time, starts_at, status) "
            "VALUES (?, ?, ?, ?, ?, 'planned')",
            meetings,
        )
        rows = await db.fetch_all("SELECT id, group_id, number FROM meetings")
        meeting_of = {(int(r[1]), int(r[2])): int(r[0]) for r in rows}
        checkins = []
        for person, group in person_group.items():
            for week in range(1, 7):
                if rng.random() < 0.7:
                    confidence = rng.randint(4, 10)
                    done = rng.choice(("done", "partly", "not-yet", None))
                    checkins.append(
                        (
                            group,
                            meeting_of[(group, week)],
                            pseudonym[person],
                            joined,
                            confidence,
                            done,
                        )
                    )
        await db.execute_many(
            "INSERT INTO checkins (group_id, meeting_id, pseudonym, invited_at, confidence, "
            "ratings, progress_mid) VALUES (?, ?, ?, ?, ?, 1, ?)",
            checkins,
        )
        for round_name in ("before", "after"):
            await db.execute_many(
                "INSERT INTO survey_rounds (group_id, survey, round, sent_at) "
                "VALUES (?, 'kannustin-default', ?, ?)",
                [(g, round_name, joined) for g in group_ids],
            )
        rounds = await db.fetch_all("SELECT id, group_id, round FROM survey_rounds")
        round_of = {(int(r[1]), str(r[2])): int(r[0]) for r in rounds}
        await db.execute_many(
            "INSERT INTO survey_responses (round_id, pseudonym, invited_at, finished_at) "
            "VALUES (?, ?, ?, ?)",
            [
                (round_of[(g, r)], pseudonym[p], joined, joined)
                for p, g in person_group.items()
                for r in ("before", "after")
            ],
        )
        responses = await db.fetch_all("SELECT id FROM survey_responses")
        items = ("health", "quality_of_life", "coping", "loneliness", "health_confidence")
        await db.execute_many(
            "INSERT INTO survey_answers (response_id, item, value, answered_at) "
            "VALUES (?, ?, ?, ?)",
            [(int(r[0]), item, rng.randint(1, 5), joined) for r in responses for item in items],
        )
    # the events, through the writer's own statements (log and roll-up together)
    kinds = [kind for kind, weight in KINDS for _ in range(weight)]
    people_list = list(person_group)
    seconds = 6 * 7 * 86_400
    first = now - dt.timedelta(weeks=6)
    batch = 50_000
    for offset in range(0, events, batch):
        rows = []
        for _ in range(min(batch, events - offset)):
            person = rng.choice(people_list)
            kind = rng.choice(kinds)
            at = first + dt.timedelta(seconds=rng.randrange(seconds))
            attributes = '{"change":1}' if kind == "reaction" else '{"type":"text"}'
            rows.append((to_db(at), person_group[person], pseudonym[person], kind, attributes))
        async with services.database.transaction() as tx:
            await tx.events.append(rows)
            await tx.events.roll_up(rows, await tx.analytics.start_days(set(group_ids)))


async def timed(bot: RunningBot, text: str, method: str) -> float:
    coordinator = bot.emulator.user(COORDINATOR, "Kaisa", language_code="fi")
    elapsed = await bot.answer_time(coordinator, text, method=method, timeout=60)
    await asyncio.sleep(1.5)  # the private chat's own limit (3 in 3 s) must not be measured
    return elapsed


async def export(database: str, out: Path, *options: str) -> tuple[float, float, str]:
    env = cli_environment(database, KANNUSTIN_LOG_LEVEL="WARNING")
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        PEAK_AFTER_MAIN,
        "export",
        *options,
        "--out",
        str(out),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(stderr.decode())
    lines = stdout.decode().splitlines()
    return elapsed, float(lines[-1]), lines[0]


async def measure(events: int, groups: int, people: int) -> None:
    emulator = BotApiEmulator(TOKEN)
    await emulator.start()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        bot = benchmark_bot(emulator, path, admins="1000")
        await bot.start()
        built = time.perf_counter()
        await build(bot, groups, people, events)
        took = time.perf_counter() - built
        size = await database_size(bot)
        print(
            f"built {events:,} events, {groups} groups, {people:,} participants "
            f"in {took:.0f} s ({size / 2**20:.0f} MB)"
        )
        # the first works out every week's disclosure pattern, as after a week's figures
        # change; the next ones find the patterns of unchanged weeks remembered
        cold = await timed(bot, "/stats", "sendMessage")
        stats = [await timed(bot, "/stats", "sendMessage") for _ in range(5)]
        print(f"/stats (organisation, {groups} groups), the first: {cold * 1000:.0f} ms")
        charts = [await timed(bot, "/stats chart", "sendPhoto") for _ in range(3)]
        print(f"/stats (organisation, {groups} groups): {_ms(stats)}")
        print(f"/stats chart: {_ms(charts)}")
        await bot.stop()
        runs: list[tuple[str, tuple[str, ...]]] = [
            ("export.xlsx", ()),
            ("export.zip", ()),
            ("study.xlsx", ("--study", "bench")),
            ("study.zip", ("--study", "bench")),
        ]
        for name, options in runs:
            out = Path(folder) / name
            elapsed, peak, summary = await export(bot.settings.database, out, *options)
            megabytes = out.stat().st_size / 2**20
            command = " ".join(("kannustin export", *options, name))
            print(f"{command}: {elapsed:.1f} s, peak {peak:.0f} MB, {megabytes:.0f} MB")
            print(f"  {summary}")
    await emulator.stop()
    own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"benchmark process peak memory: {own_peak:.0f} MB")


async def database_size(bot: RunningBot) -> int:
    database = bot.services.database
    if not database.is_postgres:
        return await asyncio.to_thread(os.path.getsize, database.path)
    async with database.transaction() as tx:
        row = await tx.connection.fetch_one("SELECT pg_database_size(current_database())")
    return int(row[0])


def _ms(times: list[float]) -> str:
    return f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms"


def data_set_arguments(parser: argparse.ArgumentParser) -> None:
    """The national-scale data set's size, the same for every benchmark that builds it."""
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--groups", type=int, default=500)
    parser.add_argument("--people", type=int, default=10_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_set_arguments(parser)
    arguments = parser.parse_args()
    print(f"database: {which()}")
    try:
        asyncio.run(measure(arguments.events, arguments.groups, arguments.people))
    finally:
        drop_created()


if __name__ == "__main__":
    main()
