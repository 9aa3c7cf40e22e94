"""Exact one-stop routes: depot -> venue -> depot on one truck-day, at real times.

The router and the conservative reasons reserve slots and take each drive at the slowest
hour it could start in, so they can call a venue unservable that a planner serves by hand.
``OneStopSearch.find(venue, truck, day)`` answers exactly, to the minute: is there a
one-stop route with one screening that passes every rule?

For a film (the shortest the venue may show on the day: a shorter film never makes a rule
harder), every whole minute at which its screening could start is tried at once (numpy
arrays over the start minute ``s``):

1. the rules on the screening itself: the day's hours (``Venue.hours_on``), darkness for a
   projector (civil dusk to the next dawn), the silence law, the late-rating hour;
2. for each rest pattern (nothing, a break's wait, or the rest of a short show's break
   between setup and the show; with the stop in one stretch of work, a rest right after
   teardown or the drive back first): the latest depot departure (drives by departure hour
   from the travel provider) that reaches the venue in time with the fewest breaks in the
   drive, placed as late as the work after arrival allows; the breaks the drive back needs;
   the day's shift window and length (``Truck.shift_on``, ``Truck.max_shift_on``) and the
   truck zone.

The first start that passes becomes a ``Route`` with declared breaks, and is re-checked with
``checks.verify`` on that venue alone: a provider whose times vary inside an hour can make
the search miss a route, never return a wrong one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import numpy as np

from scheduler.checks import verify
from scheduler.domain import (
    Break,
    Film,
    Location,
    Plan,
    Problem,
    Route,
    Screening,
    Stop,
    Truck,
    Venue,
)
from scheduler.solver.pins import local_midnight
from scheduler.solver.windows import TruckClass, intersect, start_rules
from scheduler.travel import TravelTimes

__all__ = ["OneStop", "OneStopSearch", "usable_films"]

_NONE = -(10**7)
"""No departure reaches the venue in time."""
_EPS = 1e-6
RETRIES = 4
"""Starts re-checked with ``verify`` per rest pattern before giving up on it."""


@dataclass(frozen=True, slots=True)
class OneStop:
    """A one-stop route that passes ``verify``, its film, and its minutes of driving."""

    route: Route
    film: Film
    drive_min: float


def usable_films(problem: Problem, venue: Venue, day: date) -> list[Film]:
    """Films ``verify`` accepts at ``venue`` on ``day`` in a one-screening stop."""
    return [
        f
        for f in problem.films
        if f.may_be_shown
        and f.licensed_on(day)
        and f.rating <= venue.max_rating
        and f.id not in venue.excluded_film_ids
        and (f.max_screenings is None or f.max_screenings > 0)
    ]


def _shortest(films: Iterable[Film], late_rating: int) -> list[Film]:
    """The shortest film, and the shortest late-rated one if it is shorter still."""
    plain = [f for f in films if f.rating < late_rating]
    late = [f for f in films if f.rating >= late_rating]
    best: list[Film] = []
    if plain:
        best.append(min(plain, key=lambda f: (f.runtime_min, f.id)))
    if late:
        film = min(late, key=lambda f: (f.runtime_min, f.id))
        if not best or film.runtime_min < best[0].runtime_min:
            best.append(film)
    return best


@dataclass(frozen=True, slots=True)
class _Pattern:
    """Where the driver rests around the stop."""

    wait_min: int
    """Idle minutes between the end of setup and the show."""
    keep_back: bool
    """With the stop in one stretch of work: drive back as far as allowed before a break
    (else rest right after teardown)."""


@dataclass(frozen=True, slots=True)
class _Timing:
    """Arrays over the candidate starts of one pattern (see ``OneStopSearch._timing``)."""

    ok: np.ndarray
    depart: np.ndarray
    drive_out: np.ndarray
    breaks_out: np.ndarray
    last_piece: np.ndarray
    tail_before_back: np.ndarray


class OneStopSearch:
    """Exact one-stop routes for a problem, remembered by (venue, truck, day, films)."""

    def __init__(self, problem: Problem, travel: TravelTimes) -> None:
        self.problem = problem
        self.travel = travel
        self.rules = problem.rules
        self._drives: dict[tuple[Location, Location, date, int], float] = {}
        self._found: dict[tuple[str, str, date, tuple[str, ...]], OneStop | None] = {}
        self._extremes: dict[tuple[Location, Location], tuple[float, float]] = {}

    def find(
        self, venue: Venue, truck: Truck, day: date, films: Sequence[Film] | None = None
    ) -> OneStop | None:
        """A one-stop route serving ``venue`` with ``truck`` on ``day`` (one of ``films``,
        by default every film it may show), or ``None`` when none passes the rules."""
        usable = usable_films(self.problem, venue, day)
        if films is not None:
            allowed = {f.id for f in films}
            usable = [f for f in usable if f.id in allowed]
        candidates = _shortest(usable, self.rules.late_rating)
        key = (venue.id, truck.id, day, tuple(f.id for f in candidates))
        if key not in self._found:
            self._found[key] = self._search(venue, truck, day, candidates)
        return self._found[key]

    def fastest_round_trip_min(self, venue: Venue, truck: Truck, day: date) -> float:
        """The shortest drive there plus the shortest drive back, over departure hours."""
        there = self._fastest_slowest(truck.depot, venue.location, day)[0]
        back = self._fastest_slowest(venue.location, truck.depot, day)[0]
        return there + back

    # --- the search ---------------------------------------------------------------------

    def _search(self, venue: Venue, truck: Truck, day: date, films: list[Film]) -> OneStop | None:
        for film in films:
            starts = self._starts(venue, truck, day, film)
            if starts.size == 0:
                continue
            for pattern in self._patterns(film):
                found = self._try(venue, truck, day, film, starts, pattern)
                if found is not None:
                    return found
        return None

    def _patterns(self, film: Film) -> list[_Pattern]:
        rest = self.rules.break_min
        waits = {0, rest}
        if self.rules.screening_is_driver_rest and film.runtime_min < rest:
            waits.add(rest - film.runtime_min)
        return [_Pattern(w, keep) for w in sorted(waits) for keep in (True, False)]

    def _starts(self, venue: Venue, truck: Truck, day: date, film: Film) -> np.ndarray:
        """Whole minutes at which the screening may start by the rules on the screening and
        a first bound from the shift (the fastest drives there and back)."""
        rules, run = self.rules, film.runtime_min
        # hours, darkness and silence as the router reads them; the truck zone is checked
        # later at the exact drive times (``_timing``)
        window = start_rules(venue, TruckClass.of(truck), day, run, rules)
        allowed = intersect(intersect(window.hours, window.darkness), window.silence)
        if film.rating >= rules.late_rating:
            allowed = intersect(allowed, [(rules.late_rating_after_min, 10_000)])
        if not allowed:
            return np.empty(0, dtype=np.int64)
        shift = truck.shift_on(day)
        there = self._fastest_slowest(truck.depot, venue.location, day)[0]
        back = self._fastest_slowest(venue.location, truck.depot, day)[0]
        on_site = truck.setup_min + run + truck.teardown_min
        if there + on_site + back > truck.max_shift_on(day) + _EPS:
            return np.empty(0, dtype=np.int64)
        lo = math.ceil(shift.start_min + there + truck.setup_min - _EPS)
        hi = math.floor(shift.end_min - back - run - truck.teardown_min + _EPS)
        allowed = intersect(allowed, [(lo, hi)]) if lo <= hi else []
        if not allowed:
            return np.empty(0, dtype=np.int64)
        return np.concatenate([np.arange(a, b + 1, dtype=np.int64) for a, b in allowed])

    def _try(
        self,
        venue: Venue,
        truck: Truck,
        day: date,
        film: Film,
        starts: np.ndarray,
        pattern: _Pattern,
    ) -> OneStop | None:
        timing = self._timing(venue, truck, day, film, starts, pattern)
        if timing is None:
            return None
        for index in np.flatnonzero(timing.ok)[:RETRIES]:
            route = self._route(venue, truck, day, film, starts, pattern, timing, int(index))
            if route is None:
                continue
            sub = replace(self.problem, venues=(venue,))
            if not verify(sub, Plan((route,), (), 0.0), self.travel):
                stop = route.stops[0]
                drive = self.travel.duration_min(
                    truck.depot, venue.location, route.depot_departure
                ) + self.travel.duration_min(venue.location, truck.depot, stop.departure)
                return OneStop(route, film, drive)
        return None

    def _middle(self, film: Film, truck: Truck, pattern: _Pattern) -> tuple[bool, int, int]:
        """Whether the driver rests at the stop, the work before that rest (or the whole
        stop) and the work after it."""
        rules, run = self.rules, film.runtime_min
        setup, teardown, rest = truck.setup_min, truck.teardown_min, rules.break_min
        if rules.screening_is_driver_rest:
            if pattern.wait_min + run >= rest:
                return True, setup, teardown
        elif pattern.wait_min >= rest:
            return True, setup, run + teardown
        whole = setup + pattern.wait_min + run + teardown
        return False, whole, whole

    def _timing(
        self,
        venue: Venue,
        truck: Truck,
        day: date,
        film: Film,
        s: np.ndarray,
        pattern: _Pattern,
    ) -> _Timing | None:
        """Every candidate start at once: departure, breaks, return and the rules on them."""
        rules = self.rules
        limit, rest = rules.max_work_before_break_min, rules.break_min
        rested_inside, head, tail = self._middle(film, truck, pattern)
        if head > limit or tail > limit:
            return None
        arrive = s - truck.setup_min - pattern.wait_min
        leave = s + film.runtime_min + truck.teardown_min
        back = self._drive_table(venue.location, truck.depot, day, leave)
        keep = np.zeros(s.shape)
        if not rested_inside and pattern.keep_back:
            keep = np.minimum(back, limit - head)
        cap: np.ndarray = limit - head - keep
        most = self._fastest_slowest(truck.depot, venue.location, day)[1]
        max_breaks = math.ceil(most / limit) + 1
        lo = int(arrive.min()) - max_breaks * rest
        latest, drive_at = self._latest_departures(
            truck.depot, venue.location, day, lo, int(arrive.max())
        )
        found = np.zeros(s.shape, dtype=bool)
        depart = np.full(s.shape, _NONE, dtype=np.int64)
        drive_out = np.zeros(s.shape)
        breaks_out = np.zeros(s.shape, dtype=np.int64)
        last_piece = np.zeros(s.shape)
        before_back = np.zeros(s.shape)
        for n in range(max_breaks + 1):
            at = arrive - n * rest - lo
            d_n, drive = latest[at], drive_at[at]
            wait = arrive - d_n - drive - n * rest
            rested = wait >= rest - _EPS
            if n == 0:
                piece = drive
                ok = np.where(rested, drive <= limit + _EPS, drive + wait <= cap + _EPS)
            else:
                piece = np.where(rested, np.minimum(drive, limit), np.clip(cap - wait, 0, drive))
                ok = drive - piece <= n * limit + _EPS
            ok &= d_n > _NONE
            work_before = np.where(rested | (piece <= _EPS), 0.0, piece + wait)
            new = ok & ~found
            depart[new], drive_out[new], breaks_out[new] = d_n[new], drive[new], n
            last_piece[new] = np.where(rested, -1.0, piece)[new]
            before_back[new] = tail if rested_inside else (work_before + head)[new]
            found |= ok
        shift = truck.shift_on(day)
        start_back = before_back
        first = np.maximum(0.0, limit - start_back)
        pauses = np.where(
            back + start_back <= limit + _EPS, 0, np.ceil((back - first) / limit - _EPS)
        )
        home = leave + back + pauses * rest
        ok = found & (depart >= shift.start_min) & (home <= shift.end_min + _EPS)
        ok &= home - depart <= truck.max_shift_on(day) + _EPS
        if venue.inside_ttk and not truck.has_ttk_pass:
            for offset in (0, 1440):
                ban_from, ban_to = offset + rules.ttk_ban_start_min, offset + rules.ttk_ban_end_min
                ok &= (leave <= ban_from) | (arrive >= ban_to)
        if not ok.any():
            return None
        return _Timing(ok, depart, drive_out, breaks_out, last_piece, start_back)

    def _route(
        self,
        venue: Venue,
        truck: Truck,
        day: date,
        film: Film,
        starts: np.ndarray,
        pattern: _Pattern,
        timing: _Timing,
        i: int,
    ) -> Route | None:
        """The route of start ``starts[i]`` with its declared breaks, at exact drive times."""
        limit, rest = self.rules.max_work_before_break_min, self.rules.break_min
        s = int(starts[i])
        arrive = s - truck.setup_min - pattern.wait_min
        leave = s + film.runtime_min + truck.teardown_min
        depart = int(timing.depart[i])
        midnight = local_midnight(day, self.rules.timezone)

        def at(minutes: float) -> datetime:
            return midnight + timedelta(minutes=minutes)

        drive_out = self.travel.duration_min(truck.depot, venue.location, at(depart))
        n_out = int(timing.breaks_out[i])
        if depart + drive_out + n_out * rest > arrive + _EPS:
            return None
        breaks = []
        last = float(timing.last_piece[i])
        inside = drive_out - (max(0.0, last) if last >= 0 else min(drive_out, limit))
        offsets = [min(k * limit, inside) for k in range(1, n_out + 1)]
        for k, offset in enumerate(offsets):
            if offset < drive_out - _EPS:
                begins = depart + offset + k * rest
                breaks.append(Break(at(begins), at(begins + rest)))
        drive_back = self.travel.duration_min(venue.location, truck.depot, at(leave))
        worked = float(timing.tail_before_back[i])
        home = leave + drive_back
        if drive_back + worked > limit + _EPS:
            first = max(0.0, limit - worked)
            k = 0
            while first + k * limit < drive_back - _EPS:
                begins = leave + first + k * limit + k * rest
                breaks.append(Break(at(begins), at(begins + rest)))
                k += 1
            home += k * rest
        show = Screening(film.id, at(s), at(s + film.runtime_min))
        stop = Stop(venue.id, at(arrive), at(leave), (show,))
        return Route(truck.id, day, at(depart), at(home), (stop,), tuple(breaks))

    # --- drives ---------------------------------------------------------------------------

    def _drive(self, origin: Location, destination: Location, day: date, hour: int) -> float:
        """Minutes of a drive leaving in ``hour`` (from midnight of ``day``, may be negative
        or past 24)."""
        key = (origin, destination, day, hour)
        if key not in self._drives:
            leave = local_midnight(day, self.rules.timezone) + timedelta(hours=hour)
            self._drives[key] = self.travel.duration_min(origin, destination, leave)
        return self._drives[key]

    def _fastest_slowest(
        self, origin: Location, destination: Location, day: date
    ) -> tuple[float, float]:
        """The shortest and the longest drive over the hours of a day (the providers'
        times depend on the hour of departure only, so the first day asked answers)."""
        key = (origin, destination)
        if key not in self._extremes:
            drives = [self._drive(origin, destination, day, h) for h in range(24)]
            self._extremes[key] = (min(drives), max(drives))
        return self._extremes[key]

    def _drive_table(
        self, origin: Location, destination: Location, day: date, leave: np.ndarray
    ) -> np.ndarray:
        """Drive minutes for departures at each of ``leave`` (minutes from midnight)."""
        hours = leave // 60
        first = int(hours.min())
        table = np.array(
            [self._drive(origin, destination, day, h) for h in range(first, int(hours.max()) + 1)]
        )
        result: np.ndarray = table[hours - first]
        return result

    def _latest_departures(
        self, origin: Location, destination: Location, day: date, lo: int, hi: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """For every arrival deadline ``lo..hi`` (minutes): the latest whole-minute departure
        that arrives by it (``_NONE`` if none) and that drive's minutes."""
        deadline = np.arange(lo, hi + 1, dtype=np.int64)
        latest = np.full(deadline.shape, _NONE, dtype=np.int64)
        drive = np.zeros(deadline.shape)
        longest = self._fastest_slowest(origin, destination, day)[1]
        for hour in range(math.floor((lo - longest) / 60) - 1, math.floor(hi / 60) + 1):
            minutes = self._drive(origin, destination, day, hour)
            leave = np.minimum(60 * hour + 59, np.floor(deadline - minutes - _EPS)).astype(np.int64)
            better = (leave >= 60 * hour) & (leave > latest)
            latest = np.where(better, leave, latest)
            drive = np.where(better, minutes, drive)
        return latest, drive
