"""Tests for hand edits of a plan (``move_stop``, ``swap_film``) and re-timing a route: the
edited plan comes with the validator's verdict.

The plan comes from a time-limited solve, so the tests pick their stops by properties (a
residential venue, a children's venue), not by id.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from scheduler.checks import verify
from scheduler.demo import demo_problem
from scheduler.domain import Plan, Problem, Route, ScreenType, Stop
from scheduler.errors import InvalidProblem
from scheduler.planning import EditOutcome, move_stop, retime_route, swap_film
from scheduler.solver import SolveParams, solve
from scheduler.travel import OfflineTravelTimes

TRAVEL = OfflineTravelTimes()


@pytest.fixture(scope="module")
def problem() -> Problem:
    """Two demo days with only the venues for children and teenagers (squares and gardens:
    residential, open until 23:00, rated at most 12+), and a spare LED truck."""
    demo = demo_problem(days=2)
    led = next(t for t in demo.trucks if t.screen is ScreenType.LED)
    spare = replace(led, id="spare", name="Spare LED truck")
    venues = tuple(v for v in demo.venues if v.max_rating < 18)
    return replace(demo, venues=venues, trucks=(*demo.trucks, spare))


@pytest.fixture(scope="module")
def plan(problem: Problem) -> Plan:
    """A valid plan that leaves the spare truck idle."""
    busy = replace(problem, trucks=tuple(t for t in problem.trucks if t.id != "spare"))
    found = solve(busy, TRAVEL, SolveParams(time_limit_s=3))
    assert found.stops
    assert verify(problem, found, TRAVEL) == []
    return found


def led_stop(problem: Problem, plan: Plan) -> tuple[Route, Stop]:
    """A stop of an LED truck."""
    return next(
        (route, stop)
        for route, stop in plan.stops
        if problem.truck(route.truck_id).screen is ScreenType.LED
    )


def rules_of(outcome: EditOutcome) -> set[str]:
    """The rule codes the validator reports."""
    return {v.rule for v in outcome.violations}


def test_retiming_keeps_a_valid_plan_valid(problem: Problem, plan: Plan) -> None:
    """Every route re-timed to its earliest times still passes the validator."""
    retimed = replace(plan, routes=tuple(retime_route(problem, r, TRAVEL) for r in plan.routes))
    assert verify(problem, retimed, TRAVEL) == []
    assert [[s.venue_id for s in r.stops] for r in retimed.routes] == [
        [s.venue_id for s in r.stops] for r in plan.routes
    ]


def test_move_to_an_idle_truck_is_valid(problem: Problem, plan: Plan) -> None:
    """A stop moved to the idle spare truck on its day: no violation, the stop with its films
    is there, both truck-days changed, and the plan's figures are recomputed."""
    route, stop = led_stop(problem, plan)
    outcome = move_stop(
        problem,
        plan,
        truck_id=route.truck_id,
        day=route.day,
        venue_id=stop.venue_id,
        to_truck_id="spare",
        to_day=route.day,
        to_position=0,
        travel=TRAVEL,
    )
    assert outcome.violations == []
    spare = next(r for r in outcome.plan.routes if (r.truck_id, r.day) == ("spare", route.day))
    assert [s.venue_id for s in spare.stops] == [stop.venue_id]
    assert [s.film_id for s in spare.stops[0].screenings] == [s.film_id for s in stop.screenings]
    assert set(outcome.changed) == {(route.truck_id, route.day), ("spare", route.day)}
    assert outcome.plan.stats.stops == plan.stats.stops
    assert outcome.plan.objective == outcome.plan.stats.value


def test_move_to_a_projector_breaks_the_silence_law(problem: Problem, plan: Plan) -> None:
    """A residential venue's stop moved to the projector truck: the show waits for dusk
    (~22:15 in July) and runs past the 23:00 limit, so the validator reports it. The first
    film starts in the dark; a second one may run into the next morning's civil dawn, which
    the validator reports as darkness, naming that film only."""
    route, stop = led_stop(problem, plan)
    projector = next(t for t in problem.trucks if t.screen is ScreenType.PROJECTOR)
    outcome = move_stop(
        problem,
        plan,
        truck_id=route.truck_id,
        day=route.day,
        venue_id=stop.venue_id,
        to_truck_id=projector.id,
        to_day=route.day,
        to_position=0,
        travel=TRAVEL,
    )
    assert "silence" in rules_of(outcome)
    moved = next(
        s
        for r in outcome.plan.routes
        if r.truck_id == projector.id and r.day == route.day
        for s in r.stops
        if s.venue_id == stop.venue_id
    )
    assert moved.screenings[0].start.hour >= 21
    dark = [v for v in outcome.violations if v.rule == "darkness"]
    assert all("dawn" in v.message for v in dark)
    assert moved.screenings[0].film_id not in {v.film_id for v in dark}


def test_swapping_in_an_adult_film_at_a_childrens_venue(problem: Problem, plan: Plan) -> None:
    """An 18+ film at a venue rated at most 12+ is a rating violation (and nothing else
    about its hour: re-timing starts it after the late-rating hour)."""
    route, stop = led_stop(problem, plan)
    adult = next(f for f in problem.films if f.rating == 18 and f.runtime_min <= 110)
    outcome = swap_film(
        problem,
        plan,
        truck_id=route.truck_id,
        day=route.day,
        venue_id=stop.venue_id,
        screening_index=0,
        film_id=adult.id,
        travel=TRAVEL,
    )
    assert "film_rating" in rules_of(outcome)
    assert "late_rating" not in rules_of(outcome)
    assert outcome.changed == ((route.truck_id, route.day),)


def test_swapping_in_an_allowed_film_is_valid(problem: Problem, plan: Plan) -> None:
    """A film the venue may show, not shown there or elsewhere in the plan, replaces another
    without a violation."""
    route, stop = led_stop(problem, plan)
    venue = problem.venue(stop.venue_id)
    shown = {s.film_id for _, st in plan.stops for s in st.screenings}
    film = next(
        f
        for f in problem.films
        if f.id not in shown
        and f.may_be_shown
        and f.rating <= min(venue.max_rating, 12)
        and f.licensed_on(route.day)
        and abs(f.runtime_min - 90) <= 15
    )
    outcome = swap_film(
        problem,
        plan,
        truck_id=route.truck_id,
        day=route.day,
        venue_id=stop.venue_id,
        screening_index=0,
        film_id=film.id,
        travel=TRAVEL,
    )
    assert outcome.violations == []
    assert outcome.plan.stats.screenings == plan.stats.screenings


BAD_MOVES: list[tuple[str, dict[str, object], str]] = [
    ("unknown truck", {"truck_id": "ghost"}, "truck_id"),
    ("unknown venue", {"venue_id": "nowhere"}, "venue_id"),
    ("no route that day", {"day": date(2026, 8, 1)}, "day"),
    ("unknown target truck", {"to_truck_id": "ghost"}, "to_truck_id"),
    ("target day outside the season", {"to_day": date(2026, 8, 1)}, "to_day"),
    ("position past the end", {"to_position": 99}, "to_position"),
    ("negative position", {"to_position": -1}, "to_position"),
]


@pytest.mark.parametrize(
    ("change", "field"), [c[1:] for c in BAD_MOVES], ids=[c[0] for c in BAD_MOVES]
)
def test_a_bad_move_names_the_field(
    problem: Problem, plan: Plan, change: dict[str, object], field: str
) -> None:
    """A move with an unknown id or a position out of range is refused, naming the argument."""
    route, stop = led_stop(problem, plan)
    arguments: dict[str, object] = {
        "truck_id": route.truck_id,
        "day": route.day,
        "venue_id": stop.venue_id,
        "to_truck_id": "spare",
        "to_day": route.day,
        "to_position": 0,
    }
    with pytest.raises(InvalidProblem) as caught:
        move_stop(problem, plan, **{**arguments, **change})  # type: ignore[arg-type]
    assert [name for name, _ in caught.value.problems] == [field]


@pytest.mark.parametrize(
    ("change", "field"),
    [({"screening_index": 5}, "screening_index"), ({"film_id": "no-film"}, "film_id")],
    ids=["screening index", "unknown film"],
)
def test_a_bad_swap_names_the_field(
    problem: Problem, plan: Plan, change: dict[str, object], field: str
) -> None:
    """A swap with a screening index out of range or an unknown film is refused."""
    route, stop = led_stop(problem, plan)
    arguments: dict[str, object] = {
        "truck_id": route.truck_id,
        "day": route.day,
        "venue_id": stop.venue_id,
        "screening_index": 0,
        "film_id": stop.screenings[0].film_id,
    }
    with pytest.raises(InvalidProblem) as caught:
        swap_film(problem, plan, **{**arguments, **change})  # type: ignore[arg-type]
    assert [name for name, _ in caught.value.problems] == [field]


def test_retiming_an_unknown_venue_names_the_field(problem: Problem, plan: Plan) -> None:
    """Re-timing a route with a venue the problem does not know is refused."""
    route = plan.routes[0]
    ghost = replace(route.stops[0], venue_id="nowhere")
    with pytest.raises(InvalidProblem) as caught:
        retime_route(problem, replace(route, stops=(ghost,)), TRAVEL)
    assert [name for name, _ in caught.value.problems] == ["route.stops[0].venue_id"]
