"""The pure domain model: what a season problem and a plan are.

No I/O and no third-party imports. Clock times inside a day are minutes from the local
midnight of that day (``*_min``; values past 1440 mean "after midnight"); plan times are
timezone-aware datetimes in the season's timezone.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar

__all__ = [
    "AGE_RATINGS",
    "WEEKDAY_NAMES",
    "Break",
    "DayHours",
    "DayShift",
    "DayWindow",
    "Film",
    "Location",
    "PinnedStop",
    "Pins",
    "Plan",
    "PlanStats",
    "Problem",
    "Route",
    "Rules",
    "ScreenType",
    "Screening",
    "Stop",
    "Truck",
    "Unserved",
    "UnservedReason",
    "Venue",
    "rating_label",
]

AGE_RATINGS: tuple[int, ...] = (0, 6, 12, 16, 18)
"""Russian age ratings (federal law 436-FZ) as the minimum age: 0+, 6+, 12+, 16+, 18+."""


def rating_label(rating: int) -> str:
    """Return the display form of a rating, e.g. ``16+``."""
    return f"{rating}+"


class ScreenType(enum.StrEnum):
    """An LED screen works in daylight; a projector needs darkness."""

    LED = "led"
    PROJECTOR = "projector"


@dataclass(frozen=True, slots=True)
class Location:
    """A point on the Earth in WGS84 degrees."""

    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class DayWindow:
    """A window of clock time inside one day, in minutes from local midnight.

    ``end_min`` may exceed 1440 for a window that runs past midnight.
    """

    start_min: int
    end_min: int

    @property
    def length_min(self) -> int:
        return self.end_min - self.start_min

    def contains(self, start_min: int, end_min: int) -> bool:
        """True when ``[start_min, end_min]`` lies inside this window."""
        return self.start_min <= start_min and end_min <= self.end_min


WEEKDAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday names as the scenario writes them; index = ``date.weekday()``."""


@dataclass(frozen=True, slots=True)
class DayHours:
    """A venue's opening hours on some weekdays (0 = Monday) and dates; no windows: closed."""

    windows: tuple[DayWindow, ...]
    weekdays: frozenset[int] = frozenset()
    dates: frozenset[date] = frozenset()


@dataclass(frozen=True, slots=True)
class DayShift:
    """A truck's shift on some weekdays (0 = Monday) and dates."""

    shift: DayWindow
    weekdays: frozenset[int] = frozenset()
    dates: frozenset[date] = frozenset()
    max_shift_min: int | None = None
    """``None``: the truck's ``max_shift_min``."""


_Rule = TypeVar("_Rule", DayHours, DayShift)


def _day_rule(rules: tuple[_Rule, ...], day: date) -> _Rule | None:
    """The rule for ``day``: one naming the date wins over one naming its weekday."""
    for rule in rules:
        if day in rule.dates:
            return rule
    for rule in rules:
        if day.weekday() in rule.weekdays:
            return rule
    return None


@dataclass(frozen=True, slots=True)
class Venue:
    """A place where a truck can stop and screen films."""

    id: str
    name: str
    location: Location
    okrug: str
    audience_seats: int
    priority: float = 1.0
    district: str = ""
    kind: str = "park"
    hours: tuple[DayWindow, ...] = (DayWindow(10 * 60, 23 * 60),)
    """When screenings may take place (several windows allowed)."""
    allowed_dates: frozenset[date] | None = None
    """``None``: every day of the season."""
    residential: bool = True
    """Housing nearby: the silence law bounds the amplified programme."""
    inside_ttk: bool = False
    """Inside the Third Ring truck-restriction zone."""
    max_rating: int = 18
    """The audience profile: the highest age rating allowed (a children's park: 6)."""
    excluded_film_ids: frozenset[str] = frozenset()
    max_visits: int | None = None
    """Overrides ``Rules.max_visits`` for this venue."""
    source: str = ""
    address: str = ""
    """Street address or a description a driver can find (shown on the driver's day)."""
    day_hours: tuple[DayHours, ...] = ()
    """Hours on particular weekdays or dates, instead of ``hours`` (see ``hours_on``)."""
    min_gap_days: int | None = None
    """Overrides ``Rules.min_gap_days`` for this venue."""

    def hours_on(self, day: date) -> tuple[DayWindow, ...]:
        """The opening windows on ``day`` (empty: closed): a ``day_hours`` rule naming the
        date, else one naming its weekday, else ``hours``."""
        rule = _day_rule(self.day_hours, day)
        return self.hours if rule is None else rule.windows

    def gap_days(self, rules: Rules) -> int:
        """Days required between two visits: the venue's own ``min_gap_days`` or the rules'."""
        return rules.min_gap_days if self.min_gap_days is None else self.min_gap_days


@dataclass(frozen=True, slots=True)
class Truck:
    """A kinotruck with its driver's shift."""

    id: str
    name: str
    depot: Location
    screen: ScreenType
    shift: DayWindow = DayWindow(12 * 60, 24 * 60)
    max_shift_min: int = 12 * 60
    setup_min: int = 60
    teardown_min: int = 30
    has_ttk_pass: bool = False
    available_dates: frozenset[date] | None = None
    """``None``: every day of the season."""
    depot_name: str = "depot"
    day_shifts: tuple[DayShift, ...] = ()
    """Shifts on particular weekdays or dates, instead of ``shift`` (see ``shift_on``)."""

    def shift_on(self, day: date) -> DayWindow:
        """The shift on ``day``: a ``day_shifts`` rule naming the date, else one naming its
        weekday, else ``shift``."""
        rule = _day_rule(self.day_shifts, day)
        return self.shift if rule is None else rule.shift

    def max_shift_on(self, day: date) -> int:
        """The longest working day on ``day`` (the rule's own limit, else ``max_shift_min``)."""
        rule = _day_rule(self.day_shifts, day)
        if rule is None or rule.max_shift_min is None:
            return self.max_shift_min
        return rule.max_shift_min

    @property
    def shifts(self) -> tuple[DayWindow, ...]:
        """Every shift window the truck may have on some day (``shift`` first)."""
        return (self.shift, *(rule.shift for rule in self.day_shifts))


@dataclass(frozen=True, slots=True)
class Film:
    """A film that may be screened."""

    id: str
    title: str
    runtime_min: int
    rating: int
    licence_start: date | None = None
    licence_end: date | None = None
    certificate: str | None = None
    """Distribution certificate (прокатное удостоверение) number."""
    festival_exempt: bool = False
    """Explicit exemption from the certificate requirement (festival screening)."""
    max_screenings: int | None = None

    def licensed_on(self, day: date) -> bool:
        """True when the licence window covers ``day``."""
        if self.licence_start is not None and day < self.licence_start:
            return False
        return self.licence_end is None or day <= self.licence_end

    @property
    def may_be_shown(self) -> bool:
        """A public screening needs a certificate or an explicit exemption (126-FZ art. 5.1)."""
        return bool(self.certificate) or self.festival_exempt


@dataclass(frozen=True, slots=True)
class Rules:
    """Season rules; every field is a documented, configurable default."""

    max_visits: int = 2
    min_gap_days: int = 5
    max_screenings_per_stop: int = 2
    screening_gap_min: int = 30
    slot_min: int | None = None
    """Screening slot length reserved by the router; ``None`` derives it from the films."""
    silence_start_min: int = 23 * 60
    silence_end_min: int = 7 * 60
    ttk_ban_start_min: int = 6 * 60
    ttk_ban_end_min: int = 22 * 60
    late_rating: int = 16
    """Films rated this or higher start only at or after ``late_rating_after_min``."""
    late_rating_after_min: int = 20 * 60
    break_min: int = 45
    max_work_before_break_min: int = 270
    screening_is_driver_rest: bool = True
    """The show is run by the venue host; the parked driver rests during a screening."""
    repeat_visit_factor: float = 0.6
    second_screening_factor: float = 0.5
    travel_cost_per_hour: float = 30.0
    okrug_share_target: float = 0.5
    """Soft target: each okrug gets at least this fraction of an equal share of screenings."""
    okrug_bonus: float = 0.3
    window_days: int = 3
    """Days planned together in one routing model (rolling windows)."""
    timezone: str = "Europe/Moscow"
    drive_buffer_pct: float = 10.0
    """Slack: every drive is planned this much longer (per cent) than the travel times say."""
    arrival_margin_min: int = 5
    """Slack: a truck is planned ready (setup done) this long before a stop's first screening."""
    end_margin_min: int = 0
    """Slack: screenings are planned to end this long before the silence start and the
    venue's closing hour."""


@dataclass(frozen=True, slots=True)
class Problem:
    """Everything the planner needs for one season."""

    name: str
    days: tuple[date, ...]
    venues: tuple[Venue, ...]
    trucks: tuple[Truck, ...]
    films: tuple[Film, ...]
    rules: Rules = field(default_factory=Rules)

    def venue(self, venue_id: str) -> Venue:
        return _by_id(self.venues, venue_id)

    def truck(self, truck_id: str) -> Truck:
        return _by_id(self.trucks, truck_id)

    def film(self, film_id: str) -> Film:
        return _by_id(self.films, film_id)


_Item = TypeVar("_Item", Venue, Truck, Film)


def _by_id(items: tuple[_Item, ...], item_id: str) -> _Item:
    for item in items:
        if item.id == item_id:
            return item
    raise KeyError(item_id)


def venue_open_on(venue: Venue, day: date) -> bool:
    """True when the venue allows a visit on ``day``."""
    return venue.allowed_dates is None or day in venue.allowed_dates


def truck_available_on(truck: Truck, day: date) -> bool:
    """True when the truck works on ``day``."""
    return truck.available_dates is None or day in truck.available_dates


# --- the plan -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Screening:
    film_id: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Stop:
    """One visit: arrival, setup, screenings, teardown, departure."""

    venue_id: str
    arrival: datetime
    departure: datetime
    screenings: tuple[Screening, ...]


@dataclass(frozen=True, slots=True)
class Break:
    """A declared driver's break; one that starts during a drive pauses the drive."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Route:
    """One truck's day: depot, stops in order, depot."""

    truck_id: str
    day: date
    depot_departure: datetime
    depot_return: datetime
    stops: tuple[Stop, ...]
    breaks: tuple[Break, ...] = ()

    @property
    def shift_min(self) -> float:
        return (self.depot_return - self.depot_departure) / timedelta(minutes=1)


class UnservedReason(enum.StrEnum):
    """Which rule or resource kept a venue out of the plan."""

    NO_ALLOWED_DATE = "no_allowed_date"
    NO_TRUCK_ON_DATES = "no_truck_on_dates"
    NO_FILM = "no_film"
    NO_TIME_WINDOW = "no_time_window"
    OUTSIDE_SHIFT = "outside_shift"
    DRIVER_BREAKS = "driver_breaks"
    TRUCKS_BUSY = "trucks_busy"
    NOT_WORTH_TRAVEL = "not_worth_travel"
    """It could be served, but its value does not cover the cost of driving there and back."""
    NOT_PLANNED = "not_planned"
    """Planning was stopped before the windows in which the venue could have been visited."""


@dataclass(frozen=True, slots=True)
class PinnedStop:
    """A stop locked on its truck and day: kept exactly (venue, arrival, departure and every
    screening's film and times) while the rest of the truck's day is planned around it."""

    truck_id: str
    day: date
    stop: Stop


@dataclass(frozen=True, slots=True)
class Pins:
    """What a re-plan must keep: whole truck-days and single stops, exactly as given.

    A pinned route's truck-day gets no other visit; a truck-day with pinned stops keeps them
    and may get other visits in the gaps. Pinned visits count in the season rules (visits per
    venue, days between visits, films shown at a venue, film caps, okrug shares).
    """

    routes: tuple[Route, ...] = ()
    """Whole truck-days kept exactly (stops, times, breaks)."""
    stops: tuple[PinnedStop, ...] = ()
    """Single stops kept exactly on their truck-day."""


@dataclass(frozen=True, slots=True)
class Unserved:
    venue_id: str
    reason: UnservedReason
    message: str


@dataclass(frozen=True, slots=True)
class PlanStats:
    screenings: int = 0
    stops: int = 0
    served_venues: int = 0
    travel_min: float = 0.0
    value: float = 0.0
    solve_s: float = 0.0
    bound: float | None = None
    """A proven upper bound on the value of any valid plan (``None``: not proven in time)."""
    gap_pct: float | None = None
    """``(bound - value) / |bound|`` in per cent."""


@dataclass(frozen=True, slots=True)
class Plan:
    """A season plan: routes per truck and day, and why each unserved venue is left out."""

    routes: tuple[Route, ...]
    unserved: tuple[Unserved, ...]
    objective: float
    stats: PlanStats = PlanStats()

    @property
    def stops(self) -> tuple[tuple[Route, Stop], ...]:
        return tuple((route, stop) for route in self.routes for stop in route.stops)
