"""``/api/public``: the published schedule for audiences; no login.

Only the version each season publishes is shown. Responses are rendered once per published
versions and query (``PublishedCache.memo``), carry an ``ETag`` and ``Cache-Control``, and a
matching ``If-None-Match`` gets ``304 Not Modified``.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, Field, TypeAdapter, ValidationInfo, field_validator
from sqlalchemy.orm import Session

from scheduler.api.deps import JSON_ERRORS, CalendarResponse, SessionDep, content_doc
from scheduler.db.itinerary import (
    PublicScreening,
    Published,
    PublishedCache,
    PublishedKey,
    merged,
)
from scheduler.domain import Rules
from scheduler.exports import ical_public

__all__ = [
    "FIRST_DAY",
    "LAST_DAY",
    "MAX_RANGE_DAYS",
    "YEARS_PATTERN",
    "ZONE",
    "BoundedDate",
    "PublishedDep",
    "router",
    "today",
]

router = APIRouter(prefix="/api/public", tags=["public"])

ZONE = ZoneInfo(Rules().timezone)
"""The service's civil time zone (Europe/Moscow)."""
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2199, 12, 31)
MAX_RANGE_DAYS = 62
"""The longest ``from``..``to`` range one request may ask for (inclusive)."""
CACHE_CONTROL = "public, max-age=300"

YEARS_PATTERN = r"^2[01]\d\d-"
"""Documents the 2000..2199 bound of dates and times in the schema (for clients and fuzzers)."""
BoundedDate = Annotated[
    date,
    Field(ge=FIRST_DAY, le=LAST_DAY, json_schema_extra={"pattern": YEARS_PATTERN + r"\d\d-\d\d$"}),
]
"""A day in 2000..2199."""
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the `If-None-Match` ETag is current"}
}

_cache_lock = threading.Lock()


def today() -> date:
    """Today in Moscow."""
    return datetime.now(ZONE).date()


def _published_cache(request: Request) -> PublishedCache:
    cache: PublishedCache | None = getattr(request.app.state, "published_cache", None)
    if cache is None:
        with _cache_lock:
            cache = getattr(request.app.state, "published_cache", None)
            if cache is None:
                ttl = request.app.state.settings.published_ttl_s
                cache = PublishedCache(keys_ttl_s=ttl)
                request.app.state.published_cache = cache
    return cache


PublishedDep = Annotated[PublishedCache, Depends(_published_cache)]
"""The application's cache of published plan versions."""

IfNoneMatch = Annotated[
    str | None,
    Header(alias="If-None-Match", max_length=1000, description="An ETag seen before."),
]


# --- models -----------------------------------------------------------------------------


class PublicOkrug(BaseModel):
    """An okrug with published screenings."""

    okrug: str
    screenings: int
    venues: int


class ScreeningsQuery(BaseModel):
    """Which screenings: a range of days (default this week, Monday to Sunday, in Moscow;
    one end alone means the week from or to it) and optionally one okrug."""

    start: BoundedDate | None = Field(default=None, alias="from", description="First day")
    end: BoundedDate | None = Field(
        default=None, alias="to", description=f"Last day; at most {MAX_RANGE_DAYS} days"
    )
    okrug: str | None = Field(default=None, min_length=1, max_length=100, description="e.g. ЦАО")

    @field_validator("end")
    @classmethod
    def _range(cls, end: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("start")
        if end is None or start is None:
            return end
        if end < start:
            raise ValueError(f"{end} is before from ({start})")
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            raise ValueError(f"from {start} to {end} is more than {MAX_RANGE_DAYS} days")
        return end

    def days(self) -> tuple[date, date]:
        """The inclusive range asked for, defaults filled in."""
        if self.start is not None and self.end is not None:
            return self.start, self.end
        if self.start is not None:
            return self.start, min(self.start + timedelta(days=6), LAST_DAY)
        if self.end is not None:
            return max(self.end - timedelta(days=6), FIRST_DAY), self.end
        monday = today() - timedelta(days=today().weekday())
        return monday, monday + timedelta(days=6)


_SCREENINGS = TypeAdapter(list[PublicScreening])
_OKRUGS = TypeAdapter(list[PublicOkrug])


# --- rendering ---------------------------------------------------------------------------


class Rendered:
    """A response body rendered once, with its ETag."""

    __slots__ = ("body", "etag")

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


def _respond(
    rendered: Rendered, if_none_match: str | None, media_type: str, response: type[Response]
) -> Response:
    headers = {"ETag": rendered.etag, "Cache-Control": CACHE_CONTROL}
    if _matches(if_none_match, rendered.etag):
        return Response(status_code=304, headers=headers)
    return response(rendered.body, media_type=media_type, headers=headers)


def _published(
    session: Session, cache: PublishedCache
) -> tuple[tuple[Published, ...], tuple[PublishedKey, ...]]:
    plans = cache.plans(session)
    return plans, tuple(p.key for p in plans)


def _render(
    cache: PublishedCache, key: tuple[object, ...], render: Callable[[], bytes]
) -> Rendered:
    return cache.memo(key, lambda: Rendered(render()), lambda rendered: len(rendered.body))


# --- routes ------------------------------------------------------------------------------


@router.get(
    "/screenings",
    response_model=list[PublicScreening],
    summary="Published screenings",
    responses=NOT_MODIFIED,
)
def screenings(
    query: Annotated[ScreeningsQuery, Query()],
    session: SessionDep,
    cache: PublishedDep,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """Every published screening of every season in a range of days (default: this week,
    Monday to Sunday, Moscow time), optionally in one okrug, sorted by start. ``date`` is
    the evening a screening belongs to; times are ISO 8601 in Moscow time. An okrug without
    screenings gives an empty list."""
    first, last = query.days()
    plans, keys = _published(session, cache)

    def render() -> bytes:
        found = [
            s
            for plan in plans
            for s in plan.screenings
            if first <= s.day <= last and (query.okrug is None or s.okrug == query.okrug)
        ]
        if len(plans) > 1:
            found.sort(key=lambda s: (s.start, s.venue_id, s.film_id))
        return _SCREENINGS.dump_json(found, by_alias=True)

    rendered = _render(cache, ("screenings", keys, first, last, query.okrug), render)
    return _respond(rendered, if_none_match, "application/json", Response)


@router.get(
    "/okrugs",
    response_model=list[PublicOkrug],
    summary="Okrugs with screenings",
    responses=NOT_MODIFIED,
)
def okrugs(session: SessionDep, cache: PublishedDep, if_none_match: IfNoneMatch = None) -> Response:
    """The okrugs that have published screenings (any day), by name, with how many
    screenings and venues each has."""
    plans, keys = _published(session, cache)

    def render() -> bytes:
        shows: dict[str, int] = {}
        venues: dict[str, set[str]] = {}
        for plan in plans:
            for s in plan.screenings:
                shows[s.okrug] = shows.get(s.okrug, 0) + 1
                venues.setdefault(s.okrug, set()).add(s.venue_id)
        found = [
            PublicOkrug(okrug=name, screenings=shows[name], venues=len(venues[name]))
            for name in sorted(shows)
        ]
        return _OKRUGS.dump_json(found)

    return _respond(
        _render(cache, ("okrugs", keys), render), if_none_match, "application/json", Response
    )


@router.get(
    "/calendar.ics",
    response_class=CalendarResponse,
    summary="iCalendar feed of published screenings",
    responses={
        **content_doc("text/calendar", "An iCalendar (RFC 5545) document, one event per screening"),
        **NOT_MODIFIED,
        404: {**JSON_ERRORS[404], "description": "No venue lies in that okrug"},
    },
)
def calendar(
    session: SessionDep,
    cache: PublishedDep,
    okrug: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """Every published screening as an iCalendar feed (subscribe to it in a calendar app),
    optionally of one okrug. Event UIDs stay the same across re-published versions, so a
    calendar updates its events in place."""
    plans, keys = _published(session, cache)

    def render() -> bytes:
        problem, plan = merged(plans)
        moments = [p.published_at or p.stored.created_at for p in plans]
        stamp = max(moments) if moments else datetime(2000, 1, 1, tzinfo=UTC)
        return ical_public(problem, plan, okrug=okrug, stamp=stamp)

    rendered = _render(cache, ("calendar", keys, okrug), render)
    return _respond(rendered, if_none_match, "text/calendar", CalendarResponse)
