"""The Bot API specification (``botapi.json``): coerce and check requests, check answers.

The emulator uses it two ways: every request the bot makes is checked (unknown method,
unknown parameter, missing required parameter, wrong type, malformed object) and every
object the emulator itself returns is checked against the type it claims to be, so the
emulator cannot quietly drift from what Telegram sends.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).with_name("botapi.json")
_SCALARS = {"Integer", "String", "Boolean", "Float", "True", "InputFile"}


@dataclass(frozen=True)
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class BotApiSpec:
    def __init__(self, data: dict[str, Any]) -> None:
        self.version: str = data["version"]
        self.methods: dict[str, Any] = data["methods"]
        self.types: dict[str, Any] = data["types"]
        self._method_names = {name.lower(): name for name in self.methods}

    @classmethod
    @cache
    def load(cls) -> BotApiSpec:
        return cls(json.loads(SPEC_PATH.read_text(encoding="utf-8")))

    def method_name(self, name: str) -> str | None:
        """Telegram matches method names case-insensitively."""
        return self._method_names.get(name.lower())

    # Requests ------------------------------------------------------------------------------

    def coerce_form_value(self, method: str, name: str, raw: str) -> Any:
        """Form and query values are strings; turn them into what JSON would have carried."""
        field = self.methods[method]["fields"].get(name)
        if field is None:
            return raw
        types: list[str] = field["types"]
        if "Integer" in types and _is_int(raw):
            return int(raw)
        if "Float" in types and _is_float(raw):
            return float(raw)
        if ("Boolean" in types or "True" in types) and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        if any(kind not in _SCALARS for kind in types):
            try:
                return json.loads(raw)
            except json.JSONDecodeError:
                return raw
        return raw

    def check_request(self, method: str, params: dict[str, Any], files: set[str]) -> list[Problem]:
        fields: dict[str, Any] = self.methods[method]["fields"]
        problems: list[Problem] = []
        for name in params:
            if name not in fields and name not in files:
                problems.append(Problem(f"{method}.{name}", "unknown parameter"))
        for name, field in fields.items():
            if name not in params:
                if field["required"] and name not in files:
                    problems.append(Problem(f"{method}.{name}", "required parameter missing"))
                continue
            problems += self._check_value(f"{method}.{name}", params[name], field["types"], files)
        return problems

    # Objects -------------------------------------------------------------------------------

    def check_object(self, type_name: str, value: Any, where: str | None = None) -> list[Problem]:
        return self._check_value(where or type_name, value, [type_name], set())

    def _check_value(
        self, where: str, value: Any, types: list[str], files: set[str]
    ) -> list[Problem]:
        attempts: list[list[Problem]] = []
        for kind in types:
            problems = self._check_kind(where, value, kind, files)
            if not problems:
                return []
            attempts.append(problems)
        # Report the closest attempt (fewest problems) rather than all of them.
        return min(attempts, key=len)

    def _check_kind(self, where: str, value: Any, kind: str, files: set[str]) -> list[Problem]:
        if kind.startswith("Array of "):
            if not isinstance(value, list):
                return [Problem(where, f"expected {kind}, got {type(value).__name__}")]
            inner = kind.removeprefix("Array of ")
            problems: list[Problem] = []
            for index, item in enumerate(value):
                problems += self._check_value(f"{where}[{index}]", item, [inner], files)
            return problems
        scalar = _check_scalar(where, value, kind, files)
        if scalar is not None:
            return scalar
        spec = self.types.get(kind)
        if spec is None:
            return [Problem(where, f"unknown type {kind}")]
        if spec["subtypes"]:
            return self._check_value(where, value, spec["subtypes"], files)
        if not isinstance(value, dict):
            return [Problem(where, f"expected {kind} object, got {type(value).__name__}")]
        problems = []
        fields: dict[str, Any] = spec["fields"]
        for name in value:
            if name not in fields:
                problems.append(Problem(f"{where}.{name}", f"not a field of {kind}"))
        for name, field in fields.items():
            if name not in value:
                if field["required"]:
                    problems.append(Problem(f"{where}.{name}", f"required field of {kind} missing"))
                continue
            problems += self._check_value(f"{where}.{name}", value[name], field["types"], files)
        return problems


def _check_scalar(where: str, value: Any, kind: str, files: set[str]) -> list[Problem] | None:
    """Problems for a scalar kind, or None when ``kind`` is an object type."""
    ok: bool
    if kind == "Integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "Float":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif kind == "String":
        ok = isinstance(value, str)
    elif kind == "Boolean":
        ok = isinstance(value, bool)
    elif kind == "True":
        ok = value is True
    elif kind == "InputFile":
        ok = isinstance(value, str) and (
            value.removeprefix("attach://") in files or where.rsplit(".", 1)[-1] in files
        )
    else:
        return None
    return [] if ok else [Problem(where, f"expected {kind}, got {value!r:.60}")]


def _is_int(raw: str) -> bool:
    return raw.lstrip("-").isdigit()


def _is_float(raw: str) -> bool:
    try:
        float(raw)
    except ValueError:
        return False
    return True
