"""Which venue, which day, which truck, in what order: one OR-Tools routing model per
planning window of a few days.

Vehicles are (truck, day) pairs; nodes are visit options (venue x truck class x number of
slots x slot length). All options of one venue share a disjunction, so a venue is visited at
most once per window and dropping it costs its best value. The solver works in whole minutes
from midnight of the window's first day, with a conservative travel matrix (the slowest hour
a leg can fall in), so the exact, time-dependent schedule is always at least as early.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from scheduler.domain import Truck, Venue

__all__ = ["Option", "RoutedStop", "RoutedVehicle", "Vehicle", "WindowModel", "route_window"]

log = logging.getLogger(__name__)

VALUE_SCALE = 10
"""Integer units of the routing objective per unit of value."""


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
    setup_min: int
    arrival: tuple[tuple[int, int], ...]
    """Allowed arrival minutes from the window's first midnight (sorted, disjoint)."""
    value: float


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
    """Solve one window; return the vehicles that visit at least one venue."""
    n_vehicles = len(model.vehicles)
    n_nodes = n_vehicles + len(model.options)
    if not model.options or not n_vehicles:
        return []
    depots = list(range(n_vehicles))
    manager = pywrapcp.RoutingIndexManager(n_nodes, n_vehicles, depots, depots)
    routing = pywrapcp.RoutingModel(manager)
    service = np.zeros(n_nodes)
    service[n_vehicles:] = [o.service_min for o in model.options]
    travel = np.ceil(model.travel_min).astype(np.int64)
    horizon = int(max(v.day_index for v in model.vehicles) + 2) * 1440
    transit = travel + service.astype(np.int64)[:, None] + model.extra_transit_min
    transit[model.forbidden] = horizon * 4
    time_cb = routing.RegisterTransitMatrix(transit.tolist())
    routing.AddDimension(time_cb, horizon, horizon, False, "Time")
    time_dim = routing.GetDimensionOrDie("Time")

    best = _best_value_per_venue(model.options)
    loss = np.zeros(n_nodes)
    loss[n_vehicles:] = [best[o.venue.id] - o.value for o in model.options]
    cost = travel * model.travel_cost_per_min + loss[:, None]
    cost_cb = routing.RegisterTransitMatrix(np.rint(cost * VALUE_SCALE).astype(int).tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(cost_cb)

    _vehicle_shifts(routing, time_dim, model.vehicles)
    _option_nodes(routing, manager, time_dim, model, best)

    params = pywrapcp.DefaultRoutingSearchParameters()
    # Start empty and let local search insert visits: with many optional visits and few
    # vehicles this beats every insertion heuristic (measured on demo and large seasons).
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.ALL_UNPERFORMED
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(max(100, int(time_limit_s * 1000)))
    solution = routing.SolveWithParameters(params)
    if solution is None:
        log.warning("no routing solution for a window of %d options", len(model.options))
        return []
    return _extract(routing, manager, time_dim, solution, model)


def _best_value_per_venue(options: tuple[Option, ...]) -> dict[str, float]:
    best: dict[str, float] = {}
    for o in options:
        best[o.venue.id] = max(best.get(o.venue.id, 0.0), o.value)
    return best


def _vehicle_shifts(
    routing: pywrapcp.RoutingModel,
    time_dim: pywrapcp.RoutingDimension,
    vehicles: tuple[Vehicle, ...],
) -> None:
    for v, vehicle in enumerate(vehicles):
        base = vehicle.day_index * 1440
        shift = vehicle.truck.shift
        for index in (routing.Start(v), routing.End(v)):
            time_dim.CumulVar(index).SetRange(base + shift.start_min, base + shift.end_min)
        time_dim.SetSpanUpperBoundForVehicle(vehicle.truck.max_shift_min, v)
        routing.AddVariableMaximizedByFinalizer(time_dim.CumulVar(routing.Start(v)))
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(v)))


def _option_nodes(
    routing: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    time_dim: pywrapcp.RoutingDimension,
    model: WindowModel,
    best: dict[str, float],
) -> None:
    first = len(model.vehicles)
    by_venue: dict[str, list[int]] = {}
    for i, option in enumerate(model.options):
        index = manager.NodeToIndex(first + i)
        cumul = time_dim.CumulVar(index)
        cumul.SetRange(option.arrival[0][0], option.arrival[-1][1])
        for (_, hi), (lo, _) in zip(option.arrival, option.arrival[1:], strict=False):
            cumul.RemoveInterval(hi + 1, lo - 1)
        routing.VehicleVar(index).SetValues([-1, *option.vehicle_ids])
        by_venue.setdefault(option.venue.id, []).append(index)
    for venue_id, indices in by_venue.items():
        penalty = round(best[venue_id] * VALUE_SCALE)
        routing.AddDisjunction(indices, penalty, 1)


def _extract(
    routing: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    time_dim: pywrapcp.RoutingDimension,
    solution: pywrapcp.Assignment,
    model: WindowModel,
) -> list[RoutedVehicle]:
    first = len(model.vehicles)
    routed: list[RoutedVehicle] = []
    for v, vehicle in enumerate(model.vehicles):
        stops: list[RoutedStop] = []
        index = solution.Value(routing.NextVar(routing.Start(v)))
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            option = model.options[node - first]
            stops.append(RoutedStop(option, node, solution.Min(time_dim.CumulVar(index))))
            index = solution.Value(routing.NextVar(index))
        if stops:
            routed.append(RoutedVehicle(vehicle, v, tuple(stops)))
    return routed
