"""What is stored of a random token that a button or a link carries (an invitation, a
question waiting for its confirming press): its SHA-256, never the token itself, so
whoever reads the database cannot press the button or open the link."""

from __future__ import annotations

import hashlib


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
