"""Polls for co-design: a staff member's question with 2-10 options goes to the groups they
choose as a native anonymous Telegram poll, and at its end time they get the results per
group and together, through the disclosure rule.

- **Composing.** ``/poll END`` with the question on the next line and one option a line
  after it, in one message. What cannot be a poll (an end time unreadable, past or more
  than ``LONGEST`` ahead; a question over 300 characters; fewer than 2 or more than 10
  options, one over 100 characters, two the same) is answered and nothing is kept. Else
  the poll is kept as the composer's draft (a newer ``/poll`` replaces it) and a group
  button each is offered (those they may send to), with All, Send and Cancel.
- **Sending.** Send checks the groups again (one no longer theirs, or no longer active,
  is left out) and the end time; each group gets the poll through the outbox
  (``Purpose.POLL``; anonymous, one answer). Its delivery records the message
  (``delivered``); a group that never got it is marked failed (``failed``).
- **Closing.** At the end time (a chore of the scheduler's sweep, ``bot/runtime/polls.py``
  holding Telegram) each group's poll is claimed and stopped (``stopPoll``), its counts
  stored; once every group is done, the composer gets the results through the outbox.
- **Results.** Per group and together: how many answered and each option's count. A count
  about fewer than ``small`` people is hidden (``<5``), and so is any that would let one
  be worked out (``x``): the same rule as every other figure (``disclosure.suppress``).

Only counts are stored: an anonymous poll never tells the bot who voted for what.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass

from bot.clock import Clock
from bot.dates import date_time
from bot.errors import DomainError
from bot.i18n import Lines, PerLanguage, Text, Translator, Words
from bot.payload import PollContent, packed
from bot.replies import Button, Reply
from bot.runtime.outcomes import Delivered, Failed
from bot.services.access import load_actor, require_staff, visible_groups
from bot.services.broadcasts import sendable_groups
from bot.services.disclosure import Cell, Pattern, note, suppress
from bot.services.notices import StaffNotices
from bot.when import parse_when
from storage import Database, Transaction
from storage.groups import Group
from storage.polls import Poll, PollGroup
from storage.states import PollGroupStatus, PollStatus, Purpose

log = logging.getLogger(__name__)

QUESTION_LIMIT = 300  # characters (the Bot API's)
OPTION_LIMIT = 100
FEWEST, MOST = 2, 10  # options
LONGEST = dt.timedelta(days=90)  # how far ahead a poll may close
CLAIM_LEASE = dt.timedelta(minutes=5)  # a closing claim older than this was a crash's
# the draft's buttons
TOGGLE = "pl:t:"  # pl:t:<poll>:<group>
ALL = "pl:a:"  # pl:a:<poll>
SEND = "pl:s:"  # pl:s:<poll>
DROP = "pl:x:"  # pl:x:<poll>


@dataclass(frozen=True)
class Closing:
    """A group's poll to stop in Telegram."""

    poll_id: int
    group_id: int
    chat_id: int
    message_id: int


def poll_request(text: str) -> tuple[str, str, list[str]]:
    """``/poll END`` then the question, then an option a line: (end, question, options)."""
    lines = [line.strip() for line in text.splitlines()]
    first = lines[0].split(maxsplit=1) if lines else []
    end = first[1] if len(first) == 2 else ""
    rest = [line for line in lines[1:] if line]
    if not end or len(rest) < 1:
        raise DomainError("poll.usage")
    return end, rest[0], rest[1:]


class PollService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        admins: Collection[int],
        *,
        notices: StaffNotices,
        translator: Translator,
        default_timezone: str,
        small_numbers: int,
        notify: Callable[[], None] = lambda: None,
    ) -> None:
        self._database = database
        self._clock = clock
        self._admins = frozenset(admins)
        self._notices = notices
        self._translator = translator
        self._zone = default_timezone
        self._small = small_numbers
        self._notify = notify

    # Composing ----------------------------------------------------------------------------

    async def compose(self, actor_id: int, text: str) -> Reply:
        """``/poll ...``: the poll checked and kept as a draft; the groups to choose."""
        end, question, options = poll_request(text)
        now = self._clock.now()
        closes_at = parse_when(end, now, self._zone)
        if closes_at - now > LONGEST:
            raise DomainError("poll.too-far", days=LONGEST.days)
        _check(question, options)
        async with self._database.transaction() as tx:
            groups = await self._targets(tx, actor_id)
            if not groups:
                raise DomainError("broadcast.no-groups")
            poll_id = await tx.polls.draft(
                created_by=actor_id,
                question=question,
                options=options,
                closes_at=closes_at,
                now=now,
            )
            poll = await tx.polls.get(poll_id)
        assert poll is not None
        log.info("poll %d drafted by %s: %d options", poll_id, actor_id, len(options))
        return self._choice(poll, groups)

    async def toggle(self, actor_id: int, poll_id: int, group_id: int | None) -> Reply:
        """Tick or untick a group (``None``: all of them, or none when all are ticked)."""
        async with self._database.transaction() as tx:
            poll = await self._draft(tx, actor_id, poll_id)
            groups = await self._targets(tx, actor_id)
            ids = {group.id for group in groups}
            chosen = set(poll.target_ids) & ids
            if group_id is None:
                chosen = set() if chosen == ids else ids
            elif group_id not in ids:
                raise DomainError("access.not-your-group")
            else:
                chosen ^= {group_id}
            await tx.polls.set_targets(poll_id, sorted(chosen))
            poll = await self._draft(tx, actor_id, poll_id)
        return self._choice(poll, groups)

    def _choice(self, poll: Poll, groups: list[Group]) -> Reply:
        chosen = set(poll.target_ids)
        rows: list[tuple[Button, ...]] = [
            (
                Button(
                    f"{'✅' if group.id in chosen else '▫️'} {group.title}",
                    data=f"{TOGGLE}{poll.id}:{group.id}",
                ),
            )
            for group in groups
        ]
        rows.append(
            (
                Button(Text("poll.all-button"), data=f"{ALL}{poll.id}"),
                Button(Text("poll.send-button"), data=f"{SEND}{poll.id}"),
                Button(Text("poll.cancel-button"), data=f"{DROP}{poll.id}"),
            )
        )
        options = "\n".join(f"{n}. {option}" for n, option in enumerate(poll.option_texts, 1))
        closes = PerLanguage.of(lambda language: date_time(poll.closes_at, self._zone, language))
        words = Text(
            "poll.draft",
            {
                "number": poll.id,
                "question": poll.question,
                "options": options,
                "closes": closes,
                "chosen": len(chosen),
            },
        )
        return Reply(words, tuple(rows))

    async def drop(self, actor_id: int, poll_id: int) -> Reply:
        async with self._database.transaction() as tx:
            await self._draft(tx, actor_id, poll_id)
            await tx.polls.set_status(
                poll_id, PollStatus.CANCELLED, self._clock.now(), was=PollStatus.DRAFT
            )
        return Reply.of("poll.dropped", number=poll_id)

    # Sending ------------------------------------------------------------------------------

    async def send(self, actor_id: int, poll_id: int) -> Reply:
        """The poll goes to the chosen groups that are still the actor's and active."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            poll = await self._draft(tx, actor_id, poll_id)
            if poll.closes_at <= now:
                raise DomainError("when.past")
            groups = [g for g in await self._targets(tx, actor_id) if g.id in poll.target_ids]
            if not groups:
                raise DomainError("poll.no-groups-chosen")
            if not await tx.polls.set_status(poll_id, PollStatus.OPEN, now, was=PollStatus.DRAFT):
                raise DomainError("poll.already-sent")
            content = PollContent(question=poll.question, options=poll.option_texts)
            for group in groups:
                row = await tx.outbox.add(
                    chat_id=group.chat_id,
                    group_id=group.id,
                    purpose=Purpose.POLL,
                    content=content.model_dump_json(),
                    due_at=now,
                    now=now,
                )
                await tx.polls.add_group(poll_id, group.id, row)
        self._notify()
        log.info("poll %d sent to %d groups by %s", poll_id, len(groups), actor_id)
        closes = PerLanguage.of(lambda language: date_time(poll.closes_at, self._zone, language))
        titles = ", ".join(group.title for group in groups)
        return Reply.of("poll.sent", number=poll_id, groups=titles, closes=closes)

    async def delivered(self, tx: Transaction, report: Delivered) -> None:
        """Inside the outbox sender's transaction: a poll reached its group."""
        if report.row.purpose == Purpose.POLL and report.message_ids:
            await tx.polls.delivered(report.row.id, report.row.chat_id, report.message_ids[0])

    async def failed(self, tx: Transaction, report: Failed) -> None:
        """Inside the outbox sender's transaction: a poll will never reach its group."""
        if report.row.purpose == Purpose.POLL:
            await tx.polls.not_delivered(report.row.id)

    # Closing ------------------------------------------------------------------------------

    async def claim_due(self) -> list[Closing]:
        """The groups' polls whose end time has come, claimed for closing by this instance
        (one instance stops each; a claim older than ``CLAIM_LEASE`` was a crash's and is
        taken over). A poll that has not left for a group by its end never goes: its row
        is cancelled (one in flight is left to arrive, and closed at the next sweep)."""
        now = self._clock.now()
        claimed = []
        async with self._database.transaction() as tx:
            for poll in await tx.polls.due(now):
                for entry in await tx.polls.groups_of(poll.id):
                    if entry.status == PollGroupStatus.SENDING and entry.outbox_id is not None:
                        if await tx.outbox.cancel_row(entry.outbox_id, "reason.poll-ended", now):
                            await tx.polls.never_sent(poll.id, entry.group_id)
                        continue
                    if entry.chat_id is None or entry.message_id is None:
                        continue
                    if await tx.polls.claim_closing(
                        poll.id, entry.group_id, now, now - CLAIM_LEASE
                    ):
                        claimed.append(
                            Closing(poll.id, entry.group_id, entry.chat_id, entry.message_id)
                        )
        return claimed

    async def stopped(self, closing: Closing, voters: int | None, counts: list[int] | None) -> None:
        """Telegram closed the group's poll with these counts (None: it cannot be closed,
        for good: deleted, the bot removed)."""
        async with self._database.transaction() as tx:
            await tx.polls.closed(closing.poll_id, closing.group_id, voters, counts)

    async def not_now(self, closing: Closing) -> None:
        """Telegram could not be asked now (a pause, the network): the next sweep tries."""
        async with self._database.transaction() as tx:
            await tx.polls.release(closing.poll_id, closing.group_id)

    async def moved(self, closing: Closing, chat_id: int) -> Closing:
        """The group became a supergroup: its poll is asked for there."""
        async with self._database.transaction() as tx:
            await tx.polls.moved(closing.poll_id, closing.group_id, chat_id)
        return Closing(closing.poll_id, closing.group_id, chat_id, closing.message_id)

    async def finish(self) -> int:
        """Polls past their end whose every group is done: closed, and the composer gets
        the results (each poll in a unit of work of its own, so one cannot hold up
        another). Returns how many were finished."""
        now = self._clock.now()
        finished = 0
        async with self._database.transaction() as tx:
            due = await tx.polls.due(now)
        for poll in due:
            async with self._database.transaction() as tx:
                entries = await tx.polls.groups_of(poll.id)
                if any(
                    entry.status
                    in (PollGroupStatus.SENDING, PollGroupStatus.OPEN, PollGroupStatus.CLOSING)
                    for entry in entries
                ):
                    continue
                if not await tx.polls.set_status(
                    poll.id, PollStatus.CLOSED, now, was=PollStatus.OPEN
                ):
                    continue
                parts = await self._results_for(tx, poll, entries, poll.created_by)
                if poll.created_by is not None and parts:
                    await self._notices.tell_in_parts(tx, poll.created_by, parts)
                finished += 1
        if finished:
            self._notify()
            log.info("%d polls closed and their results told", finished)
        return finished

    async def results(self, actor_id: int, poll_id: int, language: str) -> list[Reply]:
        """A closed poll's results again, for its composer (and the admins), one reply a
        part (a long poll's results take several messages)."""
        async with self._database.transaction() as tx:
            poll = await tx.polls.get(poll_id)
            if poll is None or (poll.created_by != actor_id and actor_id not in self._admins):
                raise DomainError("poll.unknown")
            if poll.status != PollStatus.CLOSED:
                raise DomainError("poll.not-closed")
            parts = await self._results_for(tx, poll, await tx.polls.groups_of(poll.id), actor_id)
        if not parts:
            raise DomainError("poll.unknown")
        rendered = [self._translator.render(language, part) for part in parts]
        return [Reply(message) for message in packed(rendered)]

    async def _results_for(
        self, tx: Transaction, poll: Poll, entries: list[PollGroup], reader: int | None
    ) -> list[Words]:
        """The results as ``reader`` may read them: only the groups they see now (a role
        that ended sees none), and all of them together only when they see every one."""
        if reader is None:
            return []
        actor = await load_actor(tx, reader, self._admins)
        if not (actor.is_admin or actor.is_staff):
            return []
        seen = {group.id for group in await visible_groups(tx, actor)}
        return await self._results(tx, poll, entries, seen)

    async def _results(
        self, tx: Transaction, poll: Poll, entries: list[PollGroup], seen: Collection[int]
    ) -> list[Words]:
        """The header, each group's block (the voters and each option's count) and the
        groups together, through the disclosure rule, as parts that can each go in a
        message; a group whose poll was never delivered or closed is said so. Only the
        groups in ``seen``; together only when every group with counts is among them.
        Empty when none of its groups is the reader's."""
        options = poll.option_texts
        figures = PollFigures.of(entries, len(options), self._small)
        figure = figures.text
        parts: list[Words] = [
            Text("poll.results-header", {"number": poll.id, "question": poll.question})
        ]
        for entry in entries:
            if entry.group_id not in seen:
                continue
            group = await tx.groups.get(entry.group_id)
            title = group.title if group else "?"
            if entry.option_counts is None:
                parts.append(Text("poll.results-missing", {"group": title}))
                continue
            lines: list[Words] = [
                Text(
                    "poll.results-group",
                    {"group": title, "voters": figure(figures.by_group[entry.group_id])},
                )
            ]
            for number, option in enumerate(options):
                lines.append(f"  {option}: {figure(frozenset([(entry.group_id, number)]))}")
            parts.append(Lines(tuple(lines)))
        if len(parts) == 1:
            return []
        if len(figures.by_group) > 1 and all(group in seen for group in figures.by_group):
            lines = [Text("poll.results-together", {"voters": figure(figures.everyone)})]
            for number, option in enumerate(options):
                lines.append(f"  {option}: {figure(figures.by_option[number])}")
            parts.append(Lines(tuple(lines)))
        parts.append(note(self._small))
        return parts

    # Inside -----------------------------------------------------------------------------

    async def _targets(self, tx: Transaction, actor_id: int) -> list[Group]:
        actor = await load_actor(tx, actor_id, self._admins)
        require_staff(actor)
        return await sendable_groups(tx, actor)

    async def _draft(self, tx: Transaction, actor_id: int, poll_id: int) -> Poll:
        """The actor's own draft; anyone else's or a sent one reads as such."""
        poll = await tx.polls.get(poll_id)
        if poll is None or poll.created_by != actor_id:
            raise DomainError("poll.unknown")
        if poll.status != PollStatus.DRAFT:
            raise DomainError("poll.already-sent")
        return poll


@dataclass(frozen=True)
class PollFigures:
    """A closed poll's counts as staff may read them, wherever they are shown (the
    composer's results, the export): each option in each group, each group's voters, each
    option together and everyone together, with one disclosure pattern over all of them.
    The atoms are (group, option) pairs; an anonymous one-answer poll's voters are the sum
    of its options' counts."""

    counts: Mapping[Hashable, int]
    by_group: Mapping[int, Cell]
    by_option: Mapping[int, Cell]
    everyone: Cell
    pattern: Pattern

    @classmethod
    def of(cls, entries: Sequence[PollGroup], options: int, small: int) -> PollFigures:
        counted = [entry for entry in entries if entry.option_counts is not None]
        counts: dict[Hashable, int] = {
            (entry.group_id, number): count
            for entry in counted
            for number, count in enumerate(entry.option_counts or [])
        }
        groups = [entry.group_id for entry in counted]
        by_group = {g: frozenset((g, n) for n in range(options)) for g in groups}
        by_option = {n: frozenset((g, n) for g in groups) for n in range(options)}
        everyone: Cell = frozenset(counts)
        cells = [*by_group.values(), *by_option.values(), everyone]
        cells += [frozenset([atom]) for atom in counts]
        return cls(counts, by_group, by_option, everyone, suppress(counts, cells, small))

    def value(self, cell: Cell) -> int | None:
        """The count, or None where it may not be shown."""
        if not cell or not self.pattern.shows(cell):
            return None
        return sum(self.counts[atom] for atom in cell)

    def text(self, cell: Cell) -> str:
        if not cell:  # no group's counts: about nobody
            return f"<{self.pattern.small}"
        return self.pattern.text(cell, sum(self.counts[atom] for atom in cell))


def _check(question: str, options: list[str]) -> None:
    if len(question) > QUESTION_LIMIT:
        raise DomainError("poll.question-too-long", limit=QUESTION_LIMIT, length=len(question))
    if not FEWEST <= len(options) <= MOST:
        raise DomainError("poll.option-count", fewest=FEWEST, most=MOST, count=len(options))
    for option in options:
        if len(option) > OPTION_LIMIT:
            raise DomainError("poll.option-too-long", limit=OPTION_LIMIT, option=option[:40])
    if len({option.casefold() for option in options}) != len(options):
        raise DomainError("poll.option-twice")
