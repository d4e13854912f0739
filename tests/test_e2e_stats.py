"""/stats end to end: a coordinator sees the organisation's groups week by week and picks
one, an instructor sees their own, another organisation's coordinator sees none of them,
a chart is a real PNG, figures about fewer than five people show as "<5", and a figure
that would give one of those away shows as "x"."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from matplotlib import image

from bot.clock import FixedClock
from emulator import Chat
from testing.harness import RunningBot


async def talk(bot: RunningBot, group: Chat, people: list[dict[str, Any]], each: int) -> None:
    """Every person writes ``each`` messages and reacts once to the first of them."""
    first = None
    for person in people:
        for n in range(each):
            sent = await bot.emulator.send_text(person, f"viesti {n}", chat=group)
            first = first or sent
    assert first is not None
    for person in people:
        await bot.emulator.reaction(person, group, first["message_id"], old=[], new=["👍"])


async def test_stats_by_week_with_small_numbers_hidden(bot: RunningBot, clock: FixedClock) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="fi")
    walking = await bot.registered_group(ilkka, -100, "Kävelyryhmä")
    ritva = emulator.user(3001, "Ritva", language_code="fi")
    reading = await bot.registered_group(ritva, -200, "Lukupiiri")
    kaisa = emulator.user(2000, "Kaisa", language_code="fi")
    await bot.make_staff(kaisa, "coordinator", "Espoo")
    vilma = emulator.user(2100, "Vilma", language_code="fi")
    await bot.make_staff(vilma, "coordinator", "Vantaa")

    walkers = [emulator.user(5000 + n, f"Osallistuja{n}", language_code="fi") for n in range(6)]
    readers = [emulator.user(6000 + n, f"Lukija{n}", language_code="fi") for n in range(2)]
    for person in walkers:
        await emulator.member_joined(person, walking)
    for person in readers:
        await emulator.member_joined(person, reading)
    await talk(bot, walking, walkers, 2)  # week 1: 6 active, 12 messages, 6 reactions
    await talk(bot, reading, readers, 1)
    await emulator.send_text(ilkka, "Ohjaajan viesti", chat=walking)  # staff: not counted
    await bot.handled_everything()
    await bot.services.events.flush()
    clock.set(clock.now() + dt.timedelta(weeks=1))
    await talk(bot, walking, walkers[:4], 1)  # week 2: 4 active (fewer than 5)
    await bot.handled_everything()
    await bot.services.events.flush()

    walking_id = (await bot.services.groups.by_chat(walking.id)).id  # type: ignore[union-attr]
    # Espoo shows 8 members in week 1; were the walking group's 6 shown too, the reading
    # group's hidden 2 would be 8 - 6: its figures are hidden as well ("x": at least 5)
    mine = await bot.say(ilkka, "/stats")
    blocks = (mine.text or "").split("\n\n")
    assert blocks[:3] == [
        "📊 Kävelyryhmä: viikoittain",
        "Viikko 1\n"
        "Jäseniä x · aktiivisia x\n"
        "Viestejä x · reaktioita x\n"
        "Suunnitelmia <5 · tehty <5 · varmuus <5\n"
        "Tiedotteita perillä 0",
        "Viikko 2\n"
        "Jäseniä x · aktiivisia <5\n"
        "Viestejä <5 · reaktioita <5\n"
        "Suunnitelmia <5 · tehty <5 · varmuus <5\n"
        "Tiedotteita perillä 0",
    ]
    assert blocks[3].startswith(
        "Alle 5 hengen luvut näkyvät muodossa <5; x on luku, joka on piilotettu, jottei "
        "piilotettua lukua voi laskea muista."
    )

    overview = await bot.say(kaisa, "/stats")
    text = overview.text or ""
    assert text.startswith(
        "📊 Espoo: 2 ryhmää yhteensä\n\nViikko 1\nJäseniä 8 · aktiivisia 8\n"
        "Viestejä 14 · reaktioita 8\n"
    )
    assert f"• {walking_id}. Kävelyryhmä, vk 2: aktiivisia <5/x, viestejä <5" in text
    assert "Lukupiiri, vk 2: aktiivisia <5/<5, viestejä <5" in text
    labels = dict(overview.buttons())
    assert set(labels) == {"📈 Kaavio", "Kävelyryhmä", "Lukupiiri"}
    mark = emulator.mark()
    await bot.press(kaisa, overview.result, labels["Lukupiiri"])
    chosen = await emulator.wait_for("sendMessage", chat_id=kaisa["id"], after=mark)
    assert (chosen.text or "").startswith(
        "📊 Lukupiiri: viikoittain\n\nViikko 1\nJäseniä <5 · aktiivisia <5\nViestejä <5"
    )

    # another organisation's coordinator: not these groups, and a forged number reads alike
    foreign = await bot.say(vilma, f"/stats {walking_id}")
    assert (foreign.text or "").startswith("Et voi hallita tätä ryhmää.")
    none = await bot.say(vilma, "/stats")
    assert none.text == "Sinulla ei ole vielä ryhmiä, joiden lukuja näyttää."
    reading_id = (await bot.services.groups.by_chat(reading.id)).id  # type: ignore[union-attr]
    others = await bot.say(ilkka, f"/stats {reading_id}")  # an instructor: their own only
    assert (others.text or "").startswith("Et voi hallita tätä ryhmää.")
    participant = await bot.say(walkers[0], "/stats")
    assert (participant.text or "").startswith("Tämä on ohjaajille ja koordinaattoreille.")

    # the chart: a real PNG, tall enough for a phone
    mark = emulator.mark()
    await emulator.send_text(kaisa, "/stats chart")
    photo = await emulator.wait_for("sendPhoto", chat_id=kaisa["id"], after=mark)
    png = photo.files["photo"]
    assert png.startswith(b"\x89PNG")
    pixels = image.imread(io.BytesIO(png), format="png")
    height, width = pixels.shape[:2]
    assert (width, height) == (1080, 1440)
    assert photo.text == "📊 Espoo: 2 ryhmää yhteensä"
