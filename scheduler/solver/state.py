"""What earlier planning windows decided that later ones must respect."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from scheduler.domain import Problem, Stop

__all__ = ["SeasonState", "record"]


@dataclass
class SeasonState:
    """What earlier windows (and the pins, whatever their day) decided that later windows
    must respect."""

    visits: dict[str, list[date]] = field(default_factory=lambda: defaultdict(list))
    shown: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    film_uses: Counter[str] = field(default_factory=Counter)
    okrug_screenings: Counter[str] = field(default_factory=Counter)

    def shown_frozen(self) -> dict[str, frozenset[str]]:
        return {venue: frozenset(films) for venue, films in self.shown.items()}


def record(state: SeasonState, problem: Problem, visits: Iterable[tuple[date, Stop]]) -> None:
    """Add visits (day, stop) to the season state."""
    venues = {v.id: v for v in problem.venues}
    for day, stop in visits:
        state.visits[stop.venue_id].append(day)
        state.okrug_screenings[venues[stop.venue_id].okrug] += len(stop.screenings)
        for screening in stop.screenings:
            state.shown[stop.venue_id].add(screening.film_id)
            state.film_uses[screening.film_id] += 1
