"""Travel minutes the router can rely on: conservative (the slowest hour a leg can start in),
computed lazily from the ``TravelTimes`` provider for the places a request really needs.

A season of 5,000 venues has 25 million venue pairs, but a planning window's model holds a
few hundred candidate places. ``TravelMatrix`` therefore never builds an all-pairs matrix:
each request (origins x destinations, departure hours) is answered from a *block*, the
square matrix of a set of places for one set of hours, which is computed once with
``TravelTimes.worst_matrix_min`` and kept in a small least-recently-used cache (a window asks
for the same places under several hour sets). Single legs (the unserved reasons, pinned
truck-days) have a cache of their own. Memory stays bounded by ``cache_mb`` whatever the
number of venues.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from scheduler.domain import Location, Problem
from scheduler.travel import TravelTimes

__all__ = ["TravelMatrix", "hours_touched"]

_ALL_HOURS = frozenset(range(24))
MAX_BLOCKS = 8
"""Blocks kept at most (a window asks for one or two sets of places)."""


class _Block:
    """A set of places and their square matrices, one per set of departure hours."""

    __slots__ = ("by_hours", "places", "position")

    def __init__(self, places: Sequence[Location]) -> None:
        self.places = tuple(places)
        self.position = {p: i for i, p in enumerate(self.places)}
        self.by_hours: dict[frozenset[int], np.ndarray] = {}

    def covers(self, needed: Sequence[Location]) -> bool:
        return all(p in self.position for p in needed)

    def nbytes(self) -> int:
        return sum(m.nbytes for m in self.by_hours.values())


class TravelMatrix:
    """Conservative minutes between venues and depots by hour of departure, computed on
    demand and cached in bounded memory.

    ``between`` is the worst case over every hour a shift covers, ``leaving_in`` over given
    departure hours; ``leg_min`` is one leg. ``compute_s`` and ``cells_computed`` say how much
    work the provider did.
    """

    def __init__(
        self,
        travel: TravelTimes,
        shift_hours: frozenset[int] = _ALL_HOURS,
        cache_mb: float = 256.0,
    ) -> None:
        self.travel = travel
        self.shift_hours = shift_hours or _ALL_HOURS
        self.cache_bytes = int(cache_mb * 2**20)
        self.compute_s = 0.0
        self.cells_computed = 0
        self._blocks: OrderedDict[tuple[Location, ...], _Block] = OrderedDict()
        self._legs: dict[tuple[Location, Location, frozenset[int]], float] = {}

    @staticmethod
    def build(problem: Problem, travel: TravelTimes, cache_mb: float = 256.0) -> TravelMatrix:
        """The matrix of a problem: nothing is computed until a request needs it."""
        hours = frozenset().union(
            *(hours_touched(w.start_min, w.end_min) for t in problem.trucks for w in t.shifts)
        )
        return TravelMatrix(travel, hours, cache_mb)

    def between(self, origins: Sequence[Location], destinations: Sequence[Location]) -> np.ndarray:
        """The worst case over every hour a shift covers."""
        return self.leaving_in(origins, destinations, self.shift_hours)

    def leaving_in(
        self, origins: Sequence[Location], destinations: Sequence[Location], hours: frozenset[int]
    ) -> np.ndarray:
        """The worst case over departures in ``hours`` (a new array, origins x destinations)."""
        hours = frozenset(h % 24 for h in hours) or self.shift_hours
        needed = list(dict.fromkeys([*origins, *destinations]))
        block = self._block(needed)
        square = self._square(block, hours)
        rows = np.fromiter((block.position[p] for p in origins), np.intp, len(origins))
        cols = np.fromiter((block.position[p] for p in destinations), np.intp, len(destinations))
        result: np.ndarray = square[np.ix_(rows, cols)]
        return result

    def leg_min(
        self, origin: Location, destination: Location, hours: frozenset[int] | None = None
    ) -> float:
        """One leg's worst case over departures in ``hours`` (default: every shift hour)."""
        key = (origin, destination, frozenset(h % 24 for h in hours or self.shift_hours))
        found = self._legs.get(key)
        if found is None:
            if len(self._legs) > 200_000:
                self._legs.clear()
            found = float(self._compute([origin, destination], key[2])[0, 1])
            self._legs[key] = found
        return found

    def cached_bytes(self) -> int:
        """Bytes held by the block cache."""
        return sum(block.nbytes() for block in self._blocks.values())

    def _block(self, needed: list[Location]) -> _Block:
        for key, block in reversed(self._blocks.items()):
            if len(block.places) >= len(needed) and block.covers(needed):
                self._blocks.move_to_end(key)
                return block
        block = _Block(needed)
        self._blocks[block.places] = block
        return block

    def _square(self, block: _Block, hours: frozenset[int]) -> np.ndarray:
        found = block.by_hours.get(hours)
        if found is None:
            found = self._compute(block.places, hours)
            block.by_hours[hours] = found
            self._evict(keep=block)
        return found

    def _evict(self, keep: _Block) -> None:
        total = self.cached_bytes()
        for key in list(self._blocks):
            if total <= self.cache_bytes and len(self._blocks) <= MAX_BLOCKS:
                break
            if self._blocks[key] is not keep:
                total -= self._blocks.pop(key).nbytes()

    def _compute(self, places: Sequence[Location], hours: frozenset[int]) -> np.ndarray:
        started = time.perf_counter()
        square = np.asarray(self.travel.worst_matrix_min(list(places), sorted(hours)), float)
        self.compute_s += time.perf_counter() - started
        self.cells_computed += square.size
        return square


def hours_touched(start_min: int, end_min: int) -> frozenset[int]:
    """Hours of the day touched by ``[start_min, end_min]``."""
    return frozenset(h % 24 for h in range(start_min // 60, end_min // 60 + 1))
