"""The before-and-after survey end to end: one question per message with buttons, a skip,
a half-finished survey resumed with /survey, one reminder after two days, answers stored
under the pseudonym, and nobody answering for someone else."""

from __future__ import annotations

from bot.clock import FixedClock
from testing.harness import RunningBot
from tests.test_e2e_checkins import fire_at, helsinki, private, sent_since, tap, walking_group


async def test_a_survey_round_is_answered_skipped_resumed_and_reminded_once(
    bot: RunningBot, clock: FixedClock
) -> None:
    emulator = bot.emulator
    _, _, (aino, britt, carl) = await walking_group(bot)

    # the first meeting: the "before" round
    mark = await fire_at(bot, clock, helsinki("2026-12-01", "14:00"))
    first = await private(bot, aino, mark, "Lyhyt kysely ryhmästä Kävelyryhmä")
    assert "Kysymys 1/5\nMillaiseksi arvioit terveydentilasi tällä hetkellä?" in (first.text or "")
    assert (first.text or "").endswith("1 = huono, 5 = erinomainen")
    assert [label for label, _ in first.buttons()] == ["1", "2", "3", "4", "5", "Ohita kysymys"]
    britts = await private(bot, britt, mark, "En kort enkät från gruppen Kävelyryhmä")
    assert not sent_since(emulator, mark, carl["id"])

    second = await tap(bot, aino, first, "4")
    assert (second.text or "").startswith("Kysymys 2/5\nKuinka tyytyväinen olet elämääsi")
    assert len(second.buttons()) == 12  # 0-10 and skip
    third = await tap(bot, aino, second, "Ohita kysymys")
    assert (third.text or "").startswith("Kysymys 3/5")
    answer = third
    for label in ("7", "2", "8"):
        answer = await tap(bot, aino, answer, label)
    assert answer.text == "Kiitos vastauksistasi! Ne auttavat kehittämään ryhmätoimintaa."
    # an old button changes nothing
    stale = await tap(bot, aino, first, "2")
    assert stale.text == "Tämä kysely ei ole enää avoinna."

    # Britt answers one question and stops; Carl cannot answer for her
    britt_second = await tap(bot, britt, britts, "3")
    assert (britt_second.text or "").startswith("Fråga 2/5")
    again = await tap(bot, britt, britts, "5")  # a double tap: her answer stays 3
    assert (again.text or "").startswith("Den frågan är redan besvarad. Här är nästa:\n\nFråga 2/5")
    forged = await tap(bot, carl, britt_second, "10")
    assert forged.text == "This survey is no longer open."

    # two days later: one reminder, to Britt only, with her next question
    mark = await fire_at(bot, clock, helsinki("2026-12-03", "14:05"))
    reminder = await private(bot, britt, mark, "Påminnelse: enkäten från gruppen Kävelyryhmä")
    assert "Fråga 2/5" in (reminder.text or "")
    assert not sent_since(emulator, mark, aino["id"])
    mark = await fire_at(bot, clock, helsinki("2026-12-03", "14:10"))
    assert not sent_since(emulator, mark, britt["id"])  # once only

    resumed = await bot.say(britt, "/survey")
    assert (resumed.text or "").startswith("Vi fortsätter där du slutade.\n\nFråga 2/5")
    nothing = await bot.say(aino, "/survey")
    assert nothing.text == "Sinulla ei ole kesken jäänyttä kyselyä."

    # the last meeting: the "after" round comes two hours after it
    mark = await fire_at(bot, clock, helsinki("2026-12-08", "16:00"))
    await private(bot, aino, mark, "Lyhyt kysely ryhmästä Kävelyryhmä")

    async with bot.services.database.transaction() as tx:
        answers = await tx.surveys.answers()
    aino_p, britt_p = (bot.services.pseudonyms.of(p["id"]) for p in (aino, britt))
    assert sorted((a.pseudonym, a.round, a.item, a.value) for a in answers) == sorted(
        [
            (aino_p, "before", "health", 4),
            (aino_p, "before", "quality_of_life", None),
            (aino_p, "before", "coping", 7),
            (aino_p, "before", "loneliness", 2),
            (aino_p, "before", "health_confidence", 8),
            (britt_p, "before", "health", 3),
        ]
    )
