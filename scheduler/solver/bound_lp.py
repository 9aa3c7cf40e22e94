"""The bound's linear programme: a sparse LP solved with GLOP (PDLP when large) and read
through weak duality, with truck-day routes priced in as the LP asks for them (column
generation).

``solve_bound(lp, blocks, cost_per_min, time_limit_s) -> (bound, lp_value, status)``.

**Weak duality.** For ``max c'x`` s.t. ``row_lo <= Ax <= row_hi``, ``lo <= x <= hi`` and any
``y`` (a ``y_i`` whose side is unbounded clipped to 0), ``c'x <= sum_i max(y_i lo_i, y_i hi_i)
+ sum_j max(r_j lo_j, r_j hi_j)`` with ``r = c - A'y``, for every feasible ``x``, whatever
the solver's tolerances. Its duals are tried in both sign conventions and the smaller kept.

**Routes.** A ``RouteBlock`` is one group-day of ``solver.bound``: its visit columns ``x_i``
are fixed at 0 and stand aside for a column ``y_r`` per route ``r`` (``0 <= y_r <= n``, the
trucks of the group that day) carrying ``sum_i count_i(r)`` times ``x_i``'s coefficients,
with the row ``sum_r y_r <= n`` and the cost of the route's least drive. A valid plan sets
``y_r`` to the number of trucks driving a route with ``r``'s stops, and its visit counts are
then exactly the substituted ``x``, so the LP over *all* routes (``bound_routes``) is a
relaxation; the solver only sees the routes generated so far. The bound covers the rest: with
``pi_i = -(A'y)_i`` (the reduced cost of ``x_i``, whose objective is 0) and ``mu`` the
convexity row's dual, a route's reduced cost is ``profit(r) - mu`` with ``profit(r) =
sum_i count_i(r) pi_i - cost x drive(r)``, so raising ``mu`` to ``P = max(0, max_r profit(r))``
makes every route's reduced cost non-positive (its term is 0) and puts ``n x P`` in the
row's term: the weak-duality value over all routes is the terms of the other rows and
columns plus ``sum n x P`` over the blocks, with ``P`` computed exactly over every enumerated
route. So every iteration gives a proven bound, the smallest is kept, and the most profitable
routes whose profit beats ``mu`` are added until none does (the bound is then the LP's
optimum over all routes) or the bound is within ``CLOSE_ENOUGH`` of the LP's optimum.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse
from ortools.linear_solver.python import model_builder_helper as mb

__all__ = ["Lp", "RouteBlock", "solve_bound"]

COLUMNS_PER_BLOCK = 50
"""Most new routes a group-day gets per iteration (the most profitable)."""
SIMPLEX_COLUMNS = 60_000
"""Largest LP solved with GLOP; PDLP above. The large season's coarse LP (125,000 columns),
CPU seconds on a busy machine: GLOP 132 s (bound 576,334); PDLP at 1e-3 73 s (585,812), at
1e-2 43 s (609,526), the one taken so the 90-s visit building still fits 150 s."""
PDLP_PARAMETERS = (
    "termination_criteria { simple_optimality_criteria { "
    "eps_optimal_relative: 1e-2 eps_optimal_absolute: 1e-2 } }"
)
CLOSE_ENOUGH = 1e-3
"""Stop adding routes once the proven bound is within this share of the LP's optimum."""
_GAIN = 1e-6
"""Reduced cost a new route needs to be added."""


@dataclass
class Lp:
    """``max c'x`` s.t. ``row_lo <= Ax <= row_hi``, ``col_lo <= x <= col_hi``."""

    col_lo: list[float] = field(default_factory=list)
    col_hi: list[float] = field(default_factory=list)
    obj: list[float] = field(default_factory=list)
    row_lo: list[float] = field(default_factory=list)
    row_hi: list[float] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    cols: list[int] = field(default_factory=list)
    vals: list[float] = field(default_factory=list)

    @property
    def n_cols(self) -> int:
        return len(self.obj)

    @property
    def n_rows(self) -> int:
        return len(self.row_lo)

    def column(self, hi: float, obj: float = 0.0) -> int:
        self.col_lo.append(0.0)
        self.col_hi.append(hi)
        self.obj.append(obj)
        return len(self.obj) - 1

    def row(self, terms: Iterable[tuple[int, float]], lo: float, hi: float) -> int:
        r = len(self.row_lo)
        self.row_lo.append(lo)
        self.row_hi.append(hi)
        for col, val in terms:
            self.put(r, col, val)
        return r

    def put(self, row: int, col: int, val: float) -> None:
        self.rows.append(row)
        self.cols.append(col)
        self.vals.append(val)

    def matrix(self) -> scipy.sparse.csr_matrix:
        return scipy.sparse.csr_matrix(
            (np.array(self.vals), (np.array(self.rows), np.array(self.cols))),
            shape=(self.n_rows, self.n_cols),
        )


@dataclass
class RouteBlock:
    """One group-day's routes in the LP (module docstring): every route, and those that
    have a column so far."""

    trucks: int
    visits: list[int]
    """The visit column of each possible stop (fixed at 0: routes stand in for it)."""
    entries: list[list[tuple[int, float]]]
    """The rows and coefficients of each stop's visit column."""
    stops: np.ndarray
    """``stops[r]``: route ``r``'s stops (indices into ``visits``), padded with ``-1``."""
    drive_min: np.ndarray
    """``drive_min[r]``: route ``r``'s least drive."""
    convexity: int = -1
    added: dict[int, int] = field(default_factory=dict)
    """The column of each route that has one."""

    def add(self, lp: Lp, r: int, cost_per_min: float) -> None:
        """A column for route ``r`` (once): the sum of its stops' visit columns."""
        if r in self.added:
            return
        y = lp.column(float(self.trucks), -cost_per_min * max(0.0, float(self.drive_min[r])))
        self.added[r] = y
        lp.put(self.convexity, y, 1.0)
        coefficients: dict[int, float] = defaultdict(float)
        for i in self.stops[r]:
            if i >= 0:
                for row, val in self.entries[i]:
                    coefficients[row] += val
        for row, val in coefficients.items():
            lp.put(row, y, val)

    def profits(self, pi: np.ndarray, cost_per_min: float) -> np.ndarray:
        """``sum_i count_i(r) pi_i - cost x drive(r)`` of every route."""
        padded = np.append(pi, 0.0)
        drive = cost_per_min * np.maximum(self.drive_min, 0.0)
        profit: np.ndarray = padded[self.stops].sum(axis=1) - drive
        return profit


@dataclass
class _Arrays:
    a: scipy.sparse.csr_matrix
    c: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    row_lo: np.ndarray
    row_hi: np.ndarray

    @staticmethod
    def of(lp: Lp) -> _Arrays:
        return _Arrays(
            lp.matrix(),
            np.array(lp.obj),
            np.array(lp.col_lo),
            np.array(lp.col_hi),
            np.array(lp.row_lo),
            np.array(lp.row_hi),
        )


def solve_bound(
    lp: Lp,
    blocks: list[RouteBlock],
    cost_per_min: float,
    time_limit_s: float,
) -> tuple[float | None, float | None, str]:
    """Column generation over ``blocks``' routes; (proven bound, last LP optimum, status)."""
    deadline = time.monotonic() + time_limit_s
    best, lp_value, status = math.inf, None, "out of time"
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        arrays = _Arrays.of(lp)
        solved = _glop(arrays, left)
        if isinstance(solved, str):
            status = solved
            break
        lp_value, duals = solved
        y = min((_clipped(arrays, s * duals) for s in (1.0, -1.0)), key=lambda v: _value(arrays, v))
        priced = _price_all(arrays, y, blocks, cost_per_min, deadline)
        if priced is None:
            break
        found, new = priced
        best = min(best, found)
        if not new or best - lp_value <= CLOSE_ENOUGH * abs(best):
            status = "optimal"
            break
        for block, route in new:
            block.add(lp, route, cost_per_min)
    if not math.isfinite(best):
        return None, lp_value, f"LP not solved ({status})" if status != "out of time" else status
    return best, lp_value, status


def _glop(arrays: _Arrays, time_limit_s: float) -> tuple[float, np.ndarray] | str:
    """Solve from scratch: (objective, row duals) or the status's name. GLOP up to
    ``SIMPLEX_COLUMNS`` columns (a warm start through ``pywraplp`` measured slower here once
    columns were added), PDLP to ``PDLP_PARAMETERS``'s tolerance above: its duals are not
    optimal, but weak duality holds for any duals, so the bound is only a little looser."""
    model = mb.ModelBuilderHelper()
    # the stubs spell a float64 vector as ``ndarray[float64, ...]``
    model.fill_model_from_sparse_data(
        arrays.lo,  # type: ignore[arg-type]
        arrays.hi,  # type: ignore[arg-type]
        arrays.c,  # type: ignore[arg-type]
        arrays.row_lo,  # type: ignore[arg-type]
        arrays.row_hi,  # type: ignore[arg-type]
        arrays.a,
    )
    model.set_maximize(True)
    large = len(arrays.c) > SIMPLEX_COLUMNS
    solver = mb.ModelSolverHelper("pdlp" if large else "glop")
    if large:
        solver.set_solver_specific_parameters(PDLP_PARAMETERS)
    solver.set_time_limit_in_seconds(max(0.01, time_limit_s))
    solver.solve(model)
    status = solver.status()
    if status != mb.SolveStatus.OPTIMAL or not solver.has_solution():
        return str(status.name)
    return float(solver.objective_value()), np.asarray(solver.dual_values(), dtype=float)


def _clipped(arrays: _Arrays, y: np.ndarray) -> np.ndarray:
    """``y`` with each dual whose side is unbounded set to 0 (still a valid ``y``)."""
    y = y.copy()
    y[(y > 0) & ~np.isfinite(arrays.row_hi)] = 0.0
    y[(y < 0) & ~np.isfinite(arrays.row_lo)] = 0.0
    return y


def _terms(arrays: _Arrays, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The weak-duality terms of each row and each column for a clipped ``y``."""
    row_terms = np.zeros_like(y)
    up, down = y > 0, y < 0
    row_terms[up] = y[up] * arrays.row_hi[up]
    row_terms[down] = y[down] * arrays.row_lo[down]
    r = arrays.c - arrays.a.T @ y
    with np.errstate(invalid="ignore"):
        col_terms = np.where(r > 0, r * arrays.hi, r * arrays.lo)
    return row_terms, col_terms


def _value(arrays: _Arrays, y: np.ndarray) -> float:
    """The weak-duality bound of the LP as it stands (its generated routes only)."""
    row_terms, col_terms = _terms(arrays, y)
    return _total(np.concatenate([row_terms, col_terms]))


def _total(terms: np.ndarray) -> float:
    if np.any(~np.isfinite(terms)):
        return math.inf
    return float(terms.sum()) + 1e-9 * float(np.abs(terms).sum()) + 1e-6


def _price_all(
    arrays: _Arrays,
    y: np.ndarray,
    blocks: list[RouteBlock],
    cost_per_min: float,
    deadline: float,
) -> tuple[float, list[tuple[RouteBlock, int]]] | None:
    """The bound over all routes for ``y`` and the routes worth adding; ``None`` past the
    deadline."""
    row_terms, col_terms = _terms(arrays, y)
    priced = arrays.a.T @ y
    row_mask = np.ones(len(row_terms), dtype=bool)
    col_mask = np.ones(len(col_terms), dtype=bool)
    extra = 0.0
    new: list[tuple[RouteBlock, int]] = []
    for block in blocks:
        if time.monotonic() > deadline:
            return None
        row_mask[block.convexity] = False
        col_mask[list(block.added.values())] = False
        profit = block.profits(-priced[block.visits], cost_per_min)
        extra += block.trucks * max(0.0, float(profit.max(initial=0.0)))
        mu = max(0.0, float(y[block.convexity]))
        best = np.argpartition(-profit, min(COLUMNS_PER_BLOCK, len(profit) - 1))
        best = best[:COLUMNS_PER_BLOCK]
        new += [
            (block, int(r)) for r in best if profit[r] > mu + _GAIN and int(r) not in block.added
        ]
    terms = np.concatenate([row_terms[row_mask], col_terms[col_mask], [extra]])
    return _total(terms), new
