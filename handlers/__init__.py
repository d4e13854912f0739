"""Telegram in, replies out. One module per user journey, registered in this order.

A handler turns the update into plain values, calls its service and renders the ``Reply``
it gets (``handlers/rendering.py``, the only place that builds the keyboards of replies;
the outbox sender builds those of stored messages). It
decides nothing: no counting, no sleeps, no privacy rules."""

from __future__ import annotations

from bot.runtime.context import KannustinApplication
from handlers import (
    broadcast,
    checkins,
    consent,
    errors,
    exports,
    fallback,
    groups,
    invitations,
    meetings,
    onboarding,
    organisations,
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

# Handler groups: PTB runs the first matching handler of each group, groups in ascending order.
#   -3  flood control: a person over their limit gets one "slow down", nothing more
#   -2  people: remember who wrote and pick their language (every update)
#   -1  a reason the bot asked a reviewer for (tips.py), before the journeys
#    0  the journeys (onboarding; later groups, broadcast, check-ins, coordinator...) and,
#       registered last in the same group, the fallback: it runs only when no journey matched
#    1  after the journeys: a command or another button closes a question the person
#       walked away from (tips.py: a rejection's reason)
JOURNEYS = (
    onboarding,
    organisations,
    invitations,
    groups,
    consent,
    privacy,
    staff,
    broadcast,
    tips,
    posts,
    polls,
    meetings,
    seasons,
    checkins,
    surveys,
    stats,
    exports,
)


def register_all(application: KannustinApplication) -> None:
    people.register(application)
    for journey in JOURNEYS:
        journey.register(application)
    fallback.register(application)
    errors.register(application)
