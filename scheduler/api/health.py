"""``GET /api/health``: no login; the database and the job backend."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from scheduler.api.deps import DatabaseDep, QueueDep

router = APIRouter(prefix="/api/health", tags=["health"])


class Component(BaseModel):
    ok: bool
    detail: str


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"]
    database: Component
    jobs: Component


@router.get("", response_model=HealthOut, summary="Is the service up?")
def health(database: DatabaseDep, queue: QueueDep) -> HealthOut:
    """The database answers a query and the job backend can take jobs."""
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        db = Component(ok=True, detail=database.backend)
    except SQLAlchemyError as exc:
        db = Component(ok=False, detail=f"{database.backend}: {type(exc).__name__}")
    jobs_ok, jobs_detail = queue.health()
    jobs = Component(ok=jobs_ok, detail=f"{queue.name}: {jobs_detail}")
    return HealthOut(status="ok" if db.ok and jobs.ok else "degraded", database=db, jobs=jobs)
