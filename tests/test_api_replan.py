"""Re-planning through the service: ``POST/GET /api/plans/{id}/replan`` for every kind of
disruption (what-if and published), its record, bad input, roles, and the re-plan a
driver's event starts on its own (``api.driver``); on SQLite and PostgreSQL.

The ``seeded`` plan is published and covers 2026-07-01..03 (solved with a time limit, so its
routes differ from run to run): the tests pick a ``Scene`` in it, a moment of its busiest
day when some stops have begun and others not.
Assertions are invariants (the new version has no violations, the stops done by ``now`` are
unchanged, every screening that is gone is listed with a reason), not exact routes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from scheduler.api import replan as replan_api
from scheduler.app import create_app
from scheduler.bootstrap import DEMO_USERS
from scheduler.config import Settings
from scheduler.demo import demo_problem
from scheduler.domain import Route, Stop
from scheduler.errors import SolverError

from conftest import DEMO_DAYS, Seeded, login

Headers = dict[str, str]
Json = dict[str, Any]

TIME_LIMIT_S = 0.5
REASONS = {
    "venue_cancelled",
    "unreachable",
    "truck_broken_down",
    "shift_cut",
    "film_withdrawn",
    "late",
    "no_longer_fits",
}


# --- helpers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scene:
    """A moment of the seeded plan's busiest day: ``now`` is one minute after the first
    stop of the day has begun (its truck left for it); ``route`` is the route of the stop
    that begins last, ``target``, which has not begun at ``now``."""

    day: date
    now: datetime
    route: Route
    target: Stop

    @property
    def truck(self) -> str:
        return self.route.truck_id


def begins(route: Route) -> list[tuple[datetime, Stop]]:
    """When each stop of the route begins: its truck leaves the depot or the stop before."""
    leaves = [route.depot_departure, *(stop.departure for stop in route.stops[:-1])]
    return list(zip(leaves, route.stops, strict=True))


def scene(seeded: Seeded) -> Scene:
    """The ``Scene`` of the seeded plan (its busiest day has stops beginning at two
    different times)."""
    days = {r.day for r in seeded.plan.routes}
    day = max(
        sorted(days), key=lambda d: sum(len(r.stops) for r in seeded.plan.routes if r.day == d)
    )
    found = [
        (begin, route, stop)
        for route in seeded.plan.routes
        if route.day == day
        for begin, stop in begins(route)
    ]
    first = min(begin for begin, _, _ in found)
    begin, route, stop = max(found, key=lambda item: item[0])
    now = first + timedelta(minutes=1)
    assert begin > now, "the busiest day should have stops that begin at different times"
    return Scene(day=day, now=now, route=route, target=stop)


def iso(value: date | datetime) -> str:
    return value.isoformat()


def replan(client: TestClient, headers: Headers, plan_id: int, **body: Any) -> tuple[int, Json]:
    """POST a re-plan (short time limit); the status and the body."""
    body.setdefault("time_limit_s", TIME_LIMIT_S)
    response = client.post(f"/api/plans/{plan_id}/replan", json=body, headers=headers)
    return response.status_code, response.json()


def plan_read(client: TestClient, headers: Headers, plan_id: int) -> Json:
    response = client.get(f"/api/plans/{plan_id}", headers=headers)
    assert response.status_code == 200, response.text
    result: Json = response.json()
    return result


def published_id(client: TestClient, headers: Headers, season_id: int) -> int:
    """The id of the season's published version."""
    response = client.get("/api/plans", params={"season_id": season_id}, headers=headers)
    assert response.status_code == 200, response.text
    return int(next(v["id"] for v in response.json() if v["published"]))


def stops_of(plan: Json, day: date) -> dict[tuple[str, str], Json]:
    """``(truck_id, venue_id) -> stop`` of a plan read on ``day``."""
    return {
        (route["truck_id"], stop["venue_id"]): stop
        for route in plan["routes"]
        if route["day"] == iso(day)
        for stop in route["stops"]
    }


def screening_keys(plan: Json) -> set[tuple[str, str, str]]:
    """``(day, venue_id, film_id)`` of every screening: what "kept" means."""
    return {
        (route["day"], stop["venue_id"], show["film_id"])
        for route in plan["routes"]
        for stop in route["stops"]
        for show in stop["screenings"]
    }


def started(plan: Json, day: date, now: datetime, trimmed: set[str]) -> dict[tuple[str, str], Json]:
    """The stops done or in progress at ``now`` on ``day``: arrived, or the truck is driving
    to it; of a truck in ``trimmed`` only those it has left (a delay shifts the stop it is
    at, a breakdown or a shorter shift may cut its screenings)."""
    found: dict[tuple[str, str], Json] = {}
    for route in plan["routes"]:
        if route["day"] != iso(day):
            continue
        left = datetime.fromisoformat(route["depot_departure"])
        for stop in route["stops"]:
            if route["truck_id"] in trimmed:
                begun = datetime.fromisoformat(stop["departure"]) <= now
            else:
                begun = left <= now
            if begun:
                found[(route["truck_id"], stop["venue_id"])] = stop
            left = datetime.fromisoformat(stop["departure"])
    return found


def check_replan(
    client: TestClient, headers: Headers, base_id: int, result: Json, now: datetime
) -> tuple[Json, Json]:
    """The invariants of every re-plan: a valid new version of kind ``replan`` with the
    base as parent, both KPIs, the stops done by ``now`` unchanged (on every truck), and
    every screening of the base that is gone listed in ``dropped`` with a reason. Returns
    the base and the new version as read."""
    new, base = result["plan"], result["base"]
    assert (new["kind"], new["parent_id"], base["id"]) == ("replan", base_id, base_id)
    assert new["violation_count"] == 0 and not new["draft"]
    assert result["kpis"]["before"]["screenings"] >= 0
    assert result["kpis"]["after"]["screenings"] >= 0
    before, after = plan_read(client, headers, base_id), plan_read(client, headers, new["id"])
    assert after["violations"] == []
    day = date.fromisoformat(result["situation"]["day"])
    trimmed = {
        d["truck_id"]
        for d in result["situation"]["disruptions"]
        if d["kind"] in {"delayed", "breakdown", "shift_cut"}
    }
    fixed = started(before, day, now, trimmed)
    now_stops = stops_of(after, day)
    for key, stop in fixed.items():
        kept = now_stops.get(key)
        assert kept is not None, f"a stop done or in progress is gone: {key}"
        for field in ("arrival", "departure", "screenings"):
            assert kept[field] == stop[field], (key, field)
    assert result["kept"] >= len(fixed)
    gone = screening_keys(before) - screening_keys(after)
    listed = {(d["day"], d["venue_id"], d["film_id"]) for d in result["dropped"]}
    assert gone <= listed, f"dropped silently: {sorted(gone - listed)}"
    for item in result["dropped"]:
        assert item["reason"] in REASONS and item["message"], item
        assert item["venue_name"] and item["film_title"]
    for change in result["changes"]:
        assert change["change"] in {"added", "dropped", "moved", "retimed"}
    return before, after


# --- one re-plan per kind of disruption ---------------------------------------------------


def _other_venue(seeded: Seeded, day: date) -> str:
    """A venue of the season no truck visits in the seeded plan (else one not visited on
    ``day``)."""
    visits = [(r.day, s.venue_id) for r in seeded.plan.routes for s in r.stops]
    venues = [v.id for v in demo_problem(days=DEMO_DAYS).venues]
    never = [v for v in venues if v not in {venue for _, venue in visits}]
    return (never or [v for v in venues if (day, v) not in visits])[0]


NEW_VENUE = {
    "id": "v-requested-square",
    "name": "Requested square",
    "okrug": "ЦАО",
    "lat": 55.7558,
    "lon": 37.6173,
    "audience_seats": 150,
}


def disruption(kind: str, seeded: Seeded, at: Scene) -> Json:
    """A disruption of ``kind`` on the scene's truck (``at.truck``) and its stop to come."""
    truck, target, now = at.truck, at.target, at.now
    match kind:
        case "delayed":
            return {"kind": "delayed", "truck_id": truck, "minutes": 25}
        case "delayed_arrival":
            arrival = target.arrival + timedelta(minutes=30)
            return {
                "kind": "delayed",
                "truck_id": truck,
                "venue_id": target.venue_id,
                "arrival": iso(arrival),
            }
        case "venue_cancelled":
            return {"kind": "venue_cancelled", "venue_id": target.venue_id}
        case "venue_unreachable":
            return {"kind": "venue_unreachable", "truck_id": truck, "venue_id": target.venue_id}
        case "breakdown":
            return {"kind": "breakdown", "truck_id": truck, "at": iso(now)}
        case "shift_cut":
            return {"kind": "shift_cut", "truck_id": truck, "end": iso(target.arrival)}
        case "venue_requested":
            return {"kind": "venue_requested", "venue_id": _other_venue(seeded, at.day)}
        case "venue_requested_new":
            return {"kind": "venue_requested", "venue": NEW_VENUE}
        case "film_withdrawn":
            film = target.screenings[0].film_id
            return {"kind": "film_withdrawn", "film_id": film, "at": iso(now)}
    raise AssertionError(kind)


def kind_effect(kind: str, event: Json, at: Scene, after: Json) -> None:
    """What the disruption itself must have done to the new version."""
    day_stops = stops_of(after, at.day)
    later = {
        key: stop
        for key, stop in day_stops.items()
        if datetime.fromisoformat(stop["arrival"]) > at.now
    }
    if kind == "venue_cancelled":
        assert all(venue != event["venue_id"] for _, venue in later)
    elif kind == "venue_unreachable":
        assert (at.truck, event["venue_id"]) not in later
    elif kind == "breakdown":
        assert not [key for key in later if key[0] == at.truck]
    elif kind == "shift_cut":
        end = datetime.fromisoformat(event["end"])
        mine = [stop for key, stop in later.items() if key[0] == at.truck]
        assert all(datetime.fromisoformat(stop["departure"]) <= end for stop in mine)
    elif kind.startswith("venue_requested"):
        venue = event.get("venue_id") or NEW_VENUE["id"]
        served = any(v == venue for _, v in day_stops)
        unserved = any(u["venue_id"] == venue for u in after["unserved"])
        assert served or unserved, f"{venue} is neither served nor unserved with a reason"
    elif kind == "film_withdrawn":
        start = datetime.fromisoformat(event["at"])
        shown = [
            show
            for r in after["routes"]
            for s in r["stops"]
            for show in s["screenings"]
            if show["film_id"] == event["film_id"]
            and datetime.fromisoformat(show["start"]) >= start
        ]
        assert shown == []


KINDS = [
    "delayed",
    "delayed_arrival",
    "venue_cancelled",
    "venue_unreachable",
    "breakdown",
    "shift_cut",
    "venue_requested",
    "venue_requested_new",
    "film_withdrawn",
]


@pytest.mark.parametrize("kind", KINDS)
def test_each_disruption_makes_a_valid_what_if_version(
    client: TestClient, seeded: Seeded, planner: Headers, kind: str
) -> None:
    """201 with a new ``replan`` version that verifies, keeps the stops done or in progress
    at ``now``, lists every screening it lost with a reason, shows both KPIs, does what the
    disruption says, and (a what-if) leaves the published version as it was."""
    at = scene(seeded)
    event = disruption(kind, seeded, at)
    status, result = replan(
        client, planner, seeded.plan_id, day=iso(at.day), now=iso(at.now), disruptions=[event]
    )
    assert status == 201, result
    _, after = check_replan(client, planner, seeded.plan_id, result, at.now)
    kind_effect(kind, event, at, after)
    assert result["published"] is False and result["plan"]["published"] is False
    assert published_id(client, planner, seeded.season_id) == seeded.plan_id
    assert [item["kind"] for item in result["situation"]["disruptions"]] == [event["kind"]]


def test_publish_true_publishes_and_the_record_reads_back(
    client: TestClient, seeded: Seeded, planner: Headers
) -> None:
    """``publish: true`` makes the re-plan the published version at once (drivers see it);
    ``GET .../replan`` answers the same record; a version that is not a re-plan is 404."""
    at = scene(seeded)
    status, result = replan(
        client,
        planner,
        seeded.plan_id,
        day=iso(at.day),
        now=iso(at.now),
        disruptions=[disruption("venue_cancelled", seeded, at)],
        publish=True,
    )
    assert status == 201, result
    new_id = result["plan"]["id"]
    assert result["published"] is True and result["plan"]["published"] is True
    assert published_id(client, planner, seeded.season_id) == new_id
    check_replan(client, planner, seeded.plan_id, result, at.now)
    stored = client.get(f"/api/plans/{new_id}/replan", headers=planner)
    assert stored.status_code == 200, stored.text
    assert stored.json()["base"]["published"] is False  # the base is no longer published
    assert stored.json() | {"base": None} == result | {"base": None}
    assert client.get(f"/api/plans/{seeded.plan_id}/replan", headers=planner).status_code == 404
    assert client.get("/api/plans/999999/replan", headers=planner).status_code == 404


def test_the_base_locks_are_kept(client: TestClient, seeded: Seeded, planner: Headers) -> None:
    """A locked truck-day of the base is kept exactly by the re-plan and stays locked in the
    new version."""
    at = scene(seeded)
    other = next(
        (r for r in seeded.plan.routes if r.stops and (r.truck_id, r.day) != (at.truck, at.day)),
    )
    lock = {"truck_id": other.truck_id, "day": iso(other.day), "locked": True}
    locked = client.put(f"/api/plans/{seeded.plan_id}/locks", json=lock, headers=planner)
    assert locked.status_code == 200, locked.text
    status, result = replan(
        client,
        planner,
        seeded.plan_id,
        day=iso(at.day),
        now=iso(at.now),
        disruptions=[disruption("breakdown", seeded, at)],
    )
    assert status == 201, result
    before, after = check_replan(client, planner, seeded.plan_id, result, at.now)
    key = (other.truck_id, iso(other.day))
    [old] = [r for r in before["routes"] if (r["truck_id"], r["day"]) == key]
    [new] = [r for r in after["routes"] if (r["truck_id"], r["day"]) == key]
    assert new["locked"] and new["stops"] == old["stops"]


def test_default_now_and_no_disruption(
    client: TestClient, seeded: Seeded, planner: Headers
) -> None:
    """Without ``now`` the re-plan starts at the current time: a day of the demo season
    (July 2026) that is over by then keeps every stop as it was."""
    at = scene(seeded)
    status, result = replan(client, planner, seeded.plan_id, day=iso(at.day))
    assert status == 201, result
    now = datetime.fromisoformat(result["situation"]["now"])
    assert abs(now - datetime.now(now.tzinfo)) < timedelta(minutes=5)
    day_stops = [s for r in seeded.plan.routes if r.day == at.day for s in r.stops]
    if now > max(r.depot_return for r in seeded.plan.routes if r.day == at.day):
        assert result["kept"] == len(day_stops)
        assert result["dropped"] == []


def test_a_stale_if_match_is_409(client: TestClient, seeded: Seeded, planner: Headers) -> None:
    """The base version's ETag guards the re-plan like every other change."""
    at = scene(seeded)
    etag = client.get(f"/api/plans/{seeded.plan_id}", headers=planner).headers["ETag"]
    url = f"/api/plans/{seeded.plan_id}/replan"
    body = {"day": iso(at.day), "now": iso(at.now), "time_limit_s": TIME_LIMIT_S}
    stale = client.post(url, json=body, headers={**planner, "If-Match": '"999"'})
    assert stale.status_code == 409
    fresh = client.post(url, json=body, headers={**planner, "If-Match": etag})
    assert fresh.status_code == 201, fresh.text
    assert fresh.headers["ETag"]


def test_bad_input_is_422_naming_the_field(
    client: TestClient, seeded: Seeded, planner: Headers
) -> None:
    """Unknown ids (found by the engine), a day outside the season, a missing or unknown
    field, an unknown kind, a naive time: 422 with ``loc`` naming the field as sent."""
    scene_ = scene(seeded)
    at, truck = iso(scene_.now), scene_.truck
    url = f"/api/plans/{seeded.plan_id}/replan"
    base = {"day": iso(scene_.day), "now": at, "time_limit_s": TIME_LIMIT_S}
    cases: list[tuple[Json, list[str | int]]] = [
        (
            {
                "disruptions": [
                    {"kind": "delayed", "truck_id": truck, "minutes": 5},
                    {"kind": "breakdown", "truck_id": "tram-9", "at": at},
                ]
            },
            ["body", "disruptions", 1, "truck_id"],
        ),
        (
            {"disruptions": [{"kind": "venue_unreachable", "truck_id": truck, "venue_id": "x"}]},
            ["body", "disruptions", 0, "venue_id"],
        ),
        (
            {"disruptions": [{"kind": "film_withdrawn", "film_id": "no-film", "at": at}]},
            ["body", "disruptions", 0, "film_id"],
        ),
        ({"day": "2026-08-15"}, ["body", "day"]),
        (
            {"disruptions": [{"kind": "delayed", "truck_id": truck}]},
            ["body", "disruptions", 0, "minutes"],
        ),
        (
            {"disruptions": [{"kind": "delayed", "truck_id": truck, "arrival": at}]},
            ["body", "disruptions", 0, "venue_id"],
        ),
        (
            {"disruptions": [{"kind": "breakdown", "at": at}]},
            ["body", "disruptions", 0, "truck_id"],
        ),
        (
            {"disruptions": [{"kind": "venue_cancelled", "venue_id": "v", "extra": 1}]},
            ["body", "disruptions", 0, "extra"],
        ),
        ({"disruptions": [{"kind": "teleported"}]}, ["body", "disruptions", 0]),
        ({"time_limit_s": 0.1}, ["body", "time_limit_s"]),
        ({"now": "2026-07-01T18:00:00"}, ["body", "now"]),
        ({"now": "1999-07-01T18:00:00+03:00"}, ["body", "now"]),
    ]
    existing = scene_.target.venue_id
    cases.append(
        (
            {"disruptions": [{"kind": "venue_requested", "venue": {**NEW_VENUE, "id": existing}}]},
            ["body", "disruptions", 0, "venue", "id"],
        )
    )
    for change, loc in cases:
        response = client.post(url, json={**base, **change}, headers=planner)
        assert response.status_code == 422, (change, response.text)
        locs = [item["loc"] for item in response.json()["detail"]]
        if loc:
            assert loc in locs, (change, locs)
    assert published_id(client, planner, seeded.season_id) == seeded.plan_id


def test_drivers_and_anonymous_may_not_replan(
    client: TestClient, seeded: Seeded, driver: Headers
) -> None:
    """A driver gets 403 and an anonymous caller 401, for the re-plan and its record."""
    url = f"/api/plans/{seeded.plan_id}/replan"
    body = {"day": "2026-07-01"}
    assert client.post(url, json=body, headers=driver).status_code == 403
    assert client.post(url, json=body).status_code == 401
    assert client.get(url, headers=driver).status_code == 403
    assert client.get(url).status_code == 401


# --- driver events re-plan on their own ---------------------------------------------------


def driver_of(client: TestClient, route: Route) -> Headers:
    """Headers of the demo driver of the route's truck."""
    name = next(u.name for u in DEMO_USERS if u.truck_id == route.truck_id)
    return login(client, name)


def driver_event(client: TestClient, headers: Headers, route: Route, **fields: Any) -> Json:
    """Post a driver event on the route's day; must be 201."""
    body = {"date": iso(route.day)} | {
        k: iso(v) if isinstance(v, datetime) else v for k, v in fields.items()
    }
    response = client.post("/api/driver/events", json=body, headers=headers)
    assert response.status_code == 201, response.text
    result: Json = response.json()
    return result


def today(client: TestClient, headers: Headers, day: date) -> Json:
    response = client.get("/api/driver/today", params={"date": iso(day)}, headers=headers)
    assert response.status_code == 200, response.text
    result: Json = response.json()
    return result


def public_screenings(client: TestClient, day: date) -> set[tuple[str, str, str]]:
    response = client.get("/api/public/screenings", params={"from": iso(day), "to": iso(day)})
    assert response.status_code == 200, response.text
    return {(s["venue_id"], s["film_id"], s["start"]) for s in response.json()}


def version_screenings(plan: Json, day: date) -> set[tuple[str, str, str]]:
    return {
        (stop["venue_id"], show["film_id"], show["start"])
        for route in plan["routes"]
        if route["day"] == iso(day)
        for stop in route["stops"]
        for show in stop["screenings"]
    }


def drivers_see(client: TestClient, plan: Json, day: date) -> set[int | None]:
    """The published version each truck's driver sees on ``day`` (None: no route then)."""
    return {
        (today(client, login(client, user.name), day)["plan"] or {}).get("id")
        for user in DEMO_USERS
        if user.truck_id is not None
        and any(r["truck_id"] == user.truck_id and r["day"] == iso(day) for r in plan["routes"])
    }


@pytest.mark.parametrize("kind", ["delayed", "breakdown"])
def test_a_driver_event_publishes_a_replan(
    client: TestClient, seeded: Seeded, planner: Headers, kind: str
) -> None:
    """A delay or a breakdown from the phone: 201 at once, then a re-plan of the day is
    published: the drivers' day shows the new version (the phone's "route changed"), and
    the public schedule and the iCal feed follow it."""
    at = scene(seeded)
    driver = driver_of(client, at.route)
    assert today(client, driver, at.day)["plan"]["id"] == seeded.plan_id
    calendar = client.get("/api/public/calendar.ics")
    fields: Json = {"delay_min": 25} if kind == "delayed" else {}
    driver_event(client, driver, at.route, id=f"ev-{kind}", kind=kind, at=at.now, **fields)
    new_id = published_id(client, planner, seeded.season_id)
    assert new_id != seeded.plan_id
    record = client.get(f"/api/plans/{new_id}/replan", headers=planner)
    assert record.status_code == 200, record.text
    result = record.json()
    assert result["published"] is True and result["base"]["id"] == seeded.plan_id
    [event] = result["situation"]["disruptions"]
    assert (event["kind"], event["truck_id"]) == (kind, at.truck)
    _, after = check_replan(client, planner, seeded.plan_id, result, at.now)
    assert drivers_see(client, after, at.day) == {new_id}
    mine = today(client, driver, at.day)
    assert mine["plan"] is None or mine["plan"]["id"] == new_id
    assert public_screenings(client, at.day) == version_screenings(after, at.day)
    feed = client.get("/api/public/calendar.ics")
    assert feed.status_code == 200 and feed.headers["ETag"] != calendar.headers["ETag"]
    shows = sum(len(s["screenings"]) for r in after["routes"] for s in r["stops"])
    assert feed.text.count("BEGIN:VEVENT") == shows
    if kind == "breakdown":
        later = [s for s in mine["stops"] if datetime.fromisoformat(s["arrival"]) > at.now]
        assert later == []


def test_a_late_arrival_replans_and_one_on_time_does_not(
    client: TestClient, seeded: Seeded, planner: Headers
) -> None:
    """``arrived`` on time (or up to 10 minutes late) changes nothing; more than 10
    minutes late re-plans the day from that arrival."""
    at = scene(seeded)
    driver = driver_of(client, at.route)
    first = at.route.stops[0]
    on_time = first.arrival + timedelta(minutes=10)
    driver_event(
        client, driver, at.route, id="a1", kind="arrived", venue_id=first.venue_id, at=on_time
    )
    assert published_id(client, planner, seeded.season_id) == seeded.plan_id
    late = at.target.arrival + timedelta(minutes=40)
    driver_event(
        client, driver, at.route, id="a2", kind="arrived", venue_id=at.target.venue_id, at=late
    )
    new_id = published_id(client, planner, seeded.season_id)
    assert new_id != seeded.plan_id
    result = client.get(f"/api/plans/{new_id}/replan", headers=planner).json()
    [event] = result["situation"]["disruptions"]
    assert (event["kind"], event["venue_id"]) == ("delayed", at.target.venue_id)
    assert datetime.fromisoformat(event["arrival"]) == late
    check_replan(client, planner, seeded.plan_id, result, late)


def test_an_event_far_from_the_day_replans_nothing(
    client: TestClient, seeded: Seeded, planner: Headers
) -> None:
    """A delay reported a day after the truck was due back (a phone's wrong clock, a queue
    replayed late) is stored and re-plans nothing."""
    at = scene(seeded)
    driver = driver_of(client, at.route)
    late = at.route.depot_return + timedelta(days=1)
    driver_event(client, driver, at.route, id="o1", kind="delayed", delay_min=20, at=late)
    assert published_id(client, planner, seeded.season_id) == seeded.plan_id


def test_cannot_reach_replans_without_that_venue(
    client: TestClient, seeded: Seeded, planner: Headers
) -> None:
    """``cannot_reach`` re-plans the day so the truck does not go to that venue."""
    at = scene(seeded)
    driver = driver_of(client, at.route)
    venue = at.target.venue_id
    driver_event(client, driver, at.route, id="c1", kind="cannot_reach", venue_id=venue, at=at.now)
    new_id = published_id(client, planner, seeded.season_id)
    assert new_id != seeded.plan_id
    day = today(client, driver, at.day)
    assert venue not in [s["venue_id"] for s in day["stops"]]


@pytest.fixture
def quiet_client(
    seeded: Seeded, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """The service with ``SCHEDULER_AUTO_REPLAN=false`` in its environment."""
    monkeypatch.setenv("SCHEDULER_AUTO_REPLAN", "false")
    quiet = Settings(
        data_dir=tmp_path / "quiet", database_url=settings.database_url, published_ttl_s=0
    )
    assert quiet.auto_replan is False
    with TestClient(create_app(quiet)) as test_client:
        yield test_client


def test_auto_replan_can_be_turned_off(quiet_client: TestClient, seeded: Seeded) -> None:
    """With ``SCHEDULER_AUTO_REPLAN=false`` a delay is stored and nothing is re-planned."""
    at = scene(seeded)
    driver = driver_of(quiet_client, at.route)
    planner = login(quiet_client, "planner")
    event = {"id": "q1", "kind": "delayed", "delay_min": 30, "at": at.now}
    driver_event(quiet_client, driver, at.route, **event)
    assert published_id(quiet_client, planner, seeded.season_id) == seeded.plan_id
    versions = quiet_client.get(
        "/api/plans", params={"season_id": seeded.season_id}, headers=planner
    ).json()
    assert [v["kind"] for v in versions] == ["solve"]


def test_a_failing_replan_leaves_the_published_plan(
    client: TestClient,
    seeded: Seeded,
    planner: Headers,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """When the engine fails, the driver still gets 201, the failure is logged and the
    published version stays; a replayed event re-plans nothing."""

    def broken(*args: object, **kwargs: object) -> None:
        raise SolverError("the engine fell over")

    monkeypatch.setattr(replan_api, "replan_plan", broken)
    at = scene(seeded)
    driver = driver_of(client, at.route)
    event = {"id": "f1", "kind": "breakdown", "at": iso(at.now), "date": iso(at.day)}
    with caplog.at_level(logging.ERROR, logger=replan_api.__name__):
        first = client.post("/api/driver/events", json=event, headers=driver)
    assert first.status_code == 201, first.text
    assert "automatic re-plan" in caplog.text and "the engine fell over" in caplog.text
    assert published_id(client, planner, seeded.season_id) == seeded.plan_id
    monkeypatch.undo()
    again = client.post("/api/driver/events", json=event, headers=driver)
    assert again.status_code == 200
    assert published_id(client, planner, seeded.season_id) == seeded.plan_id
