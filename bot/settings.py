"""Configuration from the environment (prefix ``KANNUSTIN_``) and an optional ``.env`` file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AnyHttpUrl,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from storage.sql import is_postgres_url, redacted_url, url_passwords
from storage.states import Language

ENV_PREFIX = "KANNUSTIN_"
LANGUAGES = tuple(Language)  # the languages the bot speaks: fi, sv, en

# BotFather tokens look like "123456789:AAH...": a numeric bot id, a colon, 35 url-safe characters.
_TOKEN_PATTERN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{30,64}$")
# hosts a plain-HTTP Mini App address may name (a page on this machine: tests, development)
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
# Telegram's rule for the webhook secret token.
_SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line that names the variable."""


class Settings(BaseSettings):
    """Everything an admin can configure. Built once in ``main`` and passed down."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    bot_token: SecretStr | None = None
    api_base_url: AnyHttpUrl = AnyHttpUrl("https://api.telegram.org")
    # an SQLite file, or a postgresql://user:password@host/name URL
    database: str = "data/kannustin.db"
    admins: Annotated[frozenset[int], NoDecode] = frozenset()
    language: Language = Language.FI
    timezone: str = "Europe/Helsinki"
    webhook_url: AnyHttpUrl | None = None
    webhook_secret: SecretStr | None = None
    listen: str | None = None
    # The Mini App (web/): where the bot serves its page and API (HOST:PORT), the public
    # HTTPS address Telegram opens (the reverse proxy's, ending in /app/), and how old a
    # signed launch (initData's auth_date) may be, in seconds. Unset: no Mini App.
    web_listen: str | None = None
    web_url: AnyHttpUrl | None = None
    web_auth_max_age: int = Field(default=3600, ge=60, le=86400)
    log_level: str = "INFO"
    # The key that turns a Telegram user id into a pseudonym (HMAC). Unset: a random key is
    # created on first run in ``pseudonym.key`` beside the SQLite database file. Required
    # with PostgreSQL, where every instance must use the same key.
    pseudonym_key: SecretStr | None = Field(default=None, min_length=16)
    # ...or a key file (made by an SQLite deployment, beside its database): the same key,
    # so people keep their pseudonyms after ``kannustin copy-db``
    pseudonym_key_file: Path | None = None
    # Seconds a long poll waits at Telegram before answering empty.
    poll_timeout: int = Field(default=10, ge=1, le=50)
    # The before-and-after survey (the id of a file in content/surveys).
    survey: str = "kannustin-default"
    # In statistics, a figure about fewer people than this shows as "<N".
    small_numbers: int = Field(default=5, ge=1, le=100)
    # Updates one person may send the bot within 10 seconds (private messages, commands in
    # a group, button presses, reactions); beyond that one "slow down", then silence.
    flood_limit: int = Field(default=20, ge=1, le=10_000)
    # The same for a stranger (no role, no group): lower.
    stranger_limit: int = Field(default=6, ge=1, le=10_000)
    # Events of one kind (messages, button presses...) one person leaves in the engagement
    # log in a clock hour; beyond that they are not logged until the next hour.
    event_limit: int = Field(default=300, ge=1, le=1_000_000)
    # Several instances on PostgreSQL: how often (seconds) each checks who leads; a dead
    # leader is replaced within this time.
    leader_poll: float = Field(default=5.0, ge=0.2, le=30.0)
    # A group in which nothing happened (no participant's activity, no meeting, no season
    # begun) for this many days is archived: nothing is sent there until a new season.
    archive_after_days: int = Field(default=180, ge=7, le=3650)
    # Minutes Telegram's word that a person is in a group chat stands: before something
    # group-specific goes to participants, only those confirmed longer ago are asked about
    # again (0: always ask).
    membership_fresh: int = Field(default=15, ge=0, le=1440)

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _TOKEN_PATTERN.fullmatch(value.get_secret_value()):
            # Never echo the value: it is a secret.
            raise ValueError("does not look like a BotFather token (digits, a colon, then letters)")
        return value

    @field_validator("admins", mode="before")
    @classmethod
    def _split_admins(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            for part in parts:
                if not part.lstrip("-").isdigit():
                    raise ValueError(f"expected comma-separated Telegram user ids, got {part!r}")
            return frozenset(int(part) for part in parts)
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long
            raise ValueError(
                f"unknown time zone {value[:64]!r} (use a name like Europe/Helsinki)"
            ) from None
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _SECRET_PATTERN.fullmatch(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("listen", "web_listen")
    @classmethod
    def _listen_shape(cls, value: str | None) -> str | None:
        if value is None:
            return value
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"expected HOST:PORT such as 0.0.0.0:8443, got {value!r}")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.upper()
            if value not in _LOG_LEVELS:
                raise ValueError(f"must be one of {', '.join(_LOG_LEVELS)}")
        return value

    @field_validator("web_url")
    @classmethod
    def _web_url_shape(cls, value: AnyHttpUrl | None) -> AnyHttpUrl | None:
        # Telegram opens only HTTPS pages; plain HTTP is for a page on this machine (tests)
        if value is not None and value.scheme != "https" and value.host not in _LOCAL_HOSTS:
            raise ValueError("must be an https:// address (Telegram opens no other)")
        if value is not None and not (value.path or "/").endswith("/"):
            raise ValueError(
                "must end with / (the page's folder, e.g. https://bot.example.org/app/)"
            )
        return value

    @model_validator(mode="after")
    def _web_complete(self) -> Settings:
        if (self.web_listen is None) != (self.web_url is None):
            raise ValueError("web_listen and web_url: set both for the Mini App, or neither")
        return self

    @model_validator(mode="after")
    def _webhook_complete(self) -> Settings:
        webhook = (self.webhook_url, self.webhook_secret, self.listen)
        if any(part is not None for part in webhook) and self.webhook_url is None:
            raise ValueError(
                "webhook_url: required when KANNUSTIN_WEBHOOK_SECRET or KANNUSTIN_LISTEN is set"
            )
        return self

    @model_validator(mode="after")
    def _postgres_needs_a_key(self) -> Settings:
        if self.is_postgres and self.pseudonym_key is None and self.pseudonym_key_file is None:
            raise ValueError(
                "pseudonym_key: required with a PostgreSQL database (every instance must use "
                "the same key; make one with: python -c 'import secrets; "
                "print(secrets.token_hex(32))', or set KANNUSTIN_PSEUDONYM_KEY_FILE to the "
                "pseudonym.key of an SQLite deployment)"
            )
        return self

    # Derived values -----------------------------------------------------------------------

    @property
    def database_path(self) -> Path:
        return Path(self.database)

    @property
    def is_postgres(self) -> bool:
        return is_postgres_url(self.database)

    @property
    def database_label(self) -> str:
        """The database as it may be printed: a URL without its password."""
        return redacted_url(self.database) if self.is_postgres else self.database

    @property
    def bot_api_url(self) -> str:
        """Base URL PTB appends the token to."""
        return f"{str(self.api_base_url).rstrip('/')}/bot"

    @property
    def bot_file_url(self) -> str:
        return f"{str(self.api_base_url).rstrip('/')}/file/bot"

    @property
    def listen_host(self) -> str:
        return (self.listen or "0.0.0.0:8443").rpartition(":")[0]

    @property
    def listen_port(self) -> int:
        return int((self.listen or "0.0.0.0:8443").rpartition(":")[2])

    @property
    def webhook_path(self) -> str:
        """The path part of the webhook URL, which PTB's server listens on."""
        if self.webhook_url is None:
            return ""
        return urlsplit(str(self.webhook_url)).path.lstrip("/")

    def secrets(self) -> list[str]:
        """Secret values that must never reach a log."""
        found = [self.bot_token, self.webhook_secret]
        values = [secret.get_secret_value() for secret in found if secret is not None]
        return values + (url_passwords(self.database) if self.is_postgres else [])

    def require_token(self) -> str:
        if self.bot_token is None:
            raise SettingsError(
                f"{ENV_PREFIX}BOT_TOKEN: required to run the bot (get one from @BotFather)"
            )
        return self.bot_token.get_secret_value()

    def require_webhook(self) -> None:
        if self.webhook_url is None:
            raise SettingsError(f"{ENV_PREFIX}WEBHOOK_URL: required for --webhook")
        if self.webhook_secret is None:
            raise SettingsError(
                f"{ENV_PREFIX}WEBHOOK_SECRET: required for --webhook, so that only Telegram "
                "can post updates"
            )


def load_settings(**overrides: object) -> Settings:
    """Read settings; any problem becomes one ``SettingsError`` line naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise SettingsError(_one_line(error)) from None


def _one_line(error: ValidationError) -> str:
    first = error.errors(include_url=False, include_input=False)[0]
    location = [str(part) for part in first["loc"]]
    message = str(first["msg"]).removeprefix("Value error, ")
    if not location and ":" in message:
        # Model-level checks name their field at the start of the message.
        field, _, message = message.partition(":")
        location = [field]
    variable = f"{ENV_PREFIX}{location[0].upper()}" if location else "settings"
    more = len(error.errors()) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"{variable}: {message.strip()}{suffix}"
