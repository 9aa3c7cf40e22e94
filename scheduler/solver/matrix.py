"""Travel minutes the router can rely on: conservative, by hour of departure, computed once
per problem from the ``TravelTimes`` provider."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scheduler.domain import Location, Problem
from scheduler.travel import TravelTimes

__all__ = ["TravelMatrix", "hours_touched"]


@dataclass(frozen=True)
class TravelMatrix:
    """Conservative minutes between every venue and depot by hour of departure, computed
    once per problem."""

    index: dict[Location, int]
    by_hour: np.ndarray
    """``by_hour[h, i, j]``: minutes from place i to j leaving in hour h (0..23)."""
    worst: np.ndarray
    """The longest over every hour any shift covers."""

    @staticmethod
    def build(problem: Problem, travel: TravelTimes) -> TravelMatrix:
        places = list(
            dict.fromkeys([t.depot for t in problem.trucks] + [v.location for v in problem.venues])
        )
        by_hour = np.stack([travel.worst_matrix_min(places, [h]) for h in range(24)])
        hours = sorted(
            set().union(
                *(hours_touched(t.shift.start_min, t.shift.end_min) for t in problem.trucks)
            )
        )
        worst = by_hour[hours].max(axis=0)
        return TravelMatrix({p: i for i, p in enumerate(places)}, by_hour, worst)

    def between(self, origins: Sequence[Location], destinations: Sequence[Location]) -> np.ndarray:
        """The all-hours worst case."""
        rows = [self.index[p] for p in origins]
        cols = [self.index[p] for p in destinations]
        result: np.ndarray = self.worst[np.ix_(rows, cols)]
        return result

    def leaving_in(
        self, origins: Sequence[Location], destinations: Sequence[Location], hours: frozenset[int]
    ) -> np.ndarray:
        """The worst case over departures in ``hours``."""
        rows = [self.index[p] for p in origins]
        cols = [self.index[p] for p in destinations]
        result: np.ndarray = self.by_hour[np.ix_(sorted(hours), rows, cols)].max(axis=0)
        return result


def hours_touched(start_min: int, end_min: int) -> frozenset[int]:
    """Hours of the day touched by ``[start_min, end_min]``."""
    return frozenset(h % 24 for h in range(start_min // 60, end_min // 60 + 1))
