"""From routed vehicles and chosen films to routes with exact times: drives timed with the
travel provider at their real departure, declared breaks where a drive needs one.

``timed_route`` (depot departure, breaks and depot return around stops whose times are set)
is the one place that rule lives: the season planner, pinned truck-days and hand edits
(``retime.retime_route``) all go through it."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from scheduler.domain import Break, Film, Location, Problem, Route, Screening, Stop, Truck
from scheduler.solver.matrix import TravelMatrix
from scheduler.solver.pins import local_midnight
from scheduler.solver.programme import Slot
from scheduler.solver.routing import RoutedStop, RoutedVehicle, WindowModel
from scheduler.travel import TravelTimes

__all__ = ["RestRule", "pinned_route", "routes_of", "slots_of", "timed_route"]


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
                    start_min=first + i * (option.slot_min + rules.screening_gap_min),
                    capacity_min=option.slot_min + (room if last else 0),
                    weight=1.0 if i == 0 else rules.second_screening_factor,
                    only_slot=option.slots == 1,
                )
                out.append((slot, number))
            number += 1
    return out


def _room_after(problem: Problem, model: WindowModel, vehicle: RoutedVehicle, position: int) -> int:
    """Minutes the stop's programme may run past its planned end without breaking a rule
    the router checked: venue hours, silence, truck zone, the next stop, the shift."""
    rules = problem.rules
    if not rules.screening_is_driver_rest:  # a longer show would lengthen the driver's work
        return 0
    stops, truck = vehicle.stops, vehicle.vehicle.truck
    stop, option = stops[position], stops[position].option
    base = vehicle.vehicle.day_index * 1440
    start = stop.arrival_min - base + option.setup_min
    end = start + option.service_min - option.setup_min - option.teardown_min
    limits = [w.end_min for w in option.venue.hours if w.contains(start, end)]
    if option.venue.residential:
        limits.append(rules.silence_start_min)
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
        limits.append(truck.shift.end_min - home)
        limits.append(leave + truck.max_shift_min - home)
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
    (as late as the first arrival allows), exact drives, a declared break in any drive that
    needs one, and the depot return.

    ``venues`` are the stops' locations; ``first_leg_min`` is a conservative drive to the
    first stop (used when the drive at the exact departure would not fit).
    """
    places = [truck.depot, *venues, truck.depot]
    rest = RestRule.of(problem)
    first_break = rest.needs_break(0, first_leg_min, truck.setup_min)
    pause = timedelta(minutes=problem.rules.break_min if first_break else 0)
    arrival = stops[0].arrival
    drive = travel.duration_min(places[0], places[1], arrival - pause)
    depart = arrival - pause - timedelta(minutes=drive)
    if (
        depart + pause + timedelta(minutes=travel.duration_min(places[0], places[1], depart))
        > arrival
    ):
        depart = arrival - pause - timedelta(minutes=float(math.ceil(first_leg_min)))
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
    return Route(truck.id, day, depart, back, tuple(stops), tuple(breaks))


@dataclass(frozen=True, slots=True)
class RestRule:
    """Where the driver's break goes on a drive, when screenings are the driver's rest."""

    max_work_min: int
    break_min: int
    active: bool

    @staticmethod
    def of(problem: Problem) -> RestRule:
        rules = problem.rules
        return RestRule(
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
