"""Ends a solver process when its server process is gone.

A solve holds the interpreter lock inside OR-Tools for seconds to minutes, so no thread of
the solver process can watch its parent; a tiny separate process can. Each in-process
solver process starts one (``start``, the pool's initializer); it kills the solver when the
server process has disappeared (killed outright, without shutting the pool down), and ends
when the solver does. The solver's job stays ``running`` until the next start-up fails it.

Run as ``python -m scheduler.jobs.watchdog SERVER_PID SOLVER_PID``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

__all__ = ["start", "watch"]

INTERVAL_S = 0.5


def start(server_pid: int) -> None:
    """Start a watchdog for this process and ``server_pid`` (POSIX only; elsewhere nothing).
    It runs in a session of its own, so a Ctrl-C meant for the server does not hit it."""
    if os.name != "posix":
        return
    subprocess.Popen(
        [sys.executable, "-m", __name__, str(server_pid), str(os.getpid())],
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def watch(server_pid: int, solver_pid: int, interval_s: float = INTERVAL_S) -> None:
    """Until the solver ends: if the server is gone, kill the solver."""
    while _alive(solver_pid):
        if not _alive(server_pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(solver_pid, signal.SIGKILL)
            return
        time.sleep(interval_s)


if __name__ == "__main__":
    watch(int(sys.argv[1]), int(sys.argv[2]))
