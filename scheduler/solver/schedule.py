"""From routed vehicles and chosen films to routes with exact times: drives timed with the
travel provider at their real departure, declared breaks where a drive needs one.

``timed_route`` (depot departure, breaks and depot return around stops whose times are set)
is the one place that rule lives: the season planner, pinned truck-days and hand edits
(``retime.retime_route``) all go through it."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from scheduler.domain import (
    Break,
    Film,
    Location,
    Problem,
    Route,
    Screening,
    ScreenType,
    Stop,
    Truck,
)
from scheduler.solver.matrix import TravelMatrix
from scheduler.solver.pins import local_midnight
from scheduler.solver.programme import Slot
from scheduler.solver.rest import RestRule, stop_work
from scheduler.solver.routing import RoutedStop, RoutedVehicle, WindowModel
from scheduler.sun import dawn_min
from scheduler.travel import TravelTimes

__all__ = ["pinned_route", "routes_of", "slots_of", "timed_route"]


def slots_of(
    problem: Problem, model: WindowModel, routed: list[RoutedVehicle]
) -> list[tuple[Slot, int]]:
    """Every slot of every routed stop, with the number of its stop in the window.

    A stop's last slot may take a longer film when the route leaves room after it.
    """
    rules = problem.rules
    out: list[tuple[Slot, int]] = []
    number = 0
    for vehicle in routed:
        for position, stop in enumerate(vehicle.stops):
            option = stop.option
            first = stop.arrival_min - vehicle.vehicle.day_index * 1440 + option.setup_min
            room = _room_after(problem, model, vehicle, position)
            for i in range(option.slots):
                last = i == option.slots - 1
                slot = Slot(
                    key=(number, i),
                    venue=option.venue,
                    day=vehicle.vehicle.day,
                    start_min=first + i * (option.slot_min + option.gap_min),
                    capacity_min=option.slot_min + (room if last else 0),
                    weight=1.0 if i == 0 else rules.second_screening_factor,
                    only_slot=option.slots == 1,
                )
                out.append((slot, number))
            number += 1
    return out


def _room_after(problem: Problem, model: WindowModel, vehicle: RoutedVehicle, position: int) -> int:
    """Minutes the stop's programme may run past its planned end without breaking a rule
    the router checked: venue hours, silence, darkness's end at dawn, truck zone, the next
    stop, the shift."""
    rules = problem.rules
    if not rules.screening_is_driver_rest:  # a longer show would lengthen the driver's work
        return 0
    stops, truck = vehicle.stops, vehicle.vehicle.truck
    stop, option = stops[position], stops[position].option
    base = vehicle.vehicle.day_index * 1440
    start = stop.arrival_min - base + option.setup_min
    end = start + option.service_min - option.setup_min - option.teardown_min
    day = vehicle.vehicle.day
    limits = [w.end_min for w in option.venue.hours_on(day) if w.contains(start, end)]
    if option.venue.residential:
        limits.append(rules.silence_start_min)
    if truck.screen is ScreenType.PROJECTOR:
        dawn = dawn_min(day, option.venue.location, rules.timezone)
        if dawn is not None:
            limits.append(dawn)
    if option.venue.inside_ttk and not truck.has_ttk_pass:
        ban = rules.ttk_ban_start_min + (
            1440 if stop.arrival_min - base >= rules.ttk_ban_end_min else 0
        )
        limits.append(ban - truck.teardown_min)

    def drive(a: int, b: int) -> int:
        return math.ceil(float(model.travel_min[a, b])) + int(model.extra_transit_min[a, b])

    if position + 1 < len(stops):
        after = stops[position + 1]
        limits.append(after.arrival_min - base - drive(stop.node, after.node) - truck.teardown_min)
    else:
        home = drive(stop.node, vehicle.node) + truck.teardown_min
        leave = stops[0].arrival_min - base - drive(vehicle.node, stops[0].node)
        limits.append(truck.shift_on(day).end_min - home)
        limits.append(leave + truck.max_shift_on(day) - home)
    return max(0, min(limits) - end)


def routes_of(
    problem: Problem,
    travel: TravelTimes,
    model: WindowModel,
    routed: list[RoutedVehicle],
    slots: list[tuple[Slot, int]],
    films: dict[tuple[int, int], Film],
) -> list[Route]:
    """Routes with exact times; a stop that got no film is left out, a pinned stop is kept
    exactly as it was pinned."""
    tz = problem.rules.timezone
    by_stop: dict[int, list[Screening]] = defaultdict(list)
    for slot, number in slots:
        film = films.get(slot.key)
        if film is not None:
            start = local_midnight(slot.day, tz) + timedelta(minutes=slot.start_min)
            end = start + timedelta(minutes=film.runtime_min)
            by_stop[number].append(Screening(film.id, start, end))
    routes = []
    number = 0
    for vehicle in routed:
        kept: list[tuple[RoutedStop, Stop]] = []
        midnight = local_midnight(vehicle.vehicle.day, tz)
        offset = vehicle.vehicle.day_index * 1440
        for stop in vehicle.stops:
            screenings = tuple(by_stop.get(number, []))
            number += 1
            if stop.option.pinned is not None:
                kept.append((stop, stop.option.pinned))
            elif screenings:
                arrival = midnight + timedelta(minutes=stop.arrival_min - offset)
                departure = screenings[-1].end + timedelta(
                    minutes=vehicle.vehicle.truck.teardown_min
                )
                kept.append((stop, Stop(stop.option.venue.id, arrival, departure, screenings)))
        if kept:
            first_leg = float(model.travel_min[vehicle.node, kept[0][0].node])
            truck, day = vehicle.vehicle.truck, vehicle.vehicle.day
            venues = [routed.option.venue.location for routed, _ in kept]
            stops = [stop for _, stop in kept]
            routes.append(timed_route(problem, travel, truck, day, venues, stops, first_leg))
    return routes


def pinned_route(
    problem: Problem,
    travel: TravelTimes,
    matrix: TravelMatrix,
    truck: Truck,
    day: date,
    stops: Sequence[Stop],
) -> Route:
    """A truck-day with only its pinned stops, kept exactly, and the drives, breaks and
    depot times around them."""
    venues = [problem.venue(stop.venue_id).location for stop in stops]
    first_leg = float(matrix.between([truck.depot], venues[:1])[0, 0])
    return timed_route(problem, travel, truck, day, venues, stops, first_leg)


def timed_route(
    problem: Problem,
    travel: TravelTimes,
    truck: Truck,
    day: date,
    venues: Sequence[Location],
    stops: Sequence[Stop],
    first_leg_min: float,
) -> Route:
    """The route of a truck-day around stops whose times are fixed: the depot departure
    (as late as the first arrival and the breaks the router reserved before it allow),
    exact drives, a declared break in any drive that needs one, and the depot return.

    ``venues`` are the stops' locations; ``first_leg_min`` is a conservative drive to the
    first stop (it decides the breaks of the first drive, as the router did).
    """
    places = [truck.depot, *venues, truck.depot]
    rest = RestRule.of(problem)
    depart = _depot_departure(
        travel,
        places[0],
        places[1],
        stops[0].arrival,
        first_leg_min,
        rest.first_pause_min(first_leg_min, truck.setup_min),
    )
    breaks: list[Break] = []
    work: list[tuple[datetime, datetime]] = []
    leave = depart
    for i, stop in enumerate(stops):
        drive = travel.duration_min(places[i], places[i + 1], leave)
        before = _work_before(rest, truck, depart, work, leave, first=i == 0)
        found = rest.leg_break(leave, drive, stop.arrival, before, truck.setup_min)
        breaks.extend(found)
        work.extend(_drive_work(leave, drive, found))
        work.extend(stop_work(stop, truck.setup_min, truck.teardown_min, not rest.screenings_rest))
        leave = stop.departure
    drive = travel.duration_min(places[-2], places[-1], leave)
    before = _work_before(rest, truck, depart, work, leave, first=False)
    back = leave + timedelta(minutes=drive)
    if rest.leg_break(leave, drive, back, before, 0):
        back += timedelta(minutes=problem.rules.break_min)
    breaks.extend(rest.leg_break(leave, drive, back, before, 0))
    return Route(truck.id, day, depart, back, tuple(stops), tuple(breaks))


def _depot_departure(
    travel: TravelTimes,
    depot: Location,
    venue: Location,
    arrival: datetime,
    first_leg_min: float,
    pause_min: int,
) -> datetime:
    """The latest departure that reaches the first stop with ``pause_min`` to spare."""
    pause = timedelta(minutes=pause_min)
    drive = travel.duration_min(depot, venue, arrival - pause)
    depart = arrival - pause - timedelta(minutes=drive)
    if depart + pause + timedelta(minutes=travel.duration_min(depot, venue, depart)) > arrival:
        depart = arrival - pause - timedelta(minutes=float(math.ceil(first_leg_min)))
    return depart


def _work_before(
    rest: RestRule,
    truck: Truck,
    depart: datetime,
    work: Sequence[tuple[datetime, datetime]],
    leave: datetime,
    first: bool,
) -> float:
    """Minutes of work since the driver's last rest when the truck leaves (with screenings
    as rest: the teardown, or nothing at the depot)."""
    if rest.screenings_rest:
        return 0.0 if first else float(truck.teardown_min)
    return (leave - rest.rested_at(depart, work, leave)) / timedelta(minutes=1)


def _drive_work(
    leave: datetime, drive: float, breaks: Sequence[Break]
) -> list[tuple[datetime, datetime]]:
    """The moving parts of a drive, paused by its declared breaks (as the validator sees
    them)."""
    parts, cursor, left = [], leave, timedelta(minutes=drive)
    for pause in sorted(breaks, key=lambda b: b.start):
        if cursor <= pause.start < cursor + left:
            parts.append((cursor, pause.start))
            left -= pause.start - cursor
            cursor = pause.end
    parts.append((cursor, cursor + left))
    return parts
