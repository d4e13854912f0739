"""Append message keys to the three catalogs: ``python tools/add_messages.py FILE.py``.

FILE.py defines ``MSGS = {key: (fi, sv, en)}``. Keys already present are replaced in place.
A writer's convenience; the catalogs themselves are the source of truth.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

LOCALES = Path(__file__).resolve().parents[1] / "bot" / "locales"


def main() -> None:
    messages = runpy.run_path(sys.argv[1])["MSGS"]
    for index, language in enumerate(("fi", "sv", "en")):
        path = LOCALES / f"{language}.po"
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        for key, texts in messages.items():
            if key in catalog:
                catalog.delete(key)  # add() would keep the old text
            catalog.add(key, texts[index])
        with path.open("wb") as handle:
            write_po(handle, catalog, width=0, omit_header=False, sort_output=False)
    print(f"{len(messages)} keys written to fi.po, sv.po and en.po")  # noqa: T201


if __name__ == "__main__":
    main()
