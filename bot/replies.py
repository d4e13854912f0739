"""What a service says back: words and optional buttons, rendered later in the reader's
language by the handler (``handlers/rendering.py``, the one place that turns a ``Reply``
into Telegram's text and keyboard)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bot.errors import DomainError
from bot.i18n import Cut, Lines, Text, Words

_T = TypeVar("_T")
PAGE_ENTRIES = 10  # lines (each with its own button) on a page of a long list
PAGE_LIMIT = 3000  # characters of a page of a long list, well under Telegram's 4096


@dataclass(frozen=True)
class Button:
    """An inline button: callback data, a web address, a start link into this bot
    (``start`` is the payload; the link needs the bot's name, which the renderer knows), or
    the Mini App at ``web_app`` (private chats only: Telegram refuses it elsewhere)."""

    label: Words
    data: str | None = None  # callback data, at most 64 bytes
    url: str | None = None
    start: str | None = None
    web_app: str | None = None

    def __post_init__(self) -> None:
        if [self.data, self.url, self.start, self.web_app].count(None) != 3:
            raise ValueError("a button has either callback data, a URL, a start link or a web app")
        if self.data is not None and len(self.data.encode()) > 64:
            raise ValueError(f"callback data over 64 bytes: {self.data!r}")


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Reply:
    text: Words
    buttons: Keyboard = field(default=())
    # said in this language whoever reads it (a group's greeting speaks the group's language);
    # None: the reader's
    language: str | None = None
    # a button press that changed nothing (a question no longer open): its button is not
    # spent, it stays as it was (``handlers/rendering.py``)
    refused: bool = False

    @classmethod
    def of(cls, key: str, /, **params: object) -> Reply:
        return cls(Text(key, params))

    @classmethod
    def refusal(cls, key: str, /, **params: object) -> Reply:
        """A press refused: it changed nothing, and this says why."""
        return cls(Text(key, params), refused=True)


@dataclass(frozen=True)
class File:
    """A file to hand over in the chat, with its name and a caption."""

    data: bytes
    filename: str
    caption: Words


def in_rows(buttons: Sequence[Button], width: int) -> Keyboard:
    """``buttons`` laid out ``width`` to a row."""
    return tuple(tuple(buttons[start : start + width]) for start in range(0, len(buttons), width))


def column(buttons: Sequence[Button]) -> Keyboard:
    """One button per row."""
    return in_rows(buttons, 1)


def lines_with_buttons(header: Words, entries: Iterable[tuple[Words, Button]]) -> Reply:
    """A header, then a line per entry, with each entry's button in a column below
    (``/invites``: a thing to act on per line; a list that can grow long pages with
    ``page_of`` and ``list_page``)."""
    lines: list[Words] = [header]
    buttons: list[Button] = []
    for line, button in entries:
        lines.append(line)
        buttons.append(button)
    return Reply(Lines(tuple(lines)), column(buttons))


@dataclass(frozen=True)
class Page(Generic[_T]):
    """One page of a long list: its entries, the Previous and Next buttons where there is a
    page to turn to, its number (from 0) and how many pages there are."""

    entries: Sequence[_T]
    turn: tuple[Button, ...]
    number: int
    count: int


def page_of(entries: Sequence[_T], page: int, size: int, turn: str, gone: str) -> Page[_T]:
    """Page ``page`` (from 0) of ``entries``, ``size`` to a page; the turning buttons' data
    is ``turn`` and the page's number. A page that is not there (a stale or forged button)
    is refused in words: ``gone`` is the message key that says so and where to start again.
    (/schedule, its choice of group and /scheduled page with this.)"""
    pages = max(1, -(-len(entries) // size))
    if not 0 <= page < pages:
        raise DomainError(gone)
    buttons = []
    if page > 0:
        buttons.append(Button(Text("staff.previous"), f"{turn}{page - 1}"))
    if page < pages - 1:
        buttons.append(Button(Text("staff.next"), f"{turn}{page + 1}"))
    return Page(entries[page * size : (page + 1) * size], tuple(buttons), page, pages)


def list_page(
    header: Words, entries: Iterable[tuple[Words, Button | None]], last_row: tuple[Button, ...]
) -> Reply:
    """A header and a page's lines, each line's button (if it has one) in a column below and
    ``last_row`` (turning the page, going back) under them; the text is kept under
    ``PAGE_LIMIT`` characters whatever the lines hold."""
    lines: list[Words] = [header]
    buttons: list[Button] = []
    for line, button in entries:
        lines.append(line)
        if button is not None:
            buttons.append(button)
    keyboard = (*column(buttons), last_row) if last_row else column(buttons)
    return Reply(Cut(Lines(tuple(lines)), PAGE_LIMIT), keyboard)
