"""Re-plan benchmark: how fast a day is re-planned after a disruption, and what it costs.

    python benchmarks/replan.py                               # 20 events per kind, 60-s reference
    python benchmarks/replan.py --events 5 --reference-limit 10

The demo season is planned once (``--plan-limit``, 30 s). Then, for each disruption kind,
``--events`` random events (seeded) at random times of random days are re-planned with the
engine's default re-plan settings (``replan``: 1 s, one worker), and the same situation again
with ``--reference-limit`` seconds. A full solve of one day of the demo (``--day-limit`` s,
the engine's default settings otherwise) is timed in the same run.

Prints a markdown table per kind: events, p50 and p95 wall seconds of ``replan`` (everything:
fixed part, solve, merge, verify), the ratio of the p50 to the one-day solve, and the value
lost against the reference re-plan (mean and max %). Value is the re-planned day's marginal
value in the season: ``plan.stats.value`` of the season minus that of the season without
that day (so repeat visits count as the season counts them). Every re-plan is checked with
``verify``; a violation is reported and counted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from random import Random
from zoneinfo import ZoneInfo

from scheduler.checks import verify
from scheduler.demo import demo_problem
from scheduler.disruptions import (
    Disruption,
    FilmWithdrawn,
    ShiftCut,
    Situation,
    TruckBrokenDown,
    TruckDelayed,
    VenueCancelled,
    VenueRequested,
    VenueUnreachable,
)
from scheduler.domain import Plan, Problem, Route
from scheduler.scoring import plan_stats
from scheduler.solver import Replan, SolveParams, replan, solve
from scheduler.travel import OfflineTravelTimes

TRAVEL = OfflineTravelTimes()

Maker = Callable[[Random, Problem, Plan, date, datetime], Disruption | None]


def _day_routes(plan: Plan, day: date) -> list[Route]:
    return [r for r in plan.routes if r.day == day and r.stops]


def _delayed(
    rng: Random, problem: Problem, plan: Plan, day: date, now: datetime
) -> Disruption | None:
    routes = _day_routes(plan, day)
    return (
        TruckDelayed(rng.choice(routes).truck_id, minutes=rng.randint(10, 90)) if routes else None
    )


def _cancelled(
    rng: Random, problem: Problem, plan: Plan, day: date, now: datetime
) -> Disruption | None:
    venues = [s.venue_id for r in _day_routes(plan, day) for s in r.stops if s.arrival > now]
    return VenueCancelled(rng.choice(venues)) if venues else None


def _unreachable(
    rng: Random, problem: Problem, plan: Plan, day: date, now: datetime
) -> Disruption | None:
    pairs = [
        (r.truck_id, s.venue_id) for r in _day_routes(plan, day) for s in r.stops if s.arrival > now
    ]
    return VenueUnreachable(*rng.choice(pairs)) if pairs else None


def _broken(
    rng: Random, problem: Problem, plan: Plan, day: date, now: datetime
) -> Disruption | None:
    routes = _day_routes(plan, day)
    return TruckBrokenDown(rng.choice(routes).truck_id, now) if routes else None


def _cut(rng: Random, problem: Problem, plan: Plan, day: date, now: datetime) -> Disruption | None:
    routes = _day_routes(plan, day)
    end = now + timedelta(minutes=rng.randint(60, 240))
    return ShiftCut(rng.choice(routes).truck_id, end) if routes else None


def _requested(
    rng: Random, problem: Problem, plan: Plan, day: date, now: datetime
) -> Disruption | None:
    visited = {s.venue_id for r in _day_routes(plan, day) for s in r.stops}
    venues = [v.id for v in problem.venues if v.id not in visited]
    return VenueRequested(venue_id=rng.choice(venues)) if venues else None


def _withdrawn(
    rng: Random, problem: Problem, plan: Plan, day: date, now: datetime
) -> Disruption | None:
    films = sorted(
        {x.film_id for r, s in plan.stops if r.day >= day for x in s.screenings if x.start >= now}
    )
    return FilmWithdrawn(rng.choice(films), now) if films else None


KINDS: dict[str, Maker] = {
    "delayed": _delayed,
    "venue_cancelled": _cancelled,
    "venue_unreachable": _unreachable,
    "breakdown": _broken,
    "shift_cut": _cut,
    "venue_requested": _requested,
    "film_withdrawn": _withdrawn,
}


@dataclass
class KindResult:
    seconds: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    violations: int = 0


def day_value(result: Replan, day: date) -> float:
    """The re-planned day's marginal value in the season."""
    whole = plan_stats(result.problem, result.plan, TRAVEL).value
    rest = Plan(tuple(r for r in result.plan.routes if r.day != day), (), 0.0)
    return whole - plan_stats(result.problem, rest, TRAVEL).value


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20, help="events per kind")
    parser.add_argument(
        "--reference-limit", type=float, default=60.0, help="seconds of the reference re-plan"
    )
    parser.add_argument(
        "--plan-limit", type=float, default=30.0, help="seconds to plan the demo season"
    )
    parser.add_argument(
        "--day-limit", type=float, default=30.0, help="seconds of the one-day solve"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated kinds")
    return parser.parse_args()


def _measure_kind(
    make: Maker,
    problem: Problem,
    plan: Plan,
    rng: Random,
    args: argparse.Namespace,
) -> KindResult:
    """Re-plan ``args.events`` random events of one kind, fast and with the reference limit."""
    tz = ZoneInfo(problem.rules.timezone)
    found = KindResult()
    while len(found.seconds) < args.events:
        day = rng.choice([d for d in problem.days if _day_routes(plan, d)])
        now = datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(
            minutes=rng.randint(10 * 60, 22 * 60)
        )
        event = make(rng, problem, plan, day, now)
        if event is None:
            continue
        situation = Situation(day, now, (event,))
        clock = time.perf_counter()
        fast = replan(problem, plan, situation, TRAVEL)
        found.seconds.append(time.perf_counter() - clock)
        found.violations += len(verify(fast.problem, fast.plan, TRAVEL))
        reference = replan(
            problem,
            plan,
            situation,
            TRAVEL,
            SolveParams(time_limit_s=args.reference_limit, workers=1),
        )
        best = day_value(reference, day)
        loss = (best - day_value(fast, day)) / max(abs(best), 1e-9) * 100.0
        found.losses.append(loss)
    return found


def _print_table(results: dict[str, KindResult], one_day_s: float) -> None:
    header = ("kind", "events", "p50 s", "p95 s", "p50 / one-day solve", "mean loss %")
    print("| " + " | ".join((*header, "max loss %", "violations")) + " |")
    print("| --- " + "| ---: " * 7 + "|")
    for kind, found in results.items():
        p50 = statistics.median(found.seconds)
        cells = (
            kind,
            str(len(found.seconds)),
            f"{p50:.2f}",
            f"{percentile(found.seconds, 0.95):.2f}",
            f"{p50 / one_day_s:.2f}",
            f"{statistics.mean(found.losses):.2f}",
            f"{max(found.losses):.2f}",
            str(found.violations),
        )
        print("| " + " | ".join(cells) + " |")


def main() -> int:
    args = _arguments()
    started = time.monotonic()
    problem = demo_problem()
    plan = solve(problem, TRAVEL, SolveParams(time_limit_s=args.plan_limit))
    print(
        f"demo season planned in {time.monotonic() - started:.1f} s, value {plan.stats.value:.0f}"
    )
    day = problem.days[len(problem.days) // 2]
    clock = time.perf_counter()
    solve(replace(problem, days=(day,)), TRAVEL, SolveParams(time_limit_s=args.day_limit))
    one_day_s = time.perf_counter() - clock
    print(f"one-day solve ({day}, {args.day_limit:g} s limit): {one_day_s:.2f} s")
    rng = Random(args.seed)
    results: dict[str, KindResult] = {}
    for kind in args.kinds.split(","):
        results[kind] = _measure_kind(KINDS[kind], problem, plan, rng, args)
        print(f"{kind}: done ({time.monotonic() - started:.0f} s so far)", file=sys.stderr)
    print()
    _print_table(results, one_day_s)
    print(
        f"\n{args.events} events per kind, reference re-plan {args.reference_limit:g} s, "
        f"total {time.monotonic() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
