"""The Celery backend: one real solve through a real Celery worker on the local Redis
(127.0.0.1:6379, which ``.ci/run`` starts; a missing Redis fails these tests, never skips
them), the broker health check, and a broker that is down.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery_worker import worker_process
from fastapi.testclient import TestClient
from sqlalchemy import select
from test_jobs import wait_for_job

from scheduler.app import create_app
from scheduler.config import Settings
from scheduler.db.engine import Database
from scheduler.db.plans import get_plan_row, load_plan
from scheduler.db.tables import Job
from scheduler.jobs.backends import CeleryQueue, InProcessQueue, make_queue
from scheduler.planning import check_plan

from conftest import Seeded, login

REDIS_URL = "redis://127.0.0.1:6379/11"
DEAD_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis() -> str:
    """The local Redis, which must be running."""
    ok, detail = CeleryQueue(REDIS_URL).health()
    assert ok, f"Redis at {REDIS_URL} is required (.ci/run starts it): {detail}"
    return REDIS_URL


@pytest.fixture
def celery_worker(tmp_path: Path, database: Database, redis: str) -> Iterator[str]:
    """A Celery worker process on the test database, consuming a queue of its own (its
    name is yielded); terminated after the test."""
    queue = f"test-{uuid.uuid4().hex}"
    env = {
        "SCHEDULER_BROKER_URL": redis,
        "SCHEDULER_DATABASE_URL": database.url,
        "SCHEDULER_DATA_DIR": str(tmp_path / "worker"),
    }
    with worker_process(queue, env, tmp_path / "worker.log"):
        yield queue


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)  # the scale-out set-up
def test_solve_through_a_celery_worker(
    settings: Settings, seeded: Seeded, database: Database, celery_worker: str
) -> None:
    """With a broker configured, POST queues the solve on Celery; a real worker runs it and
    the job ends done with version 2 (parent: version 1) that the validator passes."""
    with_broker = settings.model_copy(update={"broker_url": REDIS_URL})
    queue = CeleryQueue(REDIS_URL, queue=celery_worker)
    with TestClient(create_app(with_broker, queue=queue)) as client:
        jobs = client.get("/api/health").json()["jobs"]
        assert jobs["ok"] is True and jobs["detail"].startswith("celery: broker reachable")
        headers = login(client, "planner")
        response = client.post(
            f"/api/seasons/{seeded.season_id}/plans", json={"time_limit_s": 3}, headers=headers
        )
        assert response.status_code == 202, response.text
        assert response.json()["backend"] == "celery"
        job = wait_for_job(client, headers, response.json()["id"], timeout_s=120)
    assert job["state"] == "done", job
    assert job["windows_total"] > 0 and job["best_objective"] > 0
    with database.session() as session:
        row = get_plan_row(session, job["plan_id"])
        stored = load_plan(row)
    assert (row.number, row.parent_id, row.draft, row.violations) == (2, seeded.plan_id, False, [])
    assert check_plan(stored.problem, stored.plan) == []


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_broker_down(settings: Settings, seeded: Seeded, database: Database) -> None:
    """With the broker unreachable, health says so within a few seconds and a start answers
    503; the job is stored as failed, so it does not block the season."""
    queue = CeleryQueue(DEAD_BROKER)
    started = time.monotonic()
    ok, detail = queue.health()
    assert not ok and "unreachable" in detail and time.monotonic() - started < 5
    with TestClient(create_app(settings, queue=queue)) as client:
        health = client.get("/api/health").json()
        assert health["status"] == "degraded" and health["jobs"]["ok"] is False
        headers = login(client, "planner")
        response = client.post(f"/api/seasons/{seeded.season_id}/plans", headers=headers)
        assert response.status_code == 503
        assert "cannot take jobs" in response.json()["detail"]
    with database.session() as session:
        job = session.scalars(select(Job)).one()
        assert job.state == "failed" and "could not be queued" in job.error


def test_make_queue_follows_the_settings(tmp_path: Path, redis: str) -> None:
    """No broker: the in-process pool (with the configured worker count); a broker URL:
    Celery on it, healthy when Redis answers."""
    settings = Settings(data_dir=tmp_path, broker_url=None, job_workers=2)
    inprocess = make_queue(settings, "sqlite://")
    assert isinstance(inprocess, InProcessQueue) and inprocess.workers == 2
    inprocess.shutdown()
    celery = make_queue(settings.model_copy(update={"broker_url": redis}), "sqlite://")
    assert isinstance(celery, CeleryQueue) and celery.name == "celery"
    assert celery.health() == (True, "broker reachable, queue scheduler")
    celery.shutdown()
