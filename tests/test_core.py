"""Tests for the shared routing core (``scheduler.solver.core``) and its two engines."""

from __future__ import annotations

import numpy as np
import pytest

from scheduler.solver.core import (
    CoreProblem,
    CoreSolution,
    CoreVehicle,
    CoreVisit,
    core_objective,
    core_violations,
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
