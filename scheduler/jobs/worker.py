"""``run_job``: the one function both job backends run, in a worker process.

It reads the job from the database, plans the season around the locks of the job's base
plan (``planning.plan_problem``), reports progress and reads cancel requests through the
database (one short transaction per planning window), and ends with ONE transaction that
writes the new plan version, the job's final state and, when asked and clean, publishes the
plan. Any error marks the job failed; since the plan and the job state commit together, a
crash never leaves a half-written plan or a finished job without its plan.

The solve uses the service's ``PlanningSettings`` (the travel-time provider, built once per
solver process, and the processes per solve), the same provider the API checks edits with.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from scheduler.config import get_settings
from scheduler.db.audit import record
from scheduler.db.catalogue import season_problem
from scheduler.db.engine import Database
from scheduler.db.plans import (
    RouteKey,
    StopKey,
    StoredPlan,
    get_plan_row,
    load_plan,
    publish_plan,
    write_plan,
)
from scheduler.db.tables import Job, User
from scheduler.db.types import utcnow
from scheduler.domain import PinnedStop, Pins, Problem
from scheduler.errors import InvalidProblem, SchedulerError
from scheduler.jobs.offload import subproblem_runner
from scheduler.jobs.store import fail_jobs, get_job, update_job
from scheduler.planning import PlanningSettings, PlanOutcome, SolveProgress, plan_problem

__all__ = ["Locks", "locks_of", "run_job"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Locks:
    """The locked parts of a plan version: what the solve keeps (``pins``) and which parts
    of the new version stay locked (``routes``, ``stops``)."""

    pins: Pins | None = None
    routes: frozenset[RouteKey] = frozenset()
    stops: frozenset[StopKey] = frozenset()
    plan_number: int | None = None


def locks_of(stored: StoredPlan | None) -> Locks:
    """Locked truck-days become pinned routes, locked stops on other truck-days pinned
    stops; nothing is locked without a base plan."""
    if stored is None:
        return Locks()
    routes = tuple(r for r in stored.plan.routes if (r.truck_id, r.day) in stored.locked_routes)
    stops = tuple(
        PinnedStop(route.truck_id, route.day, stop)
        for route in stored.plan.routes
        if (route.truck_id, route.day) not in stored.locked_routes
        for stop in route.stops
        if (route.truck_id, route.day, stop.venue_id) in stored.locked_stops
    )
    pins = Pins(routes=routes, stops=stops) if routes or stops else None
    return Locks(pins, stored.locked_routes, stored.locked_stops, stored.number)


_PIN_FIELD = re.compile(r"^pins\.(routes|stops)\[(\d+)\]")


def _explain_pins(error: InvalidProblem, locks: Locks) -> str:
    """The solver's verdict on pins that do not fit, with each pin named by truck, day and
    venue instead of its index."""
    assert locks.pins is not None
    named = []
    for field, message in error.problems:
        match = _PIN_FIELD.match(field)
        if match is None:
            named.append(f"{field}: {message}")
            continue
        kind, index = match.group(1), int(match.group(2))
        if kind == "routes" and index < len(locks.pins.routes):
            route = locks.pins.routes[index]
            what = f"locked truck-day {route.truck_id} on {route.day}"
        elif kind == "stops" and index < len(locks.pins.stops):
            pin = locks.pins.stops[index]
            what = f"locked stop at {pin.stop.venue_id} ({pin.truck_id} on {pin.day})"
        else:
            what = "a lock"
        named.append(f"{what} [{field}]: {message}")
    found = "; ".join(named)
    return f"locks of plan version {locks.plan_number} no longer fit the season: {found}"


def _error_message(error: Exception) -> str:
    if isinstance(error, SchedulerError):
        return str(error)
    return f"unexpected error ({type(error).__name__}): {error}"


class _Solve:
    """One run of one job."""

    def __init__(self, database: Database, job_id: str, planning: PlanningSettings) -> None:
        self.database = database
        self.job_id = job_id
        self.planning = planning

    def progress(self, progress: SolveProgress) -> None:
        """Store where the solve is (best effort: a busy database does not stop it)."""
        try:
            with self.database.session() as session:
                update_job(
                    session,
                    self.job_id,
                    states=("running",),
                    windows_done=progress.windows_done,
                    windows_total=progress.windows_total,
                    best_objective=progress.value_so_far,
                )
        except SQLAlchemyError:
            log.warning("job %s: could not store progress", self.job_id, exc_info=True)

    def should_stop(self) -> bool:
        """True once a cancel was requested, or the job is no longer running."""
        try:
            with self.database.session() as session:
                query = select(Job.cancel_requested, Job.state).where(Job.id == self.job_id)
                row = session.execute(query).one_or_none()
        except SQLAlchemyError:
            log.warning("job %s: could not read cancel requests", self.job_id, exc_info=True)
            return False
        return row is None or bool(row.cancel_requested) or row.state != "running"

    def run(self) -> None:
        with self.database.session() as session:
            job = get_job(session, self.job_id)
            problem = season_problem(session, job.season_id)
            base = None
            if job.base_plan_id is not None:
                base = load_plan(get_plan_row(session, job.base_plan_id))
            time_limit_s = job.time_limit_s
        locks = locks_of(base)
        travel = self.planning.travel()
        try:
            outcome = plan_problem(
                problem,
                time_limit_s=time_limit_s,
                travel=travel,
                progress=self.progress,
                pins=locks.pins,
                should_stop=self.should_stop,
                workers=self.planning.solve_workers,
                offload=subproblem_runner(self.planning.offload),
            )
        except InvalidProblem as error:
            if locks.pins is None or not any(_PIN_FIELD.match(f) for f, _ in error.problems):
                raise
            raise SchedulerError(_explain_pins(error, locks)) from error
        self.finish(problem, outcome, locks, base)

    def finish(
        self, problem: Problem, outcome: PlanOutcome, locks: Locks, base: StoredPlan | None
    ) -> None:
        """Write the plan version and the job's end in one transaction."""
        with self.database.session() as session:
            now = utcnow()
            # The first statement takes the job's row lock (PostgreSQL) or the write lock
            # (SQLite): a cancel request cannot slip in between what is read and written.
            if not update_job(session, self.job_id, states=("running",), finished_at=now):
                log.warning("job %s stopped running elsewhere: its plan is dropped", self.job_id)
                return
            job = get_job(session, self.job_id)
            cancelled = job.cancel_requested
            draft = cancelled or bool(outcome.violations)
            row = write_plan(
                session,
                season_id=job.season_id,
                problem=problem,
                plan=outcome.plan,
                kind="solve",
                violations=outcome.violations,
                parent_id=base.id if base is not None else None,
                draft=draft,
                note=f"job {job.id}" + (" (cancelled)" if cancelled else ""),
                user_id=job.created_by,
                locked_routes=locks.routes,
                locked_stops=locks.stops,
            )
            job.state = "cancelled" if cancelled else "done"
            job.plan_id = row.id
            job.best_objective = outcome.plan.objective
            user = session.get(User, job.created_by) if job.created_by is not None else None
            record(
                session,
                user=user,
                action="solve",
                entity="plan",
                entity_id=row.id,
                before={"plan_id": row.parent_id},
                after={
                    "plan_id": row.id,
                    "number": row.number,
                    "job_id": job.id,
                    "state": job.state,
                    "draft": draft,
                    "violations": len(outcome.violations),
                },
            )
            if job.publish and not draft:
                publish_plan(session, row=row, user=user)


def _configured() -> PlanningSettings:
    return PlanningSettings.from_settings(get_settings())


def run_job(job_id: str, database_url: str, planning: PlanningSettings | None = None) -> None:
    """Run the queued job ``job_id`` to its end (done, cancelled or failed), planning with
    ``planning`` (default: from this process's settings).

    A job that is no longer queued (cancelled before it started, or already taken) is left
    alone. Never raises for a failed solve: the failure (a bad road cache too) is the job's
    state.
    """
    database = Database(database_url)
    try:
        with database.session() as session:
            started = update_job(
                session, job_id, states=("queued",), state="running", started_at=utcnow()
            )
        if not started:
            log.info("job %s is not queued any more: nothing to do", job_id)
            return
        try:
            _Solve(database, job_id, planning or _configured()).run()
        except Exception as error:
            log.exception("job %s failed", job_id)
            with database.session() as session:
                fail_jobs(session, job_ids=[job_id], error=_error_message(error))
    finally:
        database.dispose()
