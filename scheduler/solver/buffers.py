"""Planning with slack: the season rules' buffers as a transform of the problem and the
travel times.

``solve`` plans a *buffered* copy of the problem: every drive is ``drive_buffer_pct`` longer
(``BufferedTravelTimes``), every truck's setup is ``arrival_margin_min`` longer (the truck is
ready that long before the first screening), and the silence start and every venue's closing
hours come ``end_margin_min`` earlier. A plan of the copy is a plan of the original with the
slack as waiting time: the original's drives and setups are shorter and its evening limits
later, so ``checks.verify`` (which knows nothing of buffers) passes the plan against the
original problem and travel times. Pinned stops are kept as given.

A venue the copy cannot serve for a timing rule may fit the original:
``reasons_without_buffers`` explains such venues again on the original, so every reason
stays true of the rules as given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np

from scheduler.domain import (
    DayWindow,
    Location,
    Problem,
    Route,
    Rules,
    Truck,
    Unserved,
    UnservedReason,
    Venue,
)
from scheduler.errors import InvalidProblem
from scheduler.solver.matrix import TravelMatrix
from scheduler.solver.reasons import explain_unserved
from scheduler.solver.single_stop import OneStopSearch
from scheduler.travel import TravelTimes

__all__ = [
    "BufferedTravelTimes",
    "buffered_problem",
    "buffered_travel",
    "check_buffers",
    "has_buffers",
    "reasons_without_buffers",
]

MAX_DRIVE_BUFFER_PCT = 100.0
MAX_MARGIN_MIN = 120
TIMING_REASONS = frozenset(
    {UnservedReason.NO_TIME_WINDOW, UnservedReason.OUTSIDE_SHIFT, UnservedReason.DRIVER_BREAKS}
)
"""Reasons a buffer can cause: the ones ``reasons_without_buffers`` re-checks."""


@dataclass(frozen=True)
class BufferedTravelTimes:
    """Travel times ``factor`` times longer than ``inner``'s (distances unchanged)."""

    inner: TravelTimes
    factor: float

    def duration_min(self, origin: Location, destination: Location, depart: datetime) -> float:
        return self.inner.duration_min(origin, destination, depart) * self.factor

    def distance_km(self, origin: Location, destination: Location) -> float:
        return self.inner.distance_km(origin, destination)

    def worst_matrix_min(self, locations: Sequence[Location], hours: Sequence[int]) -> np.ndarray:
        result: np.ndarray = np.asarray(self.inner.worst_matrix_min(locations, hours)) * self.factor
        return result


def check_buffers(rules: Rules) -> None:
    """Raise ``InvalidProblem`` naming every buffer outside its range."""
    found = []
    if not 0 <= rules.drive_buffer_pct <= MAX_DRIVE_BUFFER_PCT:
        found.append(("rules.drive_buffer_pct", "must be between 0 and 100 (per cent)"))
    for name in ("arrival_margin_min", "end_margin_min"):
        if not 0 <= getattr(rules, name) <= MAX_MARGIN_MIN:
            found.append((f"rules.{name}", f"must be between 0 and {MAX_MARGIN_MIN} minutes"))
    if found:
        raise InvalidProblem(found)


def has_buffers(rules: Rules) -> bool:
    """True when any buffer is set."""
    return bool(rules.drive_buffer_pct or rules.arrival_margin_min or rules.end_margin_min)


def buffered_travel(travel: TravelTimes, rules: Rules) -> TravelTimes:
    """``travel`` with every drive ``drive_buffer_pct`` longer (itself without a buffer)."""
    if not rules.drive_buffer_pct:
        return travel
    return BufferedTravelTimes(travel, 1.0 + rules.drive_buffer_pct / 100.0)


def buffered_problem(problem: Problem) -> Problem:
    """The problem the engine plans when the rules ask for margins: setups longer by the
    arrival margin, the silence start and closing hours earlier by the end margin, and the
    buffers themselves set to zero (the copy has them built in)."""
    rules = problem.rules
    check_buffers(rules)
    if not has_buffers(rules):
        return problem
    end, ready = rules.end_margin_min, rules.arrival_margin_min
    return replace(
        problem,
        venues=tuple(_earlier_closing(venue, end) for venue in problem.venues),
        trucks=tuple(_longer_setup(truck, ready) for truck in problem.trucks),
        rules=replace(
            rules,
            silence_start_min=rules.silence_start_min - end,
            drive_buffer_pct=0.0,
            arrival_margin_min=0,
            end_margin_min=0,
        ),
    )


def _longer_setup(truck: Truck, margin_min: int) -> Truck:
    return replace(truck, setup_min=truck.setup_min + margin_min) if margin_min else truck


def _earlier_closing(venue: Venue, margin_min: int) -> Venue:
    if not margin_min:
        return venue
    return replace(
        venue,
        hours=_earlier(venue.hours, margin_min),
        day_hours=tuple(
            replace(rule, windows=_earlier(rule.windows, margin_min)) for rule in venue.day_hours
        ),
    )


def _earlier(windows: tuple[DayWindow, ...], margin_min: int) -> tuple[DayWindow, ...]:
    """Windows ending ``margin_min`` earlier; a window that would end before it starts is
    left out."""
    return tuple(
        DayWindow(w.start_min, w.end_min - margin_min)
        for w in windows
        if w.end_min - margin_min >= w.start_min
    )


def reasons_without_buffers(
    problem: Problem,
    travel: TravelTimes,
    routes: Sequence[Route],
    unserved: tuple[Unserved, ...],
    deadline: float | None = None,
) -> tuple[Unserved, ...]:
    """The reasons of the buffered planning, true of the original ``problem``: a venue left
    out for a timing rule is explained again without the buffers; when it could be served
    without them its reason says so (and which buffers kept it out)."""
    timing = {entry.venue_id for entry in unserved if entry.reason in TIMING_REASONS}
    if not timing or not has_buffers(problem.rules):
        return unserved
    some = replace(problem, venues=tuple(v for v in problem.venues if v.id in timing))
    again = explain_unserved(
        some,
        TravelMatrix.build(some, travel),
        routes,
        search=OneStopSearch(some, travel),
        deadline=deadline,
    )
    exact = {entry.venue_id: entry for entry in again}
    return tuple(
        _unbuffered(entry, exact[entry.venue_id], problem.rules)
        if entry.venue_id in exact
        else entry
        for entry in unserved
    )


def _unbuffered(buffered: Unserved, exact: Unserved, rules: Rules) -> Unserved:
    if exact.reason in TIMING_REASONS:
        return exact
    slack = (
        f"drive +{rules.drive_buffer_pct:g} %, ready {rules.arrival_margin_min} min early, "
        f"done {rules.end_margin_min} min before the evening limits"
    )
    message = (
        f"{exact.message}; it fits only without the planning buffers ({slack}): {buffered.message}"
    )
    return Unserved(exact.venue_id, exact.reason, message)
