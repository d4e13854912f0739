"""What a bot-initiated message carries, stored as JSON until the outbox sends it.

Content is kept as Telegram gave it (file ids, text, entities), so a scheduled broadcast
still goes out after the instructor deleted their original message. A file from the
command line is kept as a path and uploaded when sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.errors import DomainError

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
ALBUM_LIMIT = 10
UPLOAD_LIMIT = 50 * 1024 * 1024  # the Bot API's limit for a file a bot uploads
PHOTO_UPLOAD_LIMIT = 10 * 1024 * 1024
MediaKind = Literal["photo", "video", "animation", "document", "voice", "audio"]
ALBUM_KINDS = ("photo", "video", "document", "audio")


def telegram_length(text: str) -> int:
    """Telegram counts UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def fit_text(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` UTF-16 units (Telegram's measure), at a line if possible."""
    if telegram_length(text) <= limit:
        return text
    room, end = limit - 2, 0  # two units for the closing "\n…"
    while end < len(text) and room >= (units := 2 if ord(text[end]) > 0xFFFF else 1):
        room -= units
        end += 1
    cut = text[:end]
    if "\n" in cut:
        cut = cut[: cut.rindex("\n")]
    return cut + "\n…"


def packed(parts: Sequence[str], limit: int = TEXT_LIMIT) -> list[str]:
    """``parts`` joined by line breaks into as few messages as hold them, each part whole
    (one longer than a message is cut at a line, with "…")."""
    messages: list[str] = []
    for part in parts:
        text = fit_text(part, limit)
        if messages and telegram_length(messages[-1]) + 1 + telegram_length(text) <= limit:
            messages[-1] += "\n" + text
        else:
            messages.append(text)
    return messages


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OutboxButton(_Strict):
    """An inline button under a message the bot starts (a check-in's answers, a link)."""

    text: str
    data: str | None = None  # callback data, at most 64 bytes
    url: str | None = None
    # a start link into this bot (the payload; the sender knows the bot's name)
    start: str | None = None
    # the Mini App's address: the button opens it inside Telegram (private chats only)
    web_app: str | None = None

    @model_validator(mode="after")
    def _one_action(self) -> OutboxButton:
        if [self.data, self.url, self.start, self.web_app].count(None) != 3:
            raise ValueError("a button has either callback data, a URL, a start link or a Mini App")
        if self.data is not None and len(self.data.encode()) > 64:
            raise ValueError(f"callback data over 64 bytes: {self.data!r}")
        return self


class TextContent(_Strict):
    kind: Literal["text"] = "text"
    text: str
    entities: list[dict[str, Any]] = Field(default_factory=list)
    buttons: list[list[OutboxButton]] = Field(default_factory=list)

    @field_validator("text")
    @classmethod
    def _length(cls, value: str) -> str:
        if not value.strip():
            raise DomainError("broadcast.empty")
        if telegram_length(value) > TEXT_LIMIT:
            raise DomainError("broadcast.text-too-long", limit=TEXT_LIMIT)
        return value


class MediaContent(_Strict):
    kind: MediaKind
    # a Telegram file id, or for a command-line upload the file's path
    file_id: str | None = None
    path: str | None = None
    caption: str | None = None
    caption_entities: list[dict[str, Any]] = Field(default_factory=list)

    @field_validator("caption")
    @classmethod
    def _caption(cls, value: str | None) -> str | None:
        if value is not None and telegram_length(value) > CAPTION_LIMIT:
            raise DomainError("broadcast.caption-too-long", limit=CAPTION_LIMIT)
        return value

    @model_validator(mode="after")
    def _one_source(self) -> MediaContent:
        if (self.file_id is None) == (self.path is None):
            raise ValueError("media needs exactly one of file_id and path")
        return self


class AlbumContent(_Strict):
    kind: Literal["album"] = "album"
    items: list[MediaContent]

    @field_validator("items")
    @classmethod
    def _album(cls, items: list[MediaContent]) -> list[MediaContent]:
        if not 2 <= len(items) <= ALBUM_LIMIT:
            raise DomainError("broadcast.album-size", limit=ALBUM_LIMIT)
        kinds = {item.kind for item in items}
        if not kinds <= set(ALBUM_KINDS):
            raise DomainError("broadcast.album-kinds")
        # photos and videos mix; documents and audio only with their own kind
        if len(kinds) > 1 and not kinds <= {"photo", "video"}:
            raise DomainError("broadcast.album-kinds")
        return items


class PollContent(_Strict):
    """A native anonymous poll (an outbox row of purpose ``poll``; not one of the broadcastable
    contents: it is sent only to groups, by ``bot/services/polls.py``)."""

    kind: Literal["poll"] = "poll"
    question: str
    options: list[str]


def poll_from_json(raw: str) -> PollContent:
    return PollContent.model_validate_json(raw)


Content = Annotated[TextContent | MediaContent | AlbumContent, Field(discriminator="kind")]


class _Envelope(BaseModel):
    content: Content


def content_from_json(raw: str) -> TextContent | MediaContent | AlbumContent:
    return _Envelope.model_validate_json(f'{{"content": {raw}}}').content


def content_to_json(content: TextContent | MediaContent | AlbumContent) -> str:
    return content.model_dump_json(exclude_defaults=False)


def first_words(content: TextContent | MediaContent | AlbumContent, width: int) -> str:
    """The text's or the (first) caption's first words on one line, cut at a word with "…"
    to at most ``width`` characters; empty for media without a caption."""
    if isinstance(content, TextContent):
        text = content.text
    else:
        first = content.items[0] if isinstance(content, AlbumContent) else content
        text = first.caption or ""
    return shortened(" ".join(text.split()), width)


def shortened(text: str, width: int) -> str:
    """``text``, or as many of its first words as fit ``width`` characters with "…"."""
    return text if len(text) <= width else text[: width - 1].rsplit(" ", 1)[0] + "…"


def describe(content: TextContent | MediaContent | AlbumContent) -> str:
    """A short non-personal description for logs: the kind and size, never the text."""
    if isinstance(content, TextContent):
        return f"text ({telegram_length(content.text)} characters)"
    if isinstance(content, AlbumContent):
        return f"album of {len(content.items)}"
    return content.kind
