"""What earlier planning windows decided that later ones must respect."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from scheduler.domain import Problem, Route

__all__ = ["SeasonState"]


@dataclass
class SeasonState:
    """What earlier windows decided that later windows must respect."""

    visits: dict[str, list[date]] = field(default_factory=lambda: defaultdict(list))
    shown: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    film_uses: Counter[str] = field(default_factory=Counter)
    okrug_screenings: Counter[str] = field(default_factory=Counter)

    def shown_frozen(self) -> dict[str, frozenset[str]]:
        return {venue: frozenset(films) for venue, films in self.shown.items()}


def record(state: SeasonState, problem: Problem, routes: list[Route]) -> None:
    """Add a window's routes to the season state."""
    venues = {v.id: v for v in problem.venues}
    for route in routes:
        for stop in route.stops:
            state.visits[stop.venue_id].append(route.day)
            state.okrug_screenings[venues[stop.venue_id].okrug] += len(stop.screenings)
            for screening in stop.screenings:
                state.shown[stop.venue_id].add(screening.film_id)
                state.film_uses[screening.film_id] += 1
