"""Data at rest: the database, its write-ahead log, backups and the pseudonym key are their
owner's alone (mode 600, folders the bot makes 700, whatever the umask); ``kannustin
backup`` hands PostgreSQL's password to ``pg_dump`` in its environment, never on its
command line; and a database URL is printed without its password, even one that does not
parse."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.clock import FixedClock
from bot.pseudonyms import Pseudonyms
from bot.runtime.logs import RedactingFormatter
from bot.settings import Settings
from storage import Database, apply_migrations
from testing.harness import TOKEN
from tests.test_cli import kannustin

KEY = "k" * 32  # KANNUSTIN_PSEUDONYM_KEY, which PostgreSQL settings require
# A password with every character that breaks a URL, and its pieces around them
TRICKY = "Zq9/Xw7#Vb5?Ky3"
PIECES = ("Zq9", "Xw7", "Vb5", "Ky3")
UNPARSED = f"postgresql://kannustin:{TRICKY}@127.0.0.1:9/kannustin"
REDACTED = "postgresql://kannustin:***@127.0.0.1:9/kannustin"
ADVICE = 'the URL does not parse: write "/", "?", "#" and "@" in the password as %2F, %3F, %23'
# Parses (the password percent-encoded), but nobody listens on port 9
ENCODED = "postgresql://kannustin:Zq9%2FXw7%23Vb5%3FKy3@127.0.0.1:9/kannustin"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def with_url(command: list[str], url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``kannustin COMMAND`` on the PostgreSQL database at ``url``, with a token and a key."""
    return kannustin(
        *command,
        cwd=tmp_path,
        KANNUSTIN_DATABASE=url,
        KANNUSTIN_PSEUDONYM_KEY=KEY,
        KANNUSTIN_BOT_TOKEN=TOKEN,
    )


def shows_password(result: subprocess.CompletedProcess[str]) -> bool:
    return any(piece in result.stdout + result.stderr for piece in PIECES)


@pytest.fixture(autouse=True)
def _umask() -> Iterator[None]:
    """The usual umask, which leaves new files readable by everyone (644)."""
    before = os.umask(0o022)
    yield
    os.umask(before)


@pytest.mark.sqlite_only
async def test_a_new_database_its_wal_and_its_folders_are_private(
    tmp_path: Path, clock: FixedClock
) -> None:
    shared = tmp_path / "srv"
    shared.mkdir(mode=0o755)
    path = shared / "state" / "data" / "kannustin.db"
    database = Database(path)
    await database.connect()
    try:
        await apply_migrations(database, clock.now())
        files = {file.name: mode(file) for file in path.parent.iterdir()}
    finally:
        await database.close()

    assert files == {"kannustin.db": 0o600, "kannustin.db-wal": 0o600, "kannustin.db-shm": 0o600}
    assert mode(shared / "state") == mode(path.parent) == 0o700
    assert mode(shared) == 0o755  # a folder that was there is left as it is


@pytest.mark.sqlite_only
async def test_a_database_open_to_others_is_made_private_with_a_warning(
    tmp_path: Path, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "kannustin.db"
    database = Database(path)
    await database.connect()
    await apply_migrations(database, clock.now())
    await database.close()
    path.chmod(0o644)  # as an older version left it

    caplog.set_level(logging.WARNING)
    database = Database(path)
    await database.connect()
    await database.close()

    assert mode(path) == 0o600
    assert caplog.messages == [f"{path} was open to other users (mode 644): now mode 600"]


def test_the_pseudonym_key_and_its_folder_are_private(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    new = tmp_path / "keys" / "pseudonym.key"
    Pseudonyms(key_file=new).of(1)
    older = tmp_path / "pseudonym.key"
    older.write_text("ab" * 32 + "\n")  # 644, as the umask makes it

    Pseudonyms(key_file=older).of(1)

    assert (mode(new), mode(new.parent), mode(older)) == (0o600, 0o700, 0o600)
    assert f"{older} was open to other users (mode 644): now mode 600" in caplog.messages


@pytest.mark.sqlite_only
def test_a_backup_is_private(tmp_path: Path) -> None:
    database = str(tmp_path / "kannustin.db")
    assert kannustin("migrate", cwd=tmp_path, KANNUSTIN_DATABASE=database).returncode == 0

    made = kannustin("backup", "copy.db", cwd=tmp_path, KANNUSTIN_DATABASE=database)

    assert made.returncode == 0, made.stderr
    assert mode(tmp_path / "copy.db") == 0o600


@pytest.fixture
def fake_pg_tools(tmp_path: Path) -> dict[str, str]:
    """``pg_dump`` and ``pg_restore`` stand-ins on PATH: pg_dump notes its command line and
    its PGPASSWORD in ``pg_dump.json`` and writes into the file it is given, as the real
    one does (keeping the file's mode); pg_restore lists one table."""
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "pg_dump").write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        f"with open({str(tmp_path / 'pg_dump.json')!r}, 'w') as log:\n"
        "    json.dump({'argv': sys.argv, 'password': os.environ.get('PGPASSWORD')}, log)\n"
        "target = next(a for a in sys.argv if a.startswith('--file=')).removeprefix('--file=')\n"
        "with open(target, 'wb') as out:\n"
        "    out.write(b'PGDMP')\n"
    )
    (tools / "pg_restore").write_text(
        f"#!{sys.executable}\nprint('3; 0 16390 TABLE DATA public people postgres')\n"
    )
    for tool in tools.iterdir():
        tool.chmod(0o755)
    return {"PATH": f"{tools}{os.pathsep}{os.environ['PATH']}", "KANNUSTIN_PSEUDONYM_KEY": KEY}


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://kannustin@127.0.0.1:9/kannustin?sslmode=disable&password=Zq9%2FXw7%23Vb5%3FKy3",
        f"{ENCODED}?sslmode=disable",
    ],
)
def test_pg_dump_gets_the_password_in_its_environment_never_its_command_line(
    url: str, tmp_path: Path, fake_pg_tools: dict[str, str]
) -> None:
    made = kannustin("backup", "copy.dump", cwd=tmp_path, KANNUSTIN_DATABASE=url, **fake_pg_tools)

    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("backup: copy.dump (0.0 MB, PostgreSQL custom format, 1 table)")
    ran = json.loads((tmp_path / "pg_dump.json").read_text())
    assert ran["password"] == TRICKY
    assert ran["argv"][1:] == [
        "--format=custom",
        "--no-owner",
        "--file=copy.dump",
        "postgresql://kannustin@127.0.0.1:9/kannustin?sslmode=disable",
    ]
    assert mode(tmp_path / "copy.dump") == 0o600


def test_a_backup_refuses_a_url_that_does_not_parse(
    tmp_path: Path, fake_pg_tools: dict[str, str]
) -> None:
    made = kannustin(
        "backup", "copy.dump", cwd=tmp_path, KANNUSTIN_DATABASE=UNPARSED, **fake_pg_tools
    )

    assert made.returncode == 1
    assert made.stderr.startswith(f"kannustin: backup: KANNUSTIN_DATABASE: {ADVICE}")
    assert not (tmp_path / "pg_dump.json").exists() and not (tmp_path / "copy.dump").exists()
    assert not shows_password(made)


@pytest.mark.parametrize("command", [["check"], ["migrate"], ["run"]])
def test_a_url_that_does_not_parse_is_printed_without_its_password(
    command: list[str], tmp_path: Path
) -> None:
    result = with_url(command, UNPARSED, tmp_path)

    assert result.returncode == 1
    printed = result.stdout + result.stderr
    assert f"database: {REDACTED}: {ADVICE}" in printed or (
        f"database: PROBLEM {REDACTED}: {ADVICE}" in printed
    )
    assert not shows_password(result), printed
    assert "Traceback" not in printed


@pytest.mark.parametrize("command", [["migrate"], ["run"]])
def test_a_database_that_cannot_be_reached_is_one_line_without_the_password(
    command: list[str], tmp_path: Path
) -> None:
    result = with_url(command, ENCODED, tmp_path)

    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"kannustin: database: {REDACTED}: cannot connect (")
    assert not shows_password(result)


def test_copy_db_prints_its_target_without_the_password(tmp_path: Path) -> None:
    source = tmp_path / "kannustin.db"
    assert kannustin("migrate", cwd=tmp_path, KANNUSTIN_DATABASE=str(source)).returncode == 0

    for target in (UNPARSED, ENCODED):
        result = kannustin("copy-db", "--from", str(source), "--to", target, cwd=tmp_path)

        assert result.returncode == 1
        assert result.stderr.startswith(f"kannustin: copy-db: {REDACTED}: ")
        assert result.stderr.rstrip().endswith("nothing was copied")
        assert not shows_password(result)


@pytest.mark.parametrize(
    ("url", "label"),
    [
        (UNPARSED, REDACTED),
        (ENCODED, REDACTED),
        (
            f"{ENCODED}?sslmode=disable&password={TRICKY}",
            f"{REDACTED}?sslmode=disable&password=***",
        ),
    ],
)
def test_a_log_line_loses_the_whole_password(url: str, label: str) -> None:
    settings = Settings(_env_file=None, database=url, pseudonym_key=KEY)  # type: ignore[call-arg]
    formatter = RedactingFormatter("%(message)s", settings.secrets())
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "cannot reach %s", (url,), None)

    assert settings.database_label == label
    assert not any(piece in formatter.format(record) for piece in PIECES)


@pytest.mark.sqlite_only
def test_a_backup_that_fails_leaves_nothing_and_says_why_in_one_line(tmp_path: Path) -> None:
    bogus = tmp_path / "kannustin.db"
    bogus.write_bytes(b"this is not sqlite" * 100)
    bogus.chmod(0o600)

    made = kannustin("backup", "copy.db", cwd=tmp_path, KANNUSTIN_DATABASE=str(bogus))

    assert made.returncode == 1
    assert made.stderr == f"kannustin: backup: {bogus}: file is not a database; nothing kept\n"
    assert not (tmp_path / "copy.db").exists()
