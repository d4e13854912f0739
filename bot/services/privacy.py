"""A person's rights over their data, retention, and the audit log.

- ``my_data``: everything linked to a person, as one JSON file (``/mydata``), after a short
  summary in their language (how many of each kind).
- ``ask_forget`` and ``confirm_forget``: erasure after a confirmation (``/forgetme``). The
  question is a stored request (``erasure_requests``): it names the person, holds for
  ``REQUEST_MINUTES``, and its buttons carry a random token of which only the hash is
  stored. Only that person's press within that time erases them; a newer question
  replaces it, "no" closes it. Any other press (someone else's token, a made-up one, a
  replayed, replaced or expired one) is told the button no longer holds, and nothing
  changes. ``forget``: the same erasure asked by an admin (``kannustin forget USER_ID``).
  The audit log records where it was asked for: the chat or the command line.

  Nothing that holds their Telegram id, name or a link to them stays: what is theirs
  goes; messages to other people that name them are withdrawn if still waiting, and
  otherwise (due, in flight or sent) rewritten without the name; their privileged actions
  in the audit log keep a stand-in for them. What stays in the groups' figures is kept
  under keys no export has shown, one per week and check-in, so nothing links it to them
  or together (``storage/privacy.py: erase``); their events are deleted, or everything
  goes, if the group's organisation chose so. The other instructors of groups they led
  are told that an instructor left, without their name.
- ``sweep``: once a day, expired erasure requests are deleted, groups past their
  organisation's retention period (24 months after the last meeting by default) are made
  anonymous, and people who belong to nothing and have not been in touch for as long are
  forgotten.
- ``audit``: privileged actions, written in the transaction that does them.

On SQLite, deleted rows are overwritten in the file (``secure_delete``) and after an
erasure the write-ahead log is emptied into the file (``Database.truncate_log``), so the
old pages do not outlive the erasure there either.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from bot.clock import Clock
from bot.errors import DomainError
from bot.i18n import Lines, Text, Translator, Words, counted
from bot.payload import AlbumContent, MediaContent, TextContent, content_from_json, content_to_json
from bot.pseudonyms import Pseudonyms
from bot.replies import Button, File, Reply
from bot.runtime.events import EventLog
from bot.services.notices import StaffNotices
from bot.services.people import resolve_language
from bot.tokens import hash_token
from storage import Database, Transaction
from storage.privacy import NamingMessage
from storage.states import AuditAction, AuditChannel, EventErasure, OutboxStatus

log = logging.getLogger(__name__)

FORGET = "pv:forget:"  # + the request's token
KEEP = "pv:keep:"  # + the request's token
TOKEN_BYTES = 16  # 128 random bits: 22 URL-safe characters, 32 bytes of callback data
REQUEST_MINUTES = 15  # how long the question's yes button holds
DEFAULT_RETENTION_MONTHS = 24
EVENT_POLICIES = tuple(policy.value for policy in EventErasure)  # the words, for the CLI
WITHDRAWN = "reason.erased"  # why a message that named an erased person was not sent

# the sections of /mydata, each with its line in the summary (the person's record and an
# open /forgetme question have none)
SECTIONS = {
    "roles": "privacy.mydata-roles",
    "groups": "privacy.mydata-groups",
    "groups_led": "privacy.mydata-groups-led",
    "consents": "privacy.mydata-consents",
    "invitations_used": "privacy.mydata-invitations-used",
    "check_ins": "privacy.mydata-check-ins",
    "buddy_weeks": "privacy.mydata-buddy-weeks",
    "surveys": "privacy.mydata-surveys",
    "survey_answers": "privacy.mydata-survey-answers",
    "tips_requested": "privacy.mydata-tips-requested",
    "weekly_counts": "privacy.mydata-weekly-counts",
    "events": "privacy.mydata-events",
    "messages_to_you": "privacy.mydata-messages-to-you",
    "messages_naming_you": "privacy.mydata-messages-naming-you",
    "drafts": "privacy.mydata-drafts",
    "broadcasts": "privacy.mydata-broadcasts",
    "tips_suggested": "privacy.mydata-tips-suggested",
    "tips_reviewed": "privacy.mydata-tips-reviewed",
    "invitations_made": "privacy.mydata-invitations-made",
    "groups_registered": "privacy.mydata-groups-registered",
    "calendars_set": "privacy.mydata-calendars-set",
    "buddies_made": "privacy.mydata-buddies-made",
    "privileged_actions": "privacy.mydata-privileged-actions",
}


@dataclass(frozen=True)
class Erased:
    """What an erasure removed and kept, for the person (or the admin) to read."""

    found: bool
    groups: int = 0
    consents: int = 0
    survey_answers: int = 0
    records: int = 0  # activity records deleted: events (and check-ins, weeks, if chosen so)
    kept: int = 0  # weekly figures and check-ins kept as counts under stand-ins
    messages: int = 0  # messages to others that named them, withdrawn or rewritten
    links: int = 0  # stored contents whose Telegram mention of them was taken out
    menu: bool = False  # a command menu of their own was set in Telegram (to take back)

    def text(self) -> Text:
        if not self.found:
            return Text("privacy.forget-nothing")
        return Text(
            "privacy.forgotten",
            {
                "groups": Text("privacy.count-groups", {"count": self.groups}),
                "consents": Text("privacy.count-consents", {"count": self.consents}),
                "answers": Text("privacy.count-answers", {"count": self.survey_answers}),
                "records": Text("privacy.count-records", {"count": self.records}),
                "messages": Text("privacy.count-messages", {"count": self.messages}),
                "kept": Text("privacy.count-kept", {"count": self.kept}),
            },
        )


@dataclass(frozen=True)
class Copy:
    """``/mydata``: the summary, then the file."""

    summary: Reply
    file: File


class PrivacyService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        pseudonyms: Pseudonyms,
        events: EventLog,
        *,
        translator: Translator,
        notices: StaffNotices,
        admins: Collection[int] = (),
        menu_taken_back: Callable[[int], None] = lambda _person: None,
    ) -> None:
        self._database = database
        self._menu_taken_back = menu_taken_back
        self._notices = notices
        self._clock = clock
        self._pseudonyms = pseudonyms
        self._events = events
        self._translator = translator
        self._admins = frozenset(admins)
        self._swept_on: dt.date | None = None

    async def my_data(self, person_id: int) -> Copy | Reply:
        """/mydata: how many of each kind is stored about the person, and everything as a
        UTF-8 JSON file named by today's date; or that nothing is stored about them."""
        pseudonym = self._pseudonyms.of(person_id)
        await self._events.flush()
        async with self._database.transaction() as tx:
            data = await tx.privacy.personal_data(person_id, pseudonym)
        if not any(data.values()):
            return Reply.of("privacy.mydata-none")
        for section in ("messages_to_you", "drafts", "broadcasts", "tips_suggested"):
            for row in data[section]:
                row["content"] = readable(row["content"])
        document = {
            "about": "Kannustin: everything stored about you",
            "made_at": self._clock.now().isoformat(timespec="seconds"),
            "pseudonym": pseudonym,
            **data,
        }
        encoded = json.dumps(document, ensure_ascii=False, indent=2, default=str)
        day = self._clock.now().date().isoformat()
        counts: list[Words] = [
            Lines((Text(key), f": {len(data[section])}"), sep="")
            for section, key in SECTIONS.items()
            if data[section]
        ]
        return Copy(
            Reply(Lines((Text("privacy.mydata-summary"), *counts))),
            File(
                encoded.encode(),
                f"kannustin-mydata-{day}.json",
                Text("privacy.mydata-caption", {"events": len(data["events"])}),
            ),
        )

    async def ask_forget(self, person_id: int) -> Reply:
        """The question before an erasure: a new request of the person's (replacing any
        older one), whose buttons carry its token; yes holds for ``REQUEST_MINUTES``."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        now = self._clock.now()
        async with self._database.transaction() as tx:
            await tx.erasure_requests.open(
                person_id, hash_token(token), now, now + dt.timedelta(minutes=REQUEST_MINUTES)
            )
        return Reply(
            Text("privacy.forget-ask", {"minutes": REQUEST_MINUTES}),
            (
                (Button(Text("privacy.forget-yes"), f"{FORGET}{token}"),),
                (Button(Text("privacy.forget-no"), f"{KEEP}{token}"),),
            ),
        )

    async def confirm_forget(self, person_id: int, data: str, *, in_private: bool) -> Reply:
        """The yes button: erases the presser only if its token is the presser's own open
        request, in time, pressed in their private chat; the request is used up with the
        erasure. Anything else (another's token, a made-up, replaced, declined, expired or
        already used one) raises: the person is told the button no longer holds, and
        nothing changes."""
        token_hash = hash_token(data.removeprefix(FORGET))
        await self._events.flush()  # what they did so far counts in the weekly figures
        async with self._database.transaction() as tx:
            request = await tx.erasure_requests.get(token_hash)
            if (
                not in_private
                or request is None
                or request.person_id != person_id
                or self._clock.now() >= request.expires_at
                or not await tx.erasure_requests.close(token_hash)
            ):
                raise DomainError("privacy.forget-expired")
            erased = await self._forget(tx, person_id, channel=AuditChannel.CHAT)
        await self._forgotten(person_id, erased, AuditChannel.CHAT)
        return Reply(erased.text())

    async def keep(self, person_id: int, data: str) -> Reply:
        """The no button: the presser's request is closed and nothing is erased. A token
        that is not the presser's open request (a replaced or used question, forged data)
        closes nothing: it raises, and the person is told that nothing was erased."""
        token_hash = hash_token(data.removeprefix(KEEP))
        async with self._database.transaction() as tx:
            request = await tx.erasure_requests.get(token_hash)
            if request is None or request.person_id != person_id:
                raise DomainError("privacy.forget-kept")
            await tx.erasure_requests.close(token_hash)
        return Reply.of("privacy.forget-kept")

    async def forget(self, person_id: int) -> Erased:
        """``kannustin forget``: erase the person, asked by an admin on the command line."""
        await self._events.flush()  # what they did so far counts in the weekly figures
        async with self._database.transaction() as tx:
            erased = await self._forget(tx, person_id, channel=AuditChannel.COMMAND_LINE)
        await self._forgotten(person_id, erased, AuditChannel.COMMAND_LINE)
        return erased

    async def _forget(self, tx: Transaction, person_id: int, *, channel: AuditChannel) -> Erased:
        """The erasure and its audit entry, in the caller's transaction. The entry's actor
        is the command line (0) or the person, and then, like their other privileged
        actions, the stand-in ``-entry``: the log never holds their id."""
        known = await tx.people.get(person_id) is not None
        erased = await self._erase(tx, person_id, known=known)
        if erased.found:
            own = channel == AuditChannel.CHAT
            entry = await tx.audit.add(
                self._clock.now(),
                person_id if own else 0,
                AuditAction.ERASE,
                "person (own request)" if own else "person (by an admin)",
                channel,
                groups=erased.groups,
                consents=erased.consents,
                survey_answers=erased.survey_answers,
                records=erased.records,
                kept=erased.kept,
                messages=erased.messages,
                mentions=erased.links,
            )
            await tx.audit.replace_actor(person_id, -entry)
        return erased

    async def _forgotten(self, person_id: int, erased: Erased, channel: AuditChannel) -> None:
        """After the erasure's commit: the old pages leave the SQLite log too, and a menu
        of their own is taken back from Telegram (the record of it is gone with them)."""
        await self._database.truncate_log()
        if erased.menu:
            self._menu_taken_back(person_id)
        if erased.found:
            log.info("a person was erased (channel: %s)", channel)

    async def _erase(self, tx: Transaction, person_id: int, *, known: bool) -> Erased:
        """The erasure itself, in the caller's transaction (``forget``, retention)."""
        pseudonym = self._pseudonyms.of(person_id)
        self._events.discard(pseudonym)
        now = self._clock.now()
        messages = await self._unname(tx, person_id)
        links = await tx.privacy.drop_text_mentions(person_id)
        menu = await tx.menus.has(person_id)
        policies = await tx.privacy.event_policies(person_id, pseudonym)
        led = await tx.groups.led_by(person_id)
        removed = await tx.privacy.erase(
            person_id,
            pseudonym,
            now,
            delete_in={
                group for group, policy in policies.items() if policy == EventErasure.DELETE
            },
            never_counted=person_id in self._admins,
        )
        for group in led:  # its other instructors hear that one left, not who
            await self._notices.instructor_left(tx, group, person_id, None)
        return Erased(
            found=known or messages > 0 or links > 0 or any(removed.values()),
            groups=removed["group_participants"] + removed["group_instructors"],
            consents=removed["consents"],
            survey_answers=removed["survey_answers"],
            records=removed["events"] + removed["check_ins"],
            kept=removed["weeks_kept"] + removed["check_ins_kept"],
            messages=messages,
            links=links,
            menu=menu,
        )

    async def _unname(self, tx: Transaction, person_id: int) -> int:
        """Messages to other people that name the person: still waiting, withdrawn; due,
        in flight or sent, rewritten without their name and link. Returns how many."""
        known = await tx.privacy.names_of(person_id)
        now = self._clock.now()
        changed = 0
        for row in await tx.privacy.messages_naming(person_id):
            names = known | ({row.name} if row.name else set())
            content = without_person(
                row.content,
                person_id,
                names,
                self._translator.text(await self._language_of(tx, row), "privacy.erased-name"),
            )
            if content == row.content and not row.recorded:
                continue  # an older celebration of someone else
            waiting = row.status == OutboxStatus.PENDING and row.due_at > now
            await tx.privacy.rewrite_message(
                row.id, content, withdraw=WITHDRAWN if waiting else None, now=now
            )
            changed += 1
        return changed

    async def _language_of(self, tx: Transaction, row: NamingMessage) -> str:
        """The language a message was written in: its group's, or its reader's."""
        group = await tx.groups.get(row.group_id) if row.group_id is not None else None
        if group is not None and group.chat_id == row.chat_id:
            return group.language
        person = await tx.people.get(row.chat_id)
        fallback = group.language if group is not None else self._translator.default
        return resolve_language(person, None, fallback)

    async def sweep(self) -> None:
        """The daily retention job (a chore of the scheduler's sweep, doing its work at
        most once a day)."""
        today = self._clock.now().date()
        if self._swept_on == today:
            return
        async with self._database.transaction() as tx:
            await tx.erasure_requests.drop_expired(self._clock.now())
        await self.apply_retention()
        self._swept_on = today

    async def apply_retention(self) -> dict[str, int]:
        now = self._clock.now()
        totals = {"groups": 0, "people": 0}
        async with self._database.transaction() as tx:
            for group in await tx.privacy.expired_groups(now):
                removed = await tx.privacy.anonymise_group(group, now)
                await tx.audit.add(now, None, AuditAction.RETENTION, f"group {group.id}", **removed)
                totals["groups"] += 1
            before = now - dt.timedelta(days=round(DEFAULT_RETENTION_MONTHS * 30.44))
            forgotten = await tx.privacy.strangers(before)
            for person_id in forgotten:
                await self._erase(tx, person_id, known=True)
            totals["people"] = len(forgotten)
            if forgotten:
                entry = await tx.audit.add(
                    now, None, AuditAction.RETENTION, "people", forgotten=len(forgotten)
                )
                for person_id in forgotten:
                    await tx.audit.replace_actor(person_id, -entry)
        if any(totals.values()):
            await self._database.truncate_log()
            log.info(
                "retention: %s made anonymous, %s forgotten",
                counted(totals["groups"], "group"),
                counted(totals["people"], "person", "people"),
            )
        return totals


def without_person(raw: str, person_id: int, names: Collection[str], stand_in: str) -> str:
    """A stored message content with every one of ``names`` replaced by ``stand_in`` (also
    inside a longer word: the name must go, whatever the grammar around it) and no button
    linking to the person; a content that cannot be read becomes the stand-in."""
    link = f"tg://user?id={person_id}"
    pattern = re.compile(
        "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True) if name)
        or r"(?!)"
    )

    def clean(text: str) -> str:
        return pattern.sub(stand_in, text)

    try:
        content = content_from_json(raw)
    except (ValueError, DomainError):
        return content_to_json(TextContent(text=stand_in))
    if isinstance(content, TextContent):
        text = clean(content.text)
        buttons = [
            [button.model_copy(update={"text": clean(button.text)}) for button in row]
            for row in content.buttons
        ]
        return content_to_json(
            TextContent(
                text=text,
                # a changed text shifts the entities' offsets: the formatting goes with them
                entities=content.entities if text == content.text else [],
                buttons=[kept for row in buttons if (kept := [b for b in row if b.url != link])],
            )
        )
    if isinstance(content, MediaContent):
        return content_to_json(_media_without(content, clean))
    return content_to_json(
        AlbumContent(items=[_media_without(item, clean) for item in content.items])
    )


def _media_without(content: MediaContent, clean: Callable[[str], str]) -> MediaContent:
    if content.caption is None:
        return content
    caption = clean(content.caption)
    if caption == content.caption:
        return content
    return content.model_copy(update={"caption": caption, "caption_entities": []})


def readable(raw: str) -> dict[str, Any] | str:
    """A stored message content as a person reads it: its kind and words (file ids mean
    nothing to them)."""
    try:
        content = content_from_json(raw)
    except (ValueError, DomainError):
        return raw
    if isinstance(content, TextContent):
        shown: dict[str, Any] = {"kind": "text", "text": content.text}
        labels = [button.text for row in content.buttons for button in row]
        return {**shown, "buttons": labels} if labels else shown
    if isinstance(content, MediaContent):
        return {"kind": content.kind, "caption": content.caption}
    return {"kind": "album", "items": [readable(item.model_dump_json()) for item in content.items]}
