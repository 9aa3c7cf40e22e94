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
from scheduler.solver.reasons import explain_unserved
from scheduler.solver.season import TravelMatrix, plan_season
from scheduler.travel import OfflineTravelTimes, TravelTimes

__all__ = ["SolveParams", "solve"]


@dataclass(frozen=True, slots=True)
class SolveParams:
    """Solver settings (not season rules)."""

    time_limit_s: float = 30.0
    """Wall-clock budget for the whole season."""

    def __post_init__(self) -> None:
        if not self.time_limit_s > 0:
            raise InvalidProblem([("time_limit_s", "must be a positive number of seconds")])


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
    routes, _ = plan_season(problem, travel, params.time_limit_s, progress)
    routes.sort(key=lambda r: (r.day, r.truck_id))
    unserved = explain_unserved(problem, TravelMatrix.build(problem, travel), routes)
    draft = Plan(routes=tuple(routes), unserved=unserved, objective=0.0)
    stats = plan_stats(problem, draft, travel, time.monotonic() - started)
    return Plan(routes=draft.routes, unserved=unserved, objective=stats.value, stats=stats)
