"""Per-day rules (issue 8, item 3): venue hours by weekday or date, a venue's own gap between
visits, truck shifts by weekday or date.

For each rule: the domain accessor, a penalized/unpenalized pair on the validator (one plan,
two problems: the rule broken and kept), the solver keeping the rule where it changes the
plan (``verify(...) == []``), the unserved reason when a day rule makes a venue unservable,
and the file formats (scenario JSON, CSV import, the API's 422 naming the field).

Season days: 2026-07-06 is a Monday, so ``WEEK[5]`` and ``WEEK[6]`` are the weekend.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from scheduler.checks import verify
from scheduler.db.engine import Database
from scheduler.db.migrate import upgrade
from scheduler.db.tables import Truck as TruckRow
from scheduler.db.tables import Venue as VenueRow
from scheduler.domain import (
    DayHours,
    DayShift,
    DayWindow,
    Film,
    Location,
    Plan,
    Problem,
    Route,
    Rules,
    ScreenType,
    Truck,
    UnservedReason,
    Venue,
)
from scheduler.errors import InvalidProblem
from scheduler.importing import scenario_from_tables, tables_from_csv, tables_from_xlsx
from scheduler.schemas import (
    ScenarioFile,
    dump_json,
    parse_scenario,
    problem_from_scenario,
    scenario_from_problem,
)
from scheduler.solver import SolveParams, retime_route, solve
from scheduler.travel import OfflineTravelTimes

TRAVEL = OfflineTravelTimes()
WEEK = tuple(date(2026, 7, 6) + timedelta(days=i) for i in range(7))
FORTNIGHT = tuple(date(2026, 7, 6) + timedelta(days=i) for i in range(14))
DEPOT = Location(55.70, 37.62)
WEEKDAYS = frozenset(range(5))
EVERY_DAY = frozenset(range(7))
LATE = DayWindow(10 * 60, 24 * 60 + 30)

FILMS = tuple(Film(f"film{i}", f"Film {i}", 80 + i, 6, certificate=f"c{i}") for i in range(16))
"""Enough films of about the same length for a venue visited every day of a fortnight."""


def park(venue_id: str, lat: float, lon: float, **changes: Any) -> Venue:
    """A non-residential park open 10:00-00:30 (priority 2: worth a visit)."""
    venue = Venue(
        id=venue_id,
        name=venue_id.title(),
        location=Location(lat, lon),
        okrug="okrug-" + venue_id,
        audience_seats=200,
        priority=2.0,
        hours=(LATE,),
        residential=False,
    )
    return replace(venue, **changes)


def led(truck_id: str = "led", **changes: Any) -> Truck:
    """An LED truck (with a Third Ring pass) working 10:00-02:00."""
    base = Truck(truck_id, truck_id.upper(), DEPOT, ScreenType.LED, shift=DayWindow(600, 1560))
    return replace(base, has_ttk_pass=True, **changes)


def problem(venues: tuple[Venue, ...], days: tuple[date, ...] = WEEK, **changes: Any) -> Problem:
    """A season of these venues, one LED truck and the films."""
    base = Problem("day rules", days, venues, (led(),), FILMS)
    return replace(base, **changes)


def planned(season: Problem, seconds: float = 2.0) -> Plan:
    """Solve and assert the independent validator finds nothing."""
    plan = solve(season, TRAVEL, SolveParams(time_limit_s=seconds))
    assert verify(season, plan, TRAVEL) == []
    return plan


def visit_days(plan: Plan, venue_id: str) -> list[date]:
    return sorted(route.day for route, stop in plan.stops if stop.venue_id == venue_id)


def rule_codes(season: Problem, plan: Plan) -> set[str]:
    return {v.rule for v in verify(season, plan, TRAVEL)}


def minutes(route: Route, moment: Any) -> float:
    """Minutes from the local midnight of the route's day."""
    midnight = route.depot_departure.replace(hour=0, minute=0, second=0, microsecond=0)
    return float((moment - midnight) / timedelta(minutes=1))


# --- the domain accessors -------------------------------------------------------------


def test_hours_on_a_date_win_over_the_weekday_which_wins_over_the_hours() -> None:
    """``hours_on``: a rule naming the date, else one naming the weekday, else ``hours``;
    a rule without windows closes the venue that day."""
    festival = DayHours((DayWindow(12 * 60, 23 * 60 + 30),), dates=frozenset({WEEK[5]}))
    weekend = DayHours((DayWindow(10 * 60, 23 * 60),), weekdays=frozenset({5, 6}))
    closed = DayHours((), dates=frozenset({WEEK[6]}))
    venue = park("p", 55.74, 37.60, day_hours=(weekend, festival, closed))
    assert venue.hours_on(WEEK[0]) == (LATE,)
    assert venue.hours_on(WEEK[5]) == festival.windows
    assert venue.hours_on(WEEK[5] + timedelta(days=7)) == weekend.windows
    assert venue.hours_on(WEEK[6]) == ()


def test_shift_on_a_day_and_its_own_limit() -> None:
    """``shift_on`` and ``max_shift_on`` follow the same precedence; a rule without its own
    limit keeps the truck's ``max_shift_min``."""
    short = DayShift(DayWindow(16 * 60, 22 * 60), dates=frozenset({WEEK[2]}), max_shift_min=300)
    weekend = DayShift(DayWindow(8 * 60, 20 * 60), weekdays=frozenset({5, 6}))
    truck = led(day_shifts=(weekend, short), max_shift_min=600)
    assert truck.shift_on(WEEK[0]) == truck.shift and truck.max_shift_on(WEEK[0]) == 600
    assert truck.shift_on(WEEK[2]) == short.shift and truck.max_shift_on(WEEK[2]) == 300
    assert truck.shift_on(WEEK[6]) == weekend.shift and truck.max_shift_on(WEEK[6]) == 600
    assert truck.shifts == (truck.shift, weekend.shift, short.shift)


# --- the validator: penalized / unpenalized pairs -------------------------------------


@pytest.fixture(scope="module")
def two_visits() -> tuple[Problem, Plan]:
    """One park, one truck, a week, two visits at least 3 days apart: a valid plan."""
    season = problem((park("p", 55.74, 37.60),), rules=Rules(min_gap_days=3))
    plan = planned(season)
    assert len(visit_days(plan, "p")) == 2
    return season, plan


def test_validator_flags_screenings_outside_the_hours_of_that_date(
    two_visits: tuple[Problem, Plan],
) -> None:
    """A date's own hours that the plan's screenings miss (or a date it closes) are
    ``venue_hours``, on that date only; weekday hours that cover them pass, although the
    venue's general hours would not."""
    season, plan = two_visits
    first = visit_days(plan, "p")[0]
    venue = season.venues[0]
    early = DayHours((DayWindow(10 * 60, 11 * 60),), dates=frozenset({first}))
    for rule in (early, DayHours((), dates=frozenset({first}))):
        broken = replace(season, venues=(replace(venue, day_hours=(rule,)),))
        found = verify(broken, plan, TRAVEL)
        assert {v.rule for v in found} == {"venue_hours"}
        assert {v.day for v in found} == {first}
        assert all("day_hours" in v.message for v in found)
    kept = replace(
        venue,
        hours=(DayWindow(10 * 60, 11 * 60),),
        day_hours=(DayHours((LATE,), weekdays=EVERY_DAY),),
    )
    assert verify(replace(season, venues=(kept,)), plan, TRAVEL) == []
    assert "venue_hours" in rule_codes(replace(season, venues=(replace(kept, day_hours=()),)), plan)


def test_validator_uses_the_venues_own_gap(two_visits: tuple[Problem, Plan]) -> None:
    """A venue's ``min_gap_days`` overrides the rules' in both directions."""
    season, plan = two_visits
    first, second = visit_days(plan, "p")
    gap = (second - first).days
    venue = season.venues[0]
    stricter = replace(season, venues=(replace(venue, min_gap_days=gap + 1),))
    found = verify(stricter, plan, TRAVEL)
    assert [v.rule for v in found] == ["min_gap_days"]
    assert "the venue's min_gap_days" in found[0].message
    looser = replace(
        season,
        venues=(replace(venue, min_gap_days=gap),),
        rules=Rules(min_gap_days=gap + 5),
    )
    assert verify(looser, plan, TRAVEL) == []
    assert rule_codes(replace(looser, venues=(venue,)), plan) == {"min_gap_days"}


def test_validator_uses_the_shift_of_that_date(two_visits: tuple[Problem, Plan]) -> None:
    """A date's shift that the route leaves (or its own length limit) is ``shift`` on that
    date; weekday shifts that cover the routes pass, although the truck's shift would not."""
    season, plan = two_visits
    route = min(plan.routes, key=lambda r: r.day)
    back = minutes(route, route.depot_return)
    truck = season.trucks[0]
    on = frozenset({route.day})
    early_end = DayShift(DayWindow(0, int(back) - 30), dates=on)
    short_day = DayShift(truck.shift, dates=on, max_shift_min=int(route.shift_min) - 30)
    for rule in (early_end, short_day):
        broken = replace(season, trucks=(replace(truck, day_shifts=(rule,)),))
        found = verify(broken, plan, TRAVEL)
        assert {v.rule for v in found} == {"shift"}
        assert {v.day for v in found} == {route.day}
    kept = replace(
        truck,
        shift=DayWindow(0, 60),
        max_shift_min=60,
        day_shifts=(DayShift(DayWindow(0, 36 * 60), weekdays=EVERY_DAY, max_shift_min=1440),),
    )
    assert verify(replace(season, trucks=(kept,)), plan, TRAVEL) == []
    assert "shift" in rule_codes(replace(season, trucks=(replace(kept, day_shifts=()),)), plan)


# --- the solver -----------------------------------------------------------------------


def test_a_venue_open_only_at_weekends_is_served_only_at_weekends() -> None:
    """Closed Monday to Friday by ``day_hours``, open 10:00-13:00 on Saturday: every visit
    falls on Saturday or Sunday, Saturday's screenings inside 10:00-13:00; without the rule
    the same venue is visited on a weekday."""
    weekend = (
        DayHours((), weekdays=WEEKDAYS),
        DayHours((DayWindow(10 * 60, 13 * 60),), weekdays=frozenset({5})),
    )
    venues = (
        park("weekend", 55.74, 37.60, priority=3.0, day_hours=weekend),
        park("other", 55.79, 37.67),
    )
    rules = Rules(max_visits=7, min_gap_days=1)
    season = problem(venues, rules=rules)
    plan = planned(season)
    days = visit_days(plan, "weekend")
    assert days and set(days) <= {WEEK[5], WEEK[6]}
    for route, stop in plan.stops:
        if stop.venue_id == "weekend" and route.day == WEEK[5]:
            for show in stop.screenings:
                assert minutes(route, show.start) >= 600 and minutes(route, show.end) <= 780
    unruled = planned(replace(season, venues=(replace(venues[0], day_hours=()), venues[1])))
    assert set(visit_days(unruled, "weekend")) - {WEEK[5], WEEK[6]}


def test_a_venue_with_its_own_long_gap_is_visited_once_in_a_fortnight() -> None:
    """Over 14 days the default gap (5 days) allows two visits; the venue's
    ``min_gap_days`` 20 allows one."""
    season = problem((park("p", 55.74, 37.60),), days=FORTNIGHT, rules=Rules(max_visits=2))
    assert len(visit_days(planned(season), "p")) == 2
    own_gap = replace(season, venues=(replace(season.venues[0], min_gap_days=20),))
    assert len(visit_days(planned(own_gap), "p")) == 1


def test_a_short_shift_on_one_date_limits_that_days_work() -> None:
    """A truck working 18:00-23:00 on one date and at most 4 hours on the weekend keeps
    inside them; on other days it works its usual 10:00-02:00 shift."""
    venues = tuple(park(f"p{i}", 55.70 + 0.03 * i, 37.55 + 0.04 * i) for i in range(5))
    evening = DayShift(DayWindow(18 * 60, 23 * 60), dates=frozenset({WEEK[2]}))
    weekend = DayShift(DayWindow(600, 1560), weekdays=frozenset({5, 6}), max_shift_min=240)
    truck = led(day_shifts=(evening, weekend))
    season = problem(venues, trucks=(truck,), rules=Rules(max_visits=7, min_gap_days=1))
    plan = planned(season, seconds=3)
    routes = {route.day: route for route in plan.routes}
    assert WEEK[2] in routes and {WEEK[5], WEEK[6]} & set(routes)
    assert minutes(routes[WEEK[2]], routes[WEEK[2]].depot_departure) >= 18 * 60
    assert minutes(routes[WEEK[2]], routes[WEEK[2]].depot_return) <= 23 * 60
    for day in (WEEK[5], WEEK[6]):
        if day in routes:
            assert routes[day].shift_min <= 240
    assert max(route.shift_min for route in plan.routes) > 300


def test_retiming_a_route_uses_that_dates_shift_and_hours(
    two_visits: tuple[Problem, Plan],
) -> None:
    """A hand edit re-times a route from the opening of the day's own shift (17:00, not the
    usual 10:00) and inside the day's own hours (from 19:00, not 10:00); both plans pass."""
    season, plan = two_visits
    route = min(plan.routes, key=lambda r: r.day)
    on = frozenset({route.day})
    others = tuple(r for r in plan.routes if r.day != route.day)
    late_shift = DayShift(DayWindow(17 * 60, 26 * 60), dates=on)
    by_shift = replace(season, trucks=(replace(season.trucks[0], day_shifts=(late_shift,)),))
    moved = retime_route(by_shift, route, TRAVEL)
    assert minutes(moved, moved.depot_departure) >= 17 * 60
    assert verify(by_shift, replace(plan, routes=(moved, *others)), TRAVEL) == []
    assert minutes(route, retime_route(season, route, TRAVEL).depot_departure) < 17 * 60

    evening = DayHours((DayWindow(19 * 60, 24 * 60),), dates=on)
    by_hours = replace(season, venues=(replace(season.venues[0], day_hours=(evening,)),))
    moved = retime_route(by_hours, route, TRAVEL)
    assert min(minutes(moved, show.start) for _, show in _shows(moved)) >= 19 * 60
    assert verify(by_hours, replace(plan, routes=(moved, *others)), TRAVEL) == []
    unruled = retime_route(season, route, TRAVEL)
    assert min(minutes(unruled, show.start) for _, show in _shows(unruled)) < 19 * 60


def _shows(route: Route) -> list[tuple[str, Any]]:
    return [(stop.venue_id, show) for stop in route.stops for show in stop.screenings]


# --- reasons --------------------------------------------------------------------------


def test_a_venue_closed_by_its_day_hours_on_every_date_says_so() -> None:
    """Closed on weekdays in a season of weekdays: ``no_time_window`` naming day_hours."""
    closed = park("closed", 55.74, 37.60, day_hours=(DayHours((), weekdays=WEEKDAYS),))
    plan = planned(problem((closed, park("open", 55.79, 37.67)), days=WEEK[:5]))
    [entry] = [u for u in plan.unserved if u.venue_id == "closed"]
    assert entry.reason is UnservedReason.NO_TIME_WINDOW
    assert "day_hours" in entry.message


def test_hours_of_a_date_too_short_for_a_film_say_so() -> None:
    """Open 20 minutes on its only allowed date: ``no_time_window`` naming day_hours."""
    only = frozenset({WEEK[3]})
    brief = DayHours((DayWindow(18 * 60, 18 * 60 + 20),), dates=only)
    venue = park("brief", 55.74, 37.60, allowed_dates=only, day_hours=(brief,))
    [entry] = planned(problem((venue,))).unserved
    assert entry.reason is UnservedReason.NO_TIME_WINDOW
    assert "day_hours" in entry.message


def test_a_short_shift_on_the_only_allowed_date_is_outside_shift() -> None:
    """A venue allowed on one date only, when the truck works one hour that date, is
    ``outside_shift`` naming day_shifts; with the usual shift it is served."""
    only = frozenset({WEEK[3]})
    venue = park("p", 55.74, 37.60, allowed_dates=only)
    season = problem((venue,))
    assert visit_days(planned(season), "p") == [WEEK[3]]
    hour = DayShift(DayWindow(12 * 60, 13 * 60), dates=only)
    short = replace(season, trucks=(led(day_shifts=(hour,)),))
    [entry] = planned(short).unserved
    assert entry.reason is UnservedReason.OUTSIDE_SHIFT
    assert "day_shifts" in entry.message and "12:00–13:00" in entry.message


# --- formats --------------------------------------------------------------------------

SCENARIO: dict[str, Any] = {
    "season": {"start": "2026-07-06", "end": "2026-07-12"},
    "trucks": [
        {
            "id": "t",
            "name": "T",
            "depot": {"lat": 55.7, "lon": 37.6},
            "screen": "led",
            "day_shifts": [
                {"weekdays": ["sat", "sun"], "shift": {"start": "10:00", "end": "22:00"}},
                {
                    "dates": ["2026-07-08"],
                    "shift": {"start": "16:00", "end": "22:00"},
                    "max_shift_min": 300,
                },
            ],
        }
    ],
    "venues": [
        {
            "id": "v",
            "name": "V",
            "okrug": "ЦАО",
            "lat": 55.74,
            "lon": 37.6,
            "audience_seats": 100,
            "min_gap_days": 20,
            "day_hours": [
                {
                    "weekdays": ["mon", "tue", "wed", "thu", "fri"],
                    "windows": [{"start": "16:00", "end": "23:30"}],
                },
                {"weekdays": ["sat", "sun"], "windows": [{"start": "10:00", "end": "23:00"}]},
                {"dates": ["2026-07-11"], "windows": [{"start": "12:00", "end": "23:30"}]},
                {"dates": ["2026-07-12"], "windows": []},
            ],
        }
    ],
    "films": [{"id": "f", "title": "F", "runtime_min": 90, "rating": "0+", "certificate": "1"}],
}


def test_scenario_json_round_trip_keeps_the_day_rules() -> None:
    """Scenario JSON -> problem -> JSON -> problem keeps every day rule; the JSON Schema
    lists the new fields and weekday names."""
    season = problem_from_scenario(parse_scenario(SCENARIO))
    venue, truck = season.venues[0], season.trucks[0]
    assert venue.min_gap_days == 20
    assert venue.hours_on(date(2026, 7, 6)) == (DayWindow(16 * 60, 23 * 60 + 30),)
    assert venue.hours_on(date(2026, 7, 11)) == (DayWindow(12 * 60, 23 * 60 + 30),)
    assert venue.hours_on(date(2026, 7, 12)) == ()
    assert truck.shift_on(date(2026, 7, 8)) == DayWindow(16 * 60, 22 * 60)
    assert truck.max_shift_on(date(2026, 7, 8)) == 300
    text = dump_json(scenario_from_problem(season))
    assert problem_from_scenario(parse_scenario(json.loads(text))) == season
    assert '"sat"' in text and '"2026-07-12"' in text
    schema = json.dumps(ScenarioFile.model_json_schema())
    for name in ("day_hours", "day_shifts", "min_gap_days", '"sun"'):
        assert name in schema


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (
            lambda s: s["venues"][0]["day_hours"][3].update(dates=["2026-07-11"]),
            "venues[0].day_hours[3].dates[0]",
            "2026-07-11 is named by day_hours[2] too",
        ),
        (
            lambda s: s["venues"][0]["day_hours"][1].update(weekdays=["sat", "fri"]),
            "venues[0].day_hours[1].weekdays[1]",
            "fri is named by day_hours[0] too",
        ),
        (
            lambda s: s["venues"][0]["day_hours"][1].update(weekdays=["sat", "sat"]),
            "venues[0].day_hours[1].weekdays[1]",
            "sat appears twice",
        ),
        (
            lambda s: s["venues"][0]["day_hours"][0].update(weekdays=["mon", "sbt"]),
            "venues[0].day_hours[0].weekdays[1]",
            "'sbt' is not a weekday",
        ),
        (
            lambda s: s["venues"][0]["day_hours"][3].update(dates=[]),
            "venues[0].day_hours[3].weekdays",
            "name at least one weekday or date",
        ),
        (
            lambda s: s["venues"][0].update(min_gap_days=-1),
            "venues[0].min_gap_days",
            "greater than or equal to 0",
        ),
        (
            lambda s: s["trucks"][0]["day_shifts"][1].update(dates=["2026-07-08", "2026-07-08"]),
            "trucks[0].day_shifts[1].dates[1]",
            "2026-07-08 appears twice",
        ),
        (
            lambda s: s["trucks"][0]["day_shifts"][1].update(weekdays=["sun"]),
            "trucks[0].day_shifts[1].weekdays[0]",
            "sun is named by day_shifts[0] too",
        ),
        (
            lambda s: s["trucks"][0]["day_shifts"][0].update(
                shift={"start": "22:00", "end": "10:00"}
            ),
            "trucks[0].day_shifts[0].shift",
            "ends (10:00) before it starts",
        ),
        (
            lambda s: s["trucks"][0]["day_shifts"][1].update(max_shift_min=0),
            "trucks[0].day_shifts[1].max_shift_min",
            "greater than 0",
        ),
    ],
)
def test_bad_day_rules_name_the_field(change: Any, field: str, words: str) -> None:
    """Overlapping, contradictory or malformed day rules are ``InvalidProblem`` naming the
    field down to the list item."""
    data = json.loads(json.dumps(SCENARIO))
    change(data)
    with pytest.raises(InvalidProblem) as caught:
        parse_scenario(data)
    assert any(where == field and words in message for where, message in caught.value.problems), (
        caught.value.problems
    )


VENUES_CSV = (
    "id,name,okrug,lat,lon,audience_seats,day_hours,min_gap_days\n"
    'v,V,ЦАО,55.74,37.6,100,"mon-fri 16:00-23:30; sat, sun 10:00-23:00; '
    '2026-07-11 12:00-14:00,18:00-23:30; 2026-07-12 closed",20\n'
    "w,W,ЦАО,55.75,37.6,100,,\n"
)
TRUCKS_CSV = (
    "id,name,depot_lat,depot_lon,screen,day_shifts\n"
    't,T,55.7,37.6,led,"сб,вс 10:00-22:00; 2026-07-08 16:00-22:00 max 300"\n'
)
FILMS_CSV = "id,title,runtime_min,rating,certificate\nf,F,90,0+,1\n"


def test_csv_import_reads_the_day_rule_columns() -> None:
    """``day_hours``, ``min_gap_days`` and ``day_shifts`` cells become the same rules as
    the JSON form (weekday ranges and Russian weekday names too); empty cells: none."""
    book = tables_from_csv(venues=VENUES_CSV, trucks=TRUCKS_CSV, films=FILMS_CSV)
    scenario = scenario_from_tables(book, start=date(2026, 7, 6), end=date(2026, 7, 12))
    season = problem_from_scenario(scenario)
    venue, plain, truck = season.venues[0], season.venues[1], season.trucks[0]
    assert venue.min_gap_days == 20 and plain.min_gap_days is None and plain.day_hours == ()
    assert venue.hours_on(date(2026, 7, 10)) == (DayWindow(16 * 60, 23 * 60 + 30),)
    assert venue.hours_on(date(2026, 7, 11)) == (
        DayWindow(12 * 60, 14 * 60),
        DayWindow(18 * 60, 23 * 60 + 30),
    )
    assert venue.hours_on(date(2026, 7, 12)) == ()
    assert venue.hours_on(date(2026, 7, 18)) == (DayWindow(10 * 60, 23 * 60),)
    assert truck.shift_on(date(2026, 7, 11)) == DayWindow(10 * 60, 22 * 60)
    assert truck.shift_on(date(2026, 7, 8)) == DayWindow(16 * 60, 22 * 60)
    assert truck.max_shift_on(date(2026, 7, 8)) == 300
    assert truck.shift_on(date(2026, 7, 7)) == truck.shift


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("funday 10:00-23:00", "'funday' in 'funday 10:00-23:00' is not a weekday"),
        ("10:00-23:00", "'10:00-23:00' names no weekday or date"),
        ("sat 10:00-23:00 closed", "needs windows HH:MM-HH:MM or 'closed'"),
        ("sat 10:00-23:00; sat closed", "rule 2: sat is named by rule 1 too"),
        ("2026-07-04 closed; 2026-07-04 10:00-12:00", "rule 2: 2026-07-04 is named by rule 1"),
        ("sat sat 10:00-23:00", "rule 1: sat appears twice"),
        ("2026-02-30 closed", "'2026-02-30' is not a date"),
    ],
)
def test_csv_day_hours_problems_name_row_and_column(cell: str, message: str) -> None:
    """A bad ``day_hours`` cell is reported at its row and column with what is wrong."""
    venues = f'id,name,okrug,lat,lon,audience_seats,day_hours\nv,V,ЦАО,55.74,37.6,100,"{cell}"\n'
    with pytest.raises(InvalidProblem) as caught:
        tables_from_csv(venues=venues)
    assert any(
        where == "venues row 2, column day_hours" and message in said
        for where, said in caught.value.problems
    ), caught.value.problems


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("sat 10:00-22:00,12:00-13:00", "needs one shift window"),
        ("sat closed", "'closed' in 'sat closed' is not a weekday"),
        ("2026-07-08 16:00-22:00 max 2000", "rule 1: 2000 must be at most 1440"),
        ("2026-07-08 16:00-22:00 max x", "'x' is not a whole number"),
    ],
)
def test_csv_day_shifts_problems_name_row_and_column(cell: str, message: str) -> None:
    """A bad ``day_shifts`` cell is reported at its row and column with what is wrong."""
    trucks = f'id,name,depot_lat,depot_lon,screen,day_shifts\nt,T,55.7,37.6,led,"{cell}"\n'
    with pytest.raises(InvalidProblem) as caught:
        tables_from_csv(trucks=trucks)
    assert any(
        where == "trucks row 2, column day_shifts" and message in said
        for where, said in caught.value.problems
    ), caught.value.problems


# --- the API --------------------------------------------------------------------------


def test_api_stores_and_returns_day_rules(client: TestClient, planner: dict[str, str]) -> None:
    """A venue and a truck with day rules are created, read back field for field, and
    overlapping rules are 422 with the field in ``loc``."""
    venue, truck = SCENARIO["venues"][0], SCENARIO["trucks"][0]
    for kind, body in (("venues", venue), ("trucks", truck)):
        created = client.post(f"/api/{kind}", json=body, headers=planner)
        assert created.status_code == 201, created.text
        got = client.get(f"/api/{kind}/{body['id']}", headers=planner).json()
        rules = "day_hours" if kind == "venues" else "day_shifts"
        assert got[rules] == created.json()[rules]
        assert len(got[rules]) == len(body[rules]) and got[rules][0]["weekdays"][0] in (
            "mon",
            "sat",
        )
    assert client.get("/api/venues/v", headers=planner).json()["min_gap_days"] == 20
    bad = json.loads(json.dumps(venue)) | {"id": "v2"}
    bad["day_hours"][3]["dates"] = ["2026-07-11"]
    response = client.post("/api/venues", json=bad, headers=planner)
    assert response.status_code == 422, response.text
    [item] = response.json()["detail"]
    assert item["loc"] == ["body", "day_hours", 3, "dates", 0]
    assert "2026-07-11 is named by day_hours[2] too" in item["msg"]


def test_xlsx_import_reads_the_day_rule_columns() -> None:
    """The same cells in an XLSX workbook give the same rules as the CSV files."""
    book = openpyxl.Workbook()
    sheets = {"venues": VENUES_CSV, "trucks": TRUCKS_CSV, "films": FILMS_CSV}
    for title, table in sheets.items():
        sheet = book.create_sheet(title)
        for row in csv.reader(io.StringIO(table)):
            sheet.append(row)
    del book["Sheet"]
    data = io.BytesIO()
    book.save(data)
    assert tables_from_xlsx(data.getvalue()) == tables_from_csv(**sheets)


def test_rows_stored_before_the_migration_have_no_day_rules(tmp_path: Path) -> None:
    """A venue and a truck written at revision 0001 read back after the upgrade with no
    day rules and no gap of their own."""
    database = Database(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(database.engine, "0001")
    stamp = {"version": 1, "created_at": "2026-01-01", "updated_at": "2026-01-01"}
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO venues (id, name, lat, lon, okrug, district, kind, address,"
                " audience_seats, priority, hours, residential, inside_ttk, max_rating,"
                " excluded_film_ids, source, version, created_at, updated_at) VALUES ('v', 'V',"
                " 55.7, 37.6, 'ЦАО', '', 'park', '', 100, 1.0, '[]', 1, 0, 18, '[]', '',"
                " :version, :created_at, :updated_at)"
            ),
            stamp,
        )
        connection.execute(
            text(
                "INSERT INTO trucks (id, name, depot, screen, shift, max_shift_min, setup_min,"
                " teardown_min, has_ttk_pass, version, created_at, updated_at) VALUES ('t', 'T',"
                ' \'{"lat": 55.7, "lon": 37.6}\', \'led\', \'{"start": "12:00", "end": "24:00"}\','
                " 720, 60, 30, 0, :version, :created_at, :updated_at)"
            ),
            stamp,
        )
    upgrade(database.engine)
    with database.session() as session:
        venue, truck = session.get(VenueRow, "v"), session.get(TruckRow, "t")
        assert venue is not None and truck is not None
        assert (venue.day_hours, venue.min_gap_days, truck.day_shifts) == ([], None, [])
    database.dispose()
