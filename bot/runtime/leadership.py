"""Leadership: with several instances on one PostgreSQL database, exactly one sends.

Every instance answers the updates Telegram gives it, and writes what it wants sent to the
outbox. Only the leader runs the outbox sender and the scheduler, so Telegram's limits
(per bot token) are kept by one pacer, and a planned message is fired by one process. An
instance tries to take the lead every ``poll`` seconds; the leader checks every ``poll``
seconds that it still holds the lock and steps down at once when it does not. When the
leader dies, its database session ends, and another instance leads within ``poll``
seconds; rows the old leader had in flight go out again (the documented rule: only a
message in flight at a crash can arrive twice).

On SQLite the one instance leads from the start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from storage.leadership import LeaderLock

log = logging.getLogger(__name__)

POLL = 5.0


class Leadership:
    def __init__(
        self,
        lock: LeaderLock,
        *,
        on_gain: Callable[[], Awaitable[None]],
        on_loss: Callable[[], Awaitable[None]],
        poll: float = POLL,
    ) -> None:
        self._lock = lock
        self._on_gain = on_gain
        self._on_loss = on_loss
        self._poll = poll
        self._task: asyncio.Task[None] | None = None
        self._stepping = asyncio.Lock()  # a gain or loss runs to its end, even at a stop
        self.leading = False
        self.changed = asyncio.Event()  # set at each gain or loss (tests wait on it)

    @property
    def instance(self) -> int | None:
        """This instance's presence key (None on SQLite, where there is one instance)."""
        return self._lock.instance

    async def start(self) -> None:
        """Try once now (the usual single instance leads before its first update), then
        keep watching in the background."""
        await self._step()
        self._task = asyncio.create_task(self._watch(), name="leadership")

    async def stop(self) -> None:
        async with self._stepping:
            await self._stop()

    async def _stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.leading:
            await self._step_down("stopping")
        await self._lock.release()

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self._poll)
            try:
                async with self._stepping:
                    await self._step()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("leadership check failed; trying again in %.0f s", self._poll)

    async def _step(self) -> None:
        if self.leading:
            if not await self._lock.held():
                await self._step_down("the database lock was lost")
        elif await self._lock.try_acquire():
            self.leading = True
            log.info("leading: this instance sends the outbox and fires the schedule")
            try:
                await self._on_gain()
            except BaseException:
                await self._step_down("starting to lead failed")
                raise
            self.changed.set()

    async def _step_down(self, why: str) -> None:
        self.leading = False
        level = logging.INFO if why == "stopping" else logging.WARNING
        log.log(level, "no longer leading (%s): sending stops here", why)
        try:
            await self._on_loss()
        finally:
            await self._lock.release()
            self.changed.set()
