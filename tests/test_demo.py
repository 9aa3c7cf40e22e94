"""The built-in Moscow demo season and the seeded benchmark generator."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from scheduler import demo
from scheduler.domain import AGE_RATINGS, Location, Problem, ScreenType
from scheduler.errors import InvalidProblem
from scheduler.schemas import problem_from_scenario, scenario_from_problem


@pytest.fixture(scope="module")
def problem() -> Problem:
    return demo.demo_problem()


def test_demo_has_60_venues_in_12_okrugs(problem: Problem) -> None:
    """All 60 venues of the shared CSV are used, covering every okrug; the depot is not one."""
    assert len(problem.venues) == 60
    assert len({venue.okrug for venue in problem.venues}) == 12
    assert all(venue.kind != "depot" for venue in problem.venues)


def test_demo_has_two_led_trucks_and_one_projector(problem: Problem) -> None:
    """Three trucks at Kinopark Moskino: two LED, one projector working into the night."""
    screens = Counter(truck.screen for truck in problem.trucks)
    assert screens == {ScreenType.LED: 2, ScreenType.PROJECTOR: 1}
    assert len({truck.depot for truck in problem.trucks}) == 1
    assert [t.id for t in problem.trucks if t.has_ttk_pass] == ["led-1"]
    projector = next(t for t in problem.trucks if t.screen is ScreenType.PROJECTOR)
    assert projector.shift.end_min == 26 * 60


def test_demo_films_are_rated_and_licensed(problem: Problem) -> None:
    """At least 25 films, every rating a Russian one, every film showable."""
    assert len(problem.films) >= 25
    assert all(film.rating in AGE_RATINGS for film in problem.films)
    assert all(film.may_be_shown for film in problem.films)
    assert sum(film.festival_exempt and not film.certificate for film in problem.films) == 1


def test_demo_has_licence_windows_inside_july(problem: Problem) -> None:
    """A few films start or stop being licensed during July 2026; the others are open."""
    july = [date(2026, 7, day) for day in range(1, 32)]
    changing = [f for f in problem.films if len({f.licensed_on(day) for day in july}) == 2]
    assert 3 <= len(changing) <= 4


def test_demo_ids_are_unique(problem: Problem) -> None:
    """Venue, truck and film ids are each unique."""
    for items in (problem.venues, problem.trucks, problem.films):
        ids = [item.id for item in items]
        assert len(ids) == len(set(ids))


def test_demo_season_is_consecutive_days() -> None:
    """The season is ``days`` consecutive days from ``start``."""
    problem = demo.demo_problem(days=5, start=date(2026, 7, 10))
    assert problem.days == tuple(date(2026, 7, day) for day in range(10, 15))
    assert problem.name == "Moscow demo, July 2026"


def test_demo_round_trips_through_the_scenario_file(problem: Problem) -> None:
    """Domain -> scenario file -> domain gives the same problem."""
    assert problem_from_scenario(scenario_from_problem(problem)) == problem


def test_demo_venue_rules(problem: Problem) -> None:
    """Derived attributes follow the documented rules."""
    gorky, hermitage = problem.venue("1"), problem.venue("6")
    assert gorky.priority == 3.0 and not gorky.residential
    assert hermitage.residential and hermitage.max_rating == 12
    assert all(150 <= v.audience_seats <= 300 for v in problem.venues)
    assert all(1.0 <= v.priority <= 3.0 for v in problem.venues)
    assert all(v.hours[0].end_min == 23 * 60 for v in problem.venues if v.residential)


def test_ttk_contains_the_centre_not_kuskovo(problem: Problem) -> None:
    """Gorky Park and the Hermitage garden are inside the Third Ring; Kuskovo is outside."""
    assert problem.venue("1").inside_ttk
    assert problem.venue("6").inside_ttk
    assert not problem.venue("22").inside_ttk
    assert demo.inside_ttk(Location(55.7539, 37.6208))  # Red Square
    assert not demo.inside_ttk(Location(55.8247, 37.6165))  # Ostankino


def test_generate_problem_is_deterministic_per_seed() -> None:
    """The same seed gives the same problem; another seed a different one."""
    first = demo.generate_problem(7, days=21, trucks=4, venues=50)
    assert first == demo.generate_problem(7, days=21, trucks=4, venues=50)
    assert first != demo.generate_problem(8, days=21, trucks=4, venues=50)


def test_generate_problem_has_the_requested_counts() -> None:
    """Counts as asked; 30 % projectors; venues inside Moscow's bounds and an okrug each."""
    problem = demo.generate_problem(3, days=28, trucks=10, venues=200, start=date(2026, 6, 1))
    assert (len(problem.days), len(problem.trucks), len(problem.venues)) == (28, 10, 200)
    assert problem.days[0] == date(2026, 6, 1)
    assert sum(t.screen is ScreenType.PROJECTOR for t in problem.trucks) == 3
    assert all(55.55 <= v.location.lat <= 55.92 for v in problem.venues)
    assert all(37.35 <= v.location.lon <= 37.85 for v in problem.venues)
    assert all(v.okrug in demo.OKRUG_CENTRES for v in problem.venues)
    assert any(v.inside_ttk for v in problem.venues)
    assert any(v.allowed_dates for v in problem.venues)


def test_generated_trucks_rest_one_day_a_week() -> None:
    """Each truck is off one day in every full week."""
    problem = demo.generate_problem(5, days=28, trucks=3, venues=10)
    for truck in problem.trucks:
        assert truck.available_dates is not None
        assert len(truck.available_dates) == 24


def test_generated_problem_round_trips() -> None:
    """A generated problem is a valid scenario file too."""
    problem = demo.generate_problem(11, days=14, trucks=3, venues=40)
    assert problem_from_scenario(scenario_from_problem(problem)) == problem


def test_demo_needs_a_day() -> None:
    """A season of zero days is a user error, not a crash."""
    with pytest.raises(InvalidProblem):
        demo.demo_problem(days=0)
