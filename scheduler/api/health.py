"""``GET /api/health``: no login; the database and the job backend. 200 when both work,
503 (same body) when either is down, so a load balancer or a monitor needs only the status."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from scheduler.api.deps import DatabaseDep, QueueDep

__all__ = ["router"]

router = APIRouter(prefix="/api/health", tags=["health"])


class Component(BaseModel):
    ok: bool
    detail: str


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"]
    database: Component
    jobs: Component


@router.get(
    "",
    response_model=HealthOut,
    summary="Is the service up?",
    responses={
        200: {"description": "The database and the job backend work"},
        503: {"model": HealthOut, "description": "The database or the job backend is down"},
    },
)
def health(database: DatabaseDep, queue: QueueDep, response: Response) -> HealthOut:
    """The database answers a query and the job backend can take jobs: 200 with status
    ``ok``; otherwise 503 with status ``degraded`` and which part failed."""
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        db = Component(ok=True, detail=database.backend)
    except SQLAlchemyError as exc:
        db = Component(ok=False, detail=f"{database.backend}: {type(exc).__name__}")
    jobs_ok, jobs_detail = queue.health()
    jobs = Component(ok=jobs_ok, detail=f"{queue.name}: {jobs_detail}")
    ok = db.ok and jobs.ok
    if not ok:
        response.status_code = 503
    return HealthOut(status="ok" if ok else "degraded", database=db, jobs=jobs)
