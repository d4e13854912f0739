"""The words the database stores for states, kinds, roles and policies, one ``StrEnum`` each.

Every column that holds one of a fixed set of words has its type here, and the row
dataclasses carry it (``storage/rows.py`` turns the stored text into the member). A member
equals its word (``GroupStatus.ACTIVE == "active"``), so SQL parameters, JSON and
formatting see the plain text. Most of these columns have a ``CHECK (... IN (...))`` in
the migrations; ``tests/test_schema.py`` reads the built schemas of both trees (SQLite and
PostgreSQL) and fails when a CHECK list and its enum disagree. The columns without a CHECK
(``outbox.purpose``, ``events.kind``, ``audit_log.action``) are written only from these
members. Values that SQL text itself writes (``UPDATE outbox SET status = 'sent'``) stay
in the SQL.

The vocabulary lives in ``storage/`` because rows carry it and ``storage/`` imports nothing
from ``bot/``; services and handlers import it from here.
"""

from __future__ import annotations

from enum import StrEnum


class Language(StrEnum):
    """A language the bot speaks: ``people.language``, ``groups.language``,
    ``contributions.language``. Finnish is the reference."""

    FI = "fi"
    SV = "sv"
    EN = "en"


class StaffRole(StrEnum):
    """A staff member's role in their organisation: ``staff.role``, ``invitations.role``,
    ``staff_requests.role`` (the role a removal waiting for confirmation ends)."""

    COORDINATOR = "coordinator"
    INSTRUCTOR = "instructor"


class GroupKind(StrEnum):
    """``groups.kind``: a peer-support group (weekly meetings and plans for about six
    weeks), or a co-development group (workshops; after the last one, kept in the loop)."""

    PEER = "peer"
    CODEV = "codev"


class GroupStatus(StrEnum):
    """``groups.status``: pending (an admin without an organisation is still choosing
    one), active (served), inactive (the bot was removed or the chat is gone)."""

    PENDING = "pending"
    ACTIVE = "active"
    INACTIVE = "inactive"


class SeasonStatus(StrEnum):
    """``seasons.status``: running (its meetings are ahead or under way), ended (after its
    last meeting)."""

    RUNNING = "running"
    ENDED = "ended"


class AfterRhythm(StrEnum):
    """``seasons.after_rhythm``: what the group gets after its programme ended: a weekly
    check-in with a tip (as during it), a monthly check-in, or nothing."""

    WEEKLY = "weekly"
    MONTHLY = "monthly"
    OFF = "off"


class ParticipantStatus(StrEnum):
    """``group_participants.status``: whether Telegram says the person is in the chat."""

    MEMBER = "member"
    LEFT = "left"


class BroadcastStatus(StrEnum):
    """``broadcasts.status``: scheduled (its time has not come), sending (its rows are in
    the outbox), done (every row is final), cancelled."""

    SCHEDULED = "scheduled"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class OutboxStatus(StrEnum):
    """``outbox.status``: pending, sending (in flight: claimed, one more attempt), and the
    final sent, failed and cancelled."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Purpose(StrEnum):
    """``outbox.purpose``: why a row is in the outbox (no CHECK in the schema). Broadcast
    rows go after every other purpose due at the same time."""

    BROADCAST = "broadcast"  # a row of a broadcast (has broadcast_id)
    REPORT = "report"  # a broadcast's delivery report to its sender
    NOTICE = "notice"  # a notice to one person (staff notices: bot/services/notices.py)
    SCHEDULE = "schedule"  # a reminder or keep-going message around a meeting
    CHECKIN = "checkin"  # a check-in or progress question in private
    CELEBRATION = "celebration"  # a shared celebration in the group
    SURVEY = "survey"  # a survey invitation or reminder in private
    SEASON = "season"  # a season's farewell, after-programme check-in or new-season call
    POST = "post"  # a participant's approved post in its group (has post_id)
    POLL = "poll"  # a staff member's poll in a group (its content is a ``PollContent``)


class DraftStep(StrEnum):
    """``drafts.step``: where a broadcast composer is (content, then targets, then time)."""

    CONTENT = "content"
    TARGETS = "targets"
    TIME = "time"


class ContributionStatus(StrEnum):
    """``contributions.status``: an instructor's own tip waits for review, or not."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class PostStatus(StrEnum):
    """``posts.status``: a participant's post waits for review, is in the group, was not
    let through, or was taken back by its author (or erased)."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"  # nobody decided on it in time


class PostKind(StrEnum):
    """``posts.kind``: what a participant may share with their group."""

    PHOTO = "photo"
    VIDEO = "video"
    VOICE = "voice"
    TEXT = "text"


class PollStatus(StrEnum):
    """``polls.status``: composed but not sent, in the groups, closed with its results
    told, or dropped before it went."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class PollGroupStatus(StrEnum):
    """``poll_groups.status``: on its way, in the group, being closed, closed with its
    counts, or never sent (the group removed the bot, say) or not closable."""

    SENDING = "sending"
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"
    FAILED = "failed"


class TipUse(StrEnum):
    """``tip_uses.kind``: a tip sent to a group, or asked for by a participant."""

    SENT = "sent"
    REQUESTED = "requested"


class MeetingStatus(StrEnum):
    """``meetings.status``."""

    PLANNED = "planned"
    CANCELLED = "cancelled"
    REMOTE = "remote"


class ScheduleKind(StrEnum):
    """``schedule_items.kind``: which planned message around a meeting."""

    EVENING = "evening"  # reminder the evening before
    BEFORE = "before"  # reminder some minutes before
    AT_HOME = "at-home"  # a cancelled meeting's time: a tip to do at home
    MIDWEEK = "midweek"  # mid-week encouragement while meetings are cancelled
    PLAN = "plan"  # check-in: the invitation to the week's plan
    PROGRESS_MID = "progress-mid"
    PROGRESS_END = "progress-end"
    SURVEY_BEFORE = "survey-before"
    SURVEY_AFTER = "survey-after"
    SURVEY_MONTH_3 = "survey-month-3"
    SURVEY_MONTH_6 = "survey-month-6"


class ScheduleStatus(StrEnum):
    """``schedule_items.status``: pending, or why it is no longer (sent, skipped at its
    time, dropped before it)."""

    PENDING = "pending"
    SENT = "sent"
    SKIPPED = "skipped"
    DROPPED = "dropped"


class Progress(StrEnum):
    """``checkins.progress_mid`` and ``checkins.progress_end``: how the week's plan went."""

    DONE = "done"
    PARTLY = "partly"
    NOT_YET = "not-yet"


class Round(StrEnum):
    """``survey_rounds.round``: before the programme, after it, and the follow-ups."""

    BEFORE = "before"
    AFTER = "after"
    MONTH_3 = "month-3"
    MONTH_6 = "month-6"


class EventErasure(StrEnum):
    """``organisations.erase_events``: what erasing a person does to their events."""

    UNLINK = "unlink"  # kept, under a pseudonym nobody has
    DELETE = "delete"


class EventKind(StrEnum):
    """``events.kind``: what a person did, or what the bot delivered (no CHECK in the
    schema; only ``EventLog.record`` writes events)."""

    JOINED = "joined"
    LEFT = "left"
    MESSAGE = "message"
    REPLY = "reply"
    REACTION = "reaction"
    BUTTON = "button"
    CHECK_IN = "check-in"
    PROGRESS = "progress"
    TIP_REQUESTED = "tip-requested"
    BROADCAST_DELIVERED = "broadcast-delivered"
    SURVEY_ANSWERED = "survey-answered"
    SHARED = "progress-shared"
    BUDDY = "buddy-paired"
    # a button whose data the bot never issued (forged, or from a much older version):
    # counted, with no attribute at all
    UNRECOGNISED = "unrecognised"


class MessageType(StrEnum):
    """The ``type`` attribute of ``message`` and ``reply`` events: what a message holds (the
    first of these it has, in this order; a message with none is a service message), or
    ``command`` for a text that starts with "/"."""

    TEXT = "text"
    PHOTO = "photo"
    VIDEO = "video"
    VOICE = "voice"
    VIDEO_NOTE = "video_note"
    AUDIO = "audio"
    DOCUMENT = "document"
    ANIMATION = "animation"
    STICKER = "sticker"
    POLL = "poll"
    LOCATION = "location"
    CONTACT = "contact"
    COMMAND = "command"


class ButtonNamespace(StrEnum):
    """The ``button`` attribute of ``button`` events: which part of the bot issued the
    pressed button, the start of its callback data up to the first colon (never the data
    itself). ``bot/services/buttons.py`` lists the callback data each one covers."""

    BROADCAST = "bc"
    CHECK_IN = "ck"
    CONSENT = "consent"
    GROUP = "grp"
    INVITATION = "inv"
    LANGUAGE = "lang"
    LIBRARY = "lib"  # saving a broadcast to the tip library
    MEETING = "mt"
    POLL = "pl"  # composing a poll: its groups, send, cancel
    POST_SHARE = "ps"  # a participant sharing their message with their group
    POST_REVIEW = "pr"  # a reviewer's decision on a participant's post, saving it
    POST_WITHDRAW = "pw"  # a participant withdrawing their own post
    PRIVACY = "pv"
    REVIEW = "rv"
    STAFF = "staff"  # /staff and /leave: removing a role or an instructor from a group
    SEASON = "ss"  # the after-programme rhythm's choice
    STATS = "st"
    SURVEY = "sv"
    TIP = "tip"


class AuditAction(StrEnum):
    """``audit_log.action``: which privileged action (no CHECK in the schema)."""

    ORGANISATION_CREATED = "organisation-created"
    PRIVACY_CONTACT = "privacy-contact"
    RETENTION_SETTING = "retention-setting"
    REVIEW_SETTING = "review-setting"
    INVITATION_CREATED = "invitation-created"
    INVITATION_REVOKED = "invitation-revoked"
    ROLE_GRANTED = "role-granted"
    ROLE_REVOKED = "role-revoked"  # a coordinator's or instructor's role ended
    INSTRUCTOR_REMOVED = "instructor-removed"  # an instructor no longer leads one group
    BROADCAST = "broadcast"
    EXPORT = "export"  # the coordinators' export (/export, kannustin export)
    STUDY_EXTRACT = "study-extract"  # a researchers' extract (kannustin export --study)
    ERASE = "erase"
    RETENTION = "retention"


class AuditChannel(StrEnum):
    """``audit_log.channel``: where a privileged action was asked for (erasures record it;
    NULL where an entry does not)."""

    CHAT = "chat"  # in a chat with the bot (/forgetme, /staff, /leave, leaving a group chat)
    COMMAND_LINE = "command-line"  # the kannustin command (kannustin forget, role revoke)
