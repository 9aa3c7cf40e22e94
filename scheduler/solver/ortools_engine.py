"""The OR-Tools routing engine behind ``solve_core``: one ``"Time"`` dimension with the
visits' windows, an optional ``"Load"`` dimension, one disjunction per group of
alternatives, per-vehicle depots and shifts, guided local search."""

from __future__ import annotations

import time
from itertools import pairwise

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from scheduler.solver.core import CoreProblem, CoreSolution

__all__ = ["solve"]

COST_SCALE = 10
"""Integer objective units per unit of cost or value."""


def solve(problem: CoreProblem, time_limit_s: float) -> CoreSolution:
    """Solve with OR-Tools routing within ``time_limit_s`` seconds of wall time (the model's
    construction included)."""
    began = time.monotonic()
    if not problem.visits or not problem.vehicles:
        return CoreSolution(tuple(() for _ in problem.vehicles), "ortools")
    n_nodes = problem.n_depots + len(problem.visits)
    starts = [v.start_node for v in problem.vehicles]
    ends = [v.end_node for v in problem.vehicles]
    manager = pywrapcp.RoutingIndexManager(n_nodes, len(problem.vehicles), starts, ends)
    routing = pywrapcp.RoutingModel(manager)
    time_dim = _time_dimension(routing, problem)
    _costs(routing, problem)
    _capacity(routing, manager, problem)
    _vehicles(routing, time_dim, problem)
    _visits(routing, manager, time_dim, problem)
    remaining = time_limit_s - (time.monotonic() - began)
    solution = routing.SolveWithParameters(_search(problem, remaining))
    if solution is None:
        return CoreSolution(tuple(() for _ in problem.vehicles), "ortools (no solution)")
    return _extract(routing, manager, time_dim, solution, problem)


def _horizon(problem: CoreProblem) -> int:
    return max(v.end[1] for v in problem.vehicles) + 1


def _time_dimension(
    routing: pywrapcp.RoutingModel, problem: CoreProblem
) -> pywrapcp.RoutingDimension:
    service = np.zeros(problem.n_depots + len(problem.visits), dtype=np.int64)
    service[problem.n_depots :] = [v.service for v in problem.visits]
    horizon = _horizon(problem)
    transit = np.minimum(problem.duration.astype(np.int64), horizon * 4) + service[:, None]
    callback = routing.RegisterTransitMatrix(transit.tolist())
    routing.AddDimension(callback, horizon, horizon, False, "Time")
    return routing.GetDimensionOrDie("Time")


def _costs(routing: pywrapcp.RoutingModel, problem: CoreProblem) -> None:
    """Arc cost, plus on a lesser alternative's outgoing arcs its shortfall to the best."""
    loss = np.zeros(problem.n_depots + len(problem.visits))
    for members in problem.groups().values():
        best = max(problem.visits[i].value for i in members)
        for i in members:
            if not problem.visits[i].required:
                loss[problem.n_depots + i] = best - problem.visits[i].value
    cost = np.rint((problem.cost + loss[:, None]) * COST_SCALE).astype(np.int64)
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(cost.tolist()))


def _capacity(
    routing: pywrapcp.RoutingModel, manager: pywrapcp.RoutingIndexManager, problem: CoreProblem
) -> None:
    if not any(v.capacity for v in problem.vehicles):
        return
    demands = [0] * problem.n_depots + [v.demand for v in problem.visits]

    def demand(index: int) -> int:
        return demands[int(manager.IndexToNode(index))]

    unlimited = sum(demands) + 1
    capacities = [v.capacity or unlimited for v in problem.vehicles]
    callback = routing.RegisterUnaryTransitCallback(demand)
    routing.AddDimensionWithVehicleCapacity(callback, 0, capacities, True, "Load")


def _vehicles(
    routing: pywrapcp.RoutingModel, time_dim: pywrapcp.RoutingDimension, problem: CoreProblem
) -> None:
    for v, vehicle in enumerate(problem.vehicles):
        time_dim.CumulVar(routing.Start(v)).SetRange(*vehicle.start)
        time_dim.CumulVar(routing.End(v)).SetRange(*vehicle.end)
        time_dim.SetSpanUpperBoundForVehicle(vehicle.max_span, v)
        routing.AddVariableMaximizedByFinalizer(time_dim.CumulVar(routing.Start(v)))
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(v)))


def _visits(
    routing: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    time_dim: pywrapcp.RoutingDimension,
    problem: CoreProblem,
) -> None:
    horizon = _horizon(problem)
    for i, visit in enumerate(problem.visits):
        index = manager.NodeToIndex(problem.n_depots + i)
        windows = [(max(lo, 0), min(hi, horizon)) for lo, hi in visit.windows]
        windows = [(lo, hi) for lo, hi in windows if lo <= hi]
        if not windows:  # no vehicle is out when this visit is possible
            routing.ActiveVar(index).SetValue(0)
            continue
        cumul = time_dim.CumulVar(index)
        cumul.SetRange(windows[0][0], windows[-1][1])
        for (_, hi), (lo, _) in pairwise(windows):
            cumul.RemoveInterval(hi + 1, lo - 1)
        if visit.vehicles is not None:
            routing.VehicleVar(index).SetValues([-1, *visit.vehicles])
    for members in problem.groups().values():
        indices = [manager.NodeToIndex(problem.n_depots + i) for i in members]
        if any(problem.visits[i].required for i in members):
            if len(indices) > 1:
                routing.AddDisjunction(indices)
            continue
        penalty = round(max(problem.visits[i].value for i in members) * COST_SCALE)
        routing.AddDisjunction(indices, penalty, 1)


def _search(problem: CoreProblem, time_limit_s: float) -> pywrapcp.RoutingSearchParameters:
    params = pywrapcp.DefaultRoutingSearchParameters()
    strategies = routing_enums_pb2.FirstSolutionStrategy
    if any(v.required for v in problem.visits):
        params.first_solution_strategy = strategies.PARALLEL_CHEAPEST_INSERTION
    else:
        # Start empty and let local search insert visits: with many optional visits and few
        # vehicles this beats every insertion heuristic (measured on demo and large seasons).
        params.first_solution_strategy = strategies.ALL_UNPERFORMED
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(max(100, int(time_limit_s * 1000)))
    return params


def _extract(
    routing: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    time_dim: pywrapcp.RoutingDimension,
    solution: pywrapcp.Assignment,
    problem: CoreProblem,
) -> CoreSolution:
    routes = []
    for v in range(len(problem.vehicles)):
        route = []
        index = solution.Value(routing.NextVar(routing.Start(v)))
        while not routing.IsEnd(index):
            start = solution.Min(time_dim.CumulVar(index))
            route.append((manager.IndexToNode(index) - problem.n_depots, start))
            index = solution.Value(routing.NextVar(index))
        routes.append(tuple(route))
    return CoreSolution(tuple(routes), "ortools")
