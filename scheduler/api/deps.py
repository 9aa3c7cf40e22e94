"""Dependencies shared by the routers: the database session, the caller and their role,
the job queue, the travel-time provider, and optimistic concurrency (``ETag`` /
``If-Match``); and the responses they document alike (errors, files)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
from scheduler.planning import default_travel
from scheduler.security import Role
from scheduler.travel import TravelTimes

__all__ = [
    "ERRORS",
    "JSON_ERRORS",
    "Admin",
    "AnyUser",
    "CalendarResponse",
    "CurrentToken",
    "DatabaseDep",
    "Driver",
    "IfMatch",
    "Planner",
    "QueueDep",
    "SecretKey",
    "SessionDep",
    "SettingsDep",
    "TravelDep",
    "check_version",
    "content_doc",
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

JSON_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {
        "description": error["description"],
        "content": {"application/json": {"schema": error["model"].model_json_schema()}},
    }
    for status, error in ERRORS.items()
}
"""``ERRORS`` documented as JSON, for routes whose own answer is not (files, pages)."""


def content_doc(
    media_type: str, description: str, kind: str = "string"
) -> dict[int | str, dict[str, Any]]:
    """The documented 200 response of a route that answers a file or a page, not JSON."""
    return {200: {"content": {media_type: {"schema": {"type": kind}}}, "description": description}}


class CalendarResponse(Response):
    """An iCalendar document."""

    media_type = "text/calendar"


def _app_state(name: str) -> Callable[[Request], Any]:
    """A dependency answering what ``create_app`` put in ``app.state.<name>``."""

    def get(request: Request) -> Any:
        return getattr(request.app.state, name)

    return get


SettingsDep = Annotated[Settings, Depends(_app_state("settings"))]
DatabaseDep = Annotated[Database, Depends(_app_state("db"))]
QueueDep = Annotated[JobQueue, Depends(_app_state("queue"))]
SecretKey = Annotated[str, Depends(_app_state("secret_key"))]


def _travel(settings: SettingsDep) -> TravelTimes:
    """The service's travel-time provider (built once per process), the job workers' too."""
    return default_travel(settings)


TravelDep = Annotated[TravelTimes, Depends(_travel)]


def _session(database: DatabaseDep) -> Iterator[Session]:
    with database.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(_session)]
"""A session; a route that writes calls ``session.commit()`` itself (all or nothing)."""

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


def _login(
    request: Request,
    session: SessionDep,
    secret: SecretKey,
    token: Annotated[str | None, Depends(oauth2)],
) -> tuple[User, Token]:
    if not token:
        raise Unauthorized("log in first: POST /api/auth/token")
    try:
        return user_for_token(session, token, secret, request.app.state.logins)
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
