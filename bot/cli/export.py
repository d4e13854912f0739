"""``kannustin export``: the coordinators' export /export makes (aggregates only), written
to a file (XLSX, or a ZIP of CSV files for a ``.zip`` name), for all groups or one
organisation's."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
from pathlib import Path

from bot.cli.common import EXIT_OK, EXIT_USAGE, Commands, Failure, refusals, services
from bot.settings import Settings


def register(commands: Commands) -> None:
    export_parser = commands.add_parser(
        "export", help="write the coordinators' export (XLSX, or a ZIP of CSVs for a .zip name)"
    )
    export_parser.add_argument("--out", type=Path, required=True, help="FILE.xlsx or FILE.zip")
    export_parser.add_argument("--org", metavar="NAME", help="one organisation (default: all)")
    export_parser.add_argument(
        "--from", dest="since", metavar="DATE", help="from this day (2026-12-01)"
    )
    export_parser.add_argument("--to", dest="until", metavar="DATE", help="to this day, inclusive")
    export_parser.set_defaults(
        handler=lambda settings, arguments: asyncio.run(export(settings, arguments))
    )


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
    async with services(settings) as bot:
        with refusals():
            groups = await bot.exports.groups_for(None, arguments.org)
        result = await bot.exports.write(
            str(out), groups, kind=kind, since=since, until=until, language="en"
        )
    if result.chart is not None and kind == "xlsx":
        out.with_suffix(".png").write_bytes(result.chart)
    print(
        f"export: {out}: {result.weeks} group weeks, {result.outcomes} outcome rows, "
        f"{result.broadcasts} broadcasts from {len(groups)} groups (aggregates only)"
    )
    return EXIT_OK
