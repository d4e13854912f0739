"""Participants' own posts (issue 22): a participant's photo or text sent to the bot in
private is offered for sharing with their group, named or anonymously; the group's
instructor approves or rejects it; an approved post reaches the group through the outbox;
its author withdraws it with /myposts, which deletes it from the group where Telegram
still allows and empties it from storage. Forged, replayed and foreign presses change
nothing; what cannot be shared is answered in the person's language."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from bot.clock import FixedClock
from emulator import ApiCall
from storage.posts import EMPTIED, Post
from storage.states import PostStatus
from testing.databases import stored_bytes
from testing.harness import RunningBot
from tests.test_e2e_checkins import walking_group

CAPTION = "Aamulenkin maisema Nuuksiossa"


async def reply_to(bot: RunningBot, person: dict[str, Any], mark: int) -> ApiCall:
    return await bot.emulator.wait_for("sendMessage", chat_id=person["id"], after=mark)


async def pressed(
    bot: RunningBot, person: dict[str, Any], call: ApiCall, label: str, method: str
) -> ApiCall:
    """The person taps ``label`` under ``call``; the bot's next ``method`` in their chat."""
    mark = bot.emulator.mark()
    await bot.press(person, call.result, dict(call.buttons())[label])
    return await bot.emulator.wait_for(method, chat_id=person["id"], after=mark)


async def post_of(bot: RunningBot, post_id: int) -> Post:
    async with bot.services.database.transaction() as tx:
        post = await tx.posts.get(post_id)
    assert post is not None
    return post


async def contents_of_rows(bot: RunningBot, post_id: int) -> list[str]:
    async with bot.services.database.locked() as connection:
        rows = await connection.fetch_all(
            "SELECT content FROM outbox WHERE post_id = :post ORDER BY id", {"post": post_id}
        )
    return [row[0] for row in rows]


async def review_copy(
    bot: RunningBot, reviewer: dict[str, Any], mark: int
) -> tuple[ApiCall, ApiCall]:
    """What a reviewer gets: the post as the group would see it, then the card."""
    await bot.services.outbox.drained()
    emulator = bot.emulator
    card = await emulator.wait_for(
        "sendMessage",
        chat_id=reviewer["id"],
        after=mark,
        where=lambda call: (call.text or "").startswith("Julkaisu #"),
    )
    copies = [
        call
        for call in emulator.calls[mark:]
        if call.ok
        and call.chat_id == reviewer["id"]
        and call.method in ("sendPhoto", "sendMessage")
        and call is not card
        and not (call.text or "").startswith("Julkaisu #")
    ]
    assert len(copies) == 1, [call.text for call in copies]
    return copies[0], card


async def test_a_photo_is_shared_approved_seen_and_withdrawn(
    bot: RunningBot, clock: FixedClock
) -> None:
    emulator = bot.emulator
    ilkka, group, (aino, britt, _) = await walking_group(bot)

    # Aino sends a photo in private: the offer answers it, quoting it
    mark = emulator.mark()
    photo = await emulator.send_media(aino, "photo", caption=CAPTION)
    offer = await reply_to(bot, aino, mark)
    assert offer.text == (
        "Haluatko jakaa tämän ryhmällesi Kävelyryhmä? Ohjaaja katsoo sen ensin. "
        "Valitse, näkyykö nimesi."
    )
    assert [label for label, _ in offer.buttons()] == [
        "📣 Jaa nimelläni",
        "🙈 Jaa nimettömänä",
        "Ei nyt",
    ]
    assert offer.result["reply_to_message"]["message_id"] == photo["message_id"]

    # someone else's press on Aino's offer (a forged update) shares nothing
    forged = await bot.press(britt, offer.result, dict(offer.buttons())["📣 Jaa nimelläni"])
    assert forged.params.get("show_alert") is True
    async with bot.services.database.transaction() as tx:
        assert await tx.posts.of_author(britt["id"]) == []
        assert await tx.posts.of_author(aino["id"]) == []

    # shared with her name: it waits for review, and Ilkka gets it with the card
    mark = emulator.mark()
    shared = await pressed(bot, aino, offer, "📣 Jaa nimelläni", "editMessageText")
    assert (shared.text or "").startswith("Kiitos! Julkaisusi odottaa ohjaajan hyväksyntää.")
    async with bot.services.database.transaction() as tx:
        (post,) = await tx.posts.of_author(aino["id"])
    assert (post.status, post.named, post.author_name, post.kind) == (
        PostStatus.PENDING,
        True,
        "Aino",
        "photo",
    )
    preview, card = await review_copy(bot, ilkka, mark)
    assert preview.method == "sendPhoto"
    assert preview.text == f"📣 Aino jakaa:\n\n{CAPTION}"
    assert card.text == (
        f"Julkaisu #{post.id}: Aino haluaa jakaa yllä olevan ryhmälle Kävelyryhmä nimellään. "
        "Hyväksytkö?"
    )
    assert [label for label, _ in card.buttons()] == ["✅ Hyväksy", "❌ Hylkää"]
    assert not [c for c in emulator.calls[mark:] if c.ok and c.chat_id == group.id]

    # a participant forging the approval: refused, nothing changes, nothing reaches the group
    refused = await bot.press(britt, card.result, f"pr:y:{post.id}")
    assert refused.params["text"] == "Jag hittar inte det här inlägget."
    assert (await post_of(bot, post.id)).status == PostStatus.PENDING

    # Ilkka approves: the group sees the photo under Aino's name, Aino is told
    mark = emulator.mark()
    approved = await pressed(bot, ilkka, card, "✅ Hyväksy", "editMessageText")
    assert approved.text == f"Julkaisu #{post.id} hyväksyttiin ja lähtee ryhmään Kävelyryhmä."
    await bot.services.outbox.drained()
    in_group = await emulator.wait_for("sendPhoto", chat_id=group.id, after=mark)
    assert in_group.text == f"📣 Aino jakaa:\n\n{CAPTION}"
    assert in_group.params["photo"] == photo["photo"][-1]["file_id"]
    told = await reply_to(bot, aino, mark)
    assert (told.text or "").startswith("Julkaisusi hyväksyttiin, ja se näkyy pian ryhmässä")

    # the approval replayed: said so, the group does not get it twice
    again = await bot.press(ilkka, card.result, f"pr:y:{post.id}")
    assert again.params["text"] == "Tästä julkaisusta on jo päätetty, tai se on peruttu."
    await bot.services.outbox.drained()
    assert len(emulator.sent("sendPhoto", chat_id=group.id)) == 1

    # /myposts lists it with Withdraw; Britt cannot withdraw it
    listing = await bot.say(aino, "/myposts")
    assert listing.text == (
        "Jakamasi julkaisut (1). Voit perua julkaisun: se poistetaan tallennuksista ja "
        "ryhmästä (Telegram sallii poiston 48 tunnin ajan).\n"
        f"#{post.id} kuva, Kävelyryhmä: ryhmässä. {CAPTION}"
    )
    foreign = await bot.press(britt, listing.result, f"pw:y:{post.id}")
    assert foreign.params["text"] == "Jag hittar inte det här inlägget."
    assert (await post_of(bot, post.id)).status == PostStatus.APPROVED

    # Aino withdraws it (asked first): deleted from the group and Ilkka's chat, emptied
    asked = await pressed(bot, aino, listing, f"Peru #{post.id}", "sendMessage")
    assert (asked.text or "").startswith(f"Perutaanko julkaisu #{post.id} (Kävelyryhmä)?")
    mark = emulator.mark()
    done = await pressed(bot, aino, asked, "Kyllä, peru", "editMessageText")
    assert done.text == (
        f"Julkaisu #{post.id} peruttiin: se poistettiin ryhmästä Kävelyryhmä ja tallennuksista."
    )
    deleted = {(c.chat_id, c.params["message_id"]) for c in emulator.sent("deleteMessage")}
    assert (group.id, in_group.result["message_id"]) in deleted
    assert (ilkka["id"], preview.result["message_id"]) in deleted
    assert (group.id, in_group.result["message_id"]) not in emulator.messages
    gone = await post_of(bot, post.id)
    assert (gone.status, gone.content, gone.author_name) == (PostStatus.WITHDRAWN, None, None)
    assert set(await contents_of_rows(bot, post.id)) == {EMPTIED}
    stored = stored_bytes(bot.settings.database)
    assert CAPTION.encode() not in stored
    assert photo["photo"][-1]["file_id"].encode() not in stored

    # withdrawn twice (a replayed press): nothing more happens
    replayed = await bot.press(aino, asked.result, f"pw:y:{post.id}")
    assert replayed.params["text"] == "En löydä tätä julkaisua."
    assert (await reply_to_listing(bot, aino)).text == (
        "Sinulla ei ole jaettuja julkaisuja. Lähetä minulle kuva, video, ääniviesti tai "
        "teksti, niin voit jakaa sen ryhmällesi."
    )


async def reply_to_listing(bot: RunningBot, person: dict[str, Any]) -> ApiCall:
    return await bot.say(person, "/myposts")


async def test_a_rejected_post_never_reaches_the_group_and_is_emptied(
    bot: RunningBot, clock: FixedClock
) -> None:
    emulator = bot.emulator
    ilkka, group, (_, britt, _) = await walking_group(bot)

    mark = emulator.mark()
    await emulator.send_text(britt, "Hej alla, vi ses på tisdag!")
    offer = await reply_to(bot, britt, mark)
    assert (offer.text or "").startswith("Vill du dela det här med din grupp Kävelyryhmä?")
    mark = emulator.mark()
    shared = await pressed(bot, britt, offer, "🙈 Dela anonymt", "editMessageText")
    assert "utan ditt namn" in (shared.text or "")
    preview, card = await review_copy(bot, ilkka, mark)
    assert preview.text == "📣 Ryhmäläinen jakaa:\n\nHej alla, vi ses på tisdag!"
    assert "nimettömänä (ryhmä ei näe nimeä)" in (card.text or "")
    async with bot.services.database.transaction() as tx:
        (post,) = await tx.posts.of_author(britt["id"])

    mark = emulator.mark()
    rejected = await pressed(bot, ilkka, card, "❌ Hylkää", "editMessageText")
    assert rejected.text == (
        f"Julkaisu #{post.id} hylättiin. Sitä ei lähetetä ryhmään Kävelyryhmä, ja sen sisältö "
        "poistettiin."
    )
    told = await reply_to(bot, britt, mark)
    assert (told.text or "").startswith("En ledare beslöt att inte dela ditt inlägg")
    await bot.services.outbox.drained()
    assert not [c for c in emulator.calls if c.chat_id == group.id and "vi ses" in (c.text or "")]
    deleted = {(c.chat_id, c.params["message_id"]) for c in emulator.sent("deleteMessage")}
    assert deleted == {(ilkka["id"], preview.result["message_id"])}
    gone = await post_of(bot, post.id)
    assert (gone.status, gone.content) == (PostStatus.REJECTED, None)
    assert set(await contents_of_rows(bot, post.id)) == {EMPTIED}
    # the same message cannot be offered for review again once decided
    again = await bot.press(britt, offer.result, dict(offer.buttons())["🙈 Dela anonymt"])
    assert again.params.get("show_alert") is True


async def test_what_cannot_be_shared_is_answered_and_changes_nothing(
    bot: RunningBot, clock: FixedClock
) -> None:
    emulator = bot.emulator
    _, _, (aino, _, carl) = await walking_group(bot)
    outsider = emulator.user(5999, "Olli", language_code="fi")

    # someone in no group: a photo cannot be shared; a text gets the usual pointer
    mark = emulator.mark()
    await emulator.send_media(outsider, "photo")
    answer = await reply_to(bot, outsider, mark)
    assert (answer.text or "").startswith("Et ole vielä missään ryhmässä")
    answer = await bot.say(outsider, "Hei?")
    assert (answer.text or "").startswith("Kiitos viestistä! En lue enkä tallenna")

    # a document is not a kind of post; a video over 50 MB is too large
    mark = emulator.mark()
    await emulator.send_media(aino, "document")
    answer = await reply_to(bot, aino, mark)
    assert (answer.text or "").startswith("Ryhmälle voi jakaa kuvan, videon, ääniviestin")
    # a caption that, with the "shares:" line, would pass Telegram's 1024: too long
    mark = emulator.mark()
    await emulator.send_media(carl, "video", caption="x" * 1015)
    answer = await reply_to(bot, carl, mark)
    assert answer.text == (
        "The text is too long to share: length 1015, while 1008 fit with the “shares:” "
        "line. Shorten it and send it again."
    )
    assert not answer.buttons()
    # a stranger's sticker or document: the usual pointer, not "you are in no group"
    mark = emulator.mark()
    await emulator.send_media(outsider, "document")
    answer = await reply_to(bot, outsider, mark)
    assert (answer.text or "").startswith("Kiitos viestistä! En lue enkä tallenna")

    # a group that is not hers, by a forged press
    mark = emulator.mark()
    await emulator.send_text(aino, "Terveisiä")
    offer = await reply_to(bot, aino, mark)
    refused = await bot.press(aino, offer.result, "ps:n:999")
    assert refused.params["text"] == "Et ole tämän ryhmän jäsen, joten et voi jakaa sille."

    # three waiting at once: a fourth is refused until they are handled
    for number in range(3):
        mark = emulator.mark()
        await emulator.send_text(aino, f"Viesti {number}")
        offer = await reply_to(bot, aino, mark)
        await pressed(bot, aino, offer, "🙈 Jaa nimettömänä", "editMessageText")
    mark = emulator.mark()
    await emulator.send_text(aino, "Neljäs")
    offer = await reply_to(bot, aino, mark)
    refused = await bot.press(aino, offer.result, dict(offer.buttons())["🙈 Jaa nimettömänä"])
    assert refused.params["text"] == (
        "Sinulla on jo 3 julkaisua odottamassa ohjaajan katsomista. Voit jakaa lisää, kun ne "
        "on käsitelty."
    )
    async with bot.services.database.transaction() as tx:
        assert len(await tx.posts.of_author(aino["id"])) == 3

    # Not now: nothing is stored
    mark = emulator.mark()
    await emulator.send_text(carl, "Maybe later")
    offer = await reply_to(bot, carl, mark)
    await pressed(bot, carl, offer, "Not now", "editMessageText")
    async with bot.services.database.transaction() as tx:
        assert await tx.posts.of_author(carl["id"]) == []
    assert b"Maybe later" not in stored_bytes(bot.settings.database)


async def test_a_post_older_than_48_hours_stays_in_the_group_and_the_author_is_told(
    bot: RunningBot, clock: FixedClock
) -> None:
    emulator = bot.emulator
    ilkka, group, (aino, _, _) = await walking_group(bot)
    card = await shared_for_review(bot, aino, ilkka, "Hyvää viikonloppua kaikille!")
    mark = emulator.mark()
    await pressed(bot, ilkka, card, "✅ Hyväksy", "editMessageText")
    await bot.services.outbox.drained()
    in_group = await emulator.wait_for("sendMessage", chat_id=group.id, after=mark)
    assert in_group.text == "📣 Aino jakaa:\n\nHyvää viikonloppua kaikille!"
    emulator.age_message(group.id, in_group.result["message_id"], 49)

    listing = await bot.say(aino, "/myposts")
    (label,) = [label for label, _ in listing.buttons()]
    asked = await pressed(bot, aino, listing, label, "sendMessage")
    done = await pressed(bot, aino, asked, "Kyllä, peru", "editMessageText")
    assert (done.text or "").endswith(
        "Telegram antaa botin poistaa viestin vain 48 tunnin ajan, joten ryhmässä näkyvä viesti "
        "jäi. Pyydä ohjaajaa poistamaan se."
    )
    assert (group.id, in_group.result["message_id"]) in emulator.messages
    async with bot.services.database.transaction() as tx:
        assert await tx.posts.of_author(aino["id"]) == []
    assert b"Hyv\xc3\xa4\xc3\xa4 viikonloppua" not in stored_bytes(bot.settings.database)


async def test_an_erasure_takes_the_persons_posts_and_what_they_shared(
    bot: RunningBot, clock: FixedClock
) -> None:
    emulator = bot.emulator
    ilkka, _, (aino, _, _) = await walking_group(bot)
    await shared_for_review(bot, aino, ilkka, "Kiitos kaikille tästä syksystä")
    async with bot.services.database.transaction() as tx:
        (post,) = await tx.posts.of_author(aino["id"])

    await bot.services.privacy.forget(aino["id"])

    gone = await post_of(bot, post.id)
    assert (gone.author_id, gone.author_name, gone.content, gone.status) == (
        None,
        None,
        None,
        PostStatus.WITHDRAWN,
    )
    assert set(await contents_of_rows(bot, post.id)) == {EMPTIED}
    assert b"Kiitos kaikille t" not in stored_bytes(bot.settings.database)
    # the card Ilkka still has answers that the post is gone
    card = emulator.sent("sendMessage", chat_id=ilkka["id"])[-1]
    refused = await bot.press(ilkka, card.result, f"pr:y:{post.id}")
    assert refused.params["text"] == "Tästä julkaisusta on jo päätetty, tai se on peruttu."


async def shared_for_review(
    bot: RunningBot, author: dict[str, Any], reviewer: dict[str, Any], text: str
) -> ApiCall:
    """The author (in one group) writes ``text`` and shares it with their name (the
    offer's first button); the card the reviewer gets."""
    emulator = bot.emulator
    mark = emulator.mark()
    await emulator.send_text(author, text)
    offer = await reply_to(bot, author, mark)
    mark = emulator.mark()
    await pressed(bot, author, offer, offer.buttons()[0][0], "editMessageText")
    _, card = await review_copy(bot, reviewer, mark)
    return card


async def shared_and_approved(
    bot: RunningBot, author: dict[str, Any], reviewer: dict[str, Any], text: str
) -> tuple[Post, ApiCall]:
    """The author shares ``text`` with their name and the reviewer approves it; the post
    and the reviewer's card as the approval left it."""
    card = await shared_for_review(bot, author, reviewer, text)
    approved = await pressed(bot, reviewer, card, card.buttons()[0][0], "editMessageText")
    async with bot.services.database.transaction() as tx:
        post = next(p for p in await tx.posts.of_author(author["id"]) if text in (p.content or ""))
    return post, approved


async def test_a_post_goes_to_the_library_only_with_its_authors_yes_and_leaves_with_it(
    bot: RunningBot, clock: FixedClock
) -> None:
    emulator = bot.emulator
    ilkka, _, (aino, _, _) = await walking_group(bot)
    post, approved = await shared_and_approved(bot, aino, ilkka, "Näin teen kävelyn helpoksi")

    # the reviewer offers it to the library: the author is asked, nothing is saved yet
    themes = await pressed(bot, ilkka, approved, "📚 Tallenna vinkkikirjastoon", "editMessageText")
    mark = emulator.mark()
    asked = await pressed(bot, ilkka, themes, "Vertaistuki", "editMessageText")
    assert (asked.text or "").startswith(f"Kysyin julkaisun #{post.id} kirjoittajalta")
    await bot.services.outbox.drained()
    question = await emulator.wait_for(
        "sendMessage",
        chat_id=aino["id"],
        after=mark,
        where=lambda call: (call.text or "").startswith("Ohjaaja haluaisi tallentaa"),
    )
    assert (await post_of(bot, post.id)).contribution_id is None
    # someone else's yes is refused
    forged = await bot.press(ilkka, question.result, f"pw:l:{post.id}")
    assert forged.params["text"] == "En löydä tätä julkaisua."

    saved = await pressed(bot, aino, question, "Kyllä, saa tallentaa", "editMessageText")
    assert (saved.text or "").startswith("Kiitos! Julkaisusi tallennettiin vinkkikirjastoon")
    async with bot.services.database.transaction() as tx:
        stored = await tx.posts.get(post.id)
        assert stored is not None and stored.contribution_id is not None
        tip = await tx.tips.contribution(stored.contribution_id)
    assert tip is not None and tip.author_id == aino["id"]
    assert "Aino" not in tip.content and "jakaa:" not in tip.content  # no name, no line

    # withdrawn: the library tip goes with it
    listing = await bot.say(aino, "/myposts")
    asked_again = await pressed(bot, aino, listing, f"Peru #{post.id}", "sendMessage")
    await pressed(bot, aino, asked_again, "Kyllä, peru", "editMessageText")
    async with bot.services.database.transaction() as tx:
        assert await tx.tips.contribution(tip.id) is None


async def test_a_post_withdrawn_while_it_is_being_sent_is_deleted_from_the_group(
    bot: RunningBot, clock: FixedClock
) -> None:
    emulator = bot.emulator
    ilkka, group, (aino, _, _) = await walking_group(bot)
    held = emulator.hold(method="sendMessage", chat_id=group.id)
    post, _ = await shared_and_approved(bot, aino, ilkka, "Lähetetään juuri nyt")
    await asyncio.wait_for(held.arrived.wait(), 30)  # the group's copy is on its way
    await emulator.wait_for(
        "sendMessage",
        chat_id=aino["id"],
        where=lambda call: (call.text or "").startswith("Julkaisusi hyväksyttiin"),
    )

    listing = await bot.say(aino, "/myposts")
    asked = await pressed(bot, aino, listing, f"Peru #{post.id}", "sendMessage")
    await pressed(bot, aino, asked, "Kyllä, peru", "editMessageText")
    mark = emulator.mark()
    held.release()
    delivered = await emulator.wait_for("sendMessage", chat_id=group.id, after=mark)
    deleted = await emulator.wait_for("deleteMessage", chat_id=group.id, after=mark)
    assert deleted.params["message_id"] == delivered.result["message_id"]
    assert (group.id, delivered.result["message_id"]) not in emulator.messages
    async with bot.services.database.locked() as connection:
        rows = await connection.fetch_all(
            "SELECT status, content FROM outbox WHERE post_id = :p AND chat_id = :c",
            {"p": post.id, "c": group.id},
        )
    assert [tuple(row) for row in rows] == [("cancelled", EMPTIED)]


async def test_a_post_whose_author_left_is_not_sent_and_one_nobody_decides_on_expires(
    bot: RunningBot, clock: FixedClock
) -> None:
    emulator = bot.emulator
    ilkka, group, (aino, britt, _) = await walking_group(bot)
    for person, text in ((aino, "Lähden pian"), (britt, "Hej där")):
        mark = emulator.mark()
        await emulator.send_text(person, text)
        offer = await reply_to(bot, person, mark)
        await bot.press(person, offer.result, offer.buttons()[0][1])
    await bot.services.outbox.drained()
    async with bot.services.database.transaction() as tx:
        (left,) = await tx.posts.of_author(aino["id"])
        (waiting,) = await tx.posts.of_author(britt["id"])

    # Aino leaves the group: her post is not sent when approved, and goes
    await emulator.member_left(aino, group)
    await bot.handled_everything()
    card = next(
        call
        for call in emulator.sent("sendMessage", chat_id=ilkka["id"])
        if (call.text or "").startswith(f"Julkaisu #{left.id}:")
    )
    mark = emulator.mark()
    said = await pressed(bot, ilkka, card, "✅ Hyväksy", "editMessageText")
    assert said.text == (
        f"Julkaisun #{left.id} kirjoittaja ei ole enää ryhmässä Kävelyryhmä, joten julkaisua "
        "ei lähetetty ja se poistettiin."
    )
    await bot.services.outbox.drained()
    assert not [c for c in emulator.calls[mark:] if c.chat_id == group.id]
    assert (await post_of(bot, left.id)).content is None

    # nobody decides on Britt's within two weeks: it goes, and she is told
    mark = emulator.mark()
    clock.advance(dt.timedelta(days=15))
    await bot.services.scheduler.sweep_now()
    await bot.services.outbox.drained()
    told = await reply_to(bot, britt, mark)
    assert (told.text or "").startswith("Ingen ledare hann titta på ditt inlägg")
    expired = await post_of(bot, waiting.id)
    assert (expired.status, expired.content) == (PostStatus.EXPIRED, None)


async def test_a_participant_in_two_groups_chooses_where_it_goes(
    bot: RunningBot, clock: FixedClock
) -> None:
    emulator = bot.emulator
    ilkka, _, (aino, _, _) = await walking_group(bot)
    readers = emulator.group(-200, "Lukupiiri")
    mark = emulator.mark()
    await emulator.bot_added(ilkka, readers, admin=True)
    await emulator.wait_for("sendMessage", chat_id=readers.id, after=mark)
    await emulator.member_joined(aino, readers)
    await bot.handled_everything()

    mark = emulator.mark()
    await emulator.send_media(aino, "voice")
    offer = await reply_to(bot, aino, mark)
    assert offer.text == (
        "Haluatko jakaa tämän ryhmällesi? Valitse ryhmä. Ohjaaja katsoo sen ensin."
    )
    assert [label for label, _ in offer.buttons()] == ["Kävelyryhmä", "Lukupiiri", "Ei nyt"]
    how = await pressed(bot, aino, offer, "Lukupiiri", "editMessageText")
    assert how.text == "Jaetaan ryhmälle Lukupiiri. Näkyykö nimesi?"
    await pressed(bot, aino, how, "🙈 Jaa nimettömänä", "editMessageText")
    async with bot.services.database.transaction() as tx:
        (post,) = await tx.posts.of_author(aino["id"])
        group = await tx.groups.get(post.group_id)
    assert group is not None and group.title == "Lukupiiri"
    assert (post.kind, post.named, post.author_name) == ("voice", False, None)
