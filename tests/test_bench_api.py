"""Smoke test of the API benchmark's own machinery (``benchmarks/api.py``), not of the service.

The load client runs against a tiny Starlette app served by uvicorn in a thread (routes that
answer with a Content-Length body, a chunked body, a 500, and ``Connection: close``). It must
count exactly the requests the server saw, drain every body so keep-alive connections stay in
step, reconnect when the server closes, and report non-2xx answers and refused connections as
errors. Percentiles are checked on known data and the PASS/FAIL lines on made-up results.
The full benchmark (``python benchmarks/api.py``, ~2 min) is never started here.
"""

from __future__ import annotations

import importlib.util
import socket
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

ROOT = Path(__file__).resolve().parents[1]
BODY = b"x" * 1000
CHUNKS = (b"first chunk,", b"y" * 5000, b"", b"last")


def _load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_api", ROOT / "benchmarks" / "api.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_api"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


bench = _load_bench()


@dataclass
class Tiny:
    """The tiny server: its port, and per path the requests it answered and client ports."""

    port: int
    hits: Counter[str] = field(default_factory=Counter)
    peers: defaultdict[str, set[int]] = field(default_factory=lambda: defaultdict(set))

    def seen(self, request: Request) -> None:
        self.hits[request.url.path] += 1
        assert request.client is not None
        self.peers[request.url.path].add(request.client.port)


@pytest.fixture(scope="module")
def tiny() -> Iterator[Tiny]:
    """uvicorn serving four routes on a free port, in a daemon thread."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    state = Tiny(port=sock.getsockname()[1])

    async def ok(request: Request) -> Response:
        state.seen(request)
        return Response(BODY, media_type="application/octet-stream")

    async def chunked(request: Request) -> Response:
        state.seen(request)

        async def parts() -> AsyncIterator[bytes]:
            for part in CHUNKS:
                yield part

        return StreamingResponse(parts(), media_type="text/plain")

    async def fail(request: Request) -> Response:
        state.seen(request)
        return PlainTextResponse("broken", status_code=500)

    async def close(request: Request) -> Response:
        state.seen(request)
        return PlainTextResponse("bye", headers={"Connection": "close"})

    routes = [
        Route("/ok", ok),
        Route("/chunked", chunked),
        Route("/fail", fail),
        Route("/close", close),
    ]
    config = uvicorn.Config(
        Starlette(routes=routes), lifespan="off", ws="none", log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the tiny server did not start"
        time.sleep(0.02)
    yield state
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def _load(tiny: Tiny, path: str, connections: int, seconds: float = 0.4) -> Any:
    return bench.run_async(
        lambda: bench.load(
            "127.0.0.1", tiny.port, path, connections=connections, seconds=seconds, label=path
        )
    )


def test_percentile_on_known_data() -> None:
    """Nearest rank: p50 of 1..100 is 50, p99 is 99, p100 the maximum; order does not
    matter; an even count takes the lower middle; no values or a bad rank is an error."""
    values = [float(v) for v in range(100, 0, -1)]
    assert bench.percentile(values, 50) == 50.0
    assert bench.percentile(values, 99) == 99.0
    assert bench.percentile(values, 99.5) == 100.0
    assert bench.percentile(values, 100) == 100.0
    assert bench.percentile(values, 1) == 1.0
    assert bench.percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.0
    assert bench.percentile([7.0], 99) == 7.0
    with pytest.raises(ValueError):
        bench.percentile([], 50)
    with pytest.raises(ValueError):
        bench.percentile([1.0], 0)


def test_result_in_milliseconds_and_rate() -> None:
    """A result's percentiles are in ms, its rate is requests per measured second, and
    errors are the non-2xx answers plus the requests that got no answer."""
    result = bench.LoadResult(
        label="x",
        seconds=2.0,
        latencies_s=[i / 1000 for i in range(1, 101)],
        statuses=Counter({200: 90, 204: 5, 404: 5}),
        failures=3,
    )
    assert result.requests == 100
    assert result.rate == 50.0
    assert result.percentile_ms(50) == pytest.approx(50.0)
    assert result.percentile_ms(99) == pytest.approx(99.0)
    assert result.errors == 5 + 3


def test_client_counts_every_request_on_keep_alive_connections(tiny: Tiny) -> None:
    """Every response read is one request the server answered; 4 connections stay open
    for the whole run; bodies are drained to the byte; latencies are positive."""
    result = _load(tiny, "/ok", connections=4)
    assert result.requests > 20
    assert result.requests == tiny.hits["/ok"]
    assert result.statuses == Counter({200: result.requests})
    assert result.errors == 0 and result.failures == 0
    assert len(tiny.peers["/ok"]) == 4
    assert result.body_bytes == result.requests * len(BODY)
    assert 0 < min(result.latencies_s) <= result.percentile_ms(50) / 1000
    assert result.percentile_ms(50) <= result.percentile_ms(99)
    assert 0.4 <= result.seconds < 2.0
    assert result.rate == pytest.approx(result.requests / result.seconds)


def test_client_drains_chunked_bodies(tiny: Tiny) -> None:
    """A chunked body is read to its last chunk: the next request on the same
    connection gets a clean answer, so nothing fails and every byte is counted."""
    result = _load(tiny, "/chunked", connections=2)
    assert result.requests > 10
    assert result.requests == tiny.hits["/chunked"]
    assert result.errors == 0
    assert result.body_bytes == result.requests * sum(len(c) for c in CHUNKS)
    assert len(tiny.peers["/chunked"]) == 2


def test_non_2xx_answers_are_errors(tiny: Tiny) -> None:
    """A 500 is an answered request and an error; the failure report names the status."""
    result = _load(tiny, "/fail", connections=2)
    assert result.requests > 10
    assert result.requests == tiny.hits["/fail"]
    assert result.statuses == Counter({500: result.requests})
    assert result.errors == result.requests and result.failures == 0
    (line,) = bench.failed_requests([result])
    assert f"{result.requests} failed" in line and "500" in line


def test_client_reconnects_when_the_server_closes(tiny: Tiny) -> None:
    """``Connection: close`` ends the connection after the answer; the client opens a
    new one and nothing counts as an error."""
    result = _load(tiny, "/close", connections=2)
    assert result.requests > 5
    assert result.requests == tiny.hits["/close"]
    assert result.errors == 0
    assert len(tiny.peers["/close"]) > 2  # more connections than the two kept at once


def test_refused_connections_are_errors() -> None:
    """Nothing listening: no request is answered, and every attempt is an error."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = bench.run_async(lambda: bench.load("127.0.0.1", port, "/", connections=2, seconds=0.2))
    assert result.requests == 0
    assert result.failures > 0 and result.errors == result.failures
    assert bench.failed_requests([result])


def test_targets_pass_and_fail() -> None:
    """Each endpoint needs 40 % of health's rate; the driver's p99 under a solve at most
    3x its idle p99. A miss prints FAIL (it is not an error)."""

    def made(label: str, requests: int, latency_ms: float) -> Any:
        return bench.LoadResult(
            label=label,
            seconds=1.0,
            latencies_s=[latency_ms / 1000] * requests,
            statuses=Counter({200: requests}),
        )

    health = made("health", 1000, 2.0)
    driver = made("driver today", 400, 10.0)
    calendar = made("public calendar.ics", 399, 10.0)
    busy = made("driver today, solve running", 300, 30.0)
    lines = bench.verdict(health, [driver, calendar], driver, busy)
    assert [line.split()[0] for line in lines] == ["PASS", "FAIL", "PASS"]
    assert "40.0% of health's 1,000" in lines[0]
    assert "3.0x idle 10.0 ms" in lines[2]
    slower = made("driver today, solve running", 300, 30.1)
    assert bench.verdict(health, [driver], driver, slower)[-1].startswith("FAIL")
    assert bench.failed_requests([health, driver, calendar, busy]) == []
