"""The built-in Moscow demo season, and a seeded generator of large benchmark problems.

The demo reads ``data/moscow_venues.csv`` (60 real parks and squares in all 12 okrugs, plus the
depot row) and ``data/films.csv`` (30 real films; certificate numbers are demo placeholders, not
registry numbers). Venue attributes that the CSV does not hold are derived by fixed rules:

- ``audience_seats`` by kind: estate 300; park, town_centre 250; embankment, forest_park,
  settlement 200; garden, square 150.
- ``priority`` = base by kind (park, estate, town_centre 1.5; embankment, garden, settlement 1.2;
  square, forest_park 1.0), +1.0 for a real 2025 kinotruck stop (ids 1, 2, 19, 22), +0.5 for a
  park in the central okrug (ЦАО); capped at 3.0.
- ``residential`` (housing within earshot, so the silence law applies): square, garden,
  embankment, town_centre, settlement. Large parks, forest parks and estates: the screen can
  stand far from housing.
- ``hours``: 10:00–23:00 where residential, 10:00–00:30 (24:30) elsewhere: open-air
  cinemas in large parks run past midnight, and a projector needs the time after dusk.
- ``max_rating``: square 6 (neighbourhood squares with playgrounds), garden 12, otherwise 18.
- ``inside_ttk``: the point lies inside ``TTK_POLYGON``, an approximate outline of the Third
  Ring Road (16 vertices from memory of its route, good to a few hundred metres; not surveyed).

Trucks: two LED trucks (shift 10:00–24:00) and one projector truck (14:00–02:00), each at most
12 h a day, setup 60 min, teardown 30 min; only LED truck 1 holds a TTK pass; all based at the
depot row (Kinopark Moskino, Krasnaya Pakhra).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta
from importlib import resources
from random import Random

from scheduler.domain import (
    DayWindow,
    Film,
    Location,
    Problem,
    Rules,
    ScreenType,
    Truck,
    Venue,
)
from scheduler.errors import InvalidProblem

__all__ = [
    "DEMO_NAME",
    "OKRUG_CENTRES",
    "TTK_POLYGON",
    "demo_films",
    "demo_problem",
    "demo_venues",
    "generate_problem",
    "inside_ttk",
    "nearest_okrug",
]

DEMO_NAME = "Moscow demo, July 2026"

KINOTRUCK_2025_STOPS = frozenset({"1", "2", "19", "22"})
"""Venue ids where the real kinotruck stopped in August 2025 (the depot row 61 is the fifth)."""

SEATS_BY_KIND: Mapping[str, int] = {
    "estate": 300,
    "park": 250,
    "town_centre": 250,
    "embankment": 200,
    "forest_park": 200,
    "settlement": 200,
    "garden": 150,
    "square": 150,
}
PRIORITY_BY_KIND: Mapping[str, float] = {
    "park": 1.5,
    "estate": 1.5,
    "town_centre": 1.5,
    "embankment": 1.2,
    "garden": 1.2,
    "settlement": 1.2,
    "square": 1.0,
    "forest_park": 1.0,
}
RESIDENTIAL_KINDS = frozenset({"square", "garden", "embankment", "town_centre", "settlement"})
MAX_RATING_BY_KIND: Mapping[str, int] = {"square": 6, "garden": 12}

RESIDENTIAL_HOURS = (DayWindow(10 * 60, 23 * 60),)
OPEN_HOURS = (DayWindow(10 * 60, 24 * 60 + 30),)

TTK_POLYGON: tuple[Location, ...] = (
    Location(55.7940, 37.5870),  # Savyolovsky station, Sushchevsky Val
    Location(55.7950, 37.6330),  # Rizhskaya
    Location(55.7880, 37.6660),  # Rusakovskaya overpass
    Location(55.7700, 37.6920),  # Lefortovo tunnel
    Location(55.7520, 37.7140),  # Entuziastov highway
    Location(55.7330, 37.7020),  # Nizhegorodskaya
    Location(55.7180, 37.6780),  # Dubrovka
    Location(55.7080, 37.6560),  # Avtozavodsky bridge
    Location(55.7080, 37.6220),  # Tulskaya
    Location(55.7070, 37.5860),  # Gagarin square
    Location(55.7150, 37.5700),  # Novoandreyevsky bridge
    Location(55.7300, 37.5620),  # Berezhkovsky bridge
    Location(55.7430, 37.5570),  # Kievsky station
    Location(55.7490, 37.5400),  # Moscow-City river crossing
    Location(55.7730, 37.5480),  # Begovaya
    Location(55.7860, 37.5650),  # Nizhnyaya Maslovka
)
"""The Third Ring Road (TTK) as an approximate polygon, clockwise from the north."""

OKRUG_CENTRES: Mapping[str, Location] = {
    "ЦАО": Location(55.752, 37.618),
    "САО": Location(55.838, 37.525),
    "СВАО": Location(55.855, 37.633),
    "ВАО": Location(55.787, 37.775),
    "ЮВАО": Location(55.692, 37.754),
    "ЮАО": Location(55.640, 37.666),
    "ЮЗАО": Location(55.663, 37.548),
    "ЗАО": Location(55.711, 37.443),
    "СЗАО": Location(55.829, 37.451),
    "ЗелАО": Location(55.988, 37.181),
    "НАО": Location(55.560, 37.420),
    "ТАО": Location(55.420, 37.220),
}
"""Approximate centres of Moscow's 12 okrugs; a generated venue takes the nearest."""

LON_SCALE = 0.563
"""cos(55.75°): a degree of longitude is this fraction of a degree of latitude in Moscow."""


def inside_ttk(point: Location, polygon: Sequence[Location] = TTK_POLYGON) -> bool:
    """True when ``point`` lies inside ``polygon`` (even-odd ray casting)."""
    inside = False
    for a, b in zip(polygon, [*polygon[1:], polygon[0]], strict=True):
        if (a.lat > point.lat) != (b.lat > point.lat):
            crossing = a.lon + (point.lat - a.lat) * (b.lon - a.lon) / (b.lat - a.lat)
            if point.lon < crossing:
                inside = not inside
    return inside


def _read_csv(name: str) -> list[dict[str, str]]:
    text = (resources.files("scheduler") / "data" / name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _optional_date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def _film(row: Mapping[str, str]) -> Film:
    return Film(
        id=row["id"],
        title=row["title"],
        runtime_min=int(row["runtime_min"]),
        rating=int(row["rating"].removesuffix("+")),
        licence_start=_optional_date(row["licence_start"]),
        licence_end=_optional_date(row["licence_end"]),
        certificate=row["certificate"] or None,
        festival_exempt=row["festival_exempt"] == "true",
        max_screenings=int(row["max_screenings"]) if row["max_screenings"] else None,
    )


def demo_films() -> tuple[Film, ...]:
    """The demo films from ``data/films.csv``."""
    return tuple(_film(row) for row in _read_csv("films.csv"))


def _priority(venue_id: str, kind: str, okrug: str) -> float:
    priority = PRIORITY_BY_KIND.get(kind, 1.0)
    if venue_id in KINOTRUCK_2025_STOPS:
        priority += 1.0
    if okrug == "ЦАО" and kind == "park":
        priority += 0.5
    return min(round(priority, 2), 3.0)


def _demo_venue(row: Mapping[str, str]) -> Venue:
    kind = row["kind"]
    location = Location(float(row["lat"]), float(row["lon"]))
    residential = kind in RESIDENTIAL_KINDS
    return Venue(
        id=row["id"],
        name=row["name_ru"],
        location=location,
        okrug=row["okrug"],
        district=row["district"],
        kind=kind,
        audience_seats=SEATS_BY_KIND.get(kind, 200),
        priority=_priority(row["id"], kind, row["okrug"]),
        hours=RESIDENTIAL_HOURS if residential else OPEN_HOURS,
        residential=residential,
        inside_ttk=inside_ttk(location),
        max_rating=MAX_RATING_BY_KIND.get(kind, 18),
        source=row["source"],
        address=f"Москва, {row['okrug']}, {row['district']}: {row['name_ru']}",
    )


def _depot_row() -> dict[str, str]:
    return next(row for row in _read_csv("moscow_venues.csv") if row["kind"] == "depot")


def demo_venues() -> tuple[Venue, ...]:
    """The 60 demo venues (the depot row is left out)."""
    rows = _read_csv("moscow_venues.csv")
    return tuple(_demo_venue(row) for row in rows if row["kind"] != "depot")


def _truck(truck_id: str, name: str, screen: ScreenType, depot: Mapping[str, str]) -> Truck:
    shift = DayWindow(10 * 60, 24 * 60) if screen is ScreenType.LED else DayWindow(14 * 60, 26 * 60)
    return Truck(
        id=truck_id,
        name=name,
        depot=Location(float(depot["lat"]), float(depot["lon"])),
        depot_name=depot["name_en"].removesuffix(" — depot"),
        screen=screen,
        shift=shift,
        max_shift_min=12 * 60,
        setup_min=60,
        teardown_min=30,
        has_ttk_pass=False,
    )


def _season(start: date, days: int) -> tuple[date, ...]:
    if days < 1:
        raise InvalidProblem([("days", f"a season needs at least one day, not {days}")])
    return tuple(start + timedelta(days=i) for i in range(days))


def demo_problem(days: int = 14, start: date = date(2026, 7, 1)) -> Problem:
    """The built-in Moscow demo: 60 venues, 3 trucks, 30 films, ``days`` days from ``start``."""
    depot = _depot_row()
    trucks = (
        replace(_truck("led-1", "LED truck 1", ScreenType.LED, depot), has_ttk_pass=True),
        _truck("led-2", "LED truck 2", ScreenType.LED, depot),
        _truck("projector-1", "Projector truck 1", ScreenType.PROJECTOR, depot),
    )
    return Problem(
        name=DEMO_NAME,
        days=_season(start, days),
        venues=demo_venues(),
        trucks=trucks,
        films=demo_films(),
        rules=Rules(),
    )


# --- the seeded generator -------------------------------------------------------------

GENERATED_KINDS = ("park", "square", "garden", "embankment", "estate", "forest_park")
MOSCOW_LAT = (55.55, 55.92)
MOSCOW_LON = (37.35, 37.85)


def nearest_okrug(point: Location) -> str:
    """The okrug whose centre in ``OKRUG_CENTRES`` is nearest to ``point``."""

    def distance(centre: Location) -> float:
        return (centre.lat - point.lat) ** 2 + ((centre.lon - point.lon) * LON_SCALE) ** 2

    return min(OKRUG_CENTRES, key=lambda okrug: distance(OKRUG_CENTRES[okrug]))


def _allowed_dates(rng: Random, days: tuple[date, ...]) -> frozenset[date] | None:
    """A quarter of venues open on some days only: weekends (Fri–Sun) or a random third."""
    draw = rng.random()
    if draw >= 0.25:
        return None
    weekends = frozenset(day for day in days if day.weekday() >= 4)
    if draw < 0.125 and weekends:
        return weekends
    return frozenset(rng.sample(days, max(1, len(days) // 3)))


def _generated_venue(rng: Random, index: int, days: tuple[date, ...], seed: int) -> Venue:
    location = Location(round(rng.uniform(*MOSCOW_LAT), 5), round(rng.uniform(*MOSCOW_LON), 5))
    okrug = nearest_okrug(location)
    residential = rng.random() < 0.6
    return Venue(
        id=f"g{index:04d}",
        name=f"Площадка {index} ({okrug})",
        location=location,
        okrug=okrug,
        kind=rng.choice(GENERATED_KINDS),
        audience_seats=rng.randrange(150, 301, 10),
        priority=round(rng.uniform(1.0, 3.0), 1),
        hours=RESIDENTIAL_HOURS if residential else OPEN_HOURS,
        allowed_dates=_allowed_dates(rng, days),
        residential=residential,
        inside_ttk=inside_ttk(location),
        max_rating=rng.choices((18, 12, 6), weights=(6, 2, 2))[0],
        source=f"generated (seed {seed})",
    )


def _days_off(rng: Random, days: tuple[date, ...]) -> frozenset[date] | None:
    """One random day off in every full week of the season."""
    weeks = [days[i : i + 7] for i in range(0, len(days), 7)]
    off = {week[rng.randrange(7)] for week in weeks if len(week) == 7}
    return frozenset(days) - off if off else None


def _generated_truck(
    rng: Random, index: int, days: tuple[date, ...], depot: Mapping[str, str]
) -> Truck:
    """Truck ``index`` (from 0); three in ten, spread evenly, carry a projector."""
    projector = (index + 1) * 3 // 10 > index * 3 // 10
    screen = ScreenType.PROJECTOR if projector else ScreenType.LED
    truck = _truck(f"t{index + 1:02d}", f"Truck {index + 1} ({screen.value})", screen, depot)
    return replace(truck, available_dates=_days_off(rng, days))


def generate_problem(
    seed: int,
    days: int = 90,
    trucks: int = 10,
    venues: int = 600,
    start: date = date(2026, 6, 1),
) -> Problem:
    """A seeded random Moscow-sized problem for benchmarks (same seed, same problem)."""
    rng = Random(seed)
    season = _season(start, days)
    depot = _depot_row()
    return Problem(
        name=f"Generated Moscow season (seed {seed})",
        days=season,
        venues=tuple(_generated_venue(rng, i + 1, season, seed) for i in range(venues)),
        trucks=tuple(_generated_truck(rng, i, season, depot) for i in range(trucks)),
        films=demo_films(),
        rules=Rules(),
    )
