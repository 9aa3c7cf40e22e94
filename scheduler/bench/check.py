"""An independent checker for benchmark solutions, and the plain-text solution format.

The checker shares nothing with the adapter or the solver: it recomputes every distance from
the instance's coordinates in exact decimal arithmetic (``Decimal`` square root, truncated to
the instance's precision), simulates every route from the depot at time 0 (service starts at
``max(arrival, ready)``; waiting is free), and checks every rule of the benchmark:

- every id is a customer of the instance and is visited at most once (Solomon: exactly once);
- every service starts by the customer's due (closing) time;
- every route is back at the depot by the horizon;
- Solomon: the load of a route is within the capacity;
- at most ``vehicles`` non-empty routes (Solomon: the fleet; TOPTW: the number of tours ``m``).

The cost is the total distance in real units (sum of truncated arcs, e.g. ``827.3``) for
Solomon and the total score for TOPTW.

Solution files have one line ``Route #k: id id id`` per route (customer ids as in the
instance file), then ``Cost <value>``, as in the CVRPLIB ``.sol`` files.
"""

from __future__ import annotations

import re
from decimal import ROUND_FLOOR, Context, Decimal
from pathlib import Path
from typing import NamedTuple

from scheduler.bench.instances import Customer, Instance
from scheduler.errors import InvalidProblem

__all__ = [
    "CheckResult",
    "check_solution",
    "format_cost",
    "format_solution",
    "read_solution",
    "truncated_distance",
]

_EXACT = Context(prec=50)
"""Precision of the square roots: far more digits than any truncation needs."""

COST_TOLERANCE = 1e-6
"""Largest accepted difference between a claimed and a recomputed cost."""


class CheckResult(NamedTuple):
    """What the checker found: unpacks as ``feasible, problems, cost``."""

    feasible: bool
    problems: list[str]
    cost: float


def _exact(value: float) -> Decimal:
    return Decimal(repr(value))


def truncated_distance(a: Customer, b: Customer, decimals: int) -> Decimal:
    """Euclidean distance between two vertices truncated to ``decimals`` decimals."""
    dx, dy = _exact(a.x) - _exact(b.x), _exact(a.y) - _exact(b.y)
    root = (dx * dx + dy * dy).sqrt(_EXACT)
    return root.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_FLOOR, context=_EXACT)


def check_solution(
    instance: Instance,
    routes: list[list[int]],
    vehicles: int | None = None,
    claimed_cost: float | None = None,
) -> CheckResult:
    """Check ``routes`` (customer ids per route) against every rule of the benchmark.

    ``vehicles`` is the number of routes allowed (default: the Solomon fleet; 1 tour for
    TOPTW). When ``claimed_cost`` is given, a difference from the recomputed cost is a problem.
    """
    solomon = instance.kind == "solomon"
    limit = vehicles if vehicles is not None else (instance.fleet if solomon else 1)
    by_id = {c.id: c for c in instance.customers}
    problems: list[str] = []
    used = [route for route in routes if route]
    if len(used) > limit:
        problems.append(f"{len(used)} routes, at most {limit} allowed")
    seen: dict[int, int] = {}
    distance = Decimal(0)
    for k, route in enumerate(routes, start=1):
        if not route:
            continue
        for cid in route:
            seen[cid] = seen.get(cid, 0) + 1
        known = [cid for cid in route if cid in by_id]
        unknown = [cid for cid in route if cid not in by_id]
        if unknown:
            problems.append(f"route #{k}: {unknown} are not customers of {instance.name}")
        length, route_problems = _simulate(instance, k, [by_id[cid] for cid in known])
        problems.extend(route_problems)
        distance += length
        if solomon:
            load = sum(by_id[cid].demand for cid in known)
            if load > instance.capacity:
                problems.append(f"route #{k}: load {load} over capacity {instance.capacity}")
    twice = sorted(cid for cid, n in seen.items() if n > 1 and cid in by_id)
    if twice:
        problems.append(f"customers visited more than once: {twice}")
    if solomon:
        missing = sorted(set(by_id) - set(seen))
        if missing:
            problems.append(f"{len(missing)} customers not visited: {missing[:20]}")
    score = sum((_exact(by_id[cid].score) for cid in seen if cid in by_id), Decimal(0))
    cost = float(distance if solomon else score)
    if claimed_cost is not None and abs(claimed_cost - cost) > COST_TOLERANCE:
        problems.append(f"reported cost {claimed_cost} differs from the recomputed {cost}")
    return CheckResult(not problems, problems, cost)


def _simulate(instance: Instance, k: int, route: list[Customer]) -> tuple[Decimal, list[str]]:
    """Drive one route from the depot at its opening time; its length and what is wrong."""
    problems: list[str] = []
    depot, d = instance.depot, instance.decimals
    clock, here, length = _exact(depot.ready), depot, Decimal(0)
    for customer in route:
        leg = truncated_distance(here, customer, d)
        arrival = clock + leg
        start = max(arrival, _exact(customer.ready))
        if start > _exact(customer.due):
            problems.append(
                f"route #{k}: customer {customer.id} served at {start}, after its due time "
                f"{customer.due}"
            )
        length += leg
        clock, here = start + _exact(customer.service), customer
    leg = truncated_distance(here, depot, d)
    back = clock + leg
    length += leg
    if back > _exact(instance.horizon):
        problems.append(
            f"route #{k}: back at the depot at {back}, after the horizon {instance.horizon}"
        )
    return length, problems


# -- solution files -----------------------------------------------------------------------------

_ROUTE = re.compile(r"^\s*Route\s*#\s*(\d+)\s*:(.*)$", re.IGNORECASE)
_COST = re.compile(r"^\s*Cost\s+(\S+)\s*$", re.IGNORECASE)


def format_cost(instance: Instance, cost: float) -> str:
    """A cost as written in solution files and tables: Solomon with the instance's decimals,
    TOPTW as a whole number when the score is one."""
    if instance.kind == "solomon":
        return f"{cost:.{instance.decimals}f}"
    return str(int(cost)) if float(cost).is_integer() else f"{cost:g}"


def format_solution(instance: Instance, routes: list[list[int]], cost: float) -> str:
    """The text of a solution file: ``Route #k: id id id`` lines, then ``Cost <value>``."""
    lines = [
        f"Route #{k}: {' '.join(str(cid) for cid in route)}"
        for k, route in enumerate((r for r in routes if r), start=1)
    ]
    lines.append(f"Cost {format_cost(instance, cost)}")
    return "\n".join(lines) + "\n"


def read_solution(path: str | Path) -> tuple[list[list[int]], float | None]:
    """Routes (customer ids) and the stated cost (None if absent) of a solution file."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidProblem([(str(path), f"cannot read: {exc}")]) from exc
    routes: list[list[int]] = []
    cost: float | None = None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if match := _ROUTE.match(line):
            try:
                routes.append([int(token) for token in match.group(2).split()])
            except ValueError:
                raise InvalidProblem(
                    [(f"{path}:{number}", "a route lists whole customer ids")]
                ) from None
        elif match := _COST.match(line):
            try:
                cost = float(match.group(1))
            except ValueError:
                raise InvalidProblem([(f"{path}:{number}", "Cost is not a number")]) from None
        else:
            raise InvalidProblem(
                [(f"{path}:{number}", "expected 'Route #k: id id ...' or 'Cost <value>'")]
            )
    return routes, cost
