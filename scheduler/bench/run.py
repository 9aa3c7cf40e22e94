"""Run the routing core on benchmark instances and measure the gap to the best-known values.

Each instance goes through the same path as the season planner's routing: ``to_core`` builds a
``CoreProblem``, ``solve_core`` solves it, and the independent checker re-checks the routes
(and that the reported objective equals the cost it recomputes) before a row is reported.
"""

from __future__ import annotations

import csv
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean

from scheduler.bench.adapter import from_core, reported_objective, to_core
from scheduler.bench.check import check_solution, format_cost, format_solution
from scheduler.bench.instances import (
    Instance,
    Kind,
    available_instances,
    best_known,
    find_instance,
)
from scheduler.errors import InvalidProblem
from scheduler.solver.core import solve_core

__all__ = [
    "CSV_COLUMNS",
    "BenchRow",
    "default_instances",
    "gap_pct",
    "mean_gap",
    "plan_runs",
    "run_benchmark",
    "solution_path",
    "write_csv",
]

log = logging.getLogger(__name__)

TOPTW_TOURS = (1, 2, 3, 4)
"""Numbers of tours ``m`` run on Cordeau-based TOPTW files when none is given."""

CSV_COLUMNS = (
    "instance",
    "vehicles",
    "vehicles_used",
    "objective",
    "best_known",
    "gap_pct",
    "seconds",
    "feasible",
    "engine",
    "problems",
)


@dataclass(frozen=True, slots=True)
class BenchRow:
    """One solved instance: ``vehicles`` is the fleet allowed (Solomon) or the number of tours
    ``m`` (TOPTW); ``objective`` is the total distance (Solomon) or total score (TOPTW);
    ``problems`` lists what the independent checker found (empty when feasible)."""

    instance: str
    vehicles: int
    vehicles_used: int
    objective: float
    best_known: float | None
    gap_pct: float | None
    seconds: float
    feasible: bool
    engine: str
    problems: tuple[str, ...] = ()


def gap_pct(kind: Kind, objective: float, best: float | None) -> float | None:
    """How far from the best-known value, in percent (positive = worse): Solomon
    ``(distance - bks) / bks``, TOPTW ``(bks - score) / bks``."""
    if best is None or best == 0:
        return None
    delta = objective - best if kind == "solomon" else best - objective
    return delta / best * 100


def mean_gap(rows: Sequence[BenchRow]) -> float | None:
    """Mean gap over the feasible rows that have a best-known value."""
    gaps = [row.gap_pct for row in rows if row.feasible and row.gap_pct is not None]
    return fmean(gaps) if gaps else None


def default_instances(kind: Kind) -> list[str]:
    """The target set of issue 3: all 56 Solomon files; for TOPTW the c/r/rc 1xx files that
    have a best-known score with one tour (27 of 29) and pr01-pr10."""
    names = list(available_instances(kind))
    if kind == "solomon":
        return names
    first = [
        n for n in names if re.fullmatch(r"(c|r|rc)1\d\d", n) and best_known(kind, n, 1) is not None
    ]
    return first + [n for n in names if re.fullmatch(r"pr\d\d", n)]


def plan_runs(
    kind: Kind, instances: Sequence[str | Path] | None, vehicles: int | None
) -> list[tuple[Instance, int]]:
    """Read every instance up front (an unknown name fails before any solving) and pair it
    with the fleet to use: Solomon the file's fleet (or ``vehicles``); TOPTW ``vehicles``
    tours, or by default 1 for Solomon-based files and 1..4 for Cordeau-based ones."""
    if vehicles is not None and vehicles < 1:
        raise InvalidProblem([("--vehicles", "must be at least 1")])
    names: Sequence[str | Path] = instances if instances else default_instances(kind)
    if not names:
        raise InvalidProblem([("--instances", f"no {kind} instances found")])
    runs: list[tuple[Instance, int]] = []
    for name in names:
        instance = find_instance(kind, name)
        if vehicles is not None:
            runs.append((instance, vehicles))
        elif kind == "solomon":
            runs.append((instance, instance.fleet))
        else:
            tours = TOPTW_TOURS if instance.decimals >= 2 else (1,)
            runs.extend((instance, m) for m in tours)
    return runs


def solution_path(folder: Path, instance: Instance, vehicles: int) -> Path:
    """Where a solution is written: ``C101.sol``, or ``pr01-m2.sol`` for TOPTW."""
    stem = instance.name if instance.kind == "solomon" else f"{instance.name}-m{vehicles}"
    return folder / f"{stem}.sol"


def run_one(
    instance: Instance,
    vehicles: int,
    time_limit_s: float,
    solutions_dir: Path | None = None,
    engine: str = "auto",
) -> BenchRow:
    """Solve one instance with the core, check it independently, write its solution file."""
    began = time.perf_counter()
    problem = to_core(instance, vehicles)
    solution = solve_core(problem, time_limit_s, engine)
    routes = from_core(instance, solution)
    objective = reported_objective(instance, problem, solution)
    seconds = time.perf_counter() - began
    feasible, problems, _ = check_solution(instance, routes, vehicles, claimed_cost=objective)
    best = best_known(instance.kind, instance.name, vehicles)
    if solutions_dir is not None:
        path = solution_path(solutions_dir, instance, vehicles)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(format_solution(instance, routes, objective), encoding="utf-8")
        except OSError as exc:
            raise InvalidProblem([(str(path), f"cannot write: {exc}")]) from exc
    row = BenchRow(
        instance=instance.name,
        vehicles=vehicles,
        vehicles_used=len(routes),
        objective=objective,
        best_known=best,
        gap_pct=gap_pct(instance.kind, objective, best),
        seconds=seconds,
        feasible=feasible,
        engine=solution.engine,
        problems=tuple(problems),
    )
    log.info(
        "%s m=%d: %s (best known %s) in %.1f s, %s",
        instance.name,
        vehicles,
        format_cost(instance, objective),
        best,
        seconds,
        "feasible" if feasible else "; ".join(problems),
    )
    return row


def run_benchmark(
    kind: Kind,
    instances: Sequence[str | Path] | None,
    vehicles: int | None,
    time_limit_s: float,
    solutions_dir: Path | None = None,
    progress: Callable[[BenchRow], None] | None = None,
    engine: str = "auto",
) -> list[BenchRow]:
    """Solve each instance (names or paths; None = the default target set) one after the
    other within ``time_limit_s`` seconds each, and report one row per (instance, fleet)."""
    if not time_limit_s > 0:
        raise InvalidProblem([("--time-limit", "must be a positive number of seconds")])
    rows: list[BenchRow] = []
    for instance, fleet in plan_runs(kind, instances, vehicles):
        row = run_one(instance, fleet, time_limit_s, solutions_dir, engine)
        rows.append(row)
        if progress is not None:
            progress(row)
    return rows


def _plain(value: float) -> str:
    """A number without float noise: ``320``, ``827.3``."""
    rounded = round(value, 6)
    return str(int(rounded)) if rounded.is_integer() else repr(rounded)


def write_csv(rows: Sequence[BenchRow], path: Path) -> None:
    """Write the rows as CSV (``CSV_COLUMNS``; empty cells for missing best-known values)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(CSV_COLUMNS)
            for row in rows:
                writer.writerow(
                    [
                        row.instance,
                        row.vehicles,
                        row.vehicles_used,
                        _plain(row.objective),
                        "" if row.best_known is None else _plain(row.best_known),
                        "" if row.gap_pct is None else f"{row.gap_pct:.3f}",
                        f"{row.seconds:.2f}",
                        row.feasible,
                        row.engine,
                        "; ".join(row.problems),
                    ]
                )
    except OSError as exc:
        raise InvalidProblem([(str(path), f"cannot write: {exc}")]) from exc
