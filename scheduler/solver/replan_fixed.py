"""The fixed part of a re-planned day: each truck's stops that are done or in progress at
``now``, and the moment from which it may be given new work.

A stop is done or in progress when the truck has arrived (``arrival <= now``) or is driving
to it (the previous stop's departure, or the depot departure, is ``<= now``). These stops are
kept exactly, except where a disruption changes them:

- ``TruckDelayed``: the first thing of the in-progress stop not started at ``now`` (the
  arrival, else the next screening, else the departure) happens ``minutes`` later; what
  follows keeps its time when still reachable, else follows at once;
- ``VenueCancelled``: screenings not started at ``now`` are dropped; a stop with none started
  is dropped whole; ``VenueUnreachable``: a stop the truck has not reached is dropped;
- ``TruckBrokenDown``: screenings ending after ``at`` and stops reached after it are dropped;
- ``FilmWithdrawn``: screenings of the film starting at or after ``at`` (and after ``now``)
  are dropped.

Then the rules are re-checked on the truck-day (``checks.verify``): while a rule breaks
(silence, hours, darkness, the shift, ...) the last screening not started at ``now`` is
dropped (``LATE`` for a delayed truck, ``SHIFT_CUT`` for a cut shift).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from scheduler.checks import DAY_RULES, verify
from scheduler.disruptions import (
    Disruption,
    FilmWithdrawn,
    ShiftCut,
    Situation,
    TruckBrokenDown,
    TruckDelayed,
    VenueCancelled,
    VenueUnreachable,
)
from scheduler.domain import Plan, Problem, Route, Screening, Stop, Truck
from scheduler.errors import InvalidProblem
from scheduler.solver.matrix import hours_touched
from scheduler.solver.replan_drops import DropReason, Notes, local_time
from scheduler.solver.schedule import timed_route
from scheduler.travel import TravelTimes

__all__ = ["TruckStart", "fixed_parts", "route_around"]


@dataclass(frozen=True, slots=True)
class TruckStart:
    """Where a truck's re-planned day starts."""

    truck_id: str
    fixed: tuple[Stop, ...]
    """Done or in-progress stops, kept (shifted or trimmed by the disruptions)."""
    free_from: datetime
    """Nothing new is given to the truck before this moment."""
    left_depot: datetime | None = None
    """When the truck left its depot (``None``: not yet)."""


def route_around(
    problem: Problem, travel: TravelTimes, truck: Truck, day: date, stops: Sequence[Stop]
) -> Route | None:
    """The truck-day around stops whose times are set (``None`` without stops)."""
    if not stops:
        return None
    venues = [problem.venue(stop.venue_id).location for stop in stops]
    shift = truck.shift_on(day)
    hours = sorted(hours_touched(shift.start_min, shift.end_min))
    first_leg = float(travel.worst_matrix_min([truck.depot, venues[0]], hours)[0, 1])
    return timed_route(problem, travel, truck, day, venues, stops, first_leg)


def fixed_parts(
    problem: Problem, plan: Plan, situation: Situation, travel: TravelTimes, notes: Notes
) -> dict[str, TruckStart]:
    """Every truck's fixed stops on the situation's day and when it is free again."""
    day, now = situation.day, situation.now
    routes = {route.truck_id: route for route in plan.routes if route.day == day}
    delays = _delays(problem, situation, routes)
    starts = {}
    for truck in problem.trucks:
        route = routes.get(truck.id)
        if route is None:
            starts[truck.id] = TruckStart(truck.id, (), now)
            continue
        count = _fixed_count(route, now)
        stops = list(route.stops[:count])
        delay = timedelta(minutes=delays.get(truck.id, 0))
        if stops and delay and stops[-1].departure > now:
            stops[-1] = _delayed(stops[-1], delay, now, truck, problem.rules.screening_gap_min)
        stops = _trimmed(problem, situation, truck, day, stops, notes)
        stops = _checked(problem, situation, travel, truck, stops, notes, bool(delay))
        left = stops[-1].departure if stops else route.depot_departure
        if count == 0:
            free_from = max(now, route.depot_departure + delay)
        else:
            # a truck whose next kept place is gone turns back: as long again as it drove
            turned = len(stops) < count and now > left
            free_from = max(now, left) + (now - left if turned else timedelta())
        left_depot = route.depot_departure if count else None
        starts[truck.id] = TruckStart(truck.id, tuple(stops), free_from, left_depot)
    return starts


def _fixed_count(route: Route, now: datetime) -> int:
    """How many leading stops are done or in progress at ``now``."""
    count, left = 0, route.depot_departure
    for stop in route.stops:
        if stop.arrival <= now or left <= now:
            count += 1
            left = stop.departure
        else:
            break
    return count


def _delays(problem: Problem, situation: Situation, routes: dict[str, Route]) -> dict[str, int]:
    """Minutes late per truck (the largest reported); an arrival at a venue must name a
    stop of the truck's route that day."""
    delays: dict[str, int] = {}
    for i, disruption in enumerate(situation.disruptions):
        if not isinstance(disruption, TruckDelayed):
            continue
        minutes = disruption.minutes
        if disruption.arrival is not None:
            route = routes.get(disruption.truck_id)
            planned = [s for s in route.stops if s.venue_id == disruption.venue_id] if route else []
            if not planned:
                message = f"not on the route of {disruption.truck_id} on {situation.day}"
                raise InvalidProblem([(f"disruptions[{i}].venue_id", message)])
            late = (disruption.arrival - planned[0].arrival) / timedelta(minutes=1)
            minutes = max(0, round(late))
        if minutes:
            delays[disruption.truck_id] = max(delays.get(disruption.truck_id, 0), minutes)
    return delays


def _delayed(stop: Stop, delay: timedelta, now: datetime, truck: Truck, gap_min: int) -> Stop:
    """The stop with its first thing not started at ``now`` later by ``delay``, and what
    follows no earlier than it can (see the module docstring)."""
    pushed = stop.arrival > now
    arrival = stop.arrival + delay if pushed else stop.arrival
    ready = arrival + timedelta(minutes=truck.setup_min)
    gap = timedelta(minutes=gap_min)
    shows: list[Screening] = []
    for show in stop.screenings:
        if show.start <= now:
            shows.append(show)
            continue
        start = show.start if pushed else show.start + delay
        pushed = True
        start = max(start, ready, *(shows[-1].end + gap for _ in shows[-1:]))
        shows.append(Screening(show.film_id, start, start + (show.end - show.start)))
    departure = stop.departure if pushed else stop.departure + delay
    if shows:
        departure = max(departure, shows[-1].end + timedelta(minutes=truck.teardown_min))
    return Stop(stop.venue_id, arrival, departure, tuple(shows))


Drop = Callable[[Stop, Screening], bool]
"""Whether a disruption takes a screening of a fixed stop away."""


def _trimmed(
    problem: Problem,
    situation: Situation,
    truck: Truck,
    day: date,
    stops: list[Stop],
    notes: Notes,
) -> list[Stop]:
    """The fixed stops without what the disruptions take away from them."""
    for disruption in situation.disruptions:
        rule = _rule(problem, situation.now, truck, disruption)
        if rule is not None:
            gone, reason, why = rule
            stops = _without(problem, stops, gone, day, notes, reason, why, truck)
    return stops


def _rule(
    problem: Problem, now: datetime, truck: Truck, disruption: Disruption
) -> tuple[Drop, DropReason, str] | None:
    """What a disruption takes away from a truck's fixed stops, why, and in words."""
    if isinstance(disruption, VenueCancelled):
        venue_id = disruption.venue_id

        def cancelled(stop: Stop, show: Screening) -> bool:
            return stop.venue_id == venue_id and (
                show.start > now or all(x.start > now for x in stop.screenings)
            )

        why = f"{problem.venue(venue_id).name} is cancelled for the day"
        return cancelled, DropReason.VENUE_CANCELLED, why
    if isinstance(disruption, VenueUnreachable) and disruption.truck_id == truck.id:
        far = disruption.venue_id

        def unreachable(stop: Stop, _: Screening) -> bool:
            return stop.venue_id == far and stop.arrival > now

        why = f"{truck.name} cannot reach {problem.venue(far).name}"
        return unreachable, DropReason.UNREACHABLE, why
    if isinstance(disruption, TruckBrokenDown) and disruption.truck_id == truck.id:
        at = disruption.at

        def broken(stop: Stop, show: Screening) -> bool:
            return stop.arrival >= at or show.end > at

        return (
            broken,
            DropReason.TRUCK_BROKEN_DOWN,
            f"{truck.name} broke down at {local_time(problem, at)}",
        )
    if isinstance(disruption, FilmWithdrawn):
        film_id, since = disruption.film_id, disruption.at

        def withdrawn(_: Stop, show: Screening) -> bool:
            return show.film_id == film_id and show.start >= since and show.start > now

        why = f"'{problem.film(film_id).title}' is withdrawn"
        return withdrawn, DropReason.FILM_WITHDRAWN, why
    return None


def _without(
    problem: Problem,
    stops: list[Stop],
    gone: Drop,
    day: date,
    notes: Notes,
    reason: DropReason,
    why: str,
    truck: Truck,
) -> list[Stop]:
    """The stops without the screenings ``gone(stop, screening)`` picks (noted with the
    reason); a stop left without screenings is dropped, a shortened one leaves earlier."""
    kept = []
    for stop in stops:
        shows = []
        for show in stop.screenings:
            if gone(stop, show):
                notes.add(day, stop, show, reason, f"{_what(problem, stop, show, truck)}: {why}")
            else:
                shows.append(show)
        if shows:
            kept.append(_with_screenings(stop, shows, truck))
    return kept


def _what(problem: Problem, stop: Stop, show: Screening, truck: Truck) -> str:
    """The screening in words: film, venue, day, truck and time."""
    film, venue = problem.film(show.film_id), problem.venue(stop.venue_id)
    when = local_time(problem, show.start, with_date=True)
    return f"'{film.title}' at {venue.name} on {when} ({truck.name})"


def _with_screenings(stop: Stop, shows: Sequence[Screening], truck: Truck) -> Stop:
    if tuple(shows) == stop.screenings:
        return stop
    packed = shows[-1].end + timedelta(minutes=truck.teardown_min)
    return replace(stop, screenings=tuple(shows), departure=min(stop.departure, packed))


def _checked(
    problem: Problem,
    situation: Situation,
    travel: TravelTimes,
    truck: Truck,
    stops: list[Stop],
    notes: Notes,
    delayed: bool,
) -> list[Stop]:
    """Drop the last screenings not started at ``now`` while the truck-day breaks a rule."""
    day, now = situation.day, situation.now
    broken = any(
        isinstance(d, TruckBrokenDown) and d.truck_id == truck.id for d in situation.disruptions
    )
    cut = any(isinstance(d, ShiftCut) and d.truck_id == truck.id for d in situation.disruptions)
    if delayed:
        reason, why = DropReason.LATE, f"{truck.name} is running late and it would break "
    elif cut:
        reason, why = DropReason.SHIFT_CUT, "the driver's shift is cut and it would break "
    else:
        reason, why = DropReason.NO_LONGER_FITS, "it would break "
    while stops:
        route = route_around(problem, travel, truck, day, stops)
        assert route is not None
        plan = Plan(routes=(route,), unserved=(), objective=0.0)
        rules = DAY_RULES - ({"shift"} if broken else set())
        found = [v for v in verify(problem, plan, travel) if v.rule in rules]
        last = stops[-1]
        unstarted = [x for x in last.screenings if x.start > now]
        if not found or not unstarted:
            break
        show = unstarted[-1]
        names = ", ".join(sorted({v.rule for v in found}))
        message = f"{_what(problem, last, show, truck)}: {why}the rules ({names})"
        notes.add(day, last, show, reason, message)
        rest = [x for x in last.screenings if x != show]
        stops = stops[:-1] + ([_with_screenings(last, rest, truck)] if rest else [])
    return stops
