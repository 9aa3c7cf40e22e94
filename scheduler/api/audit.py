"""``/api/audit``: the audit log, newest first (planners and admins).

Every change to catalogue entities, seasons and plans is an entry: who, when, the action, the
entity and its id, and before/after snapshots or ids.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select

from scheduler.api.catalogue import NO_NUL, Limit, Offset
from scheduler.api.deps import ERRORS, Planner, SessionDep
from scheduler.db.tables import AuditEntry
from scheduler.domain import Rules

__all__ = ["AuditOut", "router"]

router = APIRouter(prefix="/api/audit", tags=["audit"], responses=ERRORS)

ZONE = ZoneInfo(Rules().timezone)
"""Times are shown in the service's civil time zone (Europe/Moscow)."""


class AuditOut(BaseModel):
    """One change: who, when, what; ``before``/``after`` hold snapshots or ids."""

    id: int
    at: datetime
    user_id: int | None
    user_name: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@router.get("", response_model=list[AuditOut], summary="Read the audit log")
def list_entries(
    planner: Planner,
    session: SessionDep,
    entity: Annotated[
        str | None, Query(max_length=40, pattern=NO_NUL, description="venue, season, plan ...")
    ] = None,
    entity_id: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    limit: Limit = 200,
    offset: Offset = 0,
) -> list[AuditOut]:
    """Entries newest first, optionally of one kind of entity and one id."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if entity is not None:
        query = query.where(AuditEntry.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == entity_id)
    entries = session.scalars(query.offset(offset).limit(limit))
    return [
        AuditOut(
            id=e.id,
            at=e.at.astimezone(ZONE),
            user_id=e.user_id,
            user_name=e.user_name,
            action=e.action,
            entity=e.entity,
            entity_id=e.entity_id,
            before=e.before,
            after=e.after,
        )
        for e in entries
    ]
