"""PyVRP's iterated local search behind ``solve_core``, for core problems it can express:
one time window per visit and no per-visit vehicle restrictions (``core.pyvrp_can_solve``).

The ``ProblemData`` is built straight from the core's matrices (one location per node, self
loops forced to zero whatever the core's diagonal says), and the search loop is PyVRP's own
``solve`` with two settings of ours: the time limit counts the model's construction, and on
prize-collecting problems the time-warp penalty starts at the value of time (see
``initial_penalty``) instead of half-way to its cap.
"""

from __future__ import annotations

import time
import warnings
from collections import defaultdict
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

import numpy as np
import numpy.typing as npt
from pyvrp import (
    Client,
    ClientGroup,
    Depot,
    Location,
    PenaltyParams,
    ProblemData,
    RandomNumberGenerator,
    Route,
    Solution,
    VehicleType,
)
from pyvrp.constants import MAX_VALUE
from pyvrp.IteratedLocalSearch import IteratedLocalSearch, IteratedLocalSearchParams
from pyvrp.PenaltyManager import PenaltyManager
from pyvrp.search import (
    OPERATORS,
    LocalSearch,
    NeighbourhoodParams,
    PerturbationManager,
    PerturbationParams,
    compute_neighbours,
)

from scheduler.solver.core import CoreProblem, CoreSolution, CoreVehicle

__all__ = [
    "COST_SCALE",
    "EXCHANGE_AT",
    "EXCHANGE_WAIT",
    "PRIZE_PENALTY_FACTOR",
    "Deadline",
    "Exchange",
    "Shared",
    "initial_penalty",
    "penalty_params",
    "problem_data",
    "shared",
    "solve",
    "swap_over",
]

COST_SCALE = 10
"""Integer units per unit of cost or value (PyVRP works in integers)."""

PRIZE_PENALTY_FACTOR = 10.0
"""Initial time-warp penalty per minute on prize-collecting problems, in multiples of the
value of time (``initial_penalty``). PyVRP's default starts at half the cap (five times the
largest prize per minute), which a 10-s run never comes down from. Measured on ten TOPTW
runs (pr02, pr05, pr07, pr09, pr10; m = 2..4) at a fixed 6,000 iterations: mean gap 2.52 %
against 3.60 %, better or equal on every run; 30x was level with 10x, 100x worse
(docs/benchmarks.md)."""


Shared = tuple[float, tuple[tuple[int, tuple[int, ...]], ...]]
"""A best solution as two searches swap it: its cost, and per route its PyVRP vehicle type
and client visits (location indices), so it can be rebuilt on the peer's own data."""

Exchange = Callable[[Shared, float], Shared | None]
"""Sends this search's best and returns the peer's (``None`` when it does not answer by the
given ``time.monotonic()`` moment)."""

EXCHANGE_AT = (1 / 3, 2 / 3)
"""Moments of a cooperative search (fractions of its time) at which two searches swap their
best solutions, and the one behind carries on from the other's (``_search``). Measured on
TOPTW pr01-pr10, m = 1..4, at 10 s (docs/benchmarks.md): mean gap 0.76 % with these two
swaps and 0.77 % with one at half-time, against 0.88-1.01 % for independent seeds."""

EXCHANGE_WAIT = 0.02
"""How long (a fraction of the search's time) a search waits for its peer at an exchange."""


def solve(
    problem: CoreProblem, time_limit_s: float, seed: int = 1, exchange: Exchange | None = None
) -> CoreSolution:
    """Solve with PyVRP within ``time_limit_s`` seconds of wall time (construction included).
    With ``exchange``, the search swaps its best with a peer's at ``EXCHANGE_AT``."""
    began = time.monotonic()
    if not problem.visits or not problem.vehicles:
        return CoreSolution(tuple(() for _ in problem.vehicles), "pyvrp")
    data, types = problem_data(problem)
    with warnings.catch_warnings():
        # PyVRP warns about large values and penalties at their cap; neither is the user's
        # doing, and the dispatcher re-checks every solution anyway.
        warnings.simplefilter("ignore", UserWarning)
        best = _search(data, began + time_limit_s, seed, exchange)
    routes: list[tuple[tuple[int, int], ...]] = [() for _ in problem.vehicles]
    free = {t: list(vehicles) for t, vehicles in enumerate(types)}
    for route in best.routes():
        vehicle = free[route.vehicle_type()].pop(0)
        routes[vehicle] = tuple(
            (int(a.idx), int(a.start_time))  # a client's idx counts clients only
            for a in route.schedule()
            if a.is_client()
        )
    return CoreSolution(tuple(routes), f"pyvrp (seed {seed})")


def _search(
    data: ProblemData, deadline: float, seed: int, exchange: Exchange | None = None
) -> Solution:
    """PyVRP's ``solve`` loop, with our penalty start and a wall-clock deadline; with
    ``exchange``, in legs that end at ``EXCHANGE_AT``, each leg starting from the better of
    this search's best and the peer's (the penalties and the local search carry on)."""
    rng = RandomNumberGenerator(seed=seed)
    neighbours = compute_neighbours(data, NeighbourhoodParams())
    local_search = LocalSearch(data, rng, neighbours, PerturbationManager(PerturbationParams()))
    for operator in OPERATORS:
        if operator.supports(data):
            local_search.add_operator(operator(data))
    params = penalty_params(data)
    start = initial_penalty(data)
    penalties = params.midpoint_penalties(data)
    if start is not None:
        penalties = ([start] * data.num_load_dimensions, start, start)
    manager = PenaltyManager(penalties, params)
    first = Solution.make_random(data, rng)
    first = local_search(first, manager.max_cost_evaluator(), exhaustive=True)
    began = time.monotonic()
    stops = [began + at * (deadline - began) for at in EXCHANGE_AT] if exchange is not None else []
    best = start_from = first
    for stop in [*stops, deadline]:
        search = IteratedLocalSearch(
            data, manager, local_search, start_from, IteratedLocalSearchParams()
        )
        best = _better(manager, best, search.run(Deadline(stop), collect_stats=False).best)
        start_from = best
        if exchange is not None and stop < deadline:
            ours = shared(manager, best)
            theirs = exchange(ours, stop + EXCHANGE_WAIT * (deadline - began))
            if theirs is not None and theirs[0] < ours[0]:
                start_from = _rebuilt(data, theirs)
    return best


def shared(manager: PenaltyManager, solution: Solution) -> Shared:
    """A solution as ``Exchange`` sends it; an infeasible one costs infinity."""
    routes = tuple(
        (int(route.vehicle_type()), tuple(int(a.idx) for a in route if a.is_client()))
        for route in solution.routes()
    )
    return float(manager.cost_evaluator().cost(solution)), routes


def _rebuilt(data: ProblemData, theirs: Shared) -> Solution:
    return Solution(data, [Route(data, list(visits), kind) for kind, visits in theirs[1]])


def _better(manager: PenaltyManager, ours: Solution, theirs: Solution) -> Solution:
    evaluate = manager.cost_evaluator()
    return theirs if evaluate.cost(theirs) < evaluate.cost(ours) else ours


def swap_over(connection: Connection) -> Exchange:
    """An ``Exchange`` over a duplex ``multiprocessing`` connection to the peer search; a
    peer that died, or answers late, leaves this search on its own."""

    def exchange(ours: Shared, wait_until: float) -> Shared | None:
        try:
            connection.send(ours)
            theirs: Shared | None = None
            # the newest answer wins: one that came late to an earlier exchange is stale
            while connection.poll(max(wait_until - time.monotonic(), 0.0)):
                theirs = connection.recv()
                wait_until = 0.0
            return theirs
        except (EOFError, OSError):
            return None

    return exchange


class Deadline:
    """A PyVRP stopping criterion: stop when the next iteration would likely end after the
    deadline (``time.monotonic()`` seconds), judged by twice the mean iteration so far.
    PyVRP's ``MaxRuntime`` only looks before an iteration, so a slow last one (an
    exhaustive search around a new best) overran the limit by tenths of a second."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.began = time.monotonic()
        self.iterations = 0

    def __call__(self, best_cost: float) -> bool:
        """True when the search should stop (``best_cost`` is not used)."""
        now = time.monotonic()
        mean = (now - self.began) / self.iterations if self.iterations else 0.0
        self.iterations += 1
        return now + 2 * mean >= self.deadline


def penalty_params(data: ProblemData) -> PenaltyParams:
    """PyVRP's penalty bounds in our units: its defaults times ``COST_SCALE`` (its bounds
    assume costs in the data's own units, ours are ten times finer), and a cap above ten
    times the largest prize, or the search trades window violations for prizes."""
    defaults = PenaltyParams()
    largest = max((client.prize for client in data.clients()), default=0)
    return PenaltyParams(
        min_penalty=defaults.min_penalty * COST_SCALE,
        max_penalty=max(defaults.max_penalty * COST_SCALE, 10.0 * largest),
    )


def initial_penalty(data: ProblemData) -> float | None:
    """The first time-warp (and load) penalty on a prize-collecting problem, or None to keep
    PyVRP's default: ``PRIZE_PENALTY_FACTOR`` times the value of time, the mean prize over
    the mean minutes a visit takes (its service plus a mean arc). One minute of lateness
    then costs about what that minute could earn, times the factor, whatever the prizes'
    scale: a score that must dominate distance makes prizes huge, and a penalty scaled to
    the cap would keep the search from ever trading a little lateness for a better route."""
    prizes = [client.prize for client in data.clients() if not client.required]
    if not prizes or max(prizes) <= 0:
        return None
    duration: npt.NDArray[np.int64] = np.asarray(data.duration_matrix(0), dtype=np.int64)
    arcs = duration[(duration > 0) & (duration < MAX_VALUE)]
    mean_arc = float(arcs.mean()) if arcs.size else 0.0
    service = float(np.mean([client.service_duration for client in data.clients()]))
    value_of_time = float(np.mean(prizes)) / max(service + mean_arc, 1.0)
    return max(PRIZE_PENALTY_FACTOR * value_of_time, 1.0)


def problem_data(problem: CoreProblem) -> tuple[ProblemData, list[list[int]]]:
    """PyVRP's data for a core problem, and our vehicle indices per PyVRP vehicle type."""
    n_nodes = problem.n_depots + len(problem.visits)
    with_load = any(v.capacity for v in problem.vehicles)
    multi = {key: members for key, members in problem.groups().items() if len(members) > 1}
    group_index = {key: g for g, key in enumerate(multi)}
    groups = [
        ClientGroup(members, required=any(problem.visits[i].required for i in members))
        for members in multi.values()
    ]
    clients = []
    for i, visit in enumerate(problem.visits):
        (early, late), key = visit.windows[0], visit.group
        clients.append(
            Client(
                problem.n_depots + i,
                delivery=[visit.demand] if with_load else [],
                service_duration=visit.service,
                tw_early=early,
                tw_late=late,
                prize=round(visit.value * COST_SCALE),
                required=visit.required and key not in group_index,
                group=group_index.get(key),
            )
        )
    vehicle_types, members = _vehicle_types(problem, with_load)
    data = ProblemData(
        locations=[Location(0, 0) for _ in range(n_nodes)],
        clients=clients,
        depots=[Depot(d) for d in range(problem.n_depots)],
        vehicle_types=vehicle_types,
        distance_matrices=[_matrix(np.rint(problem.cost * COST_SCALE))],
        duration_matrices=[_matrix(problem.duration)],
        groups=groups,
    )
    return data, members


def _matrix(values: npt.ArrayLike) -> Any:
    """Whole, non-negative, at most PyVRP's largest value, zero on the diagonal (PyVRP
    rejects a self loop with a distance or duration, which a core problem may carry)."""
    out = np.clip(np.asarray(values, dtype=np.float64), 0, MAX_VALUE).astype(np.int64)
    np.fill_diagonal(out, 0)
    return out


def _vehicle_types(
    problem: CoreProblem, with_load: bool
) -> tuple[list[VehicleType], list[list[int]]]:
    """One PyVRP vehicle type per distinct vehicle; returns our vehicle indices per type."""
    alike: dict[CoreVehicle, list[int]] = defaultdict(list)
    for v, vehicle in enumerate(problem.vehicles):
        alike[vehicle].append(v)
    unlimited = sum(visit.demand for visit in problem.visits) + 1
    types = [
        VehicleType(
            num_available=len(members),
            capacity=[vehicle.capacity or unlimited] if with_load else [],
            start_depot=vehicle.start_node,
            end_depot=vehicle.end_node,
            tw_early=vehicle.start[0],
            start_late=vehicle.start[1],
            tw_late=vehicle.end[1],
            shift_duration=vehicle.max_span,
        )
        for vehicle, members in alike.items()
    ]
    return types, list(alike.values())
