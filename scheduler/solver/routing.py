"""Which venue, which day, which truck, in what order: one routing problem per planning
window of a few days, solved by the shared core (``core.solve_core``).

Vehicles are (truck, day) pairs; nodes are visit options (venue x truck class x number of
slots x slot length). All options of one venue share a disjunction, so a venue is visited at
most once per window and dropping it costs its best value. The solver works in whole minutes
from midnight of the window's first day, with a conservative travel matrix (the slowest hour
a leg can fall in), so the exact, time-dependent schedule is always at least as early.

Pinned stops are visits at their own minutes on their own vehicle. The arcs that join a
vehicle's pins to each other and to its depot have ends fixed in time, so they take the
times of the pins' own timed day (``WindowModel.pinned_transit_min``): the conservative
matrix there would refuse pins that a valid plan timed with exact drives (one-stop repairs,
hand edits, routes leaving as the shift opens), and the truck-day would lose its other
visits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from scheduler.domain import Stop, Truck, Venue
from scheduler.solver.core import (
    CoreProblem,
    CoreVehicle,
    CoreVisit,
    route_violations,
    solve_core,
)

__all__ = [
    "Option",
    "RoutedStop",
    "RoutedVehicle",
    "Vehicle",
    "WindowModel",
    "misfit_pins",
    "pins_made",
    "route_window",
]


@dataclass(frozen=True, slots=True)
class Vehicle:
    """One truck on one day of the window."""

    truck: Truck
    day: date
    day_index: int


@dataclass(frozen=True, slots=True)
class Option:
    """One way to visit a venue: which trucks, how many slots of which length, and when."""

    venue: Venue
    vehicle_ids: tuple[int, ...]
    slots: int
    slot_min: int
    service_min: int
    """Setup, the slots with their gaps, and teardown."""
    setup_min: int
    teardown_min: int
    arrival: tuple[tuple[int, int], ...]
    """Allowed arrival minutes from the window's first midnight (sorted, disjoint)."""
    value: float
    pinned: Stop | None = None
    """A pinned stop: on its one vehicle, at its own arrival minute, with no slots (its
    screenings are kept as they are); the router is made to keep it (``core_problem``)."""

    @property
    def gap_min(self) -> int:
        """Minutes from one slot's end to the next slot's start (a full break when the
        driver's rest rule needs one between screenings; see ``rest.RestRule.gap_min``)."""
        if self.slots < 2:
            return 0
        programme = self.service_min - self.setup_min - self.teardown_min
        return (programme - self.slots * self.slot_min) // (self.slots - 1)


@dataclass(frozen=True, slots=True)
class WindowModel:
    """Everything the router needs for one window, with no OR-Tools in it."""

    vehicles: tuple[Vehicle, ...]
    options: tuple[Option, ...]
    travel_min: np.ndarray
    """Conservative minutes between locations: depots first (one per vehicle), then options."""
    travel_cost_per_min: float
    forbidden: np.ndarray
    """``True`` on arcs the driver's rest rule rules out."""
    extra_transit_min: np.ndarray
    """Minutes added to an arc's transit (a driver's break before the next stop)."""
    pinned_transit_min: Mapping[tuple[int, int], int] = field(default_factory=dict)
    """Transit minutes, breaks included, of the arcs from a vehicle's depot to its first
    pinned stop, between its pinned stops and from the last one home, by ``(from, to)``
    row: the times of the truck-day of the pins alone (``schedule.pinned_route``). They
    replace the conservative model on those arcs, whose ends are fixed in time."""


@dataclass(frozen=True, slots=True)
class RoutedStop:
    option: Option
    node: int
    """Row of the option in ``WindowModel.travel_min``."""
    arrival_min: int


@dataclass(frozen=True, slots=True)
class RoutedVehicle:
    vehicle: Vehicle
    node: int
    """Row of the vehicle's depot in ``WindowModel.travel_min``."""
    stops: tuple[RoutedStop, ...]


def route_window(model: WindowModel, time_limit_s: float) -> list[RoutedVehicle]:
    """Solve one window through the shared core; return the vehicles that visit a venue."""
    if not model.options or not model.vehicles:
        return []
    solution = solve_core(core_problem(model), time_limit_s)
    first = len(model.vehicles)
    routed = []
    for v, route in enumerate(solution.routes):
        stops = tuple(RoutedStop(model.options[i], first + i, start) for i, start in route)
        if stops:
            routed.append(RoutedVehicle(model.vehicles[v], v, stops))
    return routed


def core_problem(model: WindowModel) -> CoreProblem:
    """The window as a core routing problem: one depot node per vehicle, then the options."""
    everyone = tuple(range(len(model.vehicles)))
    horizon = (max(v.day_index for v in model.vehicles) + 2) * 1440
    duration = np.ceil(model.travel_min).astype(np.int64) + model.extra_transit_min
    duration[model.forbidden] = horizon * 4
    venue_group: dict[str | int, int] = {}
    # A pinned stop is optional to the core, so the search still starts from an empty plan
    # (which plans far better than an insertion heuristic), but leaving it out costs more
    # than every other visit and any route's travel together: the search puts it in first.
    longest = float(np.ceil(model.travel_min).max(initial=0.0)) * model.travel_cost_per_min
    pin_value = 10.0 * (sum(o.value for o in model.options) + len(duration) * longest) + 1e4
    visits = tuple(
        CoreVisit(
            service=o.service_min,
            windows=o.arrival,
            value=o.value if o.pinned is None else pin_value,
            # a pinned stop is its own group: the router may not swap it for another option
            group=venue_group.setdefault(o.venue.id if o.pinned is None else i, len(venue_group)),
            vehicles=None if o.vehicle_ids == everyone else o.vehicle_ids,
        )
        for i, o in enumerate(model.options)
    )
    vehicles = tuple(
        CoreVehicle(
            start_node=v,
            end_node=v,
            start=_shift(vehicle),
            end=_shift(vehicle),
            max_span=vehicle.truck.max_shift_on(vehicle.day),
        )
        for v, vehicle in enumerate(model.vehicles)
    )
    for (origin, destination), minutes in model.pinned_transit_min.items():
        duration[origin, destination] = minutes
    cost = np.ceil(model.travel_min) * model.travel_cost_per_min
    return CoreProblem(len(model.vehicles), vehicles, visits, duration, cost)


def _shift(vehicle: Vehicle) -> tuple[int, int]:
    base, shift = vehicle.day_index * 1440, vehicle.truck.shift_on(vehicle.day)
    return base + shift.start_min, base + shift.end_min


def misfit_pins(model: WindowModel) -> set[int]:
    """Vehicles whose pinned stops alone already break the router's model: the router could
    not plan them. With ``WindowModel.pinned_transit_min`` these are the truck-days whose
    pins alone do not fit the shift (its start, end or longest length)."""
    pinned: dict[int, list[tuple[int, int]]] = {}
    for i, option in enumerate(model.options):
        if option.pinned is not None:
            pinned.setdefault(option.vehicle_ids[0], []).append((i, option.arrival[0][0]))
    if not pinned:
        return set()  # nothing to check (and a window may have no vehicle at all)
    core = core_problem(model)
    return {
        v
        for v, route in pinned.items()
        if route_violations(core, v, tuple(sorted(route, key=lambda visit: visit[1])))
    }


def pins_made(model: WindowModel, routed: list[RoutedVehicle]) -> bool:
    """True when every pinned stop of the model is on a routed vehicle."""
    made = sum(1 for vehicle in routed for stop in vehicle.stops if stop.option.pinned)
    return made == sum(1 for option in model.options if option.pinned is not None)
