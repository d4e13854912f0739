"""Every button the bot issues, in one list: the start of its callback data (``ISSUED``).

Each prefix stays beside the service that issues and reads it; this module only collects
them, so that the engagement log can tell the bot's own buttons from anything else. A press
of an own button is logged under its namespace (``ButtonNamespace``: the data up to its
first colon, a short fixed word), never the data itself; data the bot never issued
(forged by a modified client, or of an unknown shape) is ``None`` here and is logged as an
``unrecognised`` event without any attribute.

A new button's prefix goes into ``ISSUED``: every test that runs the bot fails on a button
sent with data this list does not know (``RunningBot.stop`` in ``testing/harness.py``).
"""

from __future__ import annotations

import re

from bot.services import (
    broadcasts,
    checkins,
    consent,
    groups,
    invitations,
    meetings,
    membership,
    people,
    polls,
    posts,
    privacy,
    seasons,
    staff,
    stats,
    surveys,
    tips,
)
from storage.states import ButtonNamespace

# A prefix that ends with a colon is followed by ids and words; one without is the whole data.
ISSUED = (
    *(broadcasts.TOGGLE, broadcasts.ALL, broadcasts.DONE, broadcasts.NOW, broadcasts.LATER),
    *(broadcasts.DROP, broadcasts.START, broadcasts.CANCEL, broadcasts.SCHEDULED_PAGE),
    broadcasts.SAVE_TO_LIBRARY,
    *(checkins.RATE, checkins.PROGRESS, checkins.SHARE, checkins.KEEP),
    *(consent.GIVE, consent.WITHDRAW, membership.JOIN),
    *(groups.SHOW, groups.LANGUAGE, groups.ORGANISATION),
    invitations.REVOKE,
    *(meetings.CANCEL_MEETING, meetings.CANCEL_ITEM),
    *(meetings.SCHEDULE_PAGE, meetings.SCHEDULE_GROUPS),
    *(meetings.CONFIRM_CHANGE, meetings.KEEP_CHANGE),
    *(meetings.SET_CALENDAR, meetings.SKIP_HOLIDAYS, meetings.KEEP_CALENDAR),
    people.LANGUAGE_CALLBACK,
    *(polls.TOGGLE, polls.ALL, polls.SEND, polls.DROP),
    *(posts.CHOOSE, posts.NAMED, posts.ANONYMOUS, posts.NOT_NOW),
    *(posts.APPROVE, posts.REJECT, posts.SAVE, posts.SAVE_THEME),
    *(posts.WITHDRAW, posts.WITHDRAW_YES, posts.KEEP, posts.LIBRARY_YES, posts.LIBRARY_NO),
    *(privacy.FORGET, privacy.KEEP),
    *(staff.PAGE, staff.ASK_ROLE, staff.ASK_GROUP, staff.CONFIRM, staff.DECLINE),
    seasons.AFTER,
    *(stats.GROUP, stats.CHART),
    *(surveys.ANSWER, surveys.SKIP),
    *(tips.HOME, tips.TOP, tips.THEME, tips.VIEW, tips.SEND, tips.SAVE_THEME),
    *(tips.SAVE_LANGUAGE, tips.APPROVE, tips.REJECT, tips.NO_REASON, tips.BACK),
)
# What the bot puts after a prefix: ids, language codes, themes, tip keys (lib:sleep-1).
_REST = re.compile(r"[A-Za-z0-9_:-]*")
DATA_LIMIT = 64  # bytes: Telegram's limit for callback data


def _namespace(prefix: str) -> ButtonNamespace:
    """A prefix's namespace; a prefix outside the namespaces fails at import, loudly."""
    return ButtonNamespace(prefix.split(":", 1)[0])


_OPEN = {prefix: _namespace(prefix) for prefix in ISSUED if prefix.endswith(":")}
_WHOLE = {prefix: _namespace(prefix) for prefix in ISSUED if not prefix.endswith(":")}


def namespace(data: str) -> ButtonNamespace | None:
    """The namespace of a button the bot issues, or ``None`` for any other callback data."""
    if len(data.encode()) > DATA_LIMIT:
        return None
    if data in _WHOLE:
        return _WHOLE[data]
    for prefix, found in _OPEN.items():
        if data.startswith(prefix) and _REST.fullmatch(data, len(prefix)):
            return found
    return None
