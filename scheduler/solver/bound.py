"""A proven upper bound on a season's value: a linear relaxation of the venue-day-truck
assignment, solved with OR-Tools' GLOP, turned into a bound by weak duality.

``season_bound(problem, travel, time_limit_s) -> SeasonBound``. ``value`` is ``None`` when
the LP is not solved within its time limit (never a guess).

**What is bounded.** ``scoring.plan_stats(...).value`` of *every* plan that ``checks.verify``
accepts, so also of every plan ``solve`` returns (pins only remove plans). A visit's value is
``seats x priority x repeat_visit_factor**n x (1 + second_screening_factor x (k - 1))`` for
the venue's ``n``-th visit (date order) with ``k`` screenings; travel costs
``travel_cost_per_hour`` per hour driven.

**The relaxation.** Trucks that share class (screen, pass, setup, teardown), depot, shift and
longest shift on a day form a *group* of ``n`` trucks that day. Variables:

- ``x[v, d, g, k]`` >= 0: visits to venue ``v`` on day ``d`` by group ``g`` with ``k``
  screenings, only where such a visit can exist: the venue allows ``d``, ``g`` has trucks
  that day, ``k`` films are eligible on ``d`` (certificate, licence, rating, exclusions), the
  first screening can start where hours (their hull when ``k`` > 1 and the day has several
  windows: a programme may span them), darkness, silence and the truck zone allow a programme
  of the ``k`` shortest eligible films, and the stop fits between the shift's opening plus the
  fastest way from the depot and its close minus the fastest way back, within the longest
  shift;
- ``z[v, i, k]`` in [0, 1]: "the venue's ``i``-th visit has ``k`` screenings", with
  ``sum_k z[v, i, k] <= 1`` and ``sum_i z[v, i, k] = sum x[v, ., ., k]``; the objective pays
  ``visit_value(v, i, k)`` per ``z``. A real plan's visits, numbered in date order, give a
  feasible ``z`` with exactly its value, whatever the repeat factor; ``i`` < ``max_visits``
  bounds the visits;
- ``e[v, f]`` in [0, 1] for films with ``max_screenings``: screenings of ``f`` at ``v``;
- ``T[g, d]`` >= 0: minutes driven by the group that day; the objective pays its cost.

Constraints (each holds for the real plan's counts):

- at most one visit in any ``gap_days`` consecutive days (``verify`` wants consecutive
  visits ``>= gap_days`` apart), when the gap is at least 1;
- screenings at a venue <= its uncapped eligible films + ``sum_f e[v, f]`` (no film twice at
  a venue); ``sum_v e[v, f] <= max_screenings``;
- driving: every leg is at least the *fastest* time between its ends over the hours a leg of
  that shift can start in (the provider's duration depends on the departure hour only, as for
  ``OfflineTravelTimes``). A route's drive is then (a) at least the sum over its stops of
  ``min(fastest in from another venue / 2, from the depot) + min(out to another venue / 2,
  to the depot)`` (each leg split between its ends) and (b) at least the shortest-path round
  trip depot-stop-depot of each stop, so at least the mean over its stops, hence at least
  ``sum dd(s) / M`` with ``M`` the most stops a route can hold. ``T`` is at least both sums;
- time: a truck's stops are disjoint and each takes at least setup + the shortest programme
  + teardown (``service``). Per group-day, ``sum service x + T <= n x longest shift`` (the
  shift's span holds the services and the drives), ``sum x <= n x M``, and for intervals
  ``[a, b]`` of the day (stops whose possible service interval lies inside) ``sum service x
  <= n x (b - a)`` (a projector's evening holds one show, not four).

Every timing quantity is loosened by ``verify``'s one-second tolerance (a stop's service by
``2k + 3`` s, each leg by a second, each window edge by a minute), and the LP's answer is
read
through weak duality: for GLOP's dual values ``y`` (either sign convention),
``c'x = y'Ax + (c - A'y)'x <= sum max(y_i lo_i, y_i hi_i) + sum max(r_j l_j, r_j u_j)`` over
finite bounds, which holds for every feasible ``x`` whatever GLOP's tolerances. The bound is
the smaller of the two, plus rounding slack. The relaxation ignores routes' order, waiting,
breaks, the late-rating hour and per-day licences beyond eligibility, so it is loose where
those bind; ``SeasonBound.lp_value`` is the LP's own optimum for comparison.
"""

from __future__ import annotations

import bisect
import logging
import math
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np
import scipy.sparse
from ortools.linear_solver.python import model_builder_helper as mb

from scheduler.domain import (
    DayWindow,
    Film,
    Location,
    Problem,
    ScreenType,
    Truck,
    Venue,
    truck_available_on,
    venue_open_on,
)
from scheduler.scoring import visit_value
from scheduler.solver.matrix import hours_touched
from scheduler.solver.windows import Interval, TruckClass, start_rules
from scheduler.travel import TravelTimes

__all__ = ["MAX_PLACES", "SeasonBound", "season_bound"]

log = logging.getLogger(__name__)

MAX_PLACES = 3000
"""Above this many places (venues and depots) the all-pairs fastest times cost too much
memory; no bound is computed."""

_SECOND = 1.0 / 60.0
_ROUTE_CLASSES = 6
"""Classes of routes by their longest depot round trip, per group-day."""
_INTERVAL_EDGES = 4
"""Interval constraints per group-day: this many start and end edges (quantiles)."""


@dataclass(frozen=True, slots=True)
class SeasonBound:
    """A proven upper bound on the season's plan value, or ``None`` with the reason."""

    value: float | None
    """At least the value of every plan ``verify`` accepts; ``None``: not proven in time."""
    lp_value: float | None
    """The LP's own optimum (GLOP's primal objective), for reference."""
    solve_s: float
    status: str
    variables: int = 0
    constraints: int = 0


def season_bound(problem: Problem, travel: TravelTimes, time_limit_s: float) -> SeasonBound:
    """An upper bound on ``plan_stats(...).value`` of any valid plan of ``problem``.

    Building and solving stop at ``time_limit_s``; then ``value`` is ``None``.
    """
    started = time.monotonic()
    deadline = started + time_limit_s

    def done(value: float | None, lp: float | None, status: str, lp_model: _Lp) -> SeasonBound:
        spent = time.monotonic() - started
        return SeasonBound(value, lp, round(spent, 3), status, lp_model.n_cols, lp_model.n_rows)

    places = list(
        dict.fromkeys([t.depot for t in problem.trucks] + [v.location for v in problem.venues])
    )
    empty = _Lp()
    if len(places) > MAX_PLACES:
        return done(None, None, f"too many places ({len(places)} > {MAX_PLACES})", empty)
    try:
        lp = _Relaxation(problem, travel, places, deadline).build()
    except _OutOfTime:
        return done(None, None, "out of time building the relaxation", empty)
    if lp.n_cols == 0:
        return done(0.0, 0.0, "no possible visit", lp)
    left = deadline - time.monotonic()
    if left <= 0:
        return done(None, None, "out of time before solving", lp)
    value, lp_value, status = lp.solve(left)
    return done(value, lp_value, status, lp)


class _OutOfTime(Exception):
    """The deadline passed while building the relaxation."""


# --- the LP in sparse form -----------------------------------------------------------


@dataclass
class _Lp:
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

    def row(self, terms: Iterable[tuple[int, float]], lo: float, hi: float) -> None:
        r = len(self.row_lo)
        self.row_lo.append(lo)
        self.row_hi.append(hi)
        for col, val in terms:
            self.rows.append(r)
            self.cols.append(col)
            self.vals.append(val)

    def matrix(self) -> scipy.sparse.csr_matrix:
        return scipy.sparse.csr_matrix(
            (np.array(self.vals), (np.array(self.rows), np.array(self.cols))),
            shape=(self.n_rows, self.n_cols),
        )

    def solve(self, time_limit_s: float) -> tuple[float | None, float | None, str]:
        """Solve with GLOP; return (proven bound, LP optimum, status)."""
        a = self.matrix()
        lo, hi = np.array(self.col_lo), np.array(self.col_hi)
        c = np.array(self.obj)
        row_lo, row_hi = np.array(self.row_lo), np.array(self.row_hi)
        model = mb.ModelBuilderHelper()
        # the stubs spell a float64 vector as ``ndarray[float64, ...]``
        model.fill_model_from_sparse_data(lo, hi, c, row_lo, row_hi, a)  # type: ignore[arg-type]
        model.set_maximize(True)
        solver = mb.ModelSolverHelper("glop")
        solver.set_time_limit_in_seconds(max(0.01, time_limit_s))
        solver.solve(model)
        status = solver.status()
        if status != mb.SolveStatus.OPTIMAL or not solver.has_solution():
            return None, None, f"LP not solved ({status.name})"
        duals = np.asarray(solver.dual_values(), dtype=float)
        bound = min(
            _dual_bound(a, c, lo, hi, row_lo, row_hi, duals),
            _dual_bound(a, c, lo, hi, row_lo, row_hi, -duals),
        )
        if not math.isfinite(bound):
            return None, solver.objective_value(), "LP duals give no finite bound"
        return bound, float(solver.objective_value()), "optimal"


def _dual_bound(
    a: scipy.sparse.csr_matrix,
    c: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    row_lo: np.ndarray,
    row_hi: np.ndarray,
    y: np.ndarray,
) -> float:
    """Weak duality for any ``y``: ``c'x <= sum_i max(y_i lo_i, y_i hi_i) + sum_j max(r_j l_j,
    r_j u_j)`` with ``r = c - A'y``, for every ``x`` with ``row_lo <= Ax <= row_hi`` and
    ``lo <= x <= hi``. A ``y_i`` whose side is unbounded is clipped to 0 (still a valid ``y``)."""
    y = y.copy()
    y[(y > 0) & ~np.isfinite(row_hi)] = 0.0
    y[(y < 0) & ~np.isfinite(row_lo)] = 0.0
    row_terms = np.zeros_like(y)
    up, down = y > 0, y < 0
    row_terms[up] = y[up] * row_hi[up]
    row_terms[down] = y[down] * row_lo[down]
    r = c - a.T @ y
    col_terms = np.where(r > 0, r * hi, r * lo)
    if np.any(~np.isfinite(col_terms)):
        return math.inf
    terms = np.concatenate([row_terms, col_terms])
    total = float(terms.sum())
    return total + 1e-9 * float(np.abs(terms).sum()) + 1e-6


# --- building the relaxation ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _GroupKey:
    """Trucks that are interchangeable on a day."""

    truck_class: TruckClass
    depot: Location
    shift: DayWindow
    max_shift_min: int


@dataclass(frozen=True, slots=True)
class _Visit:
    """One possible (venue, day, group, k) with what it needs of the group's time."""

    venue: int
    day: date
    group: int
    k: int
    service_min: float
    earliest_min: float
    latest_min: float
    leg_min: float
    """Per-stop share of a route's drive: ``(a)`` in the module docstring."""
    round_trip_min: float
    """Shortest-path depot-stop-depot: ``(b)`` in the module docstring."""


class _Relaxation:
    """Builds the LP of the module docstring."""

    def __init__(
        self, problem: Problem, travel: TravelTimes, places: list[Location], deadline: float
    ) -> None:
        self.problem = problem
        self.rules = problem.rules
        self.travel = travel
        self.places = places
        self.index = {p: i for i, p in enumerate(places)}
        self.deadline = deadline
        self._fastest: dict[frozenset[int], np.ndarray] = {}
        self._per_hour: dict[int, np.ndarray] = {}
        self._legs: dict[tuple[frozenset[int], int], _DepotLegs] = {}
        self._starts: dict[tuple[object, ...], list[Interval]] = {}
        self._films: dict[tuple[object, ...], list[int]] = {}
        self.groups: list[_GroupKey] = []
        self.trucks_on: dict[tuple[int, date], int] = defaultdict(int)

    def _check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise _OutOfTime

    # --- travel ---------------------------------------------------------------------

    def fastest(self, hours: frozenset[int]) -> np.ndarray:
        """The shortest time between places over departures in ``hours``."""
        if hours not in self._fastest:
            for h in hours - self._per_hour.keys():
                self._per_hour[h] = np.asarray(
                    self.travel.worst_matrix_min(self.places, [h]), dtype=float
                )
                self._check_time()
            self._fastest[hours] = np.min(np.stack([self._per_hour[h] for h in hours]), axis=0)
        return self._fastest[hours]

    def depot_legs(self, group: _GroupKey) -> _DepotLegs:
        hours = _leg_hours(group.shift)
        depot = self.index[group.depot]
        key = (hours, depot)
        if key not in self._legs:
            self._legs[key] = _DepotLegs.of(self.fastest(hours), depot, self.gap_below_one())
        return self._legs[key]

    def gap_below_one(self) -> bool:
        return any(v.gap_days(self.rules) < 1 for v in self.problem.venues)

    # --- possible visits ------------------------------------------------------------

    def group_days(self) -> None:
        keys: dict[_GroupKey, int] = {}
        for day in self.problem.days:
            for truck in self.problem.trucks:
                if truck_available_on(truck, day):
                    key = _group_key(truck, day)
                    g = keys.setdefault(key, len(keys))
                    self.trucks_on[g, day] += 1
        self.groups = list(keys)

    def films_for(self, venue: Venue, day: date) -> list[int]:
        """Sorted runtimes of the films eligible at ``venue`` on ``day``."""
        key = (venue.max_rating, venue.excluded_film_ids, day)
        if key not in self._films:
            self._films[key] = sorted(
                f.runtime_min for f in _eligible(self.problem.films, venue) if f.licensed_on(day)
            )
        return self._films[key]

    def starts(
        self, venue: Venue, truck_class: TruckClass, day: date, programme: int, hull: bool
    ) -> list[Interval]:
        """First-screening starts allowed for a programme of that length, widened a minute."""
        hours = venue.hours_on(day)
        if hull and len(hours) > 1:
            hours = (DayWindow(min(w.start_min for w in hours), max(w.end_min for w in hours)),)
        dark = truck_class.screen is ScreenType.PROJECTOR
        key = (
            hours,
            venue.residential,
            venue.inside_ttk and not truck_class.has_ttk_pass,
            truck_class,
            programme,
            (day, round(venue.location.lat, 2), round(venue.location.lon, 2)) if dark else None,
        )
        if key not in self._starts:
            probe = replace(venue, hours=hours, day_hours=())
            found = start_rules(probe, truck_class, day, programme, self.rules).applied()[-1][1]
            self._starts[key] = [(lo - 1, hi + 1) for lo, hi in found]
        return self._starts[key]

    def visits(self) -> list[_Visit]:
        """Every (venue, day, group, k) a valid plan could contain."""
        self.group_days()
        out: list[_Visit] = []
        for v, venue in enumerate(self.problem.venues):
            self._check_time()
            if _max_visits(venue, self.problem) < 1:
                continue
            for day in self.problem.days:
                if not venue_open_on(venue, day):
                    continue
                runtimes = self.films_for(venue, day)
                for g, group in enumerate(self.groups):
                    if self.trucks_on.get((g, day), 0) == 0:
                        continue
                    for k in range(1, min(self.rules.max_screenings_per_stop, len(runtimes)) + 1):
                        found = self.visit(v, venue, day, g, group, k, runtimes)
                        if found is not None:
                            out.append(found)
        return out

    def visit(
        self,
        v: int,
        venue: Venue,
        day: date,
        g: int,
        group: _GroupKey,
        k: int,
        runtimes: Sequence[int],
    ) -> _Visit | None:
        truck_class = group.truck_class
        shortest = sum(runtimes[:k]) + (k - 1) * self.rules.screening_gap_min
        slack = (2 * k + 3) * _SECOND
        service = truck_class.setup_min + shortest + truck_class.teardown_min - slack
        window_programme = max(0, shortest - 1 - (2 * k) // 60)
        legs = self.depot_legs(group)
        place = self.index[venue.location]
        reach_in = max(0.0, legs.sp_in[place] - legs.tolerance)
        reach_out = max(0.0, legs.sp_out[place] - legs.tolerance)
        if reach_in + service + reach_out > group.max_shift_min + _SECOND:
            return None
        setup, teardown = truck_class.setup_min, truck_class.teardown_min
        first_from = group.shift.start_min + reach_in + setup - 1
        first_to = group.shift.end_min - reach_out - teardown - window_programme + 1
        earliest, latest = math.inf, -math.inf
        for lo, hi in self.starts(venue, truck_class, day, window_programme, hull=k > 1):
            a, b = max(lo, first_from), min(hi, first_to)
            if a <= b:
                earliest = min(earliest, a - setup)
                latest = max(latest, b + window_programme + teardown)
        if earliest > latest or latest - earliest < service:
            return None
        return _Visit(
            venue=v,
            day=day,
            group=g,
            k=k,
            service_min=service,
            earliest_min=earliest,
            latest_min=latest,
            leg_min=max(0.0, legs.leg_share[place] - 2 * _SECOND),
            round_trip_min=legs.round_trip[place],
        )

    # --- the LP -----------------------------------------------------------------------

    def build(self) -> _Lp:
        lp = _Lp()
        visits = self.visits()
        if not visits:
            return lp
        x = [lp.column(self._visit_cap(self.problem.venues[s.venue])) for s in visits]
        by_venue: dict[int, list[int]] = defaultdict(list)
        by_group_day: dict[tuple[int, date], list[int]] = defaultdict(list)
        for i, s in enumerate(visits):
            by_venue[s.venue].append(i)
            by_group_day[s.group, s.day].append(i)
        capped = self._capped_films()
        for v, ids in by_venue.items():
            self._check_time()
            self._venue_rows(lp, v, [visits[i] for i in ids], [x[i] for i in ids], capped)
        for cap, columns in capped.values():
            if columns:
                lp.row(((c, 1.0) for c in columns), -math.inf, float(cap))
        for (g, day), ids in by_group_day.items():
            self._check_time()
            self._group_day_rows(lp, g, day, [visits[i] for i in ids], [x[i] for i in ids])
        return lp

    def _visit_cap(self, venue: Venue) -> float:
        if venue.gap_days(self.rules) >= 1:
            return 1.0
        return float(_max_visits(venue, self.problem))

    def _capped_films(self) -> dict[str, tuple[int, list[int]]]:
        """Films with a cap: the cap and (filled while building) their ``e`` columns."""
        return {
            f.id: (f.max_screenings, [])
            for f in self.problem.films
            if f.max_screenings is not None and f.may_be_shown
        }

    def _venue_rows(
        self,
        lp: _Lp,
        v: int,
        visits: list[_Visit],
        x: list[int],
        capped: dict[str, tuple[int, list[int]]],
    ) -> None:
        venue = self.problem.venues[v]
        rules = self.rules
        gap = venue.gap_days(rules)
        if gap >= 1:
            for window in _gap_windows([(s.day, c) for s, c in zip(visits, x, strict=True)], gap):
                lp.row(((c, 1.0) for c in window), -math.inf, 1.0)
        most = _max_visits(venue, self.problem)
        ks = sorted({s.k for s in visits})
        z = {
            (n, k): lp.column(1.0, visit_value(venue, n, k, rules)) for n in range(most) for k in ks
        }
        for n in range(most):
            lp.row(((z[n, k], 1.0) for k in ks), -math.inf, 1.0)
        for k in ks:
            terms = [(z[n, k], 1.0) for n in range(most)]
            terms += [(c, -1.0) for s, c in zip(visits, x, strict=True) if s.k == k]
            lp.row(terms, 0.0, 0.0)
        films = _eligible(self.problem.films, venue)
        uncapped = sum(1 for f in films if f.id not in capped)
        screenings = [(c, float(s.k)) for s, c in zip(visits, x, strict=True)]
        for f in films:
            if f.id in capped:
                e = lp.column(1.0)
                capped[f.id][1].append(e)
                screenings.append((e, -1.0))
        lp.row(screenings, -math.inf, float(uncapped))

    def _group_day_rows(
        self, lp: _Lp, g: int, day: date, visits: list[_Visit], x: list[int]
    ) -> None:
        group = self.groups[g]
        trucks = self.trucks_on[g, day]
        span = min(group.max_shift_min, group.shift.length_min) + _SECOND
        shortest = min(s.service_min for s in visits)
        day_length = max(s.latest_min for s in visits) - min(s.earliest_min for s in visits)
        most_stops = max(1, math.floor(min(span, day_length) / shortest))
        cost = self.rules.travel_cost_per_hour / 60.0
        drive = lp.column(trucks * span, -cost)
        pairs = list(zip(visits, x, strict=True))
        lp.row([(c, s.leg_min) for s, c in pairs] + [(drive, -1.0)], -math.inf, 0.0)
        lp.row([(c, s.service_min) for s, c in pairs] + [(drive, 1.0)], -math.inf, trucks * span)
        slack = (most_stops + 1) * _SECOND
        round_trips = [max(0.0, s.round_trip_min - slack) for s in visits]
        lp.row(((c, 1.0) for _, c in pairs), -math.inf, float(trucks * most_stops))
        self._route_classes(lp, trucks, span, shortest, drive, round_trips, pairs)
        for a, b, inside in _intervals(visits):
            if b - a < span:
                terms = [(x[i], visits[i].service_min) for i in inside]
                lp.row(terms, -math.inf, trucks * (b - a))

    def _route_classes(
        self,
        lp: _Lp,
        trucks: int,
        span: float,
        shortest: float,
        drive: int,
        round_trips: list[float],
        pairs: list[tuple[_Visit, int]],
    ) -> None:
        """Routes by their longest round trip: a route of class ``j`` drives at least
        ``levels[j]``, holds ``span - levels[j]`` minutes of service and only stops whose
        round trip is at most ``levels[j + 1]``; stops of class ``j`` or more fit only in
        routes of class ``j`` or more (nested sets: these rows are the whole condition)."""
        levels = _levels(round_trips, _ROUTE_CLASSES)
        kind = [bisect.bisect_left(levels, rt) - 1 for rt in round_trips]
        routes = [lp.column(float(trucks)) for _ in levels]
        lp.row(((r, 1.0) for r in routes), -math.inf, float(trucks))
        lp.row(
            [(r, lv) for r, lv in zip(routes, levels, strict=True)] + [(drive, -1.0)],
            -math.inf,
            0.0,
        )
        for j in range(len(levels)):
            room = [(routes[i], -(span - levels[i])) for i in range(j, len(levels))]
            work = [(c, s.service_min) for (s, c), cls in zip(pairs, kind, strict=True) if cls >= j]
            if work:
                lp.row(work + room, -math.inf, 0.0)
            most = [
                (routes[i], -float(max(0, math.floor((span - levels[i]) / shortest))))
                for i in range(j, len(levels))
            ]
            stops = [(c, 1.0) for (_, c), cls in zip(pairs, kind, strict=True) if cls >= j]
            if stops:
                lp.row(stops + most, -math.inf, 0.0)


@dataclass(frozen=True, slots=True)
class _DepotLegs:
    """Fastest-time facts about every place, seen from one depot."""

    sp_in: np.ndarray
    """Shortest path depot -> place."""
    sp_out: np.ndarray
    """Shortest path place -> depot."""
    round_trip: np.ndarray
    """``sp_in + sp_out``."""
    leg_share: np.ndarray
    tolerance: float
    """Minutes the validator's one second per leg may take off a path of legs."""

    @staticmethod
    def of(fastest: np.ndarray, depot: int, gap_below_one: bool) -> _DepotLegs:
        sp_in = _shortest_from(fastest, depot)
        sp_out = _shortest_from(fastest.T, depot)
        others = fastest.copy()
        if not gap_below_one:
            np.fill_diagonal(others, np.inf)
        others[depot, :] = np.inf
        others[:, depot] = np.inf
        in_venue = others.min(axis=0)
        out_venue = others.min(axis=1)
        direct_in, direct_out = fastest[depot, :], fastest[:, depot]
        share = np.minimum(in_venue / 2, direct_in) + np.minimum(out_venue / 2, direct_out)
        return _DepotLegs(sp_in, sp_out, sp_in + sp_out, share, 1.0)


def _levels(
    values: Sequence[float], count: int, *, floor: bool = True, top: bool = False
) -> list[float]:
    """Up to ``count`` distinct quantiles of ``values``, ascending: from ``0`` (``floor``) or
    the smallest value, up to below the largest or (``top``) from above the smallest."""
    ordered = sorted(values)
    n = len(ordered) - 1
    if top:
        picks = {ordered[n - n * i // count] for i in range(count)}
    else:
        picks = {ordered[n * i // count] for i in range(count)}
    if floor:
        return [0.0, *sorted(p for p in picks if p > 0)]
    return sorted(picks)


def _shortest_from(matrix: np.ndarray, source: int) -> np.ndarray:
    """Shortest path lengths from ``source`` (Bellman-Ford on a dense matrix)."""
    dist: np.ndarray = matrix[source].astype(float).copy()
    dist[source] = 0.0
    for _ in range(len(dist)):
        relaxed = np.minimum(dist, (dist[:, None] + matrix).min(axis=0))
        if np.array_equal(relaxed, dist):
            break
        dist = relaxed
    return dist


def _leg_hours(shift: DayWindow) -> frozenset[int]:
    """Hours a leg of a route in ``shift`` can start in (the second of tolerance included)."""
    return hours_touched(shift.start_min - 1, max(shift.start_min, shift.end_min - 1))


def _group_key(truck: Truck, day: date) -> _GroupKey:
    return _GroupKey(
        TruckClass.of(truck), truck.depot, truck.shift_on(day), truck.max_shift_on(day)
    )


def _max_visits(venue: Venue, problem: Problem) -> int:
    return problem.rules.max_visits if venue.max_visits is None else venue.max_visits


def _eligible(films: Iterable[Film], venue: Venue) -> list[Film]:
    """Films that may be shown at ``venue`` on some day (licence dates aside)."""
    return [
        f
        for f in films
        if f.may_be_shown and f.rating <= venue.max_rating and f.id not in venue.excluded_film_ids
    ]


def _gap_windows(columns: list[tuple[date, int]], gap: int) -> list[list[int]]:
    """The columns of each run of ``gap`` consecutive days that holds any, dropping runs
    whose columns another run already holds."""
    days = sorted({d for d, _ in columns})
    by_day: dict[date, list[int]] = defaultdict(list)
    for d, c in columns:
        by_day[d].append(c)
    windows: list[list[int]] = []
    covered_to: date | None = None
    for i, first in enumerate(days):
        last = first + timedelta(days=gap - 1)
        inside = [d for d in days[i:] if d <= last]
        if covered_to is not None and inside[-1] <= covered_to:
            continue
        windows.append([c for d in inside for c in by_day[d]])
        covered_to = inside[-1]
    return windows


def _intervals(visits: Sequence[_Visit]) -> list[tuple[float, float, list[int]]]:
    """``(a, b, visits inside)`` for day intervals between a few window edges (quantiles
    of the visits' earliest starts and latest ends)."""
    starts = _levels([s.earliest_min for s in visits], _INTERVAL_EDGES, floor=False)
    ends = _levels([s.latest_min for s in visits], _INTERVAL_EDGES, floor=False, top=True)
    out = []
    for a in starts:
        for b in ends:
            inside = [i for i, s in enumerate(visits) if s.earliest_min >= a and s.latest_min <= b]
            if b > a and inside:
                out.append((a, b, inside))
    return out
