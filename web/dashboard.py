"""The coordinator's and instructor's dashboard: ``GET /app/api/dashboard`` with optional
``group`` and ``season``, the figures of /stats as JSON (``ExportService.dashboard``, which
reads ``StatsService.dashboard``: the same pattern as /stats, its chart and the export).

A number is a JSON number, a figure the disclosure rule hides is ``null`` (with how /stats
writes it in ``marks``), the words are in the person's language. Participants get 403
``access.staff-only``, a group the person does not manage 403 ``access.not-your-group``,
a ``group`` or ``season`` that is not a number 400 ``dashboard.bad-filter``."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.errors import DomainError
from bot.i18n import Text, Words
from bot.services.stats import Dashboard, DashboardWeek, small_note

MAX_ID = 2**53  # larger than any id, still a JSON number


def _number(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) < MAX_ID:
        raise DomainError("dashboard.bad-filter", name=name)
    return int(raw)


WEEK_FIELDS = tuple(field.name for field in dataclasses.fields(DashboardWeek))


def _week(week: DashboardWeek) -> dict[str, Any]:
    # by hand: dataclasses.asdict copies deeply, which over 500 groups' weeks takes long
    return {name: getattr(week, name) for name in WEEK_FIELDS}


def serialize(board: Dashboard, say: Callable[[Words], str], words: str) -> dict[str, Any]:
    """The dashboard as the page reads it; ``say`` renders words in the person's
    language, ``words`` is that language."""
    return {
        "title": say(board.title),
        "language": words,
        "small": board.small,
        "season": board.season,
        "seasons": board.seasons,
        "groups": [
            {
                "id": group.id,
                "name": group.name,
                "season": group.season,
                "kind": group.kind,
                "weeks": [_week(week) for week in group.weeks],
            }
            for group in board.groups
        ],
        "total": None if board.total is None else {"weeks": [_week(w) for w in board.total]},
        "broadcasts": [
            {
                "id": sent.id,
                "sent_at": sent.sent_at.isoformat(),
                "kind": "tip" if sent.tip else "message",
                "tip": sent.tip,
                "groups": sent.groups,
                "delivered": sent.delivered,
                "reactions": sent.reactions,
                "replies": sent.replies,
            }
            for sent in board.broadcasts
        ],
        "surveys": [dataclasses.asdict(outcome) for outcome in board.outcomes],
        "notes": {
            "small": say(small_note(board.small)),
            "hidden": say(Text("stats.one-by-one")) if board.one_by_one else None,
        },
    }


async def _dashboard(request: web.Request) -> web.StreamResponse:
    # web/server.py lists this module among its features: its helpers are read here, when
    # a request comes, so either module may be imported first
    from web import server  # noqa: PLC0415 - see above

    asker = server.person(request)
    group, season = _number(request, "group"), _number(request, "season")
    services = server.services_of(request)
    words = await server.language_of(request, asker)
    board = await services.exports.dashboard(asker.id, group, season, words)

    def say(text: Words) -> str:
        return services.translator.render(words, text)

    return server.answer(serialize(board, say, words))


def register(app: web.Application) -> None:
    app.router.add_get("/app/api/dashboard", _dashboard)
