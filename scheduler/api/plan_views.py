"""A plan version as the planner's workspace sees it: routes with names and times, KPIs,
unserved venues, violations, and the differences between two versions.

Everything is built from the version's own scenario snapshot (``StoredPlan.problem``), never
from the live catalogue, so an old version reads the same after venues or films change.
Times are ISO 8601 in the season's timezone; stop positions count from 0 (as ``to_position``
of a move does).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import date, datetime, time, timedelta
from typing import TypedDict
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from scheduler import domain as d
from scheduler.checks import Violation
from scheduler.db.plans import StoredPlan, local_route, plan_version
from scheduler.db.tables import PlanRow
from scheduler.schemas import BreakModel, ScreeningModel, StatsModel, UnservedModel
from scheduler.sun import civil_dusk
from scheduler.travel import TravelTimes

__all__ = [
    "Comparison",
    "Kpis",
    "PlanRead",
    "PlanSummary",
    "RouteRead",
    "ScreeningFields",
    "StopChange",
    "StopFields",
    "ViolationRead",
    "compare_plans",
    "kpis",
    "plan_read",
    "plan_summary",
    "route_read",
    "screening_fields",
    "stop_fields",
    "violation_read",
]

RETIME_MIN = 1.0
"""A stop counts as re-timed when its arrival moved by more than this many minutes."""


class ViolationRead(BaseModel):
    """A broken rule (``rule`` is one of ``checks.RULES``) with the ids it concerns."""

    rule: str
    message: str
    truck_id: str | None = None
    day: date | None = None
    venue_id: str | None = None
    film_id: str | None = None


class ScreeningRead(ScreeningModel):
    """A screening with its film's title and age rating as shown to audiences (``12+``)."""

    title: str
    rating: str


class StopRead(BaseModel):
    """One visit: arrival, setup, screenings, teardown, departure."""

    position: int = Field(description="index in the route, 0 first")
    venue_id: str
    venue_name: str
    okrug: str
    address: str
    lat: float
    lon: float
    arrival: datetime
    setup_start: datetime
    setup_end: datetime
    screenings: list[ScreeningRead]
    teardown_start: datetime | None
    departure: datetime
    locked: bool


class RouteRead(BaseModel):
    """One truck's day: depot, stops in order, depot; with the day's dusk and silence limit
    (for the timeline)."""

    truck_id: str
    truck_name: str
    screen: d.ScreenType
    day: date
    depot_departure: datetime
    depot_return: datetime
    shift_min: float
    locked: bool
    breaks: list[BreakModel]
    stops: list[StopRead]
    dusk: datetime | None = Field(description="civil dusk at the truck's depot that evening")
    silence_start: datetime = Field(description="when the amplified programme must end")


class UnservedRead(UnservedModel):
    """A venue left out of the plan, with where it is."""

    name: str
    okrug: str
    lat: float
    lon: float


class TruckUse(BaseModel):
    """How much of a truck's working time the plan uses."""

    truck_id: str
    truck_name: str
    used_h: float = Field(description="depot to depot, over the truck's routes")
    available_h: float = Field(description="each working day's shift (its length limit), summed")
    utilisation: float = Field(description="used / available, 0..1")


class Kpis(BaseModel):
    """The numbers on the planner's KPI cards."""

    screenings: int
    stops: int
    expected_audience: int = Field(description="venue audience seats summed per screening")
    venues_served: int
    okrugs_covered: int
    okrugs: list[str]
    driving_h: float
    utilisation: list[TruckUse]


class PlanSummary(BaseModel):
    """A version in the season's history."""

    id: int
    season_id: int
    number: int
    parent_id: int | None
    kind: str
    draft: bool
    published: bool = Field(description="this is the season's published version")
    version: int = Field(description="the ETag; send it as If-Match to change the plan")
    objective: float
    stats: StatsModel
    violation_count: int
    note: str
    created_at: datetime
    created_by: str | None


class PlanRead(PlanSummary):
    """The whole plan for the workspace."""

    kpis: Kpis
    routes: list[RouteRead]
    unserved: list[UnservedRead]
    violations: list[ViolationRead]


class StopPlace(BaseModel):
    """Where and when a stop is in one version."""

    truck_id: str
    position: int
    arrival: datetime


class StopChange(BaseModel):
    """A stop (keyed by venue and day) that differs between versions ``a`` and ``b``."""

    venue_id: str
    venue_name: str
    day: date
    a: StopPlace | None
    b: StopPlace | None
    minutes: float | None = Field(description="arrival in b minus arrival in a")


class CompareSide(BaseModel):
    plan: PlanSummary
    kpis: Kpis


class Comparison(BaseModel):
    """Stops added in ``b`` (not in ``a``), dropped (in ``a``, not in ``b``), moved (same
    venue and day, another truck or position) and re-timed (same truck and position,
    arrival moved by more than a minute)."""

    a: CompareSide
    b: CompareSide
    added: list[StopChange]
    dropped: list[StopChange]
    moved: list[StopChange]
    retimed: list[StopChange]


# --- building ---------------------------------------------------------------------------


def violation_read(violation: Violation) -> ViolationRead:
    return ViolationRead.model_validate(violation, from_attributes=True)


def _zone(problem: d.Problem) -> ZoneInfo:
    return ZoneInfo(problem.rules.timezone)


class StopFields(TypedDict):
    """What the planner's and the driver's views of a stop share: the venue's place and
    the stop's times (in the zone of the route given)."""

    venue_id: str
    address: str
    okrug: str
    lat: float
    lon: float
    arrival: datetime
    setup_start: datetime
    setup_end: datetime
    teardown_start: datetime | None
    departure: datetime


class ScreeningFields(TypedDict):
    """What the planner's and the driver's views of a screening share."""

    film_id: str
    title: str
    rating: str
    start: datetime
    end: datetime


def stop_fields(venue: d.Venue, stop: d.Stop, *, setup_min: int) -> StopFields:
    """The shared fields of a stop at ``venue`` by a truck that sets up in ``setup_min``."""
    return StopFields(
        venue_id=venue.id,
        address=venue.address,
        okrug=venue.okrug,
        lat=venue.location.lat,
        lon=venue.location.lon,
        arrival=stop.arrival,
        setup_start=stop.arrival,
        setup_end=stop.arrival + timedelta(minutes=setup_min),
        teardown_start=stop.screenings[-1].end if stop.screenings else None,
        departure=stop.departure,
    )


def screening_fields(film: d.Film, show: d.Screening) -> ScreeningFields:
    """The shared fields of a screening of ``film``; the rating as audiences read it."""
    return ScreeningFields(
        film_id=film.id,
        title=film.title,
        rating=d.rating_label(film.rating),
        start=show.start,
        end=show.end,
    )


def route_read(stored: StoredPlan, route: d.Route) -> RouteRead:
    """One route in the shape of ``GET /api/plans/{id}`` (locks as stored with the plan)."""
    problem, zone = stored.problem, _zone(stored.problem)
    route = local_route(route, zone)
    truck = problem.truck(route.truck_id)
    key = (route.truck_id, route.day)
    midnight = datetime.combine(route.day, time(), tzinfo=zone)
    return RouteRead(
        truck_id=truck.id,
        truck_name=truck.name,
        screen=truck.screen,
        day=route.day,
        depot_departure=route.depot_departure,
        depot_return=route.depot_return,
        shift_min=round(route.shift_min, 1),
        locked=key in stored.locked_routes,
        breaks=[BreakModel(start=b.start, end=b.end) for b in route.breaks],
        stops=[
            StopRead(
                position=i,
                venue_name=venue.name,
                screenings=[
                    ScreeningRead(**screening_fields(problem.film(show.film_id), show))
                    for show in stop.screenings
                ],
                locked=(*key, stop.venue_id) in stored.locked_stops,
                **stop_fields(venue, stop, setup_min=truck.setup_min),
            )
            for i, stop in enumerate(route.stops)
            for venue in (problem.venue(stop.venue_id),)
        ],
        dusk=civil_dusk(route.day, truck.depot, problem.rules.timezone),
        silence_start=midnight + timedelta(minutes=problem.rules.silence_start_min),
    )


def _legs(problem: d.Problem, route: d.Route) -> Iterable[tuple[d.Location, d.Location, datetime]]:
    """(from, to, departure) of every drive of a route, depot legs included."""
    if not route.stops:
        return
    place, leave = problem.truck(route.truck_id).depot, route.depot_departure
    for stop in route.stops:
        venue = problem.venue(stop.venue_id).location
        yield place, venue, leave
        place, leave = venue, stop.departure
    yield place, problem.truck(route.truck_id).depot, leave


def kpis(problem: d.Problem, plan: d.Plan, travel: TravelTimes) -> Kpis:
    """Screenings, expected audience, venues and okrugs covered, driving hours (by
    ``travel``, the service's provider), and each truck's shift time used over the time
    available."""
    venues = {v.id: v for v in problem.venues}
    served = {stop.venue_id for _, stop in plan.stops}
    driving_min = sum(
        travel.duration_min(origin, destination, leave)
        for route in plan.routes
        for origin, destination, leave in _legs(problem, route)
    )
    use: list[TruckUse] = []
    for truck in problem.trucks:
        available_min = sum(
            min(truck.max_shift_on(day), truck.shift_on(day).length_min)
            for day in problem.days
            if d.truck_available_on(truck, day)
        )
        used_min = sum(r.shift_min for r in plan.routes if r.truck_id == truck.id and r.stops)
        use.append(
            TruckUse(
                truck_id=truck.id,
                truck_name=truck.name,
                used_h=round(used_min / 60, 2),
                available_h=round(available_min / 60, 2),
                utilisation=round(used_min / available_min, 3) if available_min else 0.0,
            )
        )
    okrugs = sorted({venues[v].okrug for v in served if v in venues})
    return Kpis(
        screenings=sum(len(stop.screenings) for _, stop in plan.stops),
        stops=len(plan.stops),
        expected_audience=sum(
            venues[stop.venue_id].audience_seats * len(stop.screenings)
            for _, stop in plan.stops
            if stop.venue_id in venues
        ),
        venues_served=len(served),
        okrugs_covered=len(okrugs),
        okrugs=okrugs,
        driving_h=round(driving_min / 60, 2),
        utilisation=use,
    )


def plan_summary(row: PlanRow, *, published: bool, created_by: str | None) -> PlanSummary:
    """The version's place in the history, from its row alone (routes are not read)."""
    zone = ZoneInfo(str(row.scenario.get("rules", {}).get("timezone", "Europe/Moscow")))
    return PlanSummary(
        **asdict(plan_version(row, zone)),
        published=published,
        objective=row.objective,
        stats=StatsModel.model_validate(
            {name: row.stats[name] for name in StatsModel.model_fields if name in row.stats}
        ),
        violation_count=len(row.violations),
        created_by=created_by,
    )


def plan_read(summary: PlanSummary, stored: StoredPlan, travel: TravelTimes) -> PlanRead:
    """The whole version for the workspace (driving hours by ``travel``)."""
    problem = stored.problem
    venues = {v.id: v for v in problem.venues}
    return PlanRead(
        **summary.model_dump(),
        kpis=kpis(problem, stored.plan, travel),
        routes=[route_read(stored, route) for route in stored.plan.routes],
        unserved=[
            UnservedRead(
                venue_id=entry.venue_id,
                reason=entry.reason,
                message=entry.message,
                name=venue.name,
                okrug=venue.okrug,
                lat=venue.location.lat,
                lon=venue.location.lon,
            )
            for entry in stored.plan.unserved
            for venue in (venues[entry.venue_id],)
        ],
        violations=[violation_read(v) for v in stored.violations],
    )


# --- comparing --------------------------------------------------------------------------

StopKey = tuple[str, date]
"""(venue_id, day)"""


def _places(plan: d.Plan) -> dict[StopKey, StopPlace]:
    places: dict[StopKey, StopPlace] = {}
    for route in plan.routes:
        for position, stop in enumerate(route.stops):
            places.setdefault(
                (stop.venue_id, route.day),
                StopPlace(truck_id=route.truck_id, position=position, arrival=stop.arrival),
            )
    return places


def _venue_name(key: StopKey, *problems: d.Problem) -> str:
    for problem in problems:
        for venue in problem.venues:
            if venue.id == key[0]:
                return venue.name
    return key[0]


def compare_plans(
    a: StoredPlan,
    a_summary: PlanSummary,
    b: StoredPlan,
    b_summary: PlanSummary,
    travel: TravelTimes,
) -> Comparison:
    """What changed from version ``a`` to version ``b`` (driving hours by ``travel``)."""
    before, after = _places(a.plan), _places(b.plan)
    zone = _zone(b.problem)

    def change(key: StopKey) -> StopChange:
        old, new = before.get(key), after.get(key)
        minutes = (new.arrival - old.arrival) / timedelta(minutes=1) if old and new else None
        return StopChange(
            venue_id=key[0],
            venue_name=_venue_name(key, b.problem, a.problem),
            day=key[1],
            a=old.model_copy(update={"arrival": old.arrival.astimezone(zone)}) if old else None,
            b=new.model_copy(update={"arrival": new.arrival.astimezone(zone)}) if new else None,
            minutes=round(minutes, 1) if minutes is not None else None,
        )

    def order(keys: Iterable[StopKey]) -> list[StopChange]:
        return [change(key) for key in sorted(keys, key=lambda k: (k[1], k[0]))]

    both = before.keys() & after.keys()
    moved = {
        k
        for k in both
        if (before[k].truck_id, before[k].position) != (after[k].truck_id, after[k].position)
    }
    retimed = {
        k
        for k in both - moved
        if abs(after[k].arrival - before[k].arrival) > timedelta(minutes=RETIME_MIN)
    }
    return Comparison(
        a=CompareSide(plan=a_summary, kpis=kpis(a.problem, a.plan, travel)),
        b=CompareSide(plan=b_summary, kpis=kpis(b.problem, b.plan, travel)),
        added=order(after.keys() - before.keys()),
        dropped=order(before.keys() - after.keys()),
        moved=order(moved),
        retimed=order(retimed),
    )
