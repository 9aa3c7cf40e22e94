"""The independent plan validator: every rule re-checked from the raw inputs.

``verify(problem, plan, travel)`` recomputes every time from the problem and the travel
times (never from the plan's stats) and never raises on a bad plan: unknown ids and
impossible times become ``Violation`` values. Each violation carries a stable ``rule`` code
(one of ``RULES``) and a message that names the truck, venue, film and time involved.

Clock values ``*_min`` of route day D are minutes from the local midnight of D in the
season's timezone. Plan times are read in that timezone (a naive time is taken as local).
Time comparisons allow ``TOLERANCE`` (one second) in the plan's favour.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from itertools import chain, pairwise
from zoneinfo import ZoneInfo

from scheduler.domain import (
    WEEKDAY_NAMES,
    Break,
    Film,
    Location,
    Plan,
    Problem,
    Route,
    ScreenType,
    Stop,
    Truck,
    Venue,
    rating_label,
    truck_available_on,
    venue_open_on,
)
from scheduler.sun import civil_dusk, next_civil_dawn
from scheduler.travel import TravelTimes

__all__ = ["DAY_RULES", "RULES", "TOLERANCE", "Violation", "verify"]

RULES: tuple[str, ...] = (
    "unknown_id",
    "season_day",
    "truck_unavailable",
    "duplicate_route",
    "venue_date",
    "travel",
    "overlap",
    "programme",
    "shift",
    "venue_hours",
    "darkness",
    "silence",
    "truck_zone",
    "driver_break",
    "max_visits",
    "min_gap_days",
    "film_certificate",
    "film_licence",
    "film_rating",
    "late_rating",
    "film_repeat",
    "film_cap",
    "unserved",
)
"""Every rule code ``verify`` may report."""

DAY_RULES: frozenset[str] = frozenset(
    {
        "travel",
        "overlap",
        "programme",
        "shift",
        "venue_hours",
        "darkness",
        "silence",
        "truck_zone",
        "driver_break",
        "film_licence",
        "late_rating",
    }
)
"""The rules judged on one truck-day alone (a re-plan's fixed part keeps them; the season
rules across days are held before)."""

TOLERANCE = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule, with the ids it concerns."""

    rule: str
    message: str
    truck_id: str | None = None
    day: date | None = None
    venue_id: str | None = None
    film_id: str | None = None


# --- context --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Season:
    """The problem indexed by id, with the timezone and travel times."""

    problem: Problem
    travel: TravelTimes
    tz: ZoneInfo
    venues: dict[str, Venue]
    trucks: dict[str, Truck]
    films: dict[str, Film]

    @classmethod
    def of(cls, problem: Problem, travel: TravelTimes) -> _Season:
        return cls(
            problem=problem,
            travel=travel,
            tz=ZoneInfo(problem.rules.timezone),
            venues={v.id: v for v in problem.venues},
            trucks={t.id: t for t in problem.trucks},
            films={f.id: f for f in problem.films},
        )

    def at(self, day: date, minutes: float) -> datetime:
        """Local midnight of ``day`` plus ``minutes``."""
        midnight = datetime(day.year, day.month, day.day, tzinfo=self.tz)
        return midnight + timedelta(minutes=minutes)

    def venue_name(self, venue_id: str) -> str:
        venue = self.venues.get(venue_id)
        return venue.name if venue else f"'{venue_id}'"

    def film_title(self, film_id: str) -> str:
        film = self.films.get(film_id)
        return f"'{film.title}'" if film else f"'{film_id}'"


@dataclass(frozen=True, slots=True)
class _Place:
    """A point of a route: the depot or a stop (``location`` is ``None`` if unknown)."""

    name: str
    location: Location | None
    venue_id: str | None
    arrival: datetime
    departure: datetime


@dataclass(frozen=True, slots=True)
class _Leg:
    """One drive: planned departure and arrival, and the recomputed driving time."""

    origin: str
    destination: str
    depart: datetime
    arrive: datetime
    drive: timedelta
    venue_id: str | None
    """The destination venue; ``None`` for the depot."""
    segments: tuple[tuple[datetime, datetime], ...] = ()
    """When the truck moves: the drive, paused by any declared break that starts in it."""

    @property
    def ends(self) -> datetime:
        return self.segments[-1][1] if self.segments else self.depart + self.drive


@dataclass(frozen=True, slots=True)
class _Day:
    """A route whose truck is known, with its recomputed drives."""

    route: Route
    truck: Truck
    legs: tuple[_Leg, ...]

    def violation(self, rule: str, message: str, venue_id: str | None = None) -> Violation:
        prefix = f"{self.truck.name} on {self.route.day}: "
        return Violation(rule, prefix + message, self.truck.id, self.route.day, venue_id)

    def clock(self, moment: datetime) -> str:
        return _clock(moment, self.route.day)


@dataclass(frozen=True, slots=True)
class _Visit:
    """A stop at a known venue, with its route and (when known) its truck."""

    route: Route
    truck: Truck | None
    stop: Stop
    venue: Venue

    def violation(self, rule: str, message: str, film_id: str | None = None) -> Violation:
        prefix = f"{self.venue.name} on {self.route.day}: "
        return Violation(
            rule, prefix + message, self.route.truck_id, self.route.day, self.venue.id, film_id
        )

    def clock(self, moment: datetime) -> str:
        return _clock(moment, self.route.day)


def _clock(moment: datetime, day: date) -> str:
    """``HH:MM`` to the nearest minute, with the date when it is not ``day``."""
    moment = (moment + timedelta(seconds=30)).replace(second=0, microsecond=0)
    if moment.date() == day:
        return f"{moment:%H:%M}"
    if moment.date() == day + timedelta(days=1):
        return f"{moment:%H:%M} (+1 day)"
    return f"{moment:%Y-%m-%d %H:%M}"


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _min(span: timedelta) -> str:
    return f"{span / timedelta(minutes=1):.0f} min"


# --- the plan in the season's timezone ------------------------------------------------


def _localised(plan: Plan, tz: ZoneInfo) -> Plan:
    """The plan with every time in ``tz`` (naive times are taken as local)."""

    def local(moment: datetime) -> datetime:
        return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)

    def stop(s: Stop) -> Stop:
        screenings = tuple(replace(x, start=local(x.start), end=local(x.end)) for x in s.screenings)
        return replace(
            s, arrival=local(s.arrival), departure=local(s.departure), screenings=screenings
        )

    routes = tuple(
        replace(
            r,
            depot_departure=local(r.depot_departure),
            depot_return=local(r.depot_return),
            stops=tuple(stop(s) for s in r.stops),
            breaks=tuple(replace(b, start=local(b.start), end=local(b.end)) for b in r.breaks),
        )
        for r in plan.routes
    )
    return replace(plan, routes=routes)


def _legs(season: _Season, route: Route, truck: Truck) -> tuple[_Leg, ...]:
    """The drives of a route; legs touching an unknown venue are left out."""
    if not route.stops:
        return ()
    # One depot place serves both ends: a leg leaves it at its departure, returns at its arrival.
    depot = _Place(truck.depot_name, truck.depot, None, route.depot_return, route.depot_departure)
    places = [depot]
    for stop in route.stops:
        venue = season.venues.get(stop.venue_id)
        location = venue.location if venue else None
        name = season.venue_name(stop.venue_id)
        places.append(_Place(name, location, stop.venue_id, stop.arrival, stop.departure))
    places.append(depot)
    legs = []
    for a, b in pairwise(places):
        if a.location is not None and b.location is not None:
            drive = timedelta(
                minutes=season.travel.duration_min(a.location, b.location, a.departure)
            )
            segments = _segments(a.departure, drive, route.breaks)
            legs.append(_Leg(a.name, b.name, a.departure, b.arrival, drive, b.venue_id, segments))
    return tuple(legs)


def _segments(
    depart: datetime, drive: timedelta, breaks: Iterable[Break]
) -> tuple[tuple[datetime, datetime], ...]:
    """The moving parts of a drive: a declared break that starts during it pauses it."""
    segments, cursor, left = [], depart, drive
    for pause in sorted(breaks, key=lambda b: b.start):
        if cursor <= pause.start < cursor + left and pause.end > pause.start:
            segments.append((cursor, pause.start))
            left -= pause.start - cursor
            cursor = pause.end
    segments.append((cursor, cursor + left))
    return tuple(segments)


def _days(season: _Season, plan: Plan) -> Iterator[_Day]:
    for route in plan.routes:
        truck = season.trucks.get(route.truck_id)
        if truck is not None:
            yield _Day(route, truck, _legs(season, route, truck))


def _visits(season: _Season, plan: Plan) -> Iterator[_Visit]:
    for route, stop in plan.stops:
        venue = season.venues.get(stop.venue_id)
        if venue is not None:
            yield _Visit(route, season.trucks.get(route.truck_id), stop, venue)


# --- ids and days ---------------------------------------------------------------------


def _unknown_ids(season: _Season, plan: Plan) -> Iterator[Violation]:
    """Route trucks, stop venues, screening films and unserved venues not in the problem."""
    for route in plan.routes:
        where = f"route of truck '{route.truck_id}' on {route.day}"
        if route.truck_id not in season.trucks:
            message = f"{where}: no such truck in the problem"
            yield Violation("unknown_id", message, route.truck_id, route.day)
        for stop in route.stops:
            if stop.venue_id not in season.venues:
                message = f"{where}: unknown venue '{stop.venue_id}'"
                yield Violation("unknown_id", message, route.truck_id, route.day, stop.venue_id)
            for screening in stop.screenings:
                if screening.film_id not in season.films:
                    message = f"{where}: unknown film '{screening.film_id}'"
                    yield Violation(
                        "unknown_id", message, route.truck_id, route.day, film_id=screening.film_id
                    )
    for entry in plan.unserved:
        if entry.venue_id not in season.venues:
            message = f"unserved list: unknown venue '{entry.venue_id}'"
            yield Violation("unknown_id", message, venue_id=entry.venue_id)


def _route_days(season: _Season, plan: Plan) -> Iterator[Violation]:
    """Season days, truck availability and one route per truck and day."""
    seen: set[tuple[str, date]] = set()
    for route in plan.routes:
        truck = season.trucks.get(route.truck_id)
        name = truck.name if truck else route.truck_id
        ids = (route.truck_id, route.day)
        if route.day not in season.problem.days:
            yield Violation("season_day", f"{name}: {route.day} is not a season day", *ids)
        if truck is not None and not truck_available_on(truck, route.day):
            yield Violation("truck_unavailable", f"{name} does not work on {route.day}", *ids)
        if ids in seen:
            yield Violation("duplicate_route", f"{name} has two routes on {route.day}", *ids)
        seen.add(ids)


# --- per route ------------------------------------------------------------------------


def _travel(season: _Season, day: _Day) -> Iterator[Violation]:
    """Every drive fits between departure and arrival; nothing ends before it starts."""
    route = day.route
    if route.depot_departure > route.depot_return + TOLERANCE:
        message = (
            f"returns to the depot at {day.clock(route.depot_return)}, "
            f"before leaving it at {day.clock(route.depot_departure)}"
        )
        yield day.violation("travel", message)
    for stop in route.stops:
        if stop.arrival > stop.departure + TOLERANCE:
            message = (
                f"leaves {season.venue_name(stop.venue_id)} at {day.clock(stop.departure)}, "
                f"before arriving at {day.clock(stop.arrival)}"
            )
            yield day.violation("travel", message, stop.venue_id)
    for leg in day.legs:
        earliest = leg.ends
        if leg.arrive < earliest - TOLERANCE:
            message = (
                f"reaches {leg.destination} at {day.clock(leg.arrive)}, but the "
                f"{_min(leg.drive)} drive from {leg.origin} leaving {day.clock(leg.depart)} "
                f"ends {day.clock(earliest)}"
            )
            yield day.violation("travel", message, leg.venue_id)


def _programme(season: _Season, day: _Day) -> Iterator[Violation]:
    """Each stop's programme, and stops that overlap the one before."""
    previous: Stop | None = None
    for stop in day.route.stops:
        if previous is not None and stop.arrival < previous.departure - TOLERANCE:
            message = (
                f"arrives at {season.venue_name(stop.venue_id)} at {day.clock(stop.arrival)}, "
                f"before leaving {season.venue_name(previous.venue_id)} "
                f"at {day.clock(previous.departure)}"
            )
            yield day.violation("overlap", message, stop.venue_id)
        yield from _stop_programme(season, day, stop)
        previous = stop


def _stop_programme(season: _Season, day: _Day, stop: Stop) -> Iterator[Violation]:
    """Screening count, setup and teardown of one stop."""
    rules, truck, shows = season.problem.rules, day.truck, stop.screenings
    at = f"at {season.venue_name(stop.venue_id)}: "
    if not 1 <= len(shows) <= rules.max_screenings_per_stop:
        message = f"{len(shows)} screenings, allowed 1 to {rules.max_screenings_per_stop}"
        yield day.violation("programme", at + message, stop.venue_id)
    if not shows:
        return
    ready = stop.arrival + timedelta(minutes=truck.setup_min)
    if shows[0].start < ready - TOLERANCE:
        message = (
            f"first screening {day.clock(shows[0].start)} before setup ends {day.clock(ready)}"
        )
        yield day.violation("programme", at + message, stop.venue_id)
    packed = shows[-1].end + timedelta(minutes=truck.teardown_min)
    if stop.departure < packed - TOLERANCE:
        message = f"leaves {day.clock(stop.departure)} before teardown ends {day.clock(packed)}"
        yield day.violation("programme", at + message, stop.venue_id)
    yield from _screening_times(season, day, stop)


def _screening_times(season: _Season, day: _Day, stop: Stop) -> Iterator[Violation]:
    """Each screening lasts its film's runtime; screenings keep the gap between them."""
    at = f"at {season.venue_name(stop.venue_id)}: "
    for show in stop.screenings:
        film = season.films.get(show.film_id)
        end = show.start + timedelta(minutes=film.runtime_min) if film else show.end
        if film is not None and abs(show.end - end) > TOLERANCE:
            message = (
                f"'{film.title}' ({film.runtime_min} min) from {day.clock(show.start)} "
                f"should end {day.clock(end)}, not {day.clock(show.end)}"
            )
            yield day.violation("programme", at + message, stop.venue_id)
    gap = timedelta(minutes=season.problem.rules.screening_gap_min)
    for first, second in pairwise(stop.screenings):
        if second.start < first.end + gap - TOLERANCE:
            message = (
                f"screening at {day.clock(second.start)} starts less than {_min(gap)} "
                f"after the one ending {day.clock(first.end)}"
            )
            yield day.violation("programme", at + message, stop.venue_id)


def _shift(season: _Season, day: _Day) -> Iterator[Violation]:
    """The route lies inside the driver's shift window and its maximum length."""
    route, truck = day.route, day.truck
    shift, longest = truck.shift_on(route.day), truck.max_shift_on(route.day)
    opens = season.at(route.day, shift.start_min)
    closes = season.at(route.day, shift.end_min)
    window = f"the shift {_hhmm(shift.start_min)}-{_hhmm(shift.end_min)}"
    if truck.day_shifts and (shift != truck.shift or longest != truck.max_shift_min):
        window += " of that day"
    if route.depot_departure < opens - TOLERANCE:
        yield day.violation(
            "shift", f"leaves the depot at {day.clock(route.depot_departure)}, before {window}"
        )
    if route.depot_return > closes + TOLERANCE:
        yield day.violation(
            "shift", f"returns to the depot at {day.clock(route.depot_return)}, after {window}"
        )
    length = route.depot_return - route.depot_departure
    if length > timedelta(minutes=longest) + TOLERANCE:
        message = f"shift of {_min(length)} is longer than {longest} min"
        yield day.violation("shift", message)


def _driver_break(season: _Season, day: _Day) -> Iterator[Violation]:
    """No stretch between breaks (rest of at least ``break_min``) is too long."""
    rules, route = season.problem.rules, day.route
    start, end = route.depot_departure, route.depot_return
    breaks = [
        rest
        for rest in _rests(start, end, _work(season, day))
        if rest[1] - rest[0] >= timedelta(minutes=rules.break_min) - TOLERANCE
    ]
    limit = timedelta(minutes=rules.max_work_before_break_min)
    marks = [start, *chain.from_iterable(breaks), end]
    for first, last in zip(marks[::2], marks[1::2], strict=True):
        if last - first > limit + TOLERANCE:
            message = (
                f"driver works {day.clock(first)}-{day.clock(last)} ({_min(last - first)}) "
                f"without a {rules.break_min} min break; at most "
                f"{rules.max_work_before_break_min} min"
            )
            yield day.violation("driver_break", message)


def _declared_breaks(season: _Season, day: _Day) -> Iterator[Violation]:
    """Declared breaks lie inside the route and never during setup, a show or teardown."""
    route = day.route
    on_site = [(stop.arrival, stop.departure) for stop in route.stops]
    for pause in route.breaks:
        span = f"break {day.clock(pause.start)}-{day.clock(pause.end)}"
        if pause.end <= pause.start or not (
            route.depot_departure - TOLERANCE <= pause.start
            and pause.end <= route.depot_return + TOLERANCE
        ):
            yield day.violation("driver_break", f"{span} is empty or outside the route")
        elif any(a < pause.end - TOLERANCE and pause.start < b - TOLERANCE for a, b in on_site):
            yield day.violation("driver_break", f"{span} overlaps work at a stop")


def _work(season: _Season, day: _Day) -> list[tuple[datetime, datetime]]:
    """Driving, setup, teardown and (unless they count as rest) screenings."""
    rules, truck = season.problem.rules, day.truck
    work = [segment for leg in day.legs for segment in leg.segments]
    for stop in day.route.stops:
        work.append((stop.arrival, stop.arrival + timedelta(minutes=truck.setup_min)))
        if stop.screenings:
            packed = stop.screenings[-1].end
            work.append((packed, packed + timedelta(minutes=truck.teardown_min)))
        if not rules.screening_is_driver_rest:
            work.extend((show.start, show.end) for show in stop.screenings)
    return work


def _rests(
    start: datetime, end: datetime, work: Iterable[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """The maximal intervals of ``[start, end]`` not covered by ``work``."""
    rests, cursor = [], start
    for busy_from, busy_to in sorted(w for w in work if w[1] > w[0]):
        busy_from, busy_to = max(busy_from, start), min(busy_to, end)
        if busy_from > cursor:
            rests.append((cursor, busy_from))
        cursor = max(cursor, busy_to)
    if end > cursor:
        rests.append((cursor, end))
    return rests


# --- per stop -------------------------------------------------------------------------


def _venue_date(season: _Season, visit: _Visit) -> Iterator[Violation]:
    """The venue allows a visit on the route's day."""
    if not venue_open_on(visit.venue, visit.route.day):
        yield visit.violation("venue_date", "the venue does not allow a visit on this date")


def _venue_hours(season: _Season, visit: _Visit) -> Iterator[Violation]:
    """Every screening lies inside one of the venue's opening windows of that day."""
    day, hours = visit.route.day, visit.venue.hours_on(visit.route.day)
    allowed = "the opening hours " + (
        ", ".join(f"{_hhmm(w.start_min)}-{_hhmm(w.end_min)}" for w in hours) or "(closed)"
    )
    if hours != visit.venue.hours:
        allowed += f" of {WEEKDAY_NAMES[day.weekday()]} {day} (day_hours)"
    for show in visit.stop.screenings:
        if not any(
            show.start >= season.at(day, w.start_min) - TOLERANCE
            and show.end <= season.at(day, w.end_min) + TOLERANCE
            for w in hours
        ):
            message = (
                f"{season.film_title(show.film_id)} {visit.clock(show.start)}-"
                f"{visit.clock(show.end)} is outside {allowed}"
            )
            yield visit.violation("venue_hours", message, show.film_id)


def _darkness(season: _Season, visit: _Visit) -> Iterator[Violation]:
    """A projector screening starts at or after civil dusk and ends by the next morning's
    civil dawn."""
    if visit.truck is None or visit.truck.screen != ScreenType.PROJECTOR:
        return
    timezone = season.problem.rules.timezone
    dusk = civil_dusk(visit.route.day, visit.venue.location, timezone)
    dawn = next_civil_dawn(visit.route.day, visit.venue.location, timezone)
    for show in visit.stop.screenings:
        film = season.film_title(show.film_id)
        if dusk is None or show.start < dusk - TOLERANCE:
            when = f"civil dusk {visit.clock(dusk)}" if dusk else "no civil dusk that day"
            message = (
                f"projector screening of {film} at {visit.clock(show.start)} before darkness "
                f"({when})"
            )
            yield visit.violation("darkness", message, show.film_id)
        elif dawn is not None and show.end > dawn + TOLERANCE:
            message = (
                f"projector screening of {film} {visit.clock(show.start)}-"
                f"{visit.clock(show.end)} ends after darkness (civil dawn {visit.clock(dawn)})"
            )
            yield visit.violation("darkness", message, show.film_id)


def _silence(season: _Season, visit: _Visit) -> Iterator[Violation]:
    """At a residential venue screenings stay inside the hours the silence law allows."""
    if not visit.venue.residential:
        return
    rules, day = season.problem.rules, visit.route.day
    opens, closes = season.at(day, rules.silence_end_min), season.at(day, rules.silence_start_min)
    for show in visit.stop.screenings:
        if show.start < opens - TOLERANCE or show.end > closes + TOLERANCE:
            message = (
                f"{season.film_title(show.film_id)} {visit.clock(show.start)}-"
                f"{visit.clock(show.end)} at a residential venue; allowed "
                f"{_hhmm(rules.silence_end_min)}-{_hhmm(rules.silence_start_min)}"
            )
            yield visit.violation("silence", message, show.film_id)


def _truck_zone(season: _Season, visit: _Visit) -> Iterator[Violation]:
    """A truck without a pass is not inside the Third Ring zone during the ban."""
    truck, rules, stop = visit.truck, season.problem.rules, visit.stop
    if truck is None or truck.has_ttk_pass or not visit.venue.inside_ttk:
        return
    for day in (visit.route.day, visit.route.day + timedelta(days=1)):
        ban_from = season.at(day, rules.ttk_ban_start_min)
        ban_to = season.at(day, rules.ttk_ban_end_min)
        if stop.arrival < ban_to - TOLERANCE and stop.departure > ban_from + TOLERANCE:
            message = (
                f"{truck.name} has no Third Ring pass but stands there "
                f"{visit.clock(stop.arrival)}-{visit.clock(stop.departure)} during the ban "
                f"{_hhmm(rules.ttk_ban_start_min)}-{_hhmm(rules.ttk_ban_end_min)} of {day}"
            )
            yield visit.violation("truck_zone", message)


def _films(season: _Season, visit: _Visit) -> Iterator[Violation]:
    """Certificate, licence, audience rating and late-rating rules of each screening."""
    rules, day, venue = season.problem.rules, visit.route.day, visit.venue
    late_from = season.at(day, rules.late_rating_after_min)
    for show in visit.stop.screenings:
        film = season.films.get(show.film_id)
        if film is None:
            continue
        name = f"'{film.title}' at {visit.clock(show.start)}"
        if not film.may_be_shown:
            yield visit.violation("film_certificate", f"{name} has no certificate", film.id)
        if not film.licensed_on(day):
            yield visit.violation("film_licence", f"{name} is not licensed on {day}", film.id)
        if film.rating > venue.max_rating:
            message = f"{name} is rated {rating_label(film.rating)}, venue allows up to " + (
                rating_label(venue.max_rating)
            )
            yield visit.violation("film_rating", message, film.id)
        if film.id in venue.excluded_film_ids:
            yield visit.violation("film_rating", f"{name} is excluded by the venue", film.id)
        if film.rating >= rules.late_rating and show.start < late_from - TOLERANCE:
            message = (
                f"{name} is rated {rating_label(film.rating)} and may start only from "
                f"{_hhmm(rules.late_rating_after_min)}"
            )
            yield visit.violation("late_rating", message, film.id)


# --- over the season ------------------------------------------------------------------


def _season_visits(season: _Season, plan: Plan) -> Iterator[Violation]:
    """Visits per venue and the days between visits."""
    rules = season.problem.rules
    dates: dict[str, list[date]] = defaultdict(list)
    for visit in _visits(season, plan):
        dates[visit.venue.id].append(visit.route.day)
    for venue_id, days in dates.items():
        venue = season.venues[venue_id]
        limit = venue.max_visits if venue.max_visits is not None else rules.max_visits
        if len(days) > limit:
            message = f"{venue.name}: {len(days)} visits, at most {limit}"
            yield Violation("max_visits", message, venue_id=venue_id)
        gap_days = venue.gap_days(rules)
        if gap_days < 1:
            continue
        for first, second in pairwise(sorted(days)):
            if (second - first).days < gap_days:
                whose = "" if venue.min_gap_days is None else " (the venue's min_gap_days)"
                message = (
                    f"{venue.name}: visits on {first} and {second}, "
                    f"at least {gap_days} days apart required{whose}"
                )
                yield Violation("min_gap_days", message, day=second, venue_id=venue_id)


def _film_totals(season: _Season, plan: Plan) -> Iterator[Violation]:
    """A film once per venue per season, and at most ``max_screenings`` in total."""
    per_venue: Counter[tuple[str, str]] = Counter()
    per_film: Counter[str] = Counter()
    for visit in _visits(season, plan):
        for show in visit.stop.screenings:
            per_venue[visit.venue.id, show.film_id] += 1
            per_film[show.film_id] += 1
    for (venue_id, film_id), count in per_venue.items():
        if count > 1 and film_id in season.films:
            message = (
                f"{season.film_title(film_id)} shown {count} times at {season.venue_name(venue_id)}"
            )
            yield Violation("film_repeat", message, venue_id=venue_id, film_id=film_id)
    for film_id, count in per_film.items():
        film = season.films.get(film_id)
        if film is not None and film.max_screenings is not None and count > film.max_screenings:
            message = f"'{film.title}' screened {count} times, at most {film.max_screenings}"
            yield Violation("film_cap", message, film_id=film_id)


def _unserved(season: _Season, plan: Plan) -> Iterator[Violation]:
    """Every venue without a stop is listed once, with a reason; served ones are not."""
    served = {stop.venue_id for _, stop in plan.stops}
    listed = Counter(entry.venue_id for entry in plan.unserved)
    for venue in season.problem.venues:
        count = listed[venue.id]
        if venue.id in served and count:
            message = f"{venue.name} has a stop but is listed as unserved"
        elif venue.id not in served and not count:
            message = f"{venue.name} has no stop and no reason in the unserved list"
        elif count > 1:
            message = f"{venue.name} is listed {count} times as unserved"
        else:
            continue
        yield Violation("unserved", message, venue_id=venue.id)
    for entry in plan.unserved:
        if entry.venue_id in season.venues and not entry.message.strip():
            message = f"{season.venue_name(entry.venue_id)} is unserved without a message"
            yield Violation("unserved", message, venue_id=entry.venue_id)


# --- all together ---------------------------------------------------------------------

_ROUTE_CHECKS = (_travel, _programme, _shift, _driver_break, _declared_breaks)
_VISIT_CHECKS = (_venue_date, _venue_hours, _darkness, _silence, _truck_zone, _films)


def verify(problem: Problem, plan: Plan, travel: TravelTimes) -> list[Violation]:
    """Every rule the plan breaks, recomputed from the problem and ``travel``; [] if none."""
    season = _Season.of(problem, travel)
    plan = _localised(plan, season.tz)
    found = chain(
        _unknown_ids(season, plan),
        _route_days(season, plan),
        *(check(season, day) for day in _days(season, plan) for check in _ROUTE_CHECKS),
        *(check(season, visit) for visit in _visits(season, plan) for check in _VISIT_CHECKS),
        _season_visits(season, plan),
        _film_totals(season, plan),
        _unserved(season, plan),
    )
    return list(found)
