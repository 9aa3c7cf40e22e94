"""/api/seasons: list and read, create / replace / delete with If-Match, member ids checked,
rules, the scenario file export (what ``scheduler plan`` reads) and its import round trip,
the cascade of a delete, and 404 / 422 on bad ids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from scheduler.db.engine import Database
from scheduler.db.tables import AuditEntry, Job, PlanRow, Season, Venue
from scheduler.schemas import RulesModel, load_scenario, parse_scenario

from conftest import Seeded

Headers = dict[str, str]
Json = dict[str, Any]

NEW: Json = {
    "name": "Лето, первая неделя",
    "season": {"start": "2026-07-01", "end": "2026-07-07", "excluded_dates": ["2026-07-04"]},
    "rules": {"max_visits": 1, "window_days": 2},
    "venue_ids": ["1", "2", "19"],
    "truck_ids": ["led-1"],
    "film_ids": ["kholop", "brat"],
}


def seasons_stored(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count(Season.id))) or 0


def season_audit(database: Database, season_id: int) -> list[AuditEntry]:
    """The season's audit entries by people (not the demo loader), oldest first."""
    with database.session() as session:
        query = (
            select(AuditEntry)
            .where(AuditEntry.entity == "season", AuditEntry.entity_id == str(season_id))
            .where(AuditEntry.user_name != "system")
            .order_by(AuditEntry.id)
        )
        return list(session.scalars(query))


def problems(response: Any) -> dict[str, str]:
    """``loc`` (joined by dots, without ``body``) -> message, of a 422 answer."""
    assert response.status_code == 422, response.text
    return {
        ".".join(str(p) for p in item["loc"][1:]): item["msg"] for item in response.json()["detail"]
    }


def test_list_and_read(client: TestClient, seeded: Seeded, planner: Headers) -> None:
    """The list shows the demo season with its counts and plans; the full read adds rules
    and member ids, with the version as the ETag."""
    listed = client.get("/api/seasons", headers=planner)
    assert listed.status_code == 200
    (summary,) = listed.json()
    assert summary["id"] == seeded.season_id
    assert (summary["venues"], summary["trucks"], summary["films"]) == (60, 3, 30)
    assert summary["published_plan_id"] == summary["latest_plan_id"] == seeded.plan_id
    assert (summary["start"], summary["end"]) == ("2026-07-01", "2026-07-03")

    full = client.get(f"/api/seasons/{seeded.season_id}", headers=planner)
    assert full.status_code == 200
    assert full.headers["ETag"] == f'"{summary["version"]}"'
    body = full.json()
    assert body["rules"] == RulesModel().model_dump(mode="json")
    assert len(body["venue_ids"]) == 60 and "projector-1" in body["truck_ids"]
    assert body["latest_plan_id"] == seeded.plan_id and body["version"] == summary["version"]


def test_create_replace_delete(client: TestClient, database: Database, planner: Headers) -> None:
    """Create (201, ETag, Location), replace with If-Match, a stale replace is 409 and
    changes nothing, delete with If-Match; each step audited by name."""
    created = client.post("/api/seasons", json=NEW, headers=planner)
    assert created.status_code == 201, created.text
    season = created.json()
    path = f"/api/seasons/{season['id']}"
    assert created.headers["Location"] == path and created.headers["ETag"] == '"1"'
    assert season["rules"] == RulesModel(max_visits=1, window_days=2).model_dump(mode="json")
    assert season["venue_ids"] == NEW["venue_ids"] and season["latest_plan_id"] is None
    assert client.get(path, headers=planner).json() == season

    changed = {**NEW, "name": "Лето", "venue_ids": ["19", "1"], "film_ids": ["brat"]}
    replaced = client.put(path, json=changed, headers={**planner, "If-Match": '"1"'})
    assert replaced.status_code == 200, replaced.text
    assert replaced.headers["ETag"] == '"2"'
    assert replaced.json()["name"] == "Лето" and replaced.json()["venue_ids"] == ["19", "1"]
    stale = client.put(path, json=NEW, headers={**planner, "If-Match": '"1"'})
    assert stale.status_code == 409
    assert client.get(path, headers=planner).json() == replaced.json()

    assert client.delete(path, headers={**planner, "If-Match": '"1"'}).status_code == 409
    assert client.delete(path, headers={**planner, "If-Match": '"2"'}).status_code == 204
    assert client.get(path, headers=planner).status_code == 404
    entries = season_audit(database, season["id"])
    assert [(e.action, e.user_name) for e in entries] == [
        ("create", "planner"),
        ("update", "planner"),
        ("delete", "planner"),
    ]
    assert entries[1].before["name"] == NEW["name"] and entries[1].after["name"] == "Лето"  # type: ignore[index]
    assert entries[1].after["version"] == 2  # type: ignore[index]


def test_bad_seasons_name_the_field(
    client: TestClient, database: Database, seeded: Seeded, planner: Headers
) -> None:
    """Unknown or repeated member ids, bad dates, rules and names are 422 naming the field;
    nothing is stored or changed."""
    before = seasons_stored(database)
    cases: list[tuple[Json, str, str]] = [
        ({"venue_ids": ["1", "nope", "2"]}, "venue_ids[1]", "no venue 'nope'"),
        ({"truck_ids": ["led-1", "led-1"]}, "truck_ids[1]", "appears twice"),
        ({"film_ids": ["kholop", "x"]}, "film_ids[1]", "no film 'x'"),
        ({"season": {"start": "2026-07-09", "end": "2026-07-01"}}, "season", "before it starts"),
        ({"season": {"start": "1999-07-09", "end": "2026-07-01"}}, "season.start", "2000"),
        ({"rules": {"timezone": "Mars/Base"}}, "rules.timezone", "IANA"),
        ({"rules": {"min_gap_days": 2**40}}, "rules.min_gap_days", "outside"),
        ({"name": "x\x00"}, "name", "match pattern"),
        ({"name": ""}, "name", "at least 1"),
    ]
    path = f"/api/seasons/{seeded.season_id}"
    for change, field, words in cases:
        for response in (
            client.post("/api/seasons", json={**NEW, **change}, headers=planner),
            client.put(path, json={**NEW, **change}, headers=planner),
        ):
            found = problems(response)
            assert field in found and words in found[field], (change, found)
    assert seasons_stored(database) == before
    assert season_audit(database, seeded.season_id) == []


def test_rules(client: TestClient, database: Database, seeded: Seeded, planner: Headers) -> None:
    """GET/PUT rules share the season's version as ETag / If-Match; bad rules are 422."""
    path = f"/api/seasons/{seeded.season_id}/rules"
    got = client.get(path, headers=planner)
    version = int(got.headers["ETag"].strip('"'))
    assert got.json() == RulesModel().model_dump(mode="json")
    rules = {**got.json(), "max_visits": 3, "late_rating_after": "21:30"}
    put = client.put(path, json=rules, headers={**planner, "If-Match": f'"{version}"'})
    assert put.status_code == 200, put.text
    assert put.headers["ETag"] == f'"{version + 1}"' and put.json() == rules
    season = client.get(f"/api/seasons/{seeded.season_id}", headers=planner).json()
    assert season["rules"] == rules and season["version"] == version + 1

    stale = client.put(
        path,
        json=RulesModel().model_dump(mode="json"),
        headers={**planner, "If-Match": f'"{version}"'},
    )
    assert stale.status_code == 409
    bad = client.put(path, json={"ttk_ban_start": "22:00", "ttk_ban_end": "06:00"}, headers=planner)
    assert "ttk_ban_end" in problems(bad)[""]
    assert client.get(path, headers=planner).json() == rules
    (entry,) = season_audit(database, seeded.season_id)
    assert entry.action == "update" and entry.after["rules"]["max_visits"] == 3  # type: ignore[index]


def test_scenario_export_and_import_round_trip(
    client: TestClient, database: Database, seeded: Seeded, planner: Headers, tmp_path: Path
) -> None:
    """The exported scenario is a valid scenario file (``scheduler plan`` reads it); posting
    it back creates a new season with the same scenario and leaves the catalogue as it was."""
    exported = client.get(f"/api/seasons/{seeded.season_id}/scenario", headers=planner)
    assert exported.status_code == 200, exported.text
    scenario = exported.json()
    parsed = parse_scenario(scenario)
    assert parsed.model_dump(mode="json") == scenario
    assert len(parsed.venues) == 60 and len(parsed.trucks) == 3 and len(parsed.films) == 30
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(scenario, ensure_ascii=False), encoding="utf-8")
    problem = load_scenario(path)
    assert len(problem.days) == 3

    imported = client.post("/api/seasons/import", json=scenario, headers=planner)
    assert imported.status_code == 201, imported.text
    new_id = imported.json()["id"]
    assert new_id != seeded.season_id and imported.headers["Location"] == f"/api/seasons/{new_id}"
    again = client.get(f"/api/seasons/{new_id}/scenario", headers=planner).json()
    assert again == scenario
    with database.session() as session:
        assert {v.version for v in session.scalars(select(Venue))} == {1}
    (entry,) = season_audit(database, new_id)
    assert entry.action == "import" and entry.user_name == "planner"
    assert entry.after is not None and entry.after["season_id"] == new_id
    assert len(entry.after["updated"]["venues"]) == 60 and entry.after["created"]["films"] == []


def test_import_of_a_new_scenario(
    client: TestClient, database: Database, seeded: Seeded, planner: Headers
) -> None:
    """Importing a scenario with new and changed entities creates and updates them; a bad
    scenario is 422 naming the field and stores nothing."""
    scenario = client.get(f"/api/seasons/{seeded.season_id}/scenario", headers=planner).json()
    scenario["name"] = "Импорт"
    scenario["venues"] = [*scenario["venues"][:2], {**scenario["venues"][2], "id": "new-venue"}]
    scenario["venues"][0]["audience_seats"] = 999
    created = client.post("/api/seasons/import", json=scenario, headers=planner)
    assert created.status_code == 201, created.text
    assert created.json()["venue_ids"] == [scenario["venues"][i]["id"] for i in range(3)]
    with database.session() as session:
        first = session.get(Venue, scenario["venues"][0]["id"])
        assert first is not None and first.audience_seats == 999 and first.version == 2
        assert session.get(Venue, "new-venue") is not None

    count = seasons_stored(database)
    bad = json.loads(json.dumps(scenario))
    bad["venues"][1]["lat"] = 95.2
    assert "venues.1.lat" in problems(client.post("/api/seasons/import", json=bad, headers=planner))
    bad["venues"][1]["lat"] = 55.0
    bad["venues"][2]["name"] = "nul\x00"
    bad["venues"][0]["excluded_film_ids"] = ["not-in-the-file"]
    found = problems(client.post("/api/seasons/import", json=bad, headers=planner))
    assert found == {"venues.0.excluded_film_ids": "unknown film id 'not-in-the-file'"}
    bad["venues"][0]["excluded_film_ids"] = []
    found = problems(client.post("/api/seasons/import", json=bad, headers=planner))
    assert found == {"venues[2].name": "contains a NUL character"}
    assert seasons_stored(database) == count


def test_scenario_of_an_unplannable_season_is_422(client: TestClient, planner: Headers) -> None:
    """A season without trucks, or whose venue excludes a film it does not include, has no
    valid scenario: 422 naming the fields."""
    body = {**NEW, "truck_ids": []}
    season_id = client.post("/api/seasons", json=body, headers=planner).json()["id"]
    response = client.get(f"/api/seasons/{season_id}/scenario", headers=planner)
    assert "trucks" in problems(response)

    venue = client.get("/api/venues/1", headers=planner).json()
    venue.pop("version")
    venue["excluded_film_ids"] = ["ekipazh"]
    assert client.put("/api/venues/1", json=venue, headers=planner).status_code == 200
    season_id = client.post("/api/seasons", json=NEW, headers=planner).json()["id"]
    found = problems(client.get(f"/api/seasons/{season_id}/scenario", headers=planner))
    assert "unknown film id 'ekipazh'" in found["venues[0].excluded_film_ids"]


def test_delete_cascades_and_waits_for_jobs(
    client: TestClient, database: Database, seeded: Seeded, planner: Headers
) -> None:
    """A season with a queued solve cannot be deleted (409); once the job is done, the
    delete takes the season's plans and jobs with it."""
    with database.session() as session:
        session.add(
            Job(
                id="j1",
                season_id=seeded.season_id,
                state="queued",
                backend="inprocess",
                time_limit_s=5,
            )
        )
    path = f"/api/seasons/{seeded.season_id}"
    busy = client.delete(path, headers=planner)
    assert busy.status_code == 409 and "j1" in busy.json()["detail"]
    with database.session() as session:
        job = session.get(Job, "j1")
        assert job is not None
        job.state = "done"
    assert client.delete(path, headers=planner).status_code == 204
    with database.session() as session:
        assert session.get(Season, seeded.season_id) is None
        assert session.get(Job, "j1") is None
        assert session.scalar(select(func.count(PlanRow.id))) == 0
        assert session.get(Venue, "1") is not None  # the catalogue stays
    assert client.get("/api/seasons", headers=planner).json() == []


def test_unknown_and_bad_season_ids(client: TestClient, planner: Headers) -> None:
    """Every season route answers 404 for an id that does not exist and 422 for one out of
    range."""
    rules = RulesModel().model_dump(mode="json")
    for season_id, status in ((999, 404), (0, 422), (2**40, 422)):
        base = f"/api/seasons/{season_id}"
        for response in (
            client.get(base, headers=planner),
            client.put(base, json=NEW, headers=planner),
            client.delete(base, headers=planner),
            client.get(f"{base}/rules", headers=planner),
            client.put(f"{base}/rules", json=rules, headers=planner),
            client.get(f"{base}/scenario", headers=planner),
            client.get("/api/venues", params={"season_id": season_id}, headers=planner),
        ):
            assert response.status_code == status, (season_id, response.text)
