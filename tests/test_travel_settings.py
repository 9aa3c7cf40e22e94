"""The service plans and checks with the configured travel provider (``SCHEDULER_ROADS_CACHE``
or ``SCHEDULER_OSRM_URL``, else the offline estimate), built once per process and shared by
the job worker and the API; ``SCHEDULER_SOLVE_WORKERS`` and ``plan --workers`` reach the
solver. The road graph is the hand-made street grid of ``osm_grid``."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from osm_grid import grid_scenario, write_grid
from pydantic import ValidationError
from typer.testing import CliRunner, Result

from scheduler import planning
from scheduler.app import create_app
from scheduler.checks import verify
from scheduler.cli import app as cli_app
from scheduler.config import Settings, get_settings
from scheduler.db.catalogue import import_scenario, season_problem
from scheduler.db.engine import Database
from scheduler.db.migrate import upgrade
from scheduler.db.plans import get_plan_row, load_plan
from scheduler.db.tables import Job
from scheduler.db.types import utcnow
from scheduler.db.users import add_user
from scheduler.domain import Plan, Problem
from scheduler.errors import InvalidProblem
from scheduler.jobs import worker
from scheduler.jobs.backends import InProcessQueue, make_queue
from scheduler.jobs.worker import run_job
from scheduler.planning import PlanningSettings, default_travel, move_stop
from scheduler.roads import RoadTravelTimes, build_road_graph
from scheduler.schemas import load_scenario
from scheduler.scoring import plan_stats
from scheduler.security import Role
from scheduler.travel import OfflineTravelTimes, TravelTimes

runner = CliRunner()
PASSWORD = "grid-planner-pw"


@pytest.fixture(scope="module")
def grid_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A road cache of the street grid for a 12-t truck."""
    folder = tmp_path_factory.mktemp("roads")
    graph = build_road_graph(write_grid(folder / "grid.osm.pbf"), 12.0).graph
    cache = folder / "grid.roads.npz"
    graph.save(cache)
    return cache


@pytest.fixture
def grid_season(tmp_path: Path) -> Iterator[tuple[Database, int]]:
    """A fresh SQLite database holding the grid scenario as a season and a planner."""
    database = Database(f"sqlite:///{tmp_path / 'grid.db'}")
    upgrade(database.engine)
    scenario = json.loads(grid_scenario(tmp_path / "grid.json").read_text(encoding="utf-8"))
    with database.session() as session:
        season_id = import_scenario(session, scenario).id
        add_user(session, name="grid-planner", role=Role.PLANNER, password=PASSWORD)
    yield database, season_id
    database.dispose()


@pytest.fixture
def fresh_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """``get_settings()`` re-read from an environment without SCHEDULER_ variables of the
    travel or worker kind, in an empty folder (no ``.env``), and forgotten afterwards."""
    for name in ("ROADS_CACHE", "OSRM_URL", "SOLVE_WORKERS", "BROKER_URL"):
        monkeypatch.delenv(f"SCHEDULER_{name}", raising=False)
    monkeypatch.setenv("SCHEDULER_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def add_job(database: Database, season_id: int) -> str:
    """Store a queued in-process job of the season (2-s budget); its id."""
    job = Job(
        id=uuid.uuid4().hex,
        season_id=season_id,
        created_at=utcnow(),
        backend="inprocess",
        time_limit_s=2.0,
        state="queued",
    )
    with database.session() as session:
        session.add(job)
    return job.id


def finished_job(database: Database, job_id: str) -> Job:
    """The job's row after it ran."""
    with database.session() as session:
        job = session.get(Job, job_id)
        assert job is not None
        session.expunge(job)
    return job


def stored_plan(database: Database, plan_id: int) -> tuple[Problem, Plan]:
    """A stored version's scenario snapshot and plan."""
    with database.session() as session:
        stored = load_plan(get_plan_row(session, plan_id))
    return stored.problem, stored.plan


def driving_h(problem: Problem, plan: Plan, travel: TravelTimes) -> float:
    """Hours of driving of the plan's legs by ``travel``."""
    return plan_stats(problem, plan, travel).travel_min / 60.0


def assert_clean_exit(result: Result, code: int) -> None:
    """The command ended with ``code`` on purpose: no traceback."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def flat(result: Result) -> str:
    """Everything the command printed, with rich's line wrapping undone."""
    return " ".join(result.output.split())


# --- the provider, once per process ------------------------------------------------------


def test_provider_is_built_once_and_shared(
    grid_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four threads asking for the configured provider at once load the road cache once and
    all get the same provider; the job worker's ``PlanningSettings`` and the API's
    ``default_travel(settings)`` are that same object; no setting gives the offline one."""
    cache = tmp_path / "shared.roads.npz"
    cache.write_bytes(grid_cache.read_bytes())
    loads: list[Path] = []
    real = RoadTravelTimes.from_cache.__func__  # type: ignore[attr-defined]

    def counted(cls: type[RoadTravelTimes], /, path: Path, **kwargs: Any) -> RoadTravelTimes:
        loads.append(path)
        return real(cls, path, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(RoadTravelTimes, "from_cache", classmethod(counted))
    settings = Settings(data_dir=tmp_path, roads_cache=cache)
    found: list[TravelTimes] = []
    threads = [
        threading.Thread(target=lambda: found.append(default_travel(settings))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert loads == [cache]
    assert len(found) == 4 and all(t is found[0] for t in found)
    assert isinstance(found[0], RoadTravelTimes)
    assert PlanningSettings.from_settings(settings).travel() is found[0]
    assert isinstance(default_travel(Settings(data_dir=tmp_path)), OfflineTravelTimes)


# --- the job worker ----------------------------------------------------------------------


def test_job_worker_plans_on_the_road_cache(
    grid_cache: Path, grid_season: tuple[Database, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job run with a road cache configured solves with the road graph (and the configured
    solve workers): the stored plan's driving time is the road graph's, not the offline
    estimate's, and it passes the validator on roads."""
    database, season_id = grid_season
    seen: dict[str, Any] = {}
    real = planning.plan_problem

    def spy(problem: Problem, **kwargs: Any) -> planning.PlanOutcome:
        seen.update(kwargs)
        return real(problem, **kwargs)

    monkeypatch.setattr(worker, "plan_problem", spy)
    config = PlanningSettings(roads_cache=grid_cache, solve_workers=1)
    job_id = add_job(database, season_id)
    run_job(job_id, database.url, config)

    job = finished_job(database, job_id)
    assert job.state == "done", job.error
    assert seen["workers"] == 1 and seen["travel"] is config.travel()
    roads = config.travel()
    problem, plan = stored_plan(database, job.plan_id or 0)
    assert plan.stats.served_venues == 3
    assert verify(problem, plan, roads) == []
    assert plan.stats.travel_min == pytest.approx(plan_stats(problem, plan, roads).travel_min)
    offline_min = plan_stats(problem, plan, OfflineTravelTimes()).travel_min
    assert plan.stats.travel_min != pytest.approx(offline_min, abs=0.5)


def test_missing_cache_fails_the_job_with_its_message(
    grid_season: tuple[Database, int], tmp_path: Path
) -> None:
    """A road cache that does not exist fails the job with a message naming the file (no
    plan is written), rather than crashing the worker."""
    database, season_id = grid_season
    job_id = add_job(database, season_id)
    run_job(job_id, database.url, PlanningSettings(roads_cache=tmp_path / "none.npz"))
    job = finished_job(database, job_id)
    assert job.state == "failed" and job.plan_id is None
    assert "road cache" in job.error and "none.npz" in job.error
    assert "Traceback" not in job.error


def test_queue_hands_the_settings_to_its_workers(grid_cache: Path, tmp_path: Path) -> None:
    """The in-process backend carries the settings' road cache, OSRM server and solve
    workers to its solver processes."""
    settings = Settings(data_dir=tmp_path, roads_cache=grid_cache, solve_workers=3)
    queue = make_queue(settings, "sqlite://")
    assert isinstance(queue, InProcessQueue)
    assert queue.planning == PlanningSettings(grid_cache, None, 3)
    osrm = Settings(data_dir=tmp_path, osrm_url="http://osrm:5000")
    queue = make_queue(osrm, "sqlite://")
    assert isinstance(queue, InProcessQueue)
    assert queue.planning == PlanningSettings(None, "http://osrm:5000", 2)


# --- the API -----------------------------------------------------------------------------


def _solved_version(database: Database, season_id: int, roads: TravelTimes) -> int:
    """A plan of the grid season made on ``roads``, stored as version 1; its id."""
    from scheduler.db.plans import write_plan

    with database.session() as session:
        problem = season_problem(session, season_id)
    outcome = planning.plan_problem(problem, time_limit_s=2, travel=roads, workers=1)
    assert outcome.violations == []
    with database.session() as session:
        row = write_plan(
            session,
            season_id=season_id,
            problem=problem,
            plan=outcome.plan,
            kind="solve",
            violations=[],
        )
        return row.id


def test_api_reads_and_edits_with_the_road_cache(
    grid_cache: Path,
    grid_season: tuple[Database, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With ``roads_cache`` set, the API's KPIs drive on the road graph, and a dry-run move
    is re-timed and judged with the same provider object the job worker uses: its routes'
    depot times are those of the edit on roads, not on the offline estimate."""
    database, season_id = grid_season
    roads = PlanningSettings(roads_cache=grid_cache).travel()
    plan_id = _solved_version(database, season_id, roads)
    problem, plan = stored_plan(database, plan_id)
    used: list[TravelTimes | None] = []
    real_move = move_stop

    def spy(*args: Any, travel: TravelTimes | None = None, **kwargs: Any) -> Any:
        used.append(travel)
        return real_move(*args, travel=travel, **kwargs)

    monkeypatch.setattr("scheduler.api.plans.move_stop", spy)
    settings = Settings(
        data_dir=tmp_path / "var",
        database_url=database.url,
        roads_cache=grid_cache,
        published_ttl_s=0,
    )
    with TestClient(create_app(settings)) as client:
        token = client.post(
            "/api/auth/token", data={"username": "grid-planner", "password": PASSWORD}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        read = client.get(f"/api/plans/{plan_id}", headers=headers)
        assert read.status_code == 200, read.text
        kpi_h = read.json()["kpis"]["driving_h"]
        assert kpi_h == pytest.approx(driving_h(problem, plan, roads), abs=0.01)
        assert kpi_h != pytest.approx(driving_h(problem, plan, OfflineTravelTimes()), abs=0.01)

        route = next(r for r in plan.routes if r.stops)
        other_day = next(day for day in problem.days if day != route.day)
        move = {
            "truck_id": route.truck_id,
            "day": route.day.isoformat(),
            "venue_id": route.stops[-1].venue_id,
            "to_truck_id": route.truck_id,
            "to_day": other_day.isoformat(),
            "to_position": 0,
            "dry_run": True,
        }
        answer = client.post(f"/api/plans/{plan_id}/moves", json=move, headers=headers)
        assert answer.status_code == 200, answer.text
    assert len(used) == 1 and used[0] is roads
    edit = {k: move[k] for k in ("truck_id", "venue_id", "to_truck_id", "to_position")} | {
        "day": route.day,
        "to_day": other_day,
    }
    on_roads = move_stop(problem, plan, travel=roads, **edit)  # type: ignore[arg-type]
    offline = move_stop(problem, plan, travel=OfflineTravelTimes(), **edit)  # type: ignore[arg-type]
    body = answer.json()
    assert body["valid"] == (on_roads.violations == [])

    def times(routes: list[Any]) -> list[datetime]:
        return [t for r in routes for t in (r.depot_departure, r.depot_return)]

    answered = [
        datetime.fromisoformat(r[key])
        for r in body["changed_routes"]
        for key in ("depot_departure", "depot_return")
    ]
    expected = times([r for r in on_roads.plan.routes if (r.truck_id, r.day) in on_roads.changed])
    alternative = times([r for r in offline.plan.routes if (r.truck_id, r.day) in offline.changed])
    assert answered == expected
    assert answered != alternative


# --- start-up ----------------------------------------------------------------------------


def _serve_must_not_start(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the server started")

    monkeypatch.setattr("scheduler.serve.uvicorn.run", refuse)


@pytest.mark.usefixtures("fresh_settings")
def test_serve_refuses_a_missing_road_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``scheduler serve`` with a road cache that does not exist stops before serving, with
    exit 2 and a message naming the file, never a traceback."""
    _serve_must_not_start(monkeypatch)
    monkeypatch.setenv("SCHEDULER_ROADS_CACHE", str(tmp_path / "none.npz"))
    result = runner.invoke(cli_app, ["serve"])
    assert_clean_exit(result, 2)
    assert "road cache" in flat(result) and "none.npz" in flat(result)


@pytest.mark.usefixtures("fresh_settings")
def test_serve_refuses_a_bad_osrm_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """An OSRM URL that is not http(s) stops ``scheduler serve`` with a message naming the
    variable; a server that does not answer stops it with the travel error."""
    _serve_must_not_start(monkeypatch)
    monkeypatch.setenv("SCHEDULER_OSRM_URL", "osrm:5000")
    result = runner.invoke(cli_app, ["serve"])
    assert_clean_exit(result, 2)
    assert "SCHEDULER_OSRM_URL" in flat(result) and "http(s)" in flat(result)
    get_settings.cache_clear()
    monkeypatch.setenv("SCHEDULER_OSRM_URL", "http://127.0.0.1:9")
    result = runner.invoke(cli_app, ["serve"])
    assert_clean_exit(result, 2)
    assert "127.0.0.1:9" in flat(result)


# --- solve workers -----------------------------------------------------------------------


def _spy_solve(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record ``SolveParams.workers`` of every solve (the real solve still runs)."""
    workers: list[int] = []
    real = getattr(planning, "solve")  # noqa: B009 (not in __all__)

    def spy(problem: Problem, travel: TravelTimes, params: Any, *args: Any, **kw: Any) -> Any:
        workers.append(params.workers)
        return real(problem, travel, params, *args, **kw)

    monkeypatch.setattr(planning, "solve", spy)
    return workers


@pytest.mark.usefixtures("fresh_settings")
def test_cli_plan_workers_reach_the_solver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``plan --workers 1`` solves with one worker; without the option the solve uses
    ``SCHEDULER_SOLVE_WORKERS``."""
    workers = _spy_solve(monkeypatch)
    scenario, out = grid_scenario(tmp_path / "grid.json"), tmp_path / "plan.json"
    args = ["plan", str(scenario), "--out", str(out), "--time-limit", "1"]
    assert_clean_exit(runner.invoke(cli_app, [*args, "--workers", "1"]), 0)
    monkeypatch.setenv("SCHEDULER_SOLVE_WORKERS", "3")
    get_settings.cache_clear()
    assert_clean_exit(runner.invoke(cli_app, args), 0)
    assert workers == [1, 3]


@pytest.mark.usefixtures("fresh_settings")
def test_zero_workers_are_refused_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--workers 0`` and ``SCHEDULER_SOLVE_WORKERS=0`` end with exit 2 and a message
    naming the option or variable, before any solve; the settings, ``PlanningSettings``
    and ``plan_problem`` refuse 0 too."""
    workers = _spy_solve(monkeypatch)
    scenario, out = grid_scenario(tmp_path / "grid.json"), tmp_path / "plan.json"
    args = ["plan", str(scenario), "--out", str(out), "--time-limit", "1"]
    option = runner.invoke(cli_app, [*args, "--workers", "0"])
    assert_clean_exit(option, 2)
    assert "Invalid value for '--workers'" in flat(option)
    assert "greater than or equal to 1" in flat(option)
    monkeypatch.setenv("SCHEDULER_SOLVE_WORKERS", "0")
    get_settings.cache_clear()
    setting = runner.invoke(cli_app, args)
    assert_clean_exit(setting, 2)
    assert "SCHEDULER_SOLVE_WORKERS" in flat(setting) and "greater than or equal to 1" in flat(
        setting
    )
    assert workers == []
    with pytest.raises(ValidationError, match="solve_workers"):
        Settings(solve_workers=0)
    with pytest.raises(InvalidProblem, match="SCHEDULER_SOLVE_WORKERS"):
        get_settings()
    with pytest.raises(InvalidProblem, match="solve_workers"):
        PlanningSettings(solve_workers=0)
    with pytest.raises(InvalidProblem, match="workers: must be 1 or more"):
        planning.plan_problem(load_scenario(scenario), workers=0)
