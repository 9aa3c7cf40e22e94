"""Tests for re-planning around pins (locked routes and stops), progress reports and stopping
a solve early.

Time-limited search is not reproducible across machines, so the tests assert invariants
(pins kept exactly, ``verify == []``, season rules, reasons), not exact routes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from itertools import pairwise

import pytest

from scheduler.checks import verify
from scheduler.demo import demo_problem
from scheduler.domain import PinnedStop, Pins, Plan, Problem, Route, UnservedReason
from scheduler.errors import InvalidProblem
from scheduler.planning import SolveProgress, plan_problem
from scheduler.scoring import plan_stats
from scheduler.solver import SolveParams, solve
from scheduler.travel import OfflineTravelTimes

TRAVEL = OfflineTravelTimes()
PARAMS = SolveParams(time_limit_s=3)


@pytest.fixture(scope="module")
def problem() -> Problem:
    """The Moscow demo for three days, planned one day per window (three windows)."""
    demo = demo_problem(days=3)
    return replace(demo, rules=replace(demo.rules, window_days=1))


@pytest.fixture(scope="module")
def solved(problem: Problem) -> tuple[Plan, list[SolveProgress]]:
    """A plan of the problem, and the progress reported while planning it."""
    reports: list[SolveProgress] = []
    plan = solve(problem, TRAVEL, PARAMS, reports.append)
    assert verify(problem, plan, TRAVEL) == []
    return plan, reports


@pytest.fixture(scope="module")
def base(solved: tuple[Plan, list[SolveProgress]]) -> Plan:
    """The plan the pins are taken from."""
    return solved[0]


def route_of(plan: Plan, truck_id: str, day: date) -> Route | None:
    """The plan's route of a truck-day, if any."""
    return next((r for r in plan.routes if (r.truck_id, r.day) == (truck_id, day)), None)


def visit_days(plan: Plan, venue_id: str) -> list[date]:
    """The days a venue is visited, in order."""
    return sorted(route.day for route, stop in plan.stops if stop.venue_id == venue_id)


def test_progress_reports_every_window(
    problem: Problem, solved: tuple[Plan, list[SolveProgress]]
) -> None:
    """Progress counts the windows up to the total; the last value is the plan's value."""
    plan, reports = solved
    assert [r.windows_done for r in reports] == [1, 2, 3]
    assert {r.windows_total for r in reports} == {3}
    assert reports[-1].value_so_far == pytest.approx(plan.objective)


def test_pinned_route_and_stop_are_kept_exactly(problem: Problem, base: Plan) -> None:
    """A pinned route and a pinned stop come back identical; the plan around them is valid
    and keeps every venue's visit limit and gap."""
    whole = base.routes[0]
    other = next(r for r in base.routes if r.truck_id != whole.truck_id and r.day != whole.day)
    pin = PinnedStop(other.truck_id, other.day, other.stops[-1])
    plan = solve(problem, TRAVEL, PARAMS, pins=Pins(routes=(whole,), stops=(pin,)))
    assert whole in plan.routes
    around = route_of(plan, pin.truck_id, pin.day)
    assert around is not None and pin.stop in around.stops
    assert verify(problem, plan, TRAVEL) == []
    rules = problem.rules
    for venue_id in {s.venue_id for s in whole.stops} | {pin.stop.venue_id}:
        days = visit_days(plan, venue_id)
        assert len(days) <= rules.max_visits
        assert all((b - a).days >= rules.min_gap_days for a, b in pairwise(days))


def test_a_later_pin_binds_earlier_windows(problem: Problem, base: Plan) -> None:
    """A stop pinned on the last day counts from the first window on: its venue gets no
    visit within the minimum gap, and its capped film is not shown again."""
    last = max(r.day for r in base.routes)
    route = next(r for r in base.routes if r.day == last)
    stop = route.stops[0]
    film_id = stop.screenings[0].film_id
    capped = tuple(replace(f, max_screenings=1) if f.id == film_id else f for f in problem.films)
    strict = replace(problem, films=capped)
    plan = solve(strict, TRAVEL, PARAMS, pins=Pins(stops=(PinnedStop(route.truck_id, last, stop),)))
    assert verify(strict, plan, TRAVEL) == []
    assert visit_days(plan, stop.venue_id) == [last]
    shown = Counter(s.film_id for _, st in plan.stops for s in st.screenings)
    assert shown[film_id] == 1


def _stop_pin(plan: Plan, index: int = 0) -> PinnedStop:
    route = plan.routes[index]
    return PinnedStop(route.truck_id, route.day, route.stops[0])


BadPins = Callable[[Plan], Pins]
BAD_PINS: list[tuple[str, BadPins, str]] = [
    (
        "unknown truck",
        lambda p: Pins(stops=(replace(_stop_pin(p), truck_id="ghost"),)),
        "pins.stops[0].truck_id",
    ),
    (
        "unknown venue",
        lambda p: Pins(
            stops=(replace(_stop_pin(p), stop=replace(_stop_pin(p).stop, venue_id="nowhere")),)
        ),
        "pins.stops[0].venue_id",
    ),
    (
        "unknown film",
        lambda p: Pins(
            stops=(
                replace(
                    _stop_pin(p),
                    stop=replace(
                        _stop_pin(p).stop,
                        screenings=(replace(_stop_pin(p).stop.screenings[0], film_id="no-film"),),
                    ),
                ),
            )
        ),
        "pins.stops[0].screenings[0].film_id",
    ),
    (
        "day outside the season",
        lambda p: Pins(routes=(replace(p.routes[0], day=date(2026, 8, 1)),)),
        "pins.routes[0].day",
    ),
    (
        "one venue twice on a day",
        lambda p: Pins(
            stops=(
                _stop_pin(p),
                replace(
                    _stop_pin(p),
                    truck_id=next(
                        r.truck_id for r in p.routes if r.truck_id != p.routes[0].truck_id
                    ),
                ),
            )
        ),
        "pins.stops[1].venue_id",
    ),
    (
        "overlapping stops",
        lambda p: Pins(
            stops=(
                _stop_pin(p),
                replace(
                    _stop_pin(p),
                    stop=replace(_stop_pin(p).stop, venue_id=p.routes[1].stops[0].venue_id),
                ),
            )
        ),
        "pins.stops[1]",
    ),
]


@pytest.mark.parametrize(("make", "field"), [c[1:] for c in BAD_PINS], ids=[c[0] for c in BAD_PINS])
def test_a_bad_pin_names_the_field(problem: Problem, base: Plan, make: BadPins, field: str) -> None:
    """A pin that does not fit the problem is refused before planning, naming the field."""
    with pytest.raises(InvalidProblem) as caught:
        solve(problem, TRAVEL, PARAMS, pins=make(base))
    assert field in [name for name, _ in caught.value.problems]


def test_stopping_after_the_first_window(problem: Problem, base: Plan) -> None:
    """Stopped after one window, the plan is valid, keeps a pin of a later window, and
    venues the later windows could have served are 'not planned'."""
    last = max(r.day for r in base.routes)
    pinned = next(r for r in base.routes if r.day == last)
    asked: list[bool] = []
    reports: list[SolveProgress] = []

    def should_stop() -> bool:
        asked.append(True)
        return len(asked) > 1

    outcome = plan_problem(
        problem, 3.0, TRAVEL, reports.append, pins=Pins(routes=(pinned,)), should_stop=should_stop
    )
    plan = outcome.plan
    assert outcome.violations == []
    first = problem.days[0]
    assert {r.day for r in plan.routes} <= {first, last}
    assert pinned in plan.routes
    not_planned = [u for u in plan.unserved if u.reason is UnservedReason.NOT_PLANNED]
    assert not_planned
    assert all("planning was stopped before 2026-07-02" in u.message for u in not_planned)
    assert [(r.windows_done, r.windows_total) for r in reports] == [(1, 3)]
    day_one = Plan(tuple(r for r in plan.routes if r.day == first), (), 0.0)
    assert reports[0].value_so_far == pytest.approx(plan_stats(problem, day_one, TRAVEL).value)
