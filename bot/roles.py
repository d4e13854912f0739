"""Who may do what. Issue-by-issue the services grow; the role names are fixed here.

These are the roles commands are for (``bot/commands.py``), not what is stored: a staff
member's stored role is ``storage.states.StaffRole``, whose two words Role shares."""

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
