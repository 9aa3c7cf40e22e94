"""Tests for ``scheduler.solver.solve``: every plan passes the independent validator, the
season rules hold across planning windows, and unserved venues get the right reason.

Time-limited search is not reproducible across machines, so the tests assert invariants
(``verify == []``, counts, reasons), not exact routes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, timedelta

import pytest

from scheduler.checks import verify
from scheduler.demo import demo_problem, generate_problem
from scheduler.domain import (
    DayWindow,
    Film,
    Location,
    Plan,
    Problem,
    Rules,
    ScreenType,
    Truck,
    UnservedReason,
    Venue,
)
from scheduler.solver import SolveParams, solve
from scheduler.solver.windows import slot_lengths
from scheduler.travel import OfflineTravelTimes

TRAVEL = OfflineTravelTimes()
JULY = tuple(date(2026, 7, 6) + timedelta(days=i) for i in range(4))
DEPOT = Location(55.70, 37.62)

FILMS = (
    Film("cartoon", "Cartoon", 80, 0, certificate="c1"),
    Film("family", "Family film", 95, 6, certificate="c2"),
    Film("comedy", "Comedy", 100, 12, certificate="c3"),
    Film("drama", "Drama", 110, 12, certificate="c4"),
    Film("thriller", "Thriller", 105, 16, certificate="c5"),
    Film("epic", "Epic", 140, 12, certificate="c6"),
)


def park(venue_id: str, lat: float, lon: float, **changes: object) -> Venue:
    """A non-residential park open until 00:30."""
    venue = Venue(
        id=venue_id,
        name=venue_id.title(),
        location=Location(lat, lon),
        okrug="okrug-" + venue_id[-1],
        audience_seats=200,
        hours=(DayWindow(10 * 60, 24 * 60 + 30),),
        residential=False,
    )
    return replace(venue, **changes)  # type: ignore[arg-type]


def truck(truck_id: str, screen: ScreenType = ScreenType.LED, **changes: object) -> Truck:
    """A truck at a depot in the south of central Moscow."""
    base = Truck(truck_id, truck_id.upper(), DEPOT, screen, shift=DayWindow(10 * 60, 26 * 60))
    return replace(base, **changes)  # type: ignore[arg-type]


def small_problem(**changes: object) -> Problem:
    """Six parks, two trucks, four July days."""
    venues = (
        park("park1", 55.74, 37.60),
        park("park2", 55.79, 37.67),
        park("park3", 55.75, 37.49),
        park("park4", 55.69, 37.77),
        park("park5", 55.83, 37.62, residential=True, hours=(DayWindow(10 * 60, 23 * 60),)),
        park("park6", 55.66, 37.53),
    )
    base = Problem(
        name="small",
        days=JULY,
        venues=venues,
        trucks=(truck("led"), truck("proj", ScreenType.PROJECTOR)),
        films=FILMS,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def planned(problem: Problem, seconds: float = 2.0) -> Plan:
    """Solve and assert the independent validator finds nothing."""
    plan = solve(problem, TRAVEL, SolveParams(time_limit_s=seconds))
    assert verify(problem, plan, TRAVEL) == []
    return plan


def reasons(plan: Plan) -> dict[str, UnservedReason]:
    return {u.venue_id: u.reason for u in plan.unserved}


def test_small_problem_is_feasible_and_accounts_for_every_venue() -> None:
    """A small season plans without violations; every venue is served or explained."""
    problem = small_problem()
    plan = planned(problem)
    served = {stop.venue_id for _, stop in plan.stops}
    assert plan.stats.screenings >= 4
    assert served | set(reasons(plan)) == {v.id for v in problem.venues}
    assert not served & set(reasons(plan))
    assert plan.objective == pytest.approx(plan.stats.value)


def test_demo_season_plans_without_violations() -> None:
    """The built-in Moscow demo (14 days) plans with 0 violations and serves most venues."""
    problem = demo_problem()
    plan = planned(problem, seconds=10)
    assert plan.stats.served_venues >= 30
    assert {r.truck_id for r in plan.routes} == {t.id for t in problem.trucks}
    assert {r.day for r in plan.routes} == set(problem.days)


def test_generated_season_with_candidate_pruning_is_valid() -> None:
    """A generated season larger than the windows' candidate lists plans without violations."""
    problem = generate_problem(seed=7, days=6, trucks=4, venues=150)
    plan = solve(problem, TRAVEL, SolveParams(time_limit_s=8, venues_per_vehicle=4))
    assert verify(problem, plan, TRAVEL) == []
    assert plan.stats.stops >= 12
    assert len(plan.unserved) + plan.stats.served_venues == len(problem.venues)


def test_projector_screens_only_after_dusk_and_led_may_screen_by_day() -> None:
    """Projector screenings start after civil dusk (~22:00 in July); LED ones may be earlier."""
    plan = planned(small_problem())
    starts = Counter(
        ("proj" if route.truck_id == "proj" else "led", s.start.hour >= 21)
        for route, stop in plan.stops
        for s in stop.screenings
    )
    assert starts[("proj", False)] == 0
    assert starts[("led", False)] > 0


def test_visits_respect_max_visits_and_gap_across_windows() -> None:
    """One venue over ten days, windows of 2 days: at most 2 visits, at least 4 days apart."""
    days = tuple(date(2026, 7, 1) + timedelta(days=i) for i in range(10))
    rules = Rules(max_visits=2, min_gap_days=4, window_days=2)
    problem = small_problem(days=days, rules=rules, venues=(park("park1", 55.74, 37.60),))
    plan = planned(problem, seconds=3)
    visits = sorted(route.day for route, _ in plan.stops)
    assert len(visits) == 2
    assert (visits[1] - visits[0]).days >= 4


def test_films_never_repeat_at_a_venue_and_caps_hold() -> None:
    """Across windows no film repeats at a venue and a capped film stays under its cap."""
    capped = replace(FILMS[3], max_screenings=1)
    rules = Rules(max_visits=3, min_gap_days=1, window_days=1)
    problem = small_problem(films=(*FILMS[:3], capped, *FILMS[4:]), rules=rules)
    plan = planned(problem, seconds=3)
    shown = Counter((stop.venue_id, s.film_id) for _, stop in plan.stops for s in stop.screenings)
    assert max(shown.values()) == 1
    assert sum(n for (_, film), n in shown.items() if film == "drama") <= 1


def test_truck_without_pass_enters_the_ttk_zone_only_at_night() -> None:
    """A central venue is served by a truck without a pass only from 22:00."""
    night = (DayWindow(10 * 60, 25 * 60 + 30),)
    centre = park("centre1", 55.75, 37.62, inside_ttk=True, hours=night)
    problem = small_problem(venues=(centre,), trucks=(truck("led"),))
    plan = planned(problem)
    assert plan.stops
    assert all(stop.arrival.hour >= 22 for _, stop in plan.stops)


def test_no_allowed_date_is_the_reason() -> None:
    """A venue open only outside the season is explained by its dates."""
    closed = park("park1", 55.74, 37.60, allowed_dates=frozenset({date(2026, 8, 1)}))
    plan = planned(small_problem(venues=(closed,)))
    assert reasons(plan) == {"park1": UnservedReason.NO_ALLOWED_DATE}


def test_no_film_for_the_audience_is_the_reason() -> None:
    """A 0+ playground with only 6+ films and up gets 'no film'."""
    films = tuple(f for f in FILMS if f.rating > 0)
    playground = park("park1", 55.74, 37.60, max_rating=0)
    plan = planned(small_problem(venues=(playground,), films=films))
    assert reasons(plan) == {"park1": UnservedReason.NO_FILM}


def test_darkness_and_silence_leave_no_window() -> None:
    """Projector only, residential venue, July: dusk ~22:00 and the 23:00 limit leave no room."""
    home = park("park1", 55.74, 37.60, residential=True)
    problem = small_problem(venues=(home,), trucks=(truck("proj", ScreenType.PROJECTOR),))
    plan = planned(problem)
    unserved = plan.unserved[0]
    assert unserved.reason is UnservedReason.NO_TIME_WINDOW
    assert "darkness" in unserved.message and "23:00" in unserved.message


def test_far_venue_is_outside_every_shift() -> None:
    """A venue 250 km away cannot be reached and returned from within the shift."""
    far = park("far1", 57.6, 39.9)
    plan = planned(small_problem(venues=(far,)))
    assert reasons(plan)["far1"] in {UnservedReason.OUTSIDE_SHIFT, UnservedReason.DRIVER_BREAKS}


def test_busy_trucks_are_the_reason_when_capacity_runs_out() -> None:
    """One truck, one day, six venues: the ones left out are left out for capacity."""
    problem = small_problem(days=JULY[:1], trucks=(truck("led"),))
    plan = planned(problem)
    assert plan.unserved
    assert UnservedReason.TRUCKS_BUSY in set(reasons(plan).values())


def test_long_drives_get_a_declared_break() -> None:
    """With a 90-min work limit, a long drive is split by a declared break and still valid."""
    rules = Rules(max_work_before_break_min=90, break_min=20)
    far = truck("led", depot=Location(55.43, 37.27), setup_min=10, teardown_min=10)
    problem = small_problem(rules=rules, trucks=(far,))
    plan = planned(problem, seconds=3)
    assert any(route.breaks for route in plan.routes)
    without = replace(plan, routes=tuple(replace(r, breaks=()) for r in plan.routes))
    assert "driver_break" in {v.rule for v in verify(problem, without, TRAVEL)}
    route = next(r for r in plan.routes if r.breaks)
    stop = route.stops[0]
    misplaced = replace(route.breaks[0], start=stop.arrival, end=stop.departure)
    moved = replace(plan, routes=(replace(route, breaks=(misplaced,)),))
    messages = [v.message for v in verify(problem, moved, TRAVEL) if v.rule == "driver_break"]
    assert any("overlaps work at a stop" in m for m in messages)


def test_screenings_as_work_still_plan_valid_breaks() -> None:
    """When screenings count as the driver's work, the plan still keeps every break rule."""
    rules = Rules(screening_is_driver_rest=False, max_screenings_per_stop=1)
    plan = planned(small_problem(rules=rules), seconds=3)
    assert plan.stops


def test_bad_time_limit_is_rejected() -> None:
    """A non-positive time limit is a clear input error."""
    from scheduler.errors import InvalidProblem

    with pytest.raises(InvalidProblem, match="time_limit_s"):
        SolveParams(time_limit_s=0)


def test_last_slot_stretches_for_a_longer_film_when_the_route_leaves_room() -> None:
    """A film longer than the router's slot is shown last when the evening leaves room."""
    late = park("park1", 55.74, 37.60, hours=(DayWindow(10 * 60, 25 * 60 + 30),))
    problem = small_problem(days=JULY[:1], venues=(late,), trucks=(truck("led"),))
    plan = planned(problem)
    main, _ = slot_lengths(problem)
    lengths = [s.end - s.start for _, stop in plan.stops for s in stop.screenings]
    assert max(lengths) > timedelta(minutes=main)
