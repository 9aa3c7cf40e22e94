"""PyVRP's iterated local search behind ``solve_core``, for core problems it can express:
one time window per visit and no per-visit vehicle restrictions (``core.pyvrp_can_solve``)."""

from __future__ import annotations

from collections import defaultdict

from pyvrp import Depot, Model, PenaltyParams, SolveParams
from pyvrp.stop import MaxRuntime

from scheduler.solver.core import CoreProblem, CoreSolution, CoreVehicle

__all__ = ["solve"]

COST_SCALE = 10
"""Integer units per unit of cost or value (PyVRP works in integers)."""


def solve(problem: CoreProblem, time_limit_s: float, seed: int = 1) -> CoreSolution:
    """Solve with PyVRP within ``time_limit_s`` seconds."""
    if not problem.visits or not problem.vehicles:
        return CoreSolution(tuple(() for _ in problem.vehicles), "pyvrp")
    model, types = _model(problem)
    # Large prizes (a score that must dominate distance) need a higher penalty cap, or the
    # search settles on solutions that break time windows.
    largest = max((v.value for v in problem.visits), default=0.0) * COST_SCALE
    params = SolveParams(penalty=PenaltyParams(max_penalty=max(100_000.0, 10 * largest)))
    result = model.solve(stop=MaxRuntime(time_limit_s), seed=seed, display=False, params=params)
    routes: list[tuple[tuple[int, int], ...]] = [() for _ in problem.vehicles]
    free = {t: list(vehicles) for t, vehicles in enumerate(types)}
    for route in result.best.routes():
        vehicle = free[route.vehicle_type()].pop(0)
        routes[vehicle] = tuple(
            (int(a.idx), int(a.start_time))  # a client's idx counts clients only
            for a in route.schedule()
            if a.is_client()
        )
    return CoreSolution(tuple(routes), "pyvrp")


def _model(problem: CoreProblem) -> tuple[Model, list[list[int]]]:
    model = Model()
    n_nodes = problem.n_depots + len(problem.visits)
    places = [model.add_location(x=0, y=0) for _ in range(n_nodes)]
    depots = [model.add_depot(places[d]) for d in range(problem.n_depots)]
    with_load = any(v.capacity for v in problem.vehicles)
    groups = {
        key: model.add_client_group(required=any(problem.visits[i].required for i in members))
        for key, members in problem.groups().items()
        if len(members) > 1
    }
    for i, visit in enumerate(problem.visits):
        (early, late), key = visit.windows[0], visit.group
        model.add_client(
            places[problem.n_depots + i],
            delivery=[visit.demand] if with_load else [],
            service_duration=visit.service,
            tw_early=early,
            tw_late=late,
            prize=round(visit.value * COST_SCALE),
            required=visit.required and key not in groups,
            group=groups.get(key),
        )
    for a in range(n_nodes):
        for b in range(n_nodes):
            cost = round(float(problem.cost[a, b]) * COST_SCALE)
            model.add_edge(places[a], places[b], cost, int(problem.duration[a, b]))
    return model, _vehicle_types(model, problem, depots, with_load)


def _vehicle_types(
    model: Model, problem: CoreProblem, depots: list[Depot], with_load: bool
) -> list[list[int]]:
    """One PyVRP vehicle type per distinct vehicle; returns our vehicle indices per type."""
    alike: dict[CoreVehicle, list[int]] = defaultdict(list)
    for v, vehicle in enumerate(problem.vehicles):
        alike[vehicle].append(v)
    for vehicle, members in alike.items():
        unlimited = sum(visit.demand for visit in problem.visits) + 1
        model.add_vehicle_type(
            num_available=len(members),
            capacity=[vehicle.capacity or unlimited] if with_load else [],
            start_depot=depots[vehicle.start_node],
            end_depot=depots[vehicle.end_node],
            tw_early=vehicle.start[0],
            start_late=vehicle.start[1],
            tw_late=vehicle.end[1],
            shift_duration=vehicle.max_span,
        )
    return list(alike.values())
