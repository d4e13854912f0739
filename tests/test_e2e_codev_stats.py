"""Statistics by kind (issue 22): the coordinators' export counts a co-development group's
participants' posts (by month: how many shared, and the posts shared, approved and
withdrawn), its polls' voters (through the very pattern the poll's composer read), and its
"what happened with your ideas" loop: how many still take part, month by month, in the
workshops and after them. Every figure about people under five is hidden."""

from __future__ import annotations

import csv
import io
import zipfile

from bot.clock import FixedClock
from bot.payload import TextContent
from bot.services.posts import Shared
from storage.states import PostKind
from testing.harness import RunningBot
from tests.test_e2e_checkins import fire_at, helsinki, participants, walking_group


def table(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read(f"{name}.csv").decode("utf-8-sig"))))


async def test_the_export_counts_posts_polls_and_the_ideas_loop_by_month(
    bot: RunningBot, clock: FixedClock
) -> None:
    emulator = bot.emulator
    ilkka, group, first = await walking_group(bot, consenting=3)
    more = [emulator.user(5100 + n, f"Nuori {n}", language_code="fi") for n in range(4)]
    await participants(bot, group, more, consenting=4)
    everyone = [*first, *more]
    stored = await bot.services.groups.by_chat(group.id)
    assert stored is not None
    await bot.say(ilkka, f"/group {stored.id} laji kehittäminen")
    kaisa = emulator.user(2000, "Kaisa", language_code="fi")
    await bot.make_staff(kaisa, "coordinator", "Espoo")

    # the first workshop week: five share an idea each, all approved; one is withdrawn
    clock.set(helsinki("2026-12-02", "12:00"))
    posts = bot.services.posts
    for number, person in enumerate(everyone[:5]):
        idea = Shared(PostKind.TEXT, TextContent(text=f"Idea {number}"), 1, person["first_name"])
        await posts.share(person["id"], stored.id, True, idea)
    async with bot.services.database.transaction() as tx:
        shared = [p for person in everyone[:5] for p in await tx.posts.of_author(person["id"])]
    for post in shared:
        await posts.approve(ilkka["id"], post.id)
    await posts.withdraw(everyone[0]["id"], shared[0].id)

    # a poll: three answer each way
    draft = await bot.services.polls.compose(
        ilkka["id"], "/poll pe 18:00\nMikä ensin?\nPuisto\nKirjasto"
    )
    number = int(str(draft.buttons[-1][0].data).rsplit(":", 1)[1])
    await bot.services.polls.toggle(ilkka["id"], number, None)
    await bot.services.polls.send(ilkka["id"], number)
    await bot.services.outbox.drained()
    (sent,) = emulator.sent("sendPoll", chat_id=group.id)
    for index, person in enumerate(everyone[:6]):
        await emulator.vote(person, sent.result, [index % 2])

    # five write in the group during the workshops, two after them
    for person in everyone[:5]:
        await emulator.send_text(person, "Hyvä idea!", chat=group)
    await bot.handled_everything()
    await fire_at(bot, clock, helsinki("2026-12-04", "18:01"))  # the poll closes
    await fire_at(bot, clock, helsinki("2026-12-08", "16:00"))  # the last workshop
    clock.set(helsinki("2027-01-07", "12:00"))
    for person in everyone[5:7]:
        await emulator.send_text(person, "Mitä ideoille kuuluu?", chat=group)
    await bot.handled_everything()
    await bot.services.events.flush()

    mark = emulator.mark()
    await emulator.send_text(kaisa, "/export csv")
    zipped = await emulator.wait_for("sendDocument", chat_id=kaisa["id"], after=mark)
    archive = zipfile.ZipFile(io.BytesIO(zipped.files["document"]))
    identity = {"group_id": str(stored.id), "group": "Kävelyryhmä"}
    assert table(archive, "posts") == [
        {
            **identity,
            "kind": "codev",
            "month": "2026-12",
            "sharers": "5",
            "shared": "5",
            "approved": "5",
            "withdrawn": "1",
        }
    ]
    # three and three: each option hidden, the six together shown
    assert table(archive, "polls") == [
        {"poll": str(number), "day": "2026-12-02", **identity, "voters": "6"}
    ]
    assert table(archive, "loop") == [
        {**identity, "month": "2026-12", "phase": "workshops", "active": "5"},
        {**identity, "month": "2027-01", "phase": "after", "active": "<5"},
    ]

    # the group's /stats shows the very same figures to its instructor
    stats = await bot.say(ilkka, f"/stats {stored.id}")
    assert (
        "Osallistujien omat julkaisut kuukausittain:\n"
        "2026-12: jakajia 5, julkaisuja 5, hyväksytty 5, peruttu 1\n"
        "Kyselyt:\n"
        f"#{number} (2.12.): vastanneita 6\n"
        "Mukana olleet kuukausittain (kirjoitti, vastasi, reagoi tai painoi):\n"
        "2026-12 (työpajat): 5\n"
        "2027-01 (ideoiden seuranta): <5\n"
    ) in (stats.text or "")
