"""The Celery application of the Celery job backend.

Run a worker with ``celery -A scheduler.jobs.celery_app worker`` (``-Q NAME`` for another
queue than ``scheduler``). The broker is ``SCHEDULER_BROKER_URL`` (Redis). Two tasks:

- ``scheduler.solve`` gets only the job id and runs ``run_job`` on the worker's own database
  (``SCHEDULER_DATABASE_URL``): database credentials never travel through the broker. Its
  results are ignored, because a job's state lives in the database.
- ``scheduler.subproblem``, on the queue ``scheduler.subproblems``, runs a signed sub-problem
  of a solve (a window's regions, see ``scheduler.jobs.offload``) and returns its signed
  answer through the Redis result backend (the broker's URL), the one task whose result is
  kept (for ``RESULT_EXPIRES_S``). Workers that should help solves consume that queue:
  ``-Q scheduler,scheduler.subproblems``, or ``-Q scheduler.subproblems`` alone.

``app`` is built on first access (``celery -A`` looks it up), so importing this module reads
no settings.
"""

from __future__ import annotations

import multiprocessing.util
from typing import Any

from celery import Celery  # type: ignore[import-untyped]
from kombu.pools import PoolGroup
from kombu.resource import Resource

from scheduler.config import get_settings

__all__ = [
    "DEFAULT_BROKER",
    "DEFAULT_QUEUE",
    "SUBPROBLEM_QUEUE",
    "SUBPROBLEM_TASK",
    "TASK",
    "make_celery",
]


class _ForkGuard:
    """Owner of the after-fork hook below (``register_after_fork`` keeps a weak reference)."""


def _leave_broker_connections_to_the_parent(_: _ForkGuard) -> None:
    """In a forked child (the solver's engine races, region child and bound process): mark
    the broker connection pools inherited from the parent as closed, so kombu's own
    after-fork clean-up does not close them. Closing a Redis channel the parent left
    waiting on BRPOP reads from a socket the parent still owns and blocks the child forever;
    the child never uses these connections, and the OS closes its copies when it exits.
    Registered when this module is imported, so it runs before kombu's hooks."""
    registry = getattr(multiprocessing.util, "_afterfork_registry", {})  # private, no stub
    for owner in list(registry.values()):
        pools = list(owner.values()) if isinstance(owner, PoolGroup) else [owner]
        for pool in pools:
            if isinstance(pool, Resource):
                pool._closed = True


_FORK_GUARD = _ForkGuard()
multiprocessing.util.register_after_fork(_FORK_GUARD, _leave_broker_connections_to_the_parent)

TASK = "scheduler.solve"
DEFAULT_QUEUE = "scheduler"
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
SUBPROBLEM_TASK = "scheduler.subproblem"
SUBPROBLEM_QUEUE = "scheduler.subproblems"
RESULT_EXPIRES_S = 600
"""How long Redis keeps a sub-problem's answer that nobody collected."""


def solve(job_id: str) -> None:
    """The task: run the job on the database this worker is configured for."""
    from scheduler.jobs.worker import run_job

    run_job(job_id, get_settings().resolved_database_url())


def subproblem(message: str) -> str:
    """The task: run a signed sub-problem, return its signed answer (a message not signed
    with this worker's key is refused unread)."""
    from scheduler.jobs.offload import run_signed, subproblem_key

    return run_signed(message, subproblem_key(get_settings()))


def make_celery(broker_url: str) -> Any:
    """A Celery app on ``broker_url`` with its two tasks registered: ``scheduler.solve``
    (result ignored) and ``scheduler.subproblem`` (result kept in Redis)."""
    app = Celery("scheduler", broker=broker_url, backend=broker_url, set_as_current=False)
    app.conf.update(
        task_default_queue=DEFAULT_QUEUE,
        task_ignore_result=True,
        result_expires=RESULT_EXPIRES_S,
        task_routes={SUBPROBLEM_TASK: {"queue": SUBPROBLEM_QUEUE}},
        # a worker loads the planning engine at start-up, not within a sub-problem's deadline
        imports=("scheduler.planning",),
        task_serializer="json",
        accept_content=["json"],
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=2,
    )
    app.task(name=TASK, ignore_result=True)(solve)
    app.task(name=SUBPROBLEM_TASK, ignore_result=False, queue=SUBPROBLEM_QUEUE)(subproblem)
    return app


_app: Any = None


def __getattr__(name: str) -> Any:
    """``app``: the worker's Celery app, from the settings, built once."""
    global _app
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if _app is None:
        _app = make_celery(get_settings().broker_url or DEFAULT_BROKER)
    return _app
