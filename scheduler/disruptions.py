"""What the street tells the plan during a day: disruptions and the situation a re-plan starts
from (pure data, no I/O).

A ``Situation`` is one day of the season, the moment of the re-plan (``now``) and the
disruptions known by then. ``solver.apply_disruptions`` writes them into the season problem;
``solver.replanning`` keeps every stop that is done or in progress at ``now`` and re-plans the
rest of that day around the disruptions (see docs/engine.md, "Re-planning during the day").

Disruptions:

- ``TruckDelayed``: a truck is ``minutes`` late from ``now`` on, or arrived (or will arrive)
  at ``venue_id`` at ``arrival``;
- ``VenueCancelled``: a venue cannot be visited on the day (rain, a permit withdrawn);
- ``VenueUnreachable``: one truck cannot get to a venue on the day (a closed road); another
  truck may;
- ``TruckBrokenDown``: a truck is out of service from ``at`` to the end of the day;
- ``ShiftCut``: a driver's shift on the day ends at ``end`` (back at the depot by then);
- ``VenueRequested``: a venue (a new one, or one of the season's) asks for a screening on the
  day;
- ``FilmWithdrawn``: a film may not be shown from ``at`` on (this day and every later day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from scheduler.domain import Venue
from scheduler.errors import InvalidProblem

__all__ = [
    "Disruption",
    "FilmWithdrawn",
    "ShiftCut",
    "Situation",
    "TruckBrokenDown",
    "TruckDelayed",
    "VenueCancelled",
    "VenueRequested",
    "VenueUnreachable",
]


def _require_timezone(field: str, moment: datetime | None) -> None:
    if moment is not None and moment.tzinfo is None:
        raise InvalidProblem([(field, "needs a timezone")])


@dataclass(frozen=True, slots=True)
class TruckDelayed:
    """A truck running late: by ``minutes`` from the moment of the re-plan on, or by its
    actual (or expected) ``arrival`` at ``venue_id``."""

    truck_id: str
    minutes: int | None = None
    arrival: datetime | None = None
    venue_id: str | None = None

    def __post_init__(self) -> None:
        if (self.minutes is None) == (self.arrival is None):
            raise InvalidProblem([("minutes", "give either minutes late or an arrival time")])
        if self.minutes is not None and not 0 < self.minutes <= 24 * 60:
            raise InvalidProblem([("minutes", "must be between 1 and 1440")])
        if self.arrival is not None and self.venue_id is None:
            raise InvalidProblem([("venue_id", "an arrival time needs the venue it is at")])
        _require_timezone("arrival", self.arrival)


@dataclass(frozen=True, slots=True)
class VenueCancelled:
    """A venue that cannot be visited on the situation's day."""

    venue_id: str


@dataclass(frozen=True, slots=True)
class VenueUnreachable:
    """A venue that one truck cannot reach on the situation's day."""

    truck_id: str
    venue_id: str


@dataclass(frozen=True, slots=True)
class TruckBrokenDown:
    """A truck out of service from ``at`` to the end of the day."""

    truck_id: str
    at: datetime

    def __post_init__(self) -> None:
        _require_timezone("at", self.at)


@dataclass(frozen=True, slots=True)
class ShiftCut:
    """A driver who must be back at the depot by ``end`` on the situation's day."""

    truck_id: str
    end: datetime

    def __post_init__(self) -> None:
        _require_timezone("end", self.end)


@dataclass(frozen=True, slots=True)
class VenueRequested:
    """A screening asked for on the situation's day: at a new ``venue`` (added to the
    season) or at the season's venue ``venue_id``."""

    venue: Venue | None = None
    venue_id: str | None = None

    def __post_init__(self) -> None:
        if (self.venue is None) == (self.venue_id is None):
            raise InvalidProblem([("venue", "give either a new venue or a venue_id")])

    @property
    def requested_id(self) -> str:
        """The id of the venue asked for."""
        return self.venue.id if self.venue is not None else str(self.venue_id)


@dataclass(frozen=True, slots=True)
class FilmWithdrawn:
    """A film that may not be shown from ``at`` on."""

    film_id: str
    at: datetime

    def __post_init__(self) -> None:
        _require_timezone("at", self.at)


Disruption = (
    TruckDelayed
    | VenueCancelled
    | VenueUnreachable
    | TruckBrokenDown
    | ShiftCut
    | VenueRequested
    | FilmWithdrawn
)
"""Anything that makes the rest of a day differ from its plan."""


@dataclass(frozen=True, slots=True)
class Situation:
    """One day, the moment of the re-plan, and the disruptions known by then.

    Stops that have begun by ``now`` (the truck arrived, or is driving to them) are done or
    in progress: a re-plan keeps them. ``now`` before the day starts keeps nothing of it."""

    day: date
    now: datetime
    disruptions: tuple[Disruption, ...] = ()

    def __post_init__(self) -> None:
        _require_timezone("now", self.now)
