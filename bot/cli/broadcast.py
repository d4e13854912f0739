"""``kannustin broadcast``: enqueue a broadcast from the command line (text or a file, now
or later, to some groups or all); the running bot delivers it through the outbox."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.cli.common import EXIT_OK, EXIT_USAGE, Commands, Failure, refusals, services
from bot.clock import SystemClock
from bot.dates import for_groups
from bot.i18n import counted
from bot.payload import PHOTO_UPLOAD_LIMIT, UPLOAD_LIMIT, MediaContent, TextContent
from bot.settings import Settings
from bot.when import parse_when

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


def register(commands: Commands) -> None:
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
    broadcast.set_defaults(
        handler=lambda settings, arguments: asyncio.run(enqueue_broadcast(settings, arguments))
    )


async def enqueue_broadcast(settings: Settings, arguments: argparse.Namespace) -> int:
    """``kannustin broadcast``: the same service as /broadcast; prints the broadcast id."""
    with refusals():
        content = _cli_content(arguments)
        send_at = None
        if arguments.at:
            send_at = parse_when(arguments.at, SystemClock().now(), settings.timezone)
    async with services(settings) as built:
        service = built.broadcasts
        async with built.database.transaction() as tx:
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
        with refusals():
            broadcast, targets = await service.send(None, content, chosen, send_at)
    zones = [group.timezone for group in targets]
    when = (
        "now"
        if send_at is None
        else for_groups(broadcast.send_at, zones, "en", typed_in=settings.timezone)
    )
    print(f"broadcast {broadcast.id}: {counted(len(targets), 'group')}, {when}")
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
