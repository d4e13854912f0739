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
