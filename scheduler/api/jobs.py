"""Solving as a job: ``POST /api/seasons/{id}/plans`` starts one (202), ``GET /api/jobs/{id}``
follows it, ``DELETE /api/jobs/{id}`` cancels it (keeping the best plan so far as a draft).

The job's state lives in the database, so the request that started a job can go away and
any server process can answer for it. Planners and admins only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Body, Path, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from scheduler.api.deps import ERRORS, DatabaseDep, Planner, QueueDep, SessionDep, SettingsDep
from scheduler.db.catalogue import get_season, latest_plan_ids, season_problem
from scheduler.db.tables import Job, PlanRow, Season
from scheduler.errors import InvalidProblem, NotFound
from scheduler.jobs.backends import submit_or_fail
from scheduler.jobs.store import (
    elapsed_s,
    get_job,
    list_jobs,
    request_cancel,
    start_job,
)
from scheduler.schemas import RulesModel

__all__ = ["JobOut", "SolveRequest", "router"]


router = APIRouter(prefix="/api", tags=["jobs"], responses=ERRORS)

MAX_ID = 2**31 - 1
JobState = Literal["queued", "running", "done", "failed", "cancelled"]
SeasonId = Annotated[int, Path(ge=1, le=MAX_ID, description="The season's id.")]
JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The job's id (32 hex digits).")]
UNAVAILABLE: dict[int | str, dict[str, object]] = {
    503: {"model": ERRORS[409]["model"], "description": "The job backend cannot take jobs now"}
}


class SolveRequest(BaseModel):
    """How to solve; every field is optional."""

    time_limit_s: float | None = Field(
        default=None,
        ge=1,
        le=3600,
        allow_inf_nan=False,
        description="Wall-clock budget in seconds; default: the server's solve_time_limit_s.",
    )
    base_plan_id: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="The version whose locks the solve keeps and which becomes the new "
        "version's parent; default: the season's latest version, if any.",
    )
    publish: bool = Field(
        default=False, description="Publish the new version if it breaks no rule."
    )


class JobOut(BaseModel):
    """A solve job. ``state``: queued -> running -> done | failed | cancelled."""

    id: str
    season_id: int
    base_plan_id: int | None
    state: JobState
    backend: str
    time_limit_s: float
    publish: bool
    elapsed_s: float = Field(description="Seconds since the solve started (until it ended).")
    windows_done: int
    windows_total: int = Field(description="Planning windows of the season (0 until known).")
    best_objective: float | None = Field(description="Value of the best plan so far.")
    plan_id: int | None = Field(description="The plan version written (done or cancelled).")
    error: str = Field(description="Why the job failed; empty otherwise.")
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def _zone(session: Session, season_id: int, zones: dict[int, ZoneInfo]) -> ZoneInfo:
    """The season's time zone (times are shown in it)."""
    if season_id not in zones:
        season = session.get(Season, season_id)
        rules = season.rules if season is not None else {}
        name = rules.get("timezone") or RulesModel.model_fields["timezone"].default
        zones[season_id] = ZoneInfo(str(name))
    return zones[season_id]


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    return moment.astimezone(zone) if moment is not None else None


def job_out(session: Session, job: Job, zones: dict[int, ZoneInfo] | None = None) -> JobOut:
    """The wire view of a job, times in its season's zone."""
    zone = _zone(session, job.season_id, {} if zones is None else zones)
    return JobOut(
        id=job.id,
        season_id=job.season_id,
        base_plan_id=job.base_plan_id,
        state=job.state,  # type: ignore[arg-type]
        backend=job.backend,
        time_limit_s=job.time_limit_s,
        publish=job.publish,
        elapsed_s=round(elapsed_s(job), 3),
        windows_done=job.windows_done,
        windows_total=job.windows_total,
        best_objective=job.best_objective,
        plan_id=job.plan_id,
        error=job.error,
        cancel_requested=job.cancel_requested,
        created_at=job.created_at.astimezone(zone),
        started_at=_local(job.started_at, zone),
        finished_at=_local(job.finished_at, zone),
    )


def _base_plan(session: Session, season_id: int, plan_id: int | None) -> int | None:
    if plan_id is None:
        return latest_plan_ids(session, [season_id]).get(season_id)
    plan = session.get(PlanRow, plan_id)
    if plan is None or plan.season_id != season_id:
        raise NotFound(f"base_plan_id: plan {plan_id} is not a version of season {season_id}")
    return plan_id


@router.post(
    "/seasons/{season_id}/plans",
    status_code=202,
    response_model=JobOut,
    summary="Start a solve",
    responses=UNAVAILABLE,
)
def start_solve(
    season_id: SeasonId,
    user: Planner,
    session: SessionDep,
    settings: SettingsDep,
    queue: QueueDep,
    database: DatabaseDep,
    response: Response,
    body: Annotated[SolveRequest | None, Body()] = None,
) -> JobOut | JSONResponse:
    """Plan the season in the background, keeping the locked routes and stops of the base
    version; answers at once with the queued job (``Location: /api/jobs/{id}``). The new
    version is a draft when cancelled or when the validator finds a broken rule.

    404 for an unknown season, or a ``base_plan_id`` that is not one of its versions; 422
    when the season cannot be planned as stored (the fields are named); 409 when the season
    already has a queued or running job; 503 when the job backend is down (the job is then
    recorded as failed).
    """
    body = body or SolveRequest()
    get_season(session, season_id)
    try:
        season_problem(session, season_id)
    except InvalidProblem as error:
        raise InvalidProblem([(f"season.{f}", m) for f, m in error.problems]) from error
    base_plan_id = _base_plan(session, season_id, body.base_plan_id)
    time_limit_s = body.time_limit_s or settings.solve_time_limit_s
    job = start_job(
        session,
        season_id=season_id,
        backend=queue.name,
        time_limit_s=time_limit_s,
        base_plan_id=base_plan_id,
        publish=body.publish,
        user=user,
    )
    session.commit()
    if not submit_or_fail(database, queue, job.id):
        return JSONResponse(
            {"detail": f"the job backend ({queue.name}) cannot take jobs now: try again later"},
            status_code=503,
        )
    response.headers["Location"] = f"/api/jobs/{job.id}"
    return job_out(session, job)


@router.get("/jobs", response_model=list[JobOut], summary="List jobs")
def jobs(
    user: Planner,
    session: SessionDep,
    season_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    state: JobState | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[JobOut]:
    """Solve jobs, newest first; optionally of one season and in one state."""
    zones: dict[int, ZoneInfo] = {}
    found = list_jobs(session, season_id=season_id, state=state, limit=limit)
    return [job_out(session, job, zones) for job in found]


@router.get("/jobs/{job_id}", response_model=JobOut, summary="Follow a job")
def job(job_id: JobId, user: Planner, session: SessionDep) -> JobOut:
    """The job's state, elapsed time, planning windows done out of the total, the best
    objective so far, and the plan version once it is done (or cancelled)."""
    return job_out(session, get_job(session, job_id))


@router.delete("/jobs/{job_id}", status_code=202, response_model=JobOut, summary="Cancel a job")
def cancel_job(job_id: JobId, user: Planner, session: SessionDep, queue: QueueDep) -> JobOut:
    """Cancel: a queued job is cancelled at once; a running one is asked to stop and ends
    ``cancelled`` with the best plan found so far kept as a draft version. 409 when the job
    has already ended."""
    job = request_cancel(session, job_id, user=user)
    session.commit()
    queue.cancel(job_id)
    return job_out(session, job)
