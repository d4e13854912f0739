"""Work in a process of its own: what would hold the bot's interpreter for seconds (an
export over a million events: reading, disclosing and building a workbook) runs in a child
process, so the bot's event loop and its threads never wait for the interpreter lock
while it runs (a worker thread would take the lock in turns with the loop, every 5 ms, and
a person's answer waits for each turn).

- Children are forked from a ``forkserver`` (started once, on first use, with the module
  of the work already imported), never from the bot itself: forking a process that
  runs threads and an event loop is unsafe, and starting a fresh interpreter for every
  export would import everything again.
- A child runs at a lower CPU priority (``NICENESS``), so on a machine with few cores the
  bot's answers come first and the export takes what is left.
- One child per call: its memory goes back to the system when it ends, and a cancelled
  call (the bot stopping) terminates it.
- What the child logs is sent back with its answer and logged here, through the bot's own
  handlers (which remove secrets); an exception it raises is raised here, with the
  child's traceback as a note.
- The function and its arguments travel by pickle: a module-level function and plain
  data (no connections, locks or event loops).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import logging.handlers
import multiprocessing
import multiprocessing.connection
import os
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

NICENESS = 10  # added to the child's CPU priority (0 normal, 19 lowest)


class ApartError(RuntimeError):
    """The child ended without an answer (killed, out of memory, crashed)."""


_context = multiprocessing.get_context("forkserver")
_preloaded: set[str] = set()


async def run(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in a child process; its result, or its exception raised here."""
    _preload(function.__module__)
    receiving, sending = _context.Pipe(duplex=False)
    level = logging.getLogger().getEffectiveLevel()
    process = _context.Process(
        target=_child,
        args=(sending, level, function, args),
        name=f"kannustin-{getattr(function, '__name__', 'work')}",
        daemon=True,
    )
    try:
        await asyncio.to_thread(process.start)  # the first one starts the forkserver
    except BaseException:
        receiving.close()
        sending.close()
        raise
    sending.close()  # the child's copy is the only writer: its end is our end of file
    receiver = asyncio.ensure_future(asyncio.to_thread(_receive, receiving))
    try:
        outcome = await asyncio.shield(receiver)
    except BaseException:
        process.terminate()  # cancelled: the child's end closes, so the receiver ends too
        await asyncio.shield(receiver)
        raise
    finally:
        if receiver.done():
            receiving.close()
            await asyncio.to_thread(process.join)
    if outcome is None:
        raise ApartError(f"{process.name} ended without an answer (exit code {process.exitcode})")
    records, result, error, trace = outcome
    for record in records:
        logging.getLogger(record.name).handle(record)
    if error is not None:
        error.add_note(f"in {process.name} (pid {process.pid}):\n{trace}")
        raise error
    return result  # type: ignore[no-any-return]


def _preload(module: str) -> None:
    """The forkserver imports the modules of the work it was given before it was started,
    once, rather than every child importing them again."""
    if module not in _preloaded:
        _preloaded.add(module)
        _context.set_forkserver_preload(sorted(_preloaded))


def _receive(receiving: multiprocessing.connection.Connection) -> Any:
    try:
        return receiving.recv()
    except EOFError:
        return None


class _Records(list[logging.LogRecord]):
    """The child's log records, kept to be sent with its answer (a ``QueueHandler``'s
    queue: each record already formatted and stripped of what may not pickle)."""

    def put_nowait(self, record: logging.LogRecord) -> None:
        self.append(record)

    def get(self) -> logging.LogRecord:  # the queue protocol's other half: never read here
        return self.pop(0)


def _child(
    sending: multiprocessing.connection.Connection,
    level: int,
    function: Callable[..., Any],
    args: tuple[Any, ...],
) -> None:
    with contextlib.suppress(OSError):  # not allowed here: the bot's own priority
        os.nice(NICENESS)
    records = _Records()
    root = logging.getLogger()
    root.handlers[:] = [logging.handlers.QueueHandler(records)]
    root.setLevel(level)
    try:
        outcome: tuple[Any, ...] = (records, function(*args), None, None)
    except BaseException as error:  # every failure goes back to the caller
        outcome = (records, None, error, traceback.format_exc())
    try:
        sending.send(outcome)
    except Exception as unsent:  # an answer or error that will not pickle
        trace = "".join(traceback.format_exception(unsent))
        sending.send((records, None, ApartError(f"the answer could not be sent: {unsent}"), trace))
    finally:
        sending.close()
