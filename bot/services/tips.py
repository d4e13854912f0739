"""Tips: the curated library and organisations' own contributions, for browsing, sending,
asking and reviewing; the screens of /tip's browser, of saving a broadcast to the library
and of /review.

A tip is named by a key: ``lib:<id>`` for a curated tip (``content/tips``), ``own:<n>`` for
an instructor's contribution. Curated tips exist in all three languages and go to each
group in its own; a contribution is sent as it was written. Contributions are shared with
the organisation's other instructors once a coordinator approves them, or at once when the
organisation has turned review off. Every use (sent to a group, asked for by a participant)
is recorded; a participant only by pseudonym.

Reviewing: Approve approves at once. Reject first asks the reviewer why: their next message
in the private chat (at most ``REASON_LIMIT`` characters, within ``REASON_WAIT``) is the
reason, or they press "no reason", or go back. Only the question is stored
(``reasons_awaited``: who, which contribution, when), never the reason: that goes straight
into the author's notice. Any other command or button of theirs closes the question, so a
later message is not taken for a reason. The author hears the verdict through the outbox.

A tip counts as sent to a group when, and only when, it is delivered there, wherever it
went out from (a broadcast of a tip, a "meeting at home" message): the outbox row carries
the tip's key, and ``delivered`` records the use inside the sender's transaction that marks
the row sent, so the two commit together. A row that fails (the group removed the bot,
say) leaves the tip unused.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.errors import DomainError
from bot.i18n import Lines, PerLanguage, Text, Translator, Words
from bot.payload import (
    AlbumContent,
    MediaContent,
    TextContent,
    content_from_json,
    first_words,
)
from bot.pseudonyms import Pseudonyms
from bot.replies import Button, Reply, in_rows
from bot.runtime.events import EventLog
from bot.runtime.outcomes import Delivered
from bot.services.access import (
    Actor,
    coordinated_organisations,
    load_actor,
    own_organisation,
    require_coordinator,
    require_staff,
)
from bot.services.broadcasts import AnyContent, BroadcastService, TipVariants
from bot.services.consent import consented
from bot.services.notices import StaffNotices
from bot.settings import LANGUAGES
from bot.typed import without_controls
from content import Library, Tip
from content.library import MEDIA_DIR, PROGRAMME_WEEKS, Theme
from storage import Database, Transaction
from storage.broadcasts import Broadcast
from storage.groups import Group
from storage.organisations import StaffMember
from storage.states import AuditAction, ContributionStatus, EventKind, Language, TipUse
from storage.tips import Contribution, TipReception

log = logging.getLogger(__name__)

# the words for each theme (a literal table, so every key is seen in the code)
THEME_NAMES = {
    Theme.ACTION_PLANNING: "theme.action_planning",
    Theme.PHYSICAL_ACTIVITY: "theme.physical_activity",
    Theme.HEALTHY_EATING: "theme.healthy_eating",
    Theme.SLEEP: "theme.sleep",
    Theme.FATIGUE: "theme.fatigue",
    Theme.PAIN: "theme.pain",
    Theme.DIFFICULT_EMOTIONS: "theme.difficult_emotions",
    Theme.RELAXATION: "theme.relaxation",
    Theme.BREATHING: "theme.breathing",
    Theme.HEALTH_PROFESSIONALS: "theme.health_professionals",
    Theme.MEDICATIONS: "theme.medications",
    Theme.PROBLEM_SOLVING: "theme.problem_solving",
    Theme.COMMUNITY_RESOURCES: "theme.community_resources",
    Theme.PEER_SUPPORT: "theme.peer_support",
}
CURATED = "lib:"
OWN = "own:"
PAGE = 8  # tips per page in the browser
REVIEW_PAGE = 10  # contributions shown by one /review
# the browser's buttons
HOME = "tip:h"
TOP = "tip:top"
THEME = "tip:t:"  # tip:t:<theme>:<page>
VIEW = "tip:v:"  # tip:v:<key>[:<language>]
SEND = "tip:s:"  # tip:s:<key>
# saving a broadcast to the library (offered by lib:save:<broadcast>, SAVE_TO_LIBRARY)
SAVE_THEME = "lib:th:"  # lib:th:<broadcast>:<theme>
SAVE_LANGUAGE = "lib:lg:"  # lib:lg:<broadcast>:<theme>:<language>
# reviewing contributions: approve, or reject and then say why (or not, or go back)
APPROVE = "rv:a:"
REJECT = "rv:r:"
NO_REASON = "rv:n:"
BACK = "rv:b:"
REASON_LIMIT = 300  # characters of a rejection's reason
REASON_WAIT = dt.timedelta(minutes=15)  # a reason asked for is awaited this long
FLAGS = {"fi": "🇫🇮 suomi", "sv": "🇸🇪 svenska", "en": "🇬🇧 English"}
UNRECORDED_MEMORY = 10_000  # people without consent whose last tip is kept in memory


@dataclass(frozen=True)
class Review:
    """/review: what to say first, then each contribution as it would be sent, followed by
    its approve and reject buttons."""

    header: Reply
    items: list[tuple[Contribution, Reply]]


@dataclass(frozen=True)
class TipView:
    """A tip as the browser shows it: curated or the organisation's own."""

    key: str
    theme: str
    tip: Tip | None = None
    contribution: Contribution | None = None

    @property
    def own(self) -> bool:
        return self.contribution is not None

    def content(self, language: str) -> AnyContent:
        if self.tip is not None:
            return tip_content(self.tip, language)
        assert self.contribution is not None
        return content_from_json(self.contribution.content)

    def label(self, language: str, width: int = 48) -> str:
        """The first words, for a button."""
        content = self.content(language)
        first = content.items[0] if isinstance(content, AlbumContent) else content
        return ("🏠 " if self.own else "") + (first_words(content, width) or first.kind)

    def labels(self, width: int = 48) -> PerLanguage:
        """``label`` in each language."""
        return PerLanguage.of(lambda language: self.label(language, width))


def tip_content(tip: Tip, language: str) -> AnyContent:
    text = tip.text_in(language)
    if tip.media is None:
        return TextContent(text=text)
    return MediaContent(kind=tip.media.kind, path=str(MEDIA_DIR / tip.media.file), caption=text)


def local_date(group: Group, moment: dt.datetime) -> dt.date:
    """The date at ``moment`` where the group lives."""
    return moment.astimezone(ZoneInfo(group.timezone)).date()


def programme_week(group: Group, today: dt.date) -> int:
    """The group's week in its six-week programme (1-6): counted from its first meeting,
    or from its registration until the first meeting is set; after week 6 it stays 6."""
    week = 1 + (today - group.programme_start).days // 7
    return min(max(week, PROGRAMME_WEEKS.start), PROGRAMME_WEEKS.stop - 1)


class TipService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        admins: Collection[int],
        library: Library,
        *,
        pseudonyms: Pseudonyms,
        broadcasts: BroadcastService,
        translator: Translator,
        events: EventLog,
        notices: StaffNotices,
        notify: Callable[[], None] = lambda: None,
        chooser: random.Random | None = None,
    ) -> None:
        self._translator = translator
        self._notices = notices
        self._notify = notify
        self._database = database
        self._clock = clock
        self._admins = frozenset(admins)
        self.library = library
        self._pseudonyms = pseudonyms
        self._broadcasts = broadcasts
        self._unrecorded: dict[int, str] = {}  # person -> last tip, never stored
        # where a participant's request is logged (with their consent only)
        self._events = events
        self._random = chooser or random.Random()  # noqa: S311 - variety, not secrecy

    # Browsing (staff) ------------------------------------------------------------------------

    async def asked(self, person_id: int, language: str) -> Reply | AnyContent:
        """/tip: staff browse the library (its first screen); anyone else gets a tip for
        their group's week (``for_participant``)."""
        if await self._broadcasts.may_broadcast(person_id):
            return await self.home(person_id)
        return await self.for_participant(person_id, language)

    async def home(self, actor_id: int) -> Reply:
        """The browser's first screen: a button per theme with how many tips it has."""
        buttons = [
            Button(
                Lines((Text(THEME_NAMES[theme]), f"({count})"), sep=" "),
                data=f"{THEME}{theme.value}:0",
            )
            for theme, count in await self.themes(actor_id)
        ]
        rows = (*in_rows(buttons, 2), (Button(Text("tip.top-button"), data=TOP),))
        return Reply(Text("tip.home"), rows)

    async def theme_page(self, actor_id: int, theme: str, page: int) -> Reply:
        """One page of a theme's tips, a button each (a page past the end shows the last)."""
        views = await self.in_theme(actor_id, theme)
        pages = max(1, -(-len(views) // PAGE))
        page = min(max(page, 0), pages - 1)
        shown = views[page * PAGE : (page + 1) * PAGE]
        rows: list[tuple[Button, ...]] = [
            (Button(view.labels(), data=f"{VIEW}{view.key}"),) for view in shown
        ]
        paging = []
        if page > 0:
            paging.append(Button("◀️", data=f"{THEME}{theme}:{page - 1}"))
        if page < pages - 1:
            paging.append(Button("▶️", data=f"{THEME}{theme}:{page + 1}"))
        if paging:
            rows.append(tuple(paging))
        rows.append((Button(Text("tip.back-button"), data=HOME),))
        text = Text(
            "tip.theme-header", {"theme": theme_name(theme), "page": page + 1, "pages": pages}
        )
        return Reply(text, tuple(rows))

    async def top(self, actor_id: int) -> Reply:
        """The tips groups reacted to most, with how, a button each."""
        liked = await self.popular(actor_id)
        back = (Button(Text("tip.back-button"), data=HOME),)
        if not liked:
            return Reply(Text("tip.top-none"), (back,))
        lines: list[Words] = [Text("tip.top-header")]
        rows = []
        for number, (view, seen) in enumerate(liked, start=1):
            lines.append(
                Text(
                    "tip.top-line",
                    {
                        "number": number,
                        "tip": view.labels(width=60),
                        "groups": seen.sent,
                        "reactions": seen.reactions,
                        "replies": seen.replies,
                        "requested": seen.requested,
                    },
                )
            )
            rows.append(
                (Button(Lines((f"{number}.", view.labels()), sep=" "), data=f"{VIEW}{view.key}"),)
            )
        rows.append(back)
        return Reply(Lines(tuple(lines)), tuple(rows))

    async def themes(self, actor_id: int) -> list[tuple[Theme, int]]:
        """Every theme with how many tips the actor can see in it."""
        async with self._database.transaction() as tx:
            actor = await self._staff(tx, actor_id)
            own = await self._own_approved(tx, actor)
        counts = {theme: 0 for theme in Theme}
        for tip in self.library:
            counts[tip.theme] += 1
        for contribution in own:
            counts[Theme(contribution.theme)] += 1
        return [(theme, count) for theme, count in counts.items() if count]

    async def in_theme(self, actor_id: int, theme: str) -> list[TipView]:
        chosen = _theme(theme)
        async with self._database.transaction() as tx:
            actor = await self._staff(tx, actor_id)
            own = [c for c in await self._own_approved(tx, actor) if c.theme == chosen]
        curated = [view for view in self._curated() if view.theme == chosen]
        return curated + [TipView(c.key, c.theme, contribution=c) for c in own]

    async def view(self, actor_id: int, key: str) -> TipView:
        """One tip, if the actor may see it: a forged or foreign key reads as unknown."""
        async with self._database.transaction() as tx:
            actor = await self._staff(tx, actor_id)
            return await self._view(tx, actor, key)

    async def start_sending(self, actor_id: int, key: str, language: str) -> Reply:
        """The tip becomes the actor's broadcast draft; groups are picked next (the
        returned buttons)."""
        view = await self.view(actor_id, key)
        if not await self._broadcasts.targets_for(actor_id):
            raise DomainError("broadcast.no-groups")  # before the draft they have is replaced
        await self._broadcasts.draft_from(actor_id, view.content(language), key)
        return await self._broadcasts.targets(actor_id)

    async def popular(self, actor_id: int, limit: int = 5) -> list[tuple[TipView, TipReception]]:
        """The tips the actor can see that groups reacted to most (reactions and replies to
        their broadcasts in the actor's organisation, then participants' requests)."""
        async with self._database.transaction() as tx:
            actor = await self._staff(tx, actor_id)
            own = await self._own_approved(tx, actor)
            views = {
                CURATED + tip.id: TipView(CURATED + tip.id, tip.theme, tip=tip)
                for tip in self.library
            }
            views.update({c.key: TipView(c.key, c.theme, contribution=c) for c in own})
            received = []
            if actor.is_admin or actor.organisation_id is not None:  # none without one
                received = await tx.tips.reception(list(views), actor.organisation_id)
        return [(views[r.tip], r) for r in received if r.reactions + r.replies + r.requested][
            :limit
        ]

    # Asking (participants) and the reminders' rhythm ------------------------------------------

    async def for_participant(self, person_id: int, language: str) -> AnyContent:
        """A tip for the person's group's current week, never the one they got last time.

        The request is recorded (by pseudonym) only with the person's consent to their
        group's organisation; without it nothing about them is stored, and the last tip
        they got is remembered in memory only, so it is still not repeated."""
        now = self._clock.now()
        pseudonym = self._pseudonyms.of(person_id)
        async with self._database.transaction() as tx:
            groups = [g for g in await tx.groups.groups_of_participant(person_id) if g.is_active]
            group = groups[0] if groups else None
            agreed = (
                group is not None
                and group.organisation_id is not None
                and await consented(tx, person_id, group.organisation_id)
            )
            week = programme_week(group, local_date(group, now)) if group else None
            if agreed:
                assert group is not None
                used = await tx.tips.use_counts(group.id, pseudonym)
                last = await tx.tips.last_requested(pseudonym)
            else:
                used = await tx.tips.use_counts(group.id) if group else {}
                last = self._unrecorded.get(person_id)
            tip = self.pick(week, used, avoid=last)
            key = CURATED + tip.id
            if agreed:
                assert group is not None
                await tx.tips.record_use(
                    key, TipUse.REQUESTED, now, group_id=group.id, pseudonym=pseudonym
                )
        if agreed:
            assert group is not None
            self._events.record(
                EventKind.TIP_REQUESTED,
                group_id=group.id,
                person_id=person_id,
                theme=tip.theme.value,
            )
        if not agreed:
            self._unrecorded.pop(person_id, None)
            self._unrecorded[person_id] = key
            while len(self._unrecorded) > UNRECORDED_MEMORY:
                self._unrecorded.pop(next(iter(self._unrecorded)))
        return tip_content(tip, language)

    async def for_group(self, group_id: int, week: int | None = None) -> tuple[str, AnyContent]:
        """The tip for a group's week (its current week by default), in its language: the
        one it has seen least, so a group does not get the same tip again while others
        remain. Returns the tip key (pass it to ``BroadcastService.send``, or put it on the
        outbox row) and content."""
        async with self._database.transaction() as tx:
            group = await tx.groups.get(group_id)
            if group is None:
                raise DomainError("tip.unknown")
            return await self.for_group_in(tx, group, week)

    async def for_group_in(
        self, tx: Transaction, group: Group, week: int | None = None
    ) -> tuple[str, AnyContent]:
        """``for_group`` inside the caller's transaction."""
        chosen_week = week or programme_week(group, local_date(group, self._clock.now()))
        tip = self.pick(chosen_week, await tx.tips.use_counts(group.id), avoid=None)
        return CURATED + tip.id, tip_content(tip, group.language)

    def pick(self, week: int | None, used: Mapping[str, int], *, avoid: str | None) -> Tip:
        """Among tips for the week (any week's when ``week`` is None), one of the least
        used, never ``avoid`` while another exists."""
        suitable = [
            tip
            for tip in self.library
            if (tip.weeks == "any" if week is None else tip.suits_week(week))
        ] or list(self.library)
        fresh = [tip for tip in suitable if CURATED + tip.id != avoid] or suitable
        fewest = min(used.get(CURATED + tip.id, 0) for tip in fresh)
        return self._random.choice([t for t in fresh if used.get(CURATED + t.id, 0) == fewest])

    async def delivered(self, tx: Transaction, report: Delivered) -> None:
        """Inside the outbox sender's transaction: a row carrying a tip reached its chat, so
        the tip counts as used there."""
        row = report.row
        if row.tip is not None:
            await tx.tips.record_use(
                row.tip,
                TipUse.SENT,
                report.at,
                group_id=row.group_id,
                broadcast_id=row.broadcast_id,
            )

    # Contributions -------------------------------------------------------------------------

    async def check_saveable(self, actor_id: int, broadcast_id: int) -> None:
        """Refuse at once (before any menu) what ``contribute`` would refuse."""
        async with self._database.transaction() as tx:
            await self._saveable(tx, actor_id, broadcast_id)

    async def _saveable(self, tx: Transaction, actor_id: int, broadcast_id: int) -> Broadcast:
        actor = await self._staff(tx, actor_id)
        broadcast = await tx.broadcasts.get(broadcast_id)
        if broadcast is None or broadcast.created_by != actor_id:
            raise DomainError("tip.not-your-broadcast")
        if broadcast.tip is not None:
            raise DomainError("tip.already-in-library")
        if await tx.tips.contribution_of_broadcast(broadcast_id) is not None:
            raise DomainError("tip.already-saved")
        if actor.organisation_id is None:
            raise DomainError("tip.no-organisation")
        return broadcast

    async def offer_saving(self, actor_id: int, broadcast_id: int) -> Reply:
        """Saving one's broadcast to the library: first, which theme."""
        await self.check_saveable(actor_id, broadcast_id)
        buttons = [
            Button(Text(THEME_NAMES[theme]), data=f"{SAVE_THEME}{broadcast_id}:{theme.value}")
            for theme in Theme
        ]
        return Reply(Text("tip.save-theme", {"number": broadcast_id}), in_rows(buttons, 2))

    async def ask_language(self, actor_id: int, broadcast_id: int, theme: str) -> Reply:
        """Then, which language it is written in."""
        await self.check_saveable(actor_id, broadcast_id)
        buttons = tuple(
            Button(FLAGS[code], data=f"{SAVE_LANGUAGE}{broadcast_id}:{theme}:{code}")
            for code in LANGUAGES
        )
        return Reply(Text("tip.save-language"), (buttons,))

    async def save(self, actor_id: int, broadcast_id: int, theme: str, language: str) -> Reply:
        """Saved: shared with the organisation at once, or waiting for review."""
        contribution = await self.contribute(actor_id, broadcast_id, theme, language)
        key = (
            "tip.saved-shared"
            if contribution.status == ContributionStatus.APPROVED
            else "tip.saved-pending"
        )
        return Reply.of(key, number=contribution.id, theme=theme_name(theme))

    async def contribute(
        self, actor_id: int, broadcast_id: int, theme: str, language: str
    ) -> Contribution:
        """Save one of the actor's own broadcasts to the organisation's library."""
        chosen = _theme(theme)
        if language not in LANGUAGES:
            raise DomainError("tip.unknown")
        now = self._clock.now()
        async with self._database.transaction() as tx:
            broadcast = await self._saveable(tx, actor_id, broadcast_id)
            actor = await self._staff(tx, actor_id)
            organisation = await tx.organisations.get(own_organisation(actor))
            assert organisation is not None  # load_actor found it in this transaction
            contribution = await tx.tips.contribute(
                organisation_id=organisation.id,
                author_id=actor_id,
                broadcast_id=broadcast_id,
                theme=chosen,
                language=Language(language),
                content=broadcast.content,
                approved=not organisation.review_contributions,
                now=now,
            )
        log.info(
            "contribution %d (%s) by %s: %s", contribution.id, chosen, actor_id, contribution.status
        )
        return contribution

    async def pending(self, actor_id: int) -> list[tuple[Contribution, Words]]:
        """Contributions waiting for review, with their authors' names."""
        async with self._database.transaction() as tx:
            actor = await load_actor(tx, actor_id, self._admins)
            require_coordinator(actor)
            waiting = []
            for contribution in await self._pending(tx, actor):
                author = await tx.staff.get(contribution.author_id)
                waiting.append((contribution, _author(author)))
            return waiting

    async def reviews(self, actor_id: int) -> Review | Reply:
        """/review: the contributions waiting (the first ``REVIEW_PAGE``), or that none is."""
        pending = await self.pending(actor_id)
        if not pending:
            return Reply.of("tip.review-none")
        items = [
            (contribution, review_card(contribution, author))
            for contribution, author in pending[:REVIEW_PAGE]
        ]
        return Review(Reply.of("tip.review-header", count=len(pending)), items)

    async def approve(self, actor_id: int, contribution_id: int) -> Reply:
        """The approve button: approved, as the message under it now says."""
        await self.review(actor_id, contribution_id, approve=True)
        return Reply.of("tip.approved", number=contribution_id)

    async def review(
        self, actor_id: int, contribution_id: int, approve: bool, reason: str | None = None
    ) -> Contribution:
        """Approve or reject (with the reviewer's reason, if any); only the organisation's
        coordinators (and admins) may. The author hears the verdict."""
        async with self._database.transaction() as tx:
            reviewed = await self._review_in(tx, actor_id, contribution_id, approve, reason)
        self._notify()
        log.info("contribution %d %s by %s", contribution_id, reviewed.status, actor_id)
        return reviewed

    async def _review_in(
        self,
        tx: Transaction,
        actor_id: int,
        contribution_id: int,
        approve: bool,
        reason: str | None,
    ) -> Contribution:
        await self._reviewable(tx, actor_id, contribution_id)
        now = self._clock.now()
        if not await tx.tips.review(contribution_id, approve=approve, reviewer=actor_id, now=now):
            raise DomainError("tip.already-reviewed")  # reviewed meanwhile
        reviewed = await tx.tips.contribution(contribution_id)
        assert reviewed is not None
        await self._tell_author(tx, reviewed, reason)
        return reviewed

    async def _reviewable(
        self, tx: Transaction, actor_id: int, contribution_id: int
    ) -> Contribution:
        """The contribution, if the actor may review it and it still waits; a forged or
        foreign number reads as unknown."""
        actor = await load_actor(tx, actor_id, self._admins)
        require_coordinator(actor)
        contribution = await tx.tips.contribution(contribution_id)
        if contribution is None or not actor.coordinates(contribution.organisation_id):
            raise DomainError("tip.unknown")
        if contribution.status != ContributionStatus.PENDING:
            raise DomainError("tip.already-reviewed")
        return contribution

    async def _tell_author(
        self, tx: Transaction, reviewed: Contribution, reason: str | None
    ) -> None:
        """The author hears the verdict (a rejection with the reviewer's reason, if given),
        through the outbox like every other message. The reason is kept nowhere else."""
        params = {"number": reviewed.id, "theme": theme_name(reviewed.theme)}
        if await tx.posts.of_contribution(reviewed.id) is not None:  # a participant's post
            key = (
                "post.library-approved-notice"
                if reviewed.status == ContributionStatus.APPROVED
                else "post.library-rejected-notice"
            )
            await self._notices.tell(tx, reviewed.author_id, Text(key, params))
            return
        if reviewed.status == ContributionStatus.APPROVED:
            words = Text("tip.approved-notice", params)
        elif reason is None:
            words = Text("tip.rejected-notice", params)
        else:
            words = Text("tip.rejected-notice-reason", {**params, "reason": reason})
        await self._notices.tell(tx, reviewed.author_id, words)

    # Rejecting with a reason ---------------------------------------------------------------

    async def ask_reason(self, actor_id: int, contribution_id: int) -> Reply:
        """The reject button: nothing is rejected yet; the reviewer is asked to write the
        reason for the author in their next message, or to reject without one, or to go
        back. A forged or foreign number, or a contribution reviewed already, changes
        nothing."""
        async with self._database.transaction() as tx:
            await self._reviewable(tx, actor_id, contribution_id)
            await tx.tips.await_reason(actor_id, contribution_id, self._clock.now())
        return Reply(
            Text("tip.reason-ask", {"number": contribution_id, "limit": REASON_LIMIT}),
            _reason_buttons(contribution_id),
        )

    async def reject_without_reason(self, actor_id: int, contribution_id: int) -> Reply:
        """The "no reason" button: rejected, if that is the reviewer's open question."""
        async with self._database.transaction() as tx:
            await self._reviewable(tx, actor_id, contribution_id)
            if await self._open_question(tx, actor_id) != contribution_id:
                raise DomainError("tip.reason-not-asked")
            await tx.tips.stop_awaiting(actor_id)
            await self._review_in(tx, actor_id, contribution_id, approve=False, reason=None)
        self._notify()
        log.info("contribution %d rejected by %s, without a reason", contribution_id, actor_id)
        return Reply.of("tip.rejected", number=contribution_id)

    async def back_to_review(self, actor_id: int, contribution_id: int) -> Reply:
        """The back button: the question is closed and the contribution's card is shown
        again, with approve and reject."""
        async with self._database.transaction() as tx:
            contribution = await self._reviewable(tx, actor_id, contribution_id)
            if await self._open_question(tx, actor_id) == contribution_id:
                await tx.tips.stop_awaiting(actor_id)
            author = await tx.staff.get(contribution.author_id)
        return review_card(contribution, _author(author))

    async def reason_written(self, actor_id: int, text: str) -> Reply | None:
        """A message in the private chat: if the person was asked for a rejection's reason
        (within ``REASON_WAIT``), it is the reason: the contribution is rejected and its
        author told why. None: nobody asked, the message is something else. A reason that
        is empty or longer than ``REASON_LIMIT`` is refused kindly and the question stays
        open; a contribution reviewed meanwhile is said so, and the question is closed."""
        reason = without_controls(text).strip()
        async with self._database.transaction() as tx:
            contribution_id = await self._open_question(tx, actor_id)
        if contribution_id is None:
            return None
        if not reason or len(reason) > REASON_LIMIT:
            return Reply(
                Text("tip.reason-invalid", {"limit": REASON_LIMIT, "length": len(reason)}),
                _reason_buttons(contribution_id),
            )
        try:
            async with self._database.transaction() as tx:
                if not await tx.tips.stop_awaiting(actor_id):
                    return None  # answered meanwhile (another of their devices)
                await self._review_in(tx, actor_id, contribution_id, approve=False, reason=reason)
        except DomainError as refused:  # reviewed meanwhile, or no longer theirs to review
            async with self._database.transaction() as tx:
                await tx.tips.stop_awaiting(actor_id)
            return Reply(Text(refused.key, refused.params))
        self._notify()
        log.info("contribution %d rejected by %s, with a reason", contribution_id, actor_id)
        return Reply.of("tip.rejected-with-reason", number=contribution_id)

    async def close_question(self, actor_id: int) -> None:
        """The person did something else (a command, another button): a reason they were
        asked for is no longer awaited, so a later message is not taken for it."""
        async with self._database.transaction() as tx:
            await tx.tips.stop_awaiting(actor_id)

    async def close_old_questions(self) -> int:
        """A chore of the scheduler's sweep: questions older than ``REASON_WAIT`` go."""
        async with self._database.transaction() as tx:
            return await tx.tips.stop_awaiting_before(self._clock.now() - REASON_WAIT)

    async def _open_question(self, tx: Transaction, actor_id: int) -> int | None:
        """The contribution whose rejection's reason the actor is asked for, if still in time."""
        awaited = await tx.tips.awaited_reason(actor_id)
        if awaited is None or self._clock.now() - awaited.asked_at > REASON_WAIT:
            return None
        return awaited.contribution_id

    async def set_review(self, actor_id: int, review: bool) -> Reply:
        """Turn review of contributions on or off for the coordinator's organisation; says
        which it now is."""
        async with self._database.transaction() as tx:
            actor = await load_actor(tx, actor_id, self._admins)
            if not actor.is_coordinator:  # an organisation's own choice, not an admin's
                raise DomainError("access.coordinator-only")
            organisation_id = own_organisation(actor)
            await tx.organisations.set_review(organisation_id, review)
            await tx.audit.add(
                self._clock.now(),
                actor_id,
                AuditAction.REVIEW_SETTING,
                f"organisation {organisation_id}",
                review=review,
            )
            organisation = await tx.organisations.get(organisation_id)
        assert organisation is not None
        key = "tip.approval-on" if review else "tip.approval-off"
        return Reply(Text(key, {"organisation": organisation.name}))

    # Inside ---------------------------------------------------------------------------------

    def _curated(self) -> list[TipView]:
        return [TipView(CURATED + tip.id, tip.theme, tip=tip) for tip in self.library]

    async def _staff(self, tx: Transaction, actor_id: int) -> Actor:
        actor = await load_actor(tx, actor_id, self._admins)
        require_staff(actor)
        return actor

    async def _own_approved(self, tx: Transaction, actor: Actor) -> list[Contribution]:
        if actor.organisation_id is None:
            return []
        return await tx.tips.contributions(
            actor.organisation_id, status=ContributionStatus.APPROVED
        )

    async def _pending(self, tx: Transaction, actor: Actor) -> list[Contribution]:
        """What waits in the organisations the actor coordinates (an admin: every one)."""
        pending: list[Contribution] = []
        for organisation in await coordinated_organisations(tx, actor):
            pending += await tx.tips.contributions(
                organisation.id, status=ContributionStatus.PENDING
            )
        return pending

    async def _view(self, tx: Transaction, actor: Actor, key: str) -> TipView:
        if key.startswith(CURATED):
            tip = self.library.get(key.removeprefix(CURATED))
            if tip is not None:
                return TipView(key, tip.theme, tip=tip)
        elif (
            key.startswith(OWN)
            and key.removeprefix(OWN).isascii()
            and key.removeprefix(OWN).isdigit()
        ):
            contribution = await tx.tips.contribution(int(key.removeprefix(OWN)))
            if (
                contribution is not None
                and contribution.status == ContributionStatus.APPROVED
                and (actor.is_admin or actor.organisation_id == contribution.organisation_id)
            ):
                return TipView(key, contribution.theme, contribution=contribution)
        raise DomainError("tip.unknown")


def view_menu(view: TipView, language: str) -> Reply:
    """Under a tip just shown in ``language``: the other languages (a curated tip), send,
    and back to its theme."""
    rows = []
    if not view.own:
        rows.append(
            tuple(
                Button(FLAGS[code], data=f"{VIEW}{view.key}:{code}")
                for code in LANGUAGES
                if code != language
            )
        )
    rows.append((Button(Text("tip.send-button"), data=f"{SEND}{view.key}"),))
    rows.append((Button(Text("tip.back-button"), data=f"{THEME}{view.theme}:0"),))
    note = "tip.own-note" if view.own else "tip.curated-note"
    return Reply(Text(note, {"theme": theme_name(view.theme)}), tuple(rows))


def _author(staff: StaffMember | None) -> Words:
    """Who wrote a contribution, as /review names them: a staff member by the name staff
    know them by; anyone else is a participant whose shared post it is (their name is not
    shown)."""
    return staff.display_name if staff is not None else Text("tip.participant-author")


def review_card(contribution: Contribution, author: Words) -> Reply:
    """A contribution's line in /review, under it as it would be sent: approve or reject."""
    text = Text(
        "tip.review-item",
        {
            "number": contribution.id,
            "author": author,
            "theme": theme_name(contribution.theme),
            "language": FLAGS[contribution.language],
        },
    )
    buttons = (
        Button(Text("tip.approve-button"), data=f"{APPROVE}{contribution.id}"),
        Button(Text("tip.reject-button"), data=f"{REJECT}{contribution.id}"),
    )
    return Reply(text, (buttons,))


def _reason_buttons(contribution_id: int) -> tuple[tuple[Button, ...], ...]:
    return (
        (Button(Text("tip.no-reason-button"), data=f"{NO_REASON}{contribution_id}"),),
        (Button(Text("tip.back-button"), data=f"{BACK}{contribution_id}"),),
    )


def theme_name(theme: str) -> Text:
    return Text(THEME_NAMES[Theme(theme)])


def tip_variants(library: Library) -> TipVariants:
    """How the broadcasts turn a tip key into its content in each language: a curated tip
    in each; a contribution as written (no variants)."""

    async def variants(tx: Transaction, key: str) -> Mapping[str, AnyContent]:
        if key.startswith(CURATED):
            tip = library.get(key.removeprefix(CURATED))
            if tip is not None:
                return {language: tip_content(tip, language) for language in LANGUAGES}
        return {}

    return variants


def _theme(value: str) -> Theme:
    try:
        return Theme(value)
    except ValueError:
        raise DomainError("tip.unknown") from None
