"""The routing core every planner shares: vehicles, optional or required visits with time
windows, alternatives, capacities; minimise arc cost plus the value of what is left out.

The season planner and the public benchmarks (Solomon VRPTW, TOPTW) both build a
``CoreProblem`` and call ``solve_core``. Two engines sit behind it: OR-Tools routing, which
handles everything (several windows per visit, vehicle restrictions), and PyVRP's iterated
local search for the problems it can express. ``engine="auto"`` runs two searches on the
machine's two cores when PyVRP applies (``portfolio``) and keeps the better solution by the
core's own objective; an engine that fails is replaced, never fatal (``solve_core``).
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from dataclasses import dataclass
from itertools import pairwise
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import cast

import numpy as np

from scheduler.errors import SolverError

__all__ = [
    "ENGINES",
    "Attempt",
    "CoreProblem",
    "CoreSolution",
    "CoreVehicle",
    "CoreVisit",
    "core_objective",
    "core_violations",
    "portfolio",
    "pyvrp_can_solve",
    "route_violations",
    "run_attempt",
    "solve_core",
]

log = logging.getLogger(__name__)

Interval = tuple[int, int]


@dataclass(frozen=True, slots=True)
class CoreVehicle:
    """A vehicle: depots, departure and return ranges, longest route, capacity (0: none)."""

    start_node: int
    end_node: int
    start: Interval
    end: Interval
    max_span: int
    capacity: int = 0


@dataclass(frozen=True, slots=True)
class CoreVisit:
    """A visit: service time, allowed service starts, value, alternatives, vehicles."""

    service: int
    windows: tuple[Interval, ...]
    value: float = 0.0
    required: bool = False
    group: int = -1
    """Visits sharing a group (>= 0) are alternatives: at most one is made."""
    vehicles: tuple[int, ...] | None = None
    demand: int = 0


@dataclass(frozen=True)
class CoreProblem:
    """Depots are nodes ``0..n_depots-1``; visit ``i`` is node ``n_depots + i``."""

    n_depots: int
    vehicles: tuple[CoreVehicle, ...]
    visits: tuple[CoreVisit, ...]
    duration: np.ndarray
    """Integer travel time between nodes (service not included)."""
    cost: np.ndarray
    """Arc cost between nodes."""

    def __post_init__(self) -> None:
        n = self.n_depots + len(self.visits)
        if self.duration.shape != (n, n) or self.cost.shape != (n, n):
            raise ValueError(f"duration and cost must be {n} x {n} (depots, then visits)")
        for vehicle in self.vehicles:
            if not (
                0 <= vehicle.start_node < self.n_depots and 0 <= vehicle.end_node < self.n_depots
            ):
                raise ValueError("a vehicle starts or ends at a node that is not a depot")

    def groups(self) -> dict[int, list[int]]:
        """Visit indices by group; a visit without a group is its own group."""
        found: dict[int, list[int]] = {}
        for i, visit in enumerate(self.visits):
            key = visit.group if visit.group >= 0 else -1 - i
            found.setdefault(key, []).append(i)
        return found


@dataclass(frozen=True)
class CoreSolution:
    """Per vehicle, the visits made in order with their service start."""

    routes: tuple[tuple[tuple[int, int], ...], ...]
    engine: str


def core_objective(problem: CoreProblem, solution: CoreSolution) -> float:
    """Arc cost of the routes plus the value of every optional group left out (or the
    difference to the group's best visit when a lesser one is made)."""
    total = 0.0
    made: set[int] = set()
    for v, route in enumerate(solution.routes):
        if not route:
            continue
        vehicle = problem.vehicles[v]
        nodes = [vehicle.start_node] + [problem.n_depots + i for i, _ in route] + [vehicle.end_node]
        total += float(sum(problem.cost[a, b] for a, b in pairwise(nodes)))
        made.update(i for i, _ in route)
    for members in problem.groups().values():
        if any(problem.visits[i].required for i in members):
            continue
        best = max(problem.visits[i].value for i in members)
        chosen = [problem.visits[i].value for i in members if i in made]
        total += best - (max(chosen) if chosen else 0.0)
    return total


def core_violations(problem: CoreProblem, solution: CoreSolution) -> list[str]:
    """Everything wrong with a solution (empty when feasible)."""
    problems: list[str] = []
    seen: dict[int, int] = {}
    for v, route in enumerate(solution.routes):
        problems.extend(route_violations(problem, v, route))
        for i, _ in route:
            group = problem.visits[i].group
            key = group if group >= 0 else -1 - i
            seen[key] = seen.get(key, 0) + 1
    for key, members in problem.groups().items():
        if seen.get(key, 0) > 1:
            problems.append(f"group {key} visited {seen[key]} times")
        if any(problem.visits[i].required for i in members) and not seen.get(key):
            problems.append(f"required visit {members[0]} not made")
    return problems


def route_violations(problem: CoreProblem, v: int, route: tuple[tuple[int, int], ...]) -> list[str]:
    """Everything wrong with vehicle ``v`` making ``route`` (visit, service start) in order."""
    if not route:
        return []
    vehicle = problem.vehicles[v]
    out: list[str] = []
    first = problem.n_depots + route[0][0]
    depart = min(vehicle.start[1], route[0][1] - int(problem.duration[vehicle.start_node, first]))
    if depart < vehicle.start[0]:
        out.append(f"vehicle {v}: would have to leave at {depart}, before {vehicle.start[0]}")
    node, clock, load = vehicle.start_node, depart, 0
    for i, start in route:
        visit, target = problem.visits[i], problem.n_depots + i
        arrive = clock + int(problem.duration[node, target])
        if start < arrive or not any(lo <= start <= hi for lo, hi in visit.windows):
            out.append(f"vehicle {v}: visit {i} at {start}, arrives {arrive}, {visit.windows}")
        if visit.vehicles is not None and v not in visit.vehicles:
            out.append(f"vehicle {v} may not make visit {i}")
        load += visit.demand
        clock, node = start + visit.service, target
    back = clock + int(problem.duration[node, vehicle.end_node])
    if back > vehicle.end[1] or back - depart > vehicle.max_span:
        out.append(f"vehicle {v}: route {depart}..{back} outside its shift")
    if vehicle.capacity and load > vehicle.capacity:
        out.append(f"vehicle {v}: load {load} over capacity {vehicle.capacity}")
    return out


def pyvrp_can_solve(problem: CoreProblem) -> bool:
    """PyVRP expresses one window per visit and no per-visit vehicle restrictions."""
    return all(len(v.windows) == 1 and v.vehicles is None for v in problem.visits)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One engine run: ``"ortools"`` or ``"pyvrp"`` (with its random seed)."""

    engine: str
    seed: int = 1


def portfolio(problem: CoreProblem) -> tuple[Attempt, ...]:
    """The runs ``engine="auto"`` makes, one per core.

    OR-Tools alone where PyVRP cannot express the problem (the season's windows: several
    windows per visit, visits restricted to a truck class), in this process. Otherwise two
    runs side by side: with alternatives (a venue's options on several days) PyVRP and
    OR-Tools, whose empty start plans such windows well; without them, PyVRP with two seeds,
    as PyVRP's answer won all 56 Solomon instances against OR-Tools at 10 s (issue 3). The
    two seeds cooperate: they swap best solutions at ``pyvrp_engine.EXCHANGE_AT``, and the
    one behind carries on from the other's (``_peer_ends``).
    """
    if not pyvrp_can_solve(problem):
        return (Attempt("ortools"),)
    if any(len(members) > 1 for members in problem.groups().values()):
        return (Attempt("pyvrp", 1), Attempt("ortools"))
    return (Attempt("pyvrp", 1), Attempt("pyvrp", 2))


ENGINES = ("auto", "ortools", "pyvrp")

HANDBACK_S = 0.05
"""Wall time kept back from a forked run's budget to send its answer and join it: 0-80 ms
measured for a 100-visit problem on the 2-core development VM under a load average of 9
(forking itself took 25-150 ms there, and counts against the run's own budget)."""

GRACE_S = 1.0
"""How long after the deadline (plus a fifth of the budget) a forked run may still answer
before it is killed and counted as failed."""


def solve_core(problem: CoreProblem, time_limit_s: float, engine: str = "auto") -> CoreSolution:
    """Solve with ``"ortools"``, ``"pyvrp"`` or ``"auto"`` (``portfolio``: on two cores when
    PyVRP can express the problem; the best feasible solution by ``core_objective`` wins).

    An engine that raises, or whose process dies, never takes the call down: the other run's
    answer is kept, a failed forked run is replaced by OR-Tools for the time left, and only
    when no engine answers at all is a ``SolverError`` raised, naming each failure."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: use {', '.join(ENGINES)}")
    deadline = time.monotonic() + time_limit_s
    attempts = portfolio(problem) if engine == "auto" else (Attempt(engine),)
    if len(attempts) > 1 and _can_fork():
        candidates, failures, forked = _race(problem, attempts, deadline)
        if not forked:  # no process could start: run them here instead
            candidates, more = _one_by_one(problem, attempts, deadline, fallback=True)
            failures += more
    else:
        candidates, failures = _one_by_one(problem, attempts, deadline, fallback=engine == "auto")
    for failure in failures:
        log.warning("routing engine failed: %s", failure)
    if not candidates:
        raise SolverError(
            "no routing engine found a solution ("
            + "; ".join(failures)
            + "); this is a bug in the scheduler, not in the scenario"
        )
    return _best(problem, candidates)


def run_attempt(
    problem: CoreProblem, attempt: Attempt, deadline: float, peer: Connection | None = None
) -> CoreSolution:
    """Run one engine until ``deadline`` (``time.monotonic()`` seconds); a PyVRP run with a
    ``peer`` connection swaps best solutions with the PyVRP run at its other end."""
    limit = max(deadline - time.monotonic(), 0.01)
    if attempt.engine == "pyvrp":
        if not pyvrp_can_solve(problem):
            raise ValueError("PyVRP cannot express several windows or vehicle restrictions")
        from scheduler.solver import pyvrp_engine

        exchange = pyvrp_engine.swap_over(peer) if peer is not None else None
        return pyvrp_engine.solve(problem, limit, seed=attempt.seed, exchange=exchange)
    from scheduler.solver import ortools_engine

    return ortools_engine.solve(problem, limit)


def _best(problem: CoreProblem, candidates: list[CoreSolution]) -> CoreSolution:
    """The feasible candidate with the lowest objective; without one, the least broken."""
    feasible = [c for c in candidates if not core_violations(problem, c)]
    if feasible:
        # equal objectives: the earlier schedule, which leaves room at the end of the day
        # (a longer last film); also makes the choice independent of which run answered first
        return min(feasible, key=lambda c: (core_objective(problem, c), _start_sum(c)))
    log.warning("no engine found a feasible solution")
    return min(
        candidates,
        key=lambda c: (len(core_violations(problem, c)), core_objective(problem, c)),
    )


def _start_sum(solution: CoreSolution) -> int:
    return sum(start for route in solution.routes for _, start in route)


def _describe(attempt: Attempt, error: BaseException | str) -> str:
    what = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    name = f"pyvrp (seed {attempt.seed})" if attempt.engine == "pyvrp" else attempt.engine
    return f"{name}: {what}"


def _one_by_one(
    problem: CoreProblem, attempts: tuple[Attempt, ...], deadline: float, *, fallback: bool
) -> tuple[list[CoreSolution], list[str]]:
    """In this process: the first attempt that answers; after a failure the next one, then
    (with ``fallback``) OR-Tools, each for the time left."""
    queue = list(attempts)
    if fallback and Attempt("ortools") not in queue:
        queue.append(Attempt("ortools"))
    failures: list[str] = []
    for attempt in queue:
        if failures and time.monotonic() >= deadline:
            break
        try:
            return [run_attempt(problem, attempt, deadline)], failures
        except Exception as error:  # an engine's failure must not take the plan down
            log.debug("engine failure", exc_info=True)
            failures.append(_describe(attempt, error))
    return [], failures


def _can_fork() -> bool:
    """Forked workers are possible: POSIX ``fork`` and not inside a daemonic process."""
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
    )


def _child(
    sender: Connection,
    problem: CoreProblem,
    attempt: Attempt,
    deadline: float,
    peer: Connection | None = None,
) -> None:
    """A forked run: send back ``("ok", solution)`` or ``("error", message)``."""
    try:
        sender.send(("ok", run_attempt(problem, attempt, deadline, peer)))
    except BaseException as error:  # report everything: the parent decides
        sender.send(("error", _describe(attempt, error)))
    finally:
        sender.close()


def _race(
    problem: CoreProblem, attempts: tuple[Attempt, ...], deadline: float
) -> tuple[list[CoreSolution], list[str], bool]:
    """Every attempt in its own forked process until ``deadline``; a run that fails early is
    replaced by OR-Tools (once) for the time left; a run that overruns is killed. Also says
    whether any process could be started."""
    context = multiprocessing.get_context("fork")
    running: dict[Connection, tuple[Attempt, BaseProcess]] = {}
    candidates: list[CoreSolution] = []
    failures: list[str] = []
    spare = [] if Attempt("ortools") in attempts else [Attempt("ortools")]
    budget = deadline - time.monotonic()
    forked = False

    def start(attempt: Attempt, peer: Connection | None = None) -> None:
        nonlocal forked
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(
            target=_child,
            args=(sender, problem, attempt, deadline - HANDBACK_S, peer),
            daemon=True,
        )
        try:
            process.start()
        except OSError as error:  # no memory or no process slots left to fork
            receiver.close()
            failures.append(_describe(attempt, error))
            return
        finally:
            sender.close()
        forked = True
        running[receiver] = (attempt, process)

    peers = _peer_ends(context, attempts)
    for attempt, peer in zip(attempts, peers, strict=True):
        start(attempt, peer)
    for peer in peers:
        if peer is not None:
            peer.close()  # the children hold their ends
    while running:
        cutoff = deadline + GRACE_S + 0.2 * budget - time.monotonic()
        ready = wait(list(running), timeout=max(cutoff, 0.0))
        if not ready:
            for receiver, (attempt, process) in running.items():
                process.kill()
                process.join()
                receiver.close()
                failures.append(_describe(attempt, "overran its time limit and was stopped"))
            break
        for answered in ready:
            done = cast(Connection, answered)
            attempt, process = running.pop(done)
            outcome = _receive(done, process, attempt)
            if isinstance(outcome, CoreSolution):
                candidates.append(outcome)
                continue
            failures.append(outcome)
            if spare and deadline - time.monotonic() > 0.1 * budget:
                start(spare.pop())
    return candidates, failures, forked


def _peer_ends(context: BaseContext, attempts: tuple[Attempt, ...]) -> list[Connection | None]:
    """The two ends of a duplex pipe for a pair of PyVRP runs, which then cooperate
    (``pyvrp_engine.swap_over``); no connection for any other portfolio."""
    if len(attempts) == 2 and all(a.engine == "pyvrp" for a in attempts):
        one, other = context.Pipe(duplex=True)
        return [one, other]
    return [None for _ in attempts]


def _receive(receiver: Connection, process: BaseProcess, attempt: Attempt) -> CoreSolution | str:
    """A finished run's solution, or what went wrong with it."""
    try:
        status, payload = receiver.recv()
    except (EOFError, OSError):
        process.join()
        return _describe(attempt, f"its process died (exit code {process.exitcode})")
    finally:
        receiver.close()
    process.join()
    if status == "ok" and isinstance(payload, CoreSolution):
        return payload
    return str(payload)
