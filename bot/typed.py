"""Words people type, before they are stored or said back: control characters (other than
line breaks and tabs) and halves of surrogate pairs are dropped, since nobody means them and
PostgreSQL refuses a NUL in text; a refusal says back only a short, clean piece.

Limits on length stay with the rule they belong to (a group's name, a reason, a place).
"""

from __future__ import annotations

import unicodedata

ECHO_LIMIT = 40  # characters of a person's own words said back in a refusal
_KEPT = frozenset("\n\t")


def without_controls(text: str) -> str:
    """``text`` without control characters (but line breaks and tabs) and lone surrogates."""
    if text.isprintable():
        return text
    return "".join(c for c in text if c in _KEPT or unicodedata.category(c) not in ("Cc", "Cs"))


def echo(text: str, limit: int = ECHO_LIMIT) -> str:
    """A person's words as a refusal may say them back: on one line, without control
    characters, at most ``limit`` characters (cut with "…"), so junk never makes the
    answer long or strange."""
    shown = " ".join(without_controls(text).split())
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
