"""The day simulator: replay a plan against a street that disagrees with it, and count what
starts on time, late, or not at all.

``simulate(problem, plan, travel, ...)`` replays every day of the plan truck by truck.
Each drive takes the travel provider's time for the leg (at its actual departure) times a
random factor: ``U(1 - noise, 1 + noise)`` (``skew="uniform"``), or, with ``skew="rush"``,
``U(1 - noise/2, 1 + noise)`` for drives starting in the rush hours 07-10 and 17-20 and
``U(1 - noise, 1 + noise/2)`` at other hours. A leg's draw depends only on the seed, the
run, the truck, the destination and the day: events and re-plans never re-roll the street.
Declared breaks in a drive are taken in full.
Setup and teardown take their planned minutes. A truck leaves the depot and each stop no
earlier than planned. A screening starts at ``max(planned start, truck ready)`` (the next
one also after the previous end plus the screening gap); one that would end after a hard
limit (the silence start at a residential venue, the venue's closing hour, dawn for a
projector) is lost, and so is one whose truck broke down or whose venue was cancelled
before it started.

With ``events=K``, K random disruptions a day (``scheduler.disruptions``: a venue cancelled,
a truck broken down, a shift cut, a venue unreachable, a truck delayed) arrive at random
times. On each event, and whenever a truck is more than ``REPLAN_LATE_MIN`` late to a stop
(at its planned arrival plus that), the day is re-planned by ``replan(problem, plan,
Situation(day, now, disruptions))`` (``default_replanner(travel)`` is the engine's
``solver.replanning.replan``; ``None``, the default, never re-plans) and the trucks carry on
with the new plan from where they are.

Counting is against the plan given: a planned screening is the same film at the same venue
on the same day. It is *on time* when it started within ``ON_TIME_MIN`` of its planned
start, *late* when later, *early* when a re-plan moved it earlier; *lost* when it never
started (dropped by a re-plan included). Screenings a re-plan adds are counted as ``added``,
not as planned. A screening's audience follows ``scoring.visit_value``: the venue's seats
for a stop's first screening, times ``second_screening_factor`` for each further one.

Pure: no I/O and no global state; runs are reproducible from ``seed`` (``random.Random``),
apart from what a time-limited re-plan does.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from scheduler.disruptions import (
    Disruption,
    ShiftCut,
    Situation,
    TruckBrokenDown,
    TruckDelayed,
    VenueCancelled,
    VenueUnreachable,
)
from scheduler.domain import Location, Plan, Problem, Route, ScreenType, Stop
from scheduler.errors import InvalidProblem, SchedulerError
from scheduler.solver.replanning import replan as engine_replan
from scheduler.sun import next_civil_dawn
from scheduler.travel import TravelTimes

__all__ = [
    "EVENT_KINDS",
    "ON_TIME_MIN",
    "REPLAN_LATE_MIN",
    "Replanned",
    "Replanner",
    "SimulationReport",
    "Skew",
    "default_replanner",
    "simulate",
]

log = logging.getLogger(__name__)

ON_TIME_MIN = 5.0
"""A screening that starts at most this many minutes after its planned start is on time."""
REPLAN_LATE_MIN = 15.0
"""A truck this many minutes late to a stop triggers a re-plan of the day."""
MAX_REPLANS_PER_DAY = 40
"""A guard: re-plans of one day in one run at most."""
DELAY_MIN = (10, 60)
"""A ``delay`` event holds its truck up this many minutes (uniform, inclusive)."""
EVENT_KINDS: tuple[str, ...] = ("cancellation", "breakdown", "shift_cut", "unreachable", "delay")
RUSH_HOURS = frozenset({7, 8, 9, 17, 18, 19})
"""Drives starting in these hours are longer under ``skew="rush"`` (07-10 and 17-20)."""

Skew = Literal["uniform", "rush"]


class Replanned(Protocol):
    """What a re-plan returns (``scheduler.solver.replanning.Replan`` has these and more)."""

    @property
    def problem(self) -> Problem: ...

    @property
    def plan(self) -> Plan: ...


Replanner = Callable[[Problem, Plan, Situation], Replanned]
"""``replan(problem, plan, situation)``: the season's problem and plan after the situation."""


@dataclass(frozen=True, slots=True)
class SimulationReport:
    """What happened to the planned screenings over every day of every run."""

    runs: int
    days: int
    planned: int
    on_time: int
    late: int
    late_mean_min: float
    late_max_min: float
    early: int
    lost: int
    audience_planned: float
    audience_lost: float
    added: int
    audience_added: float
    """The audience of the screenings re-plans added (valued like planned ones)."""
    events: int
    replans: int
    replan_mean_s: float
    replan_max_s: float
    replan_failures: int

    @property
    def on_time_pct(self) -> float:
        """The share of planned screenings that started on time, in per cent."""
        return 100.0 * self.on_time / self.planned if self.planned else 100.0


def default_replanner(travel: TravelTimes) -> Replanner:
    """The engine's re-plan (``scheduler.solver.replanning.replan``) with ``travel``."""

    def engine(problem: Problem, plan: Plan, situation: Situation) -> Replanned:
        return engine_replan(problem, plan, situation, travel)

    return engine


def simulate(
    problem: Problem,
    plan: Plan,
    travel: TravelTimes,
    *,
    noise: float = 0.3,
    events: int = 0,
    seed: int = 0,
    runs: int = 1,
    skew: Skew = "uniform",
    replan: Replanner | None = None,
) -> SimulationReport:
    """Replay ``plan`` ``runs`` times (see the module docstring) and count the outcomes of
    its screenings. ``replan=None`` never re-plans (events still happen on the street)."""
    _check(problem, plan, noise, events, runs, skew)
    tally = _Tally()
    for run in range(runs):
        street = _Street(f"{seed}:{run}", noise, skew)
        _Run(problem, plan, travel, street, events, replan, tally).play()
    return tally.report(runs, len({route.day for route in plan.routes}))


def _check(problem: Problem, plan: Plan, noise: float, events: int, runs: int, skew: str) -> None:
    found = []
    if not 0 <= noise <= 0.9:
        found.append(("noise", "must be between 0 and 0.9"))
    if events < 0:
        found.append(("events", "must be 0 or more"))
    if runs < 1:
        found.append(("runs", "must be 1 or more"))
    if skew not in ("uniform", "rush"):
        found.append(("skew", "must be 'uniform' or 'rush'"))
    venues = {v.id for v in problem.venues}
    trucks = {t.id for t in problem.trucks}
    films = {f.id for f in problem.films}
    for r, route in enumerate(plan.routes):
        if route.truck_id not in trucks:
            found.append((f"plan.routes[{r}].truck_id", f"no truck '{route.truck_id}'"))
        if route.day not in problem.days:
            found.append((f"plan.routes[{r}].day", f"{route.day} is not a day of the season"))
        for s, stop in enumerate(route.stops):
            if stop.venue_id not in venues:
                where = f"plan.routes[{r}].stops[{s}].venue_id"
                found.append((where, f"no venue '{stop.venue_id}' in the scenario"))
            for k, show in enumerate(stop.screenings):
                if show.film_id not in films:
                    where = f"plan.routes[{r}].stops[{s}].screenings[{k}].film_id"
                    found.append((where, f"no film '{show.film_id}' in the scenario"))
    if found:
        raise InvalidProblem(found[:20])


# --- the street -----------------------------------------------------------------------


class _Street:
    """The random part of a run: each leg's travel factor (one draw per truck, destination
    and day) and the events."""

    def __init__(self, seed: str, noise: float, skew: Skew) -> None:
        self.seed = seed
        self.rng = random.Random(f"{seed}:events")
        """Draws the events (apart from the legs, so events never change the travel)."""
        self.noise = noise
        self.skew = skew

    def factor(self, leg: tuple[str, str, date], depart: datetime) -> float:
        """The factor of the travel time on ``leg`` (truck, destination, day): a draw of
        its own, whatever happened before."""
        truck_id, venue_id, day = leg
        u = random.Random(f"{self.seed}:{truck_id}:{venue_id}:{day.isoformat()}").random()
        n = self.noise
        if self.skew == "uniform":
            return 1 - n + 2 * n * u
        if depart.hour in RUSH_HOURS:
            return 1 - n / 2 + 1.5 * n * u
        return 1 - n + 1.5 * n * u


# --- one truck's day, as it happens ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Show:
    venue_id: str
    film_id: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class _Visit:
    """A stop as it happens: the drive there, the arrival, the shows, the departure."""

    venue_id: str
    planned_arrival: datetime
    leave: datetime
    arrival: datetime
    departure: datetime
    shows: tuple[_Show, ...]


@dataclass(frozen=True, slots=True)
class _Resume:
    """Where a truck carries on from after a re-plan: the stop it is at or driving to
    (with its actual arrival and the films already started there), else the place it is
    free at."""

    place: Location
    free_at: datetime
    venue_id: str | None = None
    arrival: datetime | None = None
    started: frozenset[str] = frozenset()
    busy_until: datetime | None = None
    """The end of the last show already started at the stop."""
    visited: frozenset[str] = frozenset()


@dataclass
class _Hold:
    """What the street does to the trucks beyond travel noise: delays, breakdowns,
    cancellations (each from a moment on)."""

    delays: dict[str, list[tuple[datetime, float]]] = field(default_factory=dict)
    broken: dict[str, datetime] = field(default_factory=dict)
    cancelled: dict[str, datetime] = field(default_factory=dict)
    unreachable: set[tuple[str, str]] = field(default_factory=set)
    """(truck, venue): the truck cannot get there (it skips the stop)."""
    home_by: dict[str, datetime] = field(default_factory=dict)
    """A cut shift: the truck must be back at its depot by then."""

    def delayed(self, truck_id: str, start: datetime, end: datetime) -> datetime:
        """``end`` pushed by every delay of the truck that arrives in ``[start, end)``."""
        extra = sum(m for at, m in self.delays.get(truck_id, ()) if start <= at < end)
        return end + timedelta(minutes=extra)

    def stops_show(self, truck_id: str, venue_id: str, start: datetime) -> bool:
        """True when a show at ``start`` cannot happen: truck broken, venue cancelled."""
        broken = self.broken.get(truck_id)
        cancelled = self.cancelled.get(venue_id)
        return (broken is not None and broken <= start) or (
            cancelled is not None and cancelled <= start
        )


class _Day:
    """The problem's facts one day needs: places, runtimes, and each screening's limit."""

    def __init__(self, problem: Problem, day: date) -> None:
        self.problem = problem
        self.day = day
        self.venues = {v.id: v for v in problem.venues}
        self.trucks = {t.id: t for t in problem.trucks}
        self.runtime = {f.id: f.runtime_min for f in problem.films}
        self.midnight = datetime(
            day.year, day.month, day.day, tzinfo=ZoneInfo(problem.rules.timezone)
        )

    def limit(self, truck_id: str, venue_id: str, planned_start: datetime) -> datetime | None:
        """The latest end of a screening planned at ``planned_start``: the venue window it
        is in, the silence start (residential), dawn (projector)."""
        venue = self.venues.get(venue_id)
        if venue is None:
            return None
        at = (planned_start - self.midnight) / timedelta(minutes=1)
        windows = venue.hours_on(self.day) or venue.hours
        ends = [w.end_min for w in windows if w.start_min <= at + 1e-6 <= w.end_min] or [
            max((w.end_min for w in windows), default=48 * 60)
        ]
        limits = [self.midnight + timedelta(minutes=min(ends))]
        if venue.residential:
            limits.append(self.midnight + timedelta(minutes=self.problem.rules.silence_start_min))
        truck = self.trucks.get(truck_id)
        if truck is not None and truck.screen is ScreenType.PROJECTOR:
            dawn = next_civil_dawn(self.day, venue.location, self.problem.rules.timezone)
            if dawn is not None:
                limits.append(dawn)
        return min(limits)


def _execute(
    facts: _Day,
    travel: TravelTimes,
    street: _Street,
    hold: _Hold,
    route: Route,
    resume: _Resume | None,
) -> list[_Visit]:
    """The truck's day from ``resume`` (or the depot) along ``route``, as it happens."""
    truck = facts.trucks[route.truck_id]
    if resume is None:
        resume = _Resume(truck.depot, route.depot_departure)
    place, free_at = resume.place, resume.free_at
    visits: list[_Visit] = []
    planned_leave = route.depot_departure
    broken = hold.broken.get(truck.id)
    for stop in route.stops:
        if stop.venue_id in resume.visited:
            planned_leave = stop.departure
            continue
        venue = facts.venues.get(stop.venue_id)
        if venue is None or (truck.id, stop.venue_id) in hold.unreachable:
            continue
        current = stop.venue_id == resume.venue_id and resume.arrival is not None
        if current and resume.arrival is not None:
            leave, arrival = resume.arrival, resume.arrival
        else:
            leave = max(free_at, planned_leave)
            if broken is not None and broken <= leave:
                break
            drive = travel.duration_min(place, venue.location, leave)
            drive *= street.factor((truck.id, stop.venue_id, route.day), leave)
            pauses = sum(
                (b.end - b.start for b in route.breaks if planned_leave <= b.start < stop.arrival),
                timedelta(),
            )
            arrival = hold.delayed(truck.id, leave, leave + timedelta(minutes=drive) + pauses)
        if broken is not None and broken <= arrival:
            visits.append(_Visit(stop.venue_id, stop.arrival, leave, arrival, arrival, ()))
            break
        ready = hold.delayed(truck.id, arrival, arrival + timedelta(minutes=truck.setup_min))
        home_by = hold.home_by.get(truck.id)
        if home_by is not None:  # the last show must leave time to pack up and drive home
            back = truck.teardown_min + travel.duration_min(venue.location, truck.depot, ready)
            home_by -= timedelta(minutes=back)
        shows, last_end = _shows(
            facts,
            hold,
            truck.id,
            stop,
            ready,
            started=resume.started if current else frozenset(),
            busy_until=resume.busy_until if current else None,
            end_by=home_by,
        )
        if home_by is not None and not shows and not (current and resume.started):
            break  # nothing fits before the cut shift ends: the truck goes home
        departure = arrival
        if last_end is not None:
            packed = last_end + timedelta(minutes=truck.teardown_min)
            departure = hold.delayed(truck.id, last_end, max(stop.departure, packed))
        visits.append(_Visit(stop.venue_id, stop.arrival, leave, arrival, departure, tuple(shows)))
        place, free_at, planned_leave = venue.location, departure, stop.departure
    return visits


def _shows(
    facts: _Day,
    hold: _Hold,
    truck_id: str,
    stop: Stop,
    ready: datetime,
    *,
    started: frozenset[str],
    busy_until: datetime | None,
    end_by: datetime | None = None,
) -> tuple[list[_Show], datetime | None]:
    """The stop's screenings not ``started`` yet as they happen from ``ready`` (and a gap
    after ``busy_until``) on, each at its planned start or later, up to the first that would
    pass its limit (or ``end_by``) or is stopped; and the end of the last screening held
    there."""
    gap = timedelta(minutes=facts.problem.rules.screening_gap_min)
    shows: list[_Show] = []
    cursor, last_end = ready, busy_until
    if last_end is not None:
        cursor = max(cursor, last_end + gap)
    for show in stop.screenings:
        if show.film_id in started:
            continue
        start = max(show.start, cursor)
        end = start + timedelta(minutes=facts.runtime.get(show.film_id, 0))
        limit = facts.limit(truck_id, stop.venue_id, show.start)
        if end_by is not None:
            limit = end_by if limit is None else min(limit, end_by)
        if (limit is not None and end > limit + timedelta(seconds=1)) or hold.stops_show(
            truck_id, stop.venue_id, start
        ):
            break
        shows.append(_Show(stop.venue_id, show.film_id, start, end))
        cursor, last_end = end + gap, end
    return shows, last_end


# --- counting -------------------------------------------------------------------------


def _mean(values: Sequence[float], digits: int) -> float:
    return round(sum(values) / len(values), digits) if values else 0.0


@dataclass
class _Tally:
    planned: int = 0
    on_time: int = 0
    late_min: list[float] = field(default_factory=list)
    early: int = 0
    lost: int = 0
    audience_planned: float = 0.0
    audience_lost: float = 0.0
    added: int = 0
    audience_added: float = 0.0
    events: int = 0
    replan_s: list[float] = field(default_factory=list)
    replan_failures: int = 0

    def count(
        self,
        planned: dict[tuple[str, str], tuple[datetime, float]],
        shows: list[_Show],
        audience: Callable[[str, int], float],
    ) -> None:
        """Add one day: ``planned`` (venue, film) -> (start, audience), ``shows`` as they
        happened, ``audience(venue, k)`` of a venue's k-th (0-based) show of the day."""
        started = {(s.venue_id, s.film_id): s.start for s in shows}
        added = set(started) - set(planned)
        self.added += len(added)
        for venue_id, _ in added:
            before = sum(1 for v, f in started if v == venue_id and (v, f) not in added)
            self.audience_added += audience(venue_id, before)
        for key, (start, seats) in planned.items():
            self.planned += 1
            self.audience_planned += seats
            actual = started.get(key)
            if actual is None:
                self.lost += 1
                self.audience_lost += seats
                continue
            late = (actual - start) / timedelta(minutes=1)
            if late > ON_TIME_MIN:
                self.late_min.append(late)
            elif late < -ON_TIME_MIN:
                self.early += 1
            else:
                self.on_time += 1

    def report(self, runs: int, days: int) -> SimulationReport:
        late = self.late_min
        seconds = self.replan_s
        return SimulationReport(
            runs=runs,
            days=days,
            planned=self.planned,
            on_time=self.on_time,
            late=len(late),
            late_mean_min=_mean(late, 1),
            late_max_min=round(max(late, default=0.0), 1),
            early=self.early,
            lost=self.lost,
            audience_planned=round(self.audience_planned, 1),
            audience_lost=round(self.audience_lost, 1),
            added=self.added,
            audience_added=round(self.audience_added, 1),
            events=self.events,
            replans=len(seconds),
            replan_mean_s=_mean(seconds, 3),
            replan_max_s=round(max(seconds, default=0.0), 3),
            replan_failures=self.replan_failures,
        )


def _audience(problem: Problem) -> Callable[[str, int], float]:
    """``audience(venue, k)``: the audience of a venue's k-th (0-based) show of a day."""
    seats = {v.id: v.audience_seats for v in problem.venues}
    factor = problem.rules.second_screening_factor

    def audience(venue_id: str, k: int) -> float:
        return seats.get(venue_id, 0.0) * (1.0 if k == 0 else factor)

    return audience


def _planned(
    routes: Sequence[Route], audience: Callable[[str, int], float]
) -> dict[tuple[str, str], tuple[datetime, float]]:
    """(venue, film) -> (planned start, audience) of a day's screenings."""
    found = {}
    for route in routes:
        for stop in route.stops:
            for k, show in enumerate(stop.screenings):
                found[stop.venue_id, show.film_id] = (show.start, audience(stop.venue_id, k))
    return found


# --- one run --------------------------------------------------------------------------


class _Run:
    """One replay of every day of the plan."""

    def __init__(
        self,
        problem: Problem,
        plan: Plan,
        travel: TravelTimes,
        street: _Street,
        events: int,
        replan: Replanner | None,
        tally: _Tally,
    ) -> None:
        self.problem, self.plan, self.travel = problem, plan, travel
        self.street, self.events, self.replan, self.tally = street, events, replan, tally

    def play(self) -> None:
        plan, audience = self.plan, _audience(self.problem)  # as given: re-plans replace them
        for day in sorted({route.day for route in plan.routes}):
            planned = _planned([r for r in plan.routes if r.day == day], audience)
            self.tally.count(planned, self._day(day), audience)

    def _routes(self, day: date, before: dict[str, Route] | None = None) -> dict[str, Route]:
        """The day's routes of the current plan; a truck that had one keeps an empty one."""
        found = {r.truck_id: r for r in self.plan.routes if r.day == day and r.stops}
        return {t: replace(r, stops=()) for t, r in (before or {}).items()} | found

    def _day(self, day: date) -> list[_Show]:
        """Every show of the day as it happens, re-planning on events and lateness."""
        routes = self._routes(day)
        if not routes:
            return []
        hold, facts = _Hold(), _Day(self.problem, day)
        pending = self._event_times(
            min(r.depot_departure for r in routes.values()),
            max(r.depot_return for r in routes.values()),
        )
        resumes: dict[str, _Resume | None] = {}
        done: list[_Show] = []
        triggered: set[tuple[str, str]] = set()
        now = min(r.depot_departure for r in routes.values()) - timedelta(seconds=1)
        replans = 0

        def run_all() -> dict[str, list[_Visit]]:
            return {
                t: _execute(facts, self.travel, self.street, hold, r, resumes.get(t))
                for t, r in routes.items()
            }

        runs = run_all()
        while replans < MAX_REPLANS_PER_DAY:
            late = _first_late(runs, now, triggered)
            if late is None and not pending:
                break
            new: list[Disruption] = []
            if pending and (late is None or pending[0][0] <= late[0]):
                now, kind = pending.pop(0)
                disruption = self._event(kind, now, routes, runs, hold)
                if disruption is not None:
                    self.tally.events += 1
                    new.append(disruption)
                    runs = run_all()
            else:
                assert late is not None
                now = late[0]
                triggered.add(late[1])
            done += [
                s for visits in runs.values() for v in visits for s in v.shows if s.start <= now
            ]
            resumes = {t: _cut(facts, visits, now, resumes.get(t)) for t, visits in runs.items()}
            delays = _delays(runs, now)
            told = {d.truck_id for d in delays}
            new = [d for d in new if not (isinstance(d, TruckDelayed) and d.truck_id in told)]
            if self.replan is not None and (new or delays):
                replans += 1
                self._replan(Situation(day, now, (*new, *delays)))
                facts = _Day(self.problem, day)
                routes = self._routes(day, routes)
            runs = run_all()
        return done + [
            s for visits in runs.values() for v in visits for s in v.shows if s.start > now
        ]

    def _event_times(self, begin: datetime, end: datetime) -> list[tuple[datetime, str]]:
        """``events`` moments in ``[begin, end]`` with a kind each, in order."""
        rng, span = self.street.rng, (end - begin) / timedelta(seconds=1)
        found = [
            (begin + timedelta(seconds=rng.random() * span), rng.choice(EVENT_KINDS))
            for _ in range(self.events)
        ]
        return sorted(found)

    def _event(
        self,
        kind: str,
        now: datetime,
        routes: dict[str, Route],
        runs: dict[str, list[_Visit]],
        hold: _Hold,
    ) -> Disruption | None:
        """A disruption of ``kind`` at ``now`` on a truck or venue with work still ahead,
        applied to the street; ``None`` when nothing is ahead."""
        rng = self.street.rng
        ahead = sorted(
            (t, v.venue_id) for t, visits in runs.items() for v in visits if v.arrival > now
        )
        if not ahead:
            return None
        truck_id, venue_id = rng.choice(ahead)
        if kind == "cancellation":
            hold.cancelled.setdefault(venue_id, now)
            return VenueCancelled(venue_id)
        if kind == "breakdown":
            hold.broken.setdefault(truck_id, now)
            return TruckBrokenDown(truck_id, now)
        if kind == "unreachable":
            hold.unreachable.add((truck_id, venue_id))
            return VenueUnreachable(truck_id, venue_id)
        if kind == "shift_cut":
            back = max(routes[truck_id].depot_return, now + timedelta(minutes=10))
            end = now + (back - now) * rng.uniform(0.3, 0.8)
            hold.home_by[truck_id] = min(end, hold.home_by.get(truck_id, end))
            return ShiftCut(truck_id, end)
        minutes = rng.randint(*DELAY_MIN)
        hold.delays.setdefault(truck_id, []).append((now, float(minutes)))
        return TruckDelayed(truck_id, minutes=minutes)

    def _replan(self, situation: Situation) -> None:
        """Re-plan the rest of the day; a failed re-plan leaves the plan as it was."""
        assert self.replan is not None
        started = time.perf_counter()
        try:
            result = self.replan(self.problem, self.plan, situation)
        except SchedulerError as error:
            self.tally.replan_failures += 1
            log.warning("re-plan at %s failed: %s", situation.now, error)
            return
        self.tally.replan_s.append(time.perf_counter() - started)
        self.problem, self.plan = result.problem, result.plan


def _first_late(
    runs: dict[str, list[_Visit]], now: datetime, triggered: set[tuple[str, str]]
) -> tuple[datetime, tuple[str, str]] | None:
    """The first moment after ``now`` at which a truck is known to be more than
    ``REPLAN_LATE_MIN`` late to a stop (its planned arrival plus that), once per stop."""
    late = timedelta(minutes=REPLAN_LATE_MIN)
    found = [
        (max(v.planned_arrival + late, now + timedelta(seconds=1)), (t, v.venue_id))
        for t, visits in runs.items()
        for v in visits
        if v.arrival > now
        and v.arrival - v.planned_arrival > late
        and (t, v.venue_id) not in triggered
    ]
    return min(found) if found else None


def _delays(runs: dict[str, list[_Visit]], now: datetime) -> list[TruckDelayed]:
    """A ``TruckDelayed`` (by the actual arrival) for each truck at least a minute late to
    the stop it is at or driving to at ``now``."""
    found = []
    for truck_id, visits in sorted(runs.items()):
        for v in visits:
            if v.leave <= now < v.departure and v.arrival - v.planned_arrival >= timedelta(
                minutes=1
            ):
                found.append(TruckDelayed(truck_id, arrival=v.arrival, venue_id=v.venue_id))
    return found


def _cut(
    facts: _Day, visits: list[_Visit], now: datetime, before: _Resume | None
) -> _Resume | None:
    """Where the truck is at ``now``: the stop it is at or driving to, else the last place
    it left, else (still at the depot) where it was."""
    visited = set(before.visited if before else ()) | {
        v.venue_id for v in visits if v.departure <= now
    }
    for v in visits:
        if v.leave <= now < v.departure:
            started = [s for s in v.shows if s.start <= now]
            films = {s.film_id for s in started}
            busy_until = started[-1].end if started else None
            if before is not None and before.venue_id == v.venue_id:  # shows of earlier cuts
                films |= before.started
                busy_until = busy_until or before.busy_until
            return _Resume(
                facts.venues[v.venue_id].location,
                max(v.arrival, now),
                v.venue_id,
                v.arrival,
                frozenset(films),
                busy_until,
                frozenset(visited),
            )
    gone = [v for v in visits if v.departure <= now]
    if gone:
        place = facts.venues[gone[-1].venue_id].location
        return _Resume(place, gone[-1].departure, visited=frozenset(visited))
    return before
