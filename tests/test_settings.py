"""Settings from the environment: defaults, parsing, and one clear line for a bad value."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_settings
from testing.harness import TOKEN


def test_defaults_need_nothing_but_are_complete() -> None:
    settings = load_settings()

    assert settings.bot_token is None
    assert settings.bot_api_url == "https://api.telegram.org/bot"
    assert settings.database == "data/kannustin.db"
    assert settings.admins == frozenset()
    assert settings.language == "fi"
    assert settings.timezone == "Europe/Helsinki"
    assert settings.webhook_url is None


def test_values_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KANNUSTIN_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("KANNUSTIN_ADMINS", " 111, 222 ,")
    monkeypatch.setenv("KANNUSTIN_LANGUAGE", "sv")
    monkeypatch.setenv("KANNUSTIN_TIMEZONE", "Europe/Stockholm")
    monkeypatch.setenv("KANNUSTIN_API_BASE_URL", "http://127.0.0.1:8081/")

    settings = load_settings()

    assert settings.require_token() == TOKEN
    assert settings.admins == frozenset({111, 222})
    assert settings.language == "sv"
    assert settings.timezone == "Europe/Stockholm"
    assert settings.bot_api_url == "http://127.0.0.1:8081/bot"
    assert settings.bot_file_url == "http://127.0.0.1:8081/file/bot"


def test_a_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("KANNUSTIN_LANGUAGE=en\nKANNUSTIN_ADMINS=5\n")

    settings = load_settings()

    assert settings.language == "en"
    assert settings.admins == frozenset({5})


@pytest.mark.parametrize(
    ("variable", "value", "line"),
    [
        ("KANNUSTIN_LANGUAGE", "de", "KANNUSTIN_LANGUAGE: Input should be 'fi', 'sv' or 'en'"),
        (
            "KANNUSTIN_ADMINS",
            "12,abc",
            "KANNUSTIN_ADMINS: expected comma-separated Telegram user ids, got 'abc'",
        ),
        (
            "KANNUSTIN_TIMEZONE",
            "Mars/Olympus",
            "KANNUSTIN_TIMEZONE: unknown time zone 'Mars/Olympus' "
            "(use a name like Europe/Helsinki)",
        ),
        (
            "KANNUSTIN_TIMEZONE",
            "Europe/" + "x" * 5000,  # too long a file name for the zone database
            "KANNUSTIN_TIMEZONE: unknown time zone 'Europe/" + "x" * 57 + "' "
            "(use a name like Europe/Helsinki)",
        ),
        (
            "KANNUSTIN_LISTEN",
            "8443",
            "KANNUSTIN_LISTEN: expected HOST:PORT such as 0.0.0.0:8443, got '8443'",
        ),
        (
            "KANNUSTIN_LOG_LEVEL",
            "chatty",
            "KANNUSTIN_LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR",
        ),
        (
            "KANNUSTIN_WEBHOOK_SECRET",
            "abc",
            "KANNUSTIN_WEBHOOK_URL: required when KANNUSTIN_WEBHOOK_SECRET or "
            "KANNUSTIN_LISTEN is set",
        ),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, line: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert str(raised.value).split(" (and ")[0] == line


def test_a_malformed_token_is_refused_without_echoing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KANNUSTIN_BOT_TOKEN", "not-a-token-but-a-secret-password")

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert str(raised.value).startswith("KANNUSTIN_BOT_TOKEN: does not look like a BotFather token")
    assert "secret-password" not in str(raised.value)


def test_a_webhook_secret_must_be_telegrams_alphabet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KANNUSTIN_WEBHOOK_URL", "https://bot.example.org/hook")
    monkeypatch.setenv("KANNUSTIN_WEBHOOK_SECRET", "has spaces")

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert str(raised.value) == (
        "KANNUSTIN_WEBHOOK_SECRET: must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
    )


def test_webhook_parts_are_derived(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KANNUSTIN_WEBHOOK_URL", "https://bot.example.org/kannustin/hook")
    monkeypatch.setenv("KANNUSTIN_WEBHOOK_SECRET", "abc_DEF-123")
    monkeypatch.setenv("KANNUSTIN_LISTEN", "127.0.0.1:9000")

    settings = load_settings()

    settings.require_webhook()
    assert settings.webhook_path == "kannustin/hook"
    assert (settings.listen_host, settings.listen_port) == ("127.0.0.1", 9000)
    assert settings.secrets() == ["abc_DEF-123"]


def test_running_needs_a_token_and_webhooks_need_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    with pytest.raises(SettingsError, match=r"^KANNUSTIN_BOT_TOKEN: required to run the bot"):
        settings.require_token()
    with pytest.raises(SettingsError, match=r"^KANNUSTIN_WEBHOOK_URL: required for --webhook"):
        settings.require_webhook()
    monkeypatch.setenv("KANNUSTIN_WEBHOOK_URL", "https://bot.example.org/hook")
    with pytest.raises(SettingsError, match=r"^KANNUSTIN_WEBHOOK_SECRET: required for --webhook"):
        load_settings().require_webhook()


def test_the_readme_lists_every_setting() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Configuration") : readme.index("## Deployment")]
    listed = set(re.findall(r"^\| `KANNUSTIN_([A-Z_]+)` \|", table, flags=re.MULTILINE))

    assert listed == {name.upper() for name in Settings.model_fields}
