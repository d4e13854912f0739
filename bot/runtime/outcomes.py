"""What the outbox sender reports, and the hooks the services react through.

The sender (``bot/runtime/outbox.py``) only transports: it sends rows, records each row's
fate and reports what happened, one typed report per outcome. It knows nothing of
broadcasts, tips, groups or people; the services that own those react to its reports
through the hooks in ``DeliveryListeners``, passed to its constructor in
``bot/runtime/wiring.py`` (that is where to read who reacts to what).

When each hook runs, and why:

- ``due``, ``delivered``, ``failed``, ``chat_gone`` and ``migrated`` run inside the
  transaction in which the sender takes the due rows or records a row's fate, so what a
  listener changes commits together with that fate or not at all (a delivered tip counts
  as used exactly when its row is ``sent``). A listener that raises undoes the whole
  transaction, as if the sender had failed to record the fate: a delivered row stays
  ``sending`` (sent again only after a restart), any other is tried again later.
- ``settled`` runs after that transaction committed; each listener opens its own
  transactions and one that raises is only logged, so it never undoes a row's recorded
  fate (the delivery report of a broadcast).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from storage import Transaction
from storage.outbox import OutboxRow

Report = TypeVar("Report")
# a listener inside the sender's transaction, and one after it committed
InTransaction = Callable[[Transaction, Report], Awaitable[None]]
AfterCommit = Callable[[Report], Awaitable[None]]


@dataclass(frozen=True)
class Due:
    """The sender is taking the rows due at ``at`` (once a round, before any is sent)."""

    at: dt.datetime


@dataclass(frozen=True)
class Delivered:
    """Telegram took the row; the ids of the messages it made (an album makes several)."""

    row: OutboxRow
    message_ids: tuple[int, ...]
    at: dt.datetime


@dataclass(frozen=True)
class Failed:
    """The row will never be sent; ``reason`` is a message key (``reason.kicked``...)."""

    row: OutboxRow
    reason: str
    at: dt.datetime


@dataclass(frozen=True)
class ChatGone:
    """The chat removed, kicked or blocked the bot, or no longer exists. The sender has
    failed the row that learnt it and every other pending row to that chat, each reported
    as ``Failed`` in the same transaction."""

    chat_id: int
    reason: str
    at: dt.datetime

    @property
    def private(self) -> bool:
        """A person's private chat (Telegram gives groups negative ids)."""
        return self.chat_id > 0


@dataclass(frozen=True)
class ChatMigrated:
    """A group became a supergroup: the sender retargeted the row to ``new_chat_id`` and
    sends it again at once."""

    old_chat_id: int
    new_chat_id: int
    at: dt.datetime


@dataclass(frozen=True)
class Settled:
    """Rows whose final fate (sent or failed) is committed: the row just recorded, and the
    rows to a gone chat failed with it."""

    rows: tuple[OutboxRow, ...]
    at: dt.datetime


@dataclass(frozen=True)
class DeliveryListeners:
    """Who reacts to each of the sender's reports, one hook per outcome, each a tuple of
    listeners called in order (see the module docstring for which transaction)."""

    due: tuple[InTransaction[Due], ...] = ()
    delivered: tuple[InTransaction[Delivered], ...] = ()
    failed: tuple[InTransaction[Failed], ...] = ()
    chat_gone: tuple[InTransaction[ChatGone], ...] = ()
    migrated: tuple[InTransaction[ChatMigrated], ...] = ()
    settled: tuple[AfterCommit[Settled], ...] = ()
