"""``/api/seasons``: planning seasons (a scenario: dates, rules and the catalogue entities it
includes), their rules, their scenario file, and scenario import (planners and admins).

Every season carries ``version`` (the ``ETag``); ``PUT`` and ``DELETE`` take ``If-Match``,
and the rules share the season's version. Deleting a season deletes its plans and jobs.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.api.catalogue import NO_NUL, Limit, Offset
from scheduler.api.deps import ERRORS, IfMatch, Planner, SessionDep, check_version, set_etag
from scheduler.db.catalogue import (
    INT_MAX,
    MAX_ITEMS,
    SEASON_NAME_CHARS,
    SeasonDraft,
    create_season,
    delete_season,
    entities,
    get_season,
    import_catalogue,
    latest_plan_ids,
    replace_season,
    season_parts,
    season_scenario,
    set_rules,
)
from scheduler.db.tables import Season
from scheduler.errors import Conflict
from scheduler.jobs.store import ACTIVE, list_jobs
from scheduler.schemas import _NAMED_FIELD, Id, RulesModel, ScenarioFile, SeasonModel

__all__ = ["SeasonIn", "SeasonRead", "SeasonSummary", "router"]

router = APIRouter(prefix="/api/seasons", tags=["seasons"], responses=ERRORS)

SeasonId = Annotated[int, Path(ge=1, le=INT_MAX, description="The season's id.")]
MemberIds = Annotated[list[Id], Field(max_length=MAX_ITEMS)]
_PATH_PART = re.compile(r"([a-z_]+)|\[(\d+)\]")


def _field_into_loc(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """The scenario file's cross-reference checks name their field in the message
    (``venues[3].excluded_film_ids: unknown film id 'x'``); move that field into ``loc``,
    where every other error names its field."""
    try:
        return handler(value)
    except ValidationError as exc:
        errors = exc.errors()
        found = [_NAMED_FIELD.match(e["msg"].removeprefix("Value error, ")) for e in errors]
        named = [match for match in found if match is not None]
        if len(named) < len(errors):
            raise
        details = [
            InitErrorDetails(
                type=PydanticCustomError("value_error", "{message}", {"message": m.group(2)}),
                loc=(
                    *error["loc"],
                    *(name or int(index) for name, index in _PATH_PART.findall(m.group(1))),
                ),
                input=error["input"],
            )
            for error, m in zip(errors, named, strict=True)
        ]
        raise ValidationError.from_exception_data(exc.title, details) from None


ScenarioBody = Annotated[ScenarioFile, WrapValidator(_field_into_loc)]
"""A scenario file in a request: every problem's ``loc`` names its field."""


class _Season(BaseModel):
    """A season's dates and rules as in the scenario file, and the ids of the stored venues,
    trucks and films it includes."""

    season: SeasonModel
    rules: RulesModel = RulesModel()
    venue_ids: MemberIds = Field(default_factory=list)
    truck_ids: MemberIds = Field(default_factory=list)
    film_ids: MemberIds = Field(default_factory=list)


class SeasonIn(_Season):
    """A season to create or replace."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=SEASON_NAME_CHARS, pattern=NO_NUL)


class SeasonRead(_Season):
    """A stored season; ``version`` is its ``ETag``."""

    id: int
    name: str
    published_plan_id: int | None
    """The plan version drivers and the public see."""
    latest_plan_id: int | None
    """The newest plan version, published or not."""
    version: int


class SeasonSummary(BaseModel):
    """A season in the list: its dates, how many of each kind it includes, and its plans."""

    id: int
    name: str
    start: date
    end: date
    venues: int
    trucks: int
    films: int
    published_plan_id: int | None
    latest_plan_id: int | None
    version: int


def _read(session: Session, season: Season, response: Response) -> SeasonRead:
    set_etag(response, season.version)
    dates, rules = season_parts(season)
    return SeasonRead(
        id=season.id,
        name=season.name,
        season=dates,
        rules=rules,
        venue_ids=season.venue_ids,
        truck_ids=season.truck_ids,
        film_ids=season.film_ids,
        published_plan_id=season.published_plan_id,
        latest_plan_id=latest_plan_ids(session, [season.id]).get(season.id),
        version=season.version,
    )


def _created(session: Session, season: Season, response: Response) -> SeasonRead:
    session.commit()
    response.headers["Location"] = f"{router.prefix}/{season.id}"
    return _read(session, season, response)


def _draft(body: SeasonIn) -> SeasonDraft:
    members = {"venue_ids": body.venue_ids, "truck_ids": body.truck_ids, "film_ids": body.film_ids}
    return SeasonDraft(name=body.name, dates=body.season, rules=body.rules, members=members)


def _current(session: Session, season_id: int, if_match: str | None) -> Season:
    season = get_season(session, season_id)
    check_version(if_match, season.version)
    return season


@router.get("", response_model=list[SeasonSummary], summary="List seasons")
def list_seasons(
    planner: Planner, session: SessionDep, limit: Limit = 200, offset: Offset = 0
) -> list[SeasonSummary]:
    """Every season, ordered by id, with member counts and its published and newest plan."""
    seasons = list(session.scalars(select(Season).order_by(Season.id).offset(offset).limit(limit)))
    latest = latest_plan_ids(session, [s.id for s in seasons])
    return [
        SeasonSummary(
            id=s.id,
            name=s.name,
            start=s.start,
            end=s.end,
            venues=len(s.venue_ids),
            trucks=len(s.truck_ids),
            films=len(s.film_ids),
            published_plan_id=s.published_plan_id,
            latest_plan_id=latest.get(s.id),
            version=s.version,
        )
        for s in seasons
    ]


@router.post("", response_model=SeasonRead, status_code=201, summary="Add a season")
def create(body: SeasonIn, planner: Planner, session: SessionDep, response: Response) -> SeasonRead:
    """Add a season of stored venues, trucks and films; an unknown or repeated id is 422
    naming it (``venue_ids[3]``)."""
    season = create_season(session, draft=_draft(body), user=planner)
    return _created(session, season, response)


@router.post(
    "/import", response_model=SeasonRead, status_code=201, summary="Import a scenario file"
)
def import_scenario_file(
    body: ScenarioBody, planner: Planner, session: SessionDep, response: Response
) -> SeasonRead:
    """Store a scenario file (what ``scheduler plan`` reads): its venues, trucks and films
    are added to the catalogue or replace the stored ones with the same id, and a season of
    exactly them is created."""
    imported = import_catalogue(session, items=entities(body), user=planner, season=body)
    assert imported.season is not None
    return _created(session, imported.season, response)


@router.get("/{season_id}", response_model=SeasonRead, summary="Read a season")
def read(
    season_id: SeasonId, planner: Planner, session: SessionDep, response: Response
) -> SeasonRead:
    """The season with its rules and member ids; its version is the ``ETag``."""
    return _read(session, get_season(session, season_id), response)


@router.put("/{season_id}", response_model=SeasonRead, summary="Replace a season")
def replace(
    season_id: SeasonId,
    body: SeasonIn,
    planner: Planner,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> SeasonRead:
    """Replace name, dates, rules and members; a stale ``If-Match`` gets 409."""
    season = _current(session, season_id, if_match)
    replace_season(session, season=season, draft=_draft(body), user=planner)
    session.commit()
    return _read(session, season, response)


@router.delete("/{season_id}", status_code=204, response_class=Response, summary="Delete a season")
def delete(
    season_id: SeasonId, planner: Planner, session: SessionDep, if_match: IfMatch = None
) -> Response:
    """Delete the season with its plans and jobs; 409 while a solve of it is queued or
    running (cancel it first) or when ``If-Match`` is stale."""
    season = _current(session, season_id, if_match)
    active = [job.id for job in list_jobs(session, season_id=season_id) if job.state in ACTIVE]
    if active:
        raise Conflict(f"season {season_id} has a solve in progress (job {active[0]})")
    delete_season(session, season=season, user=planner)
    session.commit()
    return Response(status_code=204)


@router.get("/{season_id}/rules", response_model=RulesModel, summary="Read a season's rules")
def read_rules(
    season_id: SeasonId, planner: Planner, session: SessionDep, response: Response
) -> RulesModel:
    """The season's rules; the ``ETag`` is the season's version."""
    season = get_season(session, season_id)
    set_etag(response, season.version)
    return season_parts(season)[1]


@router.put("/{season_id}/rules", response_model=RulesModel, summary="Replace a season's rules")
def replace_rules(
    season_id: SeasonId,
    body: RulesModel,
    planner: Planner,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> RulesModel:
    """Replace the rules; ``If-Match`` names the season's version (stale: 409)."""
    season = _current(session, season_id, if_match)
    set_rules(session, season=season, rules=body, user=planner)
    session.commit()
    set_etag(response, season.version)
    return season_parts(season)[1]


@router.get(
    "/{season_id}/scenario", response_model=ScenarioFile, summary="The season's scenario file"
)
def scenario(
    season_id: SeasonId, planner: Planner, session: SessionDep, response: Response
) -> ScenarioFile:
    """The scenario file ``scheduler plan`` reads, from the catalogue as stored now; 422
    naming the fields when the season cannot be planned (no trucks, a venue excluding a film
    the season does not include, ...)."""
    season = get_season(session, season_id)
    set_etag(response, season.version)
    return season_scenario(session, season)
