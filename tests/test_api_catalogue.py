"""/api/venues, /api/trucks, /api/films: CRUD round trips with ETag / If-Match, validation
naming the field, 404 / 409, list filters, deletes that clean up seasons and venues, roles on
every route of this part of the API, and the audit log."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from scheduler.db.catalogue import CATALOGUE, entity_snapshot, get_entity
from scheduler.db.engine import Database
from scheduler.db.tables import AuditEntry, Season, User, Venue
from scheduler.errors import NotFound

from conftest import Seeded, login

Headers = dict[str, str]
Json = dict[str, Any]

NEW: dict[str, Json] = {
    "venues": {
        "id": "t-venue",
        "name": "Сквер на Тверской",
        "okrug": "ЦАО",
        "lat": 55.7650,
        "lon": 37.6060,
        "audience_seats": 120,
        "hours": [{"start": "18:00", "end": "25:00"}],
        "max_rating": "12+",
        "excluded_film_ids": ["brat"],
    },
    "trucks": {
        "id": "t-truck",
        "name": "Проектор 9",
        "depot": {"lat": 55.4303, "lon": 37.2725, "name": "Kinopark Moskino"},
        "screen": "projector",
        "shift": {"start": "14:00", "end": "26:00"},
        "available_dates": ["2026-07-02"],
    },
    "films": {
        "id": "t-film",
        "title": "Тестовый фильм",
        "runtime_min": 95,
        "rating": "6+",
        "licence_end": "2026-08-31",
    },
}
"""A new entity of each kind (not in the demo catalogue)."""

CHANGE: dict[str, Json] = {
    "venues": {"name": "Сквер на Тверской (сцена)", "audience_seats": 150},
    "trucks": {"setup_min": 45, "has_ttk_pass": True},
    "films": {"title": "Тестовый фильм (реставрация)", "runtime_min": 101},
}
"""A full replacement of each new entity differs from it in these fields."""

DEMO_IDS = {"venues": "1", "trucks": "led-1", "films": "kholop"}
"""An entity of each kind in the demo season."""


def wire(kind: str, body: Json) -> Json:
    """The body as the API answers it: every default filled in."""
    return CATALOGUE[kind].model.model_validate(body).model_dump(mode="json")


def stored(database: Database, kind: str, entity_id: str) -> Json | None:
    """The entity as stored now (wire JSON plus version), or None."""
    with database.session() as session:
        try:
            row = get_entity(session, kind=CATALOGUE[kind], entity_id=entity_id)
        except NotFound:
            return None
        return entity_snapshot(CATALOGUE[kind], row)


def audit(database: Database, entity: str, entity_id: str) -> list[AuditEntry]:
    """The audit entries of one entity, oldest first."""
    with database.session() as session:
        query = (
            select(AuditEntry)
            .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
            .order_by(AuditEntry.id)
        )
        return list(session.scalars(query))


def season_row(database: Database, season_id: int) -> Season:
    with database.session() as session:
        season = session.get(Season, season_id)
        assert season is not None
        return season


def locs(response: Any) -> list[list[Any]]:
    """The ``loc`` of every item of a 422 answer."""
    assert response.status_code == 422, response.text
    return [item["loc"] for item in response.json()["detail"]]


def test_crud_round_trip(client: TestClient, database: Database, planner: Headers) -> None:
    """For each kind: create (201, ETag "1", Location), read, replace with If-Match (version
    2), list, delete with If-Match (204) and then 404; each step is stored and audited by
    name."""
    for kind in CATALOGUE:
        round_trip(kind, client, database, planner)


def round_trip(kind: str, client: TestClient, database: Database, planner: Headers) -> None:
    """The CRUD round trip of one kind."""
    body, path = NEW[kind], f"/api/{kind}/{NEW[kind]['id']}"
    created = client.post(f"/api/{kind}", json=body, headers=planner)
    assert created.status_code == 201, created.text
    assert created.headers["ETag"] == '"1"' and created.headers["Location"] == path
    assert created.json() == {**wire(kind, body), "version": 1}
    assert stored(database, kind, body["id"]) == created.json()

    got = client.get(path, headers=planner)
    assert got.status_code == 200 and got.headers["ETag"] == '"1"'
    assert got.json() == created.json()

    new_body = {**body, **CHANGE[kind]}
    replaced = client.put(path, json=new_body, headers={**planner, "If-Match": '"1"'})
    assert replaced.status_code == 200, replaced.text
    assert replaced.headers["ETag"] == '"2"'
    assert replaced.json() == {**wire(kind, new_body), "version": 2}
    assert stored(database, kind, body["id"]) == replaced.json()
    same = client.put(path, json=new_body, headers={**planner, "If-Match": '"2"'})
    assert same.status_code == 200 and same.headers["ETag"] == '"2"'  # nothing changed

    listed = client.get(f"/api/{kind}", params={"limit": 1000}, headers=planner).json()
    assert replaced.json() in listed
    assert [item["id"] for item in listed] == sorted(item["id"] for item in listed)

    deleted = client.delete(path, headers={**planner, "If-Match": '"2"'})
    assert deleted.status_code == 204 and deleted.content == b""
    assert stored(database, kind, body["id"]) is None
    assert client.get(path, headers=planner).status_code == 404

    entries = audit(database, CATALOGUE[kind].entity, body["id"])
    assert [e.action for e in entries] == ["create", "update", "delete"]
    assert {e.user_name for e in entries} == {"planner"}
    assert entries[0].before is None and entries[0].after == created.json()
    assert entries[1].before == created.json() and entries[1].after == replaced.json()
    assert entries[2].before == replaced.json() and entries[2].after is None


def test_admin_may_edit_the_catalogue(
    client: TestClient, database: Database, admin: Headers
) -> None:
    """An admin can do what a planner does; the audit entry names the admin."""
    response = client.post("/api/films", json=NEW["films"], headers=admin)
    assert response.status_code == 201, response.text
    assert [e.user_name for e in audit(database, "film", "t-film")] == ["admin"]


BAD_VALUES: list[tuple[str, Json, str, str]] = [
    ("venues", {"lat": 95.2}, "lat", "90"),
    ("venues", {"audience_seats": 0}, "audience_seats", "greater than 0"),
    ("venues", {"hours": [{"start": "23:00", "end": "18:00"}]}, "hours", "before it starts"),
    ("venues", {"name": "Сквер\x00"}, "name", "NUL"),
    ("venues", {"okrug": "ЦАО" * 40}, "okrug", "at most 100"),
    ("venues", {"max_visits": 2**40}, "max_visits", "outside"),
    ("venues", {"excluded_film_ids": ["brat", "nope"]}, "excluded_film_ids", "'nope'"),
    ("trucks", {"screen": "imax"}, "screen", "led"),
    ("trucks", {"depot": {"lat": 55.4, "lon": 200}}, "lon", "180"),
    ("films", {"rating": "7+"}, "rating", "7+"),
    ("films", {"runtime_min": 700}, "runtime_min", "600"),
    ("films", {"max_screenings": -1}, "max_screenings", "0"),
]
"""(kind, change to a good body, the field ``loc`` names, words of the message)."""


def test_bad_values_name_the_field(
    client: TestClient, database: Database, planner: Headers
) -> None:
    """A bad value on create or on replace is 422 with the field in ``loc`` and a message
    that says what is wrong; nothing is stored."""
    for kind, change, field, words in BAD_VALUES:
        demo = stored(database, kind, DEMO_IDS[kind])
        for response in (
            client.post(f"/api/{kind}", json={**NEW[kind], **change}, headers=planner),
            client.put(
                f"/api/{kind}/{DEMO_IDS[kind]}",
                json={**NEW[kind], **change, "id": DEMO_IDS[kind]},
                headers=planner,
            ),
        ):
            assert response.status_code == 422, (kind, change, response.text)
            detail = response.json()["detail"]
            assert any(field in item["loc"] for item in detail), (kind, change, detail)
            assert any(words in item["msg"] for item in detail), (kind, change, detail)
        assert stored(database, kind, NEW[kind]["id"]) is None
        assert stored(database, kind, DEMO_IDS[kind]) == demo


def test_replace_keeps_the_id(client: TestClient, database: Database, planner: Headers) -> None:
    """A PUT whose body names another id than the path is 422 naming ``id``."""
    body = {**NEW["films"], "id": "another"}
    response = client.put("/api/films/kholop", json=body, headers=planner)
    assert locs(response) == [["body", "id"]]
    assert stored(database, "films", "kholop")["version"] == 1  # type: ignore[index]
    assert stored(database, "films", "another") is None


def test_unknown_ids_are_404_and_taken_ids_409(
    client: TestClient, database: Database, planner: Headers
) -> None:
    """Reading, replacing or deleting an id that does not exist is 404 naming it; creating
    an id that is taken is 409 and leaves the stored entity alone."""
    for kind in CATALOGUE:
        path = f"/api/{kind}/no-such-id"
        body = {**NEW[kind], "id": "no-such-id"}
        for response in (
            client.get(path, headers=planner),
            client.put(path, json=body, headers=planner),
            client.delete(path, headers=planner),
        ):
            assert response.status_code == 404
            assert "no-such-id" in response.json()["detail"]
        before = stored(database, kind, DEMO_IDS[kind])
        taken = client.post(
            f"/api/{kind}", json={**NEW[kind], "id": DEMO_IDS[kind]}, headers=planner
        )
        assert taken.status_code == 409
        assert DEMO_IDS[kind] in taken.json()["detail"]
        assert stored(database, kind, DEMO_IDS[kind]) == before


def test_concurrent_stale_update_is_409(
    client: TestClient, database: Database, planner: Headers, admin: Headers
) -> None:
    """Two people read version 1; the first PUT wins (version 2), the second, still naming
    version 1, gets 409 and changes nothing; a stale DELETE is 409 too."""
    path = "/api/venues/1"
    first, second = client.get(path, headers=planner), client.get(path, headers=admin)
    assert first.headers["ETag"] == second.headers["ETag"] == '"1"'
    body = {k: v for k, v in first.json().items() if k != "version"}
    mine = client.put(
        path, json={**body, "audience_seats": 400}, headers={**planner, "If-Match": '"1"'}
    )
    assert mine.status_code == 200 and mine.headers["ETag"] == '"2"'
    theirs = client.put(
        path, json={**body, "audience_seats": 10}, headers={**admin, "If-Match": '"1"'}
    )
    assert theirs.status_code == 409
    assert "reload" in theirs.json()["detail"]
    now = stored(database, "venues", "1")
    assert now is not None and now["audience_seats"] == 400 and now["version"] == 2
    assert client.delete(path, headers={**admin, "If-Match": '"1"'}).status_code == 409
    assert stored(database, "venues", "1") == now
    assert [e.user_name for e in audit(database, "venue", "1")] == ["planner"]


def test_list_filters(
    client: TestClient, database: Database, seeded: Seeded, planner: Headers
) -> None:
    """``season_id`` keeps the season's members, ``q`` searches names in any case (Cyrillic
    too), ``okrug`` filters venues, ``limit``/``offset`` page through ids in order."""
    assert client.post("/api/venues", json=NEW["venues"], headers=planner).status_code == 201
    everything = client.get("/api/venues", params={"limit": 1000}, headers=planner).json()
    in_season = client.get(
        "/api/venues", params={"season_id": seeded.season_id, "limit": 1000}, headers=planner
    ).json()
    assert len(everything) == 61 and len(in_season) == 60
    assert "t-venue" not in {v["id"] for v in in_season}
    assert [v["id"] for v in in_season] == sorted(season_row(database, seeded.season_id).venue_ids)

    found = client.get("/api/venues", params={"q": "ПАРК горького"}, headers=planner).json()
    assert [v["name"] for v in found] == ["Парк Горького (Музеон)"]
    films = client.get("/api/films", params={"q": "брат"}, headers=planner).json()
    assert sorted(f["id"] for f in films) == ["brat", "brat-2"]

    zelao = client.get("/api/venues", params={"okrug": "ЗелАО"}, headers=planner).json()
    assert zelao and {v["okrug"] for v in zelao} == {"ЗелАО"}
    assert zelao == [v for v in everything if v["okrug"] == "ЗелАО"]

    page1 = client.get("/api/venues", params={"limit": 10}, headers=planner).json()
    page2 = client.get("/api/venues", params={"limit": 10, "offset": 10}, headers=planner).json()
    assert page1 + page2 == everything[:20]
    q_page = client.get("/api/films", params={"q": "брат", "offset": 1}, headers=planner).json()
    assert [f["id"] for f in q_page] == ["brat-2"]

    for params in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"q": "a\x00"}):
        response = client.get("/api/venues", params=params, headers=planner)
        assert [loc[-1] for loc in locs(response)] == list(params)
    assert client.get("/api/venues", params={"season_id": 999}, headers=planner).status_code == 404


def test_delete_cleans_up_references(
    client: TestClient, database: Database, seeded: Seeded, planner: Headers
) -> None:
    """Deleting a venue, film or truck takes its id out of every season; a film also leaves
    every venue's exclusions; a deleted truck's driver is unbound. Each change is audited."""
    before = season_row(database, seeded.season_id)
    venue = {**NEW["venues"], "excluded_film_ids": ["kholop", "brat"]}
    assert client.post("/api/venues", json=venue, headers=planner).status_code == 201

    for kind, entity_id in DEMO_IDS.items():
        response = client.delete(f"/api/{kind}/{entity_id}", headers=planner)
        assert response.status_code == 204, response.text

    after = season_row(database, seeded.season_id)
    assert after.venue_ids == [i for i in before.venue_ids if i != "1"]
    assert after.truck_ids == [i for i in before.truck_ids if i != "led-1"]
    assert after.film_ids == [i for i in before.film_ids if i != "kholop"]
    assert after.version == before.version + 3
    excluded = stored(database, "venues", "t-venue")
    assert excluded is not None and excluded["excluded_film_ids"] == ["brat"]
    assert excluded["version"] == 2
    with database.session() as session:
        driver2 = session.scalar(select(User).where(User.name == "driver2"))
        assert driver2 is not None and driver2.truck_id is None
        assert session.get(Venue, "1") is None

    season_changes = [
        e for e in audit(database, "season", str(seeded.season_id)) if e.user_name == "planner"
    ]
    assert [e.action for e in season_changes] == ["update"] * 3
    assert "1" in season_changes[0].before["venue_ids"]  # type: ignore[index]
    assert "1" not in season_changes[0].after["venue_ids"]  # type: ignore[index]
    venue_changes = audit(database, "venue", "t-venue")
    assert [e.action for e in venue_changes] == ["create", "update"]
    assert venue_changes[1].after["excluded_film_ids"] == ["brat"]  # type: ignore[index]


MY_PREFIXES = (
    "/api/venues",
    "/api/trucks",
    "/api/films",
    "/api/seasons",
    "/api/import",
    "/api/audit",
)


def my_routes(app: FastAPI, season_id: int) -> list[tuple[str, str]]:
    """(method, path) of every documented operation of the catalogue, seasons, import and
    audit routers, with real ids filled in (a season's plans and jobs are other routers')."""
    ids = {"entity_id": "1", "season_id": str(season_id)}
    found: list[tuple[str, str]] = []
    for path, operations in app.openapi()["paths"].items():
        if not path.startswith(MY_PREFIXES):
            continue
        if path.startswith("/api/seasons/{season_id}/") and not path.endswith(
            ("/rules", "/scenario")
        ):
            continue
        found.extend((method.upper(), path.format(**ids)) for method in operations)
    return found


def test_roles_on_every_route(
    app: FastAPI, client: TestClient, database: Database, seeded: Seeded, driver: Headers
) -> None:
    """Anonymous callers get 401 and a driver 403 on every route of this part of the API,
    and nothing changes."""
    routes = my_routes(app, seeded.season_id)
    assert len(routes) == 3 * 5 + 9 + 1 + 1
    for method, path in routes:
        anonymous = client.request(method, path, json={})
        assert anonymous.status_code == 401, (method, path, anonymous.text)
        assert anonymous.headers["WWW-Authenticate"] == "Bearer"
        refused = client.request(method, path, json={}, headers=driver)
        assert refused.status_code == 403, (method, path, refused.text)
    assert stored(database, "venues", "1") is not None
    assert season_row(database, seeded.season_id).version == 2
    with database.session() as session:
        assert session.scalar(select(AuditEntry).where(AuditEntry.user_name != "system")) is None


def test_audit_log(client: TestClient, seeded: Seeded, planner: Headers) -> None:
    """GET /api/audit lists changes newest first with who made them, filters by entity and
    id, shows Moscow time, and pages."""
    admin = login(client, "admin")
    assert client.post("/api/films", json=NEW["films"], headers=planner).status_code == 201
    body = {**NEW["films"], "runtime_min": 80}
    assert client.put("/api/films/t-film", json=body, headers=admin).status_code == 200
    entries = client.get(
        "/api/audit", params={"entity": "film", "entity_id": "t-film"}, headers=planner
    ).json()
    assert [(e["action"], e["user_name"]) for e in entries] == [
        ("update", "admin"),
        ("create", "planner"),
    ]
    assert entries[0]["before"]["runtime_min"] == 95 and entries[0]["after"]["runtime_min"] == 80
    assert entries[0]["after"]["version"] == 2
    assert entries[0]["at"].endswith("+03:00")
    everything = client.get("/api/audit", headers=planner).json()
    assert everything[:2] == entries
    second = client.get("/api/audit", params={"limit": 1, "offset": 1}, headers=planner).json()
    assert second == everything[1:2]
    assert client.get("/api/audit", params={"entity": "x" * 41}, headers=planner).status_code == 422
