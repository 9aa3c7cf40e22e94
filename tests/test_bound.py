"""The proven upper bound on a season's value (``solver.bound.season_bound``): never below a
valid plan's value, exact on tiny problems whose optimum is known, falling when rules
tighten, reported in ``plan.stats`` and the plan file, and cheap next to the time limit."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest

from scheduler import schemas
from scheduler.checks import verify
from scheduler.demo import demo_problem, generate_problem
from scheduler.domain import DayWindow, Film, Location, Problem, Rules, ScreenType, Truck, Venue
from scheduler.solver import SolveParams, solve
from scheduler.solver import bound as bound_module
from scheduler.solver.bound import season_bound, start_season_bound
from scheduler.travel import OfflineTravelTimes

TRAVEL = OfflineTravelTimes()
DEPOT = Location(55.75, 37.60)


def _tiny(
    *,
    venue_at: Location = DEPOT,
    films: int = 1,
    per_stop: int = 1,
    max_visits: int = 1,
    days: int = 1,
) -> Problem:
    """One LED truck, one venue open 10:00-23:00, ``films`` 90-min films."""
    venue = Venue(
        "v", "Venue", venue_at, "ЦАО", audience_seats=200, priority=1.5, residential=False
    )
    truck = Truck("t", "Truck", DEPOT, ScreenType.LED, has_ttk_pass=True)
    catalogue = tuple(Film(f"f{i}", f"Film {i}", 90, 0, certificate="1") for i in range(films))
    rules = Rules(max_visits=max_visits, max_screenings_per_stop=per_stop, min_gap_days=1)
    season = tuple(date(2026, 7, 1 + i) for i in range(days))
    return Problem("tiny", season, (venue,), (truck,), catalogue, rules)


def _bound(problem: Problem) -> float:
    found = season_bound(problem, TRAVEL, 30.0)
    assert found.value is not None, found.status
    return found.value


def test_tiny_problem_bound_equals_the_single_visit_value() -> None:
    """A venue at the depot, one film, one visit allowed: the optimum is seats x priority
    with no driving, and the bound is exactly that."""
    problem = _tiny()
    plan = solve(problem, TRAVEL, SolveParams(time_limit_s=2))
    assert verify(problem, plan, TRAVEL) == []
    assert plan.stats.value == pytest.approx(300.0)
    assert _bound(problem) == pytest.approx(300.0, abs=0.01)


def test_tiny_problem_bound_counts_second_screenings_and_repeat_visits() -> None:
    """Two films and two screenings a stop: 300 x 1.5; with two visits on two days the
    second is worth repeat_visit_factor (0.6) of the first: films run out after one stop
    of two, so the best is 450 + 300 x 0.6 (one film left), and the bound finds it."""
    assert _bound(_tiny(films=2, per_stop=2)) == pytest.approx(450.0, abs=0.01)
    two_visits = _tiny(films=3, per_stop=2, max_visits=2, days=2)
    assert _bound(two_visits) == pytest.approx(450.0 + 300.0 * 0.6, abs=0.01)


def test_tiny_problem_bound_pays_at_least_the_fastest_round_trip() -> None:
    """A venue 10 km away: the bound is below the visit's value by at least the fastest
    round trip's cost, above the solved plan, and within the rush-hour factor of it."""
    far = Location(DEPOT.lat + 0.09, DEPOT.lon)
    problem = _tiny(venue_at=far)
    bound = _bound(problem)
    plan = solve(problem, TRAVEL, SolveParams(time_limit_s=2))
    assert verify(problem, plan, TRAVEL) == []
    fastest_h = 2 * TRAVEL.distance_km(DEPOT, far) / (TRAVEL.free_flow_kmh * 0.9)
    assert bound <= 300.0 - fastest_h * problem.rules.travel_cost_per_hour + 0.05
    assert plan.stats.value <= bound
    assert bound - plan.stats.value < 20.0


@pytest.mark.parametrize("seed", [3, 5, 8])
def test_bound_is_above_generated_season_plans(seed: int) -> None:
    """Three small generated seasons: every solved, valid plan is at or below its bound."""
    problem = generate_problem(seed, days=6, trucks=3, venues=40)
    plan = solve(problem, TRAVEL, SolveParams(time_limit_s=3))
    assert verify(problem, plan, TRAVEL) == []
    assert plan.stats.value > 0
    assert plan.stats.value <= _bound(problem)


def test_bound_is_above_the_demo_plan_and_in_the_plan_file() -> None:
    """The demo season (3 days) at a short limit: the bound and the gap are in the plan's
    stats and its file, and the plan's value is at or below the bound."""
    problem = demo_problem(days=3)
    plan = solve(problem, TRAVEL, SolveParams(time_limit_s=10))
    assert verify(problem, plan, TRAVEL) == []
    assert plan.stats.bound is not None and plan.stats.gap_pct is not None
    assert plan.stats.value <= plan.stats.bound
    assert plan.stats.gap_pct == pytest.approx(
        (plan.stats.bound - plan.stats.value) / plan.stats.bound * 100, abs=0.01
    )
    stats = json.loads(schemas.dump_json(schemas.plan_to_file(plan, problem.name)))["stats"]
    assert stats["bound"] == plan.stats.bound
    assert stats["gap_pct"] == plan.stats.gap_pct


def test_bound_falls_when_rules_tighten() -> None:
    """Fewer visits per venue and shorter shifts each lower the bound."""
    problem = demo_problem(days=7)
    base = _bound(problem)
    fewer = _bound(replace(problem, rules=replace(problem.rules, max_visits=1)))
    short = tuple(
        replace(t, shift=DayWindow(t.shift.start_min, t.shift.start_min + 360), max_shift_min=360)
        for t in problem.trucks
    )
    shorter = _bound(replace(problem, trucks=short))
    assert fewer < base
    assert shorter < base


def test_bound_is_cheap_and_says_none_when_out_of_time() -> None:
    """The demo season's bound takes a few seconds at most (a small share of a 30-s
    limit's 3-s budget on a quiet machine); with no time it reports no bound, not a guess."""
    found = season_bound(demo_problem(), TRAVEL, 30.0)
    assert found.value is not None and found.solve_s < 10.0
    assert found.value >= (found.lp_value or 0.0)
    starved = season_bound(demo_problem(), TRAVEL, 1e-4)
    assert starved.value is None


def test_bound_counts_venues_sharing_a_place_once_per_route() -> None:
    """Two venues at the same coordinates 10 km out: one route serves both with a single
    round trip (a zero-minute leg between them), and the bound stays above that plan."""
    far = Location(DEPOT.lat + 0.09, DEPOT.lon)
    base = _tiny(venue_at=far, films=2)
    twin = replace(base.venues[0], id="w", name="Twin")
    problem = replace(base, venues=(base.venues[0], twin))
    plan = solve(problem, TRAVEL, SolveParams(time_limit_s=3))
    assert verify(problem, plan, TRAVEL) == []
    assert sum(len(r.stops) for r in plan.routes) == 2
    assert plan.stats.value <= _bound(problem)


def test_bound_tiles_give_the_same_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """Travel facts computed in tiles of 7 places (many tile pairs) give the bound that
    one tile gives: the tiling only bounds memory."""
    problem = generate_problem(4, days=4, trucks=3, venues=30)
    whole = _bound(problem)
    monkeypatch.setattr(bound_module, "TILE", 7)
    assert _bound(problem) == pytest.approx(whole, rel=1e-9)


def test_a_failing_bound_process_gives_no_bound_and_a_valid_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bound runs in a forked process beside the routing: when it fails the plan is
    still solved and valid, with ``bound`` and ``gap_pct`` left empty."""

    def broken(*_: object) -> None:
        raise RuntimeError("injected")

    monkeypatch.setattr(bound_module, "season_bound", broken)
    problem = _tiny()
    plan = solve(problem, TRAVEL, SolveParams(time_limit_s=2))
    assert verify(problem, plan, TRAVEL) == []
    assert plan.stats.value == pytest.approx(300.0)
    assert plan.stats.bound is None and plan.stats.gap_pct is None


def test_a_late_bound_is_none() -> None:
    """A bound still being computed when its wait ends is ``None`` with a reason."""
    pending = start_season_bound(demo_problem(), TRAVEL, 30.0)
    found = pending.result(0.0)
    assert found.value is None and "time limit" in found.status
