"""Use cases shared by the CLI, the API and workers: plan a season (around pins, with
progress and a stop signal), check a plan, edit a plan by hand with the validator's verdict
(``move_stop``, ``swap_film`` from ``editing``; ``retime_route`` from the solver), re-plan
the rest of a day after disruptions (``replan_plan``), run the public routing benchmarks.

Driving times come from the configured provider (``PlanningSettings``: a road cache from
``roads build``, an OSRM server, else the offline estimate), built once per process and
shared by the solver, the validator and the API's edits, so they all agree.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from scheduler.bench.instances import Kind
from scheduler.bench.run import BenchRow, mean_gap, run_benchmark, write_csv
from scheduler.checks import Violation, verify
from scheduler.config import Settings, get_settings
from scheduler.disruptions import Situation
from scheduler.domain import Pins, Plan, Problem
from scheduler.editing import EditOutcome, move_stop, swap_film
from scheduler.errors import InvalidProblem
from scheduler.roads import CachedTravelTimes, travel_provider
from scheduler.solver import (
    Dropped,
    DropReason,
    Replan,
    SolveParams,
    SolveProgress,
    replan,
    retime_route,
    solve,
)
from scheduler.solver.offload import SubproblemRunner
from scheduler.travel import TravelTimes

__all__ = [
    "REPLAN_TIME_LIMIT_S",
    "BenchOutcome",
    "BenchRow",
    "DropReason",
    "Dropped",
    "EditOutcome",
    "PlanOutcome",
    "PlanningSettings",
    "Replan",
    "ReplanOutcome",
    "SolveProgress",
    "benchmark",
    "check_plan",
    "default_travel",
    "move_stop",
    "plan_problem",
    "replan_plan",
    "retime_route",
    "swap_film",
]

REPLAN_TIME_LIMIT_S = 1.0
"""The engine's budget for re-planning the rest of a day (one core)."""


@dataclass(frozen=True, slots=True)
class PlanOutcome:
    """A plan and what the independent validator found in it (normally nothing)."""

    plan: Plan
    violations: list[Violation]


@dataclass(frozen=True, slots=True)
class PlanningSettings:
    """How the service plans: where driving times come from (``roads_cache``, else
    ``osrm_url``, else the offline estimate) and the processes one solve uses. Small and
    picklable: the job backends hand it to their solver processes."""

    roads_cache: Path | None = None
    osrm_url: str | None = None
    solve_workers: int = 2
    offload: str = "fork"
    """Where a solve's window regions run (``SCHEDULER_SOLVE_OFFLOAD``: fork, celery)."""

    def __post_init__(self) -> None:
        if self.solve_workers < 1:
            raise InvalidProblem([("solve_workers", "must be 1 or more")])

    @classmethod
    def from_settings(cls, settings: Settings) -> PlanningSettings:
        """The planning part of the service settings."""
        return cls(
            settings.roads_cache,
            settings.osrm_url or None,
            settings.solve_workers,
            settings.solve_offload,
        )

    def travel(self) -> TravelTimes:
        """The travel-time provider, built on first use and then shared by the process;
        ``TravelError`` for a missing or bad road cache, ``InvalidProblem`` for both."""
        with _providers_lock:
            return _provider(self.roads_cache, self.osrm_url)


_providers_lock = threading.Lock()
"""Held while a provider is built: threads asking at once wait for one load."""


@functools.lru_cache(maxsize=4)
def _provider(roads_cache: Path | None, osrm_url: str | None) -> TravelTimes:
    return travel_provider(roads_cache=roads_cache, osrm_url=osrm_url)


def default_travel(settings: Settings | None = None) -> TravelTimes:
    """The configured travel-time provider of ``settings`` (default: the process's
    settings), built once per process (see ``PlanningSettings.travel``)."""
    return PlanningSettings.from_settings(settings or get_settings()).travel()


def plan_problem(
    problem: Problem,
    time_limit_s: float = 30.0,
    travel: TravelTimes | None = None,
    progress: Callable[[SolveProgress], None] | None = None,
    *,
    pins: Pins | None = None,
    should_stop: Callable[[], bool] | None = None,
    workers: int = 2,
    offload: SubproblemRunner | None = None,
) -> PlanOutcome:
    """Plan a season and re-check the plan with the independent validator.

    ``pins`` are kept exactly and planned around; ``should_stop()`` is asked before each
    planning window and ends planning early with a valid plan (see ``solver.solve``);
    ``progress`` gets a ``SolveProgress`` after each window; ``workers`` is the processes
    (cores) the solve uses (``SolveParams.workers``, 1 or more).
    """
    params = SolveParams(time_limit_s=time_limit_s, workers=workers, offload=offload)
    travel = travel or default_travel()
    if isinstance(travel, CachedTravelTimes):
        travel.warm([t.depot for t in problem.trucks] + [v.location for v in problem.venues])
    plan = solve(problem, travel, params, progress, pins=pins, should_stop=should_stop)
    return PlanOutcome(plan, verify(problem, plan, travel))


@dataclass(frozen=True, slots=True)
class ReplanOutcome:
    """A re-plan (``Replan``: the disrupted season, its new plan, the stops kept, the
    screenings dropped with reasons) and the validator's verdict on it, checked against
    ``replan.problem`` (normally nothing)."""

    replan: Replan
    violations: list[Violation]


def replan_plan(
    problem: Problem,
    plan: Plan,
    situation: Situation,
    travel: TravelTimes | None = None,
    *,
    pins: Pins | None = None,
    time_limit_s: float = REPLAN_TIME_LIMIT_S,
) -> ReplanOutcome:
    """Re-plan the rest of ``situation.day`` around its disruptions (``solver.replanning``):
    stops done or in progress at ``situation.now`` and ``pins`` (the planner's locks) stay
    as they are, and the result is re-checked by the independent validator. Unknown ids or
    a day outside the season: ``InvalidProblem`` naming the field
    (``disruptions[1].truck_id``)."""
    travel = travel or default_travel()
    params = SolveParams(time_limit_s=time_limit_s, workers=1)
    result = replan(problem, plan, situation, travel, params, pins=pins)
    return ReplanOutcome(result, verify(result.problem, result.plan, travel))


def check_plan(problem: Problem, plan: Plan, travel: TravelTimes | None = None) -> list[Violation]:
    """Every rule the plan breaks, re-checked from the raw inputs."""
    return verify(problem, plan, travel or default_travel())


@dataclass(frozen=True, slots=True)
class BenchOutcome:
    """Benchmark rows and their summary: the mean gap (percent, over the feasible rows that
    have a best-known value, None if there are none) and how many rows are feasible."""

    rows: list[BenchRow]
    mean_gap_pct: float | None
    feasible: int


def benchmark(
    kind: Kind,
    instances: Sequence[str | Path] | None = None,
    vehicles: int | None = None,
    time_limit_s: float = 10.0,
    solutions_dir: Path | None = None,
    csv_path: Path | None = None,
    progress: Callable[[BenchRow], None] | None = None,
) -> BenchOutcome:
    """Solve benchmark instances (Solomon VRPTW or TOPTW; names, paths, or None for the
    default target set) through the routing core, each re-checked independently; optionally
    write each solution to ``solutions_dir`` and the rows to ``csv_path``."""
    rows = run_benchmark(kind, instances, vehicles, time_limit_s, solutions_dir, progress)
    if csv_path is not None:
        write_csv(rows, csv_path)
    return BenchOutcome(rows, mean_gap(rows), sum(row.feasible for row in rows))
