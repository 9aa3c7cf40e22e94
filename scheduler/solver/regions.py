"""Both cores for one window: the whole window routed in this process while a forked child
routes the window cut into regions; the plan with the better routing objective is kept.

A region is a window model of its own (a subset of the vehicles and of the options, the
travel rows and columns that go with them), so its routes are routes of the whole window:
no venue is in two regions and no vehicle serves two, and the merged plan keeps every rule
the router checks. Regions are sectors by bearing from the depots, with as many candidate
venues each, and get the vehicles of every truck class in turn. A region's smaller model
converges in a couple of seconds where the whole window needs tens of seconds: with short
budgets the regions win, with long ones the whole model does, and the plan is never worse
than the whole model's alone.

The child inherits the model by ``fork`` (nothing is pickled but the routes it sends back);
a child that fails, is late or cannot be started is ignored.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import math
import multiprocessing
import os
import pickle
import signal
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection

import numpy as np

from scheduler.solver.core import CoreSolution, core_objective, core_violations
from scheduler.solver.routing import (
    RoutedStop,
    RoutedVehicle,
    WindowModel,
    core_problem,
    route_window,
)
from scheduler.solver.windows import TruckClass

__all__ = ["Region", "route_portfolio", "route_split", "split_window"]

log = logging.getLogger(__name__)

MIN_SEARCH_S = 0.1
"""The shortest routing search (OR-Tools stops at 0.1 s at best)."""
MIN_PORTFOLIO_S = 1.0
"""A shorter search routes the window whole (building the regions' models would not pay)."""
CHILD_GRACE_S = 0.5
"""How long past its deadline the parent waits for the regions' child."""
PR_SET_PDEATHSIG = 1
"""Linux ``prctl`` option: the signal a process gets when its parent ends."""
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
    deadline = time.monotonic() + time_limit_s
    regions = split_window(model, parts)
    left_options = sum(len(r.model.options) for r in regions)
    overhead_per_option = 0.0
    found = []
    for region in regions:
        size = len(region.model.options)
        share = (deadline - time.monotonic()) * size / left_options
        search = max(MIN_SEARCH_S, share - overhead_per_option * size - 0.05 * share)
        started = time.monotonic()
        found.extend(_merge(model, region, route_window(region.model, search)))
        spent = time.monotonic() - started - search
        overhead_per_option = max(overhead_per_option, spent / size)
        left_options -= size
    return found


def route_portfolio(
    model: WindowModel, time_limit_s: float, workers: int = 2
) -> list[RoutedVehicle]:
    """Route a window on two cores: the whole model here, the model cut into regions in a
    forked child; keep the better plan by the router's own objective.

    The regions' smaller models converge in a few seconds where the whole window needs
    tens of seconds; with long searches the whole model wins. Either way the plan is at least
    as good, by the router's objective, as the whole model's found beside it. With one
    worker, a search under ``MIN_PORTFOLIO_S`` or a window too small to cut: the whole alone.
    """
    if workers < 2 or time_limit_s < MIN_PORTFOLIO_S or len(split_window(model, 2)) < 2:
        return route_window(model, time_limit_s)
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    # the child has the search's time, all in; the whole model's build comes on top here
    child_deadline = time.monotonic() + time_limit_s
    child = context.Process(target=_split_child, args=(model, time_limit_s, send, os.getpid()))
    try:
        child.start()
    except (AssertionError, OSError) as error:  # e.g. a daemonic worker may not fork
        log.warning("routing the window on one core: %s", error)
        send.close()
        receive.close()
        return route_window(model, time_limit_s)
    send.close()
    whole = route_window(model, time_limit_s)
    split = _receive(model, receive, child_deadline + CHILD_GRACE_S - time.monotonic())
    child.join(timeout=5.0)
    if child.is_alive():
        child.kill()
        child.join()
    if split is None:
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
    best = min(scored, key=lambda item: (item[0], item[1]))
    log.debug("window: whole %.1f, regions %s", scored[0][0], [s[0] for s in scored[1:]])
    return best[2]


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


def _split_child(model: WindowModel, time_limit_s: float, send: Connection, parent: int) -> None:
    """In a forked child: route the window by regions, send back the routes as
    ``[(vehicle, [(option, arrival), ...]), ...]`` of the whole window."""
    _die_with(parent)
    try:
        routed = route_split(model, time_limit_s)
        first = len(model.vehicles)
        found = [
            (vehicle.node, [(stop.node - first, stop.arrival_min) for stop in vehicle.stops])
            for vehicle in routed
        ]
        send.send_bytes(pickle.dumps(found))
    except Exception:  # the parent keeps the whole model's plan
        log.exception("routing a window by regions in a child process failed")
    finally:
        send.close()


def _die_with(parent: int) -> None:
    """Have the kernel end this child when the planning process ends (Linux), so that a
    solver killed outright leaves nothing behind; elsewhere the child ends at its deadline."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent ended before that took effect
        os._exit(0)


def _receive(model: WindowModel, receive: Connection, wait_s: float) -> list[RoutedVehicle] | None:
    """The routes the child found, or ``None`` when it failed or did not answer in time."""
    try:
        if receive.poll(max(0.05, wait_s)):
            found = pickle.loads(receive.recv_bytes())
            first = len(model.vehicles)
            return [
                RoutedVehicle(
                    model.vehicles[v],
                    v,
                    tuple(RoutedStop(model.options[i], first + i, at) for i, at in stops),
                )
                for v, stops in found
            ]
    except (EOFError, OSError, pickle.UnpicklingError):
        pass
    finally:
        receive.close()
    log.warning("the regions' child process gave no routes; keeping the whole window's")
    return None
