"""The planning engine: ``solve(problem, travel, params) -> Plan``.

The only package that imports OR-Tools. Routing (which venue, day, truck and order) is an
OR-Tools routing model per window of a few days (``routing``); films go into slots with
CP-SAT (``programme``); ``season`` carries the season rules across windows; ``reasons``
explains every venue left out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from scheduler.domain import Plan, Problem
from scheduler.errors import InvalidProblem
from scheduler.scoring import plan_stats
from scheduler.solver.matrix import TravelMatrix
from scheduler.solver.reasons import explain_unserved
from scheduler.solver.season import plan_season
from scheduler.travel import OfflineTravelTimes, TravelTimes

__all__ = ["SolveParams", "solve"]

ROUTING_SHARE = 0.95
"""Share of the time limit for the windows; the rest is for explanations and statistics."""


@dataclass(frozen=True, slots=True)
class SolveParams:
    """Solver settings (not season rules)."""

    time_limit_s: float = 30.0
    """Wall-clock budget for the whole season, explanations included."""
    venues_per_vehicle: int = 8
    """Candidate venues per (truck, day) in a window's routing model, most valuable first;
    0 keeps every venue."""

    def __post_init__(self) -> None:
        if not self.time_limit_s > 0:
            raise InvalidProblem([("time_limit_s", "must be a positive number of seconds")])
        if self.venues_per_vehicle < 0:
            raise InvalidProblem([("venues_per_vehicle", "must be 0 (all) or more")])


def solve(
    problem: Problem,
    travel: TravelTimes | None = None,
    params: SolveParams | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Plan:
    """Plan the season: routes, screenings, and a reason for every unserved venue.

    ``progress(done, total)`` is called after each planning window.
    """
    travel = travel or OfflineTravelTimes()
    params = params or SolveParams()
    started = time.monotonic()
    matrix = TravelMatrix.build(problem, travel)
    budget = params.time_limit_s * ROUTING_SHARE - (time.monotonic() - started)
    routes, _ = plan_season(problem, travel, matrix, budget, progress, params.venues_per_vehicle)
    routes.sort(key=lambda r: (r.day, r.truck_id))
    unserved = explain_unserved(problem, matrix, routes)
    draft = Plan(routes=tuple(routes), unserved=unserved, objective=0.0)
    stats = plan_stats(problem, draft, travel, time.monotonic() - started)
    return Plan(routes=draft.routes, unserved=unserved, objective=stats.value, stats=stats)
