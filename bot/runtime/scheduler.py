"""The scheduler's jobs, derived from ``schedule_items`` (the source of truth).

At start-up every pending item gets a one-off job in PTB's job queue (APScheduler); an
item that fell due while the bot was down fires at once, and the firing rules in
``bot/services/meetings.py`` decide whether it is still sent. Items planned later get their jobs
as they are planned (the meeting service calls ``add_all``; ``bot/runtime/wiring.py`` links
the two). A job carries its item and the due time it was made for: a job left
over from a time the item no longer has fires into nothing, and a second firing of the
same due time finds the item already done.

Delays are measured on the bot's clock (so a test's clock and the jobs agree). A job never
counts as "missed" however late it runs (a busy start-up must not lose a reminder), and a
sweep every ``SWEEP`` seconds fires anything due that has no job left: a firing that
failed, or one lost for any other reason, and makes jobs for items planned by another
instance. Only the leading instance (``bot/runtime/leadership.py``) has the jobs.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram.ext import CallbackContext, JobQueue

from bot.clock import Clock
from bot.services.meetings import MeetingService
from storage.meetings import ScheduleItem

log = logging.getLogger(__name__)

SWEEP = 60.0


class ScheduleRunner:
    def __init__(
        self,
        meetings: MeetingService,
        clock: Clock,
        chores: Sequence[Callable[[], Awaitable[object]]] = (),
    ) -> None:
        self._meetings = meetings
        self._clock = clock
        # run at every sweep: the survey reminders, retention, the review reminders...
        self._chores = chores
        self._queue: JobQueue[Any] | None = None
        self._scheduled: set[tuple[int, dt.datetime]] = set()

    async def start(self, queue: JobQueue[Any]) -> int:
        """Rebuild the jobs of every pending item; returns how many."""
        self._queue = queue
        items = await self._meetings.pending()
        self.add_all(items)
        queue.run_repeating(
            self._sweep,
            interval=SWEEP,
            first=SWEEP,
            name="schedule-sweep",
            job_kwargs={"misfire_grace_time": None, "coalesce": True},
        )
        log.info("scheduler: %d planned messages restored", len(items))
        return len(items)

    def stop(self) -> None:
        """Drop every job (this instance no longer leads); ``start`` rebuilds them."""
        if self._queue is not None:
            for job in self._queue.jobs():
                if job.name and job.name.startswith("schedule-"):
                    job.schedule_removal()
        self._queue = None
        self._scheduled.clear()

    def add_all(self, items: Sequence[ScheduleItem]) -> None:
        for item in items:
            self.add(item)

    def add(self, item: ScheduleItem) -> None:
        key = (item.id, item.due_at)
        if self._queue is None or key in self._scheduled:
            return
        self._scheduled.add(key)
        delay = max((item.due_at - self._clock.now()).total_seconds(), 0.0)
        self._queue.run_once(
            self._fire,
            when=delay,
            data=key,
            name=f"schedule-{item.id}",
            job_kwargs={"misfire_grace_time": None},
        )

    async def _fire(self, context: CallbackContext[Any, Any, Any, Any]) -> None:
        assert context.job is not None
        data: tuple[int, dt.datetime] = context.job.data  # type: ignore[assignment]
        await self._fire_one(*data)

    async def _fire_one(self, item_id: int, due_at: dt.datetime) -> None:
        try:
            await self._meetings.fire(item_id, due_at)
        except Exception:
            # still pending: the sweep tries again
            log.exception("schedule item %d failed to fire; the sweep will retry", item_id)
        finally:
            self._scheduled.discard((item_id, due_at))

    async def _sweep(self, context: CallbackContext[Any, Any, Any, Any]) -> None:
        for item in await self._meetings.due():
            if (item.id, item.due_at) not in self._scheduled:
                await self._fire_one(item.id, item.due_at)
        # items another instance planned (it writes them, the leader fires them)
        self.add_all(await self._meetings.pending())
        await self._run_chores()

    async def sweep_now(self) -> None:
        """One sweep at once (tests, and after a pause)."""
        for item in await self._meetings.due():
            await self._fire_one(item.id, item.due_at)
        await self._run_chores()

    async def _run_chores(self) -> None:
        for chore in self._chores:
            try:
                await chore()
            except Exception:
                log.exception("a periodic chore failed; it runs again at the next sweep")
