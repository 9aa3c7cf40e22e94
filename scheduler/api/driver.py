"""``/api/driver``: a driver's published day and the events their phone posts; and
``/api/events``: planners read those events.

A driver is bound to one truck (``User.truck_id``) and sees only that truck's route in the
published version of a season. Events carry a client-generated id: posting the same id
again returns the first result and stores nothing, so a phone may replay its queue freely.
A delay, a breakdown, a venue the driver cannot reach or an arrival more than
``LATE_ARRIVAL_MIN`` late re-plans the rest of the day and publishes it, in the background
after the answer (``api.replan.replan_after_event``; ``Settings.auto_replan``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scheduler import domain as d
from scheduler.api import public
from scheduler.api.catalogue import NO_NUL
from scheduler.api.deps import ERRORS, JSON_ERRORS, Driver, Planner, SessionDep, content_doc
from scheduler.api.plan_views import screening_fields, stop_fields
from scheduler.api.public import YEARS_PATTERN, ZONE, BoundedDate, PublishedDep
from scheduler.api.replan import (
    BreakdownIn,
    DelayedIn,
    DisruptionIn,
    ReplanSituation,
    VenueUnreachableIn,
    replan_after_event,
)
from scheduler.db import itinerary
from scheduler.db.catalogue import from_row
from scheduler.db.itinerary import SCREENING_KINDS, VENUE_KINDS, EventKind, TruckDay
from scheduler.db.plans import local_route
from scheduler.db.tables import DriverEvent, Truck, User
from scheduler.errors import Forbidden, InvalidProblem, NotFound
from scheduler.expiring import Expiring
from scheduler.exports import run_sheet_html
from scheduler.schemas import DepotModel, TruckModel

__all__ = [
    "LATE_ARRIVAL_MIN",
    "REPLAN_AFTER",
    "REPLAN_BEFORE",
    "event_disruption",
    "nav_links",
    "router",
]

router = APIRouter()
driver_router = APIRouter(prefix="/api/driver", tags=["driver"], responses=ERRORS)
events_router = APIRouter(prefix="/api/events", tags=["events"], responses=ERRORS)

DayQuery = Annotated[
    BoundedDate | None,
    Query(alias="date", description="The day (YYYY-MM-DD); default: today in Moscow"),
]


EntityId = Annotated[str, Field(min_length=1, max_length=100, pattern=NO_NUL)]

LATE_ARRIVAL_MIN = 10
"""An ``arrived`` event later than planned by more than this re-plans the rest of the day."""
REPLAN_BEFORE, REPLAN_AFTER = timedelta(hours=12), timedelta(hours=6)
"""An event re-plans the day only when it happened from ``REPLAN_BEFORE`` the truck's
planned depot departure to ``REPLAN_AFTER`` its planned return: a phone with a wrong clock
or a queue replayed days later re-plans nothing."""


# --- models -----------------------------------------------------------------------------


class DriverNavLinks(BaseModel):
    """Links that open a navigator with the route to the stop."""

    yandexnavi: str = Field(description="Yandex Navigator app")
    yandex_maps: str = Field(description="Yandex Maps on the web (fallback)")
    geo: str = Field(description="Any map app (`geo:` URI, RFC 5870)")


class DriverScreening(BaseModel):
    """A screening at a stop; ``index`` is what ``screening_index`` in events refers to."""

    index: int
    film_id: str
    title: str
    rating: str = Field(description="Age rating as shown, e.g. `12+`")
    runtime_min: int
    start: datetime
    end: datetime


class DriverStop(BaseModel):
    """One stop of the day: arrive, set up, screen, tear down, leave."""

    position: int = Field(description="1 for the first stop of the day")
    venue_id: str
    name: str
    address: str
    okrug: str
    lat: float
    lon: float
    arrival: datetime
    setup_start: datetime
    setup_end: datetime
    screenings: list[DriverScreening]
    teardown_start: datetime | None = Field(description="The end of the last screening")
    departure: datetime
    nav: DriverNavLinks


class DriverBreak(BaseModel):
    """A declared driver's break."""

    start: datetime
    end: datetime
    minutes: int


class DriverPlanRef(BaseModel):
    """The published plan version the day comes from."""

    id: int
    season_id: int
    number: int = Field(description="The version number within the season")
    version: int = Field(description="The row version (changes when the version is edited)")


class DriverEventOut(BaseModel):
    """A stored driver event."""

    model_config = ConfigDict(populate_by_name=True)

    id: int = Field(description="The server's id")
    client_id: str = Field(description="The id the phone generated")
    truck_id: str
    user_id: int | None
    plan_id: int | None = Field(description="The published version the truck followed")
    day: date = Field(alias="date")
    kind: EventKind
    venue_id: str | None
    delay_min: int | None
    screening_index: int | None
    note: str
    at: datetime = Field(description="The phone's clock when it happened")
    received_at: datetime


class DriverDay(BaseModel):
    """A truck's published day, as the driver's phone shows it."""

    model_config = ConfigDict(populate_by_name=True)

    day: date = Field(alias="date")
    truck: TruckModel
    plan: DriverPlanRef | None = Field(description="None when no published route that day")
    depot: DepotModel
    depot_departure: datetime | None
    depot_return: datetime | None
    breaks: list[DriverBreak]
    stops: list[DriverStop]
    message: str = Field(description="Empty, or why there are no stops")
    events: list[DriverEventOut] = Field(description="What the phone posted for this day")


class DriverEventIn(BaseModel):
    """An event from the driver's phone."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Generated by the phone; a replay with the same id stores nothing",
    )
    kind: EventKind
    at: AwareDatetime = Field(
        description="The phone's clock, with its UTC offset (years 2000..2199)",
        json_schema_extra={"pattern": YEARS_PATTERN},
    )
    day: BoundedDate | None = Field(
        default=None, alias="date", description="Default: the day of `at` in Moscow"
    )
    venue_id: EntityId | None = Field(
        default=None,
        validate_default=True,
        description="Required for arrived, setup_done, screening_*, cannot_reach",
    )
    delay_min: int | None = Field(
        default=None, ge=1, le=600, validate_default=True, description="Required for delayed"
    )
    screening_index: int | None = Field(
        default=None, ge=0, le=20, validate_default=True, description="For screening_* only"
    )
    truck_id: EntityId | None = Field(default=None, description="If given, the driver's own")
    note: str = Field(default="", max_length=500, pattern=NO_NUL)

    @field_validator("at")
    @classmethod
    def _sane_time(cls, at: datetime) -> datetime:
        if not public.FIRST_DAY.year <= at.year <= public.LAST_DAY.year:
            raise ValueError("must be between 2000 and 2199")
        return at

    @field_validator("venue_id")
    @classmethod
    def _venue_needed(cls, venue_id: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("kind")
        if venue_id is None and kind in VENUE_KINDS:
            raise ValueError(f"is required for a '{kind}' event")
        return venue_id

    @field_validator("delay_min")
    @classmethod
    def _delay_needed(cls, delay_min: int | None, info: ValidationInfo) -> int | None:
        kind = info.data.get("kind")
        if delay_min is None and kind == EventKind.DELAYED:
            raise ValueError("is required for a 'delayed' event (minutes late, 1..600)")
        return delay_min

    @field_validator("screening_index")
    @classmethod
    def _screening_only(cls, index: int | None, info: ValidationInfo) -> int | None:
        kind = info.data.get("kind")
        if index is not None and kind is not None and kind not in SCREENING_KINDS:
            raise ValueError(f"is only for screening_started/screening_finished, not '{kind}'")
        return index


# --- helpers ------------------------------------------------------------------------------


def _coordinate(value: float) -> str:
    return f"{value:.6f}"


def nav_links(lat: float, lon: float, name: str) -> DriverNavLinks:
    """Yandex Navigator, Yandex Maps (web) and ``geo:`` links to a point."""
    la, lo = _coordinate(lat), _coordinate(lon)
    return DriverNavLinks(
        yandexnavi=f"yandexnavi://build_route_on_map?lat_to={la}&lon_to={lo}",
        yandex_maps=f"https://yandex.ru/maps/?rtext=~{la},{lo}&rtt=auto",
        geo=f"geo:{la},{lo}?q={la},{lo}({quote(name, safe='')})",
    )


def _truck_of(user: User) -> str:
    if not user.truck_id:
        raise Forbidden("this driver is not bound to a truck: ask a planner")
    return user.truck_id


def _local(moment: datetime) -> datetime:
    return moment.astimezone(ZONE)


def _minutes(span: timedelta) -> int:
    return round(span / timedelta(minutes=1))


def event_out(row: DriverEvent) -> DriverEventOut:
    """The wire form of a stored event (times in Moscow)."""
    return DriverEventOut(
        id=row.id,
        client_id=row.client_id,
        truck_id=row.truck_id,
        user_id=row.user_id,
        plan_id=row.plan_id,
        date=row.day,
        kind=EventKind(row.kind),
        venue_id=row.venue_id,
        delay_min=row.delay_min,
        screening_index=row.screening_index,
        note=row.note,
        at=_local(row.client_time),
        received_at=_local(row.received_at),
    )


def _stop(problem: d.Problem, truck: TruckModel, position: int, stop: d.Stop) -> DriverStop:
    venue = problem.venue(stop.venue_id)
    return DriverStop(
        position=position,
        name=venue.name,
        screenings=[
            DriverScreening(index=i, runtime_min=film.runtime_min, **screening_fields(film, show))
            for i, show in enumerate(stop.screenings)
            for film in (problem.film(show.film_id),)
        ],
        nav=nav_links(venue.location.lat, venue.location.lon, venue.name),
        **stop_fields(venue, stop, setup_min=truck.setup_min),
    )


def _route_part(found: TruckDay) -> dict[str, Any]:
    """The published route as ``DriverDay`` fields (everything but the day and events)."""
    stored, truck = found.published.stored, found.truck
    route = local_route(found.route, ZONE)
    return {
        "truck": truck,
        "plan": DriverPlanRef(
            id=stored.id, season_id=stored.season_id, number=stored.number, version=stored.version
        ),
        "depot": truck.depot,
        "depot_departure": route.depot_departure,
        "depot_return": route.depot_return,
        "breaks": [
            DriverBreak(start=b.start, end=b.end, minutes=_minutes(b.end - b.start))
            for b in route.breaks
        ],
        "stops": [
            _stop(stored.problem, truck, position, stop)
            for position, stop in enumerate(route.stops, start=1)
        ],
        "message": ""
        if route.stops
        else f"The published route of {truck.name} on {route.day} has no stops.",
    }


def _no_route(session: Session, truck_id: str, day: date) -> dict[str, Any]:
    row = session.get(Truck, truck_id)
    if row is None:
        raise Forbidden("this driver's truck no longer exists: ask a planner")
    truck = from_row(row, TruckModel)
    return {
        "truck": truck,
        "plan": None,
        "depot": truck.depot,
        "depot_departure": None,
        "depot_return": None,
        "breaks": [],
        "stops": [],
        "message": f"No published route for {truck.name} on {day}: nothing to drive.",
    }


def _check_venue(body: DriverEventIn, found: TruckDay | None, day: date) -> None:
    """422 when the event names a venue (or screening) not on the truck's published day."""
    if body.venue_id is None:
        return
    stops = [s for s in found.route.stops if s.venue_id == body.venue_id] if found else []
    if not stops:
        raise InvalidProblem(
            [("venue_id", f"venue '{body.venue_id}' is not on your published route on {day}")]
        )
    if body.screening_index is not None:
        most = max(len(stop.screenings) for stop in stops)
        if body.screening_index >= most:
            raise InvalidProblem(
                [
                    (
                        "screening_index",
                        f"the stop at venue '{body.venue_id}' has {most} screening(s): "
                        f"use 0..{most - 1}",
                    )
                ]
            )


def event_disruption(body: DriverEventIn, truck_id: str, route: d.Route) -> DisruptionIn | None:
    """What a driver's event changes for the rest of the day on ``route`` (None: nothing
    to re-plan): a delay, a venue the truck cannot reach, a breakdown from the event's time,
    or an arrival more than ``LATE_ARRIVAL_MIN`` later than planned."""
    if body.kind == EventKind.DELAYED and body.delay_min is not None:
        return DelayedIn(kind="delayed", truck_id=truck_id, minutes=body.delay_min)
    if body.kind == EventKind.CANNOT_REACH and body.venue_id is not None:
        return VenueUnreachableIn(
            kind="venue_unreachable", truck_id=truck_id, venue_id=body.venue_id
        )
    if body.kind == EventKind.BREAKDOWN:
        return BreakdownIn(kind="breakdown", truck_id=truck_id, at=body.at)
    if body.kind == EventKind.ARRIVED and body.venue_id is not None:
        planned = next(s.arrival for s in route.stops if s.venue_id == body.venue_id)
        if body.at - planned > timedelta(minutes=LATE_ARRIVAL_MIN):
            return DelayedIn(
                kind="delayed", truck_id=truck_id, venue_id=body.venue_id, arrival=body.at
            )
    return None


def _replan_later(
    request: Request, background: BackgroundTasks, body: DriverEventIn, found: TruckDay
) -> None:
    """Re-plan and publish the day after the answer is sent, when the event calls for it."""
    route = found.route
    if not route.depot_departure - REPLAN_BEFORE <= body.at <= route.depot_return + REPLAN_AFTER:
        return
    disruption = event_disruption(body, found.truck.id, route)
    if disruption is None or not request.app.state.settings.auto_replan:
        return
    background.add_task(
        replan_after_event,
        request.app.state,
        season_id=found.published.key.season_id,
        situation=ReplanSituation(day=route.day, now=body.at, disruptions=[disruption]),
        note=f"re-planned {route.day} after {found.truck.id}'s '{body.kind}' event",
    )


# --- the driver's routes ---------------------------------------------------------------------


class DayEvents(Expiring[tuple[str, date], list["DriverEventOut"]]):
    """Each truck-day's events, kept for ``ttl_s`` seconds: every phone polls its day, and
    the events only change when that phone posts one (which forgets the entry at once in
    this process; another worker process sees it within ``ttl_s``)."""

    def events(self, session: Session, truck_id: str, day: date) -> list[DriverEventOut]:
        """The events of a truck-day, from memory when fresh."""
        return self.get_or_load(
            (truck_id, day),
            lambda: [
                event_out(e) for e in itinerary.list_events(session, day=day, truck_id=truck_id)
            ],
        )


def _day_events(request: Request) -> DayEvents:
    found: DayEvents | None = getattr(request.app.state, "day_events", None)
    if found is None:
        found = DayEvents(request.app.state.settings.published_ttl_s)
        request.app.state.day_events = found
    return found


DayEventsDep = Annotated[DayEvents, Depends(_day_events)]


@driver_router.get("/today", response_model=DriverDay, summary="My day")
def driver_today(
    user: Driver,
    session: SessionDep,
    cache: PublishedDep,
    day_events: DayEventsDep,
    day: DayQuery = None,
) -> DriverDay:
    """The driver's truck on a day (default today in Moscow) in the published plan: depot
    departure and return, declared breaks, and the stops in order with arrival, setup,
    every screening, teardown, departure, the venue's address and coordinates, and
    navigation links; plus the events the phone posted that day. No published route that
    day gives an empty stop list and a message (not an error). A driver without a truck
    gets 403."""
    truck_id = _truck_of(user)
    day = day or public.today()
    found = itinerary.truck_day(cache.plans(session), truck_id, day)
    if found is None:
        part = _no_route(session, truck_id, day)
    else:  # the same for every poll of this version: built once
        key = ("driver-day", found.published.key, truck_id, day)
        part = cache.memo(key, lambda: _route_part(found))
    return DriverDay(date=day, events=day_events.events(session, truck_id, day), **part)


@driver_router.get(
    "/runsheet",
    response_class=HTMLResponse,
    summary="My printable run sheet",
    responses={**JSON_ERRORS, **content_doc("text/html", "A printable HTML page")},
)
def driver_runsheet(
    user: Driver,
    session: SessionDep,
    cache: PublishedDep,
    day: DayQuery = None,
    lang: Annotated[str, Query(pattern="^(ru|en)$", description="ru or en")] = "ru",
) -> HTMLResponse:
    """The printable run sheet (HTML with a print stylesheet) of the driver's published
    day: the page a driver carries when the phone dies. A day without a route gives a sheet
    that says so; 404 when no published plan includes the truck."""
    truck_id = _truck_of(user)
    day = day or public.today()
    plans = cache.plans(session)
    found = itinerary.truck_day(plans, truck_id, day)
    published = found.published if found else next((p for p in plans if truck_id in p.trucks), None)
    if published is None:
        raise NotFound(f"no published plan includes truck '{truck_id}'")
    html = run_sheet_html(published.problem, published.plan, truck_id, day, lang=lang)
    return HTMLResponse(html)


@driver_router.get("/events", response_model=list[DriverEventOut], summary="My events")
def driver_events(user: Driver, session: SessionDep, day: DayQuery = None) -> list[DriverEventOut]:
    """The events posted for the driver's truck on a day (default today in Moscow), in the
    order they happened."""
    truck_id = _truck_of(user)
    rows = itinerary.list_events(session, day=day or public.today(), truck_id=truck_id)
    return [event_out(e) for e in rows]


@driver_router.post(
    "/events",
    response_model=DriverEventOut,
    status_code=201,
    summary="Report an event",
    responses={200: {"model": DriverEventOut, "description": "A replayed id: the first result"}},
)
def post_event(
    body: DriverEventIn,
    user: Driver,
    session: SessionDep,
    cache: PublishedDep,
    day_events: DayEventsDep,
    request: Request,
    response: Response,
    background: BackgroundTasks,
) -> DriverEventOut:
    """Report what happened: arrived, setup_done, screening_started, screening_finished
    (with ``venue_id``, optionally ``screening_index``), delayed (``delay_min``),
    cannot_reach (``venue_id``) or breakdown. 201 with the stored event; the same ``id``
    again gives 200 with the first result and stores nothing, whatever the body. A venue not
    on the truck's published route that day is 422; another truck's ``truck_id`` is 403.
    After a 201, a delay, a breakdown, cannot_reach or an arrival more than 10 minutes late
    re-plans the rest of the day and publishes it (unless ``SCHEDULER_AUTO_REPLAN=false``):
    the day's ``plan`` in ``/api/driver/today`` changes then."""
    truck_id = _truck_of(user)
    if body.truck_id is not None and body.truck_id != truck_id:
        raise Forbidden("a driver reports only for their own truck")
    existing = itinerary.find_event(session, truck_id=truck_id, client_id=body.id)
    if existing is not None:
        response.status_code = 200
        return event_out(existing)
    day = body.day or _local(body.at).date()
    found = itinerary.truck_day(cache.plans(session), truck_id, day)
    _check_venue(body, found, day)
    user_id = user.id
    try:
        row = itinerary.add_event(
            session,
            client_id=body.id,
            truck_id=truck_id,
            user_id=user_id,
            plan_id=found.published.key.plan_id if found else None,
            day=day,
            kind=body.kind,
            client_time=body.at,
            venue_id=body.venue_id,
            delay_min=body.delay_min,
            screening_index=body.screening_index,
            note=body.note,
        )
        session.commit()
        day_events.forget((truck_id, day))
    except IntegrityError:  # the same id posted at the same time: the first one won
        session.rollback()
        existing = itinerary.find_event(session, truck_id=truck_id, client_id=body.id)
        if existing is None:
            raise
        response.status_code = 200
        return event_out(existing)
    if found is not None:
        _replan_later(request, background, body, found)
    return event_out(row)


# --- planners ------------------------------------------------------------------------------


@events_router.get("", response_model=list[DriverEventOut], summary="Drivers' events")
def list_events(
    user: Planner,
    session: SessionDep,
    day: DayQuery = None,
    truck_id: Annotated[
        EntityId | None, Query(description="One truck; default every truck")
    ] = None,
) -> list[DriverEventOut]:
    """What drivers reported on a day (default today in Moscow), by truck and in the order
    it happened."""
    rows = itinerary.list_events(session, day=day or public.today(), truck_id=truck_id)
    return [event_out(e) for e in rows]


router.include_router(driver_router)
router.include_router(events_router)
