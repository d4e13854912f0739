"""The Mini App's HTTP side: the page at ``GET /app/``, its files under ``/app/static/``
and the JSON API under ``/app/api/``, served by the running bot (aiohttp, on the bot's own
event loop) when ``KANNUSTIN_WEB_LISTEN`` and ``KANNUSTIN_WEB_URL`` are set.

Every API route is a plain function of the request that reads who asks (``person``: the
signed ``Authorization: tma <initData>`` header, ``web/auth.py``), calls a service and
returns what it answered (``answer``). What goes wrong is answered in JSON, never as a
traceback:

- 401 ``{"error": "unauthorized"}``: no, a forged, another bot's or a too old ``initData``;
- 403 ``{"error": key, "message": words}``: a service refuses by an access rule
  (``access.*``: no role, another's group);
- 400, the same: a service refuses the input (any other ``DomainError``), or the request
  is malformed;
- 500 ``{"error": "internal"}``: anything else (logged with its traceback).

The words are in the person's language (their ``/language`` choice, else their app's).
No cookie is set and no other login exists. Routes of a feature live in a module of their
own beside this one with a ``register(app)`` function, listed in ``_FEATURES``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.errors import DomainError
from bot.runtime.wiring import Services
from storage.states import Language
from web.auth import Unauthorized, WebUser, verify

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
SERVICES = web.AppKey("services", Services)
MAX_BODY = 16 * 1024  # bytes of a request body: a plan, a rating; nothing bigger
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def services_of(request: web.Request) -> Services:
    return request.app[SERVICES]


def person(request: web.Request) -> WebUser:
    """Who asks: the person Telegram's signed launch data names, or a 401."""
    services = services_of(request)
    settings = services.settings
    scheme, _, init_data = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "tma":
        raise Unauthorized("no tma authorization")
    return verify(
        init_data.strip(),
        settings.require_token(),
        now=services.clock.now(),
        max_age=dt.timedelta(seconds=settings.web_auth_max_age),
    )


async def body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object (at most ``MAX_BODY`` bytes), or a 400."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise DomainError("web.bad-request")
    raw = await request.content.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise DomainError("web.bad-request")
    try:
        parsed = json.loads(raw or b"{}")
    except ValueError:
        raise DomainError("web.bad-request") from None
    if not isinstance(parsed, dict):
        raise DomainError("web.bad-request")
    return parsed


def answer(data: object, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, headers={"Cache-Control": "no-store"})


async def language_of(request: web.Request, asker: WebUser | None) -> str:
    """The language to answer ``asker`` in: the one the page asks for (``?lang=``, when
    the person chose one there), else their ``/language`` choice, else their app's."""
    asked = request.query.get("lang", "")
    if asked in {language.value for language in Language}:
        return asked
    services = services_of(request)
    if asker is None:
        return services.settings.language
    stored = await services.people.get(asker.id)
    return services.people.language_of(stored, asker.language_code)


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure as a JSON answer with the right status; never a traceback."""
    try:
        return await handler(request)
    except Unauthorized as error:
        log.info("web: %s %s refused: %s", request.method, request.path, error)
        return answer({"error": "unauthorized"}, 401)
    except DomainError as error:
        asker = None
        with contextlib.suppress(Unauthorized):
            asker = person(request)
        language = await language_of(request, asker)
        words = services_of(request).translator.text(language, error.key, **error.params)
        status = 403 if error.key.startswith("access.") else 400
        return answer({"error": error.key, "message": words}, status)
    except web.HTTPException:
        raise
    except Exception:
        log.exception("web: %s %s failed", request.method, request.path)
        return answer({"error": "internal"}, 500)


async def _page(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(
        STATIC / "index.html",
        headers={"Cache-Control": "no-cache", "Content-Type": "text/html; charset=utf-8"},
    )


async def _to_page(request: web.Request) -> web.StreamResponse:
    raise web.HTTPPermanentRedirect("/app/")


async def _me(request: web.Request) -> web.StreamResponse:
    """``GET /app/api/me``: the person's language and roles (what the page shows them)."""
    asker = person(request)
    services = services_of(request)
    actor = await services.people.actor(asker.id)
    return answer(
        {
            "id": asker.id,
            "first_name": asker.first_name,
            "language": await language_of(request, asker),
            "roles": sorted(str(role) for role in actor.roles),
        }
    )


# the features' route modules (each with ``register(app)``), added by later features; they
# use the helpers above, so they are imported here, once those exist
from web import dashboard, plan  # noqa: E402

_FEATURES: tuple[Callable[[web.Application], None], ...] = (
    dashboard.register,
    plan.register,
)


def build_web_app(services: Services) -> web.Application:
    app = web.Application(middlewares=[_errors], client_max_size=MAX_BODY)
    app[SERVICES] = services
    app.router.add_get("/app", _to_page)
    app.router.add_get("/app/", _page)
    app.router.add_static("/app/static/", STATIC, show_index=False, follow_symlinks=False)
    app.router.add_get("/app/api/me", _me)
    for register in _FEATURES:
        register(app)
    return app


class WebServer:
    """The Mini App's server on ``KANNUSTIN_WEB_LISTEN``, started and stopped with the bot."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        listen = self._services.settings.web_listen
        assert listen is not None
        host, _, port = listen.rpartition(":")
        runner = web.AppRunner(build_web_app(self._services), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, host.strip("[]"), int(port)).start()
        self._runner = runner
        log.info("Mini App served on %s", listen)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
