"""The planning engine: ``solve(problem, travel, params, progress, *, pins, should_stop) -> Plan``.

The only package that imports OR-Tools. Routing (which venue, day, truck and order) is an
OR-Tools routing model per window of a few days (``routing``); films go into slots with
CP-SAT (``programme``); ``season`` carries the season rules across windows and plans around
pins; ``repair`` puts unserved venues on idle truck-days (``single_stop``: exact one-stop
routes); ``reasons`` explains every venue left out; ``retime`` re-times a route after a hand
edit.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from scheduler.domain import Pins, Plan, Problem
from scheduler.errors import InvalidProblem, SchedulerError, SolverError
from scheduler.scoring import plan_stats, with_bound
from scheduler.solver.bound import season_bound, start_season_bound
from scheduler.solver.buffers import buffered_problem, buffered_travel, reasons_without_buffers
from scheduler.solver.matrix import TravelMatrix
from scheduler.solver.offload import SubproblemRunner
from scheduler.solver.pins import index_pins
from scheduler.solver.reasons import explain_unserved
from scheduler.solver.repair import fill_idle_truck_days
from scheduler.solver.replanning import Dropped, DropReason, Replan, apply_disruptions, replan
from scheduler.solver.retime import retime_route
from scheduler.solver.season import SolveProgress, plan_season
from scheduler.solver.single_stop import OneStopSearch
from scheduler.travel import OfflineTravelTimes, TravelTimes

__all__ = [
    "DropReason",
    "Dropped",
    "Replan",
    "SolveParams",
    "SolveProgress",
    "apply_disruptions",
    "replan",
    "retime_route",
    "season_bound",
    "solve",
]

log = logging.getLogger(__name__)

_P = ParamSpec("_P")
_R = TypeVar("_R")

ROUTING_SHARE = 0.95
"""Share of the time limit for the windows; the rest is for explanations and statistics."""
REASONS_S_PER_VENUE = 1.5e-3
"""Seconds to keep per venue for the unserved reasons (about 1 ms a venue measured at 5,000
venues, the one-stop search included), when that is more than the rest; at most 20 %."""
REPAIR_END = 0.98
"""The repair pass (unserved venues onto idle truck-days) ends by this share of the limit."""
REASONS_MIN_S = 0.25
"""Seconds the exact search of the reasons gets at least, even past the limit (after it a
conservative reason stands)."""
BOUND_SHARE = 0.95
"""Share of the time limit the proven bound (``bound.season_bound``) has in a forked
process beside the routing; a bound not proven in it is reported as ``None``."""


@dataclass(frozen=True, slots=True)
class SolveParams:
    """Solver settings (not season rules)."""

    time_limit_s: float = 30.0
    """Wall-clock budget for the whole season, explanations included."""
    venues_per_vehicle: int = 8
    """Candidate venues per (truck, day) in a window's routing model, most valuable first;
    0 keeps every venue."""
    workers: int = 2
    """Processes (cores) per window's routing: 2 routes the whole window and the window cut
    into regions side by side and keeps the better (``solver.regions``); 1 routes it whole."""
    offload: SubproblemRunner | None = None
    """Where a window's regions are routed beside the whole window: ``None`` forks a child
    on this machine (with ``workers`` > 1); a runner of the job backend sends them to its
    workers (``scheduler.jobs.offload``)."""

    def __post_init__(self) -> None:
        if not self.time_limit_s > 0:
            raise InvalidProblem([("time_limit_s", "must be a positive number of seconds")])
        if self.venues_per_vehicle < 0:
            raise InvalidProblem([("venues_per_vehicle", "must be 0 (all) or more")])
        if self.workers < 1:
            raise InvalidProblem([("workers", "must be 1 or more")])


def _failures_as_solver_errors(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Let ``SchedulerError`` through; turn any other exception into a ``SolverError`` with
    a message, logging the traceback (a failing engine never surfaces as a traceback)."""

    @functools.wraps(function)
    def guarded(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return function(*args, **kwargs)
        except SchedulerError:
            raise
        except Exception as error:
            log.error("the planning engine failed", exc_info=True)
            detail = str(error).strip() or "no message"
            raise SolverError(
                f"the planning engine failed ({type(error).__name__}: {detail}); "
                "this is a bug in the scheduler, not in the scenario"
            ) from error

    return guarded


@_failures_as_solver_errors
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
    # The engine plans a copy with the rules' buffers built in (``buffers``); the plan is
    # valid for the original and its value is counted with the original travel times.
    planned, slow = buffered_problem(problem), buffered_travel(travel, problem.rules)
    pending = start_season_bound(problem, travel, params.time_limit_s * BOUND_SHARE)
    matrix = TravelMatrix.build(planned, slow)
    reasons_s = REASONS_S_PER_VENUE * len(problem.venues)
    reserve = max(1 - ROUTING_SHARE, min(0.2, reasons_s / params.time_limit_s))
    budget = params.time_limit_s * (1 - reserve) - (time.monotonic() - started)
    season = plan_season(
        planned,
        slow,
        matrix,
        budget,
        progress,
        params.venues_per_vehicle,
        pins=index,
        should_stop=should_stop,
        workers=params.workers,
        runner=params.offload,
        valued=(problem, travel),
    )
    search = OneStopSearch(planned, slow)
    routes = fill_idle_truck_days(
        planned,
        sorted(season.routes, key=lambda r: (r.day, r.truck_id)),
        search,
        deadline=started + params.time_limit_s * REPAIR_END,
        before=season.stopped_before,
    )
    reasons_until = max(started + params.time_limit_s, time.monotonic() + REASONS_MIN_S)
    unserved = explain_unserved(
        planned,
        matrix,
        routes,
        not_planned_from=season.stopped_before,
        search=search,
        deadline=reasons_until,
    )
    unserved = reasons_without_buffers(problem, travel, routes, unserved, reasons_until)
    draft = Plan(routes=tuple(routes), unserved=unserved, objective=0.0)
    stats = plan_stats(problem, draft, travel, time.monotonic() - started)
    bound = pending.result(started + params.time_limit_s - time.monotonic())
    stats = with_bound(stats, bound.value)
    return Plan(routes=draft.routes, unserved=unserved, objective=stats.value, stats=stats)
