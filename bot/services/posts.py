"""Participants' own posts ("community reporter"): a participant shares a photo, video,
voice message or text they sent the bot in private with one of their groups, named or
anonymously; the group's reviewers let it through or not; the author may withdraw it.

- **Offer.** A participant's message that no other journey took (``handlers/posts.py``)
  gets the offer: share with my group (which one, when several), with my name or
  anonymously, or not now. Nothing is stored by the offer: the buttons sit under the bot's
  reply to the message, and the press brings the message back from Telegram
  (``reply_to_message``). A photo, video or voice message from someone in no group, a
  kind that cannot be shared, or a text or caption too long once the "shares:" line is
  added is answered and nothing else happens.
- **Review.** The post goes to the group's instructors; where it has none, to its
  organisation's coordinators; failing those, to the admins. Each reviewer gets the post
  exactly as the group would see it and a card with Approve and Reject. Anyone who may
  manage the group may decide; the first decision counts, a later or forged press is told
  so and changes nothing. A participant may have ``PENDING_LIMIT`` posts waiting at once.
- **In the group.** An approved post goes to the group through the outbox (its pace and
  retries), under a line naming the author's first name or "a participant". The author
  hears both verdicts.
- **Withdrawal.** ``/myposts`` lists the author's posts that exist, each with a Withdraw
  button (asked again before it goes). The post's copies are deleted from the group and
  from the reviewers' chats where Telegram allows (48 hours), rows still waiting are
  cancelled, and what was shared is emptied from storage. A library tip made from it is
  removed too.
- **Library.** A reviewer may offer an approved post to the organisation's library: its
  author is asked, and only their Yes saves it, as their own contribution without their
  name. Withdrawing the post removes the tip (and cancels scheduled broadcasts of it).

What is stored: the post's group, kind, state and times, its author's Telegram id (for
/myposts; cleared by an erasure) and, only while the post exists, what was shared and the
name shown. Nothing else a participant writes to the bot is stored (DESIGN rule 9).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from bot.clock import Clock
from bot.errors import DomainError
from bot.i18n import Lines, Text, Translator, Words
from bot.payload import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    AlbumContent,
    MediaContent,
    TextContent,
    content_from_json,
    content_to_json,
    first_words,
    telegram_length,
)
from bot.replies import Button, Reply
from bot.services.access import Actor, load_actor
from bot.services.notices import StaffNotices
from bot.services.tips import THEME_NAMES, theme_name
from content.library import Theme
from storage import Database, Transaction
from storage.groups import Group
from storage.posts import Post
from storage.states import PostKind, PostStatus, Purpose

log = logging.getLogger(__name__)

# the offer's buttons: a group chosen, shared named or anonymously, not now
CHOOSE = "ps:g:"  # ps:g:<group>
NAMED = "ps:n:"  # ps:n:<group>
ANONYMOUS = "ps:a:"  # ps:a:<group>
NOT_NOW = "ps:x"
# a reviewer's card
APPROVE = "pr:y:"  # pr:y:<post>
REJECT = "pr:n:"  # pr:n:<post>
SAVE = "pr:s:"  # pr:s:<post>: save to the library (then a theme)
SAVE_THEME = "pr:t:"  # pr:t:<post>:<theme>
# /myposts
WITHDRAW = "pw:a:"  # pw:a:<post>: asked first
WITHDRAW_YES = "pw:y:"  # pw:y:<post>
LIBRARY_YES = "pw:l:"  # pw:l:<post>: the author lets it be saved to the library
LIBRARY_NO = "pw:n:"  # pw:n:<post>
KEEP = "pw:k:"  # pw:k:<post>
PENDING_LIMIT = 3  # posts one participant may have waiting for review at once
DECIDE_WITHIN = dt.timedelta(days=14)  # a post nobody decided on by then goes
LISTED = 10  # posts /myposts shows
KIND_NAMES = {
    PostKind.PHOTO: "post.kind-photo",
    PostKind.VIDEO: "post.kind-video",
    PostKind.VOICE: "post.kind-voice",
    PostKind.TEXT: "post.kind-text",
}


@dataclass(frozen=True)
class Shared:
    """What a participant's message would share: its content as Telegram holds it."""

    kind: PostKind
    content: TextContent | MediaContent
    source_message_id: int
    first_name: str


@dataclass(frozen=True)
class Removed:
    """A post that went: its copies to delete in Telegram (chat, message), and of them the
    group's (whose fate the author is told)."""

    reply: Reply
    copies: tuple[tuple[int, int], ...]
    in_group: frozenset[tuple[int, int]] = frozenset()


def attribution(post_named: bool, name: str | None) -> Words:
    return Text("post.by-name", {"name": name}) if post_named and name else Text("post.by-anyone")


class PostService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        admins: Collection[int],
        translator: Translator,
        *,
        notices: StaffNotices,
        notify: Callable[[], None] = lambda: None,
    ) -> None:
        self._database = database
        self._clock = clock
        self._admins = frozenset(admins)
        self._translator = translator
        self._notices = notices
        self._notify = notify

    # The offer --------------------------------------------------------------------------

    async def offer(self, person_id: int, shared: Shared | None) -> Reply | None:
        """The reply to a participant's message in private: the offer to share it, or why
        it cannot be shared. None: the person is in no group (the caller answers as to
        anyone else)."""
        groups = await self._groups_of(person_id)
        if not groups:
            return None
        if shared is None:
            return Reply.of("post.unsupported")
        self._shareable(shared, groups[0])
        if len(groups) == 1:
            return self._named_or_not(groups[0], Text("post.offer-one", {"group": groups[0].title}))
        rows = [(Button(group.title, data=f"{CHOOSE}{group.id}"),) for group in groups]
        rows.append((Button(Text("post.not-now-button"), data=NOT_NOW),))
        return Reply(Text("post.offer-choose"), tuple(rows))

    async def chosen(self, person_id: int, group_id: int) -> Reply:
        """A group chosen among several: with my name or anonymously."""
        group = await self._own_group(person_id, group_id)
        return self._named_or_not(group, Text("post.offer-how", {"group": group.title}))

    def _named_or_not(self, group: Group, words: Words) -> Reply:
        return Reply(
            words,
            (
                (Button(Text("post.named-button"), data=f"{NAMED}{group.id}"),),
                (Button(Text("post.anonymous-button"), data=f"{ANONYMOUS}{group.id}"),),
                (Button(Text("post.not-now-button"), data=NOT_NOW),),
            ),
        )

    def _shareable(self, shared: Shared, group: Group, named: bool = True) -> None:
        """Refuse what Telegram would not take in the group: a text or caption too long
        once the "shares:" line is added (a file of any size goes by its Telegram id)."""
        self._in_group(shared.content, group.language, named, shared.first_name)

    def _in_group(
        self, content: TextContent | MediaContent, language: str, named: bool, name: str | None
    ) -> TextContent | MediaContent:
        """The post as the group sees it: the "shares:" line, then what was shared. Too
        long for Telegram: refused (``DomainError`` from the content's own checks)."""
        line = self._translator.render(language, attribution(named, name))
        limit = TEXT_LIMIT if isinstance(content, TextContent) else CAPTION_LIMIT
        written = content.text if isinstance(content, TextContent) else content.caption or ""
        room = limit - telegram_length(line) - 2
        if telegram_length(written) > room:
            raise DomainError("post.too-long", room=room, length=telegram_length(written))
        if isinstance(content, TextContent):
            return TextContent(
                text=f"{line}\n\n{content.text}",
                entities=_shifted(content.entities, telegram_length(line) + 2),
            )
        caption = f"{line}\n\n{content.caption}" if content.caption else line
        return MediaContent(
            kind=content.kind,
            file_id=content.file_id,
            caption=caption,
            caption_entities=_shifted(content.caption_entities, telegram_length(line) + 2),
        )

    # Sharing ----------------------------------------------------------------------------

    async def share(self, person_id: int, group_id: int, named: bool, shared: Shared) -> Reply:
        """The participant pressed "with my name" or "anonymously": the post waits for
        review and its reviewers get it. One message is shared once."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            group = await self._own_group_in(tx, person_id, group_id)
            self._shareable(shared, group, named)
            if await tx.posts.pending_of(person_id) >= PENDING_LIMIT:
                raise DomainError("post.too-many-waiting", limit=PENDING_LIMIT)
            post_id = await tx.posts.add(
                group_id=group.id,
                author_id=person_id,
                source_message_id=shared.source_message_id,
                kind=shared.kind,
                content=content_to_json(shared.content),
                named=named,
                author_name=shared.first_name if named else None,
                now=now,
            )
            if post_id is None:
                raise DomainError("post.already-shared")
            post = await tx.posts.get(post_id)
            assert post is not None
            reviewers = await self._ask_reviewers(tx, post, group, shared.first_name)
        self._notify()
        log.info(
            "post %d (%s) shared to group %d; %d reviewers asked",
            post_id,
            shared.kind,
            group.id,
            reviewers,
        )
        key = "post.shared-named" if named else "post.shared-anonymous"
        return Reply.of(key, group=group.title)

    async def _ask_reviewers(self, tx: Transaction, post: Post, group: Group, author: str) -> int:
        """The post as the group would see it and the card with Approve and Reject, to the
        group's instructors, or its coordinators, or the admins: the first of those the bot
        can write to. Returns how many were asked."""
        candidates: list[Sequence[int]] = [await tx.groups.instructor_ids(group.id)]
        if group.organisation_id is not None:
            candidates.append(await tx.staff.coordinators_of(group.organisation_id))
        candidates.append(sorted(self._admins))
        for people in candidates:
            asked = 0
            for person_id in dict.fromkeys(people):
                asked += await self._ask(tx, person_id, post, group, author)
            if asked:
                return asked
        log.warning("post %d: nobody the bot can write to may review it", post.id)
        return 0

    async def _ask(
        self, tx: Transaction, reviewer: int, post: Post, group: Group, author: str
    ) -> bool:
        person = await tx.people.get(reviewer)
        if person is None or person.stopped_at is not None:
            return False  # never met, or blocked the bot: the next in line is asked
        assert post.content is not None
        now = self._clock.now()
        shown = self._in_group(_stored(post.content), group.language, post.named, post.author_name)
        await tx.outbox.add(
            chat_id=reviewer,
            person_id=reviewer,
            group_id=group.id,
            purpose=Purpose.NOTICE,
            content=content_to_json(shown),
            due_at=now,
            now=now,
            post_id=post.id,
        )
        key = "post.review-card-named" if post.named else "post.review-card-anonymous"
        return await self._notices.tell(
            tx,
            reviewer,
            Text(key, {"number": post.id, "name": author, "group": group.title}),
            group_id=group.id,
            buttons=(
                (Text("post.approve-button"), f"{APPROVE}{post.id}"),
                (Text("post.reject-button"), f"{REJECT}{post.id}"),
            ),
            post_id=post.id,
        )

    # Review ------------------------------------------------------------------------------

    async def approve(self, actor_id: int, post_id: int) -> Removed:
        """Approve: the post goes to the group through the outbox; its author is told. An
        author who has left the group meanwhile cannot take it back from there: it is not
        sent, and goes (emptied; the reviewers' copies are to be deleted)."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            actor, post, group = await self._reviewable(tx, actor_id, post_id)
            if not await self._still_member(tx, post, group):
                await tx.posts.withdraw(post_id, now)
                copies, _ = await self._forget(tx, post_id, "reason.post-withdrawn")
                gone = True
            else:
                if not await tx.posts.decide(post_id, approve=True, reviewer=actor_id, now=now):
                    raise DomainError("post.already-decided")
                assert post.content is not None
                content = self._in_group(
                    _stored(post.content), group.language, post.named, post.author_name
                )
                await tx.outbox.add(
                    chat_id=group.chat_id,
                    group_id=group.id,
                    purpose=Purpose.POST,
                    content=content_to_json(content),
                    due_at=now,
                    now=now,
                    post_id=post.id,
                )
                words = Text("post.approved-notice", {"group": group.title})
                await self._tell_author(tx, post, words)
                gone, copies = False, ()
        self._notify()
        if gone:
            log.info("post %d not approved: its author left the group", post_id)
            return Removed(Reply.of("post.author-left", number=post_id, group=group.title), copies)
        log.info("post %d approved by %s", post_id, actor_id)
        rows = []
        if actor.organisation_id is not None:
            rows.append((Button(Text("post.save-button"), data=f"{SAVE}{post_id}"),))
        approved = Text("post.approved", {"number": post_id, "group": group.title})
        return Removed(Reply(approved, tuple(rows)), ())

    async def _managed(
        self, tx: Transaction, actor_id: int, post_id: int
    ) -> tuple[Actor, Post, Group]:
        """The post, its group and the actor, if the actor may manage the group (its
        instructors, its organisation's coordinators, the admins); a forged or foreign
        number reads as unknown."""
        actor = await load_actor(tx, actor_id, self._admins)
        post = await tx.posts.get(post_id)
        group = None if post is None else await tx.groups.get(post.group_id)
        if post is None or group is None or not actor.manages(group):
            raise DomainError("post.unknown")
        return actor, post, group

    async def _still_member(self, tx: Transaction, post: Post, group: Group) -> bool:
        author = post.author_id
        return author is not None and await tx.groups.is_participant(group.id, author)

    async def reject(self, actor_id: int, post_id: int) -> Removed:
        """Reject: nothing reaches the group, what was shared is emptied, the reviewers'
        copies are to be deleted; the author is told."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            _, post, group = await self._reviewable(tx, actor_id, post_id)
            if not await tx.posts.decide(post_id, approve=False, reviewer=actor_id, now=now):
                raise DomainError("post.already-decided")
            copies, _ = await self._forget(tx, post_id, "reason.post-rejected")
            await self._tell_author(tx, post, Text("post.rejected-notice", {"group": group.title}))
        self._notify()
        await self._database.truncate_log()  # the old pages leave the SQLite log too
        log.info("post %d rejected by %s", post_id, actor_id)
        reply = Reply.of("post.rejected", number=post_id, group=group.title)
        return Removed(reply, copies)

    async def _reviewable(
        self, tx: Transaction, actor_id: int, post_id: int
    ) -> tuple[Actor, Post, Group]:
        """The post, its group and the actor, if the actor may decide on it (``_managed``)
        and it still waits."""
        actor, post, group = await self._managed(tx, actor_id, post_id)
        if post.status != PostStatus.PENDING:
            raise DomainError("post.already-decided")
        return actor, post, group

    async def _tell_author(self, tx: Transaction, post: Post, words: Words) -> None:
        if post.author_id is not None:
            await self._notices.tell(tx, post.author_id, words, group_id=post.group_id)

    # The library ---------------------------------------------------------------------------

    async def offer_saving(self, actor_id: int, post_id: int) -> Reply:
        """Save an approved post to the library: which theme."""
        async with self._database.transaction() as tx:
            await self._saveable(tx, actor_id, post_id)
        buttons = [
            (Button(Text(THEME_NAMES[theme]), data=f"{SAVE_THEME}{post_id}:{theme.value}"),)
            for theme in Theme
        ]
        return Reply(Text("post.save-theme", {"number": post_id}), tuple(buttons))

    async def save(self, actor_id: int, post_id: int, theme: str) -> Reply:
        """The theme chosen: the author is asked whether their post may be saved to the
        organisation's library (without their name), with Yes and No; only their Yes
        saves it. Asking again replaces the theme asked about."""
        try:
            chosen = Theme(theme)
        except ValueError:
            raise DomainError("post.unknown") from None
        async with self._database.transaction() as tx:
            _, post, group = await self._saveable(tx, actor_id, post_id)
            await tx.posts.ask_library(post_id, chosen)
            if post.author_id is not None:
                await self._notices.tell(
                    tx,
                    post.author_id,
                    Text("post.library-ask", {"group": group.title, "theme": theme_name(chosen)}),
                    group_id=group.id,
                    buttons=(
                        (Text("post.library-yes-button"), f"{LIBRARY_YES}{post_id}"),
                        (Text("post.library-no-button"), f"{LIBRARY_NO}{post_id}"),
                    ),
                )
        self._notify()
        log.info("post %d: its author is asked about the library", post_id)
        return Reply.of("post.library-asked", number=post_id, theme=theme_name(chosen))

    async def library_answer(self, person_id: int, post_id: int, *, agreed: bool) -> Reply:
        """The author's Yes: the post becomes the organisation's own tip, theirs, without
        the "shares:" line or their name, in the group's language (waiting for review where
        the organisation reviews contributions). No: nothing is saved."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            post, group = await self._own_post(tx, person_id, post_id)
            if post.library_theme is None or post.status != PostStatus.APPROVED:
                raise DomainError("post.library-not-asked")
            await tx.posts.ask_library(post_id, None)
            if not agreed:
                return Reply.of("post.library-declined", group=group.title)
            organisation = (
                None
                if group.organisation_id is None
                else await tx.organisations.get(group.organisation_id)
            )
            if organisation is None or post.content is None:
                raise DomainError("post.library-not-asked")
            contribution = await tx.tips.contribute(
                organisation_id=organisation.id,
                author_id=person_id,
                broadcast_id=None,
                theme=post.library_theme,
                language=group.language,
                content=post.content,
                approved=not organisation.review_contributions,
                now=now,
            )
            await tx.posts.saved_as(post_id, contribution.id)
        log.info("post %d saved to the library as contribution %d", post_id, contribution.id)
        return Reply.of("post.library-saved", group=group.title)

    async def _saveable(
        self, tx: Transaction, actor_id: int, post_id: int
    ) -> tuple[Actor, Post, Group]:
        actor, post, group = await self._managed(tx, actor_id, post_id)
        if post.status != PostStatus.APPROVED:
            raise DomainError("post.not-in-group")
        if post.contribution_id is not None:
            raise DomainError("post.already-saved")
        if actor.organisation_id is None or actor.organisation_id != group.organisation_id:
            raise DomainError("access.no-organisation")
        return actor, post, group

    # The author's own: /myposts and withdrawal ----------------------------------------------

    async def my_posts(self, person_id: int) -> Reply:
        """The author's posts that exist, newest first, each with Withdraw."""
        async with self._database.transaction() as tx:
            posts = await tx.posts.of_author(person_id)
            titles = {}
            for post in posts[:LISTED]:
                group = await tx.groups.get(post.group_id)
                titles[post.group_id] = group.title if group else "?"
        if not posts:
            return Reply.of("post.mine-none")
        lines: list[Words] = [Text("post.mine-header", {"count": len(posts)})]
        rows = []
        for post in posts[:LISTED]:
            lines.append(_line(post, titles[post.group_id]))
            rows.append(
                (
                    Button(
                        Text("post.withdraw-button", {"number": post.id}),
                        data=f"{WITHDRAW}{post.id}",
                    ),
                )
            )
        return Reply(Lines(tuple(lines)), tuple(rows))

    async def ask_withdrawal(self, person_id: int, post_id: int) -> Reply:
        async with self._database.transaction() as tx:
            post, group = await self._own_post(tx, person_id, post_id)
        return Reply(
            Text("post.withdraw-ask", {"number": post.id, "group": group.title}),
            (
                (Button(Text("post.withdraw-yes-button"), data=f"{WITHDRAW_YES}{post.id}"),),
                (Button(Text("post.keep-button"), data=f"{KEEP}{post.id}"),),
            ),
        )

    async def keep(self, person_id: int, post_id: int) -> Reply:
        async with self._database.transaction() as tx:
            post, group = await self._own_post(tx, person_id, post_id)
        return Reply.of("post.kept", number=post.id, group=group.title)

    async def withdraw(self, person_id: int, post_id: int) -> Removed:
        """The author takes the post back: it is emptied and its copies listed for deletion;
        rows still waiting are cancelled; a library tip made from it goes."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            post, group = await self._own_post(tx, person_id, post_id)
            if not await tx.posts.withdraw(post_id, now):
                raise DomainError("post.unknown")  # withdrawn meanwhile
            copies, in_group = await self._forget(tx, post_id, "reason.post-withdrawn")
            if post.contribution_id is not None:
                await tx.tips.remove_contribution(post.contribution_id, now)
        self._notify()
        await self._database.truncate_log()  # the old pages leave the SQLite log too
        log.info("post %d withdrawn by its author", post_id)
        reply = Reply.of("post.withdrawn", number=post_id, group=group.title)
        return Removed(reply, copies, in_group)

    @staticmethod
    def withdrawn_words(removed: Removed, kept_in_group: bool) -> Reply:
        """What the author reads after the copies were deleted: the group's copy too old for
        Telegram to delete is said so."""
        if not kept_in_group:
            return removed.reply
        return Reply(Lines((removed.reply.text, Text("post.withdrawn-kept"))))

    async def expire_waiting(self) -> int:
        """A chore of the scheduler's sweep: a post nobody decided on within ``DECIDE_WITHIN``
        goes (emptied, its rows cancelled) and its author is told, so it neither waits
        forever nor keeps what they shared. Returns how many went."""
        now = self._clock.now()
        expired = 0
        async with self._database.transaction() as tx:
            for post in await tx.posts.waiting_before(now - DECIDE_WITHIN):
                if not await tx.posts.expire(post.id, now):
                    continue
                await self._forget(tx, post.id, "reason.post-expired")
                group = await tx.groups.get(post.group_id)
                title = group.title if group else "?"
                await self._tell_author(tx, post, Text("post.expired-notice", {"group": title}))
                expired += 1
        if expired:
            self._notify()
            log.info("%d posts nobody decided on went", expired)
        return expired

    async def copies_before_erasure(self, person_id: int) -> tuple[tuple[int, int], ...]:
        """The Telegram copies of the person's posts that exist, read before an erasure
        they asked for in the chat (which empties the posts but has no Telegram at hand);
        the handler deletes them once the erasure is done (``erased``)."""
        copies: list[tuple[int, int]] = []
        async with self._database.transaction() as tx:
            for post in await tx.posts.of_author(person_id):
                for row in await tx.outbox.sent_of_post(post.id):
                    copies += [(row.chat_id, message) for message in _ids(row.message_ids)]
        return tuple(copies)

    async def erased(self, person_id: int) -> bool:
        """Whether the person's posts are gone (their erasure went through)."""
        async with self._database.transaction() as tx:
            return not await tx.posts.of_author(person_id)

    # Inside -----------------------------------------------------------------------------

    async def _forget(
        self, tx: Transaction, post_id: int, reason: str
    ) -> tuple[tuple[tuple[int, int], ...], frozenset[tuple[int, int]]]:
        """The post's rows emptied and cancelled; its copies in Telegram, and of them the
        group's (the row of purpose ``post``, wherever the group has moved)."""
        rows = await tx.outbox.forget_post(post_id, reason, self._clock.now())
        copies: list[tuple[int, int]] = []
        in_group: set[tuple[int, int]] = set()
        for row in rows:
            made = [(row.chat_id, int(message)) for message in _ids(row.message_ids)]
            copies += made
            if row.purpose == Purpose.POST:
                in_group.update(made)
        return tuple(copies), frozenset(in_group)

    async def _groups_of(self, person_id: int) -> list[Group]:
        async with self._database.transaction() as tx:
            return [g for g in await tx.groups.groups_of_participant(person_id) if g.is_active]

    async def _own_group(self, person_id: int, group_id: int) -> Group:
        async with self._database.transaction() as tx:
            return await self._own_group_in(tx, person_id, group_id)

    async def _own_group_in(self, tx: Transaction, person_id: int, group_id: int) -> Group:
        """A group the person takes part in now; any other number reads as not theirs."""
        group = await tx.groups.get(group_id)
        if group is None or not group.is_active:
            raise DomainError("post.not-your-group")
        if not await tx.groups.is_participant(group.id, person_id):
            raise DomainError("post.not-your-group")
        return group

    async def _own_post(self, tx: Transaction, person_id: int, post_id: int) -> tuple[Post, Group]:
        """The author's post that still exists; someone else's reads as unknown."""
        post = await tx.posts.get(post_id)
        if post is None or post.author_id != person_id or not post.is_live:
            raise DomainError("post.unknown")
        group = await tx.groups.get(post.group_id)
        assert group is not None
        return post, group


def _line(post: Post, group: str) -> Words:
    content = _stored(post.content) if post.content else None
    words = first_words(content, 40) if content is not None else ""
    key = "post.mine-waiting" if post.status == PostStatus.PENDING else "post.mine-shared"
    params = {"number": post.id, "group": group, "kind": Text(KIND_NAMES[post.kind])}
    return Text(key, {**params, "words": words})


def _stored(raw: str) -> TextContent | MediaContent:
    content = content_from_json(raw)
    assert not isinstance(content, AlbumContent)  # a post is one message
    return content


def _shifted(entities: list[dict[str, Any]], by: int) -> list[dict[str, Any]]:
    return [{**entity, "offset": int(entity["offset"]) + by} for entity in entities]


def _ids(raw: str | None) -> list[int]:
    return [int(value) for value in json.loads(raw or "[]")]
