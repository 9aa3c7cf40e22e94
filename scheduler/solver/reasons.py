"""Why a venue was left out: analysis of every rule and resource, in the order a planner
would look at them, with the numbers that blocked it.

The timing analysis is conservative (drives at the slowest hour, the short slot, the
router's rest pattern); a rule reason (``no_time_window``, ``outside_shift``,
``driver_breaks``) is kept only when the exact one-stop search (``single_stop``) finds no
route on any truck-day either. A venue it can serve is ``trucks_busy``, or
``not_worth_travel`` when its value does not cover the travel cost."""

from __future__ import annotations

import time
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
from scheduler.scoring import visit_value
from scheduler.solver.matrix import TravelMatrix, hours_touched
from scheduler.solver.rest import RestRule
from scheduler.solver.single_stop import OneStop, OneStopSearch
from scheduler.solver.windows import TruckClass, eligible_films, slot_lengths, start_rules

__all__ = ["explain_unserved"]

_RULE_TEXT = {
    "hours": "its opening hours",
    "day_hours": "its opening hours on those dates (day_hours)",
    "closed": "its day_hours closing it on those dates",
    "darkness": "darkness (civil dusk to dawn) for the projector",
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
    search: OneStopSearch | None = None,
    deadline: float | None = None,
) -> tuple[Unserved, ...]:
    """An ``Unserved`` entry, with a reason, for every venue no route visits.

    ``not_planned_from``: planning stopped before this day. A venue that only lacked a free
    truck, and that a truck could have reached on a day left unplanned, is ``NOT_PLANNED``.
    ``search``: the exact one-stop search that confirms a rule reason (until ``deadline``,
    ``time.monotonic()``; after it the conservative reason stands).
    """
    served = {stop.venue_id for route in routes for stop in route.stops}
    later = None
    if not_planned_from is not None:
        later = replace(problem, days=tuple(d for d in problem.days if d >= not_planned_from))
    found = []
    films = _FilmDays(problem)
    for venue in problem.venues:
        if venue.id in served:
            continue
        entry = _explain(problem, matrix, venue, films, search, deadline)
        if (
            later is not None
            and not_planned_from is not None
            and entry.reason is UnservedReason.TRUCKS_BUSY
            and _explain(later, matrix, venue, films).reason is UnservedReason.TRUCKS_BUSY
        ):
            entry = Unserved(
                venue.id,
                UnservedReason.NOT_PLANNED,
                f"planning was stopped before {not_planned_from.isoformat()}",
            )
        found.append(entry)
    return tuple(found)


class _FilmDays:
    """What every venue's explanation shares, computed once per problem: the season's days
    with an eligible film for a venue, once per audience (``eligible_films`` reads only the
    venue's ``max_rating`` and ``excluded_film_ids``), and one truck of every kind per day.
    """

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.found: dict[tuple[int, frozenset[str]], frozenset[date]] = {}
        kind = {
            t.id: (TruckClass.of(t), t.depot, t.shift, t.max_shift_min, t.day_shifts)
            for t in problem.trucks
        }
        self.one_of_a_kind: set[tuple[date, str]] = set()
        for day in problem.days:
            seen = set()
            for truck in problem.trucks:
                if truck_available_on(truck, day) and kind[truck.id] not in seen:
                    seen.add(kind[truck.id])
                    self.one_of_a_kind.add((day, truck.id))

    def few(self, pairs: list[tuple[date, Truck]]) -> list[tuple[date, Truck]]:
        """The first truck of each kind on each day: trucks alike in everything the timing
        reads (class, depot, shifts) reach a venue on a day alike, so trying one is enough
        (the notes name that one)."""
        return [(day, truck) for day, truck in pairs if (day, truck.id) in self.one_of_a_kind]

    def of(self, venue: Venue) -> frozenset[date]:
        key = (venue.max_rating, frozenset(venue.excluded_film_ids))
        if key not in self.found:
            films = self.problem.films
            self.found[key] = frozenset(
                day for day in self.problem.days if eligible_films(venue, day, films)
            )
        return self.found[key]


def _explain(
    problem: Problem,
    matrix: TravelMatrix,
    venue: Venue,
    films: _FilmDays | None = None,
    search: OneStopSearch | None = None,
    deadline: float | None = None,
) -> Unserved:
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
    films = films or _FilmDays(problem)
    with_films = films.of(venue)
    film_days = [(day, t) for day, t in pairs if day in with_films]
    if not film_days:
        return Unserved(
            venue.id,
            UnservedReason.NO_FILM,
            f"no film is certified, licensed on its dates and rated for its audience "
            f"(max {rating_label(venue.max_rating)})",
        )
    pairs = films.few(film_days)
    entry = _timing(problem, matrix, venue, pairs)
    if search is None:
        return entry
    return _exact(problem, search, venue, pairs, entry, deadline)


_RULE_REASONS = (
    UnservedReason.NO_TIME_WINDOW,
    UnservedReason.OUTSIDE_SHIFT,
    UnservedReason.DRIVER_BREAKS,
)


def _exact(
    problem: Problem,
    search: OneStopSearch,
    venue: Venue,
    pairs: list[tuple[date, Truck]],
    entry: Unserved,
    deadline: float | None,
) -> Unserved:
    """The conservative ``entry`` checked with the exact one-stop search: a rule reason
    only when no truck-day has a route; a servable venue whose value does not cover even
    its cheapest travel is ``not_worth_travel``."""
    rules = problem.rules
    value = visit_value(venue, 0, rules.max_screenings_per_stop, rules)
    per_min = rules.travel_cost_per_hour / 60.0
    if entry.reason is UnservedReason.TRUCKS_BUSY:
        if per_min <= 0:
            return entry
        fastest = min(search.fastest_round_trip_min(venue, t, day) for day, t in pairs)
        if value > per_min * fastest:
            return entry
        return _not_worth(venue, value, per_min * fastest, "even the fastest round trip")
    if entry.reason not in _RULE_REASONS:
        return entry
    cheapest: OneStop | None = None
    for day, truck in pairs:
        if deadline is not None and time.monotonic() > deadline and cheapest is None:
            return entry
        found = search.find(venue, truck, day)
        if found is not None and (cheapest is None or found.drive_min < cheapest.drive_min):
            cheapest = found
        if cheapest is not None and value > per_min * cheapest.drive_min:
            break
    if cheapest is None:
        return entry
    route = cheapest.route
    show = route.stops[0].screenings[0]
    example = (
        f"{problem.truck(route.truck_id).name} on {route.day}, '{cheapest.film.title}' at "
        f"{show.start:%H:%M}"
    )
    if value <= per_min * cheapest.drive_min:
        return _not_worth(venue, value, per_min * cheapest.drive_min, f"the trip ({example})")
    return Unserved(
        venue.id,
        UnservedReason.TRUCKS_BUSY,
        f"a one-stop visit fits ({example}), but the trucks' days went to venues of higher "
        f"value (its value {venue.audience_seats} seats x priority {venue.priority:g})",
    )


def _not_worth(venue: Venue, value: float, cost: float, trip: str) -> Unserved:
    return Unserved(
        venue.id,
        UnservedReason.NOT_WORTH_TRAVEL,
        f"its value ({value:g}: {venue.audience_seats} seats x priority {venue.priority:g}) "
        f"does not cover the travel cost of {trip} ({cost:.0f})",
    )


def _timing(
    problem: Problem, matrix: TravelMatrix, venue: Venue, pairs: list[tuple[date, Truck]]
) -> Unserved:
    rules = problem.rules
    _, short = slot_lengths(problem)
    blockers: dict[str, set[str]] = {}
    reachable = False
    shift_notes: list[str] = []
    rest_notes: list[str] = []
    for day, base_truck in pairs:
        truck = _truck_on(base_truck, day)
        cls = TruckClass.of(truck)
        steps = start_rules(venue, cls, day, short, rules).applied()
        if not steps[-1][1]:
            names = _day_hours_named(venue, day, _narrowing(steps))
            blockers.setdefault(truck.screen.value, set()).update(names)
            continue
        starts = steps[-1][1]
        there, back = _drives(matrix, truck, venue, starts, short + rules.screening_gap_min)
        blocked = _breaks_rest_rule(problem, truck, there, back, short)
        if blocked:
            rest_notes.append(blocked)
            continue
        pauses = _pauses(problem, truck, there, back, short)
        if _fits_shift(truck, starts, there + pauses, back, short):
            reachable = True
            break
        breaks = f" plus {_hours(pauses)} of driver's breaks" if pauses else ""
        shift_notes.append(
            f"{truck.name}: first screening allowed from {_clock(starts[0][0])}, "
            f"{_hours(there)} there, {_hours(back)} back{breaks}, shift "
            f"{_clock(truck.shift.start_min)}–{_clock(truck.shift.end_min)}"
            + ("" if truck.shift == base_truck.shift else f" on {day} (day_shifts)")
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
            rest_notes[0],
        )
    return Unserved(
        venue.id,
        UnservedReason.OUTSIDE_SHIFT,
        "outside every shift after travel (" + "; ".join(sorted(set(shift_notes))[:3]) + ")",
    )


def _truck_on(truck: Truck, day: date) -> Truck:
    """The truck with its shift and longest working day of ``day`` (its ``day_shifts``)."""
    shift, longest = truck.shift_on(day), truck.max_shift_on(day)
    if shift == truck.shift and longest == truck.max_shift_min:
        return truck
    return replace(truck, shift=shift, max_shift_min=longest)


def _day_hours_named(venue: Venue, day: date, names: set[str]) -> set[str]:
    """Name a ``day_hours`` rule instead of the hours when one sets the hours of ``day``."""
    hours = venue.hours_on(day)
    if "hours" not in names or hours == venue.hours:
        return names
    return (names - {"hours"}) | {"day_hours" if hours else "closed"}


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
    lead = int(matrix.leg_min(truck.depot, venue.location)) + 180
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
    return matrix.leg_min(origin, destination, hours)


def _breaks_rest_rule(
    problem: Problem, truck: Truck, there: float, back: float, slot: int
) -> str | None:
    """Why a visit with one ``slot``-min screening breaks the driver's rule as the router
    sees it (``rest.RestRule``: the stop, the drive there or the drive back); ``None`` when
    it fits."""
    rest = RestRule.of(problem)
    setup, teardown = truck.setup_min, truck.teardown_min
    limit = _hours(rest.max_work_min)
    as_work = "" if rest.screenings_rest else "; screenings count as the driver's work"
    gap = rest.gap_min(setup, 1, slot, teardown)
    longest = max(setup, teardown)
    if longest > rest.max_work_min:
        piece = "setup" if setup >= teardown else "teardown"
        return (
            f"{piece} alone ({longest} min) is longer than the {limit} of work allowed "
            f"between {rest.break_min}-min breaks"
        )
    if gap is None:
        return (
            f"setup ({setup} min), a {slot}-min screening and teardown ({teardown} min) are "
            f"{_hours(setup + slot + teardown)} of work, more than the {limit} allowed between "
            f"{rest.break_min}-min breaks{as_work}"
        )
    service = setup + slot + teardown
    tail = rest.tail_min(1, slot, gap, teardown, service)
    allowed = (
        f"more than the {_hours(rest.one_break_work_min)} the planner allows around one "
        f"{rest.break_min}-min break (at most {limit} of work between breaks{as_work})"
    )
    if rest.arc(0, there, setup, True)[0]:
        return (
            f"the drive there ({_hours(there)} from the depot at the slowest hour) plus "
            f"setup ({setup} min) is {_hours(there + setup)} of work, {allowed}"
        )
    if rest.arc(tail, back, 0, False)[0]:
        stop = f"teardown ({teardown} min)"
        if not rest.screenings_rest:
            stop = f"setup, a {slot}-min screening and teardown ({_hours(tail)})"
        return (
            f"{stop} plus the drive back ({_hours(back)} to the depot at the slowest hour) "
            f"is {_hours(tail + back)} of work, {allowed}"
        )
    return None


def _pauses(problem: Problem, truck: Truck, there: float, back: float, slot: int) -> int:
    """Break minutes the router adds to the drives there and back."""
    rest = RestRule.of(problem)
    service = truck.setup_min + slot + truck.teardown_min
    tail = rest.tail_min(1, slot, 0, truck.teardown_min, service)
    return rest.arc(0, there, truck.setup_min, True)[1] + rest.arc(tail, back, 0, False)[1]


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
