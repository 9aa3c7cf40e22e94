"""Several cores for one window: the whole window routed in this process while the window
cut into regions is routed beside it, by a ``SubproblemRunner`` (default: a forked child;
or the job backend's workers); the plan with the better routing objective is kept.

A region is a window model of its own (a subset of the vehicles and of the options, the
travel rows and columns that go with them), so its routes are routes of the whole window:
no venue is in two regions and no vehicle serves two, and the merged plan keeps every rule
the router checks. Regions are sectors by bearing from the depots, with as many candidate
venues each, and get the vehicles of every truck class in turn. A region's smaller model
converges in a couple of seconds where the whole window needs tens of seconds: with short
budgets the regions win, with long ones the whole model does, and the plan is never worse
than the whole model's alone.

The regions go to the runner as ``RegionWork``: their own models, pickled (about 0.8 MB a
region on the demo season's first window, 2.2 MB on the large season's; ``scheduler.jobs.
offload`` compresses them 20-35x for a remote worker). A runner that fails, is late or has no
slot is ignored.
"""

from __future__ import annotations

import logging
import math
import pickle
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from scheduler.solver.core import CoreSolution, core_objective, core_violations
from scheduler.solver.offload import ForkRunner, SubproblemRunner
from scheduler.solver.routing import (
    RoutedStop,
    RoutedVehicle,
    WindowModel,
    core_problem,
    route_window,
)
from scheduler.solver.windows import TruckClass

__all__ = [
    "Region",
    "RegionWork",
    "route_portfolio",
    "route_regions",
    "route_split",
    "split_window",
]

log = logging.getLogger(__name__)

MIN_SEARCH_S = 0.1
"""The shortest routing search (OR-Tools stops at 0.1 s at best)."""
MIN_PORTFOLIO_S = 1.0
"""A shorter search routes the window whole (building the regions' models would not pay)."""
ANSWER_GRACE_S = 0.5
"""How long past the regions' deadline the planning process waits for their routes."""
MIN_OPTIONS_PER_REGION = 40
"""A window smaller than this per region is routed whole (splitting buys nothing)."""


@dataclass(frozen=True)
class Region:
    """A part of a window: its own model and where its vehicles and options sit in the
    whole window's model."""

    model: WindowModel
    vehicles: tuple[int, ...]
    """Index in the whole model of each of the region's vehicles."""
    options: tuple[int, ...]
    """Index in the whole model of each of the region's options."""


def split_window(model: WindowModel, parts: int) -> list[Region]:
    """Cut a window into ``parts`` regions (one region, the whole window, when it is too
    small or has pinned stops, which stay with the plan they were pinned in)."""
    if (
        parts < 2
        or len(model.vehicles) < parts
        or len(model.options) < parts * MIN_OPTIONS_PER_REGION
        or any(o.pinned is not None for o in model.options)
    ):
        return [_whole(model)]
    vehicle_part = _share_vehicles(model, parts)
    venue_part = _sectors(model, parts)
    regions = []
    for part in range(parts):
        vehicles = tuple(v for v, p in enumerate(vehicle_part) if p == part)
        regions.append(_region(model, vehicles, part, venue_part))
    return [r for r in regions if r.model.vehicles and r.model.options]


def route_split(model: WindowModel, time_limit_s: float, parts: int = 2) -> list[RoutedVehicle]:
    """Route a window region by region in this process, all within ``time_limit_s`` of
    wall time (building each region's model included), shared between the regions by size;
    the routes of every region, as routes of the whole window."""
    regions = split_window(model, parts)
    by_region = route_regions([r.model for r in regions], time_limit_s)
    return [
        v
        for region, routed in zip(regions, by_region, strict=True)
        for v in _merge(model, region, routed)
    ]


def route_regions(models: Sequence[WindowModel], time_limit_s: float) -> list[list[RoutedVehicle]]:
    """Route region models one after the other within ``time_limit_s`` of wall time (each
    model's build included), the time shared by size; each region's routes in its own nodes."""
    deadline = time.monotonic() + time_limit_s
    left_options = sum(len(m.options) for m in models)
    overhead_per_option = 0.0
    found = []
    for region in models:
        size = len(region.options)
        share = (deadline - time.monotonic()) * size / max(1, left_options)
        search = max(MIN_SEARCH_S, share - overhead_per_option * size - 0.05 * share)
        started = time.monotonic()
        found.append(route_window(region, search))
        spent = time.monotonic() - started - search
        overhead_per_option = max(overhead_per_option, spent / max(1, size))
        left_options -= size
    return found


@dataclass(frozen=True)
class RegionWork:
    """A sub-problem for a ``SubproblemRunner``: route these region models in turn
    (``route_regions``) within ``time_limit_s``, and by ``due_epoch_s`` (wall clock, so that
    a worker that starts it late searches less). Self-contained: the regions' vehicles,
    options and travel rows, not the season. Called, it answers the pickled routes of
    each region as ``[[(vehicle, [(option, arrival_min), ...]), ...], ...]`` in the
    region's own indices (``b""`` when it is already too late to search)."""

    models: tuple[WindowModel, ...]
    time_limit_s: float
    due_epoch_s: float

    def __call__(self) -> bytes:
        budget = min(self.time_limit_s, self.due_epoch_s - time.time())
        if budget < MIN_SEARCH_S:
            return b""
        by_region = route_regions(self.models, budget)
        return pickle.dumps(
            [_sent(m, routed) for m, routed in zip(self.models, by_region, strict=True)]
        )


def route_portfolio(
    model: WindowModel,
    time_limit_s: float,
    workers: int = 2,
    runner: SubproblemRunner | None = None,
) -> list[RoutedVehicle]:
    """Route a window on several cores: the whole model here, the model cut into regions
    by ``runner`` (default: a forked child, with ``workers`` > 1); keep the better plan by
    the router's own objective.

    The regions' smaller models converge in a few seconds where the whole window needs
    tens of seconds; with long searches the whole model wins. A ``runner`` with no free
    slot (no worker answers) gives way to the forked child. With one runner slot, one
    sub-problem routes the regions in turn; with more, each region is a sub-problem of its
    own. Regions answered late or not at all are left out (the others' routes are still
    routes of the whole window), and the plan is at least as good, by the router's
    objective, as the whole model's found beside it. With no runner slot, a search under
    ``MIN_PORTFOLIO_S`` or a window too small to cut: the whole alone.
    """
    if time_limit_s < MIN_PORTFOLIO_S:
        return route_window(model, time_limit_s)
    runner, slots = _with_slots(runner, ForkRunner(workers - 1))
    regions = split_window(model, 2) if slots > 0 else []
    if len(regions) < 2:
        return route_window(model, time_limit_s)
    # the regions have the search's time, all in; the whole model's build comes on top here
    due = time.monotonic() + time_limit_s
    count = min(slots, len(regions))
    groups = [regions[g::count] for g in range(count)]
    handles = [_submit(runner, group, time_limit_s) for group in groups]
    whole = route_window(model, time_limit_s)
    split: list[RoutedVehicle] = []
    for group, handle in zip(groups, handles, strict=True):
        answer = _result(runner, handle, due + ANSWER_GRACE_S - time.monotonic())
        split += _decode(model, group, answer, runner.name)
    return _better(model, whole, split)


def _with_slots(
    runner: SubproblemRunner | None, fork: SubproblemRunner
) -> tuple[SubproblemRunner, int]:
    """The given runner when it has a free slot, else the forked child (when ``workers``
    leave it a core), and its slots (0: the window is routed whole)."""
    for candidate in (runner, fork):
        if candidate is None:
            continue
        try:
            slots = candidate.slots()
        except Exception:  # a runner never takes a window down
            log.warning("the %s runner failed", candidate.name, exc_info=True)
            continue
        if slots > 0:
            return candidate, slots
    return fork, 0


def _submit(runner: SubproblemRunner, regions: Sequence[Region], time_limit_s: float) -> object:
    """Hand the regions to the runner as one sub-problem (``RegionWork``); its handle."""
    work = RegionWork(tuple(r.model for r in regions), time_limit_s, time.time() + time_limit_s)
    try:
        return runner.submit(pickle.dumps(work, protocol=pickle.HIGHEST_PROTOCOL), time_limit_s)
    except Exception:
        log.warning("the %s runner took no regions", runner.name, exc_info=True)
        return None


def _result(runner: SubproblemRunner, handle: object, wait_s: float) -> bytes | None:
    if handle is None:
        return None
    try:
        return runner.result(handle, wait_s)
    except Exception:
        log.warning("the %s runner gave no regions' routes", runner.name, exc_info=True)
        return None


def _decode(
    model: WindowModel, regions: Sequence[Region], answer: bytes | None, runner: str
) -> list[RoutedVehicle]:
    """The routes a sub-problem answered, as routes of the whole window (none when it
    failed, was late, or answered something else than its regions' routes)."""
    if not answer:
        return []
    try:
        found = pickle.loads(answer)
        return [
            vehicle
            for region, sent in zip(regions, found, strict=True)
            for vehicle in _merge(model, region, _received(region.model, sent))
        ]
    except (pickle.UnpicklingError, ValueError, TypeError, IndexError, EOFError):
        log.warning("a %s sub-problem answered something else than routes", runner)
        return []


_Sent = list[tuple[int, list[tuple[int, int]]]]
"""Routes as sent back: ``[(vehicle, [(option, arrival_min), ...]), ...]``."""


def _sent(model: WindowModel, routed: list[RoutedVehicle]) -> _Sent:
    first = len(model.vehicles)
    return [(v.node, [(s.node - first, s.arrival_min) for s in v.stops]) for v in routed]


def _received(model: WindowModel, sent: _Sent) -> list[RoutedVehicle]:
    first = len(model.vehicles)
    return [
        RoutedVehicle(
            model.vehicles[v],
            v,
            tuple(RoutedStop(model.options[o], first + o, at) for o, at in stops),
        )
        for v, stops in sent
    ]


def _better(
    model: WindowModel, whole: list[RoutedVehicle], split: list[RoutedVehicle]
) -> list[RoutedVehicle]:
    """The plan with the better routing objective of the two that break no routing rule
    (the whole model's on a tie or when the regions found nothing valid)."""
    if not split:
        return whole
    core = core_problem(model)
    scored = [
        (core_objective(core, solution), n, routed)
        for n, routed in enumerate((whole, split))
        for solution in (_core_solution(model, routed),)
        if not core_violations(core, solution)
    ]
    if not scored:
        return whole
    log.debug("window: %s", ", ".join(f"plan {n}: {value:.1f}" for value, n, _ in scored))
    return min(scored, key=lambda item: (item[0], item[1]))[2]


def _whole(model: WindowModel) -> Region:
    return Region(model, tuple(range(len(model.vehicles))), tuple(range(len(model.options))))


def _share_vehicles(model: WindowModel, parts: int) -> list[int]:
    """The region of each vehicle: every truck class dealt out in turn, day by day."""
    by_class: dict[TruckClass, list[int]] = defaultdict(list)
    for v, vehicle in enumerate(model.vehicles):
        by_class[TruckClass.of(vehicle.truck)].append(v)
    part_of = [0] * len(model.vehicles)
    turn = 0
    for members in by_class.values():
        for v in sorted(
            members, key=lambda v: (model.vehicles[v].day_index, model.vehicles[v].truck.id)
        ):
            part_of[v] = turn % parts
            turn += 1
    return part_of


def _sectors(model: WindowModel, parts: int) -> dict[str, int]:
    """The region of each venue: sectors by bearing from the depots' centre, with as many
    venues each, cut where the venues are sparsest."""
    depots = [v.truck.depot for v in model.vehicles]
    lat0 = sum(p.lat for p in depots) / len(depots)
    lon0 = sum(p.lon for p in depots) / len(depots)
    places = {o.venue.id: o.venue.location for o in model.options}
    bearing = sorted(
        (math.atan2(p.lat - lat0, (p.lon - lon0) * math.cos(math.radians(lat0))), venue_id)
        for venue_id, p in places.items()
    )
    angles = np.array([a for a, _ in bearing])
    gaps = np.diff(np.append(angles, angles[0] + 2 * math.pi))
    start = (int(np.argmax(gaps)) + 1) % len(bearing)
    ordered = bearing[start:] + bearing[:start]
    return {venue_id: i * parts // len(ordered) for i, (_, venue_id) in enumerate(ordered)}


def _region(
    model: WindowModel, vehicles: tuple[int, ...], part: int, venue_part: dict[str, int]
) -> Region:
    new_id = {v: i for i, v in enumerate(vehicles)}
    options = []
    kept = []
    for i, option in enumerate(model.options):
        if venue_part[option.venue.id] != part:
            continue
        ids = tuple(new_id[v] for v in option.vehicle_ids if v in new_id)
        if ids:
            options.append(replace(option, vehicle_ids=ids))
            kept.append(i)
    n_v = len(model.vehicles)
    nodes = np.array([*vehicles, *(n_v + i for i in kept)], dtype=np.intp)
    grid = np.ix_(nodes, nodes)
    sub = replace(
        model,
        vehicles=tuple(model.vehicles[v] for v in vehicles),
        options=tuple(options),
        travel_min=model.travel_min[grid],
        forbidden=model.forbidden[grid],
        extra_transit_min=model.extra_transit_min[grid],
    )
    return Region(sub, vehicles, tuple(kept))


def _merge(model: WindowModel, region: Region, routed: list[RoutedVehicle]) -> list[RoutedVehicle]:
    """A region's routes as routes of the whole window."""
    n_v = len(model.vehicles)
    first = len(region.vehicles)
    out = []
    for vehicle in routed:
        v = region.vehicles[vehicle.node]
        stops = tuple(
            RoutedStop(model.options[i], n_v + i, stop.arrival_min)
            for stop in vehicle.stops
            for i in (region.options[stop.node - first],)
        )
        out.append(RoutedVehicle(model.vehicles[v], v, stops))
    return out


def _core_solution(model: WindowModel, routed: list[RoutedVehicle]) -> CoreSolution:
    first = len(model.vehicles)
    by_vehicle = {
        vehicle.node: tuple((stop.node - first, stop.arrival_min) for stop in vehicle.stops)
        for vehicle in routed
    }
    return CoreSolution(tuple(by_vehicle.get(v, ()) for v in range(first)), "regions")
