"""API throughput benchmark: the driver, public and iCal endpoints against ``GET /api/health``.

    python benchmarks/api.py                    # 32 connections, 15 s per endpoint (~2 min)
    python benchmarks/api.py --quick            # 2 s per endpoint (smoke run)
    python benchmarks/api.py --connections 64 --seconds 30 --port 8123

Starts ``scheduler serve --demo`` (one web worker, the in-process job backend) on a temporary
SQLite database, waits until the demo plan is published, logs in as driver1 and planner, and
loads each endpoint in turn from one lean asyncio HTTP/1.1 client (N keep-alive connections,
bodies drained, latency per request with ``time.perf_counter``): health, the driver's day, the
public screenings of a week and the public iCalendar feed. Then it starts a solve job and loads
the driver endpoint again while the solve runs on the other core.

Prints requests/s, the ratio to health's rate, p50/p99 latency, errors, and the CPU the server
process and this client used, then the targets as PASS/FAIL lines: every endpoint >= 40 % of
health's rate; the driver's p99 under a running solve <= 3x its idle p99. Exit code 1 when
any request failed (non-2xx or a broken connection), 2 when the set-up failed; a missed target
is printed, not an exit code.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console
from rich.table import Table

from scheduler.bootstrap import DEMO_USERS

console = Console(width=150)

HOST = "127.0.0.1"
DAY = "2026-07-01"
WEEK_END = "2026-07-07"
RATE_TARGET = 0.40
"""Each endpoint's rate as a share of health's, at least."""
P99_TARGET = 3.0
"""The driver endpoint's p99 under a running solve, as a multiple of its idle p99, at most."""

T = TypeVar("T")


# --- the load client --------------------------------------------------------------------


class ProtocolError(Exception):
    """The server's answer is not HTTP/1.1 as this client reads it."""


@dataclass
class LoadResult:
    """What one load run measured."""

    label: str
    seconds: float
    latencies_s: list[float] = field(default_factory=list)
    """One entry per completed response (any status)."""
    statuses: Counter[int] = field(default_factory=Counter)
    failures: int = 0
    """Requests that got no complete response (a refused or broken connection, bad HTTP)."""
    body_bytes: int = 0
    client_cpu_s: float = 0.0
    server_cpu_s: float | None = None

    @property
    def requests(self) -> int:
        return len(self.latencies_s)

    @property
    def errors(self) -> int:
        """Non-2xx responses plus requests without a complete response."""
        ok = sum(n for status, n in self.statuses.items() if 200 <= status < 300)
        return self.requests - ok + self.failures

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def percentile_ms(self, pct: float) -> float:
        return percentile(self.latencies_s, pct) * 1000 if self.latencies_s else math.nan

    @property
    def mean_body_kb(self) -> float:
        return self.body_bytes / self.requests / 1024 if self.requests else 0.0


def percentile(values: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile: the smallest value with at least ``pct`` % of the values
    at or below it (p50 of 1..100 is 50, p99 is 99, p100 the maximum)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 < pct <= 100:
        raise ValueError(f"percentile {pct} is outside (0, 100]")
    ordered = sorted(values)
    rank = math.ceil(pct / 100 * len(ordered))
    return ordered[max(rank, 1) - 1]


def build_request(host: str, port: int, path: str, headers: dict[str, str] | None = None) -> bytes:
    """The bytes of one keep-alive ``GET``."""
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Accept: */*"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def read_response(reader: asyncio.StreamReader) -> tuple[int, int, bool]:
    """Read one response to its end: (status, body bytes, whether the connection stays open).
    The body is drained by Content-Length, chunked transfer coding, or until the server closes.
    """
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise ProtocolError(f"bad status line {lines[0][:80]!r}")
    status = int(parts[1])
    keep_alive = parts[0] == b"HTTP/1.1"
    length: int | None = None
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            value = value.strip().lower()
            keep_alive = value == b"keep-alive" or (keep_alive and value != b"close")
    if status < 200 or status in (204, 304):
        return status, 0, keep_alive
    if chunked:
        body = 0
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip(), 16)
            if size == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                    pass
                return status, body, keep_alive
            await reader.readexactly(size + 2)
            body += size
    if length is not None:
        await reader.readexactly(length)
        return status, length, keep_alive
    return status, len(await reader.read()), False


async def _connect(host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection(host, port)
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return reader, writer


def _close(writer: asyncio.StreamWriter | None) -> None:
    if writer is not None:
        with contextlib.suppress(Exception):
            writer.close()


async def load(
    host: str,
    port: int,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    connections: int = 32,
    seconds: float = 15.0,
    label: str = "",
) -> LoadResult:
    """Keep ``connections`` connections busy with ``GET path`` for ``seconds``: each sends
    its next request as soon as the previous response has been read. Connections are opened
    before the clock starts; a broken one counts a failure and is reopened."""
    request = build_request(host, port, path, headers)
    result = LoadResult(label=label or path, seconds=seconds)
    opened = await asyncio.gather(
        *(_connect(host, port) for _ in range(connections)), return_exceptions=True
    )
    cpu = time.process_time()
    started = time.perf_counter()
    deadline = started + seconds

    async def worker(conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None) -> None:
        reader, writer = conn if conn is not None else (None, None)
        latencies, statuses = result.latencies_s, result.statuses
        clock = time.perf_counter
        while clock() < deadline:
            sent = clock()
            try:
                if reader is None or writer is None:
                    reader, writer = await _connect(host, port)
                writer.write(request)
                status, size, keep_alive = await read_response(reader)
            except (OSError, EOFError, asyncio.LimitOverrunError, ValueError, ProtocolError):
                result.failures += 1
                _close(writer)
                reader = writer = None
                await asyncio.sleep(0.01)
                continue
            latencies.append(clock() - sent)
            statuses[status] += 1
            result.body_bytes += size
            if not keep_alive:
                _close(writer)
                reader = writer = None
        _close(writer)

    await asyncio.gather(*(worker(c if isinstance(c, tuple) else None) for c in opened))
    result.seconds = time.perf_counter() - started
    result.client_cpu_s = time.process_time() - cpu
    return result


def run_async(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine on uvloop when it is installed (it comes with uvicorn[standard])."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        return asyncio.run(factory())
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(factory())


# --- a raw server: the client's own ceiling ---------------------------------------------

RAW_BODY = b'{"status":"ok","database":{"ok":true,"detail":"sqlite"},"jobs":{"ok":true}}'
RAW_RESPONSE = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
    + f"content-length: {len(RAW_BODY)}\r\n\r\n".encode()
    + RAW_BODY
)


async def _raw_handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(RAW_RESPONSE)
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def _serve_raw(port: int) -> None:
    server = await asyncio.start_server(_raw_handler, HOST, port)
    async with server:
        await server.serve_forever()


# --- the service under test ---------------------------------------------------------------


class SetupError(Exception):
    """The server did not come up, or no plan got published."""


class Api:
    """Small blocking JSON client for the set-up steps (stdlib only, no proxies)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        form: dict[str, str] | None = None,
        timeout_s: float = 30.0,
    ) -> tuple[int, Any]:
        """(status, parsed JSON body or text); connection errors raise OSError."""
        headers = {"Accept": "application/json"}
        data = None
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data, headers, method=method)
        try:
            with self._opener.open(request, timeout=timeout_s) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode("utf-8", "replace")

    def login(self, name: str, password: str) -> str:
        status, body = self.call(
            "POST", "/api/auth/token", form={"username": name, "password": password}
        )
        if status != 200:
            raise SetupError(f"login as {name}: {status} {body}")
        return str(body["access_token"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def scheduler_command() -> list[str]:
    """``scheduler`` next to this Python (the venv), else on PATH, else via the module."""
    beside = Path(sys.executable).with_name("scheduler")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("scheduler")
    if found:
        return [found]
    return [sys.executable, "-c", "from scheduler.cli import app; app()"]


def start_server(port: int, data_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    """``scheduler serve --demo`` on its own SQLite file, in its own process group."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHEDULER_")}
    env["SCHEDULER_DATA_DIR"] = str(data_dir)
    env["SCHEDULER_DATABASE_URL"] = f"sqlite:///{data_dir / 'scheduler.db'}"
    with log.open("wb") as out:
        return subprocess.Popen(
            [*scheduler_command(), "serve", "--demo", "--host", HOST, "--port", str(port)],
            cwd=data_dir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Terminate and wait; kill the server's process group if it does not stop."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of one process (not its children), from /proc; None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until(
    what: str, check: Callable[[], T | None], timeout_s: float, every_s: float = 0.5
) -> T:
    """Call ``check`` until it returns something other than None."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = check()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise SetupError(f"gave up waiting for {what} after {timeout_s:.0f} s")
        time.sleep(every_s)


# --- the benchmark ------------------------------------------------------------------------


@dataclass
class Service:
    """The running server and what the load needs from it."""

    api: Api
    process: subprocess.Popen[bytes]
    port: int
    driver_token: str
    planner_token: str
    season_id: int = 0


def _server_alive(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        raise SetupError(f"the server exited with code {process.returncode}")


def wait_healthy(api: Api, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    """Until ``GET /api/health`` answers 200."""

    def check() -> bool | None:
        _server_alive(process)
        try:
            status, _ = api.call("GET", "/api/health", timeout_s=5)
        except OSError:
            return None
        return True if status == 200 else None

    wait_until("GET /api/health", check, timeout_s)


def _job(api: Api, token: str, job_id: str) -> dict[str, Any]:
    status, body = api.call("GET", f"/api/jobs/{job_id}", token=token)
    if status != 200:
        raise SetupError(f"GET /api/jobs/{job_id}: {status} {body}")
    return dict(body)


def _jobs(api: Api, token: str) -> list[dict[str, Any]]:
    status, body = api.call("GET", "/api/jobs", token=token)
    if status != 200:
        raise SetupError(f"GET /api/jobs: {status} {body}")
    items = body.get("items", body) if isinstance(body, dict) else body
    return [dict(item) for item in items]


def start_solve(service: Service, *, time_limit_s: float, publish: bool) -> str:
    """``POST /api/seasons/{id}/plans`` as planner; the job id."""
    path = f"/api/seasons/{service.season_id}/plans"
    body = {"time_limit_s": time_limit_s, "publish": publish}
    status, answer = service.api.call("POST", path, token=service.planner_token, body=body)
    if status != 202:
        raise SetupError(f"POST {path}: {status} {answer}")
    return str(answer["id"])


def wait_published(service: Service, timeout_s: float) -> int:
    """Until driver1's day has a published plan (the demo job's, or one this benchmark starts
    with publish=true when the demo job ended without publishing); the number of stops."""
    api, own_job = service.api, ""
    path = f"/api/driver/today?date={DAY}"

    def check() -> int | None:
        nonlocal own_job
        _server_alive(service.process)
        status, body = api.call("GET", path, token=service.driver_token)
        if status == 200 and body.get("plan"):
            service.season_id = int(body["plan"]["season_id"])
            return len(body["stops"])
        if status not in (200, 404):
            raise SetupError(f"GET {path}: {status} {body}")
        jobs = _jobs(api, service.planner_token)
        if own_job:
            job = _job(api, service.planner_token, own_job)
            if job["state"] in ("failed", "cancelled"):
                raise SetupError(f"the publishing solve {own_job} ended {job['state']}: {job}")
        elif jobs and all(job["state"] not in ("queued", "running") for job in jobs):
            service.season_id = int(jobs[0]["season_id"])
            own_job = start_solve(service, time_limit_s=30, publish=True)
            console.print(f"No published plan after the demo job: started job {own_job}.")
        return None

    try:
        return wait_until("a published demo plan", check, timeout_s, every_s=1.0)
    except SetupError as error:
        states = [
            {k: job.get(k) for k in ("id", "state", "backend", "elapsed_s", "plan_id", "error")}
            for job in _jobs(api, service.planner_token)
        ]
        raise SetupError(f"{error}; jobs: {states}") from None


def measure(
    service: Service, label: str, path: str, token: str | None, args: argparse.Namespace
) -> LoadResult:
    """Warm up, then load one endpoint; the server's CPU seconds ride along."""
    headers = {"Authorization": f"Bearer {token}"} if token else None
    options: dict[str, Any] = {"headers": headers, "connections": args.connections}
    run_async(lambda: load(HOST, service.port, path, seconds=args.warmup, **options))
    before = cpu_seconds(service.process.pid)
    result = run_async(
        lambda: load(HOST, service.port, path, seconds=args.seconds, label=label, **options)
    )
    after = cpu_seconds(service.process.pid)
    if before is not None and after is not None:
        result.server_cpu_s = after - before
    console.print(
        f"{label}: {result.rate:,.0f} req/s, p99 {result.percentile_ms(99):.1f} ms, "
        f"{result.errors} errors"
    )
    return result


def client_ceiling(args: argparse.Namespace) -> LoadResult:
    """The client against a raw asyncio server (fixed response) in another process."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, __file__, "--raw-server", str(port)], start_new_session=True
    )
    try:

        def listening() -> bool | None:
            with socket.socket() as sock:
                return True if sock.connect_ex((HOST, port)) == 0 else None

        wait_until("the raw server", listening, 20, every_s=0.1)
        seconds = min(args.seconds, 5.0)
        return run_async(
            lambda: load(
                HOST, port, "/", connections=args.connections, seconds=seconds, label="raw"
            )
        )
    finally:
        stop_server(server)


def under_solve(service: Service, args: argparse.Namespace) -> tuple[LoadResult, str]:
    """Start a solve long enough to cover the measurement, load the driver endpoint while
    it runs, cancel it; the result and a note when the solve did not run throughout."""
    limit_s = args.seconds + args.warmup + 60
    job_id = start_solve(service, time_limit_s=limit_s, publish=False)
    api, token = service.api, service.planner_token

    def running() -> bool | None:
        state = _job(api, token, job_id)["state"]
        if state not in ("queued", "running"):
            raise SetupError(f"the solve job {job_id} ended {state} before the measurement")
        return True if state == "running" else None

    wait_until(f"job {job_id} to run", running, 60, every_s=0.2)
    time.sleep(1.0)  # the solver process has loaded the season and is searching
    console.print(f"Solve job {job_id} running ({limit_s:.0f} s limit).")
    path = f"/api/driver/today?date={DAY}"
    result = measure(service, "driver today, solve running", path, service.driver_token, args)
    job = _job(api, token, job_id)
    note = "" if job["state"] == "running" else f"the solve ended ({job['state']}) too early"
    status, body = api.call("DELETE", f"/api/jobs/{job_id}", token=token)
    if status >= 300:
        note += f"; cancelling it answered {status} {body}"
    return result, note


def machine() -> str:
    """CPUs and the 1-minute load average (other work on the machine skews every number)."""
    try:
        load = f"load average {os.getloadavg()[0]:.1f}"
    except OSError:
        load = "load average unknown"
    return f"{os.cpu_count()} CPUs, {load}"


def table(results: list[LoadResult], health: LoadResult, caption: str = "") -> Table:
    """One row per load: rate, its ratio to health, latency, errors, body size, CPU."""
    out = Table(title=f"API throughput: {results[0].seconds:.0f} s per endpoint", caption=caption)
    columns = ("endpoint", "requests/s", "vs health", "p50 ms", "p99 ms", "errors")
    for column in (*columns, "requests", "body KB", "server CPU", "client CPU"):
        out.add_column(column, justify="left" if column == "endpoint" else "right")
    for r in results:
        server = "-" if r.server_cpu_s is None else f"{r.server_cpu_s / r.seconds:.0%}"
        out.add_row(
            r.label,
            f"{r.rate:,.0f}",
            f"{r.rate / health.rate:.0%}" if health.rate else "-",
            f"{r.percentile_ms(50):.1f}",
            f"{r.percentile_ms(99):.1f}",
            f"{r.errors}",
            f"{r.requests:,}",
            f"{r.mean_body_kb:,.1f}",
            server,
            f"{r.client_cpu_s / r.seconds:.0%}",
        )
    return out


def verdict(
    health: LoadResult, endpoints: Sequence[LoadResult], idle: LoadResult, busy: LoadResult
) -> list[str]:
    """The targets as PASS/FAIL lines."""
    lines = []
    for r in endpoints:
        share = r.rate / health.rate if health.rate else 0.0
        mark = "PASS" if share >= RATE_TARGET else "FAIL"
        lines.append(
            f"{mark}  {r.label}: {r.rate:,.0f} req/s = {share:.1%} of health's "
            f"{health.rate:,.0f} (target >= {RATE_TARGET:.0%})"
        )
    idle_p99, busy_p99 = idle.percentile_ms(99), busy.percentile_ms(99)
    factor = busy_p99 / idle_p99 if idle_p99 > 0 else math.inf
    mark = "PASS" if factor <= P99_TARGET else "FAIL"
    lines.append(
        f"{mark}  {idle.label} p99 under a running solve: {busy_p99:.1f} ms = {factor:.1f}x "
        f"idle {idle_p99:.1f} ms (target <= {P99_TARGET:g}x)"
    )
    return lines


def failed_requests(results: Sequence[LoadResult]) -> list[str]:
    """One line per load with failed requests (what makes the exit code 1)."""
    lines = []
    for r in results:
        if r.errors:
            bad = {s: n for s, n in sorted(r.statuses.items()) if not 200 <= s < 300}
            lines.append(f"{r.label}: {r.errors} failed (statuses {bad}, no answer {r.failures})")
    return lines


def benchmark(args: argparse.Namespace, data_dir: Path, log: Path) -> int:
    """Everything between starting and stopping the server; the exit code."""
    before = machine()
    console.print(f"Machine: {before}.")
    ceiling = client_ceiling(args)
    console.print(f"Client ceiling: {ceiling.rate:,.0f} req/s against a raw asyncio server.")
    port = args.port or free_port()
    started = time.monotonic()
    process = start_server(port, data_dir, log)
    try:
        api = Api(f"http://{HOST}:{port}")
        wait_healthy(api, process, args.wait)
        users = {u.name: u.password for u in DEMO_USERS}
        service = Service(
            api,
            process,
            port,
            driver_token=api.login("driver1", users["driver1"]),
            planner_token=api.login("planner", users["planner"]),
        )
        stops = wait_published(service, args.wait)
        console.print(
            f"Demo plan published after {time.monotonic() - started:.0f} s "
            f"(season {service.season_id}; driver1 has {stops} stop(s) on {DAY})."
        )
        if not stops:
            console.print(f"[yellow]driver1 has no stops on {DAY}: the driver row is light.[/]")
        health = measure(service, "health", "/api/health", None, args)
        driver = measure(
            service, "driver today", f"/api/driver/today?date={DAY}", service.driver_token, args
        )
        screenings = measure(
            service,
            "public screenings (week)",
            f"/api/public/screenings?from={DAY}&to={WEEK_END}",
            None,
            args,
        )
        calendar = measure(service, "public calendar.ics", "/api/public/calendar.ics", None, args)
        busy, note = under_solve(service, args)
    finally:
        stop_server(process)
    results = [health, driver, screenings, calendar, busy]
    caption = f"{args.connections} connections; before: {before}; after: {machine()}"
    console.print(table(results, health, caption))
    if health.rate:
        console.print(
            f"Client ceiling (same client, raw asyncio server): {ceiling.rate:,.0f} req/s "
            f"= {ceiling.rate / health.rate:.1f}x health's rate."
        )
    for line in verdict(health, [driver, screenings, calendar], driver, busy):
        console.print(line, style="green" if line.startswith("PASS") else "red", highlight=False)
    if note:
        console.print(f"[yellow]Note: {note}.[/]")
    failures = failed_requests([ceiling, *results])
    for line in failures:
        console.print(f"[red]{line}[/]")
    return 1 if failures else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    parser.add_argument("--seconds", type=float, default=15.0, help="seconds per endpoint")
    parser.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    parser.add_argument("--quick", action="store_true", help="2 s per endpoint (smoke run)")
    parser.add_argument("--wait", type=float, default=300.0, help="seconds to wait for the plan")
    parser.add_argument("--raw-server", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.raw_server:
        with contextlib.suppress(KeyboardInterrupt):
            run_async(lambda: _serve_raw(args.raw_server))
        return
    if args.quick:
        args.seconds = 2.0
    if args.connections < 1 or args.seconds <= 0:
        parser.error("--connections and --seconds must be positive")
    args.warmup = min(1.0, args.seconds / 4)
    with tempfile.TemporaryDirectory(prefix="kinotruck-bench-") as tmp:
        data_dir = Path(tmp)
        log = data_dir / "server.log"
        try:
            code = benchmark(args, data_dir, log)
        except SetupError as error:
            console.print(f"[bold red]Set-up failed:[/] {error}", highlight=False)
            if log.exists():
                tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-30:]
                console.print("\n".join(tail), markup=False, highlight=False)
            code = 2
    sys.exit(code)


if __name__ == "__main__":
    main()
