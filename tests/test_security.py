"""Who may call what, on SQLite and PostgreSQL.

- anonymous callers get 401 on every route but health, login and the public schedule;
- a driver gets 403 on every planner route, sees only their own truck and only the
  published version, and asking for another truck's data leaks none of it;
- a planner cannot manage users; a deactivated user's tokens stop working.

Routes are read from the application itself, so a route added later is covered too.
"""

from __future__ import annotations

import re
from dataclasses import replace

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from httpx import Response
from test_api_driver import TRUCK, busy_route
from test_api_public import add_version, publish

from scheduler.db.catalogue import season_problem
from scheduler.db.engine import Database

from conftest import Seeded

PUBLIC = ("/api/public/",)
OPEN = {"/api/health", "/api/auth/token"}
DRIVER_OWN = ("/api/driver/", "/api/auth/", "/api/public/")


def api_routes(app: FastAPI) -> list[tuple[str, set[str]]]:
    """(path, methods) of every ``APIRoute`` the app serves, included routers resolved."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: included routes are copied into app.routes
        return [(r.path, r.methods) for r in app.routes if isinstance(r, APIRoute)]
    return [
        (context.path, context.methods or set())
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute) and context.path
    ]


def operations(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) under ``/api/``, path parameters filled with ``1``."""
    return [
        (method, re.sub(r"\{[^}]+\}", "1", path))
        for path, methods in api_routes(app)
        if path.startswith("/api/")
        for method in sorted(methods - {"HEAD"})
    ]


def foreign_venue_names(database: Database, seeded: Seeded) -> set[str]:
    """Names of venues other trucks visit and projector-1 never does."""
    with database.session() as session:
        problem = season_problem(session, seeded.season_id)
    visited: dict[bool, set[str]] = {True: set(), False: set()}
    for route in seeded.plan.routes:
        for stop in route.stops:
            visited[route.truck_id == TRUCK].add(problem.venue(stop.venue_id).name)
    foreign = visited[False] - visited[True]
    assert foreign, "the demo plan should route other trucks elsewhere"
    return foreign


def test_the_route_list_is_complete(app: FastAPI) -> None:
    """The scan finds the routers of every resource (so the rules below are not vacuous)."""
    paths = {path for _, path in operations(app)}
    for expected in ("/api/driver/today", "/api/public/screenings", "/api/users", "/api/events"):
        assert expected in paths
    assert len(paths) > 20


def test_anonymous_gets_401_on_every_private_route(client: TestClient, seeded: Seeded) -> None:
    """Without a token, every route but health, login and /api/public/* answers 401."""
    wrong = []
    for method, path in operations(client.app):  # type: ignore[arg-type]
        if path in OPEN or path.startswith(PUBLIC):
            continue
        response = client.request(method, path)
        if response.status_code != 401:
            wrong.append((method, path, response.status_code))
        else:
            assert response.headers["www-authenticate"] == "Bearer"
    assert wrong == []


def test_anonymous_gets_the_public_schedule(client: TestClient, seeded: Seeded) -> None:
    """Without a token, health and every public route answer 200."""
    public = [(m, p) for m, p in operations(client.app) if p.startswith(PUBLIC)]  # type: ignore[arg-type]
    assert len(public) >= 3
    for method, path in [("GET", "/api/health"), *public]:
        response = client.request(method, path)
        assert response.status_code == 200, (path, response.text)


def test_driver_gets_403_on_every_planner_route(
    client: TestClient, seeded: Seeded, driver: dict[str, str]
) -> None:
    """A driver's token is refused (403) everywhere but their own routes, login and the
    public schedule, whatever the method."""
    wrong = []
    checked = 0
    for method, path in operations(client.app):  # type: ignore[arg-type]
        if path == "/api/health" or path.startswith(DRIVER_OWN):
            continue
        checked += 1
        response = client.request(method, path, headers=driver)
        if response.status_code != 403:
            wrong.append((method, path, response.status_code))
    assert checked > 10 and wrong == []


def test_driver_cannot_see_another_truck(
    client: TestClient, seeded: Seeded, driver: dict[str, str], database: Database
) -> None:
    """Asking for another truck's events or day is refused or ignored, and no answer names
    a venue only another truck visits."""
    foreign = foreign_venue_names(database, seeded)
    other = busy_route(seeded, "led-1")
    mine = busy_route(seeded)
    day = other.day.isoformat()
    event = {
        "id": "spy-1",
        "kind": "arrived",
        "at": other.stops[0].arrival.isoformat(),
        "date": day,
        "venue_id": other.stops[0].venue_id,
        "truck_id": "led-1",
    }
    answers = [
        (403, client.post("/api/driver/events", json=event, headers=driver)),
        (403, client.get("/api/events", params={"truck_id": "led-1"}, headers=driver)),
        (403, client.get(f"/api/plans/{seeded.plan_id}", headers=driver)),
        (
            403,
            client.get(
                f"/api/plans/{seeded.plan_id}/export/runsheet/led-1/{day}.html", headers=driver
            ),
        ),
    ]
    without_truck = {key: value for key, value in event.items() if key != "truck_id"}
    answers.append((422, client.post("/api/driver/events", json=without_truck, headers=driver)))
    for params in ({"date": day, "truck_id": "led-1"}, {"date": mine.day.isoformat()}):
        answers.append((200, client.get("/api/driver/today", params=params, headers=driver)))
        answers.append((200, client.get("/api/driver/runsheet", params=params, headers=driver)))
    for status, response in answers:
        assert response.status_code == status, (response.request.url, response.text)
        assert not [name for name in foreign if name in response.text], response.request.url
    today = client.get("/api/driver/today", params={"date": day}, headers=driver).json()
    assert today["truck"]["id"] == TRUCK
    assert client.get("/api/driver/events", params={"date": day}, headers=driver).json() == []


def test_driver_sees_only_the_published_version(
    client: TestClient, seeded: Seeded, driver: dict[str, str], database: Database
) -> None:
    """A newer, unpublished version with another route for the truck changes nothing for
    the driver; once published, the driver's day follows it."""
    route = busy_route(seeded)
    shorter = replace(route, stops=route.stops[1:])
    routes = tuple(shorter if r is route else r for r in seeded.plan.routes)
    draft_id = add_version(database, seeded, routes)
    params = {"date": route.day.isoformat()}
    today = client.get("/api/driver/today", params=params, headers=driver).json()
    assert today["plan"]["id"] == seeded.plan_id
    assert [s["venue_id"] for s in today["stops"]] == [s.venue_id for s in route.stops]

    publish(database, seeded, draft_id)
    today = client.get("/api/driver/today", params=params, headers=driver).json()
    assert today["plan"]["id"] == draft_id and today["plan"]["number"] == 2
    assert [s["venue_id"] for s in today["stops"]] == [s.venue_id for s in shorter.stops]


def test_planner_cannot_manage_users(
    client: TestClient, seeded: Seeded, planner: dict[str, str], admin: dict[str, str]
) -> None:
    """Planners get 403 on every user-management route; admins get through."""
    body = {"name": "someone", "role": "planner", "password": "long-enough-1"}
    assert client.get("/api/users", headers=planner).status_code == 403
    assert client.post("/api/users", json=body, headers=planner).status_code == 403
    assert client.delete("/api/users/1", headers=planner).status_code == 403
    listed = client.get("/api/users", headers=admin)
    assert listed.status_code == 200 and "someone" not in listed.text


def test_deactivated_users_tokens_stop_working(
    client: TestClient, seeded: Seeded, driver: dict[str, str], admin: dict[str, str]
) -> None:
    """Once an admin deactivates a driver, the driver's token gets 401 and logging in
    again fails."""
    me: Response = client.get("/api/auth/me", headers=driver)
    assert client.get("/api/driver/today", headers=driver).status_code == 200
    assert client.delete(f"/api/users/{me.json()['id']}", headers=admin).status_code == 204
    assert client.get("/api/driver/today", headers=driver).status_code == 401
    assert client.get("/api/auth/me", headers=driver).status_code == 401
    again = client.post(
        "/api/auth/token", data={"username": "driver1", "password": "driver-demo-2026"}
    )
    assert again.status_code == 401
