"""The sender: drains the outbox within Telegram's limits, records every row's fate and
reports it. It only transports: what a delivery or a failure means for a broadcast, a tip,
a group or a person is decided by the services that own them, through the hooks in
``bot/runtime/outcomes.py`` (due, delivered, failed, chat gone, chat migrated, settled).

Rules (DESIGN rule 5):

- A row is marked ``sending`` (one more attempt) in the database before its request goes
  out. At start-up rows still ``sending`` were in flight at a crash: they go out again.
  So nothing is lost, and only a request in flight at a crash may repeat.
- Sends are paced by the shared ``Pacer``: the sender reserves one slot at a time, so a
  reply to a person waits at most a slot or two behind a large broadcast. A chat whose own
  window is full is skipped for now, not waited on, so one busy group holds up nobody.
- 429: the pacer pauses everything for ``retry_after``; the row goes back to pending and
  the attempt does not count.
- Group became a supergroup: the row follows the new chat id and is sent again at once;
  reported as ``ChatMigrated``.
- Kicked, removed or blocked (403), or the chat is not found: final, no retry. Every other
  pending row to that chat fails with the same reason; reported as ``ChatGone``. A private
  chat whose person stopped the bot is skipped (its row fails as blocked) until they write
  to the bot again.
- Other 400s: final, with Telegram's description in the log and a plain reason.
- 5xx and network errors: retried with exponential backoff (2, 4, 8... s, at most 5 min),
  failed after ``max_attempts``.
- A timeout after the request may have reached Telegram is treated like a network error:
  the row is sent again. A lost message is worse than a rare duplicate.
- Every row's fate is reported in the transaction that records it (``Delivered`` or
  ``Failed``), and once committed the final rows are reported again (``Settled``) for what
  must never undo that fate, such as a broadcast's delivery report.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaAudio,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
    Message,
    MessageEntity,
    WebAppInfo,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.clock import Clock
from bot.deeplinks import start_link
from bot.payload import (
    AlbumContent,
    MediaContent,
    OutboxButton,
    PollContent,
    TextContent,
    content_from_json,
    describe,
    poll_from_json,
)
from bot.runtime import outcomes
from bot.runtime.outcomes import ChatGone, Delivered, DeliveryListeners, Due, Failed, Settled
from bot.runtime.pacing import Pacer, seconds
from storage import Database, Transaction
from storage.outbox import OutboxRow
from storage.states import OutboxStatus, Purpose

log = logging.getLogger(__name__)

OUTBOX = {"outbox": True}
BACKOFF_CAP = dt.timedelta(minutes=5)

# Telegram's 403 descriptions, and the plain reason kept for the delivery report.
_FORBIDDEN_REASONS = (
    ("kicked", "reason.kicked"),
    ("not a member", "reason.kicked"),
    ("blocked", "reason.blocked"),
    ("deactivated", "reason.deactivated"),
    ("can't initiate", "reason.not-started"),
)


class OutboxSender:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        pacer: Pacer,
        listeners: DeliveryListeners,
        *,
        wake: asyncio.Event | None = None,
        batch: int = 100,
        max_in_flight: int = 50,
        idle_poll: float = 1.0,
        max_attempts: int = 8,
    ) -> None:
        """``listeners`` react to what happens to the rows; ``wake`` is set by whoever
        writes rows (the services), so the sender looks at once instead of at its next
        poll (``wake()`` sets it too)."""
        self._database = database
        self._clock = clock
        self._pacer = pacer
        self._listeners = listeners
        self._batch = batch
        self._slots = asyncio.Semaphore(max_in_flight)
        self._idle_poll = idle_poll
        self._claimant: int | None = None
        self.max_attempts = max_attempts
        self._bot: Bot | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = wake if wake is not None else asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._claiming = 0  # rows claimed and waiting for their pacing slot
        self._busy_chats: set[int] = set()
        self._held_until: float | None = None  # when the first held-back chat may send
        self._uploads: dict[str, str] = {}  # path -> file id after the first upload

    # Lifecycle ------------------------------------------------------------------------------

    async def start(self, bot: Bot, claimant: int | None = None) -> None:
        """Start sending; ``claimant`` is this instance's presence key when several share
        the database (its claims are recorded and hold only while it lives)."""
        self._bot = bot
        self._claimant = claimant
        async with self._database.transaction() as tx:
            again = await tx.outbox.requeue_in_flight()
        if again:
            log.warning("%d outbox rows were in flight at the last stop; sending them again", again)
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self, grace: float = 5.0) -> None:
        """Stop taking rows; give requests in flight ``grace`` seconds, then cancel them
        (they stay ``sending`` and go out again at the next start)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._in_flight:
            _, late = await asyncio.wait(self._in_flight, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    def wake(self) -> None:
        """New rows were written: look now instead of at the next poll."""
        self._wake.set()

    async def drained(self) -> None:
        """Wait until nothing is due or in flight (tests and the command line)."""
        while True:
            async with self._database.transaction() as tx:
                due = await tx.outbox.due(self._clock.now(), 1)
            # a claimed row waiting for its slot is neither due nor yet in flight
            if not due and not self._in_flight and not self._claiming:
                return
            await asyncio.sleep(0.02)

    # The loop -----------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            # a wake-up during the round is kept, so rows written meanwhile are not missed
            self._wake.clear()
            try:
                progressed = await self._one_round()
                idle = 0.0 if progressed else await self._idle_for()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox round failed; trying again shortly")
                idle = self._idle_poll
            if idle > 0:
                # not asyncio.wait_for: it swallows a cancel that comes as the wake-up does
                # (Python 3.11), and then ``stop`` would wait for this loop for ever
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(idle):
                        await self._wake.wait()

    async def _idle_for(self) -> float:
        async with self._database.transaction() as tx:
            next_due = await tx.outbox.next_due_at()
        if next_due is None:
            return self._idle_poll
        wait = (next_due - self._clock.now()).total_seconds()
        if wait <= 0 and self._held_until is not None:
            # everything due waits for a chat's window: sleep until the first one opens
            wait = self._held_until - self._pacer.now()
        return min(self._idle_poll, max(wait, 0.02))

    async def _one_round(self) -> bool:
        now = self._clock.now()
        async with self._database.transaction() as tx:
            await _tell(self._listeners.due, tx, Due(now))
            rows = await tx.outbox.due(now, self._batch)
        started = False
        self._held_until = None
        for row in rows:
            try:
                started = await self._start(row, now) or started
            except asyncio.CancelledError:
                raise
            except Exception:
                # one bad row (unreadable content, say) must not hold up the rest
                log.exception("outbox row %d could not be sent; marking it failed", row.id)
                await self._give_up(row)
        return started

    async def _start(self, row: OutboxRow, now: dt.datetime) -> bool:
        """Start sending one due row, unless its chat must wait; True if it went."""
        if row.chat_id in self._busy_chats:
            # one request at a time per chat keeps its messages in order; its end wakes us
            self._hold(self._pacer.now() + self._idle_poll)
            return False
        if row.chat_id > 0 and await self._stopped(row.chat_id):
            # they blocked the bot: skipped until they write to it again
            await self._fail_unsent(row, "reason.blocked")
            return False
        count = _message_count(row)
        group = row.chat_id < 0
        ready = self._pacer.chat_ready_at(row.chat_id, group=group, count=count)
        if ready > self._pacer.now() + 0.05:
            # that chat's own window is full; others go first
            self._hold(ready)
            return False
        await self._slots.acquire()
        self._claiming += 1
        try:
            # claim first, then wait for the slot: the request leaves right at its slot,
            # not after a database write of varying length (late requests bunch up and
            # earn 429s)
            async with self._database.transaction() as tx:
                claimed = await tx.outbox.start_sending(row.id, self._claimant)
            if claimed:
                await self._pacer.acquire(row.chat_id, group=group, count=count)
        except BaseException:
            self._slots.release()
            raise
        finally:
            self._claiming -= 1
        if not claimed:
            self._slots.release()
            return False
        self._busy_chats.add(row.chat_id)
        task = asyncio.create_task(self._send(row), name=f"outbox-{row.id}")
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        return True

    def _hold(self, until: float) -> None:
        self._held_until = until if self._held_until is None else min(self._held_until, until)

    async def _give_up(self, row: OutboxRow) -> None:
        with contextlib.suppress(Exception):
            await self._fail_unsent(row, "reason.error")

    async def _fail_unsent(self, row: OutboxRow, reason: str) -> None:
        """Fail a due row without sending it (if it is still pending)."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            if not await tx.outbox.start_sending(row.id, self._claimant):
                return
            await tx.outbox.failed(row.id, reason, now)
            await _tell(self._listeners.failed, tx, Failed(row, reason, now))
        await self._settled([row], now)

    async def _stopped(self, person_id: int) -> bool:
        async with self._database.transaction() as tx:
            person = await tx.people.get(person_id)
        return person is not None and person.stopped_at is not None

    # One row ----------------------------------------------------------------------------

    async def _send(self, row: OutboxRow) -> None:
        try:
            messages = await self._attempt(row)
        except Exception:
            log.exception("outbox row %d: unexpected failure; retrying later", row.id)
            with contextlib.suppress(Exception):
                await self._retry(row, "reason.error")
            messages = None
        try:
            if messages is not None:
                await self._delivered(row, messages)
        except Exception:
            # it reached Telegram: never send it again for a bookkeeping failure. The row
            # stays 'sending' and goes out again only after a restart.
            log.exception("outbox row %d was delivered but could not be recorded", row.id)
        finally:
            self._busy_chats.discard(row.chat_id)
            self._slots.release()
            self.wake()

    async def _attempt(self, row: OutboxRow) -> Sequence[Message] | None:
        """Send the row; the messages if Telegram took it, None if its fate is recorded."""
        assert self._bot is not None
        content = _content(row)
        try:
            messages = await deliver(self._bot, row.chat_id, content, self._uploads)
        except RetryAfter as error:
            wait = seconds(error.retry_after)
            async with self._database.transaction() as tx:
                await tx.outbox.give_back_attempt(row.id)
                await tx.outbox.retry_at(
                    row.id, self._clock.now() + dt.timedelta(seconds=wait), "reason.rate-limited"
                )
            return None
        except ChatMigrated as error:
            await self._migrated(row, int(error.new_chat_id))
            return None
        except Forbidden as error:
            reason = _forbidden_reason(error.message)
            log.info("outbox row %d to chat %d refused: %s", row.id, row.chat_id, error.message)
            await self._failed_for_good(row, reason, chat_gone=True)
            return None
        except BadRequest as error:
            log.warning("outbox row %d to chat %d rejected: %s", row.id, row.chat_id, error.message)
            reason = "reason.chat-not-found" if "not found" in error.message else "reason.rejected"
            await self._failed_for_good(row, reason, chat_gone=reason == "reason.chat-not-found")
            return None
        except (NetworkError, TelegramError) as error:
            # includes TimedOut: the message may have arrived; sending again risks a
            # duplicate, giving up risks a loss, and a loss is worse.
            log.info("outbox row %d: %s; will retry", row.id, error)
            await self._retry(row, "reason.network")
            return None
        shown = (
            f"poll of {len(content.options)}"
            if isinstance(content, PollContent)
            else describe(content)
        )
        log.info("outbox row %d sent to chat %d (%s)", row.id, row.chat_id, shown)
        return messages

    async def _delivered(self, row: OutboxRow, messages: Sequence[Message]) -> None:
        now = self._clock.now()
        message_ids = [message.message_id for message in messages]
        async with self._database.transaction() as tx:
            recorded = await tx.outbox.sent(row.id, message_ids, now)
            if recorded:
                await _tell(self._listeners.delivered, tx, Delivered(row, tuple(message_ids), now))
        if not recorded:
            await self._take_back(row, message_ids)
            return
        await self._settled([row], now)

    async def _take_back(self, row: OutboxRow, message_ids: Sequence[int]) -> None:
        """The row was cancelled while in flight (a participant's post withdrawn or
        rejected meanwhile) and Telegram took it anyway: what it made is deleted."""
        assert self._bot is not None
        log.info("outbox row %d was cancelled in flight; deleting what was sent", row.id)
        for message_id in message_ids:
            try:
                await self._bot.delete_message(row.chat_id, message_id)
            except TelegramError as error:
                log.warning("outbox row %d: a message sent in flight stays: %s", row.id, error)

    async def _retry(self, row: OutboxRow, reason: str) -> None:
        async with self._database.transaction() as tx:
            current = await tx.outbox.get(row.id)
            if current is None or current.status != OutboxStatus.SENDING:
                return
            give_up = current.attempts >= self.max_attempts
            if not give_up:
                delay = min(dt.timedelta(seconds=2**current.attempts), BACKOFF_CAP)
                await tx.outbox.retry_at(row.id, self._clock.now() + delay, reason)
        if give_up:
            await self._failed_for_good(row, reason)

    async def _migrated(self, row: OutboxRow, new_chat_id: int) -> None:
        report = outcomes.ChatMigrated(row.chat_id, new_chat_id, self._clock.now())
        async with self._database.transaction() as tx:
            await tx.outbox.retarget(row.id, new_chat_id)
            await tx.outbox.give_back_attempt(row.id)
            await _tell(self._listeners.migrated, tx, report)

    async def _failed_for_good(
        self, row: OutboxRow, reason: str, *, chat_gone: bool = False
    ) -> None:
        """The row failed; if its chat is gone, so does every other row waiting for it."""
        now = self._clock.now()
        final = [row]
        async with self._database.transaction() as tx:
            await tx.outbox.failed(row.id, reason, now)
            await _tell(self._listeners.failed, tx, Failed(row, reason, now))
            if chat_gone:
                waiting = await tx.outbox.cancel_chat(row.chat_id, reason, now)
                for other in waiting:
                    await _tell(self._listeners.failed, tx, Failed(other, reason, now))
                await _tell(self._listeners.chat_gone, tx, ChatGone(row.chat_id, reason, now))
                final += waiting
        await self._settled(final, now)

    async def _settled(self, rows: Sequence[OutboxRow], now: dt.datetime) -> None:
        """After the rows' fate committed: each listener on its own, and one that fails
        never undoes that fate."""
        report = Settled(tuple(rows), now)
        for listener in self._listeners.settled:
            try:
                await listener(report)
            except Exception:
                log.exception(
                    "a listener to settled outbox rows %s failed", [row.id for row in rows]
                )


async def _tell(
    listeners: Sequence[outcomes.InTransaction[outcomes.Report]],
    tx: Transaction,
    report: outcomes.Report,
) -> None:
    """Call each listener inside the sender's transaction, in order."""
    for listener in listeners:
        await listener(tx, report)


async def deliver(
    bot: Bot,
    chat_id: int,
    content: TextContent | MediaContent | AlbumContent | PollContent,
    uploads: dict[str, str],
    *,
    outbox: bool = True,
) -> Sequence[Message]:
    """Send one stored content to one chat; returns what Telegram made of it. ``outbox``
    says the sender already holds the pacing slot (a preview is paced like a reply)."""
    limits: dict[str, Any] = {"rate_limit_args": OUTBOX} if outbox else {}
    if isinstance(content, PollContent):  # anonymous, one answer, closed by stopPoll
        poll = await bot.send_poll(
            chat_id, content.question, content.options, is_anonymous=True, **limits
        )
        return [poll]
    if isinstance(content, TextContent):
        message = await bot.send_message(
            chat_id,
            content.text,
            entities=_entities(content.entities),
            reply_markup=_keyboard(content.buttons, bot),
            **limits,
        )
        return [message]
    if isinstance(content, AlbumContent):
        media = [_input_media(item, uploads) for item in content.items]
        return await bot.send_media_group(chat_id, media, **limits)
    source = _file(content, uploads)
    common: dict[str, Any] = {
        "caption": content.caption,
        "caption_entities": _entities(content.caption_entities),
        **limits,
    }
    senders: dict[str, Callable[..., Awaitable[Message]]] = {
        "photo": bot.send_photo,
        "video": bot.send_video,
        "animation": bot.send_animation,
        "document": bot.send_document,
        "voice": bot.send_voice,
        "audio": bot.send_audio,
    }
    message = await senders[content.kind](chat_id, source, **common)
    if content.path is not None:
        _remember_upload(content, message, uploads)
    return [message]


def _file(content: MediaContent, uploads: dict[str, str]) -> Any:
    if content.file_id is not None:
        return content.file_id
    assert content.path is not None
    return uploads.get(content.path) or Path(content.path).read_bytes()


def _remember_upload(content: MediaContent, message: Message, uploads: dict[str, str]) -> None:
    """After the first upload, later groups get the file id instead of the bytes again."""
    assert content.path is not None
    attachment = message.effective_attachment
    if isinstance(attachment, tuple | list) and attachment:
        attachment = attachment[-1]
    file_id = getattr(attachment, "file_id", None)
    if file_id:
        uploads[content.path] = file_id


def _input_media(item: MediaContent, uploads: dict[str, str]) -> Any:
    kinds = {
        "photo": InputMediaPhoto,
        "video": InputMediaVideo,
        "document": InputMediaDocument,
        "audio": InputMediaAudio,
    }
    return kinds[item.kind](
        media=_file(item, uploads),
        caption=item.caption,
        caption_entities=_entities(item.caption_entities),
    )


def _keyboard(rows: list[list[OutboxButton]], bot: Bot) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    b.text,
                    callback_data=b.data,
                    url=b.url if b.start is None else start_link(bot.username, b.start),
                    web_app=None if b.web_app is None else WebAppInfo(b.web_app),
                )
                for b in row
            ]
            for row in rows
        ]
    )


def _entities(raw: list[dict[str, Any]]) -> list[MessageEntity] | None:
    if not raw:
        return None
    return [entity for entity in (MessageEntity.de_json(item, None) for item in raw) if entity]


def _content(row: OutboxRow) -> TextContent | MediaContent | AlbumContent | PollContent:
    if row.purpose == Purpose.POLL:
        return poll_from_json(row.content)
    return content_from_json(row.content)


def _message_count(row: OutboxRow) -> int:
    content = _content(row)
    return len(content.items) if isinstance(content, AlbumContent) else 1


def _forbidden_reason(description: str) -> str:
    lowered = description.lower()
    for fragment, reason in _FORBIDDEN_REASONS:
        if fragment in lowered:
            return reason
    return "reason.forbidden"
