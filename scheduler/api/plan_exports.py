"""``/api/plans/{plan_id}/export``: a plan version as files for the export buttons: CSV of
stops and screenings (UTF-8 with a BOM, so Excel reads Cyrillic), GeoJSON for maps,
iCalendar feeds per truck, per venue and for audiences, and a printable run sheet per truck
and day. All are pure functions of the version's scenario snapshot and plan
(``scheduler.exports``); an unknown truck or venue is 404."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import HTMLResponse

from scheduler import exports
from scheduler.api.catalogue import NO_NUL
from scheduler.api.deps import JSON_ERRORS, CalendarResponse, Planner, SessionDep, content_doc
from scheduler.api.plans import DbId, load_version
from scheduler.db.plans import StoredPlan
from scheduler.errors import NotFound

__all__ = ["router"]

router = APIRouter(prefix="/api/plans/{plan_id}/export", tags=["exports"], responses=JSON_ERRORS)

IdPath = Annotated[str, Path(min_length=1, max_length=100, pattern=NO_NUL)]
F = TypeVar("F", bound=Callable[..., Any])
R = TypeVar("R", bound=Response)


class CsvResponse(Response):
    media_type = "text/csv"


class GeoJsonResponse(Response):
    media_type = "application/geo+json"


def _stored(plan_id: DbId, user: Planner, session: SessionDep) -> StoredPlan:
    return load_version(session, plan_id).stored


Stored = Annotated[StoredPlan, Depends(_stored)]
"""The version to export (planners only; 404 for an unknown id)."""


def _export(
    path: str, response: type[Response], description: str, summary: str, kind: str = "string"
) -> Callable[[F], F]:
    """``router.get`` for a route answering a ``response.media_type`` file."""
    assert response.media_type is not None
    return router.get(
        path,
        response_class=response,
        responses=content_doc(response.media_type, description, kind),
        summary=summary,
    )


def _attachment(response: type[R], content: str | bytes, stored: StoredPlan, name: str) -> R:
    """``content`` as a download named after the season, the version and ``name``."""
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", f"plan-{stored.season_id}-v{stored.number}-{name}")
    return response(content, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@_export("/stops.csv", CsvResponse, "One row per stop", "Stops as CSV")
def stops_csv(stored: Stored) -> CsvResponse:
    """One row per stop, by day and truck (position from 1), times ISO 8601 in Moscow time."""
    text = exports.stops_csv(stored.problem, stored.plan, bom=True)
    return _attachment(CsvResponse, text, stored, "stops.csv")


@_export("/screenings.csv", CsvResponse, "One row per screening", "Screenings as CSV")
def screenings_csv(stored: Stored) -> CsvResponse:
    """One row per screening with film, rating (``12+``), start and end."""
    text = exports.screenings_csv(stored.problem, stored.plan, bom=True)
    return _attachment(CsvResponse, text, stored, "screenings.csv")


@_export(
    "/plan.geojson",
    GeoJsonResponse,
    "A GeoJSON FeatureCollection",
    "The plan as GeoJSON",
    kind="object",
)
def plan_geojson(stored: Stored) -> GeoJsonResponse:
    """Depots and stops as points, each truck-day's route as a line (``[lon, lat]``)."""
    body = json.dumps(exports.plan_geojson(stored.problem, stored.plan), ensure_ascii=False)
    return _attachment(GeoJsonResponse, body.encode("utf-8"), stored, "plan.geojson")


CALENDAR = "An iCalendar feed (RFC 5545)"


@_export("/ical/trucks/{truck_id}.ics", CalendarResponse, CALENDAR, "A truck's calendar")
def ical_truck(stored: Stored, truck_id: IdPath) -> CalendarResponse:
    """The driver's calendar: one event per stop and one per declared break."""
    feed = exports.ical_truck(stored.problem, stored.plan, truck_id)
    return _attachment(CalendarResponse, feed, stored, f"truck-{truck_id}.ics")


@_export("/ical/venues/{venue_id}.ics", CalendarResponse, CALENDAR, "A venue's calendar")
def ical_venue(stored: Stored, venue_id: IdPath) -> CalendarResponse:
    """The venue host's calendar: one event per screening there."""
    feed = exports.ical_venue(stored.problem, stored.plan, venue_id)
    return _attachment(CalendarResponse, feed, stored, f"venue-{venue_id}.ics")


@_export("/ical/public.ics", CalendarResponse, CALENDAR, "The audience calendar")
def ical_public(stored: Stored) -> CalendarResponse:
    """Every screening of the version, as audiences would see it."""
    feed = exports.ical_public(stored.problem, stored.plan)
    return _attachment(CalendarResponse, feed, stored, "public.ics")


@_export(
    "/runsheet/{truck_id}/{day}.html", HTMLResponse, "A printable HTML page", "A driver's run sheet"
)
def run_sheet(
    stored: Stored,
    truck_id: IdPath,
    day: date,
    lang: Annotated[Literal["ru", "en"], Query()] = "ru",
) -> HTMLResponse:
    """The page a driver carries for one day: stops, screenings, breaks, totals, with a
    print stylesheet. 404 for an unknown truck or a day outside the season."""
    if day not in stored.problem.days:
        raise NotFound(f"{day} is not a day of the season")
    return HTMLResponse(
        exports.run_sheet_html(stored.problem, stored.plan, truck_id, day, lang=lang)
    )
