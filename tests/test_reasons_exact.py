"""Tests for the exact one-stop search (``solver.single_stop``), the repair pass
(``solver.repair``), the reasons that rest on them, and darkness ending at dawn.

The problems are small and built by hand; every route the search returns is judged by
``checks.verify``.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from scenarios import load, tiny_scenario

from scheduler.checks import verify
from scheduler.domain import (
    DayWindow,
    Film,
    Location,
    Plan,
    Problem,
    Route,
    Rules,
    Screening,
    ScreenType,
    Stop,
    Truck,
    UnservedReason,
    Venue,
)
from scheduler.solver import SolveParams, solve
from scheduler.solver.matrix import TravelMatrix
from scheduler.solver.reasons import explain_unserved
from scheduler.solver.repair import fill_idle_truck_days
from scheduler.solver.single_stop import OneStopSearch
from scheduler.solver.windows import TruckClass, start_rules
from scheduler.sun import civil_dusk, next_civil_dawn
from scheduler.travel import OfflineTravelTimes

TRAVEL = OfflineTravelTimes()
TZ = ZoneInfo("Europe/Moscow")
DAY = date(2026, 6, 20)
REGRESSIONS = Path(__file__).parent / "data" / "regressions"
PARK = Location(55.75, 37.60)


def _problem(truck: Truck, venue: Venue, rules: Rules | None = None) -> Problem:
    film = Film("f", "Film", 90, 0, certificate="C-1")
    return Problem("exact", (DAY,), (venue,), (truck,), (film,), rules or Rules())


def _venue(**changes: object) -> Venue:
    base = Venue("v", "Park", PARK, "ЦАО", 200, residential=False)
    return replace(base, **changes)  # type: ignore[arg-type]


def _truck(**changes: object) -> Truck:
    base = Truck("t", "Truck", Location(55.60, 37.40), ScreenType.LED)
    return replace(base, **changes)  # type: ignore[arg-type]


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=TZ)


# --- darkness ends at dawn (validator pair) ----------------------------------------------


def _night_plan(start: datetime) -> tuple[Problem, Plan]:
    """A projector parked at the venue (no drive), a 90-min screening at ``start``."""
    truck = _truck(
        screen=ScreenType.PROJECTOR,
        depot=PARK,
        shift=DayWindow(0, 36 * 60),
        max_shift_min=1440,
        setup_min=0,
        teardown_min=0,
    )
    problem = _problem(truck, _venue(hours=(DayWindow(10 * 60, 34 * 60),)))
    end = start + timedelta(minutes=90)
    stop = Stop("v", start, end, (Screening("f", start, end),))
    return problem, Plan((Route("t", DAY, start, end, (stop,)),), (), 0.0)


def test_projector_screening_inside_the_night_passes() -> None:
    """Unpenalized: a projector screening from civil dusk that ends before dawn is valid."""
    dusk = civil_dusk(DAY, PARK, "Europe/Moscow")
    assert dusk is not None
    problem, plan = _night_plan(dusk + timedelta(minutes=5))
    assert verify(problem, plan, TRAVEL) == []


def test_projector_screening_past_dawn_is_a_darkness_violation() -> None:
    """Penalized: a screening that starts after dusk but ends after the next dawn (a June
    night in Moscow is short) breaks ``darkness``."""
    dawn = next_civil_dawn(DAY, PARK, "Europe/Moscow")
    assert dawn is not None
    problem, plan = _night_plan(dawn - timedelta(minutes=30))
    found = verify(problem, plan, TRAVEL)
    assert [v.rule for v in found] == ["darkness"]
    assert "civil dawn" in found[0].message


def test_solver_darkness_window_ends_at_dawn() -> None:
    """The router's darkness window for a projector closes a programme's length before
    dawn."""
    venue = _venue(hours=(DayWindow(10 * 60, 34 * 60),))
    cls = TruckClass(ScreenType.PROJECTOR, True, 0, 0)
    window = dict(start_rules(venue, cls, DAY, 90, Rules()).applied())["darkness"]
    dawn = next_civil_dawn(DAY, PARK, "Europe/Moscow")
    assert dawn is not None
    last_start = (dawn - _midnight(DAY)) / timedelta(minutes=1) - 90
    assert len(window) == 1 and abs(window[0][1] - last_start) <= 1


# --- the exact search --------------------------------------------------------------------


def test_search_finds_a_route_that_verify_accepts() -> None:
    """On a plain truck-day the search returns a one-stop route with no violation."""
    problem = _problem(_truck(), _venue())
    found = OneStopSearch(problem, TRAVEL).find(problem.venues[0], problem.trucks[0], DAY)
    assert found is not None
    assert verify(problem, Plan((found.route,), (), 0.0), TRAVEL) == []
    assert found.drive_min > 0


def test_search_places_a_break_between_setup_and_the_show() -> None:
    """Screenings as work, 2 h between breaks, setup 60 + a 90-min film + teardown 30: only
    a break between setup and the show makes the stop fit, and the search finds it."""
    rules = Rules(max_work_before_break_min=120, screening_is_driver_rest=False, break_min=15)
    truck = _truck(depot=Location(55.74, 37.59), setup_min=60, teardown_min=30)
    problem = _problem(truck, _venue(), rules)
    found = OneStopSearch(problem, TRAVEL).find(problem.venues[0], truck, DAY)
    assert found is not None
    stop = found.route.stops[0]
    setup_end = stop.arrival + timedelta(minutes=60)
    assert stop.screenings[0].start - setup_end >= timedelta(minutes=15)
    assert verify(problem, Plan((found.route,), (), 0.0), TRAVEL) == []


def test_search_refuses_a_teardown_longer_than_the_work_limit() -> None:
    """A teardown alone longer than the work limit can never be planned: no route, and the
    reason is ``driver_breaks`` naming the teardown."""
    rules = Rules(max_work_before_break_min=60, break_min=1)
    problem = _problem(_truck(teardown_min=90), _venue(), rules)
    assert OneStopSearch(problem, TRAVEL).find(problem.venues[0], problem.trucks[0], DAY) is None
    plan = solve(problem, TRAVEL, SolveParams(time_limit_s=1.0))
    assert plan.routes == () or all(not r.stops for r in plan.routes)
    (entry,) = plan.unserved
    assert entry.reason is UnservedReason.DRIVER_BREAKS
    assert "teardown alone (90 min)" in entry.message


def test_regression_outside_shift_slowest_hour_is_servable() -> None:
    """The scenario whose venue was called ``outside_shift`` (drives at the slowest hour)
    has a one-stop route at real drive times, and the solve serves it or says why not
    with a servable reason."""
    data = json.loads((REGRESSIONS / "outside_shift_slowest_hour.json").read_text())
    problem = load(data)
    search = OneStopSearch(problem, TRAVEL)
    venue = problem.venue("v2")
    assert any(search.find(venue, t, d) for t in problem.trucks for d in problem.days)
    plan = solve(problem, TRAVEL, SolveParams(time_limit_s=1.0))
    reasons = {u.venue_id: u.reason for u in plan.unserved}
    assert reasons.get("v2") in (None, UnservedReason.TRUCKS_BUSY, UnservedReason.NOT_WORTH_TRAVEL)


# --- the reasons and the repair pass -----------------------------------------------------


def test_reason_not_worth_travel_when_value_is_below_the_drive_cost() -> None:
    """A one-seat venue far from the depot at a high travel cost is ``not_worth_travel``,
    with the value and the cost in the message."""
    rules = Rules(travel_cost_per_hour=10_000.0)
    problem = _problem(_truck(), _venue(audience_seats=1), rules)
    plan = solve(problem, TRAVEL, SolveParams(time_limit_s=1.0))
    (entry,) = plan.unserved
    assert entry.reason is UnservedReason.NOT_WORTH_TRAVEL
    assert "does not cover the travel cost" in entry.message


def test_repair_fills_idle_truck_days_with_valid_routes() -> None:
    """Given no routes at all, the repair pass serves the tiny scenario's venues on the idle
    truck-days, and the result passes ``verify``."""
    problem = load(tiny_scenario())
    search = OneStopSearch(problem, TRAVEL)
    deadline = float("inf")
    routes = fill_idle_truck_days(problem, [], search, deadline)
    assert {r.stops[0].venue_id for r in routes} == {"a", "b"}
    matrix = TravelMatrix.build(problem, TRAVEL)
    unserved = explain_unserved(problem, matrix, routes, search=search)
    assert unserved == ()
    assert verify(problem, Plan(tuple(routes), unserved, 0.0), TRAVEL) == []


def test_repair_respects_film_caps() -> None:
    """With one film capped at one screening, two venues and two idle truck-days, the
    repair pass adds one route only."""
    data = tiny_scenario()
    data["films"] = [dict(data["films"][0], max_screenings=1)]
    problem = load(data)
    routes = fill_idle_truck_days(problem, [], OneStopSearch(problem, TRAVEL), float("inf"))
    assert len(routes) == 1
