"""Random valid scenarios for property-based tests, written in the JSON scenario format.

``scenarios()`` is a hypothesis strategy of scenario dicts (what a user would write in a
file); ``load(data)`` turns one into a ``Problem`` through the same parser and mapping as
``scheduler plan`` (``schemas.parse_scenario`` + ``schemas.problem_from_scenario``), so a
generated scenario is valid exactly when the file format says it is.

Sizes and values cover the format's corners: 1-6 trucks of both screen kinds, with and
without a TTK pass, shifts past midnight; 1-80 venues anywhere in Moscow's bounding box,
some on a depot, some sharing a place; several opening windows (some past midnight),
allowed dates, ratings, excluded films, visit caps, their own gap between visits
(``min_gap_days``) and hours on some weekdays or dates (``day_hours``, closed or not); trucks'
shifts on some weekdays or dates (``day_shifts``); films of 20-200 min with licences,
certificates or exemptions and caps; every rule, booleans both ways and extreme values;
seasons of 1-7 days from June to September.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from scheduler.domain import Problem
from scheduler.schemas import parse_scenario, problem_from_scenario

__all__ = ["OKRUGS", "clock", "load", "scenarios", "tiny_scenario"]

OKRUGS = ("ЦАО", "САО", "СВАО", "ВАО", "ЮВАО", "ЮАО", "ЮЗАО", "ЗАО", "СЗАО", "ЗелАО", "НАО", "ТАО")
LAT = (55.55, 55.95)
LON = (37.35, 37.85)
DEMO_DEPOT = (55.4303, 37.2725)
RATINGS = ("0+", "6+", "12+", "16+", "18+")
SEASON_FIRST = date(2026, 6, 1)
SEASON_LAST = date(2026, 9, 30)

Data = dict[str, Any]


def clock(minutes: int) -> str:
    """``HH:MM`` as the format writes it (``25:30`` past midnight)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def load(data: Data) -> Problem:
    """The problem of a scenario dict, read as ``scheduler plan`` reads a file."""
    return problem_from_scenario(parse_scenario(data))


def _window(lo_min: int, hi_min: int) -> Data:
    return {"start": clock(lo_min), "end": clock(hi_min)}


def _minutes(lo: int, hi: int, step: int = 15) -> st.SearchStrategy[int]:
    return st.integers(lo // step, hi // step).map(lambda k: k * step)


@st.composite
def _windows(draw: st.DrawFn, min_start: int, max_start: int, max_end: int) -> Data:
    start = draw(_minutes(min_start, max_start))
    length = draw(_minutes(15, 14 * 60))
    return _window(start, min(start + length, max_end))


def _subset(draw: st.DrawFn, days: list[date], allow_empty: bool) -> list[str] | None:
    """``None`` (every day) or some days, sometimes with a day outside the season."""
    if draw(st.booleans()):
        return None
    chosen = draw(st.lists(st.sampled_from(days), unique=True, max_size=len(days)))
    if draw(st.integers(0, 4)) == 0:
        chosen.append(days[-1] + timedelta(days=draw(st.integers(1, 40))))
    if not chosen and not allow_empty:
        chosen = [days[0]]
    return [d.isoformat() for d in sorted(set(chosen))]


@st.composite
def _season(draw: st.DrawFn, max_days: int) -> tuple[Data, list[date]]:
    length = draw(st.integers(1, max_days))
    span = (SEASON_LAST - SEASON_FIRST).days - length + 1
    start = SEASON_FIRST + timedelta(days=draw(st.integers(0, span)))
    days = [start + timedelta(days=i) for i in range(length)]
    excluded = draw(st.lists(st.sampled_from(days), unique=True, max_size=length - 1))
    season = {
        "start": days[0].isoformat(),
        "end": days[-1].isoformat(),
        "excluded_dates": [d.isoformat() for d in sorted(excluded)],
    }
    return season, [d for d in days if d not in excluded]


@st.composite
def _rules(draw: st.DrawFn) -> Data:
    ban_start = draw(_minutes(0, 10 * 60))
    ban_end = draw(_minutes(ban_start + 15, 24 * 60))
    work = draw(st.sampled_from([60, 120, 180, 240, 270, 360, 600, 1440]))
    return {
        "max_visits": draw(st.integers(1, 4)),
        "min_gap_days": draw(st.integers(0, 30)),
        "max_screenings_per_stop": draw(st.integers(1, 4)),
        "screening_gap_min": draw(st.sampled_from([0, 5, 15, 30, 60, 120])),
        "slot_min": draw(st.none() | st.integers(20, 240)),
        "silence_start": clock(draw(_minutes(19 * 60, 26 * 60))),
        "silence_end": clock(draw(_minutes(5 * 60, 10 * 60))),
        "ttk_ban_start": clock(ban_start),
        "ttk_ban_end": clock(ban_end),
        "late_rating": draw(st.sampled_from(RATINGS)),
        "late_rating_after": clock(draw(_minutes(17 * 60, 23 * 60))),
        "break_min": draw(st.sampled_from([1, 15, 30, 45, 60, 120])),
        "max_work_before_break_min": work,
        "screening_is_driver_rest": draw(st.booleans()),
        "repeat_visit_factor": draw(st.sampled_from([0.0, 0.3, 0.6, 1.0])),
        "second_screening_factor": draw(st.sampled_from([0.0, 0.5, 1.0])),
        "travel_cost_per_hour": draw(st.sampled_from([0.0, 30.0, 500.0])),
        "okrug_share_target": draw(st.sampled_from([0.0, 0.5, 1.0])),
        "okrug_bonus": draw(st.sampled_from([0.0, 0.3, 10.0])),
        "window_days": draw(st.integers(1, 7)),
    }


def _place(draw: st.DrawFn) -> tuple[float, float]:
    lat = draw(st.floats(*LAT, allow_nan=False))
    lon = draw(st.floats(*LON, allow_nan=False))
    return round(lat, 5), round(lon, 5)


@st.composite
def _truck(draw: st.DrawFn, index: int, days: list[date]) -> Data:
    lat, lon = DEMO_DEPOT if draw(st.booleans()) else _place(draw)
    shift_start = draw(_minutes(0, 20 * 60))
    shift_end = min(shift_start + draw(_minutes(4 * 60, 18 * 60)), 36 * 60)
    truck: Data = {
        "id": f"t{index}",
        "name": f"Truck {index}",
        "depot": {"lat": lat, "lon": lon, "name": f"depot {index}"},
        "screen": draw(st.sampled_from(["led", "projector"])),
        "shift": _window(shift_start, shift_end),
        "max_shift_min": draw(st.sampled_from([120, 360, 600, 720, 1440])),
        "setup_min": draw(st.sampled_from([0, 15, 60, 120])),
        "teardown_min": draw(st.sampled_from([0, 30, 90])),
        "has_ttk_pass": draw(st.booleans()),
    }
    available = _subset(draw, days, allow_empty=True)
    if available is not None:
        truck["available_dates"] = available
    rules = []
    for weekdays, dates in _day_rule_days(draw, days):
        start = draw(_minutes(0, 20 * 60))
        rule: Data = {"shift": _window(start, min(start + draw(_minutes(60, 18 * 60)), 36 * 60))}
        rule.update(_named(weekdays, dates))
        if draw(st.booleans()):
            rule["max_shift_min"] = draw(st.sampled_from([60, 240, 600, 1440]))
        rules.append(rule)
    if rules:
        truck["day_shifts"] = rules
    return truck


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _day_rule_days(draw: st.DrawFn, days: list[date]) -> list[tuple[list[str], list[str]]]:
    """0-2 day rules' days: weekdays and dates, each named by at most one rule (a date
    sometimes outside the season)."""
    weekdays = list(WEEKDAYS)
    dates = [*days, days[-1] + timedelta(days=3)]
    found = []
    for _ in range(draw(st.integers(0, 2))):
        chosen_w = draw(st.lists(st.sampled_from(weekdays), unique=True, max_size=2))
        chosen_d = draw(st.lists(st.sampled_from(dates), unique=True, max_size=2))
        if not chosen_w and not chosen_d:
            continue
        weekdays = [w for w in weekdays if w not in chosen_w]
        dates = [d for d in dates if d not in chosen_d]
        found.append((chosen_w, [d.isoformat() for d in chosen_d]))
        if not weekdays or not dates:
            break
    return found


def _named(weekdays: list[str], dates: list[str]) -> Data:
    rule: Data = {}
    if weekdays:
        rule["weekdays"] = weekdays
    if dates:
        rule["dates"] = dates
    return rule


@st.composite
def _venue(
    draw: st.DrawFn,
    index: int,
    days: list[date],
    places: list[tuple[float, float]],
    film_ids: list[str],
) -> Data:
    kind = draw(st.integers(0, 5))
    lat, lon = draw(st.sampled_from(places)) if kind == 0 and places else _place(draw)
    hours = draw(st.lists(_windows(0, 23 * 60, 36 * 60), min_size=1, max_size=3))
    venue: Data = {
        "id": f"v{index}",
        "name": f"Venue {index}",
        "okrug": draw(st.sampled_from(OKRUGS)),
        "lat": lat,
        "lon": lon,
        "audience_seats": draw(st.sampled_from([1, 50, 200, 1000, 100_000])),
        "priority": draw(st.sampled_from([0.1, 1.0, 2.5, 100.0])),
        "hours": hours,
        "residential": draw(st.booleans()),
        "inside_ttk": draw(st.booleans()),
        "max_rating": draw(st.sampled_from(RATINGS)),
        "excluded_film_ids": draw(st.lists(st.sampled_from(film_ids), unique=True, max_size=2)),
    }
    allowed = _subset(draw, days, allow_empty=True)
    if allowed is not None:
        venue["allowed_dates"] = allowed
    if draw(st.integers(0, 3)) == 0:
        venue["max_visits"] = draw(st.integers(0, 3))
    if draw(st.integers(0, 3)) == 0:
        venue["min_gap_days"] = draw(st.integers(0, 30))
    rules = []
    for weekdays, dates in _day_rule_days(draw, days):
        windows = draw(st.lists(_windows(0, 23 * 60, 36 * 60), max_size=2))
        rules.append({**_named(weekdays, dates), "windows": windows})
    if rules:
        venue["day_hours"] = rules
    return venue


@st.composite
def _film(draw: st.DrawFn, index: int, days: list[date]) -> Data:
    film: Data = {
        "id": f"f{index}",
        "title": f"Film {index}",
        "runtime_min": draw(st.integers(20, 200)),
        "rating": draw(st.sampled_from(RATINGS)),
    }
    paper = draw(st.integers(0, 5))
    if paper > 0:
        film["certificate"] = f"CERT-{index:04d}"
    if paper in (0, 1) and draw(st.booleans()):
        film["festival_exempt"] = True
    if draw(st.integers(0, 3)) == 0:
        first = days[0] + timedelta(days=draw(st.integers(-5, len(days) + 2)))
        film["licence_start"] = first.isoformat()
        if draw(st.booleans()):
            film["licence_end"] = (first + timedelta(days=draw(st.integers(0, 5)))).isoformat()
    if draw(st.integers(0, 3)) == 0:
        film["max_screenings"] = draw(st.integers(0, 5))
    return film


@st.composite
def scenarios(
    draw: st.DrawFn,
    max_trucks: int = 6,
    max_venues: int = 80,
    max_films: int = 8,
    max_days: int = 7,
) -> Data:
    """A random valid scenario dict (see the module docstring)."""
    season, days = draw(_season(max_days))
    films = [draw(_film(i, days)) for i in range(1, draw(st.integers(1, max_films)) + 1)]
    film_ids = [f["id"] for f in films]
    trucks = [draw(_truck(i, days)) for i in range(1, draw(st.integers(1, max_trucks)) + 1)]
    places = [(t["depot"]["lat"], t["depot"]["lon"]) for t in trucks]
    venues = []
    for i in range(1, draw(st.integers(1, max_venues)) + 1):
        venue = draw(_venue(i, days, places, film_ids))
        venues.append(venue)
        places.append((venue["lat"], venue["lon"]))
    return {
        "name": "generated",
        "season": season,
        "rules": draw(_rules()),
        "trucks": trucks,
        "venues": venues,
        "films": films,
    }


def tiny_scenario() -> Data:
    """One LED truck, two venues, two films, two July days: a plan with stops."""
    return {
        "name": "tiny",
        "season": {"start": "2026-07-01", "end": "2026-07-02"},
        "trucks": [
            {
                "id": "led-1",
                "name": "LED truck 1",
                "depot": {"lat": 55.70, "lon": 37.50},
                "screen": "led",
                "shift": {"start": "10:00", "end": "24:00"},
                "has_ttk_pass": True,
            }
        ],
        "venues": [
            {
                "id": "a",
                "name": "Park A",
                "okrug": "ЦАО",
                "lat": 55.73,
                "lon": 37.60,
                "audience_seats": 200,
            },
            {
                "id": "b",
                "name": "Park B",
                "okrug": "ЗАО",
                "lat": 55.71,
                "lon": 37.45,
                "audience_seats": 150,
            },
        ],
        "films": [
            {"id": "one", "title": "One", "runtime_min": 90, "rating": "0+", "certificate": "C-1"},
            {"id": "two", "title": "Two", "runtime_min": 100, "rating": "6+", "certificate": "C-2"},
        ],
    }
