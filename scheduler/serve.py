"""Operator commands of the service: ``scheduler serve``, ``scheduler db upgrade``,
``scheduler users add`` (registered on the main CLI in ``scheduler.cli``)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from sqlalchemy import select

from scheduler.bootstrap import DEMO_USERS, load_demo
from scheduler.config import Settings, get_settings
from scheduler.db.engine import Database
from scheduler.db.migrate import current_revision, head_revision, upgrade
from scheduler.db.tables import User
from scheduler.db.users import add_user
from scheduler.domain import Location
from scheduler.errors import SchedulerError
from scheduler.planning import default_travel
from scheduler.roads import OsrmTravelTimes
from scheduler.security import Role

__all__ = ["db_app", "serve", "users_app"]

console = Console()
errors = Console(stderr=True)
log = logging.getLogger(__name__)

db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
users_app = typer.Typer(help="Service users: planners, drivers, admins.", no_args_is_help=True)


def _database() -> Database:
    return Database(get_settings().resolved_database_url())


def _fail(error: SchedulerError) -> typer.Exit:
    errors.print(f"[bold red]Error:[/] {error}", highlight=False)
    return typer.Exit(code=2)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database to the newest schema (idempotent)."""
    database = _database()
    try:
        upgrade(database.engine)
        console.print(f"Database at revision {current_revision(database.engine)} (head).")
    finally:
        database.dispose()


@db_app.command("current")
def db_current() -> None:
    """Print the database's schema revision and the newest one."""
    database = _database()
    try:
        console.print(f"database: {current_revision(database.engine)}, head: {head_revision()}")
    finally:
        database.dispose()


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[Role, typer.Option(help="admin, planner or driver.")],
    truck: Annotated[str | None, typer.Option("--truck", help="A driver's truck id.")] = None,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Add a user (drivers need --truck)."""
    database = _database()
    try:
        upgrade(database.engine)
        with database.session() as session:
            add_user(session, name=name, role=role, password=password, truck_id=truck)
        console.print(f"User '{name}' ({role.value}) added.")
    except SchedulerError as error:
        raise _fail(error) from None
    finally:
        database.dispose()


@users_app.command("list")
def users_list() -> None:
    """List users and their roles."""
    database = _database()
    try:
        with database.session() as session:
            for user in session.scalars(select(User).order_by(User.id)):
                truck = f" truck {user.truck_id}" if user.truck_id else ""
                state = "" if user.active else " (inactive)"
                console.print(f"{user.name}: {user.role}{truck}{state}")
    finally:
        database.dispose()


_PROBE = Location(55.7558, 37.6173)
"""Where an OSRM server is asked its first question at start-up (Moscow's centre)."""


def _check_travel(settings: Settings) -> None:
    """Build the travel-time provider now, once for this process (loading a road cache is
    slow), and ask an OSRM server one question: a bad cache or server stops the start with
    its message (``TravelError``), not the first job or edit."""
    travel = default_travel(settings)
    if isinstance(travel, OsrmTravelTimes):
        travel.warm([_PROBE])
    if settings.roads_cache is not None:
        console.print(f"Driving times: road graph {settings.roads_cache}.")
    elif settings.osrm_url:
        console.print(f"Driving times: OSRM at {settings.osrm_url}.")


def _prepare(database: Database, demo: bool) -> int | None:
    """Migrate, mark jobs of a previous server process failed, load the demo."""
    from scheduler.jobs.backends import recover_interrupted

    upgrade(database.engine)
    recover_interrupted(database)
    if not demo:
        return None
    with database.session() as session:
        season_id, created = load_demo(session)
    if created:
        console.print("Loaded the Moscow demo season and the demo users.")
    return season_id


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=16, help="Web worker processes.")] = 1,
    demo: Annotated[
        bool, typer.Option(help="Load the demo season and users, and plan it if unplanned.")
    ] = False,
) -> None:
    """Serve the API (and the web UI) until Ctrl-C."""
    try:
        settings = get_settings()
        _check_travel(settings)
    except SchedulerError as error:
        raise _fail(error) from None
    database = Database(settings.resolved_database_url())
    try:
        season_id = _prepare(database, demo)
        if season_id is not None:
            from scheduler.jobs.backends import plan_demo_if_unplanned

            job_id = plan_demo_if_unplanned(database, settings, season_id)
            if job_id:
                console.print(f"Planning the demo season in the background: job {job_id}.")
    except SchedulerError as error:
        raise _fail(error) from None
    finally:
        database.dispose()
    console.print(f"[bold]Kinotruck Scheduler[/] on [link]http://{host}:{port}/[/] (API: /docs)")
    if demo:
        console.print("Demo logins:")
        for user in DEMO_USERS:
            truck = f", truck {user.truck_id}" if user.truck_id else ""
            console.print(f"  {user.name} / {user.password} ({user.role.value}{truck})")
    from scheduler.jobs.backends import stop_background

    try:
        uvicorn.run(
            "scheduler.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
        )
    finally:
        stop_background()
