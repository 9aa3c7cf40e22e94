"""Property-based tests of the planning engine on random valid scenarios (``tests/scenarios.py``).

For every scenario: ``solve`` returns (no exception) within a small time limit, the plan
passes the independent validator, every venue is served or has exactly one reason, and on
small scenarios every "cannot be served" reason is true: no one-stop route built by hand
(``tests/hand_routes.py``) for that venue passes ``verify``.

The default suite runs 50 scenarios of each kind (``PROPERTY_EXAMPLES`` changes that);
``-m slow`` runs 1,000. Set
``PROPERTY_DUMP_DIR`` to write each failing scenario there as JSON (the last one written is
hypothesis' shrunk example); minimal failures live in ``tests/data/regressions/`` and are
re-run by ``test_regression``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hand_routes import serve_by_hand
from hypothesis import HealthCheck, given, settings
from scenarios import load, scenarios

from scheduler.checks import verify
from scheduler.domain import Problem, UnservedReason
from scheduler.planning import default_travel
from scheduler.schemas import dump_json, plan_to_file
from scheduler.solver import SolveParams, solve

TRAVEL = default_travel()
TIME_LIMIT_S = 1.0
REGRESSIONS = Path(__file__).parent / "data" / "regressions"
SERVABLE = (
    UnservedReason.TRUCKS_BUSY,
    UnservedReason.NOT_WORTH_TRAVEL,
    UnservedReason.NOT_PLANNED,
)
"""Reasons that say a venue could be served; every other reason says it cannot."""

FAST = settings(
    max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "50")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SLOW = settings(FAST, max_examples=1000)


def is_small(problem: Problem) -> bool:
    """Small enough to try serving every unserved venue by hand."""
    return len(problem.venues) <= 6 and len(problem.trucks) <= 2 and len(problem.days) <= 3


def check_scenario(data: dict[str, Any]) -> None:
    """Every property of the module docstring for one scenario dict."""
    try:
        _check(data)
    except Exception:
        folder = os.environ.get("PROPERTY_DUMP_DIR")
        if folder:
            text = json.dumps(data, ensure_ascii=False, indent=1)
            name = hashlib.sha1(text.encode()).hexdigest()[:12]
            Path(folder).mkdir(parents=True, exist_ok=True)
            (Path(folder) / f"{name}.json").write_text(text, encoding="utf-8")
        raise


def _check(data: dict[str, Any]) -> None:
    problem = load(data)
    plan = solve(problem, TRAVEL, SolveParams(time_limit_s=TIME_LIMIT_S))
    violations = verify(problem, plan, TRAVEL)
    assert violations == [], [v.message for v in violations]
    served = {stop.venue_id for _, stop in plan.stops}
    reasons = Counter(entry.venue_id for entry in plan.unserved)
    for venue in problem.venues:
        assert (venue.id in served) != (reasons[venue.id] == 1), venue.id
    if not is_small(problem):
        return
    for entry in plan.unserved:
        if entry.reason in SERVABLE:
            continue
        route = serve_by_hand(problem, entry.venue_id, TRAVEL)
        assert route is None, (
            f"{entry.venue_id} unserved as {entry.reason.value} ({entry.message}), "
            f"but this route serves it: {route}"
        )


@FAST
@given(scenarios())
def test_any_scenario_plans_without_violations(data: dict[str, Any]) -> None:
    """Any valid scenario (up to 6 trucks, 80 venues, 7 days) plans without an exception
    and without a violation, and every venue is served or has exactly one reason."""
    check_scenario(data)


@FAST
@given(scenarios(max_trucks=2, max_venues=6, max_days=3))
def test_small_scenario_reasons_are_true(data: dict[str, Any]) -> None:
    """On small scenarios, a venue called unservable for a rule cannot be served by hand."""
    check_scenario(data)


@pytest.mark.slow
@SLOW
@given(scenarios())
def test_any_scenario_plans_without_violations_many(data: dict[str, Any]) -> None:
    """The first property on 1,000 scenarios."""
    check_scenario(data)


@pytest.mark.slow
@SLOW
@given(scenarios(max_trucks=2, max_venues=6, max_days=3))
def test_small_scenario_reasons_are_true_many(data: dict[str, Any]) -> None:
    """The reasons property on 1,000 small scenarios."""
    check_scenario(data)


@pytest.mark.parametrize("path", sorted(REGRESSIONS.glob("*.json")), ids=lambda p: p.stem)
def test_regression(path: Path) -> None:
    """A scenario that once failed a property (its ``name`` says how) now passes them all."""
    check_scenario(json.loads(path.read_text(encoding="utf-8")))


def test_hand_route_serves_an_easy_venue() -> None:
    """The by-hand search finds a valid route where one obviously exists (so "nothing
    found" in the reasons property means something)."""
    from scenarios import tiny_scenario

    problem = load(tiny_scenario())
    route = serve_by_hand(problem, "a", TRAVEL)
    assert route is not None and route.stops[0].venue_id == "a"
    plan = solve(problem, TRAVEL, SolveParams(time_limit_s=TIME_LIMIT_S))
    assert plan.stats.served_venues == 2
    assert dump_json(plan_to_file(plan, problem.name))
