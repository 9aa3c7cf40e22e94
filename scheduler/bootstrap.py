"""The demo database that ``make run`` serves: the Moscow demo season and demo users.

Loading is idempotent: a second run finds the season and the users and changes nothing.
Demo users with known passwords exist only here; ``scheduler serve`` on a fresh database
creates no user.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.db.audit import record
from scheduler.db.catalogue import import_scenario
from scheduler.db.tables import Season
from scheduler.db.users import add_user, user_by_name
from scheduler.demo import demo_problem
from scheduler.schemas import scenario_from_problem
from scheduler.security import Role

__all__ = ["DEMO_SEASON", "DEMO_USERS", "DemoUser", "load_demo"]

DEMO_SEASON = "Москва, демо-сезон (июль 2026)"


@dataclass(frozen=True, slots=True)
class DemoUser:
    name: str
    password: str
    role: Role
    truck_id: str | None = None


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "admin-demo-2026", Role.ADMIN),
    DemoUser("planner", "planner-demo-2026", Role.PLANNER),
    DemoUser("driver1", "driver-demo-2026", Role.DRIVER, "projector-1"),
    DemoUser("driver2", "driver-demo-2026", Role.DRIVER, "led-1"),
    DemoUser("driver3", "driver-demo-2026", Role.DRIVER, "led-2"),
)
"""Logins of the demo database (printed by ``make run``)."""


def load_demo(session: Session, *, days: int = 14) -> tuple[int, bool]:
    """Load the demo season and users unless present; return (season id, created)."""
    season = session.scalar(select(Season).where(Season.name == DEMO_SEASON))
    created = season is None
    if season is None:
        problem = demo_problem(days=days)
        scenario = scenario_from_problem(problem).model_copy(update={"name": DEMO_SEASON})
        season = import_scenario(session, scenario)
        record(session, user=None, action="import", entity="season", entity_id=season.id)
    for demo in DEMO_USERS:
        if user_by_name(session, demo.name) is None:
            add_user(
                session,
                name=demo.name,
                role=demo.role,
                password=demo.password,
                truck_id=demo.truck_id,
            )
    session.flush()
    return season.id, created
