"""Travel times between places: a small interface and an offline default.

``TravelTimes`` is the seam for a real road router (OSRM, Valhalla, an OSM road graph);
``OfflineTravelTimes`` estimates from the great-circle distance, a road detour factor and a
Moscow hour-of-day speed profile (``../shared/data/README.md``: free flow about 45 km/h,
rush-hour factors near 0.5). A leg takes the speed of the hour in which it starts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import numpy as np

from scheduler.domain import Location

__all__ = ["MOSCOW_SPEED_FACTORS", "OfflineTravelTimes", "TravelTimes", "haversine_km"]

EARTH_RADIUS_KM = 6371.0088

MOSCOW_SPEED_FACTORS: tuple[float, ...] = (
    (1.00,) * 7 + (0.65, 0.55, 0.55) + (0.70,) * 7 + (0.50, 0.50, 0.50, 0.60, 0.75, 0.90, 0.90)
)
"""Speed as a fraction of free flow, by hour of departure 00..23 (an assumption built from
TomTom and Yandex figures; see the data README)."""


class TravelTimes(Protocol):
    """Driving times between places; ``depart`` is timezone-aware local time."""

    def duration_min(self, origin: Location, destination: Location, depart: datetime) -> float:
        """Minutes to drive from ``origin`` to ``destination`` leaving at ``depart``."""
        ...

    def distance_km(self, origin: Location, destination: Location) -> float:
        """Road kilometres from ``origin`` to ``destination``."""
        ...

    def worst_matrix_min(self, locations: Sequence[Location], hours: Sequence[int]) -> np.ndarray:
        """The longest duration over the departure ``hours`` (0..23), for every pair."""
        ...


def haversine_km(a: Location, b: Location) -> float:
    """Great-circle distance in kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class OfflineTravelTimes:
    """Great-circle distance x detour factor at an hour-of-day speed."""

    free_flow_kmh: float = 45.0
    detour_factor: float = 1.35
    speed_factors: tuple[float, ...] = field(default=MOSCOW_SPEED_FACTORS)

    def __post_init__(self) -> None:
        if len(self.speed_factors) != 24 or min(self.speed_factors) <= 0:
            raise ValueError("speed_factors needs 24 positive hourly factors")
        if self.free_flow_kmh <= 0 or self.detour_factor < 1:
            raise ValueError("free_flow_kmh must be positive and detour_factor at least 1")

    def distance_km(self, origin: Location, destination: Location) -> float:
        return haversine_km(origin, destination) * self.detour_factor

    def duration_min(self, origin: Location, destination: Location, depart: datetime) -> float:
        speed = self.free_flow_kmh * self.speed_factors[depart.hour]
        return self.distance_km(origin, destination) / speed * 60.0

    def worst_matrix_min(self, locations: Sequence[Location], hours: Sequence[int]) -> np.ndarray:
        slowest = min(self.speed_factors[h % 24] for h in hours)
        km = _road_km_matrix(locations, self.detour_factor)
        result: np.ndarray = km / (self.free_flow_kmh * slowest) * 60.0
        return result


def _road_km_matrix(locations: Sequence[Location], detour: float) -> np.ndarray:
    lat = np.radians(np.array([p.lat for p in locations]))
    lon = np.radians(np.array([p.lon for p in locations]))
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    h = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
    km: np.ndarray = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h))) * detour
    return km
