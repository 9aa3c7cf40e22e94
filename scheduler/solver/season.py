"""The season planner: rolling windows of a few days, each routed and programmed, with the
season rules (visit counts, gaps between visits, films already shown, okrug shares)
carried from one window to the next in an explicit ``SeasonState``.

Pins (``domain.Pins``) enter the state before the first window, whatever their day, so every
window plans around them. A truck-day pinned whole is left out of its window's routing model
and kept as it is. A truck-day with pinned stops keeps them as required visits at their own
times on that vehicle, and the router may fill the gaps with other visits (the arcs between
pins take the times of the pins' own day, ``routing.WindowModel.pinned_transit_min``, so pins
from a valid plan always fit); when the pinned stops alone do not fit the shift, or the router
finds no plan with them, the truck-day keeps only its pinned stops (drives, breaks and depot
times derived around them, ``schedule.timed_route``).

Each window is a pure function of (problem, state, days). Every window keeps to its share of
the deadline (``_Pace`` learns what the phases around the routing cost), and with two workers
(or a ``runner``: the job backend's workers) its routing runs on both cores, the window cut
into regions beside the whole (``regions.route_portfolio``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from scheduler.domain import Plan, Problem, Route, Stop
from scheduler.scoring import plan_stats
from scheduler.solver.matrix import TravelMatrix
from scheduler.solver.offload import SubproblemRunner
from scheduler.solver.options import build_window
from scheduler.solver.pins import PinIndex, TruckDay
from scheduler.solver.programme import assign_films
from scheduler.solver.regions import route_portfolio
from scheduler.solver.routing import RoutedVehicle, WindowModel, misfit_pins, pins_made
from scheduler.solver.schedule import pinned_route, routes_of, slots_of
from scheduler.solver.state import SeasonState, record
from scheduler.travel import TravelTimes

__all__ = ["SeasonPlan", "SolveProgress", "plan_season"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SolveProgress:
    """Where a solve is: planning windows done out of the total, and the plan value (as
    ``scoring.plan_stats`` computes it, exactly) of the routes planned so far, pinned
    routes of those windows included."""

    windows_done: int
    windows_total: int
    value_so_far: float


@dataclass(frozen=True, slots=True)
class SeasonPlan:
    """The routes of the season, the final state, and the first day left unplanned when
    planning was stopped (``None`` when every window was planned)."""

    routes: list[Route]
    state: SeasonState
    stopped_before: date | None = None


def plan_season(
    problem: Problem,
    travel: TravelTimes,
    matrix: TravelMatrix,
    time_limit_s: float,
    progress: Callable[[SolveProgress], None] | None = None,
    venues_per_vehicle: int = 8,
    pins: PinIndex | None = None,
    should_stop: Callable[[], bool] | None = None,
    workers: int = 1,
    runner: SubproblemRunner | None = None,
    valued: tuple[Problem, TravelTimes] | None = None,
) -> SeasonPlan:
    """Plan every window in turn within ``time_limit_s``; return the routes and the final
    season state.

    Each window gets an equal share of the time left, and every phase of a window (its
    model, the routing, the films, the timing) keeps to the window's deadline: what the
    phases around the routing cost is measured on the windows so far and taken from the
    routing's share. ``workers`` > 1 routes each window on two cores (``regions``), or
    ``runner`` routes its regions (default: a forked child when ``workers`` > 1).
    ``should_stop()`` is asked before each window: when it says yes, the remaining windows
    keep only their pins. ``progress`` is called after each planned window, with the value
    so far counted on ``valued`` (the original problem and travel times when ``problem`` is a
    buffered copy; default ``problem`` and ``travel``).
    """
    pins = pins or PinIndex()
    state = SeasonState()
    record(state, problem, pins.visits())
    windows = _windows(problem.days, problem.rules.window_days)
    deadline = time.monotonic() + time_limit_s
    pace = _Pace()
    routes: list[Route] = []
    for done, days in enumerate(windows):
        if should_stop is not None and should_stop():
            log.info("planning stopped before %s", days[0])
            for later in windows[done:]:
                routes.extend(_pins_only(problem, travel, matrix, pins, later))
            return SeasonPlan(routes, state, days[0])
        now = time.monotonic()
        window_deadline = now + max(0.0, deadline - now) / (len(windows) - done)
        window = _Window(
            problem, travel, matrix, state, pins, days, venues_per_vehicle, workers, runner
        )
        routes.extend(window.plan(window_deadline, pace))
        if progress is not None:
            scored, scored_travel = valued or (problem, travel)
            value = plan_stats(scored, Plan(tuple(routes), (), 0.0), scored_travel).value
            progress(SolveProgress(done + 1, len(windows), value))
    return SeasonPlan(routes, state)


MIN_SEARCH_S = 0.1
"""The shortest routing search, even past the deadline (OR-Tools stops at 0.1 s at best)."""


@dataclass(slots=True)
class _Pace:
    """What a window costs around its routing search, learnt from the windows so far (the
    first window guesses): the routing's own overhead (building the OR-Tools model), the
    film programme, and the timing of the routes."""

    routing_overhead_s: float = 0.0
    programme_s: float | None = None
    timing_s: float = 0.0

    def search_s(self, deadline: float) -> float:
        """Seconds for the routing search so that the window ends by ``deadline``."""
        left = deadline - time.monotonic()
        programme = 0.1 * max(0.0, left) if self.programme_s is None else 1.5 * self.programme_s
        reserve = self.routing_overhead_s + programme + self.timing_s
        return max(MIN_SEARCH_S, left - reserve)

    def programme_limit_s(self, deadline: float) -> float:
        """Seconds for the film programme so that the window ends by ``deadline``."""
        return max(0.2, deadline - time.monotonic() - self.timing_s)

    @staticmethod
    def learn(old: float | None, seen: float) -> float:
        """A cautious running estimate: jumps up at once, comes down slowly."""
        return seen if old is None or seen > old else 0.7 * old + 0.3 * seen


def _windows(days: Sequence[date], size: int) -> list[tuple[date, ...]]:
    ordered = sorted(days)
    return [tuple(ordered[i : i + size]) for i in range(0, len(ordered), size)]


def _pins_only(
    problem: Problem,
    travel: TravelTimes,
    matrix: TravelMatrix,
    pins: PinIndex,
    days: tuple[date, ...],
    partial: Mapping[TruckDay, Sequence[Stop]] | None = None,
) -> list[Route]:
    """The pinned routes on ``days`` and truck-days with only their pinned stops (all the
    pinned stops on ``days``, or ``partial``)."""
    routes = [pins.routes[key] for key in sorted(pins.whole(days))]
    stops_by_day = pins.partial(days) if partial is None else partial
    for (truck_id, day), stops in sorted(stops_by_day.items()):
        routes.append(pinned_route(problem, travel, matrix, problem.truck(truck_id), day, stops))
    return routes


@dataclass(frozen=True)
class _Window:
    """One planning window and what it plans around."""

    problem: Problem
    travel: TravelTimes
    matrix: TravelMatrix
    state: SeasonState
    pins: PinIndex
    days: tuple[date, ...]
    venues_per_vehicle: int
    workers: int = 1
    runner: SubproblemRunner | None = None

    def model(
        self, partial: Mapping[TruckDay, Sequence[Stop]], closed: set[TruckDay]
    ) -> WindowModel:
        return build_window(
            self.problem,
            self.matrix,
            self.state,
            self.days,
            self.venues_per_vehicle,
            partial,
            closed,
        )

    def route(self, model: WindowModel, deadline: float, pace: _Pace) -> list[RoutedVehicle]:
        """Route within the window's deadline, learning the routing's overhead."""
        search_s = pace.search_s(deadline)
        started = time.monotonic()
        routed = route_portfolio(model, search_s, self.workers, self.runner)
        overhead = time.monotonic() - started - search_s
        pace.routing_overhead_s = _Pace.learn(pace.routing_overhead_s, max(0.0, overhead))
        return routed

    def plan(self, deadline: float, pace: _Pace) -> list[Route]:
        """Route, programme and time the window by ``deadline``; record its new visits in
        the state."""
        problem, pins = self.problem, self.pins
        closed = pins.whole(self.days)
        partial = pins.partial(self.days)
        model = self.model(partial, closed)
        misfits = {(model.vehicles[v].truck.id, model.vehicles[v].day) for v in misfit_pins(model)}
        if misfits:
            log.warning("pinned stops the router cannot plan around: %s", sorted(misfits))
            model = self.model(
                {k: s for k, s in partial.items() if k not in misfits}, closed | misfits
            )
        routed = self.route(model, deadline, pace)
        if not pins_made(model, routed):
            log.warning(
                "no routing plan with the pinned stops on %s; keeping them alone", self.days
            )
            misfits |= set(partial)
            model = self.model({}, closed | misfits)
            routed = self.route(model, deadline, pace)
        started = time.monotonic()
        slots = slots_of(problem, model, routed)
        films = assign_films(
            [slot for slot, _ in slots],
            problem.films,
            problem.rules,
            self.state.shown_frozen(),
            self.state.film_uses,
            time_limit_s=pace.programme_limit_s(deadline),
        )
        pace.programme_s = _Pace.learn(pace.programme_s, time.monotonic() - started)
        timed = time.monotonic()
        routes = routes_of(problem, self.travel, model, routed, slots, films)
        fresh = [
            (route.day, stop)
            for route in routes
            for stop in route.stops
            if not pins.is_pinned(route.truck_id, route.day, stop)
        ]
        record(self.state, problem, fresh)
        kept = {key: stops for key, stops in partial.items() if key in misfits}
        routes += _pins_only(problem, self.travel, self.matrix, pins, self.days, kept)
        pace.timing_s = _Pace.learn(pace.timing_s, time.monotonic() - timed)
        return routes
