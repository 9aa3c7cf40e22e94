"""The expiring map behind the service's short-lived caches."""

from __future__ import annotations

from scheduler.expiring import Expiring


def test_fresh_entries_are_served_and_stale_ones_reloaded() -> None:
    """A value is served while fresh; with a zero lifetime every read loads again."""
    loads: list[int] = []

    def load() -> int:
        loads.append(1)
        return len(loads)

    long = Expiring[str, int](ttl_s=3600)
    assert long.get_or_load("a", load) == 1
    assert long.get_or_load("a", load) == 1
    short = Expiring[str, int](ttl_s=0)
    assert short.get_or_load("a", load) == 2
    assert short.get_or_load("a", load) == 3


def test_forget_one_or_all_and_the_size_bound() -> None:
    """``forget(key)`` drops one entry, ``forget()`` all; a full map starts over."""
    cache = Expiring[str, int](ttl_s=3600, size=2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.forget("a")
    assert cache.get("a") is None and cache.get("b") == 2
    cache.forget()
    assert cache.get("b") is None
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("c", 3)  # full: the others are dropped
    assert cache.get("a") is None and cache.get("c") == 3
