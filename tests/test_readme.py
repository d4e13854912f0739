"""The README's tables that the code also holds must say the same as the code."""

from __future__ import annotations

import re
from pathlib import Path

from bot.services.exports import DICTIONARY

README = Path(__file__).resolve().parent.parent / "README.md"
ROW = re.compile(r"^\| `([a-z_]+)` \| `([A-Za-z_]+)` \| (.+) \|$")


def test_the_exported_columns_table_is_the_data_dictionary() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("Exported columns:") :]
    rows = [m.groups() for line in section.splitlines() if (m := ROW.match(line))]

    assert rows == [
        (table, column, meaning)
        for table, columns in DICTIONARY.items()
        for column, meaning in columns
    ]
