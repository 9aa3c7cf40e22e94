"""``/api/users``: admins manage users (planners and drivers cannot)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from scheduler.api.auth import UserOut, user_out
from scheduler.api.deps import ERRORS, Admin, SessionDep
from scheduler.db.audit import record
from scheduler.db.tables import Token, User
from scheduler.db.types import utcnow
from scheduler.db.users import add_user
from scheduler.errors import Conflict, NotFound
from scheduler.security import Role

router = APIRouter(prefix="/api/users", tags=["users"], responses=ERRORS)


class UserCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    role: Role
    password: str = Field(min_length=8, max_length=200)
    truck_id: str | None = Field(default=None, max_length=100)


@router.get("", response_model=list[UserOut], summary="List users")
def list_users(admin: Admin, session: SessionDep) -> list[UserOut]:
    """Every user with their role and truck."""
    return [user_out(u) for u in session.scalars(select(User).order_by(User.id))]


@router.post("", response_model=UserOut, status_code=201, summary="Add a user")
def create_user(body: UserCreate, admin: Admin, session: SessionDep) -> UserOut:
    """Add a planner, driver (with ``truck_id``) or admin."""
    user = add_user(
        session, name=body.name, role=body.role, password=body.password, truck_id=body.truck_id
    )
    record(
        session,
        user=admin,
        action="create",
        entity="user",
        entity_id=user.id,
        after={"name": user.name, "role": user.role, "truck_id": user.truck_id},
    )
    session.commit()
    return user_out(user)


@router.delete("/{user_id}", status_code=204, summary="Deactivate a user")
def deactivate_user(user_id: int, admin: Admin, session: SessionDep, request: Request) -> Response:
    """The user can no longer log in and every token of theirs stops working."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    if user.id == admin.id:
        raise Conflict("an admin cannot deactivate themself")
    user.active = False
    for token in session.scalars(select(Token).where(Token.user_id == user.id)):
        token.revoked_at = token.revoked_at or utcnow()
    record(session, user=admin, action="deactivate", entity="user", entity_id=user.id)
    session.commit()
    request.app.state.logins.forget()
    return Response(status_code=204)
