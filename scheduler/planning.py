"""Use cases shared by the CLI, the API and workers: plan a season (around pins, with
progress and a stop signal), check a plan, edit a plan by hand with the validator's verdict
(``move_stop``, ``swap_film`` from ``editing``; ``retime_route`` from the solver), run the
public routing benchmarks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from scheduler.bench.instances import Kind
from scheduler.bench.run import BenchRow, mean_gap, run_benchmark, write_csv
from scheduler.checks import Violation, verify
from scheduler.domain import Pins, Plan, Problem
from scheduler.editing import EditOutcome, move_stop, swap_film
from scheduler.solver import SolveParams, SolveProgress, retime_route, solve
from scheduler.travel import OfflineTravelTimes, TravelTimes

__all__ = [
    "BenchOutcome",
    "BenchRow",
    "EditOutcome",
    "PlanOutcome",
    "SolveProgress",
    "benchmark",
    "check_plan",
    "default_travel",
    "move_stop",
    "plan_problem",
    "retime_route",
    "swap_film",
]


@dataclass(frozen=True, slots=True)
class PlanOutcome:
    """A plan and what the independent validator found in it (normally nothing)."""

    plan: Plan
    violations: list[Violation]


def default_travel() -> TravelTimes:
    """The offline travel-time provider (great-circle x detour x Moscow speed profile)."""
    return OfflineTravelTimes()


def plan_problem(
    problem: Problem,
    time_limit_s: float = 30.0,
    travel: TravelTimes | None = None,
    progress: Callable[[SolveProgress], None] | None = None,
    *,
    pins: Pins | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> PlanOutcome:
    """Plan a season and re-check the plan with the independent validator.

    ``pins`` are kept exactly and planned around; ``should_stop()`` is asked before each
    planning window and ends planning early with a valid plan (see ``solver.solve``);
    ``progress`` gets a ``SolveProgress`` after each window.
    """
    travel = travel or default_travel()
    params = SolveParams(time_limit_s=time_limit_s)
    plan = solve(problem, travel, params, progress, pins=pins, should_stop=should_stop)
    return PlanOutcome(plan, verify(problem, plan, travel))


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
