"""The season planner: rolling windows of a few days, each routed and programmed, with the
season rules (visit counts, gaps between visits, films already shown, okrug shares)
carried from one window to the next in an explicit ``SeasonState``.

Each window is a pure function of (problem, state, days): a later worker pool can plan
independent regions or trucks of one window in parallel without touching this loop.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from scheduler.domain import (
    Break,
    Film,
    Location,
    Problem,
    Route,
    Screening,
    Stop,
    Venue,
    truck_available_on,
    venue_open_on,
)
from scheduler.scoring import visit_value
from scheduler.solver.programme import Slot, assign_films
from scheduler.solver.routing import (
    Option,
    RoutedStop,
    RoutedVehicle,
    Vehicle,
    WindowModel,
    route_window,
)
from scheduler.solver.windows import (
    TruckClass,
    arrival_windows,
    eligible_films,
    programme_min,
    slot_lengths,
    union,
)
from scheduler.travel import TravelTimes

__all__ = ["SeasonState", "TravelMatrix", "plan_season"]

Progress = Callable[[int, int], None]


@dataclass
class SeasonState:
    """What earlier windows decided that later windows must respect."""

    visits: dict[str, list[date]] = field(default_factory=lambda: defaultdict(list))
    shown: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    film_uses: Counter[str] = field(default_factory=Counter)
    okrug_screenings: Counter[str] = field(default_factory=Counter)

    def shown_frozen(self) -> dict[str, frozenset[str]]:
        return {venue: frozenset(films) for venue, films in self.shown.items()}


@dataclass(frozen=True)
class TravelMatrix:
    """Conservative minutes between every venue and depot by hour of departure, computed
    once per problem."""

    index: dict[Location, int]
    by_hour: np.ndarray
    """``by_hour[h, i, j]``: minutes from place i to j leaving in hour h (0..23)."""
    worst: np.ndarray
    """The longest over every hour any shift covers."""

    @staticmethod
    def build(problem: Problem, travel: TravelTimes) -> TravelMatrix:
        places = list(
            dict.fromkeys([t.depot for t in problem.trucks] + [v.location for v in problem.venues])
        )
        by_hour = np.stack([travel.worst_matrix_min(places, [h]) for h in range(24)])
        hours = sorted(
            set().union(
                *(hours_touched(t.shift.start_min, t.shift.end_min) for t in problem.trucks)
            )
        )
        worst = by_hour[hours].max(axis=0)
        return TravelMatrix({p: i for i, p in enumerate(places)}, by_hour, worst)

    def between(self, origins: Sequence[Location], destinations: Sequence[Location]) -> np.ndarray:
        """The all-hours worst case."""
        rows = [self.index[p] for p in origins]
        cols = [self.index[p] for p in destinations]
        result: np.ndarray = self.worst[np.ix_(rows, cols)]
        return result

    def leaving_in(
        self, origins: Sequence[Location], destinations: Sequence[Location], hours: frozenset[int]
    ) -> np.ndarray:
        """The worst case over departures in ``hours``."""
        rows = [self.index[p] for p in origins]
        cols = [self.index[p] for p in destinations]
        result: np.ndarray = self.by_hour[np.ix_(sorted(hours), rows, cols)].max(axis=0)
        return result


def hours_touched(start_min: int, end_min: int) -> frozenset[int]:
    """Hours of the day touched by ``[start_min, end_min]``."""
    return frozenset(h % 24 for h in range(start_min // 60, end_min // 60 + 1))


def plan_season(
    problem: Problem,
    travel: TravelTimes,
    time_limit_s: float,
    progress: Progress | None = None,
) -> tuple[list[Route], SeasonState]:
    """Plan every window in turn; return the routes and the final season state."""
    matrix = TravelMatrix.build(problem, travel)
    state = SeasonState()
    windows = _windows(problem.days, problem.rules.window_days)
    deadline = time.monotonic() + time_limit_s
    routes: list[Route] = []
    for done, days in enumerate(windows):
        left = max(0.5, deadline - time.monotonic())
        budget = left / (len(windows) - done)
        routes.extend(_plan_window(problem, travel, matrix, state, days, budget))
        if progress is not None:
            progress(done + 1, len(windows))
    return routes, state


def _windows(days: Sequence[date], size: int) -> list[tuple[date, ...]]:
    ordered = sorted(days)
    return [tuple(ordered[i : i + size]) for i in range(0, len(ordered), size)]


def _plan_window(
    problem: Problem,
    travel: TravelTimes,
    matrix: TravelMatrix,
    state: SeasonState,
    days: tuple[date, ...],
    budget_s: float,
) -> list[Route]:
    model = build_window(problem, matrix, state, days)
    routed = route_window(model, budget_s * 0.85)
    slots = _slots(problem, routed)
    films = assign_films(
        [slot for slot, _ in slots],
        problem.films,
        problem.rules,
        state.shown_frozen(),
        state.film_uses,
        time_limit_s=max(0.2, budget_s * 0.1),
    )
    routes = _routes(problem, travel, model, routed, slots, films)
    _record(state, problem, routes)
    return routes


# --- building the window model --------------------------------------------------------


def build_window(
    problem: Problem, matrix: TravelMatrix, state: SeasonState, days: tuple[date, ...]
) -> WindowModel:
    """The routing model of one window (plain data)."""
    vehicles = tuple(
        Vehicle(truck, day, j)
        for j, day in enumerate(days)
        for truck in problem.trucks
        if truck_available_on(truck, day)
    )
    bonus = _okrug_bonus(problem, state)
    options = tuple(
        option
        for venue in problem.venues
        for option in _venue_options(problem, state, venue, days, vehicles, bonus)
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


def _venue_options(
    problem: Problem,
    state: SeasonState,
    venue: Venue,
    days: tuple[date, ...],
    vehicles: tuple[Vehicle, ...],
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
    main, short = slot_lengths(problem)
    variants = [(k, main, 1.0) for k in range(1, rules.max_screenings_per_stop + 1)]
    if short < main:
        variants.append((1, short, 0.9))
    films = {day: eligible_films(venue, day, problem.films, shown) for _, day in open_days}
    options = []
    for truck_class in sorted({TruckClass.of(v.truck) for v in vehicles}, key=repr):
        ids = [i for i, v in enumerate(vehicles) if TruckClass.of(v.truck) == truck_class]
        for k, slot, factor in variants:
            arrival = _option_arrivals(
                problem, venue, truck_class, vehicles, ids, open_days, films, k, slot
            )
            if not arrival:
                continue
            extra = 1.0 + rules.second_screening_factor * (k - 1)
            options.append(
                Option(
                    venue=venue,
                    vehicle_ids=tuple(ids),
                    slots=k,
                    slot_min=slot,
                    service_min=truck_class.setup_min
                    + programme_min(k, slot, rules)
                    + truck_class.teardown_min,
                    setup_min=truck_class.setup_min,
                    arrival=tuple(arrival),
                    value=base * extra * factor,
                )
            )
    return options


def _option_arrivals(
    problem: Problem,
    venue: Venue,
    truck_class: TruckClass,
    vehicles: tuple[Vehicle, ...],
    ids: list[int],
    open_days: list[tuple[int, date]],
    films: dict[date, list[Film]],
    k: int,
    slot: int,
) -> list[tuple[int, int]]:
    rules = problem.rules
    late_shift = max(0, max(t.shift.end_min for t in problem.trucks) - 1440)
    found = []
    for j, day in open_days:
        if not any(vehicles[i].day_index == j for i in ids):
            continue
        if sum(1 for f in films[day] if f.runtime_min <= slot) < k:
            continue
        for lo, hi in arrival_windows(
            venue, truck_class, day, programme_min(k, slot, rules), rules
        ):
            lo = max(lo, late_shift)
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
    teardown[n_v:] = [
        o.service_min - o.setup_min - programme_min(o.slots, o.slot_min, rules) for o in options
    ]
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


# --- from routed vehicles to routes ---------------------------------------------------

SlotPlan = tuple[Slot, RoutedVehicle]


def _slots(problem: Problem, routed: list[RoutedVehicle]) -> list[tuple[Slot, int]]:
    """Every slot of every routed stop, with the number of its stop in the window."""
    rules = problem.rules
    out: list[tuple[Slot, int]] = []
    number = 0
    for vehicle in routed:
        for stop in vehicle.stops:
            first = stop.arrival_min - vehicle.vehicle.day_index * 1440 + stop.option.setup_min
            for i in range(stop.option.slots):
                weight = 1.0 if i == 0 else rules.second_screening_factor
                slot = Slot(
                    key=(number, i),
                    venue=stop.option.venue,
                    day=vehicle.vehicle.day,
                    start_min=first + i * (stop.option.slot_min + rules.screening_gap_min),
                    capacity_min=stop.option.slot_min,
                    weight=weight,
                    only_slot=stop.option.slots == 1,
                )
                out.append((slot, number))
            number += 1
    return out


def _midnight(day: date, timezone: str) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(timezone))


def _routes(
    problem: Problem,
    travel: TravelTimes,
    model: WindowModel,
    routed: list[RoutedVehicle],
    slots: list[tuple[Slot, int]],
    films: dict[tuple[int, int], Film],
) -> list[Route]:
    """Routes with exact times; a stop that got no film is left out."""
    tz = problem.rules.timezone
    by_stop: dict[int, list[Screening]] = defaultdict(list)
    for slot, number in slots:
        film = films.get(slot.key)
        if film is not None:
            start = _midnight(slot.day, tz) + timedelta(minutes=slot.start_min)
            end = start + timedelta(minutes=film.runtime_min)
            by_stop[number].append(Screening(film.id, start, end))
    routes = []
    number = 0
    for vehicle in routed:
        kept: list[tuple[RoutedStop, Stop]] = []
        midnight = _midnight(vehicle.vehicle.day, tz)
        offset = vehicle.vehicle.day_index * 1440
        for stop in vehicle.stops:
            screenings = tuple(by_stop.get(number, []))
            number += 1
            if screenings:
                arrival = midnight + timedelta(minutes=stop.arrival_min - offset)
                departure = screenings[-1].end + timedelta(
                    minutes=vehicle.vehicle.truck.teardown_min
                )
                kept.append((stop, Stop(stop.option.venue.id, arrival, departure, screenings)))
        if kept:
            first_leg = float(model.travel_min[vehicle.node, kept[0][0].node])
            routes.append(_route(problem, travel, vehicle.vehicle, first_leg, [s for _, s in kept]))
    return routes


def _route(
    problem: Problem, travel: TravelTimes, vehicle: Vehicle, first_leg_min: float, stops: list[Stop]
) -> Route:
    """Exact drive times around fixed stops, with a break in any drive that needs one.

    ``first_leg_min`` is the router's conservative drive to the first stop.
    """
    truck = vehicle.truck
    venues = {v.id: v for v in problem.venues}
    places = [truck.depot] + [venues[s.venue_id].location for s in stops] + [truck.depot]
    rest = _RestRule.of(problem)
    first_break = rest.needs_break(0, first_leg_min, truck.setup_min)
    pause = timedelta(minutes=problem.rules.break_min if first_break else 0)
    arrival = stops[0].arrival
    drive = travel.duration_min(places[0], places[1], arrival - pause)
    depart = arrival - pause - timedelta(minutes=drive)
    if (
        depart + pause + timedelta(minutes=travel.duration_min(places[0], places[1], depart))
        > arrival
    ):
        depart = arrival - pause - timedelta(minutes=float(np.ceil(first_leg_min)))
    breaks: list[Break] = []
    leave, before = depart, 0
    for i, stop in enumerate(stops):
        drive = travel.duration_min(places[i], places[i + 1], leave)
        breaks.extend(rest.leg_break(leave, drive, stop.arrival, before, truck.setup_min))
        leave, before = stop.departure, truck.teardown_min
    drive = travel.duration_min(places[-2], places[-1], leave)
    back = leave + timedelta(minutes=drive)
    if rest.leg_break(leave, drive, back, before, 0):
        back += timedelta(minutes=problem.rules.break_min)
    breaks.extend(rest.leg_break(leave, drive, back, before, 0))
    return Route(truck.id, vehicle.day, depart, back, tuple(stops), tuple(breaks))


@dataclass(frozen=True, slots=True)
class _RestRule:
    """Where the driver's break goes on a drive, when screenings are the driver's rest."""

    max_work_min: int
    break_min: int
    active: bool

    @staticmethod
    def of(problem: Problem) -> _RestRule:
        rules = problem.rules
        return _RestRule(
            rules.max_work_before_break_min, rules.break_min, rules.screening_is_driver_rest
        )

    def needs_break(self, before: float, drive: float, after: float) -> bool:
        """The solver's test: teardown + drive + setup leaves no room for a short wait."""
        return self.active and before + drive + after > self.max_work_min - self.break_min

    def leg_break(
        self, leave: datetime, drive: float, arrive: datetime, before: float, after: float
    ) -> list[Break]:
        """A declared break inside this drive, if the pieces around it would be too long."""
        if not self.active:
            return []
        idle = (arrive - leave) / timedelta(minutes=1) - drive
        if idle >= self.break_min and before + drive <= self.max_work_min:
            return []
        if idle < self.break_min and before + drive + idle + after <= self.max_work_min:
            return []
        start = leave + timedelta(minutes=min(drive, self.max_work_min - before))
        return [Break(start, start + timedelta(minutes=max(idle, self.break_min)))]


def _record(state: SeasonState, problem: Problem, routes: list[Route]) -> None:
    venues = {v.id: v for v in problem.venues}
    for route in routes:
        for stop in route.stops:
            state.visits[stop.venue_id].append(route.day)
            state.okrug_screenings[venues[stop.venue_id].okrug] += len(stop.screenings)
            for screening in stop.screenings:
                state.shown[stop.venue_id].add(screening.film_id)
                state.film_uses[screening.film_id] += 1
