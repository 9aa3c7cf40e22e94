"""The driver's API: ``/api/driver/today``, the run sheet, events (idempotent by client id),
and the planners' ``/api/events``; on SQLite and PostgreSQL.

The ``seeded`` plan is published and covers 2026-07-01..03; driver1 drives ``projector-1``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from scheduler.api import driver as driver_api
from scheduler.db.catalogue import season_problem
from scheduler.db.engine import Database
from scheduler.db.tables import DriverEvent, User
from scheduler.db.users import add_user
from scheduler.domain import Route, rating_label
from scheduler.security import Role

from conftest import Seeded, login

MOSCOW = ZoneInfo("Europe/Moscow")
TRUCK = "projector-1"
NO_ROUTE_DAY = date(2026, 8, 15)


def busy_route(seeded: Seeded, truck_id: str = TRUCK) -> Route:
    """The first route of ``truck_id`` in the published plan that has stops."""
    return next(r for r in seeded.plan.routes if r.truck_id == truck_id and r.stops)


def event(route: Route, client_id: str = "ev-1", **fields: Any) -> dict[str, Any]:
    """An ``arrived`` event at the route's first stop, at its planned arrival; ``fields``
    override (``None`` drops a field)."""
    body: dict[str, Any] = {
        "id": client_id,
        "kind": "arrived",
        "at": route.stops[0].arrival,
        "date": route.day,
        "venue_id": route.stops[0].venue_id,
    } | fields
    return {
        key: value.isoformat() if isinstance(value, date) else value
        for key, value in body.items()
        if value is not None
    }


def stored_events(database: Database) -> list[DriverEvent]:
    """Every driver event in the database."""
    with database.session() as session:
        return list(session.scalars(select(DriverEvent).order_by(DriverEvent.id)))


def moment(text: str) -> datetime:
    """An ISO 8601 timestamp from a response (must carry Moscow's offset)."""
    value = datetime.fromisoformat(text)
    assert value.utcoffset() == timedelta(hours=3), text
    return value


def fields_named(response: Any) -> set[str]:
    """The last element of every ``loc`` in a 422 body."""
    assert response.status_code == 422, response.text
    return {str(item["loc"][-1]) for item in response.json()["detail"]}


# --- today ------------------------------------------------------------------------------


def test_today_shape(
    client: TestClient, seeded: Seeded, driver: dict[str, str], database: Database
) -> None:
    """The published day of projector-1: truck, plan, depot, breaks, stops in order with
    arrival, setup (arrival + setup_min), screenings, teardown and departure, in Moscow time."""
    route = busy_route(seeded)
    response = client.get("/api/driver/today", params={"date": route.day}, headers=driver)
    assert response.status_code == 200, response.text
    body = response.json()
    with database.session() as session:
        problem = season_problem(session, seeded.season_id)
    truck = problem.truck(TRUCK)
    assert body["date"] == route.day.isoformat()
    assert body["truck"]["id"] == TRUCK and body["truck"]["name"] == truck.name
    assert body["truck"]["screen"] == "projector"
    assert body["plan"]["id"] == seeded.plan_id and body["plan"]["number"] == 1
    assert body["depot"] == {
        "name": truck.depot_name,
        "lat": truck.depot.lat,
        "lon": truck.depot.lon,
    }
    assert moment(body["depot_departure"]) == route.depot_departure
    assert moment(body["depot_return"]) == route.depot_return
    assert [(moment(b["start"]), moment(b["end"])) for b in body["breaks"]] == [
        (b.start, b.end) for b in route.breaks
    ]
    assert body["message"] == "" and body["events"] == []
    assert [s["venue_id"] for s in body["stops"]] == [s.venue_id for s in route.stops]
    for position, (got, stop) in enumerate(zip(body["stops"], route.stops, strict=True), 1):
        venue = problem.venue(stop.venue_id)
        assert got["position"] == position
        assert (got["name"], got["address"], got["okrug"]) == (
            venue.name,
            venue.address,
            venue.okrug,
        )
        assert (got["lat"], got["lon"]) == (venue.location.lat, venue.location.lon)
        assert moment(got["arrival"]) == stop.arrival == moment(got["setup_start"])
        assert moment(got["setup_end"]) == stop.arrival + timedelta(minutes=truck.setup_min)
        assert moment(got["departure"]) == stop.departure
        assert len(got["screenings"]) == len(stop.screenings) > 0
        for index, (show, planned) in enumerate(
            zip(got["screenings"], stop.screenings, strict=True)
        ):
            film = problem.film(planned.film_id)
            assert show["index"] == index
            assert (show["film_id"], show["title"]) == (film.id, film.title)
            assert show["rating"] == rating_label(film.rating) and show["rating"].endswith("+")
            assert show["runtime_min"] == film.runtime_min
            assert (moment(show["start"]), moment(show["end"])) == (planned.start, planned.end)
        assert moment(got["teardown_start"]) == stop.screenings[-1].end


def test_today_navigation_links(client: TestClient, seeded: Seeded, driver: dict[str, str]) -> None:
    """Each stop links to Yandex Navigator, Yandex Maps and a ``geo:`` URI with its
    coordinates and its URL-encoded name."""
    route = busy_route(seeded)
    body = client.get("/api/driver/today", params={"date": route.day}, headers=driver).json()
    for stop in body["stops"]:
        lat, lon = f"{stop['lat']:.6f}", f"{stop['lon']:.6f}"
        assert stop["nav"] == {
            "yandexnavi": f"yandexnavi://build_route_on_map?lat_to={lat}&lon_to={lon}",
            "yandex_maps": f"https://yandex.ru/maps/?rtext=~{lat},{lon}&rtt=auto",
            "geo": f"geo:{lat},{lon}?q={lat},{lon}({quote(stop['name'], safe='')})",
        }
        assert " " not in stop["nav"]["geo"]


def test_today_without_a_route_is_an_empty_day(
    client: TestClient, seeded: Seeded, driver: dict[str, str]
) -> None:
    """A day outside the published plan: 200, no stops, no plan, a message for people."""
    response = client.get("/api/driver/today", params={"date": NO_ROUTE_DAY}, headers=driver)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["stops"] == [] and body["breaks"] == [] and body["plan"] is None
    assert body["truck"]["id"] == TRUCK and body["depot"]["lat"] > 0
    assert "No published route" in body["message"] and body["depot_departure"] is None


def test_today_defaults_to_moscow_today(
    client: TestClient, seeded: Seeded, driver: dict[str, str]
) -> None:
    """Without ``date`` the day is today in Moscow."""
    body = client.get("/api/driver/today", headers=driver).json()
    assert body["date"] in {
        (datetime.now(MOSCOW) - timedelta(seconds=5)).date().isoformat(),
        datetime.now(MOSCOW).date().isoformat(),
    }


def test_today_bad_date_is_422(client: TestClient, seeded: Seeded, driver: dict[str, str]) -> None:
    """A malformed or out-of-range date is 422 naming ``date``."""
    for bad in ("yesterday", "1999-12-31", "2200-01-01"):
        response = client.get("/api/driver/today", params={"date": bad}, headers=driver)
        assert fields_named(response) == {"date"}


def test_driver_without_a_truck_is_403(
    client: TestClient, seeded: Seeded, database: Database
) -> None:
    """A driver whose truck binding is gone gets 403 on every driver route."""
    with database.session() as session:
        user = add_user(
            session, name="loose", role=Role.DRIVER, password="loose-driver-1", truck_id="led-1"
        )
        user.truck_id = None
    headers = login(client, "loose", "loose-driver-1")
    route = busy_route(seeded)
    assert client.get("/api/driver/today", headers=headers).status_code == 403
    assert client.get("/api/driver/events", headers=headers).status_code == 403
    assert client.get("/api/driver/runsheet", headers=headers).status_code == 403
    posted = client.post("/api/driver/events", json=event(route), headers=headers)
    assert posted.status_code == 403 and "truck" in posted.json()["detail"]
    assert stored_events(database) == []


# --- run sheet --------------------------------------------------------------------------


def test_run_sheet(client: TestClient, seeded: Seeded, driver: dict[str, str]) -> None:
    """The printable run sheet of the published day is HTML naming every stop; a day
    without a route says so; ``lang=en`` switches the language."""
    route = busy_route(seeded)
    today = client.get("/api/driver/today", params={"date": route.day}, headers=driver).json()
    response = client.get("/api/driver/runsheet", params={"date": route.day}, headers=driver)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.text.startswith("<!DOCTYPE html>") and "Путевой лист" in response.text
    for stop in today["stops"]:
        assert stop["name"] in response.text
    empty = client.get("/api/driver/runsheet", params={"date": NO_ROUTE_DAY}, headers=driver)
    assert empty.status_code == 200 and "В этот день остановок нет." in empty.text
    english = client.get(
        "/api/driver/runsheet", params={"date": route.day, "lang": "en"}, headers=driver
    )
    assert english.status_code == 200 and "Run sheet" in english.text
    bad = client.get("/api/driver/runsheet", params={"lang": "de"}, headers=driver)
    assert fields_named(bad) == {"lang"}


# --- events -----------------------------------------------------------------------------


def test_event_is_stored_and_replay_returns_the_first(
    client: TestClient, seeded: Seeded, driver: dict[str, str], database: Database
) -> None:
    """First post: 201 with the stored event; the same id again, even with another body,
    gives 200 with the first result and stores nothing."""
    route = busy_route(seeded)
    first = client.post("/api/driver/events", json=event(route, note="on site"), headers=driver)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["client_id"] == "ev-1" and body["kind"] == "arrived"
    assert body["truck_id"] == TRUCK and body["plan_id"] == seeded.plan_id
    assert body["venue_id"] == route.stops[0].venue_id and body["note"] == "on site"
    assert body["date"] == route.day.isoformat()
    assert moment(body["at"]) == route.stops[0].arrival
    moment(body["received_at"])
    again = client.post(
        "/api/driver/events",
        json=event(route, kind="breakdown", venue_id=None, note="changed"),
        headers=driver,
    )
    assert again.status_code == 200 and again.json() == body
    rows = stored_events(database)
    assert [(r.id, r.client_id, r.kind, r.note) for r in rows] == [
        (body["id"], "ev-1", "arrived", "on site")
    ]
    with database.session() as session:
        user = session.scalar(select(User).where(User.name == "driver1"))
        assert user is not None and rows[0].user_id == user.id


def test_events_list_and_today_rebuild_state(
    client: TestClient, seeded: Seeded, driver: dict[str, str]
) -> None:
    """The driver's events of a day come back in the order they happened on the phone (not
    the order they arrived), in ``/api/driver/events`` and in ``/api/driver/today``."""
    route = busy_route(seeded)
    stop = route.stops[0]
    show = stop.screenings[0]
    posts = [
        event(route, "b-setup", kind="setup_done", at=stop.arrival + timedelta(minutes=50)),
        event(route, "a-arrived"),
        event(route, "d-late", kind="delayed", venue_id=None, delay_min=15, at=show.end),
        event(route, "c-show", kind="screening_started", screening_index=0, at=show.start),
    ]
    for body in posts:
        response = client.post("/api/driver/events", json=body, headers=driver)
        assert response.status_code == 201, response.text
    listed = client.get("/api/driver/events", params={"date": route.day}, headers=driver).json()
    assert [e["client_id"] for e in listed] == ["a-arrived", "b-setup", "c-show", "d-late"]
    assert listed[2]["screening_index"] == 0 and listed[3]["delay_min"] == 15
    today = client.get("/api/driver/today", params={"date": route.day}, headers=driver).json()
    assert today["events"] == listed
    other_day = client.get("/api/driver/events", params={"date": NO_ROUTE_DAY}, headers=driver)
    assert other_day.status_code == 200 and other_day.json() == []


def test_event_day_defaults_to_the_moscow_date_of_at(
    client: TestClient, seeded: Seeded, driver: dict[str, str], database: Database
) -> None:
    """Without ``date``, 22:30 UTC on 1 July is 2 July in Moscow."""
    body = {"id": "late-night", "kind": "delayed", "delay_min": 20, "at": "2026-07-01T22:30:00Z"}
    response = client.post("/api/driver/events", json=body, headers=driver)
    assert response.status_code == 201, response.text
    assert response.json()["date"] == "2026-07-02"
    assert response.json()["at"] == "2026-07-02T01:30:00+03:00"
    assert stored_events(database)[0].day == date(2026, 7, 2)


BAD_EVENTS: list[tuple[dict[str, Any], str]] = [
    ({"kind": "teleported"}, "kind"),
    ({"venue_id": None}, "venue_id"),
    ({"kind": "cannot_reach", "venue_id": None}, "venue_id"),
    ({"kind": "delayed", "venue_id": None}, "delay_min"),
    ({"kind": "delayed", "delay_min": 0}, "delay_min"),
    ({"kind": "delayed", "delay_min": 601}, "delay_min"),
    ({"id": ""}, "id"),
    ({"id": "x" * 65}, "id"),
    ({"id": "has space"}, "id"),
    ({"at": "2026-07-01T18:00:00"}, "at"),
    ({"at": "0001-01-01T00:00:00+05:00"}, "at"),
    ({"date": "2200-01-01"}, "date"),
    ({"note": "x" * 501}, "note"),
    ({"note": "nul\x00"}, "note"),
    ({"screening_index": 0}, "screening_index"),
    ({"kind": "screening_started", "screening_index": 21}, "screening_index"),
    ({"venue_id": "no-such-venue"}, "venue_id"),
    ({"date": NO_ROUTE_DAY}, "venue_id"),
    ({"kind": "screening_started", "screening_index": 9}, "screening_index"),
    ({"surprise": 1}, "surprise"),
]
"""(change to a good event, the field the 422 must name)"""


def test_bad_events_are_422_naming_the_field(
    client: TestClient, seeded: Seeded, driver: dict[str, str], database: Database
) -> None:
    """Each bad event is refused with 422 naming the field, and nothing is stored."""
    route = busy_route(seeded)
    for change, field in BAD_EVENTS:
        response = client.post("/api/driver/events", json=event(route, **change), headers=driver)
        assert field in fields_named(response), (change, response.text)
        if change == {"date": NO_ROUTE_DAY}:
            assert "not on your published route" in response.json()["detail"][0]["msg"]
    assert stored_events(database) == []


def test_event_for_another_truck_is_403(
    client: TestClient, seeded: Seeded, driver: dict[str, str], database: Database
) -> None:
    """Naming another truck is refused and stores nothing; naming one's own is fine."""
    route = busy_route(seeded)
    refused = client.post("/api/driver/events", json=event(route, truck_id="led-1"), headers=driver)
    assert refused.status_code == 403
    assert stored_events(database) == []
    own = client.post("/api/driver/events", json=event(route, truck_id=TRUCK), headers=driver)
    assert own.status_code == 201


def test_racing_duplicate_is_answered_from_the_stored_row(
    client: TestClient,
    seeded: Seeded,
    driver: dict[str, str],
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When the look-up misses because a twin post is being stored at the same time, the
    unique constraint catches the second insert: 200 with the first result, one row."""
    route = busy_route(seeded)
    first = client.post("/api/driver/events", json=event(route), headers=driver)
    assert first.status_code == 201
    real = driver_api.itinerary.find_event
    misses = iter([None])

    def racing(session: Any, *, truck_id: str, client_id: str) -> DriverEvent | None:
        """Miss once (as if the twin had not committed yet), then look for real."""
        for miss in misses:
            return miss
        return real(session, truck_id=truck_id, client_id=client_id)

    monkeypatch.setattr(driver_api.itinerary, "find_event", racing)
    second = client.post("/api/driver/events", json=event(route), headers=driver)
    assert second.status_code == 200, second.text
    assert second.json() == first.json()
    assert len(stored_events(database)) == 1


def test_concurrent_duplicates_store_one_row(
    client: TestClient, seeded: Seeded, driver: dict[str, str], database: Database
) -> None:
    """Eight simultaneous posts of one id: one 201, the others 200 with the same body, no
    server error, one row."""
    route = busy_route(seeded)
    body = event(route, "same-id")
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(
            pool.map(
                lambda _: client.post("/api/driver/events", json=body, headers=driver), range(8)
            )
        )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * 7 + [201], [r.text for r in responses]
    assert len({r.text for r in responses}) == 1
    with database.session() as session:
        count = session.scalar(select(func.count(DriverEvent.id)))
    assert count == 1


# --- planners -----------------------------------------------------------------------------


def test_planners_list_drivers_events(
    client: TestClient, seeded: Seeded, driver: dict[str, str], planner: dict[str, str]
) -> None:
    """Planners see every truck's events of a day, or one truck's; drivers may not."""
    route = busy_route(seeded)
    day = route.day.isoformat()
    driver2 = login(client, "driver2")
    mine = client.post("/api/driver/events", json=event(route, "p1"), headers=driver)
    assert mine.status_code == 201
    breakdown = {"id": "p2", "kind": "breakdown", "at": route.depot_departure.isoformat()}
    theirs = client.post("/api/driver/events", json=breakdown | {"date": day}, headers=driver2)
    assert theirs.status_code == 201 and theirs.json()["truck_id"] == "led-1"
    every = client.get("/api/events", params={"date": day}, headers=planner)
    assert every.status_code == 200
    assert [(e["truck_id"], e["client_id"]) for e in every.json()] == [
        ("led-1", "p2"),
        (TRUCK, "p1"),
    ]
    one = client.get("/api/events", params={"date": day, "truck_id": "led-1"}, headers=planner)
    assert one.json() == [theirs.json()]
    nul = client.get("/api/events", params={"truck_id": "a\x00b"}, headers=planner)
    assert fields_named(nul) == {"truck_id"}
    assert client.get("/api/events", params={"date": day}, headers=driver).status_code == 403
