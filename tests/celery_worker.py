"""A real Celery worker process for the tests that need one (``test_celery``, ``test_offload``):
one process on the local Redis, consuming a queue of the test's own."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CELERY = Path(sys.executable).with_name("celery")


@contextmanager
def worker_process(
    queue: str, env: dict[str, str], log_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a solo Celery worker consuming ``queue``, with ``env`` (``SCHEDULER_...``
    settings) over this process's environment and its output in ``log_path``; yield the
    process, terminate it on exit and print the log's tail (shown when a test fails)."""
    command = [
        str(CELERY),
        "-A",
        "scheduler.jobs.celery_app",
        "worker",
        "--pool=solo",
        "--concurrency=1",
        "-Q",
        queue,
        "-n",
        f"{queue}@%h",
        "--without-gossip",
        "--without-mingle",
        "--loglevel=INFO",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=log
        )
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    print(log_path.read_text(encoding="utf-8", errors="replace")[-3000:])
