"""Tests for ``scheduler.exports``: iCalendar, CSV, GeoJSON and the run sheet of a hand-made plan.

The plan ``small_plan`` is built by hand (no solver) on the two-day demo problem, in which
venue 2 is renamed to an HTML injection attempt:

- 1 July, ``led-1``: Gorky Park (1 screening), a declared break, then venue 2 (1 screening);
- 1 July, ``projector-1``: Taganskiy park, 2 screenings, the second after midnight;
- 2 July, ``led-2``: Krasnogvardeyskie prudy, 1 screening, times in a fixed +03:00 offset
  (as read back from a plan JSON file) rather than ``Europe/Moscow``;
- 2 July, ``led-1``: a route without stops.

Four stops, five screenings, one break.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import cast
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Event, vGeo

from scheduler.demo import demo_problem
from scheduler.domain import Break, Plan, Problem, Route, Screening, Stop
from scheduler.errors import InvalidProblem, NotFound
from scheduler.exports import (
    CSV_BOM,
    PRODID,
    ical_public,
    ical_truck,
    ical_venue,
    plan_geojson,
    run_sheet_html,
    screenings_csv,
    stops_csv,
)

TZ = ZoneInfo("Europe/Moscow")
FIXED = timezone(timedelta(hours=3))
DAY1, DAY2 = date(2026, 7, 1), date(2026, 7, 2)
EVIL = '<script>alert("x")</script> & Co'
STAMP = datetime(2026, 6, 20, 12, 0, tzinfo=UTC)


def at(day: date, hh: int, mm: int, tz: timezone | ZoneInfo = TZ) -> datetime:
    """A local time on ``day``; ``hh`` past 23 means after midnight."""
    return datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(hours=hh, minutes=mm)


def show(problem: Problem, film_id: str, start: datetime) -> Screening:
    """A screening of ``film_id`` lasting the film's runtime."""
    return Screening(film_id, start, start + timedelta(minutes=problem.film(film_id).runtime_min))


@pytest.fixture(scope="module")
def problem() -> Problem:
    """The two-day demo problem with venue 2 renamed to an injection attempt."""
    base = demo_problem(days=2)
    venues = tuple(replace(v, name=EVIL) if v.id == "2" else v for v in base.venues)
    return replace(base, venues=venues)


@pytest.fixture(scope="module")
def plan(problem: Problem) -> Plan:
    """The hand-made plan described in the module docstring."""
    return make_plan(problem)


def make_plan(problem: Problem, shift_min: int = 0) -> Plan:
    """The small plan; ``shift_min`` moves the first screening (a re-published plan)."""
    gorky = Stop(
        "1",
        at(DAY1, 14, 0),
        at(DAY1, 17, 30 + shift_min),
        (show(problem, "palma-2", at(DAY1, 15, shift_min)),),
    )
    evil = Stop(
        "2",
        at(DAY1, 18, 50 + shift_min),
        at(DAY1, 23, 0 + shift_min),
        (show(problem, "chempion-mira", at(DAY1, 20, shift_min)),),
    )
    led1 = Route(
        "led-1",
        DAY1,
        at(DAY1, 13, 0),
        at(DAY1, 23, 50 + shift_min),
        (gorky, evil),
        (Break(at(DAY1, 17, 40 + shift_min), at(DAY1, 18, 25 + shift_min)),),
    )
    tagansky = Stop(
        "4",
        at(DAY1, 20, 0),
        at(DAY1, 25, 50),
        (
            show(problem, "palma-2", at(DAY1, 21, 0)),
            show(problem, "kholop", at(DAY1, 23, 30)),
        ),
    )
    projector = Route("projector-1", DAY1, at(DAY1, 19, 0), at(DAY1, 26, 40), (tagansky,))
    prudy = Stop(
        "3",
        at(DAY2, 17, 0, FIXED),
        at(DAY2, 21, 0, FIXED),
        (show(problem, "kholop", at(DAY2, 18, 30, FIXED)),),
    )
    led2 = Route("led-2", DAY2, at(DAY2, 16, 0, FIXED), at(DAY2, 22, 0, FIXED), (prudy,))
    idle = Route("led-1", DAY2, at(DAY2, 12, 0), at(DAY2, 12, 0), ())
    return Plan(routes=(led2, projector, led1, idle), unserved=(), objective=0.0)


def events(ical: bytes) -> list[Event]:
    """The VEVENTs of a feed, parsed back with icalendar."""
    return cast(list[Event], Calendar.from_ical(ical).walk("VEVENT"))


def geo(event: Event) -> tuple[float, float]:
    """An event's GEO as ``(lat, lon)``."""
    value = cast(vGeo, event["GEO"])
    return value.latitude, value.longitude


def uids(ical: bytes) -> list[str]:
    """The UIDs of a feed's events in order."""
    return [str(event["UID"]) for event in events(ical)]


# --- iCalendar ---------------------------------------------------------------------------


def test_truck_feed_has_one_event_per_stop_and_break(problem: Problem, plan: Plan) -> None:
    """led-1 has two stops and one break on 1 July and nothing on 2 July: three events."""
    found = events(ical_truck(problem, plan, "led-1", stamp=STAMP))
    summaries = [str(e["SUMMARY"]) for e in found]
    assert summaries == [
        "Парк Горького (Музеон): 1 сеанс",
        f"{EVIL}: 1 сеанс",
        "Перерыв водителя",
    ]


def test_truck_feed_times_locations_and_description(problem: Problem, plan: Plan) -> None:
    """A stop runs arrival to departure in Europe/Moscow, with address, GEO and its programme."""
    first = events(ical_truck(problem, plan, "led-1", stamp=STAMP))[0]
    stop = plan.routes[2].stops[0]
    venue = problem.venue("1")
    start, end = first.decoded("DTSTART"), first.decoded("DTEND")
    assert start.tzinfo is not None and end.tzinfo is not None
    assert (start, end) == (stop.arrival, stop.departure)
    assert first["DTSTART"].params["TZID"] == "Europe/Moscow"
    assert first.decoded("DTSTAMP") == STAMP
    assert str(first["LOCATION"]) == venue.address
    assert geo(first) == (venue.location.lat, venue.location.lon)
    description = str(first["DESCRIPTION"])
    lines = description.splitlines()
    assert lines[:2] == ["Прибытие 14:00", "Монтаж 14:00–15:00"]
    assert "Сеанс 15:00–16:58: «Пальма 2» (6+)" in lines
    assert "Демонтаж 16:58–17:28" in lines
    assert "Отъезд 17:30" in lines


def test_projector_feed_plural_and_after_midnight(problem: Problem, plan: Plan) -> None:
    """A stop with two screenings says ``2 сеанса`` and ends on the next calendar day."""
    (event,) = events(ical_truck(problem, plan, "projector-1", stamp=STAMP))
    assert str(event["SUMMARY"]) == "Таганский парк: 2 сеанса"
    assert event.decoded("DTEND") == at(DAY1, 25, 50)
    assert event.decoded("DTEND").date() == date(2026, 7, 2)


def test_calendar_headers_and_timezone(problem: Problem, plan: Plan) -> None:
    """PRODID, VERSION, X-WR-CALNAME, X-WR-TIMEZONE and a VTIMEZONE for Europe/Moscow."""
    ical = ical_truck(problem, plan, "led-1", calendar_name="Водитель 1", stamp=STAMP)
    calendar = Calendar.from_ical(ical)
    assert str(calendar["PRODID"]) == PRODID == "-//Kinotruck Scheduler//RU"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["X-WR-CALNAME"]) == "Водитель 1"
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Moscow"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Moscow"]
    default = Calendar.from_ical(ical_truck(problem, plan, "led-2"))
    assert str(default["X-WR-CALNAME"]) == "Кинотрак: LED truck 2"


def test_fixed_offset_times_are_shown_in_the_season_timezone(problem: Problem, plan: Plan) -> None:
    """Plan times in a bare +03:00 offset come out with TZID=Europe/Moscow, same instant."""
    (event,) = events(ical_truck(problem, plan, "led-2", stamp=STAMP))
    assert event["DTSTART"].params["TZID"] == "Europe/Moscow"
    assert event.decoded("DTSTART") == at(DAY2, 17, 0, FIXED)
    assert event.decoded("DTSTART").utcoffset() == timedelta(hours=3)


def test_uids_unique_and_stable(problem: Problem, plan: Plan) -> None:
    """UIDs are unique in a feed, equal across calls and survive a re-plan that moves times."""
    moved = make_plan(problem, shift_min=20)
    feeds: list[Callable[[Plan], bytes]] = [
        lambda p: ical_truck(problem, p, "led-1"),
        lambda p: ical_venue(problem, p, "4"),
        lambda p: ical_public(problem, p),
    ]
    for feed in feeds:
        first, again, replanned = uids(feed(plan)), uids(feed(plan)), uids(feed(moved))
        assert len(first) == len(set(first)) > 0
        assert first == again == replanned
        assert all(uid.endswith("@kinotruck.moscow") for uid in first)
    assert uids(ical_venue(problem, plan, "4")) == [
        "2026-07-01-projector-1-4-1@kinotruck.moscow",
        "2026-07-01-projector-1-4-2@kinotruck.moscow",
    ]


def test_republished_feed_moves_times_under_the_same_uid(problem: Problem) -> None:
    """The re-published plan keeps the UID and carries the new start time."""
    old = events(ical_truck(problem, make_plan(problem), "led-1"))[1]
    new = events(ical_truck(problem, make_plan(problem, shift_min=20), "led-1"))[1]
    assert old["UID"] == new["UID"]
    assert new.decoded("DTSTART") - old.decoded("DTSTART") == timedelta(minutes=20)


def test_unknown_ids_raise_not_found(problem: Problem, plan: Plan) -> None:
    """An unknown truck or venue id is a ``NotFound`` naming the id."""
    with pytest.raises(NotFound, match="no-such-truck"):
        ical_truck(problem, plan, "no-such-truck")
    with pytest.raises(NotFound, match="no-such-venue"):
        ical_venue(problem, plan, "no-such-venue")


def test_venue_feed_one_event_per_screening(problem: Problem, plan: Plan) -> None:
    """Taganskiy park has two screenings; their times equal the plan's."""
    found = events(ical_venue(problem, plan, "4", stamp=STAMP))
    shows = plan.routes[1].stops[0].screenings
    assert [(e.decoded("DTSTART"), e.decoded("DTEND")) for e in found] == [
        (s.start, s.end) for s in shows
    ]
    assert [str(e["SUMMARY"]) for e in found] == [
        "Кинотрак: Пальма 2 (6+)",
        "Кинотрак: Холоп (16+)",
    ]
    assert "Projector truck 1" in str(found[0]["DESCRIPTION"])


def test_venue_without_screenings_gets_an_empty_calendar(problem: Problem, plan: Plan) -> None:
    """A venue with no visit gets a valid calendar with no events and still a VTIMEZONE."""
    calendar = Calendar.from_ical(ical_venue(problem, plan, "60", stamp=STAMP))
    assert calendar.walk("VEVENT") == []
    assert len(calendar.walk("VTIMEZONE")) == 1


def test_public_feed_every_screening(problem: Problem, plan: Plan) -> None:
    """Five screenings, audience summaries, venue name plus address and GEO."""
    found = events(ical_public(problem, plan, stamp=STAMP))
    assert len(found) == 5
    starts = [e.decoded("DTSTART") for e in found]
    assert starts == sorted(starts)
    assert all(s.tzinfo is not None for s in starts)
    first = found[0]
    venue = problem.venue("1")
    assert str(first["SUMMARY"]) == "Кинотрак: Пальма 2 (6+)"
    assert venue.name in str(first["LOCATION"])
    assert str(first["LOCATION"]) == venue.address  # the demo address already names the park
    assert geo(first) == (venue.location.lat, venue.location.lon)
    renamed = found[1]
    assert str(renamed["LOCATION"]) == f"{EVIL}, {problem.venue('2').address}"


def test_public_feed_filters(problem: Problem, plan: Plan) -> None:
    """``okrug``, ``start`` and ``end`` narrow the feed; bad filters raise."""
    assert len(events(ical_public(problem, plan, okrug="ЦАО"))) == 5
    assert events(ical_public(problem, plan, okrug="ЮАО")) == []
    assert len(events(ical_public(problem, plan, start=DAY2))) == 1
    assert len(events(ical_public(problem, plan, end=DAY1))) == 4
    assert len(events(ical_public(problem, plan, start=DAY1, end=DAY1))) == 4
    with pytest.raises(NotFound, match="Атлантида"):
        ical_public(problem, plan, okrug="Атлантида")
    with pytest.raises(InvalidProblem, match="end"):
        ical_public(problem, plan, start=DAY2, end=DAY1)


def test_stamp_must_be_aware(problem: Problem, plan: Plan) -> None:
    """A naive DTSTAMP is refused rather than guessed."""
    with pytest.raises(InvalidProblem, match="stamp"):
        ical_truck(problem, plan, "led-1", stamp=datetime(2026, 6, 20, 12, 0))


# --- CSV ----------------------------------------------------------------------------------


def read_csv(text: str) -> list[dict[str, str]]:
    """Rows of a CSV text via ``csv.DictReader``."""
    return list(csv.DictReader(io.StringIO(text)))


def test_stops_csv(problem: Problem, plan: Plan) -> None:
    """Four stops by day and truck order, positions from 1, ISO times with offset."""
    rows = read_csv(stops_csv(problem, plan))
    assert [(r["day"], r["truck_id"], r["position"], r["venue_id"]) for r in rows] == [
        ("2026-07-01", "led-1", "1", "1"),
        ("2026-07-01", "led-1", "2", "2"),
        ("2026-07-01", "projector-1", "1", "4"),
        ("2026-07-02", "led-2", "1", "3"),
    ]
    tagansky = rows[2]
    venue = problem.venue("4")
    assert tagansky["venue_name"] == venue.name
    assert tagansky["okrug"] == venue.okrug
    assert tagansky["address"] == venue.address
    assert (float(tagansky["lat"]), float(tagansky["lon"])) == (
        venue.location.lat,
        venue.location.lon,
    )
    assert tagansky["truck_name"] == "Projector truck 1"
    assert tagansky["arrival"] == tagansky["setup_start"] == "2026-07-01T20:00:00+03:00"
    assert tagansky["first_screening"] == "2026-07-01T21:00:00+03:00"
    assert datetime.fromisoformat(tagansky["departure"]) == at(DAY1, 25, 50)
    assert tagansky["screenings"] == "2"
    assert tagansky["films"] == "Пальма 2; Холоп"
    assert rows[1]["venue_name"] == EVIL


def test_screenings_csv(problem: Problem, plan: Plan) -> None:
    """Five rows; the rating as audiences read it; times equal the plan's."""
    rows = read_csv(screenings_csv(problem, plan))
    assert len(rows) == 5
    assert list(rows[0]) == [
        "day",
        "truck_id",
        "venue_id",
        "venue_name",
        "okrug",
        "film_id",
        "film_title",
        "rating",
        "start",
        "end",
    ]
    kholop = rows[3]
    assert (kholop["film_id"], kholop["film_title"], kholop["rating"]) == (
        "kholop",
        "Холоп",
        "16+",
    )
    assert kholop["day"] == "2026-07-01"
    assert datetime.fromisoformat(kholop["start"]) == at(DAY1, 23, 30)
    assert rows[4]["start"] == "2026-07-02T18:30:00+03:00"
    assert rows[0]["rating"] == "6+"


def test_csv_bom(problem: Problem, plan: Plan) -> None:
    """``bom=True`` prefixes the UTF-8 BOM; the default does not."""
    assert not stops_csv(problem, plan).startswith(CSV_BOM)
    with_bom = screenings_csv(problem, plan, bom=True)
    assert with_bom.startswith(CSV_BOM)
    assert len(read_csv(with_bom.removeprefix(CSV_BOM))) == 5


def test_csv_of_an_empty_plan_is_a_header() -> None:
    """A plan without routes gives a header row and nothing else."""
    empty = Plan(routes=(), unserved=(), objective=0.0)
    problem = demo_problem(days=1)
    assert stops_csv(problem, empty).splitlines()[0].startswith("day,truck_id,truck_name")
    assert read_csv(screenings_csv(problem, empty)) == []


FORMULAS = {
    "=": '=HYPERLINK("http://evil.example","x")',
    "+": "+cmd|' /C calc'!A0",
    "-": "-2+3",
    "@": "@SUM(A1:A9)",
    "\t": "\t=1+1",
    "\r": "\r=1+1",
}
"""Cell texts a spreadsheet would run as formulas, by their first character."""


def test_csv_text_that_starts_a_formula_gets_an_apostrophe(problem: Problem) -> None:
    """Text cells starting with =, +, -, @, tab or CR (CSV injection) are written with a
    leading apostrophe, in both tables; other text, numbers and times are as before."""
    venues = tuple(
        replace(v, name=FORMULAS["="], address=FORMULAS["@"], okrug=FORMULAS["-"])
        if v.id == "1"
        else replace(v, name=FORMULAS["\r"])
        if v.id == "4"
        else v
        for v in problem.venues
    )
    films = tuple(
        replace(f, title=FORMULAS["+"]) if f.id == "palma-2" else f for f in problem.films
    )
    trucks = tuple(
        replace(t, name=FORMULAS["\t"]) if t.id == "led-1" else t for t in problem.trucks
    )
    hostile = replace(problem, venues=venues, films=films, trucks=trucks)
    plan = make_plan(hostile)

    stops = read_csv(stops_csv(hostile, plan, bom=True).removeprefix(CSV_BOM))
    gorky, evil, tagansky = stops[0], stops[1], stops[2]
    assert gorky["venue_name"] == "'" + FORMULAS["="]
    assert gorky["address"] == "'" + FORMULAS["@"]
    assert gorky["okrug"] == "'" + FORMULAS["-"]
    assert gorky["truck_name"] == "'" + FORMULAS["\t"]
    assert gorky["films"] == "'" + FORMULAS["+"]
    assert tagansky["venue_name"] == "'" + FORMULAS["\r"]
    assert tagansky["films"] == "'" + FORMULAS["+"] + "; Холоп"
    assert evil["venue_name"] == EVIL and evil["truck_name"] == "'" + FORMULAS["\t"]
    assert gorky["arrival"] == "2026-07-01T14:00:00+03:00" and gorky["screenings"] == "1"
    assert float(gorky["lat"]) == problem.venue("1").location.lat

    shows = read_csv(screenings_csv(hostile, plan))
    assert [row["film_title"] for row in shows] == [
        "'" + FORMULAS["+"],
        problem.film("chempion-mira").title,
        "'" + FORMULAS["+"],
        "Холоп",
        "Холоп",
    ]
    assert (shows[0]["venue_name"], shows[0]["okrug"]) == ("'" + FORMULAS["="], "'-2+3")
    assert shows[0]["start"] == "2026-07-01T15:00:00+03:00" and shows[0]["rating"] == "6+"


# --- GeoJSON ------------------------------------------------------------------------------


def test_geojson_features(problem: Problem, plan: Plan) -> None:
    """One depot, three routes (the empty one is left out), four stops; JSON-serialisable."""
    collection = plan_geojson(problem, plan)
    assert collection["type"] == "FeatureCollection"
    kinds = [f["properties"]["kind"] for f in collection["features"]]
    assert (kinds.count("depot"), kinds.count("route"), kinds.count("stop")) == (1, 3, 4)
    assert json.loads(json.dumps(collection, ensure_ascii=False)) == collection


def test_geojson_coordinates_are_lon_lat(problem: Problem, plan: Plan) -> None:
    """Points and lines are ``[lon, lat]``; a route runs depot -> stops -> depot."""
    features = plan_geojson(problem, plan)["features"]
    depot = problem.truck("led-1").depot
    stops = [f for f in features if f["properties"]["kind"] == "stop"]
    venue = problem.venue(stops[0]["properties"]["venue_id"])
    assert stops[0]["geometry"] == {
        "type": "Point",
        "coordinates": [venue.location.lon, venue.location.lat],
    }
    route = next(
        f
        for f in features
        if f["properties"]["kind"] == "route" and f["properties"]["truck_id"] == "led-1"
    )
    line = route["geometry"]["coordinates"]
    assert route["geometry"]["type"] == "LineString"
    assert line[0] == line[-1] == [depot.lon, depot.lat]
    assert line[1:-1] == [
        [problem.venue(v).location.lon, problem.venue(v).location.lat] for v in ("1", "2")
    ]
    assert route["properties"]["day"] == "2026-07-01"


def test_geojson_stop_properties(problem: Problem, plan: Plan) -> None:
    """A stop carries truck, day, position, venue, times and its screenings."""
    stops = [
        f for f in plan_geojson(problem, plan)["features"] if f["properties"]["kind"] == "stop"
    ]
    props = stops[2]["properties"]
    assert props["truck_id"] == "projector-1"
    assert props["day"] == "2026-07-01"
    assert props["position"] == 1
    assert props["venue_id"] == "4"
    assert props["name"] == "Таганский парк"
    assert props["arrival"] == "2026-07-01T20:00:00+03:00"
    assert props["departure"] == "2026-07-02T01:50:00+03:00"
    assert [s["film_id"] for s in props["screenings"]] == ["palma-2", "kholop"]
    assert props["screenings"][1]["rating"] == "16+"


# --- the run sheet ------------------------------------------------------------------------


def test_run_sheet_lists_stops_and_times_in_order(problem: Problem, plan: Plan) -> None:
    """Every stop's venue, then the screenings' times, appear in route order; the break between."""
    html = run_sheet_html(problem, plan, "led-1", DAY1)
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="ru">' in html
    gorky = html.index("Парк Горького (Музеон)")
    pause = html.index("Перерыв водителя: 17:40–18:25 (45 мин)")
    evil = html.index("&lt;script&gt;")
    assert gorky < pause < evil
    first, second = html.index("15:00–16:58"), html.index("20:00–22:24")
    assert first < second
    assert "«Пальма 2» (6+)" in html
    assert "«Чемпион мира» (12+)" in html
    assert "55.73600, 37.60570" in html  # Gorky Park's coordinates
    assert problem.venue("1").address in html


def test_run_sheet_header_and_totals(problem: Problem, plan: Plan) -> None:
    """Truck, screen, Russian date, depot, depot times and the totals."""
    html = run_sheet_html(problem, plan, "led-1", DAY1)
    assert "LED truck 1" in html
    assert "LED-экран" in html
    assert "среда, 1 июля 2026" in html
    assert "Moskino Film Park (Krasnaya Pakhra)" in html
    assert "Выезд с базы</dt><dd>13:00" in html
    assert "Возвращение на базу</dt><dd>23:50" in html
    assert "Остановок: 2" in html
    assert "Сеансов: 2" in html
    # on the road: 13:00-14:00, 17:30-18:50 less the 45 min break, 23:00-23:50
    assert "В пути (между точками, без перерывов): 2 ч 25 мин" in html
    assert "Подпись водителя" in html


def test_run_sheet_escapes_user_strings(problem: Problem, plan: Plan) -> None:
    """A venue named ``<script>`` is shown as text, never as markup."""
    html = run_sheet_html(problem, plan, "led-1", DAY1)
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in html


def test_run_sheet_in_english(problem: Problem, plan: Plan) -> None:
    """``lang="en"`` switches labels and the date to English."""
    html = run_sheet_html(problem, plan, "led-1", DAY1, lang="en")
    assert '<html lang="en">' in html
    assert "Run sheet" in html
    assert "Wednesday, 1 July 2026" in html
    assert "Arrival" in html and "Departure" in html
    assert "Driver&#39;s break: 17:40–18:25 (45 min)" in html
    assert "Путевой лист" not in html


def test_run_sheet_after_midnight_marks_next_day(problem: Problem, plan: Plan) -> None:
    """Times past midnight carry ``(+1)``, explained below the table."""
    html = run_sheet_html(problem, plan, "projector-1", DAY1)
    assert "23:30–01:19 (+1)" in html
    assert "Проектор" in html
    assert "(+1) — время следующих суток" in html


def test_run_sheet_empty_day(problem: Problem, plan: Plan) -> None:
    """A truck-day without stops, or without a route, is a sheet that says so."""
    for truck_id in ("led-1", "projector-1"):
        html = run_sheet_html(problem, plan, truck_id, DAY2)
        assert "В этот день остановок нет." in html
        assert "<table>" not in html
        assert "четверг, 2 июля 2026" in html
    english = run_sheet_html(problem, plan, "led-1", DAY2, lang="en")
    assert "No stops on this day." in english


def test_run_sheet_print_stylesheet(problem: Problem, plan: Plan) -> None:
    """The sheet carries its own print stylesheet for A4."""
    html = run_sheet_html(problem, plan, "led-1", DAY1)
    assert "@media print" in html
    assert "size: A4" in html
    assert "<link" not in html


def test_run_sheet_errors(problem: Problem, plan: Plan) -> None:
    """An unknown truck is ``NotFound``; an unknown language is ``InvalidProblem``."""
    with pytest.raises(NotFound, match="ghost"):
        run_sheet_html(problem, plan, "ghost", DAY1)
    with pytest.raises(InvalidProblem, match="lang"):
        run_sheet_html(problem, plan, "led-1", DAY1, lang="de")
