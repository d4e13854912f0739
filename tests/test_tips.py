"""The tip service's choices: the programme week, a group's least-seen tip for its week
in its language, and pseudonyms."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from pathlib import Path

import pytest

from bot.clock import FixedClock
from bot.pseudonyms import PseudonymKeyError, Pseudonyms, for_database
from bot.runtime.wiring import Services
from bot.services.tips import CURATED, TipService, programme_week
from storage import Database
from storage.groups import Group
from testing.harness import instructor_with_group

INSTRUCTOR = 3


async def services_with_group(database: Database, clock: FixedClock) -> tuple[Services, Group]:
    return await instructor_with_group(
        database, clock, instructor=INSTRUCTOR, title="Promenad", language="sv"
    )


def test_the_programme_week_counts_from_the_first_meeting_else_registration() -> None:
    registered = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)  # a Monday
    group = Group(
        1, -1, 1, "G", None, "fi", "Europe/Helsinki", "active", True, 3, registered, registered
    )

    assert programme_week(group, dt.date(2026, 11, 2)) == 1
    assert programme_week(group, dt.date(2026, 11, 8)) == 1
    assert programme_week(group, dt.date(2026, 11, 9)) == 2
    assert programme_week(group, dt.date(2027, 3, 1)) == 6  # after the programme: stays 6
    started = dataclasses.replace(group, starts_on=dt.date(2026, 11, 23))
    assert programme_week(started, dt.date(2026, 11, 20)) == 1  # before the first meeting
    assert programme_week(started, dt.date(2026, 12, 8)) == 3


async def test_a_group_gets_its_least_seen_tip_for_the_week_in_its_language(
    database: Database, clock: FixedClock
) -> None:
    services, group = await services_with_group(database, clock)
    library = services.library
    week_three = [tip for tip in library if tip.suits_week(3)]
    # ties between equally seen tips are broken at random: seeded, so every run is the same
    tips = TipService(
        database,
        clock,
        (),
        library,
        pseudonyms=services.pseudonyms,
        broadcasts=services.broadcasts,
        translator=services.translator,
        events=services.events,
        notices=services.notices,
        chooser=random.Random(2026),
    )

    seen: list[str] = []
    for _ in range(len(week_three)):
        key, content = await tips.for_group(group.id, week=3)
        tip = library.get(key.removeprefix(CURATED))
        assert tip is not None and tip.suits_week(3)
        assert getattr(content, "text", None) == tip.text.sv  # the group's language
        async with database.transaction() as tx:  # what the sender records on delivery
            await tx.tips.record_use(key, "sent", clock.now(), group_id=group.id)
            # a member's own request does not count as the group having seen a tip
            await tx.tips.record_use(
                f"{CURATED}{week_three[0].id}", "requested", clock.now(), pseudonym="p"
            )
        seen.append(key)

    assert len(set(seen)) == len(week_three)  # every suitable tip once before any repeats
    async with database.transaction() as tx:
        counts = await tx.tips.use_counts(group.id)
    assert set(counts.values()) == {1}
    assert seen[0] != f"{CURATED}{week_three[0].id}" or len(week_three) == 1


async def test_a_participant_without_a_group_gets_a_tip_for_any_week(
    database: Database, clock: FixedClock
) -> None:
    services, _ = await services_with_group(database, clock)
    await services.people.record_contact(77, "en")

    content = await services.tips.for_participant(77, "en")

    texts = {tip.text.en: tip for tip in services.library}
    tip = texts[getattr(content, "text", "")]
    assert tip.weeks == "any"


def test_pseudonyms_are_stable_keyed_and_the_key_file_is_private(tmp_path: Path) -> None:
    first = for_database(str(tmp_path / "db" / "k.db"), None)
    again = for_database(str(tmp_path / "db" / "k.db"), None)
    other = Pseudonyms(b"another deployment key")

    assert first.of(12345) == again.of(12345)  # the key file is created once and reused
    assert first.of(12345) != first.of(12346)
    assert first.of(12345) != other.of(12345)
    assert "12345" not in first.of(12345)
    key_file = tmp_path / "db" / "pseudonym.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    short = tmp_path / "short" / "pseudonym.key"
    short.parent.mkdir()
    short.write_text("abcd\n")
    with pytest.raises(PseudonymKeyError, match="too short"):
        for_database(str(short.parent / "k.db"), None).of(1)
    configured = for_database(str(tmp_path / "x.db"), "a configured key of 16+")
    assert configured.of(1) == Pseudonyms(b"a configured key of 16+").of(1)
    assert not (tmp_path / "pseudonym.key").exists()
