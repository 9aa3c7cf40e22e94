"""What a re-plan lost: the screenings of the old plan the new plan no longer has, each
with a reason, and the venues left without any visit.

A screening of the old plan "is kept" when the new plan has a screening of the same film at
the same venue on the same day (truck and time may differ). ``account_drops`` lists every
screening that is not kept: with the reason recorded where the re-plan removed it on purpose
(``Notes``), else with the disruption that explains it, else ``NO_LONGER_FITS``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from scheduler.disruptions import (
    FilmWithdrawn,
    ShiftCut,
    Situation,
    TruckBrokenDown,
    TruckDelayed,
    VenueCancelled,
    VenueUnreachable,
)
from scheduler.domain import Plan, Problem, Route, Screening, Stop, Unserved, UnservedReason

__all__ = [
    "DropReason",
    "Dropped",
    "Notes",
    "ScreeningKey",
    "account_drops",
    "local_time",
    "unserved_after",
]

ScreeningKey = tuple[date, str, str]
"""``(day, venue_id, film_id)``: what makes a screening "kept"."""


class DropReason(enum.StrEnum):
    """Why a screening of the old plan is not in the new plan."""

    VENUE_CANCELLED = "venue_cancelled"
    UNREACHABLE = "unreachable"
    TRUCK_BROKEN_DOWN = "truck_broken_down"
    SHIFT_CUT = "shift_cut"
    FILM_WITHDRAWN = "film_withdrawn"
    LATE = "late"
    NO_LONGER_FITS = "no_longer_fits"


@dataclass(frozen=True, slots=True)
class Dropped:
    """One screening of the old plan that the new plan no longer has."""

    truck_id: str
    day: date
    venue_id: str
    film_id: str
    start: datetime
    reason: DropReason
    message: str
    """In English; names the venue, the truck and the rule."""


@dataclass
class Notes:
    """Reasons recorded while the re-plan removes screenings on purpose, by screening."""

    reasons: dict[ScreeningKey, tuple[DropReason, str]] = field(default_factory=dict)

    def add(
        self, day: date, stop: Stop, screening: Screening, reason: DropReason, why: str
    ) -> None:
        """Record why ``screening`` of ``stop`` on ``day`` was removed (the first reason wins)."""
        self.reasons.setdefault((day, stop.venue_id, screening.film_id), (reason, why))


def local_time(problem: Problem, moment: datetime, with_date: bool = False) -> str:
    """``moment`` as the season's clock shows it (``HH:MM``, or ``YYYY-MM-DD HH:MM``)."""
    local = moment.astimezone(ZoneInfo(problem.rules.timezone))
    return f"{local:%Y-%m-%d %H:%M}" if with_date else f"{local:%H:%M}"


_UNSERVED_BY_DROP: Mapping[DropReason, UnservedReason] = {
    DropReason.VENUE_CANCELLED: UnservedReason.NO_TIME_WINDOW,
    DropReason.UNREACHABLE: UnservedReason.TRUCKS_BUSY,
    DropReason.TRUCK_BROKEN_DOWN: UnservedReason.TRUCKS_BUSY,
    DropReason.SHIFT_CUT: UnservedReason.OUTSIDE_SHIFT,
    DropReason.FILM_WITHDRAWN: UnservedReason.NO_FILM,
    DropReason.LATE: UnservedReason.NO_TIME_WINDOW,
    DropReason.NO_LONGER_FITS: UnservedReason.TRUCKS_BUSY,
}


def _kept_keys(plan: Plan) -> set[ScreeningKey]:
    return {(r.day, s.venue_id, x.film_id) for r, s in plan.stops for x in s.screenings}


def account_drops(
    problem: Problem,
    old: Plan,
    new: Plan,
    situation: Situation,
    notes: Notes,
    day_unserved: Mapping[str, Unserved],
) -> tuple[Dropped, ...]:
    """Every screening of ``old`` that ``new`` does not keep, with a reason and a message.

    ``day_unserved`` are the one-day re-plan's reasons for venues it left out that day."""
    kept = _kept_keys(new)
    films_at = {(r.day, s.venue_id): s.screenings for r, s in new.stops}
    dropped = []
    for route, stop in old.stops:
        for screening in stop.screenings:
            key = (route.day, stop.venue_id, screening.film_id)
            if key in kept:
                continue
            reason, why = notes.reasons.get(key) or _explain(
                problem, situation, route, stop, screening, films_at, day_unserved
            )
            dropped.append(
                Dropped(
                    route.truck_id,
                    route.day,
                    stop.venue_id,
                    screening.film_id,
                    screening.start,
                    reason,
                    why,
                )
            )
    return tuple(dropped)


def _explain(
    problem: Problem,
    situation: Situation,
    route: Route,
    stop: Stop,
    screening: Screening,
    films_at: Mapping[tuple[date, str], tuple[Screening, ...]],
    day_unserved: Mapping[str, Unserved],
) -> tuple[DropReason, str]:
    """The disruption that explains a screening's loss, else what the re-plan did instead."""
    venue = problem.venue(stop.venue_id)
    truck = problem.truck(route.truck_id)
    film = problem.film(screening.film_id)
    when = local_time(problem, screening.start, with_date=True)
    what = f"'{film.title}' at {venue.name} on {when} ({truck.name})"
    for disruption in situation.disruptions:
        if (
            isinstance(disruption, FilmWithdrawn)
            and disruption.film_id == film.id
            and screening.start >= disruption.at
        ):
            return DropReason.FILM_WITHDRAWN, f"{what}: the film is withdrawn"
        if route.day != situation.day:
            continue
        if isinstance(disruption, VenueCancelled) and disruption.venue_id == venue.id:
            return DropReason.VENUE_CANCELLED, f"{what}: the venue is cancelled for the day"
        if (
            isinstance(disruption, VenueUnreachable)
            and disruption.venue_id == venue.id
            and disruption.truck_id == truck.id
        ):
            return (
                DropReason.UNREACHABLE,
                f"{what}: {truck.name} cannot reach the venue and no other truck could take it",
            )
        if isinstance(disruption, TruckBrokenDown) and disruption.truck_id == truck.id:
            return (
                DropReason.TRUCK_BROKEN_DOWN,
                f"{what}: {truck.name} broke down at {local_time(problem, disruption.at)} "
                "and no other truck could take it",
            )
        if (
            isinstance(disruption, ShiftCut)
            and disruption.truck_id == truck.id
            and stop.departure > disruption.end
        ):
            return (
                DropReason.SHIFT_CUT,
                f"{what}: the driver's shift is cut to end at "
                + local_time(problem, disruption.end),
            )
        if isinstance(disruption, TruckDelayed) and disruption.truck_id == truck.id:
            return (
                DropReason.LATE,
                f"{what}: {truck.name} is running late and the rest of its day no longer "
                "fits the venue's hours, the silence law or the shift",
            )
    return DropReason.NO_LONGER_FITS, f"{what}: " + _instead(
        problem, route.day, venue.id, films_at, day_unserved
    )


def _instead(
    problem: Problem,
    day: date,
    venue_id: str,
    films_at: Mapping[tuple[date, str], tuple[Screening, ...]],
    day_unserved: Mapping[str, Unserved],
) -> str:
    shows = films_at.get((day, venue_id))
    if shows:
        titles = ", ".join(f"'{problem.film(x.film_id).title}'" for x in shows)
        return f"the re-plan shows {titles} there instead"
    entry = day_unserved.get(venue_id)
    if entry is not None:
        return f"dropped by the re-plan for a better day: {entry.message}"
    return "dropped by the re-plan for a better day (its trucks serve other venues)"


def unserved_after(
    problem: Problem,
    routes: Iterable[Route],
    old: Plan,
    dropped: Iterable[Dropped],
    day_unserved: Mapping[str, Unserved],
    requested: Iterable[str] = (),
) -> tuple[Unserved, ...]:
    """A reason for every venue of ``problem`` without a visit in ``routes``: the reason
    it lost its visits, else (for a venue requested for the day) the one-day re-plan's,
    else the old plan's."""
    served = {stop.venue_id for route in routes for stop in route.stops}
    before = {entry.venue_id: entry for entry in old.unserved}
    lost = {entry.venue_id: entry for entry in dropped}
    asked = set(requested)
    found = []
    for venue in problem.venues:
        if venue.id in served:
            continue
        if venue.id in lost:
            drop = lost[venue.id]
            found.append(Unserved(venue.id, _UNSERVED_BY_DROP[drop.reason], drop.message))
        elif venue.id in day_unserved and (venue.id in asked or venue.id not in before):
            found.append(day_unserved[venue.id])
        elif venue.id in before:
            found.append(before[venue.id])
        else:
            message = f"{venue.name}: no truck could take it in the re-plan"
            found.append(Unserved(venue.id, UnservedReason.TRUCKS_BUSY, message))
    return tuple(found)
