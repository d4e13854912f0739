"""Every catalogue message rendered with counts 0, 1, 2 and 5 in fi, sv and en: no
placeholder is left, the plural messages pick the form their language's rule asks for, and
no number stands beside a noun in the wrong number ("1 groups", "1 ryhmäjäsenyyttä",
"2 ryhmä"); numbers and weekdays as Babel writes them."""

from __future__ import annotations

import datetime as dt
import re
import string

import pytest

from bot.dates import SHORT_WEEKDAYS, day_and_time
from bot.i18n import (
    LOCALES_DIR,
    Text,
    Translator,
    catalog_keys,
    catalog_plurals,
    counted,
    decimal,
)
from bot.settings import LANGUAGES

COUNTS = (0, 1, 2, 5)
TRANSLATOR = Translator.load()
CATALOGS = {language: catalog_keys(LOCALES_DIR / f"{language}.po") for language in LANGUAGES}
PLURALS = {language: catalog_plurals(LOCALES_DIR / f"{language}.po") for language in LANGUAGES}
LEFT_OVER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")

# The heuristic for messages that are not plural entries: a count written just before a
# noun (not a range "2-5", a fraction "3/5", an id "#5" or a date "5.12."). Each language
# lists the nouns that follow a number in its catalogue, one form for one thing and one for
# any other count (Finnish: nominative singular against the partitive "2 ryhmää"); a
# two-word noun is matched before its first word alone ("2 group weeks" is not "2 group").
# A noun not listed is not judged, so the list grows with the catalogue.
NOUNS: dict[str, tuple[tuple[str, str], ...]] = {
    "fi": (
        ("ryhmä", "ryhmää"),
        ("tapaaminen", "tapaamista"),
        ("minuutin", "minuuttia"),
        ("ryhmäviikko", "ryhmäviikkoa"),
        ("tiedote", "tiedotetta"),
        ("ryhmäjäsenyys", "ryhmäjäsenyyttä"),
        ("suostumus", "suostumusta"),
        ("kyselyvastaus", "kyselyvastausta"),
        ("osallistumismerkintä", "osallistumismerkintää"),
        ("viikkoluku", "viikkolukua"),
        ("merkki", "merkkiä"),
        ("kuva", "kuvaa"),
        ("viesti", "viestiä"),
        ("päivä", "päivää"),
        ("viikko", "viikkoa"),
        ("kuukausi", "kuukautta"),
        ("vinkki", "vinkkiä"),
        ("henkilö", "henkilöä"),
        ("osallistuja", "osallistujaa"),
        ("kertaa", "kertaa"),
    ),
    "sv": (
        ("grupp", "grupper"),
        ("träff", "träffar"),
        ("minut", "minuter"),
        ("gruppvecka", "gruppveckor"),
        ("meddelande", "meddelanden"),
        ("samtycke", "samtycken"),
        ("deltagandepost", "deltagandeposter"),
        ("veckosiffra", "veckosiffror"),
        ("bild", "bilder"),
        ("dag", "dagar"),
        ("vecka", "veckor"),
        ("månad", "månader"),
        ("person", "personer"),
        ("användning", "användningar"),
    ),
    "en": (
        ("group", "groups"),
        ("group week", "group weeks"),
        ("group membership", "group memberships"),
        ("meeting", "meetings"),
        ("minute", "minutes"),
        ("week", "weeks"),
        ("broadcast", "broadcasts"),
        ("consent", "consents"),
        ("survey answer", "survey answers"),
        ("activity record", "activity records"),
        ("weekly figure", "weekly figures"),
        ("message", "messages"),
        ("character", "characters"),
        ("picture", "pictures"),
        ("day", "days"),
        ("month", "months"),
        ("tip", "tips"),
        ("person", "people"),
        ("participant", "participants"),
        ("use", "uses"),
        ("pair", "pairs"),
    ),
}
# Parameters that are words, not numbers (a date, a time): filled with a sample, so that
# "8.12. tapaaminen" is not read as a count of meetings; every other one gets the count.
WORD_PARAMETERS = {"when": "8.12.", "days": "ti 8.12.", "time": "14.00", "until": "8.12."}
NUMBER_AND_WORDS = re.compile(r"(?<![\d#/.,–\-])(\d+) (\w+)(?: (\w+))?")


def _wrong_numbers(language: str, text: str) -> list[str]:
    """Each "number noun" in ``text`` whose noun is in the other number than the count."""
    forms = {one: False for one, _ in NOUNS[language]} | {
        other: True for one, other in NOUNS[language] if other != one
    }
    wrong = []
    for match in NUMBER_AND_WORDS.finditer(text):
        number, first, second = int(match[1]), match[2], match[3]
        two = f"{first} {second}" if second else None
        noun = two if two in forms else first if first in forms else None
        if noun is None:
            continue
        same = any(noun in pair and pair[0] == pair[1] for pair in NOUNS[language])
        if not same and forms[noun] != (number != 1):
            wrong.append(match[0])
    return wrong


def _placeholders(forms: list[str]) -> set[str]:
    return {name for form in forms for _, name, _, _ in string.Formatter().parse(form) if name}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_renders_with_every_count(language: str) -> None:
    problems = []
    for key, forms in CATALOGS[language].items():
        count_name = PLURALS[language].get(key)
        names = _placeholders(forms) | ({count_name} if count_name else set())
        for count in COUNTS:
            params = dict.fromkeys(names, count) | {
                name: value for name, value in WORD_PARAMETERS.items() if name in names
            }
            text = TRANSLATOR.text(language, key, **params)
            if LEFT_OVER.search(text):
                problems.append(f"{key} ({count}): a placeholder is left: {text}")
            problems.extend(
                f"{key} ({count}): {wrong!r}" for wrong in _wrong_numbers(language, text)
            )
    assert problems == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_plural_messages_pick_the_form_of_their_count(language: str) -> None:
    assert PLURALS[language] == PLURALS["fi"], "the same plural keys and counts as Finnish"
    for key, count_name in PLURALS[language].items():
        one, other = CATALOGS[language][key]
        names = _placeholders([one, other]) - {count_name}
        for count in COUNTS:
            params = dict.fromkeys(names, "x") | {count_name: count}
            expected = (one if count == 1 else other).format(**params)
            assert TRANSLATOR.text(language, key, **params) == expected, (key, count)


def test_the_issues_examples_read_right() -> None:
    def render(language: str, key: str, **params: object) -> str:
        return TRANSLATOR.render(language, Text(key, params))

    assert "1 ryhmä " in render("fi", "stats.overview-header", name="O", count=1)
    assert "2 ryhmää " in render("fi", "stats.overview-header", name="O", count=2)
    assert "1 group" in render("en", "broadcast.scheduled", when="w", count=1, number=3)
    assert "1 groups" not in render("en", "broadcast.scheduled", when="w", count=1, number=3)
    assert "1 grupp " in render("sv", "broadcast.scheduled", when="w", count=1, number=3)
    assert render("fi", "privacy.count-groups", count=1) == "1 ryhmäjäsenyys"
    assert render("fi", "privacy.count-groups", count=0) == "0 ryhmäjäsenyyttä"
    assert render("fi", "schedule.cancelled", days="ti 8.12.", count=1).startswith(
        "Tapaaminen on peruttu"
    )
    assert render("fi", "schedule.cancelled", days="ti 8.12., ti 15.12.", count=2).startswith(
        "Tapaamiset on peruttu"
    )
    assert render("sv", "schedule.cancelled", days="d", count=4).startswith("Träffarna är")
    assert render("en", "schedule.cancelled", days="d", count=4).startswith("The meetings are")


def test_ending_a_role_names_the_groups_in_their_number() -> None:
    """The question before ending a role once said "ohjaa ryhmiä: {groups}" for one group."""

    def asked(language: str, led: Text) -> str:
        params = {"name": "Tuula", "role": "r", "organisation": "Espoo", "minutes": 5}
        return TRANSLATOR.render(language, Text("staff.ask-role", params | {"led": led}))

    def groups(count: int, names: str) -> Text:
        return Text("staff.ask-role-groups", {"count": count, "groups": names})

    assert "hän enää ohjaa ryhmää #1 Kävely. Hänelle, ryhmän muille" in asked(
        "fi", groups(1, "#1 Kävely")
    )
    assert "hän enää ohjaa ryhmiä: #1 Kävely, #2 Jooga. Hänelle, ryhmien muille" in asked(
        "fi", groups(2, "#1 Kävely, #2 Jooga")
    )
    assert "leder inte längre gruppen #1 Kävely. Hen, gruppens" in asked(
        "sv", groups(1, "#1 Kävely")
    )
    assert "They, the group's other instructors" in asked("en", groups(1, "#1 Walking"))
    assert "they lead no group. They and the coordinators are told." in asked(
        "en", Text("staff.ask-role-no-groups")
    )


def test_a_large_count_is_written_as_its_language_writes_numbers() -> None:
    def scheduled(language: str, count: int) -> str:
        params = {"count": count, "when": "w", "number": 1234}
        return TRANSLATOR.render(language, Text("broadcast.scheduled", params))

    assert "1\xa0234 ryhmää (lähetys #1234)" in scheduled("fi", 1234)
    assert "1\xa0234 grupper" in scheduled("sv", 1234)
    assert "1,234 groups (broadcast #1234)" in scheduled("en", 1234)  # an id stays as it is
    assert "999 groups" in scheduled("en", 999)


def test_the_command_line_counts_in_english() -> None:
    assert [counted(n, "group") for n in (0, 1, 2)] == ["0 groups", "1 group", "2 groups"]
    assert counted(1, "person", "people") == "1 person"
    assert counted(5, "person", "people") == "5 people"


def test_a_plural_message_needs_its_count() -> None:
    with pytest.raises(TypeError, match="count"):
        TRANSLATOR.text("fi", "broadcast.scheduled", when="w", number=1)


def test_numbers_and_weekdays_are_written_the_readers_way() -> None:
    """Through Babel's locale data: decimal comma and grouping, the decimals as written,
    and the abbreviated weekday names a meeting is shown with."""
    figure = decimal("1234.50")
    assert TRANSLATOR.render("fi", figure) == "1\xa0234,50"
    assert TRANSLATOR.render("sv", figure) == "1\xa0234,50"
    assert TRANSLATOR.render("en", figure) == "1,234.50"
    assert TRANSLATOR.render("fi", decimal("x")) == "x"  # a hidden figure stays as it is
    tuesday = dt.date(2026, 12, 8)
    shown = {language: day_and_time(tuesday, "14:00", language) for language in LANGUAGES}
    assert shown == {"fi": "ti 8.12. 14.00", "sv": "tis 8.12 14.00", "en": "Tue, 8 Dec, 14.00"}
    assert [SHORT_WEEKDAYS[language][6] for language in LANGUAGES] == ["su", "sön", "Sun"]
