"""POST /api/import: CSV files and an XLSX workbook (built here with openpyxl) into the
catalogue, optionally as a new season; all or nothing with every bad row reported; catalogue
references; size limit and malformed requests; the audit entry."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, select

from scheduler.api import imports
from scheduler.db.engine import Database
from scheduler.db.tables import AuditEntry, Film, Season, Truck, Venue

from conftest import Seeded

Headers = dict[str, str]
Json = dict[str, Any]

VENUES = """id,name,okrug,lat,lon,audience_seats,hours,excluded_film_ids
imp-v1,Сквер у пруда,САО,55.8500,37.5500,150,18:00-25:00,
imp-v2,Парк у реки,ЮАО,55.6200,37.6600,300,,imp-f2
"""
FILMS = """id,title,runtime_min,rating
imp-f1,Фильм один,90,6+
imp-f2,Фильм два,120,16+
"""
TRUCKS = """id,name,depot_lat,depot_lon,screen,shift
imp-t1,Импорт LED,55.4303,37.2725,led,12:00-24:00
"""
SEASON = {"season_name": "Импорт, август", "start": "2026-08-01", "end": "2026-08-03"}


def csv_files(**tables: str) -> dict[str, tuple[str, bytes, str]]:
    """Multipart files from CSV texts, by field name."""
    return {kind: (f"{kind}.csv", text.encode(), "text/csv") for kind, text in tables.items()}


def xlsx(sheets: dict[str, list[list[Any]]]) -> bytes:
    """An XLSX workbook with the given sheets (rows of cell values, the header first)."""
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def workbook_file(data: bytes) -> dict[str, tuple[str, bytes, str]]:
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return {"workbook": ("catalogue.xlsx", data, kind)}


def counts(database: Database) -> tuple[int, ...]:
    """How many venues, films, trucks, seasons and audit entries are stored."""
    with database.session() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(table)) or 0
            for table in (Venue, Film, Truck, Season, AuditEntry)
        )


def problems(response: Any) -> dict[str, str]:
    """``loc`` without ``body`` -> message, of a 422 answer."""
    assert response.status_code == 422, response.text
    return {
        ".".join(str(p) for p in item["loc"][1:]): item["msg"] for item in response.json()["detail"]
    }


def test_csv_import_creates_a_season(
    client: TestClient, database: Database, planner: Headers
) -> None:
    """Three CSV files and season dates: the entities are created and a season of exactly
    them, whose scenario is valid; one audit entry names the planner and the season."""
    files = csv_files(venues=VENUES, films=FILMS, trucks=TRUCKS)
    response = client.post("/api/import", files=files, data=SEASON, headers=planner)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["created"] == {"venues": 2, "films": 2, "trucks": 1}
    assert body["updated"] == {"venues": 0, "films": 0, "trucks": 0}
    season = client.get(f"/api/seasons/{body['season_id']}", headers=planner).json()
    assert season["name"] == SEASON["season_name"]
    assert (season["venue_ids"], season["film_ids"], season["truck_ids"]) == (
        ["imp-v1", "imp-v2"],
        ["imp-f1", "imp-f2"],
        ["imp-t1"],
    )
    scenario = client.get(f"/api/seasons/{body['season_id']}/scenario", headers=planner)
    assert scenario.status_code == 200
    assert scenario.json()["venues"][0]["hours"] == [{"start": "18:00", "end": "25:00"}]
    assert scenario.json()["venues"][1]["excluded_film_ids"] == ["imp-f2"]
    entries = client.get("/api/audit", params={"entity": "season"}, headers=planner).json()
    assert entries[0]["action"] == "import" and entries[0]["user_name"] == "planner"
    assert entries[0]["after"]["season_id"] == body["season_id"]
    assert entries[0]["after"]["created"]["venues"] == ["imp-v1", "imp-v2"]


def test_xlsx_import_creates_and_updates(
    client: TestClient, database: Database, seeded: Seeded, planner: Headers
) -> None:
    """A workbook (sheet names in Russian too) adds new entities and replaces a stored one
    with the same id; the season includes exactly the workbook's entities."""
    data = xlsx(
        {
            "Площадки": [
                ["id", "name", "okrug", "lat", "lon", "audience_seats", "max_rating", "note"],
                ["1", "Парк Горького", "ЦАО", 55.736, 37.6057, 999, "12+", "changed"],
                ["x-v", "Новый сквер", "ВАО", 55.79, 37.80, 120, "18+", None],
            ],
            "films": [["id", "title", "runtime_min", "rating"], ["x-f", "Новый фильм", 88, "0+"]],
            "Машины": [
                ["id", "name", "depot_lat", "depot_lon", "screen"],
                ["x-t", "Новая машина", 55.43, 37.27, "LED"],
            ],
            "Notes": [["anything"]],
        }
    )
    response = client.post("/api/import", files=workbook_file(data), data=SEASON, headers=planner)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["created"] == {"venues": 1, "films": 1, "trucks": 1}
    assert body["updated"] == {"venues": 1, "films": 0, "trucks": 0}
    venue = client.get("/api/venues/1", headers=planner)
    assert venue.json()["audience_seats"] == 999 and venue.json()["max_rating"] == "12+"
    assert venue.headers["ETag"] == '"2"'
    season = client.get(f"/api/seasons/{body['season_id']}", headers=planner).json()
    assert season["venue_ids"] == ["1", "x-v"] and season["truck_ids"] == ["x-t"]
    truck = client.get("/api/trucks/x-t", headers=planner).json()
    assert truck["screen"] == "led" and truck["depot"]["lat"] == 55.43


def test_bad_workbook_stores_nothing_and_lists_every_bad_row(
    client: TestClient, database: Database, seeded: Seeded, planner: Headers
) -> None:
    """Bad rows in every sheet: 422 listing each by table, row and column with the value and
    what is allowed, and nothing at all is stored."""
    before = counts(database)
    data = xlsx(
        {
            "venues": [
                ["id", "name", "okrug", "lat", "lon", "audience_seats"],
                ["ok-1", "Хорошая", "ЦАО", 55.75, 37.61, 100],
                ["bad-1", "Плохая", "ЦАО", 95.2, 37.61, 100],
                [None, None, None, None, None, None],
                ["bad-2", "Ещё одна", "ЦАО", 55.75, 37.61, 0],
            ],
            "films": [["id", "title", "runtime_min", "rating"], ["f", "Фильм", 700, "7+"]],
            "trucks": [
                ["id", "name", "depot_lat", "depot_lon", "screen"],
                ["t", "Машина", 55.4, 37.2, "imax"],
            ],
        }
    )
    response = client.post("/api/import", files=workbook_file(data), data=SEASON, headers=planner)
    found = problems(response)
    assert found["venues row 3, column lat"] == "95.2 is outside -90..90"
    assert found["venues row 5, column audience_seats"] == "0 must be greater than 0"
    assert found["films row 2, column runtime_min"] == "700 must be at most 600"
    assert "7+" in found["films row 2, column rating"]
    assert "'led' or 'projector'" in found["trucks row 2, column screen"]
    assert len(found) == 5
    assert counts(database) == before


def test_catalogue_import_without_a_season(
    client: TestClient, database: Database, seeded: Seeded, planner: Headers
) -> None:
    """Venues alone go into the catalogue; they may exclude stored films but not unknown
    ones; importing the same table again updates."""
    table = (
        "id,name,okrug,lat,lon,audience_seats,excluded_film_ids\n"
        "solo,Сквер,САО,55.8,37.5,90,kholop;brat\n"
    )
    first = client.post("/api/import", files=csv_files(venues=table), headers=planner)
    assert first.status_code == 201, first.text
    assert first.json() == {
        "created": {"venues": 1, "films": 0, "trucks": 0},
        "updated": {"venues": 0, "films": 0, "trucks": 0},
        "season_id": None,
    }
    again = client.post("/api/import", files=csv_files(venues=table), headers=planner)
    assert again.json()["updated"]["venues"] == 1
    entries = client.get("/api/audit", params={"entity": "catalogue"}, headers=planner).json()
    assert [e["after"]["created"]["venues"] for e in entries] == [[], ["solo"]]

    before = counts(database)
    unknown = table.replace("solo", "solo-2").replace("kholop;brat", "kholop;nope")
    found = problems(client.post("/api/import", files=csv_files(venues=unknown), headers=planner))
    assert found == {"venues id 'solo-2', column excluded_film_ids": "unknown film id 'nope'"}
    nul = table.replace("Сквер", "Сквер\x00")
    found = problems(client.post("/api/import", files=csv_files(venues=nul), headers=planner))
    assert found == {"venues id 'solo', column name": "contains a NUL character"}
    assert counts(database) == before


def test_malformed_requests(
    client: TestClient,
    database: Database,
    seeded: Seeded,
    planner: Headers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No file, a workbook and CSV files at once, a season without an end or without all
    three kinds, a file that is not a workbook, and a file over the size limit: each 422
    naming the field; nothing stored."""
    before = counts(database)
    workbook = workbook_file(b"id,name\n1,2\n")
    cases: list[tuple[dict[str, Any], dict[str, str], str, str]] = [
        ({}, {}, "workbook", "give an XLSX workbook"),
        ({**workbook, **csv_files(venues=VENUES)}, {}, "workbook", "not both"),
        (csv_files(venues=VENUES), {"start": "2026-08-01"}, "end", "needed"),
        (
            csv_files(venues=VENUES),
            {"start": "2026-08-01", "end": "2026-08-02"},
            "films",
            "no films",
        ),
        (csv_files(venues=VENUES), {"start": "1990-01-01", "end": "2026-08-02"}, "start", "2000"),
        (workbook, {}, "workbook", "not an XLSX workbook"),
    ]
    for files, data, field, words in cases:
        response = client.post("/api/import", files=files, data=data, headers=planner)
        found = problems(response)
        assert field in found and words in found[field], (field, found)
    monkeypatch.setattr(imports, "MAX_UPLOAD_BYTES", 100)
    files = csv_files(venues=VENUES, films=FILMS, trucks=TRUCKS)
    found = problems(client.post("/api/import", files=files, headers=planner))
    assert set(found) == {"venues"} and "larger than" in found["venues"]
    assert counts(database) == before
