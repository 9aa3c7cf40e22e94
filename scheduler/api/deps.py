"""Dependencies shared by the routers: the database session, the caller and their role,
the job queue, and optimistic concurrency (``ETag`` / ``If-Match``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel
from sqlalchemy.orm import Session

from scheduler.config import Settings
from scheduler.db.engine import Database
from scheduler.db.tables import Token, User
from scheduler.db.users import user_for_token
from scheduler.errors import Conflict, Forbidden, NotFound, Unauthorized
from scheduler.jobs import JobQueue
from scheduler.security import Role

__all__ = [
    "ERRORS",
    "Admin",
    "AnyUser",
    "CurrentToken",
    "DatabaseDep",
    "Driver",
    "IfMatch",
    "Planner",
    "QueueDep",
    "SecretKey",
    "SessionDep",
    "SettingsDep",
    "check_version",
    "set_etag",
]


class ErrorOut(BaseModel):
    """An error: ``detail`` says what went wrong."""

    detail: str


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Not logged in, or the token expired"},
    403: {"model": ErrorOut, "description": "The caller's role may not do this"},
    404: {"model": ErrorOut, "description": "No such id"},
    409: {"model": ErrorOut, "description": "Stale If-Match version, or a clash"},
}
"""Error responses every authenticated route documents (422 FastAPI adds itself)."""


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _database(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


def _secret_key(request: Request) -> str:
    key: str = request.app.state.secret_key
    return key


def _queue(request: Request) -> JobQueue:
    queue: JobQueue = request.app.state.queue
    return queue


def _session(database: Annotated[Database, Depends(_database)]) -> Iterator[Session]:
    with database.sessions() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(_settings)]
DatabaseDep = Annotated[Database, Depends(_database)]
QueueDep = Annotated[JobQueue, Depends(_queue)]
SecretKey = Annotated[str, Depends(_secret_key)]
SessionDep = Annotated[Session, Depends(_session)]
"""A session; a route that writes calls ``session.commit()`` itself (all or nothing)."""

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


def _login(
    session: SessionDep, secret: SecretKey, token: Annotated[str | None, Depends(oauth2)]
) -> tuple[User, Token]:
    if not token:
        raise Unauthorized("log in first: POST /api/auth/token")
    try:
        return user_for_token(session, token, secret)
    except NotFound:
        raise Unauthorized("the token is invalid, expired or revoked: log in again") from None


def _user(login: Annotated[tuple[User, Token], Depends(_login)]) -> User:
    return login[0]


def _token(login: Annotated[tuple[User, Token], Depends(_login)]) -> Token:
    return login[1]


def _role(*roles: Role) -> Any:
    allowed = {role.value for role in roles}

    def check(user: Annotated[User, Depends(_user)]) -> User:
        if user.role not in allowed:
            raise Forbidden(f"a {user.role} may not do this")
        return user

    return check


AnyUser = Annotated[User, Depends(_user)]
CurrentToken = Annotated[Token, Depends(_token)]
Planner = Annotated[User, Depends(_role(Role.PLANNER, Role.ADMIN))]
Admin = Annotated[User, Depends(_role(Role.ADMIN))]
Driver = Annotated[User, Depends(_role(Role.DRIVER))]

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="The ETag of the version you edit; a stale one gets 409 and changes nothing.",
    ),
]


def set_etag(response: Response, version: int) -> None:
    """Send a row's version as its ETag."""
    response.headers["ETag"] = f'"{version}"'


def check_version(if_match: str | None, version: int) -> None:
    """409 when ``If-Match`` names another version than the stored one (absent: no check)."""
    if if_match is None or if_match.strip() == "*":
        return
    wanted = {tag.strip().removeprefix("W/").strip('"') for tag in if_match.split(",")}
    if str(version) not in wanted:
        raise Conflict(
            f"version {version} is stored but If-Match names {if_match}: reload and retry"
        )
