"""Solving as a job: the API (start, follow, list, cancel), the worker (``run_job``: locks kept,
one transaction per plan, failures recorded), and the in-process backend (a solve in another
process, recovery after a restart, shutdown). Real solves use the 3-day demo season and
limits of a few seconds, except the cancel test, which needs many planning windows.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler.app import create_app
from scheduler.config import Settings
from scheduler.db.catalogue import import_scenario
from scheduler.db.engine import Database
from scheduler.db.plans import get_plan_row, load_plan
from scheduler.db.tables import AuditEntry, Job, PlanRow, RouteRow, Season
from scheduler.db.types import utcnow
from scheduler.demo import demo_problem
from scheduler.domain import Route, UnservedReason
from scheduler.jobs import worker
from scheduler.jobs.backends import (
    INTERRUPTED,
    SHUT_DOWN,
    InProcessQueue,
    plan_demo_if_unplanned,
    recover_interrupted,
    stop_background,
)
from scheduler.jobs.worker import run_job
from scheduler.planning import check_plan
from scheduler.schemas import scenario_from_problem

from conftest import Seeded, login

SOLVE_TIMEOUT_S = 60


class FakeQueue:
    """A queue that keeps what it is given and runs nothing (jobs stay queued)."""

    name = "fake"

    def __init__(self) -> None:
        self.submitted: list[str] = []
        self.cancelled: list[str] = []

    def submit(self, job_id: str) -> None:
        self.submitted.append(job_id)

    def cancel(self, job_id: str) -> None:
        self.cancelled.append(job_id)

    def health(self) -> tuple[bool, str]:
        return True, "fake"

    def shutdown(self) -> None:
        pass


@pytest.fixture
def fake_queue() -> FakeQueue:
    return FakeQueue()


@pytest.fixture
def fake_client(settings: Settings, seeded: Seeded, fake_queue: FakeQueue) -> Iterator[TestClient]:
    """A client whose jobs are queued but never run."""
    with TestClient(create_app(settings, queue=fake_queue)) as client:
        yield client


def wait_for_job(
    client: TestClient,
    headers: dict[str, str],
    job_id: str,
    until: Any = lambda job: job["state"] in ("done", "failed", "cancelled"),
    timeout_s: float = SOLVE_TIMEOUT_S,
) -> dict[str, Any]:
    """Poll ``GET /api/jobs/{id}`` until ``until(job)``; the job."""
    deadline = time.monotonic() + timeout_s
    while True:
        response = client.get(f"/api/jobs/{job_id}", headers=headers)
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if until(job):
            return job
        assert time.monotonic() < deadline, f"job still {job['state']}: {job}"
        time.sleep(0.1)


def plan_count(database: Database, season_id: int) -> int:
    with database.session() as session:
        query = select(func.count()).where(PlanRow.season_id == season_id)
        return int(session.scalar(query) or 0)


def audit_actions(session: Session, entity: str) -> list[str]:
    query = select(AuditEntry.action).where(AuditEntry.entity == entity).order_by(AuditEntry.id)
    return list(session.scalars(query))


def add_job(database: Database, season_id: int, **fields: Any) -> str:
    """Store a queued in-process job directly (no one-job-per-season check); its id."""
    values = {"backend": "inprocess", "time_limit_s": 2.0, "state": "queued", **fields}
    job = Job(id=uuid.uuid4().hex, season_id=season_id, created_at=utcnow(), **values)
    with database.session() as session:
        session.add(job)
    return job.id


# --- the API with a real in-process solve -------------------------------------------------


def test_solve_job_end_to_end(
    client: TestClient, planner: dict[str, str], seeded: Seeded, database: Database
) -> None:
    """POST starts a solve in another process and answers 202 at once; while it runs the API
    keeps answering (health within a second); it ends done with version 2 (parent: version 1)
    that the validator passes, progress and objective reported, start and solve audited."""
    response = client.post(
        f"/api/seasons/{seeded.season_id}/plans", json={"time_limit_s": 3}, headers=planner
    )
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["state"] == "queued" and job["season_id"] == seeded.season_id
    assert job["base_plan_id"] == seeded.plan_id and job["time_limit_s"] == 3
    assert job["backend"] == "inprocess" and job["plan_id"] is None
    assert response.headers["Location"] == f"/api/jobs/{job['id']}"
    assert job["created_at"].endswith("+03:00")

    health_s: list[float] = []
    deadline = time.monotonic() + SOLVE_TIMEOUT_S
    while (state := client.get(f"/api/jobs/{job['id']}", headers=planner).json())["state"] in (
        "queued",
        "running",
    ):
        assert time.monotonic() < deadline
        if state["state"] == "running":
            started = time.monotonic()
            health = client.get("/api/health")
            health_s.append(time.monotonic() - started)
            assert health.status_code == 200 and health.json()["jobs"]["ok"] is True
        time.sleep(0.05)
    assert health_s, "the job was never seen running"
    assert max(health_s) < 1.0

    done = wait_for_job(client, planner, job["id"])
    assert done["state"] == "done", done
    assert done["error"] == "" and done["cancel_requested"] is False
    assert done["windows_total"] > 0 and done["windows_done"] == done["windows_total"]
    assert done["best_objective"] > 0 and 0 < done["elapsed_s"] < SOLVE_TIMEOUT_S
    assert done["started_at"] is not None and done["finished_at"] is not None

    with database.session() as session:
        row = get_plan_row(session, done["plan_id"])
        stored = load_plan(row)
        assert (row.number, row.parent_id, row.kind, row.draft) == (
            2,
            seeded.plan_id,
            "solve",
            False,
        )
        assert row.violations == [] and row.published_at is None
        assert check_plan(stored.problem, stored.plan) == []
        assert row.objective == pytest.approx(done["best_objective"])
        assert audit_actions(session, "job") == ["start"]
        assert audit_actions(session, "plan") == ["solve"]
        season = session.get(Season, seeded.season_id)
        assert season is not None and season.published_plan_id == seeded.plan_id


def test_publish_when_clean(
    database: Database, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job with ``publish`` publishes its clean plan in the same transaction (season's
    published version, ``published_at``, audit)."""
    monkeypatch.setattr(worker, "plan_problem", _reuse(seeded))
    job_id = add_job(database, seeded.season_id, base_plan_id=seeded.plan_id, publish=True)
    run_job(job_id, database.url)
    with database.session() as session:
        job = session.get(Job, job_id)
        assert job is not None and job.state == "done" and job.plan_id is not None
        season = session.get(Season, seeded.season_id)
        assert season is not None and season.published_plan_id == job.plan_id
        row = session.get(PlanRow, job.plan_id)
        assert row is not None and row.published_at is not None and not row.draft
        assert audit_actions(session, "plan") == ["solve", "publish"]


def _reuse(seeded: Seeded) -> Any:
    """A stand-in for ``plan_problem`` that returns the seeded plan (no solver run)."""
    from scheduler.planning import PlanOutcome

    def plan_problem(problem: Any, **_: Any) -> PlanOutcome:
        return PlanOutcome(seeded.plan, [])

    return plan_problem


def test_cancel_running_job_keeps_a_draft(
    client: TestClient, planner: dict[str, str], database: Database
) -> None:
    """Cancelling a running solve (14 one-day windows, 30 s budget) after its first window:
    202 with cancel_requested, then the job ends cancelled well before its limit with a draft
    version whose unplanned venues say ``not_planned``; the cancel is audited."""
    problem = demo_problem(days=14)
    problem = replace(problem, rules=replace(problem.rules, window_days=1))
    with database.session() as session:
        scenario = scenario_from_problem(problem).model_copy(update={"name": "14 days"})
        season_id = import_scenario(session, scenario).id
    response = client.post(
        f"/api/seasons/{season_id}/plans", json={"time_limit_s": 30}, headers=planner
    )
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    assert response.json()["base_plan_id"] is None
    running = wait_for_job(client, planner, job_id, lambda job: job["windows_done"] >= 1)
    assert running["state"] == "running" and running["windows_total"] == 14

    response = client.delete(f"/api/jobs/{job_id}", headers=planner)
    assert response.status_code == 202, response.text
    assert response.json()["cancel_requested"] is True
    assert response.json()["state"] in ("running", "cancelled")

    ended = wait_for_job(client, planner, job_id)
    assert ended["state"] == "cancelled", ended
    assert ended["plan_id"] is not None and ended["windows_done"] < 14
    assert ended["elapsed_s"] < 20
    with database.session() as session:
        row = get_plan_row(session, ended["plan_id"])
        assert row.draft is True and row.kind == "solve" and row.parent_id is None
        reasons = {u.reason for u in row.unserved}
        assert UnservedReason.NOT_PLANNED.value in reasons
        assert audit_actions(session, "job") == ["start", "cancel"]
    response = client.delete(f"/api/jobs/{job_id}", headers=planner)
    assert response.status_code == 409


# --- the API without solving (a queue that runs nothing) ---------------------------------


def test_cancel_queued_job(
    fake_client: TestClient, fake_queue: FakeQueue, seeded: Seeded, database: Database
) -> None:
    """A queued job is cancelled at once (202, state cancelled, the queue told); a worker that
    picks it up later does nothing; cancelling again is 409; start and cancel are audited."""
    headers = login(fake_client, "planner")
    response = fake_client.post(f"/api/seasons/{seeded.season_id}/plans", headers=headers)
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    assert fake_queue.submitted == [job_id]
    assert response.json()["time_limit_s"] == 5  # the settings' default

    response = fake_client.delete(f"/api/jobs/{job_id}", headers=headers)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["state"] == "cancelled" and body["finished_at"] is not None
    assert body["plan_id"] is None and fake_queue.cancelled == [job_id]

    run_job(job_id, database.url)
    with database.session() as session:
        job = session.get(Job, job_id)
        assert job is not None and job.state == "cancelled" and job.started_at is None
        assert audit_actions(session, "job") == ["start", "cancel"]
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "cancel")).one()
        assert entry.user_name == "planner" and entry.after == {
            "state": "cancelled",
            "cancel_requested": False,
        }
    assert plan_count(database, seeded.season_id) == 1

    response = fake_client.delete(f"/api/jobs/{job_id}", headers=headers)
    assert response.status_code == 409
    assert "already cancelled" in response.json()["detail"]


def test_second_job_for_a_season_conflicts(
    fake_client: TestClient, fake_queue: FakeQueue, seeded: Seeded
) -> None:
    """While a season's job is queued, another start is 409 and queues nothing; once it is
    cancelled a new one starts."""
    headers = login(fake_client, "planner")
    url = f"/api/seasons/{seeded.season_id}/plans"
    first = fake_client.post(url, headers=headers)
    assert first.status_code == 202
    second = fake_client.post(url, json={"time_limit_s": 10}, headers=headers)
    assert second.status_code == 409
    assert first.json()["id"] in second.json()["detail"]
    assert len(fake_queue.submitted) == 1
    assert fake_client.delete(f"/api/jobs/{first.json()['id']}", headers=headers).status_code == 202
    third = fake_client.post(url, headers=headers)
    assert third.status_code == 202 and third.json()["id"] != first.json()["id"]


def test_simultaneous_starts_make_one_job(
    fake_client: TestClient, fake_queue: FakeQueue, seeded: Seeded, database: Database
) -> None:
    """Four starts for one season at the same moment: exactly one job (202), three 409."""
    headers = login(fake_client, "planner")
    url = f"/api/seasons/{seeded.season_id}/plans"
    with ThreadPoolExecutor(max_workers=4) as pool:
        codes = sorted(
            pool.map(lambda _: fake_client.post(url, headers=headers).status_code, range(4))
        )
    assert codes == [202, 409, 409, 409]
    assert len(fake_queue.submitted) == 1
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Job)) == 1


def test_start_refusals(fake_client: TestClient, seeded: Seeded, database: Database) -> None:
    """404 for an unknown season or a base plan that is not the season's; 422 naming the
    field for a bad body or a season that cannot be planned; 401 anonymous, 403 driver;
    nothing is stored for any of them."""
    headers = login(fake_client, "planner")
    url = f"/api/seasons/{seeded.season_id}/plans"
    assert fake_client.post("/api/seasons/999/plans", headers=headers).status_code == 404
    for body, field in (
        ({"time_limit_s": 0}, "time_limit_s"),
        ({"time_limit_s": 3601}, "time_limit_s"),
        ({"publish": "maybe"}, "publish"),
    ):
        response = fake_client.post(url, json=body, headers=headers)
        assert response.status_code == 422, body
        assert response.json()["detail"][0]["loc"] == ["body", field]
    response = fake_client.post(url, json={"base_plan_id": 999}, headers=headers)
    assert response.status_code == 404
    assert response.json()["detail"] == (
        f"base_plan_id: plan 999 is not a version of season {seeded.season_id}"
    )
    assert fake_client.post(url).status_code == 401
    assert fake_client.post(url, headers=login(fake_client, "driver1")).status_code == 403

    with database.session() as session:
        season = session.get(Season, seeded.season_id)
        assert season is not None
        season.truck_ids = []
    response = fake_client.post(url, headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "season", "trucks"]
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Job)) == 0


def test_follow_and_list_jobs(fake_client: TestClient, seeded: Seeded, database: Database) -> None:
    """GET one job (404 unknown, 422 malformed id) and the list: newest first, filtered by
    season and state, limited; drivers may not look."""
    headers = login(fake_client, "planner")
    older = add_job(database, seeded.season_id)
    with database.session() as session:
        job = session.get(Job, older)
        assert job is not None
        job.state, job.finished_at = "failed", utcnow()
    newer = fake_client.post(f"/api/seasons/{seeded.season_id}/plans", headers=headers).json()

    listed = fake_client.get("/api/jobs", headers=headers).json()
    assert [j["id"] for j in listed] == [newer["id"], older]
    by_state = fake_client.get("/api/jobs?state=failed", headers=headers).json()
    assert [j["id"] for j in by_state] == [older]
    assert fake_client.get("/api/jobs?season_id=999", headers=headers).json() == []
    assert len(fake_client.get("/api/jobs?limit=1", headers=headers).json()) == 1
    assert fake_client.get("/api/jobs?state=lost", headers=headers).status_code == 422
    assert fake_client.get("/api/jobs?limit=0", headers=headers).status_code == 422

    one = fake_client.get(f"/api/jobs/{older}", headers=headers)
    assert one.status_code == 200 and one.json()["state"] == "failed"
    assert one.json()["elapsed_s"] == 0.0
    assert fake_client.get(f"/api/jobs/{'0' * 32}", headers=headers).status_code == 404
    assert fake_client.get("/api/jobs/not-a-job", headers=headers).status_code == 422
    driver = login(fake_client, "driver1")
    assert fake_client.get(f"/api/jobs/{older}", headers=driver).status_code == 403
    assert fake_client.get("/api/jobs").status_code == 401


# --- the worker ------------------------------------------------------------------------


def test_locks_carry_over(database: Database, seeded: Seeded) -> None:
    """A route locked in version 1 and a stop locked on another truck-day are in the new
    version exactly as they were, still locked; the new plan passes the validator."""
    with database.session() as session:
        routes = session.scalars(
            select(RouteRow)
            .where(RouteRow.plan_id == seeded.plan_id)
            .order_by(RouteRow.day, RouteRow.truck_id)
        ).all()
        with_stops = [r for r in routes if r.stops]
        whole, partly = with_stops[0], with_stops[-1]
        assert (whole.truck_id, whole.day) != (partly.truck_id, partly.day)
        whole.locked = True
        partly.stops[0].locked = True
        locked_route = (whole.truck_id, whole.day)
        locked_stop = (partly.truck_id, partly.day, partly.stops[0].venue_id)
    before = load_plan(_plan_row(database, seeded.plan_id))

    job_id = add_job(database, seeded.season_id, base_plan_id=seeded.plan_id, time_limit_s=3)
    run_job(job_id, database.url)

    with database.session() as session:
        job = session.get(Job, job_id)
        assert job is not None and job.state == "done", job.error if job else None
        after = load_plan(get_plan_row(session, job.plan_id or 0))
    assert after.parent_id == seeded.plan_id and after.violations == []
    assert after.locked_routes == {locked_route}
    assert after.locked_stops == {locked_stop}
    assert _route(after.plan.routes, locked_route) == _route(before.plan.routes, locked_route)
    old_stop = _stop(before.plan.routes, locked_stop)
    assert _stop(after.plan.routes, locked_stop) == old_stop


def _plan_row(database: Database, plan_id: int) -> PlanRow:
    with database.session() as session:
        return get_plan_row(session, plan_id)


def _route(routes: tuple[Route, ...], key: tuple[Any, ...]) -> Route:
    return next(r for r in routes if (r.truck_id, r.day) == key)


def _stop(routes: tuple[Route, ...], key: tuple[Any, ...]) -> Any:
    route = _route(routes, key[:2])
    return next(s for s in route.stops if s.venue_id == key[2])


def test_lock_that_no_longer_fits_fails_the_job(database: Database, seeded: Seeded) -> None:
    """A locked route of a truck the season no longer has fails the job with a message
    naming the truck-day; no plan is written."""
    with database.session() as session:
        route = session.scalars(
            select(RouteRow).where(RouteRow.plan_id == seeded.plan_id).order_by(RouteRow.id)
        ).first()
        assert route is not None
        route.locked = True
        truck_id, day = route.truck_id, route.day
        season = session.get(Season, seeded.season_id)
        assert season is not None
        season.truck_ids = [t for t in season.truck_ids if t != truck_id]
    job_id = add_job(database, seeded.season_id, base_plan_id=seeded.plan_id)
    run_job(job_id, database.url)
    with database.session() as session:
        job = session.get(Job, job_id)
        assert job is not None and job.state == "failed" and job.plan_id is None
        assert f"locked truck-day {truck_id} on {day}" in job.error
        assert "no longer fit" in job.error and job.finished_at is not None
    assert plan_count(database, seeded.season_id) == 1


def test_crash_during_plan_write_leaves_nothing(
    database: Database, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash after the plan's rows were added (before the commit) fails the job and leaves
    no new version, no routes of it, and the job without a plan."""
    real_write = worker.write_plan

    def write_then_crash(session: Session, **kwargs: Any) -> PlanRow:
        row = real_write(session, **kwargs)
        assert session.get(PlanRow, row.id) is not None  # rows are in the transaction
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(worker, "write_plan", write_then_crash)
    monkeypatch.setattr(worker, "plan_problem", _reuse(seeded))
    with database.session() as session:
        routes_before = session.scalar(select(func.count()).select_from(RouteRow))
    job_id = add_job(database, seeded.season_id, base_plan_id=seeded.plan_id)
    run_job(job_id, database.url)
    with database.session() as session:
        job = session.get(Job, job_id)
        assert job is not None and job.state == "failed" and job.plan_id is None
        assert "disk on fire" in job.error and "RuntimeError" in job.error
        assert session.scalar(select(func.count()).select_from(RouteRow)) == routes_before
        assert audit_actions(session, "plan") == []
    assert plan_count(database, seeded.season_id) == 1


# --- the in-process backend --------------------------------------------------------------


def test_restart_fails_interrupted_jobs(seeded: Seeded, database: Database) -> None:
    """At start-up, in-process jobs a previous server left queued or running fail with
    "interrupted by a server restart"; finished jobs and Celery jobs are left alone, and no
    plan appears."""
    running = add_job(database, seeded.season_id, state="running", started_at=utcnow())
    queued = add_job(database, seeded.season_id)
    celery = add_job(database, seeded.season_id, backend="celery")
    done = add_job(database, seeded.season_id, state="done", finished_at=utcnow())
    recover_interrupted(database)
    with database.session() as session:
        states = {j.id: (j.state, j.error) for j in session.scalars(select(Job))}
        finished = session.scalars(select(Job.finished_at).where(Job.id == running)).one()
    assert states[running] == ("failed", INTERRUPTED) and finished is not None
    assert states[queued] == ("failed", INTERRUPTED)
    assert states[celery] == ("queued", "")
    assert states[done] == ("done", "")
    assert plan_count(database, seeded.season_id) == 1


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)  # `make run`'s database
def test_plan_demo_if_unplanned(settings: Settings, seeded: Seeded, database: Database) -> None:
    """``scheduler serve --demo`` starts one solve of an unplanned season in the background
    (none for a season with a plan or a job in progress); it ends done with a published,
    clean version 1."""
    settings = settings.model_copy(update={"solve_time_limit_s": 2})
    assert plan_demo_if_unplanned(database, settings, seeded.season_id) is None
    with database.session() as session:
        scenario = scenario_from_problem(demo_problem(days=3))
        season_id = import_scenario(session, scenario.model_copy(update={"name": "new"})).id
    try:
        job_id = plan_demo_if_unplanned(database, settings, season_id)
        assert job_id is not None
        assert plan_demo_if_unplanned(database, settings, season_id) is None
        deadline = time.monotonic() + SOLVE_TIMEOUT_S
        while _state(database, job_id) in ("queued", "running"):
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        stop_background()
    with database.session() as session:
        job = session.get(Job, job_id)
        assert job is not None and (job.state, job.publish, job.created_by) == ("done", True, None)
        season = session.get(Season, season_id)
        assert season is not None and season.published_plan_id == job.plan_id
        row = get_plan_row(session, job.plan_id or 0)
        assert (row.number, row.draft, row.violations) == (1, False, [])
        assert row.published_at is not None
        assert audit_actions(session, "job") == ["start"]
        assert audit_actions(session, "plan") == ["solve", "publish"]


def test_shutdown_stops_a_running_solve(database: Database, seeded: Seeded) -> None:
    """Shutting the in-process queue down ends its solver process; the job fails (the
    server shut down) and no plan is written."""
    queue = InProcessQueue(database.url, workers=1)
    job_id = add_job(database, seeded.season_id, time_limit_s=60)
    try:
        queue.submit(job_id)
        assert queue.health()[0] is True
        deadline = time.monotonic() + SOLVE_TIMEOUT_S
        while _state(database, job_id) == "queued":
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        queue.shutdown()
    with database.session() as session:
        job = session.get(Job, job_id)
        assert job is not None and (job.state, job.error) == ("failed", SHUT_DOWN)
    assert queue.health() == (False, "shut down")
    with pytest.raises(RuntimeError):
        queue.submit(job_id)
    assert plan_count(database, seeded.season_id) == 1


def _state(database: Database, job_id: str) -> str:
    with database.session() as session:
        return str(session.scalar(select(Job.state).where(Job.id == job_id)))


SERVER = """
import sys, time
from scheduler.jobs.backends import InProcessQueue

InProcessQueue(sys.argv[1]).submit(sys.argv[2])
time.sleep(600)
"""


def _children(pid: int) -> list[int]:
    """Ids of the processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_killed_server_leaves_no_solver_behind(database: Database, seeded: Seeded) -> None:
    """A server process killed outright (no shutdown) takes its solver process with it
    within seconds; its job stays running until the next start-up fails it, with no plan."""
    job_id = add_job(database, seeded.season_id, time_limit_s=60)
    server = subprocess.Popen([sys.executable, "-c", SERVER, database.url, job_id])
    try:
        deadline = time.monotonic() + SOLVE_TIMEOUT_S
        while _state(database, job_id) == "queued":
            assert time.monotonic() < deadline and server.poll() is None
            time.sleep(0.05)
        solvers = _children(server.pid)
        assert solvers
    finally:
        server.kill()
        server.wait()
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in solvers):
        assert time.monotonic() < deadline, "a solver process outlived its server"
        time.sleep(0.1)
    assert _state(database, job_id) == "running"
    recover_interrupted(database)
    assert _state(database, job_id) == "failed"
    assert plan_count(database, seeded.season_id) == 1
