"""People, roles and groups over real HTTP: the chain from admin to a greeted group, strangers,
kicks, migrations, members, settings and consent."""

from __future__ import annotations

import datetime as dt
import re

from bot.services.groups import MIGRATION_GRACE
from emulator import ApiCall, BotApiEmulator, Chat
from handlers.groups import UNCLAIMED_JOB
from testing.harness import RunningBot

ADMIN_ID = 1000  # the bot fixture's KANNUSTIN_ADMINS


async def check_unclaimed_supergroups(bot: RunningBot) -> None:
    """What the supergroup check does when its job fires (the job is due on the wall clock;
    the bot's clock is the test's)."""
    queue = bot.app.job_queue
    assert queue is not None
    jobs = queue.get_jobs_by_name(UNCLAIMED_JOB)
    assert jobs, "no supergroup check is planned"
    for job in jobs:
        await job.run(bot.app)


def payload_in(reply: ApiCall) -> str:
    assert reply.text is not None
    match = re.search(r"https://t\.me/kannustin_test_bot\?start=([A-Za-z0-9_-]+)", reply.text)
    assert match is not None, reply.text
    return match[1]


async def test_admin_to_coordinator_to_instructor_to_greeted_group(bot: RunningBot) -> None:
    emulator = bot.emulator
    aada = emulator.user(ADMIN_ID, "Aada")
    kaisa = emulator.user(2000, "Kaisa")
    ilkka = emulator.user(3000, "Ilkka")

    created = await bot.say(aada, "/neworg Espoon kaupunki")
    assert created.text is not None
    assert created.text.startswith("Organisaatio Espoon kaupunki luotu (numero 1).")
    welcome = await bot.say(kaisa, f"/start {payload_in(created)}")
    assert welcome.text == (
        "Tervetuloa! Olet nyt organisaation Espoon kaupunki koordinaattori. "
        "Kirjoita /help, niin näet komentosi."
    )
    coordinator_help = await bot.say(kaisa, "/help")
    assert "/invite - Kutsu ohjaaja tai koordinaattori" in (coordinator_help.text or "")
    assert "/neworg" not in (coordinator_help.text or "")

    invitation = await bot.say(kaisa, "/invite ohjaaja")
    assert (invitation.text or "").startswith("Kutsulinkki: ohjaaja, organisaatio Espoon kaupunki.")
    joined = await bot.say(ilkka, f"/start {payload_in(invitation)}")
    assert (joined.text or "").startswith(
        "Tervetuloa! Olet nyt organisaation Espoon kaupunki ohjaaja."
    )

    group = emulator.group(-100, "Kävelyryhmä")
    mark = emulator.mark()
    await emulator.bot_added(ilkka, group, admin=True)
    greeting = await emulator.wait_for("sendMessage", chat_id=group.id, after=mark)
    assert (greeting.text or "").startswith("Hei kaikki! Olen Kannustin")
    assert "Viestienne sisältöä en tallenna koskaan, paitsi julkaisun, jonka joku itse" in (
        greeting.text or ""
    )
    assert "/privacy" in (greeting.text or "")
    registered = await bot.services.groups.by_chat(group.id)
    assert registered is not None and registered.join_code is not None
    assert re.fullmatch(r"[A-Za-z0-9_-]{12}", registered.join_code)
    # the button answers with the group's current start link when pressed
    assert greeting.buttons() == [("Avaa Kannustin", "consent:join")]
    opened = await bot.press(ilkka, greeting.result, "consent:join")
    assert opened.params["url"] == (
        f"https://t.me/kannustin_test_bot?start=consent_{registered.join_code}"
    )

    ilkkas = await bot.say(ilkka, "/groups")
    kaisas = await bot.say(kaisa, "/groups")
    entry = "#1 Kävelyryhmä (toiminnassa, vertaistukiryhmä)\nOhjaajat: Ilkka\nOsallistujia: 0"
    assert entry in (ilkkas.text or "")
    assert entry in (kaisas.text or "")


async def test_a_strangers_group_is_left_and_nothing_is_stored(bot: RunningBot) -> None:
    emulator = bot.emulator
    mallory = emulator.user(66, "Mallory", language_code="en")
    group = emulator.group(-200, "Random chat")
    mark = emulator.mark()

    await emulator.bot_added(mallory, group)
    notice = await emulator.wait_for("sendMessage", chat_id=group.id, after=mark)
    left = await emulator.wait_for("leaveChat", chat_id=group.id, after=mark)

    assert notice.text == (
        "Hello! Only a registered instructor can add me to a group. "
        "I am leaving now and have stored nothing about this group."
    )
    assert left.ok
    assert await bot.services.groups.by_chat(group.id) is None
    await emulator.send_text(mallory, "anyone?", chat=group)
    await bot.handled_everything()
    assert await bot.services.groups.by_chat(group.id) is None


async def test_without_admin_rights_the_adder_is_told_how_to_fix_it(bot: RunningBot) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="en")
    await bot.make_staff(ilkka)
    group = emulator.group(-100, "Chair yoga")
    mark = emulator.mark()

    await emulator.bot_added(ilkka, group, admin=False)
    advice = await emulator.wait_for("sendMessage", chat_id=ilkka["id"], after=mark)

    assert (advice.text or "").startswith(
        "The group Chair yoga is registered. One more thing: make me"
    )
    stored = await bot.services.groups.by_chat(group.id)
    assert stored is not None and not stored.bot_is_admin


async def test_kicked_group_goes_quiet_and_its_instructor_brings_it_back(bot: RunningBot) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="en")
    mallory = emulator.user(66, "Mallory", language_code="en")
    group = await bot.registered_group(ilkka)
    original = await bot.services.groups.by_chat(group.id)
    assert original is not None

    await emulator.bot_removed(ilkka, group, kicked=True)
    await emulator.wait_for(  # its instructor is told (tests/test_e2e_notices.py)
        "sendMessage",
        chat_id=ilkka["id"],
        where=lambda c: (c.text or "").startswith("I was removed from the group"),
    )
    kicked = await bot.services.groups.by_chat(group.id)
    assert kicked is not None and kicked.status == "inactive"
    listed = (await bot.say(ilkka, "/groups")).text or ""
    assert "(bot removed from the group, peer-support group)" in listed

    mark = emulator.mark()
    await emulator.bot_added(mallory, group)
    await emulator.wait_for("leaveChat", chat_id=group.id, after=mark)
    still = await bot.services.groups.by_chat(group.id)
    assert still is not None and still.status == "inactive"

    group.bot_status = "left"
    mark = emulator.mark()
    await emulator.bot_added(ilkka, group, admin=True)
    greeting = await emulator.wait_for("sendMessage", chat_id=group.id, after=mark)
    assert (greeting.text or "").startswith("Hello everyone!")
    back = await bot.services.groups.by_chat(group.id)
    assert back is not None and back.status == "active" and back.id == original.id


async def test_a_group_that_becomes_a_supergroup_keeps_its_record(bot: RunningBot) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="en")
    group = await bot.registered_group(ilkka)
    before = await bot.services.groups.by_chat(group.id)
    assert before is not None

    supergroup = await emulator.migrate_to_supergroup(group, -1001234, by=ilkka)
    await bot.handled_everything()

    after = await bot.services.groups.by_chat(supergroup.id)
    assert after is not None and after.id == before.id
    assert await bot.services.groups.by_chat(group.id) is None
    card = await bot.say(ilkka, "/group", chat=supergroup)
    assert (card.text or "").startswith(f"Group #{before.id}: Walking group")


async def test_members_joining_writing_and_leaving_are_counted(bot: RunningBot) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="en")
    group = await bot.registered_group(ilkka)
    aino, britt = emulator.user(1, "Aino"), emulator.user(2, "Britt")

    await emulator.member_joined(aino, group)
    await emulator.send_text(britt, "Hei kaikki!", chat=group)
    await emulator.send_text(ilkka, "Tervetuloa!", chat=group)  # instructors are not counted
    await bot.handled_everything()
    assert "Participants: 2" in ((await bot.say(ilkka, "/groups")).text or "")

    await emulator.member_left(aino, group)
    await bot.handled_everything()
    assert "Participants: 1" in ((await bot.say(ilkka, "/groups")).text or "")


async def test_participant_consents_and_withdraws(bot: RunningBot) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="en")
    group = await bot.registered_group(ilkka)
    stored = await bot.services.groups.by_chat(group.id)
    assert stored is not None and stored.organisation_id is not None
    aino = emulator.user(1, "Aino")
    await emulator.send_text(aino, "Moi!", chat=group)

    notice = await bot.say(aino, f"/start consent_{stored.join_code}")
    assert (notice.text or "").startswith("Tietosuoja\n\nKannustin tallentaa:")
    assert "Tiedoista vastaa: Espoo. Yhteystieto: kysy ryhmäsi ohjaajalta." in (notice.text or "")
    assert notice.buttons() == [("Hyväksyn", f"consent:give:{stored.organisation_id}")]

    mark = emulator.mark()
    await bot.press(aino, notice.result, f"consent:give:{stored.organisation_id}")
    thanks = await emulator.wait_for("editMessageText", chat_id=1, after=mark)
    assert (thanks.text or "").startswith("Kiitos! Suostumuksesi (Espoo) on tallennettu.")
    assert await bot.services.consent.has_consent(1, stored.organisation_id)

    status = await bot.say(aino, "/consent")
    assert (status.text or "").endswith("Olet antanut suostumuksesi.")
    mark = emulator.mark()
    await bot.press(aino, status.result, f"consent:withdraw:{stored.organisation_id}")
    withdrawn = await emulator.wait_for("editMessageText", chat_id=1, after=mark)
    assert (withdrawn.text or "").startswith("Suostumuksesi (Espoo) on peruttu.")
    assert not await bot.services.consent.has_consent(1, stored.organisation_id)


async def test_coordinators_privacy_contact_reaches_the_notice(bot: RunningBot) -> None:
    emulator = bot.emulator
    kaisa = emulator.user(2000, "Kaisa", language_code="en")
    await bot.make_staff(kaisa, "coordinator")
    ilkka = emulator.user(3000, "Ilkka", language_code="en")
    group = await bot.registered_group(ilkka)

    confirmed = await bot.say(kaisa, "/orgcontact Espoo city, privacy@espoo.example")
    in_group = await bot.say(emulator.user(1, "Aino"), "/privacy", chat=group)

    assert (
        confirmed.text == "The privacy contact of Espoo is now: Espoo city, privacy@espoo.example"
    )
    assert "Responsible for the data: Espoo. Contact: Espoo city, privacy@espoo.example." in (
        in_group.text or ""
    )
    # the greeting's button comes with it: the way to the group's current link
    assert in_group.buttons() == [("Open Kannustin", "consent:join")]


async def test_group_settings_change_only_for_those_who_manage_it(bot: RunningBot) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="en")
    group = await bot.registered_group(ilkka)
    aino = emulator.user(1, "Aino", language_code="en")

    card = await bot.say(ilkka, "/group", chat=group)
    assert (card.text or "").startswith("Group #1: Walking group")
    assert card.buttons() == [
        ("Suomi", "grp:lang:1:fi"),
        ("Svenska", "grp:lang:1:sv"),
        ("✓ English", "grp:lang:1:en"),
    ]

    refused = await bot.press(aino, card.result, "grp:lang:1:sv")
    assert (refused.params.get("text") or "").startswith("You cannot manage this group.")
    unchanged = await bot.services.groups.by_chat(group.id)
    assert unchanged is not None and unchanged.language == "en"  # the adder's language

    await bot.press(ilkka, card.result, "grp:lang:1:sv")
    changed = await bot.services.groups.by_chat(group.id)
    assert changed is not None and changed.language == "sv"

    renamed = await bot.say(ilkka, "/group 1 name Tuesday walkers")
    assert (renamed.text or "").startswith("Group #1: Tuesday walkers")
    bad_zone = await bot.say(ilkka, "/group 1 timezone Mars/Olympus")
    assert (
        bad_zone.text
        == "I do not know the time zone Mars/Olympus. Use a name like Europe/Helsinki."
    )
    not_theirs = await bot.say(aino, "/group 1 name Hacked")
    assert (not_theirs.text or "").startswith("This is for instructors and coordinators.") or (
        not_theirs.text or ""
    ).startswith("You cannot manage this group.")
    final = await bot.services.groups.by_chat(group.id)
    assert final is not None and final.display_name == "Tuesday walkers"


async def test_privileged_commands_are_refused_plainly(bot: RunningBot) -> None:
    emulator = bot.emulator
    aino = emulator.user(1, "Aino", language_code="en")

    replies = [
        await bot.say(aino, command)
        for command in (
            "/neworg Evil Corp",
            "/invite coordinator",
            "/invites",
            "/groups",
            "/orgcontact x@y.z",
        )
    ]

    assert [reply.text for reply in replies] == [
        "Only an admin can do this.",
        "Only an admin can do this.",
        "This is for instructors and coordinators. If you are an instructor, ask your "
        "coordinator for an invitation link.",
        "This is for instructors and coordinators. If you are an instructor, ask your "
        "coordinator for an invitation link.",
        "Only a coordinator can do this.",
    ]
    assert await bot.services.organisations.all() == []


async def test_open_invitations_can_be_revoked_from_the_list(bot: RunningBot) -> None:
    emulator = bot.emulator
    kaisa = emulator.user(2000, "Kaisa", language_code="en")
    await bot.make_staff(kaisa, "coordinator")
    made = await bot.say(kaisa, "/invite instructor x3")
    assert "uses 3" in (made.text or "")

    listing = await bot.say(kaisa, "/invites")
    assert listing.buttons() == [("Revoke invitation #2", "inv:revoke:2")]
    mark = emulator.mark()
    answer = await bot.press(kaisa, listing.result, "inv:revoke:2")
    assert answer.params["text"] == "Invitation #2 has been revoked. The link no longer works."
    await emulator.wait_for("sendMessage", chat_id=2000, after=mark)

    late = await bot.say(emulator.user(5, "Late", language_code="en"), f"/start {payload_in(made)}")
    assert late.text == "This invitation has been revoked. Ask for a new one if you need it."
    assert (await bot.say(kaisa, "/invites")).text == "There are no open invitations."


async def test_an_admin_without_organisation_picks_one_for_a_new_group(bot: RunningBot) -> None:
    emulator = bot.emulator
    aada = emulator.user(ADMIN_ID, "Aada", language_code="en", started=True)
    await bot.services.organisations.create(None, "Espoo")
    await bot.services.organisations.create(None, "Vantaa")
    group = emulator.group(-300, "Admins' test group")
    mark = emulator.mark()

    await emulator.bot_added(aada, group, admin=True)
    waiting = await emulator.wait_for("sendMessage", chat_id=group.id, after=mark)
    question = await emulator.wait_for("sendMessage", chat_id=ADMIN_ID, after=mark)
    assert (waiting.text or "").startswith(
        "Hello! The Kannustin admin is choosing which organisation"
    )
    assert [label for label, _ in question.buttons()] == ["Espoo", "Vantaa"]

    mark = emulator.mark()
    await bot.press(aada, question.result, question.buttons()[1][1])
    greeting = await emulator.wait_for("sendMessage", chat_id=group.id, after=mark)
    assert (greeting.text or "").startswith("Hello everyone!")
    stored = await bot.services.groups.by_chat(group.id)
    assert stored is not None and stored.status == "active" and stored.organisation_id == 2


def _unused(_: BotApiEmulator, __: Chat) -> None:
    """(keeps the imports honest for type checkers)"""


async def test_consent_needs_membership_and_can_be_withdrawn_after_leaving(bot: RunningBot) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="en")
    group = await bot.registered_group(ilkka)
    stored = await bot.services.groups.by_chat(group.id)
    assert stored is not None and stored.organisation_id is not None
    org = stored.organisation_id
    mallory = emulator.user(66, "Mallory", language_code="en")
    aino = emulator.user(1, "Aino", language_code="en")

    guessed = await bot.say(mallory, "/start consent_1")
    assert (guessed.text or "").startswith("This group link is out of date.")
    forged = await bot.press(mallory, guessed.result, f"consent:give:{org}")
    assert (forged.params.get("text") or "").startswith(
        "Only a member of one of the organisation's"
    )
    assert not await bot.services.consent.has_consent(66, org)

    emulator.add_member(aino, group)  # she is in the chat: the link makes her a participant
    notice = await bot.say(aino, f"/start consent_{stored.join_code}")
    await bot.press(aino, notice.result, f"consent:give:{org}")
    await emulator.member_left(aino, group)
    await bot.handled_everything()
    assert await bot.services.consent.has_consent(1, org)

    status = await bot.say(aino, "/consent")
    assert status.buttons() == [("Withdraw consent", f"consent:withdraw:{org}")]
    mark = emulator.mark()
    await bot.press(aino, status.result, f"consent:withdraw:{org}")
    await emulator.wait_for("editMessageText", chat_id=1, after=mark)
    assert not await bot.services.consent.has_consent(1, org)


async def test_upgrading_to_a_supergroup_keeps_the_bot_whoever_upgrades(bot: RunningBot) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="en")
    group = await bot.registered_group(ilkka)
    aino = emulator.user(1, "Aino", language_code="en")
    before = await bot.services.groups.by_chat(group.id)
    assert before is not None

    # Telegram's order: the bot "joins" the new supergroup (from the participant who
    # upgraded it), then the migration notices arrive.
    supergroup = Chat(id=-100777, type="supergroup", title=group.title, bot_status="left")
    emulator.chats[supergroup.id] = supergroup
    await emulator.bot_added(aino, supergroup, admin=True)
    await emulator.migrate_to_supergroup(group, supergroup.id, by=aino, into=supergroup)
    await bot.handled_everything()
    bot.clock.advance(MIGRATION_GRACE + dt.timedelta(seconds=0.5))
    await check_unclaimed_supergroups(bot)

    after = await bot.services.groups.by_chat(supergroup.id)
    assert after is not None and after.id == before.id
    assert [c for c in emulator.calls if c.method == "leaveChat"] == []


async def test_a_strangers_supergroup_is_left_when_no_migration_claims_it(bot: RunningBot) -> None:
    emulator = bot.emulator
    mallory = emulator.user(66, "Mallory", language_code="en")
    supergroup = emulator.group(-100888, "Random chat", supergroup=True)
    await emulator.bot_added(mallory, supergroup, admin=True)
    await bot.handled_everything()

    # within the grace a migration notice may still come: nothing is said yet
    bot.clock.advance(MIGRATION_GRACE - dt.timedelta(seconds=1))
    await check_unclaimed_supergroups(bot)
    assert [c for c in emulator.calls if c.chat_id == supergroup.id] == []

    bot.clock.advance(dt.timedelta(seconds=1))
    mark = emulator.mark()
    await check_unclaimed_supergroups(bot)
    said = await emulator.wait_for("sendMessage", chat_id=supergroup.id, after=mark)
    assert (said.text or "").startswith("Hello! Only a registered instructor can add me")
    await emulator.wait_for("leaveChat", chat_id=supergroup.id, after=mark)
    assert await bot.services.groups.by_chat(supergroup.id) is None
    assert await bot.services.people.get(66) is None


async def test_nothing_is_stored_about_a_strangers_group(bot: RunningBot) -> None:
    emulator = bot.emulator
    mallory = emulator.user(66, "Mallory", language_code="en")
    group = emulator.group(-200, "Random chat")
    await emulator.bot_added(mallory, group, admin=True)
    await emulator.wait_for("leaveChat", chat_id=group.id)
    group.bot_status = "member"  # suppose Telegram still delivered something
    await emulator.send_text(mallory, "/help", chat=group)
    await bot.handled_everything()

    assert await bot.services.people.get(66) is None
    assert await bot.services.groups.by_chat(group.id) is None


async def test_other_organisations_see_nothing_of_ours(bot: RunningBot) -> None:
    emulator = bot.emulator
    ilkka = emulator.user(3000, "Ilkka", language_code="en")
    await bot.registered_group(ilkka)
    vera = emulator.user(4000, "Vera", language_code="en")
    await bot.make_staff(vera, "coordinator", organisation="Vantaa")
    await bot.say(ilkka, "/invite instructor 1")

    assert (await bot.say(vera, "/groups")).text == (
        "You have no groups yet. Add me to your group's Telegram group and it is registered."
    )
    assert (await bot.say(vera, "/invites")).text == "There are no open invitations."
    refused = await bot.say(vera, "/group 1")
    assert (refused.text or "").startswith("You cannot manage this group.")
