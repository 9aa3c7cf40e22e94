"""Importing a scenario from venues, films and trucks CSV files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from scheduler.domain import DayWindow, ScreenType
from scheduler.errors import InvalidProblem
from scheduler.importing import DEFAULT_SEATS, scenario_from_csv
from scheduler.schemas import ScenarioFile, problem_from_scenario

DATA = Path(__file__).resolve().parents[1] / "scheduler" / "data"
START, END = date(2026, 7, 1), date(2026, 7, 7)

VENUES = """id,name,okrug,lat,lon,audience_seats,hours,allowed_dates,excluded_film_ids
gorky,Парк Горького,ЦАО,55.7360,37.6057,250,10:00-23:00;18:00-25:00,,brat
kuskovo,Усадьба Кусково,ВАО,55.7354,37.8075,300,,2026-07-02;2026-07-04,
"""
FILMS = """id,title,runtime_min,rating,licence_start,licence_end,certificate,festival_exempt,note
brat,Брат,99,18+,,2026-07-03,DEMO-1,false,a note
morozko,Морозко,84,0+,,,,true,
"""
TRUCKS = """id,name,depot_name,depot_lat,depot_lon,screen,shift,has_ttk_pass
t1,LED 1,Moskino,55.4303,37.2725,LED,10:00-24:00,no
t2,Projector,Moskino,55.4303,37.2725,projector,14:00-26:00,yes
"""


def _write(folder: Path, venues: str = VENUES, films: str = FILMS, trucks: str = TRUCKS) -> None:
    for name, text in (("venues.csv", venues), ("films.csv", films), ("trucks.csv", trucks)):
        (folder / name).write_text(text, encoding="utf-8")


def _import(folder: Path) -> ScenarioFile:
    return scenario_from_csv(
        folder / "venues.csv", folder / "films.csv", folder / "trucks.csv", start=START, end=END
    )


def _problems(folder: Path) -> list[tuple[str, str]]:
    with pytest.raises(InvalidProblem) as caught:
        _import(folder)
    return caught.value.problems


def test_import_small_files(tmp_path: Path) -> None:
    """Every column is read: windows past midnight, date lists, ratings, booleans, depot."""
    _write(tmp_path)
    scenario = scenario_from_csv(
        tmp_path / "venues.csv",
        tmp_path / "films.csv",
        tmp_path / "trucks.csv",
        start=START,
        end=END,
        name="test",
    )
    problem = problem_from_scenario(scenario)
    gorky, kuskovo = problem.venue("gorky"), problem.venue("kuskovo")
    assert gorky.hours == (DayWindow(600, 1380), DayWindow(1080, 1500))
    assert gorky.excluded_film_ids == frozenset({"brat"})
    assert gorky.inside_ttk and not kuskovo.inside_ttk
    assert kuskovo.allowed_dates == frozenset({date(2026, 7, 2), date(2026, 7, 4)})
    brat, morozko = scenario.films
    assert brat.rating == 18 and brat.licence_end == date(2026, 7, 3)
    assert morozko.festival_exempt and morozko.certificate is None
    assert problem.truck("t1").screen is ScreenType.LED and not problem.truck("t1").has_ttk_pass
    assert problem.truck("t2").shift == DayWindow(14 * 60, 26 * 60)
    assert problem.truck("t2").depot_name == "Moskino"
    assert len(problem.days) == 7 and problem.name == "test"


def test_import_the_shared_venue_layout(tmp_path: Path) -> None:
    """moscow_venues.csv imports as is: names from name_ru, default seats, no depot row."""
    _write(tmp_path)
    scenario = scenario_from_csv(
        DATA / "moscow_venues.csv",
        DATA / "films.csv",
        tmp_path / "trucks.csv",
        start=START,
        end=END,
    )
    assert len(scenario.venues) == 60
    assert len(scenario.films) >= 25
    assert scenario.venues[0].name == "Парк Горького (Музеон)"
    assert {venue.audience_seats for venue in scenario.venues} == {DEFAULT_SEATS}
    assert all(venue.kind != "depot" for venue in scenario.venues)


def test_semicolon_separated_file(tmp_path: Path) -> None:
    """A spreadsheet saved with semicolons (Russian Excel) imports the same way."""
    _write(tmp_path, trucks=TRUCKS.replace(",", ";"))
    assert len(_import(tmp_path).trucks) == 2


def test_missing_file(tmp_path: Path) -> None:
    """A missing file is a problem naming the file, not a traceback."""
    _write(tmp_path)
    (tmp_path / "trucks.csv").unlink()
    [(where, message)] = _problems(tmp_path)
    assert where.endswith("trucks.csv") and message == "no such file"


def test_missing_column(tmp_path: Path) -> None:
    """A missing required column is named, at the header row."""
    _write(tmp_path, venues=VENUES.replace(",lat,", ",latitude,"))
    assert ("venues.csv row 1 column lat", "missing required column") in _problems(tmp_path)


def test_bad_latitude(tmp_path: Path) -> None:
    """A latitude that is not a number, or out of range, names file, row and column."""
    _write(tmp_path, venues=VENUES.replace("55.7360", "north").replace("55.7354", "95"))
    problems = dict(_problems(tmp_path))
    assert problems["venues.csv row 2 column lat"] == "'north' is not a number"
    assert "90" in problems["venues.csv row 3 column lat"]


def test_bad_rating(tmp_path: Path) -> None:
    """A rating outside 0+, 6+, 12+, 16+, 18+ is refused."""
    _write(tmp_path, films=FILMS.replace("18+", "21+"))
    [(where, message)] = _problems(tmp_path)
    assert where == "films.csv row 2 column rating"
    assert "age rating" in message


def test_unknown_screen_type(tmp_path: Path) -> None:
    """A screen type other than led or projector is refused."""
    _write(tmp_path, trucks=TRUCKS.replace("projector", "laser"))
    [(where, message)] = _problems(tmp_path)
    assert where == "trucks.csv row 3 column screen"
    assert "'led' or 'projector'" in message


def test_bad_boolean_and_window(tmp_path: Path) -> None:
    """Bad booleans and windows are reported together, every problem at once."""
    trucks = TRUCKS.replace(",no", ",maybe").replace("14:00-26:00", "14-26")
    _write(tmp_path, trucks=trucks)
    wheres = [where for where, _ in _problems(tmp_path)]
    assert wheres == ["trucks.csv row 2 column has_ttk_pass", "trucks.csv row 3 column shift"]


def test_duplicate_ids_and_unknown_film(tmp_path: Path) -> None:
    """A repeated id and an excluded film that does not exist are named by row."""
    venues = VENUES.replace("kuskovo,", "gorky,").replace(",brat\n", ",brad\n")
    _write(tmp_path, venues=venues)
    problems = dict(_problems(tmp_path))
    assert problems["venues.csv row 3 column id"] == "id 'gorky' is already used on row 2"
    assert problems["venues.csv row 2 column excluded_film_ids"] == "unknown film id 'brad'"


def test_empty_required_cell(tmp_path: Path) -> None:
    """An empty cell in a required column asks for a value."""
    _write(tmp_path, films=FILMS.replace(",99,", ",,"))
    assert _problems(tmp_path) == [("films.csv row 2 column runtime_min", "a value is required")]


def test_season_errors_come_from_the_schema(tmp_path: Path) -> None:
    """A season that ends before it starts is refused by the scenario validation."""
    _write(tmp_path)
    with pytest.raises(InvalidProblem, match="season"):
        scenario_from_csv(
            tmp_path / "venues.csv",
            tmp_path / "films.csv",
            tmp_path / "trucks.csv",
            start=END,
            end=START,
        )
