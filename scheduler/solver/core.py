"""The routing core every planner shares: vehicles, optional or required visits with time
windows, alternatives, capacities; minimise arc cost plus the value of what is left out.

The season planner and the public benchmarks (Solomon VRPTW, TOPTW) both build a
``CoreProblem`` and call ``solve_core``. Two engines sit behind it: OR-Tools routing, which
handles everything (several windows per visit, vehicle restrictions), and PyVRP's iterated
local search for the problems it can express. ``engine="auto"`` runs both on the machine's
two cores when PyVRP applies and keeps the better solution by the core's own objective.
"""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

__all__ = [
    "CoreProblem",
    "CoreSolution",
    "CoreVehicle",
    "CoreVisit",
    "core_objective",
    "core_violations",
    "route_violations",
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


def solve_core(problem: CoreProblem, time_limit_s: float, engine: str = "auto") -> CoreSolution:
    """Solve with ``"ortools"``, ``"pyvrp"`` or ``"auto"`` (both on two cores, when PyVRP
    can express the problem; the better feasible solution wins)."""
    from scheduler.solver import ortools_engine

    if engine == "ortools" or (engine == "auto" and not pyvrp_can_solve(problem)):
        return ortools_engine.solve(problem, time_limit_s)
    if engine == "pyvrp":
        from scheduler.solver import pyvrp_engine

        return pyvrp_engine.solve(problem, time_limit_s)
    if engine != "auto":
        raise ValueError(f"unknown engine {engine!r}: use auto, ortools or pyvrp")
    return _portfolio(problem, time_limit_s)


def _portfolio(problem: CoreProblem, time_limit_s: float) -> CoreSolution:
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        futures = [
            pool.submit(solve_core, problem, time_limit_s * 0.95, name)
            for name in ("pyvrp", "ortools")
        ]
        candidates = [f.result() for f in futures]
    feasible = [c for c in candidates if not core_violations(problem, c)]
    if not feasible:
        log.warning("no engine found a feasible solution")
        return candidates[-1]
    return min(feasible, key=lambda c: core_objective(problem, c))
