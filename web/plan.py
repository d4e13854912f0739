"""The participant's weekly plan in the Mini App: the week that is open, the plan shown back
(never kept), the confidence slider and progress, each through ``CheckInService`` exactly as
the chat's keys go (one rating per round, the same records, events and words).

- ``GET /app/api/plan``: ``{"open": false}`` without an open check-in, else the group, the
  programme week, the check-in id, its round (ratings so far), the latest confidence and
  progress, and what it asks next;
- ``POST /app/api/plan/reflect`` ``{"text"}``: the text trimmed, at most 1000 characters;
  never stored or logged (no route here logs a body);
- ``POST /app/api/plan/confidence`` ``{"checkin", "round", "value": 0-10}``: ``{"counted",
  "smaller", "round" (the next one), "message"}``;
- ``POST /app/api/plan/progress`` ``{"checkin", "value": "done"|"partly"|"not_yet"}``:
  ``{"message", "share"}`` (``share``: the group may be told);
- ``POST /app/api/plan/share`` ``{"checkin"}``: the chat's "Tell the group", once.

Another's or a made-up check-in id, a round already taken: 400 with the chat's words, and
nothing changes. A value of the wrong type or out of range: 400 ``web.bad-request``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.errors import DomainError
from storage.states import Progress
from web.server import answer, body, language_of, person, services_of

ANSWERS = {"done": Progress.DONE, "partly": Progress.PARTLY, "not_yet": Progress.NOT_YET}
NAMES = {answer: name for name, answer in ANSWERS.items()}
MAX_ID = 2**53 - 1  # what the page's JavaScript holds exactly


def register(app: web.Application) -> None:
    app.router.add_get("/app/api/plan", _plan)
    app.router.add_post("/app/api/plan/reflect", _reflect)
    app.router.add_post("/app/api/plan/confidence", _confidence)
    app.router.add_post("/app/api/plan/progress", _progress)
    app.router.add_post("/app/api/plan/share", _share)


async def _plan(request: web.Request) -> web.StreamResponse:
    asker = person(request)
    plan = await services_of(request).checkins.open_plan(asker.id)
    if plan is None:
        return answer({"open": False})
    return answer(
        {
            "open": True,
            "group": plan.group.name,
            "week": plan.week,
            "checkin": plan.checkin.id,
            "round": plan.checkin.ratings,
            "confidence": plan.checkin.confidence,
            "progress": None if plan.progress is None else NAMES[plan.progress],
            "asks": plan.asks,
        }
    )


async def _reflect(request: web.Request) -> web.StreamResponse:
    person(request)
    text = (await body(request)).get("text")
    if not isinstance(text, str):
        raise DomainError("web.bad-request")
    return answer({"text": services_of(request).checkins.plan_shown(text)})


async def _confidence(request: web.Request) -> web.StreamResponse:
    asker = person(request)
    data = await body(request)
    checkin, before = _whole(data, "checkin", MAX_ID), _whole(data, "round", 10**9)
    value = _whole(data, "value", 10)
    services = services_of(request)
    rated = await services.checkins.rate_in_app(asker.id, checkin, before, value)
    words = services.translator.render(await language_of(request, asker), rated.words())
    return answer(
        {"counted": True, "smaller": rated.smaller, "round": rated.round, "message": words}
    )


async def _progress(request: web.Request) -> web.StreamResponse:
    asker = person(request)
    data = await body(request)
    checkin, value = _whole(data, "checkin", MAX_ID), data.get("value")
    if not isinstance(value, str) or value not in ANSWERS:
        raise DomainError("web.bad-request")
    services = services_of(request)
    reported = await services.checkins.report_in_app(asker.id, checkin, ANSWERS[value])
    words = services.translator.render(await language_of(request, asker), reported.words())
    return answer({"message": words, "share": reported.share})


async def _share(request: web.Request) -> web.StreamResponse:
    asker = person(request)
    checkin = _whole(await body(request), "checkin", MAX_ID)
    services = services_of(request)
    await services.checkins.share_in_app(asker.id, checkin, asker.first_name)
    language = await language_of(request, asker)
    return answer({"message": services.translator.text(language, "checkin.shared")})


def _whole(data: dict[str, Any], name: str, most: int) -> int:
    """A whole number 0..``most`` from the request (not a bool, not a string), or a 400."""
    value = data.get(name)
    if type(value) is not int or not 0 <= value <= most:
        raise DomainError("web.bad-request")
    return value
