"""The ``kannustin`` command: run, check, migrate.

Exit status: 0 fine, 1 a problem found at run time (database, content, Telegram
unreachable), 2 a bad setting or bad command-line input. Every failure is one clear line on
stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot import pseudonyms
from bot.clock import SystemClock
from bot.errors import DomainError
from bot.i18n import CatalogError, Translator
from bot.payload import PHOTO_UPLOAD_LIMIT, UPLOAD_LIMIT, MediaContent, TextContent
from bot.runtime.app import build_application
from bot.runtime.logs import configure_logging, redact
from bot.runtime.telegram_setup import ALLOWED_UPDATES
from bot.runtime.wiring import Services, build_services
from bot.services.broadcasts import BroadcastService
from bot.services.organisations import OrganisationService
from bot.services.privacy import EVENT_POLICIES
from bot.settings import Settings, SettingsError, load_settings
from bot.when import format_local, parse_when
from content import ContentError, Library, load_library
from content.library import TIPS_DIR
from content.surveys import SURVEYS_DIR, load_surveys
from storage import Database, MigrationError, apply_migrations, migration_status
from storage.copy import CopiedTable, CopyError, copy_database
from storage.database import DatabaseError
from storage.sql import is_postgres_url, redacted_url
from storage.states import AuditAction, EventErasure

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_USAGE = 2


class Failure(Exception):
    """Stop the command with one line and an exit status."""

    def __init__(self, line: str, status: int = EXIT_PROBLEM) -> None:
        super().__init__(line)
        self.status = status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kannustin",
        description="Kannustin keeps peer-support groups going between meetings.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="run the bot (long polling unless --webhook)")
    run.add_argument(
        "--webhook",
        action="store_true",
        help="serve Telegram's webhook at KANNUSTIN_WEBHOOK_URL on KANNUSTIN_LISTEN",
    )
    commands.add_parser("check", help="validate settings, database and content; print a summary")
    commands.add_parser("migrate", help="apply pending database migrations")
    content = commands.add_parser("content", help="the tip library")
    content_commands = content.add_subparsers(
        dest="content_command", required=True, metavar="ACTION"
    )
    validate = content_commands.add_parser(
        "validate", help="check every tip file; report each problem with file and field"
    )
    validate.add_argument(
        "--dir", type=Path, default=TIPS_DIR, help="a folder of tip files (default: the shipped)"
    )
    validate.add_argument(
        "--surveys",
        type=Path,
        default=SURVEYS_DIR,
        help="a folder of survey files (default: the shipped)",
    )
    broadcast = commands.add_parser(
        "broadcast", help="enqueue a broadcast; the running bot delivers it"
    )
    targets = broadcast.add_mutually_exclusive_group(required=True)
    targets.add_argument(
        "--group",
        type=int,
        action="append",
        metavar="CHAT_ID",
        help="a group's chat id (repeatable)",
    )
    targets.add_argument("--all", action="store_true", help="every active group")
    body = broadcast.add_mutually_exclusive_group(required=True)
    body.add_argument("--text", help="the message text")
    body.add_argument("--file", type=Path, help="a picture, video, audio or document to upload")
    broadcast.add_argument("--caption", help="caption for --file")
    broadcast.add_argument(
        "--at", metavar="DATETIME", help="send later, e.g. '2026-12-03 09:00' (KANNUSTIN_TIMEZONE)"
    )
    export = commands.add_parser(
        "export", help="write the research export (XLSX, or a ZIP of CSVs for a .zip name)"
    )
    export.add_argument("--out", type=Path, required=True, help="FILE.xlsx or FILE.zip")
    export.add_argument("--org", metavar="NAME", help="one organisation (default: all)")
    export.add_argument("--from", dest="since", metavar="DATE", help="from this day (2026-12-01)")
    export.add_argument("--to", dest="until", metavar="DATE", help="to this day, inclusive")
    org = commands.add_parser("org", help="organisations: create, list, set the privacy contact")
    org_commands = org.add_subparsers(dest="org_command", required=True, metavar="ACTION")
    create = org_commands.add_parser("create", help="create an organisation")
    create.add_argument("name", nargs="+", help="its name, e.g. City of Espoo")
    create.add_argument("--contact", help="privacy contact shown to participants")
    org_commands.add_parser("list", help="list organisations with their numbers")
    contact = org_commands.add_parser("contact", help="set an organisation's privacy contact")
    contact.add_argument("number", type=int, help="the organisation's number (see org list)")
    contact.add_argument("contact", nargs="+", help="name and email or phone")
    retention = org_commands.add_parser(
        "retention", help="how long personal data is kept, and what erasure does to events"
    )
    retention.add_argument("number", type=int, help="the organisation's number (see org list)")
    retention.add_argument(
        "months", type=int, help="months after a group's last meeting (1-120; default 24)"
    )
    retention.add_argument(
        "--events",
        choices=EVENT_POLICIES,
        default=EventErasure.UNLINK,
        help="on erasure, unlink a person's events from them (default) or delete them",
    )
    forget = commands.add_parser(
        "forget", help="erase a person (by Telegram user id) and everything personal"
    )
    forget.add_argument("user_id", type=int, help="their Telegram user id")
    audit = commands.add_parser("audit", help="the log of privileged actions, newest first")
    audit.add_argument("--limit", type=int, default=50, help="how many entries (default 50)")
    audit.add_argument("--action", help="only this action, e.g. export or erase")
    backup = commands.add_parser(
        "backup", help="a consistent copy of the database, also while the bot runs"
    )
    backup.add_argument("path", type=Path, help="the copy to write (must not exist)")
    copy = commands.add_parser(
        "copy-db", help="move an SQLite deployment's data to an empty PostgreSQL database"
    )
    copy.add_argument("--from", dest="source", required=True, metavar="SQLITE_PATH")
    copy.add_argument("--to", dest="target", required=True, metavar="POSTGRES_URL")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"kannustin: {error}", file=sys.stderr)
        return EXIT_USAGE
    # Only the bot itself narrates at INFO; check and migrate print their own summary.
    quiet = arguments.command != "run" and settings.log_level == "INFO"
    configure_logging("WARNING" if quiet else settings.log_level, settings.secrets())
    command: Callable[[Settings], int] = {
        "run": lambda s: run(s, webhook=arguments.webhook),
        "check": check,
        "migrate": migrate,
        "content": lambda s: validate_content(arguments.dir, arguments.surveys),
        "org": lambda s: asyncio.run(organisations(s, arguments)),
        "broadcast": lambda s: asyncio.run(enqueue_broadcast(s, arguments)),
        "export": lambda s: asyncio.run(export(s, arguments)),
        "forget": lambda s: asyncio.run(forget(s, arguments.user_id)),
        "audit": lambda s: asyncio.run(show_audit(s, arguments.limit, arguments.action)),
        "backup": lambda s: backup(s, arguments.path),
        "copy-db": lambda s: copy_db(arguments.source, arguments.target),
    }[arguments.command]
    try:
        return command(settings)
    except KeyboardInterrupt:
        return EXIT_OK  # Ctrl-C before the bot was up: nothing to clean up
    except SettingsError as error:
        print(f"kannustin: {error}", file=sys.stderr)
        return EXIT_USAGE
    except Failure as failure:
        print(f"kannustin: {redact(str(failure), settings.secrets())}", file=sys.stderr)
        return failure.status


def validate_content(directory: Path, surveys: Path = SURVEYS_DIR) -> int:
    """Every problem in the tip and survey files, one line each (file: field: what)."""
    problems: list[str] = []
    try:
        library = load_library(directory)
    except ContentError as error:
        problems += error.problems
        library = None
    try:
        found = load_surveys(surveys)
    except ContentError as error:
        problems += error.problems
        found = None
    if problems:
        for line in problems:
            print(line)
        print(f"{len(problems)} problem(s) in {directory} and {surveys}")
        return EXIT_PROBLEM
    assert library is not None and found is not None
    themes = library.themes()
    print(f"{len(library)} tips in {len(themes)} themes, each in fi, sv and en: all valid")
    for theme in themes:
        print(f"  {theme.value}: {sum(1 for tip in library if tip.theme == theme)}")
    for survey in found.surveys.values():
        print(f"survey {survey.id}: {len(survey.items)} items, each in fi, sv and en: valid")
    return EXIT_OK


def _content_problems(what: str, error: ContentError) -> int:
    print(f"{what}: PROBLEM {len(error.problems)} problem(s)")
    for line in error.problems:
        print(f"  {line}")
    return 1


def run(settings: Settings, *, webhook: bool) -> int:
    """Run until SIGTERM or Ctrl-C; PTB stops polling, finishes handlers and closes storage."""
    settings.require_token()
    if webhook:
        settings.require_webhook()
    translator, library = _load_texts_and_content(settings)
    key = settings.pseudonym_key.get_secret_value() if settings.pseudonym_key else None
    try:
        pseudonyms.describe(settings.database, key, settings.pseudonym_key_file)
    except pseudonyms.PseudonymKeyError as error:
        raise Failure(f"pseudonyms: {error}") from None
    asyncio.run(_prepare_database(settings))
    asyncio.run(_check_telegram(settings))
    application = build_application(settings, translator=translator, library=library)
    try:
        if webhook:
            assert settings.webhook_url is not None and settings.webhook_secret is not None
            application.run_webhook(
                listen=settings.listen_host,
                port=settings.listen_port,
                url_path=settings.webhook_path,
                webhook_url=str(settings.webhook_url),
                secret_token=settings.webhook_secret.get_secret_value(),
                allowed_updates=list(ALLOWED_UPDATES),
            )
        else:
            application.run_polling(
                allowed_updates=list(ALLOWED_UPDATES), timeout=settings.poll_timeout
            )
    except InvalidToken:
        # PTB's message quotes the token; ours does not.
        raise Failure("KANNUSTIN_BOT_TOKEN: Telegram rejected the token", EXIT_USAGE) from None
    except NetworkError as error:
        raise Failure(
            f"cannot reach the Bot API at {settings.api_base_url}: {error.message}"
        ) from None
    except TelegramError as error:
        raise Failure(f"the Bot API refused to start the bot: {error.message}") from None
    except (DatabaseError, MigrationError) as error:
        raise Failure(f"database: {error}") from None
    log.info("stopped")
    return EXIT_OK


def check(settings: Settings) -> int:
    """Print one line per part; exit 1 if any part has a problem."""
    problems = 0
    mode = "webhook" if settings.webhook_url else "long polling"
    admins = len(settings.admins)
    print(
        f"settings: ok (language {settings.language}, time zone {settings.timezone}, "
        f"{admins} admin{'' if admins == 1 else 's'}, {mode})"
    )
    print(f"bot token: {'set' if settings.bot_token else 'NOT SET (required to run)'}")
    if settings.bot_token is None:
        problems += 1
    try:
        translator = Translator.load(settings.language)
        print(f"languages: {', '.join(translator.languages())} (default {settings.language})")
    except CatalogError as error:
        print(f"languages: PROBLEM {error}")
        problems += 1
    try:
        print(asyncio.run(_database_summary(settings)))
    except (DatabaseError, MigrationError) as error:
        print(f"database: PROBLEM {error}")
        problems += 1
    key = settings.pseudonym_key.get_secret_value() if settings.pseudonym_key else None
    try:
        source = pseudonyms.describe(settings.database, key, settings.pseudonym_key_file)
        print(f"pseudonyms: {source}")
    except pseudonyms.PseudonymKeyError as error:
        print(f"pseudonyms: PROBLEM {error}")
        problems += 1
    try:
        library = load_library()
        print(f"content: {len(library)} tips in {len(library.themes())} themes")
    except ContentError as error:
        problems += _content_problems("content", error)
    try:
        surveys = load_surveys()
        if surveys.get(settings.survey) is None:
            print(f"surveys: PROBLEM KANNUSTIN_SURVEY={settings.survey} is not among them")
            problems += 1
        else:
            print(f"surveys: {len(surveys.surveys)}, in use: {settings.survey}")
    except ContentError as error:
        problems += _content_problems("surveys", error)
    print("all good" if problems == 0 else f"{problems} problem(s) found")
    return EXIT_OK if problems == 0 else EXIT_PROBLEM


_FILE_KINDS = {
    ".jpg": "photo",
    ".jpeg": "photo",
    ".png": "photo",
    ".webp": "photo",
    ".mp4": "video",
    ".mov": "video",
    ".gif": "animation",
    ".mp3": "audio",
    ".m4a": "audio",
    ".ogg": "voice",
    ".oga": "voice",
}


async def enqueue_broadcast(settings: Settings, arguments: argparse.Namespace) -> int:
    """``kannustin broadcast``: the same service as /broadcast; prints the broadcast id."""
    translator = Translator.load("en")
    try:
        content = _cli_content(arguments)
        send_at = None
        if arguments.at:
            send_at = parse_when(arguments.at, SystemClock().now(), settings.timezone)
    except DomainError as error:
        raise Failure(translator.text("en", error.key, **error.params), EXIT_USAGE) from None
    await _prepare_database(settings)
    database = Database(settings.database)
    await database.connect()
    service = BroadcastService(
        database, SystemClock(), settings.admins, default_timezone=settings.timezone
    )
    try:
        async with database.transaction() as tx:
            groups = [group for group in await tx.groups.all() if group.is_active]
        by_chat = {group.chat_id: group for group in groups}
        if arguments.all:
            chosen = [group.id for group in groups]
            if not chosen:
                raise Failure("no active groups to send to", EXIT_USAGE)
        else:
            unknown = [chat for chat in arguments.group if chat not in by_chat]
            if unknown:
                raise Failure(
                    f"unknown or inactive group chat id {unknown[0]} (see /groups)", EXIT_USAGE
                )
            chosen = [by_chat[chat].id for chat in arguments.group]
        broadcast, targets = await service.send(None, content, chosen, send_at)
    except DomainError as error:
        raise Failure(translator.text("en", error.key, **error.params), EXIT_USAGE) from None
    finally:
        await database.close()
    when = "now" if send_at is None else format_local(broadcast.send_at, settings.timezone)
    print(f"broadcast {broadcast.id}: {len(targets)} groups, {when}")
    return EXIT_OK


async def export(settings: Settings, arguments: argparse.Namespace) -> int:
    """``kannustin export``: the same export as /export, written to a file."""
    out: Path = arguments.out
    kind = {".xlsx": "xlsx", ".zip": "zip"}.get(out.suffix.lower())
    if kind is None:
        raise Failure("--out must end in .xlsx or .zip", EXIT_USAGE)
    try:
        since = dt.date.fromisoformat(arguments.since) if arguments.since else None
        until = dt.date.fromisoformat(arguments.until) if arguments.until else None
    except ValueError:
        raise Failure("--from and --to are dates like 2026-12-01", EXIT_USAGE) from None
    if since and until and until < since:
        raise Failure("--to is before --from", EXIT_USAGE)
    async with _services(settings) as services:
        try:
            groups = await services.exports.groups_for(None, arguments.org)
        except DomainError as error:
            text = services.translator.text("en", error.key, **error.params)
            raise Failure(text, EXIT_USAGE) from None
        result = await services.exports.write(
            str(out), groups, kind=kind, since=since, until=until, language="en"
        )
    if result.chart is not None and kind == "xlsx":
        out.with_suffix(".png").write_bytes(result.chart)
    print(
        f"export: {out}: {result.events} events, {result.weeks} group weeks, "
        f"{result.responses} survey responses from {len(groups)} groups"
    )
    return EXIT_OK


@contextlib.asynccontextmanager
async def _services(settings: Settings) -> AsyncIterator[Services]:
    """The bot's services on the configured database, for a command that does one job."""
    translator, library = _load_texts_and_content(settings)
    await _prepare_database(settings)
    database = Database(settings.database)
    await database.connect()
    try:
        yield build_services(
            settings, clock=SystemClock(), database=database, translator=translator, library=library
        )
    finally:
        await database.close()


async def forget(settings: Settings, user_id: int) -> int:
    """``kannustin forget USER_ID``: the erasure /forgetme does, asked by an admin."""
    async with _services(settings) as services:
        erased = await services.privacy.forget(user_id, by=0)
    if not erased.found:
        print(f"nothing stored about user {user_id}")
        return EXIT_OK
    print(
        f"erased user {user_id}: {erased.groups} membership(s), {erased.consents} consent(s), "
        f"{erased.check_ins} check-in(s), {erased.survey_answers} survey answer(s); "
        f"{erased.events_unlinked} event(s) unlinked, {erased.events_deleted} deleted"
    )
    return EXIT_OK


async def show_audit(settings: Settings, limit: int, action: str | None) -> int:
    """``kannustin audit``: privileged actions, newest first, one line each."""
    await _prepare_database(settings)
    database = Database(settings.database)
    await database.connect()
    try:
        async with database.transaction() as tx:
            entries = await tx.audit.latest(max(1, limit), action=action)
    finally:
        await database.close()
    for entry in entries:
        actor = "command line" if entry.actor_id in (None, 0) else f"user {entry.actor_id}"
        if entry.action == AuditAction.RETENTION and entry.actor_id is None:
            actor = "retention job"
        line = f"{entry.at:%Y-%m-%d %H:%M:%S}Z  {entry.action:<20} {actor:<16} {entry.target or ''}"
        print(f"{line}  {entry.details}" if entry.details else line)
    if not entries:
        print("no audit entries" + (f" for {action}" if action else ""))
    return EXIT_OK


def backup(settings: Settings, path: Path) -> int:
    """``kannustin backup PATH``: one consistent snapshot even while the bot writes (SQLite's
    online backup, or pg_dump's); the copy is checked before it is reported."""
    if path.exists():
        raise Failure(f"{path} exists already: choose a new name", EXIT_USAGE)
    if not path.parent.is_dir():
        raise Failure(f"{path.parent}: no such folder", EXIT_USAGE)
    if settings.is_postgres:
        return _backup_postgres(settings, path)
    source = Path(settings.database)
    if not source.is_file():
        raise Failure(f"{source}: no database to back up")
    with (
        contextlib.closing(sqlite3.connect(source, timeout=30)) as live,
        contextlib.closing(sqlite3.connect(path)) as copy,
    ):
        live.backup(copy)  # all pages in one step: a single snapshot
        (check,) = copy.execute("PRAGMA integrity_check").fetchone()
        (version,) = copy.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
        (people,) = copy.execute("SELECT COUNT(*) FROM people").fetchone()
    if check != "ok":
        path.unlink()
        raise Failure(f"the copy failed its integrity check ({check}); nothing kept")
    size = path.stat().st_size / 2**20
    print(f"backup: {path} ({size:.1f} MB, schema version {version}, {people} people): ok")
    if settings.pseudonym_key is None:
        key = source.parent / pseudonyms.KEY_FILE
        print(f"keep the pseudonym key ({key}) with your backups: it does not change")
    return EXIT_OK


def copy_db(source_path: str, target_url: str) -> int:
    """``kannustin copy-db --from SQLITE_PATH --to POSTGRES_URL``, with the bot stopped."""
    if not is_postgres_url(target_url):
        raise Failure("--to: a postgresql://user:password@host/name URL", EXIT_USAGE)
    if not Path(source_path).is_file():
        raise Failure(f"--from {source_path}: no such database file", EXIT_USAGE)
    started = time.monotonic()
    copied = asyncio.run(_copy(source_path, target_url))
    total = sum(table.rows for table in copied)
    print(
        f"copied {total} rows in {len(copied)} tables from {source_path} to "
        f"{redacted_url(target_url)} in {time.monotonic() - started:.1f} s: every count matches"
    )
    key = Path(source_path).parent / pseudonyms.KEY_FILE
    if key.exists():
        print(
            f"people keep their pseudonyms only with the same key: copy {key} to every "
            "instance and set KANNUSTIN_PSEUDONYM_KEY_FILE to it"
        )
    return EXIT_OK


async def _copy(source_path: str, target_url: str) -> list[CopiedTable]:
    source, target = Database(source_path), Database(target_url)
    try:
        await source.connect()
        await target.connect()
        return await copy_database(
            source,
            target,
            SystemClock().now(),
            progress=lambda table, rows: print(f"  {table}: {rows} rows"),
        )
    except (DatabaseError, MigrationError, CopyError) as error:
        raise Failure(f"copy-db: {error}; nothing was copied") from None
    finally:
        await source.close()
        await target.close()


def _backup_postgres(settings: Settings, path: Path) -> int:
    """pg_dump in its custom format (restored with pg_restore); the password goes to it in
    its environment, never on a command line that others on the machine can read."""
    tools = {name: shutil.which(name) for name in ("pg_dump", "pg_restore")}
    if None in tools.values():
        raise Failure("backup: needs pg_dump and pg_restore (the PostgreSQL client) on PATH")
    parts = urlsplit(settings.database)
    env = dict(os.environ)
    if parts.password is not None:
        env["PGPASSWORD"] = unquote(parts.password)
    url = urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", "@")))
    dumped = subprocess.run(  # noqa: S603 - fixed tools, arguments we built
        [str(tools["pg_dump"]), "--format=custom", "--no-owner", f"--file={path}", url],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if dumped.returncode != 0:
        path.unlink(missing_ok=True)
        last = (dumped.stderr.strip().splitlines() or ["no reason given"])[-1]
        raise Failure(f"backup: pg_dump failed: {redact(last, settings.secrets())}")
    listed = subprocess.run(  # noqa: S603
        [str(tools["pg_restore"]), "--list", str(path)], capture_output=True, text=True, check=False
    )
    tables = sum(" TABLE DATA " in line for line in listed.stdout.splitlines())
    if listed.returncode != 0 or tables == 0:
        path.unlink(missing_ok=True)
        raise Failure("backup: the copy cannot be read back by pg_restore; nothing kept")
    size = path.stat().st_size / 2**20
    print(f"backup: {path} ({size:.1f} MB, PostgreSQL custom format, {tables} tables): ok")
    return EXIT_OK


def _cli_content(arguments: argparse.Namespace) -> TextContent | MediaContent:
    if arguments.text is not None:
        if arguments.caption:
            raise Failure("--caption goes with --file", EXIT_USAGE)
        return TextContent(text=arguments.text)
    path: Path = arguments.file.expanduser().resolve()
    if not path.is_file():
        raise Failure(f"--file {arguments.file}: no such file", EXIT_USAGE)
    kind = _FILE_KINDS.get(path.suffix.lower(), "document")
    limit = PHOTO_UPLOAD_LIMIT if kind == "photo" else UPLOAD_LIMIT
    if path.stat().st_size > limit:
        raise Failure(
            f"--file {arguments.file}: {path.stat().st_size // 1_000_000} MB is over "
            f"Telegram's {limit // 1_000_000} MB limit for a bot's {kind}",
            EXIT_USAGE,
        )
    return MediaContent(kind=kind, path=str(path), caption=arguments.caption)  # type: ignore[arg-type]


async def organisations(settings: Settings, arguments: argparse.Namespace) -> int:
    """``kannustin org ...``: the same service the bot's /neworg uses, as an admin."""
    await _prepare_database(settings)
    database = Database(settings.database)
    await database.connect()
    translator = Translator.load("en")
    service = OrganisationService(database, SystemClock(), settings.admins)
    try:
        if arguments.org_command == "create":
            organisation = await service.create(None, " ".join(arguments.name))
            if arguments.contact:
                organisation = await service.set_privacy_contact(
                    None, arguments.contact, organisation.id
                )
            print(f"created organisation {organisation.id}: {organisation.name}")
        elif arguments.org_command == "retention":
            organisation = await service.set_retention(
                arguments.number, arguments.months, arguments.events
            )
            deletes = organisation.erase_events == EventErasure.DELETE
            print(
                f"organisation {organisation.id}: personal data kept "
                f"{organisation.retention_months} months after a group's last meeting; "
                f"an erasure {'deletes' if deletes else 'unlinks'} the person's events"
            )
        elif arguments.org_command == "contact":
            organisation = await service.set_privacy_contact(
                None, " ".join(arguments.contact), arguments.number
            )
            print(f"organisation {organisation.id}: privacy contact {organisation.privacy_contact}")
        else:
            found = await service.all()
            for organisation in found:
                contact = organisation.privacy_contact or "(no privacy contact yet)"
                print(f"{organisation.id}\t{organisation.name}\t{contact}")
            if not found:
                print("no organisations yet: kannustin org create NAME")
    except DomainError as error:
        raise Failure(translator.text("en", error.key, **error.params), EXIT_USAGE) from None
    finally:
        await database.close()
    return EXIT_OK


def migrate(settings: Settings) -> int:
    applied = asyncio.run(_prepare_database(settings))
    if applied:
        print(
            f"database {settings.database_label}: applied {applied[0]}..{applied[-1]}, "
            f"now at version {applied[-1]}"
        )
    else:
        print(f"database {settings.database_label}: up to date")
    return EXIT_OK


async def _prepare_database(settings: Settings) -> list[int]:
    database = Database(settings.database)
    try:
        await database.connect()
        applied = await apply_migrations(database, SystemClock().now())
    except (DatabaseError, MigrationError) as error:
        raise Failure(f"database: {error}") from None
    finally:
        await database.close()
    return [migration.version for migration in applied]


async def _check_telegram(settings: Settings) -> None:
    """Ask Telegram who we are before starting, so a bad token or URL is one clear line."""
    bot = Bot(settings.require_token(), base_url=settings.bot_api_url)
    try:
        async with bot:
            log.info("Telegram knows this bot as @%s", bot.username)
    except InvalidToken:
        # PTB's own message quotes the token; ours does not.
        raise Failure("KANNUSTIN_BOT_TOKEN: Telegram rejected the token", EXIT_USAGE) from None
    except NetworkError as error:
        raise Failure(
            f"cannot reach the Bot API at {settings.api_base_url}: {error.message}"
        ) from None
    except TelegramError as error:
        raise Failure(f"the Bot API refused to start the bot: {error.message}") from None


async def _database_summary(settings: Settings) -> str:
    if (
        not settings.is_postgres
        and settings.database != ":memory:"
        and not settings.database_path.exists()
    ):
        return (
            f"database: {settings.database} not created yet "
            "(`kannustin migrate` or `run` creates it)"
        )
    database = Database(settings.database)
    try:
        await database.connect()
        status = await migration_status(database)
        if status.pending:
            return (
                f"database: {settings.database_label}, schema version {status.current} of "
                f"{status.latest}, {len(status.pending)} pending (`kannustin migrate` applies them)"
            )
        async with database.transaction() as tx:
            people = await tx.people.count()
    finally:
        await database.close()
    return (
        f"database: {settings.database_label}, schema version {status.current} of "
        f"{status.latest}, "
        f"{people} people"
    )


def _load_texts_and_content(settings: Settings) -> tuple[Translator, Library]:
    try:
        translator = Translator.load(settings.language)
    except CatalogError as error:
        raise Failure(f"languages: {error}") from None
    try:
        library = load_library()
    except ContentError as error:
        report = "\n  ".join(error.problems)
        raise Failure(f"content: the tip library has problems:\n  {report}") from None
    try:
        surveys = load_surveys()
    except ContentError as error:
        report = "\n  ".join(error.problems)
        raise Failure(f"content: the survey files have problems:\n  {report}") from None
    if surveys.get(settings.survey) is None:
        known = ", ".join(sorted(surveys.surveys))
        raise Failure(
            f"KANNUSTIN_SURVEY: no survey {settings.survey!r} (there is: {known})", EXIT_USAGE
        )
    return translator, library
