"""The public schedule: ``/api/public/screenings``, ``/okrugs`` and the iCalendar feed; no
login, published versions only; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy import select

from scheduler.bootstrap import load_demo
from scheduler.db.catalogue import season_problem
from scheduler.db.engine import Database
from scheduler.db.itinerary import PublishedCache
from scheduler.db.plans import write_plan
from scheduler.db.tables import PlanRow, Season
from scheduler.domain import Plan, Problem, Route

from conftest import Seeded

MOSCOW = ZoneInfo("Europe/Moscow")
SEASON = {"from": "2026-07-01", "to": "2026-07-03"}


def problem_of(database: Database, seeded: Seeded) -> Problem:
    """The seeded season's problem."""
    with database.session() as session:
        return season_problem(session, seeded.season_id)


def shows(routes: tuple[Route, ...]) -> list[tuple[date, str, str]]:
    """(day, venue, film) of every screening of ``routes``."""
    return sorted(
        (route.day, stop.venue_id, show.film_id)
        for route in routes
        for stop in route.stops
        for show in stop.screenings
    )


def add_version(database: Database, seeded: Seeded, routes: tuple[Route, ...]) -> int:
    """Write a new, unpublished version of the seeded season with ``routes``; its id."""
    with database.session() as session:
        row = write_plan(
            session,
            season_id=seeded.season_id,
            problem=season_problem(session, seeded.season_id),
            plan=replace(seeded.plan, routes=routes),
            kind="edit",
            parent_id=seeded.plan_id,
        )
        return row.id


def publish(database: Database, seeded: Seeded, plan_id: int | None) -> None:
    """Publish a version of the seeded season (``None``: publish nothing)."""
    with database.session() as session:
        season = session.get(Season, seeded.season_id)
        assert season is not None
        season.published_plan_id = plan_id
        row = session.get(PlanRow, plan_id) if plan_id is not None else None
        if row is not None:
            row.published_at = datetime.now(UTC)


def events_of(ical: bytes) -> list[str]:
    """The SUMMARY of every VEVENT of a feed, parsed back with ``icalendar``."""
    calendar = Calendar.from_ical(ical)
    return [str(event["SUMMARY"]) for event in calendar.walk("VEVENT")]


def test_screenings_of_the_season(client: TestClient, seeded: Seeded, database: Database) -> None:
    """Without a login: every published screening of the range, sorted by start, with the
    film, rating, runtime and the venue's name, address, okrug and coordinates."""
    response = client.get("/api/public/screenings", params=SEASON)
    assert response.status_code == 200, response.text
    body = response.json()
    assert sorted((date.fromisoformat(s["date"]), s["venue_id"], s["film_id"]) for s in body) == (
        shows(seeded.plan.routes)
    )
    starts = [datetime.fromisoformat(s["start"]) for s in body]
    assert starts == sorted(starts) and all(t.utcoffset() == timedelta(hours=3) for t in starts)
    problem = problem_of(database, seeded)
    for item in body:
        film, venue = problem.film(item["film_id"]), problem.venue(item["venue_id"])
        assert (item["film_title"], item["rating"], item["runtime_min"]) == (
            film.title,
            f"{film.rating}+",
            film.runtime_min,
        )
        assert (item["venue_name"], item["address"], item["okrug"]) == (
            venue.name,
            venue.address,
            venue.okrug,
        )
        assert (item["lat"], item["lon"]) == (venue.location.lat, venue.location.lon)
        end = datetime.fromisoformat(item["end"])
        assert end - datetime.fromisoformat(item["start"]) == timedelta(minutes=film.runtime_min)


def test_screenings_filter_by_days_and_okrug(
    client: TestClient, seeded: Seeded, database: Database
) -> None:
    """``from``/``to`` keep the evenings in range; ``okrug`` keeps one okrug; an okrug
    without screenings gives an empty list."""
    everything = client.get("/api/public/screenings", params=SEASON).json()
    one_day = client.get(
        "/api/public/screenings", params={"from": "2026-07-02", "to": "2026-07-02"}
    )
    assert one_day.json() == [s for s in everything if s["date"] == "2026-07-02"] != []
    okrug, count = Counter(s["okrug"] for s in everything).most_common(1)[0]
    in_okrug = client.get("/api/public/screenings", params=SEASON | {"okrug": okrug}).json()
    assert len(in_okrug) == count and {s["okrug"] for s in in_okrug} == {okrug}
    nowhere = client.get("/api/public/screenings", params=SEASON | {"okrug": "Нигде"})
    assert nowhere.status_code == 200 and nowhere.json() == []
    from_only = client.get("/api/public/screenings", params={"from": "2026-07-03"}).json()
    assert from_only == [s for s in everything if s["date"] == "2026-07-03"]


def test_screenings_default_to_this_week(client: TestClient, seeded: Seeded) -> None:
    """Without a range the answer is this week's, Monday to Sunday, in Moscow."""
    today = datetime.now(MOSCOW).date()
    monday = today - timedelta(days=today.weekday())
    week = {"from": monday.isoformat(), "to": (monday + timedelta(days=6)).isoformat()}
    explicit = client.get("/api/public/screenings", params=week).json()
    assert client.get("/api/public/screenings").json() == explicit


def test_bad_ranges_are_422_naming_to(client: TestClient, seeded: Seeded) -> None:
    """More than 62 days, or ``to`` before ``from``, is 422 naming ``to``; a bad date names
    its parameter."""
    cases = [
        ({"from": "2026-07-01", "to": "2026-09-01"}, ["query", "to"]),
        ({"from": "2026-07-03", "to": "2026-07-01"}, ["query", "to"]),
        ({"from": "1999-01-01"}, ["query", "from"]),
        ({"to": "not-a-date"}, ["query", "to"]),
        ({"okrug": "x" * 101}, ["query", "okrug"]),
    ]
    for params, loc in cases:
        response = client.get("/api/public/screenings", params=params)
        assert response.status_code == 422, params
        assert [item["loc"] for item in response.json()["detail"]] == [loc], params
    sixty_two = client.get(
        "/api/public/screenings", params={"from": "2026-07-01", "to": "2026-08-31"}
    )
    assert sixty_two.status_code == 200


def test_okrugs(client: TestClient, seeded: Seeded) -> None:
    """The okrugs with published screenings, by name, with their counts."""
    everything = client.get("/api/public/screenings", params=SEASON).json()
    response = client.get("/api/public/okrugs")
    assert response.status_code == 200
    counts = Counter(s["okrug"] for s in everything)
    assert response.json() == [
        {
            "okrug": okrug,
            "screenings": counts[okrug],
            "venues": len({s["venue_id"] for s in everything if s["okrug"] == okrug}),
        }
        for okrug in sorted(counts)
    ]


def test_calendar_feed(client: TestClient, seeded: Seeded) -> None:
    """The feed parses back with one event per published screening (or per screening of the
    okrug), is ``text/calendar`` with cache headers, and ``If-None-Match`` gives 304."""
    everything = client.get("/api/public/screenings", params=SEASON).json()
    response = client.get("/api/public/calendar.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert response.headers["cache-control"] == "public, max-age=300"
    titles = events_of(response.content)
    assert sorted(titles) == sorted(
        f"Кинотрак: {s['film_title']} ({s['rating']})" for s in everything
    )
    okrug = everything[0]["okrug"]
    local = client.get("/api/public/calendar.ics", params={"okrug": okrug})
    assert len(events_of(local.content)) == sum(s["okrug"] == okrug for s in everything)
    etag = response.headers["etag"]
    again = client.get("/api/public/calendar.ics")
    assert again.content == response.content and again.headers["etag"] == etag
    cached = client.get("/api/public/calendar.ics", headers={"If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b""
    assert cached.headers["etag"] == etag
    stale = client.get("/api/public/calendar.ics", headers={"If-None-Match": '"other"'})
    assert stale.status_code == 200
    unknown = client.get("/api/public/calendar.ics", params={"okrug": "Нигде"})
    assert unknown.status_code == 404 and "Нигде" in unknown.json()["detail"]


def test_screenings_etag(client: TestClient, seeded: Seeded) -> None:
    """The JSON answers carry an ETag too, and a matching ``If-None-Match`` gives 304."""
    first = client.get("/api/public/screenings", params=SEASON)
    etag = first.headers["etag"]
    cached = client.get("/api/public/screenings", params=SEASON, headers={"If-None-Match": etag})
    assert cached.status_code == 304
    other = client.get("/api/public/screenings", params={"from": "2026-07-02", "to": "2026-07-02"})
    assert other.headers["etag"] != etag


def test_only_the_published_version_is_public(
    client: TestClient, seeded: Seeded, database: Database
) -> None:
    """A newer unpublished version changes nothing; publishing it changes every public
    answer at once (nothing stale from the cache); unpublishing empties them."""
    before = client.get("/api/public/screenings", params=SEASON).json()
    feed = client.get("/api/public/calendar.ics").content
    okrugs = client.get("/api/public/okrugs").json()
    first_day = tuple(r for r in seeded.plan.routes if r.day == date(2026, 7, 1))
    draft_id = add_version(database, seeded, first_day)
    assert client.get("/api/public/screenings", params=SEASON).json() == before
    assert client.get("/api/public/calendar.ics").content == feed
    assert client.get("/api/public/okrugs").json() == okrugs

    publish(database, seeded, draft_id)
    after = client.get("/api/public/screenings", params=SEASON).json()
    assert sorted((date.fromisoformat(s["date"]), s["venue_id"], s["film_id"]) for s in after) == (
        shows(first_day)
    )
    assert len(events_of(client.get("/api/public/calendar.ics").content)) == len(after)

    publish(database, seeded, None)
    assert client.get("/api/public/screenings", params=SEASON).json() == []
    assert client.get("/api/public/okrugs").json() == []
    empty = client.get("/api/public/calendar.ics")
    assert empty.status_code == 200 and events_of(empty.content) == []


def test_memo_keeps_within_its_budget() -> None:
    """The response memo answers repeated keys without recomputing, drops the least
    recently used values beyond its weight budget, and never keeps an over-budget value."""
    cache = PublishedCache(weight_budget=10)
    computed: list[str] = []

    def value(text: str) -> Callable[[], str]:
        """A computation of ``text`` that records that it ran."""
        return lambda: computed.append(text) or text

    assert cache.memo("a", value("aaaa"), len) == "aaaa"
    assert cache.memo("b", value("bbbb"), len) == "bbbb"
    assert cache.memo("a", value("other"), len) == "aaaa"  # remembered; now most recent
    assert cache.memo("c", value("cccc"), len) == "cccc"  # 12 > 10: drops b
    assert cache.memo("b", value("bbbb"), len) == "bbbb"
    assert cache.memo("big", value("x" * 11), len) == "x" * 11
    assert cache.memo("big", value("x" * 11), len) == "x" * 11
    assert computed == ["aaaa", "bbbb", "cccc", "bbbb", "x" * 11, "x" * 11]


def test_published_versions_are_trusted_for_their_ttl(database: Database) -> None:
    """The cache asks the database which versions are published at most every ``keys_ttl_s``
    seconds, and at once after ``invalidate`` (a publish in this process)."""
    cache = PublishedCache(keys_ttl_s=3600)
    with database.session() as session:
        assert cache.plans(session) == ()
        load_demo(session, days=1)
    with database.session() as session:
        season = session.scalars(select(Season)).one()
        problem = season_problem(session, season.id)
        plan = Plan(routes=(), unserved=(), objective=0.0)
        row = write_plan(session, season_id=season.id, problem=problem, plan=plan, kind="solve")
        season.published_plan_id = row.id
    with database.session() as session:
        assert cache.plans(session) == ()  # trusted: not asked again
        cache.invalidate()
        assert len(cache.plans(session)) == 1
