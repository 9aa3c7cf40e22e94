"""Tests for ``scheduler.roads.OsrmTravelTimes`` against a small OSRM Table API server run in
a thread, which answers from ``RoadTravelTimes`` on the ``osm_grid`` streets: the two
providers must agree on every pair; batches, retries, timeouts and garbage answers are
exercised through the same server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from osm_grid import grid_scenario, location, write_grid
from typer.testing import CliRunner

from scheduler import schemas
from scheduler.checks import verify
from scheduler.cli import app
from scheduler.config import Settings
from scheduler.domain import Location
from scheduler.errors import TravelError
from scheduler.roads import OsrmTravelTimes, RoadTravelTimes, build_road_graph

MOSCOW = ZoneInfo("Europe/Moscow")
FREE_FLOW = (1.0,) * 24
PLACES = [
    Location(round(location(n).lat + 0.0001, 6), round(location(n).lon, 6))
    for n in (1, 3, 6, 8, 11)
]
"""Five places near the grid's corners, at six decimals (as OSRM coordinates travel)."""

Answer = Callable[[list[Location], list[int], list[int]], tuple[int, bytes]]


@dataclass
class TableServer:
    """An OSRM Table API stand-in: ``answer`` turns (places, sources, destinations) into an
    HTTP status and body; every request's query is kept in ``requests``."""

    url: str
    answer: Answer
    requests: list[tuple[int, int]] = field(default_factory=list)


@pytest.fixture(scope="module")
def roads(tmp_path_factory: pytest.TempPathFactory) -> RoadTravelTimes:
    """The grid's road graph at free flow: the server's source of truth."""
    pbf = write_grid(tmp_path_factory.mktemp("osm") / "grid.osm.pbf")
    return RoadTravelTimes(build_road_graph(pbf).graph, speed_factors=FREE_FLOW)


def table_from(roads: RoadTravelTimes) -> Answer:
    """Answer like OSRM from the road graph: durations in seconds, distances in metres."""

    def answer(places: list[Location], sources: list[int], targets: list[int]) -> tuple[int, bytes]:
        night = datetime(2026, 7, 1, 3, tzinfo=MOSCOW)
        durations = [
            [roads.duration_min(places[s], places[t], night) * 60 for t in targets] for s in sources
        ]
        distances = [
            [roads.distance_km(places[s], places[t]) * 1000 for t in targets] for s in sources
        ]
        body = {"code": "Ok", "durations": durations, "distances": distances}
        return 200, json.dumps(body).encode()

    return answer


@pytest.fixture
def server(roads: RoadTravelTimes) -> Iterator[TableServer]:
    """A running Table API server answering from the road graph (tests may swap ``answer``)."""
    state = TableServer("", table_from(roads))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            coordinates = parts.path.rsplit("/", 1)[-1]
            places = [
                Location(float(lat), float(lon))
                for lon, lat in (pair.split(",") for pair in coordinates.split(";"))
            ]
            query = parse_qs(parts.query)
            sources = [int(i) for i in query["sources"][0].split(";")]
            targets = [int(i) for i in query["destinations"][0].split(";")]
            assert query["annotations"] == ["duration,distance"]
            state.requests.append((len(sources), len(targets)))
            status, body = state.answer(places, sources, targets)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, format: str, *args: Any) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield state
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def client(server: TableServer, **options: Any) -> OsrmTravelTimes:
    """An OSRM provider for the test server, quick to give up unless told otherwise."""
    settings: dict[str, Any] = {"batch_size": 2, "timeout_s": 2.0, "retries": 0}
    return OsrmTravelTimes(server.url, **(settings | options))


def test_both_providers_agree_on_every_pair(server: TableServer, roads: RoadTravelTimes) -> None:
    """With the same hour-of-day factors, OSRM (answering from the road graph) and the road
    graph give the same minutes for every pair and hour, and the same kilometres."""
    osrm = client(server)
    graph = RoadTravelTimes(roads.graph)
    for hour in (3, 8, 18):
        assert np.allclose(
            osrm.worst_matrix_min(PLACES, [hour]), graph.worst_matrix_min(PLACES, [hour])
        )
    for a in PLACES:
        for b in PLACES:
            depart = datetime(2026, 7, 1, 18, 30, tzinfo=MOSCOW)
            assert osrm.duration_min(a, b, depart) == pytest.approx(
                graph.duration_min(a, b, depart)
            )
            assert osrm.distance_km(a, b) == pytest.approx(graph.distance_km(a, b))
    assert osrm.duration_min(PLACES[0], PLACES[3], datetime(2026, 7, 1, 2, tzinfo=MOSCOW)) > 5
    osrm.close()


def test_requests_are_batched(server: TableServer) -> None:
    """Five places with batches of two are 3 x 3 = 9 requests of at most 2 x 2; asking again
    sends nothing; one new place adds its row and its column, in batches."""
    osrm = client(server)
    osrm.worst_matrix_min(PLACES, [12])
    assert len(server.requests) == 9
    assert all(s <= 2 and d <= 2 for s, d in server.requests)
    assert sorted(server.requests).count((2, 2)) == 4
    osrm.worst_matrix_min(PLACES, [18])
    osrm.duration_min(PLACES[0], PLACES[4], datetime(2026, 7, 1, 9, tzinfo=MOSCOW))
    assert len(server.requests) == 9
    osrm.warm([location(12)])
    assert server.requests[9:] == [(1, 2), (1, 2), (1, 2), (2, 1), (2, 1), (1, 1)]


def test_timeout_is_a_clear_error(server: TableServer) -> None:
    """A server slower than the timeout is retried, then a ``TravelError`` saying so."""
    answer = server.answer

    def slow(places: list[Location], sources: list[int], targets: list[int]) -> tuple[int, bytes]:
        time.sleep(0.6)
        return answer(places, sources, targets)

    server.answer = slow
    osrm = client(server, timeout_s=0.2, retries=1, backoff_s=0.01)
    with pytest.raises(TravelError, match="did not answer in time \\(2 tries\\)"):
        osrm.worst_matrix_min(PLACES[:2], [12])
    assert len(server.requests) == 2


def test_failure_then_success_is_retried(server: TableServer) -> None:
    """503 twice, then a good answer: the provider retries with backoff and succeeds."""
    answer = server.answer
    failures = [2]

    def flaky(places: list[Location], sources: list[int], targets: list[int]) -> tuple[int, bytes]:
        if failures[0] > 0:
            failures[0] -= 1
            return 503, b"busy"
        return answer(places, sources, targets)

    server.answer = flaky
    osrm = client(server, retries=2, backoff_s=0.01, batch_size=100)
    matrix = osrm.worst_matrix_min(PLACES, [3])
    assert len(server.requests) == 3
    assert matrix[0, 1] > 0 and np.all(np.isfinite(matrix))


def test_retries_run_out(server: TableServer) -> None:
    """A server that keeps failing with 503 ends in a ``TravelError`` quoting its answer."""
    server.answer = lambda places, sources, targets: (503, b"<html>overloaded</html>")
    osrm = client(server, retries=1, backoff_s=0.01)
    with pytest.raises(TravelError, match="HTTP 503 with something that is not JSON"):
        osrm.worst_matrix_min(PLACES[:2], [3])
    assert len(server.requests) == 2


def garbage(status: int, body: Any) -> Answer:
    """An answer that is always ``body`` (JSON-encoded unless bytes) with ``status``."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return lambda places, sources, targets: (status, data)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (garbage(200, b"<html>hello</html>"), "not JSON"),
        (garbage(200, [1, 2]), "not an object"),
        (garbage(400, {"code": "TooBig", "message": "Too many"}), "code 'TooBig'.*Too many"),
        (garbage(200, {"code": "Ok", "durations": [[0.0]], "distances": [[0.0]]}), "2 x 2"),
        (
            garbage(
                200, {"code": "Ok", "durations": [[0, None], [1, 0]], "distances": [[0, 1]] * 2}
            ),
            "null",
        ),
        (garbage(200, {"code": "Ok", "durations": [[0, 1], [1, 0]]}), "'distances' is not"),
        (
            garbage(
                200, {"code": "Ok", "durations": [[0, "x"], [1, 0]], "distances": [[0, 1]] * 2}
            ),
            "non-numeric",
        ),
    ],
    ids=["html", "array", "osrm-error", "shape", "null", "no-distances", "text"],
)
def test_garbage_answers_are_clear_errors(
    server: TableServer, answer: Answer, message: str
) -> None:
    """Anything that is not a Table API answer of the asked shape is a ``TravelError``, not
    retried, and the provider keeps no half-computed places."""
    server.answer = answer
    osrm = client(server, retries=2)
    with pytest.raises(TravelError, match=message):
        osrm.worst_matrix_min(PLACES[:2], [3])
    assert len(server.requests) == 1
    with pytest.raises(TravelError):
        osrm.duration_min(PLACES[0], PLACES[1], datetime(2026, 7, 1, 3, tzinfo=MOSCOW))


def test_unreachable_server_is_a_clear_error() -> None:
    """Nothing listening at the URL: a ``TravelError`` naming it."""
    osrm = OsrmTravelTimes("http://127.0.0.1:9", retries=0, timeout_s=1.0)
    with pytest.raises(TravelError, match="cannot be reached"):
        osrm.worst_matrix_min(PLACES[:2], [3])


def test_settings_read_the_osrm_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """``SCHEDULER_OSRM_URL`` and ``SCHEDULER_ROADS_CACHE`` land in the settings."""
    monkeypatch.setenv("SCHEDULER_OSRM_URL", "http://osrm:5000")
    monkeypatch.setenv("SCHEDULER_ROADS_CACHE", "/data/moscow.roads.npz")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.osrm_url == "http://osrm:5000"
    assert settings.roads_cache == Path("/data/moscow.roads.npz")


def test_cli_plan_with_osrm(server: TableServer, tmp_path: Path, roads: RoadTravelTimes) -> None:
    """``plan --osrm URL`` plans on the server's times (the plan passes ``verify`` with the
    road graph, which agrees); a server answering garbage ends with exit 2 and a message."""
    scenario, plan_file = grid_scenario(tmp_path / "grid.json"), tmp_path / "plan.json"
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["plan", str(scenario), "--out", str(plan_file), "--time-limit", "2", "--osrm", server.url],
    )
    assert result.exit_code == 0, result.output
    problem = schemas.load_scenario(scenario)
    assert verify(problem, schemas.load_plan(plan_file), RoadTravelTimes(roads.graph)) == []
    server.answer = garbage(200, b"nonsense")
    failed = runner.invoke(app, ["check", str(scenario), str(plan_file), "--osrm", server.url])
    assert failed.exit_code == 2, failed.output
    assert "Traceback" not in failed.output
    assert "not JSON" in " ".join(failed.output.split())
