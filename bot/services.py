"""The services the handlers call, built once per application."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.deeplinks import DeepLinkRouter
from bot.i18n import Translator
from bot.people import PeopleService
from bot.settings import Settings
from content import Library
from storage import Database


@dataclass
class Services:
    settings: Settings
    clock: Clock
    database: Database
    translator: Translator
    library: Library
    people: PeopleService
    deep_links: DeepLinkRouter


def build_services(
    settings: Settings,
    *,
    clock: Clock,
    database: Database,
    translator: Translator,
    library: Library,
) -> Services:
    return Services(
        settings=settings,
        clock=clock,
        database=database,
        translator=translator,
        library=library,
        people=PeopleService(
            database, clock, default_language=settings.language, admins=settings.admins
        ),
        deep_links=DeepLinkRouter(),
    )
