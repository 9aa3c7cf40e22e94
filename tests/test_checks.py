"""Tests for ``scheduler.checks``: a hand-made valid plan, then one broken copy per rule.

The problem ``ok_small``: three Moscow parks, an LED truck (with a Third Ring pass) and a
projector truck (without), three films and two days in July 2026. Gorky Park is inside the
Third Ring, not residential and open until 01:00; Sokolniki is residential; Fili is left
unserved. Drives (``OfflineTravelTimes``) take 9-36 minutes; the plan leaves 30+ minutes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from scheduler.checks import RULES, Violation, verify
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
    Unserved,
    UnservedReason,
    Venue,
)
from scheduler.travel import OfflineTravelTimes

TZ = ZoneInfo("Europe/Moscow")
DAY1 = date(2026, 7, 10)
DAY2 = date(2026, 7, 16)
TRAVEL = OfflineTravelTimes()


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """Local time on ``day``; hours past 23 run into the next day."""
    return datetime(day.year, day.month, day.day, tzinfo=TZ) + timedelta(hours=hour, minutes=minute)


GORKY = Venue(
    id="gorky",
    name="Gorky Park",
    location=Location(55.7298, 37.6010),
    okrug="CAO",
    audience_seats=300,
    hours=(DayWindow(10 * 60, 25 * 60),),
    residential=False,
    inside_ttk=True,
)
SOKOLNIKI = Venue("sokolniki", "Sokolniki Park", Location(55.7925, 37.6770), "VAO", 200)
FILI = Venue("fili", "Fili Park", Location(55.7490, 37.4850), "ZAO", 150)
LED = Truck("led-1", "LED truck 1", Location(55.70, 37.62), ScreenType.LED, has_ttk_pass=True)
PROJECTOR = Truck(
    id="proj-1",
    name="Projector truck 1",
    depot=Location(55.78, 37.55),
    screen=ScreenType.PROJECTOR,
    shift=DayWindow(18 * 60, 27 * 60),
)
FAMILY = Film("family", "Family film", runtime_min=90, rating=6, certificate="111")
DRAMA = Film("drama", "Drama", runtime_min=120, rating=12, certificate="222")
THRILLER = Film("thriller", "Thriller", runtime_min=90, rating=16, certificate="333")

PROBLEM = Problem(
    name="ok_small",
    days=(DAY1, DAY2),
    venues=(GORKY, SOKOLNIKI, FILI),
    trucks=(LED, PROJECTOR),
    films=(FAMILY, DRAMA, THRILLER),
)

LED_DAY = Route(
    truck_id="led-1",
    day=DAY1,
    depot_departure=at(DAY1, 12, 30),
    depot_return=at(DAY1, 23, 30),
    stops=(
        Stop(
            "gorky",
            arrival=at(DAY1, 13, 30),
            departure=at(DAY1, 19),
            screenings=(
                Screening("family", at(DAY1, 14, 30), at(DAY1, 16)),
                Screening("drama", at(DAY1, 16, 30), at(DAY1, 18, 30)),
            ),
        ),
        Stop(
            "sokolniki",
            arrival=at(DAY1, 20),
            departure=at(DAY1, 23),
            screenings=(Screening("family", at(DAY1, 21), at(DAY1, 22, 30)),),
        ),
    ),
)
PROJECTOR_NIGHT = Route(
    truck_id="proj-1",
    day=DAY2,
    depot_departure=at(DAY2, 21),
    depot_return=at(DAY2, 25, 15),
    stops=(
        Stop(
            "gorky",
            arrival=at(DAY2, 22),
            departure=at(DAY2, 25),
            screenings=(Screening("thriller", at(DAY2, 23), at(DAY2, 24, 30)),),
        ),
    ),
)
FILI_UNSERVED = Unserved("fili", UnservedReason.TRUCKS_BUSY, "both trucks are busy")
PLAN = Plan(routes=(LED_DAY, PROJECTOR_NIGHT), unserved=(FILI_UNSERVED,), objective=0.0)


# --- making broken copies -------------------------------------------------------------


def problem_with(*items: Venue | Truck | Film, **rules: Any) -> Problem:
    """``PROBLEM`` with the items of the same id replaced and the rules changed."""

    def swap(old: Any) -> Any:
        return next((new for new in items if type(new) is type(old) and new.id == old.id), old)

    return replace(
        PROBLEM,
        venues=tuple(swap(v) for v in PROBLEM.venues),
        trucks=tuple(swap(t) for t in PROBLEM.trucks),
        films=tuple(swap(f) for f in PROBLEM.films),
        rules=replace(Rules(), **rules),
    )


def edit_route(index: int, **changes: Any) -> Plan:
    """``PLAN`` with route ``index`` changed."""
    routes = list(PLAN.routes)
    routes[index] = replace(routes[index], **changes)
    return replace(PLAN, routes=tuple(routes))


def edit_stop(route: int, stop: int, **changes: Any) -> Plan:
    """``PLAN`` with one stop changed."""
    stops = list(PLAN.routes[route].stops)
    stops[stop] = replace(stops[stop], **changes)
    return edit_route(route, stops=tuple(stops))


def edit_screening(route: int, stop: int, show: int, **changes: Any) -> Plan:
    """``PLAN`` with one screening changed."""
    shows = list(PLAN.routes[route].stops[stop].screenings)
    shows[show] = replace(shows[show], **changes)
    return edit_stop(route, stop, screenings=tuple(shows))


def retimed(route: Route, move: Callable[[datetime], datetime], day: date | None = None) -> Route:
    """The route with every time passed through ``move`` (and its day set to ``day``)."""
    stops = tuple(
        replace(
            s,
            arrival=move(s.arrival),
            departure=move(s.departure),
            screenings=tuple(
                replace(x, start=move(x.start), end=move(x.end)) for x in s.screenings
            ),
        )
        for s in route.stops
    )
    return replace(
        route,
        day=day or route.day,
        depot_departure=move(route.depot_departure),
        depot_return=move(route.depot_return),
        stops=stops,
    )


def shifted(route: Route, days: int) -> Route:
    """The route moved by whole days, every time with it."""
    delta = timedelta(days=days)
    return retimed(route, lambda moment: moment + delta, route.day + delta)


def codes(problem: Problem, plan: Plan) -> set[str]:
    """The rule codes ``verify`` reports."""
    return {v.rule for v in verify(problem, plan, TRAVEL)}


GHOST = Unserved("ghost", UnservedReason.NO_FILM, "no such park")


def with_routes(*routes: Route) -> Plan:
    """``PLAN`` with these routes."""
    return replace(PLAN, routes=routes)


def with_unserved(*entries: Unserved) -> Plan:
    """``PLAN`` with this unserved list."""
    return replace(PLAN, unserved=entries)


def case(name: str, problem: Problem, plan: Plan, *expected: str) -> Any:
    """A broken (problem, plan) pair and the exact rule codes it must yield."""
    return pytest.param(problem, plan, set(expected), id=name)


CASES = [
    case("unknown-unserved", PROBLEM, with_unserved(FILI_UNSERVED, GHOST), "unknown_id"),
    case("unknown-film", PROBLEM, edit_screening(0, 1, 0, film_id="ghost"), "unknown_id"),
    case("unknown-truck", PROBLEM, edit_route(1, truck_id="ghost"), "unknown_id"),
    case("unknown-venue", PROBLEM, edit_stop(0, 1, venue_id="ghost"), "unknown_id", "unserved"),
    case("season-day", PROBLEM, with_routes(LED_DAY, shifted(PROJECTOR_NIGHT, 1)), "season_day"),
    case(
        "truck-unavailable",
        problem_with(replace(PROJECTOR, available_dates=frozenset({DAY1}))),
        PLAN,
        "truck_unavailable",
    ),
    case(
        "duplicate-route",
        PROBLEM,
        with_routes(*PLAN.routes, Route("led-1", DAY1, at(DAY1, 13), at(DAY1, 13), ())),
        "duplicate_route",
    ),
    case(
        "venue-date",
        problem_with(replace(SOKOLNIKI, allowed_dates=frozenset({DAY2}))),
        PLAN,
        "venue_date",
    ),
    case("travel-arrival", PROBLEM, edit_stop(0, 1, arrival=at(DAY1, 19, 1)), "travel"),
    case("travel-return", PROBLEM, edit_route(0, depot_return=at(DAY1, 23, 10)), "travel"),
    case("overlap", PROBLEM, edit_stop(0, 1, arrival=at(DAY1, 18, 50)), "overlap", "travel"),
    case("programme-setup", PROBLEM, edit_stop(0, 0, arrival=at(DAY1, 14)), "programme"),
    case("programme-runtime", PROBLEM, edit_screening(0, 0, 0, end=at(DAY1, 15, 55)), "programme"),
    case(
        "programme-gap",
        PROBLEM,
        edit_screening(0, 0, 1, start=at(DAY1, 16, 10), end=at(DAY1, 18, 10)),
        "programme",
    ),
    case("programme-teardown", PROBLEM, edit_stop(0, 0, departure=at(DAY1, 18, 45)), "programme"),
    case("programme-empty", PROBLEM, edit_stop(0, 1, screenings=()), "programme"),
    case("programme-too-many", problem_with(max_screenings_per_stop=1), PLAN, "programme"),
    case("shift-start", PROBLEM, edit_route(0, depot_departure=at(DAY1, 11, 30)), "shift"),
    case(
        "shift-end",
        problem_with(replace(PROJECTOR, shift=DayWindow(18 * 60, 25 * 60))),
        PLAN,
        "shift",
    ),
    case("shift-length", problem_with(replace(LED, max_shift_min=600)), PLAN, "shift"),
    case(
        "venue-hours",
        problem_with(replace(GORKY, hours=(DayWindow(10 * 60, 24 * 60),))),
        PLAN,
        "venue_hours",
    ),
    case("darkness", problem_with(replace(LED, screen=ScreenType.PROJECTOR)), PLAN, "darkness"),
    case("silence", problem_with(replace(GORKY, residential=True)), PLAN, "silence"),
    case("truck-zone-ban", PROBLEM, edit_stop(1, 0, arrival=at(DAY2, 21, 45)), "truck_zone"),
    case("truck-zone-next-day", problem_with(ttk_ban_start_min=30), PLAN, "truck_zone"),
    case("truck-zone-no-pass", problem_with(replace(LED, has_ttk_pass=False)), PLAN, "truck_zone"),
    case(
        "driver-break-screening-work",
        problem_with(screening_is_driver_rest=False),
        PLAN,
        "driver_break",
    ),
    case("driver-break-long-break", problem_with(break_min=100), PLAN, "driver_break"),
    case("max-visits-rule", problem_with(max_visits=1), PLAN, "max_visits"),
    case("max-visits-venue", problem_with(replace(GORKY, max_visits=1)), PLAN, "max_visits"),
    case("min-gap-days", problem_with(min_gap_days=7), PLAN, "min_gap_days"),
    case(
        "min-gap-same-day",
        PROBLEM,
        with_routes(LED_DAY, shifted(PROJECTOR_NIGHT, -6)),
        "min_gap_days",
    ),
    case(
        "film-certificate",
        problem_with(replace(DRAMA, certificate=None)),
        PLAN,
        "film_certificate",
    ),
    case(
        "film-licence",
        problem_with(replace(THRILLER, licence_start=date(2026, 7, 20))),
        PLAN,
        "film_licence",
    ),
    case("film-rating-max", problem_with(replace(GORKY, max_rating=12)), PLAN, "film_rating"),
    case(
        "film-rating-excluded",
        problem_with(replace(SOKOLNIKI, excluded_film_ids=frozenset({"family"}))),
        PLAN,
        "film_rating",
    ),
    case(
        "late-rating",
        PROBLEM,
        with_routes(
            edit_screening(0, 0, 0, film_id="thriller").routes[0],
            edit_screening(1, 0, 0, film_id="family").routes[1],
        ),
        "late_rating",
    ),
    case("film-repeat", PROBLEM, edit_screening(1, 0, 0, film_id="family"), "film_repeat"),
    case("film-cap", problem_with(replace(FAMILY, max_screenings=1)), PLAN, "film_cap"),
    case("unserved-missing", PROBLEM, with_unserved(), "unserved"),
    case("unserved-twice", PROBLEM, with_unserved(FILI_UNSERVED, FILI_UNSERVED), "unserved"),
    case(
        "unserved-no-message",
        PROBLEM,
        with_unserved(replace(FILI_UNSERVED, message="  ")),
        "unserved",
    ),
    case(
        "unserved-but-served",
        PROBLEM,
        with_unserved(FILI_UNSERVED, replace(FILI_UNSERVED, venue_id="sokolniki")),
        "unserved",
    ),
]


# --- tests ----------------------------------------------------------------------------


def test_valid_plan_has_no_violations() -> None:
    """The hand-made plan keeps every rule."""
    assert verify(PROBLEM, PLAN, TRAVEL) == []


@pytest.mark.parametrize(("problem", "plan", "expected"), CASES)
def test_broken_plan_yields_its_rule(problem: Problem, plan: Plan, expected: set[str]) -> None:
    """Breaking one rule yields exactly that rule's code, each with a message."""
    found = verify(problem, plan, TRAVEL)
    assert {v.rule for v in found} == expected
    assert all(v.message for v in found)


def test_every_rule_has_a_broken_case() -> None:
    """The cases above cover every rule code, and only known codes."""
    covered = set().union(*(param.values[2] for param in CASES))
    assert covered == set(RULES)


def test_violation_names_truck_day_and_venue() -> None:
    """A travel violation carries the ids and names the venue and times in its message."""
    [violation] = verify(PROBLEM, edit_stop(0, 1, arrival=at(DAY1, 19, 1)), TRAVEL)
    assert violation == Violation(
        "travel", violation.message, truck_id="led-1", day=DAY1, venue_id="sokolniki"
    )
    assert "Sokolniki Park" in violation.message
    assert "19:01" in violation.message


def test_film_violation_names_the_film() -> None:
    """A film violation carries the film id and names the film."""
    [violation] = verify(problem_with(replace(DRAMA, certificate=None)), PLAN, TRAVEL)
    assert (violation.film_id, violation.venue_id, violation.day) == ("drama", "gorky", DAY1)
    assert "'Drama'" in violation.message


@pytest.mark.parametrize("zone", [UTC, None], ids=["utc", "naive"])
def test_times_are_read_in_the_season_timezone(zone: timezone | None) -> None:
    """The same plan written in UTC, or as naive local times, is still valid."""

    def convert(moment: datetime) -> datetime:
        return moment.astimezone(zone) if zone else moment.replace(tzinfo=None)

    plan = with_routes(*(retimed(r, convert) for r in PLAN.routes))
    assert verify(PROBLEM, plan, TRAVEL) == []


@pytest.mark.parametrize(
    ("seconds", "expected"), [(-0.9, set()), (0.9, set()), (-2, {"programme"}), (2, {"programme"})]
)
def test_times_compare_with_one_second_tolerance(seconds: float, expected: set[str]) -> None:
    """A screening that ends within a second of its runtime passes; two seconds off fails."""
    end = at(DAY1, 16) + timedelta(seconds=seconds)
    assert codes(PROBLEM, edit_screening(0, 0, 0, end=end)) == expected


def test_verify_never_raises_on_nonsense() -> None:
    """Unknown ids, backwards times and empty stops become violations, not exceptions."""
    naive = datetime(2026, 7, 10, 12)
    nonsense = Plan(
        routes=(
            Route("ghost-truck", date(2030, 1, 1), naive, naive - timedelta(hours=3), ()),
            Route(
                "led-1",
                DAY1,
                at(DAY1, 20),
                at(DAY1, 8),
                (
                    Stop("ghost-venue", at(DAY1, 9), at(DAY1, 7), ()),
                    Stop(
                        "gorky", at(DAY1, 6), at(DAY1, 5), (Screening("ghost-film", naive, naive),)
                    ),
                    Stop(
                        "gorky", at(DAY1, 6), at(DAY1, 5), (Screening("drama", at(DAY1, 4), naive),)
                    ),
                ),
            ),
            Route("led-1", DAY1, at(DAY1, 12), at(DAY1, 12), ()),
        ),
        unserved=(GHOST, replace(FILI_UNSERVED, message=""), FILI_UNSERVED),
        objective=float("nan"),
    )
    found = verify(PROBLEM, nonsense, TRAVEL)
    assert {"unknown_id", "season_day", "travel", "programme", "unserved"} <= {
        v.rule for v in found
    }
    assert {v.rule for v in found} <= set(RULES)
