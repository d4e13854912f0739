"""The buddy pairing: the fewest repeats of earlier weeks, everyone in exactly one team."""

from __future__ import annotations

import itertools
import random

from bot.services.checkins import _pair, _teams_of


def matchings(people: list[str]) -> list[list[tuple[str, str]]]:
    if not people:
        return [[]]
    first, rest = people[0], people[1:]
    return [
        [(first, partner), *more]
        for partner in rest
        for more in matchings([p for p in rest if p != partner])
    ]


def pairs_of(teams: list[tuple[str, ...]]) -> set[frozenset[str]]:
    return {frozenset(pair) for team in teams for pair in itertools.combinations(team, 2)}


def test_a_sixteen_person_group_gets_six_weeks_without_a_repeat() -> None:
    people = [f"p{i:02}" for i in range(16)]
    earlier: set[frozenset[str]] = set()
    for _week in range(6):
        teams, repeats = _pair(people, earlier, random.Random(7))
        assert repeats == 0
        assert sorted(itertools.chain.from_iterable(teams)) == people
        assert not pairs_of(teams) & earlier
        earlier |= pairs_of(teams)


def test_the_fewest_repeats_possible_whatever_the_history() -> None:
    people = list("abcdef")
    every = matchings(people)
    rng = random.Random(3)
    for _ in range(40):
        earlier = {frozenset(p) for m in rng.sample(every, rng.randint(1, 8)) for p in m}
        best = min(sum(frozenset(p) in earlier for p in m) for m in every)
        teams, repeats = _pair(people, earlier, rng)
        assert repeats == best == sum(p in earlier for p in pairs_of(teams))


def test_an_odd_count_makes_one_trio_and_stored_pairs_read_back_as_teams() -> None:
    teams, _ = _pair(list("abcde"), set(), random.Random(1))
    assert sorted(len(team) for team in teams) == [2, 3]
    assert sorted(itertools.chain.from_iterable(teams)) == list("abcde")
    stored = [tuple(sorted(pair)) for pair in pairs_of(teams)]
    assert sorted(_teams_of([(a, b) for a, b in stored])) == sorted(
        tuple(sorted(team)) for team in teams
    )
