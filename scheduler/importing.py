"""A scenario from spreadsheets: venues, films and trucks tables -> ``schemas.ScenarioFile``.

Two steps. Reading turns tables into wire models, a ``Workbook``: ``tables_from_csv`` (CSV text
or bytes, one per kind), ``tables_from_xlsx`` (one sheet per kind) and, for the command line,
``scenario_from_csv`` (three files). ``scenario_from_tables`` then puts a workbook and a season
together and validates the scenario. Any kind may be missing from a read (a service may import
only venues into its catalogue); a scenario needs all three.

Every reader ends in the same code: a table is a header and its rows, each cell text. XLSX cells
are turned into the text a CSV file would hold (dates ISO, whole numbers without ``.0``, ``true``
/ ``false``, times ``HH:MM``). The columns are listed in ``docs/formats.md``. Header names are
trimmed and lower-cased; unknown columns (``note``, ``name_en``, ...) are ignored. Rows are
numbered as a spreadsheet shows them: the header is row 1; empty rows are skipped.

Every problem in every table is collected and raised at once as ``InvalidProblem``. A table is
named by kind (``venues row 17, column lat``) for uploads, by its file name for the command
line (``venues.csv row 17 column lat``, the form the CLI has always printed). Range checks say
the value and the allowed range: ``95.2 is outside -90..90``, ``0 must be greater than 0``.

The shared ``moscow_venues.csv`` layout (``name_ru``/``name_en``, no ``audience_seats``) is
accepted: the name comes from ``name_ru``, seats default to ``DEFAULT_SEATS``, and depot rows
(``kind=depot``) are skipped. A venue without an ``inside_ttk`` value gets one from its
coordinates (``demo.inside_ttk``).
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar

from openpyxl import load_workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from scheduler.demo import inside_ttk
from scheduler.domain import WEEKDAY_NAMES, Location
from scheduler.errors import InvalidProblem
from scheduler.schemas import FilmModel, ScenarioFile, TruckModel, VenueModel, parse_scenario

__all__ = [
    "DEFAULT_SEATS",
    "KINDS",
    "MAX_ROWS",
    "SHEET_NAMES",
    "Workbook",
    "scenario_from_csv",
    "scenario_from_tables",
    "tables_from_csv",
    "tables_from_xlsx",
]

DEFAULT_SEATS = 200
"""Audience seats for venues in the shared layout, which has no seat column."""

MAX_ROWS = 20_000
"""Most data rows (empty rows not counted) in one table."""

KINDS = ("venues", "films", "trucks")
"""The tables, in the order they are read and reported."""

SHEET_NAMES: Mapping[str, str] = {
    "venues": "venues",
    "площадки": "venues",
    "films": "films",
    "фильмы": "films",
    "trucks": "trucks",
    "грузовики": "trucks",
    "машины": "trucks",
}
"""XLSX sheet name (trimmed, case-folded) -> the kind of table it holds."""

Problems = list[tuple[str, str]]
Cell = Callable[[str], Any]
"""Converts a non-empty cell; raises ``ValueError`` with a message for the user."""

_Model = TypeVar("_Model", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Workbook:
    """What was read, before it becomes a scenario: the rows of each table as wire models.

    A kind that was not in the import is an empty list.
    """

    venues: list[VenueModel]
    films: list[FilmModel]
    trucks: list[TruckModel]


# --- cells ----------------------------------------------------------------------------

_TRUE = frozenset({"true", "yes", "y", "1", "да"})
_FALSE = frozenset({"false", "no", "n", "0", "нет"})
_WINDOW = re.compile(r"^(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})$")


def _text(text: str) -> str:
    return text


def _number(text: str) -> float:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise ValueError(f"'{text}' is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"'{text}' is not a number")
    return value


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


_RU_WEEKDAYS = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DAY_RULE_HINT = "a weekday (mon..sun, mon-fri), a date YYYY-MM-DD or a window HH:MM-HH:MM"


def _weekday(token: str) -> int | None:
    name = token.lower()
    for names in (WEEKDAY_NAMES, _RU_WEEKDAYS):
        if name in names:
            return names.index(name)
    return None


def _weekdays(token: str) -> list[str] | None:
    """``sat`` -> ``["sat"]``; a range ``fri-sun`` (or ``sat-mon``) -> every day in it."""
    first, _, last = token.partition("-")
    start, end = _weekday(first), _weekday(last or first)
    if start is None or end is None:
        return None
    return [WEEKDAY_NAMES[(start + i) % 7] for i in range((end - start) % 7 + 1)]


def _day_rule(text: str, closable: bool) -> dict[str, Any]:
    """One rule of a ``day_hours`` or ``day_shifts`` cell: the days it names, its windows
    (``closed``: none), and ``max N`` (a shift's longest day)."""
    tokens = [t for t in re.split(r"[,\s]+", re.sub(r"\s*[-–]\s*", "-", text)) if t]
    rule: dict[str, Any] = {"weekdays": [], "dates": [], "windows": []}
    closed = False
    while tokens:
        token = tokens.pop(0)
        if closable and token.lower() in ("closed", "закрыто"):
            closed = True
        elif not closable and token.lower() == "max" and tokens:
            rule["max_shift_min"] = _integer(tokens.pop(0))
        elif _ISO_DATE.match(token):
            rule["dates"].append(_date(token).isoformat())
        elif _WINDOW.match(token):
            rule["windows"].append(_window(token))
        elif (days := _weekdays(token)) is not None:
            rule["weekdays"].extend(days)
        else:
            raise ValueError(f"'{token}' in '{text}' is not {_DAY_RULE_HINT}")
    if not rule["weekdays"] and not rule["dates"]:
        raise ValueError(f"'{text}' names no weekday or date")
    if closable and closed == bool(rule["windows"]):
        raise ValueError(f"'{text}' needs windows HH:MM-HH:MM or 'closed', one of the two")
    if not closable and len(rule["windows"]) != 1:
        raise ValueError(f"'{text}' needs one shift window HH:MM-HH:MM")
    return rule


def _day_hours(text: str) -> list[dict[str, Any]]:
    """``sat,sun 10:00-23:00; 2026-07-04 12:00-14:00,18:00-23:30; 2026-07-05 closed``."""
    return [_day_rule(part, closable=True) for part in _items(text)]


def _day_shifts(text: str) -> list[dict[str, Any]]:
    """``sat,sun 10:00-22:00; 2026-07-04 16:00-22:00 max 300``."""
    shifts = []
    for part in _items(text):
        rule = _day_rule(part, closable=False)
        rule["shift"] = rule.pop("windows")[0]
        shifts.append(rule)
    return shifts


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
    "day_hours": _day_hours,
    "min_gap_days": _integer,
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
    "day_shifts": _day_shifts,
}
FILM_REQUIRED = ("id", "title", "runtime_min", "rating")
TRUCK_REQUIRED = ("id", "name", "depot_lat", "depot_lon", "screen")

# --- tables ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Place:
    """How problems in one table are named: ``venues row 17, column lat`` for an upload,
    ``venues.csv row 17 column lat`` for a file named on the command line."""

    table: str
    separator: str = ", "

    @classmethod
    def file(cls, path: Path) -> _Place:
        return cls(path.name, " ")

    def __call__(self, row: int, column: str = "") -> str:
        where = f"{self.table} row {row}"
        return f"{where}{self.separator}column {column}" if column else where


@dataclass(frozen=True, slots=True)
class _Table:
    """One table: how to name its places, its columns, and its rows by spreadsheet number."""

    where: _Place
    columns: frozenset[str]
    rows: tuple[tuple[int, dict[str, str]], ...]


class _Unreadable(Exception):
    """A table that stops making sense part way through, e.g. an unclosed CSV quote."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where, self.message = where, message


def _header(where: _Place, cells: list[str], what: str, problems: Problems) -> list[str] | None:
    header = [cell.strip().lower() for cell in cells]
    named = [column for column in header if column]
    if not named:
        problems.append((where.table, f"no header in row 1 of the {what}"))
        return None
    for column in sorted({c for c in named if named.count(c) > 1}):
        problems.append((where(1, column), "the column appears twice"))
    return header


def _table(
    where: _Place, records: Iterable[list[str]], what: str, problems: Problems
) -> _Table | None:
    """A table from its records (lists of cell texts, the header first); on a problem with
    the whole table record it and return ``None``. Problems in single rows are recorded and
    the row left out."""
    lines = iter(records)
    try:
        header = _header(where, next(lines, []), what, problems)
        if header is None:
            return None
        rows: list[tuple[int, dict[str, str]]] = []
        for number, cells in enumerate(lines, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) == MAX_ROWS:
                problems.append((where.table, f"more than {MAX_ROWS} rows; import it in parts"))
                return None
            if len(cells) > len(header):
                message = f"{len(cells)} cells, but the header has {len(header)} columns"
                problems.append((where(number), message))
                continue
            cleaned = {col: cell.strip() for col, cell in zip(header, cells, strict=False)}
            rows.append((number, cleaned))
    except _Unreadable as exc:
        problems.append((exc.where, exc.message))
        return None
    return _Table(where, frozenset(header), tuple(rows))


def _csv_records(where: _Place, text: str) -> Iterator[list[str]]:
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as exc:
        raise _Unreadable(where(reader.line_num), f"not valid CSV: {exc}") from None


def _decode(where: _Place, data: bytes | str, problems: Problems) -> str | None:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        byte = data[exc.start]
        message = (
            f"not UTF-8 text (byte 0x{byte:02x} at position {exc.start}); "
            "save the spreadsheet as 'CSV UTF-8'"
        )
        problems.append((where.table, message))
        return None


def _csv_table(where: _Place, data: bytes | str, problems: Problems) -> _Table | None:
    text = _decode(where, data, problems)
    if text is None:
        return None
    return _table(where, _csv_records(where, text), "file", problems)


def _read_file(path: Path, problems: Problems) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        problems.append((str(path), "no such file"))
    except OSError as exc:
        problems.append((str(path), f"cannot read: {exc.strerror or exc}"))
    return None


def _require(table: _Table, columns: Iterable[str], problems: Problems) -> bool:
    missing = [column for column in columns if column not in table.columns]
    for column in missing:
        problems.append((table.where(1, column), "missing required column"))
    return not missing


# --- XLSX -----------------------------------------------------------------------------


def _cell_text(value: object) -> str:
    """The text a CSV file would hold for an XLSX cell value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return f"{value.hour:02d}:{value.minute:02d}"
    if isinstance(value, timedelta):  # a duration cell ([h]:mm), e.g. 25:30
        minutes = round(value.total_seconds() / 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"
    return str(value)


def _values(
    sheet: ReadOnlyWorksheet,
    *,
    min_row: int,
    max_row: int | None = None,
    max_col: int | None = None,
) -> Iterator[tuple[object, ...]]:
    """The cell values of a sheet's rows; missing rows and cells come as ``None``."""
    # types-openpyxl binds ReadOnlyWorksheet.iter_rows to Worksheet; openpyxl shares it.
    rows: Iterator[tuple[object, ...]] = sheet.iter_rows(  # type: ignore[misc]
        min_row=min_row, max_row=max_row, max_col=max_col, values_only=True
    )
    return rows


def _sheet_records(sheet: ReadOnlyWorksheet) -> list[list[str]]:
    """Cell texts of a sheet's header and rows, as wide as the header: cells right of the
    header are ignored. Reading stops at the first data row past ``MAX_ROWS``, which
    ``_table`` reports."""
    sheet.reset_dimensions()  # some writers store a wrong size; read what is there
    header = [_cell_text(value) for value in next(_values(sheet, min_row=1, max_row=1), ())]
    while header and not header[-1].strip():
        header.pop()
    records = [header]
    if not header:
        return records
    data_rows = 0
    for values in _values(sheet, min_row=2, max_col=len(header)):
        cells = [_cell_text(value) for value in values]
        records.append(cells)
        data_rows += any(cell.strip() for cell in cells)
        if data_rows > MAX_ROWS:
            break
    return records


def _not_xlsx(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, zipfile.BadZipFile):
        reason = "not a ZIP archive (an old .xls, or a CSV file renamed?)"
    else:
        reason = str(exc.args[0]) if exc.args else type(exc).__name__
    return ("file", f"not an XLSX workbook: {reason}")


def _xlsx_sheets(data: bytes, problems: Problems) -> dict[str, tuple[str, list[list[str]]]]:
    """The records of each known sheet, by kind, with the sheet's own name."""
    found: dict[str, tuple[str, list[list[str]]]] = {}
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # a damaged or foreign file fails in many ways inside openpyxl
        problems.append(_not_xlsx(exc))
        return found
    try:
        titles = [sheet.title for sheet in book.worksheets]
        for sheet in book.worksheets:
            kind = SHEET_NAMES.get(sheet.title.strip().casefold())
            if kind is None or not isinstance(sheet, ReadOnlyWorksheet):
                continue
            if kind in found:
                message = f"sheets '{found[kind][0]}' and '{sheet.title}' both hold {kind}"
                problems.append(("file", message))
                continue
            found[kind] = (sheet.title, _sheet_records(sheet))
    except Exception as exc:  # sheets are parsed lazily: damage shows only now
        problems.append(_not_xlsx(exc))
        return {}
    finally:
        book.close()
    if not found and not problems:
        known = ", ".join(SHEET_NAMES)
        shown = ", ".join(f"'{title}'" for title in titles) or "none"
        problems.append(("file", f"no sheet named {known}; the sheets are {shown}"))
    return found


# --- rows -----------------------------------------------------------------------------


@dataclass(slots=True)
class _Row:
    """One row on its way to a wire model; ``bad`` holds columns already reported."""

    table: _Table
    number: int
    values: dict[str, Any]
    bad: set[str]

    def where(self, column: str) -> str:
        return self.table.where(self.number, column)


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
            problems.append((converted.where(column), str(exc)))
    return converted


def _column(error: ErrorDetails) -> str:
    loc = error["loc"]
    if len(loc) >= 2 and loc[0] == "depot":
        return f"depot_{loc[1]}"
    return str(loc[0]) if loc else ""


def _limits(model: type[BaseModel], loc: tuple[int | str, ...]) -> dict[str, Any]:
    """The ``ge``/``gt``/``le``/``lt`` bounds of the field at ``loc`` (nested models too)."""
    field = model.model_fields.get(str(loc[0])) if loc else None
    if field is None:
        return {}
    if len(loc) > 1:
        inner = field.annotation
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return _limits(inner, loc[1:])
        return {}
    found: dict[str, Any] = {}
    for item in field.metadata:
        for key in ("ge", "gt", "le", "lt"):
            if (bound := getattr(item, key, None)) is not None:
                found[key] = bound
    return found


def _show(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_RANGE_WORDS = {
    "greater_than": ("gt", "must be greater than"),
    "greater_than_equal": ("ge", "must be at least"),
    "less_than": ("lt", "must be less than"),
    "less_than_equal": ("le", "must be at most"),
}


def _message(model: type[BaseModel], error: ErrorDetails) -> str:
    if error["type"] == "missing":
        return "a value is required"
    if error["type"] in _RANGE_WORDS:
        limits = _limits(model, error["loc"])
        value = _show(error["input"])
        if "ge" in limits and "le" in limits:
            return f"{value} is outside {_show(limits['ge'])}..{_show(limits['le'])}"
        key, words = _RANGE_WORDS[error["type"]]
        bound = error.get("ctx", {}).get(key, limits.get(key))
        return f"{value} {words} {_show(bound)}"
    return error["msg"].removeprefix("Value error, ")


_RULE_FIELD = re.compile(r"^(day_hours|day_shifts)\[(\d+)\][.\w\[\]]*: (.+)$")
_DAY_FIELD = re.compile(r"^(?:weekdays|dates)(?:\[\d+\])?: ")
_RULE_REF = re.compile(r"\b(?:day_hours|day_shifts)\[(\d+)\]")


def _cell_problem(error: ErrorDetails, message: str) -> tuple[str, str]:
    """The column and message of an error; a day rule is named by its place in the cell
    (``rule 2: sat is named by rule 1 too``)."""
    column, loc = _column(error), error["loc"]
    if not column and (named := _RULE_FIELD.match(message)):
        column, message = named.group(1), f"rule {int(named.group(2)) + 1}: {named.group(3)}"
    elif len(loc) >= 2 and column in ("day_hours", "day_shifts") and isinstance(loc[1], int):
        message = f"rule {loc[1] + 1}: {_DAY_FIELD.sub('', message)}"
    return column, _RULE_REF.sub(lambda ref: f"rule {int(ref.group(1)) + 1}", message)


def _validate(model: type[_Model], row: _Row, problems: Problems) -> _Model | None:
    try:
        return model.model_validate(row.values)
    except ValidationError as exc:
        for error in exc.errors():
            column, message = _cell_problem(error, _message(model, error))
            if column not in row.bad:
                problems.append((row.where(column), message))
        return None


def _check_unique_ids(table: _Table, problems: Problems) -> None:
    first: dict[str, int] = {}
    for number, cells in table.rows:
        item_id = cells.get("id", "")
        if item_id and item_id in first:
            message = f"id '{item_id}' is already used on row {first[item_id]}"
            problems.append((table.where(number, "id"), message))
        first.setdefault(item_id, number)


# --- the three tables -----------------------------------------------------------------


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


def _workbook(tables: Mapping[str, _Table | None], problems: Problems) -> Workbook:
    """Parse the tables that were read; raise ``InvalidProblem`` with every problem so far."""
    venue_table, film_table = tables.get("venues"), tables.get("films")
    truck_table = tables.get("trucks")
    book = Workbook(
        venues=_venues(venue_table, problems) if venue_table else [],
        films=_films(film_table, problems) if film_table else [],
        trucks=_trucks(truck_table, problems) if truck_table else [],
    )
    if venue_table and film_table:
        _check_film_references(venue_table, film_table, problems)
    if problems:
        raise InvalidProblem(problems)
    return book


# --- public ---------------------------------------------------------------------------


def tables_from_csv(
    *,
    venues: bytes | str | None = None,
    films: bytes | str | None = None,
    trucks: bytes | str | None = None,
) -> Workbook:
    """Read the CSV tables given (bytes: UTF-8, a BOM is fine; commas, or semicolons when
    the header has no comma); a table not given is an empty list. Raise ``InvalidProblem``
    naming every bad cell, e.g. ``venues row 17, column lat``."""
    problems: Problems = []
    sources = {"venues": venues, "films": films, "trucks": trucks}
    tables = {
        kind: _csv_table(_Place(kind), data, problems)
        for kind, data in sources.items()
        if data is not None
    }
    return _workbook(tables, problems)


def tables_from_xlsx(data: bytes) -> Workbook:
    """Read an XLSX workbook with one sheet per kind, named ``venues``, ``films``, ``trucks``
    (any case; or ``площадки``, ``фильмы``, ``грузовики`` / ``машины``); a sheet that is not
    there is an empty list, other sheets are ignored. Raise ``InvalidProblem`` naming every
    bad cell (``venues row 17, column lat``), or ``file`` when it is not a workbook or has
    none of those sheets."""
    problems: Problems = []
    sheets = _xlsx_sheets(data, problems)
    tables = {
        kind: _table(_Place(kind), records, f"sheet '{title}'", problems)
        for kind, (title, records) in sheets.items()
    }
    return _workbook(tables, problems)


def scenario_from_tables(
    book: Workbook, *, start: date, end: date, name: str = "imported"
) -> ScenarioFile:
    """Put the tables and a season together into a validated scenario; raise
    ``InvalidProblem`` when a kind is empty or the scenario is invalid."""
    empty = [kind for kind in KINDS if not getattr(book, kind)]
    if empty:
        raise InvalidProblem(
            [(kind, f"no {kind}: a scenario needs at least one") for kind in empty]
        )
    return parse_scenario(
        {
            "name": name,
            "season": {"start": start, "end": end},
            "venues": book.venues,
            "films": book.films,
            "trucks": book.trucks,
        }
    )


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
    problem, naming the file, row and column (``venues.csv row 7 column lat``)."""
    problems: Problems = []
    tables: dict[str, _Table | None] = {}
    for kind, path in zip(KINDS, (venues_csv, films_csv, trucks_csv), strict=True):
        data = _read_file(path, problems)
        tables[kind] = None if data is None else _csv_table(_Place.file(path), data, problems)
    book = _workbook(tables, problems)
    return scenario_from_tables(book, start=start, end=end, name=name)
