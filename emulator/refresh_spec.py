"""Rebuild ``botapi.json`` (names, types, required flags; no prose) from a full Bot API spec.

    python -m emulator.refresh_spec path/to/api.json

The full spec is the MIT-licensed telegram-bot-api-spec scrape (see LICENSE.botapi).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

TARGET = Path(__file__).with_name("botapi.json")


def compact(spec: dict[str, Any]) -> dict[str, Any]:
    def fields(entry: dict[str, Any]) -> dict[str, Any]:
        return {
            field["name"]: {"types": field["types"], "required": field["required"]}
            for field in entry.get("fields", [])
        }

    return {
        "version": spec["version"],
        "methods": {
            name: {"returns": method["returns"], "fields": fields(method)}
            for name, method in spec["methods"].items()
        },
        "types": {
            name: {"fields": fields(kind), "subtypes": kind.get("subtypes", [])}
            for name, kind in spec["types"].items()
        },
    }


def main() -> None:
    source = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    TARGET.write_text(json.dumps(compact(source), separators=(",", ":"), sort_keys=True))
    print(f"wrote {TARGET} ({TARGET.stat().st_size} bytes, Bot API {source['version']})")  # noqa: T201


if __name__ == "__main__":
    main()
