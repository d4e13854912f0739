"""The ``kannustin`` command as an admin meets it: exit codes and one-line answers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from content import load_library
from content.surveys import SURVEYS_DIR
from storage.migrations import load_migrations
from testing.harness import TOKEN

LATEST = len(load_migrations())
SHIPPED = load_library()

KANNUSTIN = str(Path(sys.executable).with_name("kannustin"))


def kannustin(*arguments: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("KANNUSTIN_")
    }
    environment.update(env)
    return subprocess.run(
        [KANNUSTIN, *arguments],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_bad_setting_exits_2_with_one_line(tmp_path: Path) -> None:
    result = kannustin("check", cwd=tmp_path, KANNUSTIN_LANGUAGE="de")

    assert result.returncode == 2
    assert result.stderr == "kannustin: KANNUSTIN_LANGUAGE: Input should be 'fi', 'sv' or 'en'\n"


def test_run_without_a_token_exits_2_with_one_line(tmp_path: Path) -> None:
    result = kannustin("run", cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "kannustin: KANNUSTIN_BOT_TOKEN: required to run the bot (get one from @BotFather)"
    ]


def test_webhook_mode_without_a_secret_exits_2(tmp_path: Path) -> None:
    result = kannustin(
        "run",
        "--webhook",
        cwd=tmp_path,
        KANNUSTIN_BOT_TOKEN=TOKEN,
        KANNUSTIN_WEBHOOK_URL="https://bot.example.org/hook",
    )

    assert result.returncode == 2
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("kannustin: KANNUSTIN_WEBHOOK_SECRET: required for --webhook")
    )


def test_an_unreachable_bot_api_is_one_line(tmp_path: Path) -> None:
    result = kannustin(
        "run",
        cwd=tmp_path,
        KANNUSTIN_BOT_TOKEN=TOKEN,
        KANNUSTIN_API_BASE_URL="http://127.0.0.1:9",
    )

    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last == (
        "kannustin: the Bot API at http://127.0.0.1:9/bot<token>/getMe refused the connection "
        "(nothing listens there)"
    )
    assert "Traceback" not in result.stderr
    assert TOKEN not in result.stderr


def test_migrate_creates_the_database_and_check_summarises(tmp_path: Path) -> None:
    database = tmp_path / "state" / "bot.db"

    migrated = kannustin("migrate", cwd=tmp_path, KANNUSTIN_DATABASE=str(database))
    again = kannustin("migrate", cwd=tmp_path, KANNUSTIN_DATABASE=str(database))
    checked = kannustin(
        "check",
        cwd=tmp_path,
        KANNUSTIN_DATABASE=str(database),
        KANNUSTIN_BOT_TOKEN=TOKEN,
        KANNUSTIN_ADMINS="1,2",
    )

    assert migrated.returncode == 0
    assert migrated.stdout == f"database {database}: applied 1..{LATEST}, now at version {LATEST}\n"
    assert again.stdout == f"database {database}: up to date\n"
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout.splitlines() == [
        "settings: ok (language fi, time zone Europe/Helsinki, 2 admins, long polling)",
        "bot token: set",
        "languages: fi, sv, en (default fi)",
        f"database: {database}, schema version {LATEST} of {LATEST}, 0 people",
        f"pseudonyms: {tmp_path / 'state' / 'pseudonym.key'} will be created on first use",
        f"content: {len(SHIPPED)} tips in 14 themes",
        "surveys: 1, in use: kannustin-default",
        "all good",
    ]
    assert TOKEN not in checked.stdout + checked.stderr


def test_check_reports_what_is_missing(tmp_path: Path) -> None:
    result = kannustin("check", cwd=tmp_path)

    assert result.returncode == 1
    assert "bot token: NOT SET (required to run)" in result.stdout
    assert "database: data/kannustin.db not created yet" in result.stdout
    assert result.stdout.splitlines()[-1] == "1 problem found"


def test_a_database_path_that_cannot_be_created_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")

    result = kannustin("migrate", cwd=tmp_path, KANNUSTIN_DATABASE=str(blocker / "kannustin.db"))

    assert result.returncode == 1
    assert result.stderr.startswith(f"kannustin: database: {blocker / 'kannustin.db'}: cannot")
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_file_that_is_not_a_database_is_one_line(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"this is not sqlite" * 100)
    bogus.chmod(0o600)  # private already: no warning that it was made so

    result = kannustin("migrate", cwd=tmp_path, KANNUSTIN_DATABASE=str(bogus))

    assert result.returncode == 1
    assert result.stderr.startswith(f"kannustin: database: {bogus}: not a usable SQLite database")


@pytest.mark.parametrize("entry", [[KANNUSTIN], [sys.executable, "-m", "bot"]])
def test_both_entry_points_show_the_commands(entry: list[str], tmp_path: Path) -> None:
    result = subprocess.run(
        [*entry, "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode == 0
    for command in ("run", "check", "migrate"):
        assert command in result.stdout


def test_content_validate_passes_the_shipped_library(tmp_path: Path) -> None:
    result = kannustin("content", "validate", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.endswith("tips in 14 themes, each in fi, sv and en: all valid")
    assert int(first.split()[0]) >= 60


def test_content_validate_names_file_and_field_of_each_problem(tmp_path: Path) -> None:
    tips = tmp_path / "tips"
    tips.mkdir()
    (tips / "sleep.toml").write_text(
        '[[tips]]\nid = "sleep-early"\ntheme = "sleeping"\n[tips.text]\nfi = "Nuku."\nsv = "Sov."\n'
    )
    (tips / "pain.toml").write_text('[[tips]\nid = "x"')

    result = kannustin("content", "validate", "--dir", str(tips), cwd=tmp_path)

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("pain.toml: not valid TOML")
    assert lines[1].startswith("sleep.toml: tips.0.theme: Input should be 'action_planning'")
    assert lines[2] == "sleep.toml: tips.0.text.en: Field required"
    assert lines[3] == f"3 problems in {tips} and {SURVEYS_DIR}"
    assert "Traceback" not in result.stderr + result.stdout


def test_content_validate_checks_the_surveys_too(tmp_path: Path) -> None:
    surveys = tmp_path / "surveys"
    surveys.mkdir()
    (surveys / "short.toml").write_text(
        'id = "short"\n[[items]]\nid = "mood"\n[items.text]\nfi = "Mieliala?"\n'
    )

    result = kannustin("content", "validate", "--surveys", str(surveys), cwd=tmp_path)

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("short.toml: ")
    assert lines[-1].endswith(f" and {surveys}")
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    "command", [["forget", "7"], ["org", "list"], ["broadcast", "--all", "--text", "Hei"]]
)
def test_a_missing_pseudonym_key_file_is_one_line(command: list[str], tmp_path: Path) -> None:
    result = kannustin(
        *command,
        cwd=tmp_path,
        KANNUSTIN_DATABASE=str(tmp_path / "bot.db"),
        KANNUSTIN_PSEUDONYM_KEY_FILE=str(tmp_path / "nowhere.key"),
    )

    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("kannustin: pseudonyms: ") and "nowhere.key" in line
