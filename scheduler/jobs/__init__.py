"""Background solves behind a small queue interface.

``JobQueue`` has two backends: ``InProcessQueue`` (the embedded default: solves run in a
separate process so the API keeps answering) and ``CeleryQueue`` (Celery on Redis, for
scale-out). Both run the same function, ``scheduler.jobs.worker.run_job(job_id, url)``,
which reads the job from the database, solves, and writes the plan in one transaction.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["JobQueue"]


class JobQueue(Protocol):
    """Where solve jobs go; the job's state lives in the database, not in the queue."""

    name: str
    """``inprocess`` or ``celery``."""

    def submit(self, job_id: str) -> None:
        """Start the job (already stored as ``queued``) as soon as a worker is free."""

    def cancel(self, job_id: str) -> None:
        """Hint to stop a job; the cancel request itself is stored in the database."""

    def health(self) -> tuple[bool, str]:
        """Whether the backend can take jobs, and a word on its state."""

    def shutdown(self) -> None:
        """Stop taking jobs and release workers."""
