"""A proven upper bound on a season's value: a linear relaxation of the venue-day-truck
assignment, solved with OR-Tools' GLOP, turned into a bound by weak duality.

``season_bound(problem, travel, time_limit_s) -> SeasonBound``. ``value`` is ``None`` when
the LP is not solved within its time limit (never a guess). Two relaxations are solved in
turn and the smaller bound wins: the *coarse* one (the per-group-day rows below, fast at any
size) and, where there are at most ``ROUTE_PLACES`` places, the one with *route rows*
(``bound_routes``, ``bound_lp``), which replaces each group-day's rows by a choice of whole
truck-day routes and is far tighter where shifts are long against the drives.

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
- driving: every leg is at least the *fastest* time between its ends over the hours it can
  start in (the provider's duration depends on the departure hour only, as for
  ``OfflineTravelTimes``). The leg into a stop leaves between the shift's opening and the
  stop's latest arrival (its latest first screening less setup), the leg out between its
  earliest teardown end (earliest first screening plus the shortest programme and teardown)
  and the shift's close; each of those hour sets is a subset of the shift's, so the fastest
  time over it is at least the fastest over the shift. A route's drive is then (a) at least
  the sum over its stops of ``min(fastest in from a venue place / 2, from the depot) +
  min(out to a venue place / 2, to the depot)``, each at the hours of that leg (each leg split
  between its ends; a place holding two venues, or any venue when a gap under one day lets a
  venue follow itself, may follow itself at zero minutes), and (b) at least the shortest-path
  round trip depot-stop-depot of each stop over the shift's hours, so at least the mean over
  its stops, hence at least ``sum dd(s) / M`` with ``M`` the most stops a route can hold.
  ``T`` is at least both sums. The shortest paths are Bellman-Ford from the direct depot legs
  (one pass over all pairs when times obey the triangle inequality; after ``MAX_PATH_PASSES``
  a path of more legs is bounded by that many shortest legs);
- time: a truck's stops are disjoint and each takes at least setup + the shortest programme
  + teardown (``service``). Per group-day, ``sum service x + T <= n x longest shift`` (the
  shift's span holds the services and the drives), ``sum x <= n x M``, and for intervals
  ``[a, b]`` of the day (stops whose possible service interval lies inside) ``sum service x
  <= n x (b - a)`` (a projector's evening holds one show, not four).

**Route rows** (``bound_lp``, ``bound_routes``). Per group-day, instead of the rows above: a
column per truck-day *route* (a set of possible stops that one truck can serve in some order
within its shift, its longest day, the stops' first-screening windows and the drives, each
leg arriving no earlier than the fastest way to leave at or after its earliest departure,
waiting for a faster hour included), paying its least drive; at most ``n`` routes, and each
visit ``x`` replaced by the routes that hold it (``x`` is fixed at 0 and every route column
carries the sum of its stops' ``x`` coefficients). A valid plan's truck-days are such routes
(``bound_routes`` proves it), so this is still a relaxation of every plan ``verify`` accepts.
Routes are enumerated once per group-day (group-days with the same stops share them; more
than ``ROUTE_STATES`` partial routes, or the deadline, and that group-day keeps the coarse
rows) and enter the LP by column generation, each iteration's bound proven by weak duality
over *all* routes (``bound_lp``), so a stop on time still gives a bound.

Every timing quantity is loosened by ``verify``'s one-second tolerance (a stop's service by
``2k + 3`` s, each leg by a second, each window edge by a minute), and the LP's answer is
read
through weak duality: for GLOP's dual values ``y`` (either sign convention),
``c'x = y'Ax + (c - A'y)'x <= sum max(y_i lo_i, y_i hi_i) + sum max(r_j l_j, r_j u_j)`` over
finite bounds, which holds for every feasible ``x`` whatever GLOP's tolerances. The bound is
the smaller of the two, plus rounding slack. The relaxation ignores routes' order, waiting,
breaks, the late-rating hour and per-day licences beyond eligibility, so it is loose where
those bind; ``SeasonBound.lp_value`` is the LP's own optimum for comparison.

**Memory and time.** No all-pairs matrix is kept: the travel facts (per departure hour, each
place's nearest venue place in and out and its depots' direct legs; per shift and depot, the
shortest paths) are ``O(places x hours)``, computed from ``TILE`` x ``TILE`` tiles of the
provider's per-hour matrices (time ``O(places^2 x hours)``, memory ``O(TILE^2 x hours)``).
``start_season_bound`` runs the whole computation in a forked process beside the routing
(on the second core, shared with the regions' child of ``solver.regions``, at a lower
priority), which sends the coarse bound as soon as it has it and the route bound when done;
``PendingBound.result`` waits until the solve's time limit at most and keeps the smallest
bound received: none by then, or a failed process, is ``None`` (logged), never a failed
solve. The route rows need ``24 x places^2`` leg minutes and their enumeration grows with
the stops a truck-day can hold: on the demo (61 places, 14 days) about 2 s of enumeration
and 5 s of column generation on one quiet core.
"""

from __future__ import annotations

import bisect
import contextlib
import ctypes
import logging
import math
import multiprocessing
import os
import pickle
import signal
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

import numpy as np

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
from scheduler.solver.bound_lp import Lp, RouteBlock, solve_bound
from scheduler.solver.bound_routes import (
    HourlyLegs,
    RouteColumn,
    RouteStop,
    TruckDay,
    truck_day_routes,
)
from scheduler.solver.matrix import hours_touched
from scheduler.solver.windows import Interval, TruckClass, start_rules
from scheduler.travel import TravelTimes

__all__ = ["PendingBound", "SeasonBound", "season_bound", "start_season_bound"]

log = logging.getLogger(__name__)

TILE = 200
"""Places per side of a travel tile (``_travel_facts``): about 25 MB of per-hour tiles."""
MAX_PATH_PASSES = 3
"""Bellman-Ford passes over the tiles for the depot paths (one when times obey the triangle
inequality; after the last, longer paths are bounded by their count of shortest legs)."""
_PATH_TOLERANCE = 1.0
"""Minutes the validator's one second per leg may take off a path of legs."""

ROUTE_PLACES = 400
"""Most places for the route rows (their hourly legs: 24 x places^2 floats)."""
FIRST_ROUTES = 200
"""Routes per group-day in the first LP besides the one-stop ones: the best at first-visit
values (column generation adds the rest as the LP asks)."""
ROUTE_STATES = 1_000_000
"""Most partial routes x stops a group-day's routes may try (the demo's need 0.3 million);
past it that group-day keeps the coarser rows."""

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


def season_bound(
    problem: Problem,
    travel: TravelTimes,
    time_limit_s: float,
    progress: Callable[[SeasonBound], None] | None = None,
) -> SeasonBound:
    """An upper bound on ``plan_stats(...).value`` of any valid plan of ``problem``.

    The coarse relaxation first (handed to ``progress`` when the route rows follow), then the
    one with route rows where there are at most ``ROUTE_PLACES`` places; the smaller bound
    wins. Building and solving stop at ``time_limit_s``; no bound by then is ``None``.
    """
    started = time.monotonic()
    deadline = started + time_limit_s
    cost = problem.rules.travel_cost_per_hour / 60.0

    def done(value: float | None, lp: float | None, status: str, lp_model: Lp) -> SeasonBound:
        spent = time.monotonic() - started
        return SeasonBound(value, lp, round(spent, 3), status, lp_model.n_cols, lp_model.n_rows)

    places = list(
        dict.fromkeys([t.depot for t in problem.trucks] + [v.location for v in problem.venues])
    )
    relaxation = _Relaxation(problem, travel, places, deadline)
    try:
        coarse = relaxation.build(routes=False)
    except _OutOfTime:
        return done(None, None, "out of time building the relaxation", Lp())
    if coarse.n_cols == 0:
        return done(0.0, 0.0, "no possible visit", coarse)
    value, lp_value, status = solve_bound(coarse, [], cost, deadline - time.monotonic())
    found = done(value, lp_value, f"coarse: {status}", coarse)
    if value is None or len(places) > ROUTE_PLACES:
        return found
    if progress is not None:
        progress(found)
    try:
        lp = relaxation.build(routes=True)
    except _OutOfTime:
        return replace(found, status=f"{found.status}; routes: out of time building")
    value, lp_value, status = solve_bound(lp, relaxation.blocks, cost, deadline - time.monotonic())
    if value is None or found.value is None or value >= found.value:
        return replace(found, status=f"{found.status}; routes: {status}")
    return done(value, lp_value, f"routes: {status}", lp)


class PendingBound:
    """A bound being computed in a forked process beside the routing (``result`` joins it),
    or one already computed here."""

    def __init__(
        self,
        process: BaseProcess | None,
        receive: Connection | None,
        done: SeasonBound | None = None,
    ) -> None:
        self._process = process
        self._receive = receive
        self._done = done

    def result(self, wait_s: float) -> SeasonBound:
        """The best bound sent within ``wait_s``; none sent, or a failed process, is
        ``value=None`` with the reason (logged), never an exception."""
        if self._done is not None:
            return self._done
        found = _none("not proven before the time limit")
        until = time.monotonic() + max(0.0, wait_s)
        try:
            while self._receive is not None:
                if not self._receive.poll(max(0.0, until - time.monotonic())):
                    break
                final, received = pickle.loads(self._receive.recv_bytes())
                if isinstance(received, SeasonBound) and _better(received, found):
                    found = received
                if final:
                    break
        except (EOFError, OSError, pickle.UnpicklingError, TypeError, ValueError) as error:
            if found.value is None:
                found = _none(f"the bound's process failed ({type(error).__name__})")
        finally:
            self._close()
        if found.value is None:
            log.info("no season bound: %s", found.status)
        self._done = found
        return found

    def _close(self) -> None:
        if self._receive is not None:
            self._receive.close()
        if self._process is not None:
            if self._process.is_alive():
                self._process.kill()
            self._process.join(timeout=5.0)


def start_season_bound(problem: Problem, travel: TravelTimes, time_limit_s: float) -> PendingBound:
    """Start ``season_bound`` in a forked process (the second core) with ``time_limit_s``;
    where no process can be forked, compute it here within ``INLINE_SHARE`` of that."""
    try:
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        process = context.Process(
            target=_bound_child, args=(problem, travel, time_limit_s, send, os.getpid())
        )
        process.start()
    except (AssertionError, OSError, ValueError) as error:  # daemonic, no fork, no memory
        log.warning("computing the season bound in this process: %s", error)
        return PendingBound(None, None, season_bound(problem, travel, time_limit_s * INLINE_SHARE))
    send.close()
    return PendingBound(process, receive)


INLINE_SHARE = 0.1
"""Share of the time limit for the bound when it cannot run beside the routing."""


def _bound_child(
    problem: Problem, travel: TravelTimes, time_limit_s: float, send: Connection, parent: int
) -> None:
    """In a forked child: compute the bound and send it back (a failure sends its reason)."""
    if sys.platform.startswith("linux"):  # end with the planning process
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(0)

    def report(found: SeasonBound, final: bool = False) -> None:
        send.send_bytes(pickle.dumps((final, found)))

    try:
        with contextlib.suppress(OSError):
            os.nice(5)  # the routing on this core comes first
        found = season_bound(problem, travel, time_limit_s, report)
    except Exception as error:  # a bug here must not fail the plan
        log.exception("the season bound failed")
        found = _none(f"the bound failed ({type(error).__name__}: {error})")
    try:
        report(found, final=True)
    finally:
        send.close()
        os._exit(0)


_PR_SET_PDEATHSIG = 1


def _better(new: SeasonBound, old: SeasonBound) -> bool:
    """``new`` is a bound where ``old`` is none, or a smaller one."""
    if new.value is None:
        return old.value is None
    return old.value is None or new.value < old.value


def _none(status: str) -> SeasonBound:
    return SeasonBound(None, None, 0.0, status)


class _OutOfTime(Exception):
    """The deadline passed while building the relaxation."""


# --- travel facts, computed tile by tile -----------------------------------------------


@dataclass(frozen=True, slots=True)
class _TravelFacts:
    """What the relaxation needs of the travel times, in ``O(places x hours)`` memory.

    Per departure hour ``h`` (rows indexed by ``hours``): ``near_in[h, p]`` and
    ``near_out[h, p]``, the shortest leg into / out of place ``p`` from / to another venue
    place; ``from_depot[d][h, p]`` and ``to_depot[d][h, p]``, depot ``d``'s direct legs. Per
    set of shift hours and depot: ``sp_in`` / ``sp_out``, shortest paths over the fastest
    legs in those hours (a lower bound on any chain of legs there)."""

    hours: dict[int, int]
    near_in: np.ndarray
    near_out: np.ndarray
    from_depot: dict[int, np.ndarray]
    to_depot: dict[int, np.ndarray]
    sp_in: dict[tuple[frozenset[int], int], np.ndarray]
    sp_out: dict[tuple[frozenset[int], int], np.ndarray]

    def fastest(self, table: np.ndarray, hours: frozenset[int], place: int) -> float:
        """The smallest of ``table[h, place]`` over ``hours``."""
        return float(min(table[self.hours[h], place] for h in hours))


def _travel_facts(
    travel: TravelTimes,
    places: list[Location],
    is_venue: np.ndarray,
    depots: list[int],
    shift_hours: list[frozenset[int]],
    self_legs: np.ndarray,
    deadline: float,
) -> _TravelFacts:
    """The facts of ``_TravelFacts``, from tiles of ``TILE`` x ``TILE`` places (every hour
    computed once per tile pair: time ``O(places^2 x hours)``, memory ``O(TILE^2 x hours)``)."""
    all_hours = sorted(frozenset().union(*shift_hours))
    row = {h: i for i, h in enumerate(all_hours)}
    n = len(places)
    inf = np.full((len(all_hours), n), np.inf)
    near_in, near_out = inf.copy(), inf.copy()
    from_depot = {d: inf.copy() for d in depots}
    to_depot = {d: inf.copy() for d in depots}
    tiles = [list(range(a, min(n, a + TILE))) for a in range(0, n, TILE)]
    for d in depots:
        for tile in tiles:
            if time.monotonic() > deadline:
                raise _OutOfTime
            for h in all_hours:
                square = np.asarray(
                    travel.worst_matrix_min([places[d]] + [places[p] for p in tile], [h]), float
                )
                from_depot[d][row[h], tile] = square[0, 1:]
                to_depot[d][row[h], tile] = square[1:, 0]
    sets = list(dict.fromkeys(shift_hours))
    direct_in = {
        (s, d): np.min(from_depot[d][[row[h] for h in s]], axis=0) for s in sets for d in depots
    }
    direct_out = {
        (s, d): np.min(to_depot[d][[row[h] for h in s]], axis=0) for s in sets for d in depots
    }
    sp_in = {key: v.copy() for key, v in direct_in.items()}
    sp_out = {key: v.copy() for key, v in direct_out.items()}
    for d in depots:
        for s in sets:
            sp_in[s, d][d] = sp_out[s, d][d] = 0.0
    shortest_leg = {s: math.inf for s in sets}
    passes = 0
    while True:
        passes += 1
        changed = _tile_pass(
            travel,
            places,
            is_venue,
            tiles,
            all_hours,
            row,
            sets,
            self_legs,
            deadline,
            near_in if passes == 1 else None,
            near_out if passes == 1 else None,
            sp_in,
            sp_out,
            shortest_leg,
        )
        if not changed:
            break
        if passes >= MAX_PATH_PASSES:
            # paths of more legs than the passes cover are at least that many shortest legs
            for (s, _), dist in [*sp_in.items(), *sp_out.items()]:
                np.minimum(dist, (passes + 1) * shortest_leg[s], out=dist)
            break
    return _TravelFacts(row, near_in, near_out, from_depot, to_depot, sp_in, sp_out)


def _tile_pass(
    travel: TravelTimes,
    places: list[Location],
    is_venue: np.ndarray,
    tiles: list[list[int]],
    all_hours: list[int],
    row: dict[int, int],
    sets: list[frozenset[int]],
    self_legs: np.ndarray,
    deadline: float,
    near_in: np.ndarray | None,
    near_out: np.ndarray | None,
    sp_in: dict[tuple[frozenset[int], int], np.ndarray],
    sp_out: dict[tuple[frozenset[int], int], np.ndarray],
    shortest_leg: dict[frozenset[int], float],
) -> bool:
    """One pass over every tile pair: the nearest-venue legs (when asked) and one
    Bellman-Ford relaxation of the depot paths (from the previous pass's distances); whether
    any path got shorter."""
    before_in = {k: v.copy() for k, v in sp_in.items()}
    before_out = {k: v.copy() for k, v in sp_out.items()}
    for i, a in enumerate(tiles):
        for b in tiles[i:]:
            if time.monotonic() > deadline:
                raise _OutOfTime
            members = a if a is b else a + b
            idx = np.array(members)
            per_hour = np.stack(
                [
                    np.asarray(travel.worst_matrix_min([places[p] for p in members], [h]), float)
                    for h in all_hours
                ]
            )
            loops = np.arange(len(members))[~self_legs[idx]]
            per_hour[:, loops, loops] = np.inf
            if near_in is not None and near_out is not None:
                venue_rows = np.where(is_venue[idx][None, :, None], per_hour, np.inf)
                near_in[:, idx] = np.minimum(near_in[:, idx], venue_rows.min(axis=1))
                venue_cols = np.where(is_venue[idx][None, None, :], per_hour, np.inf)
                near_out[:, idx] = np.minimum(near_out[:, idx], venue_cols.min(axis=2))
            for s in sets:
                fast = per_hour[[row[h] for h in s]].min(axis=0)
                off = fast.copy()
                np.fill_diagonal(off, np.inf)
                shortest_leg[s] = min(shortest_leg[s], float(off.min()))
                for (s2, d), dist in sp_in.items():
                    if s2 == s:
                        dist[idx] = np.minimum(
                            dist[idx], (before_in[s, d][idx][:, None] + fast).min(axis=0)
                        )
                for (s2, d), dist in sp_out.items():
                    if s2 == s:
                        dist[idx] = np.minimum(
                            dist[idx], (fast + before_out[s, d][idx][None, :]).min(axis=1)
                        )
    return any(
        bool(np.any(sp_in[k] < before_in[k] - 1e-9))
        or bool(np.any(sp_out[k] < before_out[k] - 1e-9))
        for k in sp_in
    )


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
    place: int
    starts: tuple[tuple[float, float], ...]
    """Allowed first-screening starts inside the shift's reach, widened a minute."""


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
        self._facts: _TravelFacts | None = None
        self._legs: HourlyLegs | None = None
        self.blocks: list[RouteBlock] = []
        self._visits: list[_Visit] | None = None
        self._routes: dict[object, tuple[np.ndarray, np.ndarray] | None] = {}
        self._starts: dict[tuple[object, ...], list[Interval]] = {}
        self._films: dict[tuple[object, ...], list[int]] = {}
        self.groups: list[_GroupKey] = []
        self.trucks_on: dict[tuple[int, date], int] = defaultdict(int)

    def _check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise _OutOfTime

    # --- travel ---------------------------------------------------------------------

    @property
    def facts(self) -> _TravelFacts:
        """The travel facts of every group's depot and shift hours (computed once)."""
        if self._facts is None:
            venues = self.problem.venues
            is_venue = np.zeros(len(self.places), dtype=bool)
            count = np.zeros(len(self.places), dtype=int)
            for venue in venues:
                is_venue[self.index[venue.location]] = True
                count[self.index[venue.location]] += 1
            # a place may follow itself when two venues share it or a venue may be visited
            # twice a day
            self_legs = (count > 1) | any(v.gap_days(self.rules) < 1 for v in venues)
            depots = sorted({self.index[g.depot] for g in self.groups})
            shift_hours = [_leg_hours(g.shift) for g in self.groups]
            self._facts = _travel_facts(
                self.travel, self.places, is_venue, depots, shift_hours, self_legs, self.deadline
            )
        return self._facts

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
        """Every (venue, day, group, k) a valid plan could contain (computed once)."""
        if self._visits is None:
            self._visits = self._possible_visits()
        return self._visits

    def _possible_visits(self) -> list[_Visit]:
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
        facts = self.facts
        place, depot = self.index[venue.location], self.index[group.depot]
        shift_hours = _leg_hours(group.shift)
        sp_in = float(facts.sp_in[shift_hours, depot][place])
        sp_out = float(facts.sp_out[shift_hours, depot][place])
        reach_in = max(0.0, sp_in - _PATH_TOLERANCE)
        reach_out = max(0.0, sp_out - _PATH_TOLERANCE)
        if reach_in + service + reach_out > group.max_shift_min + _SECOND:
            return None
        setup, teardown = truck_class.setup_min, truck_class.teardown_min
        first_from = group.shift.start_min + reach_in + setup - 1
        first_to = group.shift.end_min - reach_out - teardown - window_programme + 1
        earliest, latest = math.inf, -math.inf
        starts: list[tuple[float, float]] = []
        for lo, hi in self.starts(venue, truck_class, day, window_programme, hull=k > 1):
            a, b = max(lo, first_from), min(hi, first_to)
            if a <= b:
                earliest = min(earliest, a - setup)
                latest = max(latest, b + window_programme + teardown)
                starts.append((a, b))
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
            leg_min=max(0.0, self.leg_share(group, place, earliest, latest, window_programme, k)),
            round_trip_min=sp_in + sp_out,
            place=place,
            starts=tuple(starts),
        )

    def leg_share(
        self, group: _GroupKey, place: int, earliest: float, latest: float, programme: int, k: int
    ) -> float:
        """``(a)`` of the module docstring at the hours the stop's legs can leave in: the leg
        in leaves before the latest arrival (the latest first start less setup), the leg out
        after the earliest teardown's end (the earliest first start plus the programme)."""
        shift = group.shift
        tc = group.truck_class
        last_in = latest - programme - tc.teardown_min - tc.setup_min + 1
        first_out = earliest + tc.setup_min + programme + tc.teardown_min - 1
        in_hours = _within(shift, shift.start_min - 1, last_in)
        out_hours = _within(shift, first_out, shift.end_min)
        facts = self.facts
        depot = self.index[group.depot]
        share_in = min(
            facts.fastest(facts.near_in, in_hours, place) / 2,
            facts.fastest(facts.from_depot[depot], in_hours, place),
        )
        share_out = min(
            facts.fastest(facts.near_out, out_hours, place) / 2,
            facts.fastest(facts.to_depot[depot], out_hours, place),
        )
        return share_in + share_out - 2 * _SECOND

    # --- the LP -----------------------------------------------------------------------

    def build(self, routes: bool) -> Lp:
        """The LP of the module docstring, with route rows (``bound_lp``) where ``routes``
        and there are few enough places, else the coarser per-group-day rows."""
        lp = Lp()
        self.blocks = []
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
        entries: dict[int, list[tuple[int, float]]] = defaultdict(list)
        for row, col, val in zip(lp.rows, lp.cols, lp.vals, strict=True):
            if col < len(x):
                entries[col].append((row, val))
        for (g, day), ids in by_group_day.items():
            self._check_time()
            group_visits, columns = [visits[i] for i in ids], [x[i] for i in ids]
            block = None
            if routes:
                block = self._route_block(lp, g, day, group_visits, columns, entries)
            if block is None:
                self._group_day_rows(lp, g, day, group_visits, columns)
            else:
                self.blocks.append(block)
        return lp

    def _route_block(
        self,
        lp: Lp,
        g: int,
        day: date,
        visits: list[_Visit],
        x: list[int],
        entries: dict[int, list[tuple[int, float]]],
    ) -> RouteBlock | None:
        """The group-day's route rows with a column per one-stop route (``bound_lp``), or
        ``None`` when there are too many places or routes (the coarser rows then)."""
        routes = self._all_routes(g, visits)
        if routes is None:
            return None
        stops, drive = routes
        trucks = self.trucks_on[g, day]
        for c in x:
            lp.col_hi[c] = 0.0
        block = RouteBlock(
            trucks=trucks,
            visits=x,
            entries=[entries[c] for c in x],
            stops=stops,
            drive_min=drive,
        )
        block.convexity = lp.row([], -math.inf, float(trucks))
        cost = self.rules.travel_cost_per_hour / 60.0
        for r in np.flatnonzero((stops >= 0).sum(axis=1) == 1):
            block.add(lp, int(r), cost)
        first_values = np.array(
            [visit_value(self.problem.venues[s.venue], 0, s.k, self.rules) for s in visits]
        )
        for r in _best(block.profits(first_values, cost), FIRST_ROUTES):
            block.add(lp, int(r), cost)
        return block

    def _all_routes(self, g: int, visits: list[_Visit]) -> tuple[np.ndarray, np.ndarray] | None:
        """Every route of ``bound_routes`` over the group-day's possible stops, as padded
        stop indices and least drives (shared by group-days with the same stops)."""
        legs = self.hourly_legs
        if legs is None:
            return None
        group = self.groups[g]
        tc = group.truck_class
        stops = tuple(
            RouteStop(s.venue, s.place, tc.setup_min, s.service_min - tc.setup_min, s.starts)
            for s in visits
        )
        shift = group.shift
        truck_day = TruckDay(
            self.index[group.depot], shift.start_min, shift.end_min, group.max_shift_min
        )
        key = (stops, truck_day)
        if key not in self._routes:
            repeat = any(self.problem.venues[s.venue].gap_days(self.rules) < 1 for s in visits)
            found = truck_day_routes(
                stops, truck_day, legs, ROUTE_STATES, repeat_venues=repeat, deadline=self.deadline
            )
            self._routes[key] = None if found is None else _padded(found)
        return self._routes[key]

    @property
    def hourly_legs(self) -> HourlyLegs | None:
        """Leg minutes between all places per departure hour, or ``None`` when there are
        more than ``ROUTE_PLACES`` places (the route rows are then left out)."""
        if self._legs is None and len(self.places) <= ROUTE_PLACES:
            per_hour = []
            for h in range(24):
                self._check_time()
                per_hour.append(np.asarray(self.travel.worst_matrix_min(self.places, [h]), float))
            self._legs = HourlyLegs(np.stack(per_hour))
        return self._legs

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
        lp: Lp,
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
        self, lp: Lp, g: int, day: date, visits: list[_Visit], x: list[int]
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
        lp: Lp,
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


def _best(values: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` largest ``values`` (any order)."""
    if len(values) <= count:
        return np.arange(len(values))
    return np.argpartition(-values, count)[:count]


def _padded(routes: Sequence[RouteColumn]) -> tuple[np.ndarray, np.ndarray]:
    """Routes as an array of stop indices padded with ``-1``, and their drives."""
    width = max((len(r.stops) for r in routes), default=1)
    stops = np.full((len(routes), width), -1, dtype=int)
    for i, route in enumerate(routes):
        stops[i, : len(route.stops)] = route.stops
    return stops, np.array([r.drive_min for r in routes], dtype=float)


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


def _leg_hours(shift: DayWindow) -> frozenset[int]:
    """Hours a leg of a route in ``shift`` can start in (the second of tolerance included)."""
    return hours_touched(shift.start_min - 1, max(shift.start_min, shift.end_min - 1))


def _within(shift: DayWindow, start_min: float, end_min: float) -> frozenset[int]:
    """Hours a leg of ``shift`` leaving in ``[start_min, end_min]`` can start in (all the
    shift's leg hours when that range is empty or reaches outside)."""
    every = _leg_hours(shift)
    lo = max(shift.start_min - 1, math.floor(start_min))
    hi = min(max(shift.start_min, shift.end_min - 1), math.ceil(end_min))
    found = hours_touched(lo, hi) & every if lo <= hi else frozenset()
    return found or every


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
