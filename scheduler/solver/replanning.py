"""Re-planning during the day: ``replan(problem, plan, situation) -> Replan``.

1. ``disrupt.apply_disruptions`` writes the disruptions into the season problem.
2. ``replan_fixed.fixed_parts`` keeps each truck's stops done or in progress at ``now``
   (shifted by a delay, trimmed by the disruptions) and finds when it is free again.
3. The problem is fitted to what is kept (``replan_fit``): a cut, broken-down or delayed
   truck's day lasts as long as its kept stops need, a cancelled venue closes once its
   running screening ends, a withdrawn film stays licensed where it was already shown.
4. Later days change only where the rules force it (``replan_later``: a withdrawn film).
5. The rest of the day is a one-day sub-problem (``replan_day``) solved with ``solve``
   around the fixed stops and the planner's pins: once freely, once keeping the old plan's
   stops that still hold and filling the gaps (``FILL_SHARE`` of the time each).
6. Three candidates (those two and the old plan's remainder alone) are merged into the
   season and checked with ``checks.verify``; a new stop that breaks a rule is dropped and
   its route re-timed until the season verifies. The most valuable candidate wins.
7. ``replan_drops`` gives every screening of the old plan the new one does not keep a
   reason, and every venue without a visit an unserved reason.

See docs/engine.md, "Re-planning during the day".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from scheduler import solver as engine
from scheduler.checks import DAY_RULES, Violation, verify
from scheduler.disruptions import (
    Situation,
    VenueRequested,
    VenueUnreachable,
)
from scheduler.domain import (
    PinnedStop,
    Pins,
    Plan,
    Problem,
    Route,
    Screening,
    Stop,
)
from scheduler.errors import InvalidProblem, SchedulerError
from scheduler.scoring import plan_stats, visit_value
from scheduler.solver.disrupt import (
    apply_disruptions,
)
from scheduler.solver.pins import index_pins
from scheduler.solver.replan_day import (
    day_problem,
    done_before,
    keep_possible,
    old_remainder,
    pins_of_day,
    untouched,
)
from scheduler.solver.replan_drops import (
    Dropped,
    DropReason,
    Notes,
    account_drops,
    unserved_after,
)
from scheduler.solver.replan_fit import fitted
from scheduler.solver.replan_fixed import TruckStart, fixed_parts, route_around
from scheduler.solver.replan_later import restore_films, withdraw_later, withdrawn_films
from scheduler.travel import OfflineTravelTimes, TravelTimes

__all__ = ["DropReason", "Dropped", "Replan", "apply_disruptions", "replan"]

log = logging.getLogger(__name__)

FILL_SHARE = 0.5
"""Share of the time limit for the solve that keeps the old plan's remainder and only fills
its gaps; the free solve of the day has the rest."""

PROMISE_WEIGHT = 1.0
"""Weight, on top of its value, of each screening of the old plan a candidate keeps: an
announced screening lost costs twice what a new one of the same value earns."""

PROMISE_SLACK_MIN = 30
"""An announced screening moved by more than this is no longer the one announced."""

REPAIR_ROUNDS = 30
"""Rounds of dropping rule-breaking new stops before the day falls back to its fixed part."""


@dataclass(frozen=True, slots=True)
class Replan:
    """A season plan after a re-plan, and what it kept and lost."""

    problem: Problem
    """The season with the disruptions applied; ``plan`` verifies against it."""
    plan: Plan
    """The whole season's plan (other days unchanged unless a rule forced it)."""
    kept: tuple[tuple[str, Stop], ...]
    """``(truck_id, stop)``: done or in progress on the day, as they stand (unchanged, but
    for a delayed truck's stop in progress and what a disruption took away from it)."""
    dropped: tuple[Dropped, ...]
    """Every screening of the old plan the new plan no longer has, with a reason."""
    seconds: float


def replan(
    problem: Problem,
    plan: Plan,
    situation: Situation,
    travel: TravelTimes | None = None,
    params: engine.SolveParams | None = None,
    *,
    pins: Pins | None = None,
) -> Replan:
    """Re-plan the rest of ``situation.day`` around what is done or in progress at
    ``situation.now`` and the situation's disruptions (see the module docstring).

    ``pins`` (the planner's locks) are kept exactly unless a disruption invalidates them.
    Unknown ids, a day outside the season or a day without routes in ``plan`` raise
    ``InvalidProblem`` naming the field (``disruptions[1].truck_id``, ``day``).
    """
    started = time.monotonic()
    travel = travel or OfflineTravelTimes()
    params = params or engine.SolveParams(time_limit_s=1.0, workers=1)
    applied = apply_disruptions(problem, situation)
    if not any(route.day == situation.day for route in plan.routes):
        raise InvalidProblem([("day", f"the plan has no routes on {situation.day}")])
    index_pins(problem, pins)
    day = _prepared(applied, plan, situation, travel)
    day_pins = pins_of_day(day.starts, _planner_pins(pins, situation.day, day.holds), situation.day)
    routes, solved = _replanned(day, params, day_pins)
    draft = Plan(tuple(routes), (), 0.0)
    reasons = {entry.venue_id: entry for entry in solved.unserved}
    dropped = account_drops(day.season, plan, draft, situation, day.notes, reasons)
    asked = [d.requested_id for d in situation.disruptions if isinstance(d, VenueRequested)]
    unserved = unserved_after(day.season, routes, plan, dropped, reasons, asked)
    seconds = time.monotonic() - started
    stats = plan_stats(day.season, replace(draft, unserved=unserved), travel, seconds)
    kept = tuple((s.truck_id, stop) for s in day.starts.values() for stop in s.fixed)
    new_plan = Plan(tuple(routes), unserved, stats.value, stats)
    return Replan(day.season, new_plan, kept, dropped, time.monotonic() - started)


@dataclass(frozen=True)
class _Day:
    """What the re-plan of the day works from."""

    season: Problem
    """The disrupted problem fitted to what is kept (``Replan.problem``)."""
    situation: Situation
    travel: TravelTimes
    starts: Mapping[str, TruckStart]
    notes: Notes
    others: list[Route]
    """The other days' routes (later ones after the rules forced a change)."""
    old_day: list[Route]
    """The old plan's routes of the day."""
    holds: Callable[[str, Stop], bool]
    """Whether a planned stop of the day still holds (``replan_day.untouched``)."""


def _prepared(applied: Problem, plan: Plan, situation: Situation, travel: TravelTimes) -> _Day:
    """The fixed part, the fitted problem and the other days (steps 2 to 4)."""
    day, notes = situation.day, Notes()
    starts = fixed_parts(applied, plan, situation, travel, notes)
    season = fitted(applied, plan, situation, starts, travel)
    fixed = [Route(s.truck_id, day, s.free_from, s.free_from, s.fixed) for s in starts.values()]
    old_day = [route for route in plan.routes if route.day == day]
    others = withdraw_later(
        season,
        [route for route in plan.routes if route.day != day],
        day,
        withdrawn_films(situation.disruptions),
        travel,
        notes,
        fixed + old_day,
    )
    holds = untouched(season, situation, starts)
    return _Day(season, situation, travel, starts, notes, others, old_day, holds)


def _replanned(day: _Day, params: engine.SolveParams, day_pins: Pins) -> tuple[list[Route], Plan]:
    """The season's routes with the day re-planned (steps 5 and 6), and the one-day plan of
    the free solve."""
    season, date_ = day.season, day.situation.day
    pinned = {(pin.truck_id, pin.stop) for pin in day_pins.stops}
    pinned |= {(s.truck_id, stop) for s in day.starts.values() for stop in s.fixed}
    as_planned = old_remainder(season, day.travel, day.old_day, day.starts, day.holds)
    taken = {pin.stop.venue_id for pin in day_pins.stops}
    held = [
        PinnedStop(route.truck_id, date_, stop)
        for route in as_planned
        for stop in route.stops
        if (route.truck_id, stop) not in pinned and stop.venue_id not in taken
    ]
    share = replace(params, time_limit_s=params.time_limit_s * FILL_SHARE)
    rest = replace(params, time_limit_s=params.time_limit_s * (1 - FILL_SHARE))
    fresh, solved = _solved(day, rest, day_pins, pinned)
    filled, _ = _solved(day, share, Pins(stops=(*day_pins.stops, *held)), pinned)
    candidates = (
        _repaired(season, day.travel, day.others, routes, pinned, date_)
        for routes in (as_planned, filled, fresh)
    )
    best = max(
        candidates,
        key=lambda routes: (
            plan_stats(season, Plan((*day.others, *routes), (), 0.0), day.travel).value
            + PROMISE_WEIGHT * promised_value(season, day.old_day, routes)
        ),
    )
    best = [_left_as_it_did(season, day.travel, route, day.starts) for route in best]
    return sorted([*day.others, *best], key=lambda r: (r.day, r.truck_id)), solved


def _left_as_it_did(
    problem: Problem, travel: TravelTimes, route: Route, starts: Mapping[str, TruckStart]
) -> Route:
    """The route with the depot departure the truck really had, when it has left and the
    re-timing moved it (the past stays as it was), if the truck-day still keeps its rules
    (a longer day may break its shift length: then the re-timed departure stays)."""
    start = starts.get(route.truck_id)
    left = start.left_depot if start is not None else None
    if left is None or not route.stops or route.depot_departure == left:
        return route
    real = replace(route, depot_departure=left)
    broken = verify(problem, Plan((real,), (), 0.0), travel)
    return route if any(v.rule in DAY_RULES for v in broken) else real


def promised_value(problem: Problem, old_day: Sequence[Route], routes: Sequence[Route]) -> float:
    """The value of the old plan's screenings of the day that ``routes`` still hold (same
    venue, same film, starting within ``PROMISE_SLACK_MIN`` of the announced time), each
    stop valued as a first visit with the screenings kept."""
    venues = {venue.id: venue for venue in problem.venues}
    starts = {
        (stop.venue_id, show.film_id): show.start
        for route in routes
        for stop in route.stops
        for show in stop.screenings
    }
    slack = timedelta(minutes=PROMISE_SLACK_MIN)

    def held(venue_id: str, show: Screening) -> bool:
        start = starts.get((venue_id, show.film_id))
        return start is not None and abs(start - show.start) <= slack

    total = 0.0
    for route in old_day:
        for stop in route.stops:
            kept = sum(held(stop.venue_id, show) for show in stop.screenings)
            if kept and stop.venue_id in venues:
                total += visit_value(venues[stop.venue_id], 0, kept, problem.rules)
    return total


def _solved(
    day: _Day, params: engine.SolveParams, pins: Pins, pinned: set[tuple[str, Stop]]
) -> tuple[list[Route], Plan]:
    """The day solved around ``pins`` (``replan_day``): its routes with every truck's fixed
    stops and without what a truck may not do, and the one-day plan."""
    season, situation, travel = day.season, day.situation, day.travel
    date_, withdrawn = situation.day, withdrawn_films(situation.disruptions)
    visited = [*day.others, *done_before(day.starts, date_)]
    promised = {stop.venue_id for route in day.old_day for stop in route.stops}
    promised |= {d.requested_id for d in situation.disruptions if isinstance(d, VenueRequested)}
    sub = day_problem(
        season, date_, situation.now, visited, day.starts, pins.stops, withdrawn, promised
    )
    try:
        solved = engine.solve(sub, travel, params, pins=pins)
    except SchedulerError:  # the old plan's remainder still stands
        log.error("re-plan: the one-day solve of %s failed", date_, exc_info=True)
        solved = Plan((), (), 0.0)
    unreachable = {
        (d.truck_id, d.venue_id) for d in situation.disruptions if isinstance(d, VenueUnreachable)
    }
    routes = keep_possible(season, travel, solved.routes, day.starts, pinned, unreachable, date_)
    return restore_films(season, routes, day.old_day, day.others, withdrawn), solved


def _planner_pins(
    pins: Pins | None, day: date, holds: Callable[[str, Stop], bool]
) -> list[PinnedStop]:
    """The planner's pins of the day that still hold (``replan_day.untouched``)."""
    if pins is None:
        return []
    found = [p for p in pins.stops if p.day == day]
    found += [PinnedStop(r.truck_id, day, s) for r in pins.routes if r.day == day for s in r.stops]
    return [pin for pin in found if holds(pin.truck_id, pin.stop)]


def _repaired(
    problem: Problem,
    travel: TravelTimes,
    others: Sequence[Route],
    day_routes: list[Route],
    pinned: set[tuple[str, Stop]],
    day: date,
) -> list[Route]:
    """The day's routes with new stops dropped while the season plan breaks a rule; if that
    does not help, the fixed part alone of the trucks that still break one (of every truck
    when a broken rule is not one truck-day's)."""
    for _ in range(REPAIR_ROUNDS):
        plan = Plan(tuple([*others, *day_routes]), (), 0.0)
        found = [v for v in verify(problem, plan, travel) if v.rule != "unserved"]
        if not found:
            return day_routes
        culprits = _culprits(found, day_routes, pinned, day)
        if not culprits:
            break
        log.info("re-plan: dropping %d new stops that break a rule", len(culprits))
        day_routes = _without(problem, travel, day_routes, culprits)
    trucks = {v.truck_id for v in found}
    if None not in trucks:  # every rule broken is one truck-day's: only those fall back
        partial = [
            _fixed_only(problem, travel, route, pinned, day) if route.truck_id in trucks else route
            for route in day_routes
        ]
        kept = [route for route in partial if route is not None]
        plan = Plan(tuple([*others, *kept]), (), 0.0)
        if not [v for v in verify(problem, plan, travel) if v.rule != "unserved"]:
            log.warning(
                "re-plan: the new part of %s for %s breaks a rule (%s); keeping its fixed part",
                day,
                ", ".join(sorted(str(t) for t in trucks)),
                "; ".join(v.message for v in found[:3]),
            )
            return kept
    log.warning(
        "re-plan: the new part of %s breaks a rule (%s); keeping the fixed part",
        day,
        "; ".join(v.message for v in found[:3]),
    )
    fixed = (_fixed_only(problem, travel, route, pinned, day) for route in day_routes)
    return [route for route in fixed if route is not None]


def _fixed_only(
    problem: Problem,
    travel: TravelTimes,
    route: Route,
    pinned: set[tuple[str, Stop]],
    day: date,
) -> Route | None:
    """The route with only its fixed (pinned) stops, re-timed; ``None`` if they cannot be."""
    kept = [stop for stop in route.stops if (route.truck_id, stop) in pinned]
    return route_around(problem, travel, problem.truck(route.truck_id), day, kept)


def _culprits(
    found: Sequence[Violation],
    routes: Sequence[Route],
    pinned: set[tuple[str, Stop]],
    day: date,
) -> set[tuple[str, Stop]]:
    """The new stops of the day to drop for these violations: the stop the violation names
    on its route, else the route's last new stop; for a season rule, the day's new stop at
    the venue, or the day's last new stop showing the film."""
    culprits: set[tuple[str, Stop]] = set()
    new = [(r.truck_id, s) for r in routes for s in r.stops if (r.truck_id, s) not in pinned]
    for violation in found:
        if violation.day is not None and violation.day != day and violation.truck_id:
            continue
        named = [
            (t, s)
            for t, s in new
            if (violation.truck_id in (None, t))
            and (violation.venue_id is None or s.venue_id == violation.venue_id)
            and (
                violation.film_id is None
                or any(x.film_id == violation.film_id for x in s.screenings)
            )
        ]
        if named:
            culprits.add(named[-1])
    return culprits


def _without(
    problem: Problem,
    travel: TravelTimes,
    routes: Sequence[Route],
    culprits: set[tuple[str, Stop]],
) -> list[Route]:
    result = []
    for route in routes:
        kept = [stop for stop in route.stops if (route.truck_id, stop) not in culprits]
        if len(kept) == len(route.stops):
            result.append(route)
            continue
        timed = route_around(problem, travel, problem.truck(route.truck_id), route.day, kept)
        if timed is not None:
            result.append(timed)
    return result
