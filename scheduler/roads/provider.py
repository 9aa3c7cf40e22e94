"""``RoadTravelTimes``: driving times on an OpenStreetMap road graph (see ``roads.osm``).

Each place is snapped to the nearest node of the graph's largest strongly connected component
(a ``cKDTree`` on the unit sphere), and the straight line to it is driven at
``snap_speed_kmh``. Times between places are one many-to-many Dijkstra
(``scipy.sparse.csgraph.dijkstra``, from the fewer side: forward from the origins or backward
from the destinations) per block of new places, cached by ``CachedTravelTimes``, which also
applies the hour-of-day factors. Two places on the same node are the straight line between them
at the snap speed. Distances follow the fastest route's edges (computed on demand).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from scheduler.domain import Location
from scheduler.roads.cached import CachedTravelTimes
from scheduler.roads.graph import RoadGraph
from scheduler.travel import MOSCOW_SPEED_FACTORS, haversine_km

__all__ = ["RoadTravelTimes"]

log = logging.getLogger(__name__)

_BLOCK_CELLS = 16_000_000
"""Dijkstra distances held at once (sources x nodes), about 128 MB."""
_PREDECESSOR_TREES = 8


class RoadTravelTimes(CachedTravelTimes):
    """Times and distances on a ``RoadGraph``, with the Moscow hour-of-day factors.

    ``snap_to_main_component=False`` snaps to any node, so places in a one-way trap or on an
    island can be unreachable (they then count ``UNREACHABLE_MIN``, with a warning).
    """

    def __init__(
        self,
        graph: RoadGraph,
        *,
        speed_factors: Sequence[float] = MOSCOW_SPEED_FACTORS,
        snap_speed_kmh: float = 10.0,
        snap_to_main_component: bool = True,
        far_snap_m: float = 1000.0,
    ) -> None:
        super().__init__(speed_factors)
        if snap_speed_kmh <= 0:
            raise ValueError("snap_speed_kmh must be positive")
        self.graph = graph
        self.snap_speed_ms = snap_speed_kmh / 3.6
        self.far_snap_m = far_snap_m
        self._forward = graph.seconds_matrix()
        self._backward = self._forward.T.tocsr()
        self._candidates = (
            np.flatnonzero(graph.main) if snap_to_main_component else np.arange(graph.node_count)
        )
        self._tree = cKDTree(
            _unit_vectors(graph.lat[self._candidates], graph.lon[self._candidates])
        )
        self._snapped: dict[Location, tuple[int, float]] = {}
        self._trees: OrderedDict[int, np.ndarray] = OrderedDict()

    @classmethod
    def from_cache(
        cls, path: Path, *, speed_factors: Sequence[float] = MOSCOW_SPEED_FACTORS
    ) -> RoadTravelTimes:
        """Load a cache written by ``roads build``; ``TravelError`` if it is missing or bad."""
        return cls(RoadGraph.load(path), speed_factors=speed_factors)

    def snap(self, location: Location) -> tuple[int, float]:
        """The graph node a place is driven from and to, and its straight-line metres."""
        found = self._snapped.get(location)
        if found is None:
            _, position = self._tree.query(
                _unit_vectors(np.array([location.lat]), np.array([location.lon]))[0]
            )
            node = int(self._candidates[int(position)])
            node_place = Location(float(self.graph.lat[node]), float(self.graph.lon[node]))
            metres = haversine_km(location, node_place) * 1000.0
            if metres > self.far_snap_m:
                log.warning(
                    "(%.5f, %.5f) is %.0f m from the nearest road of the graph: is it inside "
                    "the extract?",
                    location.lat,
                    location.lon,
                    metres,
                )
            found = self._snapped[location] = (node, metres)
        return found

    def _free_flow_s(
        self, origins: Sequence[Location], destinations: Sequence[Location]
    ) -> np.ndarray:
        o_nodes, o_metres = self._snap_all(origins)
        d_nodes, d_metres = self._snap_all(destinations)
        o_unique, o_pos = np.unique(o_nodes, return_inverse=True)
        d_unique, d_pos = np.unique(d_nodes, return_inverse=True)
        if o_unique.size <= d_unique.size:
            block = self._shortest(self._forward, o_unique, d_unique)
        else:
            block = self._shortest(self._backward, d_unique, o_unique).T
        seconds = block[np.ix_(o_pos, d_pos)]
        seconds += (o_metres[:, None] + d_metres[None, :]) / self.snap_speed_ms
        same = o_nodes[:, None] == d_nodes[None, :]
        for i, j in np.argwhere(same):
            seconds[i, j] = haversine_km(origins[i], destinations[j]) * 1000.0 / self.snap_speed_ms
        return seconds

    def _metres(self, origin: Location, destination: Location) -> float:
        (source, source_m), (target, target_m) = self.snap(origin), self.snap(destination)
        if source == target:
            return haversine_km(origin, destination) * 1000.0
        predecessors = self._tree_from(source)
        metres, node = 0.0, target
        while node != source:
            previous = int(predecessors[node])
            if previous < 0:
                return float("inf")
            metres += self._edge_metres(previous, node)
            node = previous
        return source_m + metres + target_m

    def _snap_all(self, places: Sequence[Location]) -> tuple[np.ndarray, np.ndarray]:
        snapped = [self.snap(p) for p in places]
        nodes = np.array([node for node, _ in snapped], dtype=np.int64)
        metres = np.array([m for _, m in snapped], dtype=np.float64)
        return nodes, metres

    def _shortest(self, matrix: object, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Seconds from every source node to every target node, in blocks of sources."""
        result = np.empty((sources.size, targets.size))
        step = max(1, _BLOCK_CELLS // self.graph.node_count)
        for first in range(0, sources.size, step):
            chunk = sources[first : first + step]
            distances = dijkstra(matrix, directed=True, indices=chunk)
            result[first : first + chunk.size] = distances[:, targets]
        return result

    def _tree_from(self, source: int) -> np.ndarray:
        tree = self._trees.get(source)
        if tree is None:
            _, found = dijkstra(
                self._forward, directed=True, indices=source, return_predecessors=True
            )
            tree = self._trees[source] = found
            if len(self._trees) > _PREDECESSOR_TREES:
                self._trees.popitem(last=False)
        else:
            self._trees.move_to_end(source)
        return tree

    def _edge_metres(self, tail: int, head: int) -> float:
        start, end = int(self.graph.indptr[tail]), int(self.graph.indptr[tail + 1])
        position = start + int(np.flatnonzero(self.graph.indices[start:end] == head)[0])
        return float(self.graph.metres[position])


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points on the unit sphere: nearest by chord is nearest on the Earth."""
    phi, lam = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])
