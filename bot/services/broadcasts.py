"""Broadcasts: instructors (and coordinators, admins, the command line) send content to
groups now or later. Everything goes through the outbox, written in the same transaction
as the broadcast itself. The composing conversation in the private chat (content, groups,
preview, now or later), /scheduled and /broadcasts say what they say from here.

What happens next is decided here too, from the outbox sender's reports
(``BroadcastDeliveries``, hooked to the sender in ``bot/runtime/wiring.py``):

- a scheduled broadcast is ``sending`` once the sender takes the rows due at its time;
- each delivery to a group is logged as an engagement event (``broadcast-delivered``);
- when the last row of a broadcast is final (sent or failed), the broadcast is ``done``
  and its sender gets a delivery report through the outbox: delivered to N of M, and each
  failure in words. The report is written after the row's fate is committed, in its own
  transaction, so a failing report never undoes a delivery.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Collection, Hashable, Mapping
from dataclasses import dataclass, field

from bot.clock import Clock
from bot.dates import groups_words
from bot.errors import DomainError
from bot.i18n import Lines, PerLanguage, Text, Translator, Words
from bot.payload import (
    TEXT_LIMIT,
    AlbumContent,
    MediaContent,
    TextContent,
    content_from_json,
    content_to_json,
    describe,
    first_words,
    fit_text,
    shortened,
)
from bot.replies import PAGE_ENTRIES, Button, Reply, column, list_page, page_of
from bot.runtime.events import EventLog
from bot.runtime.outcomes import Delivered, Due, Settled
from bot.services.access import Actor, load_actor, require_staff, visible_groups
from bot.services.disclosure import Split, note, split
from bot.services.people import resolve_language
from bot.when import parse_when
from storage import Database, Transaction
from storage.analytics import BroadcastReach
from storage.broadcasts import Broadcast, Draft
from storage.groups import Group
from storage.outbox import Tally
from storage.states import AuditAction, BroadcastStatus, DraftStep, EventKind, OutboxStatus, Purpose

log = logging.getLogger(__name__)

AnyContent = TextContent | MediaContent | AlbumContent
TipVariants = Callable[[Transaction, str], Awaitable[Mapping[str, AnyContent]]]
EMPTY = "{}"  # a draft waiting for its content
# the composing buttons
TOGGLE = "bc:t:"  # bc:t:GROUP
ALL = "bc:all"
DONE = "bc:done"
NOW = "bc:now"
LATER = "bc:later"
DROP = "bc:drop"
START = "bc:start"
CANCEL = "bc:x:"  # bc:x:BROADCAST, a scheduled one
SCHEDULED_PAGE = "bc:sp:"  # bc:sp:PAGE (from 0), a page of /scheduled
GROUP_NAMES = 120  # characters of the groups a broadcast goes to, in a list's line
SAVE_TO_LIBRARY = "lib:save:"  # lib:save:BROADCAST, handled by the tips
FIRST_WORDS = 40  # characters of a broadcast's first words in a list
_STATUS_KEYS = {
    BroadcastStatus.SCHEDULED: "broadcast.status-scheduled",
    BroadcastStatus.SENDING: "broadcast.status-sending",
    BroadcastStatus.DONE: "broadcast.status-done",
    BroadcastStatus.CANCELLED: "broadcast.status-cancelled",
}
_KIND_KEYS = {
    "text": "broadcast.kind-text",
    "photo": "broadcast.kind-photo",
    "video": "broadcast.kind-video",
    "animation": "broadcast.kind-animation",
    "document": "broadcast.kind-document",
    "voice": "broadcast.kind-voice",
    "audio": "broadcast.kind-audio",
}


@dataclass(frozen=True)
class BroadcastSummary:
    broadcast: Broadcast
    tally: Tally
    group_names: list[str]
    # reactions and replies by organisation, as the disclosure rule lets them be shown
    reactions: Split
    replies: Split
    # each group's time zone, in the order of group_names: its time is shown in them
    # (bot.dates.for_groups)
    timezones: list[str] = field(default_factory=list)
    group_ids: list[int] = field(default_factory=list)

    def when(self, moment: dt.datetime | None = None) -> PerLanguage:
        """``moment`` (by default the broadcast's time) in its groups' zone."""
        return groups_words(moment or self.broadcast.send_at, self.timezones)

    def status(self) -> Text:
        """Scheduled for, sending since, sent (delivered x/y) or cancelled, each with its
        own date: a cancelled one's is when it was cancelled."""
        broadcast = self.broadcast
        moment = broadcast.send_at
        if broadcast.status == BroadcastStatus.CANCELLED and broadcast.finished_at is not None:
            moment = broadcast.finished_at
        return Text(
            _STATUS_KEYS[broadcast.status],
            {"when": self.when(moment), "sent": self.tally.sent, "total": self.tally.total},
        )

    def what(self) -> Text:
        """Its kind (text, photo, album of 3, ...) and first words."""
        content = content_from_json(self.broadcast.content)
        if isinstance(content, AlbumContent):
            kind = Text("broadcast.kind-album", {"count": len(content.items)})
        else:
            kind = Text(_KIND_KEYS[content.kind])
        words = first_words(content, FIRST_WORDS)
        return Text("broadcast.what", {"kind": kind, "words": words}) if words else kind


@dataclass(frozen=True)
class Preview:
    """Before sending: the content as the groups will see it (an album as one album), then
    one message that says so, names the recipients and offers now, later or cancel. Two
    messages, so the preview takes no longer than the private chat's pace allows."""

    content: AnyContent
    choice: Reply


class BroadcastService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        admins: Collection[int],
        *,
        default_timezone: str,
        notify: Callable[[], None] = lambda: None,
        tip_variants: TipVariants | None = None,
        small_numbers: int = 5,
    ) -> None:
        self._database = database
        self.small_numbers = small_numbers
        self._clock = clock
        self._admins = frozenset(admins)
        self.default_timezone = default_timezone
        # who to tell when rows were written (the sender, so it looks at once)
        self._notify = notify
        # how a tip key becomes its content in each language (``bot/services/tips.py``)
        self._variants: TipVariants = tip_variants or _no_tips

    # Who may send where ----------------------------------------------------------------

    async def may_broadcast(self, actor_id: int) -> bool:
        async with self._database.transaction() as tx:
            actor = await load_actor(tx, actor_id, self._admins)
        return actor.is_admin or actor.is_staff

    async def targets_for(self, actor_id: int) -> list[Group]:
        async with self._database.transaction() as tx:
            actor = await load_actor(tx, actor_id, self._admins)
            require_staff(actor)
            return await sendable_groups(tx, actor)

    # Sending -------------------------------------------------------------------------------

    async def send(
        self,
        actor_id: int | None,
        content: AnyContent,
        group_ids: Collection[int],
        send_at: dt.datetime | None = None,
        *,
        tip: str | None = None,
    ) -> tuple[Broadcast, list[Group]]:
        """Create the broadcast and one outbox row per group, in one transaction.
        ``actor_id`` None is the command line (an admin by definition). A ``tip`` from the
        library goes to each group in the group's own language; each row carries the tip, so
        its delivery counts as a use of the tip (``TipService.delivered``)."""
        now = self._clock.now()
        when = send_at or now
        if when < now - dt.timedelta(seconds=1):
            raise DomainError("when.past")
        if not group_ids:
            raise DomainError("broadcast.no-targets")
        async with self._database.transaction() as tx:
            if actor_id is None:
                allowed = {group.id: group for group in await tx.groups.all() if group.is_active}
            else:
                actor = await load_actor(tx, actor_id, self._admins)
                require_staff(actor)
                allowed = {group.id: group for group in await sendable_groups(tx, actor)}
            chosen = [allowed.get(group_id) for group_id in sorted(set(group_ids))]
            if any(group is None for group in chosen):
                raise DomainError("broadcast.group-not-allowed")
            groups = [group for group in chosen if group is not None]
            encoded = content_to_json(content)
            variants = await self._variants(tx, tip) if tip is not None else {}
            broadcast = await tx.broadcasts.create(
                created_by=actor_id, content=encoded, send_at=when, now=now, tip=tip
            )
            for group in groups:
                variant = variants.get(group.language)
                await tx.outbox.add(
                    chat_id=group.chat_id,
                    group_id=group.id,
                    broadcast_id=broadcast.id,
                    purpose=Purpose.BROADCAST,
                    content=encoded if variant is None else content_to_json(variant),
                    due_at=when,
                    now=now,
                    tip=tip,
                )
            if actor_id is not None:
                await tx.broadcasts.drop_draft(actor_id)
            await tx.audit.add(
                now,
                actor_id,
                AuditAction.BROADCAST,
                f"broadcast {broadcast.id}",
                groups=len(groups),
                send_at=when.isoformat(timespec="minutes"),
            )
        log.info(
            "broadcast %d (%s) by %s to %d groups at %s",
            broadcast.id,
            describe(content),
            actor_id or "command line",
            len(groups),
            when,
        )
        self._notify()
        return broadcast, groups

    async def cancel(self, actor_id: int, broadcast_id: int) -> Reply:
        """A scheduled broadcast is never sent once cancelled; says so."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            actor = await load_actor(tx, actor_id, self._admins)
            broadcast = await tx.broadcasts.get(broadcast_id)
            if broadcast is None or not (actor.is_admin or broadcast.created_by == actor_id):
                raise DomainError("broadcast.not-yours")
            if broadcast.status != BroadcastStatus.SCHEDULED:
                raise DomainError("broadcast.not-scheduled")
            await tx.outbox.cancel_broadcast(broadcast_id, "reason.cancelled", now)
            await tx.broadcasts.set_status(broadcast_id, BroadcastStatus.CANCELLED, now)
        log.info("broadcast %d cancelled by %d", broadcast_id, actor_id)
        return Reply.of("broadcast.cancelled", number=broadcast_id)

    async def scheduled_for(self, actor_id: int) -> list[BroadcastSummary]:
        async with self._database.transaction() as tx:
            actor = await load_actor(tx, actor_id, self._admins)
            require_staff(actor)
            found = await tx.broadcasts.scheduled(None if actor.is_admin else actor_id)
            return [await _summary(tx, b, self.default_timezone, self.small_numbers) for b in found]

    async def scheduled_listing(self, actor_id: int, page: int = 0) -> Reply:
        """/scheduled: the actor's scheduled broadcasts (an admin's: everyone's), ten to a
        page with Previous and Next, each with a button that cancels it. A page that is not
        there (the list got shorter, a forged button) is refused in words."""
        summaries = await self.scheduled_for(actor_id)
        if not summaries:
            return Reply.of("broadcast.none-scheduled")
        shown = page_of(
            summaries, page, PAGE_ENTRIES, SCHEDULED_PAGE, "broadcast.scheduled-page-gone"
        )
        header = (
            Text("broadcast.scheduled-page-header", {"page": page + 1, "pages": shown.count})
            if shown.count > 1
            else Text("broadcast.scheduled-header")
        )
        return list_page(header, map(self.scheduled_entry, shown.entries), shown.turn)

    def scheduled_entry(self, summary: BroadcastSummary) -> tuple[Words, Button | None]:
        """A scheduled broadcast's line in a list, and the button that cancels it."""
        broadcast = summary.broadcast
        line = Text(
            "broadcast.scheduled-line",
            {
                "number": broadcast.id,
                "when": summary.when(),
                "groups": shortened(", ".join(summary.group_names), GROUP_NAMES),
                "what": summary.what(),
            },
        )
        button = Button(
            Text("broadcast.cancel-scheduled-button", {"number": broadcast.id}),
            data=f"{CANCEL}{broadcast.id}",
        )
        return line, button

    async def recent_listing(self, actor_id: int) -> Reply:
        """/broadcasts: the actor's latest broadcasts, whatever their state, each with its
        status, kind and first words, and how a sent one was received."""
        summaries = await self.recent_for(actor_id)
        if not summaries:
            return Reply.of("broadcast.none-sent")
        lines: list[Words] = [Text("broadcast.recent-header")]
        for summary in summaries:
            params = {
                "number": summary.broadcast.id,
                "status": summary.status(),
                "what": summary.what(),
            }
            if summary.broadcast.status in (BroadcastStatus.SENDING, BroadcastStatus.DONE):
                reach = {"reactions": summary.reactions.text(), "replies": summary.replies.text()}
                lines.append(Text("broadcast.recent-line-reach", params | reach))
            else:
                lines.append(Text("broadcast.recent-line", params))
        lines.append(note(self.small_numbers))
        return Reply(Lines(tuple(lines)))

    async def recent_for(self, actor_id: int, limit: int = 10) -> list[BroadcastSummary]:
        async with self._database.transaction() as tx:
            actor = await load_actor(tx, actor_id, self._admins)
            require_staff(actor)
            found = await tx.broadcasts.recent(None if actor.is_admin else actor_id, limit)
            return [await _summary(tx, b, self.default_timezone, self.small_numbers) for b in found]

    # Reception ------------------------------------------------------------------------------

    async def reaction_changed(
        self, chat_id: int, message_id: int, before: int, after: int
    ) -> bool:
        """Someone's reactions on a message changed; counted if it is one we sent."""
        async with self._database.transaction() as tx:
            return await tx.outbox.count_reaction(chat_id, message_id, after - before)

    async def reactions_counted(self, chat_id: int, message_id: int, total: int) -> bool:
        async with self._database.transaction() as tx:
            return await tx.outbox.set_reactions(chat_id, message_id, total)

    async def replied(self, chat_id: int, message_id: int) -> bool:
        """A reply to one of our messages (never its text: only that it happened)."""
        async with self._database.transaction() as tx:
            return await tx.outbox.count_reply(chat_id, message_id)

    # Drafts (the composing conversation) -----------------------------------------------

    async def draft(self, actor_id: int) -> Draft | None:
        async with self._database.transaction() as tx:
            return await tx.broadcasts.draft(actor_id)

    async def begin(self, actor_id: int) -> Reply:
        """/broadcast: the next content the person sends is the broadcast (they are asked
        for it)."""
        async with self._database.transaction() as tx:
            require_staff(await load_actor(tx, actor_id, self._admins))
            await tx.broadcasts.save_draft(
                actor_id,
                content=EMPTY,
                targets=[],
                step=DraftStep.CONTENT,
                media_group_id=None,
                now=self._clock.now(),
            )
        return Reply.of("broadcast.send-content")

    async def received(
        self, actor_id: int, content: AnyContent | None, *, text: str | None, album: str | None
    ) -> Reply | None:
        """Staff sent something in private: the time asked for, or content for a draft (the
        items of an album gathered; None: nothing to say, another item of the same album).
        Content after /broadcast goes on to the groups; content out of the blue is offered
        to be sent."""
        draft = await self.draft(actor_id)
        if draft is not None and draft.step == DraftStep.TIME and text:
            return await self.send_and_confirm(actor_id, text)
        if content is None:
            return Reply.of("broadcast.unsupported")
        explicit = draft is not None and draft.step == DraftStep.CONTENT
        _, fresh = await self.take_content(actor_id, content, album)
        if not fresh:
            return None
        if explicit:
            return await self.targets(actor_id)
        offer = Button(Text("broadcast.to-groups-button"), data=START)
        return Reply(Text("broadcast.offer"), ((offer,),))

    async def targets(self, actor_id: int) -> Reply:
        """The groups the draft may go to, a tick box each, then all, next and cancel."""
        groups = await self.targets_for(actor_id)
        if not groups:
            raise DomainError("broadcast.no-groups")
        draft = await self.draft(actor_id)
        chosen = set(draft.target_ids) if draft else set()
        rows: list[tuple[Button, ...]] = [
            (
                Button(
                    ("✅ " if group.id in chosen else "⬜ ") + group.name,
                    data=f"{TOGGLE}{group.id}",
                ),
            )
            for group in groups
        ]
        rows.append((Button(Text("broadcast.all-button"), data=ALL),))
        rows.append(
            (
                Button(Text("broadcast.next-button"), data=DONE),
                Button(Text("broadcast.cancel-button"), data=DROP),
            )
        )
        return Reply(Text("broadcast.choose-groups", {"chosen": len(chosen)}), tuple(rows))

    async def preview(self, actor_id: int) -> Preview:
        """The draft as the groups will see it, and now, later or cancel."""
        draft = await self.draft(actor_id)
        if draft is None or draft.content == EMPTY:
            raise DomainError("broadcast.no-draft")
        if not draft.target_ids:
            raise DomainError("broadcast.no-targets")
        groups = {group.id: group for group in await self.targets_for(actor_id)}
        names = ", ".join(
            groups[group_id].name for group_id in draft.target_ids if group_id in groups
        )
        header = "broadcast.preview-header-tip" if draft.tip else "broadcast.preview-header"
        choice = column(
            [
                Button(Text("broadcast.now-button"), data=NOW),
                Button(Text("broadcast.later-button"), data=LATER),
                Button(Text("broadcast.cancel-button"), data=DROP),
            ]
        )
        recipients = Text("broadcast.confirm", {"groups": names, "count": len(draft.target_ids)})
        return Preview(
            content_from_json(draft.content), Reply(Lines((Text(header), recipients)), choice)
        )

    async def send_and_confirm(self, actor_id: int, when_text: str | None) -> Reply:
        """``send_draft``, and what it did: sending now, or scheduled (``bot.dates.for_groups``:
        in the first group's zone, named when not all share it); one's own content (not a
        library tip) can then be saved to the library."""
        broadcast, groups = await self.send_draft(actor_id, when_text)
        save = (
            ()
            if broadcast.tip is not None
            else ((Button(Text("tip.save-button"), data=f"{SAVE_TO_LIBRARY}{broadcast.id}"),),)
        )
        if when_text is None:
            return Reply(
                Text("broadcast.sending", {"count": len(groups), "number": broadcast.id}), save
            )
        zones = [group.timezone for group in groups] or [self.default_timezone]
        text = Text(
            "broadcast.scheduled",
            {
                "count": len(groups),
                "number": broadcast.id,
                "when": groups_words(broadcast.send_at, zones),
            },
        )
        return Reply(text, save)

    async def take_content(
        self, actor_id: int, content: AnyContent, media_group_id: str | None
    ) -> tuple[Draft, bool]:
        """Keep what the person sent as the draft's content. Album items arrive one by one
        with the same ``media_group_id`` and are gathered. Returns the draft and whether
        this was the start of a new one (then the person is asked where to send it)."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            require_staff(await load_actor(tx, actor_id, self._admins))
            draft = await tx.broadcasts.draft(actor_id)
            if (
                draft is not None
                and media_group_id is not None
                and draft.media_group_id == media_group_id
                and isinstance(content, MediaContent)
            ):
                current = content_from_json(draft.content)
                items = current.items if isinstance(current, AlbumContent) else [current]
                album = AlbumContent(items=[*items, content][:10])
                saved = await tx.broadcasts.save_draft(
                    actor_id,
                    content=content_to_json(album),
                    targets=draft.target_ids,
                    step=draft.step,
                    media_group_id=media_group_id,
                    now=now,
                )
                return saved, False
            saved = await tx.broadcasts.save_draft(
                actor_id,
                content=content_to_json(content),
                targets=[],
                step=DraftStep.TARGETS,
                media_group_id=media_group_id,
                now=now,
            )
            return saved, True

    async def draft_from(self, actor_id: int, content: AnyContent, tip: str) -> Draft:
        """A library tip becomes the draft (shown in the composer's language); the group
        picker comes next."""
        async with self._database.transaction() as tx:
            require_staff(await load_actor(tx, actor_id, self._admins))
            return await tx.broadcasts.save_draft(
                actor_id,
                content=content_to_json(content),
                targets=[],
                step=DraftStep.TARGETS,
                media_group_id=None,
                now=self._clock.now(),
                tip=tip,
            )

    async def toggle_target(self, actor_id: int, group_id: int | None) -> Draft:
        """Tick or untick one group (None: all of them)."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            actor = await load_actor(tx, actor_id, self._admins)
            draft = await tx.broadcasts.draft(actor_id)
            if draft is None or draft.content == EMPTY:
                raise DomainError("broadcast.no-draft")
            allowed = {group.id for group in await sendable_groups(tx, actor)}
            targets = set(draft.target_ids)
            if group_id is None:
                targets = set() if targets == allowed else allowed
            elif group_id not in allowed:
                raise DomainError("broadcast.group-not-allowed")
            else:
                targets ^= {group_id}
            return await tx.broadcasts.save_draft(
                actor_id,
                content=draft.content,
                targets=sorted(targets),
                step=DraftStep.TARGETS,
                media_group_id=draft.media_group_id,
                now=now,
                tip=draft.tip,
            )

    async def ask_time(self, actor_id: int) -> Reply:
        """Schedule for later: the draft waits for a time, and the person is asked for it."""
        async with self._database.transaction() as tx:
            draft = await tx.broadcasts.draft(actor_id)
            if draft is None or draft.content == EMPTY:
                raise DomainError("broadcast.no-draft")
            if not draft.target_ids:
                raise DomainError("broadcast.no-targets")
            await tx.broadcasts.save_draft(
                actor_id,
                content=draft.content,
                targets=draft.target_ids,
                step=DraftStep.TIME,
                media_group_id=draft.media_group_id,
                now=self._clock.now(),
                tip=draft.tip,
            )
        return Reply.of("broadcast.ask-time")

    async def send_draft(
        self, actor_id: int, when_text: str | None = None
    ) -> tuple[Broadcast, list[Group]]:
        """Send the draft now, or at the time typed (in the first target group's zone)."""
        draft = await self.draft(actor_id)
        if draft is None or draft.content == EMPTY:
            raise DomainError("broadcast.no-draft")
        send_at = None
        if when_text is not None:
            timezone = self.default_timezone
            async with self._database.transaction() as tx:
                first = await tx.groups.get(draft.target_ids[0]) if draft.target_ids else None
            if first is not None:
                timezone = first.timezone
            send_at = parse_when(when_text, self._clock.now(), timezone)
        return await self.send(
            actor_id, content_from_json(draft.content), draft.target_ids, send_at, tip=draft.tip
        )

    async def discard(self, actor_id: int) -> Reply:
        """Cancel in the preview: the draft is gone."""
        async with self._database.transaction() as tx:
            await tx.broadcasts.drop_draft(actor_id)
        return Reply.of("broadcast.discarded")


class BroadcastDeliveries:
    """What a broadcast makes of the outbox sender's reports (see the module docstring)."""

    def __init__(self, database: Database, translator: Translator, events: EventLog) -> None:
        self._database = database
        self._translator = translator
        self._events = events

    async def due(self, tx: Transaction, report: Due) -> None:
        """Inside the sender's transaction: scheduled broadcasts whose time has come are
        now sending."""
        await tx.broadcasts.start_due(report.at)

    async def delivered(self, tx: Transaction, report: Delivered) -> None:
        """Inside the sender's transaction: a broadcast reached a group."""
        row = report.row
        if row.purpose == Purpose.BROADCAST:
            self._events.record(
                EventKind.BROADCAST_DELIVERED,
                group_id=row.group_id,
                broadcast=row.broadcast_id or 0,
            )

    async def settled(self, report: Settled) -> None:
        """After the sender's transaction: a broadcast whose last row is final is done and
        its sender gets the report, each broadcast in its own transaction."""
        touched = [row.broadcast_id for row in report.rows if row.purpose == Purpose.BROADCAST]
        for broadcast_id in dict.fromkeys(touched):
            if broadcast_id is None:
                continue
            try:
                async with self._database.transaction() as tx:
                    await self._maybe_report(tx, broadcast_id, report.at)
            except Exception:
                log.exception("delivery report for broadcast %d failed", broadcast_id)

    async def _maybe_report(self, tx: Transaction, broadcast_id: int, now: dt.datetime) -> None:
        tally = await tx.outbox.tally(broadcast_id)
        broadcast = await tx.broadcasts.get(broadcast_id)
        if (
            tally.open
            or broadcast is None
            or broadcast.status in (BroadcastStatus.DONE, BroadcastStatus.CANCELLED)
        ):
            return
        await tx.broadcasts.set_status(broadcast_id, BroadcastStatus.DONE, now)
        log.info("broadcast %d done: %d of %d delivered", broadcast_id, tally.sent, tally.total)
        if broadcast.created_by is None:
            return
        person = await tx.people.get(broadcast.created_by)
        language = resolve_language(person, None, self._translator.default)
        text = await self._report_text(tx, broadcast_id, language)
        await tx.outbox.add(
            chat_id=broadcast.created_by,
            person_id=broadcast.created_by,
            broadcast_id=broadcast_id,
            purpose=Purpose.REPORT,
            content=content_to_json(TextContent(text=text)),
            due_at=now,
            now=now,
        )

    async def _report_text(self, tx: Transaction, broadcast_id: int, language: str) -> str:
        rows = await tx.outbox.of_broadcast(broadcast_id)
        sent = sum(1 for row in rows if row.status == OutboxStatus.SENT)
        t = self._translator
        lines = [t.text(language, "report.header", number=broadcast_id, sent=sent, total=len(rows))]
        for row in rows:
            if row.status == OutboxStatus.SENT:
                continue
            group = await tx.groups.get(row.group_id) if row.group_id else None
            name = group.name if group else str(row.chat_id)
            lines.append(
                t.text(
                    language,
                    "report.failure",
                    group=name,
                    reason=t.text(language, row.reason or "reason.error"),
                )
            )
        return fit_text("\n".join(lines), TEXT_LIMIT)


async def _no_tips(tx: Transaction, tip: str) -> Mapping[str, AnyContent]:
    return {}


async def sendable_groups(tx: Transaction, actor: Actor) -> list[Group]:
    """The groups the actor may send to: those they see (``bot/services/access.py``) that
    are active."""
    return [group for group in await visible_groups(tx, actor) if group.is_active]


async def _summary(
    tx: Transaction, broadcast: Broadcast, default_zone: str, small: int
) -> BroadcastSummary:
    rows = await tx.outbox.of_broadcast(broadcast.id)
    names, zones, ids = [], [], []
    for row in rows:
        group = await tx.groups.get(row.group_id) if row.group_id else None
        names.append(group.name if group else str(row.chat_id))
        zones.append(group.timezone if group else default_zone)
        if group is not None:
            ids.append(group.id)
    reactions, replies = reach(await tx.analytics.broadcast_reach([broadcast.id]), small)
    return BroadcastSummary(
        broadcast,
        await tx.outbox.tally(broadcast.id),
        names,
        reactions.get(broadcast.id, split({}, small)),
        replies.get(broadcast.id, split({}, small)),
        zones or [default_zone],
        ids,
    )


def reach(
    rows: Collection[BroadcastReach], small: int
) -> tuple[dict[int, Split], dict[int, Split]]:
    """Each broadcast's reactions and replies by organisation, as they may be shown. They
    count acts, not people, but a few acts are a few people, so they follow the people
    rule; how many groups got it is about groups and is shown as it is."""
    reactions: dict[int, dict[Hashable, int]] = {}
    replies: dict[int, dict[Hashable, int]] = {}
    for row in rows:
        reactions.setdefault(row.broadcast_id, {})[row.organisation_id] = row.reactions
        replies.setdefault(row.broadcast_id, {})[row.organisation_id] = row.replies
    return (
        {number: split(counts, small) for number, counts in reactions.items()},
        {number: split(counts, small) for number, counts in replies.items()},
    )
