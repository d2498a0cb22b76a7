"""The meeting schedule as an optimisation problem: plain data in, an assignment out.

Nothing here touches the database or Flask, so the model can be built and solved on random
instances (the property tests) and on a large synthetic day (`benchmarks/matchmaking.py`).
The services turn rows into a `Problem` and a `Solution` back into meetings.

Model (CP-SAT): one boolean per (pair, time) where both people are available. Each pair meets
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


def solve(problem: Problem, *, time_limit: float = 10.0, workers: int = 2) -> Solution:
    """The best schedule CP-SAT finds within `time_limit` seconds, with its proven bound."""
    started = _time.perf_counter()
    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    by_time: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    by_person_time: dict[tuple[Person, int], list[cp_model.IntVar]] = defaultdict(list)
    by_person: dict[Person, list[cp_model.IntVar]] = defaultdict(list)
    by_pair: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    pairs = {pair.key: pair for pair in problem.pairs}
    for pair in problem.pairs:
        if pair.is_declined or pair.value <= 0:
            continue
        pin = problem.pinned.get(pair.key)
        for t in range(problem.times):
            if pin is not None and pin.time != t:
                continue
            if pin is None and not _available(problem, pair, t):
                continue
            var = model.new_bool_var(f"x_{pair.key}_{t}")
            x[pair.key, t] = var
            by_time[t].append(var)
            by_pair[pair.key].append(var)
            for person in pair.people:
                by_person_time[person, t].append(var)
                by_person[person].append(var)
    for key, pin in problem.pinned.items():
        if key in pairs and (key, pin.time) in x:
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
    for key, pin in problem.previous.items():
        if (key, pin.time) in x:
            model.add_hint(x[key, pin.time], 1)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    # A fixed seed: the same day solved twice gives the same schedule.
    solver.parameters.random_seed = 1
    status = solver.solve(model)
    name = solver.status_name(status)
    placed: dict[int, int] = {}
    objective = bound = 0
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        placed = {key: t for (key, t), var in x.items() if solver.boolean_value(var)}
        objective = round(solver.objective_value)
        bound = round(solver.best_objective_bound)
    return Solution(
        placed=assign_tables(problem, placed),
        status=name,
        objective=objective,
        bound=bound,
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
