"""``/api/films``: the films a truck may screen (planners and admins).

The routes are the catalogue's (``api.catalogue``). Deleting a film also takes it out of
every venue's ``excluded_film_ids``.
"""

from __future__ import annotations

from scheduler.api.catalogue import catalogue_router
from scheduler.db.catalogue import CATALOGUE
from scheduler.schemas import FilmModel

__all__ = ["FilmRead", "router"]


class FilmRead(FilmModel):
    """A stored film; ``version`` is its ``ETag``."""

    version: int


router = catalogue_router(CATALOGUE["films"], FilmRead)
