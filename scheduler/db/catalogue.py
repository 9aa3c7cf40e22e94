"""The catalogue (venues, trucks, films) and seasons: rows to and from the wire models.

A catalogue row mirrors its wire model (``schemas.VenueModel`` ...) field for field, so
``to_row``/``from_row`` are generic. A season is a scenario: ``season_scenario`` builds the
``ScenarioFile`` (and so the domain ``Problem``) from what is stored now.

The service's changes go through the keyword-only functions below (``create_entity``,
``replace_entity``, ``delete_entity``, ``create_season``, ``replace_season``, ``set_rules``,
``delete_season``, ``import_catalogue``): each checks everything first and raises
``InvalidProblem`` naming every bad field, then changes the rows and adds its audit entries to
the same transaction. The caller commits, once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from scheduler import domain as d
from scheduler.db.audit import record
from scheduler.db.tables import Base, Film, PlanRow, Season, Truck, User, Venue
from scheduler.errors import Conflict, InvalidProblem, NotFound
from scheduler.schemas import (
    FilmModel,
    RulesModel,
    ScenarioFile,
    SeasonModel,
    TruckModel,
    VenueModel,
    parse_scenario,
    problem_from_scenario,
)

__all__ = [
    "CATALOGUE",
    "INT_MAX",
    "KINDS",
    "MAX_ITEMS",
    "SEASON_NAME_CHARS",
    "Imported",
    "Kind",
    "SeasonDraft",
    "create_entity",
    "create_season",
    "delete_entity",
    "delete_season",
    "entities",
    "entity_snapshot",
    "from_row",
    "get_entity",
    "get_season",
    "import_catalogue",
    "import_scenario",
    "latest_plan_ids",
    "list_entities",
    "replace_entity",
    "replace_season",
    "season_parts",
    "season_problem",
    "season_scenario",
    "season_snapshot",
    "set_rules",
    "storable_problems",
    "to_row",
    "upsert",
]

CatalogueRow = Venue | Truck | Film
Row = TypeVar("Row", bound=CatalogueRow)
Model = TypeVar("Model", bound=BaseModel)
Problems = list[tuple[str, str]]
Members = Mapping[str, Sequence[str]]
"""A season's member ids by column: ``{"venue_ids": [...], "truck_ids": [...], ...}``."""


@dataclass(frozen=True, slots=True)
class Kind:
    """One catalogue kind: its table and wire model, its singular name (audit log, messages),
    and the text column that a search looks in."""

    name: str
    entity: str
    table: type[CatalogueRow]
    model: type[BaseModel]
    text: str

    @property
    def members(self) -> str:
        """The season column listing this kind's ids: ``venue_ids``, ``truck_ids``, ..."""
        return f"{self.entity}_ids"


CATALOGUE: Mapping[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("venues", "venue", Venue, VenueModel, "name"),
        Kind("trucks", "truck", Truck, TruckModel, "name"),
        Kind("films", "film", Film, FilmModel, "title"),
    )
}
"""Catalogue kind (``venues``, ``trucks``, ``films``) -> what the service needs to know of it."""

KINDS: dict[str, tuple[type[Base], type[BaseModel]]] = {
    kind.name: (kind.table, kind.model) for kind in CATALOGUE.values()
}
"""Catalogue kind -> (table, wire model)."""

INT_MAX = 2**31 - 1
"""The largest whole number stored (PostgreSQL ``integer``)."""
MAX_ITEMS = 20_000
"""The longest list stored (member ids, dates, windows ...)."""
SEASON_NAME_CHARS = 200
"""The longest season name."""

_JSON_FIELDS = frozenset(
    {
        "hours",
        "allowed_dates",
        "excluded_film_ids",
        "depot",
        "shift",
        "available_dates",
        "day_hours",
        "day_shifts",
    }
)


def to_row(model: BaseModel, row: Base) -> None:
    """Copy a wire model's fields onto a row (nested and list fields as JSON)."""
    as_json = model.model_dump(mode="json")
    for name in type(model).model_fields:
        # the attribute, not model_dump(): a rating dumps as "18+", the column holds 18
        value = as_json[name] if name in _JSON_FIELDS else getattr(model, name)
        if isinstance(value, d.ScreenType):
            value = value.value
        setattr(row, name, value)


def from_row(row: Base, model: type[Model]) -> Model:
    """The wire model for a row (any model whose fields are columns of the row)."""
    return model.model_validate({name: getattr(row, name) for name in model.model_fields})


def upsert(session: Session, table: type[Row], model: BaseModel) -> tuple[Row, bool]:
    """Insert the entity or overwrite the stored one with the same id; True if created."""
    row = session.get(table, getattr(model, "id"))  # noqa: B009
    created = row is None
    if row is None:
        row = table()
    to_row(model, row)
    if created:
        session.add(row)
    return row, created


def get_season(session: Session, season_id: int) -> Season:
    """The season, or NotFound."""
    season = session.get(Season, season_id)
    if season is None:
        raise NotFound(f"season {season_id} does not exist")
    return season


def _members(session: Session, table: type[Row], ids: Sequence[str]) -> list[Row]:
    rows = {row.id: row for row in session.scalars(select(table).where(table.id.in_(ids)))}
    return [rows[i] for i in ids if i in rows]


def season_scenario(session: Session, season: Season) -> ScenarioFile:
    """The season as a scenario file, from the catalogue as stored now; InvalidProblem if
    it cannot be planned (no trucks, a venue excluding a film not in the season, ...)."""
    data: dict[str, Any] = {
        "name": season.name,
        "season": {
            "start": season.start,
            "end": season.end,
            "excluded_dates": season.excluded_dates,
        },
        "rules": season.rules,
        "venues": [from_row(r, VenueModel) for r in _members(session, Venue, season.venue_ids)],
        "trucks": [from_row(r, TruckModel) for r in _members(session, Truck, season.truck_ids)],
        "films": [from_row(r, FilmModel) for r in _members(session, Film, season.film_ids)],
    }
    return parse_scenario(data)


def season_problem(session: Session, season_id: int) -> d.Problem:
    """The domain problem of a season, ready to solve."""
    return problem_from_scenario(season_scenario(session, get_season(session, season_id)))


def season_fields(model: SeasonModel, rules: RulesModel) -> dict[str, Any]:
    """Season columns from the scenario's season and rules parts."""
    return {
        "start": model.start,
        "end": model.end,
        "excluded_dates": [x.isoformat() for x in model.excluded_dates],
        "rules": rules.model_dump(mode="json"),
    }


def season_parts(season: Season) -> tuple[SeasonModel, RulesModel]:
    """The stored season's dates and rules as wire models (inverse of ``season_fields``)."""
    dates = SeasonModel(
        start=season.start, end=season.end, excluded_dates=list(season.excluded_dates)
    )
    return dates, RulesModel.model_validate(season.rules)


def _scenario_season(scenario: ScenarioFile) -> Season:
    return Season(
        name=scenario.name,
        venue_ids=[v.id for v in scenario.venues],
        truck_ids=[t.id for t in scenario.trucks],
        film_ids=[f.id for f in scenario.films],
        **season_fields(scenario.season, scenario.rules),
    )


def entities(source: object) -> dict[str, Sequence[BaseModel]]:
    """The venues, trucks and films of a ``ScenarioFile`` or an ``importing.Workbook``."""
    return {name: getattr(source, name) for name in CATALOGUE}


def _upsert_all(
    session: Session, items: Mapping[str, Sequence[BaseModel]]
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Upsert every entity; the ids created and updated, by kind."""
    created: dict[str, list[str]] = {name: [] for name in CATALOGUE}
    updated: dict[str, list[str]] = {name: [] for name in CATALOGUE}
    for name, kind in CATALOGUE.items():
        for model in items.get(name, ()):
            row, new = upsert(session, kind.table, model)
            (created if new else updated)[name].append(row.id)
    return created, updated


def import_scenario(session: Session, scenario: ScenarioFile | dict[str, Any]) -> Season:
    """Store a scenario: upsert its venues, trucks and films into the catalogue and create a
    season that includes exactly them."""
    if not isinstance(scenario, ScenarioFile):
        scenario = parse_scenario(scenario)
    _upsert_all(session, entities(scenario))
    season = _scenario_season(scenario)
    session.add(season)
    session.flush()
    return season


def _check(problems: Problems) -> None:
    if problems:
        raise InvalidProblem(problems)


def _walk(value: Any, field: str, problems: Problems) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            problems.append((field, "contains a NUL character"))
    elif isinstance(value, int) and not isinstance(value, bool):
        if not -INT_MAX <= value <= INT_MAX:
            problems.append((field, f"{value} is outside -{INT_MAX}..{INT_MAX}"))
    elif isinstance(value, list):
        if len(value) > MAX_ITEMS:
            problems.append((field, f"{len(value)} items; at most {MAX_ITEMS}"))
            return
        for i, item in enumerate(value):
            _walk(item, f"{field}[{i}]", problems)
    elif isinstance(value, dict):
        for key, item in value.items():
            _walk(item, f"{field}.{key}" if field else str(key), problems)


def storable_problems(data: Mapping[str, Any], table: type[Base] | None = None) -> Problems:
    """What the database cannot store as given in ``data`` (JSON-ready, e.g. a model dumped
    with ``mode="json"``): NUL characters (PostgreSQL refuses them), whole numbers outside
    32 bits, lists longer than ``MAX_ITEMS``, and texts longer than ``table``'s column."""
    problems: Problems = []
    _walk(dict(data), "", problems)
    columns = table.__table__.columns if table is not None else ()
    for column in columns:
        value, length = data.get(column.name), getattr(column.type, "length", None)
        if isinstance(value, str) and length is not None and len(value) > length:
            problems.append((column.name, f"{len(value)} characters; at most {length}"))
    return problems


def _unknown_films(session: Session, ids: Sequence[str], known: frozenset[str]) -> list[str]:
    wanted = sorted(set(ids) - known)
    stored = set(session.scalars(select(Film.id).where(Film.id.in_(wanted)))) if wanted else set()
    return [i for i in ids if i not in known and i not in stored]


Where = Callable[[Kind, int, BaseModel, str], str]
"""Names a field of the ``index``-th imported entity of a kind in a problem."""


def _indexed(kind: Kind, index: int, model: BaseModel, field: str) -> str:
    return f"{kind.name}[{index}].{field}"


def _entity_problems(
    session: Session, kind: Kind, model: BaseModel, known_films: frozenset[str] = frozenset()
) -> Problems:
    """Fields of an entity the database cannot store, and films a venue excludes that are
    neither stored nor in ``known_films``."""
    problems = storable_problems(model.model_dump(mode="json"), kind.table)
    if isinstance(model, VenueModel) and not problems:  # only storable ids can be looked up
        for film_id in _unknown_films(session, model.excluded_film_ids, known_films):
            problems.append(("excluded_film_ids", f"unknown film id '{film_id}'"))
    return problems


# --- catalogue entities ---------------------------------------------------------------


def entity_snapshot(kind: Kind, row: CatalogueRow) -> dict[str, Any]:
    """The entity as its wire model (JSON) plus its version: what the audit log keeps."""
    return {**from_row(row, kind.model).model_dump(mode="json"), "version": row.version}


def season_snapshot(season: Season) -> dict[str, Any]:
    """The season's columns (JSON) plus its version: what the audit log keeps."""
    dates, rules = season_parts(season)
    return {
        "name": season.name,
        "season": dates.model_dump(mode="json"),
        "rules": rules.model_dump(mode="json"),
        **{kind.members: list(getattr(season, kind.members)) for kind in CATALOGUE.values()},
        "published_plan_id": season.published_plan_id,
        "version": season.version,
    }


@contextmanager
def _audited(
    session: Session,
    *,
    user: User | None,
    entity: str,
    row: CatalogueRow | Season,
    snapshot: Callable[[Any], dict[str, Any]],
) -> Iterator[None]:
    """Record the change made inside the block as an ``update`` with before/after snapshots
    (nothing, if nothing changed)."""
    before = snapshot(row)
    yield
    session.flush()
    after = snapshot(row)
    if after == before:
        return
    record(
        session,
        user=user,
        action="update",
        entity=entity,
        entity_id=row.id,
        before=before,
        after=after,
    )


def _get(session: Session, table: type[Row], entity_id: str) -> Row | None:
    return session.get(table, entity_id)


def _ordered(table: type[Row]) -> Select[Row]:
    return select(table).order_by(table.id)


def get_entity(session: Session, *, kind: Kind, entity_id: str) -> CatalogueRow:
    """The stored venue, truck or film, or NotFound."""
    row = _get(session, kind.table, entity_id)
    if row is None:
        raise NotFound(f"{kind.entity} '{entity_id}' does not exist")
    return row


def list_entities(
    session: Session,
    *,
    kind: Kind,
    season_id: int | None = None,
    text: str | None = None,
    equal: Mapping[str, str] | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[CatalogueRow]:
    """Entities ordered by id: of one season, whose name (title) contains ``text`` in any
    case, and whose columns equal ``equal``; ``limit`` of them from ``offset``."""
    table = kind.table
    query = _ordered(table)
    if season_id is not None:
        query = query.where(table.id.in_(getattr(get_season(session, season_id), kind.members)))
    for column, value in (equal or {}).items():
        query = query.where(getattr(table, column) == value)
    if not text:
        return list(session.scalars(query.offset(offset).limit(limit)))
    # case folding in Python: SQLite's lower() and LIKE know only ASCII letters
    needle = text.casefold()
    found = (row for row in session.scalars(query) if needle in getattr(row, kind.text).casefold())
    return list(islice(found, offset, offset + limit))


def create_entity(session: Session, *, kind: Kind, model: BaseModel, user: User) -> CatalogueRow:
    """Add a venue, truck or film; Conflict when its id is taken."""
    _check(_entity_problems(session, kind, model))
    entity_id = getattr(model, "id")  # noqa: B009
    if _get(session, kind.table, entity_id) is not None:
        raise Conflict(f"{kind.entity} '{entity_id}' exists already: change it with PUT")
    row = kind.table()
    to_row(model, row)
    session.add(row)
    session.flush()
    after = entity_snapshot(kind, row)
    record(session, user=user, action="create", entity=kind.entity, entity_id=row.id, after=after)
    return row


def replace_entity(
    session: Session, *, kind: Kind, row: CatalogueRow, model: BaseModel, user: User
) -> None:
    """Overwrite every field of a stored entity (its id stays); its version goes up."""
    _check(_entity_problems(session, kind, model))
    snapshot = lambda r: entity_snapshot(kind, r)  # noqa: E731
    with _audited(session, user=user, entity=kind.entity, row=row, snapshot=snapshot):
        to_row(model, row)


def delete_entity(session: Session, *, kind: Kind, row: CatalogueRow, user: User) -> None:
    """Delete an entity and every reference to it: its id leaves every season's member list
    and, for a film, every venue's ``excluded_film_ids`` (each such change is audited)."""
    before = entity_snapshot(kind, row)
    for season in session.scalars(select(Season).order_by(Season.id)):
        ids = getattr(season, kind.members)
        if row.id in ids:
            with _audited(
                session, user=user, entity="season", row=season, snapshot=season_snapshot
            ):
                setattr(season, kind.members, [i for i in ids if i != row.id])
    if isinstance(row, Film):
        venues = CATALOGUE["venues"]
        snapshot = lambda r: entity_snapshot(venues, r)  # noqa: E731
        for venue in session.scalars(select(Venue).order_by(Venue.id)):
            if row.id in venue.excluded_film_ids:
                with _audited(session, user=user, entity="venue", row=venue, snapshot=snapshot):
                    venue.excluded_film_ids = [i for i in venue.excluded_film_ids if i != row.id]
    session.delete(row)
    session.flush()
    record(
        session,
        user=user,
        action="delete",
        entity=kind.entity,
        entity_id=before["id"],
        before=before,
    )


# --- seasons --------------------------------------------------------------------------


def _member_problems(session: Session, members: Members) -> Problems:
    problems: Problems = []
    for kind in CATALOGUE.values():
        ids = list(members.get(kind.members, ()))
        stored = set(session.scalars(select(kind.table.id).where(kind.table.id.in_(ids))))
        seen: set[str] = set()
        for i, item in enumerate(ids):
            if item in seen:
                problems.append((f"{kind.members}[{i}]", f"'{item}' appears twice"))
            elif item not in stored:
                problems.append((f"{kind.members}[{i}]", f"no {kind.entity} '{item}'"))
            seen.add(item)
    return problems


def _season_problems(name: str, rules: RulesModel, lists: Members | None = None) -> Problems:
    """What the database cannot store of a season's name, rules and member lists."""
    data = {"name": name, "rules": rules.model_dump(mode="json"), **(lists or {})}
    problems = storable_problems(data)
    if not 1 <= len(name) <= SEASON_NAME_CHARS:
        problems.append(("name", f"{len(name)} characters; a name has 1 to {SEASON_NAME_CHARS}"))
    return problems


@dataclass(frozen=True, slots=True)
class SeasonDraft:
    """What a planner sets of a season: its name, dates, rules and member ids."""

    name: str
    dates: SeasonModel
    rules: RulesModel
    members: Members


def _set_season(session: Session, season: Season, draft: SeasonDraft) -> None:
    lists = {kind.members: list(draft.members.get(kind.members, ())) for kind in CATALOGUE.values()}
    _check(_season_problems(draft.name, draft.rules, lists))
    _check(_member_problems(session, lists))
    season.name = draft.name
    for column, value in {**season_fields(draft.dates, draft.rules), **lists}.items():
        setattr(season, column, value)


def create_season(session: Session, *, draft: SeasonDraft, user: User) -> Season:
    """Add a season of existing venues, trucks and films (each id is checked)."""
    season = Season()
    _set_season(session, season, draft)
    session.add(season)
    session.flush()
    after = season_snapshot(season)
    record(session, user=user, action="create", entity="season", entity_id=season.id, after=after)
    return season


def replace_season(session: Session, *, season: Season, draft: SeasonDraft, user: User) -> None:
    """Overwrite a season's name, dates, rules and members; its version goes up."""
    with _audited(session, user=user, entity="season", row=season, snapshot=season_snapshot):
        _set_season(session, season, draft)


def set_rules(session: Session, *, season: Season, rules: RulesModel, user: User) -> None:
    """Replace a season's rules; its version goes up."""
    data = rules.model_dump(mode="json")
    _check(storable_problems(data))
    with _audited(session, user=user, entity="season", row=season, snapshot=season_snapshot):
        season.rules = data


def delete_season(session: Session, *, season: Season, user: User) -> None:
    """Delete a season; the database deletes its plans and jobs with it."""
    before = season_snapshot(season)
    session.delete(season)
    session.flush()
    record(session, user=user, action="delete", entity="season", entity_id=season.id, before=before)


def latest_plan_ids(session: Session, season_ids: Sequence[int]) -> dict[int, int]:
    """Season id -> the id of its newest plan version, for those that have one."""
    newest = (
        select(PlanRow.season_id, func.max(PlanRow.number).label("number"))
        .where(PlanRow.season_id.in_(season_ids))
        .group_by(PlanRow.season_id)
        .subquery()
    )
    query = select(PlanRow.season_id, PlanRow.id).join(
        newest,
        (PlanRow.season_id == newest.c.season_id) & (PlanRow.number == newest.c.number),
    )
    return {season_id: plan_id for season_id, plan_id in session.execute(query)}


# --- imports --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Imported:
    """What an import stored: ids created and updated by kind, and the new season if any."""

    created: dict[str, list[str]]
    updated: dict[str, list[str]]
    season: Season | None


def import_catalogue(
    session: Session,
    *,
    items: Mapping[str, Sequence[BaseModel]],
    user: User,
    season: ScenarioFile | None = None,
    where: Where = _indexed,
) -> Imported:
    """Upsert venues, trucks and films (``items``: kind -> wire models, see ``entities``) and,
    given a scenario, create its season (of exactly its entities). All or nothing: every
    problem is found first (``where`` names the entity's fields) and raised at once. A venue
    may exclude films of the import or of the catalogue. One audit entry, ``import``."""
    known = frozenset(getattr(film, "id") for film in items.get("films", ()))  # noqa: B009
    problems: Problems = []
    for name, kind in CATALOGUE.items():
        for index, model in enumerate(items.get(name, ())):
            found = _entity_problems(session, kind, model, known)
            problems.extend((where(kind, index, model, field), msg) for field, msg in found)
    if season is not None:
        problems.extend(_season_problems(season.name, season.rules))
    _check(problems)
    created, updated = _upsert_all(session, items)
    row = None
    if season is not None:
        row = _scenario_season(season)
        session.add(row)
    session.flush()
    record(
        session,
        user=user,
        action="import",
        entity="season" if row is not None else "catalogue",
        entity_id=row.id if row is not None else "import",
        after={"season_id": row.id if row else None, "created": created, "updated": updated},
    )
    return Imported(created=created, updated=updated, season=row)
