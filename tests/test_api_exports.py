"""/api/plans/{id}/export: CSV, GeoJSON, iCalendar and run sheets of a plan version parse
back, carry the right content type and name the file; unknown trucks and venues are 404;
only planners and admins may export."""

from __future__ import annotations

import csv
import io
import json

from fastapi.testclient import TestClient
from icalendar import Calendar, Component

from conftest import Seeded

Headers = dict[str, str]


def events(body: bytes) -> list[Component]:
    """The VEVENTs of a feed, which must parse as iCalendar."""
    return list(Calendar.from_ical(body).walk("VEVENT"))


def test_csv_exports(client: TestClient, seeded: Seeded, planner: Headers) -> None:
    """stops.csv and screenings.csv: UTF-8 CSV with a BOM, an attachment, one row per stop
    and per screening."""
    base = f"/api/plans/{seeded.plan_id}/export"
    expected = {
        "stops.csv": len(seeded.plan.stops),
        "screenings.csv": sum(len(s.screenings) for _, s in seeded.plan.stops),
    }
    for name, count in expected.items():
        response = client.get(f"{base}/{name}", headers=planner)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        disposition = response.headers["content-disposition"]
        assert disposition.startswith("attachment;") and name in disposition
        assert response.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert len(rows) == count
        assert {row["truck_id"] for row in rows} == {r.truck_id for r in seeded.plan.routes}
    screenings = client.get(f"{base}/screenings.csv", headers=planner).content.decode("utf-8-sig")
    assert all(row["rating"].endswith("+") for row in csv.DictReader(io.StringIO(screenings)))


def test_geojson_export(client: TestClient, seeded: Seeded, planner: Headers) -> None:
    """plan.geojson is a FeatureCollection with a point per stop and a line per truck-day."""
    response = client.get(f"/api/plans/{seeded.plan_id}/export/plan.geojson", headers=planner)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    kinds = [f["properties"]["kind"] for f in data["features"]]
    assert kinds.count("stop") == len(seeded.plan.stops)
    assert kinds.count("route") == sum(1 for r in seeded.plan.routes if r.stops)


def test_ical_exports(client: TestClient, seeded: Seeded, planner: Headers) -> None:
    """Truck, venue and public feeds parse back with one event per stop and break, per
    screening at the venue, and per screening; unknown ids are 404."""
    base = f"/api/plans/{seeded.plan_id}/export/ical"
    route = seeded.plan.routes[0]
    truck = client.get(f"{base}/trucks/{route.truck_id}.ics", headers=planner)
    assert truck.status_code == 200
    assert truck.headers["content-type"] == "text/calendar; charset=utf-8"
    mine = [r for r in seeded.plan.routes if r.truck_id == route.truck_id]
    assert len(events(truck.content)) == sum(len(r.stops) + len(r.breaks) for r in mine)

    stop = route.stops[0]
    shows = sum(len(s.screenings) for _, s in seeded.plan.stops if s.venue_id == stop.venue_id)
    venue = client.get(f"{base}/venues/{stop.venue_id}.ics", headers=planner)
    assert venue.status_code == 200 and len(events(venue.content)) == shows

    public = client.get(f"{base}/public.ics", headers=planner)
    assert public.status_code == 200
    assert len(events(public.content)) == sum(len(s.screenings) for _, s in seeded.plan.stops)
    assert "attachment" in public.headers["content-disposition"]

    for url in (f"{base}/trucks/tram-7.ics", f"{base}/venues/nowhere.ics"):
        missing = client.get(url, headers=planner)
        assert missing.status_code == 404 and "no " in missing.json()["detail"]
    assert client.get("/api/plans/999/export/ical/public.ics", headers=planner).status_code == 404


def test_run_sheet(client: TestClient, seeded: Seeded, planner: Headers) -> None:
    """The run sheet is an HTML page in Russian or English naming the truck and its venues;
    another language is 422; an unknown truck or a day outside the season is 404."""
    route = seeded.plan.routes[0]
    url = f"/api/plans/{seeded.plan_id}/export/runsheet/{route.truck_id}/{route.day}.html"
    for lang, word in (("ru", 'lang="ru"'), ("en", 'lang="en"')):
        response = client.get(url, params={"lang": lang}, headers=planner)
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert response.text.lstrip().lower().startswith("<!doctype html>")
        assert word in response.text
    assert client.get(url, params={"lang": "de"}, headers=planner).status_code == 422
    base = f"/api/plans/{seeded.plan_id}/export/runsheet"
    assert client.get(f"{base}/tram-7/{route.day}.html", headers=planner).status_code == 404
    assert (
        client.get(f"{base}/{route.truck_id}/2026-12-31.html", headers=planner).status_code == 404
    )


def test_exports_need_a_planner(
    client: TestClient, seeded: Seeded, driver: Headers, admin: Headers
) -> None:
    """Drivers get 403 and anonymous callers 401 on every export; admins may export."""
    route = seeded.plan.routes[0]
    base = f"/api/plans/{seeded.plan_id}/export"
    urls = [
        f"{base}/stops.csv",
        f"{base}/screenings.csv",
        f"{base}/plan.geojson",
        f"{base}/ical/trucks/{route.truck_id}.ics",
        f"{base}/ical/venues/{route.stops[0].venue_id}.ics",
        f"{base}/ical/public.ics",
        f"{base}/runsheet/{route.truck_id}/{route.day}.html",
    ]
    for url in urls:
        assert client.get(url, headers=driver).status_code == 403, url
        assert client.get(url).status_code == 401, url
        assert client.get(url, headers=admin).status_code == 200, url
