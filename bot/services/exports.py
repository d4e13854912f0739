"""The research export: pseudonymised events, the weekly summary per group, survey answers
(wide: one row per person and round), an outcome summary and a data dictionary, as an
XLSX workbook or a ZIP of CSV files with the same tables.

Nothing in it names a person: people appear as pseudonyms only. Events are read a page
at a time in short transactions (up to the last event when the export began), so a
million-event export neither holds up the bot nor fills the memory. The weekly summary
and the event log agree: both are written in the same transaction by the event writer.

The outcome summary compares each person's "before" and "after" answers: per group and
item the mean change with n (people who answered both), and per engagement level (the
programme weeks they were active in: low 0-2, medium 3-4, high 5 or more) across the
groups exported. A mean over fewer than ``small_numbers`` people is left empty and its n
shown as "<5", in the table and the chart.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from typing import IO

from bot.clock import Clock
from bot.errors import DomainError
from bot.formats.charts import bar_chart
from bot.formats.tables import Cell, CsvZipWriter, TableWriter, XlsxWriter
from bot.i18n import Text, Translator
from bot.payload import UPLOAD_LIMIT
from bot.pseudonyms import Pseudonyms
from bot.replies import File
from bot.services.access import load_actor, require_coordinator
from bot.services.stats import GroupWeeks, StatsService, protect, start_day
from bot.services.surveys import SurveyService
from storage import Database
from storage.analytics import ActiveWeeks, day_number
from storage.groups import Group
from storage.states import AuditAction, Round
from storage.surveys import AnswerRow

log = logging.getLogger(__name__)

LEVELS = (("low", 0, 2), ("medium", 3, 4), ("high", 5, 10**6))
LEVEL_KEYS = {
    "low": "export.level-low",
    "medium": "export.level-medium",
    "high": "export.level-high",
}
PAGE = 20_000

# Every exported column, by table: the data dictionary sheet, and the README's table
DICTIONARY: dict[str, list[tuple[str, str]]] = {
    "events": [
        ("event_id", "running number of the event in the log"),
        ("time_utc", "when it happened (UTC, ISO 8601)"),
        ("group_id", "the group's number"),
        ("week", "programme week: 1 from the first meeting's day (anything earlier counts as 1)"),
        (
            "pseudonym",
            "the person (HMAC of their Telegram id with the deployment's key); empty for the "
            "group itself",
        ),
        (
            "kind",
            "joined, left, message, reply, reaction, button, check-in, progress, progress-shared,"
            " buddy-paired, tip-requested, broadcast-delivered, survey-answered",
        ),
        (
            "attributes",
            "a few short values as JSON: a message's type, a reaction's change or anonymous "
            "total, a button's name, a confidence, a progress answer, a survey item (never text "
            "anyone wrote)",
        ),
    ],
    "weekly": [
        ("group_id", "the group's number"),
        ("group", "the group's name"),
        ("organisation", "the organisation running it"),
        ("week", "programme week"),
        ("week_starts", "the first day of the week (the group's local date)"),
        ("members", "participants in the group during the week (instructors not counted)"),
        (
            "active",
            "participants who wrote, replied, reacted, tapped a button or made or reported a plan"
            " that week",
        ),
        ("messages", "messages and replies by participants"),
        ("reactions", "reactions added by participants"),
        ("taps", "button taps by participants"),
        ("plans_invited", "participants invited to the week's plan (consenting)"),
        ("plans_set", "of them, those who rated their confidence"),
        ("plans_done", "of them, those who reported the plan done (mid-week or at the week's end)"),
        ("confidence_mean", "mean of the latest confidence ratings (0-10), empty if none"),
        ("broadcasts", "broadcasts and tips delivered to the group"),
    ],
    "surveys": [
        ("group_id", "the group's number"),
        ("pseudonym", "the person"),
        ("round", "before (first meeting), after (last meeting), month-3, month-6"),
        ("survey", "the survey file's id"),
        ("answered", "questions answered"),
        ("skipped", "questions skipped"),
        (
            "ITEM",
            "one column per survey item (e.g. health, quality_of_life, coping, loneliness, "
            "health_confidence): the answer on the item's scale; empty if skipped or not reached",
        ),
    ],
    "outcomes": [
        ("group_id", "the group's number; empty for the engagement rows"),
        (
            "group",
            "the group's name, or 'engagement: low/medium/high' (active weeks 0-2, 3-4, 5+) "
            "across the groups exported",
        ),
        ("item", "the survey item"),
        ("n", 'people with both a before and an after answer ("<5" when too few to show)'),
        ("mean_before", "mean before answer"),
        ("mean_after", "mean after answer"),
        ("mean_change", "mean of after minus before"),
    ],
    "dictionary": [
        ("table", "the table a column belongs to"),
        ("column", "the column's name"),
        ("meaning", "what it holds"),
    ],
}


@dataclass(frozen=True)
class ExportResult:
    events: int
    weeks: int
    responses: int
    chart: bytes | None  # the outcome chart (PNG), if there were outcomes to draw


class ExportService:
    def __init__(
        self,
        database: Database,
        admins: Collection[int],
        stats: StatsService,
        surveys: SurveyService,
        pseudonyms: Pseudonyms,
        *,
        translator: Translator,
        clock: Clock,
    ) -> None:
        self._clock = clock
        self._database = database
        self._admins = frozenset(admins)
        self._stats = stats
        self._surveys = surveys
        self._pseudonyms = pseudonyms
        self._translator = translator

    async def groups_for(
        self, actor_id: int | None, organisation: str | None = None
    ) -> list[Group]:
        """The groups an export may hold: a coordinator's organisation's; an admin's (or the
        command line's, ``actor_id`` None) all, or one organisation's by name."""
        async with self._database.transaction() as tx:
            if actor_id is not None:
                actor = await load_actor(tx, actor_id, self._admins)
                require_coordinator(actor)
                if not actor.is_admin:
                    assert actor.organisation_id is not None
                    return await tx.groups.of_organisation(actor.organisation_id)
            if organisation is None:
                return await tx.groups.all()
            found = [o for o in await tx.organisations.all() if o.name == organisation]
            if not found:
                raise DomainError("export.unknown-organisation", name=organisation)
            return await tx.groups.of_organisation(found[0].id)

    async def write(
        self,
        target: str | IO[bytes],
        groups: list[Group],
        *,
        kind: str = "xlsx",
        since: dt.date | None = None,
        until: dt.date | None = None,
        language: str = "en",
        actor: int | None = None,
    ) -> ExportResult:
        """Write the export; ``since``/``until`` (inclusive) limit events, weeks and survey
        rounds by date. ``actor``: who asked (None: the command line), for the audit log."""
        writer: TableWriter = XlsxWriter(target) if kind == "xlsx" else CsvZipWriter(target)
        try:
            result = await self._write(writer, groups, since, until, language)
        finally:
            writer.close()
        async with self._database.transaction() as tx:
            await tx.audit.add(
                self._clock.now(),
                actor,
                AuditAction.EXPORT,
                f"{len(groups)} group(s)",
                format=kind,
                since=since.isoformat() if since else None,
                until=until.isoformat() if until else None,
                events=result.events,
            )
        return result

    async def for_chat(
        self, actor_id: int, groups: list[Group], *, kind: str, language: str
    ) -> tuple[File, bytes | None]:
        """/export: the file named by today's date with a caption of what it holds, and the
        outcome chart for a workbook (None without outcomes); refused when the file is too
        big for a chat."""
        buffer = io.BytesIO()
        result = await self.write(buffer, groups, kind=kind, language=language, actor=actor_id)
        data = buffer.getvalue()
        if len(data) > UPLOAD_LIMIT:
            raise DomainError("export.too-big")
        day = self._clock.now().date().isoformat()
        caption = Text(
            "export.done",
            {
                "events": result.events,
                "weeks": result.weeks,
                "responses": result.responses,
                "groups": len(groups),
            },
        )
        chart = result.chart if kind == "xlsx" else None
        return File(data, f"kannustin-{day}.{kind}", caption), chart

    async def _write(
        self,
        writer: TableWriter,
        groups: list[Group],
        since: dt.date | None,
        until: dt.date | None,
        language: str,
    ) -> ExportResult:
        registered = [g for g in groups if g.organisation_id is not None]
        ids = [g.id for g in registered]
        async with self._database.transaction() as tx:
            last_id = await tx.analytics.last_event_id()  # the same moment as the summary
            weekly = await self._stats.weeks_of(tx, registered)
            answers = await tx.surveys.answers(ids)
            organisations = {o.id: o.name for o in await tx.organisations.all()}
            starts = {g.id: day_number(start_day(g)) for g in registered}
            exclude = await self._stats.staff_pseudonyms(tx, ids)
            active_weeks = await tx.analytics.active_weeks(ids, exclude)
            rounds_sent = {
                (sent.group_id, sent.round): sent.sent_at.date()
                for sent in await tx.surveys.rounds_of(ids)
            }

        written = await self._events(writer, ids, starts, last_id, since=since, until=until)
        weeks = self._weekly(writer, weekly, organisations, since, until)
        wide = self._survey_table(writer, answers, rounds_sent, since, until)
        chart = self._outcome_table(writer, wide, registered, active_weeks, language)
        writer.start("dictionary", _columns("dictionary"))
        writer.rows(
            (table, column, meaning)
            for table, columns in DICTIONARY.items()
            for column, meaning in columns
        )
        log.info("export: %d events, %d weeks, %d survey rows", written, weeks, len(wide))
        return ExportResult(written, weeks, len(wide), chart)

    async def _events(
        self,
        writer: TableWriter,
        ids: list[int],
        starts: dict[int, int],
        last_id: int,
        *,
        since: dt.date | None,
        until: dt.date | None,
    ) -> int:
        """The events, a page at a time, each page read in its own short transaction."""
        writer.start("events", _columns("events"))
        first = dt.datetime.combine(since, dt.time(), dt.UTC) if since else None
        after = (
            dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), dt.UTC) if until else None
        )
        written, cursor = 0, 0
        while True:
            async with self._database.transaction() as tx:
                page = await tx.analytics.events_page(
                    ids, cursor, last_id, since=first, until=after, page=PAGE
                )
            if not page:
                break
            cursor = page[-1].id
            writer.rows(
                (
                    event.id,
                    event.at,
                    event.group_id,
                    _week(event.at, starts[event.group_id]),
                    event.pseudonym or "",
                    event.kind,
                    event.attributes or "",
                )
                for event in page
            )
            written += len(page)
        return written

    def _weekly(
        self,
        writer: TableWriter,
        weekly: list[GroupWeeks],
        organisations: dict[int, str],
        since: dt.date | None,
        until: dt.date | None,
    ) -> int:
        writer.start("weekly", _columns("weekly"))
        weeks = 0
        for group_weeks in weekly:
            group = group_weeks.group
            for cell in group_weeks.weeks:
                begins = start_day(group) + dt.timedelta(weeks=cell.week - 1)
                if (since and begins + dt.timedelta(days=6) < since) or (until and begins > until):
                    continue
                writer.rows(
                    [
                        (
                            group.id,
                            group.name,
                            organisations.get(group.organisation_id or 0, ""),
                            cell.week,
                            begins.isoformat(),
                            cell.members,
                            cell.active,
                            cell.messages,
                            cell.reactions,
                            cell.taps,
                            cell.invited,
                            cell.planned,
                            cell.done,
                            None if cell.confidence is None else round(cell.confidence, 2),
                            cell.broadcasts,
                        )
                    ]
                )
                weeks += 1
        return weeks

    def _survey_table(
        self,
        writer: TableWriter,
        answers: list[AnswerRow],
        rounds_sent: dict[tuple[int, Round], dt.date],
        since: dt.date | None,
        until: dt.date | None,
    ) -> dict[tuple[int, str, str], dict[str, int | None]]:
        """One row per person and round, one column per item."""
        items = [item.id for item in self._surveys.survey.items]
        extra = sorted({a.item for a in answers} - set(items))
        wide: dict[tuple[int, str, str], dict[str, int | None]] = defaultdict(dict)
        for answer in answers:
            sent = rounds_sent.get((answer.group_id, answer.round))
            if sent is not None and not _within(sent, since, until):
                continue
            wide[(answer.group_id, answer.pseudonym, answer.round)][answer.item] = answer.value
        writer.start("surveys", [*_columns("surveys")[:-1], *items, *extra])
        writer.rows(
            (
                group_id,
                pseudonym,
                round_name,
                self._surveys.survey.id,
                sum(value is not None for value in values.values()),
                sum(value is None for value in values.values()),
                *(values.get(item) for item in [*items, *extra]),
            )
            for (group_id, pseudonym, round_name), values in sorted(wide.items())
        )
        return wide

    def _outcome_table(
        self,
        writer: TableWriter,
        wide: dict[tuple[int, str, str], dict[str, int | None]],
        registered: list[Group],
        active_weeks: list[ActiveWeeks],
        language: str,
    ) -> bytes | None:
        items = [item.id for item in self._surveys.survey.items]
        small = self._stats.small_numbers
        names = {g.id: g.name for g in registered}
        levels = {(a.group_id, a.pseudonym): _level(a.weeks) for a in active_weeks}
        rows, chart_values = _outcomes(wide, items, names, levels, small)
        writer.start("outcomes", _columns("outcomes"))
        writer.rows(rows)
        chart = None
        if any(value is not None for series in chart_values.values() for value in series):
            t = self._translator
            chart = bar_chart(
                t.text(language, "export.chart-title"),
                items,
                {
                    t.text(language, LEVEL_KEYS[level]): values
                    for level, values in chart_values.items()
                },
                t.text(language, "stats.small-note", small=small),
            )
            writer.add_file("outcomes.png", chart)
        return chart


def _columns(table: str) -> list[str]:
    return [column for column, _ in DICTIONARY[table]]


def _week(at: str, start: int) -> int:
    day = dt.date.fromisoformat(at[:10])
    return max(1, (day_number(day) - start) // 7 + 1)


def _within(day: dt.date, since: dt.date | None, until: dt.date | None) -> bool:
    return (since is None or day >= since) and (until is None or day <= until)


def _level(active_weeks: int) -> str:
    return next(name for name, low, high in LEVELS if low <= active_weeks <= high)


def _outcomes(
    wide: dict[tuple[int, str, str], dict[str, int | None]],
    items: list[str],
    names: dict[int, str],
    levels: dict[tuple[int, str], str],
    small: int,
) -> tuple[list[list[Cell]], dict[str, list[float | None]]]:
    """Rows of the outcome table, and mean change per engagement level for the chart."""
    pairs: dict[tuple[int, str], list[tuple[str, int, int]]] = defaultdict(list)
    for (group_id, pseudonym, round_name), values in wide.items():
        if round_name != Round.BEFORE:
            continue
        after = wide.get((group_id, pseudonym, Round.AFTER), {})
        for item in items:
            before_value, after_value = values.get(item), after.get(item)
            if before_value is not None and after_value is not None:
                pairs[(group_id, item)].append((pseudonym, before_value, after_value))
    rows: list[list[Cell]] = []
    for (group_id, item), found in sorted(pairs.items()):
        rows.append([group_id, names.get(group_id, ""), item, *_means(found, small)])
    chart: dict[str, list[float | None]] = {name: [] for name, _, _ in LEVELS}
    for name, _, _ in LEVELS:
        for item in items:
            found = [
                pair
                for (group_id, pair_item), group_pairs in pairs.items()
                if pair_item == item
                for pair in group_pairs
                if levels.get((group_id, pair[0]), "low") == name
            ]
            rows.append([None, f"engagement: {name}", item, *_means(found, small)])
            change = _means(found, small)[3]
            chart[name].append(change if isinstance(change, float) else None)
    return rows, chart


def _means(found: list[tuple[str, int, int]], small: int) -> list[Cell]:
    n = len(found)
    if n < small:
        return [protect(n, n, small), None, None, None]
    before = sum(b for _, b, _ in found) / n
    after = sum(a for _, _, a in found) / n
    return [n, round(before, 3), round(after, 3), round(after - before, 3)]
