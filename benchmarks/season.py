"""Season benchmark: plan the demo season at several time limits, or a generated large one.

    python benchmarks/season.py                 # demo season at 5, 15, 30 and 120 s
    python benchmarks/season.py --limits 5,30   # other limits
    python benchmarks/season.py --large         # 90 days, 10 trucks, 600 venues, 10-min budget
    python benchmarks/season.py --workers 1     # one process per window (default: 2 cores)

Prints objective, the proven bound (``plan.stats.bound``) and the plan's gap to it, screenings,
stops, served venues, travel hours, violations (must be 0), wall time, and the objective as a
ratio of the longest run (the baseline in this process).
"""

from __future__ import annotations

import argparse
import math
import time
from collections import Counter

from rich.console import Console
from rich.table import Table

from scheduler.checks import verify
from scheduler.demo import demo_problem, generate_problem
from scheduler.domain import Problem
from scheduler.solver import SolveParams, solve
from scheduler.travel import OfflineTravelTimes

console = Console(width=150)


def run(problem: Problem, limit_s: float, workers: int = 2) -> dict[str, float]:
    """Solve once (``workers`` processes per window) and measure."""
    travel = OfflineTravelTimes()
    started = time.monotonic()
    plan = solve(problem, travel, SolveParams(time_limit_s=limit_s, workers=workers))
    wall = time.monotonic() - started
    violations = verify(problem, plan, travel)
    if violations:
        console.print(Counter(v.rule for v in violations))
    return {
        "limit": limit_s,
        "objective": plan.objective,
        "bound": plan.stats.bound if plan.stats.bound is not None else float("nan"),
        "gap_pct": plan.stats.gap_pct if plan.stats.gap_pct is not None else float("nan"),
        "screenings": plan.stats.screenings,
        "stops": plan.stats.stops,
        "served": plan.stats.served_venues,
        "unserved": len(plan.unserved),
        "travel_h": plan.stats.travel_min / 60,
        "violations": len(violations),
        "wall_s": wall,
    }


def table(title: str, rows: list[dict[str, float]]) -> Table:
    """The results, with each objective as a ratio of the longest run's."""
    best = max(rows, key=lambda r: r["limit"])["objective"] or 1.0
    out = Table(title=title)
    columns: tuple[str, ...] = (
        "limit s",
        "objective",
        "bound",
        "gap %",
        "vs longest",
        "screenings",
        "stops",
    )
    columns += ("served", "unserved")
    for column in (*columns, "travel h", "violations", "wall s"):
        out.add_column(column, justify="right")
    for r in rows:
        out.add_row(
            f"{r['limit']:g}",
            f"{r['objective']:,.1f}",
            _or_dash(r["bound"], "{:,.1f}"),
            _or_dash(r["gap_pct"], "{:.1f}"),
            f"{r['objective'] / best:.3f}",
            f"{r['screenings']:.0f}",
            f"{r['stops']:.0f}",
            f"{r['served']:.0f}",
            f"{r['unserved']:.0f}",
            f"{r['travel_h']:.1f}",
            f"{r['violations']:.0f}",
            f"{r['wall_s']:.1f}",
        )
    return out


def _or_dash(value: float, spec: str) -> str:
    """``value`` formatted, or a dash when there is none (no bound proven in time)."""
    return "–" if math.isnan(value) else spec.format(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="generated 90-day season")
    parser.add_argument("--limits", default="5,15,30,120", help="comma-separated seconds")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated season")
    parser.add_argument("--workers", type=int, default=2, help="processes per window (cores)")
    args = parser.parse_args()
    if args.large:
        problem = generate_problem(seed=args.seed)
        limits = [600.0] if args.limits == "5,15,30,120" else _limits(args.limits)
        title = f"Large season (seed {args.seed}): {len(problem.days)} days"
    else:
        problem = demo_problem()
        limits = _limits(args.limits)
        title = f"Demo season: {len(problem.days)} days"
    title += f", {len(problem.trucks)} trucks, {len(problem.venues)} venues"
    title += f", {args.workers} worker{'s' if args.workers > 1 else ''}"
    rows = []
    for limit in limits:
        rows.append(run(problem, limit, args.workers))
        console.print(f"{limit:g} s done: objective {rows[-1]['objective']:,.1f}")
    console.print(table(title, rows))


def _limits(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


if __name__ == "__main__":
    main()
