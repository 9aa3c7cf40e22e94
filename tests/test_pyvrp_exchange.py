"""Two PyVRP searches that cooperate: they swap best solutions part-way, and the one behind
carries on from the other's (``pyvrp_engine.swap_over``, ``pyvrp_engine._search``)."""

from __future__ import annotations

import json
import multiprocessing
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pyvrp import RandomNumberGenerator, Solution
from pyvrp.IteratedLocalSearch import IteratedLocalSearch
from pyvrp.PenaltyManager import PenaltyManager

from scheduler.solver import core, pyvrp_engine
from scheduler.solver.core import CoreProblem, CoreVehicle, CoreVisit, core_violations, solve_core
from scheduler.solver.pyvrp_engine import Shared


def scattered(n: int = 40, vehicles: int = 4, seed: int = 3) -> CoreProblem:
    """A random VRPTW: one depot and ``n`` required visits with wide windows."""
    rng = np.random.default_rng(seed)
    places = rng.integers(0, 100, size=(n + 1, 2))
    d = np.rint(np.hypot(*(places[:, None, :] - places[None, :, :]).transpose(2, 0, 1)))
    visits = tuple(
        CoreVisit(5, ((int(s), int(s) + 300),), required=True) for s in rng.integers(0, 400, size=n)
    )
    fleet = tuple(CoreVehicle(0, 0, (0, 1000), (0, 1000), 1000) for _ in range(vehicles))
    return CoreProblem(1, fleet, visits, d.astype(np.int64), d.astype(float))


def test_a_swap_returns_the_peers_newest_best() -> None:
    """Each end gets the other's best; a late answer from an earlier swap is dropped for
    the newest one."""
    one, other = multiprocessing.Pipe(duplex=True)
    stale: Shared = (9.0, ((0, (1, 2)),))
    newest: Shared = (5.0, ((0, (2, 1)),))
    other.send(stale)
    other.send(newest)
    got = pyvrp_engine.swap_over(one)((7.0, ((0, (1,)),)), time.monotonic() + 1.0)
    assert got == newest
    assert other.recv() == (7.0, ((0, (1,)),))


def test_a_silent_or_gone_peer_leaves_the_search_on_its_own() -> None:
    """No answer by the deadline, or a closed peer, is ``None`` and never an error."""
    one, other = multiprocessing.Pipe(duplex=True)
    began = time.monotonic()
    assert pyvrp_engine.swap_over(one)((1.0, ()), began + 0.2) is None
    assert 0.15 < time.monotonic() - began < 1.0
    other.close()
    assert pyvrp_engine.swap_over(one)((1.0, ()), time.monotonic() + 5.0) is None


class Spy:
    """Records the solution each leg of ``_search`` starts from."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.starts: list[Any] = []
        real = IteratedLocalSearch

        def leg(data: Any, manager: Any, search: Any, start: Any, params: Any) -> Any:
            self.starts.append(start)
            return real(data, manager, search, start, params)

        monkeypatch.setattr(pyvrp_engine, "IteratedLocalSearch", leg)


def _manager(data: Any) -> PenaltyManager:
    params = pyvrp_engine.penalty_params(data)
    return PenaltyManager(params.midpoint_penalties(data), params)


def _routes(solution: Any) -> list[list[int]]:
    return sorted([a.idx for a in route if a.is_client()] for route in solution.routes())


def test_the_search_behind_carries_on_from_the_peers_best(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A better peer's best (here: a random solution said to cost 0) starts the next leg;
    a worse peer's is ignored."""
    spy = Spy(monkeypatch)
    monkeypatch.setattr(pyvrp_engine, "EXCHANGE_AT", (0.5,))
    data, _ = pyvrp_engine.problem_data(scattered())
    random = Solution.make_random(data, RandomNumberGenerator(seed=9))
    theirs: Shared = (0.0, tuple(pyvrp_engine.shared(_manager(data), random)[1]))
    sent: list[Shared] = []

    def better_peer(ours: Shared, _until: float) -> Shared:
        sent.append(ours)
        return theirs

    pyvrp_engine._search(data, time.monotonic() + 0.6, 1, better_peer)
    assert len(sent) == 1 and len(spy.starts) == 2
    assert _routes(spy.starts[1]) == sorted([list(r) for _, r in theirs[1]])

    spy.starts.clear()
    worse: Shared = (float("inf"), theirs[1])
    best = pyvrp_engine._search(data, time.monotonic() + 0.6, 1, lambda ours, _until: worse)
    assert _routes(spy.starts[1]) != sorted([list(r) for _, r in theirs[1]])
    assert best.is_feasible()


def test_the_two_seeds_of_the_portfolio_swap_across_processes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """On a problem PyVRP expresses without alternatives, both forked seeds swap their best
    at every ``EXCHANGE_AT`` moment, and the answer is feasible."""
    assert core._can_fork()  # the pipe joins two forked runs (Linux, as CI)
    log = tmp_path / "swaps"
    real = pyvrp_engine.swap_over

    def logged(connection: Any) -> pyvrp_engine.Exchange:
        exchange = real(connection)

        def swap(ours: Shared, until: float) -> Shared | None:
            theirs = exchange(ours, until)
            with log.open("a") as out:
                out.write(json.dumps([ours[0], None if theirs is None else theirs[0]]) + "\n")
            return theirs

        return swap

    monkeypatch.setattr(pyvrp_engine, "swap_over", logged)
    monkeypatch.setattr(pyvrp_engine, "EXCHANGE_AT", (0.4, 0.7))
    problem = scattered()
    assert core.portfolio(problem) == (core.Attempt("pyvrp", 1), core.Attempt("pyvrp", 2))
    solution = solve_core(problem, 1.5)
    assert core_violations(problem, solution) == []
    swaps = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(swaps) == 4
    assert all(theirs is not None for _, theirs in swaps)
    assert sorted(ours for ours, _ in swaps) == sorted(theirs for _, theirs in swaps)


def test_a_pyvrp_seed_that_fails_leaves_its_peer_searching(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When one seed fails at once, the other waits at most a moment at the swap and still
    answers within the time limit."""
    real = pyvrp_engine.solve

    def second_seed_fails(problem: CoreProblem, limit: float, seed: int = 1, **kw: Any) -> Any:
        if seed == 2:
            raise ValueError("seed 2 is broken")
        return real(problem, limit, seed=seed, **kw)

    monkeypatch.setattr(pyvrp_engine, "solve", second_seed_fails)
    problem = scattered()
    began = time.monotonic()
    solution = solve_core(problem, 1.5)
    assert time.monotonic() - began < 1.5 + core.GRACE_S
    assert core_violations(problem, solution) == []
