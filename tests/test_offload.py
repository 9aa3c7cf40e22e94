"""Sub-problems beside the planning process (``solver.offload``, ``jobs.offload``): a window's
regions handed to a runner, whose answer is kept when it is better and ignored when the
runner fails, is late or has no slot; payloads signed for the broker, a tampered one refused
unread; and a real Celery worker on the local Redis (127.0.0.1:6379, which ``.ci/run``
starts; a missing Redis fails these tests, never skips them) routing regions of a solve.
"""

from __future__ import annotations

import multiprocessing
import pickle
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest
from celery_worker import worker_process
from pydantic import SecretStr

from scheduler.checks import verify
from scheduler.config import Settings
from scheduler.demo import demo_problem
from scheduler.jobs.offload import (
    CeleryRunner,
    RefusedPayload,
    open_answer,
    run_signed,
    sign_payload,
    subproblem_key,
    subproblem_runner,
)
from scheduler.solver import SolveParams, solve
from scheduler.solver import regions as regions_module
from scheduler.solver.core import CoreSolution, core_objective, core_violations
from scheduler.solver.matrix import TravelMatrix
from scheduler.solver.offload import ForkRunner, run_payload
from scheduler.solver.options import build_window
from scheduler.solver.regions import RegionWork, route_portfolio, split_window
from scheduler.solver.routing import RoutedVehicle, WindowModel, core_problem
from scheduler.solver.state import SeasonState
from scheduler.travel import OfflineTravelTimes

TRAVEL = OfflineTravelTimes()
REDIS_URL = "redis://127.0.0.1:6379/12"
SECRET = "test-secret-key-for-sub-problems"


@cache
def _demo_window() -> WindowModel:
    """The demo season's first window (about 420 options on 9 vehicles: two regions)."""
    problem = demo_problem()
    days = tuple(sorted(problem.days))[: problem.rules.window_days]
    return build_window(problem, TravelMatrix.build(problem, TRAVEL), SeasonState(), days, 8)


def _solution(model: WindowModel, routed: list[RoutedVehicle]) -> CoreSolution:
    first = len(model.vehicles)
    by_vehicle = {r.node: tuple((s.node - first, s.arrival_min) for s in r.stops) for r in routed}
    return CoreSolution(tuple(by_vehicle.get(v, ()) for v in range(first)), "test")


@dataclass
class FakeRunner:
    """A runner in this process: ``mode`` says how it behaves (``answers``, ``fails`` on
    submit, answers ``garbage``, is ``late``, has ``no slot``); it records what it saw."""

    mode: str = "answers"
    name: str = "fake"
    submitted: list[float] = field(default_factory=list)
    waited: list[float] = field(default_factory=list)
    answered: int = 0

    def slots(self) -> int:
        return 0 if self.mode == "no slot" else 1

    def submit(self, payload: bytes, deadline_s: float) -> bytes:
        if self.mode == "fails":
            raise ConnectionError("injected: the broker is down")
        self.submitted.append(deadline_s)
        return payload

    def result(self, handle: object, timeout_s: float) -> bytes | None:
        self.waited.append(timeout_s)
        assert isinstance(handle, bytes)
        if self.mode == "garbage":
            return b"not a pickle"
        if self.mode == "late":
            return None  # the answer would come after timeout_s
        self.answered += 1
        return run_payload(handle)


def test_a_runner_s_regions_are_kept_when_better(monkeypatch: pytest.MonkeyPatch) -> None:
    """The regions a runner routes are routes of the whole window (no routing rule broken)
    and are kept when they beat the whole model's plan (here: nothing), within the limit."""
    model = _demo_window()
    runner = FakeRunner()
    original = regions_module.route_window
    calls: list[int] = []

    def whole_finds_nothing(window: WindowModel, limit_s: float) -> list[RoutedVehicle]:
        calls.append(len(window.options))
        return [] if window is model else original(window, limit_s)

    monkeypatch.setattr(regions_module, "route_window", whole_finds_nothing)
    routed = route_portfolio(model, 2.0, workers=1, runner=runner)
    core = core_problem(model)
    assert runner.answered == 1 and runner.submitted == [2.0]
    assert routed and core_violations(core, _solution(model, routed)) == []
    assert core_objective(core, _solution(model, routed)) < core_objective(
        core, _solution(model, [])
    )
    assert len(calls) == 3  # the whole window here, its two regions in the runner


@pytest.mark.parametrize("mode", ["fails", "garbage", "late", "no slot"])
def test_a_runner_that_fails_is_ignored(mode: str) -> None:
    """A runner that cannot take the regions, answers garbage, is late or has no slot does
    not take the window down: the whole model's plan is kept (valid, not empty), and the
    planner waits for an answer no longer than the regions' deadline and its grace."""
    model = _demo_window()
    runner = FakeRunner(mode)
    started = time.monotonic()
    routed = route_portfolio(model, 1.0, workers=1, runner=runner)
    assert routed and core_violations(core_problem(model), _solution(model, routed)) == []
    assert all(w <= 1.0 + regions_module.ANSWER_GRACE_S for w in runner.waited)
    assert time.monotonic() - started < 10.0
    assert runner.answered == 0


def test_a_runner_without_a_slot_gives_way_to_the_forked_child(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With no free worker (no slot), the regions go to the forked child when the solve
    has a second core."""
    forked: list[float] = []
    submit = ForkRunner.submit

    def counting(self: ForkRunner, payload: bytes, deadline_s: float) -> object:
        forked.append(deadline_s)
        return submit(self, payload, deadline_s)

    monkeypatch.setattr(ForkRunner, "submit", counting)
    routed = route_portfolio(_demo_window(), 1.0, workers=2, runner=FakeRunner("no slot"))
    assert forked == [1.0] and routed


def test_region_work_started_after_its_deadline_answers_nothing() -> None:
    """A sub-problem a worker starts after its deadline answers at once with nothing."""
    regions = split_window(_demo_window(), 2)
    late = RegionWork(tuple(r.model for r in regions), 5.0, time.time() - 1.0)
    started = time.monotonic()
    assert late() == b""
    assert time.monotonic() - started < 0.5


class _Canary:
    """Unpickling it writes a file: evidence that a payload was unpickled."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (Path.write_text, (str(self.path), "unpickled"))


def test_a_tampered_or_foreign_payload_is_refused_unread(tmp_path: Path) -> None:
    """A payload with a flipped byte, or signed with another key, is refused before it is
    unpickled; an answer is accepted only for the payload it was signed for."""
    key, other = b"k" * 32, b"o" * 32
    canary = tmp_path / "canary"
    message, _ = sign_payload(other, pickle.dumps(_Canary(canary)))
    with pytest.raises(RefusedPayload):
        run_signed(message, key)
    good, mac = sign_payload(key, pickle.dumps(_Canary(canary)))
    flipped = good[:-8] + ("A" if good[-8] != "A" else "B") + good[-7:]
    with pytest.raises(RefusedPayload):
        run_signed(flipped, key)
    with pytest.raises(RefusedPayload):
        run_signed("not base64 at all!", key)
    assert not canary.exists()
    work, work_mac = sign_payload(key, pickle.dumps(RegionWork((), 1.0, time.time() + 5.0)))
    answer = run_signed(work, key)
    assert pickle.loads(open_answer(key, answer, work_mac)) == []
    with pytest.raises(RefusedPayload):
        open_answer(key, answer, mac)  # signed for another payload


def test_the_runner_follows_the_settings(tmp_path: Path) -> None:
    """``fork`` (the default) and ``celery`` without a broker: no runner (the solver
    forks); ``celery`` with a broker: a Celery runner keyed by the service's secret key."""
    settings = Settings(data_dir=tmp_path, secret_key=SecretStr(SECRET))
    assert settings.solve_offload == "fork"
    assert subproblem_runner("fork", settings) is None
    assert subproblem_runner("celery", settings) is None
    runner = subproblem_runner("celery", settings.model_copy(update={"broker_url": REDIS_URL}))
    assert isinstance(runner, CeleryRunner) and runner.key == subproblem_key(settings)
    assert subproblem_key(settings) != subproblem_key(
        Settings(data_dir=tmp_path, secret_key=SecretStr("x"))
    )


@pytest.fixture
def subproblem_worker(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A Celery worker (one process) on the local Redis consuming a sub-problem queue of
    its own, with the test's secret key; yields the queue's name and the worker's log."""
    queue = f"test-sub-{uuid.uuid4().hex}"
    env = {
        "SCHEDULER_BROKER_URL": REDIS_URL,
        "SCHEDULER_SECRET_KEY": SECRET,
        "SCHEDULER_DATA_DIR": str(tmp_path / "worker"),
    }
    log_path = tmp_path / "worker.log"
    with worker_process(queue, env, log_path) as process:
        probe = CeleryRunner(REDIS_URL, b"", queue=queue)
        deadline = time.monotonic() + 60.0
        while probe._count_slots() < 1:
            assert process.poll() is None, log_path.read_text(errors="replace")
            assert time.monotonic() < deadline, "the worker did not start in 60 s"
            time.sleep(0.5)
        probe.app.close()
        yield queue, log_path


def _runner(queue: str) -> CeleryRunner:
    """A runner on the test worker's queue, once it has counted the worker (in the
    background: until then it has no slot and a solve forks instead)."""
    runner = CeleryRunner(
        REDIS_URL, subproblem_key(Settings(secret_key=SecretStr(SECRET))), queue=queue
    )
    deadline = time.monotonic() + 30.0
    while runner.slots() < 1:
        assert time.monotonic() < deadline, "the runner did not see the worker in 30 s"
        time.sleep(0.2)
    return runner


def test_a_celery_worker_routes_regions_and_refuses_a_tampered_payload(
    subproblem_worker: tuple[str, Path], tmp_path: Path
) -> None:
    """A real worker routes a window's regions from a signed payload: the answer comes back
    through Redis, signed for it, as valid routes of the whole window. A payload signed
    with another key is refused there unread, and the runner answers ``None``."""
    queue, log_path = subproblem_worker
    runner = _runner(queue)
    assert runner.slots() == 1  # one worker process
    model = _demo_window()
    regions = split_window(model, 2)
    work = RegionWork(tuple(r.model for r in regions), 2.0, time.time() + 2.0)
    handle = runner.submit(pickle.dumps(work), 2.0)
    answer = runner.result(handle, 10.0)
    routed = regions_module._decode(model, regions, answer, "celery")
    assert routed and core_violations(core_problem(model), _solution(model, routed)) == []
    canary = tmp_path / "canary"
    foreign = CeleryRunner(REDIS_URL, b"another key", queue=queue)
    assert foreign.result(foreign.submit(pickle.dumps(_Canary(canary)), 2.0), 10.0) is None
    assert not canary.exists()
    assert (runner.stats.submitted, runner.stats.answered, runner.stats.lost) == (1, 1, 0)
    assert foreign.stats.lost == 1
    deadline = time.monotonic() + 10.0  # the worker logs the refusal after storing it
    while "bad signature refused" not in log_path.read_text(errors="replace"):
        assert time.monotonic() < deadline, "the worker did not log the refusal"
        time.sleep(0.1)


def test_a_solve_with_the_celery_runner_is_valid_and_uses_the_worker(
    subproblem_worker: tuple[str, Path],
) -> None:
    """A demo solve whose regions go to the Celery worker: the plan passes the validator,
    and the worker answered the regions of the windows (counted by the runner)."""
    queue, _ = subproblem_worker
    runner = _runner(queue)
    problem = demo_problem(days=6)
    plan = solve(problem, TRAVEL, SolveParams(time_limit_s=8.0, workers=1, offload=runner))
    assert verify(problem, plan, TRAVEL) == []
    assert plan.stats.served_venues > 0
    assert runner.stats.answered >= 1 and runner.stats.submitted >= runner.stats.answered


def _exit_at_once() -> None:
    """A forked child's whole work."""


def test_a_process_forked_after_the_runner_waited_starts_and_ends() -> None:
    """A runner that waited for an answer no worker gives leaves its Redis channel mid-read;
    a child forked afterwards (the solver's engine races, region child and bound process)
    still starts and ends at once, instead of blocking forever in kombu's after-fork
    clean-up on the parent's socket."""
    runner = CeleryRunner(REDIS_URL, b"key", queue=f"nobody-{uuid.uuid4().hex}")
    assert runner.result(runner.submit(b"payload", 0.5), 0.5) is None
    child = multiprocessing.get_context("fork").Process(target=_exit_at_once)
    child.start()
    child.join(timeout=20.0)
    alive = child.is_alive()
    if alive:
        child.kill()
    assert not alive and child.exitcode == 0
