"""Group kinds (issue 22): a peer-support group (as before) or a co-development group,
set with ``/group N kind``. A co-development group gets no weekly action plan unless an
instructor turns it on (``/group N plans on``); the kind and the plan show on the group's
settings card in the instructor's language; a kind the bot does not know changes nothing."""

from __future__ import annotations

from bot.clock import FixedClock
from testing.harness import RunningBot
from tests.test_e2e_checkins import fire_at, helsinki, private, sent_since, walking_group


async def test_a_co_development_group_has_no_weekly_plan_unless_turned_on(
    bot: RunningBot, clock: FixedClock
) -> None:
    ilkka, group, (aino, britt, _) = await walking_group(bot)
    stored = await bot.services.groups.by_chat(group.id)
    assert stored is not None
    number = stored.id

    card = await bot.say(ilkka, f"/group {number}")
    assert "Laji: vertaistukiryhmä\nViikkosuunnitelma: käytössä\n" in (card.text or "")

    # a kind the bot does not know: told which there are, nothing changes
    refused = await bot.say(ilkka, f"/group {number} laji kerho")
    assert refused.text == (
        "En tunne ryhmän lajia kerho. Laji on vertais (vertaistukiryhmä) tai kehittäminen "
        "(yhteiskehittämisen ryhmä)."
    )
    refused = await bot.say(ilkka, f"/group {number} suunnitelma ehkä")
    assert (
        refused.text
        == "Viikkosuunnitelma on päälle tai pois, esimerkiksi: /group 3 suunnitelma pois"
    )
    unchanged = await bot.services.groups.by_chat(group.id)
    assert unchanged == stored

    # a participant may not change it
    refused = await bot.say(aino, f"/group {number} laji kehittäminen")
    assert "kehittämisen ryhmä" not in (refused.text or "")
    assert await bot.services.groups.by_chat(group.id) == stored

    # co-development: the weekly plan is off by default
    card = await bot.say(ilkka, f"/group {number} laji kehittäminen")
    assert "Laji: yhteiskehittämisen ryhmä\nViikkosuunnitelma: ei käytössä\n" in (card.text or "")
    changed = await bot.services.groups.by_chat(group.id)
    assert changed is not None and (changed.kind, changed.weekly_plans) == ("codev", None)
    stats = await bot.say(ilkka, f"/stats {number}")
    assert (stats.text or "").startswith("📊 Kävelyryhmä (yhteiskehittämisen ryhmä): viikoittain")
    listed = await bot.say(ilkka, "/groups")
    assert f"#{number} Kävelyryhmä (toiminnassa, yhteiskehittämisen ryhmä)\n" in (listed.text or "")

    # the evening before, the group is reminded of its workshop
    mark = await fire_at(bot, clock, helsinki("2026-11-30", "18:00"))
    reminders = [call.text or "" for call in sent_since(bot.emulator, mark, group.id)]
    assert [text[:56] for text in reminders] == [
        "Muistutus: huomenna on ryhmän työpaja (1/2), ti 1.12. 14"
    ]

    # Tuesday's workshop ends: nobody is invited to a weekly plan
    mark = await fire_at(bot, clock, helsinki("2026-12-01", "16:00"))
    for person in (aino, britt):
        assert not [
            call
            for call in sent_since(bot.emulator, mark, person["id"])
            if "suunnitelma" in (call.text or "") or "plan" in (call.text or "")
        ]

    # turned on for this group: the next week's plan comes as in a peer-support group
    card = await bot.say(ilkka, f"/group {number} suunnitelma päälle")
    assert "Viikkosuunnitelma: käytössä\n" in (card.text or "")
    mark = await fire_at(bot, clock, helsinki("2026-12-08", "16:00"))
    await private(bot, aino, mark, "Tämän viikon pieni suunnitelma (Kävelyryhmä)")


async def test_a_co_development_groups_season_ends_in_the_ideas_loop(
    bot: RunningBot, clock: FixedClock
) -> None:
    """After the last workshop the group is thanked and promised news of its ideas; once a
    month its instructor is reminded, in private, to send that news with /broadcast; the
    group gets no check-in of its own."""
    emulator = bot.emulator
    ilkka, group, _ = await walking_group(bot)
    stored = await bot.services.groups.by_chat(group.id)
    assert stored is not None
    await bot.say(ilkka, f"/group {stored.id} laji kehittäminen")

    mark = await fire_at(bot, clock, helsinki("2026-12-08", "16:00"))  # the last workshop
    assert [call.text for call in sent_since(emulator, mark, group.id)] == [
        "Työpajat ovat nyt päättyneet. Kiitos jokaiselle ideoista ja ajasta! Kerromme tässä "
        "ryhmässä, mitä ideoillenne tapahtuu."
    ]
    notice = await private(bot, ilkka, mark, "Ryhmän Kävelyryhmä työpajat (kausi 1) päättyivät")
    assert "kerran kuukaudessa" in (notice.text or "")
    async with bot.services.database.transaction() as tx:
        season = await tx.seasons.current(stored.id)
    assert season is not None and season.after_rhythm == "monthly"

    # a week on: nothing; four weeks after the last workshop: the instructor is reminded
    mark = await fire_at(bot, clock, helsinki("2026-12-15", "14:00"))
    assert sent_since(emulator, mark, group.id) == []
    assert sent_since(emulator, mark, ilkka["id"]) == []
    mark = await fire_at(bot, clock, helsinki("2027-01-05", "14:00"))
    assert sent_since(emulator, mark, group.id) == []  # no check-in of its own
    reminder = await private(bot, ilkka, mark, "Aika kertoa ryhmälle Kävelyryhmä")
    assert "/broadcast" in (reminder.text or "")
    mark = await fire_at(bot, clock, helsinki("2027-01-05", "14:10"))
    assert sent_since(emulator, mark, ilkka["id"]) == []  # once
