"""A benchmark ``Instance`` as the routing core's ``CoreProblem``, and the core's solution back
as customer ids.

Units: distances and times are integers in units of ``10**-decimals`` (tenths for Solomon and
the Solomon-based TOPTW files, hundredths for the Cordeau-based ``pr`` files). A distance is
the Euclidean distance truncated to that precision, ``floor(10**decimals * euclid)`` (the
DIMACS convention of the best-known values), and travel time equals distance. The truncation
is done in exact integer arithmetic, so a distance of exactly 5.0 never becomes 4.9.

- **Solomon**: every customer is a required visit with its demand; the fleet is the file's
  (``vehicles`` overrides it), each vehicle with the file's capacity; cost = distance.
- **TOPTW**: every customer is optional with ``value = score * score_weight(...)``: the weight
  exceeds the longest total distance any ``m`` tours can drive, so one more point of score
  always beats any saving in distance, and among equal scores the core still prefers the
  shorter tours. No capacity.

Every vehicle starts and ends at node 0 (the depot) with departure and return in
``[0, horizon]`` and a span of at most ``horizon``.
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from scheduler.bench.instances import Customer, Instance
from scheduler.solver.core import CoreProblem, CoreSolution, CoreVehicle, CoreVisit

__all__ = [
    "distance_matrix",
    "from_core",
    "reported_objective",
    "score_weight",
    "to_core",
    "to_units",
]

COORDINATE_DIGITS = 6
"""Most decimals a coordinate may carry for exact distances (the files use at most 3)."""


def to_units(value: float, decimals: int, *, up: bool) -> int:
    """``value`` (instance units) in integer units of ``10**-decimals``, rounded up (window
    openings, service times) or down (window closings, horizon). Exact for decimal input."""
    scaled = Decimal(repr(value)).scaleb(decimals)
    return int(scaled.to_integral_value(rounding=ROUND_CEILING if up else ROUND_FLOOR))


def _coordinate(value: float) -> int:
    exact = Decimal(repr(value)).scaleb(COORDINATE_DIGITS)
    if exact != exact.to_integral_value():
        raise ValueError(f"coordinate {value} has more than {COORDINATE_DIGITS} decimals")
    return int(exact)


def distance_matrix(instance: Instance) -> npt.NDArray[np.int64]:
    """Truncated Euclidean distances between all vertices (depot = row 0), in integer units
    of ``10**-instance.decimals``."""
    vertices: list[Customer] = [instance.depot, *instance.customers]
    xs = [_coordinate(c.x) for c in vertices]
    ys = [_coordinate(c.y) for c in vertices]
    # floor(10**d * sqrt(D) / 10**k) == isqrt(D * 10**(2d)) // 10**k for integer D (exact).
    up, down = 10 ** (2 * instance.decimals), 10**COORDINATE_DIGITS
    n = len(vertices)
    out = np.zeros((n, n), dtype=np.int64)
    for a in range(n):
        for b in range(a + 1, n):
            squared = (xs[a] - xs[b]) ** 2 + (ys[a] - ys[b]) ** 2
            out[a, b] = out[b, a] = math.isqrt(squared * up) // down
    return out


def score_weight(instance: Instance, vehicles: int) -> int:
    """Value of one point of score, in distance units: more than ``vehicles`` tours can ever
    drive in total.

    Travel time equals distance and every tour lasts at most the horizon, so the total
    distance of any feasible solution is at most ``vehicles * horizon`` units. With integer
    scores, collecting one more point then always outweighs any difference in distance.
    """
    horizon = to_units(instance.horizon, instance.decimals, up=False)
    return vehicles * max(horizon, 1) + 1


def to_core(instance: Instance, vehicles: int | None = None) -> CoreProblem:
    """The core problem of an instance; ``vehicles`` is the fleet (Solomon: default the
    file's) or the number of tours ``m`` (TOPTW: default 1)."""
    if vehicles is None:
        vehicles = instance.fleet if instance.kind == "solomon" else 1
    if vehicles < 1:
        raise ValueError(f"vehicles must be at least 1, not {vehicles}")
    d = instance.decimals
    horizon = to_units(instance.horizon, d, up=False)
    solomon = instance.kind == "solomon"
    weight = 0 if solomon else score_weight(instance, vehicles)
    fleet = tuple(
        CoreVehicle(
            start_node=0,
            end_node=0,
            start=(0, horizon),
            end=(0, horizon),
            max_span=horizon,
            capacity=instance.capacity if solomon else 0,
        )
        for _ in range(vehicles)
    )
    visits = tuple(
        CoreVisit(
            service=to_units(c.service, d, up=True),
            windows=((to_units(c.ready, d, up=True), to_units(c.due, d, up=False)),),
            value=0.0 if solomon else float(c.score) * weight,
            required=solomon,
            demand=c.demand if solomon else 0,
        )
        for c in instance.customers
    )
    distance = distance_matrix(instance)
    return CoreProblem(
        n_depots=1,
        vehicles=fleet,
        visits=visits,
        duration=distance,
        cost=distance.astype(np.float64),
    )


def from_core(instance: Instance, solution: CoreSolution) -> list[list[int]]:
    """Customer ids per non-empty route, in visiting order."""
    return [
        [instance.customers[visit].id for visit, _ in route] for route in solution.routes if route
    ]


def reported_objective(instance: Instance, problem: CoreProblem, solution: CoreSolution) -> float:
    """What the benchmark reports for a solution, from the core's own data: Solomon the total
    distance in real units (truncated arcs summed, e.g. 827.3); TOPTW the total score."""
    if instance.kind == "toptw":
        return float(
            sum(instance.customers[i].score for route in solution.routes for i, _ in route)
        )
    units: int = 0
    for route in solution.routes:
        if not route:
            continue
        nodes = [0, *(problem.n_depots + i for i, _ in route), 0]
        units += sum(int(problem.duration[a, b]) for a, b in pairwise(nodes))
    scale: int = 10**instance.decimals
    return units / scale
