"""Who may do what. Issue-by-issue the services grow; the role names are fixed here."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    EVERYONE = "everyone"
    PARTICIPANT = "participant"
    INSTRUCTOR = "instructor"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class ChatKind(StrEnum):
    PRIVATE = "private"
    GROUP = "group"
