"""Tests for ``scheduler.schemas``: the scenario and plan JSON formats round-trip the domain
unchanged, clock and rating fields parse and refuse what they should, plan times must carry
a UTC offset, and both formats have a JSON Schema.
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from scheduler.demo import demo_problem
from scheduler.domain import (
    DayWindow,
    Film,
    Location,
    Plan,
    Problem,
    ScreenType,
    Truck,
    UnservedReason,
    Venue,
)
from scheduler.errors import InvalidProblem
from scheduler.planning import plan_problem
from scheduler.schemas import (
    Clock,
    PlanFile,
    Rating,
    ScenarioFile,
    dump_json,
    load_plan,
    load_scenario,
    parse_scenario,
    plan_from_file,
    plan_to_file,
    problem_from_scenario,
    scenario_from_problem,
)

CLOCK: TypeAdapter[int] = TypeAdapter(Clock)
RATING: TypeAdapter[int] = TypeAdapter(Rating)
DAY = date(2026, 7, 8)


def tiny_problem() -> Problem:
    """Two open parks near the centre, one venue closed all season, one LED truck, one day."""
    parks = tuple(
        Venue(
            id=venue_id,
            name=venue_id.title(),
            location=Location(lat, lon),
            okrug="ЦАО",
            audience_seats=200,
            hours=(DayWindow(10 * 60, 24 * 60 + 30),),
            residential=False,
        )
        for venue_id, lat, lon in (("park-a", 55.74, 37.60), ("park-b", 55.76, 37.64))
    )
    closed = Venue(
        id="closed",
        name="Closed",
        location=Location(55.75, 37.62),
        okrug="ЦАО",
        audience_seats=100,
        allowed_dates=frozenset({date(2026, 8, 1)}),
    )
    truck = Truck("led-1", "LED 1", Location(55.70, 37.62), ScreenType.LED)
    films = (
        Film("cartoon", "Cartoon", 80, 0, certificate="c1"),
        Film("comedy", "Comedy", 100, 12, certificate="c2"),
    )
    return Problem("tiny", (DAY,), (*parks, closed), (truck,), films)


@pytest.fixture(scope="module")
def tiny_plan() -> Plan:
    """A solved plan of ``tiny_problem`` (half a second of search)."""
    outcome = plan_problem(tiny_problem(), time_limit_s=0.5)
    assert outcome.violations == []
    return outcome.plan


def scenario_data(problem: Problem) -> dict[str, Any]:
    """The scenario file of ``problem`` as parsed JSON data."""
    data: dict[str, Any] = json.loads(dump_json(scenario_from_problem(problem)))
    return data


# --- round trips ----------------------------------------------------------------------


def test_demo_scenario_round_trips_through_json() -> None:
    """Demo problem -> scenario file -> JSON text -> scenario file -> problem is unchanged."""
    problem = demo_problem()
    text = dump_json(scenario_from_problem(problem))
    assert problem_from_scenario(ScenarioFile.model_validate_json(text)) == problem
    assert problem_from_scenario(parse_scenario(json.loads(text))) == problem


def test_demo_scenario_round_trips_through_a_file(tmp_path: Path) -> None:
    """A scenario written to disk loads back as the same problem."""
    problem = demo_problem(days=5)
    path = tmp_path / "scenario.json"
    path.write_text(dump_json(scenario_from_problem(problem)), encoding="utf-8")
    assert load_scenario(path) == problem


def test_excluded_season_days_round_trip() -> None:
    """A season with a gap keeps the gap: excluded dates are written and read back."""
    problem = tiny_problem()
    gapped = Problem(
        problem.name,
        (date(2026, 7, 6), date(2026, 7, 8)),
        problem.venues,
        problem.trucks,
        problem.films,
    )
    scenario = scenario_from_problem(gapped)
    assert scenario.season.excluded_dates == [date(2026, 7, 7)]
    assert problem_from_scenario(scenario) == gapped


def test_plan_round_trips(tiny_plan: Plan) -> None:
    """A solved plan survives ``plan_to_file`` / ``plan_from_file`` unchanged."""
    assert tiny_plan.routes, "the tiny problem is served"
    assert [u.reason for u in tiny_plan.unserved] == [UnservedReason.NO_ALLOWED_DATE]
    assert plan_from_file(plan_to_file(tiny_plan, "tiny")) == tiny_plan


def test_plan_round_trips_through_json(tiny_plan: Plan, tmp_path: Path) -> None:
    """A solved plan survives JSON text and a file unchanged, times with their offsets."""
    text = dump_json(plan_to_file(tiny_plan, "tiny"))
    assert plan_from_file(PlanFile.model_validate_json(text)) == tiny_plan
    path = tmp_path / "plan.json"
    path.write_text(text, encoding="utf-8")
    assert load_plan(path) == tiny_plan
    first_stop = json.loads(text)["routes"][0]["stops"][0]
    assert first_stop["arrival"].endswith("+03:00")


# --- clock and rating fields ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("25:30", 1530), ("7:05", 425), ("00:00", 0), ("36:00", 2160), (" 18:00 ", 1080), (90, 90)],
)
def test_clock_parsing(text: str | int, minutes: int) -> None:
    """Clock times are minutes from local midnight; past 24:00 means after midnight."""
    assert CLOCK.validate_python(text) == minutes


@pytest.mark.parametrize("text", ["24:61", "36:01", "7", "7:5", "ab:cd", "-1:00", True, 1.5])
def test_clock_rejects(text: object) -> None:
    """Minutes of 60 or more, times past 36:00 and non-clock values are refused."""
    with pytest.raises(ValidationError):
        CLOCK.validate_python(text)


def test_clock_serialises_as_hh_mm() -> None:
    """A clock value is written back as zero-padded ``HH:MM``."""
    assert CLOCK.dump_python(1530, mode="json") == "25:30"
    assert CLOCK.dump_python(425, mode="json") == "07:05"


@pytest.mark.parametrize(("value", "rating"), [("16+", 16), (16, 16), ("0+", 0), ("18", 18)])
def test_rating_parsing(value: str | int, rating: int) -> None:
    """Ratings are Russian age ratings, with or without the plus."""
    assert RATING.validate_python(value) == rating
    assert RATING.dump_python(rating, mode="json") == f"{rating}+"


@pytest.mark.parametrize("value", ["21+", "15+", 21, "PG-13", ""])
def test_rating_rejects(value: str | int) -> None:
    """Anything but 0+, 6+, 12+, 16+ and 18+ is refused."""
    with pytest.raises(ValidationError, match="age rating"):
        RATING.validate_python(value)


# --- validation errors name the field ---------------------------------------------------


def test_naive_plan_times_are_refused(tiny_plan: Plan, tmp_path: Path) -> None:
    """A plan file with a time lacking a UTC offset is ``InvalidProblem`` naming the field."""
    data = json.loads(dump_json(plan_to_file(tiny_plan)))
    data["routes"][0]["stops"][0]["screenings"][0]["start"] = "2026-07-08T18:00:00"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InvalidProblem) as caught:
        load_plan(path)
    fields = [field for field, _ in caught.value.problems]
    assert fields == ["routes[0].stops[0].screenings[0].start"]


def test_scenario_errors_name_every_field() -> None:
    """Every bad field of a scenario is reported at once, each by its path."""
    data = scenario_data(tiny_problem())
    data["venues"][1]["lat"] = 95
    data["films"][0]["runtime_min"] = -5
    with pytest.raises(InvalidProblem) as caught:
        parse_scenario(data)
    fields = {field for field, _ in caught.value.problems}
    assert fields == {"venues[1].lat", "films[0].runtime_min"}


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../../etc/passwd", "Europe", ""])
def test_unknown_timezone_is_refused(zone: str) -> None:
    """The rules' timezone must be an IANA zone, or planning would crash later."""
    data = scenario_data(tiny_problem())
    data["rules"]["timezone"] = zone
    with pytest.raises(InvalidProblem) as caught:
        parse_scenario(data)
    assert [field for field, _ in caught.value.problems] == ["rules.timezone"]


@pytest.mark.parametrize("number", [math.inf, -math.inf, math.nan])
def test_non_finite_numbers_are_refused(number: float) -> None:
    """``Infinity`` or ``NaN`` (which Python's JSON reader accepts) are refused."""
    data = scenario_data(tiny_problem())
    data["rules"]["travel_cost_per_hour"] = number
    with pytest.raises(InvalidProblem) as caught:
        parse_scenario(data)
    assert [field for field, _ in caught.value.problems] == ["rules.travel_cost_per_hour"]


# --- JSON Schema ------------------------------------------------------------------------


def test_json_schema_of_both_formats() -> None:
    """Both file formats have a JSON Schema naming their top-level fields."""
    scenario = ScenarioFile.model_json_schema()
    plan = PlanFile.model_json_schema()
    assert {"season", "rules", "trucks", "venues", "films"} <= set(scenario["properties"])
    assert {"objective", "routes", "unserved"} <= set(plan["properties"])
    assert set(scenario["required"]) == {"season", "trucks", "venues", "films"}
    assert json.loads(json.dumps(scenario)) == scenario
    assert json.loads(json.dumps(plan)) == plan
