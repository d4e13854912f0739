"""``kannustin export``: the coordinators' export /export makes (aggregates only), written
to a file (XLSX, or a ZIP of CSV files for a ``.zip`` name), for all groups or one
organisation's; with ``--study NAME`` a researchers' extract instead
(``bot/services/research.py``), which only this command line makes. Every file is written
readable by its owner only (mode 600).

``--org`` names an organisation by its number (as ``kannustin org list`` shows it) or by its
name; digits only are a number.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
from pathlib import Path

from bot.cli.common import EXIT_OK, EXIT_USAGE, Commands, Failure, refusals, services
from bot.i18n import counted
from bot.runtime.wiring import Services
from bot.services.research import Request, clean_study
from bot.settings import Settings
from storage.files import private_file


def register(commands: Commands) -> None:
    export_parser = commands.add_parser(
        "export",
        help="write the coordinators' export, or with --study a researchers' extract "
        "(XLSX, or a ZIP of CSVs for a .zip name)",
    )
    export_parser.add_argument("--out", type=Path, required=True, help="FILE.xlsx or FILE.zip")
    export_parser.add_argument(
        "--study",
        metavar="NAME",
        help="a researchers' extract for this study: person-level rows under the study's own "
        "pseudonyms (the same name gives the same pseudonyms)",
    )
    export_parser.add_argument(
        "--org",
        metavar="N|NAME",
        help="one organisation, by number (see org list) or name (default: all)",
    )
    export_parser.add_argument(
        "--from", dest="since", metavar="DATE", help="from this day (2026-12-01)"
    )
    export_parser.add_argument("--to", dest="until", metavar="DATE", help="to this day, inclusive")
    export_parser.set_defaults(
        handler=lambda settings, arguments: asyncio.run(export(settings, arguments))
    )


async def export(settings: Settings, arguments: argparse.Namespace) -> int:
    """``kannustin export``: the same export as /export, or a study's extract, to a file."""
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
    with refusals():
        study = None if arguments.study is None else clean_study(arguments.study)
    async with services(settings) as bot:
        with refusals():
            organisation = await bot.organisations.find(arguments.org) if arguments.org else None
        if study is not None:
            request = Request(study, organisation, since, until)
            return await study_extract(bot, out, kind, request)
        with refusals():
            groups = await bot.exports.groups_for(None, organisation.name if organisation else None)
        with private_file(out) as file:
            result = await bot.exports.write(
                file, groups, kind=kind, since=since, until=until, language="en"
            )
    print(
        f"export: {out}: {counted(result.weeks, 'group week')}, "
        f"{counted(result.outcomes, 'outcome row')}, {counted(result.broadcasts, 'broadcast')} "
        f"from {counted(len(groups), 'group')} (aggregates only)"
    )
    if result.chart is None:
        print(f"  {result.drawn.described(settings.small_numbers)[2]}")
    elif kind == "xlsx":  # a ZIP holds its chart
        picture = out.with_suffix(".png")
        with private_file(picture) as chart:
            chart.write(result.chart)
        print(f"  the outcome chart: {picture}")
    return EXIT_OK


async def study_extract(bot: Services, out: Path, kind: str, request: Request) -> int:
    """``kannustin export --study NAME``: the extract, and what it holds and left out."""
    with private_file(out) as file:
        extract = await bot.research.extract(file, request, kind=kind)
    print(
        f"study {extract.study}: {out}: {counted(extract.persons, 'person', 'persons')} in "
        f"{counted(extract.groups, 'group')}; {counted(extract.events, 'event')} in "
        f"{counted(extract.event_rows, 'row')}, {counted(extract.checkins, 'check-in')}, "
        f"{counted(extract.responses, 'survey response')}"
    )
    small = bot.settings.small_numbers
    for group in extract.left_out:
        print(
            f"  left out: group {group.id} {group.name!r} "
            f"(fewer than {small} consenting participants)"
        )
    if extract.earlier:
        print(
            f"  extracted {counted(extract.earlier, 'time')} before: "
            "the same study pseudonyms as then"
        )
    else:
        print("  the first extract of this study: its pseudonyms are new")
    return EXIT_OK
