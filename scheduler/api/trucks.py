"""``/api/trucks``: the cinema trucks (planners and admins).

The routes are the catalogue's (``api.catalogue``). Deleting a truck unbinds its drivers.
"""

from __future__ import annotations

from scheduler.api.catalogue import catalogue_router
from scheduler.db.catalogue import CATALOGUE
from scheduler.schemas import TruckModel

__all__ = ["TruckRead", "router"]


class TruckRead(TruckModel):
    """A stored truck; ``version`` is its ``ETag``."""

    version: int


router = catalogue_router(CATALOGUE["trucks"], TruckRead)
