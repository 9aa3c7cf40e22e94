"""``/api/venues``: the places a truck can stop at (planners and admins).

The routes are the catalogue's (``api.catalogue``); venues add an ``okrug`` filter.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from scheduler.api.catalogue import NO_NUL, catalogue_router
from scheduler.db.catalogue import CATALOGUE
from scheduler.schemas import VenueModel

__all__ = ["VenueRead", "router"]


class VenueRead(VenueModel):
    """A stored venue; ``version`` is its ``ETag``."""

    version: int


def venue_filters(
    okrug: Annotated[
        str | None, Query(max_length=100, pattern=NO_NUL, description="Only this okrug (ЦАО ...).")
    ] = None,
) -> dict[str, str]:
    """Venues are filtered by okrug too."""
    return {} if okrug is None else {"okrug": okrug}


router = catalogue_router(CATALOGUE["venues"], VenueRead, filters=venue_filters)
