"""The disrupted problem fitted to what a re-plan keeps.

``fitted`` relaxes the rules ``disrupt.apply_disruptions`` wrote just enough for the stops
done or in progress to keep them: a cut, broken-down or delayed truck's shift that day ends,
and its longest day lasts, no earlier than its kept stops need; a cancelled venue with a
screening running at ``now`` closes when it ends; a film withdrawn stays licensed on the
days it was already shown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime

from scheduler.disruptions import Situation, VenueCancelled
from scheduler.domain import (
    DayHours,
    DayShift,
    DayWindow,
    Film,
    Plan,
    Problem,
    Route,
    Stop,
    Truck,
    Venue,
    truck_available_on,
)
from scheduler.solver.disrupt import ahead, clock_min
from scheduler.solver.replan_fixed import TruckStart, route_around
from scheduler.travel import TravelTimes

__all__ = ["fitted"]


def fitted(
    applied: Problem,
    plan: Plan,
    situation: Situation,
    starts: Mapping[str, TruckStart],
    travel: TravelTimes,
) -> Problem:
    """The disrupted problem, relaxed just enough for what is kept: a cut or delayed
    truck's shift ends when its kept stops are back, a cancelled venue closes when its
    running screening ends, a withdrawn film stays licensed on the days it was shown."""
    day = situation.day
    trucks = [_long_enough(applied, travel, t, day, starts[t.id].fixed) for t in applied.trucks]
    cancelled = {d.venue_id for d in situation.disruptions if isinstance(d, VenueCancelled)}
    kept_ends = {
        stop.venue_id: stop.screenings[-1].end
        for start in starts.values()
        for stop in start.fixed
        if stop.venue_id in cancelled
    }
    venues = [
        _closed_after(applied, venue, day, kept_ends[venue.id]) if venue.id in kept_ends else venue
        for venue in applied.venues
    ]
    kept = [r for r in plan.routes if r.day < day]
    kept += [Route(s.truck_id, day, s.free_from, s.free_from, s.fixed) for s in starts.values()]
    films = [_licensed_while_shown(film, kept) for film in applied.films]
    return replace(applied, trucks=tuple(trucks), venues=tuple(venues), films=tuple(films))


def _licensed_while_shown(film: Film, kept: Sequence[Route]) -> Film:
    """The film with its licence lasting at least to the last day it is shown in ``kept``
    (a withdrawal does not reach back to screenings already done)."""
    if film.licence_end is None:
        return film
    shown = [r.day for r in kept for s in r.stops for x in s.screenings if x.film_id == film.id]
    last = max(shown, default=film.licence_end)
    return replace(film, licence_end=last) if last > film.licence_end else film


def _long_enough(
    problem: Problem, travel: TravelTimes, truck: Truck, day: date, fixed: Sequence[Stop]
) -> Truck:
    """The truck with its shift on ``day`` ending, and its longest day lasting, no earlier
    than its kept stops need (a delay or a cut shift may leave them past either)."""
    if fixed and not truck_available_on(truck, day):  # cut before its shift, yet out
        assert truck.available_dates is not None
        truck = replace(truck, available_dates=truck.available_dates | {day})
    route = route_around(problem, travel, truck, day, fixed)
    if route is None:
        return truck
    shift, longest = truck.shift_on(day), truck.max_shift_on(day)
    back = math.ceil(clock_min(problem, day, route.depot_return) - 1e-9)
    length = math.ceil(route.shift_min - 1e-9)
    if back <= shift.end_min and length <= longest:
        return truck
    window = DayWindow(shift.start_min, max(shift.end_min, back))
    rule = DayShift(window, dates=frozenset({day}), max_shift_min=max(longest, length))
    return replace(truck, day_shifts=ahead(truck.day_shifts, rule, day))


def _closed_after(problem: Problem, venue: Venue, day: date, end: datetime) -> Venue:
    """A cancelled venue (its closing rule first) that stays open until ``end``, when the
    screening running at the cancellation ends."""
    before = replace(venue, day_hours=venue.day_hours[1:])
    end_min = math.ceil(clock_min(problem, day, end) - 1e-9)
    windows = tuple(
        DayWindow(w.start_min, min(w.end_min, end_min))
        for w in before.hours_on(day)
        if w.start_min < end_min
    )
    rule = DayHours(windows, dates=frozenset({day}))
    return replace(venue, day_hours=ahead(before.day_hours, rule, day))
