"""Sub-problems run beside the planning process: the ``SubproblemRunner`` protocol and its
default, ``ForkRunner`` (a forked child on this machine's other core).

A sub-problem is a *payload*: the pickle of a callable that takes no argument and returns
bytes (its answer). It is self-contained (it carries its own data, e.g. a region's routing
model, never the season), so anything that can run a callable can run it: a forked child
here, or a Celery worker on another machine (``scheduler.jobs.offload``; the solver never
imports Celery). A runner that fails, is late or has no room answers ``None``, and the
caller keeps what it found itself.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import pickle
import signal
import sys
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Protocol

__all__ = ["ForkRunner", "SubproblemRunner", "run_payload"]

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
"""Linux ``prctl`` option: the signal a process gets when its parent ends."""


class SubproblemRunner(Protocol):
    """Where independent sub-problems run (``ForkRunner``, or the job backend's workers).

    Implementations never raise from these methods: a failure is a ``None`` answer.
    """

    name: str
    """A word for logs: ``fork``, ``celery``..."""

    def slots(self) -> int:
        """How many sub-problems it can run at once now (0: none, the caller does it all)."""
        ...

    def submit(self, payload: bytes, deadline_s: float) -> object:
        """Start running ``payload`` (see ``run_payload``), which should answer within
        ``deadline_s`` seconds from now; a handle for ``result``."""
        ...

    def result(self, handle: object, timeout_s: float) -> bytes | None:
        """The answer of a submitted payload, waiting at most ``timeout_s`` seconds;
        ``None`` when it failed or is late (its run is then abandoned)."""
        ...


def run_payload(payload: bytes) -> bytes:
    """Run a sub-problem: unpickle its callable and call it. Only for trusted bytes
    (unpickling runs code): a forked child's own, or a payload whose signature was checked."""
    work = pickle.loads(payload)
    answer = work()
    if not isinstance(answer, bytes):
        raise TypeError(f"a sub-problem answered {type(answer).__name__}, not bytes")
    return answer


@dataclass(frozen=True)
class _Child:
    process: BaseProcess
    receive: Connection


class ForkRunner:
    """Sub-problems in forked children of this process (``slots`` at once: the cores left
    beside the planning process). The child inherits the memory, is ended with its parent
    (Linux), and sends back only the answer."""

    name = "fork"

    def __init__(self, slots: int = 1) -> None:
        self._slots = slots

    def slots(self) -> int:
        """The configured slots; none in a daemonic process, which may not fork."""
        return 0 if multiprocessing.current_process().daemon else max(0, self._slots)

    def submit(self, payload: bytes, deadline_s: float) -> _Child | None:
        """Fork a child that runs the payload (``None`` when it cannot be started)."""
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_run_in_child, args=(payload, send, os.getpid()))
        try:
            child.start()
        except (AssertionError, OSError) as error:  # e.g. a daemonic worker may not fork
            log.warning("cannot start a sub-problem child: %s", error)
            receive.close()
            return None
        finally:
            send.close()
        return _Child(child, receive)

    def result(self, handle: object, timeout_s: float) -> bytes | None:
        """The child's answer; a child that has not answered in time is killed."""
        if not isinstance(handle, _Child):
            return None
        answer = None
        try:
            if handle.receive.poll(max(0.05, timeout_s)):
                answer = handle.receive.recv_bytes()
        except (EOFError, OSError):
            pass
        finally:
            handle.receive.close()
            handle.process.join(timeout=5.0)
            if handle.process.is_alive():
                handle.process.kill()
                handle.process.join()
        if answer is None:
            log.warning("a sub-problem child gave no answer in time")
        return answer


def _run_in_child(payload: bytes, send: Connection, parent: int) -> None:
    _die_with(parent)
    try:
        send.send_bytes(run_payload(payload))
    except Exception:  # the parent keeps its own answer
        log.exception("a sub-problem failed in a child process")
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
