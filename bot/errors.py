"""Domain errors carry the message key of the text the person should see."""

from __future__ import annotations


class DomainError(Exception):
    """Something the person did cannot be done; ``key`` names the i18n text that says why.

    The error handler answers with that text in the person's language and nothing changes.
    """

    def __init__(self, key: str, /, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def __repr__(self) -> str:
        return f"DomainError({self.key!r})"


ECHO_LIMIT = 40  # characters of a person's own words said back in a refusal


def echo(text: str, limit: int = ECHO_LIMIT) -> str:
    """A person's words as a refusal may say them back: on one line, without control
    characters, at most ``limit`` characters (cut with "…"), so junk never makes the
    answer long or strange."""
    shown = " ".join("".join(c for c in text if c.isprintable() or c.isspace()).split())
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
