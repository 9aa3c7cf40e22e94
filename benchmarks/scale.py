"""Scale benchmark: how memory and time grow with the number of venues.

    python benchmarks/scale.py                          # 300, 1,200, 2,400 and 5,000 venues
    python benchmarks/scale.py --sizes 300,1200 --limit 30

Each size is planned in a child process of its own (a generated season: 30 days, 10 trucks
by default), so that its peak memory (``resource.getrusage``'s ``ru_maxrss``) is its own.
Prints, per size: peak RSS, the memory before solving, the travel-matrix work (seconds spent
in the travel provider, cells computed, bytes cached at the end), the time of each phase
(the proven bound, the windows, the unserved reasons, the statistics), the wall time and how
far it went over the time limit, the objective, the venues served, and with ``--check`` the
validator's violations. Works on older engines too (phases they lack show 0).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

from rich.console import Console
from rich.table import Table

console = Console(width=160)

_F = TypeVar("_F", bound=Callable[..., Any])


def measure(
    venues: int, days: int, trucks: int, limit_s: float, seed: int, check: bool
) -> dict[str, float]:
    """Plan one generated season in this process and measure it (call in a child)."""
    import scheduler.solver as solver_package
    from scheduler.demo import generate_problem
    from scheduler.solver import SolveParams, solve
    from scheduler.solver.matrix import TravelMatrix
    from scheduler.travel import OfflineTravelTimes

    problem = generate_problem(seed=seed, days=days, trucks=trucks, venues=venues)
    travel = OfflineTravelTimes()
    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    phases: dict[str, float] = {}
    matrices: list[TravelMatrix] = []

    def timed(name: str, function: _F) -> _F:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.monotonic()
            try:
                result = function(*args, **kwargs)
            finally:
                phases[name] = phases.get(name, 0.0) + time.monotonic() - started
            if isinstance(result, TravelMatrix):
                matrices.append(result)
            return result

        return wrapper  # type: ignore[return-value]

    build = TravelMatrix.build
    timed_class = type(
        "TimedTravelMatrix", (TravelMatrix,), {"build": staticmethod(timed("matrix_build", build))}
    )
    setattr(solver_package, "TravelMatrix", timed_class)  # noqa: B010
    for name in ("season_bound", "plan_season", "explain_unserved", "plan_stats"):
        if hasattr(solver_package, name):
            setattr(solver_package, name, timed(name, getattr(solver_package, name)))
    started = time.monotonic()
    plan = solve(problem, travel, SolveParams(time_limit_s=limit_s))
    wall = time.monotonic() - started
    matrix = matrices[0] if matrices else None
    row: dict[str, float] = {
        "venues": venues,
        "limit_s": limit_s,
        "wall_s": wall,
        "over_pct": 100.0 * (wall - limit_s) / limit_s,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "before_mb": before_mb,
        "matrix_s": phases.get("matrix_build", 0.0) + getattr(matrix, "compute_s", 0.0),
        "matrix_cells_m": getattr(matrix, "cells_computed", 0) / 1e6,
        "matrix_cached_mb": _cached_bytes(matrix) / 2**20,
        "bound_s": phases.get("season_bound", 0.0),
        "windows_s": phases.get("plan_season", 0.0),
        "reasons_s": phases.get("explain_unserved", 0.0),
        "stats_s": phases.get("plan_stats", 0.0),
        "objective": plan.objective,
        "served": plan.stats.served_venues,
        "screenings": plan.stats.screenings,
        "violations": -1.0,
    }
    if check:
        from scheduler.checks import verify

        row["violations"] = len(verify(problem, plan, travel))
    return row


def _cached_bytes(matrix: object) -> float:
    """What the matrix holds at the end: its cache, or a dense engine's arrays."""
    if hasattr(matrix, "cached_bytes"):
        return float(matrix.cached_bytes())
    arrays = [getattr(matrix, name, None) for name in ("by_hour", "worst")]
    return float(sum(a.nbytes for a in arrays if a is not None))


def run_child(args: argparse.Namespace, venues: int) -> dict[str, float]:
    """Measure one size in a fresh Python process."""
    command = [
        sys.executable,
        __file__,
        "--child",
        str(venues),
        "--days",
        str(args.days),
        "--trucks",
        str(args.trucks),
        "--limit",
        str(args.limit),
        "--seed",
        str(args.seed),
    ]
    if args.check:
        command.append("--check")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        console.print(done.stderr[-3000:])
        raise SystemExit(f"the {venues}-venue run failed (exit {done.returncode})")
    row: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    row.setdefault("bound_s", 0.0)
    return row


def table(title: str, rows: list[dict[str, float]]) -> Table:
    """The growth table."""
    out = Table(title=title)
    columns = {
        "venues": "{:.0f}",
        "peak_mb": "{:,.0f}",
        "before_mb": "{:,.0f}",
        "matrix_s": "{:.2f}",
        "matrix_cells_m": "{:.1f}",
        "matrix_cached_mb": "{:.1f}",
        "bound_s": "{:.1f}",
        "windows_s": "{:.1f}",
        "reasons_s": "{:.2f}",
        "stats_s": "{:.2f}",
        "wall_s": "{:.1f}",
        "over_pct": "{:+.1f}",
        "objective": "{:,.0f}",
        "served": "{:.0f}",
        "violations": "{:.0f}",
    }
    headers = {
        "peak_mb": "peak MB",
        "before_mb": "before MB",
        "matrix_s": "matrix s",
        "matrix_cells_m": "cells M",
        "matrix_cached_mb": "cached MB",
        "bound_s": "bound s",
        "windows_s": "windows s",
        "reasons_s": "reasons s",
        "stats_s": "stats s",
        "wall_s": "wall s",
        "over_pct": "over %",
    }
    for column in columns:
        out.add_column(headers.get(column, column), justify="right")
    for row in rows:
        out.add_row(*(form.format(row[column]) for column, form in columns.items()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="300,1200,2400,5000", help="venue counts")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--trucks", type=int, default=10)
    parser.add_argument("--limit", type=float, default=60.0, help="time limit in seconds")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--check", action="store_true", help="also count verify() violations")
    parser.add_argument("--json", help="also write the rows to this file")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        row = measure(args.child, args.days, args.trucks, args.limit, args.seed, args.check)
        print(json.dumps(row))
        return
    rows = []
    for size in (int(x) for x in args.sizes.split(",") if x.strip()):
        rows.append(run_child(args, size))
        console.print(
            f"{size} venues: peak {rows[-1]['peak_mb']:,.0f} MB, wall {rows[-1]['wall_s']:.1f} s"
        )
    console.print(
        table(
            f"Scale: generated seasons, {args.days} days, {args.trucks} trucks, "
            f"{args.limit:g}-s limit (seed {args.seed})",
            rows,
        )
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(rows, out, indent=1)


if __name__ == "__main__":
    main()
