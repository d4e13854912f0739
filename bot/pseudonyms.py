"""Pseudonyms: engagement is recorded under an HMAC of the Telegram user id, never the id.

The key belongs to the deployment: ``KANNUSTIN_PSEUDONYM_KEY``, a key file named by
``KANNUSTIN_PSEUDONYM_KEY_FILE`` (the ``pseudonym.key`` of an SQLite deployment moved to
PostgreSQL), or, when neither is set, a random key created on first run in
``pseudonym.key`` beside the SQLite database (mode 600, in a folder made 700; an older key
file open to others is made 600 when it is read). The same person gets the same pseudonym
in every group and export; without the key a pseudonym cannot be turned back into a
person. A copy of the database alone does not carry the key.

Research extracts never show these pseudonyms. Each study gets its own key, derived from
the deployment's key and the study's name (HMAC(key, "study:" + name)), and in its extract
a person is HMAC(study key, their pseudonym) and a group HMAC(study key, its number), as
base32 text: the same in every extract of one study, unrelated between two studies, and
unrelated to the bot's own pseudonyms for anyone without the deployment's key. No new key
to keep.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

from storage.files import make_private, private_folder

log = logging.getLogger(__name__)

KEY_FILE = "pseudonym.key"
MIN_KEY_BYTES = 16
STUDY_PERSON = 16  # base32 characters (80 bits): no chance collision between studies
STUDY_GROUP = 8  # base32 characters (40 bits): a study holds hundreds of groups, not millions


class Pseudonyms:
    def __init__(self, key: bytes | None = None, *, key_file: Path | None = None) -> None:
        self._key = key
        self._key_file = key_file

    def of(self, telegram_id: int) -> str:
        digest = hmac.new(self._load(), str(telegram_id).encode(), hashlib.sha256)
        return digest.hexdigest()[:24]

    def resolved(self) -> Pseudonyms:
        """The same pseudonyms with the key itself (read or made now), not its file: for a
        process of its own, which must neither read nor create the file."""
        return Pseudonyms(self._load())

    def study(self, name: str) -> StudyPseudonyms:
        """The pseudonyms of one research study (``name`` as the extract records it)."""
        return StudyPseudonyms(_mac(self._load(), f"study:{name}"))

    def _load(self) -> bytes:
        if self._key is None:
            self._key = (
                _read_or_create(self._key_file)
                if self._key_file is not None
                else secrets.token_bytes(32)  # an in-memory database: pseudonyms die with it
            )
        return self._key


class StudyPseudonyms:
    """A study's own names for people and groups: stable within the study, unlinkable
    across studies and to the bot's pseudonyms without the deployment's key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def person(self, pseudonym: str) -> str:
        """The study pseudonym of the person the bot knows as ``pseudonym``."""
        return _base32(_mac(self._key, f"person:{pseudonym}"), STUDY_PERSON)

    def group(self, group_id: int) -> str:
        """The study's key for the group numbered ``group_id`` in the database."""
        return _base32(_mac(self._key, f"group:{group_id}"), STUDY_GROUP)


def _mac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def _base32(digest: bytes, length: int) -> str:
    return base64.b32encode(digest).decode("ascii")[:length]


def for_database(
    database_path: str, configured: str | None, key_file: Path | None = None
) -> Pseudonyms:
    if configured is not None:
        return Pseudonyms(configured.encode())
    if key_file is not None:
        return Pseudonyms(_read(key_file))  # named by the admin: it must exist already
    if database_path == ":memory:":
        return Pseudonyms()
    return Pseudonyms(key_file=Path(database_path).parent / KEY_FILE)


class PseudonymKeyError(Exception):
    """The key file is unreadable or too short: never fall back to a weak key."""


def describe(database_path: str, configured: str | None, key_file: Path | None = None) -> str:
    """One line for ``kannustin check``; raises ``PseudonymKeyError`` for a bad key file."""
    if configured is not None:
        return "key from KANNUSTIN_PSEUDONYM_KEY"
    if key_file is not None:
        _read(key_file)
        return f"key file {key_file} (KANNUSTIN_PSEUDONYM_KEY_FILE)"
    if database_path == ":memory:":
        return "a key for this run only (in-memory database)"
    path = Path(database_path).parent / KEY_FILE
    if not path.exists():
        return f"{path} will be created on first use"
    _read(path)
    return f"key file {path}"


def _read(path: Path) -> bytes:
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError) as error:
        raise PseudonymKeyError(f"{path}: not a readable pseudonym key ({error})") from None
    if len(key) < MIN_KEY_BYTES:
        raise PseudonymKeyError(f"{path}: the pseudonym key is too short; restore it from a backup")
    return key


def _read_or_create(path: Path) -> bytes:
    if path.exists():
        make_private(path)  # one from an older version may be open to others
        return _read(path)
    private_folder(path.parent)
    key = secrets.token_bytes(32)
    # written whole to a private temporary file, then renamed: a crash never leaves a
    # half-written (weak) key behind
    temporary = path.with_name(f".{KEY_FILE}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(key.hex() + "\n")
        file.flush()
        os.fsync(file.fileno())
    try:
        os.link(temporary, path)  # fails if another process created the key meanwhile
    except FileExistsError:
        return _read(path)
    finally:
        temporary.unlink()
    log.info("created a new pseudonym key in %s: keep it with the database's backups", path)
    return key
