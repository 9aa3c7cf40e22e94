"""``/api/plans/{plan_id}/export``: a plan version as files for the export buttons: CSV of
stops and screenings (UTF-8 with a BOM, so Excel reads Cyrillic), GeoJSON for maps,
iCalendar feeds per truck, per venue and for audiences, and a printable run sheet per truck
and day. All are pure functions of the version's scenario snapshot and plan
(``scheduler.exports``); an unknown truck or venue is 404."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import HTMLResponse

from scheduler import exports
from scheduler.api.catalogue import NO_NUL
from scheduler.api.deps import ERRORS, Planner, SessionDep
from scheduler.api.plans import DbId, load_version
from scheduler.db.plans import StoredPlan
from scheduler.errors import NotFound

__all__ = ["router"]

JSON_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {
        "description": error["description"],
        "content": {"application/json": {"schema": error["model"].model_json_schema()}},
    }
    for status, error in ERRORS.items()
}
"""``ERRORS`` documented as JSON (the files themselves are not)."""

router = APIRouter(prefix="/api/plans/{plan_id}/export", tags=["exports"], responses=JSON_ERRORS)

IdPath = Annotated[str, Path(min_length=1, max_length=100, pattern=NO_NUL)]


class CsvResponse(Response):
    media_type = "text/csv"


class GeoJsonResponse(Response):
    media_type = "application/geo+json"


class CalendarResponse(Response):
    media_type = "text/calendar"


def _document(
    media_type: str, description: str, kind: str = "string"
) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "content": {media_type: {"schema": {"type": kind}}},
            "description": description,
        }
    }


def _attachment(stored: StoredPlan, name: str) -> dict[str, str]:
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", f"plan-{stored.season_id}-v{stored.number}-{name}")
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


@router.get(
    "/stops.csv",
    response_class=CsvResponse,
    responses=_document("text/csv", "One row per stop"),
    summary="Stops as CSV",
)
def stops_csv(plan_id: DbId, user: Planner, session: SessionDep) -> CsvResponse:
    """One row per stop, by day and truck (position from 1), times ISO 8601 in Moscow time."""
    stored = load_version(session, plan_id).stored
    text = exports.stops_csv(stored.problem, stored.plan, bom=True)
    return CsvResponse(text, headers=_attachment(stored, "stops.csv"))


@router.get(
    "/screenings.csv",
    response_class=CsvResponse,
    responses=_document("text/csv", "One row per screening"),
    summary="Screenings as CSV",
)
def screenings_csv(plan_id: DbId, user: Planner, session: SessionDep) -> CsvResponse:
    """One row per screening with film, rating (``12+``), start and end."""
    stored = load_version(session, plan_id).stored
    text = exports.screenings_csv(stored.problem, stored.plan, bom=True)
    return CsvResponse(text, headers=_attachment(stored, "screenings.csv"))


@router.get(
    "/plan.geojson",
    response_class=GeoJsonResponse,
    responses=_document("application/geo+json", "A GeoJSON FeatureCollection", "object"),
    summary="The plan as GeoJSON",
)
def plan_geojson(plan_id: DbId, user: Planner, session: SessionDep) -> GeoJsonResponse:
    """Depots and stops as points, each truck-day's route as a line (``[lon, lat]``)."""
    stored = load_version(session, plan_id).stored
    body = json.dumps(exports.plan_geojson(stored.problem, stored.plan), ensure_ascii=False)
    return GeoJsonResponse(body.encode("utf-8"), headers=_attachment(stored, "plan.geojson"))


CALENDAR = _document("text/calendar", "An iCalendar feed (RFC 5545)")


@router.get(
    "/ical/trucks/{truck_id}.ics",
    response_class=CalendarResponse,
    responses=CALENDAR,
    summary="A truck's calendar",
)
def ical_truck(
    plan_id: DbId, truck_id: IdPath, user: Planner, session: SessionDep
) -> CalendarResponse:
    """The driver's calendar: one event per stop and one per declared break."""
    stored = load_version(session, plan_id).stored
    feed = exports.ical_truck(stored.problem, stored.plan, truck_id)
    return CalendarResponse(feed, headers=_attachment(stored, f"truck-{truck_id}.ics"))


@router.get(
    "/ical/venues/{venue_id}.ics",
    response_class=CalendarResponse,
    responses=CALENDAR,
    summary="A venue's calendar",
)
def ical_venue(
    plan_id: DbId, venue_id: IdPath, user: Planner, session: SessionDep
) -> CalendarResponse:
    """The venue host's calendar: one event per screening there."""
    stored = load_version(session, plan_id).stored
    feed = exports.ical_venue(stored.problem, stored.plan, venue_id)
    return CalendarResponse(feed, headers=_attachment(stored, f"venue-{venue_id}.ics"))


@router.get(
    "/ical/public.ics",
    response_class=CalendarResponse,
    responses=CALENDAR,
    summary="The audience calendar",
)
def ical_public(plan_id: DbId, user: Planner, session: SessionDep) -> CalendarResponse:
    """Every screening of the version, as audiences would see it."""
    stored = load_version(session, plan_id).stored
    feed = exports.ical_public(stored.problem, stored.plan)
    return CalendarResponse(feed, headers=_attachment(stored, "public.ics"))


@router.get(
    "/runsheet/{truck_id}/{day}.html",
    response_class=HTMLResponse,
    responses=_document("text/html", "A printable HTML page"),
    summary="A driver's run sheet",
)
def run_sheet(
    plan_id: DbId,
    truck_id: IdPath,
    day: date,
    user: Planner,
    session: SessionDep,
    lang: Annotated[Literal["ru", "en"], Query()] = "ru",
) -> HTMLResponse:
    """The page a driver carries for one day: stops, screenings, breaks, totals, with a
    print stylesheet. 404 for an unknown truck or a day outside the season."""
    stored = load_version(session, plan_id).stored
    if day not in stored.problem.days:
        raise NotFound(f"{day} is not a day of the season")
    return HTMLResponse(
        exports.run_sheet_html(stored.problem, stored.plan, truck_id, day, lang=lang)
    )
