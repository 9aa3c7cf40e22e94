"""The planning engine: ``solve(problem, travel, params, progress, *, pins, should_stop) -> Plan``.

The only package that imports OR-Tools. Routing (which venue, day, truck and order) is an
OR-Tools routing model per window of a few days (``routing``); films go into slots with
CP-SAT (``programme``); ``season`` carries the season rules across windows and plans around
pins; ``reasons`` explains every venue left out; ``retime`` re-times a route after a hand
edit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from scheduler.domain import Pins, Plan, Problem
from scheduler.errors import InvalidProblem
from scheduler.scoring import plan_stats
from scheduler.solver.matrix import TravelMatrix
from scheduler.solver.pins import index_pins
from scheduler.solver.reasons import explain_unserved
from scheduler.solver.retime import retime_route
from scheduler.solver.season import SolveProgress, plan_season
from scheduler.travel import OfflineTravelTimes, TravelTimes

__all__ = ["SolveParams", "SolveProgress", "retime_route", "solve"]

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
    progress: Callable[[SolveProgress], None] | None = None,
    *,
    pins: Pins | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Plan:
    """Plan the season: routes, screenings, and a reason for every unserved venue.

    ``progress`` gets a ``SolveProgress`` after each planning window. ``pins`` are kept
    exactly: every pinned route is in the plan as given (its truck-day gets nothing else),
    every pinned stop is on its truck-day as given (other visits may fill the gaps), and
    pinned visits count in the season rules for everything planned around them. Pins that
    do not fit the problem raise ``InvalidProblem`` naming the field (``pins.stops[2].venue_id``).
    ``should_stop()`` is asked before each window; when it says yes the remaining windows
    keep only their pins, and venues that only those windows could have served are unserved
    with ``UnservedReason.NOT_PLANNED``. The plan is valid either way.
    """
    travel = travel or OfflineTravelTimes()
    params = params or SolveParams()
    index = index_pins(problem, pins)
    started = time.monotonic()
    matrix = TravelMatrix.build(problem, travel)
    budget = params.time_limit_s * ROUTING_SHARE - (time.monotonic() - started)
    season = plan_season(
        problem,
        travel,
        matrix,
        budget,
        progress,
        params.venues_per_vehicle,
        pins=index,
        should_stop=should_stop,
    )
    routes = sorted(season.routes, key=lambda r: (r.day, r.truck_id))
    unserved = explain_unserved(problem, matrix, routes, not_planned_from=season.stopped_before)
    draft = Plan(routes=tuple(routes), unserved=unserved, objective=0.0)
    stats = plan_stats(problem, draft, travel, time.monotonic() - started)
    return Plan(routes=draft.routes, unserved=unserved, objective=stats.value, stats=stats)
