"""Problem building: which visits are possible when, as plain data for the router.

A *visit option* is a venue served by one class of trucks with ``k`` screening slots of
``slot_min`` each. Its *arrival windows* are the minutes (from local midnight of the day)
at which a truck may arrive, set up and start the first screening so that every slot
respects the venue's hours, darkness, the silence law and the truck zone.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from scheduler.domain import Film, Problem, Rules, ScreenType, Truck, Venue
from scheduler.sun import dawn_min, dusk_min

__all__ = [
    "Interval",
    "TruckClass",
    "arrival_windows",
    "eligible_films",
    "intersect",
    "slot_lengths",
]

Interval = tuple[int, int]
"""A closed interval of whole minutes ``(lo, hi)`` with ``lo <= hi``."""


@dataclass(frozen=True, slots=True)
class TruckClass:
    """Trucks that share every property the visit windows depend on."""

    screen: ScreenType
    has_ttk_pass: bool
    setup_min: int
    teardown_min: int

    @staticmethod
    def of(truck: Truck) -> TruckClass:
        return TruckClass(truck.screen, truck.has_ttk_pass, truck.setup_min, truck.teardown_min)


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """Intersection of two sorted lists of disjoint intervals."""
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def union(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, merged union of intervals."""
    out: list[Interval] = []
    for lo, hi in sorted(i for i in intervals if i[0] <= i[1]):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def programme_min(k: int, slot_min: int, rules: Rules) -> int:
    """Minutes from the first screening's start to the last one's end."""
    return k * slot_min + (k - 1) * rules.screening_gap_min


@dataclass(frozen=True, slots=True)
class WindowRules:
    """The named rule filters on the first screening's start, in evaluation order."""

    hours: list[Interval]
    darkness: list[Interval]
    silence: list[Interval]
    truck_zone: list[Interval]

    def applied(self) -> list[tuple[str, list[Interval]]]:
        """Cumulative windows after each rule: ``[("hours", w1), ("darkness", w2), ...]``."""
        steps: list[tuple[str, list[Interval]]] = []
        current = self.hours
        steps.append(("hours", current))
        for name, rule in (
            ("darkness", self.darkness),
            ("silence", self.silence),
            ("truck_zone", self.truck_zone),
        ):
            current = intersect(current, rule)
            steps.append((name, current))
        return steps


_ANY: list[Interval] = [(-10_000, 10_000)]


def start_rules(
    venue: Venue, truck_class: TruckClass, day: date, programme: int, rules: Rules
) -> WindowRules:
    """Each rule's allowed first-screening starts (minutes from midnight) on ``day``."""
    hours = union((w.start_min, w.end_min - programme) for w in venue.hours_on(day))
    darkness = _ANY
    if truck_class.screen is ScreenType.PROJECTOR:
        dusk = dusk_min(day, venue.location, rules.timezone)
        dawn = dawn_min(day, venue.location, rules.timezone)
        end = 10_000 if dawn is None else dawn - programme
        darkness = [] if dusk is None or end < dusk else [(dusk, end)]
    silence = _ANY
    if venue.residential:
        silence = [(rules.silence_end_min, rules.silence_start_min - programme)]
    zone = _ANY
    if venue.inside_ttk and not truck_class.has_ttk_pass:
        on_site = truck_class.setup_min + programme + truck_class.teardown_min
        before = rules.ttk_ban_start_min - on_site + truck_class.setup_min
        zone = union(
            [
                (truck_class.setup_min, before),
                (rules.ttk_ban_end_min + truck_class.setup_min, before + 1440),
            ]
        )
    return WindowRules(hours, darkness, silence, zone)


def arrival_windows(
    venue: Venue, truck_class: TruckClass, day: date, programme: int, rules: Rules
) -> list[Interval]:
    """Allowed arrival minutes (from midnight of ``day``) for a programme of that length."""
    starts = start_rules(venue, truck_class, day, programme, rules).applied()[-1][1]
    return [(lo - truck_class.setup_min, hi - truck_class.setup_min) for lo, hi in starts]


def eligible_films(
    venue: Venue, day: date, films: Iterable[Film], shown_here: frozenset[str] = frozenset()
) -> list[Film]:
    """Films that may be shown at ``venue`` on ``day`` (licence, certificate, audience)."""
    return [
        f
        for f in films
        if f.may_be_shown
        and f.licensed_on(day)
        and f.rating <= venue.max_rating
        and f.id not in venue.excluded_film_ids
        and f.id not in shown_here
    ]


def slot_lengths(problem: Problem) -> tuple[int, int]:
    """``(main, short)`` slot lengths in minutes, rounded up to 5.

    ``rules.slot_min`` fixes both; otherwise the main slot fits half the films (median
    running time) and the short slot a fifth of them, for tight evening windows.
    """
    if problem.rules.slot_min is not None:
        return problem.rules.slot_min, problem.rules.slot_min
    runtimes = sorted(f.runtime_min for f in problem.films if f.may_be_shown)
    if not runtimes:
        return 90, 90
    main = _ceil5(runtimes[(len(runtimes) - 1) // 2])
    short = _ceil5(runtimes[(len(runtimes) - 1) // 5])
    return main, short


def _ceil5(minutes: int) -> int:
    return int(math.ceil(minutes / 5) * 5)
