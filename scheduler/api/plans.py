"""``/api/plans``: plan versions for planners: read, compare, import and export the plan file,
lock, edit by hand (move a stop, swap a film) with the validator's verdict, publish, roll back.

Every change is a new version with its parent (locks change the version in place), goes to
the audit log, and is guarded by the version's ETag (``If-Match``). Starting a solve is
``POST /api/seasons/{id}/plans`` (the jobs router).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.api.catalogue import NO_NUL
from scheduler.api.deps import (
    ERRORS,
    IfMatch,
    Planner,
    SessionDep,
    TravelDep,
    check_version,
    set_etag,
)
from scheduler.api.plan_views import (
    Comparison,
    PlanRead,
    PlanSummary,
    RouteRead,
    ViolationRead,
    compare_plans,
    plan_read,
    plan_summary,
    route_read,
    violation_read,
)
from scheduler.db.audit import record
from scheduler.db.catalogue import (
    INT_MAX,
    get_season,
    latest_plan_ids,
    season_scenario,
    storable_problems,
)
from scheduler.db.plans import (
    StoredPlan,
    author_name,
    get_plan_row,
    load_plan,
    lock_season,
    plan_versions,
    publish_plan,
    set_lock,
    write_plan,
)
from scheduler.db.tables import PlanRow
from scheduler.errors import Conflict, InvalidProblem
from scheduler.planning import EditOutcome, check_plan, move_stop, swap_film
from scheduler.schemas import PlanFile, plan_from_file, plan_to_file, problem_from_scenario

__all__ = ["DbId", "Loaded", "forget_published", "load_version", "router", "version_summary"]

router = APIRouter(prefix="/api", tags=["plans"], responses=ERRORS)

DbId = Annotated[int, Path(ge=1, le=INT_MAX)]
TextId = Annotated[str, Field(min_length=1, max_length=100, pattern=NO_NUL)]
Day = Annotated[
    date,
    Field(
        ge=date(2000, 1, 1),
        le=date(2199, 12, 31),
        json_schema_extra={"pattern": r"^2[01]\d\d-\d\d-\d\d$"},
    ),
]
"""A day in 2000..2199."""

REFUSED_RULES = frozenset({"unknown_id", "duplicate_route"})
"""An imported plan breaking these cannot be stored or shown: refused, not kept as a draft."""


# --- request and response models ---------------------------------------------------------


class LockChange(BaseModel):
    """Lock or unlock a whole truck-day (``venue_id`` null) or one stop of it."""

    truck_id: TextId
    day: Day
    venue_id: TextId | None = None
    locked: bool


class _Edit(BaseModel):
    truck_id: TextId
    day: Day
    venue_id: TextId = Field(description="the stop to change, on the route of truck_id on day")
    dry_run: bool = Field(default=False, description="only the verdict; nothing is stored")
    save_as_draft: bool = Field(
        default=False, description="store the edit as a draft even if it breaks rules"
    )


class MoveRequest(_Edit):
    """Move a stop (with its films) to another truck, day or position."""

    to_truck_id: TextId
    to_day: Day
    to_position: int = Field(ge=0, le=1000, description="index in the target route, 0 first")


class FilmSwap(_Edit):
    """Show another film in one screening of a stop."""

    screening_index: int = Field(ge=0, le=100, description="0 first")
    film_id: TextId


class TruckDay(BaseModel):
    truck_id: str
    day: date


class EditResult(BaseModel):
    """The validator's verdict on an edit, the re-timed routes, and the new version."""

    valid: bool
    violations: list[ViolationRead]
    changed_routes: list[RouteRead]
    removed_routes: list[TruckDay] = Field(description="truck-days the edit left empty")
    plan_id: int | None = Field(description="the new version; null for a dry run")


# --- loading ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Loaded:
    """A version's row, its domain view and its summary."""

    row: PlanRow
    stored: StoredPlan
    summary: PlanSummary


def load_version(session: Session, plan_id: int, *, for_update: bool = False) -> Loaded:
    """The version with everything a response needs; NotFound for an unknown id."""
    row = get_plan_row(session, plan_id, for_update=for_update)
    summary = version_summary(session, row)
    return Loaded(row, load_plan(row, published=summary.published), summary)


def version_summary(session: Session, row: PlanRow) -> PlanSummary:
    """The version's summary: whether it is the published one, and who made it."""
    published = get_season(session, row.season_id).published_plan_id == row.id
    return plan_summary(row, published=published, created_by=author_name(session, row=row))


def forget_published(state: Any) -> None:
    """Drop the app's cache of published plans (``state`` is ``app.state``): drivers and the
    public see a newly published version on their next request."""
    published = getattr(state, "published_cache", None)
    if published is not None:
        published.invalidate()


# --- reading ---------------------------------------------------------------------------


@router.get("/plans", response_model=list[PlanSummary], summary="List a season's plan versions")
def list_plans(
    user: Planner,
    session: SessionDep,
    season_id: Annotated[int, Query(ge=1, le=INT_MAX)],
) -> list[PlanSummary]:
    """Every version of the season, newest first, with its kind, parent, verdict and author;
    ``published`` marks the one drivers and the public see."""
    season = get_season(session, season_id)
    return [
        plan_summary(row, published=row.id == season.published_plan_id, created_by=name)
        for row, name in plan_versions(session, season_id=season_id)
    ]


@router.get("/plans/compare", response_model=Comparison, summary="Compare two plan versions")
def compare(
    user: Planner,
    session: SessionDep,
    travel: TravelDep,
    a: Annotated[int, Query(ge=1, le=INT_MAX, description="the older version")],
    b: Annotated[int, Query(ge=1, le=INT_MAX, description="the newer version")],
) -> Comparison:
    """Stops added, dropped, moved (another truck or position) and re-timed (arrival moved
    by more than a minute) from ``a`` to ``b``, keyed by venue and day; both versions' KPIs."""
    first, second = load_version(session, a), load_version(session, b)
    return compare_plans(first.stored, first.summary, second.stored, second.summary, travel)


@router.get("/plans/{plan_id}", response_model=PlanRead, summary="Read a plan version")
def read_plan(
    plan_id: DbId, user: Planner, session: SessionDep, travel: TravelDep, response: Response
) -> PlanRead:
    """Routes (stops with setup, screenings, teardown; breaks; locks), unserved venues with
    reasons, violations, stats and KPIs, all from the version's own scenario snapshot. The
    ``ETag`` is the version to send as ``If-Match`` when changing the plan."""
    loaded = load_version(session, plan_id)
    set_etag(response, loaded.row.version)
    return plan_read(loaded.summary, loaded.stored, travel)


@router.get("/plans/{plan_id}/file", response_model=PlanFile, summary="Download the plan file")
def plan_file(plan_id: DbId, user: Planner, session: SessionDep) -> PlanFile:
    """The version in the CLI's plan file format (``scheduler check`` reads it; the import
    endpoint takes it back)."""
    stored = load_version(session, plan_id).stored
    return plan_to_file(stored.plan, scenario=stored.problem.name)


# --- importing -------------------------------------------------------------------------


def _file_problems(body: PlanFile) -> list[tuple[str, str]]:
    """Fields of a plan file that cannot be stored (NUL characters, numbers beyond 32 bits,
    days outside 2000..2199, times more than a day before or two days after their route's
    day)."""
    problems = storable_problems(body.model_dump(mode="json"))
    for i, route in enumerate(body.routes):
        where = f"routes[{i}]"
        if not date(2000, 1, 1) <= route.day <= date(2199, 12, 31):
            problems.append((f"{where}.day", f"{route.day} is outside 2000..2199"))
            continue
        times = {
            "depot_departure": route.depot_departure,
            "depot_return": route.depot_return,
            **{f"breaks[{j}].start": b.start for j, b in enumerate(route.breaks)},
            **{f"breaks[{j}].end": b.end for j, b in enumerate(route.breaks)},
        }
        for j, stop in enumerate(route.stops):
            times[f"stops[{j}].arrival"] = stop.arrival
            times[f"stops[{j}].departure"] = stop.departure
            for k, show in enumerate(stop.screenings):
                times[f"stops[{j}].screenings[{k}].start"] = show.start
                times[f"stops[{j}].screenings[{k}].end"] = show.end
        for name, moment in times.items():
            if not -1 <= (moment.date() - route.day).days <= 2:
                problems.append((f"{where}.{name}", f"{moment} is too far from {route.day}"))
    return problems


@router.post(
    "/seasons/{season_id}/plans/import",
    response_model=PlanRead,
    status_code=201,
    summary="Import a plan file",
)
def import_plan(
    season_id: DbId,
    body: PlanFile,
    user: Planner,
    session: SessionDep,
    travel: TravelDep,
    response: Response,
) -> PlanRead:
    """Store a plan file (the CLI's format) as a new version of the season, checked by the
    validator against the season's current scenario: kind ``import``, a draft if it breaks
    a rule. A plan naming trucks, venues or films the season does not have, or with two
    routes of one truck on one day, is refused (422)."""
    season = get_season(session, season_id)
    problems = _file_problems(body)
    if problems:
        raise InvalidProblem(problems)
    problem = problem_from_scenario(season_scenario(session, season))
    plan = plan_from_file(body)
    violations = check_plan(problem, plan, travel)
    refused = [v for v in violations if v.rule in REFUSED_RULES]
    if refused:
        raise InvalidProblem([(v.rule, v.message) for v in refused])
    row = write_plan(
        session,
        season_id=season.id,
        problem=problem,
        plan=plan,
        kind="import",
        violations=violations,
        parent_id=None,
        draft=bool(violations),
        note=f"imported plan file '{body.scenario}'"[:200],
        user_id=user.id,
    )
    after = {"plan_id": row.id, "violations": len(violations), "draft": row.draft}
    record(session, user=user, action="import", entity="plan", entity_id=row.id, after=after)
    session.commit()
    loaded = load_version(session, row.id)
    set_etag(response, loaded.row.version)
    return plan_read(loaded.summary, loaded.stored, travel)


# --- locks, publishing, roll-back ------------------------------------------------------


@router.put("/plans/{plan_id}/locks", response_model=PlanSummary, summary="Lock or unlock")
def change_lock(
    plan_id: DbId,
    body: LockChange,
    user: Planner,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> PlanSummary:
    """Lock a truck-day (``venue_id`` null) or one stop so the next solve keeps it exactly
    and hand edits leave it alone; unlock with ``locked: false``. Changes this version in
    place: its version (ETag) goes up. 404 when the plan has no such route or stop."""
    row = get_plan_row(session, plan_id, for_update=True)
    check_version(if_match, row.version)
    version = row.version
    was = set_lock(
        session,
        row=row,
        truck_id=body.truck_id,
        day=body.day,
        venue_id=body.venue_id,
        locked=body.locked,
    )
    target = body.model_dump(mode="json", exclude={"locked"})
    record(
        session,
        user=user,
        action="lock" if body.locked else "unlock",
        entity="plan",
        entity_id=row.id,
        before={"plan_id": row.id, "version": version, "locked": was, **target},
        after={"plan_id": row.id, "version": row.version, "locked": body.locked, **target},
    )
    session.commit()
    set_etag(response, row.version)
    return version_summary(session, row)


@router.post("/plans/{plan_id}/publish", response_model=PlanSummary, summary="Publish")
def publish(
    plan_id: DbId,
    user: Planner,
    session: SessionDep,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> PlanSummary:
    """Make this version the one drivers and the public see. A draft, or a plan that breaks
    a rule, is refused (409, saying why)."""
    # the season first, then the plan row: the order every publisher takes (no deadlock
    # with an automatic re-plan, which holds the season while it re-plans)
    season_id = session.scalar(select(PlanRow.season_id).where(PlanRow.id == plan_id))
    if season_id is not None:
        lock_season(session, season_id)
    row = get_plan_row(session, plan_id, for_update=True)
    check_version(if_match, row.version)
    publish_plan(session, row=row, user=user)
    session.commit()
    forget_published(request.app.state)
    set_etag(response, row.version)
    return version_summary(session, row)


@router.post(
    "/plans/{plan_id}/rollback", response_model=PlanSummary, status_code=201, summary="Roll back"
)
def rollback(plan_id: DbId, user: Planner, session: SessionDep, response: Response) -> PlanSummary:
    """A new version (kind ``rollback``, parent: the season's newest version) with this
    version's routes, unserved venues, locks, scenario and verdict. Publish it to make it
    what drivers see."""
    old = load_version(session, plan_id)
    stored = old.stored
    parent = latest_plan_ids(session, [stored.season_id]).get(stored.season_id)
    row = write_plan(
        session,
        season_id=stored.season_id,
        problem=stored.problem,
        plan=stored.plan,
        kind="rollback",
        violations=stored.violations,
        parent_id=parent,
        draft=stored.draft,
        note=f"rolled back to version {stored.number}",
        user_id=user.id,
        locked_routes=stored.locked_routes,
        locked_stops=stored.locked_stops,
    )
    record(
        session,
        user=user,
        action="rollback",
        entity="plan",
        entity_id=row.id,
        before={"plan_id": parent, "copied_from": stored.id},
        after={"plan_id": row.id},
    )
    session.commit()
    set_etag(response, row.version)
    return version_summary(session, row)


# --- hand edits ------------------------------------------------------------------------

EDIT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": EditResult, "description": "A dry run: the verdict; nothing stored"},
    409: {"model": ERRORS[409]["model"], "description": "Stale If-Match, or a locked part"},
}


def _locked(stored: StoredPlan, keys: list[tuple[str, date]], stop: tuple[str, date, str]) -> None:
    for key in keys:
        if key in stored.locked_routes:
            raise Conflict(f"the route of {key[0]} on {key[1]} is locked: unlock it first")
    if stop in stored.locked_stops:
        raise Conflict(f"the stop at '{stop[2]}' on {stop[0]}'s {stop[1]} is locked")


def _locks_kept(stored: StoredPlan, outcome: EditOutcome) -> None:
    """Conflict when the edit would re-time or drop a locked stop."""
    before = {(r.truck_id, r.day, s.venue_id): s for r, s in stored.plan.stops}
    after = {(r.truck_id, r.day, s.venue_id): s for r, s in outcome.plan.stops}
    for key in sorted(stored.locked_stops):
        if before.get(key) != after.get(key):
            raise Conflict(
                f"the edit would change the locked stop at '{key[2]}' on {key[0]}'s {key[1]}"
            )


class _EditCall:
    """What every hand edit route takes besides its body: the version, the planner, the
    session, the travel-time provider (the job workers' one), the response (status, ETag)
    and ``If-Match``."""

    def __init__(
        self,
        plan_id: DbId,
        user: Planner,
        session: SessionDep,
        travel: TravelDep,
        response: Response,
        if_match: IfMatch = None,
    ) -> None:
        self.plan_id = plan_id
        self.user = user
        self.session = session
        self.travel = travel
        self.response = response
        self.if_match = if_match


EditCall = Annotated[_EditCall, Depends()]


def _edit(
    call: _EditCall,
    body: _Edit,
    *,
    routes: list[tuple[str, date]],
    edit: Callable[[StoredPlan], EditOutcome],
    action: str,
    note: str,
) -> EditResult:
    """Apply a hand edit: locks, the engine's re-timing and verdict, then store it (or not)."""
    session, user, response = call.session, call.user, call.response
    loaded = load_version(session, call.plan_id, for_update=not body.dry_run)
    stored = loaded.stored
    check_version(call.if_match, loaded.row.version)
    _locked(stored, routes, (body.truck_id, body.day, body.venue_id))
    outcome = edit(stored)
    _locks_kept(stored, outcome)
    kept = {(r.truck_id, r.day): r for r in outcome.plan.routes}
    result = EditResult(
        valid=not outcome.violations,
        violations=[violation_read(v) for v in outcome.violations],
        changed_routes=[route_read(stored, kept[key]) for key in outcome.changed if key in kept],
        removed_routes=[
            TruckDay(truck_id=truck, day=day)
            for truck, day in outcome.changed
            if (truck, day) not in kept
        ],
        plan_id=None,
    )
    if body.dry_run:
        response.status_code = 200
        return result
    if outcome.violations and not body.save_as_draft:
        raise InvalidProblem([(v.rule, v.message) for v in outcome.violations])
    row = write_plan(
        session,
        season_id=stored.season_id,
        problem=stored.problem,
        plan=outcome.plan,
        kind="edit",
        violations=outcome.violations,
        parent_id=stored.id,
        draft=body.save_as_draft,
        note=note,
        user_id=user.id,
        locked_routes=stored.locked_routes,
        locked_stops=stored.locked_stops,
    )
    record(
        session,
        user=user,
        action=action,
        entity="plan",
        entity_id=row.id,
        before={"plan_id": stored.id},
        after={
            "plan_id": row.id,
            "draft": row.draft,
            "violations": len(outcome.violations),
            **body.model_dump(mode="json", exclude={"dry_run", "save_as_draft"}),
        },
    )
    session.commit()
    set_etag(response, row.version)
    return result.model_copy(update={"plan_id": row.id})


@router.post(
    "/plans/{plan_id}/moves",
    response_model=EditResult,
    status_code=201,
    summary="Move a stop",
    responses=EDIT_RESPONSES,
)
def move(body: MoveRequest, call: EditCall) -> EditResult:
    """Move a stop to another truck, day or position; the routes it leaves and joins are
    re-timed and the whole plan re-checked. ``dry_run``: the verdict only (200). Otherwise a
    new version (kind ``edit``, parent: this plan, locks kept) is stored (201), unless the
    move breaks a rule (422, one item per violation: ``loc`` ``["body", rule]``) and is not
    ``save_as_draft`` (then it is stored as a draft with its violations). A locked stop or
    truck-day cannot be changed (409)."""
    return _edit(
        call,
        body,
        routes=[(body.truck_id, body.day), (body.to_truck_id, body.to_day)],
        edit=lambda stored: move_stop(
            stored.problem,
            stored.plan,
            truck_id=body.truck_id,
            day=body.day,
            venue_id=body.venue_id,
            to_truck_id=body.to_truck_id,
            to_day=body.to_day,
            to_position=body.to_position,
            travel=call.travel,
        ),
        action="move",
        note=(
            f"moved {body.venue_id} from {body.truck_id} {body.day} to {body.to_truck_id} "
            f"{body.to_day} position {body.to_position}"
        ),
    )


@router.post(
    "/plans/{plan_id}/films",
    response_model=EditResult,
    status_code=201,
    summary="Swap a film",
    responses=EDIT_RESPONSES,
)
def swap(body: FilmSwap, call: EditCall) -> EditResult:
    """Show another film in one screening of a stop; the route is re-timed and the plan
    re-checked. Dry runs, drafts, 422 and 409 as for moves."""
    return _edit(
        call,
        body,
        routes=[(body.truck_id, body.day)],
        edit=lambda stored: swap_film(
            stored.problem,
            stored.plan,
            truck_id=body.truck_id,
            day=body.day,
            venue_id=body.venue_id,
            screening_index=body.screening_index,
            film_id=body.film_id,
            travel=call.travel,
        ),
        action="swap_film",
        note=(
            f"film {body.film_id} in screening {body.screening_index} at {body.venue_id} "
            f"({body.truck_id} {body.day})"
        ),
    )
