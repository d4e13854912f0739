"""Updates side by side, each chat's own in order (DESIGN rule 13).

PTB hands every update to ``ChatOrderedProcessor``. An update waits only for the earlier
updates that share one of its *order keys*, then for a worker (at most ``WORKERS`` updates
run at once; a free worker goes to a waiting message or command before a waiting button
press), and runs:

- every update is keyed by its chat: a person's quick sequence of messages in a private
  chat (the steps of a compose, a plan and then its rating) and a group's commands are
  handled in the order they came;
- a button pressed in a group is keyed by the presser too (a private chat's id is its
  person's id), because the press changes that person's own state (a consent, a
  check-in) which their private chat may be changing at the same moment;
- an update without a chat (an inline query, a poll answer) is keyed by its person.

Why running side by side is safe: every unit of work is one ``Database.transaction()``,
which one lock serialises within the process (``storage/database.py``), and every
service decides inside the transaction that writes (an insert that may already exist is
an upsert or is checked in the same transaction; a counter is incremented in SQL, not
read and written back). Interleaving only ever happens *between* transactions, where
the services keep nothing in memory that another chat could change.

A handler waiting for a send slot (``bot/runtime/pacing.py``: a private chat may receive
about one message a second) gives its worker back while it waits (``stepping_aside``),
so a reply that must wait holds back nobody else's. And a message sent while handling a
button press lets the answers to other updates go first when the overall budget is full
(``answering_a_press``): the press was answered at once by its callback answer, while a
command's answer is the only sign the bot heard it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
from collections import deque
from collections.abc import AsyncIterator, Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

WORKERS = 16  # updates handled at once (the rest wait for a worker)
# updates PTB may hand over at once, most of them waiting for their chat's turn; a bound
# far above WORKERS, so that one busy chat's queue never takes the places of other chats
ACCEPTED = 100_000


class _Workers:
    """At most ``size`` updates at once. A worker that comes free goes to a waiting message
    or command before a waiting button press: a press is acknowledged by its spinner and
    its callback answer, while a command's answer is the only sign it was heard, so fifty
    presses in one second do not queue an instructor's command behind all of them."""

    def __init__(self, size: int) -> None:
        self.free = size
        self._waiting: tuple[deque[asyncio.Future[None]], deque[asyncio.Future[None]]] = (
            deque(),  # messages, commands, everything but presses
            deque(),  # button presses
        )

    async def take(self, *, press: bool) -> None:
        if self.free > 0 and not any(self._waiting):
            self.free -= 1
            return
        waiting = asyncio.get_running_loop().create_future()
        queue = self._waiting[press]
        queue.append(waiting)
        try:
            await waiting
        except asyncio.CancelledError:
            if waiting.done() and not waiting.cancelled():
                self.give_back()  # handed over just as the update was cancelled
            elif waiting in queue:
                queue.remove(waiting)
            raise

    def give_back(self) -> None:
        for queue in self._waiting:
            while queue:
                waiting = queue.popleft()
                if not waiting.done():
                    waiting.set_result(None)
                    return
        self.free += 1


class _Turn:
    """The worker an update holds; given back while it waits for something slow."""

    def __init__(self, workers: _Workers, *, press: bool) -> None:
        self._workers = workers
        self.held = False
        self.press = press

    async def take(self) -> None:
        await self._workers.take(press=self.press)
        self.held = True

    def give_back(self) -> None:
        if self.held:
            self.held = False
            self._workers.give_back()


_TURN: contextvars.ContextVar[_Turn | None] = contextvars.ContextVar("update_turn", default=None)


def order_keys(update: object) -> tuple[int, ...]:
    """The chats and people whose earlier updates this one must wait for."""
    if not isinstance(update, Update):
        return ()
    chat = update.effective_chat
    user = update.effective_user
    keys: list[int] = []
    if chat is not None:
        keys.append(chat.id)
    if user is not None and (chat is None or (update.callback_query and chat.id != user.id)):
        keys.append(user.id)
    return tuple(keys)


class ChatOrderedProcessor(BaseUpdateProcessor):
    """PTB's update processor: different chats side by side, one chat in order."""

    def __init__(self, workers: int = WORKERS, accepted: int = ACCEPTED) -> None:
        super().__init__(accepted)
        self.workers = workers
        self._workers = _Workers(workers)
        # the last update of each key: an update waits for the one before it to finish
        self._last: dict[int, asyncio.Event] = {}
        self.running = 0  # updates holding a worker now (for the tests and benchmarks)

    @property
    def waiting_keys(self) -> int:
        """Chats and people with an update not yet finished (bounded by what is in flight)."""
        return len(self._last)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        keys = order_keys(update)
        finished = asyncio.Event()
        # registered before the first await, so the order is the order PTB hands them over
        earlier = [self._last[key] for key in keys if key in self._last]
        for key in keys:
            self._last[key] = finished
        turn = _Turn(
            self._workers, press=isinstance(update, Update) and update.callback_query is not None
        )
        started = False
        try:
            for event in earlier:
                await event.wait()
            await turn.take()
            self.running += 1
            token = _TURN.set(turn)
            try:
                started = True
                await coroutine
            finally:
                _TURN.reset(token)
                self.running -= 1
        finally:
            turn.give_back()
            finished.set()
            for key in keys:
                if self._last.get(key) is finished:
                    del self._last[key]
            if not started and inspect.iscoroutine(coroutine):
                coroutine.close()  # cancelled while waiting (a shutdown): never ran

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


@contextlib.asynccontextmanager
async def stepping_aside() -> AsyncIterator[None]:
    """While the update being handled waits (for a send slot), its worker is free for
    other updates; it takes one again before it goes on. Outside an update: nothing."""
    turn = _TURN.get()
    if turn is None or not turn.held:
        yield
        return
    turn.give_back()
    try:
        yield
    finally:
        await turn.take()


def answering_a_press() -> bool:
    """Whether the update being handled is a button press: its callback answer tells the
    presser at once that they were heard, so a message it sends may let others' answers
    go first when the overall budget is full (``bot/runtime/pacing.py``)."""
    turn = _TURN.get()
    return turn is not None and turn.press
