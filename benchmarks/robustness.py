"""Robustness benchmark: the price of planning with slack, and what it buys.

    python benchmarks/robustness.py                     # demo season, 30 s a plan, 20 runs
    python benchmarks/robustness.py --settings 0/0/0,10/10/10 --runs 50 --noise 0.3
    python benchmarks/robustness.py --out table.md      # also write the markdown table

Plans the demo season (``demo_problem(days=14)``) once per buffer setting (``pct/ready/end``:
``drive_buffer_pct / arrival_margin_min / end_margin_min``), checks each plan against the
original rules (``verify``, must be 0 violations), replays it ``--runs`` times under
``±noise`` uniform travel noise with no events and no re-plans (``scheduler.simulate``; the
same seeds for every setting), and prints a markdown table: setting, plan value, value
against no buffers, on time %, late (count, mean minutes), lost, audience lost.
``--repeat N`` plans each setting N times (time-limited search varies from run to run, more
so on a busy machine) and reports the mean value and the outcomes of all N plans.
"""

from __future__ import annotations

import argparse
import statistics
from dataclasses import dataclass, replace
from pathlib import Path

from scheduler.checks import verify
from scheduler.demo import demo_problem
from scheduler.domain import Problem
from scheduler.simulate import SimulationReport, simulate
from scheduler.solver import SolveParams, solve
from scheduler.travel import OfflineTravelTimes

DEFAULT_SETTINGS = (
    "0/0/0,10/0/0,0/10/0,10/10/0,10/10/10,20/10/10,15/15/15,20/15/15,25/20/15,30/20/20,40/30/20"
)


def with_buffers(problem: Problem, setting: str) -> Problem:
    """The problem with the buffers of ``pct/ready/end``."""
    pct, ready, end = setting.split("/")
    rules = replace(
        problem.rules,
        drive_buffer_pct=float(pct),
        arrival_margin_min=int(ready),
        end_margin_min=int(end),
    )
    return replace(problem, rules=rules)


@dataclass(frozen=True)
class Row:
    """One setting: its plans' values, violations and one simulation report per plan."""

    setting: str
    values: list[float]
    violations: int
    reports: list[SimulationReport]

    def cells(self, baseline: float) -> str:
        """The markdown row, with the value against ``baseline`` (the no-buffer mean)."""
        value = statistics.mean(self.values)
        versus = (value - baseline) / abs(baseline) * 100 if baseline else 0.0
        spread = (
            f" ({min(self.values):,.0f}-{max(self.values):,.0f})" if len(self.values) > 1 else ""
        )
        planned = sum(r.planned for r in self.reports)
        on_time = sum(r.on_time for r in self.reports)
        late = sum(r.late for r in self.reports)
        late_min = sum(r.late * r.late_mean_min for r in self.reports) / max(late, 1)
        lost = sum(r.lost for r in self.reports)
        audience = sum(r.audience_lost for r in self.reports) / max(
            sum(r.audience_planned for r in self.reports), 1
        )
        screenings = planned / sum(r.runs for r in self.reports)
        return (
            f"| {self.setting} | {value:,.0f}{spread} | {versus:+.1f} % | {screenings:.0f} | "
            f"{100 * on_time / max(planned, 1):.1f} | {late} ({late_min:.1f}) | {lost} | "
            f"{audience * 100:.1f} % | {self.violations} |"
        )


def measure(
    problem: Problem, setting: str, limit_s: float, noise: float, runs: int, seed: int
) -> tuple[float, int, SimulationReport]:
    """Plan with the setting, verify against the problem as given, simulate."""
    travel = OfflineTravelTimes()
    plan = solve(with_buffers(problem, setting), travel, SolveParams(time_limit_s=limit_s))
    violations = len(verify(problem, plan, travel))
    report = simulate(problem, plan, travel, noise=noise, runs=runs, seed=seed)
    return plan.stats.value, violations, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", default=DEFAULT_SETTINGS, help="pct/ready/end,...")
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--noise", type=float, default=0.3)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1, help="plans per setting")
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = parser.parse_args()
    problem = demo_problem(days=args.days)
    lines = [
        f"Demo season ({args.days} days), {args.time_limit:g} s a plan, "
        f"±{args.noise * 100:.0f} % uniform travel noise, {args.runs} runs per plan, no "
        f"events, {args.repeat} plan(s) per setting (plan value: mean (min-max)).",
        "",
        "| buffers (drive % / ready min / end min) | plan value | vs no buffers | "
        "screenings | on time % | late (mean min) | lost | audience lost | violations |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    print("\n".join(lines), flush=True)
    baseline: float | None = None
    for setting in args.settings.split(","):
        row = Row(setting, [], 0, [])
        for _ in range(args.repeat):
            value, violations, report = measure(
                problem, setting, args.time_limit, args.noise, args.runs, args.seed
            )
            row.values.append(value)
            row.reports.append(report)
            row = replace(row, violations=row.violations + violations)
        baseline = statistics.mean(row.values) if baseline is None else baseline
        lines.append(row.cells(baseline))
        print(lines[-1], flush=True)
    if args.out is not None:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
