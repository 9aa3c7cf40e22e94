"""Real roads: an OpenStreetMap road graph (``roads build``, ``RoadTravelTimes``) and an OSRM
client (``OsrmTravelTimes``), both ``TravelTimes`` providers with the Moscow hour-of-day
factors. ``travel_provider`` picks one from a cache path or a server URL."""

from __future__ import annotations

from pathlib import Path

from scheduler.errors import InvalidProblem
from scheduler.roads.cached import UNREACHABLE_MIN, CachedTravelTimes
from scheduler.roads.graph import RoadGraph
from scheduler.roads.osm import SPEED_KMH, BuildReport, build_road_graph
from scheduler.roads.osrm import OsrmTravelTimes
from scheduler.roads.provider import RoadTravelTimes
from scheduler.travel import OfflineTravelTimes, TravelTimes

__all__ = [
    "SPEED_KMH",
    "UNREACHABLE_MIN",
    "BuildReport",
    "CachedTravelTimes",
    "OsrmTravelTimes",
    "RoadGraph",
    "RoadTravelTimes",
    "build_road_graph",
    "travel_provider",
]


def travel_provider(*, roads_cache: Path | None = None, osrm_url: str | None = None) -> TravelTimes:
    """The road graph in ``roads_cache``, else OSRM at ``osrm_url``, else the offline
    estimate. Both at once is ``InvalidProblem``; a bad cache is ``TravelError``."""
    if roads_cache is not None and osrm_url:
        raise InvalidProblem([("--roads", "give a road cache or an OSRM server, not both")])
    if roads_cache is not None:
        return RoadTravelTimes.from_cache(roads_cache)
    if osrm_url:
        return OsrmTravelTimes(osrm_url)
    return OfflineTravelTimes()
