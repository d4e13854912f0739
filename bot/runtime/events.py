"""The engagement log: who took part, when and how, as metadata only.

``EventLog.record`` never waits for the database: an event goes into a memory queue and a
background task writes the queue in batches (one transaction each) every ``interval``
seconds, or at once when ``batch`` events are waiting. Stopping writes what is left, so
a clean shutdown loses nothing. A person is recorded only as a pseudonym; attributes are
a few small values (a message's type, a confidence, a button's name), never text
someone wrote.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from bot.clock import Clock
from bot.pseudonyms import Pseudonyms
from storage import Database
from storage.states import EventKind
from storage.timestamps import to_db

log = logging.getLogger(__name__)

MAX_ATTRIBUTES = 8
MAX_VALUE = 24  # characters: a label or a type, never a text someone wrote

Attribute = str | int | float | bool


class EventLog:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        pseudonyms: Pseudonyms,
        *,
        batch: int = 2_000,
        interval: float = 0.5,
    ) -> None:
        self._database = database
        self._clock = clock
        self._pseudonyms = pseudonyms
        self._batch = batch
        self._interval = interval
        self._queue: list[tuple[str, int | None, str | None, str, str | None]] = []
        self._full = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.written = 0

    def record(
        self,
        kind: EventKind,
        *,
        group_id: int | None = None,
        person_id: int | None = None,
        **attributes: Attribute,
    ) -> None:
        """Queue one event; returns at once."""
        if len(attributes) > MAX_ATTRIBUTES or any(
            isinstance(value, str) and len(value) > MAX_VALUE for value in attributes.values()
        ):
            raise ValueError("event attributes are a few short values, never free text")
        pseudonym = self._pseudonyms.of(person_id) if person_id is not None else None
        self._queue.append(
            (
                to_db(self._clock.now()),
                group_id,
                pseudonym,
                kind.value,
                json.dumps(attributes, separators=(",", ":")) if attributes else None,
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
        """Write what is queued now, in one transaction."""
        rows, self._queue = self._queue, []
        self._full.clear()
        if not rows:
            return
        try:
            async with self._database.transaction() as tx:
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
