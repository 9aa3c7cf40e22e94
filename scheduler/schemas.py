"""Wire models (pydantic): the scenario and plan JSON file formats, and their mapping to
the domain. ``scheduler schema scenario|plan`` prints their JSON Schema; ``docs/formats.md``
explains them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)

from scheduler import domain as d
from scheduler.errors import InvalidProblem

__all__ = [
    "PlanFile",
    "ScenarioFile",
    "load_plan",
    "load_scenario",
    "named_field",
    "plan_from_file",
    "plan_to_file",
    "problem_from_scenario",
    "scenario_from_problem",
]

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_NAMED_FIELD = re.compile(r"^([a-z_]+(?:\[\d+\])?(?:\.[a-z_]+(?:\[\d+\])?)*): (.+)$")


def _parse_clock(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        minutes = value
    elif isinstance(value, str) and (match := _CLOCK.match(value.strip())):
        hours, mins = int(match.group(1)), int(match.group(2))
        if mins >= 60:
            raise ValueError(f"'{value}' is not a clock time HH:MM")
        minutes = hours * 60 + mins
    else:
        raise ValueError(f"'{value}' is not a clock time HH:MM (past midnight: 25:30)")
    if not 0 <= minutes <= 36 * 60:
        raise ValueError(f"'{value}' is outside 00:00..36:00")
    return minutes


def _format_clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _parse_rating(value: Any) -> int:
    text = str(value).strip().removesuffix("+")
    if not text.isdigit() or int(text) not in d.AGE_RATINGS:
        raise ValueError(f"'{value}' is not a Russian age rating (0+, 6+, 12+, 16+, 18+)")
    return int(text)


Clock = Annotated[
    int,
    BeforeValidator(_parse_clock),
    PlainSerializer(_format_clock, return_type=str),
    Field(json_schema_extra={"type": "string", "pattern": r"^\d{1,2}:\d{2}$"}),
]
"""Clock time 'HH:MM' from local midnight; values past 24:00 mean after midnight."""

Rating = Annotated[
    int,
    BeforeValidator(_parse_rating),
    PlainSerializer(d.rating_label, return_type=str),
    Field(json_schema_extra={"type": "string", "enum": [f"{r}+" for r in d.AGE_RATINGS]}),
]


def _parse_weekday(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 7:
        return value  # the domain's form (0 = Monday), as a clock takes minutes
    text = str(value).strip().lower()
    if text not in d.WEEKDAY_NAMES:
        raise ValueError(f"'{value}' is not a weekday ({', '.join(d.WEEKDAY_NAMES)})")
    return d.WEEKDAY_NAMES.index(text)


def _format_weekday(index: int) -> str:
    return d.WEEKDAY_NAMES[index]


Weekday = Annotated[
    int,
    BeforeValidator(_parse_weekday),
    PlainSerializer(_format_weekday, return_type=str),
    Field(json_schema_extra={"type": "string", "enum": list(d.WEEKDAY_NAMES)}),
]
"""A weekday name: mon, tue, wed, thu, fri, sat, sun."""

Id = Annotated[str, Field(min_length=1, max_length=100)]
Minutes = Annotated[int, Field(ge=0, le=24 * 60)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class WindowModel(_Model):
    """A clock window inside one day, e.g. ``{"start": "18:00", "end": "23:00"}``."""

    start: Clock
    end: Clock

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.end <= self.start:
            raise ValueError(
                f"the window ends ({_format_clock(self.end)}) before it starts "
                f"({_format_clock(self.start)}); write 25:00 for 01:00 after midnight"
            )
        return self


class PlaceModel(_Model):
    lat: float = Field(ge=-90, le=90, description="latitude, WGS84 degrees")
    lon: float = Field(ge=-180, le=180, description="longitude, WGS84 degrees")


class DepotModel(PlaceModel):
    name: str = "depot"


class _DayRuleModel(_Model):
    """The days a rule applies to: weekday names and dates (a date wins over a weekday)."""

    weekdays: list[Weekday] = Field(default_factory=list)
    dates: list[date] = Field(default_factory=list)

    @model_validator(mode="after")
    def _names_days(self) -> Self:
        if not self.weekdays and not self.dates:
            raise ValueError("weekdays: name at least one weekday or date")
        named: tuple[tuple[str, Sequence[int | date]], ...] = (
            ("weekdays", self.weekdays),
            ("dates", self.dates),
        )
        for name, values in named:
            for i, value in enumerate(values):
                if value in values[:i]:
                    raise ValueError(f"{name}[{i}]: {_day_text(value)} appears twice")
        return self


def _day_text(value: int | date) -> str:
    return value.isoformat() if isinstance(value, date) else d.WEEKDAY_NAMES[value]


class DayHoursModel(_DayRuleModel):
    """Opening hours on some weekdays and dates; ``windows: []`` closes the venue then."""

    windows: list[WindowModel]


class DayShiftModel(_DayRuleModel):
    """A truck's shift on some weekdays and dates."""

    shift: WindowModel
    max_shift_min: int | None = Field(default=None, gt=0, le=24 * 60)


def _overlapping_rules(field: str, rules: list[DayHoursModel] | list[DayShiftModel]) -> None:
    """Raise naming the first weekday or date that two rules of one list both name."""
    seen: dict[int | date, int] = {}
    for r, rule in enumerate(rules):
        days: list[tuple[str, int, int | date]] = [
            *(("weekdays", i, w) for i, w in enumerate(rule.weekdays)),
            *(("dates", i, x) for i, x in enumerate(rule.dates)),
        ]
        for name, i, day in days:
            if day in seen:
                raise ValueError(
                    f"{field}[{r}].{name}[{i}]: {_day_text(day)} is named by "
                    f"{field}[{seen[day]}] too"
                )
            seen[day] = r


class VenueModel(PlaceModel):
    id: Id
    name: str
    okrug: str
    district: str = ""
    kind: str = "park"
    audience_seats: int = Field(gt=0, le=100_000)
    priority: float = Field(default=1.0, gt=0, le=100)
    hours: list[WindowModel] = Field(
        default_factory=lambda: [WindowModel(start=10 * 60, end=23 * 60)], min_length=1
    )
    allowed_dates: list[date] | None = None
    residential: bool = True
    inside_ttk: bool = False
    max_rating: Rating = 18
    excluded_film_ids: list[Id] = Field(default_factory=list)
    max_visits: int | None = Field(default=None, ge=0)
    source: str = ""
    address: str = ""
    day_hours: list[DayHoursModel] = Field(default_factory=list)
    min_gap_days: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _day_hours_apart(self) -> Self:
        _overlapping_rules("day_hours", self.day_hours)
        return self


class TruckModel(_Model):
    id: Id
    name: str
    depot: DepotModel
    screen: d.ScreenType
    shift: WindowModel = WindowModel(start=12 * 60, end=24 * 60)
    max_shift_min: int = Field(default=12 * 60, gt=0, le=24 * 60)
    setup_min: Minutes = 60
    teardown_min: Minutes = 30
    has_ttk_pass: bool = False
    available_dates: list[date] | None = None
    day_shifts: list[DayShiftModel] = Field(default_factory=list)

    @model_validator(mode="after")
    def _day_shifts_apart(self) -> Self:
        _overlapping_rules("day_shifts", self.day_shifts)
        return self


class FilmModel(_Model):
    id: Id
    title: str
    runtime_min: int = Field(gt=0, le=600)
    rating: Rating
    licence_start: date | None = None
    licence_end: date | None = None
    certificate: str | None = None
    festival_exempt: bool = False
    max_screenings: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _licence_in_order(self) -> Self:
        if self.licence_start and self.licence_end and self.licence_end < self.licence_start:
            raise ValueError("licence_end is before licence_start")
        return self


class RulesModel(_Model):
    """Season rules; see ``domain.Rules`` for the meaning of each."""

    max_visits: int = Field(default=2, ge=1)
    min_gap_days: int = Field(default=5, ge=0)
    max_screenings_per_stop: int = Field(default=2, ge=1, le=4)
    screening_gap_min: Minutes = 30
    slot_min: int | None = Field(default=None, gt=0, le=600)
    silence_start: Clock = 23 * 60
    silence_end: Clock = 7 * 60
    ttk_ban_start: Clock = 6 * 60
    ttk_ban_end: Clock = 22 * 60
    late_rating: Rating = 16
    late_rating_after: Clock = 20 * 60
    break_min: int = Field(default=45, gt=0, le=600)
    max_work_before_break_min: int = Field(default=270, gt=0, le=24 * 60)
    screening_is_driver_rest: bool = True
    repeat_visit_factor: float = Field(default=0.6, ge=0, le=1)
    second_screening_factor: float = Field(default=0.5, ge=0, le=1)
    travel_cost_per_hour: float = Field(default=30.0, ge=0)
    okrug_share_target: float = Field(default=0.5, ge=0, le=1)
    okrug_bonus: float = Field(default=0.3, ge=0, le=10)
    window_days: int = Field(default=3, ge=1, le=14)
    timezone: str = "Europe/Moscow"
    drive_buffer_pct: float = Field(default=10.0, ge=0, le=100)
    arrival_margin_min: int = Field(default=5, ge=0, le=120)
    end_margin_min: int = Field(default=0, ge=0, le=120)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(f"'{value}' is not an IANA time zone such as Europe/Moscow") from None
        return value

    @model_validator(mode="after")
    def _windows_in_order(self) -> Self:
        if self.ttk_ban_end <= self.ttk_ban_start:
            raise ValueError("ttk_ban_end must come after ttk_ban_start")
        return self


class SeasonModel(_Model):
    start: date = Field(ge=date(2000, 1, 1), le=date(2199, 12, 31))
    end: date = Field(ge=date(2000, 1, 1), le=date(2199, 12, 31))
    excluded_dates: list[date] = Field(default_factory=list)

    @model_validator(mode="after")
    def _has_days(self) -> Self:
        if self.end < self.start:
            raise ValueError(f"the season ends ({self.end}) before it starts ({self.start})")
        if (self.end - self.start).days > 366:
            raise ValueError("a season spans at most 367 days; plan longer periods in parts")
        if not self.days():
            raise ValueError("the season has no days left after excluded_dates")
        return self

    def days(self) -> tuple[date, ...]:
        count = (self.end - self.start).days + 1
        excluded = set(self.excluded_dates)
        every = (self.start + timedelta(days=i) for i in range(count))
        return tuple(day for day in every if day not in excluded)


class ScenarioFile(_Model):
    """The scenario file: a season, its rules, trucks, venues and films."""

    name: str = "season"
    season: SeasonModel
    rules: RulesModel = RulesModel()
    trucks: list[TruckModel] = Field(min_length=1)
    venues: list[VenueModel] = Field(min_length=1)
    films: list[FilmModel] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> Self:
        for kind in ("trucks", "venues", "films"):
            seen: set[str] = set()
            for i, item in enumerate(getattr(self, kind)):
                if item.id in seen:
                    raise ValueError(f"{kind}[{i}].id: '{item.id}' appears twice")
                seen.add(item.id)
        film_ids = {film.id for film in self.films}
        for i, venue in enumerate(self.venues):
            for film_id in venue.excluded_film_ids:
                if film_id not in film_ids:
                    raise ValueError(f"venues[{i}].excluded_film_ids: unknown film id '{film_id}'")
        return self


class ScreeningModel(_Model):
    film_id: Id
    start: AwareDatetime
    end: AwareDatetime


class StopModel(_Model):
    venue_id: Id
    arrival: AwareDatetime
    departure: AwareDatetime
    screenings: list[ScreeningModel]


class BreakModel(_Model):
    start: AwareDatetime
    end: AwareDatetime


class RouteModel(_Model):
    truck_id: Id
    day: date
    depot_departure: AwareDatetime
    depot_return: AwareDatetime
    stops: list[StopModel]
    breaks: list[BreakModel] = Field(default_factory=list)


class UnservedModel(_Model):
    venue_id: Id
    reason: d.UnservedReason
    message: str


class StatsModel(_Model):
    screenings: int = 0
    stops: int = 0
    served_venues: int = 0
    travel_min: float = 0.0
    value: float = 0.0
    solve_s: float = 0.0
    bound: float | None = None
    gap_pct: float | None = None


class PlanFile(_Model):
    """The plan file: routes per truck and day, and the unserved venues with reasons."""

    scenario: str = ""
    objective: float
    stats: StatsModel = StatsModel()
    routes: list[RouteModel]
    unserved: list[UnservedModel] = Field(default_factory=list)


# --- mapping to and from the domain ---------------------------------------------------


_RULE_NAMES = {
    name: f"{name}_min"
    for name in (
        "silence_start",
        "silence_end",
        "ttk_ban_start",
        "ttk_ban_end",
        "late_rating_after",
    )
}
"""Clock-time rules: file name -> domain name (the domain says its unit)."""


def _dates(values: list[date] | None) -> frozenset[date] | None:
    return None if values is None else frozenset(values)


def _window(model: WindowModel) -> d.DayWindow:
    return d.DayWindow(model.start, model.end)


def _window_model(window: d.DayWindow) -> WindowModel:
    return WindowModel(start=window.start_min, end=window.end_min)


def _day_hours(model: DayHoursModel) -> d.DayHours:
    windows = tuple(_window(w) for w in model.windows)
    return d.DayHours(windows, frozenset(model.weekdays), frozenset(model.dates))


def _day_shift(model: DayShiftModel) -> d.DayShift:
    days = frozenset(model.weekdays), frozenset(model.dates)
    return d.DayShift(_window(model.shift), *days, max_shift_min=model.max_shift_min)


def _day_hours_model(rule: d.DayHours) -> DayHoursModel:
    return DayHoursModel(
        weekdays=sorted(rule.weekdays),
        dates=sorted(rule.dates),
        windows=[_window_model(w) for w in rule.windows],
    )


def _day_shift_model(rule: d.DayShift) -> DayShiftModel:
    return DayShiftModel(
        weekdays=sorted(rule.weekdays),
        dates=sorted(rule.dates),
        shift=_window_model(rule.shift),
        max_shift_min=rule.max_shift_min,
    )


def problem_from_scenario(scenario: ScenarioFile) -> d.Problem:
    """Turn a validated scenario file into the domain problem."""
    rules = scenario.rules
    return d.Problem(
        name=scenario.name,
        days=scenario.season.days(),
        venues=tuple(
            d.Venue(
                id=v.id,
                name=v.name,
                location=d.Location(v.lat, v.lon),
                okrug=v.okrug,
                district=v.district,
                kind=v.kind,
                audience_seats=v.audience_seats,
                priority=v.priority,
                hours=tuple(_window(w) for w in v.hours),
                allowed_dates=_dates(v.allowed_dates),
                residential=v.residential,
                inside_ttk=v.inside_ttk,
                max_rating=v.max_rating,
                excluded_film_ids=frozenset(v.excluded_film_ids),
                max_visits=v.max_visits,
                source=v.source,
                address=v.address,
                day_hours=tuple(_day_hours(rule) for rule in v.day_hours),
                min_gap_days=v.min_gap_days,
            )
            for v in scenario.venues
        ),
        trucks=tuple(
            d.Truck(
                id=t.id,
                name=t.name,
                depot=d.Location(t.depot.lat, t.depot.lon),
                depot_name=t.depot.name,
                screen=t.screen,
                shift=_window(t.shift),
                max_shift_min=t.max_shift_min,
                setup_min=t.setup_min,
                teardown_min=t.teardown_min,
                has_ttk_pass=t.has_ttk_pass,
                available_dates=_dates(t.available_dates),
                day_shifts=tuple(_day_shift(rule) for rule in t.day_shifts),
            )
            for t in scenario.trucks
        ),
        films=tuple(d.Film(**dict(f)) for f in scenario.films),
        rules=d.Rules(**{_RULE_NAMES.get(k, k): v for k, v in dict(rules).items()}),
    )


def _sorted(values: frozenset[date] | None) -> list[date] | None:
    return None if values is None else sorted(values)


def scenario_from_problem(problem: d.Problem) -> ScenarioFile:
    """The scenario file for a domain problem (inverse of ``problem_from_scenario``)."""
    r = problem.rules
    days = set(problem.days)
    start, end = min(days), max(days)
    every = {start + timedelta(days=i) for i in range((end - start).days + 1)}
    return ScenarioFile(
        name=problem.name,
        season=SeasonModel(start=start, end=end, excluded_dates=sorted(every - days)),
        rules=RulesModel(
            **{name: getattr(r, _RULE_NAMES.get(name, name)) for name in RulesModel.model_fields}
        ),
        trucks=[
            TruckModel(
                id=t.id,
                name=t.name,
                depot=DepotModel(lat=t.depot.lat, lon=t.depot.lon, name=t.depot_name),
                screen=t.screen,
                shift=WindowModel(start=t.shift.start_min, end=t.shift.end_min),
                max_shift_min=t.max_shift_min,
                setup_min=t.setup_min,
                teardown_min=t.teardown_min,
                has_ttk_pass=t.has_ttk_pass,
                available_dates=_sorted(t.available_dates),
                day_shifts=[_day_shift_model(rule) for rule in t.day_shifts],
            )
            for t in problem.trucks
        ],
        venues=[
            VenueModel(
                id=v.id,
                name=v.name,
                lat=v.location.lat,
                lon=v.location.lon,
                okrug=v.okrug,
                district=v.district,
                kind=v.kind,
                audience_seats=v.audience_seats,
                priority=v.priority,
                hours=[WindowModel(start=w.start_min, end=w.end_min) for w in v.hours],
                allowed_dates=_sorted(v.allowed_dates),
                residential=v.residential,
                inside_ttk=v.inside_ttk,
                max_rating=v.max_rating,
                excluded_film_ids=sorted(v.excluded_film_ids),
                max_visits=v.max_visits,
                source=v.source,
                address=v.address,
                day_hours=[_day_hours_model(rule) for rule in v.day_hours],
                min_gap_days=v.min_gap_days,
            )
            for v in problem.venues
        ],
        films=[
            FilmModel(
                id=f.id,
                title=f.title,
                runtime_min=f.runtime_min,
                rating=f.rating,
                licence_start=f.licence_start,
                licence_end=f.licence_end,
                certificate=f.certificate,
                festival_exempt=f.festival_exempt,
                max_screenings=f.max_screenings,
            )
            for f in problem.films
        ],
    )


def plan_to_file(plan: d.Plan, scenario: str = "") -> PlanFile:
    """The plan file for a domain plan."""
    return PlanFile(
        scenario=scenario,
        objective=plan.objective,
        stats=StatsModel(**{k: getattr(plan.stats, k) for k in StatsModel.model_fields}),
        routes=[
            RouteModel(
                truck_id=r.truck_id,
                day=r.day,
                depot_departure=r.depot_departure,
                depot_return=r.depot_return,
                stops=[
                    StopModel(
                        venue_id=s.venue_id,
                        arrival=s.arrival,
                        departure=s.departure,
                        screenings=[
                            ScreeningModel(film_id=x.film_id, start=x.start, end=x.end)
                            for x in s.screenings
                        ],
                    )
                    for s in r.stops
                ],
                breaks=[BreakModel(start=b.start, end=b.end) for b in r.breaks],
            )
            for r in plan.routes
        ],
        unserved=[
            UnservedModel(venue_id=u.venue_id, reason=u.reason, message=u.message)
            for u in plan.unserved
        ],
    )


def plan_from_file(model: PlanFile) -> d.Plan:
    """The domain plan for a plan file."""
    return d.Plan(
        routes=tuple(
            d.Route(
                truck_id=r.truck_id,
                day=r.day,
                depot_departure=r.depot_departure,
                depot_return=r.depot_return,
                stops=tuple(
                    d.Stop(
                        venue_id=s.venue_id,
                        arrival=s.arrival,
                        departure=s.departure,
                        screenings=tuple(
                            d.Screening(film_id=x.film_id, start=x.start, end=x.end)
                            for x in s.screenings
                        ),
                    )
                    for s in r.stops
                ),
                breaks=tuple(d.Break(start=b.start, end=b.end) for b in r.breaks),
            )
            for r in model.routes
        ),
        unserved=tuple(
            d.Unserved(venue_id=u.venue_id, reason=u.reason, message=u.message)
            for u in model.unserved
        ),
        objective=model.objective,
        stats=d.PlanStats(**model.stats.model_dump()),
    )


# --- files --------------------------------------------------------------------------


def _problems(error: ValidationError) -> list[tuple[str, str]]:
    found = []
    for item in error.errors():
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        field = where.lstrip(".")
        named = _NAMED_FIELD.match(message)
        if named:  # a cross-field check names its own field: "venues[3].x: ..."
            field = ".".join(p for p in (field, named.group(1)) if p)
            message = named.group(2)
        found.append((field or "(file)", message))
    return found


def named_field(message: str) -> tuple[list[str | int], str] | None:
    """A cross-field check's message that names its own field, split into the field's path
    (``"day_hours[2].dates[0]: ..."`` -> ``["day_hours", 2, "dates", 0]``) and the rest."""
    named = _NAMED_FIELD.match(message)
    if named is None:
        return None
    path: list[str | int] = []
    for part in re.findall(r"[a-z_]+|\d+", named.group(1)):
        path.append(int(part) if part.isdigit() else part)
    return path, named.group(2)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InvalidProblem([(str(path), "no such file")]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidProblem([(str(path), f"cannot read: {exc}")]) from exc
    except json.JSONDecodeError as exc:
        raise InvalidProblem([(str(path), f"not valid JSON: {exc}")]) from exc


def parse_scenario(data: Any) -> ScenarioFile:
    """Validate scenario data; raise ``InvalidProblem`` naming every bad field."""
    try:
        return ScenarioFile.model_validate(data)
    except ValidationError as exc:
        raise InvalidProblem(_problems(exc)) from exc


def load_scenario(path: Path) -> d.Problem:
    """Read and validate a scenario file."""
    return problem_from_scenario(parse_scenario(_read_json(path)))


def load_plan(path: Path) -> d.Plan:
    """Read and validate a plan file (not its rules: that is ``checks.verify``)."""
    try:
        return plan_from_file(PlanFile.model_validate(_read_json(path)))
    except ValidationError as exc:
        raise InvalidProblem(_problems(exc)) from exc


def dump_json(model: BaseModel) -> str:
    """Pretty JSON text of a wire model."""
    return model.model_dump_json(indent=2, exclude_none=False) + "\n"
