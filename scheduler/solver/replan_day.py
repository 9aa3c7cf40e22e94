"""The rest of one day, planned again: a one-day sub-problem solved with the engine's
``solve``, around the fixed stops.

The other days' visits become the sub-problem's rules: a venue at its visit limit elsewhere,
or within its gap of another visit, is not allowed that day; films it showed on another day
are excluded there; film caps shrink by the screenings elsewhere; a venue's priority is
scaled so that a visit is worth what it adds to the season (a repeat visit is worth less),
and raised for the venues the old plan visits that day or a request asks for
(``PROMISED_BONUS``).
Venues not visited by a fixed stop open no earlier than ``now`` plus a setup, a truck without
fixed stops starts its shift no earlier than its continuation time, and a film withdrawn
that day is not licensed in the sub-problem. The fixed stops (and the planner's pins of the
day that no disruption touches) are pinned. Afterwards, a new stop that starts before its
truck is free, or at a venue its truck cannot reach, is taken out.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

from scheduler.disruptions import Situation, VenueCancelled, VenueUnreachable
from scheduler.domain import (
    DayHours,
    DayShift,
    DayWindow,
    Film,
    PinnedStop,
    Pins,
    Problem,
    Route,
    Stop,
    Truck,
    Venue,
    truck_available_on,
)
from scheduler.solver.disrupt import clock_min, hard_ends
from scheduler.solver.replan_fixed import TruckStart, route_around
from scheduler.solver.replan_later import withdrawn_films
from scheduler.travel import TravelTimes

__all__ = [
    "PROMISED_BONUS",
    "day_problem",
    "done_before",
    "keep_possible",
    "old_remainder",
    "pins_of_day",
    "untouched",
]

PROMISED_BONUS = 1.0
"""How much more a venue the old plan visits that day is worth in the sub-problem: the
public was told about its screening, so the re-plan keeps it (on another truck, at another
time) rather than trade it for a venue of up to twice its value."""


def day_problem(
    problem: Problem,
    day: date,
    now: datetime,
    others: Sequence[Route],
    starts: Mapping[str, TruckStart],
    pinned: Iterable[PinnedStop],
    withdrawn: Mapping[str, datetime],
    promised: Collection[str] = (),
) -> Problem:
    """The sub-problem of the rest of ``day`` (see the module docstring); ``promised`` are
    the venues the old plan visits that day and the venues requested for it (their priority
    is raised by ``PROMISED_BONUS``)."""
    visits: dict[str, list[date]] = defaultdict(list)
    shown: dict[str, set[str]] = defaultdict(set)
    uses: Counter[str] = Counter()
    for route in others:
        for stop in route.stops:
            visits[stop.venue_id].append(route.day)
            for show in stop.screenings:
                shown[stop.venue_id].add(show.film_id)
                uses[show.film_id] += 1
    pins = list(pinned)
    pinned_venues = {pin.stop.venue_id for pin in pins}
    pinned_trucks = {pin.truck_id for pin in pins}
    setup = min((t.setup_min for t in problem.trucks), default=0)
    opens_min = math.ceil(clock_min(problem, day, now)) + setup
    venues = tuple(
        _venue(
            problem, venue, day, visits[venue.id], shown[venue.id], opens_min, venue.id in promised
        )
        if venue.id not in pinned_venues
        else replace(venue, excluded_film_ids=venue.excluded_film_ids | shown[venue.id])
        for venue in problem.venues
    )
    next_day = datetime(day.year, day.month, day.day, tzinfo=now.tzinfo) + timedelta(days=1)
    films = tuple(_film(film, day, uses[film.id], withdrawn, next_day) for film in problem.films)
    trucks = tuple(
        truck
        if not truck_available_on(truck, day)
        else _capped(problem, truck, day, starts[truck.id].left_depot)
        if truck.id in pinned_trucks
        else _truck(problem, truck, day, starts[truck.id].free_from)
        for truck in problem.trucks
    )
    return replace(problem, days=(day,), venues=venues, trucks=trucks, films=films)


def _venue(
    problem: Problem,
    venue: Venue,
    day: date,
    elsewhere: list[date],
    shown: set[str],
    opens_min: int,
    promised: bool,
) -> Venue:
    rules = problem.rules
    limit = venue.max_visits if venue.max_visits is not None else rules.max_visits
    gap = venue.gap_days(problem.rules)
    blocked = len(elsewhere) >= limit or any(abs((d - day).days) < gap for d in elsewhere)
    if blocked:
        return replace(venue, allowed_dates=frozenset())
    windows = tuple(
        DayWindow(max(w.start_min, opens_min), w.end_min)
        for w in venue.hours_on(day)
        if w.end_min > max(w.start_min, opens_min)
    )
    hours = DayHours(windows=windows, dates=frozenset({day}))
    return replace(
        venue,
        priority=venue.priority
        * rules.repeat_visit_factor ** len(elsewhere)
        * (1.0 + PROMISED_BONUS * promised),
        excluded_film_ids=venue.excluded_film_ids | shown,
        day_hours=(hours, *venue.day_hours),
        max_visits=1,
    )


def _film(
    film: Film, day: date, used: int, withdrawn: Mapping[str, datetime], next_day: datetime
) -> Film:
    if film.id in withdrawn and withdrawn[film.id] < next_day:
        return replace(film, licence_end=day - timedelta(days=1))
    if film.max_screenings is None or not used:
        return film
    return replace(film, max_screenings=max(0, film.max_screenings - used))


def _truck(problem: Problem, truck: Truck, day: date, free_from: datetime) -> Truck:
    """A truck without fixed stops: its shift opens no earlier than ``free_from``."""
    shift = truck.shift_on(day)
    start = max(shift.start_min, math.ceil(clock_min(problem, day, free_from)))
    if start == shift.start_min:
        return truck
    if start >= shift.end_min:
        return replace(truck, available_dates=frozenset())
    window = DayWindow(start, shift.end_min)
    rule = DayShift(window, dates=frozenset({day}), max_shift_min=truck.max_shift_on(day))
    return replace(truck, day_shifts=(rule, *truck.day_shifts))


def _capped(problem: Problem, truck: Truck, day: date, left_depot: datetime | None) -> Truck:
    """A truck that left its depot: back by the end of its longest day from then (the
    router counts the day from its continuation, not from the real departure)."""
    if left_depot is None:
        return truck
    shift = truck.shift_on(day)
    end = math.floor(clock_min(problem, day, left_depot)) + truck.max_shift_on(day)
    if end >= shift.end_min:
        return truck
    window = DayWindow(shift.start_min, max(shift.start_min, end))
    rule = DayShift(window, dates=frozenset({day}), max_shift_min=truck.max_shift_on(day))
    return replace(truck, day_shifts=(rule, *truck.day_shifts))


def pins_of_day(starts: Mapping[str, TruckStart], planner: Iterable[PinnedStop], day: date) -> Pins:
    """The sub-problem's pins: each truck's last fixed stop (where it continues from; the
    stops before it are done and count as visits of the day) and the planner's pins of
    the day at venues no fixed stop visits."""
    found = [PinnedStop(s.truck_id, day, s.fixed[-1]) for s in starts.values() if s.fixed]
    venues = {stop.venue_id for s in starts.values() for stop in s.fixed}
    for pin in planner:
        if pin.stop.venue_id not in venues:
            found.append(pin)
            venues.add(pin.stop.venue_id)
    return Pins(stops=tuple(found))


def done_before(starts: Mapping[str, TruckStart], day: date) -> list[Route]:
    """The fixed stops before each truck's last one, as routes (their times do not matter
    here: they count as the day's visits in the sub-problem)."""
    return [
        Route(s.truck_id, day, s.free_from, s.free_from, s.fixed[:-1])
        for s in starts.values()
        if len(s.fixed) > 1
    ]


def keep_possible(
    problem: Problem,
    travel: TravelTimes,
    routes: Iterable[Route],
    starts: Mapping[str, TruckStart],
    pinned: Collection[tuple[str, Stop]],
    unreachable: Collection[tuple[str, str]],
    day: date,
) -> list[Route]:
    """The day's routes with every truck's fixed stops, without new stops that start before
    their truck is free or visit a venue the truck cannot reach (re-timed around what is
    left)."""
    result = []
    routed = {route.truck_id for route in routes}
    alone = [
        Route(s.truck_id, day, s.free_from, s.free_from, ())
        for s in starts.values()
        if s.fixed and s.truck_id not in routed
    ]
    for route in [*routes, *alone]:
        start = starts.get(route.truck_id)
        free_from = start.free_from if start is not None else None
        before = [stop for stop in (start.fixed[:-1] if start else ()) if stop not in route.stops]
        route = replace(route, stops=(*before, *route.stops))
        if start is not None and start.fixed and start.fixed[-1] not in route.stops:
            route = replace(route, stops=(*route.stops, start.fixed[-1]))
        kept = [
            stop
            for stop in route.stops
            if (route.truck_id, stop) in pinned
            or (
                (free_from is None or stop.arrival >= free_from)
                and (route.truck_id, stop.venue_id) not in unreachable
            )
        ]
        if len(kept) == len(route.stops) and not before:
            result.append(route)
            continue
        kept.sort(key=lambda stop: stop.arrival)
        truck = problem.truck(route.truck_id)
        timed = route_around(problem, travel, truck, route.day, kept)
        if timed is not None:
            result.append(timed)
    return result


def untouched(
    problem: Problem, situation: Situation, starts: Mapping[str, TruckStart]
) -> Callable[[str, Stop], bool]:
    """Whether a planned stop of a truck on the day still holds: it starts after the truck
    is free and no disruption touches it (venue cancelled or unreachable, a screening of a
    withdrawn film, past the truck's breakdown or cut shift)."""
    cancelled = {d.venue_id for d in situation.disruptions if isinstance(d, VenueCancelled)}
    unreachable = {
        (d.truck_id, d.venue_id) for d in situation.disruptions if isinstance(d, VenueUnreachable)
    }
    ends = hard_ends(problem, situation)
    withdrawn = withdrawn_films(situation.disruptions)

    def holds(truck_id: str, stop: Stop) -> bool:
        return (
            truck_id in starts
            and stop.arrival >= starts[truck_id].free_from
            and stop.venue_id not in cancelled
            and (truck_id, stop.venue_id) not in unreachable
            and (truck_id not in ends or stop.departure <= ends[truck_id])
            and not any(
                x.film_id in withdrawn and x.start >= withdrawn[x.film_id] for x in stop.screenings
            )
        )

    return holds


def old_remainder(
    problem: Problem,
    travel: TravelTimes,
    old_day: Iterable[Route],
    starts: Mapping[str, TruckStart],
    holds: Callable[[str, Stop], bool],
) -> list[Route]:
    """The old plan of the day as far as it still holds: each truck's fixed stops, then its
    planned stops that still hold, at their planned times."""
    routes = []
    planned = {route.truck_id: route for route in old_day}
    for truck in problem.trucks:
        start = starts.get(truck.id)
        fixed = list(start.fixed) if start is not None else []
        route = planned.get(truck.id)
        later = [s for s in route.stops if holds(truck.id, s)] if route is not None else []
        stops = [*fixed, *(s for s in later if not fixed or s.arrival >= fixed[-1].departure)]
        day = route.day if route is not None else None
        if stops and day is not None:
            timed = route_around(problem, travel, truck, day, stops)
            if timed is not None:
                routes.append(timed)
    return routes
