"""A scenario from spreadsheets: venues, films and trucks CSV files -> ``schemas.ScenarioFile``.

The columns are listed in ``docs/formats.md``. Files are UTF-8 (a BOM is fine), separated by
commas, or by semicolons when the header has no comma. Header names are trimmed and lower-cased;
unknown columns (``note``, ``name_en``, ...) are ignored. Rows are numbered as a spreadsheet shows
them: the header is row 1. Every problem in every file is collected and raised at once as
``InvalidProblem``, each named ``"<file> row <n> column <column>"``.

The shared ``moscow_venues.csv`` layout (``name_ru``/``name_en``, no ``audience_seats``) is
accepted: the name comes from ``name_ru``, seats default to ``DEFAULT_SEATS``, and depot rows
(``kind=depot``) are skipped. A venue without an ``inside_ttk`` value gets one from its
coordinates (``demo.inside_ttk``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from scheduler.demo import inside_ttk
from scheduler.domain import Location
from scheduler.errors import InvalidProblem
from scheduler.schemas import FilmModel, ScenarioFile, TruckModel, VenueModel, parse_scenario

__all__ = ["DEFAULT_SEATS", "scenario_from_csv"]

DEFAULT_SEATS = 200
"""Audience seats for venues in the shared layout, which has no seat column."""

Problems = list[tuple[str, str]]
Cell = Callable[[str], Any]
"""Converts a non-empty cell; raises ``ValueError`` with a message for the user."""

_Model = TypeVar("_Model", bound=BaseModel)

# --- cells ----------------------------------------------------------------------------

_TRUE = frozenset({"true", "yes", "y", "1", "да"})
_FALSE = frozenset({"false", "no", "n", "0", "нет"})
_WINDOW = re.compile(r"^(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})$")


def _text(text: str) -> str:
    return text


def _number(text: str) -> float:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        raise ValueError(f"'{text}' is not a number") from None


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a whole number") from None


def _boolean(text: str) -> bool:
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise ValueError(f"'{text}' is not true or false")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a date YYYY-MM-DD") from None


def _items(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def _dates(text: str) -> list[date]:
    return [_date(part) for part in _items(text)]


def _window(text: str) -> dict[str, str]:
    match = _WINDOW.match(text)
    if match is None:
        raise ValueError(f"'{text}' is not a window HH:MM-HH:MM (past midnight: 18:00-25:00)")
    return {"start": match.group(1), "end": match.group(2)}


def _windows(text: str) -> list[dict[str, str]]:
    return [_window(part) for part in _items(text)]


def _screen(text: str) -> str:
    return text.lower()


VENUE_CELLS: Mapping[str, Cell] = {
    "id": _text,
    "name": _text,
    "okrug": _text,
    "district": _text,
    "kind": _text,
    "lat": _number,
    "lon": _number,
    "audience_seats": _integer,
    "priority": _number,
    "hours": _windows,
    "allowed_dates": _dates,
    "residential": _boolean,
    "inside_ttk": _boolean,
    "max_rating": _text,
    "excluded_film_ids": _items,
    "max_visits": _integer,
    "source": _text,
    "address": _text,
}
FILM_CELLS: Mapping[str, Cell] = {
    "id": _text,
    "title": _text,
    "runtime_min": _integer,
    "rating": _text,
    "licence_start": _date,
    "licence_end": _date,
    "certificate": _text,
    "festival_exempt": _boolean,
    "max_screenings": _integer,
}
TRUCK_CELLS: Mapping[str, Cell] = {
    "id": _text,
    "name": _text,
    "depot_name": _text,
    "depot_lat": _number,
    "depot_lon": _number,
    "screen": _screen,
    "shift": _window,
    "max_shift_min": _integer,
    "setup_min": _integer,
    "teardown_min": _integer,
    "has_ttk_pass": _boolean,
    "available_dates": _dates,
}
FILM_REQUIRED = ("id", "title", "runtime_min", "rating")
TRUCK_REQUIRED = ("id", "name", "depot_lat", "depot_lon", "screen")

# --- tables ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Table:
    """One CSV file: its name for messages, its columns, and its rows by spreadsheet number."""

    name: str
    columns: frozenset[str]
    rows: tuple[tuple[int, dict[str, str]], ...]

    def where(self, row: int, column: str = "") -> str:
        place = f"{self.name} row {row}"
        return f"{place} column {column}" if column else place


def _read_text(path: Path, problems: Problems) -> str | None:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        problems.append((str(path), "no such file"))
    except UnicodeDecodeError:
        problems.append((path.name, "not UTF-8 text; save the spreadsheet as 'CSV UTF-8'"))
    except OSError as exc:
        problems.append((str(path), f"cannot read: {exc.strerror or exc}"))
    return None


def _records(name: str, text: str, problems: Problems) -> list[list[str]] | None:
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return list(reader)
    except csv.Error as exc:
        problems.append((f"{name} row {reader.line_num}", f"not valid CSV: {exc}"))
        return None


def _header(name: str, cells: list[str], problems: Problems) -> list[str] | None:
    header = [cell.strip().lower() for cell in cells]
    named = [column for column in header if column]
    if not named:
        problems.append((name, "empty file: no header row"))
        return None
    for column in sorted({c for c in named if named.count(c) > 1}):
        problems.append((f"{name} row 1 column {column}", "the column appears twice"))
    return header


def _read_table(path: Path, problems: Problems) -> _Table | None:
    """Read a CSV file; on any problem record it and return ``None``."""
    text = _read_text(path, problems)
    records = None if text is None else _records(path.name, text, problems)
    if records is None:
        return None
    header = _header(path.name, records[0] if records else [], problems)
    if header is None:
        return None
    rows = []
    for number, cells in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            message = f"{len(cells)} cells, but the header has {len(header)} columns"
            problems.append((f"{path.name} row {number}", message))
            continue
        rows.append((number, {col: cell.strip() for col, cell in zip(header, cells, strict=False)}))
    return _Table(path.name, frozenset(header), tuple(rows))


def _require(table: _Table, columns: Iterable[str], problems: Problems) -> bool:
    missing = [column for column in columns if column not in table.columns]
    for column in missing:
        problems.append((table.where(1, column), "missing required column"))
    return not missing


# --- rows -----------------------------------------------------------------------------


@dataclass(slots=True)
class _Row:
    """One row on its way to a wire model; ``bad`` holds columns already reported."""

    table: _Table
    number: int
    values: dict[str, Any]
    bad: set[str]


def _convert(
    table: _Table,
    number: int,
    row: Mapping[str, str],
    cells: Mapping[str, Cell],
    problems: Problems,
) -> _Row:
    converted = _Row(table, number, {}, set())
    for column, convert in cells.items():
        text = row.get(column, "")
        if not text:
            continue
        try:
            converted.values[column] = convert(text)
        except ValueError as exc:
            converted.bad.add(column)
            problems.append((table.where(number, column), str(exc)))
    return converted


def _column(error: ErrorDetails) -> str:
    loc = error["loc"]
    if len(loc) >= 2 and loc[0] == "depot":
        return f"depot_{loc[1]}"
    return str(loc[0]) if loc else ""


def _message(error: ErrorDetails) -> str:
    if error["type"] == "missing":
        return "a value is required"
    return error["msg"].removeprefix("Value error, ")


def _validate(model: type[_Model], row: _Row, problems: Problems) -> _Model | None:
    try:
        return model.model_validate(row.values)
    except ValidationError as exc:
        for error in exc.errors():
            column = _column(error)
            if column not in row.bad:
                problems.append((row.table.where(row.number, column), _message(error)))
        return None


def _check_unique_ids(table: _Table, problems: Problems) -> None:
    first: dict[str, int] = {}
    for number, cells in table.rows:
        item_id = cells.get("id", "")
        if item_id and item_id in first:
            message = f"id '{item_id}' is already used on row {first[item_id]}"
            problems.append((table.where(number, "id"), message))
        first.setdefault(item_id, number)


# --- the three files ------------------------------------------------------------------


def _parse_rows(
    table: _Table,
    model: type[_Model],
    cells: Mapping[str, Cell],
    problems: Problems,
    shape: Callable[[_Row, Mapping[str, str]], None] | None = None,
) -> list[_Model]:
    """Convert, reshape and validate every row; report duplicate ids."""
    _check_unique_ids(table, problems)
    models = []
    for number, row_cells in table.rows:
        row = _convert(table, number, row_cells, cells, problems)
        if shape is not None:
            shape(row, row_cells)
        if (item := _validate(model, row, problems)) is not None:
            models.append(item)
    return models


def _venues(table: _Table, problems: Problems) -> list[VenueModel]:
    shared = "name_ru" in table.columns
    required = ["id", "okrug", "lat", "lon"] + ([] if shared else ["name", "audience_seats"])
    if not _require(table, required, problems):
        return []

    def shape(row: _Row, cells: Mapping[str, str]) -> None:
        values = row.values
        if "name" not in values and (cells.get("name_ru") or cells.get("name_en")):
            values["name"] = cells.get("name_ru") or cells.get("name_en")
        if shared:
            values.setdefault("audience_seats", DEFAULT_SEATS)
        lat, lon = values.get("lat"), values.get("lon")
        if "inside_ttk" not in values and lat is not None and lon is not None:
            values["inside_ttk"] = inside_ttk(Location(lat, lon))

    places = tuple(r for r in table.rows if r[1].get("kind", "").lower() != "depot")
    return _parse_rows(replace(table, rows=places), VenueModel, VENUE_CELLS, problems, shape)


def _films(table: _Table, problems: Problems) -> list[FilmModel]:
    if not _require(table, FILM_REQUIRED, problems):
        return []
    return _parse_rows(table, FilmModel, FILM_CELLS, problems)


def _truck_depot(row: _Row, cells: Mapping[str, str]) -> None:
    """Gather the ``depot_*`` columns into the nested ``depot`` object."""
    keys = [key for key in ("name", "lat", "lon") if f"depot_{key}" in row.values]
    row.values["depot"] = {key: row.values.pop(f"depot_{key}") for key in keys}


def _trucks(table: _Table, problems: Problems) -> list[TruckModel]:
    if not _require(table, TRUCK_REQUIRED, problems):
        return []
    return _parse_rows(table, TruckModel, TRUCK_CELLS, problems, _truck_depot)


def _check_film_references(venues: _Table, films: _Table, problems: Problems) -> None:
    film_ids = {cells.get("id", "") for _, cells in films.rows}
    for number, cells in venues.rows:
        for film_id in _items(cells.get("excluded_film_ids", "")):
            if film_id not in film_ids:
                message = f"unknown film id '{film_id}'"
                problems.append((venues.where(number, "excluded_film_ids"), message))


def scenario_from_csv(
    venues_csv: Path,
    films_csv: Path,
    trucks_csv: Path,
    *,
    start: date,
    end: date,
    name: str = "imported",
) -> ScenarioFile:
    """Build and validate a scenario from three CSV files; raise ``InvalidProblem`` on any
    problem, naming the file, row and column."""
    problems: Problems = []
    tables = [_read_table(path, problems) for path in (venues_csv, films_csv, trucks_csv)]
    venue_table, film_table, truck_table = tables
    venues = _venues(venue_table, problems) if venue_table else []
    films = _films(film_table, problems) if film_table else []
    trucks = _trucks(truck_table, problems) if truck_table else []
    if venue_table and film_table:
        _check_film_references(venue_table, film_table, problems)
    if problems:
        raise InvalidProblem(problems)
    return parse_scenario(
        {
            "name": name,
            "season": {"start": start, "end": end},
            "venues": venues,
            "films": films,
            "trucks": trucks,
        }
    )
