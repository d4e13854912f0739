"""The ``kannustin`` command line: ``main()`` and the parser, assembled from one module per
command group.

Each module (``run``: run, check, migrate; ``content``; ``broadcast``; ``export``;
``organisations``: org; ``roles``: role; ``privacy``: forget, audit; ``database``: backup,
copy-db) has a ``register(commands)`` that adds its parsers and sets the handler each runs, so a new
command touches one module and the list below. What they share (exit statuses,
``Failure``, opening the database and the services) lives in ``bot.cli.common``.

Exit status: 0 fine, 1 a problem found at run time (database, content, Telegram
unreachable), 2 a bad setting or bad command-line input. Every failure is one clear line on
stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.cli import broadcast, content, database, export, organisations, privacy, roles, run
from bot.cli.common import EXIT_OK, EXIT_USAGE, Failure, Handler
from bot.runtime.logs import configure_logging, redact
from bot.settings import SettingsError, load_settings

# in the order the help lists them
COMMAND_GROUPS = (run, content, broadcast, export, organisations, roles, privacy, database)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kannustin",
        description="Kannustin keeps peer-support groups going between meetings.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(commands)
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
    handler: Handler = arguments.handler
    try:
        return handler(settings, arguments)
    except KeyboardInterrupt:
        return EXIT_OK  # Ctrl-C before the bot was up: nothing to clean up
    except SettingsError as error:
        print(f"kannustin: {error}", file=sys.stderr)
        return EXIT_USAGE
    except Failure as failure:
        print(f"kannustin: {redact(str(failure), settings.secrets())}", file=sys.stderr)
        return failure.status
