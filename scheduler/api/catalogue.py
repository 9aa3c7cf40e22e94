"""The catalogue routers: ``/api/venues``, ``/api/trucks`` and ``/api/films`` are one router,
made once per kind by ``catalogue_router`` (planners and admins only).

Each kind gets: ``GET`` list (``season_id``, ``q``, the kind's own filters, ``limit``,
``offset``; ordered by id), ``POST`` create (201, ``ETag``, ``Location``; a taken id is 409),
``GET /{id}`` (``ETag``), ``PUT /{id}`` (full replace; ``If-Match``) and ``DELETE /{id}``
(``If-Match``; the id leaves every season and, for films, every venue's exclusions). Bodies
are the scenario file's wire models; responses add ``version``, which is also the ``ETag``.

Also the query parameters the other routers of this part share (``Limit``, ``Offset``,
``NO_NUL``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel

from scheduler.api.deps import ERRORS, IfMatch, Planner, SessionDep, check_version, set_etag
from scheduler.db.catalogue import (
    INT_MAX,
    CatalogueRow,
    Kind,
    create_entity,
    delete_entity,
    from_row,
    get_entity,
    list_entities,
    replace_entity,
)
from scheduler.errors import InvalidProblem

__all__ = ["NO_NUL", "Limit", "Offset", "catalogue_router", "no_filters"]

NO_NUL = r"^[^\x00]*$"
"""Pattern of a text that may go to PostgreSQL (which refuses NUL characters)."""

Limit = Annotated[int, Query(ge=1, le=1000, description="How many items at most.")]
Offset = Annotated[int, Query(ge=0, le=INT_MAX, description="How many items to skip.")]
SeasonFilter = Annotated[
    int | None, Query(ge=1, le=INT_MAX, description="Only the entities this season includes.")
]
SearchText = Annotated[
    str | None,
    Query(max_length=200, pattern=NO_NUL, description="Text in the name (title), any case."),
]
EntityId = Annotated[
    str, Path(min_length=1, max_length=100, pattern=NO_NUL, description="The entity's id.")
]
Filters = Callable[..., dict[str, str]]
"""A dependency giving a kind's own list filters: column -> the value it must equal."""

Route = TypeVar("Route", bound=Callable[..., Any])


def no_filters() -> dict[str, str]:
    """A kind without filters of its own."""
    return {}


def _typed(route: Route, **annotations: Any) -> Route:
    """Give a route made for every kind this kind's types (FastAPI reads the request body's
    model and the dependencies from the annotations)."""
    route.__annotations__.update(annotations)
    return route


def catalogue_router(
    kind: Kind, read: type[BaseModel], *, filters: Filters = no_filters
) -> APIRouter:
    """The router of one catalogue kind; ``read`` is its wire model plus ``version``."""
    router = APIRouter(prefix=f"/api/{kind.name}", tags=[kind.name], responses=ERRORS)
    one, many = kind.entity, kind.name

    def out(row: CatalogueRow, response: Response) -> BaseModel:
        set_etag(response, row.version)
        return from_row(row, read)

    def list_all(
        planner: Planner,
        session: SessionDep,
        extra: dict[str, str],
        season_id: SeasonFilter = None,
        q: SearchText = None,
        limit: Limit = 200,
        offset: Offset = 0,
    ) -> list[BaseModel]:
        """The entities, ordered by id, optionally filtered."""
        rows = list_entities(
            session,
            kind=kind,
            season_id=season_id,
            text=q,
            equal=extra,
            limit=limit,
            offset=offset,
        )
        return [from_row(row, read) for row in rows]

    def create(
        body: BaseModel, planner: Planner, session: SessionDep, response: Response
    ) -> BaseModel:
        """Add one; 409 if the id is taken, 422 naming the field if a value is bad."""
        row = create_entity(session, kind=kind, model=body, user=planner)
        session.commit()
        response.headers["Location"] = f"{router.prefix}/{quote(row.id, safe='')}"
        return out(row, response)

    def read_one(
        entity_id: EntityId, planner: Planner, session: SessionDep, response: Response
    ) -> BaseModel:
        """One by id, with its version as the ``ETag``."""
        return out(get_entity(session, kind=kind, entity_id=entity_id), response)

    def replace(
        entity_id: EntityId,
        body: BaseModel,
        planner: Planner,
        session: SessionDep,
        response: Response,
        if_match: IfMatch = None,
    ) -> BaseModel:
        """Replace every field (the body's ``id`` must be the path's); a stale ``If-Match``
        gets 409 and changes nothing."""
        row = get_entity(session, kind=kind, entity_id=entity_id)
        check_version(if_match, row.version)
        body_id = getattr(body, "id")  # noqa: B009
        if body_id != entity_id:
            message = f"'{body_id}' is not the id in the path '{entity_id}'; ids cannot change"
            raise InvalidProblem([("id", message)])
        replace_entity(session, kind=kind, row=row, model=body, user=planner)
        session.commit()
        return out(row, response)

    def delete(
        entity_id: EntityId, planner: Planner, session: SessionDep, if_match: IfMatch = None
    ) -> Response:
        """Delete one; its id leaves every season (and, for a film, every venue's
        ``excluded_film_ids``). A stale ``If-Match`` gets 409."""
        row = get_entity(session, kind=kind, entity_id=entity_id)
        check_version(if_match, row.version)
        delete_entity(session, kind=kind, row=row, user=planner)
        session.commit()
        return Response(status_code=204)

    listed = list[read]  # type: ignore[valid-type]  # a model chosen at run time
    router.get("", response_model=listed, summary=f"List {many}")(
        _typed(list_all, extra=Annotated[dict[str, str], Depends(filters)])
    )
    router.post("", response_model=read, status_code=201, summary=f"Add a {one}")(
        _typed(create, body=kind.model)
    )
    router.get("/{entity_id:path}", response_model=read, summary=f"Read a {one}")(read_one)
    router.put("/{entity_id:path}", response_model=read, summary=f"Replace a {one}")(
        _typed(replace, body=kind.model)
    )
    router.delete(
        "/{entity_id:path}", status_code=204, response_class=Response, summary=f"Delete a {one}"
    )(delete)
    return router
