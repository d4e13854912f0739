"""Work in a process of its own (``bot/runtime/apart.py``): the answer comes back, the
loop goes on while the child works, the child runs at a lower priority, its log lines and
its errors reach the bot, a child that dies is reported, and a cancelled call ends its
child. The functions the children run are this module's."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path

import pytest

from bot.errors import DomainError
from bot.runtime import apart

WAIT = 60.0  # seconds a child waits at most for what the test does (it does it at once)

log = logging.getLogger("tests.apart")


def shout(words: str) -> str:
    log.warning("shouting %s", words)
    log.debug("not wanted at the bot's level")
    return words.upper()


def refuse() -> None:
    raise DomainError("export.too-big")


def niceness() -> int:
    return os.nice(0)


def wait_for(pid_file: str, path: str) -> str:
    """Tell the test who we are, then block (as a long export would) until ``path``."""
    Path(pid_file).write_text(str(os.getpid()))
    deadline = time.monotonic() + WAIT
    while not Path(path).exists():
        if time.monotonic() > deadline:
            return "never came"
        time.sleep(0.01)
    return "seen"


def written(path: Path) -> bool:
    return path.exists() and bool(path.read_text())


async def appears(path: Path) -> None:
    for _ in range(int(WAIT * 100)):
        if written(path):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{path} never appeared")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_the_answer_comes_from_another_process() -> None:
    assert await apart.run(os.getpid) != os.getpid()
    assert await apart.run(shout, "hei") == "HEI"


async def test_the_loop_goes_on_while_the_child_works(tmp_path: Path) -> None:
    pid_file, signal = tmp_path / "pid", tmp_path / "go"
    work = asyncio.ensure_future(apart.run(wait_for, str(pid_file), str(signal)))
    await appears(pid_file)  # the loop runs this while the child blocks
    assert not work.done()
    signal.write_text("go")  # ...and only the loop can let the child finish
    assert await work == "seen"


async def test_the_child_runs_at_a_lower_priority() -> None:
    assert await apart.run(niceness) >= min(19, os.nice(0) + apart.NICENESS)


async def test_the_childs_log_lines_reach_the_log_at_its_level(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    await apart.run(shout, "hei")
    lines = [r for r in caplog.records if r.name == "tests.apart"]
    assert [(r.levelno, r.getMessage()) for r in lines] == [(logging.WARNING, "shouting hei")]
    assert lines[0].process != os.getpid()


async def test_an_error_is_raised_here_with_the_childs_traceback() -> None:
    with pytest.raises(DomainError) as raised:
        await apart.run(refuse)
    assert raised.value.key == "export.too-big"
    notes = "".join(raised.value.__notes__)
    assert "in kannustin-refuse" in notes
    assert "raise DomainError" in notes


async def test_a_child_that_dies_is_reported() -> None:
    with pytest.raises(apart.ApartError, match="kannustin-_exit ended without an answer"):
        await apart.run(os._exit, 3)


async def test_a_cancelled_call_ends_its_child(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    work = asyncio.ensure_future(apart.run(wait_for, str(pid_file), str(tmp_path / "never")))
    await appears(pid_file)
    pid = int(pid_file.read_text())
    assert alive(pid)
    work.cancel()
    with pytest.raises(asyncio.CancelledError):
        await work
    assert not alive(pid)  # terminated and reaped, not left to wait a minute
