"""Tests for planning with slack (``scheduler.solver.buffers`` inside ``solve``).

A buffered plan verifies against the original problem and travel times (the validator knows
nothing of buffers), and the slack is really there: drives planned longer, trucks ready
early, screenings done before the evening limits. Zero buffers change nothing; bad values
are refused naming the field.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from scheduler.checks import verify
from scheduler.domain import (
    DayWindow,
    Film,
    Location,
    PinnedStop,
    Pins,
    Plan,
    Problem,
    Rules,
    Screening,
    ScreenType,
    Stop,
    Truck,
    UnservedReason,
    Venue,
)
from scheduler.errors import InvalidProblem
from scheduler.schemas import RulesModel, parse_scenario, scenario_from_problem
from scheduler.solver import SolveParams, solve
from scheduler.solver.buffers import (
    BufferedTravelTimes,
    buffered_problem,
    buffered_travel,
    has_buffers,
)
from scheduler.travel import OfflineTravelTimes

from conftest import Seeded

TRAVEL = OfflineTravelTimes()
DAYS = (date(2026, 7, 6), date(2026, 7, 7))
DEPOT = Location(55.70, 37.62)
TZ = ZoneInfo("Europe/Moscow")
BUFFERS = {"drive_buffer_pct": 25.0, "arrival_margin_min": 15, "end_margin_min": 20}
NO_BUFFERS = {"drive_buffer_pct": 0.0, "arrival_margin_min": 0, "end_margin_min": 0}
FILMS = (
    Film("cartoon", "Cartoon", 80, 0, certificate="c1"),
    Film("family", "Family film", 95, 6, certificate="c2"),
    Film("comedy", "Comedy", 100, 12, certificate="c3"),
    Film("drama", "Drama", 110, 12, certificate="c4"),
)


def park(venue_id: str, lat: float, lon: float, **changes: Any) -> Venue:
    """A residential park open 10:00-23:00 (the silence law ends screenings by 23:00)."""
    venue = Venue(venue_id, venue_id.title(), Location(lat, lon), "okrug-" + venue_id, 200)
    return replace(venue, **changes)


def small(**rules: Any) -> Problem:
    """Four parks, two LED trucks, two July days; no buffers unless ``rules`` sets them."""
    venues = (
        park("p1", 55.74, 37.60),
        park("p2", 55.79, 37.67),
        park("p3", 55.75, 37.49, residential=False, hours=(DayWindow(12 * 60, 22 * 60),)),
        park("p4", 55.69, 37.77),
    )
    trucks = tuple(
        Truck(t, t.upper(), DEPOT, ScreenType.LED, shift=DayWindow(12 * 60, 24 * 60))
        for t in ("a", "b")
    )
    return Problem("small", DAYS, venues, trucks, FILMS, Rules(**{**NO_BUFFERS, **rules}))


def planned(problem: Problem, pins: Pins | None = None) -> Plan:
    """Solve in two seconds; the plan must verify against ``problem`` as given."""
    plan = solve(problem, TRAVEL, SolveParams(time_limit_s=2.0, workers=1), pins=pins)
    assert verify(problem, plan, TRAVEL) == []
    return plan


@pytest.fixture(scope="module")
def buffered_plan() -> tuple[Problem, Plan]:
    """The small problem planned with every buffer set."""
    problem = small(**BUFFERS)
    return problem, planned(problem)


def test_buffered_plan_verifies_against_the_original(buffered_plan: tuple[Problem, Plan]) -> None:
    """A plan made with buffers passes the validator on the problem and travel as given
    (and on the same rules without any buffer), and serves something."""
    problem, plan = buffered_plan
    assert plan.stats.screenings >= 4
    plain = replace(problem, rules=Rules(**NO_BUFFERS))
    assert verify(plain, plan, TRAVEL) == []


def test_every_drive_is_planned_longer(buffered_plan: tuple[Problem, Plan]) -> None:
    """Each leg (depot, stops, depot) leaves at least the drive plus the buffer between
    departure and arrival."""
    problem, plan = buffered_plan
    factor = 1 + BUFFERS["drive_buffer_pct"] / 100
    legs = 0
    for route in plan.routes:
        depot = problem.truck(route.truck_id).depot
        places = [(depot, route.depot_departure, None)]
        places += [
            (problem.venue(s.venue_id).location, s.departure, s.arrival) for s in route.stops
        ]
        places += [(depot, None, route.depot_return)]
        for (origin, leave, _), (destination, _, arrive) in pairwise(places):
            assert leave is not None and arrive is not None
            drive = TRAVEL.duration_min(origin, destination, leave) * factor
            assert (arrive - leave) / timedelta(minutes=1) >= drive - 1.0
            legs += 1
    assert legs >= 6


def test_trucks_are_ready_early_and_done_before_the_limits(
    buffered_plan: tuple[Problem, Plan],
) -> None:
    """The first screening starts at least the arrival margin after setup ends; every
    screening ends the end margin before the silence start (residential) and closing."""
    problem, plan = buffered_plan
    ready, end = BUFFERS["arrival_margin_min"], BUFFERS["end_margin_min"]
    for route, stop in plan.stops:
        truck, venue = problem.truck(route.truck_id), problem.venue(stop.venue_id)
        setup_done = stop.arrival + timedelta(minutes=truck.setup_min)
        assert stop.screenings[0].start - setup_done >= timedelta(minutes=ready)
        midnight = datetime(route.day.year, route.day.month, route.day.day, tzinfo=TZ)
        closing = max(w.end_min for w in venue.hours_on(route.day))
        limits = [closing] + ([problem.rules.silence_start_min] if venue.residential else [])
        limit = midnight + timedelta(minutes=min(limits) - end)
        assert stop.screenings[-1].end <= limit


def test_zero_buffers_plan_the_problem_as_before() -> None:
    """Without buffers the engine plans the problem and travel times themselves (the
    transform is the identity), so plans are what they were."""
    problem = small()
    assert buffered_problem(problem) is problem
    assert buffered_travel(TRAVEL, problem.rules) is TRAVEL
    copy = buffered_problem(small(**BUFFERS))
    assert copy.trucks[0].setup_min == problem.trucks[0].setup_min + 15
    assert copy.rules.silence_start_min == problem.rules.silence_start_min - 20
    assert (copy.rules.drive_buffer_pct, copy.rules.end_margin_min) == (0.0, 0)
    slow = buffered_travel(TRAVEL, small(**BUFFERS).rules)
    assert isinstance(slow, BufferedTravelTimes)
    at = datetime(2026, 7, 6, 15, tzinfo=TZ)
    a, b = problem.venues[0].location, problem.venues[1].location
    assert slow.duration_min(a, b, at) == pytest.approx(TRAVEL.duration_min(a, b, at) * 1.25)
    assert slow.worst_matrix_min([a, b], [15])[0, 1] == pytest.approx(
        TRAVEL.worst_matrix_min([a, b], [15])[0, 1] * 1.25
    )


def test_a_venue_that_fits_only_without_buffers_says_so() -> None:
    """A venue whose evening window is too short once the end margin is taken is unserved
    with a reason that is true of the rules as given (it could be served: trucks_busy) and
    names the buffers."""
    tight = park("tight", 55.72, 37.58, hours=(DayWindow(21 * 60, 23 * 60),))
    problem = replace(
        small(**BUFFERS),
        days=DAYS[:1],
        venues=(tight,),
        films=(Film("drama", "Drama", 110, 12, certificate="c4"),),
    )
    plan = planned(problem)
    (entry,) = plan.unserved
    assert entry.reason is UnservedReason.TRUCKS_BUSY
    assert "without the planning buffers" in entry.message
    plain = planned(replace(problem, rules=Rules(**NO_BUFFERS)))
    assert plain.stats.served_venues == 1


def test_pinned_stops_are_kept_as_given() -> None:
    """A pinned stop without any slack stays exactly as pinned in a buffered plan."""
    problem = small(**BUFFERS)
    arrival = datetime(2026, 7, 6, 19, 0, tzinfo=TZ)
    start = arrival + timedelta(minutes=60)
    show = Screening("drama", start, start + timedelta(minutes=110))
    stop = Stop("p1", arrival, show.end + timedelta(minutes=30), (show,))
    plan = planned(problem, Pins(stops=(PinnedStop("a", DAYS[0], stop),)))
    route = next(r for r in plan.routes if (r.truck_id, r.day) == ("a", DAYS[0]))
    assert stop in route.stops


@pytest.mark.parametrize(
    ("field", "value"),
    [("drive_buffer_pct", 150.0), ("arrival_margin_min", -1), ("end_margin_min", 121)],
)
def test_bad_buffers_are_refused_naming_the_field(field: str, value: float) -> None:
    """Out-of-range buffers: the rules model refuses them, a scenario file names the field,
    and the engine refuses a problem built by hand with them."""
    with pytest.raises(ValidationError):
        RulesModel(**{field: value})
    data = scenario_from_problem(small()).model_dump(mode="json")
    data["rules"][field] = value
    with pytest.raises(InvalidProblem) as from_file:
        parse_scenario(data)
    assert f"rules.{field}" in dict(from_file.value.problems)
    with pytest.raises(InvalidProblem) as from_engine:
        solve(small(**{field: value}), TRAVEL, SolveParams(time_limit_s=1.0))
    assert f"rules.{field}" in dict(from_engine.value.problems)


def test_bad_buffers_are_422_on_the_rules_endpoint(
    client: TestClient, seeded: Seeded, planner: dict[str, str]
) -> None:
    """PUT of season rules with a buffer out of range is 422 naming the field; good
    buffers are stored and read back."""
    path = f"/api/seasons/{seeded.season_id}/rules"
    got = client.get(path, headers=planner)
    rules = {**got.json(), "end_margin_min": 500}
    bad = client.put(path, json=rules, headers={**planner, "If-Match": got.headers["ETag"]})
    assert bad.status_code == 422
    assert any(item["loc"][-1] == "end_margin_min" for item in bad.json()["detail"])
    good = {**got.json(), **BUFFERS}
    put = client.put(path, json=good, headers={**planner, "If-Match": got.headers["ETag"]})
    assert put.status_code == 200, put.text
    assert client.get(path, headers=planner).json() == good


def test_rules_and_the_rules_model_share_the_buffer_defaults() -> None:
    """The season rules plan with slack by default, the same in code and in files."""
    model, rules = RulesModel(), Rules()
    for name in NO_BUFFERS:
        assert getattr(model, name) == getattr(rules, name)
    assert has_buffers(rules)
    assert buffered_problem(Problem("x", DAYS, (), (), (), rules)).rules == replace(
        rules, **NO_BUFFERS, silence_start_min=rules.silence_start_min - rules.end_margin_min
    )
