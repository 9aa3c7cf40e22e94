"""The value of a plan: audience served x priority, with diminishing repeat visits, minus
travel cost. One definition shared by the solver, the CLI and the benchmarks."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from scheduler.domain import Plan, PlanStats, Problem, Rules, Venue
from scheduler.travel import TravelTimes

__all__ = ["plan_stats", "visit_value", "with_bound"]


def visit_value(venue: Venue, visit_number: int, screenings: int, rules: Rules) -> float:
    """Value of the ``visit_number``-th (0-based) visit with that many screenings."""
    extra = rules.second_screening_factor * max(0, screenings - 1)
    repeat = rules.repeat_visit_factor**visit_number
    return venue.audience_seats * venue.priority * repeat * (1.0 + extra)


def plan_stats(
    problem: Problem, plan: Plan, travel: TravelTimes, solve_s: float = 0.0
) -> PlanStats:
    """Recompute value, travel and counts of a plan from the raw inputs."""
    venues = {v.id: v for v in problem.venues}
    trucks = {t.id: t for t in problem.trucks}
    visits: dict[str, int] = defaultdict(int)
    value = 0.0
    travel_min = 0.0
    for route in sorted(plan.routes, key=lambda r: (r.day, r.truck_id)):
        truck = trucks[route.truck_id]
        place, leave = truck.depot, route.depot_departure
        for stop in route.stops:
            venue = venues[stop.venue_id]
            travel_min += travel.duration_min(place, venue.location, leave)
            value += visit_value(venue, visits[venue.id], len(stop.screenings), problem.rules)
            visits[venue.id] += 1
            place, leave = venue.location, stop.departure
        if route.stops:
            travel_min += travel.duration_min(place, truck.depot, leave)
    cost = travel_min / 60.0 * problem.rules.travel_cost_per_hour
    return PlanStats(
        screenings=sum(len(s.screenings) for _, s in plan.stops),
        stops=len(plan.stops),
        served_venues=len(visits),
        travel_min=round(travel_min, 1),
        value=round(value - cost, 2),
        solve_s=round(solve_s, 2),
    )


def with_bound(stats: PlanStats, bound: float | None) -> PlanStats:
    """``stats`` with a proven upper bound on the value and the gap to it in per cent."""
    if bound is None:
        return replace(stats, bound=None, gap_pct=None)
    gap = (bound - stats.value) / max(abs(bound), 1e-9) * 100.0
    return replace(stats, bound=round(bound, 2), gap_pct=round(gap, 2))
