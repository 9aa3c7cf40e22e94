"""What drivers and the public see: published plan versions, a truck's day, driver events.

Only the version a season publishes (``Season.published_plan_id``) is ever read here; drafts
and unpublished versions never leave this module. Reading a plan version into the domain is
the expensive part, and a version's routes never change once written (an edit is a new
version), so ``PublishedCache`` keeps the domain view of each published version under its
``PublishedKey`` (plan id, row version, creation time) and answers every request after the
first with one small query: which versions are published now.
"""

from __future__ import annotations

import enum
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler import domain as d
from scheduler.db.plans import StoredPlan, get_plan_row, load_plan
from scheduler.db.tables import DriverEvent, PlanRow, Season
from scheduler.expiring import Expiring
from scheduler.schemas import TruckModel

__all__ = [
    "SCREENING_KINDS",
    "VENUE_KINDS",
    "EventKind",
    "PublicScreening",
    "Published",
    "PublishedCache",
    "PublishedKey",
    "TruckDay",
    "add_event",
    "find_event",
    "list_events",
    "merged",
    "published_keys",
    "truck_day",
]

T = TypeVar("T")


# --- published versions ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PublishedKey:
    """Which version a season publishes; a new version or any change to the row (publishing
    bumps its version) gives a new key. ``created_at`` tells apart a plan id reused by a
    database that was emptied and refilled while the service ran."""

    season_id: int
    plan_id: int
    version: int
    created_at: datetime


class PublicScreening(BaseModel):
    """One published screening as the audience sees it (also the wire model of the public
    schedule): when, which film, where; times in the season's zone."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    day: date = Field(
        alias="date",
        description="The evening it belongs to (a screening after midnight "
        "belongs to the evening it continues)",
    )
    start: datetime
    end: datetime
    film_id: str
    film_title: str
    rating: str = Field(description="Age rating as shown, e.g. `12+`")
    runtime_min: int
    venue_id: str
    venue_name: str
    address: str
    okrug: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Published:
    """A published plan version read into the domain, with lookups built once."""

    key: PublishedKey
    stored: StoredPlan
    trucks: dict[str, TruckModel]
    """The trucks of the scenario the plan was made for (wire models)."""
    published_at: datetime | None
    routes: dict[tuple[str, date], d.Route]
    """``(truck_id, day) -> route``."""
    screenings: tuple[PublicScreening, ...]
    """Every screening, sorted by start."""

    @property
    def problem(self) -> d.Problem:
        return self.stored.problem

    @property
    def plan(self) -> d.Plan:
        return self.stored.plan


def published_keys(session: Session) -> tuple[PublishedKey, ...]:
    """The published version of every season that has one, by season id."""
    query = (
        select(Season.id, PlanRow.id, PlanRow.version, PlanRow.created_at)
        .join(PlanRow, PlanRow.id == Season.published_plan_id)
        .where(PlanRow.season_id == Season.id)
        .order_by(Season.id)
    )
    return tuple(PublishedKey(*row) for row in session.execute(query))


def _public_screenings(problem: d.Problem, plan: d.Plan) -> tuple[PublicScreening, ...]:
    venues = {venue.id: venue for venue in problem.venues}
    films = {film.id: film for film in problem.films}
    found = [
        PublicScreening(
            date=route.day,
            start=show.start,
            end=show.end,
            film_id=film.id,
            film_title=film.title,
            rating=d.rating_label(film.rating),
            runtime_min=film.runtime_min,
            venue_id=venue.id,
            venue_name=venue.name,
            address=venue.address,
            okrug=venue.okrug,
            lat=venue.location.lat,
            lon=venue.location.lon,
        )
        for route in plan.routes
        for stop in route.stops
        for show in stop.screenings
        for venue in (venues[stop.venue_id],)
        for film in (films[show.film_id],)
    ]
    found.sort(key=lambda s: (s.start, s.venue_id, s.film_id))
    return tuple(found)


def _load(session: Session, key: PublishedKey) -> Published:
    row = get_plan_row(session, key.plan_id)
    stored = load_plan(row, published=True)
    return Published(
        key=key,
        stored=stored,
        trucks={truck.id: truck for truck in stored.scenario.trucks},
        published_at=row.published_at,
        routes={(r.truck_id, r.day): r for r in stored.plan.routes},
        screenings=_public_screenings(stored.problem, stored.plan),
    )


class PublishedCache:
    """Published versions read once, and results derived from them memoised.

    Thread-safe; one per application. ``plans`` costs one small query when nothing changed
    (at most ``plans`` versions are kept). ``memo`` keeps derived values (rendered responses),
    least recently used first out, within ``weight_budget`` (``weight`` of each value, e.g.
    its size in bytes); their keys include the published keys they were computed from, so a
    re-publish never serves a stale one.
    """

    def __init__(
        self,
        *,
        plans: int = 16,
        weight_budget: int = 32 * 1024 * 1024,
        keys_ttl_s: float = 1.0,
    ) -> None:
        self._lock = threading.Lock()
        self._keys: Expiring[str, tuple[PublishedKey, ...]] = Expiring(keys_ttl_s, size=1)
        self._plans: OrderedDict[PublishedKey, Published] = OrderedDict()
        self._results: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._max_plans = plans
        self._budget = weight_budget
        self._weight = 0

    def invalidate(self) -> None:
        """Forget which versions are published (this process just published one)."""
        self._keys.forget()

    def plans(self, session: Session) -> tuple[Published, ...]:
        """Every season's published version, by season id."""
        found: list[Published] = []
        # asked of the database at most every keys_ttl_s: a publish elsewhere shows by then
        keys = self._keys.get_or_load("published", lambda: published_keys(session))
        for key in keys:
            with self._lock:
                entry = self._plans.get(key)
                if entry is not None:
                    self._plans.move_to_end(key)
            if entry is None:
                entry = _load(session, key)
                with self._lock:
                    self._plans[key] = entry
                    while len(self._plans) > self._max_plans:
                        self._plans.popitem(last=False)
            found.append(entry)
        return tuple(found)

    def memo(
        self, key: Hashable, compute: Callable[[], T], weight: Callable[[T], int] = lambda _: 1
    ) -> T:
        """``compute()``, remembered under ``key`` (the caller puts the published keys in).
        A value heavier than the whole budget is computed every time."""
        with self._lock:
            if key in self._results:
                self._results.move_to_end(key)
                value: T = self._results[key][0]
                return value
        value = compute()
        heavy = weight(value)
        if heavy > self._budget:
            return value
        with self._lock:
            if key not in self._results:
                self._results[key] = (value, heavy)
                self._weight += heavy
            while self._weight > self._budget:
                _, (_, dropped) = self._results.popitem(last=False)
                self._weight -= dropped
        return value


@dataclass(frozen=True, slots=True)
class TruckDay:
    """A truck's route on one day in a published version."""

    published: Published
    route: d.Route
    truck: TruckModel


def truck_day(plans: Sequence[Published], truck_id: str, day: date) -> TruckDay | None:
    """The truck's published route on ``day``; when two seasons both route it that day, the
    one with stops that leaves the depot first."""
    found = [
        TruckDay(published=p, route=p.routes[(truck_id, day)], truck=p.trucks[truck_id])
        for p in plans
        if (truck_id, day) in p.routes and truck_id in p.trucks
    ]
    if not found:
        return None
    return min(found, key=lambda t: (not t.route.stops, t.route.depot_departure))


def _union(items: Sequence[tuple[T, ...]], key: Callable[[T], str]) -> tuple[T, ...]:
    seen: dict[str, T] = {}
    for group in items:
        for item in group:
            seen.setdefault(key(item), item)
    return tuple(seen.values())


def merged(plans: Sequence[Published]) -> tuple[d.Problem, d.Plan]:
    """All published versions as one problem and plan (for a feed over every season).

    An id present in several seasons keeps the first season's entity; rules (the timezone)
    are the first season's.
    """
    if len(plans) == 1:
        return plans[0].problem, plans[0].plan
    problems = [p.problem for p in plans]
    problem = d.Problem(
        name="published",
        days=tuple(sorted({day for p in problems for day in p.days})),
        venues=_union([p.venues for p in problems], lambda v: v.id),
        trucks=_union([p.trucks for p in problems], lambda t: t.id),
        films=_union([p.films for p in problems], lambda f: f.id),
        rules=problems[0].rules if problems else d.Rules(),
    )
    routes = tuple(route for p in plans for route in p.plan.routes)
    return problem, d.Plan(routes=routes, unserved=(), objective=0.0)


# --- driver events ----------------------------------------------------------------------


class EventKind(enum.StrEnum):
    """What a driver reports from the road."""

    ARRIVED = "arrived"
    SETUP_DONE = "setup_done"
    SCREENING_STARTED = "screening_started"
    SCREENING_FINISHED = "screening_finished"
    DELAYED = "delayed"
    CANNOT_REACH = "cannot_reach"
    BREAKDOWN = "breakdown"


VENUE_KINDS = frozenset(
    {
        EventKind.ARRIVED,
        EventKind.SETUP_DONE,
        EventKind.SCREENING_STARTED,
        EventKind.SCREENING_FINISHED,
        EventKind.CANNOT_REACH,
    }
)
"""Events about one venue of the route: they need ``venue_id``."""

SCREENING_KINDS = frozenset({EventKind.SCREENING_STARTED, EventKind.SCREENING_FINISHED})
"""Events about one screening: they may say which (``screening_index``)."""


def find_event(session: Session, *, truck_id: str, client_id: str) -> DriverEvent | None:
    """The event a truck's phone posted under ``client_id``, if stored."""
    query = select(DriverEvent).where(
        DriverEvent.truck_id == truck_id, DriverEvent.client_id == client_id
    )
    return session.scalar(query)


def add_event(
    session: Session,
    *,
    client_id: str,
    truck_id: str,
    user_id: int | None,
    plan_id: int | None,
    day: date,
    kind: EventKind,
    client_time: datetime,
    venue_id: str | None = None,
    delay_min: int | None = None,
    screening_index: int | None = None,
    note: str = "",
) -> DriverEvent:
    """Add a driver event (flushed; the caller commits). A second event with the same
    ``(truck_id, client_id)`` raises ``IntegrityError`` at the flush or the commit."""
    row = DriverEvent(
        client_id=client_id,
        truck_id=truck_id,
        user_id=user_id,
        plan_id=plan_id,
        day=day,
        kind=kind.value,
        venue_id=venue_id,
        delay_min=delay_min,
        screening_index=screening_index,
        note=note,
        client_time=client_time,
    )
    session.add(row)
    session.flush()
    return row


def list_events(session: Session, *, day: date, truck_id: str | None = None) -> list[DriverEvent]:
    """The events of ``day`` (of one truck, or all), by truck, then in the order they happened
    on the phone (client time), then as received."""
    query = select(DriverEvent).where(DriverEvent.day == day)
    if truck_id is not None:
        query = query.where(DriverEvent.truck_id == truck_id)
    query = query.order_by(DriverEvent.truck_id, DriverEvent.client_time, DriverEvent.id)
    return list(session.scalars(query))
