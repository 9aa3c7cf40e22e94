"""A small OpenStreetMap street grid for the road tests, written with pyosmium.

Nodes 1..12 form three rows of four, 500 m apart north-south and about 500 m east-west,
in the south of Moscow::

     9 ==10 ==11 ==12      top row: primary, 50 km/h
     |    |    |    |
     5 ~~ 6 xx 7 hh 8      5-6 maxspeed=5; 6-7 access=no; 7-8 hgv=no
     |    |    |    |
     1 <- 2 cc 3 ww 4 -> 13    1-2 one way (2 to 1); 2-3 construction; 3-4 maxweight=7.5;
                               4-13 one way into a dead end (a one-way trap)

Every other street is residential (20 km/h), so a 500-m block takes exactly 90 s.
``write_grid(path, without={...})`` leaves out the named restrictions (the street is then a
plain two-way residential street).
"""

from __future__ import annotations

import json
import math
from itertools import pairwise
from pathlib import Path

import osmium
from osmium.osm.mutable import Node, Way

from scheduler.domain import Location
from scheduler.travel import EARTH_RADIUS_KM, haversine_km

__all__ = [
    "BLOCK_M",
    "FEATURES",
    "TRAP",
    "grid_scenario",
    "location",
    "path_m",
    "path_s",
    "write_grid",
]

BLOCK_M = 500.0
SOUTH, WEST = 55.60, 37.60
DLAT = math.degrees(BLOCK_M / 1000.0 / EARTH_RADIUS_KM)
DLON = DLAT / math.cos(math.radians(SOUTH))
TRAP = 13

FEATURES: dict[str, tuple[int, int, dict[str, str]]] = {
    "oneway": (2, 1, {"oneway": "yes"}),
    "construction": (2, 3, {"highway": "construction"}),
    "maxweight": (3, 4, {"maxweight": "7.5"}),
    "slow": (5, 6, {"maxspeed": "5"}),
    "closed": (6, 7, {"access": "no"}),
    "hgv": (7, 8, {"hgv": "no"}),
}
"""Restriction name: (first node, second node, tags added to the residential street)."""

SPEED_KMH = {"residential": 20.0, "primary": 50.0, "slow": 5.0}


def location(node: int) -> Location:
    """Where grid node 1..13 lies (to 1e-7 degrees, the precision of an OSM file)."""
    row, column = (0, 3.6) if node == TRAP else divmod(node - 1, 4)
    return Location(round(SOUTH + row * DLAT, 7), round(WEST + column * DLON, 7))


def write_grid(path: Path, *, without: frozenset[str] = frozenset()) -> Path:
    """Write the grid to ``path`` (``.osm.pbf``), leaving out the restrictions ``without``."""
    path.unlink(missing_ok=True)
    streets: list[tuple[list[int], dict[str, str]]] = []
    for row in range(3):
        for column in range(3):
            a = row * 4 + column + 1
            kind = "primary" if row == 2 else "residential"
            streets.append(([a, a + 1], {"highway": kind}))
    for row in range(2):
        for column in range(4):
            a = row * 4 + column + 1
            streets.append(([a, a + 4], {"highway": "residential"}))
    for name, (a, b, tags) in FEATURES.items():
        if name in without:
            continue
        nodes, base = next(s for s in streets if set(s[0]) == {a, b})
        nodes[:] = [a, b]
        base.update(tags)
    streets.append(([4, TRAP], {"highway": "residential", "oneway": "yes"}))
    with osmium.SimpleWriter(str(path)) as writer:
        for node in range(1, TRAP + 1):
            place = location(node)
            writer.add_node(Node(id=node, location=(place.lon, place.lat), version=1))
        for number, (nodes, tags) in enumerate(streets, start=1):
            writer.add_way(Way(id=number, nodes=nodes, tags=tags, version=1))
    return path


def path_m(nodes: list[int]) -> float:
    """Metres along the grid nodes ``nodes``."""
    return sum(haversine_km(location(a), location(b)) * 1000.0 for a, b in pairwise(nodes))


def path_s(nodes: list[int]) -> float:
    """Seconds along ``nodes`` at the class speeds: top row 50 km/h, 5-6 at 5, else 20."""
    total = 0.0
    for a, b in pairwise(nodes):
        if a > 8 and b > 8 and TRAP not in (a, b):
            kmh = SPEED_KMH["primary"]
        elif {a, b} == {5, 6}:
            kmh = SPEED_KMH["slow"]
        else:
            kmh = SPEED_KMH["residential"]
        total += haversine_km(location(a), location(b)) * 1000.0 / (kmh / 3.6)
    return total


def grid_scenario(path: Path) -> Path:
    """A two-day scenario with one LED truck at node 1 and three venues on the grid."""
    depot = location(1)
    venues = [
        {
            "id": f"v{node}",
            "name": f"Corner {node}",
            "okrug": "ЮАО",
            "lat": round(location(node).lat, 6),
            "lon": round(location(node).lon, 6) + 0.0005,
            "audience_seats": 100 + node,
            "hours": [{"start": "12:00", "end": "23:00"}],
            "residential": False,
        }
        for node in (4, 8, 12)
    ]
    scenario = {
        "name": "grid",
        "season": {"start": "2026-07-01", "end": "2026-07-02"},
        "rules": {"max_visits": 1},
        "trucks": [
            {
                "id": "led-1",
                "name": "LED 1",
                "depot": {"lat": depot.lat, "lon": depot.lon},
                "screen": "led",
                "shift": {"start": "12:00", "end": "24:00"},
            }
        ],
        "venues": venues,
        "films": [
            {
                "id": "film",
                "title": "Film",
                "runtime_min": 90,
                "rating": "0+",
                "certificate": "C-1",
            }
        ],
    }
    path.write_text(json.dumps(scenario, ensure_ascii=False), encoding="utf-8")
    return path
