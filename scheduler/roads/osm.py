"""Build a truck's drivable road graph from an OpenStreetMap extract (``.osm.pbf``, read with
pyosmium).

A way is kept when its ``highway`` class is in ``SPEED_KMH`` and no rule closes it to the
truck: ``highway=construction``; ``oneway=reversible``; the most specific of ``hgv``,
``motor_vehicle``, ``vehicle``, ``access`` that is tagged saying ``no`` (or another value
in ``DENIED``); a ``maxweight`` below the truck's weight. Its speed is the class speed, or
``maxspeed`` when tagged and lower. ``oneway`` (``yes``/``1``/``true``, ``-1``/``reverse``) is
honoured and implied on motorways, motorway links and roundabouts.
"""

from __future__ import annotations

import math
import re
from array import array
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import osmium
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from scheduler.errors import TravelError
from scheduler.roads.graph import RoadGraph
from scheduler.travel import EARTH_RADIUS_KM

__all__ = ["DENIED", "SPEED_KMH", "BuildReport", "WayRule", "build_road_graph", "way_rule"]

SPEED_KMH: dict[str, float] = {
    "motorway": 80.0,
    "motorway_link": 45.0,
    "trunk": 70.0,
    "trunk_link": 40.0,
    "primary": 50.0,
    "primary_link": 35.0,
    "secondary": 40.0,
    "secondary_link": 30.0,
    "tertiary": 35.0,
    "tertiary_link": 25.0,
    "unclassified": 25.0,
    "residential": 20.0,
    "living_street": 10.0,
    "service": 15.0,
}
"""Free-flow speed of a 12-t truck by road class (km/h), before the hour-of-day factor."""

DENIED = frozenset({"no", "agricultural", "forestry", "emergency", "military"})
"""Access values that close a road to the truck (``private``, ``destination``, ``delivery``
and the like leave it open: a cinema truck is expected at its venue)."""

ONEWAY_FORWARD = frozenset({"yes", "1", "true"})
ONEWAY_BACKWARD = frozenset({"-1", "reverse"})
ONEWAY_NONE = frozenset({"no", "0", "false"})
IMPLIED_ONEWAY_HIGHWAYS = frozenset({"motorway", "motorway_link"})
IMPLIED_ONEWAY_JUNCTIONS = frozenset({"roundabout", "circular"})
ACCESS_KEYS = ("hgv", "motor_vehicle", "vehicle", "access")
"""From the most specific to the most general: the first one tagged decides."""

ZONE_SPEEDS_KMH: dict[str, float] = {
    "ru:urban": 60.0,
    "ru:rural": 90.0,
    "ru:motorway": 110.0,
    "ru:living_street": 20.0,
    "walk": 5.0,
}
_NUMBER = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*([a-z/]*)\s*$")


@dataclass(frozen=True, slots=True)
class WayRule:
    """What the graph does with one way: ``dropped`` names the rule that removed it, or is
    empty; ``forward``/``backward`` say which directions are driven, at ``speed_kmh``."""

    dropped: str = ""
    speed_kmh: float = 0.0
    forward: bool = True
    backward: bool = True


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What ``build_road_graph`` read and kept."""

    graph: RoadGraph
    ways_read: int
    ways_kept: int
    dropped: dict[str, int]
    """Ways dropped, by rule (``not_drivable``, ``closed``, ``construction``, ``hgv``,
    ``maxweight``, ``reversible``)."""
    segments_missing_nodes: int
    """Way segments left out because a node lies outside the extract."""


def way_rule(tags: dict[str, str], truck_weight_t: float) -> WayRule:
    """The rule for a way with these tags, for a truck of ``truck_weight_t`` tonnes."""
    highway = tags.get("highway", "")
    if highway == "construction":
        return WayRule(dropped="construction")
    if highway not in SPEED_KMH:
        return WayRule(dropped="not_drivable")
    for key in ACCESS_KEYS:
        value = tags.get(key)
        if value is not None:
            if value.strip().lower() in DENIED:
                return WayRule(dropped="hgv" if key == "hgv" else "closed")
            break
    limit_t = parse_weight_t(tags.get("maxweight"))
    if limit_t is not None and limit_t < truck_weight_t:
        return WayRule(dropped="maxweight")
    oneway = tags.get("oneway", "").strip().lower()
    if oneway in ("reversible", "alternating"):
        return WayRule(dropped="reversible")
    speed = SPEED_KMH[highway]
    posted = parse_speed_kmh(tags.get("maxspeed"))
    if posted is not None:
        speed = min(speed, posted)
    if oneway in ONEWAY_FORWARD:
        return WayRule(speed_kmh=speed, backward=False)
    if oneway in ONEWAY_BACKWARD:
        return WayRule(speed_kmh=speed, forward=False)
    implied = highway in IMPLIED_ONEWAY_HIGHWAYS or (
        tags.get("junction", "") in IMPLIED_ONEWAY_JUNCTIONS
    )
    if implied and oneway not in ONEWAY_NONE:
        return WayRule(speed_kmh=speed, backward=False)
    return WayRule(speed_kmh=speed)


def parse_speed_kmh(value: str | None) -> float | None:
    """``maxspeed`` in km/h (``60``, ``40 mph``, ``RU:urban``, ``60;40``: the lowest), or None
    when absent, ``none`` or unreadable."""
    if not value:
        return None
    speeds: list[float] = []
    for part in value.lower().split(";"):
        part = part.strip()
        if part in ZONE_SPEEDS_KMH:
            speeds.append(ZONE_SPEEDS_KMH[part])
            continue
        match = _NUMBER.match(part)
        if match and float(match[1].replace(",", ".")) > 0:
            number = float(match[1].replace(",", "."))
            speeds.append(number * 1.609344 if match[2] == "mph" else number)
    return min(speeds) if speeds else None


def parse_weight_t(value: str | None) -> float | None:
    """``maxweight`` in tonnes (``7.5``, ``7.5 t``, ``3500 kg``), or None when absent or
    unreadable."""
    if not value:
        return None
    match = _NUMBER.match(value.lower())
    if not match or match[2] not in ("", "t", "kg"):
        return None
    number = float(match[1].replace(",", "."))
    return number / 1000.0 if match[2] == "kg" else number


class _Collector:
    """Node ids and coordinates of the kept ways, with the speed and directions of each."""

    def __init__(self) -> None:
        self.refs = array("q")
        self.lat = array("d")
        self.lon = array("d")
        self.way_end = array("q")
        self.speed_kmh = array("d")
        self.forward = array("b")
        self.backward = array("b")

    def add(self, way: osmium.osm.Way, rule: WayRule) -> None:
        for node in way.nodes:
            location = node.location
            self.refs.append(node.ref)
            if location.valid():
                self.lat.append(location.lat)
                self.lon.append(location.lon)
            else:
                self.lat.append(math.nan)
                self.lon.append(math.nan)
        self.way_end.append(len(self.refs))
        self.speed_kmh.append(rule.speed_kmh)
        self.forward.append(rule.forward)
        self.backward.append(rule.backward)


def build_road_graph(path: Path, truck_weight_t: float = 12.0) -> BuildReport:
    """Read the drivable roads of an OSM extract into a ``RoadGraph`` for a truck of
    ``truck_weight_t`` tonnes; raises ``TravelError`` when the file cannot be read or holds no
    drivable road."""
    if not path.is_file():
        raise TravelError(f"OSM file {path}: no such file")
    collector = _Collector()
    dropped: Counter[str] = Counter()
    ways_read = 0
    try:
        processor = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for way in processor:
            assert isinstance(way, osmium.osm.Way)
            ways_read += 1
            rule = way_rule(dict(way.tags), truck_weight_t)
            if rule.dropped:
                dropped[rule.dropped] += 1
            elif len(way.nodes) >= 2:
                collector.add(way, rule)
    except RuntimeError as exc:
        raise TravelError(f"OSM file {path}: cannot read it ({exc})") from exc
    graph, missing = _graph(collector)
    graph = RoadGraph(
        graph.lat,
        graph.lon,
        graph.main,
        graph.indptr,
        graph.indices,
        graph.seconds,
        graph.metres,
        meta={
            "source": path.name,
            "source_bytes": path.stat().st_size,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "truck_weight_t": truck_weight_t,
            "speed_kmh": SPEED_KMH,
            "ways_read": ways_read,
            "ways_kept": len(collector.way_end),
            "dropped": dict(dropped),
        },
    )
    return BuildReport(graph, ways_read, len(collector.way_end), dict(dropped), missing)


def _graph(ways: _Collector) -> tuple[RoadGraph, int]:
    refs = np.frombuffer(ways.refs, dtype=np.int64)
    lat = np.frombuffer(ways.lat, dtype=np.float64)
    lon = np.frombuffer(ways.lon, dtype=np.float64)
    ends = np.frombuffer(ways.way_end, dtype=np.int64)
    if ends.size == 0:
        raise TravelError("the extract holds no road a truck may drive")
    way_of = np.repeat(np.arange(ends.size), np.diff(ends, prepend=0))
    start = np.arange(refs.size - 1)
    start = start[way_of[start] == way_of[start + 1]]
    valid = ~np.isnan(lat)
    usable = valid[start] & valid[start + 1]
    missing = int(np.count_nonzero(~usable))
    start = start[usable]
    nodes, node_of = np.unique(refs[valid], return_inverse=True)
    index = np.full(refs.size, -1, dtype=np.int64)
    index[valid] = node_of
    node_lat = np.zeros(nodes.size)
    node_lon = np.zeros(nodes.size)
    node_lat[node_of], node_lon[node_of] = lat[valid], lon[valid]
    metres = _haversine_m(lat[start], lon[start], lat[start + 1], lon[start + 1])
    speed_ms = np.frombuffer(ways.speed_kmh, dtype=np.float64)[way_of[start]] / 3.6
    seconds = np.maximum(metres / speed_ms, 0.01)
    forward = np.frombuffer(ways.forward, dtype=np.int8)[way_of[start]].astype(bool)
    backward = np.frombuffer(ways.backward, dtype=np.int8)[way_of[start]].astype(bool)
    a, b = index[start], index[start + 1]
    tail = np.concatenate([a[forward], b[backward]])
    head = np.concatenate([b[forward], a[backward]])
    secs = np.concatenate([seconds[forward], seconds[backward]])
    lengths = np.concatenate([metres[forward], metres[backward]])
    return _csr(node_lat, node_lon, tail, head, secs, lengths), missing


def _csr(
    lat: np.ndarray,
    lon: np.ndarray,
    tail: np.ndarray,
    head: np.ndarray,
    seconds: np.ndarray,
    metres: np.ndarray,
) -> RoadGraph:
    """CSR arrays with the fastest of parallel edges and no self-loops."""
    keep = tail != head
    tail, head, seconds, metres = tail[keep], head[keep], seconds[keep], metres[keep]
    order = np.lexsort((seconds, head, tail))
    tail, head, seconds, metres = tail[order], head[order], seconds[order], metres[order]
    first = np.ones(tail.size, dtype=bool)
    first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
    tail, head, seconds, metres = tail[first], head[first], seconds[first], metres[first]
    n = lat.size
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail, minlength=n), out=indptr[1:])
    matrix = csr_matrix((seconds, head, indptr), shape=(n, n))
    _, labels = connected_components(matrix, directed=True, connection="strong")
    main = labels == np.argmax(np.bincount(labels))
    return RoadGraph(
        lat, lon, main, indptr, head.astype(np.int32), seconds, metres.astype(np.float64)
    )


def _haversine_m(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    h = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    metres: np.ndarray = 2000.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    return metres
