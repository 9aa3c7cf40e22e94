"""Use cases shared by the CLI, the API and workers: plan a season, check a plan."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from scheduler.checks import Violation, verify
from scheduler.domain import Plan, Problem
from scheduler.solver import SolveParams, solve
from scheduler.travel import OfflineTravelTimes, TravelTimes

__all__ = ["PlanOutcome", "check_plan", "default_travel", "plan_problem"]


@dataclass(frozen=True, slots=True)
class PlanOutcome:
    """A plan and what the independent validator found in it (normally nothing)."""

    plan: Plan
    violations: list[Violation]


def default_travel() -> TravelTimes:
    """The offline travel-time provider (great-circle x detour x Moscow speed profile)."""
    return OfflineTravelTimes()


def plan_problem(
    problem: Problem,
    time_limit_s: float = 30.0,
    travel: TravelTimes | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PlanOutcome:
    """Plan a season and re-check the plan with the independent validator."""
    travel = travel or default_travel()
    plan = solve(problem, travel, SolveParams(time_limit_s=time_limit_s), progress)
    return PlanOutcome(plan, verify(problem, plan, travel))


def check_plan(problem: Problem, plan: Plan, travel: TravelTimes | None = None) -> list[Violation]:
    """Every rule the plan breaks, re-checked from the raw inputs."""
    return verify(problem, plan, travel or default_travel())
