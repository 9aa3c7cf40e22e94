"""``/api/plans/{id}/replan``: re-plan the rest of a day after disruptions (a late truck, a
cancelled venue, a breakdown, a requested venue, ...), as a what-if copy or published at
once; and the record of a re-plan version. ``replan_after_event`` is the same re-plan run
in the background when a driver reports a delay, a breakdown, a venue they cannot reach or
a late arrival (``api.driver``).

A re-plan is a new version (kind ``replan``, parent: the version it started from) whose
scenario is the season with the disruptions applied (a requested venue and a cancellation
are part of it), with the base's locks kept (the engine keeps them as pins). Its record
(``ReplanResult`` without ``plan``) is stored with it: the situation, both versions' KPIs,
the stops that changed, every screening dropped with its reason.

A re-plan that publishes replaces the season's published version, so it must start from
it: its transaction locks the season (``db.plans.lock_season``: the row on PostgreSQL, the
write lock on SQLite) and re-reads the published version before it writes. A planner's
re-plan of a version that is no longer published is refused (409) rather than undoing the
newer one; the automatic re-plan starts from whatever is published once it holds the lock.
"""

from __future__ import annotations

import abc
import logging
import threading
from collections.abc import Callable, Coroutine
from dataclasses import replace
from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from scheduler import disruptions
from scheduler import domain as d
from scheduler.api.deps import (
    ERRORS,
    IfMatch,
    Planner,
    SessionDep,
    TravelDep,
    check_version,
    set_etag,
)
from scheduler.api.plan_views import Kpis, PlanSummary, StopChange, compare_plans
from scheduler.api.plans import (
    Day,
    DbId,
    Loaded,
    TextId,
    forget_published,
    load_version,
    version_summary,
)
from scheduler.api.public import FIRST_DAY, LAST_DAY, YEARS_PATTERN, ZONE
from scheduler.config import Settings
from scheduler.db.audit import record
from scheduler.db.catalogue import get_season
from scheduler.db.engine import Database
from scheduler.db.plans import (
    StoredPlan,
    lock_season,
    publish_plan,
    replan_record,
    write_plan,
)
from scheduler.db.tables import PlanRow, User
from scheduler.errors import Conflict, InvalidProblem
from scheduler.jobs.worker import locks_of
from scheduler.planning import REPLAN_TIME_LIMIT_S, Replan, default_travel, replan_plan
from scheduler.schemas import ScenarioFile, VenueModel, named_field, problem_from_scenario
from scheduler.travel import TravelTimes

__all__ = [
    "ReplanRecord",
    "ReplanRequest",
    "ReplanResult",
    "ReplanSituation",
    "replan_after_event",
    "replan_version",
    "router",
]

log = logging.getLogger(__name__)


def _in_years(moment: datetime) -> datetime:
    if not FIRST_DAY.year <= moment.year <= LAST_DAY.year:
        raise ValueError("must be between 2000 and 2199")
    return moment


Moment = Annotated[
    AwareDatetime,
    AfterValidator(_in_years),
    Field(json_schema_extra={"pattern": YEARS_PATTERN}),
]
"""A time with its UTC offset, in 2000..2199."""


# --- disruptions on the wire ----------------------------------------------------------------


class _DisruptionIn(BaseModel, abc.ABC):
    """A disruption on the wire; each kind turns itself into the domain's."""

    model_config = ConfigDict(extra="forbid")

    @abc.abstractmethod
    def disruption(self, scenario: ScenarioFile) -> disruptions.Disruption:
        """The domain's disruption (``InvalidProblem`` naming this object's field)."""


class DelayedIn(_DisruptionIn):
    """A truck running late: ``minutes`` from ``now`` on, or its actual (or expected)
    ``arrival`` at ``venue_id``."""

    kind: Literal["delayed"]
    truck_id: TextId
    minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    venue_id: TextId | None = None
    arrival: Moment | None = None

    def disruption(self, scenario: ScenarioFile) -> disruptions.Disruption:
        return disruptions.TruckDelayed(self.truck_id, self.minutes, self.arrival, self.venue_id)


class VenueCancelledIn(_DisruptionIn):
    """A venue that cannot be visited on the day (rain, a permit withdrawn)."""

    kind: Literal["venue_cancelled"]
    venue_id: TextId

    def disruption(self, scenario: ScenarioFile) -> disruptions.Disruption:
        return disruptions.VenueCancelled(self.venue_id)


class VenueUnreachableIn(_DisruptionIn):
    """A venue one truck cannot get to on the day (another truck may)."""

    kind: Literal["venue_unreachable"]
    truck_id: TextId
    venue_id: TextId

    def disruption(self, scenario: ScenarioFile) -> disruptions.Disruption:
        return disruptions.VenueUnreachable(self.truck_id, self.venue_id)


class BreakdownIn(_DisruptionIn):
    """A truck out of service from ``at`` to the end of the day."""

    kind: Literal["breakdown"]
    truck_id: TextId
    at: Moment

    def disruption(self, scenario: ScenarioFile) -> disruptions.Disruption:
        return disruptions.TruckBrokenDown(self.truck_id, self.at)


class ShiftCutIn(_DisruptionIn):
    """A driver who must be back at the depot by ``end``."""

    kind: Literal["shift_cut"]
    truck_id: TextId
    end: Moment

    def disruption(self, scenario: ScenarioFile) -> disruptions.Disruption:
        return disruptions.ShiftCut(self.truck_id, self.end)


class VenueRequestedIn(_DisruptionIn):
    """A screening asked for on the day: at the season's venue ``venue_id``, or at a new
    ``venue`` (added to the re-plan's scenario)."""

    kind: Literal["venue_requested"]
    venue_id: TextId | None = None
    venue: VenueModel | None = None

    def disruption(self, scenario: ScenarioFile) -> disruptions.Disruption:
        if self.venue is None:
            return disruptions.VenueRequested(venue_id=self.venue_id)
        if self.venue_id is not None:
            raise InvalidProblem([("venue", "give either a new venue or a venue_id")])
        if any(v.id == self.venue.id for v in scenario.venues):
            raise InvalidProblem(
                [("venue.id", f"the season has a venue '{self.venue.id}': use venue_id")]
            )
        # the one wire-to-domain mapping of a venue is the scenario's: map a scenario of one
        single = scenario.model_copy(update={"venues": [self.venue]})
        return disruptions.VenueRequested(venue=problem_from_scenario(single).venues[0])


class FilmWithdrawnIn(_DisruptionIn):
    """A film that may not be shown from ``at`` on (this day and every later day)."""

    kind: Literal["film_withdrawn"]
    film_id: TextId
    at: Moment

    def disruption(self, scenario: ScenarioFile) -> disruptions.Disruption:
        return disruptions.FilmWithdrawn(self.film_id, self.at)


DisruptionIn = Annotated[
    DelayedIn
    | VenueCancelledIn
    | VenueUnreachableIn
    | BreakdownIn
    | ShiftCutIn
    | VenueRequestedIn
    | FilmWithdrawnIn,
    Field(discriminator="kind"),
]
KINDS = frozenset(
    {"delayed", "venue_cancelled", "venue_unreachable", "breakdown", "shift_cut"}
    | {"venue_requested", "film_withdrawn"}
)


class ReplanRequest(BaseModel):
    """Re-plan the rest of ``day`` from ``now`` around ``disruptions``."""

    model_config = ConfigDict(extra="forbid")

    day: Day
    now: Moment | None = Field(
        default=None, description="The moment of the re-plan; default: the current time"
    )
    disruptions: list[DisruptionIn] = Field(default_factory=list, max_length=100)
    publish: bool = Field(
        default=False, description="false: a what-if version; true: publish it at once"
    )
    time_limit_s: float = Field(default=REPLAN_TIME_LIMIT_S, ge=0.2, le=60)


# --- the result --------------------------------------------------------------------------


class ReplanSituation(BaseModel):
    """What the re-plan started from: the day, the moment, the disruptions."""

    day: date
    now: datetime
    disruptions: list[DisruptionIn]


class BeforeAfter(BaseModel):
    """Both versions' KPIs side by side."""

    before: Kpis
    after: Kpis


ChangeKind = Literal["added", "dropped", "moved", "retimed"]


class ReplanChange(StopChange):
    """A stop (keyed by venue and day) the re-plan added, dropped, moved (another truck or
    position) or re-timed (arrival moved by more than a minute)."""

    change: ChangeKind


class DroppedRead(BaseModel):
    """A screening of the base version the re-plan no longer has, and why."""

    truck_id: str
    day: date
    venue_id: str
    venue_name: str
    film_id: str
    film_title: str
    start: datetime
    reason: str = Field(description="venue_cancelled, unreachable, truck_broken_down, ...")
    message: str


class ReplanRecord(BaseModel):
    """What a re-plan version is stored with (``PlanRow.replan``)."""

    base: PlanSummary = Field(description="the version the re-plan started from")
    published: bool = Field(description="the re-plan was published when it was made")
    situation: ReplanSituation
    kpis: BeforeAfter
    changes: list[ReplanChange]
    dropped: list[DroppedRead]
    kept: int = Field(description="stops done or in progress at now, kept as they were")
    seconds: float = Field(description="the engine's wall time")


class ReplanResult(ReplanRecord):
    """A re-plan version, the version it started from, and what changed between them."""

    plan: PlanSummary = Field(description="the new version")


# --- validation errors name the field as sent --------------------------------------------


def _untagged(error: dict[str, Any]) -> dict[str, Any]:
    """A validation error without the union's tag in ``loc`` (pydantic puts a disruption's
    ``kind`` there: ``body.disruptions.1.delayed.truck_id``)."""
    loc = list(error.get("loc", ()))
    if loc[:2] == ["body", "disruptions"] and len(loc) > 3 and loc[3] in KINDS:
        del loc[3]
    return {**error, "loc": tuple(loc)}


class _FieldNamedRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as error:
                errors = [_untagged(e) for e in error.errors()]
                raise RequestValidationError(errors, body=error.body) from None

        return handle


router = APIRouter(prefix="/api", tags=["plans"], responses=ERRORS, route_class=_FieldNamedRoute)


def _request_error(error: InvalidProblem, number: int) -> Exception:
    """The engine's verdict on the request as a 422 naming each field as sent
    (``disruptions[1].truck_id`` -> ``["body", "disruptions", 1, "truck_id"]``); locks that
    no longer fit the season are a conflict (409)."""
    pins = [f"{field}: {message}" for field, message in error.problems if field.startswith("pins")]
    if pins:
        return Conflict(f"locks of plan version {number} no longer fit: {'; '.join(pins)}")
    items = []
    for field, message in error.problems:
        named = named_field(f"{field}: {message}")
        path: list[str | int] = named[0] if named else [field]
        items.append({"loc": ("body", *path), "msg": message, "type": "value_error"})
    return RequestValidationError(items)


def _situation(body: ReplanSituation, scenario: ScenarioFile) -> disruptions.Situation:
    """The domain's situation; ``InvalidProblem`` naming ``disruptions[i].<field>``."""
    found: list[disruptions.Disruption] = []
    problems: list[tuple[str, str]] = []
    for i, item in enumerate(body.disruptions):
        try:
            found.append(item.disruption(scenario))
        except InvalidProblem as error:
            problems += [(f"disruptions[{i}].{f}", m) for f, m in error.problems]
    if problems:
        raise InvalidProblem(problems)
    return disruptions.Situation(body.day, body.now, tuple(found))


# --- the use case ------------------------------------------------------------------------


def _dropped(replan: Replan, base: d.Problem) -> list[DroppedRead]:
    venues = {v.id: v.name for v in (*base.venues, *replan.problem.venues)}
    films = {f.id: f.title for f in (*base.films, *replan.problem.films)}
    zone = ZoneInfo(base.rules.timezone)
    return [
        DroppedRead(
            truck_id=gone.truck_id,
            day=gone.day,
            venue_id=gone.venue_id,
            venue_name=venues.get(gone.venue_id, gone.venue_id),
            film_id=gone.film_id,
            film_title=films.get(gone.film_id, gone.film_id),
            start=gone.start.astimezone(zone),
            reason=gone.reason.value,
            message=gone.message,
        )
        for gone in replan.dropped
    ]


def _replan_record(
    base: Loaded, situation: ReplanSituation, result: Replan, publish: bool, travel: TravelTimes
) -> ReplanRecord:
    """What the re-plan of ``base`` changed: KPIs before and after, stop changes, drops."""
    stored = base.stored
    after = replace(stored, problem=result.problem, plan=result.plan)
    comparison = compare_plans(stored, base.summary, after, base.summary, travel)
    by_kind: dict[ChangeKind, list[StopChange]] = {
        "added": comparison.added,
        "dropped": comparison.dropped,
        "moved": comparison.moved,
        "retimed": comparison.retimed,
    }
    changes = [
        ReplanChange(change=kind, **change.model_dump())
        for kind, found in by_kind.items()
        for change in found
    ]
    return ReplanRecord(
        base=base.summary,
        published=publish,
        situation=situation,
        kpis=BeforeAfter(before=comparison.a.kpis, after=comparison.b.kpis),
        changes=changes,
        dropped=_dropped(result, stored.problem),
        kept=len(result.kept),
        seconds=round(result.seconds, 3),
    )


def _check_still_published(session: Session, stored: StoredPlan, *, lock: bool) -> None:
    """Conflict unless ``stored`` is its season's published version (or none is): a
    re-plan of an older version, published, would undo the newer one. With ``lock`` the
    season is locked and re-read (``lock_season``), so the answer holds until the commit."""
    season_id = stored.season_id
    season = lock_season(session, season_id) if lock else get_season(session, season_id)
    current = season.published_plan_id
    if current is None or current == stored.id:
        return
    newer = session.get(PlanRow, current)
    number = newer.number if newer is not None else current
    raise Conflict(f"version {stored.number} is no longer published; re-plan version {number}")


def replan_version(
    session: Session,
    *,
    base: Loaded,
    situation: ReplanSituation,
    publish: bool,
    time_limit_s: float,
    travel: TravelTimes,
    user: User | None,
    note: str,
) -> tuple[PlanRow, ReplanResult]:
    """Re-plan ``base`` and add the new version with its record and audit entry to the
    session (published if asked); the caller commits. ``InvalidProblem`` (as a 422 naming
    the request's fields) for unknown ids or a day outside the season; ``Conflict`` when
    the base's locks no longer fit, a version with violations is to be published, or the
    base is to be published over but is no longer the published version (checked before
    the engine runs and again, with the season locked, before anything is written)."""
    stored = base.stored
    if publish:
        _check_still_published(session, stored, lock=False)
    locks = locks_of(stored)
    try:
        outcome = replan_plan(
            stored.problem,
            stored.plan,
            _situation(situation, stored.scenario),
            travel,
            pins=locks.pins,
            time_limit_s=time_limit_s,
        )
    except InvalidProblem as error:
        raise _request_error(error, stored.number) from None
    result = outcome.replan
    if publish:
        _check_still_published(session, stored, lock=True)
    entry = _replan_record(base, situation, result, publish, travel)
    row = write_plan(
        session,
        season_id=stored.season_id,
        problem=result.problem,
        plan=result.plan,
        kind="replan",
        violations=outcome.violations,
        parent_id=stored.id,
        draft=bool(outcome.violations),
        note=note[:200],
        user_id=user.id if user is not None else None,
        locked_routes=stored.locked_routes,
        locked_stops=stored.locked_stops,
        replan=entry.model_dump(mode="json"),
    )
    record(
        session,
        user=user,
        action="replan",
        entity="plan",
        entity_id=row.id,
        before={"plan_id": stored.id},
        after={
            "plan_id": row.id,
            "day": situation.day.isoformat(),
            "disruptions": [item.kind for item in situation.disruptions],
            "dropped": len(result.dropped),
            "violations": len(outcome.violations),
        },
    )
    if publish:
        publish_plan(session, row=row, user=user)
    session.flush()
    return row, ReplanResult(**dict(entry), plan=version_summary(session, row))


# --- routes ------------------------------------------------------------------------------


@router.post(
    "/plans/{plan_id}/replan",
    response_model=ReplanResult,
    status_code=201,
    summary="Re-plan the rest of a day",
)
def replan_day(
    plan_id: DbId,
    body: ReplanRequest,
    user: Planner,
    session: SessionDep,
    travel: TravelDep,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> ReplanResult:
    """Re-plan the rest of ``day`` of this version around the disruptions: stops done or in
    progress at ``now`` (default: the current time) stay as they were, the rest of the day
    is planned again, later days only where the season rules require it. The result is a new
    version (kind ``replan``, parent: this version, its locks kept) with both versions' KPIs,
    the stops that changed and every screening dropped with its reason; ``publish: true``
    publishes it at once (409 if it breaks a rule, or if this version is no longer the
    published one: re-plan that one instead). Unknown ids or a day outside the season
    are 422 naming the field (``["body", "disruptions", 1, "truck_id"]``); a stale
    ``If-Match`` is 409."""
    base = load_version(session, plan_id)
    check_version(if_match, base.row.version)
    situation = ReplanSituation(
        day=body.day, now=body.now or datetime.now(ZONE), disruptions=body.disruptions
    )
    kinds = ", ".join(item.kind for item in body.disruptions) or "no disruption"
    row, result = replan_version(
        session,
        base=base,
        situation=situation,
        publish=body.publish,
        time_limit_s=body.time_limit_s,
        travel=travel,
        user=user,
        note=f"re-planned {body.day} from version {base.stored.number} ({kinds})",
    )
    session.commit()
    if body.publish:
        forget_published(request.app.state)
    set_etag(response, row.version)
    return result


@router.get(
    "/plans/{plan_id}/replan", response_model=ReplanResult, summary="Read a re-plan's record"
)
def read_replan(plan_id: DbId, user: Planner, session: SessionDep) -> ReplanResult:
    """What a re-plan version was made from and what it changed (as its ``POST`` answered;
    ``plan`` and ``base`` as they are now). 404 for a version that is not a re-plan."""
    entry = ReplanRecord.model_validate(replan_record(session, plan_id=plan_id))
    row = session.get(PlanRow, plan_id)
    assert row is not None  # replan_record found it
    result = ReplanResult(**dict(entry), plan=version_summary(session, row))
    base_row = session.get(PlanRow, result.base.id)
    if base_row is not None:
        result = result.model_copy(update={"base": version_summary(session, base_row)})
    return result


# --- driver events -----------------------------------------------------------------------

_auto_lock = threading.Lock()
"""One automatic re-plan at a time in this process (the season lock, ``lock_season``, is
what orders them across processes): each starts from the version the previous one
published."""


def replan_after_event(
    state: Any,
    *,
    season_id: int,
    situation: ReplanSituation,
    note: str,
) -> None:
    """Re-plan the season's published version around a driver's event and publish the
    result (a background task: ``state`` is the application's ``app.state``). The season is
    locked before the published version is read, so concurrent re-plans (other threads,
    other processes) each start from the one before them. A re-plan that fails is logged
    and leaves the published version as it is."""
    database: Database = state.db
    settings: Settings = state.settings
    try:
        with _auto_lock, database.session() as session:
            published = lock_season(session, season_id).published_plan_id
            if published is None:
                return
            _, result = replan_version(
                session,
                base=load_version(session, published),
                situation=situation,
                publish=True,
                time_limit_s=REPLAN_TIME_LIMIT_S,
                travel=default_travel(settings),
                user=None,
                note=note,
            )
        forget_published(state)
        log.info(
            "re-planned season %s on %s after a driver's event: version %s, %d dropped",
            season_id,
            situation.day,
            result.plan.number,
            len(result.dropped),
        )
    except Exception:
        log.exception("automatic re-plan of season %s on %s failed", season_id, situation.day)
