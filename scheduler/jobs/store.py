"""Solve jobs in the database: create, read, list, cancel, and the state changes workers make.

A job's state lives only here (the queue carries nothing but its id): ``queued -> running ->
done | failed | cancelled``. State changes that race with another process (a cancel against
a worker starting or finishing) are single conditional ``UPDATE`` statements, so exactly one
side wins on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from scheduler.db.audit import record
from scheduler.db.plans import lock_season
from scheduler.db.tables import Job, User
from scheduler.db.types import utcnow
from scheduler.errors import Conflict, NotFound

__all__ = [
    "ACTIVE",
    "elapsed_s",
    "fail_jobs",
    "get_job",
    "list_jobs",
    "request_cancel",
    "start_job",
    "update_job",
]

ACTIVE = ("queued", "running")
"""States of a job that has not ended."""

ERROR_CHARS = 2000
"""Longest stored error message."""


def get_job(session: Session, job_id: str) -> Job:
    """The job, or NotFound."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"job {job_id} does not exist")
    return job


def list_jobs(
    session: Session, *, season_id: int | None = None, state: str | None = None, limit: int = 50
) -> list[Job]:
    """Jobs, newest first, optionally of one season and in one state."""
    query = select(Job).order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)
    if season_id is not None:
        query = query.where(Job.season_id == season_id)
    if state is not None:
        query = query.where(Job.state == state)
    return list(session.scalars(query))


def start_job(
    session: Session,
    *,
    season_id: int,
    backend: str,
    time_limit_s: float,
    base_plan_id: int | None = None,
    publish: bool = False,
    user: User | None = None,
) -> Job:
    """Add a queued job and its audit entry; Conflict when the season already has a queued
    or running job (the season is locked first, so two starts cannot both pass the check)."""
    lock_season(session, season_id)
    active = session.scalar(
        select(Job.id).where(Job.season_id == season_id, Job.state.in_(ACTIVE)).limit(1)
    )
    if active is not None:
        raise Conflict(
            f"season {season_id} already has a solve in progress (job {active}): "
            "wait for it or cancel it"
        )
    job = Job(
        id=uuid.uuid4().hex,
        season_id=season_id,
        base_plan_id=base_plan_id,
        state="queued",
        backend=backend,
        time_limit_s=time_limit_s,
        publish=publish,
        created_by=user.id if user is not None else None,
        created_at=utcnow(),
    )
    session.add(job)
    session.flush()
    record(
        session,
        user=user,
        action="start",
        entity="job",
        entity_id=job.id,
        after={
            "season_id": season_id,
            "base_plan_id": base_plan_id,
            "time_limit_s": time_limit_s,
            "publish": publish,
        },
    )
    return job


def update_job(session: Session, job_id: str, *, states: tuple[str, ...], **values: Any) -> bool:
    """Set ``values`` on the job if it is in one of ``states``; True if it was."""
    query = update(Job).where(Job.id == job_id, Job.state.in_(states)).values(**values)
    return bool(session.execute(query).rowcount)  # type: ignore[attr-defined]


def request_cancel(session: Session, job_id: str, *, user: User | None) -> Job:
    """Cancel a job, audited: a queued one is cancelled at once, a running one is asked to
    stop (it ends ``cancelled`` and keeps its best plan as a draft). Conflict for a job that
    has ended. Returns the job as it is now."""
    job = get_job(session, job_id)
    if update_job(session, job_id, states=("queued",), state="cancelled", finished_at=utcnow()):
        before = "queued"
    elif update_job(session, job_id, states=("running",), cancel_requested=True):
        before = "running"
    else:
        session.refresh(job)
        raise Conflict(f"job {job_id} is already {job.state}: there is nothing to cancel")
    session.refresh(job)
    record(
        session,
        user=user,
        action="cancel",
        entity="job",
        entity_id=job_id,
        before={"state": before},
        after={"state": job.state, "cancel_requested": job.cancel_requested},
    )
    return job


def fail_jobs(
    session: Session,
    *,
    error: str,
    job_ids: list[str] | None = None,
    backend: str | None = None,
) -> list[str]:
    """Mark queued or running jobs failed with ``error`` (those in ``job_ids``, or every one
    of ``backend``, or every one); the ids that were marked."""
    query = select(Job.id).where(Job.state.in_(ACTIVE))
    if job_ids is not None:
        query = query.where(Job.id.in_(job_ids))
    if backend is not None:
        query = query.where(Job.backend == backend)
    marked = []
    now = utcnow()
    for job_id in session.scalars(query).all():
        values = {"state": "failed", "error": error[:ERROR_CHARS], "finished_at": now}
        if update_job(session, job_id, states=ACTIVE, **values):
            marked.append(job_id)
    return marked


def elapsed_s(job: Job) -> float:
    """Seconds the job has been running (until it finished); 0 before it starts."""
    if job.started_at is None:
        return 0.0
    end = job.finished_at or utcnow()
    return max(0.0, (end - job.started_at) / timedelta(seconds=1))
