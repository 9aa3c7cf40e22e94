"""Tests for the engine at scale: the lazy travel matrix answers as the dense one did in a
fraction of the memory, windows pick their candidates without trying every venue, the time
limit holds, and a window routed on two cores (``solver.regions``) is a valid plan.

Time-limited search is not reproducible, so the tests assert invariants, not routes.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from scheduler.checks import verify
from scheduler.demo import generate_problem
from scheduler.domain import Location, Problem, truck_available_on, venue_open_on
from scheduler.solver import SolveParams, solve
from scheduler.solver import regions as regions_module
from scheduler.solver.core import CoreSolution, core_objective, core_violations
from scheduler.solver.matrix import TravelMatrix, hours_touched
from scheduler.solver.options import _candidates, _Fleet, _okrug_bonus, _venue_options, build_window
from scheduler.solver.reasons import _explain, _FilmDays, _timing, explain_unserved
from scheduler.solver.regions import route_portfolio, route_split, split_window
from scheduler.solver.routing import RoutedVehicle, Vehicle, WindowModel, core_problem
from scheduler.solver.state import SeasonState
from scheduler.travel import OfflineTravelTimes

TRAVEL = OfflineTravelTimes()


def _places(problem: Problem) -> list[Location]:
    return list(
        dict.fromkeys([t.depot for t in problem.trucks] + [v.location for v in problem.venues])
    )


def _first_window(problem: Problem) -> tuple[date, ...]:
    return tuple(sorted(problem.days)[: problem.rules.window_days])


def _window(venues: int, days: int = 6, trucks: int = 10, seed: int = 3) -> WindowModel:
    problem = generate_problem(seed=seed, days=days, trucks=trucks, venues=venues)
    matrix = TravelMatrix.build(problem, TRAVEL)
    return build_window(problem, matrix, SeasonState(), _first_window(problem), 8)


def _solution(model: WindowModel, routed: list[RoutedVehicle]) -> CoreSolution:
    first = len(model.vehicles)
    by_vehicle = {r.node: tuple((s.node - first, s.arrival_min) for s in r.stops) for r in routed}
    return CoreSolution(tuple(by_vehicle.get(v, ()) for v in range(first)), "test")


def test_lazy_matrix_equals_the_dense_one() -> None:
    """Every request (all shift hours, given hours, one leg) equals the dense all-pairs
    matrix by hour that the engine used to build."""
    problem = generate_problem(seed=2, days=7, trucks=3, venues=40)
    places = _places(problem)
    dense = np.stack([TRAVEL.worst_matrix_min(places, [h]) for h in range(24)])
    shift_hours = sorted(
        set().union(*(hours_touched(t.shift.start_min, t.shift.end_min) for t in problem.trucks))
    )
    matrix = TravelMatrix.build(problem, TRAVEL)
    rng = np.random.default_rng(7)
    for _ in range(20):
        rows = rng.choice(len(places), size=12, replace=False)
        cols = rng.choice(len(places), size=9, replace=False)
        hours = frozenset(int(h) for h in rng.choice(24, size=int(rng.integers(1, 6))))
        origins = [places[i] for i in rows]
        destinations = [places[j] for j in cols]
        expected_all = dense[np.ix_(np.array(shift_hours), rows, cols)].max(axis=0)
        expected = dense[np.ix_(np.array(sorted(hours)), rows, cols)].max(axis=0)
        np.testing.assert_allclose(matrix.between(origins, destinations), expected_all, rtol=1e-12)
        np.testing.assert_allclose(
            matrix.leaving_in(origins, destinations, hours), expected, rtol=1e-12
        )
        assert matrix.leg_min(origins[0], destinations[0], hours) == pytest.approx(
            expected[0, 0], rel=1e-12
        )


def test_matrix_memory_is_not_quadratic_in_venues() -> None:
    """A window of a 3,000-venue season and a leg from the depot to every venue compute a
    small fraction of the 24 x N^2 cells of a dense matrix, and the cache stays small."""
    problem = generate_problem(seed=4, days=6, trucks=10, venues=3000)
    matrix = TravelMatrix.build(problem, TRAVEL)
    model = build_window(problem, matrix, SeasonState(), _first_window(problem), 8)
    depot = problem.trucks[0].depot
    for venue in problem.venues:
        matrix.leg_min(depot, venue.location, frozenset({18, 19}))
    n = len(_places(problem))
    assert model.options
    assert matrix.cells_computed < 24 * n * n / 100
    assert matrix.cached_bytes() < 32 * 2**20  # a dense matrix: 24 x N^2 x 8 B = 1.7 GB


def test_matrix_cache_keeps_to_its_budget() -> None:
    """Requests for many different sets of places evict old blocks: the cache stays under
    its budget, and answers stay right after eviction."""
    problem = generate_problem(seed=5, days=3, trucks=2, venues=400)
    matrix = TravelMatrix.build(problem, TRAVEL, cache_mb=0.5)
    places = _places(problem)
    first = matrix.between(places[:100], places[:100]).copy()
    for start in range(100, 400, 50):
        matrix.leaving_in(places[start : start + 50], places[start : start + 50], frozenset({8}))
        assert matrix.cached_bytes() <= 0.5 * 2**20 + 100 * 100 * 8
    np.testing.assert_allclose(matrix.between(places[:100], places[:100]), first)


def test_candidates_are_those_of_trying_every_venue() -> None:
    """Picking a window's candidates from an upper bound on their value gives the same
    venues, in the same order, as computing every venue's options and sorting, also when
    earlier visits and okrug bonuses change the values."""
    problem = generate_problem(seed=6, days=9, trucks=4, venues=500)
    days = sorted(problem.days)
    state = SeasonState()
    for venue in problem.venues[::3]:  # visited before: repeat value, gap rule
        state.visits[venue.id].append(days[0])
    state.okrug_screenings[problem.venues[0].okrug] += 50
    for window in (tuple(days[:3]), tuple(days[3:6])):
        vehicles = tuple(
            Vehicle(truck, day, j) for j, day in enumerate(window) for truck in problem.trucks
        )
        fleet = _Fleet.of(problem, vehicles)
        bonus = _okrug_bonus(problem, state)
        limit = 8 * len(vehicles)
        every = [_venue_options(problem, state, v, window, fleet, bonus) for v in problem.venues]
        every = [found for found in every if found]
        assert len(every) > limit
        every.sort(key=lambda found: -max(o.value for o in found))
        expected = [found[0].venue.id for found in every[:limit]]
        picked = _candidates(problem, state, window, fleet, bonus, limit)
        assert [found[0].venue.id for found in picked] == expected


def test_time_limit_holds_on_a_medium_season() -> None:
    """A 1,200-venue, 12-day season with a 6-s limit ends within 5 % and a second."""
    problem = generate_problem(seed=8, days=12, trucks=10, venues=1200)
    limit = 6.0
    started = time.monotonic()
    plan = solve(problem, TRAVEL, SolveParams(time_limit_s=limit))
    wall = time.monotonic() - started
    assert wall <= limit * 1.05 + 1.0
    assert plan.stats.screenings > 0
    assert len(plan.unserved) + plan.stats.served_venues == len(problem.venues)


def test_regions_split_a_window_without_overlap() -> None:
    """Regions share out the window's venues and vehicles: no venue or vehicle in two
    regions, every vehicle in one, and each option only on its region's vehicles."""
    model = _window(venues=400)
    regions = split_window(model, 2)
    assert len(regions) == 2
    venues = [{o.venue.id for o in r.model.options} for r in regions]
    assert not venues[0] & venues[1]
    assert sorted(v for r in regions for v in r.vehicles) == list(range(len(model.vehicles)))
    for region in regions:
        assert min(len(region.model.options), len(region.model.vehicles)) > 0
        for i, option in zip(region.options, region.model.options, strict=True):
            assert option.venue == model.options[i].venue
            whole = {region.vehicles[v] for v in option.vehicle_ids}
            assert whole <= set(model.options[i].vehicle_ids)


def test_routes_by_region_are_routes_of_the_whole_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Routes found region by region break none of the whole window's routing rules, and
    the two-core portfolio keeps the regions' plan when it beats the whole model's."""
    model = _window(venues=400)
    core = core_problem(model)
    by_region = route_split(model, 2.0)
    split = _solution(model, by_region)
    assert core_violations(core, split) == []
    assert any(split.routes)
    route_window = regions_module.route_window

    def whole_finds_nothing(window: WindowModel, limit_s: float) -> list[RoutedVehicle]:
        return [] if window is model else route_window(window, limit_s)  # regions: routed

    monkeypatch.setattr(regions_module, "route_window", whole_finds_nothing)
    kept = _solution(model, route_portfolio(model, 1.5, workers=2))  # regions in a child
    assert core_violations(core, kept) == []
    assert core_objective(core, kept) < core_objective(core, _solution(model, []))


def test_portfolio_keeps_the_whole_plan_when_the_child_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A region child that crashes does not take the window down: the whole model's plan
    is kept."""
    model = _window(venues=400)

    def broken(*_: object, **__: object) -> list[RoutedVehicle]:
        raise RuntimeError("injected")

    monkeypatch.setattr(regions_module, "route_regions", broken)
    routed = route_portfolio(model, 1.0, workers=2)
    assert routed
    assert core_violations(core_problem(model), _solution(model, routed)) == []


def test_season_on_two_cores_passes_the_validator() -> None:
    """A generated season planned with two workers per window is valid and serves venues."""
    problem = generate_problem(seed=9, days=6, trucks=8, venues=300)
    plan = solve(problem, TRAVEL, SolveParams(time_limit_s=6.0, workers=2))
    assert verify(problem, plan, TRAVEL) == []
    assert plan.stats.served_venues > 0


def test_reasons_try_one_truck_of_each_kind_with_the_same_verdict() -> None:
    """Explaining a venue with one truck of each kind per day gives the reason that trying
    every truck on every day gives, for every venue of a generated season."""
    problem = generate_problem(seed=10, days=14, trucks=10, venues=300)
    matrix = TravelMatrix.build(problem, TRAVEL)
    films = _FilmDays(problem)
    seen = set()
    for venue in problem.venues:
        found = _explain(problem, matrix, venue, films)
        days = [d for d in problem.days if venue_open_on(venue, d) and d in films.of(venue)]
        pairs = [(d, t) for d in days for t in problem.trucks if truck_available_on(t, d)]
        if pairs:
            assert _timing(problem, matrix, venue, pairs).reason is found.reason
        seen.add(found.reason)
    assert len(seen) >= 2  # the season has venues unserved for different reasons


def test_reasons_for_many_venues_are_cheap() -> None:
    """Explaining 3,000 unserved venues takes seconds, not minutes (the dense engine took
    over a minute for 2,400), and computes no all-pairs travel."""
    problem = generate_problem(seed=11, days=30, trucks=10, venues=3000)
    matrix = TravelMatrix.build(problem, TRAVEL)
    started = time.monotonic()
    unserved = explain_unserved(problem, matrix, [])
    assert len(unserved) == len(problem.venues)
    assert time.monotonic() - started < 10.0
    assert matrix.cells_computed < len(problem.venues) ** 2


def _children(pid: int) -> list[int]:
    """Ids of the live (not zombie) processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    with contextlib.suppress(OSError, IndexError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc")
def test_a_killed_planner_leaves_no_region_child_behind() -> None:
    """When the planning process is killed outright, its regions' child ends with it
    instead of searching on until its deadline."""
    model = _window(venues=400)
    planner = multiprocessing.get_context("fork").Process(
        target=route_portfolio, args=(model, 30.0, 2)
    )
    planner.start()
    assert planner.pid is not None
    deadline = time.monotonic() + 10.0
    while not (children := _children(planner.pid)):
        assert time.monotonic() < deadline, "no region child was started"
        time.sleep(0.05)
    os.kill(planner.pid, signal.SIGKILL)
    planner.join()
    deadline = time.monotonic() + 5.0
    while any(_running(pid) for pid in children):
        assert time.monotonic() < deadline, "the region child outlived its planner"
        time.sleep(0.05)
