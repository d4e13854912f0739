"""Before-and-after surveys in private: one question per message, answered with buttons.

A round (before: at the first meeting; after: two hours after the last; optionally 3 and
6 months later) is a planned message of the group's schedule. Firing it invites every
consenting participant with the survey's introduction and its first question. Each answer
(or "skip") brings the next question; answers are stored under the pseudonym. ``/survey``
resumes a half-finished one, and one reminder goes out if it is not finished two days
after the invitation. Buttons carry the response's number and are checked against the
presser's pseudonym, so nobody can answer for someone else.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.clock import Clock
from bot.i18n import Text, Translator, normalize_language
from bot.payload import OutboxButton, TextContent, content_to_json
from bot.pseudonyms import Pseudonyms
from bot.replies import Button, Reply
from bot.runtime.events import EventLog
from bot.services.consent import consenting
from bot.services.membership import RecheckGroup
from content.surveys import Item, Survey, Surveys
from storage import Database, Transaction
from storage.groups import Group
from storage.states import EventKind, Purpose, Round
from storage.surveys import Response, SurveyRound

log = logging.getLogger(__name__)

PREFIX = "sv"
ANSWER = "sv:a:"  # sv:a:RESPONSE:ITEM_INDEX:VALUE
SKIP = "sv:s:"  # sv:s:RESPONSE:ITEM_INDEX
REMIND_AFTER = dt.timedelta(days=2)


@dataclass(frozen=True)
class Question:
    """A question as text in one language, and its buttons as (label, callback data)."""

    text: str
    buttons: list[list[tuple[str, str]]]


class SurveyService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        translator: Translator,
        surveys: Surveys,
        *,
        survey_id: str,
        pseudonyms: Pseudonyms,
        events: EventLog,
        notify: Callable[[], None] = lambda: None,
        recheck: RecheckGroup,
    ) -> None:
        survey = surveys.get(survey_id)
        if survey is None:
            raise ValueError(f"survey {survey_id!r} is not among {sorted(surveys.surveys)}")
        self._database = database
        self._clock = clock
        self._translator = translator
        self._surveys = surveys
        self.survey = survey
        self._pseudonyms = pseudonyms
        self._events = events
        self._notify = notify
        # asks Telegram who is still in a group before a reminder goes to its participants
        self._recheck = recheck

    # Sent by the schedule ---------------------------------------------------------------------

    async def invite(
        self, tx: Transaction, group: Group, round_name: Round, season: int = 1
    ) -> int:
        """The round (of the group's ``season``) first question to every consenting
        participant; returns how many."""
        now = self._clock.now()
        opened = await tx.surveys.open_round(group.id, self.survey.id, round_name, now, season)
        survey = self._surveys.get(opened.survey) or self.survey
        sent = 0
        for person in await consenting(tx, group.id):
            response_id = await tx.surveys.invite(
                opened.id, self._pseudonyms.of(person.person_id), now
            )
            if response_id is None:
                continue
            language = normalize_language(person.language) or group.language
            intro = survey.intro.into(language).replace("{group}", group.name)
            question = self._question(survey, language, response_id, 0)
            text = f"{intro}\n\n{question.text}"
            await _tell(tx, person.person_id, group.id, text, question=question, now=now)
            sent += 1
        log.info("survey round %s sent to %d in group %d", round_name, sent, group.id)
        return sent

    async def remind(self) -> int:
        """One reminder for each survey left unfinished two days after its invitation (to
        those Telegram still says are in the group)."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            groups = set()
            for response in await tx.surveys.to_remind(now - REMIND_AFTER):
                round_ = await tx.surveys.round(response.round_id)
                if round_ is not None:
                    groups.add(round_.group_id)
        for group_id in sorted(groups):
            await self._recheck(group_id)
        reminded = 0
        async with self._database.transaction() as tx:
            for response in await tx.surveys.to_remind(now - REMIND_AFTER):
                found = await self._owner(tx, response)
                await tx.surveys.reminded(response.id, now)  # once, even if it cannot go
                if found is None:
                    continue
                person_id, language, group, survey, index = found
                if index is None:
                    continue
                question = self._question(survey, language, response.id, index)
                text = self._translator.text(language, "survey.reminder", group=group.name)
                text = f"{text}\n\n{question.text}"
                await _tell(tx, person_id, group.id, text, question=question, now=now)
                reminded += 1
        if reminded:
            self._notify()
        return reminded

    # The participant ---------------------------------------------------------------------------

    async def answer(self, person_id: int, data: str, language: str) -> Reply:
        """A value or "skip" for one question; the next question, or thanks at the end."""
        skip = data.startswith(SKIP)
        parts = data.removeprefix(SKIP if skip else ANSWER).split(":")
        numbers = [int(p) if p.isdigit() and len(p) <= 9 else -1 for p in parts]
        if len(numbers) != (2 if skip else 3) or min(numbers) < 0:
            return Reply.of("survey.not-open")
        response_id, index = numbers[0], numbers[1]
        now = self._clock.now()
        async with self._database.transaction() as tx:
            response = await tx.surveys.response(response_id)
            if response is None or response.pseudonym != self._pseudonyms.of(person_id):
                return Reply.of("survey.not-open")
            found = await self._owner(tx, response)
            if found is None or response.finished_at is not None:
                return Reply.of("survey.not-open")
            _, _, group, survey, expected = found
            if expected is None or index != expected:
                # an old button: show where they are instead
                return self._reply(survey, language, response.id, expected, "survey.where")
            item = survey.items[index]
            value = None if skip else numbers[2]
            if value is not None and value not in item.values:
                return Reply.of("survey.not-open")
            await tx.surveys.answer(response.id, item.id, value, now)
            following = index + 1 if index + 1 < len(survey.items) else None
            if following is None:
                await tx.surveys.finish(response.id, now)
            round_ = await tx.surveys.round(response.round_id)
        assert round_ is not None
        self._events.record(
            EventKind.SURVEY_ANSWERED,
            group_id=group.id,
            person_id=person_id,
            round=round_.round,
            item=item.id,
            skipped=value is None,
        )
        if following is None:
            return Reply.of("survey.thanks")
        return self._reply(survey, language, response.id, following, None)

    async def resume(self, person_id: int, language: str) -> Reply:
        """``/survey``: the next question of their newest unfinished survey."""
        async with self._database.transaction() as tx:
            for response in await tx.surveys.unfinished_of(self._pseudonyms.of(person_id)):
                found = await self._owner(tx, response)
                if found is not None and found[4] is not None:
                    survey, index = found[3], found[4]
                    return self._reply(survey, language, response.id, index, "survey.resumed")
        return Reply.of("survey.nothing")

    # Inside ----------------------------------------------------------------------------------

    async def _owner(
        self, tx: Transaction, response: Response
    ) -> tuple[int, str, Group, Survey, int | None] | None:
        """Who the response belongs to, if they are still a consenting participant of the
        round's group: (person id, language, group, survey, next question or None)."""
        round_: SurveyRound | None = await tx.surveys.round(response.round_id)
        if round_ is None:
            return None
        group = await tx.groups.get(round_.group_id)
        if group is None:
            return None
        for person in await consenting(tx, group.id):
            if self._pseudonyms.of(person.person_id) == response.pseudonym:
                survey = self._surveys.get(round_.survey) or self.survey
                answered = set(await tx.surveys.answered(response.id))
                index = next(
                    (i for i, item in enumerate(survey.items) if item.id not in answered), None
                )
                language = normalize_language(person.language) or group.language
                return person.person_id, language, group, survey, index
        return None

    def _question(self, survey: Survey, language: str, response_id: int, index: int) -> Question:
        item: Item = survey.items[index]
        t = self._translator
        text = t.text(
            language,
            "survey.question",
            number=index + 1,
            total=len(survey.items),
            question=item.question.into(language),
            low_value=item.scale[0],
            low=item.low.into(language),
            high_value=item.scale[1],
            high=item.high.into(language),
        )
        values = list(item.values)
        per_row = 6 if len(values) > 6 else len(values)
        rows = [
            [(str(v), f"{ANSWER}{response_id}:{index}:{v}") for v in values[i : i + per_row]]
            for i in range(0, len(values), per_row)
        ]
        rows.append([(t.text(language, "survey.skip-button"), f"{SKIP}{response_id}:{index}")])
        return Question(text, rows)

    def _reply(
        self, survey: Survey, language: str, response_id: int, index: int | None, lead: str | None
    ) -> Reply:
        if index is None:
            return Reply.of("survey.thanks")
        question = self._question(survey, language, response_id, index)
        text = question.text
        if lead is not None:
            text = self._translator.text(language, lead) + "\n\n" + text
        buttons = tuple(
            tuple(Button(Text("survey.label", {"label": label}), data=data) for label, data in row)
            for row in question.buttons
        )
        return Reply(Text("survey.label", {"label": text}), buttons)


async def _tell(
    tx: Transaction,
    person_id: int,
    group_id: int,
    text: str,
    *,
    question: Question,
    now: dt.datetime,
) -> None:
    buttons = [
        [OutboxButton(text=label, data=data) for label, data in row] for row in question.buttons
    ]
    await tx.outbox.add(
        chat_id=person_id,
        group_id=group_id,
        purpose=Purpose.SURVEY,
        content=content_to_json(TextContent(text=text, buttons=buttons)),
        due_at=now,
        now=now,
    )
