"""Hand edits of a plan, each with the validator's verdict: move a stop, swap a film.

An edit changes one or two truck-days and re-times them (``solver.retime_route``: the
earliest times for the new stop order and films, drives with the real travel times, breaks
where the rest rule needs them). The whole plan's statistics and objective are recomputed
(``scoring.plan_stats``), served venues leave the unserved list, and the whole plan is
re-checked with ``checks.verify``. An edit that breaks a rule is not refused: the
violations say which rule, where.

Bad arguments (an unknown truck, a truck-day without a route, a venue not on that route, a
position or screening index out of range, an unknown film) raise ``InvalidProblem`` naming
the argument (``to_position``, ``screening_index``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduler.checks import Violation, verify
from scheduler.domain import Plan, Problem, Route
from scheduler.errors import InvalidProblem
from scheduler.scoring import plan_stats, with_bound
from scheduler.solver import retime_route
from scheduler.travel import OfflineTravelTimes, TravelTimes

__all__ = ["EditOutcome", "move_stop", "swap_film"]

TruckDay = tuple[str, date]


@dataclass(frozen=True, slots=True)
class EditOutcome:
    """A plan after a hand edit, and the validator's verdict on it."""

    plan: Plan
    """The whole plan with the edit applied and the affected routes re-timed."""
    violations: list[Violation]
    """``verify`` of the whole new plan; empty when every rule holds."""
    changed: tuple[TruckDay, ...]
    """``(truck_id, day)`` of the routes that changed (a route emptied by a move is gone)."""


def move_stop(
    problem: Problem,
    plan: Plan,
    *,
    truck_id: str,
    day: date,
    venue_id: str,
    to_truck_id: str,
    to_day: date,
    to_position: int,
    travel: TravelTimes | None = None,
) -> EditOutcome:
    """Move the stop at ``venue_id`` from the route of ``truck_id`` on ``day`` to position
    ``to_position`` of the route of ``to_truck_id`` on ``to_day``, with its films.

    ``to_position`` is the stop's index in the target route after the move (0 first; for a
    move within one route, counted without the stop itself). A target truck-day without a
    route gets a new one from the truck's depot; a route left without stops is removed.
    """
    travel = travel or OfflineTravelTimes()
    source = _route(problem, plan, truck_id, day)
    index = _stop_index(source, venue_id)
    if to_truck_id not in {t.id for t in problem.trucks}:
        raise InvalidProblem([("to_truck_id", f"no truck '{to_truck_id}' in the problem")])
    if to_day not in problem.days:
        raise InvalidProblem([("to_day", f"{to_day} is not a day of the season")])
    stop = source.stops[index]
    left = source.stops[:index] + source.stops[index + 1 :]
    source_key, target_key = (truck_id, day), (to_truck_id, to_day)
    updates: dict[TruckDay, Route | None] = {}
    if target_key == source_key:
        target = replace(source, stops=left)
    else:
        target = _routes(plan).get(target_key) or _new_route(problem, to_truck_id, to_day)
        updates[source_key] = (
            retime_route(problem, replace(source, stops=left), travel) if left else None
        )
    if not 0 <= to_position <= len(target.stops):
        raise InvalidProblem(
            [("to_position", f"must be 0 to {len(target.stops)} on {to_truck_id} on {to_day}")]
        )
    stops = (*target.stops[:to_position], stop, *target.stops[to_position:])
    updates[target_key] = retime_route(problem, replace(target, stops=stops), travel)
    return _outcome(problem, plan, updates, travel)


def swap_film(
    problem: Problem,
    plan: Plan,
    *,
    truck_id: str,
    day: date,
    venue_id: str,
    screening_index: int,
    film_id: str,
    travel: TravelTimes | None = None,
) -> EditOutcome:
    """Show ``film_id`` in screening ``screening_index`` (0 first) of the stop at
    ``venue_id`` on the route of ``truck_id`` on ``day``; the route is re-timed."""
    travel = travel or OfflineTravelTimes()
    route = _route(problem, plan, truck_id, day)
    index = _stop_index(route, venue_id)
    stop = route.stops[index]
    if not 0 <= screening_index < len(stop.screenings):
        raise InvalidProblem(
            [("screening_index", f"must be 0 to {len(stop.screenings) - 1} at {venue_id}")]
        )
    films = {f.id: f for f in problem.films}
    if film_id not in films:
        raise InvalidProblem([("film_id", f"no film '{film_id}' in the problem")])
    old = stop.screenings[screening_index]
    new = replace(
        old, film_id=film_id, end=old.start + timedelta(minutes=films[film_id].runtime_min)
    )
    screenings = (*stop.screenings[:screening_index], new, *stop.screenings[screening_index + 1 :])
    stops = (*route.stops[:index], replace(stop, screenings=screenings), *route.stops[index + 1 :])
    edited = retime_route(problem, replace(route, stops=stops), travel)
    return _outcome(problem, plan, {(truck_id, day): edited}, travel)


def _routes(plan: Plan) -> dict[TruckDay, Route]:
    found: dict[TruckDay, Route] = {}
    for route in plan.routes:
        found.setdefault((route.truck_id, route.day), route)
    return found


def _route(problem: Problem, plan: Plan, truck_id: str, day: date) -> Route:
    if truck_id not in {t.id for t in problem.trucks}:
        raise InvalidProblem([("truck_id", f"no truck '{truck_id}' in the problem")])
    route = _routes(plan).get((truck_id, day))
    if route is None:
        raise InvalidProblem([("day", f"the plan has no route of {truck_id} on {day}")])
    return route


def _stop_index(route: Route, venue_id: str) -> int:
    for i, stop in enumerate(route.stops):
        if stop.venue_id == venue_id:
            return i
    raise InvalidProblem(
        [("venue_id", f"no stop at '{venue_id}' on {route.truck_id}'s route on {route.day}")]
    )


def _new_route(problem: Problem, truck_id: str, day: date) -> Route:
    """An empty route of a truck-day (its times are set when it is re-timed)."""
    opens = datetime.combine(day, time(), tzinfo=ZoneInfo(problem.rules.timezone))
    opens += timedelta(minutes=problem.truck(truck_id).shift_on(day).start_min)
    return Route(truck_id, day, opens, opens, ())


def _outcome(
    problem: Problem, plan: Plan, updates: dict[TruckDay, Route | None], travel: TravelTimes
) -> EditOutcome:
    """The plan with ``updates`` (None: the route is gone), its stats and its verdict."""
    before = _routes(plan)
    routes = [route for route in plan.routes if (route.truck_id, route.day) not in updates]
    routes.extend(route for route in updates.values() if route is not None)
    routes.sort(key=lambda route: (route.day, route.truck_id))
    changed = tuple(key for key, route in updates.items() if before.get(key) != route)
    served = {stop.venue_id for route in routes for stop in route.stops}
    unserved = tuple(entry for entry in plan.unserved if entry.venue_id not in served)
    draft = Plan(tuple(routes), unserved, 0.0)
    stats = with_bound(plan_stats(problem, draft, travel, plan.stats.solve_s), plan.stats.bound)
    edited = replace(draft, objective=stats.value, stats=stats)
    return EditOutcome(edited, verify(problem, edited, travel), changed)
