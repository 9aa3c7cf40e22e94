"""Sub-problems of a solve on the Celery workers: ``CeleryRunner``, a ``SubproblemRunner``
(``scheduler.solver.offload``) that sends each sub-problem (a window's regions) through the
broker, and ``run_signed``, what the worker's ``scheduler.subproblem`` task runs.

A payload is a pickle, and unpickling runs code: anyone who can write to Redis could run
anything on a worker. So payloads travel signed (HMAC-SHA256 with a key derived from
``SCHEDULER_SECRET_KEY``) and a worker refuses one whose signature does not match; the
answer comes back signed too, bound to its payload's signature, and the planning process
refuses any other. Server and workers must share ``SCHEDULER_SECRET_KEY`` (a key generated
into each one's own ``data_dir`` differs, and every sub-problem is then refused: the solve
goes on without them). Payloads are zlib-compressed (a demo window's two regions: 1.6 MB of
pickle, 44 KB compressed; the large season's: 4.4 MB, 220 KB) and sent base64 in the JSON
message; an answer (the routes) is a few hundred bytes.

This module knows nothing of the solver: the payload's callable brings its own code.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import logging
import pickle
import threading
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

from scheduler.config import Settings, get_settings
from scheduler.jobs.celery_app import SUBPROBLEM_QUEUE, SUBPROBLEM_TASK, make_celery

__all__ = [
    "CeleryRunner",
    "RefusedPayload",
    "RunnerStats",
    "run_signed",
    "subproblem_key",
    "subproblem_runner",
]

log = logging.getLogger(__name__)

MAC_BYTES = 32
"""Length of an HMAC-SHA256 signature."""
ZLIB_LEVEL = 6
"""zlib's default: the demo's two regions (1.6 MB of pickle) shrink to 44 KB in about 13 ms,
the large season's (4.4 MB) to 220 KB in about 50 ms; level 1 leaves 1.6-1.8x more."""
EXPIRY_GRACE_S = 1.0
"""A sub-problem not started this long after its deadline is dropped by the worker."""
SLOTS_TTL_S = 60.0
"""How long the count of workers on the sub-problem queue is trusted."""
INSPECT_TIMEOUT_S = 0.5
"""How long the workers are given to say which queues they consume (this question always
waits this long) and how many processes they run (answered as soon as all have replied)."""
FIRST_COUNT_WAIT_S = 2.0
"""How long the first ``slots`` call waits for the first count (once per runner: per process)."""


class RefusedPayload(ValueError):
    """A sub-problem or answer without a valid signature (tampered, or another key)."""


def subproblem_key(settings: Settings) -> bytes:
    """The signing key of sub-problems, derived from the service's secret key (so the
    session tokens' key is never used as it is)."""
    secret = settings.resolved_secret_key().encode()
    return hmac.new(secret, b"scheduler.subproblem", hashlib.sha256).digest()


def _sign(key: bytes, body: bytes, bound_to: bytes = b"") -> bytes:
    return hmac.new(key, bound_to + body, hashlib.sha256).digest()


def _open(key: bytes, message: str, bound_to: bytes = b"") -> tuple[bytes, bytes]:
    """``(signature, body)`` of a signed message; ``RefusedPayload`` if it does not check."""
    try:
        raw = base64.b64decode(message.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError) as error:
        raise RefusedPayload("not a signed sub-problem message") from error
    mac, body = raw[:MAC_BYTES], raw[MAC_BYTES:]
    if len(mac) < MAC_BYTES or not hmac.compare_digest(mac, _sign(key, body, bound_to)):
        raise RefusedPayload("sub-problem message with a bad signature refused")
    return mac, body


def sign_payload(key: bytes, payload: bytes) -> tuple[str, bytes]:
    """The message for the broker, and its signature (which the answer is bound to)."""
    body = zlib.compress(payload, ZLIB_LEVEL)
    mac = _sign(key, body)
    return base64.b64encode(mac + body).decode("ascii"), mac


def run_signed(message: str, key: bytes) -> str:
    """On a worker: check the message's signature, run its sub-problem (the payload's
    callable answers bytes) and return the signed answer. ``RefusedPayload`` for a message
    not signed with ``key``: nothing in it is unpickled."""
    mac, body = _open(key, message)
    work = pickle.loads(zlib.decompress(body))
    answer = work()
    if not isinstance(answer, bytes):
        raise TypeError(f"a sub-problem answered {type(answer).__name__}, not bytes")
    out = zlib.compress(answer, ZLIB_LEVEL)
    return base64.b64encode(_sign(key, out, b"answer" + mac) + out).decode("ascii")


def open_answer(key: bytes, message: str, payload_mac: bytes) -> bytes:
    """The answer of the payload signed ``payload_mac``; ``RefusedPayload`` otherwise."""
    _, body = _open(key, message, b"answer" + payload_mac)
    return zlib.decompress(body)


@dataclass(slots=True)
class RunnerStats:
    """What a runner did: sub-problems sent, answered in time and valid, and refused or
    failed or late (``submitted - answered - lost`` are still out)."""

    submitted: int = 0
    answered: int = 0
    lost: int = 0
    round_trip_s: list[float] = field(default_factory=list)
    """Seconds from sending to receiving each answer."""


@dataclass(frozen=True, slots=True)
class _Sent:
    result: Any
    mac: bytes
    sent: float


class CeleryRunner:
    """A ``SubproblemRunner`` on the Celery workers that consume ``queue`` (default:
    ``scheduler.subproblems``), with results through the Redis result backend."""

    name = "celery"

    def __init__(self, broker_url: str, key: bytes, *, queue: str = SUBPROBLEM_QUEUE) -> None:
        self.app = make_celery(broker_url)
        self.key = key
        self.queue = queue
        self.stats = RunnerStats()
        self._lock = threading.Lock()
        self._slots: tuple[float, int] | None = None
        self._counting = False
        self._first_count = threading.Event()
        self._start_count()

    def slots(self) -> int:
        """Worker processes on the queue; 0 when no worker answers or the broker is down.
        They are counted in the background from the runner's creation (about a second),
        waited for at most ``FIRST_COUNT_WAIT_S`` on the first call (0 until then), and
        counted again whenever the count is older than ``SLOTS_TTL_S``."""
        self._first_count.wait(timeout=FIRST_COUNT_WAIT_S)
        with self._lock:
            if self._slots is None:
                return 0
            if time.monotonic() - self._slots[0] > SLOTS_TTL_S and not self._counting:
                self._start_count()
            return self._slots[1]

    def _start_count(self) -> None:
        self._counting = True
        threading.Thread(target=self._recount, name="count-subproblem-workers", daemon=True).start()

    def _recount(self) -> None:
        count = self._count_slots()
        with self._lock:
            self._slots = (time.monotonic(), count)
            self._counting = False
        self._first_count.set()

    def _count_slots(self) -> int:
        try:
            inspect = self.app.control.inspect(timeout=INSPECT_TIMEOUT_S)
            queues = inspect.active_queues() or {}
            workers = [w for w, qs in queues.items() if any(q["name"] == self.queue for q in qs)]
            if not workers:
                return 0
            stats = self.app.control.inspect(
                timeout=INSPECT_TIMEOUT_S, destination=workers, limit=len(workers)
            )
            found = stats.stats() or {}
            return sum(
                int(found.get(w, {}).get("pool", {}).get("max-concurrency", 1)) for w in workers
            )
        except Exception as error:
            log.warning("cannot count the sub-problem workers: %s", error)
            return 0

    def submit(self, payload: bytes, deadline_s: float) -> _Sent | None:
        """Send the payload, signed and compressed; ``None`` if the broker refuses it."""
        message, mac = sign_payload(self.key, payload)
        try:
            result = self.app.send_task(
                SUBPROBLEM_TASK,
                args=[message],
                queue=self.queue,
                expires=deadline_s + EXPIRY_GRACE_S,
                retry=False,
            )
        except Exception as error:
            log.warning("cannot send a sub-problem: %s", error)
            return None
        with self._lock:
            self.stats.submitted += 1
        return _Sent(result, mac, time.monotonic())

    def result(self, handle: object, timeout_s: float) -> bytes | None:
        """The checked answer, waiting at most ``timeout_s``; ``None`` when the worker
        failed, is late, or the answer is not signed for this payload."""
        if not isinstance(handle, _Sent):
            return None
        answer = None
        try:
            message = handle.result.get(timeout=max(0.05, timeout_s), disable_sync_subtasks=False)
            answer = open_answer(self.key, message, handle.mac)
        except Exception as error:
            log.warning("a sub-problem on %s gave no answer: %r", self.queue, error)
        finally:
            handle.result.forget()
        with self._lock:
            if answer is None:
                self.stats.lost += 1
            else:
                self.stats.answered += 1
                self.stats.round_trip_s.append(time.monotonic() - handle.sent)
        return answer


def subproblem_runner(offload: str, settings: Settings | None = None) -> CeleryRunner | None:
    """The runner for ``offload`` (``SCHEDULER_SOLVE_OFFLOAD``): a ``CeleryRunner`` on the
    configured broker for ``celery``, ``None`` (the solver's forked child) for ``fork`` or
    when no broker is configured. Built once per process and broker."""
    settings = settings or get_settings()
    if offload != "celery":
        return None
    if not settings.broker_url:
        log.warning("SCHEDULER_SOLVE_OFFLOAD=celery needs SCHEDULER_BROKER_URL; forking instead")
        return None
    return _runner(settings.broker_url, subproblem_key(settings))


@functools.lru_cache(maxsize=4)
def _runner(broker_url: str, key: bytes) -> CeleryRunner:
    return CeleryRunner(broker_url, key)
