"""Tests for the day simulator (``scheduler.simulate``) and ``scheduler simulate``.

The re-plan is a fake here (the engine's re-plan has tests of its own): the simulator must
call it when events arrive, carry on with the plan it returns, and count what it drops as
lost.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner, Result

from scheduler.checks import verify
from scheduler.cli import app
from scheduler.demo import demo_problem
from scheduler.disruptions import Situation
from scheduler.domain import Plan, Problem
from scheduler.errors import InvalidProblem
from scheduler.schemas import dump_json, plan_to_file, scenario_from_problem
from scheduler.simulate import SimulationReport, _cut, _Day, _Show, _Visit, simulate
from scheduler.solver import SolveParams, solve
from scheduler.travel import OfflineTravelTimes

TRAVEL = OfflineTravelTimes()
runner = CliRunner()


@pytest.fixture(scope="module")
def season() -> tuple[Problem, Plan]:
    """The demo season's first two days, planned in a few seconds."""
    problem = demo_problem(days=2)
    plan = solve(problem, TRAVEL, SolveParams(time_limit_s=4.0, workers=1))
    assert verify(problem, plan, TRAVEL) == []
    assert plan.stats.screenings >= 6
    return problem, plan


@dataclass(frozen=True)
class Replanned:
    """What the fake re-plan returns."""

    problem: Problem
    plan: Plan


@dataclass
class FakeReplan:
    """Records every situation; drops every stop of the day not yet reached when
    ``drop_rest`` (else returns the plan unchanged)."""

    drop_rest: bool = False
    calls: list[Situation] | None = None

    def __call__(self, problem: Problem, plan: Plan, situation: Situation) -> Replanned:
        self.calls = [*(self.calls or []), situation]
        if not self.drop_rest:
            return Replanned(problem, plan)
        routes = tuple(
            replace(r, stops=tuple(s for s in r.stops if s.arrival <= situation.now))
            if r.day == situation.day
            else r
            for r in plan.routes
        )
        return Replanned(problem, replace(plan, routes=routes))


def test_no_noise_and_no_events_is_all_on_time(season: tuple[Problem, Plan]) -> None:
    """Without noise or events every planned screening starts on time and nothing is lost."""
    problem, plan = season
    report = simulate(problem, plan, TRAVEL, noise=0.0, runs=3)
    assert report.planned == 3 * plan.stats.screenings
    assert report.on_time == report.planned and report.on_time_pct == 100.0
    assert (report.late, report.lost, report.early, report.audience_lost) == (0, 0, 0, 0.0)
    assert report.audience_planned > 0 and report.days == 2


def test_seeded_runs_are_reproducible(season: tuple[Problem, Plan]) -> None:
    """The same seed gives the same report, events and fake re-plans included."""
    problem, plan = season

    def run() -> SimulationReport:
        report = simulate(
            problem, plan, TRAVEL, noise=0.4, events=2, seed=7, runs=3, replan=FakeReplan()
        )
        return replace(report, replan_mean_s=0.0, replan_max_s=0.0)

    assert run() == run()


def test_more_noise_is_not_more_on_time(season: tuple[Problem, Plan]) -> None:
    """On a fixed set of seeds, on-time screenings do not grow with the noise."""
    problem, plan = season
    shares = [
        simulate(problem, plan, TRAVEL, noise=noise, runs=10, seed=3).on_time_pct
        for noise in (0.0, 0.2, 0.5, 0.9)
    ]
    assert shares == sorted(shares, reverse=True)
    assert shares[-1] < 100.0


def test_rush_hour_skew_is_slower_than_uniform(season: tuple[Problem, Plan]) -> None:
    """Drives skewed longer in the rush hours make no more screenings on time than a
    street that is as often fast as slow, and the late ones are counted."""
    problem, plan = season
    report = simulate(problem, plan, TRAVEL, noise=0.6, runs=10, seed=1, skew="rush")
    assert report.late + report.lost > 0
    assert report.late_max_min >= report.late_mean_min > 0


def test_events_call_the_replan(season: tuple[Problem, Plan]) -> None:
    """With events, the re-plan is called with the day, the moment and the disruptions;
    the report counts the events and the re-plans."""
    problem, plan = season
    fake = FakeReplan()
    report = simulate(problem, plan, TRAVEL, noise=0.0, events=2, seed=5, replan=fake)
    assert fake.calls and report.replans == len(fake.calls) and report.events >= 1
    days = {r.day for r in plan.routes}
    for situation in fake.calls:
        assert situation.day in days and situation.disruptions
        assert situation.day <= situation.now.date() <= situation.day + timedelta(days=1)


def test_screenings_dropped_by_a_replan_are_lost(season: tuple[Problem, Plan]) -> None:
    """A re-plan that drops the rest of the day loses those screenings (with their
    audience); without re-planning the same events lose fewer."""
    problem, plan = season
    dropping = simulate(
        problem, plan, TRAVEL, noise=0.0, events=1, seed=2, replan=FakeReplan(drop_rest=True)
    )
    keeping = simulate(problem, plan, TRAVEL, noise=0.0, events=1, seed=2, replan=None)
    assert dropping.lost > keeping.lost
    assert dropping.audience_lost > keeping.audience_lost
    assert dropping.on_time + dropping.late + dropping.early + dropping.lost == dropping.planned


@pytest.mark.parametrize("kind", ["unreachable", "shift_cut"])
def test_the_street_obeys_events_without_a_replan(
    season: tuple[Problem, Plan], monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """A venue a truck cannot reach is skipped, and a cut shift ends the truck's day, on the
    street itself: without a re-plan they lose screenings (a re-plan is not blamed for
    losses the street would have had anyway)."""
    problem, plan = season
    monkeypatch.setattr("scheduler.simulate.EVENT_KINDS", (kind,))
    report = simulate(problem, plan, TRAVEL, noise=0.0, events=2, seed=3, runs=4)
    assert report.events >= 4 and report.lost > 0 and report.audience_lost > 0
    assert report.on_time + report.late + report.early + report.lost == report.planned


def test_a_stop_cut_twice_remembers_every_started_screening(
    season: tuple[Problem, Plan],
) -> None:
    """Regression: a truck at a two-screening stop through two re-plans must not start the
    first screening again after the second one (``_cut`` kept only the shows of the last
    replay, so the first film was replayed hours late)."""
    problem, _ = season
    day = problem.days[0]
    venue = problem.venues[0]
    at = datetime(day.year, day.month, day.day, 16, tzinfo=ZoneInfo(problem.rules.timezone))
    first = _Show(venue.id, "a", at, at + timedelta(minutes=90))
    second = _Show(venue.id, "b", at + timedelta(minutes=150), at + timedelta(minutes=240))
    visit = _Visit(venue.id, at, at, at, at + timedelta(minutes=300), (first, second))
    facts = _Day(problem, day)
    after_first = _cut(facts, [visit], at + timedelta(minutes=100), None)
    assert after_first is not None and after_first.started == {"a"}
    replayed = replace(visit, shows=(second,))  # the replay after the first cut
    after_second = _cut(facts, [replayed], at + timedelta(minutes=200), after_first)
    assert after_second is not None and after_second.started == {"a", "b"}
    assert after_second.busy_until == second.end


def test_delays_never_replay_a_started_screening(
    season: tuple[Problem, Plan], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Several delays at one stop (each re-planning) never start a screening twice: no
    screening is later than all the delays together, and nothing is counted as added."""
    problem, plan = season
    monkeypatch.setattr("scheduler.simulate.EVENT_KINDS", ("delay",))
    report = simulate(
        problem, plan, TRAVEL, noise=0.0, events=4, seed=11, runs=6, replan=FakeReplan()
    )
    assert report.events >= 12
    assert report.late_max_min <= 4 * 60
    assert report.added == 0 and report.audience_added == 0.0


def test_screenings_a_replan_adds_count_their_audience(season: tuple[Problem, Plan]) -> None:
    """A re-plan that adds a screening is credited with its audience: added screenings and
    ``audience_added`` grow together."""
    problem, plan = season
    route = max((r for r in plan.routes if len(r.stops) > 1), key=lambda r: r.depot_return)
    lean = replace(route, stops=route.stops[:-1])
    thinner = replace(plan, routes=tuple(lean if r is route else r for r in plan.routes))

    def restore(problem: Problem, current: Plan, situation: Situation) -> Replanned:
        return Replanned(problem, plan)  # the re-plan brings the full plan back

    report = simulate(problem, thinner, TRAVEL, noise=0.0, events=1, seed=2, runs=5, replan=restore)
    assert 1 <= report.added <= 5 * len(route.stops[-1].screenings)
    assert report.audience_added > 0


def test_bad_arguments_are_invalid_problems(season: tuple[Problem, Plan]) -> None:
    """Noise outside 0..0.9, runs below 1 and a plan naming an unknown venue are refused
    naming the field."""
    problem, plan = season
    with pytest.raises(InvalidProblem) as bad:
        simulate(problem, plan, TRAVEL, noise=1.2, runs=0)
    assert {"noise", "runs"} <= dict(bad.value.problems).keys()
    route = plan.routes[0]
    stray = replace(route, stops=(replace(route.stops[0], venue_id="nowhere"),))
    with pytest.raises(InvalidProblem) as unknown:
        simulate(problem, replace(plan, routes=(stray,)), TRAVEL)
    assert "plan.routes[0].stops[0].venue_id" in dict(unknown.value.problems)


# --- the command line -----------------------------------------------------------------


@pytest.fixture(scope="module")
def files(season: tuple[Problem, Plan], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the season's scenario.json and plan.json."""
    problem, plan = season
    folder = tmp_path_factory.mktemp("simulate")
    (folder / "scenario.json").write_text(dump_json(scenario_from_problem(problem)), "utf-8")
    (folder / "plan.json").write_text(dump_json(plan_to_file(plan, problem.name)), "utf-8")
    return folder


def invoke(*args: str | Path) -> Result:
    """Run the CLI; never let an exception escape the runner."""
    return runner.invoke(app, [str(arg) for arg in args])


def test_cli_prints_the_on_time_share(files: Path) -> None:
    """``scheduler simulate`` prints a table and ends with ``on time: NN.N %``; exit 0."""
    result = invoke("simulate", files / "scenario.json", files / "plan.json", "--noise", "0")
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert last == "on time: 100.0 %"
    noisy = invoke(
        "simulate", files / "scenario.json", files / "plan.json", "--runs", "3", "--seed", "4"
    )
    assert noisy.exit_code == 0, noisy.output
    assert "on time: " in noisy.output.strip().splitlines()[-1]


def test_cli_replans_with_the_engine_on_events(files: Path) -> None:
    """With ``--events 1`` (one a day) the engine's re-plan runs; the command reports the
    events and re-plans and still ends with the on-time line."""
    result = invoke(
        "simulate", files / "scenario.json", files / "plan.json", "--events", "1", "--seed", "2"
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "2 events" in text and "re-plans" in text and "0 failed" in text
    assert result.output.strip().splitlines()[-1].startswith("on time: ")


def test_cli_no_replan_drives_the_plan_as_it_is(files: Path) -> None:
    """``--no-replan`` replays the same events without re-planning: no re-plans reported,
    the on-time line still last."""
    args = ("simulate", files / "scenario.json", files / "plan.json", "--events", "1")
    result = invoke(*args, "--seed", "2", "--no-replan")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "2 events, 0 re-plans" in text
    assert result.output.strip().splitlines()[-1].startswith("on time: ")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--noise", "1.5"), "noise"),
        (("--runs", "0"), "runs"),
        (("--skew", "sideways"), "sideways"),
    ],
)
def test_cli_bad_options_exit_with_a_message(
    files: Path, args: tuple[str, ...], words: str
) -> None:
    """Bad options end with a message naming them and a non-zero exit, no traceback."""
    result = invoke("simulate", files / "scenario.json", files / "plan.json", *args)
    assert result.exit_code != 0
    assert words in result.output and "Traceback" not in result.output


def test_cli_bad_files_exit_with_a_message(
    season: tuple[Problem, Plan], files: Path, tmp_path: Path
) -> None:
    """A missing file, and a plan that does not fit the scenario, end with exit 2 and a
    message, no traceback."""
    missing = invoke("simulate", files / "scenario.json", tmp_path / "nope.json")
    assert missing.exit_code == 2 and "Traceback" not in missing.output
    problem, plan = season
    venue_id = plan.routes[0].stops[0].venue_id
    renamed = replace(
        problem,
        venues=tuple(replace(v, id="renamed") if v.id == venue_id else v for v in problem.venues),
    )
    other = tmp_path / "other.json"
    other.write_text(dump_json(scenario_from_problem(renamed)), "utf-8")
    misfit = invoke("simulate", other, files / "plan.json")
    assert misfit.exit_code == 2, misfit.output
    assert "Traceback" not in misfit.output and "plan.routes" in misfit.output
