"""Serving one venue by hand: one-stop routes built without the solver, judged by ``verify``.

``serve_by_hand(problem, venue_id, travel)`` tries every truck and season day, every film
the venue could show and a grid of screening starts (every ``STEP_MIN`` minutes inside the
venue's hours, plus the minutes the rules make special: window openings, civil dusk, the
late-rating hour, the silence law's end, the TTK ban's end). Each try is one stop with one
screening: the truck arrives just in time for setup, and the driver's breaks are placed by
a greedy rule that rests as late as possible (inside a drive, in a wait before arrival,
between setup and the show, or after teardown). The first route that passes
``checks.verify`` (as the only route of a plan that lists every other venue as unserved)
is returned; ``None`` when nothing passes. It is a search, not a proof: finding a route
proves the venue servable, finding none is evidence only.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from scheduler.checks import verify
from scheduler.domain import (
    Break,
    Film,
    Plan,
    Problem,
    Route,
    Screening,
    ScreenType,
    Stop,
    Truck,
    Unserved,
    UnservedReason,
    Venue,
    truck_available_on,
    venue_open_on,
)
from scheduler.sun import dusk_min
from scheduler.travel import TravelTimes

__all__ = ["STEP_MIN", "serve_by_hand"]

STEP_MIN = 10
"""Grid of screening starts, in minutes."""


@dataclass(frozen=True, slots=True)
class _Rests:
    """Where the breaks go in a one-stop day."""

    out: tuple[float, ...] = ()
    """Minutes into the drive there at which a declared break starts."""
    before_arrival: bool = False
    """A break (declared) between the drive's end and the arrival."""
    before_show: bool = False
    """A wait of a break's length between the end of setup and the show."""
    back: tuple[float, ...] = ()
    """Minutes into the drive back at which a declared break starts (0: right after
    teardown)."""


def _plan_rests(
    problem: Problem, truck: Truck, drive_out: float, show_min: int, drive_back: float
) -> _Rests | None:
    """Breaks as late as possible so that no stretch without one exceeds the limit;
    ``None`` when a piece that cannot be split (setup; show and teardown) is too long."""
    rules = problem.rules
    limit = rules.max_work_before_break_min
    out, span = _split_drive(drive_out, limit, 0.0)
    span_setup = _add(span, truck.setup_min, limit)
    if span_setup is None:
        return None
    span, before_arrival = span_setup
    if rules.screening_is_driver_rest and show_min >= rules.break_min:
        if truck.teardown_min > limit:
            return None
        span, before_show = truck.teardown_min, False
    else:
        span_show = _add(span, show_min + truck.teardown_min, limit)
        if span_show is None:
            return None
        span, before_show = span_show
    back, _ = _split_drive(drive_back, limit, span)
    return _Rests(out, before_arrival, before_show, back)


def _add(span: float, length: float, limit: float) -> tuple[float, bool] | None:
    """The span after an unsplittable piece, and whether a break goes before it."""
    if span + length <= limit:
        return span + length, False
    if length <= limit:
        return length, True
    return None


def _split_drive(drive: float, limit: float, span: float) -> tuple[tuple[float, ...], float]:
    """Offsets into the drive where breaks start (as late as possible), and the span after."""
    offsets: list[float] = []
    done = 0.0
    while span + (drive - done) > limit:
        done += max(0.0, limit - span)
        offsets.append(done)
        span = 0.0
    return tuple(offsets), span + drive - done


@dataclass(frozen=True, slots=True)
class _Try:
    truck: Truck
    day: date
    venue: Venue
    film: Film


def _route(problem: Problem, travel: TravelTimes, t: _Try, start: datetime) -> Route | None:
    """The one-stop route with the screening at ``start``, or ``None`` if rests cannot fit."""
    rules, truck, venue = problem.rules, t.truck, t.venue
    rest = timedelta(minutes=rules.break_min)
    end = start + timedelta(minutes=t.film.runtime_min)
    leave = end + timedelta(minutes=truck.teardown_min)
    drive_back = travel.duration_min(venue.location, truck.depot, leave)
    drive_out = travel.duration_min(truck.depot, venue.location, start - timedelta(hours=3))
    for _ in range(3):
        rests = _plan_rests(problem, truck, drive_out, t.film.runtime_min, drive_back)
        if rests is None:
            return None
        arrival = start - timedelta(minutes=truck.setup_min) - rest * rests.before_show
        reach = arrival - rest * rests.before_arrival
        depart = reach - timedelta(minutes=math.ceil(drive_out + 1)) - rest * len(rests.out)
        drive_out = travel.duration_min(truck.depot, venue.location, depart)
    rests = _plan_rests(problem, truck, drive_out, t.film.runtime_min, drive_back)
    if rests is None:
        return None
    arrival = start - timedelta(minutes=truck.setup_min) - rest * rests.before_show
    reach = arrival - rest * rests.before_arrival
    depart = reach - timedelta(minutes=math.ceil(drive_out + 1)) - rest * len(rests.out)
    breaks = [_pause(depart, x, i, rest) for i, x in enumerate(rests.out)]
    if rests.before_arrival:
        breaks.append(Break(reach, arrival))
    breaks.extend(_pause(leave, x, i, rest) for i, x in enumerate(rests.back))
    home = leave + timedelta(minutes=drive_back) + rest * len(rests.back)
    stop = Stop(venue.id, arrival, leave, (Screening(t.film.id, start, end),))
    return Route(truck.id, t.day, depart, home, (stop,), tuple(breaks))


def _pause(leave: datetime, offset_min: float, index: int, rest: timedelta) -> Break:
    """The ``index``-th break of a drive that left at ``leave``, ``offset_min`` driven."""
    begins = leave + timedelta(minutes=offset_min) + rest * index
    return Break(begins, begins + rest)


def _starts(problem: Problem, t: _Try) -> Iterator[int]:
    """Candidate screening starts, minutes from the day's midnight (each at most once)."""
    rules, venue = problem.rules, t.venue
    special = {rules.late_rating_after_min, rules.silence_end_min, rules.ttk_ban_end_min}
    special.add(rules.ttk_ban_end_min + t.truck.setup_min)
    special.add(rules.ttk_ban_end_min + 1440 + t.truck.setup_min)
    special.add(t.truck.shift.start_min + t.truck.setup_min)
    if t.truck.screen is ScreenType.PROJECTOR:
        dusk = dusk_min(t.day, venue.location, rules.timezone)
        if dusk is not None:
            special.add(math.ceil(dusk))
    seen: set[int] = set()
    for window in venue.hours:
        last = window.end_min - t.film.runtime_min
        grid = set(range(window.start_min, last + 1, STEP_MIN)) | {window.start_min}
        grid |= {m for m in special if window.start_min <= m <= last}
        for minute in sorted(grid):
            if minute not in seen:
                seen.add(minute)
                yield minute


def _films(problem: Problem, venue: Venue, day: date) -> list[Film]:
    """Films verify would accept here, one per (runtime, late-rated) kind."""
    kinds: dict[tuple[int, bool], Film] = {}
    for film in problem.films:
        if (
            film.may_be_shown
            and film.licensed_on(day)
            and film.rating <= venue.max_rating
            and film.id not in venue.excluded_film_ids
            and film.max_screenings != 0
        ):
            kinds.setdefault((film.runtime_min, film.rating >= problem.rules.late_rating), film)
    return list(kinds.values())


def serve_by_hand(problem: Problem, venue_id: str, travel: TravelTimes) -> Route | None:
    """A one-stop route serving ``venue_id`` that passes ``verify``, or ``None``."""
    venue = problem.venue(venue_id)
    others = tuple(
        Unserved(v.id, UnservedReason.TRUCKS_BUSY, "left out by hand")
        for v in problem.venues
        if v.id != venue_id
    )
    tz = ZoneInfo(problem.rules.timezone)
    for truck in problem.trucks:
        for day in problem.days:
            if not (truck_available_on(truck, day) and venue_open_on(venue, day)):
                continue
            midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
            for film in _films(problem, venue, day):
                attempt = _Try(truck, day, venue, film)
                for minute in _starts(problem, attempt):
                    route = _route(problem, travel, attempt, midnight + timedelta(minutes=minute))
                    if route is None:
                        continue
                    plan = Plan((route,), others, 0.0)
                    if not verify(problem, plan, travel):
                        return route
    return None
