"""Why a venue was left out: analysis of every rule and resource, in the order a planner
would look at them, with the numbers that blocked it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from itertools import pairwise

from scheduler.domain import (
    Location,
    Problem,
    Route,
    Truck,
    Unserved,
    UnservedReason,
    Venue,
    rating_label,
    truck_available_on,
    venue_open_on,
)
from scheduler.solver.matrix import TravelMatrix, hours_touched
from scheduler.solver.windows import TruckClass, eligible_films, slot_lengths, start_rules

__all__ = ["explain_unserved"]

_RULE_TEXT = {
    "hours": "its opening hours",
    "darkness": "darkness (civil dusk) for the projector",
    "silence": "the silence law",
    "truck_zone": "the TTK truck ban (no pass)",
}


def _clock(minutes: float) -> str:
    m = round(minutes)
    return f"{m // 60:02d}:{m % 60:02d}"


def _hours(minutes: float) -> str:
    m = round(minutes)
    return f"{m // 60}h{m % 60:02d}"


def explain_unserved(
    problem: Problem,
    matrix: TravelMatrix,
    routes: Iterable[Route],
    not_planned_from: date | None = None,
) -> tuple[Unserved, ...]:
    """An ``Unserved`` entry, with a reason, for every venue no route visits.

    ``not_planned_from``: planning stopped before this day. A venue that only lacked a free
    truck, and that a truck could have reached on a day left unplanned, is ``NOT_PLANNED``.
    """
    served = {stop.venue_id for route in routes for stop in route.stops}
    later = None
    if not_planned_from is not None:
        later = replace(problem, days=tuple(d for d in problem.days if d >= not_planned_from))
    found = []
    for venue in problem.venues:
        if venue.id in served:
            continue
        entry = _explain(problem, matrix, venue)
        if (
            later is not None
            and not_planned_from is not None
            and entry.reason is UnservedReason.TRUCKS_BUSY
            and _explain(later, matrix, venue).reason is UnservedReason.TRUCKS_BUSY
        ):
            entry = Unserved(
                venue.id,
                UnservedReason.NOT_PLANNED,
                f"planning was stopped before {not_planned_from.isoformat()}",
            )
        found.append(entry)
    return tuple(found)


def _explain(problem: Problem, matrix: TravelMatrix, venue: Venue) -> Unserved:
    days = [day for day in problem.days if venue_open_on(venue, day)]
    if not days:
        return Unserved(
            venue.id, UnservedReason.NO_ALLOWED_DATE, "no allowed date inside the season"
        )
    pairs = [(day, t) for day in days for t in problem.trucks if truck_available_on(t, day)]
    if not pairs:
        return Unserved(
            venue.id, UnservedReason.NO_TRUCK_ON_DATES, "no truck works on any of its allowed dates"
        )
    film_days = [(day, t) for day, t in pairs if eligible_films(venue, day, problem.films)]
    if not film_days:
        return Unserved(
            venue.id,
            UnservedReason.NO_FILM,
            f"no film is certified, licensed on its dates and rated for its audience "
            f"(max {rating_label(venue.max_rating)})",
        )
    return _timing(problem, matrix, venue, film_days)


def _timing(
    problem: Problem, matrix: TravelMatrix, venue: Venue, pairs: list[tuple[date, Truck]]
) -> Unserved:
    rules = problem.rules
    _, short = slot_lengths(problem)
    blockers: dict[str, set[str]] = {}
    reachable = False
    shift_notes: list[str] = []
    rest_notes: list[str] = []
    for day, truck in pairs:
        cls = TruckClass.of(truck)
        steps = start_rules(venue, cls, day, short, rules).applied()
        if not steps[-1][1]:
            blockers.setdefault(truck.screen.value, set()).update(_narrowing(steps))
            continue
        starts = steps[-1][1]
        there, back = _drives(matrix, truck, venue, starts, short + rules.screening_gap_min)
        if _breaks_rest_rule(problem, truck, there, back, short):
            rest_notes.append(f"{_hours(there)} from the depot")
            continue
        pauses = _pauses(problem, truck, there, back)
        if _fits_shift(truck, starts, there + pauses, back, short):
            reachable = True
            break
        shift_notes.append(
            f"{truck.name}: first screening allowed from {_clock(starts[0][0])}, "
            f"{_hours(there)} there, {_hours(back)} back, shift "
            f"{_clock(truck.shift.start_min)}–{_clock(truck.shift.end_min)}"
        )
    if reachable:
        return Unserved(
            venue.id,
            UnservedReason.TRUCKS_BUSY,
            f"all trucks busy on its allowed dates with venues of higher value "
            f"(its value {venue.audience_seats} seats x priority {venue.priority:g})",
        )
    if blockers and not shift_notes and not rest_notes:
        return Unserved(
            venue.id, UnservedReason.NO_TIME_WINDOW, _window_message(problem, blockers, short)
        )
    if rest_notes and not shift_notes:
        return Unserved(
            venue.id,
            UnservedReason.DRIVER_BREAKS,
            f"the drive ({rest_notes[0]}, at the slowest hour) plus setup is too long for "
            f"the driver even with a {rules.break_min}-min break "
            f"(at most {_hours(rules.max_work_before_break_min)} of work between breaks)",
        )
    return Unserved(
        venue.id,
        UnservedReason.OUTSIDE_SHIFT,
        "outside every shift after travel (" + "; ".join(sorted(set(shift_notes))[:3]) + ")",
    )


def _narrowing(steps: list[tuple[str, list[tuple[int, int]]]]) -> set[str]:
    """The rules that narrowed the window, up to the one that closed it."""
    names = set()
    for (_, before), (name, after) in pairwise(steps):
        if after != before:
            names.add(name)
        if not after:
            break
    if not steps[0][1]:
        names.add(steps[0][0])
    return names


def _window_message(problem: Problem, blockers: dict[str, set[str]], slot: int) -> str:
    rules = problem.rules
    parts = []
    for screen, names in sorted(blockers.items()):
        rules_text = " and ".join(_RULE_TEXT[n] for n in sorted(names))
        parts.append(f"{screen}: {rules_text}")
    limit = f"the {_clock(rules.silence_start_min)} limit"
    if any("darkness" in names for names in blockers.values()):
        return (
            f"no date when darkness and {limit} leave room for a {slot}-min film ("
            + "; ".join(parts)
            + ")"
        )
    return f"no date when the rules leave room for a {slot}-min film (" + "; ".join(parts) + ")"


def _drives(
    matrix: TravelMatrix, truck: Truck, venue: Venue, starts: list[tuple[int, int]], slot: int
) -> tuple[float, float]:
    """Worst-case minutes there and back for departures in the hours they can happen."""
    lead = int(matrix.worst.max()) + 180
    there_hours = frozenset().union(
        *(hours_touched(lo - truck.setup_min - lead, hi) for lo, hi in starts)
    )
    back_hours = frozenset().union(
        *(hours_touched(lo, hi + slot + truck.teardown_min) for lo, hi in starts)
    )
    return (
        _leg(matrix, truck.depot, venue.location, there_hours),
        _leg(matrix, venue.location, truck.depot, back_hours),
    )


def _leg(
    matrix: TravelMatrix, origin: Location, destination: Location, hours: frozenset[int]
) -> float:
    return float(matrix.leaving_in([origin], [destination], hours)[0, 0])


def _breaks_rest_rule(problem: Problem, truck: Truck, there: float, back: float, slot: int) -> bool:
    """No drive, even with a break in it, fits the driver's rule (as the router sees it)."""
    rules = problem.rules
    limit = rules.max_work_before_break_min
    if rules.screening_is_driver_rest:
        limit = 2 * limit - rules.break_min
        return there + truck.setup_min > limit or truck.teardown_min + back > limit
    on_site = truck.setup_min + slot + truck.teardown_min
    return there > limit or on_site + back > limit


def _pauses(problem: Problem, truck: Truck, there: float, back: float) -> float:
    """Break minutes the router adds to the drives there and back."""
    rules = problem.rules
    limit = rules.max_work_before_break_min - rules.break_min
    if not rules.screening_is_driver_rest:
        return rules.break_min
    return rules.break_min * (
        (there + truck.setup_min > limit) + (truck.teardown_min + back > limit)
    )


def _fits_shift(
    truck: Truck, starts: list[tuple[int, int]], there: float, back: float, slot: int
) -> bool:
    on_site = truck.setup_min + slot + truck.teardown_min
    if there + on_site + back > truck.max_shift_min:
        return False
    for lo, hi in starts:
        arrival_lo = lo - truck.setup_min
        arrival_hi = hi - truck.setup_min
        earliest = max(arrival_lo, truck.shift.start_min + there)
        if earliest <= arrival_hi and earliest + on_site + back <= truck.shift.end_min:
            return True
    return False
