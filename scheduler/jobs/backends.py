"""The two job backends and the choice between them.

``InProcessQueue`` (the embedded default) runs ``run_job`` in a pool of solver processes
started with ``spawn``, so a solve never holds the server's interpreter and the API keeps
answering. ``CeleryQueue`` sends the job id to Celery workers through the broker. Either way
the job's state is in the database; the queue only carries ids.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Any

from scheduler.config import Settings
from scheduler.db.catalogue import latest_plan_ids
from scheduler.db.engine import Database
from scheduler.errors import Conflict
from scheduler.jobs import JobQueue, watchdog
from scheduler.jobs.celery_app import DEFAULT_QUEUE, TASK, make_celery
from scheduler.jobs.store import fail_jobs, start_job
from scheduler.jobs.worker import run_job
from scheduler.planning import PlanningSettings

__all__ = [
    "INTERRUPTED",
    "SHUT_DOWN",
    "CeleryQueue",
    "InProcessQueue",
    "make_queue",
    "plan_demo_if_unplanned",
    "recover_interrupted",
    "stop_background",
    "submit_or_fail",
]

log = logging.getLogger(__name__)

INTERRUPTED = "interrupted by a server restart"
"""The error of in-process jobs a previous server process left queued or running."""
SHUT_DOWN = "interrupted: the server shut down"
"""The error of in-process jobs still queued or running when the server stops."""


class InProcessQueue:
    """Solves in a pool of ``workers`` separate processes, created on the first job, each
    planning with ``planning`` (default: the process's settings when a job runs).

    Stopping the server ends the solves it runs (their jobs fail; no plan is half-written,
    since a plan commits in one transaction).
    """

    name = "inprocess"

    def __init__(
        self, database_url: str, workers: int = 1, planning: PlanningSettings | None = None
    ) -> None:
        self.database_url = database_url
        self.workers = workers
        self.planning = planning
        self._executor: ProcessPoolExecutor | None = None
        self._futures: dict[str, Future[None]] = {}
        self._lock = threading.Lock()
        self._closing = False
        self._database: Database | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=watchdog.start,
                initargs=(os.getpid(),),
            )
        return self._executor

    def submit(self, job_id: str) -> None:
        """Queue the job for the next free solver process."""
        with self._lock:
            if self._closing:
                raise RuntimeError("the job queue is shut down")
            try:
                future = self._pool().submit(run_job, job_id, self.database_url, self.planning)
            except BrokenProcessPool:
                log.warning("the solver pool broke; starting a new one")
                self._executor = None
                future = self._pool().submit(run_job, job_id, self.database_url, self.planning)
            self._futures[job_id] = future
        future.add_done_callback(partial(self._finished, job_id))

    def _finished(self, job_id: str, future: Future[None]) -> None:
        """A job left the pool: if its process died or the server stops, fail the job
        (``run_job`` itself records every error it can see)."""
        with self._lock:
            self._futures.pop(job_id, None)
        if future.cancelled():
            error = SHUT_DOWN if self._closing else None
        else:
            failure = future.exception()
            if failure is None:
                return
            if self._closing:
                error = SHUT_DOWN
            else:
                log.error("job %s: the solver process failed: %r", job_id, failure)
                error = f"the solver process stopped unexpectedly ({type(failure).__name__})"
        if error is not None:
            self._fail([job_id], error)

    def _fail(self, job_ids: list[str], error: str) -> None:
        try:
            with self._lock:
                if self._database is None:
                    self._database = Database(self.database_url)
                database = self._database
            with database.session() as session:
                fail_jobs(session, job_ids=job_ids, error=error)
        except Exception:
            log.exception("could not mark jobs %s failed", job_ids)

    def cancel(self, job_id: str) -> None:
        """Drop the job from the pool if it has not started (the database already says
        ``cancelled``; a started solve reads its cancel request itself)."""
        with self._lock:
            future = self._futures.get(job_id)
        if future is not None:
            future.cancel()

    def health(self) -> tuple[bool, str]:
        """Ready unless shut down; how many jobs the pool holds."""
        with self._lock:
            if self._closing:
                return False, "shut down"
            return True, f"{self.workers} solver process(es), {len(self._futures)} job(s) in hand"

    def shutdown(self) -> None:
        """Stop the solver processes; their jobs fail with ``SHUT_DOWN``."""
        with self._lock:
            self._closing = True
            executor, self._executor = self._executor, None
            pending = list(self._futures)
        if executor is not None:
            # ProcessPoolExecutor (before Python 3.14) has no public way to stop busy
            # workers; terminating them breaks the pool, which fails their futures.
            processes: dict[int, Any] = getattr(executor, "_processes", None) or {}
            for process in list(processes.values()):
                process.terminate()
            executor.shutdown(wait=True, cancel_futures=True)
        if pending:
            self._fail(pending, SHUT_DOWN)
        if self._database is not None:
            self._database.dispose()


class CeleryQueue:
    """Jobs go to Celery workers through the broker (Redis), on queue ``queue``."""

    name = "celery"

    HEALTH_TTL_S = 2.0
    """How long a broker check is reused (health is asked often, the broker rarely fails)."""

    def __init__(self, broker_url: str, *, queue: str = DEFAULT_QUEUE) -> None:
        self.broker_url = broker_url
        self.queue = queue
        self.app = make_celery(broker_url)
        self._lock = threading.Lock()
        self._checked: tuple[float, tuple[bool, str]] | None = None

    def submit(self, job_id: str) -> None:
        """Publish the job id (the task id is the job id); raises if the broker is down."""
        self.app.send_task(
            TASK,
            args=[job_id],
            task_id=job_id,
            queue=self.queue,
            retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.2},
        )

    def cancel(self, job_id: str) -> None:
        """Nothing to do: a worker skips a job that is no longer queued and a running solve
        reads its cancel request from the database before each window."""

    def health(self) -> tuple[bool, str]:
        """Whether the broker answers within a second (checked at most every 2 s)."""
        with self._lock:
            now = time.monotonic()
            if self._checked is not None and now - self._checked[0] < self.HEALTH_TTL_S:
                return self._checked[1]
            result = self._ping()
            self._checked = (now, result)
            return result

    def _ping(self) -> tuple[bool, str]:
        options = {"socket_timeout": 1, "socket_connect_timeout": 1}
        try:
            with self.app.connection_for_write(connect_timeout=1, transport_options=options) as c:
                c.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=1)
        except Exception as error:
            return False, f"broker unreachable ({type(error).__name__})"
        return True, f"broker reachable, queue {self.queue}"

    def shutdown(self) -> None:
        """Release the broker connections."""
        self.app.close()


def make_queue(settings: Settings, database_url: str) -> JobQueue:
    """Celery when a broker is configured (its workers plan with their own settings), else
    the in-process pool, planning with ``settings``' travel provider and solve workers."""
    if settings.broker_url:
        return CeleryQueue(settings.broker_url)
    planning = PlanningSettings.from_settings(settings)
    return InProcessQueue(database_url, workers=settings.job_workers, planning=planning)


def recover_interrupted(database: Database) -> None:
    """At server start-up, before any job is submitted (``scheduler serve`` does it once):
    in-process jobs an earlier server process left queued or running can never finish, so
    they fail with ``INTERRUPTED``. No half-written plan exists (a plan commits whole).
    Celery jobs live in the broker and its workers and are left alone."""
    with database.session() as session:
        failed = fail_jobs(session, error=INTERRUPTED, backend=InProcessQueue.name)
    if failed:
        log.warning("%d interrupted job(s) marked failed: %s", len(failed), ", ".join(failed))


def submit_or_fail(database: Database, queue: JobQueue, job_id: str) -> bool:
    """Submit a stored job; if the backend refuses, the job fails. True if submitted."""
    try:
        queue.submit(job_id)
    except Exception as error:
        log.exception("could not queue job %s", job_id)
        with database.session() as session:
            fail_jobs(session, job_ids=[job_id], error=f"could not be queued: {error}")
        return False
    return True


_background: list[JobQueue] = []
"""Queues started outside the server app (the demo plan), alive until the process ends."""


def plan_demo_if_unplanned(database: Database, settings: Settings, season_id: int) -> str | None:
    """Start a solve of the season in the background of this process (publishing a clean
    plan), unless the season has a plan version or a job in progress; the job id. The
    solve runs in a solver process (or a Celery worker) while the server starts and serves."""
    queue = make_queue(settings, database.url)
    with database.session() as session:
        job = None
        if season_id not in latest_plan_ids(session, [season_id]):
            with contextlib.suppress(Conflict):
                job = start_job(
                    session,
                    season_id=season_id,
                    backend=queue.name,
                    time_limit_s=settings.solve_time_limit_s,
                    publish=True,
                )
    if job is None or not submit_or_fail(database, queue, job.id):
        queue.shutdown()
        return None
    _background.append(queue)
    return job.id


def stop_background() -> None:
    """Shut down the queues ``plan_demo_if_unplanned`` started."""
    while _background:
        _background.pop().shutdown()
