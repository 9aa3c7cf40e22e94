"""Side-by-side benchmark: our routing core against plain OR-Tools, PyVRP and VROOM.

    python benchmarks/peers.py --set solomon --time-limit 10                 # all 56 Solomon files
    python benchmarks/peers.py --set toptw --instances c101,pr01 --time-limit 10
    python benchmarks/peers.py --set solomon --instances C101,R101 --engines ours,pyvrp --csv p.csv

The issue-8 targets, each set in one run beside PyVRP alone (needs a quiet machine, ~20 s
per instance: about 19 min for Solomon, 14 min for TOPTW)::

    python benchmarks/peers.py --set solomon --engines ours,pyvrp --time-limit 10
    python benchmarks/peers.py --set toptw --engines ours,pyvrp --time-limit 10 \
        --instances pr01,pr02,pr03,pr04,pr05,pr06,pr07,pr08,pr09,pr10

Every engine gets the same instances, the same integer data (distances and times truncated to
the instance's precision, the DIMACS convention of the best-known values) and the same time
limit, one run at a time; each solution is re-checked by ``scheduler.bench.check`` (the same
independent checker as ``scheduler bench``) and its cost recomputed from the routes. Columns
``cores`` are measured: CPU seconds (this process and its children) over wall seconds.

- ``ours``: ``scheduler.bench`` -> ``solve_core`` (engine ``auto``), exactly as ``scheduler bench``:
  two PyVRP searches with different seeds on the two cores (``core.portfolio``), the better
  one kept;
- ``ortools``: the textbook model written here on the raw instance: one ``Time`` dimension with
  windows via ``CumulVar.SetRange``, a capacity dimension (Solomon), ``AddDisjunction`` with a
  penalty of score x weight per customer (TOPTW; the weight makes score dominate distance),
  ``PATH_CHEAPEST_ARC`` + ``GUIDED_LOCAL_SEARCH``, one thread;
- ``pyvrp``: ``pyvrp.Model`` with default settings, except that the penalty cap is raised
  above the largest prize (TOPTW), or PyVRP trades time-window violations for prizes;
- ``vroom``: ``pyvroom``, exploration level 5, ``--vroom-threads`` threads (default 1), the
  time limit as timeout; TOPTW scores become job priorities (VROOM maximises the total
  priority of the jobs it serves, then minimises cost).

Needs the ``bench`` extra (``pip install -e '.[bench]'``) for PyVRP and VROOM.
"""

from __future__ import annotations

import argparse
import csv
import math
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from statistics import fmean

import numpy as np
import numpy.typing as npt
from rich.console import Console
from rich.table import Table

from scheduler.bench.adapter import distance_matrix, score_weight, to_units
from scheduler.bench.check import check_solution
from scheduler.bench.instances import Instance, Kind, best_known
from scheduler.bench.run import gap_pct, plan_runs, run_one
from scheduler.errors import SchedulerError

console = Console(width=160)

Routes = list[list[int]]
"""Customer ids per route, as in the instance file."""

ENGINES = ("ours", "ortools", "pyvrp", "vroom")


@dataclass(frozen=True, slots=True)
class Data:
    """An instance as integers: what every peer is given."""

    instance: Instance
    vehicles: int
    distance: npt.NDArray[np.int64]
    service: list[int]
    ready: list[int]
    due: list[int]
    demand: list[int]
    score: list[int]
    horizon: int

    @property
    def solomon(self) -> bool:
        """Whether every customer must be served (VRPTW) rather than chosen (TOPTW)."""
        return self.instance.kind == "solomon"

    @property
    def weight(self) -> int:
        """Value of one point of score in distance units (see ``adapter.score_weight``)."""
        return score_weight(self.instance, self.vehicles)

    def ids(self, vertices: list[int]) -> list[int]:
        """Customer ids of vertex indices (vertex 0 is the depot)."""
        return [self.instance.customers[v - 1].id for v in vertices]


def integer_data(instance: Instance, vehicles: int) -> Data:
    """Truncated distances and the customers' times in units of ``10**-decimals``."""
    d = instance.decimals
    vertices = [instance.depot, *instance.customers]
    return Data(
        instance=instance,
        vehicles=vehicles,
        distance=distance_matrix(instance),
        service=[to_units(c.service, d, up=True) for c in vertices],
        ready=[to_units(c.ready, d, up=True) for c in vertices],
        due=[to_units(c.due, d, up=False) for c in vertices],
        demand=[c.demand for c in vertices],
        score=[round(c.score) for c in vertices],
        horizon=to_units(instance.horizon, d, up=False),
    )


# -- the peers ------------------------------------------------------------------------------------


def solve_ortools(data: Data, time_limit_s: float) -> Routes | None:
    """The textbook OR-Tools model: PATH_CHEAPEST_ARC + guided local search."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n = len(data.service)
    manager = pywrapcp.RoutingIndexManager(n, data.vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    distance = routing.RegisterTransitMatrix(data.distance.tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(distance)
    travel = data.distance + np.asarray(data.service, dtype=np.int64)[:, None]
    routing.AddDimension(
        routing.RegisterTransitMatrix(travel.tolist()), data.horizon, data.horizon, False, "Time"
    )
    time_dim = routing.GetDimensionOrDie("Time")
    for node in range(1, n):
        time_dim.CumulVar(manager.NodeToIndex(node)).SetRange(data.ready[node], data.due[node])
    for v in range(data.vehicles):
        for index in (routing.Start(v), routing.End(v)):
            time_dim.CumulVar(index).SetRange(0, data.horizon)
            routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(index))
    if data.solomon:
        demand = routing.RegisterUnaryTransitVector(data.demand)
        capacities = [data.instance.capacity] * data.vehicles
        routing.AddDimensionWithVehicleCapacity(demand, 0, capacities, True, "Capacity")
    else:
        for node in range(1, n):
            routing.AddDisjunction([manager.NodeToIndex(node)], data.score[node] * data.weight)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(time_limit_s * 1000))
    solution = routing.SolveWithParameters(params)
    if solution is None:
        return None
    routes: Routes = []
    for v in range(data.vehicles):
        index, nodes = solution.Value(routing.NextVar(routing.Start(v))), []
        while not routing.IsEnd(index):
            nodes.append(manager.IndexToNode(index))
            index = solution.Value(routing.NextVar(index))
        routes.append(data.ids(nodes))
    return routes


def solve_pyvrp(data: Data, time_limit_s: float) -> Routes | None:
    """PyVRP's default solver; for TOPTW the penalty cap is raised above the largest prize."""
    from pyvrp import Model, PenaltyParams, SolveParams
    from pyvrp.stop import MaxRuntime

    model = Model()
    xy = [data.instance.depot, *data.instance.customers]
    places = [model.add_location(x=c.x, y=c.y) for c in xy]
    depot = model.add_depot(places[0], tw_early=0, tw_late=data.horizon)
    for node in range(1, len(places)):
        model.add_client(
            places[node],
            delivery=[data.demand[node]] if data.solomon else [],
            service_duration=data.service[node],
            tw_early=data.ready[node],
            tw_late=data.due[node],
            prize=0 if data.solomon else data.score[node] * data.weight,
            required=data.solomon,
        )
    model.add_vehicle_type(
        num_available=data.vehicles,
        capacity=[data.instance.capacity] if data.solomon else [],
        start_depot=depot,
        end_depot=depot,
        tw_early=0,
        tw_late=data.horizon,
    )
    for a, frm in enumerate(places):
        for b, to in enumerate(places):
            if a != b:
                cost = int(data.distance[a, b])
                model.add_edge(frm, to, distance=cost, duration=cost)
    params = SolveParams()
    if not data.solomon:
        cap = 10.0 * max(data.score) * data.weight
        params = SolveParams(penalty=PenaltyParams(max_penalty=max(cap, 100_000.0)))
    result = model.solve(stop=MaxRuntime(time_limit_s), display=False, params=params)
    if not result.best.is_feasible():
        return None
    # a client activity's idx counts clients only: client k is vertex k + 1
    return [
        data.ids([a.idx + 1 for a in route.schedule() if a.is_client()])
        for route in result.best.routes()
    ]


def solve_vroom(data: Data, time_limit_s: float, threads: int = 1) -> Routes | None:
    """VROOM (pyvroom) at exploration level 5 with the time limit as timeout."""
    import vroom

    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=data.distance.astype(np.uint32))
    top = max(data.score) or 1
    scale = 100 / top if top > 100 else 1.0
    for v in range(data.vehicles):
        problem.add_vehicle(
            vroom.Vehicle(
                v,
                start=0,
                end=0,
                capacity=[data.instance.capacity] if data.solomon else (),
                time_window=vroom.TimeWindow(0, data.horizon),
            )
        )
    for node in range(1, len(data.service)):
        problem.add_job(
            vroom.Job(
                node,
                location=node,
                default_service=data.service[node],
                delivery=[data.demand[node]] if data.solomon else (),
                priority=0 if data.solomon else math.floor(data.score[node] * scale),
                time_windows=[vroom.TimeWindow(data.ready[node], data.due[node])],
            )
        )
    solution = problem.solve(
        exploration_level=5, nb_threads=threads, timeout=timedelta(seconds=time_limit_s)
    )
    routes = solution.to_dict().get("routes", [])
    return [
        data.ids([int(step["id"]) for step in route["steps"] if step["type"] == "job"])
        for route in routes
    ]


# -- measuring ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Run:
    """One engine on one (instance, vehicles)."""

    engine: str
    instance: str
    vehicles: int
    objective: float | None
    best_known: float | None
    gap_pct: float | None
    seconds: float
    cores: float
    feasible: bool
    note: str


def cpu_seconds() -> float:
    """User + system CPU of this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(
    engine: str, instance: Instance, vehicles: int, time_limit_s: float, vroom_threads: int
) -> Run:
    """Solve once with ``engine``, time it, and check the routes independently."""
    cpu, began = cpu_seconds(), time.perf_counter()
    note = ""
    routes: Routes | None
    if engine == "ours":
        row = run_one(instance, vehicles, time_limit_s)
        routes, note = None, row.engine
        objective: float | None = row.objective
        feasible, problems = row.feasible, list(row.problems)
    else:
        data = integer_data(instance, vehicles)
        solvers: dict[str, Callable[[], Routes | None]] = {
            "ortools": lambda: solve_ortools(data, time_limit_s),
            "pyvrp": lambda: solve_pyvrp(data, time_limit_s),
            "vroom": lambda: solve_vroom(data, time_limit_s, vroom_threads),
        }
        routes = solvers[engine]()
    wall = time.perf_counter() - began
    cores = (cpu_seconds() - cpu) / wall if wall > 0 else 0.0
    if engine != "ours":
        if routes is None:
            objective, feasible, problems = None, False, ["no feasible solution"]
        else:
            feasible, problems, objective = check_solution(instance, routes, vehicles)
    if not feasible:
        note = "; ".join(problems)[:80]
    best = best_known(instance.kind, instance.name, vehicles)
    gap = gap_pct(instance.kind, objective, best) if feasible and objective is not None else None
    return Run(engine, instance.name, vehicles, objective, best, gap, wall, cores, feasible, note)


def details(runs: list[Run], engines: list[str]) -> Table:
    """Per instance: each engine's objective and gap."""
    table = Table(title="Per instance (objective, gap % to best known; x = infeasible)")
    table.add_column("instance")
    table.add_column("m", justify="right")
    table.add_column("best", justify="right")
    for engine in engines:
        table.add_column(engine, justify="right")
    keys = list(dict.fromkeys((r.instance, r.vehicles) for r in runs))
    for name, vehicles in keys:
        cells: list[str] = []
        best: float | None = None
        for engine in engines:
            run = next(
                (r for r in runs if (r.engine, r.instance, r.vehicles) == (engine, name, vehicles)),
                None,
            )
            best = run.best_known if run is not None else best
            if run is None:
                cells.append("")
            elif not run.feasible or run.objective is None:
                cells.append("[red]x[/]")
            else:
                gap = "" if run.gap_pct is None else f" ({run.gap_pct:.2f})"
                cells.append(f"{run.objective:g}{gap}")
        table.add_row(name, str(vehicles), "" if best is None else f"{best:g}", *cells)
    return table


def summary(runs: list[Run], engines: list[str], time_limit_s: float) -> Table:
    """Per engine: feasible count, mean gap (all feasible runs with a best-known value, and
    the runs every engine solved feasibly), cores used, mean seconds."""
    keys = {(r.instance, r.vehicles) for r in runs}
    common = {
        key
        for key in keys
        if all(
            any(r.feasible and (r.instance, r.vehicles) == key for r in runs if r.engine == e)
            for e in engines
        )
    }
    table = Table(title=f"Peers at {time_limit_s:g} s per run, one run at a time")
    for column in ("engine", "feasible", "mean gap %", "mean gap % (common)", "cores", "mean s"):
        table.add_column(column, justify="left" if column == "engine" else "right")
    for engine in engines:
        mine = [r for r in runs if r.engine == engine]
        gaps = [r.gap_pct for r in mine if r.gap_pct is not None]
        shared = [
            r.gap_pct for r in mine if r.gap_pct is not None and (r.instance, r.vehicles) in common
        ]
        table.add_row(
            engine,
            f"{sum(r.feasible for r in mine)}/{len(mine)}",
            f"{fmean(gaps):.2f} ({len(gaps)})" if gaps else "n/a",
            f"{fmean(shared):.2f} ({len(shared)})" if shared else "n/a",
            f"{max(r.cores for r in mine):.1f}" if mine else "",
            f"{fmean(r.seconds for r in mine):.1f}" if mine else "",
        )
    return table


def write_csv(runs: list[Run], path: Path) -> None:
    """Every run as a CSV row."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "engine",
                "instance",
                "vehicles",
                "objective",
                "best_known",
                "gap_pct",
                "seconds",
                "cores",
                "feasible",
                "note",
            ]
        )
        for r in runs:
            writer.writerow(
                [
                    r.engine,
                    r.instance,
                    r.vehicles,
                    "" if r.objective is None else r.objective,
                    "" if r.best_known is None else r.best_known,
                    "" if r.gap_pct is None else f"{r.gap_pct:.3f}",
                    f"{r.seconds:.2f}",
                    f"{r.cores:.2f}",
                    r.feasible,
                    r.note,
                ]
            )


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run every engine on every instance, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--set", dest="kind", choices=("solomon", "toptw"), default="solomon")
    parser.add_argument("--instances", help="comma-separated names or paths (default: target set)")
    parser.add_argument("--vehicles", type=int, help="fleet (Solomon) or tours m (TOPTW)")
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per run")
    parser.add_argument(
        "--engines", default=",".join(ENGINES), help="subset of " + ",".join(ENGINES)
    )
    parser.add_argument("--vroom-threads", type=int, default=1)
    parser.add_argument("--csv", type=Path, help="write every run here")
    args = parser.parse_args(argv)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown:
        parser.error(f"unknown engines {unknown}; choose from {','.join(ENGINES)}")
    kind: Kind = args.kind
    names = [n.strip() for n in args.instances.split(",") if n.strip()] if args.instances else None
    try:
        jobs = plan_runs(kind, names, args.vehicles)
    except SchedulerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    runs: list[Run] = []
    for instance, vehicles in jobs:
        for engine in engines:
            run = measure(engine, instance, vehicles, args.time_limit, args.vroom_threads)
            runs.append(run)
            objective = "none" if run.objective is None else f"{run.objective:g}"
            gap = "" if run.gap_pct is None else f" gap {run.gap_pct:.2f} %"
            status = "" if run.feasible else f" INFEASIBLE {run.note}"
            console.print(
                f"{instance.name} m={vehicles} {engine}: {objective}{gap}, {run.seconds:.1f} s, "
                f"{run.cores:.1f} cores{status}",
                highlight=False,
                markup=False,
            )
    console.print(details(runs, engines))
    console.print(summary(runs, engines, args.time_limit))
    if args.csv is not None:
        write_csv(runs, args.csv)
        console.print(f"Runs written to {args.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
