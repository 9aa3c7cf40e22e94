"""Disruptions applied to the season problem: what the rules say after the street spoke.

``apply_disruptions(problem, situation)`` is pure and works on the problem alone:

- ``VenueCancelled``: the venue is closed on the day (a ``DayHours`` rule with no windows,
  naming the date, in front of its ``day_hours``);
- ``TruckBrokenDown``: the truck's shift that day ends at ``at`` (a ``DayShift`` naming the
  date; a truck out before its shift opens does not work that day: the date leaves its
  ``available_dates``); ``ShiftCut``: it ends at ``end`` (the earlier of the two when both
  are given);
- ``VenueRequested``: a new venue joins the season, allowed on the day (a venue an earlier
  re-plan added is the season's); a season venue is made allowed on the day (its priority
  is unchanged);
- ``FilmWithdrawn``: the film's licence ends on the last date it may still be shown (the day
  of ``at``, or the day before when ``at`` is midnight); screenings after ``at`` on that
  day are the re-plan's business;
- ``TruckDelayed`` and ``VenueUnreachable`` change no rule: the re-plan handles them.

``check_situation`` refuses unknown ids and days outside the season with an
``InvalidProblem`` naming the field (``disruptions[1].truck_id``).
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from scheduler.disruptions import (
    Disruption,
    FilmWithdrawn,
    ShiftCut,
    Situation,
    TruckBrokenDown,
    VenueCancelled,
    VenueRequested,
)
from scheduler.domain import DayHours, DayShift, DayWindow, Film, Problem, Truck, Venue
from scheduler.errors import InvalidProblem
from scheduler.solver.pins import local_midnight, minutes_after

__all__ = [
    "ahead",
    "apply_disruptions",
    "check_situation",
    "clock_min",
    "hard_ends",
    "with_shift_end",
]


def clock_min(problem: Problem, day: date, moment: datetime) -> float:
    """Minutes from the local midnight of ``day`` to ``moment``."""
    return minutes_after(local_midnight(day, problem.rules.timezone), moment)


def check_situation(problem: Problem, situation: Situation) -> None:
    """Raise ``InvalidProblem`` for a day outside the season or a disruption naming an
    unknown truck, venue or film (every such field listed)."""
    found: list[tuple[str, str]] = []
    if situation.day not in problem.days:
        found.append(("day", f"{situation.day} is not a day of the season"))
    trucks = {t.id for t in problem.trucks}
    venues = {v.id for v in problem.venues}
    films = {f.id for f in problem.films}
    for i, disruption in enumerate(situation.disruptions):
        at = f"disruptions[{i}]"
        truck_id = getattr(disruption, "truck_id", None)
        if truck_id is not None and truck_id not in trucks:
            found.append((f"{at}.truck_id", f"no truck '{truck_id}' in the problem"))
        venue_id = getattr(disruption, "venue_id", None)
        if venue_id is not None and venue_id not in venues:
            found.append((f"{at}.venue_id", f"no venue '{venue_id}' in the problem"))
        if isinstance(disruption, FilmWithdrawn) and disruption.film_id not in films:
            found.append((f"{at}.film_id", f"no film '{disruption.film_id}' in the problem"))
        new = disruption.venue if isinstance(disruption, VenueRequested) else None
        if new is not None and new.id in venues and not _same(problem.venue(new.id), new):
            found.append((f"{at}.venue.id", f"venue '{new.id}' already exists"))
        found.extend(_times(problem, situation.day, at, disruption))
    if found:
        raise InvalidProblem(found)


def _times(problem: Problem, day: date, at: str, disruption: Disruption) -> list[tuple[str, str]]:
    """A breakdown or a shift's end must fall on the day (or the night after it)."""
    if isinstance(disruption, TruckBrokenDown):
        name, moment = "at", disruption.at
    elif isinstance(disruption, ShiftCut):
        name, moment = "end", disruption.end
    else:
        return []
    if not 0 <= clock_min(problem, day, moment) < 2 * 1440:
        return [(f"{at}.{name}", f"{moment.isoformat()} is not on {day}")]
    return []


def hard_ends(problem: Problem, situation: Situation) -> dict[str, datetime]:
    """The moment each broken-down or cut truck's day ends (the earliest given)."""
    ends: dict[str, datetime] = {}
    for disruption in situation.disruptions:
        if isinstance(disruption, TruckBrokenDown):
            moment = disruption.at
        elif isinstance(disruption, ShiftCut):
            moment = disruption.end
        else:
            continue
        ends[disruption.truck_id] = min(ends.get(disruption.truck_id, moment), moment)
    return ends


def apply_disruptions(problem: Problem, situation: Situation) -> Problem:
    """The season problem with the situation's disruptions written into its rules (see the
    module docstring). Raises ``InvalidProblem`` as ``check_situation`` does."""
    check_situation(problem, situation)
    day = situation.day
    cancelled = {d.venue_id for d in situation.disruptions if isinstance(d, VenueCancelled)}
    asked = [d for d in situation.disruptions if isinstance(d, VenueRequested)]
    asked_ids = {d.requested_id for d in asked}
    venues = [
        _venue(venue, day, venue.id in cancelled, venue.id in asked_ids) for venue in problem.venues
    ]
    known = {venue.id for venue in problem.venues}
    venues += [_allowed_on(d.venue, day) for d in asked if d.venue and d.venue.id not in known]
    ends = hard_ends(problem, situation)
    trucks = [
        _cut(problem, truck, day, ends[truck.id]) if truck.id in ends else truck
        for truck in problem.trucks
    ]
    withdrawn: dict[str, datetime] = {}
    for d in situation.disruptions:
        if isinstance(d, FilmWithdrawn):
            withdrawn[d.film_id] = min(withdrawn.get(d.film_id, d.at), d.at)
    films = [
        _withdrawn(problem, film, withdrawn[film.id]) if film.id in withdrawn else film
        for film in problem.films
    ]
    return replace(problem, venues=tuple(venues), trucks=tuple(trucks), films=tuple(films))


def _same(known: Venue, new: Venue) -> bool:
    """True when a "new" venue is the season's venue already (added by an earlier re-plan:
    the same but for the dates it is allowed on)."""
    return replace(known, allowed_dates=new.allowed_dates) == new


def _venue(venue: Venue, day: date, cancelled: bool, asked: bool) -> Venue:
    if asked:
        venue = _allowed_on(venue, day)
    if cancelled:
        closed = DayHours(windows=(), dates=frozenset({day}))
        venue = replace(venue, day_hours=ahead(venue.day_hours, closed, day))
    return venue


def _allowed_on(venue: Venue, day: date) -> Venue:
    if venue.allowed_dates is None or day in venue.allowed_dates:
        return venue
    return replace(venue, allowed_dates=venue.allowed_dates | {day})


def _cut(problem: Problem, truck: Truck, day: date, end: datetime) -> Truck:
    """The truck with its shift on ``day`` ending at ``end`` at the latest; a truck cut
    before its shift opens does not work that day."""
    end_min = math.floor(clock_min(problem, day, end))
    shift = truck.shift_on(day)
    if end_min >= shift.end_min:
        return truck
    if end_min <= shift.start_min:
        days = frozenset(problem.days) if truck.available_dates is None else truck.available_dates
        return replace(truck, available_dates=days - {day})
    return with_shift_end(truck, day, end_min)


def with_shift_end(truck: Truck, day: date, end_min: int) -> Truck:
    """The truck with a ``DayShift`` naming ``day`` that ends by ``end_min`` (never before
    the shift opens)."""
    shift = truck.shift_on(day)
    window = DayWindow(shift.start_min, max(shift.start_min, min(shift.end_min, end_min)))
    rule = DayShift(window, dates=frozenset({day}), max_shift_min=truck.max_shift_on(day))
    return replace(truck, day_shifts=ahead(truck.day_shifts, rule, day))


_Rule = TypeVar("_Rule", DayHours, DayShift)


def ahead(rules: tuple[_Rule, ...], rule: _Rule, day: date) -> tuple[_Rule, ...]:
    """``rule`` (naming ``day``) first, and no other rule naming that date (a rule left
    naming no day is dropped): one rule per date, as the scenario format requires."""
    kept: list[_Rule] = [rule]
    for other in rules:
        if day in other.dates:
            other = replace(other, dates=other.dates - {day})
            if not other.dates and not other.weekdays:
                continue
        kept.append(other)
    return tuple(kept)


def _withdrawn(problem: Problem, film: Film, at: datetime) -> Film:
    """The film licensed until the last day it may still be shown on (the day of ``at``,
    or the day before when ``at`` is its midnight)."""
    local = at.astimezone(ZoneInfo(problem.rules.timezone))
    last = local.date()
    if clock_min(problem, last, local) <= 0:
        last -= timedelta(days=1)
    if film.licence_end is not None and film.licence_end <= last:
        return film
    return replace(film, licence_end=last)
