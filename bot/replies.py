"""What a service says back: a text (by message key) and optional buttons, rendered later
in the reader's language by the handler."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.i18n import Text


@dataclass(frozen=True)
class Button:
    label: Text
    data: str | None = None  # callback data, at most 64 bytes
    url: str | None = None

    def __post_init__(self) -> None:
        if (self.data is None) == (self.url is None):
            raise ValueError("a button has either callback data or a URL")
        if self.data is not None and len(self.data.encode()) > 64:
            raise ValueError(f"callback data over 64 bytes: {self.data!r}")


@dataclass(frozen=True)
class Reply:
    text: Text
    buttons: tuple[tuple[Button, ...], ...] = field(default=())

    @classmethod
    def of(cls, key: str, /, **params: object) -> Reply:
        return cls(Text(key, params))
