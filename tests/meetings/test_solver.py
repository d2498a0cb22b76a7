"""The meeting solver on random instances (no database): every schedule it returns keeps
every rule, whatever the requests, limits, unavailable times and pins."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventhub.meetings.solver import (
    MUTUAL_BONUS,
    Pair,
    Pin,
    Problem,
    assign_tables,
    greedy,
    pair_value,
    rank_value,
    solve,
    value_of,
    violations,
)


@st.composite
def problems(draw) -> Problem:
    times = draw(st.integers(1, 5))
    tables = draw(st.integers(1, 4))
    investors = draw(st.integers(1, 5))
    startups = draw(st.integers(1, 6))
    all_pairs = [(i, s) for i in range(investors) for s in range(startups)]
    chosen = draw(st.lists(st.sampled_from(all_pairs), unique=True, max_size=len(all_pairs)))
    pairs = []
    for key, (i, s) in enumerate(chosen):
        investor_rank = draw(st.none() | st.integers(1, 12))
        startup_rank = (
            draw(st.none() | st.integers(1, 12)) if investor_rank else draw(st.integers(1, 12))
        )
        pairs.append(
            Pair(
                key=key, investor=i, startup=s, value=pair_value(investor_rank, startup_rank),
                is_mutual=investor_rank is not None and startup_rank is not None,
                is_declined=draw(st.integers(0, 3)) == 0,
            )
        )  # fmt: skip
    people = [("investor", i) for i in range(investors)] + [("startup", s) for s in range(startups)]
    limits = {p: draw(st.integers(0, times)) for p in people if draw(st.booleans())}
    default_limit = draw(st.integers(1, times))
    unavailable = frozenset(
        draw(st.lists(st.tuples(st.sampled_from(people), st.integers(0, times - 1)), max_size=8))
    )
    problem = Problem(
        times=times, tables=tables, pairs=pairs, default_limit=default_limit, limits=limits,
        unavailable=unavailable,
    )  # fmt: skip
    # Pins an organizer could have made: a free table, both people free and within limits,
    # not declined, at a time both can meet.
    pinned: dict[int, Pin] = {}
    candidates = (
        draw(st.lists(st.sampled_from(pairs), unique_by=lambda p: p.key, max_size=4))
        if pairs
        else []
    )
    for pair in candidates:
        t = draw(st.integers(0, times - 1))
        table = draw(st.integers(1, tables))
        trial = {**pinned, pair.key: Pin(t, table)}
        if (
            not pair.is_declined
            and violations(
                Problem(
                    times=times,
                    tables=tables,
                    pairs=pairs,
                    default_limit=default_limit,
                    limits=limits,
                    unavailable=unavailable,
                    pinned=trial,
                ),
                trial,
            )
            == []
        ):
            pinned = trial
    problem.pinned = pinned
    return problem


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_solution_keeps_every_rule_on_random_instances(problem):
    solution = solve(problem, time_limit=5, workers=1)
    assert solution.status == "OPTIMAL"
    assert violations(problem, solution.placed) == []
    # Pinned meetings never move; declined requests are never scheduled.
    assert {k: solution.placed[k] for k in problem.pinned} == dict(problem.pinned)
    assert [p.key for p in problem.pairs if p.is_declined and p.key in solution.placed] == []
    # The solver is never worse than first come, first served, and reaches its own bound.
    assert solution.objective == value_of(problem, solution.placed)
    assert solution.objective >= value_of(problem, greedy(problem))
    assert solution.objective == solution.bound


@settings(max_examples=60, deadline=None)
@given(problems())
def test_greedy_keeps_every_rule_on_random_instances(problem):
    assert violations(problem, greedy(problem)) == []


def test_mutual_request_outweighs_two_one_sided_ones():
    assert pair_value(1, 1) == MUTUAL_BONUS + 20
    assert pair_value(12, 12) > 2 * pair_value(1, None)
    assert [rank_value(r) for r in (None, 1, 2, 10, 11, 30)] == [0, 10, 9, 1, 1, 1]


def test_solver_places_the_mutual_meeting_first_come_would_miss():
    # One table, one time. Investor 0 asked startup 0 first (one-sided), then startup 1
    # asked investor 0 back and forth (mutual). First come takes the one-sided meeting.
    pairs = [
        Pair(key=1, investor=0, startup=0, value=pair_value(1, None)),
        Pair(key=2, investor=0, startup=1, value=pair_value(2, 1), is_mutual=True),
    ]
    problem = Problem(times=1, tables=1, pairs=pairs, default_limit=5)
    assert greedy(problem) == {1: Pin(0, 1)}
    solution = solve(problem, time_limit=2)
    assert solution.placed == {2: Pin(0, 1)}
    assert (solution.objective, solution.bound, solution.gap) == (69, 69, 0.0)


def test_unavailable_time_and_limit_push_meetings_elsewhere():
    pairs = [
        Pair(key=1, investor=0, startup=0, value=10),
        Pair(key=2, investor=0, startup=1, value=9),
        Pair(key=3, investor=0, startup=2, value=8),
    ]
    problem = Problem(
        times=3, tables=2, pairs=pairs, default_limit=3,
        limits={("investor", 0): 2}, unavailable=frozenset({(("startup", 0), 0)}),
    )  # fmt: skip
    solution = solve(problem, time_limit=2)
    assert sorted(solution.placed) == [1, 2]
    assert solution.placed[1].time != 0
    assert violations(problem, solution.placed) == []


def test_tables_keep_pins_then_previous_places():
    pairs = [Pair(key=k, investor=k, startup=k, value=5) for k in (1, 2, 3)]
    problem = Problem(
        times=1, tables=3, pairs=pairs, default_limit=1,
        pinned={1: Pin(0, 2)}, previous={2: Pin(0, 2), 3: Pin(0, 3)},
    )  # fmt: skip
    # Pair 2 wanted table 2, which the pin holds: it takes the lowest free one.
    assert assign_tables(problem, {1: 0, 2: 0, 3: 0}) == {1: Pin(0, 2), 2: Pin(0, 1), 3: Pin(0, 3)}
