"""/api/plans: read a version (shape, KPIs), the plan file round trip, locks with If-Match,
hand edits (valid, refused, drafts, locked), publish, roll back, compare, roles, audit.

Fast: the only planning is the engine's re-timing inside move_stop / swap_film.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from scheduler.db.engine import Database
from scheduler.db.tables import AuditEntry, PlanRow, Season
from scheduler.demo import demo_problem

from conftest import Seeded

Headers = dict[str, str]
Json = dict[str, Any]


def read(client: TestClient, headers: Headers, plan_id: int) -> tuple[Json, str]:
    """The plan and its ETag."""
    response = client.get(f"/api/plans/{plan_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json(), response.headers["ETag"]


def versions(client: TestClient, headers: Headers, season_id: int) -> list[Json]:
    response = client.get("/api/plans", params={"season_id": season_id}, headers=headers)
    assert response.status_code == 200, response.text
    result: list[Json] = response.json()
    return result


def audit(database: Database, action: str) -> list[AuditEntry]:
    with database.session() as session:
        query = select(AuditEntry).where(AuditEntry.entity == "plan", AuditEntry.action == action)
        return list(session.scalars(query))


def find_move(client: TestClient, headers: Headers, plan: Json, *, valid: bool) -> Json:
    """A move request whose dry run is valid (a new position on the same route) or invalid
    (to another truck), found by asking the API."""
    etag = client.get(f"/api/plans/{plan['id']}", headers=headers).headers["ETag"]
    for route in plan["routes"]:
        for stop in route["stops"]:
            base = {
                "truck_id": route["truck_id"],
                "day": route["day"],
                "venue_id": stop["venue_id"],
            }
            if valid:
                targets = [
                    (route["truck_id"], route["day"], p)
                    for p in range(len(route["stops"]))
                    if p != stop["position"]
                ]
            else:
                targets = [
                    (other["truck_id"], other["day"], 0)
                    for other in plan["routes"]
                    if other["truck_id"] != route["truck_id"]
                ]
            for truck_id, day, position in targets:
                body = {**base, "to_truck_id": truck_id, "to_day": day, "to_position": position}
                response = client.post(
                    f"/api/plans/{plan['id']}/moves",
                    json={**body, "dry_run": True},
                    headers={**headers, "If-Match": etag},
                )
                assert response.status_code == 200, response.text
                if response.json()["valid"] is valid:
                    return body
    raise AssertionError(f"no {'valid' if valid else 'invalid'} move in the demo plan")


def test_list_versions(client: TestClient, seeded: Seeded, planner: Headers) -> None:
    """The seeded season has one published version, kind solve, no violations."""
    [only] = versions(client, planner, seeded.season_id)
    assert only["id"] == seeded.plan_id and only["number"] == 1 and only["parent_id"] is None
    assert only["kind"] == "solve" and only["published"] is True and only["draft"] is False
    assert only["violation_count"] == 0 and only["stats"]["screenings"] > 0
    assert only["created_at"].endswith("+03:00")
    missing = client.get("/api/plans", params={"season_id": 999}, headers=planner)
    assert missing.status_code == 404


def test_read_plan_shape_and_kpis(client: TestClient, seeded: Seeded, planner: Headers) -> None:
    """Routes carry names, okrugs, coordinates, setup, screenings with ratings, teardown;
    KPIs agree with the routes; unserved venues have names and reasons; ETag = version."""
    plan, etag = read(client, planner, seeded.plan_id)
    assert etag == f'"{plan["version"]}"'
    assert plan["season_id"] == seeded.season_id and plan["violations"] == []
    problem = demo_problem(days=3)
    venues = {v.id: v for v in problem.venues}
    trucks = {t.id: t for t in problem.trucks}
    assert len(plan["routes"]) == len(seeded.plan.routes)
    screenings = audience = 0
    for route in plan["routes"]:
        truck = trucks[route["truck_id"]]
        assert route["truck_name"] == truck.name and route["screen"] == truck.screen.value
        assert route["locked"] is False and route["silence_start"].endswith("T23:00:00+03:00")
        assert [s["position"] for s in route["stops"]] == list(range(len(route["stops"])))
        for stop in route["stops"]:
            venue = venues[stop["venue_id"]]
            assert stop["venue_name"] == venue.name and stop["okrug"] == venue.okrug
            assert (stop["lat"], stop["lon"]) == (venue.location.lat, venue.location.lon)
            setup = datetime.fromisoformat(stop["setup_end"]) - datetime.fromisoformat(
                stop["setup_start"]
            )
            assert setup == timedelta(minutes=truck.setup_min)
            assert stop["arrival"].endswith("+03:00")
            assert stop["teardown_start"] == stop["screenings"][-1]["end"]
            for show in stop["screenings"]:
                assert show["rating"] == f"{problem.film(show['film_id']).rating}+"
                assert show["title"] == problem.film(show["film_id"]).title
            screenings += len(stop["screenings"])
            audience += venue.audience_seats * len(stop["screenings"])
    kpis = plan["kpis"]
    assert kpis["screenings"] == screenings == plan["stats"]["screenings"]
    assert kpis["expected_audience"] == audience
    assert kpis["venues_served"] == plan["stats"]["served_venues"]
    assert 1 <= kpis["okrugs_covered"] == len(kpis["okrugs"])
    assert abs(kpis["driving_h"] - plan["stats"]["travel_min"] / 60) < 0.05
    assert {u["truck_id"] for u in kpis["utilisation"]} == set(trucks)
    assert all(0 < u["utilisation"] <= 1 for u in kpis["utilisation"])
    assert len(plan["unserved"]) == len(seeded.plan.unserved)
    for entry in plan["unserved"]:
        assert entry["name"] == venues[entry["venue_id"]].name and entry["reason"]
        assert entry["message"]
    assert client.get("/api/plans/999999", headers=planner).status_code == 404
    assert client.get("/api/plans/0", headers=planner).status_code == 422


def test_plan_file_round_trip(
    client: TestClient, seeded: Seeded, planner: Headers, database: Database
) -> None:
    """The plan file imports back as a valid version; a broken one becomes a draft with its
    violations; unknown ids are refused and store nothing."""
    file = client.get(f"/api/plans/{seeded.plan_id}/file", headers=planner)
    assert file.status_code == 200
    data = file.json()
    assert len(data["routes"]) == len(seeded.plan.routes)
    url = f"/api/seasons/{seeded.season_id}/plans/import"
    created = client.post(url, json=data, headers=planner)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["kind"], body["number"], body["draft"], body["violations"]) == (
        "import",
        2,
        False,
        [],
    )
    assert len(body["routes"]) == len(data["routes"])
    assert audit(database, "import")[0].after == {
        "plan_id": body["id"],
        "violations": 0,
        "draft": False,
    }

    route = data["routes"][0]
    route["depot_return"] = route["depot_departure"]
    broken = client.post(url, json=data, headers=planner)
    assert broken.status_code == 201, broken.text
    assert broken.json()["draft"] is True
    assert {v["rule"] for v in broken.json()["violations"]} >= {"travel"}

    route["stops"][0]["venue_id"] = "no-such-venue"
    refused = client.post(url, json=data, headers=planner)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "unknown_id"]
    route["stops"][0]["venue_id"] = "bad\x00id"
    assert client.post(url, json=data, headers=planner).status_code == 422
    assert len(versions(client, planner, seeded.season_id)) == 3
    assert (
        client.post("/api/seasons/999/plans/import", json=data, headers=planner).status_code == 404
    )


def test_lock_and_unlock(
    client: TestClient, seeded: Seeded, planner: Headers, database: Database
) -> None:
    """Locking a truck-day and a stop bumps the version; a stale If-Match gets 409 and
    changes nothing; an unknown route or stop is 404."""
    plan, etag = read(client, planner, seeded.plan_id)
    route = plan["routes"][0]
    venue_id = route["stops"][0]["venue_id"]
    url = f"/api/plans/{seeded.plan_id}/locks"
    day_lock = {"truck_id": route["truck_id"], "day": route["day"], "locked": True}
    response = client.put(url, json=day_lock, headers={**planner, "If-Match": etag})
    assert response.status_code == 200, response.text
    assert response.json()["version"] == plan["version"] + 1
    assert response.headers["ETag"] == f'"{plan["version"] + 1}"'
    stale = client.put(
        url, json={**day_lock, "venue_id": venue_id}, headers={**planner, "If-Match": etag}
    )
    assert stale.status_code == 409
    after, new_etag = read(client, planner, seeded.plan_id)
    assert after["routes"][0]["locked"] is True
    assert after["routes"][0]["stops"][0]["locked"] is False
    assert new_etag == response.headers["ETag"]

    stop_lock = {**day_lock, "venue_id": venue_id}
    locked = client.put(url, json=stop_lock, headers={**planner, "If-Match": new_etag})
    assert locked.status_code == 200
    unlocked = client.put(
        url,
        json={**day_lock, "locked": False},
        headers={**planner, "If-Match": locked.headers["ETag"]},
    )
    assert unlocked.status_code == 200 and unlocked.json()["version"] == plan["version"] + 3
    final, _ = read(client, planner, seeded.plan_id)
    assert final["routes"][0]["locked"] is False and final["routes"][0]["stops"][0]["locked"]

    for missing in ({**day_lock, "venue_id": "nowhere"}, {**day_lock, "day": "2026-12-31"}):
        assert client.put(url, json=missing, headers=planner).status_code == 404
    entries = audit(database, "lock") + audit(database, "unlock")
    assert len(entries) == 3
    assert all(e.user_name == "planner" and e.entity_id == str(seeded.plan_id) for e in entries)


def test_valid_move_makes_version_two(
    client: TestClient, seeded: Seeded, planner: Headers, database: Database
) -> None:
    """A valid move: the dry run stores nothing; the real one makes version 2 (kind edit,
    parent 1, locks copied) with the stop at its new position and its route re-timed."""
    plan, etag = read(client, planner, seeded.plan_id)
    body = find_move(client, planner, plan, valid=True)
    other = next(
        r for r in plan["routes"] if (r["truck_id"], r["day"]) != (body["truck_id"], body["day"])
    )
    lock = {"truck_id": other["truck_id"], "day": other["day"], "locked": True}
    etag = client.put(
        f"/api/plans/{seeded.plan_id}/locks", json=lock, headers={**planner, "If-Match": etag}
    ).headers["ETag"]
    url = f"/api/plans/{seeded.plan_id}/moves"
    dry = client.post(url, json={**body, "dry_run": True}, headers={**planner, "If-Match": etag})
    assert dry.status_code == 200 and dry.json()["valid"] is True and dry.json()["plan_id"] is None
    [changed] = dry.json()["changed_routes"]
    assert changed["stops"][body["to_position"]]["venue_id"] == body["venue_id"]
    assert len(versions(client, planner, seeded.season_id)) == 1

    stale = client.post(url, json=body, headers={**planner, "If-Match": '"1"'})
    assert stale.status_code == 409
    done = client.post(url, json=body, headers={**planner, "If-Match": etag})
    assert done.status_code == 201, done.text
    result = done.json()
    assert result["valid"] is True and result["violations"] == [] and result["plan_id"]
    new, _ = read(client, planner, result["plan_id"])
    assert (new["number"], new["parent_id"], new["kind"], new["draft"]) == (
        2,
        seeded.plan_id,
        "edit",
        False,
    )
    assert new["published"] is False and new["violations"] == []
    route = next(
        r
        for r in new["routes"]
        if (r["truck_id"], r["day"]) == (body["to_truck_id"], body["to_day"])
    )
    assert route["stops"][body["to_position"]]["venue_id"] == body["venue_id"]
    kept = next(
        r for r in new["routes"] if (r["truck_id"], r["day"]) == (other["truck_id"], other["day"])
    )
    assert kept["locked"] is True
    [entry] = audit(database, "move")
    assert entry.before == {"plan_id": seeded.plan_id}
    assert entry.after is not None and entry.after["plan_id"] == result["plan_id"]


def test_invalid_move_is_refused_or_a_draft(
    client: TestClient, seeded: Seeded, planner: Headers, database: Database
) -> None:
    """A move that breaks a rule: 422 naming each rule with the validator's message, nothing
    stored; with save_as_draft a draft version listing the violations, which cannot be
    published."""
    plan, etag = read(client, planner, seeded.plan_id)
    body = find_move(client, planner, plan, valid=False)
    url = f"/api/plans/{seeded.plan_id}/moves"
    dry = client.post(url, json={**body, "dry_run": True}, headers={**planner, "If-Match": etag})
    rules = {v["rule"] for v in dry.json()["violations"]}
    assert rules and dry.json()["valid"] is False
    refused = client.post(url, json=body, headers={**planner, "If-Match": etag})
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert {tuple(item["loc"][:1]) for item in detail} == {("body",)}
    assert {item["loc"][1] for item in detail} == rules
    assert all(any(ch.isdigit() for ch in item["msg"]) for item in detail)
    assert len(versions(client, planner, seeded.season_id)) == 1

    draft = client.post(
        url, json={**body, "save_as_draft": True}, headers={**planner, "If-Match": etag}
    )
    assert draft.status_code == 201, draft.text
    new, new_etag = read(client, planner, draft.json()["plan_id"])
    assert new["draft"] is True and {v["rule"] for v in new["violations"]} == rules
    assert len(new["violations"]) == len(draft.json()["violations"])
    publish = client.post(
        f"/api/plans/{new['id']}/publish", headers={**planner, "If-Match": new_etag}
    )
    assert publish.status_code == 409 and "draft" in publish.json()["detail"]
    with database.session() as session:
        season = session.get(Season, seeded.season_id)
        assert season is not None and season.published_plan_id == seeded.plan_id


def test_swap_to_an_adult_film_is_refused(
    client: TestClient, seeded: Seeded, planner: Headers, database: Database
) -> None:
    """Swapping the longest 18+ film into a children's venue (rule film_rating) or into an
    early screening (pushed past 20:00 by the late-rating rule, it overruns the venue's
    hours or the shift) is refused naming each rule; a swap to the same film is valid,
    stored and audited; an unknown film or screening index is 422 naming the field."""
    problem = demo_problem(days=3)
    plan, etag = read(client, planner, seeded.plan_id)
    adult = max(problem.films, key=lambda f: (f.rating, f.runtime_min))
    stops = [(r, s) for r in plan["routes"] for s in r["stops"]]
    young = [(r, s) for r, s in stops if problem.venue(s["venue_id"]).max_rating < adult.rating]
    url = f"/api/plans/{seeded.plan_id}/films"
    headers = {**planner, "If-Match": etag}
    for route, stop in young + sorted(stops, key=lambda rs: rs[1]["screenings"][0]["start"][11:]):
        body = {
            "truck_id": route["truck_id"],
            "day": route["day"],
            "venue_id": stop["venue_id"],
            "screening_index": 0,
            "film_id": adult.id,
        }
        dry = client.post(url, json={**body, "dry_run": True}, headers=headers).json()
        if not dry["valid"]:
            break
    else:
        raise AssertionError("no swap to an 18+ film breaks a rule")
    rules = {v["rule"] for v in dry["violations"]}
    if young:
        assert "film_rating" in rules
    refused = client.post(url, json=body, headers=headers)
    assert refused.status_code == 422
    assert {item["loc"][1] for item in refused.json()["detail"]} == rules
    assert len(versions(client, planner, seeded.season_id)) == 1
    same = {**body, "film_id": stop["screenings"][0]["film_id"]}
    assert client.post(url, json={**same, "dry_run": True}, headers=headers).json()["valid"]
    saved = client.post(url, json=same, headers=headers)
    assert saved.status_code == 201 and saved.json()["valid"] is True
    [entry] = audit(database, "swap_film")
    assert entry.before == {"plan_id": seeded.plan_id} and entry.after is not None
    assert entry.after["plan_id"] == saved.json()["plan_id"] and entry.after["film_id"]
    for bad, field in (
        ({"film_id": "nope"}, "film_id"),
        ({"screening_index": 9}, "screening_index"),
    ):
        response = client.post(url, json={**body, **bad}, headers=headers)
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", field]


def test_locked_parts_cannot_be_edited(
    client: TestClient, seeded: Seeded, planner: Headers
) -> None:
    """Moving a stop off a locked truck-day, or swapping the film of a locked stop, is 409."""
    plan, etag = read(client, planner, seeded.plan_id)
    route = plan["routes"][0]
    stop = route["stops"][0]
    locks = f"/api/plans/{seeded.plan_id}/locks"
    etag = client.put(
        locks,
        json={"truck_id": route["truck_id"], "day": route["day"], "locked": True},
        headers={**planner, "If-Match": etag},
    ).headers["ETag"]
    move = {
        "truck_id": route["truck_id"],
        "day": route["day"],
        "venue_id": stop["venue_id"],
        "to_truck_id": route["truck_id"],
        "to_day": route["day"],
        "to_position": 0,
        "dry_run": True,
    }
    response = client.post(f"/api/plans/{seeded.plan_id}/moves", json=move, headers=planner)
    assert response.status_code == 409 and "locked" in response.json()["detail"]
    client.put(
        locks,
        json={"truck_id": route["truck_id"], "day": route["day"], "locked": False},
        headers=planner,
    )
    client.put(
        locks,
        json={
            "truck_id": route["truck_id"],
            "day": route["day"],
            "venue_id": stop["venue_id"],
            "locked": True,
        },
        headers=planner,
    )
    swap = {**{k: move[k] for k in ("truck_id", "day", "venue_id")}, "screening_index": 0}
    swap["film_id"] = stop["screenings"][0]["film_id"]
    response = client.post(f"/api/plans/{seeded.plan_id}/films", json=swap, headers=planner)
    assert response.status_code == 409


def test_publish_and_rollback(
    client: TestClient, seeded: Seeded, planner: Headers, database: Database
) -> None:
    """Publishing a valid edit moves the season's published version; rolling back to
    version 1 makes version 3 (parent 2) with version 1's routes; both are audited."""
    plan, etag = read(client, planner, seeded.plan_id)
    body = find_move(client, planner, plan, valid=True)
    edit = client.post(
        f"/api/plans/{seeded.plan_id}/moves", json=body, headers={**planner, "If-Match": etag}
    )
    new_id = edit.json()["plan_id"]
    _, new_etag = read(client, planner, new_id)
    stale = client.post(f"/api/plans/{new_id}/publish", headers={**planner, "If-Match": '"99"'})
    assert stale.status_code == 409
    published = client.post(
        f"/api/plans/{new_id}/publish", headers={**planner, "If-Match": new_etag}
    )
    assert published.status_code == 200, published.text
    assert published.json()["published"] is True
    listed = {v["id"]: v["published"] for v in versions(client, planner, seeded.season_id)}
    assert listed == {new_id: True, seeded.plan_id: False}
    with database.session() as session:
        season = session.get(Season, seeded.season_id)
        assert season is not None and season.published_plan_id == new_id
        row = session.get(PlanRow, new_id)
        assert row is not None and row.published_at is not None
    [entry] = audit(database, "publish")
    assert entry.before == {"plan_id": seeded.plan_id} and entry.after is not None
    assert entry.after["plan_id"] == new_id

    back = client.post(f"/api/plans/{seeded.plan_id}/rollback", headers=planner)
    assert back.status_code == 201, back.text
    summary = back.json()
    assert (summary["kind"], summary["number"], summary["parent_id"]) == ("rollback", 3, new_id)
    old, _ = read(client, planner, seeded.plan_id)
    copy, _ = read(client, planner, summary["id"])
    assert copy["routes"] == old["routes"] and copy["unserved"] == old["unserved"]
    assert copy["kpis"] == old["kpis"]
    [entry] = audit(database, "rollback")
    assert entry.before == {"plan_id": new_id, "copied_from": seeded.plan_id}


def test_compare_versions(client: TestClient, seeded: Seeded, planner: Headers) -> None:
    """A stop moved to another day shows as dropped (old day) and added (new day); a
    reordered stop as moved; both sides carry their KPIs."""
    plan, etag = read(client, planner, seeded.plan_id)
    headers = {**planner, "If-Match": etag}
    route = max(plan["routes"], key=lambda r: len(r["stops"]))
    other_day = next(r for r in plan["routes"] if r["day"] != route["day"])
    venue_id = route["stops"][-1]["venue_id"]
    body = {
        "truck_id": route["truck_id"],
        "day": route["day"],
        "venue_id": venue_id,
        "to_truck_id": other_day["truck_id"],
        "to_day": other_day["day"],
        "to_position": 0,
        "save_as_draft": True,
    }
    moved = client.post(f"/api/plans/{seeded.plan_id}/moves", json=body, headers=headers)
    assert moved.status_code == 201, moved.text
    response = client.get(
        "/api/plans/compare",
        params={"a": seeded.plan_id, "b": moved.json()["plan_id"]},
        headers=planner,
    )
    assert response.status_code == 200, response.text
    diff = response.json()
    assert [(c["venue_id"], c["day"]) for c in diff["dropped"]] == [(venue_id, route["day"])]
    assert [(c["venue_id"], c["day"]) for c in diff["added"]] == [(venue_id, other_day["day"])]
    assert diff["added"][0]["a"] is None and diff["added"][0]["b"]["position"] == 0
    shifted = {c["venue_id"] for c in diff["moved"]}
    assert all(s["venue_id"] in shifted for s in other_day["stops"])
    assert diff["a"]["kpis"]["stops"] == diff["b"]["kpis"]["stops"]
    assert diff["a"]["plan"]["id"] == seeded.plan_id

    same = client.get(
        "/api/plans/compare", params={"a": seeded.plan_id, "b": seeded.plan_id}, headers=planner
    ).json()
    assert same["added"] == same["dropped"] == same["moved"] == same["retimed"] == []
    missing = client.get(
        "/api/plans/compare", params={"a": seeded.plan_id, "b": 999}, headers=planner
    )
    assert missing.status_code == 404


def test_drivers_and_anonymous_are_refused(
    client: TestClient, seeded: Seeded, driver: Headers
) -> None:
    """A driver gets 403 and an anonymous caller 401 on every plan endpoint; nothing leaks."""
    p = seeded.plan_id
    move = {
        "truck_id": "led-1",
        "day": "2026-07-01",
        "venue_id": "1",
        "to_truck_id": "led-1",
        "to_day": "2026-07-01",
        "to_position": 0,
    }
    calls = [
        ("GET", "/api/plans", {"params": {"season_id": seeded.season_id}}),
        ("GET", f"/api/plans/{p}", {}),
        ("GET", f"/api/plans/{p}/file", {}),
        ("GET", "/api/plans/compare", {"params": {"a": p, "b": p}}),
        (
            "POST",
            f"/api/seasons/{seeded.season_id}/plans/import",
            {"json": {"objective": 0, "routes": []}},
        ),
        (
            "PUT",
            f"/api/plans/{p}/locks",
            {"json": {"truck_id": "led-1", "day": "2026-07-01", "locked": True}},
        ),
        ("POST", f"/api/plans/{p}/moves", {"json": move}),
        ("POST", f"/api/plans/{p}/films", {"json": {**move, "screening_index": 0, "film_id": "x"}}),
        ("POST", f"/api/plans/{p}/publish", {}),
        ("POST", f"/api/plans/{p}/rollback", {}),
    ]
    for method, url, kwargs in calls:
        response = client.request(method, url, headers=driver, **kwargs)
        assert response.status_code == 403, (method, url, response.text)
        assert "routes" not in response.text
        assert client.request(method, url, **kwargs).status_code == 401, (method, url)


def test_bad_input_names_the_field(client: TestClient, seeded: Seeded, planner: Headers) -> None:
    """Out-of-range ids, days, positions and NUL characters are 422 naming the field."""
    url = f"/api/plans/{seeded.plan_id}/moves"
    route = seeded.plan.routes[0]
    move = {
        "truck_id": route.truck_id,
        "day": route.day.isoformat(),
        "venue_id": route.stops[0].venue_id,
        "to_truck_id": route.truck_id,
        "to_day": route.day.isoformat(),
        "to_position": 0,
    }
    for bad, field in (
        ({"to_position": -1}, "to_position"),
        ({"day": "1999-01-01"}, "day"),
        ({"venue_id": "a\x00b"}, "venue_id"),
        ({"truck_id": "x" * 101}, "truck_id"),
    ):
        response = client.post(url, json={**move, **bad}, headers=planner)
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", field]
    assert client.get(f"/api/plans/{2**40}", headers=planner).status_code == 422
    unknown = client.post(url, json={**move, "to_truck_id": "tram-1"}, headers=planner)
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "to_truck_id"]
