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

_FIXED_POINT_STEPS = 8
"""Steps of the search for the latest depot departure (a drive changes with the hour)."""
_MINUTE = timedelta(minutes=1)
_EPSILON_MIN = 1e-6
_MAX_HOME_BREAKS = 24
_ROUNDING = timedelta(seconds=0.5)
"""A departure this close before the shift opens leaves as it opens (float drives)."""


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
    """The route of a truck-day around stops whose times are fixed: the depot departure,
    exact drives, a declared break in any drive that needs one (as many as the drive home
    needs), and the depot return.

    The departure is the router's (the break it reserved for ``first_leg_min``, a
    conservative drive to the first stop) when that is in the shift; otherwise the latest
    with exact drives (``_departures``). The first departure whose route is sound (drives in
    time, rests as ``checks.verify`` counts them, home within the shift) is kept; the truck
    never leaves before its shift opens.
    """
    places = [truck.depot, *venues, truck.depot]
    rest = RestRule.of(problem)
    opens = local_midnight(day, problem.rules.timezone) + timedelta(
        minutes=truck.shift_on(day).start_min
    )
    leg = _FirstLeg(travel, rest, truck, places[1], stops[0])
    first: Route | None = None
    for depart in _departures(leg, opens, first_leg_min):
        route, sound = _timed_from(problem, travel, truck, day, places, stops, depart)
        if sound:
            return route
        first = first or route
    return first or _timed_from(problem, travel, truck, day, places, stops, opens)[0]


def _timed_from(
    problem: Problem,
    travel: TravelTimes,
    truck: Truck,
    day: date,
    places: Sequence[Location],
    stops: Sequence[Stop],
    depart: datetime,
) -> tuple[Route, float]:
    """The route leaving the depot at ``depart``, and whether it is sound: every drive with
    its declared break reaches its stop in time, the driver's longest stretch of work
    between rests keeps to the limit (as ``checks.verify`` counts it), and the truck is home
    within the shift and its longest length."""
    rest = RestRule.of(problem)
    breaks: list[Break] = []
    work: list[tuple[datetime, datetime]] = []
    leave = depart
    sound = True
    for i, stop in enumerate(stops):
        drive = travel.duration_min(places[i], places[i + 1], leave)
        before = _work_before(rest, depart, work, leave)
        found = rest.leg_break(leave, drive, stop.arrival, before, truck.setup_min)
        paused = sum((b.end - b.start) / _MINUTE for b in found)
        sound &= drive + paused <= (stop.arrival - leave) / _MINUTE + _EPSILON_MIN
        breaks.extend(found)
        work.extend(_drive_work(leave, drive, found))
        work.extend(stop_work(stop, truck.setup_min, truck.teardown_min, not rest.screenings_rest))
        leave = stop.departure
    drive = travel.duration_min(places[-2], places[-1], leave)
    before = _work_before(rest, depart, work, leave)
    home = _home_breaks(rest, leave, drive, before)
    back = leave + timedelta(minutes=drive) + sum((b.end - b.start for b in home), timedelta())
    breaks.extend(home)
    work.extend(_drive_work(leave, drive, home))
    route = Route(truck.id, day, depart, back, tuple(stops), tuple(breaks))
    closes = local_midnight(day, problem.rules.timezone) + timedelta(
        minutes=truck.shift_on(day).end_min
    )
    sound &= back <= closes and back - depart <= timedelta(minutes=truck.max_shift_on(day))
    sound &= _longest_stretch_min(rest, depart, work) <= rest.max_work_min + _EPSILON_MIN
    return route, sound


@dataclass(frozen=True, slots=True)
class _FirstLeg:
    """The drive from the depot to the first stop: it must reach the stop by its arrival,
    with the declared break ``RestRule.leg_break`` puts in it."""

    travel: TravelTimes
    rest: RestRule
    truck: Truck
    venue: Location
    stop: Stop

    def drive_min(self, depart: datetime) -> float:
        return self.travel.duration_min(self.truck.depot, self.venue, depart)

    def fits(self, depart: datetime) -> bool:
        """True when leaving the depot at ``depart`` reaches the first stop in time."""
        drive = self.drive_min(depart)
        idle = (self.stop.arrival - depart) / _MINUTE - drive
        if idle < -_EPSILON_MIN:
            return False
        breaks = self.rest.leg_break(depart, drive, self.stop.arrival, 0.0, self.truck.setup_min)
        return sum((b.end - b.start) / _MINUTE for b in breaks) <= idle + _EPSILON_MIN

    def latest(self, by: datetime) -> list[datetime]:
        """Departures that arrive by ``by`` (the drive timed at each), found by walking
        ``depart = by - drive(depart)`` to its fixed point (a drive changes with the hour)."""
        found: list[datetime] = []
        depart = by - timedelta(minutes=self.drive_min(by))
        for _ in range(_FIXED_POINT_STEPS):
            later = by - timedelta(minutes=self.drive_min(depart))
            if later >= depart:
                found.append(depart)
            if later == depart:
                break
            depart = later
        return found


def _departures(leg: _FirstLeg, opens: datetime, first_leg_min: float) -> list[datetime]:
    """Depot departures to try, best first, each reaching the first stop in time
    (``_FirstLeg.fits``) and none before the shift ``opens``; ``timed_route`` keeps the
    first whose driver's work keeps the rule.

    First the router's: the break it reserved for its conservative ``first_leg_min``
    before the drive timed at that moment (or the conservative drive itself), the earlier
    first that fits. A route the router planned always has one in the shift. Stops timed with
    exact drives (pins from a valid plan, hand edits) may not: then, latest first, the
    departures that arrive just in time, one break early or two breaks early (a wait of a
    break before setup is rest), each drive timed at its own departure.
    """
    arrival, pause = leg.stop.arrival, timedelta(minutes=leg.rest.break_min)
    reserve = arrival - timedelta(
        minutes=leg.rest.first_pause_min(first_leg_min, leg.truck.setup_min)
    )
    routers = [
        reserve - timedelta(minutes=leg.drive_min(reserve)),
        reserve - timedelta(minutes=math.ceil(first_leg_min)),
    ]
    exact = [depart for k in (0, 1, 2) for depart in leg.latest(arrival - k * pause)]
    ok = [d for d in routers if d >= opens - _ROUNDING and leg.fits(d)]
    out = [max(ok[0], opens)] if ok else []
    later = [d for d in exact if d >= opens - _ROUNDING and leg.fits(d)]
    out += sorted((max(d, opens) for d in later), reverse=True)
    return out


def _longest_stretch_min(
    rest: RestRule, start: datetime, work: Sequence[tuple[datetime, datetime]]
) -> float:
    """Minutes of the driver's longest stretch of work between rests (pauses of at least a
    break) from ``start``."""
    longest, begin, cursor = 0.0, start, start
    for busy_from, busy_to in sorted(w for w in work if w[1] > w[0]):
        if (busy_from - cursor) / _MINUTE >= rest.break_min - 1e-6:
            longest = max(longest, (cursor - begin) / _MINUTE)
            begin = busy_from
        cursor = max(cursor, busy_to)
    return max(longest, (cursor - begin) / _MINUTE)


def _home_breaks(rest: RestRule, leave: datetime, drive: float, before: float) -> list[Break]:
    """The declared breaks of the drive home (it waits for nothing, so each break lengthens
    it): as many as keep every stretch of driving within the limit, the first as
    ``RestRule.leg_break`` places it."""
    breaks: list[Break] = []
    start, left, worked = leave, drive, before
    while worked + left > rest.max_work_min + _EPSILON_MIN and len(breaks) < _MAX_HOME_BREAKS:
        moving = max(0.0, rest.max_work_min - worked)
        at = start + timedelta(minutes=moving)
        breaks.append(Break(at, at + timedelta(minutes=rest.break_min)))
        start, left, worked = breaks[-1].end, left - moving, 0.0
    return breaks


def _work_before(
    rest: RestRule, depart: datetime, work: Sequence[tuple[datetime, datetime]], leave: datetime
) -> float:
    """Minutes of work since the driver's last rest when the truck leaves (as the validator
    counts it: with screenings as rest, usually the teardown; a screening shorter than a
    break is no rest, and nothing at the depot)."""
    return (leave - rest.rested_at(depart, work, leave)) / _MINUTE


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
