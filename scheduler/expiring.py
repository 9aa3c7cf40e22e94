"""A small thread-safe map whose entries are trusted for ``ttl_s`` seconds.

The service's hot paths (every phone polling its day, audiences reading the schedule) keep
what the database said for a moment: logins, which versions are published, a truck-day's
events. Within a process a change forgets its entry at once; other worker processes see it
once the entry is older than ``ttl_s``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["Expiring"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Expiring(Generic[K, V]):
    """Values by key, each fresh for ``ttl_s`` seconds; at most ``size`` entries (when full,
    everything is dropped: the entries are cheap to read again)."""

    def __init__(self, ttl_s: float, size: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.size = size
        self._entries: dict[K, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value under ``key`` if it is fresh, else None."""
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry[0] >= self.ttl_s:
            return None
        return entry[1]

    def put(self, key: K, value: V) -> V:
        """Keep ``value`` under ``key`` from now on; returns it."""
        with self._lock:
            if len(self._entries) >= self.size:
                self._entries.clear()
            self._entries[key] = (time.monotonic(), value)
        return value

    def get_or_load(self, key: K, load: Callable[[], V]) -> V:
        """The fresh value under ``key``, or ``load()`` kept under it."""
        found = self.get(key)
        return found if found is not None else self.put(key, load())

    def forget(self, key: K | None = None) -> None:
        """Forget one entry, or (``None``) all of them."""
        with self._lock:
            if key is None:
                self._entries.clear()
            else:
                self._entries.pop(key, None)
