"""The web application: ``create_app(settings) -> FastAPI``.

One handler maps every ``SchedulerError`` to its HTTP status; validation errors name the
field; nothing the client sends can make the server answer 500 by design (an unexpected
error is still logged and answered as a plain 500 without internals).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from scheduler.api import (
    audit,
    auth,
    driver,
    films,
    health,
    imports,
    jobs,
    plan_exports,
    plans,
    public,
    replan,
    seasons,
    trucks,
    users,
    venues,
)
from scheduler.config import Settings, get_settings
from scheduler.db.engine import Database
from scheduler.db.users import LoginCache
from scheduler.errors import (
    Conflict,
    Forbidden,
    InvalidProblem,
    NotFound,
    SchedulerError,
    SolverError,
    Unauthorized,
)
from scheduler.jobs import JobQueue
from scheduler.jobs.backends import make_queue
from scheduler.schemas import named_field
from scheduler.web import pages
from scheduler.web.pages import mount_static

__all__ = ["create_app"]

log = logging.getLogger(__name__)

ROUTERS = (
    driver,  # the hot paths first: every phone polls its day, audiences the schedule
    public,
    health,
    auth,
    users,
    venues,
    trucks,
    films,
    seasons,
    imports,
    audit,
    jobs,
    plans,
    replan,
    plan_exports,
)

STATUS: dict[type[SchedulerError], int] = {
    InvalidProblem: 422,
    NotFound: 404,
    Conflict: 409,
    Forbidden: 403,
    Unauthorized: 401,
    SolverError: 500,
}


def _status(error: SchedulerError) -> int:
    for kind in type(error).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 400


async def _scheduler_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, SchedulerError)
    status = _status(error)
    if isinstance(error, InvalidProblem):
        detail = [
            {"loc": ["body", *field.split(".")], "msg": message, "type": "value_error"}
            for field, message in error.problems
        ]
        return JSONResponse({"detail": detail}, status_code=422)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"detail": str(error)}, status_code=status, headers=headers)


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    detail = []
    for item in error.errors():
        loc, message = list(item.get("loc", ())), str(item.get("msg", ""))
        message = message.removeprefix("Value error, ")
        if named := named_field(message):  # a cross-field check names its field
            loc, message = [*loc, *named[0]], named[1]
        detail.append({"loc": loc, "msg": message, "type": str(item.get("type", "value_error"))})
    return JSONResponse({"detail": jsonable_encoder(detail)}, status_code=422)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 400:  # a body that is not JSON (or not UTF-8) names the body
        detail = [{"loc": ["body"], "msg": str(error.detail), "type": "json_invalid"}]
        return JSONResponse({"detail": detail}, status_code=422)
    return await http_exception_handler(request, error)


async def _stale(request: Request, error: Exception) -> JSONResponse:
    return JSONResponse(
        {"detail": "someone else changed this at the same time: reload and retry"},
        status_code=409,
    )


async def _integrity(request: Request, error: Exception) -> JSONResponse:
    log.info("integrity error: %s", error)
    return JSONResponse(
        {"detail": "this clashes with stored data (a duplicate id or a missing reference)"},
        status_code=409,
    )


def create_app(settings: Settings | None = None, *, queue: JobQueue | None = None) -> FastAPI:
    """The service. ``queue`` overrides the job backend chosen by the settings (tests)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            app.state.queue.shutdown()
            app.state.db.dispose()

    app = FastAPI(
        title="Kinotruck Scheduler",
        version="0.2.0",
        summary="Plans where Moscow's cinema trucks go, when, and which films they screen.",
        lifespan=lifespan,
    )
    database = Database(settings.resolved_database_url())
    app.state.db = database
    app.state.settings = settings
    app.state.secret_key = settings.resolved_secret_key()
    app.state.logins = LoginCache()
    app.state.queue = queue or make_queue(settings, database.url)
    app.add_exception_handler(SchedulerError, _scheduler_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(StaleDataError, _stale)
    app.add_exception_handler(IntegrityError, _integrity)
    for module in ROUTERS:
        app.include_router(module.router)
    app.include_router(pages.router)
    mount_static(app)
    return app
