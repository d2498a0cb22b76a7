"""The meeting schedule as an optimisation problem: plain data in, an assignment out.

Nothing here touches the database or Flask, so the model can be built and solved on random
instances (the property tests) and on a large synthetic day (`benchmarks/matchmaking.py`).
The services turn rows into a `Problem` and a `Solution` back into meetings.

Model (CP-SAT), solved in two stages (see `solve`): one boolean per (pair, time) where both
people are available. Each pair meets
at most once; at each time at most `tables` meetings take place and nobody is in two of them;
nobody has more meetings than their limit; pinned pairs are fixed at their time; declined
pairs get no variable. The objective sums each placed pair's value (see `pair_value`). Tables
are numbered after solving (`assign_tables`): all tables are alike, so the model only counts
them, which keeps it 30 times smaller on a 30-table day. See docs/meetings.md.
"""

from __future__ import annotations

import time as _time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

# A person: ("investor", id) or ("startup", id).
Person = tuple[str, int]

# A mutual request is worth more than any two one-sided ones it could displace (a one-sided
# request is worth at most RANK_LEVELS), so the solver fills mutual meetings first.
MUTUAL_BONUS = 50
RANK_LEVELS = 10


def rank_value(rank: int | None) -> int:
    """What one side's ranked wish adds: rank 1 adds RANK_LEVELS, rank 10 and later add 1."""
    if rank is None:
        return 0
    return max(1, RANK_LEVELS + 1 - rank)


def pair_value(investor_rank: int | None, startup_rank: int | None) -> int:
    """The objective weight of placing a pair: both sides' priorities, plus the mutual bonus."""
    value = rank_value(investor_rank) + rank_value(startup_rank)
    if investor_rank is not None and startup_rank is not None:
        value += MUTUAL_BONUS
    return value


@dataclass(frozen=True)
class Pair:
    """One investor and one startup who could meet."""

    key: int
    investor: int
    startup: int
    value: int
    is_mutual: bool = False
    is_declined: bool = False

    @property
    def people(self) -> tuple[Person, Person]:
        return ("investor", self.investor), ("startup", self.startup)


@dataclass(frozen=True)
class Pin:
    """A meeting fixed by hand: the solver keeps it at this time and table."""

    time: int
    table: int


@dataclass
class Problem:
    times: int
    tables: int
    pairs: list[Pair]
    # Meetings per person at most; `default_limit` for everyone not listed.
    default_limit: int
    limits: Mapping[Person, int] = field(default_factory=dict)
    unavailable: frozenset[tuple[Person, int]] = frozenset()
    pinned: Mapping[int, Pin] = field(default_factory=dict)
    # Where unpinned pairs were before (a re-solve): a hint for the solver and for tables.
    previous: Mapping[int, Pin] = field(default_factory=dict)

    def limit_of(self, person: Person) -> int:
        return self.limits.get(person, self.default_limit)


@dataclass
class Solution:
    # pair key -> where it meets
    placed: dict[int, Pin]
    status: str  # OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN, MODEL_INVALID
    objective: int
    bound: int
    seconds: float

    @property
    def gap(self) -> float:
        """How far the value may be from the best possible, as a fraction of the bound."""
        if self.bound <= 0:
            return 0.0
        return max(0.0, (self.bound - self.objective) / self.bound)

    @property
    def is_usable(self) -> bool:
        return self.status in ("OPTIMAL", "FEASIBLE")


def _available(problem: Problem, pair: Pair, t: int) -> bool:
    return all((person, t) not in problem.unavailable for person in pair.people)


def _eligible(problem: Problem) -> dict[int, list[int]]:
    """pair key -> the times it could take (a pinned pair: its pin)."""
    times: dict[int, list[int]] = {}
    for pair in problem.pairs:
        if pair.is_declined or pair.value <= 0:
            continue
        pin = problem.pinned.get(pair.key)
        if pin is not None:
            times[pair.key] = [pin.time]
        else:
            free = [t for t in range(problem.times) if _available(problem, pair, t)]
            if free:
                times[pair.key] = free
    return times


def _new_solver(time_limit: float, workers: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit)
    solver.parameters.num_workers = workers
    # A fixed seed: the same day solved twice gives the same schedule.
    solver.parameters.random_seed = 1
    return solver


def _choose_pairs(
    problem: Problem, eligible: dict[int, list[int]], time_limit: float, workers: int
) -> tuple[set[int], int | None, bool]:
    """Stage 1, a relaxation: which pairs to meet, if only the counts mattered (each person
    at most their limit and at most their available times, at most times x tables in all).
    Returns the pairs, a proven upper bound of the real problem, and whether it is optimal."""
    pairs = {pair.key: pair for pair in problem.pairs}
    model = cp_model.CpModel()
    y = {key: model.new_bool_var(f"y_{key}") for key in eligible}
    by_person: dict[Person, list[cp_model.IntVar]] = defaultdict(list)
    for key, var in y.items():
        for person in pairs[key].people:
            by_person[person].append(var)
        if key in problem.pinned:
            model.add(var == 1)
    # The times a person can be in a meeting: available ones, and pinned ones (a pin holds
    # even at a time the person marked unavailable, as the organizer chose).
    usable: dict[Person, set[int]] = defaultdict(set)
    for person in by_person:
        usable[person] = {t for t in range(problem.times) if (person, t) not in problem.unavailable}
    for key, pin in problem.pinned.items():
        if key in pairs:
            for person in pairs[key].people:
                usable[person].add(pin.time)
    for person, variables in by_person.items():
        model.add(sum(variables) <= min(problem.limit_of(person), len(usable[person])))
    model.add(sum(y.values()) <= problem.times * problem.tables)
    model.maximize(sum(pairs[key].value * var for key, var in y.items()))
    solver = _new_solver(time_limit, workers)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return set(), None, False
    chosen = {key for key, var in y.items() if solver.boolean_value(var)}
    return chosen, round(solver.best_objective_bound), status == cp_model.OPTIMAL


def _place(
    problem: Problem,
    eligible: dict[int, list[int]],
    keys: set[int] | None,
    time_limit: float,
    workers: int,
    hint: Mapping[int, int] | None = None,
) -> tuple[dict[int, int], int, int, str]:
    """The full model (one boolean per pair and time) over `keys` (None: every pair).
    Returns the placement, its value, the proven bound and CP-SAT's status name."""
    pairs = {pair.key: pair for pair in problem.pairs}
    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    by_time: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    by_person_time: dict[tuple[Person, int], list[cp_model.IntVar]] = defaultdict(list)
    by_person: dict[Person, list[cp_model.IntVar]] = defaultdict(list)
    by_pair: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for key, times in eligible.items():
        if keys is not None and key not in keys:
            continue
        for t in times:
            var = model.new_bool_var(f"x_{key}_{t}")
            x[key, t] = var
            by_time[t].append(var)
            by_pair[key].append(var)
            for person in pairs[key].people:
                by_person_time[person, t].append(var)
                by_person[person].append(var)
    for key, pin in problem.pinned.items():
        if (key, pin.time) in x:
            model.add(x[key, pin.time] == 1)
    for variables in by_pair.values():
        model.add_at_most_one(variables)
    for variables in by_time.values():
        model.add(sum(variables) <= problem.tables)
    for variables in by_person_time.values():
        model.add_at_most_one(variables)
    for person, variables in by_person.items():
        model.add(sum(variables) <= problem.limit_of(person))
    model.maximize(sum(pairs[key].value * var for (key, _t), var in x.items()))
    for key, t in (hint or {}).items():
        if (key, t) in x:
            model.add_hint(x[key, t], 1)
    solver = _new_solver(time_limit, workers)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return {}, 0, 0, solver.status_name(status)
    placed = {key: t for (key, t), var in x.items() if solver.boolean_value(var)}
    return (
        placed,
        round(solver.objective_value),
        round(solver.best_objective_bound),
        solver.status_name(status),
    )


def solve(problem: Problem, *, time_limit: float = 10.0, workers: int = 2) -> Solution:
    """The best schedule found within `time_limit` seconds, with a proven upper bound.

    Two stages first: (1) choose the pairs by counts alone, a relaxation whose optimum bounds
    the real one; (2) give the chosen pairs times and tables. When (2) places every chosen
    pair, the schedule reaches the bound: optimal. Otherwise (unavailable times or pins that
    make the counts misleading) the full model runs on every pair with the rest of the time,
    starting from the stage-2 schedule. See docs/meetings.md."""
    started = _time.perf_counter()

    def left() -> float:
        return time_limit - (_time.perf_counter() - started)

    eligible = _eligible(problem)
    chosen, bound, relaxed_optimal = _choose_pairs(problem, eligible, left() * 0.4, workers)
    previous = {key: pin.time for key, pin in problem.previous.items()}
    placed, value, _bound, status = _place(
        problem, eligible, chosen, left() * 0.5, workers, hint=previous
    )
    if status in ("OPTIMAL", "FEASIBLE") and placed.keys() == chosen and relaxed_optimal:
        status = "OPTIMAL"
    else:
        placed, value, full_bound, status = _place(
            problem, eligible, None, left(), workers, hint=placed or previous
        )
        # Both bounds hold for the real problem: the lower one is the better.
        bound = full_bound if bound is None else min(bound, full_bound)
        if status == "FEASIBLE" and value >= bound:
            status = "OPTIMAL"
    if status not in ("OPTIMAL", "FEASIBLE"):
        return Solution({}, status, 0, 0, _time.perf_counter() - started)
    return Solution(
        placed=assign_tables(problem, placed),
        status=status,
        objective=value,
        bound=bound if bound is not None else value,
        seconds=_time.perf_counter() - started,
    )


def assign_tables(problem: Problem, placed: Mapping[int, int]) -> dict[int, Pin]:
    """Number the tables of each time: pinned meetings keep theirs, a meeting that stays at
    the time it had keeps its table when it is free, the others take the lowest free one."""
    result: dict[int, Pin] = {}
    taken: dict[int, set[int]] = defaultdict(set)
    for key, t in placed.items():
        pin = problem.pinned.get(key)
        if pin is not None:
            result[key] = pin
            taken[t].add(pin.table)
    for key, t in sorted(placed.items()):
        if key in result:
            continue
        before = problem.previous.get(key)
        if before is not None and before.time == t and before.table not in taken[t]:
            result[key] = before
            taken[t].add(before.table)
    for key, t in sorted(placed.items()):
        if key in result:
            continue
        table = next(n for n in range(1, problem.tables + 1) if n not in taken[t])
        result[key] = Pin(t, table)
        taken[t].add(table)
    return result


def greedy(problem: Problem, order: Iterable[int] | None = None) -> dict[int, Pin]:
    """First come, first served: each request in turn (by key, i.e. when it was made) takes
    the earliest time at which both people are free and a table is left. The yardstick for
    the solver in the benchmark."""
    pairs = {pair.key: pair for pair in problem.pairs}
    busy: set[tuple[Person, int]] = set()
    count: dict[Person, int] = defaultdict(int)
    used: dict[int, int] = defaultdict(int)
    placed: dict[int, int] = {}
    for key, pin in problem.pinned.items():
        placed[key] = pin.time
        used[pin.time] += 1
        for person in pairs[key].people:
            busy.add((person, pin.time))
            count[person] += 1
    for key in order if order is not None else sorted(pairs):
        pair = pairs[key]
        if key in placed or pair.is_declined:
            continue
        if any(count[p] >= problem.limit_of(p) for p in pair.people):
            continue
        for t in range(problem.times):
            if used[t] >= problem.tables or not _available(problem, pair, t):
                continue
            if any((p, t) in busy for p in pair.people):
                continue
            placed[key] = t
            used[t] += 1
            for person in pair.people:
                busy.add((person, t))
                count[person] += 1
            break
    return assign_tables(problem, placed)


def value_of(problem: Problem, placed: Mapping[int, Pin]) -> int:
    pairs = {pair.key: pair for pair in problem.pairs}
    return sum(pairs[key].value for key in placed)


def violations(problem: Problem, placed: Mapping[int, Pin]) -> list[str]:
    """Every rule a schedule breaks (empty when it is valid): used by tests and as a last
    check before the services write a schedule."""
    pairs = {pair.key: pair for pair in problem.pairs}
    found: list[str] = []
    seen: set[tuple[Person, int]] = set()
    tables: set[tuple[int, int]] = set()
    count: dict[Person, int] = defaultdict(int)
    for key, pin in sorted(placed.items()):
        pair = pairs.get(key)
        if pair is None:
            found.append(f"pair {key} is not a request")
            continue
        if pair.is_declined:
            found.append(f"pair {key} was declined")
        if not 0 <= pin.time < problem.times or not 1 <= pin.table <= problem.tables:
            found.append(f"pair {key} is outside the grid")
        if (pin.time, pin.table) in tables:
            found.append(f"table {pin.table} at time {pin.time} is used twice")
        tables.add((pin.time, pin.table))
        for person in pair.people:
            if (person, pin.time) in seen:
                found.append(f"{person} is in two meetings at time {pin.time}")
            seen.add((person, pin.time))
            count[person] += 1
            if key not in problem.pinned and (person, pin.time) in problem.unavailable:
                found.append(f"{person} is unavailable at time {pin.time}")
    for person, n in count.items():
        if n > problem.limit_of(person):
            found.append(f"{person} has {n} meetings, more than {problem.limit_of(person)}")
    for key, pin in problem.pinned.items():
        if placed.get(key) != pin:
            found.append(f"pinned pair {key} moved")
    return found
