"""Files that hold the deployment's data are its owner's alone: the SQLite database with its
``-wal`` and ``-shm``, backups, the files ``kannustin export`` writes and the pseudonym key
are created mode 600, and a folder the bot creates for them 700, whatever the process's
umask.

SQLite gives its ``-wal``, ``-shm`` and ``-journal`` files the database file's mode, so
creating the database file itself private is enough. A file found readable or writable by
others (made by an older version, or copied in) is made 600 when the bot opens it, with a
warning that says so; a folder that exists already is left as it is (it may be shared on
purpose, such as ``/var/backups``): the files in it are private anyway.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(path: Path) -> None:
    """Create ``path`` and its missing parents, each mode 700; an existing one stays as it is."""
    missing = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            continue  # made meanwhile by another process
        os.chmod(folder, FOLDER_MODE)  # mkdir's mode passes through the umask


def create_private(path: Path) -> None:
    """Create the empty file ``path``, mode 600; ``FileExistsError`` if it exists."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    os.chmod(path, FILE_MODE)  # the umask may have taken a bit away


def make_private(path: Path) -> None:
    """A file others may read or write becomes mode 600, with a warning; a missing file, or
    one already private, is left alone."""
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        return
    if not mode & 0o077:
        return
    try:
        os.chmod(path, FILE_MODE)
    except OSError as error:
        log.warning(
            "%s is open to other users (mode %o) and could not be made private: %s",
            path,
            mode,
            error.strerror,
        )
        return
    log.warning("%s was open to other users (mode %o): now mode 600", path, mode)


@contextlib.contextmanager
def private_file(path: Path) -> Iterator[IO[bytes]]:
    """``path`` opened for writing and readable by its owner only (mode 600, also when it
    was there before); a file left half-written by a failure is removed."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(descriptor, FILE_MODE)  # an existing file keeps its mode through os.open
    try:
        with os.fdopen(descriptor, "wb") as file:
            yield file
    except BaseException:
        path.unlink(missing_ok=True)
        raise
