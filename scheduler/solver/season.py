"""The season planner: rolling windows of a few days, each routed and programmed, with the
season rules (visit counts, gaps between visits, films already shown, okrug shares)
carried from one window to the next in an explicit ``SeasonState``.

Each window is a pure function of (problem, state, days): a later worker pool can plan
independent regions or trucks of one window in parallel without touching this loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import date

from scheduler.domain import Problem, Route
from scheduler.solver.matrix import TravelMatrix
from scheduler.solver.options import build_window
from scheduler.solver.programme import assign_films
from scheduler.solver.routing import WindowModel, route_window
from scheduler.solver.schedule import routes_of, slots_of
from scheduler.solver.state import SeasonState, record
from scheduler.travel import TravelTimes

__all__ = ["plan_season"]

Progress = Callable[[int, int], None]


def plan_season(
    problem: Problem,
    travel: TravelTimes,
    matrix: TravelMatrix,
    time_limit_s: float,
    progress: Progress | None = None,
    venues_per_vehicle: int = 8,
) -> tuple[list[Route], SeasonState]:
    """Plan every window in turn; return the routes and the final season state."""
    state = SeasonState()
    windows = _windows(problem.days, problem.rules.window_days)
    deadline = time.monotonic() + time_limit_s
    routes: list[Route] = []
    for done, days in enumerate(windows):
        left = max(0.5, deadline - time.monotonic())
        budget = left / (len(windows) - done)
        model = build_window(problem, matrix, state, days, venues_per_vehicle)
        routes.extend(_plan_window(problem, travel, model, state, budget))
        if progress is not None:
            progress(done + 1, len(windows))
    return routes, state


def _windows(days: Sequence[date], size: int) -> list[tuple[date, ...]]:
    ordered = sorted(days)
    return [tuple(ordered[i : i + size]) for i in range(0, len(ordered), size)]


def _plan_window(
    problem: Problem,
    travel: TravelTimes,
    model: WindowModel,
    state: SeasonState,
    budget_s: float,
) -> list[Route]:
    routed = route_window(model, budget_s * 0.85)
    slots = slots_of(problem, model, routed)
    films = assign_films(
        [slot for slot, _ in slots],
        problem.films,
        problem.rules,
        state.shown_frozen(),
        state.film_uses,
        time_limit_s=max(0.2, budget_s * 0.1),
    )
    routes = routes_of(problem, travel, model, routed, slots, films)
    record(state, problem, routes)
    return routes
