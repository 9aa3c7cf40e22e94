"""The repair pass at the end of a solve: unserved venues onto idle truck-days.

The router works with a conservative model (slowest-hour drives, reserved slots, a fixed
rest pattern), so it can leave a truck idle on a day when a one-stop route to an unserved
venue fits by the rules. ``fill_idle_truck_days`` tries each unserved venue, the most
valuable first, on every truck-day without a route (``single_stop.OneStopSearch``, exact
times) and adds the route when it adds value (a visit's value above its travel cost),
keeping the season rules: the venue's visit limit, film caps (a new venue has shown no film
and has no earlier visit). The additions are re-checked with ``checks.verify`` together; one
that breaks a rule is dropped. It stops at its deadline.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from scheduler.checks import verify
from scheduler.domain import (
    Film,
    Plan,
    Problem,
    Route,
    Truck,
    Venue,
    truck_available_on,
    venue_open_on,
)
from scheduler.scoring import visit_value
from scheduler.solver.single_stop import OneStop, OneStopSearch

__all__ = ["fill_idle_truck_days"]

log = logging.getLogger(__name__)


def fill_idle_truck_days(
    problem: Problem,
    routes: Sequence[Route],
    search: OneStopSearch,
    deadline: float,
    before: date | None = None,
) -> list[Route]:
    """``routes`` with one-stop routes added on idle truck-days (days before ``before``
    only, when planning was stopped) for unserved venues, the most valuable first."""
    taken = {(route.truck_id, route.day) for route in routes}
    idle = [
        (day, truck)
        for day in problem.days
        if before is None or day < before
        for truck in problem.trucks
        if truck_available_on(truck, day) and (truck.id, day) not in taken
    ]
    if not idle:
        return list(routes)
    served = {stop.venue_id for route in routes for stop in route.stops}
    uses = Counter(
        show.film_id for route in routes for stop in route.stops for show in stop.screenings
    )
    rules = problem.rules
    waiting = sorted(
        (v for v in problem.venues if v.id not in served and _visits_allowed(problem, v)),
        key=lambda v: -visit_value(v, 0, 1, rules),
    )
    added: list[OneStop] = []
    for venue in waiting:
        if time.monotonic() > deadline:
            log.info("repair pass stopped at its deadline")
            break
        films = [
            f for f in problem.films if f.max_screenings is None or uses[f.id] < f.max_screenings
        ]
        found = _first_worth(problem, search, venue, idle, films)
        if found is None:
            continue
        added.append(found)
        uses[found.film.id] += 1
        idle = [(d, t) for d, t in idle if (t.id, d) != (found.route.truck_id, found.route.day)]
    kept = _checked(problem, search, [a.route for a in added])
    return sorted([*routes, *kept], key=lambda r: (r.day, r.truck_id))


def _visits_allowed(problem: Problem, venue: Venue) -> bool:
    limit = problem.rules.max_visits if venue.max_visits is None else venue.max_visits
    return limit >= 1


def _first_worth(
    problem: Problem,
    search: OneStopSearch,
    venue: Venue,
    idle: list[tuple[date, Truck]],
    films: list[Film],
) -> OneStop | None:
    """The first idle truck-day's route for ``venue`` whose value exceeds its travel cost."""
    rules = problem.rules
    value = visit_value(venue, 0, 1, rules)
    per_min = rules.travel_cost_per_hour / 60.0
    for day, truck in idle:
        if not venue_open_on(venue, day):
            continue
        found = search.find(venue, truck, day, films)
        if found is not None and value - per_min * found.drive_min > 0:
            return found
    return None


def _checked(problem: Problem, search: OneStopSearch, added: list[Route]) -> list[Route]:
    """The added routes that ``verify`` accepts together; all are dropped on a season-wide
    violation (film caps were counted with the rest of the plan when films were chosen)."""
    if not added:
        return []
    venues = tuple(problem.venue(r.stops[0].venue_id) for r in added)
    sub = replace(problem, venues=venues)
    found = verify(sub, Plan(tuple(added), (), 0.0), search.travel)
    if not found:
        return added
    log.warning("repair pass: additions break rules: %s", [v.message for v in found[:5]])
    if any(v.truck_id is None for v in found):
        return []
    broken = {(v.truck_id, v.day) for v in found}
    return [r for r in added if (r.truck_id, r.day) not in broken]
