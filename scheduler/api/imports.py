"""``/api/import``: bulk import of venues, films and trucks from the CSV files that
``scheduler import-csv`` reads or from an XLSX workbook with one sheet per kind (planners
and admins).

All or nothing: every bad row of every table is reported at once (``venues row 17, column
lat``: ``95.2 is outside -90..90``) and nothing is stored. Rows whose id is stored already
replace the stored entity. Given ``start`` and ``end``, a season of exactly the imported
entities is created too (it needs venues, films and trucks).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel

from scheduler.api.catalogue import NO_NUL
from scheduler.api.deps import ERRORS, Planner, SessionDep
from scheduler.db.catalogue import Kind, entities, import_catalogue
from scheduler.errors import InvalidProblem
from scheduler.importing import Workbook, scenario_from_tables, tables_from_csv, tables_from_xlsx

__all__ = ["MAX_UPLOAD_BYTES", "ImportOut", "router"]

router = APIRouter(prefix="/api/import", tags=["import"], responses=ERRORS)

MAX_UPLOAD_BYTES = 10 * 2**20
"""The largest file one import takes (10 MB); import larger tables in parts."""
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2199, 12, 31)

Upload = Annotated[UploadFile | None, File(description="A CSV file (UTF-8, header row).")]
SeasonDate = Annotated[
    date | None, Form(ge=FIRST_DAY, le=LAST_DAY, description="Creates a season with the other.")
]


class ImportOut(BaseModel):
    """How many entities of each kind were created and updated, and the season made."""

    created: dict[str, int]
    updated: dict[str, int]
    season_id: int | None


def _contents(uploads: dict[str, UploadFile | None]) -> dict[str, bytes]:
    """The bytes of each file given; 422 naming every file over the size limit."""
    found: dict[str, bytes] = {}
    problems = []
    for field, upload in uploads.items():
        if upload is None:
            continue
        found[field] = upload.file.read(MAX_UPLOAD_BYTES + 1)
        if len(found[field]) > MAX_UPLOAD_BYTES:
            limit = MAX_UPLOAD_BYTES // 2**20
            problems.append((field, f"larger than {limit} MB; import the table in parts"))
    if problems:
        raise InvalidProblem(problems)
    return found


def _read_tables(workbook: UploadFile | None, tables: dict[str, UploadFile | None]) -> Workbook:
    files = _contents({"workbook": workbook, **tables})
    if "workbook" not in files:
        if not files:
            message = "give an XLSX workbook, or CSV files as venues, films and trucks"
            raise InvalidProblem([("workbook", message)])
        return tables_from_csv(**files)
    if len(files) > 1:
        message = "give either a workbook or CSV files, not both"
        raise InvalidProblem([("workbook", message)])
    try:
        return tables_from_xlsx(files["workbook"])
    except InvalidProblem as exc:  # the reader calls the upload "file"
        renamed = [("workbook" if f == "file" else f, m) for f, m in exc.problems]
        raise InvalidProblem(renamed) from exc


def _row(kind: Kind, index: int, model: BaseModel, field: str) -> str:
    return f"{kind.name} id '{getattr(model, 'id')}', column {field}"  # noqa: B009


@router.post("", response_model=ImportOut, status_code=201, summary="Import tables")
def import_tables(
    planner: Planner,
    session: SessionDep,
    workbook: Annotated[
        UploadFile | None, File(description="An .xlsx with sheets venues, films, trucks.")
    ] = None,
    venues: Upload = None,
    films: Upload = None,
    trucks: Upload = None,
    season_name: Annotated[str | None, Form(min_length=1, max_length=200, pattern=NO_NUL)] = None,
    start: SeasonDate = None,
    end: SeasonDate = None,
) -> ImportOut:
    """Import venues, films and trucks (multipart: ``workbook``, or any of ``venues``,
    ``films``, ``trucks``); with ``start`` and ``end`` also create a season of exactly them
    (``season_name``, default ``imported``). A venue may exclude films of the import or,
    when the import has no films, of the catalogue. Files larger than 10 MB are refused."""
    wants_season = season_name is not None or start is not None or end is not None
    missing = [field for field, day in (("start", start), ("end", end)) if day is None]
    if wants_season and missing:
        raise InvalidProblem([(field, "a date is needed to create a season") for field in missing])
    book = _read_tables(workbook, {"venues": venues, "films": films, "trucks": trucks})
    scenario = None
    if start is not None and end is not None:
        name = season_name or "imported"
        scenario = scenario_from_tables(book, start=start, end=end, name=name)
    imported = import_catalogue(
        session, items=entities(book), user=planner, season=scenario, where=_row
    )
    session.commit()
    return ImportOut(
        created={kind: len(ids) for kind, ids in imported.created.items()},
        updated={kind: len(ids) for kind, ids in imported.updated.items()},
        season_id=imported.season.id if imported.season is not None else None,
    )
