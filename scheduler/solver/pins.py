"""Pins: parts of a plan a re-plan keeps exactly, checked against the problem and indexed by
truck-day.

``index_pins`` refuses pins that do not fit the problem (unknown truck, venue or film, a day
outside the season or off the truck's calendar, two pins of one venue on one day, pins that
overlap in time on one truck-day) with an ``InvalidProblem`` naming the field, e.g.
``pins.stops[2].venue_id``. The fields of a pinned stop's ``Stop`` are named as if they sat on
the pin itself (``pins.stops[2].arrival``, ``pins.stops[2].screenings[0].film_id``); a pinned
route's stops as ``pins.routes[0].stops[1].venue_id``.

Whether the pinned stops keep the season rules (hours, darkness, visits, ...) is not checked
here: they are kept as given, and ``checks.verify`` judges the plan.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from scheduler.domain import Pins, Problem, Route, Stop, truck_available_on
from scheduler.errors import InvalidProblem

__all__ = ["PinIndex", "TruckDay", "index_pins", "local_midnight", "minutes_after"]

TruckDay = tuple[str, date]
"""``(truck_id, day)``: one vehicle of the season."""


@dataclass(frozen=True)
class PinIndex:
    """Valid pins by truck-day."""

    routes: dict[TruckDay, Route] = field(default_factory=dict)
    """Whole pinned truck-days."""
    stops: dict[TruckDay, tuple[Stop, ...]] = field(default_factory=dict)
    """Pinned stops by arrival, on truck-days that are not pinned whole."""

    def whole(self, days: Collection[date]) -> set[TruckDay]:
        """Truck-days on ``days`` pinned as whole routes."""
        return {key for key in self.routes if key[1] in days}

    def partial(self, days: Collection[date]) -> dict[TruckDay, tuple[Stop, ...]]:
        """Pinned stops on ``days``, by truck-day."""
        return {key: stops for key, stops in self.stops.items() if key[1] in days}

    def visits(self) -> Iterator[tuple[date, Stop]]:
        """Every pinned visit, with its day."""
        for (_, day), route in self.routes.items():
            for stop in route.stops:
                yield day, stop
        for (_, day), stops in self.stops.items():
            for stop in stops:
                yield day, stop

    def is_pinned(self, truck_id: str, day: date, stop: Stop) -> bool:
        """True when ``stop`` on that truck-day is one of the pins."""
        key = (truck_id, day)
        return key in self.routes or stop in self.stops.get(key, ())


def local_midnight(day: date, timezone: str) -> datetime:
    """The start of ``day`` in the season's timezone."""
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(timezone))


def minutes_after(start: datetime, moment: datetime) -> float:
    """Minutes from ``start`` to ``moment``."""
    return (moment - start) / timedelta(minutes=1)


def index_pins(problem: Problem, pins: Pins | None) -> PinIndex:
    """Check the pins against the problem and index them; raise ``InvalidProblem`` listing
    every pin that does not fit."""
    if pins is None or not (pins.routes or pins.stops):
        return PinIndex()
    found: list[tuple[str, str]] = []
    routes: dict[TruckDay, Route] = {}
    where_route: dict[TruckDay, str] = {}
    # (venue, day) -> field of the first pin that visits it
    venue_days: dict[tuple[str, date], str] = {}
    for r, route in enumerate(pins.routes):
        at = f"pins.routes[{r}]"
        ok = _truck_day(problem, at, route.truck_id, route.day, found)
        key = (route.truck_id, route.day)
        if ok and key in routes:
            found.append((at, f"a second pinned route for {route.truck_id} on {route.day}"))
            continue
        entries = [(f"{at}.stops[{s}]", stop) for s, stop in enumerate(route.stops)]
        checked = [
            _stop(problem, where, route.day, stop, venue_days, found) for where, stop in entries
        ]
        if ok and all(checked) and _no_overlap(entries, found):
            routes[key] = route
            where_route[key] = at
    singles: dict[TruckDay, list[tuple[str, Stop]]] = defaultdict(list)
    for p, pin in enumerate(pins.stops):
        at = f"pins.stops[{p}]"
        ok = _truck_day(problem, at, pin.truck_id, pin.day, found)
        key = (pin.truck_id, pin.day)
        if ok and key in routes:
            if pin.stop not in routes[key].stops:
                found.append(
                    (
                        at,
                        f"{pin.truck_id} on {pin.day} is pinned whole ({where_route[key]}) "
                        "without this stop",
                    )
                )
            continue
        if _stop(problem, at, pin.day, pin.stop, venue_days, found) and ok:
            singles[key].append((at, pin.stop))
    for entries in singles.values():
        _no_overlap(sorted(entries, key=lambda entry: entry[1].arrival), found)
    if found:
        raise InvalidProblem(found)
    stops = {
        key: tuple(sorted((stop for _, stop in entries), key=lambda stop: stop.arrival))
        for key, entries in singles.items()
    }
    return PinIndex(routes, stops)


def _truck_day(
    problem: Problem, at: str, truck_id: str, day: date, found: list[tuple[str, str]]
) -> bool:
    trucks = {t.id: t for t in problem.trucks}
    truck = trucks.get(truck_id)
    if truck is None:
        found.append((f"{at}.truck_id", f"no truck '{truck_id}' in the problem"))
        return False
    if day not in problem.days:
        found.append((f"{at}.day", f"{day} is not a day of the season"))
        return False
    if not truck_available_on(truck, day):
        found.append((f"{at}.day", f"truck '{truck_id}' does not work on {day}"))
        return False
    return True


def _stop(
    problem: Problem,
    at: str,
    day: date,
    stop: Stop,
    venue_days: dict[tuple[str, date], str],
    found: list[tuple[str, str]],
) -> bool:
    """Ids, times and the one-pin-per-venue-and-day rule of one pinned stop."""
    before = len(found)
    if stop.venue_id not in {v.id for v in problem.venues}:
        found.append((f"{at}.venue_id", f"no venue '{stop.venue_id}' in the problem"))
    elif (stop.venue_id, day) in venue_days:
        other = venue_days[stop.venue_id, day]
        found.append(
            (f"{at}.venue_id", f"venue '{stop.venue_id}' is also pinned on {day} ({other})")
        )
    else:
        venue_days[stop.venue_id, day] = at
    films = {f.id for f in problem.films}
    for k, screening in enumerate(stop.screenings):
        if screening.film_id not in films:
            found.append(
                (f"{at}.screenings[{k}].film_id", f"no film '{screening.film_id}' in the problem")
            )
    for name, moment in (("arrival", stop.arrival), ("departure", stop.departure)):
        if moment.tzinfo is None:
            found.append((f"{at}.{name}", "needs a timezone"))
    if len(found) > before:
        return False
    start = minutes_after(local_midnight(day, problem.rules.timezone), stop.arrival)
    if not 0 <= start < 2 * 1440:
        found.append((f"{at}.arrival", f"{stop.arrival.isoformat()} is not on {day}"))
    elif stop.departure < stop.arrival:
        found.append((f"{at}.departure", "before the arrival"))
    return len(found) == before


def _no_overlap(entries: list[tuple[str, Stop]], found: list[tuple[str, str]]) -> bool:
    """Stops in order of arrival that do not overlap in time (on one truck-day)."""
    ok = True
    for (first_at, first), (second_at, second) in pairwise(entries):
        if second.arrival < first.departure:
            found.append((second_at, f"overlaps {first_at} in time on the same truck-day"))
            ok = False
    return ok
