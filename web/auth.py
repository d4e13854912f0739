"""Who opened the Mini App: Telegram's signed launch data (``initData``), checked exactly as
Telegram documents it for Mini Apps.

The data is a URL-encoded query string. Its ``hash`` is the hex HMAC-SHA256 of the other
fields (``key=value`` lines, sorted by key, joined with ``\\n``) under a secret key that is
the HMAC-SHA256 of the bot's token under the key ``WebAppData``. Only Telegram and the bot
know the token, so a valid hash proves Telegram signed the data for this bot; ``auth_date``
(seconds since the epoch, signed too) says when, and data older than the allowed age is
refused, so a copied ``initData`` does not open the API for ever. The comparison is in
constant time. Nothing here logs the data or the token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from urllib.parse import parse_qsl


class Unauthorized(Exception):
    """The launch data is missing, malformed, not signed for this bot, or too old; the
    reason is for the log (no secret in it), the person gets a plain 401."""


@dataclass(frozen=True)
class WebUser:
    """The person the signed launch data names."""

    id: int
    first_name: str
    language_code: str | None
    signed_at: dt.datetime


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def sign(fields: dict[str, str], bot_token: str) -> str:
    """The ``hash`` Telegram puts beside ``fields`` (tests and benchmarks sign their own)."""
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    return hmac.new(secret_key(bot_token), check.encode(), hashlib.sha256).hexdigest()


def verify(init_data: str, bot_token: str, *, now: dt.datetime, max_age: dt.timedelta) -> WebUser:
    """The person ``init_data`` names, if Telegram signed it for this bot within
    ``max_age`` of ``now``; else ``Unauthorized``."""
    if not init_data or len(init_data) > 8192:
        raise Unauthorized("no launch data, or far too long")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise Unauthorized("launch data is not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise Unauthorized("a field given twice")
    given = fields.pop("hash", "")
    if not hmac.compare_digest(given.encode(), sign(fields, bot_token).encode()):
        raise Unauthorized("signature does not match this bot")
    try:
        signed_at = dt.datetime.fromtimestamp(int(fields["auth_date"]), dt.UTC)
        user = json.loads(fields["user"])
        person = WebUser(
            id=int(user["id"]),
            first_name=str(user.get("first_name", "")),
            language_code=user.get("language_code"),
            signed_at=signed_at,
        )
    except (KeyError, ValueError, TypeError):
        raise Unauthorized("signed data without a user or a date") from None
    if not now - max_age <= signed_at <= now + dt.timedelta(minutes=5):
        raise Unauthorized("launch data too old (or from the future)")
    return person
