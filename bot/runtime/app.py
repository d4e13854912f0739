"""The application factory: one function wires the whole bot.

``python -m bot`` / ``kannustin run`` and the tests all call ``build_application``; the
tests only pass other settings (an emulator's URL, a temporary database) and a clock.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from telegram.ext import Application, ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest

import handlers
from bot.clock import Clock, SystemClock
from bot.i18n import Translator
from bot.runtime.context import KannustinApplication, KannustinContext
from bot.runtime.leadership import Leadership
from bot.runtime.pacing import PacedRateLimiter
from bot.runtime.telegram_setup import publish_bot_profile
from bot.runtime.updates import ChatOrderedProcessor
from bot.runtime.wiring import Services, build_services
from bot.settings import Settings
from content import Library, load_library
from storage import Database, apply_migrations
from storage.leadership import LeaderLock
from web.server import WebServer

log = logging.getLogger(__name__)


def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    translator: Translator | None = None,
    library: Library | None = None,
    request: BaseRequest | None = None,
) -> KannustinApplication:
    """The bot, ready for ``run_polling``/``run_webhook`` (or a test's manual start)."""
    clock = clock or SystemClock()
    services = build_services(
        settings,
        clock=clock,
        database=Database(settings.database),
        translator=translator or Translator.load(settings.language),
        library=library or load_library(),
    )
    builder = (
        ApplicationBuilder()
        .application_class(KannustinApplication, kwargs={"services": services})
        .token(settings.require_token())
        .base_url(settings.bot_api_url)
        .base_file_url(settings.bot_file_url)
        .context_types(ContextTypes(context=KannustinContext))
        .rate_limiter(PacedRateLimiter(services.pacer))
        # different chats side by side, each chat's updates in order (bot/runtime/updates.py)
        .concurrent_updates(ChatOrderedProcessor())
        .post_init(_open)
        .post_stop(_stop_sending)
        .post_shutdown(_close)
    )
    if request is not None:
        builder = builder.request(request)
    application = builder.build()
    assert isinstance(application, KannustinApplication)
    handlers.register_all(application)
    return application


def services_of(application: Application[Any, Any, Any, Any, Any, Any]) -> Services:
    assert isinstance(application, KannustinApplication)
    return application.services


async def _open(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Open storage and tell Telegram who we are, before the first update is handled."""
    services = services_of(application)
    await services.database.connect()
    applied = await apply_migrations(services.database, services.clock.now())
    if applied:
        log.info("database %s migrated to version %d", services.database.label, applied[-1].version)
    await publish_bot_profile(application.bot, services.translator)
    services.members.attach(application.bot)  # membership look-ups, on every instance
    services.menu_publisher.start(application.bot)  # staff's own menus, on every instance
    services.poll_closer.start(application.bot)  # closes polls when its chore runs (leader)
    await services.events.start()
    services.leadership = Leadership(
        LeaderLock(services.database),
        on_gain=functools.partial(_lead, application),
        on_loss=functools.partial(_follow, application),
        poll=services.settings.leader_poll,
    )
    await services.leadership.start()
    if services.settings.web_listen is not None:
        services.web = WebServer(services)
        await services.web.start()
    log.info("bot @%s started", application.bot.username)


async def _lead(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """This instance leads (always, on SQLite): it sends the outbox and fires the schedule."""
    services = services_of(application)
    assert services.leadership is not None
    await services.outbox.start(application.bot, services.leadership.instance)
    assert application.job_queue is not None  # the job-queue extra is a dependency
    await services.scheduler.start(application.job_queue)


async def _follow(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    services = services_of(application)
    services.scheduler.stop()
    await services.outbox.stop()


async def _stop_sending(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Before the HTTP client closes: let requests in flight finish (briefly)."""
    services = services_of(application)
    if services.web is not None:  # no new request reaches the services
        await services.web.stop()
        services.web = None
    if services.leadership is not None:
        await services.leadership.stop()
    await services.menu_publisher.stop()
    services.poll_closer.stop()
    await services.events.stop()  # everything queued is written


async def _close(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    services = services_of(application)
    await services.events.stop()  # anything recorded during shutdown
    await services.database.close()
