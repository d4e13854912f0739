"""Typed callback context: ``context.services``, ``context.person`` and ``context.t``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.runtime.wiring import Services
from storage.people import Person

if TYPE_CHECKING:
    from bot.i18n import Words


class KannustinApplication(Application[Any, Any, Any, Any, Any, Any]):
    """PTB's Application carrying our services (built by ``ApplicationBuilder``)."""

    __slots__ = ("services",)

    def __init__(self, services: Services, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.services = services


class KannustinContext(
    CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]
):
    """One per update. ``person`` and ``language`` are filled by the first handler group."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self.person: Person | None = None
        self.language: str | None = None

    @property
    def services(self) -> Services:
        application = self.application
        if not isinstance(application, KannustinApplication):
            raise TypeError("KannustinContext needs a KannustinApplication")
        return application.services

    @property
    def speaks(self) -> str:
        """The language to answer in: the person's or group's, else the default."""
        return self.language or self.services.translator.default

    def t(self, key: str, /, **params: object) -> str:
        """The text for ``key`` in this person's language."""
        return self.services.translator.text(self.language, key, **params)

    def render(self, words: Words) -> str:
        """``words`` in this person's language."""
        return self.services.translator.render(self.language, words)
