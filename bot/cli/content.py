"""``kannustin content validate``: check the tip and survey files before they ship, every
problem one line (file: field: what)."""

from __future__ import annotations

from pathlib import Path

from bot.cli.common import EXIT_OK, EXIT_PROBLEM, Commands
from bot.i18n import counted
from content import ContentError, load_library
from content.library import TIPS_DIR
from content.surveys import SURVEYS_DIR, load_surveys


def register(commands: Commands) -> None:
    content = commands.add_parser("content", help="the tip library")
    actions = content.add_subparsers(dest="content_command", required=True, metavar="ACTION")
    validate = actions.add_parser(
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
    validate.set_defaults(
        handler=lambda settings, arguments: validate_content(arguments.dir, arguments.surveys)
    )


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
        print(f"{counted(len(problems), 'problem')} in {directory} and {surveys}")
        return EXIT_PROBLEM
    assert library is not None and found is not None
    themes = library.themes()
    print(
        f"{counted(len(library), 'tip')} in {counted(len(themes), 'theme')}, "
        "each in fi, sv and en: all valid"
    )
    for theme in themes:
        print(f"  {theme.value}: {sum(1 for tip in library if tip.theme == theme)}")
    for survey in found.surveys.values():
        print(
            f"survey {survey.id}: {counted(len(survey.items), 'item')}, "
            "each in fi, sv and en: valid"
        )
    return EXIT_OK
