"""Re-timing a route after a hand edit: the earliest times for a given stop order and films.

The truck leaves its depot no earlier than its shift opens. At each stop, in order, it
arrives after the real drive (``TravelTimes`` at the real departure, with a driver's break
when the rest rule needs one), sets up, and starts each screening at the earliest minute the
venue's hours, darkness (a projector truck, civil dusk from ``scheduler.sun``), the morning
end of the silence law, the late-rating hour and the gap after the previous screening
allow. A truck arrives just in time for that first screening rather than waiting on site
(a truck without a pass also waits outside the Third Ring until the ban ends). Depot
departure, declared breaks and depot return come from ``schedule.timed_route``, the same
function the season planner uses.

Re-timing does not make a route valid: ``checks.verify`` gives the verdict.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from scheduler.domain import (
    Film,
    Location,
    Problem,
    Route,
    Rules,
    Screening,
    ScreenType,
    Stop,
    Truck,
    Venue,
)
from scheduler.errors import InvalidProblem
from scheduler.solver.matrix import hours_touched
from scheduler.solver.pins import local_midnight, minutes_after
from scheduler.solver.rest import RestRule
from scheduler.solver.schedule import timed_route
from scheduler.sun import dusk_min
from scheduler.travel import TravelTimes

__all__ = ["retime_route"]


def retime_route(problem: Problem, route: Route, travel: TravelTimes) -> Route:
    """The route with the earliest feasible times for its stops in their order, with the
    same films in the same order at each stop (see the module docstring).

    Raises ``InvalidProblem`` for an unknown truck, venue or film, naming the field
    (``route.truck_id``, ``route.stops[1].venue_id``,
    ``route.stops[1].screenings[0].film_id``). A route without stops is returned as it is.
    """
    truck, venues, films = _resolve(problem, route)
    if not route.stops:
        return route
    shift = truck.shift_on(route.day)
    first_leg = float(
        travel.worst_matrix_min(
            [truck.depot, venues[0].location],
            sorted(hours_touched(shift.start_min, shift.end_min)),
        )[0, 1]
    )
    timing = _Timing(problem, travel, _Day(problem.rules, route.day, truck), first_leg)
    opens = shift.start_min
    earliest, misfits = timing.forward(venues, films, opens)
    # leave the depot as late as keeps the earliest finish (and every screening that fitted
    # its window still fitting): the shortest shift with that finish
    finish = earliest[-1].departure
    lo, hi = 0, max(0, math.floor(minutes_after(timing.day.at(opens), finish)))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        stops, found = timing.forward(venues, films, opens + mid)
        if stops[-1].departure <= finish and found <= misfits:
            lo = mid
        else:
            hi = mid - 1
    stops = timing.forward(venues, films, opens + lo)[0] if lo else earliest
    locations = [venue.location for venue in venues]
    return timed_route(problem, travel, truck, route.day, locations, stops, first_leg)


def _resolve(problem: Problem, route: Route) -> tuple[Truck, list[Venue], list[list[Film]]]:
    """The route's truck, venues and films, or ``InvalidProblem`` naming the unknown ids."""
    trucks = {t.id: t for t in problem.trucks}
    venues = {v.id: v for v in problem.venues}
    films = {f.id: f for f in problem.films}
    found: list[tuple[str, str]] = []
    if route.truck_id not in trucks:
        found.append(("route.truck_id", f"no truck '{route.truck_id}' in the problem"))
    for s, stop in enumerate(route.stops):
        if stop.venue_id not in venues:
            found.append((f"route.stops[{s}].venue_id", f"no venue '{stop.venue_id}'"))
        for k, screening in enumerate(stop.screenings):
            if screening.film_id not in films:
                where = f"route.stops[{s}].screenings[{k}].film_id"
                found.append((where, f"no film '{screening.film_id}'"))
    if found:
        raise InvalidProblem(found)
    return (
        trucks[route.truck_id],
        [venues[stop.venue_id] for stop in route.stops],
        [[films[x.film_id] for x in stop.screenings] for stop in route.stops],
    )


def _first_arrival(
    travel: TravelTimes, depot: Location, venue: Venue, opens: datetime, pause_min: float
) -> datetime:
    """The earliest arrival at the first stop when the truck may not leave before ``opens``:
    the drive is timed at the departure it will really have (``timed_route`` leaves the
    depot as late as the arrival allows)."""
    arrival = opens + timedelta(
        minutes=pause_min + travel.duration_min(depot, venue.location, opens)
    )
    for _ in range(3):
        leave = arrival - timedelta(minutes=pause_min)
        drive = travel.duration_min(depot, venue.location, leave)
        if leave - timedelta(minutes=drive) >= opens:
            break
        arrival = opens + timedelta(minutes=pause_min + drive)
    return arrival


@dataclass(frozen=True, slots=True)
class _Timing:
    """The forward pass: every stop at its earliest after a depot departure."""

    problem: Problem
    travel: TravelTimes
    day: _Day
    first_leg_min: float
    """A conservative drive to the first stop (it decides a break on the first drive)."""

    def forward(
        self, venues: Sequence[Venue], films: Sequence[Sequence[Film]], leave_min: int
    ) -> tuple[list[Stop], int]:
        """The stops at their earliest when the truck leaves the depot no earlier than
        ``leave_min``, and how many screenings miss their window (hours, silence, zone)."""
        rest, truck = RestRule.of(self.problem), self.day.truck
        stops: list[Stop] = []
        misfits = 0
        leave = self.day.at(leave_min)
        place: Location = truck.depot
        for i, venue in enumerate(venues):
            drive = self.travel.duration_min(place, venue.location, leave)
            if i == 0:
                pause = rest.first_pause_min(self.first_leg_min, truck.setup_min)
                earliest = _first_arrival(self.travel, place, venue, leave, pause)
                stop, missed = self.day.visit(venue, films[i], earliest)
            else:
                stop, missed = self.day.visit(venue, films[i], leave + timedelta(minutes=drive))
                idle = minutes_after(leave, stop.arrival) - drive
                pause = _pause_min(rest, truck, stops[-1], leave, drive, stop.arrival)
                if idle < pause:
                    earliest = leave + timedelta(minutes=drive + pause)
                    stop, missed = self.day.visit(venue, films[i], earliest)
            stops.append(stop)
            misfits += missed
            leave, place = stop.departure, venue.location
        return stops, misfits


def _pause_min(
    rest: RestRule, truck: Truck, previous: Stop, leave: datetime, drive: float, arrive: datetime
) -> int:
    """Break minutes a drive between two stops needs before the next setup, as the season
    planner reserves them (``RestRule``)."""
    if rest.screenings_rest:
        needed = rest.leg_break(leave, drive, arrive, truck.teardown_min, truck.setup_min)
        return rest.break_min if needed else 0
    before = rest.stop_tail_min(previous, truck.setup_min, truck.teardown_min)
    return rest.arc(before, drive, truck.setup_min, True)[1]


@dataclass(frozen=True, slots=True)
class _Day:
    """One truck's day: clock minutes and the earliest start of each screening."""

    rules: Rules
    day: date
    truck: Truck

    def at(self, minutes: float) -> datetime:
        return local_midnight(self.day, self.rules.timezone) + timedelta(minutes=minutes)

    def minute(self, moment: datetime) -> int:
        """Whole minutes from midnight, rounded up."""
        return math.ceil(minutes_after(self.at(0), moment) - 1e-9)

    def visit(self, venue: Venue, films: Sequence[Film], earliest: datetime) -> tuple[Stop, int]:
        """The stop at its earliest (arrive, set up, screen, tear down), and how many of its
        screenings miss their window."""
        arrival = self.minute(earliest)
        stop, missed = self._programme(venue, films, arrival)
        if self._in_ttk_ban(venue, stop):
            later = max(arrival, self.rules.ttk_ban_end_min)
            stop, missed = self._programme(venue, films, later)
            missed += self._in_ttk_ban(venue, stop)
        return stop, missed

    def _programme(self, venue: Venue, films: Sequence[Film], arrival: int) -> tuple[Stop, int]:
        truck, rules = self.truck, self.rules
        ready = arrival + truck.setup_min
        longest = max((film.runtime_min for film in films), default=0)
        gap = RestRule.of_rules(rules).gap_min(
            truck.setup_min, len(films), longest, truck.teardown_min
        )
        gap = rules.screening_gap_min if gap is None else gap
        screenings: list[tuple[int, int]] = []
        missed = 0
        for film in films:
            start, fits = self._earliest_start(venue, film, ready)
            screenings.append((start, start + film.runtime_min))
            ready = start + film.runtime_min + gap
            missed += not fits
        if screenings:
            arrival = max(arrival, screenings[0][0] - truck.setup_min)
            departure = screenings[-1][1] + truck.teardown_min
        else:
            departure = arrival + truck.setup_min + truck.teardown_min
        shows = tuple(
            Screening(film.id, self.at(start), self.at(end))
            for film, (start, end) in zip(films, screenings, strict=True)
        )
        return Stop(venue.id, self.at(arrival), self.at(departure), shows), missed

    def _earliest_start(self, venue: Venue, film: Film, ready: int) -> tuple[int, bool]:
        """The earliest start from ``ready`` on, and whether the film fits there (inside the
        venue's hours and, at a residential venue, before the silence law's limit)."""
        rules = self.rules
        start = ready
        if film.rating >= rules.late_rating:
            start = max(start, rules.late_rating_after_min)
        if self.truck.screen is ScreenType.PROJECTOR:
            dusk = dusk_min(self.day, venue.location, rules.timezone)
            if dusk is not None:
                start = max(start, dusk)
        if venue.residential:
            start = max(start, rules.silence_end_min)
        for window in sorted(venue.hours_on(self.day), key=lambda w: w.start_min):
            end = window.end_min
            if venue.residential:
                end = min(end, rules.silence_start_min)
            opens = max(start, window.start_min)
            if opens + film.runtime_min <= end:
                return opens, True
        return start, False

    def _in_ttk_ban(self, venue: Venue, stop: Stop) -> bool:
        """A truck without a pass stands inside the Third Ring during the day's ban."""
        if not venue.inside_ttk or self.truck.has_ttk_pass:
            return False
        ban_from, ban_to = (
            self.at(self.rules.ttk_ban_start_min),
            self.at(self.rules.ttk_ban_end_min),
        )
        return stop.arrival < ban_to and stop.departure > ban_from
