"""The engagement log: who took part, when and how, as metadata only.

``EventLog.record`` never waits for the database: an event goes into a memory queue and a
background task writes the queue in batches (one transaction each) every ``interval``
seconds, or at once when ``batch`` events are waiting. Stopping writes what is left, so
a clean shutdown loses nothing. A person is recorded only as a pseudonym.

Only the bot's own values get in. The kind is an ``EventKind`` (anything else is counted
as ``unrecognised``); each attribute is one of ``ATTRIBUTES``, a whole number, a yes or no,
or a word of a fixed set (a message's type, a button's namespace, a progress answer): never
text someone wrote or data a stranger sent. An attribute that breaks this is dropped with
a log line that names it (never its value). And one person leaves at most ``limit`` events
of each kind in a clock hour (``KANNUSTIN_EVENT_LIMIT``, far above what people do): the
rest of that hour's are dropped, with one log line, so a flood of forged presses cannot
grow the log without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable

from bot.clock import Clock
from bot.pseudonyms import Pseudonyms
from content.library import Theme
from content.surveys import ITEM_ID
from storage import Database
from storage.checkins import STAGES
from storage.states import ButtonNamespace, EventKind, MessageType, Progress, Round
from storage.timestamps import to_db

log = logging.getLogger(__name__)

Attribute = str | int | bool
PEOPLE_COUNTED = 10_000  # people whose hour is counted, the most recently active


def _whole(value: Attribute) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _flag(value: Attribute) -> bool:
    return isinstance(value, bool)


def _word(words: Iterable[str]) -> Callable[[Attribute], bool]:
    allowed = frozenset(words)
    return lambda value: isinstance(value, str) and value in allowed


def _id(pattern: str) -> Callable[[Attribute], bool]:
    compiled = re.compile(pattern)
    return lambda value: isinstance(value, str) and compiled.fullmatch(value) is not None


# Every attribute an event may carry (by the kinds that carry it) and the values it takes.
ATTRIBUTES: dict[str, Callable[[Attribute], bool]] = {
    "type": _word(MessageType),  # message, reply
    "change": _whole,  # reaction: a person's reactions, how many more (or fewer)
    "total": _whole,  # reaction: an anonymous message's count
    "anonymous": _flag,
    "button": _word(ButtonNamespace),
    "confidence": _whole,  # check-in
    "attempt": _whole,
    "stage": _word(STAGES),  # progress
    "answer": _word(Progress),
    "theme": _word(Theme),  # tip-requested
    "round": _word(Round),  # survey-answered
    "item": _id(ITEM_ID),  # a question's id in the deployment's survey file
    "skipped": _flag,
    "broadcast": _whole,  # broadcast-delivered
    "week": _whole,  # buddy-paired
    "size": _whole,
}
_KINDS = frozenset(EventKind)


def allowed(name: str, value: object) -> bool:
    """Whether ``value`` is one the log takes for the attribute ``name`` (also for reading
    rows back: one an older version wrote may hold anything)."""
    check = ATTRIBUTES.get(name)
    return check is not None and isinstance(value, str | int | bool) and check(value)


class PersonLimit:
    """At most ``limit`` events of each kind per person in each clock hour.

    The counts of the ``people`` most recently active persons are kept, the least recently
    active forgotten first, so a crowd of strangers cannot grow the memory; a person
    forgotten starts the hour afresh, which lets more through, never fewer."""

    def __init__(self, limit: int, *, people: int = PEOPLE_COUNTED) -> None:
        self.limit = limit
        self._people = people
        self._hours: OrderedDict[int, tuple[int, Counter[str]]] = OrderedDict()
        self.dropped = 0

    @property
    def people(self) -> int:
        """How many people's counts are kept now."""
        return len(self._hours)

    def allow(self, person_id: int, kind: str, hour: int) -> bool:
        """Count one event; whether it is within the limit."""
        counted = self._hours.get(person_id)
        if counted is None or counted[0] != hour:
            counted = self._hours[person_id] = (hour, Counter())
        self._hours.move_to_end(person_id)
        if len(self._hours) > self._people:
            self._hours.popitem(last=False)
        counts = counted[1]
        counts[kind] += 1
        if counts[kind] <= self.limit:
            return True
        self.dropped += 1
        if counts[kind] == self.limit + 1:
            log.warning(
                "a person reached %d %s events this hour: their further ones are not logged "
                "until the next hour",
                self.limit,
                kind,
            )
        return False


class EventLog:
    """The engagement log; ``limit``: events of one kind per person in a clock hour."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        pseudonyms: Pseudonyms,
        *,
        batch: int = 2_000,
        interval: float = 0.5,
        limit: int,
    ) -> None:
        self._database = database
        self._clock = clock
        self._pseudonyms = pseudonyms
        self._batch = batch
        self._interval = interval
        self._queue: list[tuple[str, int | None, str | None, str, str | None]] = []
        self._full = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.per_person = PersonLimit(limit)
        self.written = 0

    def record(
        self,
        kind: EventKind,
        *,
        group_id: int | None = None,
        person_id: int | None = None,
        **attributes: Attribute,
    ) -> None:
        """Queue one event (only the bot's own kinds and values, within the person's
        limit); returns at once."""
        if kind not in _KINDS:
            log.error("an event of a kind the bot does not know: counted as unrecognised")
            kind, attributes = EventKind.UNRECOGNISED, {}
        own = {}
        for name, value in attributes.items():
            if allowed(name, value):
                own[name] = value
            else:
                log.error(
                    "a %s event's attribute %r dropped: not one of the log's values", kind, name
                )
        now = self._clock.now()
        if person_id is not None and not self.per_person.allow(
            person_id, kind, int(now.timestamp()) // 3600
        ):
            return
        pseudonym = self._pseudonyms.of(person_id) if person_id is not None else None
        self._queue.append(
            (
                to_db(now),
                group_id,
                pseudonym,
                EventKind(kind).value,
                json.dumps(own, separators=(",", ":")) if own else None,
            )
        )
        if len(self._queue) >= self._batch:
            self._full.set()

    def discard(self, pseudonym: str) -> None:
        """Drop what is queued about one person (their erasure is about to happen)."""
        self._queue = [row for row in self._queue if row[2] != pseudonym]

    @property
    def waiting(self) -> int:
        return len(self._queue)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="event-log")

    async def stop(self) -> None:
        """Stop the writer and write everything still queued."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for _ in range(3):
            if not self._queue:
                return
            try:
                await self.flush()
            except Exception:
                log.exception("writing the last %d events failed", len(self._queue))
        if self._queue:
            log.error("%d events could not be written at shutdown", len(self._queue))

    async def flush(self) -> None:
        """Write what is queued now, in one transaction. The queue is taken once the
        transaction has begun: an erasure (which ``discard``s in its own transaction) comes
        wholly before or wholly after, so no event of an erased person is written after
        it."""
        if not self._queue:
            return
        rows: list[tuple[str, int | None, str | None, str, str | None]] = []
        try:
            async with self._database.transaction() as tx:
                rows, self._queue = self._queue, []
                self._full.clear()
                if not rows:
                    return
                await tx.events.append(rows)
                groups = {row[1] for row in rows if row[1] is not None}
                await tx.events.roll_up(rows, await tx.analytics.start_days(groups))
        except BaseException:
            self._queue[:0] = rows  # not lost: written with the next batch
            raise
        self.written += len(rows)

    async def _run(self) -> None:
        while True:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancel that
            # comes with a wake-up, and stop() would then wait for ever
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval):
                    await self._full.wait()
            try:
                await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("writing %d events failed; trying again", len(self._queue))
                await asyncio.sleep(self._interval)
