"""Problem building for one window: the vehicles, the visit options with their arrival
windows and values, conservative travel between them, and the driver's rest rule on arcs."""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from scheduler.domain import (
    Film,
    Problem,
    Stop,
    Venue,
    truck_available_on,
    venue_open_on,
)
from scheduler.scoring import visit_value
from scheduler.solver.matrix import TravelMatrix, hours_touched
from scheduler.solver.pins import TruckDay, local_midnight, minutes_after
from scheduler.solver.rest import RestRule
from scheduler.solver.routing import Option, Vehicle, WindowModel
from scheduler.solver.schedule import pinned_route
from scheduler.solver.state import SeasonState
from scheduler.solver.windows import (
    TruckClass,
    arrival_windows,
    eligible_films,
    slot_lengths,
    union,
)

__all__ = ["build_window"]


def build_window(
    problem: Problem,
    matrix: TravelMatrix,
    state: SeasonState,
    days: tuple[date, ...],
    venues_per_vehicle: int = 0,
    pinned: Mapping[TruckDay, Sequence[Stop]] | None = None,
    closed: Collection[TruckDay] = (),
) -> WindowModel:
    """The routing model of one window (plain data).

    ``venues_per_vehicle`` > 0 keeps only that many candidate venues per vehicle, the most
    valuable first: a window's vehicles visit one to three venues each, so a large season
    needs only a fraction of its venues in each window's model. ``pinned`` stops become
    visits of their truck-day at their own times, which the router keeps; ``closed``
    truck-days (pinned whole) are left out.
    """
    vehicles = tuple(
        Vehicle(truck, day, j)
        for j, day in enumerate(days)
        for truck in problem.trucks
        if truck_available_on(truck, day) and (truck.id, day) not in closed
    )
    bonus = _okrug_bonus(problem, state)
    fleet = _Fleet.of(problem, vehicles)
    per_venue = _candidates(problem, state, days, fleet, bonus, venues_per_vehicle * len(vehicles))
    options = tuple(option for found in per_venue for option in found) + _pinned_options(
        problem, vehicles, pinned or {}
    )
    travel = _window_travel(matrix, vehicles, options)
    forbidden, extra = _driver_rest_arcs(problem, vehicles, options, travel)
    return WindowModel(
        vehicles=vehicles,
        options=options,
        travel_min=travel,
        travel_cost_per_min=problem.rules.travel_cost_per_hour / 60.0,
        forbidden=forbidden,
        extra_transit_min=extra,
        pinned_transit_min=_pinned_arcs(problem, matrix, vehicles, options),
    )


def _candidates(
    problem: Problem,
    state: SeasonState,
    days: tuple[date, ...],
    fleet: _Fleet,
    bonus: dict[str, float],
    limit: int,
) -> list[list[Option]]:
    """The options of every venue that has some, or (``limit`` > 0) of the ``limit`` venues
    whose best option is the most valuable, in the order the router gets them.

    With a limit, venues are tried from the highest upper bound on their value down (the
    value of a first screening times the best variant's factor), and the search stops once
    ``limit`` venues have an option worth more than the next bound: a season of thousands
    of venues computes the windows of a few hundred, with the same choice as trying all.
    """
    if limit <= 0:
        found = [_venue_options(problem, state, v, days, fleet, bonus) for v in problem.venues]
        return [options for options in found if options]
    rules = problem.rules
    factors = [(1.0 + rules.second_screening_factor * (k - 1)) * f for k, _, f in fleet.variants]
    ranked = []
    for index, venue in enumerate(problem.venues):
        seen = len(state.visits.get(venue.id, ()))
        base = visit_value(venue, seen, 1, rules) * bonus.get(venue.okrug, 1.0)
        ranked.append((base * (max(factors) if base >= 0 else min(factors)), index, venue))
    ranked.sort(key=lambda item: (-item[0], item[1]))
    kept: list[tuple[float, int, list[Option]]] = []
    best: list[float] = []  # the ``limit`` highest values so far (a min-heap)
    stopped = False
    for bound, index, venue in ranked:
        if len(best) >= limit and best[0] > bound + 1e-9 * abs(bound):
            stopped = True
            break
        options = _venue_options(problem, state, venue, days, fleet, bonus)
        if options:
            value = max(o.value for o in options)
            kept.append((value, index, options))
            heapq.heappush(best, value)
            if len(best) > limit:
                heapq.heappop(best)
    if len(kept) <= limit and not stopped:
        return [options for _, _, options in sorted(kept, key=lambda item: item[1])]
    kept.sort(key=lambda item: (-item[0], item[1]))
    return [options for _, _, options in kept[:limit]]


def _pinned_options(
    problem: Problem, vehicles: tuple[Vehicle, ...], pinned: Mapping[TruckDay, Sequence[Stop]]
) -> tuple[Option, ...]:
    """One option per pinned stop, on its vehicle, at its own minutes (the arrival rounded
    down, the departure up)."""
    options = []
    for v, vehicle in enumerate(vehicles):
        truck = vehicle.truck
        midnight = local_midnight(vehicle.day, problem.rules.timezone)
        for stop in pinned.get((truck.id, vehicle.day), ()):
            arrive = math.floor(minutes_after(midnight, stop.arrival))
            leave = math.ceil(minutes_after(midnight, stop.departure))
            at = vehicle.day_index * 1440 + arrive
            options.append(
                Option(
                    venue=problem.venue(stop.venue_id),
                    vehicle_ids=(v,),
                    slots=0,
                    slot_min=0,
                    service_min=leave - arrive,
                    setup_min=truck.setup_min,
                    teardown_min=truck.teardown_min,
                    arrival=((at, at),),
                    value=0.0,
                    pinned=stop,
                )
            )
    return tuple(options)


def _pinned_arcs(
    problem: Problem,
    matrix: TravelMatrix,
    vehicles: tuple[Vehicle, ...],
    options: tuple[Option, ...],
) -> dict[tuple[int, int], int]:
    """Transit minutes of the arcs that join each vehicle's pinned stops to each other and
    to its depot, from the truck-day of its pins alone (``schedule.pinned_route``: the day a
    re-plan falls back to): the router leaves the depot at that day's departure (rounded
    down), reaches each pin at its own minute and is home at that day's return (rounded
    up). Rows are the model's: depots first, then options."""
    n_v = len(vehicles)
    by_vehicle: dict[int, list[tuple[int, Stop]]] = defaultdict(list)
    for i, option in enumerate(options):
        if option.pinned is not None:
            by_vehicle[option.vehicle_ids[0]].append((n_v + i, option.pinned))
    arcs: dict[tuple[int, int], int] = {}
    for v, found in by_vehicle.items():
        pins = sorted(found, key=lambda pin: pin[1].arrival)
        nodes, stops = [node for node, _ in pins], [stop for _, stop in pins]
        truck, day = vehicles[v].truck, vehicles[v].day
        alone = pinned_route(problem, matrix.travel, matrix, truck, day, stops)
        midnight = local_midnight(day, problem.rules.timezone)
        arrive = [math.floor(minutes_after(midnight, stop.arrival)) for stop in stops]
        leave = [math.ceil(minutes_after(midnight, stop.departure)) for stop in stops]
        depart = math.floor(minutes_after(midnight, alone.depot_departure))
        back = math.ceil(minutes_after(midnight, alone.depot_return))
        arcs[v, nodes[0]] = max(0, arrive[0] - depart)
        for k in range(len(nodes) - 1):
            arcs[nodes[k], nodes[k + 1]] = max(0, arrive[k + 1] - leave[k])
        arcs[nodes[-1], v] = max(0, back - leave[-1])
    return arcs


def _window_travel(
    matrix: TravelMatrix, vehicles: tuple[Vehicle, ...], options: tuple[Option, ...]
) -> np.ndarray:
    """Conservative minutes between window nodes, by the hours each leg can start in.

    A leg leaves a stop between its earliest setup end and its latest departure; a leg
    from the depot leaves at most one worst-case drive and a break before the arrival.
    """
    places = [v.truck.depot for v in vehicles] + [o.venue.location for o in options]
    travel = matrix.between(places, places).copy()
    n_v = len(vehicles)
    leave_hours = [
        frozenset().union(
            *(hours_touched(lo + o.setup_min, hi + o.service_min) for lo, hi in o.arrival)
        )
        for o in options
    ]
    for hours, rows in _grouped(leave_hours).items():
        travel[np.array(rows) + n_v] = matrix.leaving_in(
            [places[n_v + r] for r in rows], places, hours
        )
    # a depot leg leaves at most its slowest drive (and a break) before the arrival
    lead = int(np.ceil(travel[:n_v, n_v:].max(initial=0.0))) + 180
    arrive_hours = [
        frozenset().union(*(hours_touched(lo - lead, hi) for lo, hi in o.arrival)) for o in options
    ]
    depots = places[:n_v]
    for hours, cols in _grouped(arrive_hours).items():
        block = matrix.leaving_in(depots, [places[n_v + c] for c in cols], hours)
        travel[np.ix_(np.arange(n_v), np.array(cols) + n_v)] = block
    return travel


def _grouped(keys: list[frozenset[int]]) -> dict[frozenset[int], list[int]]:
    groups: dict[frozenset[int], list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        groups[key].append(i)
    return groups


def _okrug_bonus(problem: Problem, state: SeasonState) -> dict[str, float]:
    okrugs = {v.okrug for v in problem.venues}
    total = sum(state.okrug_screenings.values())
    if not total:
        return {}
    target = problem.rules.okrug_share_target * total / len(okrugs)
    return {
        okrug: 1.0 + problem.rules.okrug_bonus
        for okrug in okrugs
        if state.okrug_screenings[okrug] < target
    }


SHORT_SLOT_FACTOR = 0.9
"""Value factor of an option with short slots (``windows.slot_lengths``): it fits tight
windows and short films, and yields to the main slot's option where both fit."""


@dataclass(frozen=True, slots=True)
class _Fleet:
    """What every venue's options share in one window, computed once."""

    vehicles: tuple[Vehicle, ...]
    classes: dict[TruckClass, tuple[int, ...]]
    """Vehicle indices of each truck class."""
    variants: tuple[tuple[int, int, float], ...]
    """``(slots, slot length, value factor)`` of each option kind."""
    earliest_arrival_min: int
    """Arrivals before this (past a previous day's shift end) are left out."""
    latest_arrival_min: int = 10_000
    """Arrivals after this (from the next day's earliest shift start on) are left out: a
    day's window past midnight must not be taken by the next day's vehicles."""

    @staticmethod
    def of(problem: Problem, vehicles: tuple[Vehicle, ...]) -> _Fleet:
        classes: dict[TruckClass, list[int]] = defaultdict(list)
        for i, vehicle in enumerate(vehicles):
            classes[TruckClass.of(vehicle.truck)].append(i)
        main, short = slot_lengths(problem)
        most = problem.rules.max_screenings_per_stop
        variants = [(k, main, 1.0) for k in range(1, most + 1)]
        if short < main:
            variants += [(k, short, SHORT_SLOT_FACTOR) for k in range(1, most + 1)]
        late_shift = max(0, max(w.end_min for t in problem.trucks for w in t.shifts) - 1440)
        early_shift = min(w.start_min for t in problem.trucks for w in t.shifts)
        return _Fleet(
            vehicles,
            {c: tuple(ids) for c, ids in sorted(classes.items(), key=lambda item: repr(item[0]))},
            tuple(variants),
            late_shift,
            1440 + early_shift - 1,
        )


def _venue_options(
    problem: Problem,
    state: SeasonState,
    venue: Venue,
    days: tuple[date, ...],
    fleet: _Fleet,
    bonus: dict[str, float],
) -> list[Option]:
    rules = problem.rules
    visits = state.visits.get(venue.id, [])
    max_visits = rules.max_visits if venue.max_visits is None else venue.max_visits
    if len(visits) >= max_visits:
        return []
    gap_days = max(1, venue.gap_days(rules))
    open_days = [
        (j, day)
        for j, day in enumerate(days)
        if venue_open_on(venue, day) and all(abs((day - seen).days) >= gap_days for seen in visits)
    ]
    if not open_days:
        return []
    base = visit_value(venue, len(visits), 1, rules) * bonus.get(venue.okrug, 1.0)
    shown = frozenset(state.shown.get(venue.id, set()))
    films = {day: eligible_films(venue, day, problem.films, shown) for _, day in open_days}
    options = []
    rest = RestRule.of(problem)
    for truck_class, ids in fleet.classes.items():
        for k, slot, factor in fleet.variants:
            gap = rest.gap_min(truck_class.setup_min, k, slot, truck_class.teardown_min)
            if gap is None:  # the stop alone breaks the driver's rest rule
                continue
            programme = k * slot + (k - 1) * gap
            arrival = _option_arrivals(
                problem, venue, truck_class, fleet, ids, open_days, films, k, slot, programme
            )
            if not arrival:
                continue
            extra = 1.0 + rules.second_screening_factor * (k - 1)
            options.append(
                Option(
                    venue=venue,
                    vehicle_ids=ids,
                    slots=k,
                    slot_min=slot,
                    service_min=truck_class.setup_min + programme + truck_class.teardown_min,
                    setup_min=truck_class.setup_min,
                    teardown_min=truck_class.teardown_min,
                    arrival=tuple(arrival),
                    value=base * extra * factor,
                )
            )
    return options


def _option_arrivals(
    problem: Problem,
    venue: Venue,
    truck_class: TruckClass,
    fleet: _Fleet,
    ids: tuple[int, ...],
    open_days: list[tuple[int, date]],
    films: dict[date, list[Film]],
    k: int,
    slot: int,
    programme: int,
) -> list[tuple[int, int]]:
    """Arrival windows of an option whose programme (screenings and gaps) takes
    ``programme`` minutes."""
    rules = problem.rules
    found = []
    for j, day in open_days:
        if not any(fleet.vehicles[i].day_index == j for i in ids):
            continue
        if sum(1 for f in films[day] if f.runtime_min <= slot) < k:
            continue
        for lo, hi in arrival_windows(venue, truck_class, day, programme, rules):
            lo, hi = max(lo, fleet.earliest_arrival_min), min(hi, fleet.latest_arrival_min)
            if lo <= hi:
                found.append((j * 1440 + lo, j * 1440 + hi))
    return union(found)


def _driver_rest_arcs(
    problem: Problem,
    vehicles: tuple[Vehicle, ...],
    options: tuple[Option, ...],
    travel: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Arcs the driver's break rule forbids, and break minutes to add to arcs
    (``rest.RestRule.arcs``: each node's work before it leaves, and setup on arrival)."""
    rest = RestRule.of(problem)
    n_v = len(vehicles)
    tail = np.zeros(len(travel))
    setup = np.zeros(len(travel))
    tail[n_v:] = [_tail_min(rest, o) for o in options]
    setup[n_v:] = [o.setup_min for o in options]
    to_stop = np.arange(len(travel)) >= n_v
    forbidden, extra = rest.arcs(tail, travel, setup, to_stop)
    np.fill_diagonal(forbidden, False)
    return forbidden, extra


def _tail_min(rest: RestRule, option: Option) -> float:
    """Work at an option's stop from its last rest to its departure."""
    if option.pinned is None or rest.screenings_rest:
        return rest.tail_min(
            option.slots, option.slot_min, option.gap_min, option.teardown_min, option.service_min
        )
    return math.ceil(
        rest.stop_tail_min(option.pinned, option.setup_min, option.teardown_min) - 1e-9
    )
