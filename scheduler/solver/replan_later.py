"""Film swaps of a re-plan that keep every time of a route.

``withdraw_later``: on later days, each screening of a withdrawn film is swapped for
another film the venue may show in the same slot, else dropped (``FILM_WITHDRAWN``).
``restore_films``: on the re-planned day, a venue the old plan visited that day shows the
old plan's films again where they fit the new slots (the value is the same; the plan
changes less).

A swap keeps the screening's start and every other time of the route: the new film is no
longer than the old one (so it still ends inside the hours, the silence and the darkness,
and the teardown still fits), allowed at the venue (rating, exclusions, licence,
certificate, the late-rating hour), not yet shown at the venue this season, and under its
cap. The longest such film is taken. A stop left without screenings is dropped and its
route re-timed around the other stops (their times unchanged).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

from scheduler.disruptions import Disruption, FilmWithdrawn
from scheduler.domain import Film, Problem, Route, Screening, Stop, Venue
from scheduler.solver.pins import local_midnight
from scheduler.solver.replan_drops import DropReason, Notes, local_time
from scheduler.solver.replan_fixed import route_around
from scheduler.travel import TravelTimes

__all__ = ["restore_films", "withdraw_later", "withdrawn_films"]


def withdraw_later(
    problem: Problem,
    routes: list[Route],
    after: date,
    withdrawn: Mapping[str, datetime],
    travel: TravelTimes,
    notes: Notes,
    also: Iterable[Route] = (),
) -> list[Route]:
    """``routes`` with the withdrawn films' screenings on days after ``after`` (and from
    their ``at`` on) swapped or dropped; routes of other days are returned unchanged.
    ``also`` are routes that count in the season rules (films shown, caps) but stay."""
    if not withdrawn:
        return routes
    shown, uses = _counts([*routes, *also])
    swap = _Swapper(problem, withdrawn, shown, uses)
    result = []
    for route in sorted(routes, key=lambda r: (r.day, r.truck_id)):
        if route.day <= after or not _touched(route, withdrawn):
            result.append(route)
            continue
        stops = [swap.stop(route, stop, notes) for stop in route.stops]
        kept = [stop for stop in stops if stop is not None]
        if kept == list(route.stops):
            result.append(route)
        elif len(kept) == len(route.stops):
            result.append(replace(route, stops=tuple(kept)))
        else:
            timed = route_around(problem, travel, problem.truck(route.truck_id), route.day, kept)
            if timed is not None:
                result.append(timed)
    return result


def _touched(route: Route, withdrawn: Mapping[str, datetime]) -> bool:
    return any(
        show.film_id in withdrawn and show.start >= withdrawn[show.film_id]
        for stop in route.stops
        for show in stop.screenings
    )


class _Swapper:
    """Films per venue and uses per film as the swaps go."""

    def __init__(
        self,
        problem: Problem,
        withdrawn: Mapping[str, datetime],
        shown: dict[str, set[str]],
        uses: Counter[str],
    ) -> None:
        self.problem = problem
        self.withdrawn = withdrawn
        self.shown = shown
        self.uses = uses

    def stop(self, route: Route, stop: Stop, notes: Notes) -> Stop | None:
        """The stop with its withdrawn screenings swapped or dropped (``None``: none left)."""
        venue = self.problem.venue(stop.venue_id)
        shows: list[Screening] = []
        for show in stop.screenings:
            at = self.withdrawn.get(show.film_id)
            if at is None or show.start < at:
                shows.append(show)
                continue
            old = self.problem.film(show.film_id)
            truck = self.problem.truck(route.truck_id).name
            when = local_time(self.problem, show.start, with_date=True)
            what = f"'{old.title}' at {venue.name} on {when} ({truck})"
            film = self._replacement(venue, route.day, show, old)
            if film is None:
                why = f"{what}: the film is withdrawn and no other film fits the slot"
                notes.add(route.day, stop, show, DropReason.FILM_WITHDRAWN, why)
                continue
            why = f"{what}: the film is withdrawn; '{film.title}' is shown instead"
            notes.add(route.day, stop, show, DropReason.FILM_WITHDRAWN, why)
            self.shown[venue.id].add(film.id)
            self.uses[film.id] += 1
            end = show.start + timedelta(minutes=film.runtime_min)
            shows.append(Screening(film.id, show.start, end))
        if not shows:
            return None
        if tuple(shows) == stop.screenings:
            return stop
        return replace(stop, screenings=tuple(shows))

    def _replacement(self, venue: Venue, day: date, show: Screening, old: Film) -> Film | None:
        fits = [
            film
            for film in self.problem.films
            if film.id not in self.withdrawn and self.fits(venue, day, show, old, film)
        ]
        return max(fits, key=lambda f: (f.runtime_min, f.id), default=None)

    def fits(self, venue: Venue, day: date, show: Screening, old: Film, film: Film) -> bool:
        """``film`` may replace ``old`` in the slot of ``show`` without changing a time."""
        rules = self.problem.rules
        late_from = local_midnight(day, rules.timezone) + timedelta(
            minutes=rules.late_rating_after_min
        )
        return (
            film.may_be_shown
            and film.licensed_on(day)
            and film.rating <= venue.max_rating
            and film.id not in venue.excluded_film_ids
            and film.id not in self.shown[venue.id]
            and (film.max_screenings is None or self.uses[film.id] < film.max_screenings)
            and film.runtime_min <= old.runtime_min
            and (film.rating < rules.late_rating or show.start >= late_from)
        )

    def restore(self, day: date, stop: Stop, wanted: Sequence[str]) -> Stop:
        """The stop showing the films of ``wanted`` (in order) where they fit its slots."""
        venue = self.problem.venue(stop.venue_id)
        shows = list(stop.screenings)
        for i, show in enumerate(shows):
            if show.film_id in wanted:
                continue
            old = self.problem.film(show.film_id)
            for film_id in wanted:
                film = self.problem.film(film_id)
                if any(x.film_id == film_id for x in shows) or not self.fits(
                    venue, day, show, old, film
                ):
                    continue
                self.shown[venue.id].discard(old.id)
                self.uses[old.id] -= 1
                self.shown[venue.id].add(film.id)
                self.uses[film.id] += 1
                end = show.start + timedelta(minutes=film.runtime_min)
                shows[i] = Screening(film.id, show.start, end)
                break
        return stop if tuple(shows) == stop.screenings else replace(stop, screenings=tuple(shows))


def _counts(routes: Iterable[Route]) -> tuple[dict[str, set[str]], Counter[str]]:
    """Films shown per venue and screenings per film."""
    shown: dict[str, set[str]] = defaultdict(set)
    uses: Counter[str] = Counter()
    for route in routes:
        for stop in route.stops:
            for show in stop.screenings:
                shown[stop.venue_id].add(show.film_id)
                uses[show.film_id] += 1
    return shown, uses


def restore_films(
    problem: Problem,
    day_routes: Sequence[Route],
    old_day: Sequence[Route],
    others: Sequence[Route],
    withdrawn: Mapping[str, datetime],
) -> list[Route]:
    """The day's routes with each venue showing the old plan's films of that day again
    where they fit (see the module docstring)."""
    wanted: dict[str, list[str]] = {
        stop.venue_id: [x.film_id for x in stop.screenings if x.film_id not in withdrawn]
        for route in old_day
        for stop in route.stops
    }
    shown, uses = _counts([*day_routes, *others])
    swap = _Swapper(problem, withdrawn, shown, uses)
    result = []
    for route in day_routes:
        stops = tuple(
            swap.restore(route.day, stop, wanted[stop.venue_id])
            if wanted.get(stop.venue_id)
            else stop
            for stop in route.stops
        )
        result.append(route if stops == route.stops else replace(route, stops=stops))
    return result


def withdrawn_films(disruptions: Iterable[Disruption]) -> dict[str, datetime]:
    """The earliest withdrawal moment of each withdrawn film."""
    found: dict[str, datetime] = {}
    for d in disruptions:
        if isinstance(d, FilmWithdrawn):
            found[d.film_id] = min(found.get(d.film_id, d.at), d.at)
    return found
