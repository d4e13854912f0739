"""Message catalogs: gettext ``.po`` files in ``bot/locales``, read with Babel, and the
words services say before anyone knows the reader's language.

Message ids are stable keys (``start.welcome``), not source sentences, so that a wording
change in Finnish does not orphan the Swedish and English texts. Finnish is the reference:
a key missing in another language falls back to Finnish and is logged. Placeholders use
``str.format`` names (``{name}``); a value is inserted as-is, never interpreted as a template.

Plurals go through gettext (``ngettext``). A message that says a number of things has a
``msgid_plural`` that names its count parameter, and one ``msgstr[i]`` per plural form of
the language (its ``Plural-Forms`` header: fi, sv and en all have ``n != 1``, so
``msgstr[0]`` is the form for one and ``msgstr[1]`` for every other count, 0 included)::

    msgid "broadcast.scheduled"
    msgid_plural "{count}"
    msgstr[0] "Ajastettu: {when}, {count} ryhmä ..."
    msgstr[1] "Ajastettu: {when}, {count} ryhmää ..."

``Text("broadcast.scheduled", {"count": 2, "when": ...})`` then picks the form for 2 (the
Finnish partitive "2 ryhmää", "1 ryhmä"). The count parameter must be an ``int``, and is
written with Babel's grouping ("1 234 osallistujaa", "1,234 participants"); it need
not appear in the text ("Tapaamiset on peruttu: {days}" is chosen by a ``count`` of days).
A message with several counts takes each as a ``Text`` parameter of its own plural key
(``privacy.count-consents``), so every number picks its own form. tests/test_plurals.py
renders every message with counts 0, 1, 2 and 5 in every language.

``Words`` is what a service hands back to be rendered in the reader's language: a plain
``str`` (a name, an emoji: shown as it is), a catalog ``Text``, ``Lines`` of those, words
that differ by language without being in the catalogs (``PerLanguage``: a weekday, a
decimal comma, a tip's first words) and a ``Cut`` of any of them. Numbers and weekday names
come from Babel's locale data (``decimal``, ``bot.dates.SHORT_WEEKDAYS``), not hand-kept lists.
"""

from __future__ import annotations

import gettext
import io
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from bot.settings import LANGUAGES
from storage.states import Language

log = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).with_name("locales")
REFERENCE_LANGUAGE = Language.FI


class CatalogError(Exception):
    """A catalog file is missing or broken."""


@dataclass(frozen=True)
class Text:
    """A message key with its parameters, rendered later in the reader's language.
    A parameter that is itself ``Words`` (other than a ``str``) is rendered first."""

    key: str
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Lines:
    """Words shown one after another, joined by ``sep`` (a list, a report, a label made of
    a mark and a name)."""

    parts: tuple[Words, ...]
    sep: str = "\n"


@dataclass(frozen=True)
class PerLanguage:
    """Words that depend on the reader's language but are not in the catalogs: a weekday,
    a decimal comma, a tip's first words. One version per language."""

    versions: Mapping[str, str]

    @classmethod
    def of(cls, words: Callable[[str], str]) -> PerLanguage:
        return cls({language: words(language) for language in LANGUAGES})


@dataclass(frozen=True)
class Cut:
    """At most ``limit`` characters of the rendered words (a long button label)."""

    words: Words
    limit: int


Words = str | Text | Lines | PerLanguage | Cut


def decimal(number: str) -> PerLanguage:
    """A number written with a decimal point (``"7.5"``), shown the way the reader's
    language writes numbers (Babel: ``7,5`` in fi and sv, ``7.5`` in en, thousands grouped),
    with as many decimals as it was written with. Words that are not a number (a hidden
    figure ``x``, ``<5``) keep their letters and take the language's decimal comma."""
    try:
        value = Decimal(number)
    except InvalidOperation:
        return PerLanguage.of(
            lambda language: number if language == Language.EN else number.replace(".", ",")
        )
    decimals = len(number.partition(".")[2])
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return PerLanguage.of(lambda language: format_decimal(value, pattern, locale=language))


def counted(count: int, one: str, other: str | None = None) -> str:
    """``1 group``, ``2 groups``, ``1 person``, ``0 people``: a count and an English noun in
    its number, for the command line and the logs (which speak English; what people read
    goes through the catalogs' ``ngettext``). ``other`` defaults to ``one`` with an ``s``."""
    return f"{count} {one if count == 1 else other or one + 's'}"


def normalize_language(code: str | None) -> Language | None:
    """Map Telegram's IETF tag (``fi``, ``sv-FI``, ``en-gb``) to one of ours, or None."""
    if not code:
        return None
    primary = code.replace("_", "-").split("-", 1)[0].lower()
    return Language(primary) if primary in LANGUAGES else None


class Translator:
    """Renders message keys in fi, sv or en."""

    def __init__(
        self,
        catalogs: Mapping[str, gettext.GNUTranslations],
        default: str,
        counts: Mapping[str, str] | None = None,
    ) -> None:
        """``counts``: the plural keys, each with the name of its count parameter (the
        ``msgid_plural`` without braces)."""
        missing = [language for language in LANGUAGES if language not in catalogs]
        if missing:
            raise CatalogError(f"no catalog for {', '.join(missing)}")
        self._catalogs = dict(catalogs)
        self._counts = dict(counts or {})
        self.default = default

    @classmethod
    def load(cls, default: str = REFERENCE_LANGUAGE, directory: Path = LOCALES_DIR) -> Translator:
        catalogs: dict[str, gettext.GNUTranslations] = {}
        counts: dict[str, str] = {}
        for language in LANGUAGES:
            catalogs[language], plurals = _load_po(directory / f"{language}.po")
            counts = plurals | counts  # the reference (loaded first) wins
        return cls(catalogs, default, counts)

    def languages(self) -> tuple[str, ...]:
        return LANGUAGES

    def text(self, language: str | None, key: str, /, **params: object) -> str:
        """The text for ``key`` in ``language`` (or the default), with ``params`` filled in."""
        catalog = self._catalogs.get(language or self.default, self._catalogs[self.default])
        count = self._counts.get(key)
        if count is not None:
            return self._plural(catalog, language, key, count, params)
        template = catalog.gettext(key)
        if template == key:
            log.warning("message key %r missing for language %s", key, language)
            template = self._catalogs[REFERENCE_LANGUAGE].gettext(key)
        return template.format(**params) if params else template

    def _plural(
        self,
        catalog: gettext.GNUTranslations,
        language: str | None,
        key: str,
        count: str,
        params: Mapping[str, object],
    ) -> str:
        """The form of ``key`` that the language's plural rule picks for ``params[count]``."""
        n = params.get(count)
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"message {key!r} needs an int {count!r}, got {n!r}")
        plural = "{" + count + "}"
        template = catalog.ngettext(key, plural, n)
        if template in (key, plural):
            log.warning("message key %r missing for language %s", key, language)
            template = self._catalogs[REFERENCE_LANGUAGE].ngettext(key, plural, n)
        # a count is a number of things, never an id: written as the language writes one
        shown = format_decimal(n, locale=language or self.default)
        return template.format(**{**params, count: shown})

    def render(self, language: str | None, words: Words) -> str:
        """``words`` in ``language`` (None: the default); parameters that are themselves
        words are rendered first."""
        match words:
            case str():
                return words
            case Text(key, params):
                rendered = {
                    name: self.render(language, value)
                    if isinstance(value, Text | Lines | PerLanguage | Cut)
                    else value
                    for name, value in params.items()
                }
                return self.text(language, key, **rendered)
            case Lines(parts, sep):
                return sep.join(self.render(language, part) for part in parts)
            case PerLanguage(versions):
                chosen = language or self.default
                return versions[chosen] if chosen in versions else versions[self.default]
            case Cut(inner, limit):
                return self.render(language, inner)[:limit]


def _load_po(path: Path) -> tuple[gettext.GNUTranslations, dict[str, str]]:
    """The catalog, and its plural keys with the name of each one's count parameter."""
    try:
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=path.stem, abort_invalid=True)
    except FileNotFoundError:
        raise CatalogError(f"{path}: catalog file missing") from None
    except Exception as error:  # Babel raises several kinds for a broken file
        raise CatalogError(f"{path}: {error}") from None
    counts: dict[str, str] = {}
    for message in catalog:
        if message.id and not isinstance(message.id, str):
            key, plural = message.id[0], message.id[1]
            if not (plural.startswith("{") and plural.endswith("}")):
                raise CatalogError(f"{path}: {key}: msgid_plural must be a {{count}} name")
            counts[key] = plural[1:-1]
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer), counts


def catalog_plurals(path: Path) -> dict[str, str]:
    """Every plural key in a ``.po`` file with the name of its count parameter."""
    return _load_po(path)[1]


def catalog_keys(path: Path) -> dict[str, list[str]]:
    """Every key in a ``.po`` file with its translated forms (for tests and ``check``)."""
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=path.stem)
    keys: dict[str, list[str]] = {}
    for message in catalog:
        if not message.id:
            continue  # the header
        key = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        keys[key] = [str(string) for string in strings]
    return keys
