"""The disclosure patterns kept between readers (``PatternCache``): the people figures'
pattern is kept by the people counts alone and each derived figure's by that and its own
amounts, so one more message works out only the messages' pattern again. Whatever
changes, the kept patterns are the ones worked out afresh: a pattern kept by too little
would show what should be hidden."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.services.disclosure import PatternCache, WeeklyPatterns, weekly_patterns
from bot.services.stats import MEASURES, SUMMED

GROUPS = (1, 2, 3, 4)
WEEKS = (1, 2)
SCOPES = [set(GROUPS), {1, 2}, {3, 4}]  # all, and two organisations


def week_figures() -> st.SearchStrategy[dict[str, float]]:
    def consistent(members: int, active: int, invited: int, planned: int, extra: int) -> dict:
        active = min(active, members)
        planned = min(planned, invited)
        return {
            **dict.fromkeys(SUMMED, 0),
            "members": members,
            "active": active,
            "messages": active * extra,  # often nothing at all: an extreme
            "reactions": extra % 3 if active else 0,
            "invited": invited,
            "planned": planned,
            "done": planned // 2,
            "partly": planned - planned // 2,
            "confidence_sum": 7 * planned,
        }

    small = st.integers(0, 9)
    return st.builds(consistent, small, small, small, small, st.integers(0, 2))


FIGURES = st.fixed_dictionaries({(g, w): week_figures() for g in GROUPS for w in WEEKS})
CHANGE = st.tuples(
    st.sampled_from([(g, w) for g in GROUPS for w in WEEKS]),
    st.sampled_from(["messages", "reactions", "active", "members", "confidence_sum"]),
    st.integers(0, 6),  # the new value: nobody wrote, a few did
)


def hidden(patterns: WeeklyPatterns) -> dict[tuple[int, str], dict]:
    return {key: dict(pattern.hidden) for key, pattern in patterns.patterns.items()}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FIGURES, st.lists(CHANGE, min_size=1, max_size=6))
def test_kept_patterns_are_the_ones_worked_out_afresh(
    figures: dict[tuple[int, int], dict[str, float]],
    changes: list[tuple[tuple[int, int], str, int]],
) -> None:
    cache = PatternCache()
    for unit, measure, value in [(None, "", 0), *changes]:
        if unit is not None:
            figures = {**figures, unit: {**figures[unit], measure: value}}
        kept = weekly_patterns(figures, SCOPES, 5, MEASURES, cache)
        fresh = weekly_patterns(figures, SCOPES, 5, MEASURES)
        assert hidden(kept) == hidden(fresh)
