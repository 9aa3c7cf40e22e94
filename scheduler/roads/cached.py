"""The part every router-backed provider shares: free-flow seconds between all places seen so
far, computed in blocks (many-to-many, never per leg) and kept, with the hour-of-day factors
of the offline provider on top.

A subclass answers ``_free_flow_s(origins, destinations)`` with a block of free-flow seconds
(``inf`` where there is no route) and ``_metres(origin, destination)``. When new places arrive,
one block gives their rows (new places to every place) and one their columns (the places seen
before to the new ones), so a problem's places cost one many-to-many computation, and a leg
between known places none.

**Unreachable pairs** (a one-way trap, an island the extract cuts off) are given
``UNREACHABLE_MIN`` minutes at every hour, and a warning is logged naming them: the router then
avoids such a leg, and a plan that used one would fail the validator's shift rules, where an
infinite or NaN time would break the solver.
"""

from __future__ import annotations

import logging
import math
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime

import numpy as np

from scheduler.domain import Location
from scheduler.travel import MOSCOW_SPEED_FACTORS

__all__ = ["UNREACHABLE_MIN", "CachedTravelTimes"]

UNREACHABLE_MIN = 10_000.0
"""Minutes given to a pair with no route: about a week, longer than any shift."""

log = logging.getLogger(__name__)


class CachedTravelTimes(ABC):
    """A ``TravelTimes`` provider over a router's free-flow times, cached for every pair of
    places seen, scaled by ``speed_factors`` (speed as a fraction of free flow by hour)."""

    def __init__(self, speed_factors: Sequence[float] = MOSCOW_SPEED_FACTORS) -> None:
        if len(speed_factors) != 24 or min(speed_factors) <= 0:
            raise ValueError("speed_factors needs 24 positive hourly factors")
        self.speed_factors = tuple(speed_factors)
        self._index: dict[Location, int] = {}
        self._places: list[Location] = []
        self._seconds = np.zeros((0, 0))
        self._lock = threading.RLock()

    @abstractmethod
    def _free_flow_s(
        self, origins: Sequence[Location], destinations: Sequence[Location]
    ) -> np.ndarray:
        """Free-flow seconds from every origin to every destination; ``inf``: no route."""

    @abstractmethod
    def _metres(self, origin: Location, destination: Location) -> float:
        """Metres along the fastest route (``inf``: no route)."""

    def warm(self, locations: Sequence[Location]) -> None:
        """Compute the times between ``locations`` (and every place seen before) now, in one
        block; later lookups between them are free."""
        with self._lock:
            new = [p for p in dict.fromkeys(locations) if p not in self._index]
            if new:
                self._add(new)

    def free_flow_matrix_s(self, locations: Sequence[Location]) -> np.ndarray:
        """Free-flow seconds between every pair of ``locations`` (``inf``: no route)."""
        self.warm(locations)
        rows = np.array([self._index[p] for p in locations], dtype=np.int64)
        result: np.ndarray = self._seconds[np.ix_(rows, rows)]
        return result

    def duration_min(self, origin: Location, destination: Location, depart: datetime) -> float:
        """Minutes from ``origin`` to ``destination`` leaving at ``depart``."""
        if origin == destination:
            return 0.0
        self.warm([origin, destination])
        seconds = float(self._seconds[self._index[origin], self._index[destination]])
        if math.isinf(seconds):
            return UNREACHABLE_MIN
        return seconds / 60.0 / self.speed_factors[depart.hour]

    def distance_km(self, origin: Location, destination: Location) -> float:
        """Road kilometres along the fastest route (``UNREACHABLE_MIN`` when there is none)."""
        if origin == destination:
            return 0.0
        with self._lock:
            metres = self._metres(origin, destination)
        return UNREACHABLE_MIN if math.isinf(metres) else metres / 1000.0

    def worst_matrix_min(self, locations: Sequence[Location], hours: Sequence[int]) -> np.ndarray:
        """The longest minutes over departures in ``hours``, for every pair of ``locations``."""
        slowest = min(self.speed_factors[h % 24] for h in hours)
        seconds = self.free_flow_matrix_s(locations)
        minutes: np.ndarray = np.where(np.isinf(seconds), UNREACHABLE_MIN, seconds / 60.0 / slowest)
        return minutes

    def _add(self, new: list[Location]) -> None:
        old = len(self._places)
        total = old + len(new)
        rows = self._free_flow_s(new, [*self._places, *new])
        columns = self._free_flow_s(self._places, new) if old else None
        if total > self._seconds.shape[0]:
            capacity = max(total, 2 * self._seconds.shape[0])
            grown = np.full((capacity, capacity), np.inf)
            grown[:old, :old] = self._seconds[:old, :old]
            self._seconds = grown
        self._seconds[old:total, :total] = rows
        if columns is not None:
            self._seconds[:old, old:total] = columns
        span = np.arange(old, total)
        self._seconds[span, span] = 0.0
        self._places.extend(new)
        self._index.update({p: old + i for i, p in enumerate(new)})
        self._warn_unreachable(old, total)

    def _warn_unreachable(self, old: int, total: int) -> None:
        cut = np.isinf(self._seconds[:total, :total])
        cut[:old, :old] = False
        pairs = np.argwhere(cut)
        if pairs.size == 0:
            return
        shown = ", ".join(
            f"({self._places[i].lat:.5f}, {self._places[i].lon:.5f}) -> "
            f"({self._places[j].lat:.5f}, {self._places[j].lon:.5f})"
            for i, j in pairs[:5]
        )
        log.warning(
            "%d pairs of places have no route between them (%s%s); they count as %.0f min",
            len(pairs),
            shown,
            ", ..." if len(pairs) > 5 else "",
            UNREACHABLE_MIN,
        )
