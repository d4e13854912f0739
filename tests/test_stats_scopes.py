"""Which sets of groups a reader sees added up (``reader_scopes``): every organisation's
and all groups always; an instructor's only when it nests with every other set. Two
co-instructors who share one group of two each would each see a sum that, set beside the
other's and the groups' own, gives figures away, and a chain of such overlaps makes the
disclosure rule's search grow without end: they see their groups one by one, and are
told why."""

from __future__ import annotations

from bot.clock import FixedClock
from bot.services.stats import chart_series, reader_scopes
from storage.groups import Group
from testing.harness import RunningBot


def groups(*organisations: int) -> list[Group]:
    """Groups numbered 1, 2, ... in these organisations (only the two fields read)."""
    return [_group(number, organisation) for number, organisation in enumerate(organisations, 1)]


def _group(number: int, organisation: int) -> Group:
    group = object.__new__(Group)
    object.__setattr__(group, "id", number)
    object.__setattr__(group, "organisation_id", organisation)
    return group


def test_an_instructors_groups_add_up_only_when_they_nest_with_every_other_set() -> None:
    six = groups(1, 1, 1, 1, 2, 2)
    led = [
        (10, 1),
        (10, 2),  # 10 and 11 lead the same two groups: one set, kept
        (11, 1),
        (11, 2),
        (12, 3),  # one group: the group itself
        (13, 1),
        (13, 2),
        (13, 3),  # around 10's: nests, kept
        (14, 4),
        (14, 5),  # across two organisations: crosses both, left out
        (15, 5),
        (15, 6),  # organisation 2's two groups: the organisation's own set
    ]
    scopes = {frozenset(scope) for scope in reader_scopes(six, led)}
    assert scopes == {
        frozenset({1, 2, 3, 4, 5, 6}),  # all
        frozenset({1, 2, 3, 4}),  # organisation 1
        frozenset({5, 6}),  # organisation 2 (and 15's)
        frozenset({1, 2}),  # 10's and 11's
        frozenset({3}),  # 12's
        frozenset({1, 2, 3}),  # 13's
    }


def test_a_chain_of_co_instructors_adds_up_nobodys_groups() -> None:
    ten = groups(*[1] * 10)
    led = [(100 + k, g) for k in range(10) for g in (k + 1, (k + 1) % 10 + 1)]
    scopes = {frozenset(scope) for scope in reader_scopes(ten, led)}
    assert scopes == {frozenset(range(1, 11))}  # all = the organisation's


async def test_co_instructors_sharing_one_group_see_their_groups_one_by_one(
    bot: RunningBot, clock: FixedClock
) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="fi")
    ritva = emulator.user(3001, "Ritva", language_code="en")
    kaisa = emulator.user(2000, "Kaisa", language_code="fi")
    await bot.make_staff(kaisa, "coordinator", "Espoo")
    walking = await bot.registered_group(ilkka, -100, "Kävelyryhmä")
    reading = await bot.registered_group(ilkka, -200, "Lukupiiri")
    singing = await bot.registered_group(ritva, -300, "Kuoro")
    shared = await bot.services.groups.by_chat(reading.id)
    assert shared is not None
    async with bot.services.database.transaction() as tx:  # as an accepted co-instructor link
        assert await tx.groups.add_instructor(shared.id, ritva["id"], clock.now())
    for chat, first in ((walking, 5000), (reading, 6000), (singing, 7000)):
        for n in range(6):
            person = emulator.user(first + n, f"Osallistuja{first + n}", language_code="fi")
            await emulator.member_joined(person, chat)
            await emulator.send_text(person, "Hei", chat=chat)
    await bot.handled_everything()
    await bot.services.events.flush()

    # Ilkka (walking + reading) and Ritva (reading + singing): no sum, a line that says why
    ilkkas = (await bot.say(ilkka, "/stats")).text or ""
    assert "Ryhmiäsi ei lasketa yhteen" in ilkkas
    assert "Jäseniä" not in ilkkas  # no week of sums
    assert "Kävelyryhmä" in ilkkas and "Lukupiiri" in ilkkas and "Kuoro" not in ilkkas
    ritvas = (await bot.say(ritva, "/stats")).text or ""
    assert "Your groups are not added up" in ritvas and "Members" not in ritvas
    # each group on its own is shown as ever
    one = (await bot.say(ilkka, f"/stats {shared.id}")).text or ""
    assert "Jäseniä 6" in one
    # the coordinator sees the organisation's three groups added up
    kaisas = (await bot.say(kaisa, "/stats")).text or ""
    assert "Jäseniä 18" in kaisas and "Ryhmiäsi ei lasketa yhteen" not in kaisas
    # the chart draws Ilkka's groups one line each even where it would add them up
    # (more than max_lines groups); the coordinator's become one line
    weekly = await bot.services.stats.weekly()
    for reader, lines in ((ilkka, {"Kävelyryhmä", "Lukupiiri"}), (kaisa, {"all"})):
        scope = await bot.services.stats.scope(reader["id"])
        active, _ = chart_series(
            weekly.of(scope.groups), weekly.shown, all_label="all", max_lines=1
        )
        assert set(active) == lines
    mark = emulator.mark()
    await emulator.send_text(ilkka, "/stats chart")
    photo = await emulator.wait_for("sendPhoto", chat_id=ilkka["id"], after=mark)
    assert photo.files["photo"].startswith(b"\x89PNG")
