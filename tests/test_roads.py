"""Tests for ``scheduler.roads``: the OSM road-graph build (``roads build``), its cache, and
``RoadTravelTimes`` on the hand-made street grid of ``osm_grid`` (times checked by hand at the
class speeds), then ``plan --roads`` and ``check --roads`` end to end."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from osm_grid import BLOCK_M, TRAP, grid_scenario, location, path_m, path_s, write_grid
from typer.testing import CliRunner, Result

from scheduler import schemas
from scheduler.checks import verify
from scheduler.cli import app
from scheduler.domain import Location
from scheduler.errors import TravelError
from scheduler.roads import (
    UNREACHABLE_MIN,
    RoadGraph,
    RoadTravelTimes,
    build_road_graph,
    travel_provider,
)
from scheduler.roads.osm import parse_speed_kmh, parse_weight_t, way_rule
from scheduler.scoring import plan_stats
from scheduler.travel import MOSCOW_SPEED_FACTORS, OfflineTravelTimes, haversine_km

MOSCOW = ZoneInfo("Europe/Moscow")
NIGHT = datetime(2026, 7, 8, 2, 0, tzinfo=MOSCOW)
"""Free flow: the hour-of-day factor at 02:00 is 1.0."""
runner = CliRunner()


def at(hour: int) -> datetime:
    """A July 2026 day in Moscow at ``hour``:00."""
    return datetime(2026, 7, 8, hour, 0, tzinfo=MOSCOW)


def seconds(travel: RoadTravelTimes, a: int, b: int) -> float:
    """Free-flow seconds from grid node ``a`` to grid node ``b``."""
    return travel.duration_min(location(a), location(b), NIGHT) * 60.0


@pytest.fixture(scope="module")
def grid_pbf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The street grid with every restriction, as an ``.osm.pbf`` file."""
    return write_grid(tmp_path_factory.mktemp("osm") / "grid.osm.pbf")


@pytest.fixture(scope="module")
def grid(grid_pbf: Path) -> RoadTravelTimes:
    """``RoadTravelTimes`` on the full grid for a 12-t truck."""
    return RoadTravelTimes(build_road_graph(grid_pbf, 12.0).graph)


def built_without(tmp_path: Path, *features: str, weight_t: float = 12.0) -> RoadTravelTimes:
    """``RoadTravelTimes`` on the grid with the named restrictions left out."""
    pbf = write_grid(tmp_path / "variant.osm.pbf", without=frozenset(features))
    return RoadTravelTimes(build_road_graph(pbf, weight_t).graph)


def invoke(*args: str | Path) -> Result:
    """Run the CLI with ``args``."""
    return runner.invoke(app, [str(arg) for arg in args])


def flat(result: Result) -> str:
    """Everything the command printed, with rich's line wrapping undone."""
    return " ".join(result.output.split())


def assert_clean_exit(result: Result, code: int) -> None:
    """The command ended with ``code`` on purpose: no traceback."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# --- tag rules -------------------------------------------------------------------------


def test_way_rules_oneway_variants() -> None:
    """``oneway`` yes/1/true, -1/reverse and no are read; motorways, motorway links and
    roundabouts are one way unless tagged ``oneway=no``; reversible roads are dropped."""
    assert not way_rule({"highway": "primary", "oneway": "true"}, 12).backward
    reverse = way_rule({"highway": "primary", "oneway": "-1"}, 12)
    assert (reverse.forward, reverse.backward) == (False, True)
    assert not way_rule({"highway": "motorway"}, 12).backward
    assert not way_rule({"highway": "motorway_link"}, 12).backward
    assert not way_rule({"highway": "tertiary", "junction": "roundabout"}, 12).backward
    assert way_rule({"highway": "motorway", "oneway": "no"}, 12).backward
    assert way_rule({"highway": "primary"}, 12).backward
    assert way_rule({"highway": "primary", "oneway": "reversible"}, 12).dropped == "reversible"


def test_way_rules_access_hierarchy() -> None:
    """The most specific access tag decides: ``hgv=no`` closes a road open to cars, and
    ``hgv=yes`` opens one closed to other traffic; ``private`` stays open."""
    assert way_rule({"highway": "primary", "hgv": "no"}, 12).dropped == "hgv"
    assert way_rule({"highway": "primary", "motor_vehicle": "no"}, 12).dropped == "closed"
    assert way_rule({"highway": "primary", "vehicle": "no"}, 12).dropped == "closed"
    assert way_rule({"highway": "primary", "access": "no", "hgv": "yes"}, 12).dropped == ""
    assert way_rule({"highway": "service", "access": "private"}, 12).dropped == ""
    assert way_rule({"highway": "footway"}, 12).dropped == "not_drivable"
    assert way_rule({"highway": "construction"}, 12).dropped == "construction"


def test_way_rules_speed_and_weight() -> None:
    """``maxspeed`` lowers the class speed (never raises it); ``maxweight`` below the truck's
    weight drops the road, in tonnes or kilograms."""
    assert way_rule({"highway": "primary"}, 12).speed_kmh == 50.0
    assert way_rule({"highway": "primary", "maxspeed": "30"}, 12).speed_kmh == 30.0
    assert way_rule({"highway": "primary", "maxspeed": "90"}, 12).speed_kmh == 50.0
    assert parse_speed_kmh("20 mph") == pytest.approx(32.18688)
    assert parse_speed_kmh("RU:living_street") == 20.0
    assert parse_speed_kmh("60;40") == 40.0
    assert parse_speed_kmh("none") is None
    assert parse_weight_t("3500 kg") == 3.5
    assert parse_weight_t("7.5 t") == 7.5
    assert parse_weight_t("unsigned") is None
    assert way_rule({"highway": "primary", "maxweight": "10"}, 12).dropped == "maxweight"
    assert way_rule({"highway": "primary", "maxweight": "10"}, 8).dropped == ""


# --- the build -------------------------------------------------------------------------


def test_build_counts_what_it_read(grid_pbf: Path) -> None:
    """18 highway ways are read; construction, maxweight, access=no and hgv=no each drop one;
    the 14 kept ways give 26 directed edges (two one-way, twelve two-way) on 13 nodes, of
    which the dead end behind the one-way street is not in the main component."""
    report = build_road_graph(grid_pbf, 12.0)
    assert (report.ways_read, report.ways_kept) == (18, 14)
    assert report.dropped == {"construction": 1, "maxweight": 1, "closed": 1, "hgv": 1}
    graph = report.graph
    assert (graph.node_count, graph.edge_count) == (13, 2 * 1 + 12 * 2)
    main_nodes = {
        (round(float(lat), 9), round(float(lon), 9))
        for lat, lon in zip(graph.lat[graph.main], graph.lon[graph.main], strict=True)
    }
    trap = location(TRAP)
    assert len(main_nodes) == 12 and (round(trap.lat, 9), round(trap.lon, 9)) not in main_nodes
    assert graph.meta["truck_weight_t"] == 12.0 and graph.meta["source"] == "grid.osm.pbf"


def test_build_refuses_missing_and_empty_files(tmp_path: Path) -> None:
    """A missing OSM file, or one with no drivable road, is a ``TravelError``."""
    with pytest.raises(TravelError, match="no such file"):
        build_road_graph(tmp_path / "nowhere.osm.pbf")
    empty = tmp_path / "empty.osm.pbf"
    import osmium
    from osmium.osm.mutable import Node

    with osmium.SimpleWriter(str(empty)) as writer:
        writer.add_node(Node(id=1, location=(37.6, 55.6), version=1))
    with pytest.raises(TravelError, match="no road"):
        build_road_graph(empty)


# --- times by hand ---------------------------------------------------------------------


def test_block_takes_90_s(grid: RoadTravelTimes) -> None:
    """A 500-m residential block at 20 km/h takes 90 s; a primary block at 50 km/h 36 s (a
    little less: the top row is 1 km further north, where a degree of longitude is shorter)."""
    assert seconds(grid, 1, 5) == pytest.approx(90.0, abs=0.01)
    assert path_m([1, 5]) == pytest.approx(BLOCK_M, abs=0.02)
    assert seconds(grid, 9, 10) == pytest.approx(path_s([9, 10]))
    assert 35.9 < seconds(grid, 9, 10) < 36.0


def test_one_way_street_goes_round_the_block(grid: RoadTravelTimes, tmp_path: Path) -> None:
    """2 -> 1 drives the one-way street (90 s); 1 -> 2 goes round by the fast top row,
    1-5-9-10-6-2 (4 residential blocks and one primary: 396 s), since 5-6 is slow."""
    assert seconds(grid, 2, 1) == pytest.approx(path_s([2, 1]))
    assert seconds(grid, 1, 2) == pytest.approx(path_s([1, 5, 9, 10, 6, 2]))
    assert seconds(grid, 1, 2) == pytest.approx(396.0, abs=0.2)
    two_way = built_without(tmp_path, "oneway")
    assert seconds(two_way, 1, 2) == pytest.approx(path_s([1, 2]))


def test_slow_road_is_avoided(grid: RoadTravelTimes) -> None:
    """5-6 at maxspeed 5 would take 360 s; 5-9-10-6 takes 216 s and is chosen both ways."""
    assert path_s([5, 6]) == pytest.approx(360.0, abs=0.1)
    assert seconds(grid, 5, 6) == pytest.approx(path_s([5, 9, 10, 6]))
    assert seconds(grid, 6, 5) == pytest.approx(path_s([6, 10, 9, 5]))


def test_closed_road_changes_the_route(grid: RoadTravelTimes, tmp_path: Path) -> None:
    """6-7 is closed (access=no): 6 -> 7 goes 6-10-11-7 (216 s) instead of 90 s."""
    assert seconds(grid, 6, 7) == pytest.approx(path_s([6, 10, 11, 7]))
    assert seconds(built_without(tmp_path, "closed"), 6, 7) == pytest.approx(path_s([6, 7]))


def test_construction_changes_the_route(grid: RoadTravelTimes, tmp_path: Path) -> None:
    """2-3 is under construction and 6-7 closed: 2 -> 3 goes 2-6-10-11-7-3."""
    assert seconds(grid, 2, 3) == pytest.approx(path_s([2, 6, 10, 11, 7, 3]))
    open_road = built_without(tmp_path, "construction")
    assert seconds(open_road, 2, 3) == pytest.approx(path_s([2, 3]))


def test_hgv_no_keeps_the_truck_out(grid: RoadTravelTimes, tmp_path: Path) -> None:
    """7-8 is hgv=no: 7 -> 8 goes 7-11-12-8 (216 s) instead of 90 s."""
    assert seconds(grid, 7, 8) == pytest.approx(path_s([7, 11, 12, 8]))
    assert seconds(built_without(tmp_path, "hgv"), 7, 8) == pytest.approx(path_s([7, 8]))


def test_maxweight_depends_on_the_truck(grid_pbf: Path, grid: RoadTravelTimes) -> None:
    """3-4 carries maxweight=7.5: a 12-t truck goes 3-7-11-12-8-4 (7-8 is hgv=no), a 5-t
    truck drives straight through."""
    assert seconds(grid, 3, 4) == pytest.approx(path_s([3, 7, 11, 12, 8, 4]))
    light = RoadTravelTimes(build_road_graph(grid_pbf, 5.0).graph)
    assert seconds(light, 3, 4) == pytest.approx(path_s([3, 4]))


def test_distance_follows_the_fastest_route(grid: RoadTravelTimes) -> None:
    """``distance_km`` is the length of the route the time was measured on, not the line."""
    assert grid.distance_km(location(1), location(2)) == pytest.approx(
        path_m([1, 5, 9, 10, 6, 2]) / 1000.0
    )
    assert grid.distance_km(location(2), location(1)) == pytest.approx(path_m([2, 1]) / 1000)
    assert grid.distance_km(location(1), location(1)) == 0.0


def test_hour_of_day_factors(grid: RoadTravelTimes) -> None:
    """The offline provider's factors apply: at 18:00 (factor 0.5) a drive takes twice as
    long; ``worst_matrix_min`` takes the slowest of the hours asked."""
    night = grid.duration_min(location(1), location(12), NIGHT)
    assert grid.duration_min(location(1), location(12), at(18)) == pytest.approx(night / 0.5)
    places = [location(n) for n in (1, 6, 12)]
    worst = grid.worst_matrix_min(places, [2, 10, 18])
    assert worst[0, 2] == pytest.approx(night / min(MOSCOW_SPEED_FACTORS[h] for h in (2, 10, 18)))
    assert np.all(np.diag(worst) == 0.0)


def test_snap_adds_the_walk_to_the_road_at_a_slow_speed(grid: RoadTravelTimes) -> None:
    """A place 100 m north of node 12 (off the grid) snaps to node 12 and adds 100 m at
    10 km/h (36 s) to every drive from or to it."""
    north = Location(location(12).lat + (location(9).lat - location(5).lat) / 5, location(12).lon)
    off_m = haversine_km(north, location(12)) * 1000.0
    assert off_m == pytest.approx(100.0, abs=0.01)
    assert seconds_between(grid, location(8), north) == pytest.approx(90.0 + 36.0, abs=0.01)
    assert grid.distance_km(location(8), north) == pytest.approx(0.6, abs=1e-5)


def seconds_between(travel: RoadTravelTimes, a: Location, b: Location) -> float:
    """Free-flow seconds between two places."""
    return travel.duration_min(a, b, NIGHT) * 60.0


def test_places_on_one_node_are_the_straight_line_apart(grid: RoadTravelTimes) -> None:
    """Two places that snap to the same node are the straight line apart at the snap speed,
    not twice their distance to the node."""
    a = Location(location(6).lat + 0.0001, location(6).lon)
    b = Location(location(6).lat + 0.0002, location(6).lon)
    line_m = haversine_km(a, b) * 1000.0
    assert seconds_between(grid, a, b) == pytest.approx(line_m / (10 / 3.6))


def test_one_matrix_per_block_of_places(grid_pbf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The solver's 24 hourly matrices over one set of places cost one many-to-many block;
    legs between known places cost nothing more."""
    travel = RoadTravelTimes(build_road_graph(grid_pbf).graph)
    calls: list[tuple[int, int]] = []
    compute = travel._free_flow_s

    def counted(origins: Any, destinations: Any) -> np.ndarray:
        calls.append((len(origins), len(destinations)))
        return compute(origins, destinations)

    monkeypatch.setattr(travel, "_free_flow_s", counted)
    places = [location(n) for n in range(1, 13)]
    for hour in range(24):
        travel.worst_matrix_min(places, [hour])
    travel.duration_min(places[0], places[5], at(9))
    assert calls == [(12, 12)]
    travel.duration_min(places[0], location(TRAP), NIGHT)
    assert calls == [(12, 12), (1, 13), (12, 1)]


def test_places_added_one_by_one_match_one_block(grid_pbf: Path) -> None:
    """Places registered one at a time (rows forward from the new place, columns backward
    to it on the reversed graph) give the same matrix as all places in one forward block."""
    graph = build_road_graph(grid_pbf).graph
    places = [location(n) for n in range(1, 13)]
    one_block = RoadTravelTimes(graph).worst_matrix_min(places, [2])
    one_by_one = RoadTravelTimes(graph)
    for place in places:
        one_by_one.warm([place])
    assert np.allclose(one_by_one.worst_matrix_min(places, [2]), one_block)
    assert one_block[0, 1] > one_block[1, 0]


def test_unreachable_pairs_get_a_large_finite_time(
    grid_pbf: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Snapped to any node, the dead end behind the one-way street 4 -> 13 can be reached but
    not left: leaving it counts ``UNREACHABLE_MIN`` at every hour, with a warning, and no
    matrix holds inf or NaN. Snapped to the main component (the default) it is reachable."""
    anywhere = RoadTravelTimes(build_road_graph(grid_pbf).graph, snap_to_main_component=False)
    places = [location(1), location(TRAP)]
    with caplog.at_level(logging.WARNING, logger="scheduler.roads"):
        matrix = anywhere.worst_matrix_min(places, [18])
    assert np.all(np.isfinite(matrix))
    assert matrix[1, 0] == UNREACHABLE_MIN
    assert matrix[0, 1] == pytest.approx(anywhere.duration_min(places[0], places[1], at(18)))
    assert matrix[0, 1] < 60
    assert "no route" in caplog.text
    assert anywhere.duration_min(places[1], places[0], at(3)) == UNREACHABLE_MIN
    default = RoadTravelTimes(build_road_graph(grid_pbf).graph)
    assert default.duration_min(places[1], places[0], at(3)) < 60


# --- the cache -------------------------------------------------------------------------


def test_cache_round_trip(grid_pbf: Path, grid: RoadTravelTimes, tmp_path: Path) -> None:
    """A saved cache loads to the same arrays and metadata and gives the same times."""
    cache = tmp_path / "grid.roads.npz"
    grid.graph.save(cache)
    loaded = RoadGraph.load(cache)
    for name in ("lat", "lon", "main", "indptr", "indices", "seconds", "metres"):
        assert np.array_equal(getattr(loaded, name), getattr(grid.graph, name)), name
    assert loaded.meta["source"] == "grid.osm.pbf" and loaded.meta["format"] == 1
    again = RoadTravelTimes.from_cache(cache)
    places = [location(n) for n in range(1, 13)]
    assert np.allclose(again.worst_matrix_min(places, [8]), grid.worst_matrix_min(places, [8]))


def test_bad_caches_are_clear_errors(grid: RoadTravelTimes, tmp_path: Path) -> None:
    """A missing file, a file that is not a cache, a cache without its arrays and one whose
    edges point nowhere are each a ``TravelError`` naming the file."""
    with pytest.raises(TravelError, match="no such file"):
        RoadGraph.load(tmp_path / "missing.npz")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip at all")
    with pytest.raises(TravelError, match="not a road cache"):
        RoadGraph.load(junk)
    partial = tmp_path / "partial.npz"
    np.savez(partial, lat=grid.graph.lat)
    with pytest.raises(TravelError, match="missing"):
        RoadGraph.load(partial)
    broken = tmp_path / "broken.npz"
    arrays = {n: getattr(grid.graph, n) for n in ("lat", "lon", "main", "indptr", "seconds")}
    arrays["indices"] = grid.graph.indices + 100
    arrays["metres"] = grid.graph.metres
    np.savez(broken, **arrays, meta=np.array(json.dumps({"format": 1})))
    with pytest.raises(TravelError, match="corrupt"):
        RoadGraph.load(broken)


def test_travel_provider_choice(grid: RoadTravelTimes, tmp_path: Path) -> None:
    """``travel_provider`` gives the road graph for a cache, OSRM for a URL, offline for
    neither, and refuses both."""
    cache = tmp_path / "grid.roads.npz"
    grid.graph.save(cache)
    assert isinstance(travel_provider(roads_cache=cache), RoadTravelTimes)
    assert isinstance(travel_provider(), OfflineTravelTimes)
    with pytest.raises(Exception, match="not both"):
        travel_provider(roads_cache=cache, osrm_url="http://localhost:5000")


# --- command line ----------------------------------------------------------------------


def test_cli_build_plan_and_check_on_roads(grid_pbf: Path, tmp_path: Path) -> None:
    """``roads build`` prints what it read and writes the cache; ``plan --roads`` plans on it
    (the plan's driving time is the road graph's, not the offline estimate's) and passes
    ``verify`` with the same provider; ``check --roads`` agrees."""
    cache = tmp_path / "grid.roads.npz"
    built = invoke("roads", "build", grid_pbf, "--out", cache, "--truck-weight", "12")
    assert_clean_exit(built, 0)
    text = flat(built)
    assert "Read 18 highway ways, kept 14" in text
    assert "closed 1, construction 1, hgv 1, maxweight 1" in text
    assert "13 nodes, 26 directed edges" in text
    assert cache.is_file()

    scenario, plan_file = grid_scenario(tmp_path / "grid.json"), tmp_path / "plan.json"
    planned = invoke("plan", scenario, "--out", plan_file, "--time-limit", "2", "--roads", cache)
    assert_clean_exit(planned, 0)
    problem = schemas.load_scenario(scenario)
    plan = schemas.load_plan(plan_file)
    roads = RoadTravelTimes.from_cache(cache)
    assert plan.stats.served_venues == 3
    assert verify(problem, plan, roads) == []
    on_roads = plan_stats(problem, plan, roads).travel_min
    assert plan.stats.travel_min == pytest.approx(on_roads, abs=0.05)
    assert plan_stats(problem, plan, OfflineTravelTimes()).travel_min != pytest.approx(on_roads)
    assert_clean_exit(invoke("check", scenario, plan_file, "--roads", cache), 0)


def test_cli_bad_cache_is_a_clear_error(grid_pbf: Path, tmp_path: Path) -> None:
    """A missing or corrupt ``--roads`` cache, or a missing OSM file, ends with exit 2 and a
    message naming the file, never a traceback."""
    scenario, plan_file = grid_scenario(tmp_path / "grid.json"), tmp_path / "plan.json"
    missing = invoke("plan", scenario, "--out", plan_file, "--roads", tmp_path / "none.npz")
    assert_clean_exit(missing, 2)
    assert "road cache" in flat(missing) and "none.npz" in flat(missing)
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"PK\x03\x04 broken")
    bad = invoke("plan", scenario, "--out", plan_file, "--roads", corrupt)
    assert_clean_exit(bad, 2)
    assert "not a road cache" in flat(bad)
    no_osm = invoke("roads", "build", tmp_path / "none.osm.pbf")
    assert_clean_exit(no_osm, 2)
    assert "no such file" in flat(no_osm)
