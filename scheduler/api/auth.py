"""Login (OAuth2 password flow, expiring tokens), logout (revokes), and who am I."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from scheduler.api.deps import (
    ERRORS,
    AnyUser,
    CurrentToken,
    SecretKey,
    SessionDep,
    SettingsDep,
)
from scheduler.db.tables import Token, User
from scheduler.db.types import utcnow
from scheduler.db.users import authenticate, failures_since, issue_token, revoke_token

router = APIRouter(prefix="/api/auth", tags=["auth"])


class UserOut(BaseModel):
    id: int
    name: str
    role: str
    truck_id: str | None


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    user: UserOut


def user_out(user: User) -> UserOut:
    return UserOut(id=user.id, name=user.name, role=user.role, truck_id=user.truck_id)


@router.post(
    "/token",
    response_model=TokenOut,
    summary="Log in",
    responses={
        401: ERRORS[401],
        429: {"model": ERRORS[401]["model"], "description": "Too many failed logins"},
    },
)
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
    secret: SecretKey,
) -> TokenOut | JSONResponse:
    """Exchange a user name and password for a bearer token. After
    ``login_max_failures`` failed attempts for one user within ``login_window_s`` seconds,
    further attempts get 429 until the window has passed."""
    since = utcnow() - timedelta(seconds=settings.login_window_s)
    if failures_since(session, form.username[:100], since) >= settings.login_max_failures:
        return JSONResponse(
            {"detail": "too many failed logins for this user: wait and try again"},
            status_code=429,
            headers={"Retry-After": str(settings.login_window_s)},
        )
    user = authenticate(session, form.username, form.password)
    if user is None:
        session.commit()
        return JSONResponse(
            {"detail": "wrong user name or password"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    ttl = timedelta(minutes=settings.token_ttl_min)
    token, row = issue_token(session, user, secret, ttl)
    session.commit()
    return TokenOut(access_token=token, expires_at=row.expires_at, user=user_out(user))


@router.post("/logout", status_code=204, summary="Log out", responses={401: ERRORS[401]})
def logout(token: CurrentToken, session: SessionDep, request: Request) -> Response:
    """Revoke the token of this request: it stops working at once."""
    row = session.get(Token, token.id)
    if row is not None:
        revoke_token(session, row)
        session.commit()
    request.app.state.logins.forget(token.token_hash)
    return Response(status_code=204)


@router.get("/me", response_model=UserOut, summary="Who am I", responses={401: ERRORS[401]})
def me(user: AnyUser) -> UserOut:
    """The logged-in user, their role and (for drivers) their truck."""
    return user_out(user)
