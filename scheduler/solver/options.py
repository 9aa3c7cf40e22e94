"""Problem building for one window: the vehicles, the visit options with their arrival
windows and values, conservative travel between them, and the driver's rest rule on arcs."""

from __future__ import annotations

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
from scheduler.solver.routing import Option, Vehicle, WindowModel
from scheduler.solver.state import SeasonState
from scheduler.solver.windows import (
    TruckClass,
    arrival_windows,
    eligible_films,
    programme_min,
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
    per_venue = [_venue_options(problem, state, v, days, fleet, bonus) for v in problem.venues]
    per_venue = [found for found in per_venue if found]
    if venues_per_vehicle > 0 and len(per_venue) > venues_per_vehicle * len(vehicles):
        per_venue.sort(key=lambda found: -max(o.value for o in found))
        per_venue = per_venue[: venues_per_vehicle * len(vehicles)]
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
    )


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
    lead = int(np.ceil(matrix.worst.max())) + 180
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

    @staticmethod
    def of(problem: Problem, vehicles: tuple[Vehicle, ...]) -> _Fleet:
        classes: dict[TruckClass, list[int]] = defaultdict(list)
        for i, vehicle in enumerate(vehicles):
            classes[TruckClass.of(vehicle.truck)].append(i)
        main, short = slot_lengths(problem)
        most = problem.rules.max_screenings_per_stop
        variants = [(k, main, 1.0) for k in range(1, most + 1)]
        if short < main:
            variants.append((1, short, 0.9))
        late_shift = max(0, max(t.shift.end_min for t in problem.trucks) - 1440)
        return _Fleet(
            vehicles,
            {c: tuple(ids) for c, ids in sorted(classes.items(), key=lambda item: repr(item[0]))},
            tuple(variants),
            late_shift,
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
    open_days = [
        (j, day)
        for j, day in enumerate(days)
        if venue_open_on(venue, day)
        and all(abs((day - seen).days) >= max(1, rules.min_gap_days) for seen in visits)
    ]
    if not open_days:
        return []
    base = visit_value(venue, len(visits), 1, rules) * bonus.get(venue.okrug, 1.0)
    shown = frozenset(state.shown.get(venue.id, set()))
    films = {day: eligible_films(venue, day, problem.films, shown) for _, day in open_days}
    options = []
    for truck_class, ids in fleet.classes.items():
        for k, slot, factor in fleet.variants:
            arrival = _option_arrivals(
                problem, venue, truck_class, fleet, ids, open_days, films, k, slot
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
                    service_min=truck_class.setup_min
                    + programme_min(k, slot, rules)
                    + truck_class.teardown_min,
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
) -> list[tuple[int, int]]:
    rules = problem.rules
    found = []
    for j, day in open_days:
        if not any(fleet.vehicles[i].day_index == j for i in ids):
            continue
        if sum(1 for f in films[day] if f.runtime_min <= slot) < k:
            continue
        for lo, hi in arrival_windows(
            venue, truck_class, day, programme_min(k, slot, rules), rules
        ):
            lo = max(lo, fleet.earliest_arrival_min)
            if lo <= hi:
                found.append((j * 1440 + lo, j * 1440 + hi))
    return union(found)


def _driver_rest_arcs(
    problem: Problem,
    vehicles: tuple[Vehicle, ...],
    options: tuple[Option, ...],
    travel: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Arcs the driver's break rule forbids, and break minutes to add to arcs.

    With screenings as the driver's rest, the work between two rests is teardown, drive,
    a wait shorter than a break, and setup. Otherwise the driver rests on arrival, so the
    work between rests is a whole stop plus the drive after it.
    """
    rules = problem.rules
    n_v = len(vehicles)
    setup = np.zeros(len(travel))
    teardown = np.zeros(len(travel))
    service = np.zeros(len(travel))
    setup[n_v:] = [o.setup_min for o in options]
    teardown[n_v:] = [o.teardown_min for o in options]
    service[n_v:] = [o.service_min for o in options]
    extra = np.zeros(travel.shape, dtype=np.int64)
    if rules.screening_is_driver_rest:
        work = teardown[:, None] + travel + setup[None, :]
        extra[work > rules.max_work_before_break_min - rules.break_min] = rules.break_min
        forbidden = work > 2 * rules.max_work_before_break_min - rules.break_min
    else:
        work = service[:, None] + travel
        forbidden = work > rules.max_work_before_break_min
        extra[:, n_v:] = rules.break_min
    np.fill_diagonal(forbidden, False)
    return forbidden, extra
