"""Exports of a finished plan: iCalendar feeds, CSV tables, GeoJSON and the driver's run sheet.

Every function here is a pure function of ``(Problem, Plan)`` plus a few small options; none
calls the solver. Times are shown in the season's timezone (``problem.rules.timezone``) whatever
offset the plan's datetimes carry.

- ``ical_truck``: a driver's calendar, one event per stop and one per declared break;
- ``ical_venue``: a venue host's calendar, one event per screening at that venue;
- ``ical_public``: the audience calendar, every screening (optionally one okrug, a date range);
- ``stops_csv`` / ``screenings_csv``: spreadsheets, one row per stop / per screening (text
  that a spreadsheet would run as a formula gets a leading apostrophe);
- ``plan_geojson``: stops, routes and depots for a map (RFC 7946, ``[lon, lat]``);
- ``run_sheet_html``: the printable page a driver carries for one day.

Calendar UIDs are built from stable ids (day, truck, venue, position of the screening in its
stop), never from a plan version, so a calendar client updates its events in place when a plan
is re-published.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from icalendar import Calendar, Event, Timezone

from scheduler.domain import (
    Film,
    Plan,
    Problem,
    Route,
    Screening,
    Stop,
    Truck,
    Venue,
    rating_label,
)
from scheduler.errors import InvalidProblem, NotFound

__all__ = [
    "CSV_BOM",
    "LANGUAGES",
    "PRODID",
    "UID_DOMAIN",
    "ical_public",
    "ical_truck",
    "ical_venue",
    "plan_geojson",
    "run_sheet_html",
    "screenings_csv",
    "stops_csv",
]

PRODID = "-//Kinotruck Scheduler//RU"
"""The iCalendar product identifier of every feed."""

UID_DOMAIN = "kinotruck.moscow"
"""The right-hand side of every event UID."""

CSV_BOM = "\ufeff"
"""The UTF-8 byte order mark; Excel needs it to read a CSV file as UTF-8 (``bom=True``)."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""How a text cell that a spreadsheet would run as a formula starts (CSV injection): such
cells get a leading apostrophe."""

TEMPLATES = Path(__file__).resolve().parent / "web" / "templates"

STOPS_COLUMNS = (
    "day",
    "truck_id",
    "truck_name",
    "position",
    "venue_id",
    "venue_name",
    "okrug",
    "address",
    "lat",
    "lon",
    "arrival",
    "setup_start",
    "first_screening",
    "departure",
    "screenings",
    "films",
)
SCREENINGS_COLUMNS = (
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
)

# --- shared helpers --------------------------------------------------------------------


def _truck(problem: Problem, truck_id: str) -> Truck:
    try:
        return problem.truck(truck_id)
    except KeyError:
        known = ", ".join(truck.id for truck in problem.trucks)
        raise NotFound(f"no truck with id '{truck_id}' (trucks: {known})") from None


def _venue(problem: Problem, venue_id: str) -> Venue:
    try:
        return problem.venue(venue_id)
    except KeyError:
        raise NotFound(f"no venue with id '{venue_id}'") from None


def _film(problem: Problem, film_id: str) -> Film:
    try:
        return problem.film(film_id)
    except KeyError:
        raise NotFound(f"no film with id '{film_id}'") from None


def _routes(problem: Problem, plan: Plan) -> list[Route]:
    """The plan's routes by day, then in the order the problem lists its trucks."""
    order = {truck.id: i for i, truck in enumerate(problem.trucks)}
    return sorted(plan.routes, key=lambda r: (r.day, order.get(r.truck_id, len(order)), r.truck_id))


def _local(problem: Problem, moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(problem.rules.timezone))


def _iso(problem: Problem, moment: datetime) -> str:
    return _local(problem, moment).isoformat(timespec="seconds")


def _minutes(span: timedelta) -> int:
    return round(span / timedelta(minutes=1))


def _teardown_start(stop: Stop) -> datetime | None:
    return stop.screenings[-1].end if stop.screenings else None


def _screenings_ru(count: int) -> str:
    """``1 сеанс``, ``3 сеанса``, ``5 сеансов``: the Russian plural."""
    if count % 10 == 1 and count % 100 != 11:
        word = "сеанс"
    elif 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
        word = "сеанса"
    else:
        word = "сеансов"
    return f"{count} {word}"


# --- iCalendar --------------------------------------------------------------------------


def _uid(*parts: object) -> str:
    return "-".join(str(part) for part in parts) + f"@{UID_DOMAIN}"


def _calendar(problem: Problem, name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", problem.rules.timezone)
    return calendar


def _finish(problem: Problem, calendar: Calendar, events: Iterable[Event]) -> bytes:
    """Add the events (UIDs made unique), the season's VTIMEZONE, and serialise."""
    seen: set[str] = set()
    for event in events:
        uid = str(event["UID"])
        if uid in seen:  # a venue visited twice by one truck on one day: keep UIDs unique
            base, _, domain = uid.partition("@")
            n = 2
            while f"{base}-{n}@{domain}" in seen:
                n += 1
            uid = f"{base}-{n}@{domain}"
            event["UID"] = uid
        seen.add(uid)
        calendar.add_component(event)
    first, last = date(1970, 1, 1), date(2038, 1, 1)  # icalendar's defaults
    if problem.days:
        first, last = date(min(problem.days).year, 1, 1), date(max(problem.days).year + 1, 12, 31)
    calendar.add_missing_timezones(first, last)
    if not calendar.timezones:  # an empty feed still says which timezone it speaks
        timezone = Timezone.from_tzid(problem.rules.timezone, first_date=first, last_date=last)
        calendar.subcomponents.insert(0, timezone)
    ical: bytes = calendar.to_ical()
    return ical


def _event(
    problem: Problem,
    uid: str,
    summary: str,
    start: datetime,
    end: datetime,
    stamp: datetime,
    *,
    description: str,
    venue: Venue | None = None,
    location: str | None = None,
) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", _local(problem, start))
    event.add("dtend", _local(problem, end))
    event.add("summary", summary)
    event.add("description", description)
    if venue is not None:
        event.add("location", location if location is not None else _address(venue))
        event.add("geo", (venue.location.lat, venue.location.lon))
    return event


def _stamp(stamp: datetime | None) -> datetime:
    if stamp is None:
        return datetime.now(UTC).replace(microsecond=0)
    if stamp.tzinfo is None:
        raise InvalidProblem([("stamp", "needs a timezone (e.g. UTC)")])
    return stamp.astimezone(UTC)


def _address(venue: Venue) -> str:
    return venue.address or venue.name


def _hhmm(problem: Problem, moment: datetime) -> str:
    return _local(problem, moment).strftime("%H:%M")


def _film_line(film: Film) -> str:
    return f"«{film.title}» ({rating_label(film.rating)})"


def _stop_description(problem: Problem, truck: Truck, venue: Venue, stop: Stop) -> str:
    def at(moment: datetime) -> str:
        return _hhmm(problem, moment)

    setup_end = stop.arrival + timedelta(minutes=truck.setup_min)
    lines = [f"Прибытие {at(stop.arrival)}", f"Монтаж {at(stop.arrival)}–{at(setup_end)}"]
    for show in stop.screenings:
        film = _film(problem, show.film_id)
        lines.append(f"Сеанс {at(show.start)}–{at(show.end)}: {_film_line(film)}")
    teardown = _teardown_start(stop)
    if teardown is not None:
        packed = teardown + timedelta(minutes=truck.teardown_min)
        lines.append(f"Демонтаж {at(teardown)}–{at(packed)}")
    lines.append(f"Отъезд {at(stop.departure)}")
    lines.append(f"Площадка: {venue.name} ({venue.okrug})")
    if venue.address:
        lines.append(f"Адрес: {venue.address}")
    lines.append(f"Координаты: {_coords(venue)}")
    return "\n".join(lines)


def _coords(venue: Venue) -> str:
    return f"{venue.location.lat:.5f}, {venue.location.lon:.5f}"


def ical_truck(
    problem: Problem,
    plan: Plan,
    truck_id: str,
    *,
    calendar_name: str | None = None,
    stamp: datetime | None = None,
) -> bytes:
    """The driver's calendar of one truck: one event per stop and one per declared break.

    A stop's event runs from arrival to departure; its description lists setup, every
    screening (time, film, rating) and teardown. ``stamp`` (DTSTAMP) defaults to now.
    Raises ``NotFound`` for an unknown ``truck_id``.
    """
    truck = _truck(problem, truck_id)
    moment = _stamp(stamp)
    calendar = _calendar(problem, calendar_name or f"Кинотрак: {truck.name}")
    events: list[Event] = []
    for route in _routes(problem, plan):
        if route.truck_id != truck.id:
            continue
        for stop in route.stops:
            venue = _venue(problem, stop.venue_id)
            events.append(
                _event(
                    problem,
                    _uid(route.day.isoformat(), truck.id, venue.id, "stop"),
                    f"{venue.name}: {_screenings_ru(len(stop.screenings))}",
                    stop.arrival,
                    stop.departure,
                    moment,
                    description=_stop_description(problem, truck, venue, stop),
                    venue=venue,
                )
            )
        for n, pause in enumerate(sorted(route.breaks, key=lambda b: b.start), start=1):
            minutes = _minutes(pause.end - pause.start)
            events.append(
                _event(
                    problem,
                    _uid(route.day.isoformat(), truck.id, "break", n),
                    "Перерыв водителя",
                    pause.start,
                    pause.end,
                    moment,
                    description=f"Перерыв водителя, {minutes} мин ({truck.name})",
                )
            )
    return _finish(problem, calendar, events)


def _screening_description(venue: Venue, film: Film, truck: Truck | None = None) -> str:
    lines = [
        f"Фильм: «{film.title}»",
        f"Возрастное ограничение: {rating_label(film.rating)}",
        f"Продолжительность: {film.runtime_min} мин",
        f"Площадка: {venue.name} ({venue.okrug})",
    ]
    if venue.address:
        lines.append(f"Адрес: {venue.address}")
    if truck is not None:
        lines.append(f"Кинотрак: {truck.name}")
    return "\n".join(lines)


def _screenings(
    problem: Problem, plan: Plan
) -> Iterator[tuple[Route, Stop, int, Screening, Venue, Film]]:
    """Every screening in day and truck order, with its 1-based position in its stop."""
    for route in _routes(problem, plan):
        for stop in route.stops:
            venue = _venue(problem, stop.venue_id)
            for n, show in enumerate(stop.screenings, start=1):
                yield route, stop, n, show, venue, _film(problem, show.film_id)


def ical_venue(
    problem: Problem,
    plan: Plan,
    venue_id: str,
    *,
    calendar_name: str | None = None,
    stamp: datetime | None = None,
) -> bytes:
    """The venue host's calendar: one event per screening at ``venue_id``.

    Raises ``NotFound`` for an unknown ``venue_id``; a venue without screenings gets an
    empty calendar.
    """
    venue = _venue(problem, venue_id)
    moment = _stamp(stamp)
    calendar = _calendar(problem, calendar_name or f"Кинотрак: {venue.name}")
    events = [
        _event(
            problem,
            _uid(route.day.isoformat(), route.truck_id, venue.id, n),
            f"Кинотрак: {film.title} ({rating_label(film.rating)})",
            show.start,
            show.end,
            moment,
            description=_screening_description(venue, film, _truck(problem, route.truck_id))
            + f"\nПрибытие кинотрака {_hhmm(problem, stop.arrival)}, "
            f"отъезд {_hhmm(problem, stop.departure)}",
            venue=venue,
        )
        for route, stop, n, show, at, film in _screenings(problem, plan)
        if at.id == venue.id
    ]
    return _finish(problem, calendar, events)


def _public_location(venue: Venue) -> str:
    """Venue name and address; the address alone when it already names the venue."""
    if not venue.address:
        return venue.name
    if venue.name in venue.address:
        return venue.address
    return f"{venue.name}, {venue.address}"


def ical_public(
    problem: Problem,
    plan: Plan,
    *,
    okrug: str | None = None,
    start: date | None = None,
    end: date | None = None,
    calendar_name: str | None = None,
    stamp: datetime | None = None,
) -> bytes:
    """The audience calendar: every screening, optionally of one okrug and a range of days.

    ``start`` and ``end`` are inclusive and compare with the route's day (a screening after
    midnight belongs to the evening it continues). An ``okrug`` no venue lies in raises
    ``NotFound``; ``end`` before ``start`` raises ``InvalidProblem``.
    """
    if okrug is not None and all(venue.okrug != okrug for venue in problem.venues):
        known = ", ".join(sorted({venue.okrug for venue in problem.venues}))
        raise NotFound(f"no venue lies in okrug '{okrug}' (okrugs: {known})")
    if start is not None and end is not None and end < start:
        raise InvalidProblem([("end", f"{end} is before start {start}")])
    moment = _stamp(stamp)
    name = calendar_name or ("Кинотрак" + (f": {okrug}" if okrug else ""))
    calendar = _calendar(problem, name)
    events = [
        _event(
            problem,
            _uid(route.day.isoformat(), route.truck_id, venue.id, n),
            f"Кинотрак: {film.title} ({rating_label(film.rating)})",
            show.start,
            show.end,
            moment,
            description=_screening_description(venue, film),
            venue=venue,
            location=_public_location(venue),
        )
        for route, _stop, n, show, venue, film in _screenings(problem, plan)
        if (okrug is None or venue.okrug == okrug)
        and (start is None or route.day >= start)
        and (end is None or route.day <= end)
    ]
    return _finish(problem, calendar, events)


# --- CSV --------------------------------------------------------------------------------


def _cell(value: object) -> object:
    """A text cell a spreadsheet would read as a formula, with an apostrophe in front (it
    then shows the text as typed); numbers and other text unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv(columns: tuple[str, ...], rows: Iterable[Mapping[str, object]], bom: bool) -> str:
    buffer = io.StringIO()
    if bom:
        buffer.write(CSV_BOM)
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows({column: _cell(value) for column, value in row.items()} for row in rows)
    return buffer.getvalue()


def stops_csv(problem: Problem, plan: Plan, *, bom: bool = False) -> str:
    """One row per stop, by day and truck, ``position`` counting from 1 in the route.

    Times are ISO 8601 with the offset of the season's timezone; ``films`` joins the titles
    with ``"; "``. ``bom=True`` starts the text with ``CSV_BOM`` for Excel.
    """

    def rows() -> Iterator[dict[str, object]]:
        for route in _routes(problem, plan):
            truck = _truck(problem, route.truck_id)
            for position, stop in enumerate(route.stops, start=1):
                venue = _venue(problem, stop.venue_id)
                films = [_film(problem, show.film_id).title for show in stop.screenings]
                first = stop.screenings[0].start if stop.screenings else None
                yield {
                    "day": route.day.isoformat(),
                    "truck_id": truck.id,
                    "truck_name": truck.name,
                    "position": position,
                    "venue_id": venue.id,
                    "venue_name": venue.name,
                    "okrug": venue.okrug,
                    "address": venue.address,
                    "lat": venue.location.lat,
                    "lon": venue.location.lon,
                    "arrival": _iso(problem, stop.arrival),
                    "setup_start": _iso(problem, stop.arrival),
                    "first_screening": _iso(problem, first) if first else "",
                    "departure": _iso(problem, stop.departure),
                    "screenings": len(stop.screenings),
                    "films": "; ".join(films),
                }

    return _csv(STOPS_COLUMNS, rows(), bom)


def screenings_csv(problem: Problem, plan: Plan, *, bom: bool = False) -> str:
    """One row per screening, by day and truck; ``rating`` as shown to audiences (``12+``)."""
    rows = (
        {
            "day": route.day.isoformat(),
            "truck_id": route.truck_id,
            "venue_id": venue.id,
            "venue_name": venue.name,
            "okrug": venue.okrug,
            "film_id": film.id,
            "film_title": film.title,
            "rating": rating_label(film.rating),
            "start": _iso(problem, show.start),
            "end": _iso(problem, show.end),
        }
        for route, _stop, _n, show, venue, film in _screenings(problem, plan)
    )
    return _csv(SCREENINGS_COLUMNS, rows, bom)


# --- GeoJSON ----------------------------------------------------------------------------


def _position(lat: float, lon: float) -> list[float]:
    """A GeoJSON position: ``[lon, lat]``, 6 decimals (about 0.1 m, RFC 7946 section 11.2)."""
    return [round(lon, 6), round(lat, 6)]


def plan_geojson(problem: Problem, plan: Plan) -> dict[str, Any]:
    """The plan as a GeoJSON FeatureCollection (RFC 7946; coordinates are ``[lon, lat]``).

    Features, each with a ``kind`` property: ``"depot"`` (a Point per distinct depot, with the
    trucks based there), ``"route"`` (a LineString depot -> stops -> depot per truck-day with
    at least one stop) and ``"stop"`` (a Point per stop, with its screenings). Times are
    ISO 8601 strings, so the result passes ``json.dumps`` as is.
    """
    depots: dict[tuple[str, float, float], list[str]] = {}
    for truck in problem.trucks:
        key = (truck.depot_name, truck.depot.lat, truck.depot.lon)
        depots.setdefault(key, []).append(truck.id)
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": _position(lat, lon)},
            "properties": {"kind": "depot", "name": name, "truck_ids": truck_ids},
        }
        for (name, lat, lon), truck_ids in depots.items()
    ]
    stops: list[dict[str, Any]] = []
    for route in _routes(problem, plan):
        truck = _truck(problem, route.truck_id)
        depot = _position(truck.depot.lat, truck.depot.lon)
        line = [depot]
        for position, stop in enumerate(route.stops, start=1):
            venue = _venue(problem, stop.venue_id)
            point = _position(venue.location.lat, venue.location.lon)
            line.append(point)
            screenings = [
                {
                    "film_id": film.id,
                    "title": film.title,
                    "rating": rating_label(film.rating),
                    "start": _iso(problem, show.start),
                    "end": _iso(problem, show.end),
                }
                for show in stop.screenings
                for film in (_film(problem, show.film_id),)
            ]
            properties = {
                "kind": "stop",
                "truck_id": truck.id,
                "day": route.day.isoformat(),
                "position": position,
                "venue_id": venue.id,
                "name": venue.name,
                "okrug": venue.okrug,
                "address": venue.address,
                "arrival": _iso(problem, stop.arrival),
                "departure": _iso(problem, stop.departure),
                "screenings": screenings,
            }
            stops.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": point},
                    "properties": properties,
                }
            )
        if route.stops:
            line.append(depot)
            properties = {
                "kind": "route",
                "truck_id": truck.id,
                "truck_name": truck.name,
                "day": route.day.isoformat(),
                "stops": len(route.stops),
                "depot_departure": _iso(problem, route.depot_departure),
                "depot_return": _iso(problem, route.depot_return),
            }
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": line},
                    "properties": properties,
                }
            )
    features.extend(stops)
    return {"type": "FeatureCollection", "features": features}


# --- the run sheet ----------------------------------------------------------------------

_MONTHS_RU = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
_WEEKDAYS_RU = ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье")
_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_LABELS: dict[str, dict[str, str]] = {
    "ru": {
        "title": "Путевой лист",
        "truck": "Кинотрак",
        "screen": "Экран",
        "screen_led": "LED-экран",
        "screen_projector": "Проектор",
        "date": "Дата",
        "depot": "База",
        "depot_departure": "Выезд с базы",
        "depot_return": "Возвращение на базу",
        "position": "№",
        "arrival": "Прибытие",
        "setup": "Монтаж с",
        "screenings": "Сеансы",
        "teardown": "Демонтаж с",
        "departure": "Отъезд",
        "venue": "Площадка",
        "address": "Адрес",
        "coordinates": "Координаты",
        "break": "Перерыв водителя",
        "min": "мин",
        "hours": "ч",
        "no_stops": "В этот день остановок нет.",
        "totals": "Итого",
        "stops": "Остановок",
        "screening_count": "Сеансов",
        "driving": "В пути (между точками, без перерывов)",
        "breaks": "Перерывы",
        "shift": "Смена",
        "next_day": "(+1) — время следующих суток",
        "notes": "Заметки",
        "odometer": "Одометр: выезд ________ км, возвращение ________ км",
        "driver_signature": "Подпись водителя",
        "dispatcher_signature": "Подпись диспетчера",
        "printed_from": "Kinotruck Scheduler",
    },
    "en": {
        "title": "Run sheet",
        "truck": "Truck",
        "screen": "Screen",
        "screen_led": "LED screen",
        "screen_projector": "Projector",
        "date": "Date",
        "depot": "Depot",
        "depot_departure": "Leave depot",
        "depot_return": "Back at depot",
        "position": "#",
        "arrival": "Arrival",
        "setup": "Setup from",
        "screenings": "Screenings",
        "teardown": "Teardown from",
        "departure": "Departure",
        "venue": "Venue",
        "address": "Address",
        "coordinates": "Coordinates",
        "break": "Driver's break",
        "min": "min",
        "hours": "h",
        "no_stops": "No stops on this day.",
        "totals": "Totals",
        "stops": "Stops",
        "screening_count": "Screenings",
        "driving": "On the road (between stops, breaks excluded)",
        "breaks": "Breaks",
        "shift": "Shift",
        "next_day": "(+1) — time on the following day",
        "notes": "Notes",
        "odometer": "Odometer: out ________ km, back ________ km",
        "driver_signature": "Driver's signature",
        "dispatcher_signature": "Dispatcher's signature",
        "printed_from": "Kinotruck Scheduler",
    },
}

LANGUAGES: tuple[str, ...] = tuple(_LABELS)
"""The languages of the run sheet."""


@dataclass(frozen=True, slots=True)
class _SheetScreening:
    start: str
    end: str
    title: str
    rating: str


@dataclass(frozen=True, slots=True)
class _SheetRow:
    """A stop (``kind == "stop"``) or a declared break (``kind == "break"``) on the sheet."""

    kind: str
    start: str
    end: str
    minutes: int = 0
    position: int = 0
    setup: str = ""
    screenings: tuple[_SheetScreening, ...] = ()
    teardown: str = ""
    venue: str = ""
    address: str = ""
    coordinates: str = ""


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _long_date(day: date, lang: str) -> str:
    if lang == "ru":
        return f"{_WEEKDAYS_RU[day.weekday()]}, {day.day} {_MONTHS_RU[day.month - 1]} {day.year}"
    return f"{_WEEKDAYS_EN[day.weekday()]}, {day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def _duration(minutes: int, labels: dict[str, str]) -> str:
    hours, mins = divmod(minutes, 60)
    return (
        f"{hours} {labels['hours']} {mins:02d} {labels['min']}"
        if hours
        else f"{mins} {labels['min']}"
    )


def _overlap(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> timedelta:
    return max(timedelta(0), min(a[1], b[1]) - max(a[0], b[0]))


def _driving(route: Route) -> int:
    """Minutes between stops (depot legs included) minus the declared breaks in them."""
    marks = [route.depot_departure]
    for stop in route.stops:
        marks += [stop.arrival, stop.departure]
    marks.append(route.depot_return)
    legs = list(zip(marks[::2], marks[1::2], strict=True))
    total = sum((end - start for start, end in legs), timedelta(0))
    rests = sum(
        (_overlap(leg, (pause.start, pause.end)) for leg in legs for pause in route.breaks),
        timedelta(0),
    )
    return max(0, _minutes(total - rests))


def _sheet_rows(problem: Problem, route: Route) -> list[_SheetRow]:
    def clock(moment: datetime) -> str:
        local = _local(problem, moment)
        later = (local.date() - route.day).days
        return local.strftime("%H:%M") + (f" (+{later})" if later > 0 else "")

    items: list[tuple[datetime, int, _SheetRow]] = []
    for position, stop in enumerate(route.stops, start=1):
        venue = _venue(problem, stop.venue_id)
        screenings = tuple(
            _SheetScreening(
                clock(show.start), clock(show.end), film.title, rating_label(film.rating)
            )
            for show in stop.screenings
            for film in (_film(problem, show.film_id),)
        )
        teardown = _teardown_start(stop)
        row = _SheetRow(
            kind="stop",
            start=clock(stop.arrival),
            end=clock(stop.departure),
            position=position,
            setup=clock(stop.arrival),
            screenings=screenings,
            teardown=clock(teardown) if teardown else "",
            venue=venue.name,
            address=venue.address,
            coordinates=_coords(venue),
        )
        items.append((stop.arrival, 1, row))
    for pause in route.breaks:
        row = _SheetRow(
            kind="break",
            start=clock(pause.start),
            end=clock(pause.end),
            minutes=_minutes(pause.end - pause.start),
        )
        items.append((pause.start, 0, row))
    items.sort(key=lambda item: (item[0], item[1]))
    return [row for _, _, row in items]


def _route_of(plan: Plan, truck_id: str, day: date) -> Route | None:
    return next((r for r in plan.routes if r.truck_id == truck_id and r.day == day), None)


def run_sheet_html(
    problem: Problem, plan: Plan, truck_id: str, day: date, *, lang: str = "ru"
) -> str:
    """The printable run sheet of one truck on one day: a complete HTML5 document.

    Header (truck, screen, date, depot, depot departure and return), the stops in order with
    the declared breaks between them, totals, and room for notes and signatures. A day without
    a route gives a sheet that says so. ``lang`` is ``"ru"`` (default) or ``"en"``; every
    string from the data is HTML-escaped. Raises ``NotFound`` for an unknown ``truck_id`` and
    ``InvalidProblem`` for an unknown ``lang``.
    """
    if lang not in _LABELS:
        raise InvalidProblem([("lang", f"'{lang}' is not one of {', '.join(LANGUAGES)}")])
    truck = _truck(problem, truck_id)
    labels = _LABELS[lang]
    route = _route_of(plan, truck.id, day)
    rows = _sheet_rows(problem, route) if route is not None else []
    if route is not None and route.stops:
        local_out = _local(problem, route.depot_departure)
        local_back = _local(problem, route.depot_return)
        later = (local_back.date() - day).days
        departure = local_out.strftime("%H:%M")
        back = local_back.strftime("%H:%M") + (f" (+{later})" if later > 0 else "")
        shift = _duration(_minutes(route.depot_return - route.depot_departure), labels)
        driving = _duration(_driving(route), labels)
        breaks = _duration(sum(_minutes(b.end - b.start) for b in route.breaks), labels)
    else:
        departure = back = shift = driving = breaks = ""
    return (
        _environment()
        .get_template("run_sheet.html")
        .render(
            lang=lang,
            t=labels,
            truck_name=truck.name,
            screen=labels[f"screen_{truck.screen.value}"],
            long_date=_long_date(day, lang),
            iso_date=day.isoformat(),
            depot=truck.depot_name,
            depot_departure=departure,
            depot_return=back,
            rows=rows,
            has_stops=route is not None and bool(route.stops),
            stop_count=len(route.stops) if route else 0,
            screening_count=sum(len(s.screenings) for s in route.stops) if route else 0,
            driving=driving,
            breaks=breaks,
            shift=shift,
            next_day=any("(+" in text for text in (back, *(r.end for r in rows))),
        )
    )
