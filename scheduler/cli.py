"""The ``scheduler`` command line: plan the demo or a scenario file, check a plan, print the
file formats' JSON Schema, import spreadsheets, run the public routing benchmarks."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from scheduler import schemas
from scheduler.checks import Violation
from scheduler.config import get_settings
from scheduler.demo import demo_problem
from scheduler.domain import Plan, Problem
from scheduler.errors import InvalidProblem, SchedulerError, SolverError
from scheduler.importing import scenario_from_csv
from scheduler.planning import (
    BenchOutcome,
    BenchRow,
    PlanOutcome,
    SolveProgress,
    benchmark,
    check_plan,
    plan_problem,
)
from scheduler.roads import CachedTravelTimes, build_road_graph, travel_provider
from scheduler.serve import db_app, serve, users_app
from scheduler.simulate import SimulationReport, default_replanner
from scheduler.simulate import simulate as simulate_plan
from scheduler.travel import TravelTimes

__all__ = ["app"]

app = typer.Typer(
    name="scheduler",
    help="Kinotruck Scheduler: plan where Moscow's cinema trucks go and what they screen.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
roads_app = typer.Typer(
    help="Road graphs from OpenStreetMap for real driving times (plan --roads CACHE).",
    no_args_is_help=True,
)
app.add_typer(roads_app, name="roads")
app.command()(serve)
console = Console()
errors = Console(stderr=True)
log = logging.getLogger(__name__)

TimeLimit = Annotated[
    float, typer.Option("--time-limit", min=0.5, help="Solver budget in seconds for the season.")
]
RoadsCache = Annotated[
    Path | None,
    typer.Option(
        "--roads",
        metavar="CACHE",
        help="Drive on this road graph (from 'roads build'); default: SCHEDULER_ROADS_CACHE.",
    ),
]
OsrmUrl = Annotated[
    str | None,
    typer.Option(
        "--osrm",
        metavar="URL",
        help="Ask this OSRM server's Table API for driving times; default: SCHEDULER_OSRM_URL.",
    ),
]
SolveWorkers = Annotated[
    int | None,
    typer.Option(
        "--workers",
        metavar="N",
        min=1,
        max=64,
        help="Processes (cores) the solve uses, 1 or more; default: SCHEDULER_SOLVE_WORKERS (2).",
    ),
]


class SchemaKind(StrEnum):
    scenario = "scenario"
    plan = "plan"


class BenchSet(StrEnum):
    solomon = "solomon"
    toptw = "toptw"


class NoiseSkew(StrEnum):
    uniform = "uniform"
    rush = "rush"


class _OneLine(logging.Formatter):
    """A log record as one line: tracebacks stay out of the terminal."""

    def format(self, record: logging.LogRecord) -> str:
        plain = logging.makeLogRecord(record.__dict__)
        plain.exc_info, plain.exc_text, plain.stack_info = None, None, None
        return super().format(plain)


@app.callback()
def _main() -> None:
    """Kinotruck Scheduler: plan where Moscow's cinema trucks go and what they screen."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(_OneLine("%(levelname)s %(name)s: %(message)s"))
        handler.setLevel(logging.WARNING)
        root.addHandler(handler)


def _fail(error: SchedulerError) -> typer.Exit:
    """Print the error for people; exit 2 for bad input, 3 when the engine failed."""
    if isinstance(error, InvalidProblem):
        errors.print("[bold red]Invalid input:[/]")
        for field, message in error.problems:
            errors.print(f"  [red]{field}[/]: {message}", markup=True, highlight=False)
    else:
        errors.print(f"[bold red]Error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
    return typer.Exit(code=3 if isinstance(error, SolverError) else 2)


@contextmanager
def _reported() -> Iterator[None]:
    """Turn every error into a message and an exit code, never a traceback."""
    try:
        yield
    except (click.exceptions.Exit, click.exceptions.ClickException, click.exceptions.Abort):
        raise
    except SchedulerError as error:
        raise _fail(error) from None
    except Exception as error:
        log.error("unexpected error", exc_info=True)
        detail = str(error).strip() or "no message"
        failure = SolverError(f"unexpected error ({type(error).__name__}: {detail})")
        raise _fail(failure) from None


def _solve(
    problem: Problem, time_limit: float, travel: TravelTimes | None = None, workers: int = 2
) -> PlanOutcome:
    with Progress(
        TextColumn("[bold]Planning[/] {task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} windows"),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    ) as bar:
        task = bar.add_task(problem.name, total=None)

        def progress(step: SolveProgress) -> None:
            bar.update(task, completed=step.windows_done, total=step.windows_total)

        return plan_problem(problem, time_limit, travel, progress=progress, workers=workers)


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidProblem([(str(path), f"cannot write: {exc}")]) from exc


def _show_plan(problem: Problem, plan: Plan) -> None:
    venues = {v.id: v for v in problem.venues}
    trucks = {t.id: t for t in problem.trucks}
    table = Table(title=f"Plan: {problem.name}", show_lines=False)
    for column in ("day", "truck", "depot", "stops: arrival venue — films", "back"):
        table.add_column(column)
    for route in plan.routes:
        stops = "\n".join(
            f"{s.arrival:%H:%M} {venues[s.venue_id].name} — "
            + ", ".join(f"{x.start:%H:%M} {x.film_id}" for x in s.screenings)
            for s in route.stops
        )
        table.add_row(
            f"{route.day:%a %d.%m}",
            trucks[route.truck_id].name,
            f"{route.depot_departure:%H:%M}",
            stops,
            f"{route.depot_return:%H:%M}",
        )
    console.print(table)
    _show_unserved(problem, plan)
    _show_okrugs(problem, plan)
    s = plan.stats
    console.print(
        f"[bold]{s.screenings}[/] screenings at {s.stops} stops, {s.served_venues}/"
        f"{len(problem.venues)} venues served, {s.travel_min / 60:.1f} h of driving, "
        f"objective {plan.objective:,.1f}, solved in {s.solve_s:.1f} s"
    )
    if s.bound is not None and s.gap_pct is not None:
        console.print(f"Proven bound {s.bound:,.1f}: the plan is within {s.gap_pct:.1f} % of it")
    else:
        console.print("Proven bound: not computed in the time limit")


def _show_okrugs(problem: Problem, plan: Plan) -> None:
    okrug_of = {v.id: v.okrug for v in problem.venues}
    screenings = Counter({okrug: 0 for okrug in okrug_of.values()})
    for _, stop in plan.stops:
        screenings[okrug_of[stop.venue_id]] += len(stop.screenings)
    line = ", ".join(f"{okrug} {n}" for okrug, n in sorted(screenings.items()))
    console.print(f"Screenings by okrug: {line}")


def _show_unserved(problem: Problem, plan: Plan) -> None:
    if not plan.unserved:
        return
    venues = {v.id: v for v in problem.venues}
    table = Table(title=f"Not served ({len(plan.unserved)} venues)")
    table.add_column("venue")
    table.add_column("reason")
    table.add_column("why")
    for item in plan.unserved:
        table.add_row(venues[item.venue_id].name, item.reason.value, item.message)
    console.print(table)


def _show_violations(violations: list[Violation]) -> None:
    if not violations:
        console.print("[bold green]0 violations[/]: every rule holds.")
        return
    table = Table(title=f"{len(violations)} violations")
    for column in ("rule", "truck", "day", "venue", "message"):
        table.add_column(column)
    for v in violations:
        table.add_row(v.rule, v.truck_id or "", str(v.day or ""), v.venue_id or "", v.message)
    console.print(table)
    counts = Counter(v.rule for v in violations)
    console.print(", ".join(f"{rule}: {n}" for rule, n in counts.most_common()))


def _plan_and_report(
    problem: Problem,
    time_limit: float,
    out: Path | None,
    travel: TravelTimes | None = None,
    workers: int = 2,
) -> None:
    outcome = _solve(problem, time_limit, travel, workers)
    _show_plan(problem, outcome.plan)
    _show_violations(outcome.violations)
    if out is not None:
        _write(out, schemas.dump_json(schemas.plan_to_file(outcome.plan, problem.name)))
        console.print(f"Plan written to {out}")
    if outcome.violations:
        raise typer.Exit(code=1)


@app.command()
def demo(
    days: Annotated[int, typer.Option(min=1, max=92, help="Days in the demo season.")] = 14,
    time_limit: TimeLimit = 30.0,
    out: Annotated[Path | None, typer.Option(help="Write the plan JSON here.")] = None,
    scenario_out: Annotated[
        Path | None, typer.Option(help="Write the demo scenario JSON here.")
    ] = None,
) -> None:
    """Plan the built-in Moscow demo season (July 2026)."""
    with _reported():
        problem = demo_problem(days=days)
        if scenario_out is not None:
            _write(scenario_out, schemas.dump_json(schemas.scenario_from_problem(problem)))
            console.print(f"Scenario written to {scenario_out}")
        _plan_and_report(problem, time_limit, out)


@app.command()
def plan(
    scenario: Annotated[Path, typer.Argument(help="Scenario JSON file.")],
    out: Annotated[Path, typer.Option(help="Write the plan JSON here.")],
    time_limit: TimeLimit = 30.0,
    roads: RoadsCache = None,
    osrm: OsrmUrl = None,
    workers: SolveWorkers = None,
) -> None:
    """Plan a scenario file."""
    with _reported():
        problem = schemas.load_scenario(scenario)
        travel = _travel(problem, roads, osrm)
        solve_workers = workers if workers is not None else get_settings().solve_workers
        _plan_and_report(problem, time_limit, out, travel, solve_workers)


@app.command()
def check(
    scenario: Annotated[Path, typer.Argument(help="Scenario JSON file.")],
    plan_file: Annotated[Path, typer.Argument(metavar="PLAN", help="Plan JSON file.")],
    roads: RoadsCache = None,
    osrm: OsrmUrl = None,
) -> None:
    """Re-check a plan against every rule; exit 0 only when nothing is violated."""
    with _reported():
        problem = schemas.load_scenario(scenario)
        plan_read = schemas.load_plan(plan_file)
        violations = check_plan(problem, plan_read, _travel(problem, roads, osrm))
    _show_violations(violations)
    if violations:
        raise typer.Exit(code=1)


@app.command("simulate")
def simulate_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario JSON file.")],
    plan_file: Annotated[Path, typer.Argument(metavar="PLAN", help="Plan JSON file.")],
    noise: Annotated[
        float, typer.Option(help="Travel noise: each drive takes x U(1-noise, 1+noise), 0..0.9.")
    ] = 0.3,
    events: Annotated[
        int, typer.Option(help="Random disruptions a day; each one re-plans the day.")
    ] = 0,
    replan: Annotated[
        bool,
        typer.Option(
            "--replan/--no-replan",
            help="Re-plan on events and lateness (--no-replan: drive the plan as it is).",
        ),
    ] = True,
    seed: Annotated[int, typer.Option(help="Seed of the random street (same seed, same run).")] = 0,
    runs: Annotated[int, typer.Option(help="Replays of the whole plan, 1 or more.")] = 1,
    skew: Annotated[
        NoiseSkew, typer.Option(help="uniform, or rush: drives longer in 07-10 and 17-20.")
    ] = NoiseSkew.uniform,
    roads: RoadsCache = None,
    osrm: OsrmUrl = None,
) -> None:
    """Replay a plan with random travel times and disruptions, re-planning as they come,
    and count the screenings that started on time, late, or not at all."""
    with _reported():
        problem = schemas.load_scenario(scenario)
        plan_read = schemas.load_plan(plan_file)
        travel = _travel(problem, roads, osrm)
        with errors.status(f"Simulating {runs} run(s) of {problem.name}"):
            report = simulate_plan(
                problem,
                plan_read,
                travel,
                noise=noise,
                events=events,
                seed=seed,
                runs=runs,
                skew=skew.value,
                replan=default_replanner(travel) if replan else None,
            )
    _show_simulation(report)


def _show_simulation(report: SimulationReport) -> None:
    table = Table(title=f"Planned screenings over {report.runs} run(s) of {report.days} day(s)")
    for column in ("outcome", "screenings", "share %", "detail"):
        table.add_column(column, justify="left" if column in ("outcome", "detail") else "right")
    total = max(report.planned, 1)
    late = f"mean {report.late_mean_min:.1f} min, max {report.late_max_min:.1f} min late"
    lost = f"audience {report.audience_lost:,.0f} of {report.audience_planned:,.0f} lost"
    for outcome, count, detail in (
        ("on time", report.on_time, "started within 5 min of the plan"),
        ("late", report.late, late),
        ("early", report.early, "moved earlier by a re-plan"),
        ("lost", report.lost, lost),
    ):
        table.add_row(outcome, str(count), f"{100 * count / total:.1f}", detail)
    console.print(table)
    if report.events or report.replans or report.replan_failures:
        console.print(
            f"{report.events} events, {report.replans} re-plans (mean {report.replan_mean_s:.2f} "
            f"s, max {report.replan_max_s:.2f} s), {report.replan_failures} failed, "
            f"{report.added} screenings added by re-plans (audience "
            f"{report.audience_added:,.0f}); net audience lost "
            f"{report.audience_lost - report.audience_added:,.0f}"
        )
    console.print(f"on time: {report.on_time_pct:.1f} %", highlight=False)


@app.command()
def schema(kind: Annotated[SchemaKind, typer.Argument(help="scenario or plan")]) -> None:
    """Print the JSON Schema of the scenario or plan file format."""
    model = schemas.ScenarioFile if kind is SchemaKind.scenario else schemas.PlanFile
    typer.echo(json.dumps(model.model_json_schema(), indent=2, ensure_ascii=False))


@app.command("import-csv")
def import_csv(
    venues: Annotated[Path, typer.Argument(help="Venues CSV.")],
    films: Annotated[Path, typer.Argument(help="Films CSV.")],
    trucks: Annotated[Path, typer.Argument(help="Trucks CSV.")],
    out: Annotated[Path, typer.Option(help="Write the scenario JSON here.")],
    start: Annotated[str, typer.Option(help="First day of the season, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option(help="Last day of the season, YYYY-MM-DD.")],
    name: Annotated[str, typer.Option(help="Scenario name.")] = "imported",
) -> None:
    """Build a scenario file from spreadsheets (CSV)."""
    try:
        first, last = _day("--start", start), _day("--end", end)
        scenario = scenario_from_csv(venues, films, trucks, start=first, end=last, name=name)
        _write(out, schemas.dump_json(scenario))
    except SchedulerError as error:
        raise _fail(error) from None
    console.print(
        f"Scenario written to {out}: {len(scenario.venues)} venues, {len(scenario.films)} "
        f"films, {len(scenario.trucks)} trucks, {len(scenario.season.days())} days"
    )


@app.command()
def bench(
    kind: Annotated[
        BenchSet,
        typer.Argument(help="solomon (VRPTW, minimise distance) or toptw (maximise score)."),
    ],
    instances: Annotated[
        str | None,
        typer.Option(
            metavar="A,B,...",
            help="Comma-separated names (C101,R101 / c101,pr01) from ../shared/benchmarks/<set>/ "
            "or instance files. Default: all 56 Solomon files; for TOPTW the 27 c/r/rc 1xx "
            "files with a best-known score, and pr01-pr10.",
        ),
    ] = None,
    vehicles: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Solomon: fleet size (default: the file's). TOPTW: tours m (default: 1, and "
            "1..4 for the Cordeau-based pr files).",
        ),
    ] = None,
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.1, help="Solver budget in seconds per run.")
    ] = 10.0,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", metavar="OUT.csv", help="Write the table as CSV here.")
    ] = None,
    solutions: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            help="Write each solution to DIR/<instance>.sol ('Route #k: ids', 'Cost').",
        ),
    ] = None,
) -> None:
    """Solve public benchmark instances through the planning engine's routing core and
    compare with the best-known values; exit 1 if any solution fails the independent check."""
    names = [n.strip() for n in instances.split(",") if n.strip()] if instances else None
    try:
        outcome = benchmark(
            kind.value,
            names,
            vehicles,
            time_limit,
            solutions_dir=solutions,
            csv_path=csv_out,
            progress=_bench_progress,
        )
    except SchedulerError as error:
        raise _fail(error) from None
    _show_bench(kind, outcome)
    if csv_out is not None:
        console.print(f"Table written to {csv_out}")
    if solutions is not None:
        console.print(f"Solutions written to {solutions}/")
    if outcome.feasible < len(outcome.rows):
        raise typer.Exit(code=1)


def _bench_progress(row: BenchRow) -> None:
    status = "ok" if row.feasible else "INFEASIBLE"
    fleet = f"{row.vehicles} vehicle{'s' if row.vehicles > 1 else ''}"
    errors.print(
        f"{row.instance} ({fleet}): {_num(row.objective)} in {row.seconds:.1f} s, {status}",
        highlight=False,
        markup=False,
    )


def _num(value: float) -> str:
    """``827.3``, ``320``: a benchmark number without float noise."""
    rounded = round(value, 6)
    return str(int(rounded)) if rounded.is_integer() else str(rounded)


def _show_bench(kind: BenchSet, outcome: BenchOutcome) -> None:
    what = "distance" if kind is BenchSet.solomon else "score"
    table = Table(title=f"{kind.value}: {what} against the best-known values")
    fleet = "fleet" if kind is BenchSet.solomon else "m"
    for column in ("instance", fleet, "used", what, "best", "gap %", "time s"):
        table.add_column(column, justify="left" if column == "instance" else "right")
    table.add_column("ok")
    table.add_column("engine")
    for row in outcome.rows:
        table.add_row(
            row.instance,
            str(row.vehicles),
            str(row.vehicles_used),
            _num(row.objective),
            "" if row.best_known is None else _num(row.best_known),
            "" if row.gap_pct is None else f"{row.gap_pct:.2f}",
            f"{row.seconds:.1f}",
            "yes" if row.feasible else "[bold red]NO[/]",
            row.engine,
        )
    console.print(table)
    for row in outcome.rows:
        for problem in row.problems[:5]:
            console.print(f"[red]{row.instance}[/]: {problem}", highlight=False)
    gap = "n/a" if outcome.mean_gap_pct is None else f"{outcome.mean_gap_pct:.2f} %"
    console.print(
        f"[bold]{outcome.feasible}/{len(outcome.rows)}[/] feasible, mean gap to best known "
        f"[bold]{gap}[/] (feasible runs with a best-known value)"
    )


def _day(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidProblem([(option, f"'{text}' is not a date YYYY-MM-DD")]) from None


def _travel(problem: Problem, roads: Path | None, osrm: str | None) -> TravelTimes:
    """The travel-time provider the options (else the settings) ask for, with the times
    between the problem's places computed up front in one block."""
    if roads is None and osrm is None:
        settings = get_settings()
        roads, osrm = settings.roads_cache, settings.osrm_url
    travel = travel_provider(roads_cache=roads, osrm_url=osrm)
    if isinstance(travel, CachedTravelTimes):
        with errors.status("Computing driving times between the scenario's places"):
            travel.warm([t.depot for t in problem.trucks] + [v.location for v in problem.venues])
    return travel


@roads_app.command("build")
def roads_build(
    osm_file: Annotated[
        Path, typer.Argument(metavar="FILE.osm.pbf", help="OpenStreetMap extract.")
    ],
    out: Annotated[
        Path | None, typer.Option(metavar="CACHE", help="Cache to write; default FILE.roads.npz.")
    ] = None,
    truck_weight: Annotated[
        float, typer.Option(min=0.1, help="Truck weight in tonnes, for maxweight limits.")
    ] = 12.0,
) -> None:
    """Build a truck's road graph from an OpenStreetMap extract and save it as a cache."""
    target = out or osm_file.with_name(osm_file.name.split(".")[0] + ".roads.npz")
    with _reported():
        with errors.status(f"Reading {osm_file}"):
            report = build_road_graph(osm_file, truck_weight)
        report.graph.save(target)
    graph = report.graph
    dropped = ", ".join(f"{rule} {n}" for rule, n in sorted(report.dropped.items())) or "none"
    console.print(
        f"Read {report.ways_read:,} highway ways, kept {report.ways_kept:,}; dropped: {dropped}"
    )
    console.print(
        f"Graph: {graph.node_count:,} nodes, {graph.edge_count:,} directed edges, "
        f"{int(graph.main.sum()):,} nodes in the largest connected part; "
        f"{report.segments_missing_nodes:,} segments left out (nodes outside the extract)"
    )
    console.print(f"Road cache written to {target} ({target.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":  # pragma: no cover
    app()
