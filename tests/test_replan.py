"""Tests for re-planning during the day (``solver.replanning``) after each kind of disruption.

The demo week is planned once; each test re-plans one day of it. Time-limited search is not
reproducible across machines, so the tests assert invariants: the fixed part is unchanged,
``verify == []`` against the disrupted problem, every screening that is gone is in
``dropped`` with a reason and a message, other days are unchanged unless a rule forces it,
and each disruption's own effect.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.checks import verify
from scheduler.demo import demo_problem
from scheduler.disruptions import (
    Disruption,
    FilmWithdrawn,
    ShiftCut,
    Situation,
    TruckBrokenDown,
    TruckDelayed,
    VenueCancelled,
    VenueRequested,
    VenueUnreachable,
)
from scheduler.domain import (
    Location,
    PinnedStop,
    Pins,
    Plan,
    Problem,
    Route,
    ScreenType,
    Venue,
)
from scheduler.errors import InvalidProblem
from scheduler.schemas import problem_from_scenario, scenario_from_problem
from scheduler.solver import DropReason, Replan, SolveParams, replan, solve
from scheduler.solver.disrupt import apply_disruptions
from scheduler.solver.replanning import promised_value
from scheduler.travel import OfflineTravelTimes

TRAVEL = OfflineTravelTimes()
TZ = ZoneInfo("Europe/Moscow")


@pytest.fixture(scope="module")
def problem() -> Problem:
    """The Moscow demo, one week."""
    return demo_problem(days=7)


@pytest.fixture(scope="module")
def plan(problem: Problem) -> Plan:
    """The demo week planned once (short limit)."""
    planned = solve(problem, TRAVEL, SolveParams(time_limit_s=4.0, workers=1))
    assert verify(problem, planned, TRAVEL) == []
    return planned


@pytest.fixture(scope="module")
def busy(problem: Problem, plan: Plan) -> Route:
    """A route with at least two stops on a day before the last (the day the tests
    disrupt), as near the middle of the week as the plan has one."""
    middle = problem.days[len(problem.days) // 2]
    routes = [r for r in plan.routes if r.day < problem.days[-1] and len(r.stops) >= 2]
    assert routes, "the demo plan has a truck-day with two stops"
    return min(routes, key=lambda r: (abs((r.day - middle).days), r.day, r.truck_id))


def screenings(plan: Plan) -> set[tuple[date, str, str]]:
    """(day, venue, film) of every screening of a plan."""
    return {(r.day, s.venue_id, x.film_id) for r, s in plan.stops for x in s.screenings}


def run(problem: Problem, plan: Plan, day: date, now: datetime, *events: Disruption) -> Replan:
    """Re-plan ``day`` at ``now`` and check the invariants every re-plan keeps."""
    result = replan(problem, plan, Situation(day, now, tuple(events)), TRAVEL)
    assert verify(result.problem, result.plan, TRAVEL) == []
    gone = screenings(plan) - screenings(result.plan)
    listed = {(d.day, d.venue_id, d.film_id) for d in result.dropped}
    assert listed == gone, "every lost screening, and only those, is in dropped"
    assert all(d.message.strip() for d in result.dropped)
    new_stops = {(r.truck_id, s) for r in result.plan.routes if r.day == day for s in r.stops}
    assert set(result.kept) <= new_stops, "the kept stops are in the new plan as they were"
    return result


def untouched_trucks_keep_fixed(
    plan: Plan, result: Replan, day: date, now: datetime, *trucks: str
) -> None:
    """Trucks not named by a disruption keep their done and in-progress stops exactly."""
    new = {(r.truck_id, s) for r in result.plan.routes if r.day == day for s in r.stops}
    for route in plan.routes:
        if route.day != day or route.truck_id in trucks:
            continue
        left = route.depot_departure
        for stop in route.stops:
            if stop.arrival <= now or left <= now:
                assert (route.truck_id, stop) in new
                left = stop.departure


def other_days_unchanged(plan: Plan, result: Replan, day: date) -> None:
    """Every route of another day is as it was."""
    before = {(r.truck_id, r.day): r for r in plan.routes if r.day != day}
    after = {(r.truck_id, r.day): r for r in result.plan.routes if r.day != day}
    assert before == after


def reasons(result: Replan) -> set[DropReason]:
    """The reasons of a re-plan's dropped screenings."""
    return {d.reason for d in result.dropped}


def test_delay_shifts_the_stop_the_truck_is_driving_to(
    problem: Problem, plan: Plan, busy: Route
) -> None:
    """A truck 40 min late while driving to its second stop arrives 40 min later there (or
    that stop's screenings are dropped as late); the other trucks keep their fixed part."""
    now = busy.stops[0].departure + timedelta(minutes=1)
    result = run(problem, plan, busy.day, now, TruckDelayed(busy.truck_id, minutes=40))
    untouched_trucks_keep_fixed(plan, result, busy.day, now, busy.truck_id)
    other_days_unchanged(plan, result, busy.day)
    target = busy.stops[1]
    kept = [stop for truck, stop in result.kept if truck == busy.truck_id]
    assert busy.stops[0] in kept
    (route,) = [r for r in result.plan.routes if (r.truck_id, r.day) == (busy.truck_id, busy.day)]
    assert route.depot_departure == busy.depot_departure, "the truck left when it left"
    moved = [stop for stop in kept if stop.venue_id == target.venue_id]
    if moved:
        assert moved[0].arrival == target.arrival + timedelta(minutes=40)
        assert moved[0].screenings[0].start >= target.screenings[0].start
    else:
        assert DropReason.LATE in reasons(result)


def test_late_delay_of_a_running_stop_lengthens_the_day(
    problem: Problem, plan: Plan, busy: Route
) -> None:
    """Two hours late during the last screening of the day: the stop leaves two hours later,
    the driver's day is longer than the shift (the rules are fitted to it), and the plan
    still verifies."""
    last = busy.stops[-1]
    now = last.screenings[-1].start + timedelta(minutes=5)
    result = run(problem, plan, busy.day, now, TruckDelayed(busy.truck_id, minutes=120))
    kept = [s for t, s in result.kept if t == busy.truck_id and s.venue_id == last.venue_id]
    assert kept[0].departure == last.departure + timedelta(hours=2)
    assert kept[0].screenings == last.screenings


def test_delay_by_arrival_time_is_the_same_delay(problem: Problem, plan: Plan, busy: Route) -> None:
    """An expected arrival 25 min after the planned one delays the stop by 25 min."""
    now = busy.stops[0].departure + timedelta(minutes=1)
    target = busy.stops[1]
    late = TruckDelayed(
        busy.truck_id, arrival=target.arrival + timedelta(minutes=25), venue_id=target.venue_id
    )
    result = run(problem, plan, busy.day, now, late)
    kept = [s for t, s in result.kept if t == busy.truck_id and s.venue_id == target.venue_id]
    assert not kept or kept[0].arrival == target.arrival + timedelta(minutes=25)


def test_cancelled_venue_is_not_served_that_day(problem: Problem, plan: Plan, busy: Route) -> None:
    """A venue cancelled before the truck reaches it is not served that day; its screenings
    are dropped as cancelled; the rest of the season is unchanged."""
    now = busy.stops[0].arrival + timedelta(minutes=1)
    venue = busy.stops[-1].venue_id
    result = run(problem, plan, busy.day, now, VenueCancelled(venue))
    untouched_trucks_keep_fixed(plan, result, busy.day, now)
    other_days_unchanged(plan, result, busy.day)
    assert not any(r.day == busy.day and s.venue_id == venue for r, s in result.plan.stops)
    assert {d.reason for d in result.dropped if d.venue_id == venue} == {DropReason.VENUE_CANCELLED}
    assert result.problem.venue(venue).hours_on(busy.day) == ()


def test_a_cancellation_keeps_every_other_announced_screening(problem: Problem, plan: Plan) -> None:
    """A cancellation only frees time: on every day, after the first stop's venue cancels,
    each other screening of the day is kept as announced (the re-plan may add, never swap
    an announced screening for one it values more)."""
    tz = ZoneInfo(problem.rules.timezone)
    for day in problem.days:
        routes = [r for r in plan.routes if r.day == day and r.stops]
        if not routes:
            continue
        first = min((s for r in routes for s in r.stops), key=lambda s: s.arrival)
        now = datetime(day.year, day.month, day.day, 9, tzinfo=tz)
        result = run(problem, plan, day, now, VenueCancelled(first.venue_id))
        before = {k for k in screenings(plan) if k[0] == day and k[1] != first.venue_id}
        assert before <= screenings(result.plan), day


def test_promised_value_counts_the_kept_announced_screenings(
    problem: Problem, plan: Plan, busy: Route
) -> None:
    """``promised_value`` is the value of the old day's screenings a set of routes still
    holds: all of them for the old routes, less for each one lost, none for no routes."""
    old = [r for r in plan.routes if r.day == busy.day]
    full = promised_value(problem, old, old)
    assert full > 0 and promised_value(problem, old, []) == 0.0
    thinner = [replace(r, stops=r.stops[:-1]) if r is busy else r for r in old]
    assert 0 < promised_value(problem, old, thinner) < full
    last = busy.stops[-1]
    later = replace(
        last,
        screenings=tuple(replace(x, start=x.start + timedelta(hours=2)) for x in last.screenings),
    )
    moved = [replace(r, stops=(*r.stops[:-1], later)) if r is busy else r for r in old]
    assert promised_value(problem, old, moved) == promised_value(problem, old, thinner), (
        "a screening two hours off its announced time is not the one announced"
    )


def test_unreachable_venue_is_not_visited_by_that_truck(
    problem: Problem, plan: Plan, busy: Route
) -> None:
    """A truck that cannot reach a venue does not visit it that day; another truck may."""
    now = busy.stops[0].arrival + timedelta(minutes=1)
    venue = busy.stops[-1].venue_id
    result = run(problem, plan, busy.day, now, VenueUnreachable(busy.truck_id, venue))
    untouched_trucks_keep_fixed(plan, result, busy.day, now, busy.truck_id)
    other_days_unchanged(plan, result, busy.day)
    assert not any(
        r.day == busy.day and r.truck_id == busy.truck_id and s.venue_id == venue
        for r, s in result.plan.stops
    )
    served = any(r.day == busy.day and s.venue_id == venue for r, s in result.plan.stops)
    assert served or {d.reason for d in result.dropped if d.venue_id == venue} == {
        DropReason.UNREACHABLE
    }


def test_broken_truck_gets_nothing_after_the_breakdown(
    problem: Problem, plan: Plan, busy: Route
) -> None:
    """A truck broken down before its first stop does nothing that day; its stops go to
    other trucks where possible, the rest are dropped as broken down."""
    at = busy.depot_departure - timedelta(minutes=30)
    result = run(problem, plan, busy.day, at, TruckBrokenDown(busy.truck_id, at))
    untouched_trucks_keep_fixed(plan, result, busy.day, at, busy.truck_id)
    other_days_unchanged(plan, result, busy.day)
    assert not any(r.day == busy.day and r.truck_id == busy.truck_id for r in result.plan.routes)
    day_stops = {s.venue_id: r.truck_id for r, s in result.plan.stops if r.day == busy.day}
    for stop in busy.stops:
        if stop.venue_id not in day_stops:
            assert {d.reason for d in result.dropped if d.venue_id == stop.venue_id} == {
                DropReason.TRUCK_BROKEN_DOWN
            }


def test_broken_truck_stops_move_to_an_idle_truck(problem: Problem, plan: Plan) -> None:
    """With a second LED truck idle that day (and, like the first, allowed inside the
    Third Ring), an LED truck broken down before it leaves hands at least one of its stops
    over to another truck."""
    led = [t.id for t in problem.trucks if t.screen is ScreenType.LED]
    problem = replace(
        problem,
        trucks=tuple(replace(t, has_ttk_pass=True) if t.id in led else t for t in problem.trucks),
    )
    route = next(r for r in plan.routes if r.truck_id == led[0] and r.stops)
    idle = Plan(
        tuple(r for r in plan.routes if (r.truck_id, r.day) != (led[1], route.day)),
        plan.unserved,
        0.0,
    )
    at = route.depot_departure - timedelta(minutes=30)
    result = run(problem, idle, route.day, at, TruckBrokenDown(led[0], at))
    served_by = {s.venue_id: r.truck_id for r, s in result.plan.stops if r.day == route.day}
    assert led[0] not in served_by.values()
    assert any(served_by.get(stop.venue_id) not in (None, led[0]) for stop in route.stops)


def test_breakdown_during_a_stop_keeps_what_was_shown(
    problem: Problem, plan: Plan, busy: Route
) -> None:
    """A breakdown during the first stop keeps its screenings that ended before it and
    nothing of the truck after it."""
    first = busy.stops[0]
    at = first.screenings[0].end + timedelta(minutes=5)
    result = run(problem, plan, busy.day, at, TruckBrokenDown(busy.truck_id, at))
    route = next(r for r in result.plan.routes if (r.truck_id, r.day) == (busy.truck_id, busy.day))
    assert all(x.end <= at for s in route.stops for x in s.screenings)
    assert route.stops[0].screenings[0] == first.screenings[0]


def test_shift_cut_is_respected(problem: Problem, plan: Plan, busy: Route) -> None:
    """A shift cut to end soon after the first stop's drive home: the first stop is kept,
    the truck is back by the new end, the later stops are dropped as cut."""
    now = busy.stops[0].arrival + timedelta(minutes=1)
    first = busy.stops[0]
    home = TRAVEL.duration_min(
        problem.venue(first.venue_id).location, problem.truck(busy.truck_id).depot, first.departure
    )
    end = first.departure + timedelta(minutes=home + 15)
    result = run(problem, plan, busy.day, now, ShiftCut(busy.truck_id, end))
    untouched_trucks_keep_fixed(plan, result, busy.day, now)
    route = next(r for r in result.plan.routes if (r.truck_id, r.day) == (busy.truck_id, busy.day))
    assert route.depot_return <= end
    assert first in route.stops
    truck = result.problem.truck(busy.truck_id)
    assert truck.shift_on(busy.day).end_min == math.floor(
        (end - datetime.combine(busy.day, datetime.min.time(), TZ)) / timedelta(minutes=1)
    )
    lost = {d.reason for d in result.dropped if d.truck_id == busy.truck_id}
    assert lost <= {DropReason.SHIFT_CUT}


def test_shift_cut_too_tight_for_the_stop_drops_it(
    problem: Problem, plan: Plan, busy: Route
) -> None:
    """A shift cut to end before the truck could get back from its stop drops the stop's
    screenings not started yet (as cut); the truck gets nothing new."""
    now = busy.stops[0].arrival + timedelta(minutes=1)
    end = busy.stops[0].screenings[0].start + timedelta(minutes=5)
    result = run(problem, plan, busy.day, now, ShiftCut(busy.truck_id, end))
    left = [r for r in result.plan.routes if (r.truck_id, r.day) == (busy.truck_id, busy.day)]
    assert all(r.depot_return <= end or r.stops == busy.stops[:1] for r in left)
    assert {d.reason for d in result.dropped if d.truck_id == busy.truck_id} == {
        DropReason.SHIFT_CUT
    }


def test_requested_new_venue_is_served(problem: Problem, plan: Plan, busy: Route) -> None:
    """A valuable new venue asked for in the morning joins the season and is served."""
    now = datetime.combine(busy.day, datetime.min.time(), TZ) + timedelta(hours=8)
    depot = problem.trucks[0].depot
    venue = Venue(
        id="asked",
        name="Asked-for square",
        location=Location(depot.lat + 0.02, depot.lon + 0.02),
        okrug="ТиНАО",
        audience_seats=2000,
        priority=3.0,
        residential=False,
    )
    result = run(problem, plan, busy.day, now, VenueRequested(venue=venue))
    assert "asked" in {v.id for v in result.problem.venues}
    assert any(r.day == busy.day and s.venue_id == "asked" for r, s in result.plan.stops)
    other_days_unchanged(plan, result, busy.day)


def test_requesting_the_added_venue_again_is_accepted(problem: Problem, plan: Plan) -> None:
    """A re-plan of a re-plan may ask for the venue the first one added: it is the
    season's venue now, not a clash of ids."""
    day = problem.days[1]
    venue = replace(problem.venues[0], id="added", name="Added square")
    noon = datetime.combine(day, datetime.min.time(), TZ) + timedelta(hours=12)
    once = apply_disruptions(problem, Situation(day, noon, (VenueRequested(venue=venue),)))
    twice = apply_disruptions(once, Situation(day, noon, (VenueRequested(venue=venue),)))
    assert [v.id for v in twice.venues].count("added") == 1


def test_request_that_breaks_a_later_gap_is_refused(
    problem: Problem, plan: Plan, busy: Route
) -> None:
    """A season venue asked for the day before its next visit is not served that day, and
    the later visit stays as it was."""
    later = [(r.day, s.venue_id) for r, s in plan.stops if r.day == busy.day + timedelta(days=1)]
    assert later
    venue = later[0][1]
    now = datetime.combine(busy.day, datetime.min.time(), TZ) + timedelta(hours=8)
    result = run(problem, plan, busy.day, now, VenueRequested(venue_id=venue))
    assert not any(r.day == busy.day and s.venue_id == venue for r, s in result.plan.stops)
    other_days_unchanged(plan, result, busy.day)


def test_withdrawn_film_is_never_shown_after(problem: Problem, plan: Plan, busy: Route) -> None:
    """A film withdrawn at noon is not shown after noon that day or any later day; its
    later screenings are swapped for another film or dropped as withdrawn."""
    counts: dict[str, int] = {}
    for r, s in plan.stops:
        for x in s.screenings:
            if r.day >= busy.day:
                counts[x.film_id] = counts.get(x.film_id, 0) + 1
    film = max(counts, key=lambda f: counts[f])
    at = datetime.combine(busy.day, datetime.min.time(), TZ) + timedelta(hours=12)
    result = run(problem, plan, busy.day, at, FilmWithdrawn(film, at))
    assert not any(
        x.film_id == film and x.start >= at for _, s in result.plan.stops for x in s.screenings
    )
    lost = [d for d in result.dropped if d.film_id == film]
    assert lost and {d.reason for d in lost} == {DropReason.FILM_WITHDRAWN}
    before = [r for r in plan.routes if r.day < busy.day]
    assert before == [r for r in result.plan.routes if r.day < busy.day]


def test_nothing_happens_before_now(problem: Problem, plan: Plan, busy: Route) -> None:
    """A re-plan without disruptions gives no truck a new stop that starts before ``now``."""
    now = busy.stops[0].arrival + timedelta(minutes=1)
    result = run(problem, plan, busy.day, now)
    kept = set(result.kept)
    for route in result.plan.routes:
        if route.day == busy.day:
            for stop in route.stops:
                assert (route.truck_id, stop) in kept or stop.arrival >= now


def test_after_the_day_everything_is_kept(problem: Problem, plan: Plan, busy: Route) -> None:
    """A re-plan after the day is over keeps the whole day as it was and drops nothing."""
    now = datetime.combine(busy.day, datetime.min.time(), TZ) + timedelta(days=1, hours=6)
    result = run(problem, plan, busy.day, now)
    assert result.dropped == ()
    assert len(result.kept) == sum(len(r.stops) for r in plan.routes if r.day == busy.day)


def test_before_the_day_nothing_is_fixed(problem: Problem, plan: Plan, busy: Route) -> None:
    """A re-plan the evening before keeps nothing of the day and plans it whole again."""
    now = datetime.combine(busy.day, datetime.min.time(), TZ) - timedelta(hours=3)
    result = run(problem, plan, busy.day, now, VenueCancelled(busy.stops[0].venue_id))
    assert result.kept == ()
    assert any(r.day == busy.day and r.stops for r in result.plan.routes)


def test_planner_pins_are_kept_and_invalid_ones_dropped(
    problem: Problem, plan: Plan, busy: Route
) -> None:
    """A pinned stop of the day that no disruption touches is kept exactly; a pinned stop
    at a venue cancelled for the day is dropped with the cancellation as the reason."""
    now = datetime.combine(busy.day, datetime.min.time(), TZ) + timedelta(hours=8)
    others = [r for r in plan.routes if r.day == busy.day and r.truck_id != busy.truck_id]
    pins = [PinnedStop(busy.truck_id, busy.day, busy.stops[0])]
    pins += [PinnedStop(r.truck_id, r.day, r.stops[0]) for r in others[:1]]
    cancelled = busy.stops[0].venue_id
    result = replan(
        problem,
        plan,
        Situation(busy.day, now, (VenueCancelled(cancelled),)),
        TRAVEL,
        pins=Pins(stops=tuple(pins)),
    )
    assert verify(result.problem, result.plan, TRAVEL) == []
    stops = {(r.truck_id, s) for r in result.plan.routes for s in r.stops}
    for pin in pins[1:]:
        assert (pin.truck_id, pin.stop) in stops
    assert {d.reason for d in result.dropped if d.venue_id == cancelled} == {
        DropReason.VENUE_CANCELLED
    }


def test_apply_disruptions_writes_the_rules(problem: Problem) -> None:
    """Cancellation closes the venue that day, a cut ends the shift, a breakdown too, a
    withdrawal ends the licence, a new venue joins the season allowed that day."""
    day = problem.days[1]
    noon = datetime.combine(day, datetime.min.time(), TZ) + timedelta(hours=12)
    venue = replace(problem.venues[0], id="new", allowed_dates=frozenset())
    film = problem.films[0].id
    events: tuple[Disruption, ...] = (
        VenueCancelled(problem.venues[1].id),
        ShiftCut(problem.trucks[0].id, noon + timedelta(hours=8)),
        TruckBrokenDown(problem.trucks[1].id, noon),
        FilmWithdrawn(film, noon),
        VenueRequested(venue=venue),
    )
    applied = apply_disruptions(problem, Situation(day, noon, events))
    assert applied.venue(problem.venues[1].id).hours_on(day) == ()
    assert applied.venue(problem.venues[1].id).hours_on(problem.days[2]) != ()
    assert applied.truck(problem.trucks[0].id).shift_on(day).end_min == 20 * 60
    assert applied.truck(problem.trucks[1].id).shift_on(day).end_min == 12 * 60
    assert applied.film(film).licence_end == day
    assert applied.venue("new").allowed_dates == frozenset({day})


@pytest.mark.parametrize("kind", ["cut", "broken", "before"])
def test_disrupted_problem_is_a_valid_scenario(
    problem: Problem, plan: Plan, busy: Route, kind: str
) -> None:
    """The disrupted problem round-trips through the scenario format (one rule per date, no
    empty shift), also when a cut truck's kept stops need a longer day and when a truck
    breaks down before its shift opens (it then does not work that day)."""
    first = busy.stops[0]
    events: dict[str, Disruption] = {
        "cut": ShiftCut(busy.truck_id, first.screenings[0].start + timedelta(minutes=5)),
        "broken": TruckBrokenDown(busy.truck_id, first.screenings[0].end + timedelta(minutes=5)),
        "before": TruckBrokenDown(busy.truck_id, busy.depot_departure - timedelta(hours=6)),
    }
    now = first.screenings[0].start + timedelta(minutes=1)
    result = run(problem, plan, busy.day, now, events[kind])
    again = problem_from_scenario(scenario_from_problem(result.problem))
    assert verify(again, result.plan, TRAVEL) == []
    if kind == "before":
        assert busy.day not in (result.problem.truck(busy.truck_id).available_dates or {busy.day})


BAD: list[tuple[str, Callable[[Problem, Route], tuple[date, tuple[Disruption, ...]]]]] = [
    ("disruptions[0].truck_id", lambda p, r: (r.day, (TruckDelayed("nope", minutes=5),))),
    ("disruptions[0].venue_id", lambda p, r: (r.day, (VenueCancelled("nope"),))),
    ("disruptions[0].film_id", lambda p, r: (r.day, (FilmWithdrawn("nope", r.depot_departure),))),
    (
        "disruptions[0].venue.id",
        lambda p, r: (r.day, (VenueRequested(venue=replace(p.venues[0], name="Other")),)),
    ),
    (
        "disruptions[0].venue_id",
        lambda p, r: (
            r.day,
            (TruckDelayed(r.truck_id, arrival=r.depot_return, venue_id=_not_on(p, r)),),
        ),
    ),
    ("day", lambda p, r: (p.days[-1] + timedelta(days=1), ())),
    (
        "disruptions[0].end",
        lambda p, r: (r.day, (ShiftCut(r.truck_id, r.depot_return + timedelta(days=3)),)),
    ),
]


def _not_on(problem: Problem, route: Route) -> str:
    """A venue the route does not visit."""
    on = {s.venue_id for s in route.stops}
    return next(v.id for v in problem.venues if v.id not in on)


@pytest.mark.parametrize(("field", "make"), BAD, ids=[f for f, _ in BAD])
def test_bad_input_names_the_field(
    problem: Problem,
    plan: Plan,
    busy: Route,
    field: str,
    make: Callable[[Problem, Route], tuple[date, tuple[Disruption, ...]]],
) -> None:
    """Unknown ids, a day outside the season and a time off the day are refused with an
    ``InvalidProblem`` naming the field."""
    day, events = make(problem, busy)
    now = busy.depot_departure
    with pytest.raises(InvalidProblem) as raised:
        replan(problem, plan, Situation(day, now, events), TRAVEL)
    assert field in [name for name, _ in raised.value.problems]


def test_day_without_routes_is_refused(problem: Problem, plan: Plan, busy: Route) -> None:
    """A situation day the plan has no route on is refused, naming ``day``."""
    empty = Plan(tuple(r for r in plan.routes if r.day != busy.day), plan.unserved, 0.0)
    with pytest.raises(InvalidProblem) as raised:
        replan(problem, empty, Situation(busy.day, busy.depot_departure), TRAVEL)
    assert [name for name, _ in raised.value.problems] == ["day"]


def test_a_truck_day_that_cannot_be_repaired_falls_back_alone(
    problem: Problem, plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the new stops of one truck break a rule the repair cannot pin on a stop, only
    that truck falls back to its fixed part: the other trucks keep their new stops."""
    from scheduler.solver import replanning

    day = next(d for d in problem.days if len({r.truck_id for r in plan.routes if r.day == d}) > 1)
    routes = [r for r in plan.routes if r.day == day and r.stops]
    broken, sound = routes[0], routes[1]
    late = broken.depot_return + timedelta(hours=12)  # back long after the shift
    day_routes = [replace(broken, depot_return=late), sound]
    others = [r for r in plan.routes if r.day != day]
    monkeypatch.setattr(replanning, "_culprits", lambda *_: set())
    kept = replanning._repaired(problem, TRAVEL, others, day_routes, set(), day)
    assert sound in kept
    assert all(not r.stops for r in kept if r.truck_id == broken.truck_id)
    found = verify(problem, replace(plan, routes=tuple([*others, *kept])), TRAVEL)
    assert [v for v in found if v.rule != "unserved"] == []  # reasons come later in replan
