"""A person's rights over their data, retention, and the audit log.

- ``my_data``: everything stored about a person, as one JSON file (``/mydata``).
- ``forget``: erasure after a confirmation (``/forgetme``) or by an admin
  (``kannustin forget USER_ID``). What is the person's goes; their events are unlinked
  (given a random pseudonym nobody can compute again) or deleted, as the organisation of
  each group chose; events in no group are deleted.
- ``sweep``: once a day, groups past their organisation's retention period (24 months after
  the last meeting by default) are made anonymous, and people who belong to nothing and
  have not been in touch for as long are forgotten.
- ``audit``: privileged actions, written in the transaction that does them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
from dataclasses import dataclass

from bot.clock import Clock
from bot.i18n import Text
from bot.pseudonyms import Pseudonyms
from bot.replies import Button, File, Reply
from bot.runtime.events import EventLog
from storage import Database
from storage.states import AuditAction, EventErasure

log = logging.getLogger(__name__)

FORGET = "pv:forget:"  # + the minute the question was asked (the button's lifetime)
KEEP = "pv:keep"
BUTTON_MINUTES = 15
DEFAULT_RETENTION_MONTHS = 24
EVENT_POLICIES = tuple(policy.value for policy in EventErasure)  # the words, for the CLI


@dataclass(frozen=True)
class Erased:
    """What an erasure removed, for the person (or the admin) to read."""

    found: bool
    groups: int = 0
    consents: int = 0
    check_ins: int = 0
    survey_answers: int = 0
    events_unlinked: int = 0
    events_deleted: int = 0

    def text(self) -> Text:
        if not self.found:
            return Text("privacy.forget-nothing")
        return Text(
            "privacy.forgotten",
            {
                "groups": self.groups,
                "consents": self.consents,
                "checkins": self.check_ins,
                "answers": self.survey_answers,
                "unlinked": self.events_unlinked,
                "deleted": self.events_deleted,
            },
        )


class PrivacyService:
    def __init__(
        self, database: Database, clock: Clock, pseudonyms: Pseudonyms, events: EventLog
    ) -> None:
        self._database = database
        self._clock = clock
        self._pseudonyms = pseudonyms
        self._events = events
        self._swept_on: dt.date | None = None

    async def my_data(self, person_id: int) -> File | Reply:
        """/mydata: the person's data as a UTF-8 JSON file named by today's date, its
        caption saying how many events it holds; or that nothing is stored about them."""
        pseudonym = self._pseudonyms.of(person_id)
        await self._events.flush()
        async with self._database.transaction() as tx:
            data = await tx.privacy.personal_data(person_id, pseudonym)
        if not any(data.values()):
            return Reply.of("privacy.mydata-none")
        document = {
            "about": "Kannustin: everything stored about you",
            "made_at": self._clock.now().isoformat(timespec="seconds"),
            "pseudonym": pseudonym,
            **data,
        }
        encoded = json.dumps(document, ensure_ascii=False, indent=2, default=str)
        day = self._clock.now().date().isoformat()
        return File(
            encoded.encode(),
            f"kannustin-mydata-{day}.json",
            Text("privacy.mydata-caption", {"events": len(data["events"])}),
        )

    def ask_forget(self) -> Reply:
        """The question before an erasure, with a button that works for a quarter hour."""
        minute = int(self._clock.now().timestamp() // 60)
        return Reply(
            Text("privacy.forget-ask"),
            (
                (Button(Text("privacy.forget-yes"), f"{FORGET}{minute}"),),
                (Button(Text("privacy.forget-no"), KEEP),),
            ),
        )

    async def confirm_forget(self, person_id: int, data: str, *, in_private: bool) -> Reply:
        """The yes button: only the presser is erased, only in their private chat and only
        while the question is fresh (a quarter hour); otherwise nothing changes."""
        minute = int(data.removeprefix(FORGET))
        now = int(self._clock.now().timestamp() // 60)
        if not in_private or not 0 <= now - minute <= BUTTON_MINUTES:
            return Reply.of("privacy.forget-expired")
        erased = await self.forget(person_id)
        return Reply(erased.text())

    @staticmethod
    def keep() -> Reply:
        """The no button: nothing is erased."""
        return Reply.of("privacy.forget-kept")

    async def forget(self, person_id: int, *, by: int | None = None) -> Erased:
        """Erase the person (``by``: the admin who asked, None for the person themself)."""
        pseudonym = self._pseudonyms.of(person_id)
        self._events.discard(pseudonym)
        await self._events.flush()
        async with self._database.transaction() as tx:
            known = await tx.people.get(person_id) is not None
            policies = await tx.privacy.event_policies(person_id, pseudonym)
            delete_in = {
                group for group, policy in policies.items() if policy == EventErasure.DELETE
            }
            removed = await tx.privacy.erase(person_id, pseudonym, _stand_in(), delete_in)
            found = known or any(removed.values())
            if found:
                await tx.audit.add(
                    self._clock.now(),
                    by,
                    AuditAction.ERASE,
                    "person (by an admin)" if by is not None else "person (own request)",
                    **{key: value for key, value in removed.items() if value},
                )
        log.info("a person was erased (%s)", "by an admin" if by is not None else "own request")
        return Erased(
            found=found,
            groups=removed["group_participants"] + removed["group_instructors"],
            consents=removed["consents"],
            check_ins=removed["check_ins"],
            survey_answers=removed["survey_answers"],
            events_unlinked=removed["events_unlinked"],
            events_deleted=removed["events_deleted"],
        )

    async def sweep(self) -> None:
        """The daily retention job (a chore of the scheduler's sweep, doing its work at
        most once a day)."""
        today = self._clock.now().date()
        if self._swept_on == today:
            return
        await self.apply_retention()
        self._swept_on = today

    async def apply_retention(self) -> dict[str, int]:
        now = self._clock.now()
        totals = {"groups": 0, "people": 0}
        async with self._database.transaction() as tx:
            for group in await tx.privacy.expired_groups(now):
                removed = await tx.privacy.anonymise_group(group, now)
                await tx.audit.add(now, None, AuditAction.RETENTION, f"group {group.id}", **removed)
                totals["groups"] += 1
            before = now - dt.timedelta(days=round(DEFAULT_RETENTION_MONTHS * 30.44))
            for person_id in await tx.privacy.strangers(before):
                pseudonym = self._pseudonyms.of(person_id)
                await tx.privacy.erase(person_id, pseudonym, _stand_in(), set())
                totals["people"] += 1
            if totals["people"]:
                await tx.audit.add(
                    now, None, AuditAction.RETENTION, "people", forgotten=totals["people"]
                )
        if any(totals.values()):
            log.info(
                "retention: %d group(s) made anonymous, %d person(s) forgotten",
                totals["groups"],
                totals["people"],
            )
        return totals


def _stand_in() -> str:
    """A pseudonym for an erased person's events that nobody can compute again."""
    return f"erased:{secrets.token_hex(16)}"
