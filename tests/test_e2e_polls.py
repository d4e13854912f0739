"""Polls for co-design (issue 22): an instructor composes a question with options in one
message, picks two groups, and each gets a native anonymous poll through the outbox; at
the end time the bot closes both (stopPoll) and tells the instructor the results per group
and together, with every count about fewer than five people hidden and nothing that would
let one be worked out. What cannot be a poll is answered and nothing is kept; a forged or
replayed press changes nothing."""

from __future__ import annotations

from typing import Any

from bot.clock import FixedClock
from bot.payload import TextContent
from bot.services.posts import Shared
from emulator import ApiCall, Chat
from storage.privacy import ExpiredGroup
from storage.states import EventErasure, PollStatus, PostKind, PostStatus
from testing.databases import stored_bytes
from testing.harness import RunningBot
from tests.test_e2e_checkins import fire_at, helsinki, participants, walking_group

QUESTION = "Mikä päivä sopii seuraavalle työpajalle?"


async def second_group(bot: RunningBot, instructor: dict[str, Any]) -> Chat:
    """The instructor adds the bot to a second group, the reading circle."""
    emulator = bot.emulator
    chat = emulator.group(-200, "Lukupiiri")
    mark = emulator.mark()
    await emulator.bot_added(instructor, chat, admin=True)
    await emulator.wait_for("sendMessage", chat_id=chat.id, after=mark)
    return chat


async def pressed(bot: RunningBot, person: dict[str, Any], call: ApiCall, label: str) -> ApiCall:
    """``label`` under ``call`` tapped; the message as the press left it (edited)."""
    mark = bot.emulator.mark()
    await bot.press(person, call.result, dict(call.buttons())[label])
    return await bot.emulator.wait_for("editMessageText", chat_id=person["id"], after=mark)


async def test_what_cannot_be_a_poll_is_answered_and_nothing_is_kept(bot: RunningBot) -> None:
    ilkka, _, (aino, _, _) = await walking_group(bot)

    one = await bot.say(ilkka, f"/poll pe 18:00\n{QUESTION}\nMaanantai")
    assert one.text == "Vaihtoehtoja on nyt 1; niitä voi olla 2–10, kukin omalla rivillään."
    eleven = "\n".join(f"Vaihtoehto {n}" for n in range(1, 12))
    too_many = await bot.say(ilkka, f"/poll pe 18:00\n{QUESTION}\n{eleven}")
    assert too_many.text == "Vaihtoehtoja on nyt 11; niitä voi olla 2–10, kukin omalla rivillään."
    past = await bot.say(ilkka, f"/poll 1.1.2026 12:00\n{QUESTION}\nMaanantai\nTiistai")
    assert past.text == "Tämä ajankohta on jo mennyt. Valitse tuleva aika."
    long = await bot.say(ilkka, f"/poll pe 18:00\n{'?' * 301}\nMaanantai\nTiistai")
    assert long.text == "Kysymys on liian pitkä (pituus 301, enintään 300)."
    twice = await bot.say(ilkka, f"/poll pe 18:00\n{QUESTION}\nMaanantai\nmaanantai")
    assert twice.text == "Sama vaihtoehto on kahdesti. Jokaisen vaihtoehdon pitää olla eri."
    usage = await bot.say(ilkka, "/poll")
    assert (usage.text or "").startswith("Kirjoita kysely yhteen viestiin")
    # a participant may not make one
    refused = await bot.say(aino, f"/poll pe 18:00\n{QUESTION}\nMaanantai\nTiistai")
    assert refused.text == (
        "Tämä on ohjaajille ja koordinaattoreille. Jos olet ohjaaja, pyydä kutsulinkki "
        "koordinaattorilta."
    )
    async with bot.services.database.locked() as connection:
        assert await connection.fetch_all("SELECT id FROM polls", {}) == []


async def test_a_poll_to_two_groups_closes_with_small_counts_hidden(
    bot: RunningBot, clock: FixedClock
) -> None:
    emulator = bot.emulator
    ilkka, walkers, (aino, britt, carl) = await walking_group(bot)
    readers = await second_group(bot, ilkka)
    more = [emulator.user(5100 + n, f"Kävelijä {n}", language_code="fi") for n in range(4)]
    await participants(bot, walkers, more, consenting=0)
    dora, eero = (emulator.user(5201, "Dora"), emulator.user(5202, "Eero"))
    await participants(bot, readers, [dora, eero], consenting=0)

    draft = await bot.say(ilkka, f"/poll pe 18:00\n{QUESTION}\nMaanantai\nTiistai")
    assert (draft.text or "").startswith("Kysely #")
    assert [label for label, _ in draft.buttons()] == [
        "▫️ Kävelyryhmä",
        "▫️ Lukupiiri",
        "Kaikki",
        "📤 Lähetä",
        "Peru",
    ]
    number = int((draft.text or "").split("#")[1].split(":")[0])

    # someone else's press on the draft: refused, nothing is sent
    forged = await bot.press(aino, draft.result, f"pl:s:{number}")
    assert forged.params["text"] == "En löydä tätä kyselyä."
    chosen = await pressed(bot, ilkka, draft, "Kaikki")
    assert [label for label, _ in chosen.buttons()][:2] == ["✅ Kävelyryhmä", "✅ Lukupiiri"]
    mark = emulator.mark()
    await bot.press(ilkka, chosen.result, f"pl:s:{number}")
    sent = await emulator.wait_for("sendMessage", chat_id=ilkka["id"], after=mark)
    assert (sent.text or "").startswith(
        f"Kysely #{number} lähti ryhmiin: Kävelyryhmä, Lukupiiri. Se sulkeutuu"
    )
    await bot.services.outbox.drained()
    in_walkers = await emulator.wait_for("sendPoll", chat_id=walkers.id, after=mark)
    in_readers = await emulator.wait_for("sendPoll", chat_id=readers.id, after=mark)
    for call in (in_walkers, in_readers):
        poll = call.result["poll"]
        assert poll["question"] == QUESTION
        assert [option["text"] for option in poll["options"]] == ["Maanantai", "Tiistai"]
        assert poll["is_anonymous"] is True
    # the send replayed: the groups do not get it twice
    again = await bot.press(ilkka, chosen.result, f"pl:s:{number}")
    assert again.params["text"] == "Tämä painike on jo käytetty. Valintasi näkyy viestissä."
    await bot.services.outbox.drained()
    assert len(emulator.sent("sendPoll")) == 2

    # six walkers vote Monday, one Tuesday; both readers Tuesday
    for person in (aino, britt, carl, *more[:3]):
        await emulator.vote(person, in_walkers.result, [0])
    await emulator.vote(more[3], in_walkers.result, [1])
    for person in (dora, eero):
        await emulator.vote(person, in_readers.result, [1])

    # the end time: both polls are stopped and Ilkka gets the results
    mark = await fire_at(bot, clock, helsinki("2026-12-04", "18:01"))
    stopped = [call for call in emulator.calls[mark:] if call.method == "stopPoll" and call.ok]
    assert {call.chat_id for call in stopped} == {walkers.id, readers.id}
    await bot.services.outbox.drained()
    results = await emulator.wait_for(
        "sendMessage",
        chat_id=ilkka["id"],
        after=mark,
        where=lambda call: (call.text or "").startswith("📊"),
    )
    assert results.text == RESULTS.format(number=number)
    async with bot.services.database.transaction() as tx:
        closed = await tx.polls.get(number)
        entries = await tx.polls.groups_of(number)
    assert closed is not None and closed.status == PollStatus.CLOSED
    assert [(e.voters, e.option_counts) for e in entries] == [(7, [6, 1]), (2, [0, 2])]

    # the results again, for Ilkka only
    again_results = await bot.say(ilkka, f"/pollresults {number}")
    assert again_results.text == RESULTS.format(number=number)
    refused = await bot.say(aino, f"/pollresults {number}")
    assert refused.text == "En löydä tätä kyselyä."


# 6 and 1 in the walking group, 0 and 2 among the readers: every count under five is
# hidden (<5), and so are the walkers' total and Monday's figures (x), which would give the
# hidden ones away (7 - 6 = 1, 9 - 6 = 3); only the total of all nine shows
RESULTS = (
    "📊 Kyselyn #{number} tulokset: Mikä päivä sopii seuraavalle työpajalle?\n"
    "Kävelyryhmä (vastanneita x):\n"
    "  Maanantai: x\n"
    "  Tiistai: <5\n"
    "Lukupiiri (vastanneita <5):\n"
    "  Maanantai: <5\n"
    "  Tiistai: <5\n"
    "Yhteensä (vastanneita 9):\n"
    "  Maanantai: x\n"
    "  Tiistai: <5\n"
    "Alle 5 hengen luvut näkyvät muodossa <5; x on luku, joka on piilotettu, jottei "
    "piilotettua lukua voi laskea muista."
)


async def test_a_groups_retention_keeps_its_polls_and_posts_as_facts_only(
    bot: RunningBot, clock: FixedClock
) -> None:
    """The group's retention (its people forgotten after the organisation's months) goes
    through a group that had a poll and a participant's post: the post keeps only the fact,
    the poll its counts."""
    ilkka, walkers, (aino, _, _) = await walking_group(bot)
    stored = await bot.services.groups.by_chat(walkers.id)
    assert stored is not None
    draft = await bot.services.polls.compose(ilkka["id"], f"/poll pe 18:00\n{QUESTION}\nA\nB")
    number = int(str(draft.buttons[-1][0].data).rsplit(":", 1)[1])
    await bot.services.polls.toggle(ilkka["id"], number, None)
    await bot.services.polls.send(ilkka["id"], number)
    await bot.services.outbox.drained()
    shared = Shared(PostKind.TEXT, TextContent(text="Muisto syksyltä"), 1, "Aino")
    await bot.services.posts.share(aino["id"], stored.id, True, shared)
    async with bot.services.database.transaction() as tx:
        (post,) = await tx.posts.of_author(aino["id"])
    await bot.services.posts.approve(ilkka["id"], post.id)
    await fire_at(bot, clock, helsinki("2026-12-04", "18:01"))  # the poll closes

    async with bot.services.database.transaction() as tx:
        await tx.privacy.anonymise_group(
            ExpiredGroup(stored.id, stored.title, EventErasure.UNLINK), clock.now()
        )
        kept = await tx.posts.get(post.id)
        entries = await tx.polls.groups_of(number)
    await bot.services.database.truncate_log()  # as the retention chore does
    assert kept is not None
    # the author is a stand-in of this group now (negative: never a Telegram id)
    assert kept.author_id is not None and kept.author_id < 0
    assert (kept.content, kept.author_name, kept.status) == (None, None, PostStatus.APPROVED)
    assert [(entry.status, entry.voters) for entry in entries] == [("closed", 0)]
    assert b"Muisto syksylt" not in stored_bytes(bot.settings.database)


async def test_a_poll_deleted_in_its_group_is_closed_without_its_results(
    bot: RunningBot, clock: FixedClock
) -> None:
    """A group's admin deleted the poll: Telegram refuses to stop it, for good; the poll
    still closes, and its composer reads that this group has no results."""
    emulator = bot.emulator
    ilkka, walkers, _ = await walking_group(bot)
    draft = await bot.services.polls.compose(ilkka["id"], f"/poll pe 18:00\n{QUESTION}\nA\nB")
    number = int(str(draft.buttons[-1][0].data).rsplit(":", 1)[1])
    await bot.services.polls.toggle(ilkka["id"], number, None)
    await bot.services.polls.send(ilkka["id"], number)
    await bot.services.outbox.drained()
    (sent,) = emulator.sent("sendPoll", chat_id=walkers.id)
    del emulator.messages[(walkers.id, sent.result["message_id"])]  # deleted by an admin

    mark = await fire_at(bot, clock, helsinki("2026-12-04", "18:01"))
    results = await emulator.wait_for(
        "sendMessage",
        chat_id=ilkka["id"],
        after=mark,
        where=lambda call: (call.text or "").startswith("📊"),
    )
    assert "Kävelyryhmä: ei tuloksia" in (results.text or "")
    async with bot.services.database.transaction() as tx:
        closed = await tx.polls.get(number)
    assert closed is not None and closed.status == PollStatus.CLOSED
    # and it is not asked about again
    mark = await fire_at(bot, clock, helsinki("2026-12-04", "18:05"))
    assert not [call for call in emulator.calls[mark:] if call.method == "stopPoll"]
