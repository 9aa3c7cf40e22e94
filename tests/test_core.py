"""Tests for the shared routing core (``scheduler.solver.core``) and its two engines."""

from __future__ import annotations

import multiprocessing.context
import os
import time

import numpy as np
import pytest

from scheduler.errors import SolverError
from scheduler.solver import core, ortools_engine, pyvrp_engine
from scheduler.solver.core import (
    Attempt,
    CoreProblem,
    CoreSolution,
    CoreVehicle,
    CoreVisit,
    core_objective,
    core_violations,
    portfolio,
    pyvrp_can_solve,
    solve_core,
)

POINTS = np.array([[0, 0], [10, 0], [0, 10], [10, 10], [20, 0], [0, 20]])


def grid(visits: tuple[CoreVisit, ...], vehicles: int = 2, capacity: int = 0) -> CoreProblem:
    """One depot at the origin and five places; travel time = rounded distance."""
    places = POINTS[: 1 + len(visits)]
    d = np.rint(np.hypot(*(places[:, None, :] - places[None, :, :]).transpose(2, 0, 1)))
    fleet = tuple(CoreVehicle(0, 0, (0, 200), (0, 200), 200, capacity) for _ in range(vehicles))
    return CoreProblem(1, fleet, visits, d.astype(np.int64), d.astype(float))


def required(n: int = 5, demand: int = 0) -> tuple[CoreVisit, ...]:
    return tuple(CoreVisit(5, ((0, 150),), required=True, demand=demand) for _ in range(n))


@pytest.mark.parametrize("engine", ["ortools", "pyvrp", "auto"])
def test_every_engine_serves_required_visits_feasibly(engine: str) -> None:
    """All five required visits are made, within windows and capacity, by each engine."""
    problem = grid(required(demand=1), capacity=3)
    solution = solve_core(problem, 1.0, engine)
    assert core_violations(problem, solution) == []
    assert sorted(i for route in solution.routes for i, _ in route) == list(range(5))


def test_optional_visits_are_chosen_by_value() -> None:
    """With one short vehicle, the valuable visit is made and the cheap one left out."""
    visits = (
        CoreVisit(5, ((0, 100),), value=100.0),
        CoreVisit(5, ((0, 100),), value=1.0),
    )
    problem = grid(visits, vehicles=1)
    problem = CoreProblem(
        1,
        (CoreVehicle(0, 0, (0, 40), (0, 40), 40),),
        visits,
        problem.duration,
        problem.cost,
    )
    solution = solve_core(problem, 1.0, "ortools")
    assert [i for route in solution.routes for i, _ in route] == [0]
    assert core_objective(problem, solution) == pytest.approx(20.0 + 1.0)


def test_alternatives_and_vehicle_restrictions_and_several_windows() -> None:
    """At most one visit of a group; restricted visits go on their vehicle; a visit with two
    windows is served in one of them (OR-Tools only: PyVRP cannot express these)."""
    visits = (
        CoreVisit(5, ((0, 10), (100, 120)), value=50.0, group=0, vehicles=(1,)),
        CoreVisit(5, ((0, 150),), value=40.0, group=0),
        CoreVisit(5, ((0, 150),), value=30.0, vehicles=(0,)),
    )
    problem = grid(visits)
    assert not pyvrp_can_solve(problem)
    solution = solve_core(problem, 1.0)
    assert solution.engine == "ortools"
    assert core_violations(problem, solution) == []
    made = {i: v for v, route in enumerate(solution.routes) for i, _ in route}
    assert not {0, 1} <= set(made)
    assert made.get(0, 1) == 1 and made.get(2, 0) == 0


def test_matrix_shape_is_checked() -> None:
    """A matrix that does not match depots + visits is an error, not a crash in an engine."""
    problem = grid(required(n=3))
    with pytest.raises(ValueError, match="5 x 5"):
        CoreProblem(1, problem.vehicles, required(n=4), problem.duration, problem.cost)


def test_violations_are_reported() -> None:
    """A hand-made solution that misses a window, a required visit and capacity is caught."""
    problem = grid(required(n=3, demand=2), capacity=3)
    bad = CoreSolution((((0, 500), (1, 20)), ()), "hand")
    found = " ".join(core_violations(problem, bad))
    assert "visit 0" in found and "over capacity" in found and "required visit 2" in found


def with_alternatives() -> CoreProblem:
    """Four visits, the last two alternatives of one venue: PyVRP and OR-Tools both apply."""
    visits = (
        *required(n=2),
        CoreVisit(5, ((0, 150),), value=40.0, group=7),
        CoreVisit(5, ((0, 150),), value=30.0, group=7),
    )
    return grid(visits)


def broken(*_args: object, **_kwargs: object) -> CoreSolution:
    """An engine that fails the way PyVRP did on a self loop."""
    raise ValueError("A self loop must have 0 distance and duration.")


def dead(*_args: object, **_kwargs: object) -> CoreSolution:
    """An engine whose process dies without a word."""
    os._exit(7)


@pytest.mark.parametrize("engine", ["pyvrp", "auto"])
def test_a_non_zero_diagonal_is_solved(engine: str) -> None:
    """A core problem whose arcs from a node to itself take time (a driver's break added to
    every arc, as the season's windows do) is solved: PyVRP used to refuse such self loops."""
    problem = grid(required(demand=1), capacity=3)
    duration = problem.duration + 7
    problem = CoreProblem(1, problem.vehicles, problem.visits, duration, problem.cost + 1.0)
    assert np.diag(problem.duration).min() == 7
    solution = solve_core(problem, 1.0, engine)
    assert core_violations(problem, solution) == []
    assert sorted(i for route in solution.routes for i, _ in route) == list(range(5))


def test_portfolio_uses_both_cores_for_what_each_engine_does_best() -> None:
    """Two PyVRP seeds without alternatives, PyVRP beside OR-Tools with them, OR-Tools alone
    where PyVRP cannot express the problem."""
    assert portfolio(grid(required())) == (Attempt("pyvrp", 1), Attempt("pyvrp", 2))
    assert portfolio(with_alternatives()) == (Attempt("pyvrp", 1), Attempt("ortools"))
    several = grid((CoreVisit(5, ((0, 10), (50, 60)), value=5.0),))
    assert portfolio(several) == (Attempt("ortools"),)


@pytest.mark.parametrize(("failing", "answering"), [("pyvrp", "ortools"), ("ortools", "pyvrp")])
def test_a_failing_engine_leaves_the_other_answer(
    monkeypatch: pytest.MonkeyPatch, failing: str, answering: str
) -> None:
    """When one engine of the portfolio raises, the other engine's feasible answer is kept."""
    engines = {"pyvrp": pyvrp_engine, "ortools": ortools_engine}
    monkeypatch.setattr(engines[failing], "solve", broken)
    problem = with_alternatives()
    solution = solve_core(problem, 1.0)
    assert solution.engine.startswith(answering)
    assert core_violations(problem, solution) == []


def test_a_failed_pyvrp_pair_is_replaced_by_ortools(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both PyVRP runs failing at once (a model PyVRP rejects) leave OR-Tools the time left."""
    monkeypatch.setattr(pyvrp_engine, "solve", broken)
    problem = grid(required(demand=1), capacity=3)
    solution = solve_core(problem, 1.0)
    assert solution.engine == "ortools"
    assert core_violations(problem, solution) == []


def test_a_dying_engine_process_leaves_the_other_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """An engine whose process exits without answering does not take the solve down."""
    monkeypatch.setattr(ortools_engine, "solve", dead)
    problem = with_alternatives()
    solution = solve_core(problem, 1.0)
    assert solution.engine.startswith("pyvrp")
    assert core_violations(problem, solution) == []


def test_without_fork_a_failing_engine_falls_back_in_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where no process can be forked (a daemonic worker), engines run here one after the
    other, and a failing one still leaves OR-Tools' answer."""
    monkeypatch.setattr(core, "_can_fork", lambda: False)
    monkeypatch.setattr(pyvrp_engine, "solve", broken)
    problem = grid(required())
    solution = solve_core(problem, 1.0)
    assert solution.engine == "ortools"
    assert core_violations(problem, solution) == []


@pytest.mark.parametrize("engine", ["auto", "ortools", "pyvrp"])
def test_every_engine_failing_is_a_solver_error(
    monkeypatch: pytest.MonkeyPatch, engine: str
) -> None:
    """When no engine answers, a ``SolverError`` says what failed; never a bare exception."""
    monkeypatch.setattr(pyvrp_engine, "solve", broken)
    monkeypatch.setattr(ortools_engine, "solve", dead if engine == "auto" else broken)
    with pytest.raises(SolverError, match=r"self loop|process died") as caught:
        solve_core(with_alternatives(), 0.5, engine)
    if engine == "auto":
        assert "pyvrp (seed 1)" in str(caught.value) and "ortools" in str(caught.value)


def test_auto_keeps_its_time_limit() -> None:
    """Two forked searches answer within the time limit plus a small hand-back."""
    problem = grid(required(demand=1), capacity=3)
    began = time.perf_counter()
    solve_core(problem, 1.0)
    assert time.perf_counter() - began < 1.0 + 0.75


def test_when_no_process_can_be_forked_the_runs_are_made_here(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A fork that fails (no memory, no process slots) is not an error: the portfolio's
    first run is made in this process instead."""

    def refuse(_self: object) -> None:
        raise OSError("Cannot allocate memory")

    monkeypatch.setattr(multiprocessing.context.ForkProcess, "start", refuse)
    problem = grid(required())
    solution = solve_core(problem, 0.5)
    assert solution.engine.startswith("pyvrp")
    assert core_violations(problem, solution) == []
