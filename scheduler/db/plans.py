"""Plan versions: a domain ``Plan`` to rows and back, written in one transaction.

Every solve, hand edit, re-plan and roll-back adds a version (``PlanRow``) with its parent.
A version keeps the scenario it was planned from, its validator verdict and its locks
(whole truck-days, single stops), which the next solve of the season keeps exactly.

Publishing changes the season's row; ``lock_season`` holds that row until the transaction
ends, so a re-plan that reads the published version and publishes its successor is never
interleaved with another (``publish_plan`` takes it too).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import false, func, select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import flag_modified

from scheduler import domain as d
from scheduler.checks import Violation
from scheduler.db.audit import record
from scheduler.db.tables import PlanRow, RouteRow, ScreeningRow, Season, StopRow, UnservedRow, User
from scheduler.db.types import utcnow
from scheduler.errors import Conflict, NotFound
from scheduler.schemas import ScenarioFile, problem_from_scenario, scenario_from_problem

__all__ = [
    "PlanVersion",
    "StoredPlan",
    "author_name",
    "get_plan_row",
    "load_plan",
    "local_route",
    "lock_season",
    "plan_version",
    "plan_versions",
    "publish_plan",
    "replan_record",
    "set_lock",
    "violation_from_json",
    "violation_to_json",
    "write_plan",
]

RouteKey = tuple[str, date]
"""(truck_id, day)"""
StopKey = tuple[str, date, str]
"""(truck_id, day, venue_id)"""


@dataclass(frozen=True, slots=True)
class PlanVersion:
    """A version's place in the season's history, as its row says (routes not read)."""

    id: int
    season_id: int
    number: int
    parent_id: int | None
    kind: str
    draft: bool
    version: int
    note: str
    created_at: datetime


def plan_version(row: PlanRow, zone: ZoneInfo) -> PlanVersion:
    """The row's place in the history, ``created_at`` in ``zone``."""
    return PlanVersion(
        id=row.id,
        season_id=row.season_id,
        number=row.number,
        parent_id=row.parent_id,
        kind=row.kind,
        draft=row.draft,
        version=row.version,
        note=row.note,
        created_at=row.created_at.astimezone(zone),
    )


@dataclass(frozen=True, slots=True)
class StoredPlan(PlanVersion):
    """A plan version as the domain sees it, with its place in the season's history."""

    published: bool
    scenario: ScenarioFile
    """The scenario the version was planned from (its snapshot, as stored)."""
    problem: d.Problem
    """``scenario`` in the domain."""
    plan: d.Plan
    violations: list[Violation]
    locked_routes: frozenset[RouteKey] = field(default_factory=frozenset)
    locked_stops: frozenset[StopKey] = field(default_factory=frozenset)


def violation_to_json(v: Violation) -> dict[str, Any]:
    """A violation as a JSON object."""
    return {
        "rule": v.rule,
        "message": v.message,
        "truck_id": v.truck_id,
        "day": v.day.isoformat() if v.day else None,
        "venue_id": v.venue_id,
        "film_id": v.film_id,
    }


def violation_from_json(data: dict[str, Any]) -> Violation:
    """The inverse of ``violation_to_json``."""
    day = data.get("day")
    return Violation(
        rule=data["rule"],
        message=data["message"],
        truck_id=data.get("truck_id"),
        day=date.fromisoformat(day) if day else None,
        venue_id=data.get("venue_id"),
        film_id=data.get("film_id"),
    )


def _next_number(session: Session, season_id: int) -> int:
    query = select(func.max(PlanRow.number)).where(PlanRow.season_id == season_id)
    return int(session.scalar(query) or 0) + 1


def _route_row(
    route: d.Route, locked_routes: frozenset[RouteKey], locked_stops: frozenset[StopKey]
) -> RouteRow:
    key = (route.truck_id, route.day)
    return RouteRow(
        truck_id=route.truck_id,
        day=route.day,
        depot_departure=route.depot_departure,
        depot_return=route.depot_return,
        breaks=[[b.start.isoformat(), b.end.isoformat()] for b in route.breaks],
        locked=key in locked_routes,
        stops=[
            StopRow(
                position=i,
                venue_id=stop.venue_id,
                arrival=stop.arrival,
                departure=stop.departure,
                locked=(*key, stop.venue_id) in locked_stops,
                screenings=[
                    ScreeningRow(position=j, film_id=s.film_id, start=s.start, end=s.end)
                    for j, s in enumerate(stop.screenings)
                ],
            )
            for i, stop in enumerate(route.stops)
        ],
    )


def write_plan(
    session: Session,
    *,
    season_id: int,
    problem: d.Problem,
    plan: d.Plan,
    kind: str,
    violations: list[Violation] | None = None,
    parent_id: int | None = None,
    draft: bool = False,
    note: str = "",
    user_id: int | None = None,
    locked_routes: frozenset[RouteKey] = frozenset(),
    locked_stops: frozenset[StopKey] = frozenset(),
    replan: dict[str, Any] | None = None,
) -> PlanRow:
    """Add a new plan version to the session (the caller's transaction commits it whole);
    ``replan`` is a re-plan version's record (JSON), kept with it."""
    row = PlanRow(
        season_id=season_id,
        number=_next_number(session, season_id),
        parent_id=parent_id,
        kind=kind,
        draft=draft,
        note=note,
        objective=plan.objective,
        stats=asdict(plan.stats),
        violations=[violation_to_json(v) for v in violations or []],
        scenario=scenario_from_problem(problem).model_dump(mode="json"),
        created_by=user_id,
        replan=replan,
        routes=[_route_row(r, locked_routes, locked_stops) for r in plan.routes],
        unserved=[
            UnservedRow(venue_id=u.venue_id, reason=u.reason.value, message=u.message)
            for u in plan.unserved
        ],
    )
    session.add(row)
    session.flush()
    return row


def get_plan_row(session: Session, plan_id: int, *, for_update: bool = False) -> PlanRow:
    """The plan version with its routes, stops, screenings and unserved venues loaded."""
    query = (
        select(PlanRow)
        .where(PlanRow.id == plan_id)
        .options(
            selectinload(PlanRow.routes)
            .selectinload(RouteRow.stops)
            .selectinload(StopRow.screenings),
            selectinload(PlanRow.unserved),
        )
    )
    if for_update:
        query = query.with_for_update()
    row = session.scalar(query)
    if row is None:
        raise NotFound(f"plan {plan_id} does not exist")
    return row


def _route(row: RouteRow) -> d.Route:
    return d.Route(
        truck_id=row.truck_id,
        day=row.day,
        depot_departure=row.depot_departure,
        depot_return=row.depot_return,
        stops=tuple(
            d.Stop(
                venue_id=stop.venue_id,
                arrival=stop.arrival,
                departure=stop.departure,
                screenings=tuple(d.Screening(s.film_id, s.start, s.end) for s in stop.screenings),
            )
            for stop in row.stops
        ),
        breaks=tuple(
            d.Break(datetime.fromisoformat(start), datetime.fromisoformat(end))
            for start, end in row.breaks
        ),
    )


def local_route(route: d.Route, zone: ZoneInfo) -> d.Route:
    """The route with every time in ``zone``."""
    return d.Route(
        truck_id=route.truck_id,
        day=route.day,
        depot_departure=route.depot_departure.astimezone(zone),
        depot_return=route.depot_return.astimezone(zone),
        stops=tuple(
            d.Stop(
                venue_id=stop.venue_id,
                arrival=stop.arrival.astimezone(zone),
                departure=stop.departure.astimezone(zone),
                screenings=tuple(
                    d.Screening(s.film_id, s.start.astimezone(zone), s.end.astimezone(zone))
                    for s in stop.screenings
                ),
            )
            for stop in route.stops
        ),
        breaks=tuple(
            d.Break(b.start.astimezone(zone), b.end.astimezone(zone)) for b in route.breaks
        ),
    )


def load_plan(row: PlanRow, *, published: bool | None = None) -> StoredPlan:
    """The domain view of a plan row (times in the season's time zone)."""
    scenario = ScenarioFile.model_validate(row.scenario)
    problem = problem_from_scenario(scenario)
    zone = ZoneInfo(problem.rules.timezone)
    routes = tuple(local_route(_route(r), zone) for r in row.routes)
    fields = d.PlanStats.__dataclass_fields__
    stats = d.PlanStats(**{k: v for k, v in row.stats.items() if k in fields})
    plan = d.Plan(
        routes=routes,
        unserved=tuple(
            d.Unserved(u.venue_id, d.UnservedReason(u.reason), u.message) for u in row.unserved
        ),
        objective=row.objective,
        stats=stats,
    )
    return StoredPlan(
        **asdict(plan_version(row, zone)),
        published=row.published_at is not None if published is None else published,
        scenario=scenario,
        problem=problem,
        plan=plan,
        violations=[violation_from_json(v) for v in row.violations],
        locked_routes=frozenset((r.truck_id, r.day) for r in row.routes if r.locked),
        locked_stops=frozenset(
            (r.truck_id, r.day, s.venue_id) for r in row.routes for s in r.stops if s.locked
        ),
    )


def replan_record(session: Session, *, plan_id: int) -> dict[str, Any]:
    """The record a re-plan version was stored with; NotFound for an unknown id or a
    version that is not a re-plan."""
    row = session.get(PlanRow, plan_id)
    if row is None:
        raise NotFound(f"plan {plan_id} does not exist")
    if row.replan is None:
        raise NotFound(f"plan {plan_id} is a '{row.kind}' version, not a re-plan")
    return row.replan


def plan_versions(session: Session, *, season_id: int) -> list[tuple[PlanRow, str | None]]:
    """The season's plan versions, newest first, each with its author's name (routes are
    not loaded)."""
    query = (
        select(PlanRow, User.name)
        .outerjoin(User, User.id == PlanRow.created_by)
        .where(PlanRow.season_id == season_id)
        .order_by(PlanRow.number.desc())
    )
    return [(row, name) for row, name in session.execute(query)]


def author_name(session: Session, *, row: PlanRow) -> str | None:
    """The name of the user who made the version (None: a system job or a deleted user)."""
    if row.created_by is None:
        return None
    user = session.get(User, row.created_by)
    return user.name if user is not None else None


def set_lock(
    session: Session,
    *,
    row: PlanRow,
    truck_id: str,
    day: date,
    venue_id: str | None,
    locked: bool,
) -> bool:
    """Lock or unlock a whole truck-day (``venue_id`` None) or one stop of it, in place, and
    bump the plan's version; NotFound when the plan has no such route or stop. Returns the
    flag's previous value."""
    route = next((r for r in row.routes if (r.truck_id, r.day) == (truck_id, day)), None)
    if route is None:
        raise NotFound(f"plan {row.id} has no route of truck '{truck_id}' on {day}")
    target: RouteRow | StopRow = route
    if venue_id is not None:
        stop = next((s for s in route.stops if s.venue_id == venue_id), None)
        if stop is None:
            raise NotFound(f"plan {row.id} has no stop at '{venue_id}' on {truck_id}'s {day}")
        target = stop
    before = target.locked
    target.locked = locked
    flag_modified(row, "note")  # the plan row is updated, so its version (ETag) goes up
    session.flush()
    return before


def lock_season(session: Session, season_id: int) -> Season:
    """The season as committed now, held against other publishers until the transaction
    ends: its row lock on PostgreSQL (``SELECT ... FOR UPDATE``, waiting for a holder to
    commit), the database write lock on SQLite (an ``UPDATE`` that matches nothing takes it;
    reads after it see every commit). NotFound for an unknown id."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(Season).where(false()).values(name=Season.name))
    query = (
        select(Season)
        .where(Season.id == season_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    season = session.scalar(query)
    if season is None:
        raise NotFound(f"season {season_id} does not exist")
    return season


def publish_plan(session: Session, *, row: PlanRow, user: User | None) -> int | None:
    """Make ``row`` the version drivers and the public see, with its audit entry (``user``
    None: the system), the season locked until the transaction ends (``lock_season``);
    Conflict for a draft or a plan with violations. Returns the previously published
    version's id."""
    if row.draft:
        raise Conflict(f"plan {row.id} is a draft: save a valid version before publishing")
    if row.violations:
        rules = ", ".join(sorted({str(v.get("rule")) for v in row.violations}))
        raise Conflict(f"plan {row.id} breaks {len(row.violations)} rules ({rules}): fix first")
    season = lock_season(session, row.season_id)
    before = season.published_plan_id
    if before is not None and before != row.id and (old := session.get(PlanRow, before)):
        old.published_at = None  # published_at is set on the season's published version only
    row.published_at = utcnow()
    season.published_plan_id = row.id
    record(
        session,
        user=user,
        action="publish",
        entity="plan",
        entity_id=row.id,
        before={"plan_id": before},
        after={"plan_id": row.id, "season_id": row.season_id},
    )
    session.flush()
    return before
