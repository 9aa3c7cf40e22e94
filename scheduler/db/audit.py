"""The audit log: who changed what, when, with before/after ids or snapshots."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from scheduler.db.tables import AuditEntry, User

__all__ = ["record"]


def record(
    session: Session,
    *,
    user: User | None,
    action: str,
    entity: str,
    entity_id: str | int,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry to the session's transaction (it commits with the change)."""
    entry = AuditEntry(
        user_id=user.id if user is not None else None,
        user_name=user.name if user is not None else "system",
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=before,
        after=after,
    )
    session.add(entry)
    return entry
