"""The researchers' extract (``kannustin export --study NAME``, admins on the command line
only): person-level rows for one study, keyed by the study's own pseudonyms, as an XLSX
workbook or a ZIP of CSV files. Coordinators get aggregates only (``bot/services/exports.py``).

Tables, in this order: **disclosure** (what the extract holds, what was left out and why),
**groups**, **events**, **checkins**, **surveys** and the **dictionary** of every column.

Never in it: names, Telegram ids, the bot's own pseudonyms, event ids, the database's group
numbers, group or chat names, text anyone wrote, and any time finer than a day: a day is a
programme week and a weekday in the group's time zone. Events are one row per person, day,
kind and attributes with a count, and every table is sorted by the study's keys, so neither
a row's place nor its content orders events within a day or gives away a database number.
People and groups appear under the study's keys (``bot/pseudonyms.py``): stable across the
extracts of one study, unrelated between studies.

Who is in it: the participants who consent now to their group's organisation's notice;
the groups' instructors, other staff and admins are left out, as in the statistics. A group
with fewer than ``small_numbers`` such participants is left out of every person-level table
and named (by its study key) in the disclosure table. Event attributes pass an allow-list
of the small values the bot itself sets (a message's type, a confidence, a survey item...);
anything else (a broadcast's number, a forged button's text) is dropped.

Events are read one group and one page at a time, each page in its own short read-only
transaction on a connection of its own (``Database.reading()``: it takes no write lock, so
the bot's writes go on meanwhile), up to the last event when the extract began: a
million-event extract neither holds up the bot nor fills the memory (one group's day
counts at a time). Each extract is written to the
audit log with its study name.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import IO
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.errors import DomainError
from bot.formats.tables import Cell, TableWriter, table_writer
from bot.pseudonyms import Pseudonyms
from bot.runtime.events import allowed
from bot.services.consent import NOTICE_VERSION
from content.surveys import Survey
from storage import Database
from storage.groups import Group
from storage.organisations import Organisation
from storage.research import Participation, StudyAnswer, StudyCheckIn
from storage.states import AuditAction, EventKind, Round
from storage.timestamps import from_db

log = logging.getLogger(__name__)

PAGE = 20_000
REMEMBERED = 10_000  # distinct stored attributes remembered while extracting
STUDY_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_WORD = re.compile(r"[a-z][a-z0-9_-]{0,23}")
# the bot's own kinds; forged input (unrecognised) is not engagement
KINDS = frozenset(EventKind) - {EventKind.UNRECOGNISED}
ROUNDS = tuple(Round)


# The event attributes an extract keeps (the log's own values, checked again on the way
# out: a row an older version wrote may hold anything); an event's number in a broadcast,
# a programme week, an attempt and "anonymous" stay out.
EXTRACTED = (
    "type",  # a message's type: text, photo, ..., command
    "change",  # a person's reactions: how many more or fewer
    "total",  # anonymous reactions: the message's new count
    "button",  # a button's namespace
    "confidence",
    "stage",  # progress: mid, end
    "answer",  # progress: done, partly, not-yet
    "theme",  # a requested tip's theme
    "round",  # a survey answer's round
    "item",  # and item
    "skipped",
    "size",  # a buddy team's size
)

# Every column of the extract, by table: the dictionary table, and the README's table
DICTIONARY: dict[str, list[tuple[str, str]]] = {
    "disclosure": [
        (
            "item",
            "what is described: the study, counts, what was left out and why, the "
            "quasi-identifiers present, cautions",
        ),
        ("value", "the description or the figure"),
    ],
    "groups": [
        (
            "group",
            "the group's key in this study (8 characters; another study gives it another key)",
        ),
        ("organisation", "the organisation running the group"),
        ("persons", "consenting participants: the people who may appear in the other tables"),
    ],
    "events": [
        ("group", "the group's key in this study"),
        (
            "person",
            "the person's study pseudonym (16 characters); empty for what happened to "
            "the group itself (a broadcast delivered, anonymous reactions)",
        ),
        ("season", "the group's season (its programme run again in the same chat: 1, 2...)"),
        (
            "week",
            "programme week of the season: 1 from its first meeting's day, 0 or less before it",
        ),
        ("weekday", "1 Monday to 7 Sunday, in the group's time zone"),
        (
            "kind",
            "joined, left, message, reply, reaction, button, check-in, progress, "
            "progress-shared, buddy-paired, tip-requested, broadcast-delivered, survey-answered",
        ),
        (
            "attributes",
            "small values the bot sets, as JSON: type (a message's), change (a "
            "person's reactions), total (anonymous reactions), button, confidence, stage and "
            "answer (progress), theme (a tip), round, item and skipped (a survey answer), size "
            "(a buddy team); never text anyone wrote",
        ),
        ("count", "how many such events there were that day"),
    ],
    "checkins": [
        ("group", "the group's key in this study"),
        ("person", "the person's study pseudonym"),
        ("season", "the group's season (its programme run again in the same chat: 1, 2...)"),
        ("week", "programme week (of its season) of the meeting whose week the plan is for"),
        ("confidence", "the latest confidence rating (0-10); empty if they did not rate"),
        ("ratings", "how many times they rated"),
        ("progress_mid", "mid-week progress: done, partly, not-yet; empty if not answered"),
        (
            "progress_end",
            "progress at the week's end: done, partly, not-yet; empty if not answered",
        ),
        ("shared", "1 if they shared with the group that the plan was done, else 0"),
    ],
    "surveys": [
        ("group", "the group's key in this study"),
        ("person", "the person's study pseudonym"),
        ("season", "the group's season (its programme run again in the same chat: 1, 2...)"),
        ("round", "before (first meeting), after (last meeting), month-3, month-6"),
        ("survey", "the survey file's id"),
        ("answered", "questions answered"),
        ("skipped", "questions skipped"),
        (
            "ITEM",
            "one column per survey item (e.g. health, quality_of_life, coping, "
            "loneliness, health_confidence): the answer on the item's scale; empty if skipped "
            "or not reached",
        ),
    ],
    "dictionary": [
        ("table", "the table a column belongs to"),
        ("column", "the column's name"),
        ("meaning", "what it holds"),
    ],
}


# What every extract's disclosure table says, after its figures and the groups left out
DISCLOSED: tuple[tuple[str, str], ...] = (
    (
        "left out",
        "people who do not consent now to their organisation's privacy notice (never asked, "
        "or withdrew): none of their rows",
    ),
    ("left out", "the groups' instructors, coordinators and admins: none of their rows"),
    (
        "left out",
        "event attributes other than the bot's own small values (a broadcast's number, a "
        "button's name the bot did not make)",
    ),
    (
        "never included",
        "names, usernames, Telegram ids, the bot's own pseudonyms, event ids, the database's "
        "group numbers, group and chat names, message text, plans, and any time finer than a "
        "day",
    ),
    ("quasi-identifier", "group: its study key (every table) and organisation (groups)"),
    ("quasi-identifier", "programme week (events, checkins)"),
    ("quasi-identifier", "weekday in the group's time zone (events)"),
    ("quasi-identifier", "event kind and attributes, with a count per day (events)"),
    ("quasi-identifier", "check-in figures (checkins); survey round and answers (surveys)"),
    (
        "pseudonyms",
        "study pseudonyms: the same person has the same one in every extract of this study "
        "and another one in any other study; without the deployment's key they cannot be "
        "linked to each other or to the bot's own pseudonyms",
    ),
    (
        "caution",
        "someone who saw a group's chat could still recognise a person by their pattern of "
        "activity (which events in which weeks and on which weekdays): keep the extract as "
        "personal data, never beside the chat",
    ),
)


@dataclass(frozen=True)
class Extract:
    """What an extract holds, for the command line's summary."""

    study: str
    persons: int
    groups: int
    left_out: list[Group]  # too few consenting participants (printed for the admin only)
    events: int
    event_rows: int
    checkins: int
    responses: int
    earlier: int  # extracts of the same study before this one


@dataclass(frozen=True)
class Request:
    """What the admin asked for: the study, one organisation or all, and the days."""

    study: str
    organisation: Organisation | None = None
    since: dt.date | None = None
    until: dt.date | None = None

    def covers(self, day: dt.date) -> bool:
        return (self.since is None or day >= self.since) and (
            self.until is None or day <= self.until
        )

    def window(self, zone: ZoneInfo) -> tuple[dt.datetime | None, dt.datetime | None]:
        """The asked days in a group's time zone, as UTC moments [from, to)."""

        def midnight(day: dt.date) -> dt.datetime:
            return dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC)

        return (
            midnight(self.since) if self.since else None,
            midnight(self.until + dt.timedelta(days=1)) if self.until else None,
        )


@dataclass(frozen=True)
class _Scope:
    """The extract's groups and people, under the study's keys."""

    included: list[tuple[str, Group]]  # (study key, group), sorted by the key
    left_out: list[tuple[str, Group]]
    persons: dict[int, dict[str, str]]  # included group id -> {bot pseudonym: study pseudonym}

    def person(self, group_id: int, pseudonym: str) -> str | None:
        """The study pseudonym of someone in an included group, if they may appear."""
        return self.persons.get(group_id, {}).get(pseudonym)

    @property
    def everyone(self) -> set[str]:
        return {person for people in self.persons.values() for person in people.values()}


def clean_study(name: str) -> str:
    """A study's name as the extract records it: lower case, a-z, digits, ``.``, ``_``,
    ``-``; the same name always gives the same pseudonyms."""
    cleaned = name.strip().lower()
    if STUDY_NAME.fullmatch(cleaned) is None:
        raise DomainError("research.study-invalid")
    return cleaned


class ResearchService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        admins: Collection[int],
        pseudonyms: Pseudonyms,
        survey: Survey,
        *,
        small_numbers: int,
    ) -> None:
        self._database = database
        self._clock = clock
        self._admins = frozenset(admins)
        self._pseudonyms = pseudonyms
        self._survey = survey
        self._small = small_numbers

    async def extract(
        self, target: str | IO[bytes], request: Request, *, kind: str = "xlsx"
    ) -> Extract:
        """Write the study's extract (``kind`` xlsx or zip) of every registered group, or
        one organisation's; the request's days (inclusive) limit events by the group's
        local day, check-ins by their meeting's day and survey rounds by the day they were
        sent. Recorded in the audit log (actor: the command line)."""
        request = dataclasses.replace(request, study=clean_study(request.study))
        organisation = request.organisation
        async with self._database.reading() as tx:
            if organisation is None:
                groups = await tx.groups.all()
            else:
                groups = await tx.groups.of_organisation(organisation.id)
            groups = [g for g in groups if g.organisation_id is not None]
            ids = [g.id for g in groups]
            last_id = await tx.analytics.last_event_id()  # no event after this one is read
            consenting = await tx.research.consenting(ids, NOTICE_VERSION)
            staff = set(await tx.analytics.staff_ids(ids)) | self._admins
            checkins = await tx.research.checkins(ids)
            answers = await tx.research.answers(ids)
            organisations = {o.id: o.name for o in await tx.organisations.all()}
            earlier = await tx.audit.count(AuditAction.STUDY_EXTRACT, request.study)
        scope = self._scope(request.study, groups, consenting, staff)

        writer = table_writer(kind, target)
        try:
            _disclosure(writer, scope, request, self._small, self._clock.now().date())
            writer.start("groups", _columns("groups"))
            writer.rows(
                (
                    key,
                    organisations.get(group.organisation_id or 0, ""),
                    len(scope.persons[group.id]),
                )
                for key, group in scope.included
            )
            events, event_rows = await self._events(writer, scope, request, last_id)
            checkin_rows = _checkins(writer, scope, request, checkins)
            responses = self._surveys(writer, scope, request, answers)
            writer.dictionary(DICTIONARY)
        finally:
            writer.close()

        persons = len(scope.everyone)
        async with self._database.transaction() as tx:
            await tx.audit.add(
                self._clock.now(),
                None,
                AuditAction.STUDY_EXTRACT,
                request.study,
                format=kind,
                organisation=organisation.id if organisation else None,
                since=request.since.isoformat() if request.since else None,
                until=request.until.isoformat() if request.until else None,
                persons=persons,
                groups=len(scope.included),
                left_out=len(scope.left_out),
                events=events,
            )
        log.info(
            "study extract: %d groups (%d left out), %d events",
            len(scope.included),
            len(scope.left_out),
            events,
        )
        return Extract(
            study=request.study,
            persons=persons,
            groups=len(scope.included),
            left_out=[group for _, group in scope.left_out],
            events=events,
            event_rows=event_rows,
            checkins=checkin_rows,
            responses=responses,
            earlier=earlier,
        )

    def _scope(
        self,
        study: str,
        groups: list[Group],
        consenting: list[Participation],
        staff: set[int],
    ) -> _Scope:
        """Who may appear, under the study's keys; groups too small are left out whole."""
        keys = self._pseudonyms.study(study)
        people: dict[int, dict[str, str]] = {g.id: {} for g in groups}
        for participation in consenting:
            if participation.person_id not in staff:
                pseudonym = self._pseudonyms.of(participation.person_id)
                people[participation.group_id][pseudonym] = keys.person(pseudonym)
        keyed = sorted(((keys.group(g.id), g) for g in groups), key=lambda kg: (kg[0], kg[1].id))
        included = [(k, g) for k, g in keyed if len(people[g.id]) >= self._small]
        left_out = [(k, g) for k, g in keyed if len(people[g.id]) < self._small]
        return _Scope(included, left_out, {g.id: people[g.id] for _, g in included})

    async def _events(
        self, writer: TableWriter, scope: _Scope, request: Request, last_id: int
    ) -> tuple[int, int]:
        """One row per group, person, day, kind and attributes with a count, a group at a
        time; returns the events counted and the rows written."""
        writer.start("events", _columns("events"))
        events = rows = 0
        shown = _attribute_filter()
        days = LocalDays()
        for key, group in scope.included:
            zone = ZoneInfo(group.timezone)
            first, after = request.window(zone)
            persons = scope.persons[group.id]
            counts: Counter[tuple[str, int, int, str, str]] = Counter()
            async with self._database.reading() as tx:
                seasons = await tx.research.season_starts(group.id)
            starts = _season_days(seasons, group, zone)
            cursor = None
            while True:
                async with self._database.reading() as tx:
                    page = await tx.research.events(
                        group.id, cursor, since=first, until=after, page=PAGE
                    )
                if not page:
                    break
                cursor = page[-1]
                for event in page:
                    # the group's own events have no person; others only if they may appear
                    person = "" if event.pseudonym is None else persons.get(event.pseudonym)
                    if person is not None and event.id <= last_id and event.kind in KINDS:
                        day = days.of(zone, event.at)
                        # the season it happened in: the last begun by then
                        season = next(
                            (n for n, began, _ in reversed(starts) if began <= event.at), 1
                        )
                        attributes = shown(event.attributes)
                        counts[(person, season, day, event.kind, attributes)] += 1
            start_of = {number: start for number, _, start in starts}
            writer.rows(
                (
                    key,
                    person or None,  # the group itself: an empty cell
                    season,
                    (day - start_of.get(season, day)) // 7 + 1,
                    (day - 1) % 7 + 1,
                    kind,
                    attributes or None,
                    n,
                )
                for (person, season, day, kind, attributes), n in sorted(counts.items())
            )
            events += sum(counts.values())
            rows += len(counts)
        return events, rows

    def _surveys(
        self, writer: TableWriter, scope: _Scope, request: Request, answers: list[StudyAnswer]
    ) -> int:
        """One row per person and round, one column per item; returns the rows."""
        items = [item.id for item in self._survey.items]
        extra = sorted({a.item for a in answers} - set(items))
        groups = {group.id: (key, ZoneInfo(group.timezone)) for key, group in scope.included}
        wide: dict[tuple[str, str, int, int], dict[str, int | None]] = defaultdict(dict)
        surveys: dict[tuple[str, str, int, int], str] = {}
        for answer in answers:
            person = scope.person(answer.group_id, answer.pseudonym)
            if person is None:
                continue
            key, zone = groups[answer.group_id]
            if not request.covers(answer.sent_at.astimezone(zone).date()):
                continue
            row = (key, person, answer.season, ROUNDS.index(answer.round))
            wide[row][answer.item] = answer.value
            surveys[row] = answer.survey
        writer.start("surveys", [*_columns("surveys")[:-1], *items, *extra])
        writer.rows(
            (
                key,
                person,
                season,
                ROUNDS[round_index],
                surveys[(key, person, season, round_index)],
                sum(value is not None for value in values.values()),
                sum(value is None for value in values.values()),
                *(values.get(item) for item in [*items, *extra]),
            )
            for (key, person, season, round_index), values in sorted(wide.items())
        )
        return len(wide)


def _checkins(
    writer: TableWriter, scope: _Scope, request: Request, checkins: list[StudyCheckIn]
) -> int:
    """One row per person and plan week: the figures, never the plan; returns the rows."""
    groups = {group.id: (key, group.programme_start) for key, group in scope.included}
    rows: list[tuple[Cell, ...]] = []
    for checkin in checkins:
        person = scope.person(checkin.group_id, checkin.pseudonym)
        if person is None or not request.covers(checkin.meeting_day):
            continue
        key, start = groups[checkin.group_id]
        start = checkin.season_start or start
        rows.append(
            (
                key,
                person,
                checkin.season,
                (checkin.meeting_day - start).days // 7 + 1,
                checkin.confidence,
                checkin.ratings,
                checkin.progress_mid,
                checkin.progress_end,
                int(checkin.shared),
            )
        )
    writer.start("checkins", _columns("checkins"))
    writer.rows(
        sorted(rows, key=lambda row: (str(row[0]), str(row[1]), int(row[2] or 0), int(row[3] or 0)))
    )
    return len(rows)


def _season_days(
    seasons: list[tuple[int, str, dt.date | None]], group: Group, zone: ZoneInfo
) -> list[tuple[int, str, int]]:
    """Each season's number, when it began (as stored) and the day (ordinal) its week 1
    starts: its first meeting's, else (the current season) the group's programme start,
    else the day it began."""
    current = seasons[-1][0] if seasons else 1
    days = []
    for number, began, first in seasons:
        if first is not None:
            day = first
        elif number == current:
            day = group.programme_start
        else:
            day = from_db(began).astimezone(zone).date()
        days.append((number, began, day.toordinal()))
    return days or [(1, "", group.programme_start.toordinal())]


def _disclosure(
    writer: TableWriter, scope: _Scope, request: Request, small: int, today: dt.date
) -> None:
    """What the extract holds, what was left out and why: the first table a reader sees."""
    sizes = [len(scope.persons[group.id]) for _, group in scope.included]
    rows: list[tuple[str, Cell]] = [
        ("study", request.study),
        ("extracted on", today.isoformat()),
        ("organisations", request.organisation.name if request.organisation else "all"),
        ("from", request.since.isoformat() if request.since else "the beginning"),
        ("to", request.until.isoformat() if request.until else "the day of the extract"),
        ("small-number threshold", small),
        ("persons", len(scope.everyone)),
        ("groups", len(scope.included)),
        ("smallest group", min(sizes) if sizes else None),
    ]
    rows += [
        ("left out", f"group {key}: fewer than {small} consenting participants")
        for key, _ in scope.left_out
    ]
    rows += DISCLOSED
    writer.start("disclosure", _columns("disclosure"))
    writer.rows(rows)


def _columns(table: str) -> list[str]:
    return [column for column, _ in DICTIONARY[table]]


class LocalDays:
    """Stored UTC time text -> the local day (a date's ordinal) in a time zone. Worked out
    once per zone and UTC hour: an hour whose minutes all fall on one local day (nearly
    all; not one that crosses local midnight in a zone with a half-hour offset, or holds a
    change of offset) gives its day to every event in it; the others are worked out one by
    one."""

    def __init__(self) -> None:
        self._hours: dict[tuple[str, str], int] = {}

    def of(self, zone: ZoneInfo, at: str) -> int:
        key = (zone.key, at[:13])
        found = self._hours.get(key)
        if found is None:
            first = dt.datetime.fromisoformat(at[:13]).replace(tzinfo=dt.UTC).astimezone(zone)
            last = (first + dt.timedelta(hours=1, microseconds=-1)).astimezone(zone)
            same = first.utcoffset() == last.utcoffset() and first.date() == last.date()
            found = self._hours[key] = first.date().toordinal() if same else 0
        if found:
            return found
        return dt.datetime.fromisoformat(at).astimezone(zone).date().toordinal()


def _attribute_filter() -> Callable[[str | None], str]:
    """Stored attributes -> what the extract shows: only the allowed names with allowed
    values, as compact JSON ("" for none), remembered (the log holds few distinct ones)."""
    kept: dict[str | None, str] = {}

    def shown(stored: str | None) -> str:
        found = kept.get(stored)
        if found is None:
            try:
                values = json.loads(stored) if stored else {}
            except ValueError:
                values = {}
            if not isinstance(values, dict):
                values = {}
            own = {
                name: values[name]
                for name in EXTRACTED
                if name in values and allowed(name, values[name])
            }
            found = json.dumps(own, separators=(",", ":"), sort_keys=True) if own else ""
            if len(kept) < REMEMBERED:
                kept[stored] = found
        return found

    return shown
