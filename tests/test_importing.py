"""Importing a scenario from venues, films and trucks tables: CSV files, CSV uploads, XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pytest

from scheduler import importing
from scheduler.domain import DayWindow, ScreenType
from scheduler.errors import InvalidProblem
from scheduler.importing import (
    DEFAULT_SEATS,
    MAX_ROWS,
    Workbook,
    scenario_from_csv,
    scenario_from_tables,
    tables_from_csv,
    tables_from_xlsx,
)
from scheduler.schemas import ScenarioFile, problem_from_scenario

DATA = Path(__file__).resolve().parents[1] / "scheduler" / "data"
START, END = date(2026, 7, 1), date(2026, 7, 7)

VENUES = """id,name,okrug,lat,lon,audience_seats,hours,allowed_dates,excluded_film_ids
gorky,Парк Горького,ЦАО,55.7360,37.6057,250,10:00-23:00;18:00-25:00,,brat
kuskovo,Усадьба Кусково,ВАО,55.7354,37.8075,300,,2026-07-02;2026-07-04,
"""
FILMS = """id,title,runtime_min,rating,licence_start,licence_end,certificate,festival_exempt,note
brat,Брат,99,18+,,2026-07-03,DEMO-1,false,a note
morozko,Морозко,84,0+,,,,true,
"""
TRUCKS = """id,name,depot_name,depot_lat,depot_lon,screen,shift,has_ttk_pass
t1,LED 1,Moskino,55.4303,37.2725,LED,10:00-24:00,no
t2,Projector,Moskino,55.4303,37.2725,projector,14:00-26:00,yes
"""


def _write(folder: Path, venues: str = VENUES, films: str = FILMS, trucks: str = TRUCKS) -> None:
    for name, text in (("venues.csv", venues), ("films.csv", films), ("trucks.csv", trucks)):
        (folder / name).write_text(text, encoding="utf-8")


def _import(folder: Path) -> ScenarioFile:
    return scenario_from_csv(
        folder / "venues.csv", folder / "films.csv", folder / "trucks.csv", start=START, end=END
    )


def _problems(folder: Path) -> list[tuple[str, str]]:
    with pytest.raises(InvalidProblem) as caught:
        _import(folder)
    return caught.value.problems


def test_import_small_files(tmp_path: Path) -> None:
    """Every column is read: windows past midnight, date lists, ratings, booleans, depot."""
    _write(tmp_path)
    scenario = scenario_from_csv(
        tmp_path / "venues.csv",
        tmp_path / "films.csv",
        tmp_path / "trucks.csv",
        start=START,
        end=END,
        name="test",
    )
    problem = problem_from_scenario(scenario)
    gorky, kuskovo = problem.venue("gorky"), problem.venue("kuskovo")
    assert gorky.hours == (DayWindow(600, 1380), DayWindow(1080, 1500))
    assert gorky.excluded_film_ids == frozenset({"brat"})
    assert gorky.inside_ttk and not kuskovo.inside_ttk
    assert kuskovo.allowed_dates == frozenset({date(2026, 7, 2), date(2026, 7, 4)})
    brat, morozko = scenario.films
    assert brat.rating == 18 and brat.licence_end == date(2026, 7, 3)
    assert morozko.festival_exempt and morozko.certificate is None
    assert problem.truck("t1").screen is ScreenType.LED and not problem.truck("t1").has_ttk_pass
    assert problem.truck("t2").shift == DayWindow(14 * 60, 26 * 60)
    assert problem.truck("t2").depot_name == "Moskino"
    assert len(problem.days) == 7 and problem.name == "test"


def test_import_the_shared_venue_layout(tmp_path: Path) -> None:
    """moscow_venues.csv imports as is: names from name_ru, default seats, no depot row."""
    _write(tmp_path)
    scenario = scenario_from_csv(
        DATA / "moscow_venues.csv",
        DATA / "films.csv",
        tmp_path / "trucks.csv",
        start=START,
        end=END,
    )
    assert len(scenario.venues) == 60
    assert len(scenario.films) >= 25
    assert scenario.venues[0].name == "Парк Горького (Музеон)"
    assert {venue.audience_seats for venue in scenario.venues} == {DEFAULT_SEATS}
    assert all(venue.kind != "depot" for venue in scenario.venues)


def test_semicolon_separated_file(tmp_path: Path) -> None:
    """A spreadsheet saved with semicolons (Russian Excel) imports the same way."""
    _write(tmp_path, trucks=TRUCKS.replace(",", ";"))
    assert len(_import(tmp_path).trucks) == 2


def test_missing_file(tmp_path: Path) -> None:
    """A missing file is a problem naming the file, not a traceback."""
    _write(tmp_path)
    (tmp_path / "trucks.csv").unlink()
    [(where, message)] = _problems(tmp_path)
    assert where.endswith("trucks.csv") and message == "no such file"


def test_missing_column(tmp_path: Path) -> None:
    """A missing required column is named, at the header row."""
    _write(tmp_path, venues=VENUES.replace(",lat,", ",latitude,"))
    assert ("venues.csv row 1 column lat", "missing required column") in _problems(tmp_path)


def test_bad_latitude(tmp_path: Path) -> None:
    """A latitude that is not a number, or out of range, names file, row and column."""
    _write(tmp_path, venues=VENUES.replace("55.7360", "north").replace("55.7354", "95"))
    problems = dict(_problems(tmp_path))
    assert problems["venues.csv row 2 column lat"] == "'north' is not a number"
    assert "90" in problems["venues.csv row 3 column lat"]


def test_bad_rating(tmp_path: Path) -> None:
    """A rating outside 0+, 6+, 12+, 16+, 18+ is refused."""
    _write(tmp_path, films=FILMS.replace("18+", "21+"))
    [(where, message)] = _problems(tmp_path)
    assert where == "films.csv row 2 column rating"
    assert "age rating" in message


def test_unknown_screen_type(tmp_path: Path) -> None:
    """A screen type other than led or projector is refused."""
    _write(tmp_path, trucks=TRUCKS.replace("projector", "laser"))
    [(where, message)] = _problems(tmp_path)
    assert where == "trucks.csv row 3 column screen"
    assert "'led' or 'projector'" in message


def test_bad_boolean_and_window(tmp_path: Path) -> None:
    """Bad booleans and windows are reported together, every problem at once."""
    trucks = TRUCKS.replace(",no", ",maybe").replace("14:00-26:00", "14-26")
    _write(tmp_path, trucks=trucks)
    wheres = [where for where, _ in _problems(tmp_path)]
    assert wheres == ["trucks.csv row 2 column has_ttk_pass", "trucks.csv row 3 column shift"]


def test_duplicate_ids_and_unknown_film(tmp_path: Path) -> None:
    """A repeated id and an excluded film that does not exist are named by row."""
    venues = VENUES.replace("kuskovo,", "gorky,").replace(",brat\n", ",brad\n")
    _write(tmp_path, venues=venues)
    problems = dict(_problems(tmp_path))
    assert problems["venues.csv row 3 column id"] == "id 'gorky' is already used on row 2"
    assert problems["venues.csv row 2 column excluded_film_ids"] == "unknown film id 'brad'"


def test_empty_required_cell(tmp_path: Path) -> None:
    """An empty cell in a required column asks for a value."""
    _write(tmp_path, films=FILMS.replace(",99,", ",,"))
    assert _problems(tmp_path) == [("films.csv row 2 column runtime_min", "a value is required")]


def test_season_errors_come_from_the_schema(tmp_path: Path) -> None:
    """A season that ends before it starts is refused by the scenario validation."""
    _write(tmp_path)
    with pytest.raises(InvalidProblem, match="season"):
        scenario_from_csv(
            tmp_path / "venues.csv",
            tmp_path / "films.csv",
            tmp_path / "trucks.csv",
            start=END,
            end=START,
        )


# --- uploads: CSV bytes and XLSX workbooks ----------------------------------------------

Rows = list[list[object]]
Sheets = Mapping[str, Sequence[Sequence[object]]]


def _xlsx(sheets: Sheets) -> bytes:
    """An XLSX workbook built in memory, one sheet per entry, rows appended from row 1."""
    book = openpyxl.Workbook()
    for sheet in list(book.worksheets):
        book.remove(sheet)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cells(text: str) -> list[list[str]]:
    """The rows of a CSV text, every cell a string (as a sheet typed in as text)."""
    return list(csv.reader(io.StringIO(text)))


def _upload_problems(data: bytes) -> list[tuple[str, str]]:
    with pytest.raises(InvalidProblem) as caught:
        tables_from_xlsx(data)
    return caught.value.problems


VENUE_HEADER: list[object] = ["id", "name", "okrug", "lat", "lon", "audience_seats"]


def _venue_row(number: int, lat: object = 55.75) -> list[object]:
    return [f"v{number}", f"Venue {number}", "ЦАО", lat, 37.6, 200]


def test_xlsx_gives_the_same_scenario_as_csv_files(tmp_path: Path) -> None:
    """Three sheets of text cells make the scenario the three CSV files make."""
    _write(tmp_path)
    files = (tmp_path / "venues.csv", tmp_path / "films.csv", tmp_path / "trucks.csv")
    from_files = scenario_from_csv(*files, start=START, end=END, name="test")
    data = _xlsx({"venues": _cells(VENUES), "films": _cells(FILMS), "trucks": _cells(TRUCKS)})
    book = tables_from_xlsx(data)
    assert scenario_from_tables(book, start=START, end=END, name="test") == from_files
    uploaded = tables_from_csv(venues=VENUES.encode(), films=FILMS, trucks=TRUCKS.encode())
    assert uploaded == book


def test_xlsx_typed_cells_read_as_their_text() -> None:
    """Numbers, dates, datetimes, booleans and times read as a CSV file would write them."""
    venues: Rows = [
        [*VENUE_HEADER, "priority", "allowed_dates", "residential", "inside_ttk"],
        ["gorky", "Парк Горького", "ЦАО", 55.736, 37.6057, 250.0, 1.5, date(2026, 7, 2), False, 1],
        ["park", "Park", "ВАО", 55.7354, 37.8075, 300, 2, datetime(2026, 7, 4), True, None],
    ]
    films: Rows = [
        ["id", "title", "runtime_min", "rating", "licence_end", "festival_exempt", "certificate"],
        ["brat", "Брат", 99.0, "18+", datetime(2026, 7, 3), False, 1234],
        ["noon", "Полдень", 84, "0+", None, True, time(12, 0)],
    ]
    trucks: Rows = [
        ["id", "name", "depot_lat", "depot_lon", "screen", "setup_min", "has_ttk_pass"],
        ["t1", "LED 1", 55.4303, 37.2725, "led", 45.0, True],
    ]
    book = tables_from_xlsx(_xlsx({"venues": venues, "films": films, "trucks": trucks}))
    gorky, park = book.venues
    assert (gorky.lat, gorky.audience_seats, gorky.priority) == (55.736, 250, 1.5)
    assert gorky.allowed_dates == [date(2026, 7, 2)] and not gorky.residential
    assert gorky.inside_ttk and not park.inside_ttk  # 1 reads as true; empty: from the polygon
    assert park.allowed_dates == [date(2026, 7, 4)] and park.priority == 2.0
    brat, noon = book.films
    assert brat.runtime_min == 99 and brat.licence_end == date(2026, 7, 3)
    assert brat.certificate == "1234" and not brat.festival_exempt
    assert noon.festival_exempt and noon.certificate == "12:00"
    [truck] = book.trucks
    assert truck.setup_min == 45 and truck.has_ttk_pass


def test_xlsx_bad_latitude_on_row_17_names_table_row_and_column() -> None:
    """A latitude out of range is one problem, in words: table, row, column, value, range.

    Row 9 is left empty: rows are counted as the spreadsheet shows them, empty ones too.
    """
    rows: Rows = [VENUE_HEADER, *(_venue_row(n) for n in range(2, 17))]
    rows[8] = []
    rows.append(_venue_row(17, lat=95.2))
    with pytest.raises(InvalidProblem) as caught:
        tables_from_xlsx(_xlsx({"venues": rows}))
    assert str(caught.value) == "venues row 17, column lat: 95.2 is outside -90..90"


def test_xlsx_every_error_on_every_sheet_is_reported() -> None:
    """Problems on several sheets and rows are all reported at once, in sheet order."""
    venues: Rows = [VENUE_HEADER, _venue_row(2, lat="north"), _venue_row(3), _venue_row(4, lat=-91)]
    films: Rows = [
        ["id", "title", "runtime_min", "rating"],
        ["a", "A", 0, "0+"],
        ["b", "B", 90, "21+"],
    ]
    trucks: Rows = [
        ["id", "name", "depot_lat", "depot_lon", "screen"],
        ["t1", "T1", 55.43, 37.27, "laser"],
    ]
    problems = _upload_problems(_xlsx({"venues": venues, "films": films, "trucks": trucks}))
    assert problems[:3] == [
        ("venues row 2, column lat", "'north' is not a number"),
        ("venues row 4, column lat", "-91 is outside -90..90"),
        ("films row 2, column runtime_min", "0 must be greater than 0"),
    ]
    assert [where for where, _ in problems[3:]] == [
        "films row 3, column rating",
        "trucks row 2, column screen",
    ]


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("lon", "200", "200 is outside -180..180"),
        ("audience_seats", "0", "0 must be greater than 0"),
        ("audience_seats", "100001", "100001 must be at most 100000"),
        ("priority", "0", "0 must be greater than 0"),
        ("priority", "100.5", "100.5 must be at most 100"),
        ("max_visits", "-1", "-1 must be at least 0"),
    ],
)
def test_range_messages_say_the_value_and_the_range(column: str, value: str, message: str) -> None:
    """Range checks name the value and the allowed bound instead of pydantic's wording."""
    header = ["id", "name", "okrug", "lat", "lon", "audience_seats", "priority", "max_visits"]
    row = dict(zip(header, ["v", "V", "ЦАО", "55.75", "37.6", "200", "1", "1"], strict=True))
    row[column] = value
    table = ",".join(header) + "\n" + ",".join(row.values()) + "\n"
    with pytest.raises(InvalidProblem) as caught:
        tables_from_csv(venues=table)
    assert caught.value.problems == [(f"venues row 2, column {column}", message)]


@pytest.mark.parametrize(
    "data",
    [b"\x00\x01 not a zip at all", VENUES.encode(), b""],
    ids=["random bytes", "a CSV renamed", "empty"],
)
def test_not_an_xlsx_workbook(data: bytes) -> None:
    """Bytes that are no XLSX workbook give one problem on the file, not a traceback."""
    [(where, message)] = _upload_problems(data)
    assert where == "file" and message.startswith("not an XLSX workbook: ")


def test_xlsx_russian_sheet_names() -> None:
    """Sheets named площадки, фильмы and машины (any case) are read as their kinds."""
    sheets = {"Площадки": _cells(VENUES), "ФИЛЬМЫ": _cells(FILMS), " Машины ": _cells(TRUCKS)}
    book = tables_from_xlsx(_xlsx(sheets))
    assert (len(book.venues), len(book.films), len(book.trucks)) == (2, 2, 2)
    trucks = tables_from_xlsx(_xlsx({"Грузовики": _cells(TRUCKS)})).trucks
    assert [truck.id for truck in trucks] == ["t1", "t2"]


def test_xlsx_only_venues() -> None:
    """A workbook of venues alone reads; excluded films are not checked without films;
    other sheets are ignored; a scenario still needs all three kinds."""
    book = tables_from_xlsx(_xlsx({"Notes": [["anything"]], "Venues": _cells(VENUES)}))
    assert [venue.id for venue in book.venues] == ["gorky", "kuskovo"]
    assert book.films == [] and book.trucks == []
    with pytest.raises(InvalidProblem) as caught:
        scenario_from_tables(book, start=START, end=END)
    assert [where for where, _ in caught.value.problems] == ["films", "trucks"]


def test_excluded_films_are_checked_when_films_come_along() -> None:
    """An excluded film id must exist when the films are in the same import."""
    venues = VENUES.replace(",brat\n", ",brad\n")
    assert len(tables_from_csv(venues=venues).venues) == 2
    with pytest.raises(InvalidProblem) as caught:
        tables_from_csv(venues=venues, films=FILMS)
    assert str(caught.value) == "venues row 2, column excluded_film_ids: unknown film id 'brad'"


def test_xlsx_sheet_problems() -> None:
    """An empty sheet, two sheets of one kind, or no known sheet at all are named problems."""
    empty = _upload_problems(_xlsx({"venues": _cells(VENUES), "Trucks": []}))
    assert empty == [("trucks", "no header in row 1 of the sheet 'Trucks'")]
    twice = _upload_problems(_xlsx({"trucks": _cells(TRUCKS), "машины": _cells(TRUCKS)}))
    assert twice == [("file", "sheets 'trucks' and 'машины' both hold trucks")]
    [(where, message)] = _upload_problems(_xlsx({"Sheet1": _cells(VENUES)}))
    assert where == "file" and "'Sheet1'" in message


def test_csv_bytes_with_bom_and_semicolons() -> None:
    """UTF-8 bytes with a BOM, separated by semicolons, read like plain comma CSV."""
    films = ("\ufeff" + FILMS.replace(",", ";")).encode("utf-8")
    trucks = ("\ufeff" + TRUCKS.replace(",", ";")).encode("utf-8")
    book = tables_from_csv(films=films, trucks=trucks)
    assert book == tables_from_csv(films=FILMS.encode(), trucks=TRUCKS.encode())
    assert book.films[0].title == "Брат" and book.venues == []


def test_csv_bytes_not_utf8() -> None:
    """A table saved in Windows-1251 is refused with a problem naming the table."""
    with pytest.raises(InvalidProblem) as caught:
        tables_from_csv(venues=VENUES.encode(), films=FILMS.encode("cp1251"))
    [(where, message)] = caught.value.problems
    assert where == "films" and "not UTF-8" in message


def test_too_many_rows() -> None:
    """A table over MAX_ROWS data rows is refused as a whole; empty rows do not count."""
    header = "id,title,runtime_min,rating\n"
    rows = "".join(f"f{i},F,90,0+\n\n" for i in range(MAX_ROWS))
    assert len(tables_from_csv(films=header + rows).films) == MAX_ROWS
    with pytest.raises(InvalidProblem) as caught:
        tables_from_csv(films=header + rows + "extra,F,90,0+\n")
    assert caught.value.problems == [("films", f"more than {MAX_ROWS} rows; import it in parts")]


def test_too_many_rows_in_a_sheet(monkeypatch: pytest.MonkeyPatch) -> None:
    """The row limit holds for XLSX sheets too (lowered here to keep the workbook small)."""
    monkeypatch.setattr(importing, "MAX_ROWS", 3)
    rows: Rows = [VENUE_HEADER, *(_venue_row(n) for n in range(2, 6))]
    assert _upload_problems(_xlsx({"venues": rows})) == [
        ("venues", "more than 3 rows; import it in parts")
    ]
    assert len(tables_from_xlsx(_xlsx({"venues": rows[:4]})).venues) == 3


def test_a_scenario_needs_every_kind() -> None:
    """An empty workbook names each missing kind."""
    with pytest.raises(InvalidProblem) as caught:
        scenario_from_tables(Workbook([], [], []), start=START, end=END)
    assert [where for where, _ in caught.value.problems] == ["venues", "films", "trucks"]


def test_files_keep_their_names_in_messages(tmp_path: Path) -> None:
    """Files named on the command line keep the file name form: ``venues.csv row 3 column lat``."""
    _write(tmp_path, venues=VENUES.replace("55.7354", "95.2"))
    assert _problems(tmp_path) == [("venues.csv row 3 column lat", "95.2 is outside -90..90")]
