"""The README's table of the researchers' extract says what the code writes."""

from __future__ import annotations

import re
from pathlib import Path

from bot.services.research import DICTIONARY

README = Path(__file__).resolve().parent.parent / "README.md"
ROW = re.compile(r"^\| `([a-z_]+)` \| `([A-Za-z_]+)` \| (.+) \|$")


def table_after(marker: str) -> list[tuple[str, ...]]:
    """The rows of the first table after ``marker``, up to the line that ends it."""
    text = README.read_text(encoding="utf-8")
    lines = text[text.index(marker) :].splitlines()[1:]
    start = next(n for n, line in enumerate(lines) if line.startswith("|"))
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        if found := ROW.match(line):
            table.append(found.groups())
    return table


def test_the_research_extract_columns_table_is_its_data_dictionary() -> None:
    assert table_after("Research extract columns:") == [
        (table, column, meaning)
        for table, columns in DICTIONARY.items()
        for column, meaning in columns
    ]
