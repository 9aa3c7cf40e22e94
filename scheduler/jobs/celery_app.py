"""The Celery application of the Celery job backend.

Run a worker with ``celery -A scheduler.jobs.celery_app worker`` (``-Q NAME`` for another
queue than ``scheduler``). The broker is ``SCHEDULER_BROKER_URL`` (Redis); results are
ignored, because a job's state lives in the database. The one task, ``scheduler.solve``,
gets only the job id and runs ``run_job`` on the worker's own database
(``SCHEDULER_DATABASE_URL``): database credentials never travel through the broker.

``app`` is built on first access (``celery -A`` looks it up), so importing this module reads
no settings.
"""

from __future__ import annotations

from typing import Any

from celery import Celery  # type: ignore[import-untyped]

from scheduler.config import get_settings

__all__ = ["DEFAULT_BROKER", "DEFAULT_QUEUE", "TASK", "make_celery"]

TASK = "scheduler.solve"
DEFAULT_QUEUE = "scheduler"
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"


def solve(job_id: str) -> None:
    """The task: run the job on the database this worker is configured for."""
    from scheduler.jobs.worker import run_job

    run_job(job_id, get_settings().resolved_database_url())


def make_celery(broker_url: str) -> Any:
    """A Celery app on ``broker_url`` with the ``scheduler.solve`` task registered."""
    app = Celery("scheduler", broker=broker_url, set_as_current=False)
    app.conf.update(
        task_default_queue=DEFAULT_QUEUE,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=2,
    )
    app.task(name=TASK, ignore_result=True)(solve)
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
