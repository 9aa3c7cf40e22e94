"""Tests for the ``scheduler`` command line (``scheduler.cli.app``) through Typer's runner.

Solver runs are kept tiny (``--days 2 --time-limit 2`` or a two-venue scenario). Bad input
must end with exit code 2 and a message naming the field, never with a traceback.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from scheduler.cli import app
from scheduler.demo import demo_problem
from scheduler.schemas import dump_json, scenario_from_problem

Json = dict[str, Any]

runner = CliRunner()


def invoke(*args: str | Path) -> Result:
    """Run the CLI with ``args``; never let an exception escape the runner."""
    return runner.invoke(app, [str(arg) for arg in args])


def flat(result: Result) -> str:
    """Everything the command printed (stdout and stderr), with rich's line wrapping undone."""
    return " ".join(result.output.split())


def assert_clean_exit(result: Result, code: int) -> None:
    """The command ended with ``code`` on purpose: no traceback, no unexpected exception."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )


@dataclass(frozen=True)
class DemoFiles:
    """The scenario and plan files written by one ``demo --days 2`` run."""

    scenario: Path
    plan: Path
    result: Result

    def scenario_json(self) -> Json:
        """A fresh, mutable copy of the scenario file's JSON."""
        data: Json = json.loads(self.scenario.read_text(encoding="utf-8"))
        return data

    def plan_json(self) -> Json:
        """A fresh, mutable copy of the plan file's JSON."""
        data: Json = json.loads(self.plan.read_text(encoding="utf-8"))
        return data


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    """Run ``demo --days 2 --time-limit 2`` once for the whole module."""
    folder = tmp_path_factory.mktemp("demo")
    scenario, plan = folder / "scenario.json", folder / "plan.json"
    result = invoke(
        "demo", "--days", "2", "--time-limit", "2", "--out", plan, "--scenario-out", scenario
    )
    return DemoFiles(scenario, plan, result)


def write_json(path: Path, data: Json) -> Path:
    """Write ``data`` as JSON to ``path`` and return the path."""
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


# --- demo, check, plan, schema ---------------------------------------------------------


def test_demo_writes_scenario_and_plan(demo_files: DemoFiles) -> None:
    """``demo`` exits 0 and writes a scenario file and a non-empty plan file."""
    assert_clean_exit(demo_files.result, 0)
    assert demo_files.scenario.is_file() and demo_files.plan.is_file()
    assert demo_files.scenario_json()["season"]["end"] == "2026-07-02"
    assert demo_files.plan_json()["routes"], "a two-day demo plan has routes"
    assert "0 violations" in flat(demo_files.result)


def test_check_accepts_the_demo_plan(demo_files: DemoFiles) -> None:
    """``check`` of the demo's own scenario and plan exits 0 and reports no violation."""
    result = invoke("check", demo_files.scenario, demo_files.plan)
    assert_clean_exit(result, 0)
    assert "0 violations" in flat(result)


def _first_screening(plan: Json) -> Json:
    screening: Json = next(
        show for route in plan["routes"] for stop in route["stops"] for show in stop["screenings"]
    )
    return screening


def _shift_earlier(screening: Json, hours: int) -> None:
    for key in ("start", "end"):
        moment = datetime.fromisoformat(screening[key]) - timedelta(hours=hours)
        screening[key] = moment.isoformat()


def test_check_finds_a_screening_moved_earlier(demo_files: DemoFiles, tmp_path: Path) -> None:
    """A screening moved 3 hours earlier starts before the truck is set up: ``programme``."""
    plan = demo_files.plan_json()
    _shift_earlier(_first_screening(plan), hours=3)
    result = invoke("check", demo_files.scenario, write_json(tmp_path / "plan.json", plan))
    assert_clean_exit(result, 1)
    assert "programme" in flat(result)
    assert "0 violations" not in flat(result)


def test_check_finds_a_film_that_is_not_in_the_scenario(
    demo_files: DemoFiles, tmp_path: Path
) -> None:
    """A screening of a film id the scenario does not know is an ``unknown_id`` violation."""
    plan = demo_files.plan_json()
    _first_screening(plan)["film_id"] = "no-such-film"
    result = invoke("check", demo_files.scenario, write_json(tmp_path / "plan.json", plan))
    assert_clean_exit(result, 1)
    assert "unknown_id" in flat(result)


def test_plan_a_scenario_file(demo_files: DemoFiles, tmp_path: Path) -> None:
    """``plan S --out P2`` exits 0 and writes a plan that ``check`` accepts."""
    out = tmp_path / "plan2.json"
    result = invoke("plan", demo_files.scenario, "--out", out, "--time-limit", "2")
    assert_clean_exit(result, 0)
    assert out.is_file()
    assert_clean_exit(invoke("check", demo_files.scenario, out), 0)


@pytest.mark.parametrize("kind", ["scenario", "plan"])
def test_schema_prints_json_schema(kind: str) -> None:
    """``schema scenario|plan`` prints a JSON Schema object with properties."""
    result = invoke("schema", kind)
    assert_clean_exit(result, 0)
    schema = json.loads(result.stdout)
    assert schema["type"] == "object"
    assert "properties" in schema


def test_schema_of_an_unknown_kind_is_a_usage_error() -> None:
    """``schema`` of anything but scenario or plan is refused with exit code 2."""
    assert_clean_exit(invoke("schema", "truck"), 2)


# --- bad input: exit code 2, the field named, no traceback -----------------------------

Mutation = Callable[[Json], None]


def _exclude_unknown_film(data: Json) -> None:
    data["venues"][3]["excluded_film_ids"] = ["no-such-film"]


def _window_backwards(data: Json) -> None:
    data["venues"][3]["hours"] = [{"start": "20:00", "end": "18:00"}]


def _negative_runtime(data: Json) -> None:
    data["films"][2]["runtime_min"] = -5


def _latitude_95(data: Json) -> None:
    data["venues"][3]["lat"] = 95


def _season_backwards(data: Json) -> None:
    data["season"].update(start="2026-07-05", end="2026-07-01")


def _season_without_days(data: Json) -> None:
    season = data["season"]
    season.update(start="2026-07-01", end="2026-07-02")
    season["excluded_dates"] = ["2026-07-01", "2026-07-02"]


def _rating_21(data: Json) -> None:
    data["films"][2]["rating"] = "21+"


def _unknown_timezone(data: Json) -> None:
    data["rules"]["timezone"] = "Mars/Olympus"


def _infinite_cost(data: Json) -> None:
    data["rules"]["travel_cost_per_hour"] = float("inf")


BAD_SCENARIOS: list[tuple[str, Mutation, str]] = [
    ("unknown excluded film", _exclude_unknown_film, "venues[3].excluded_film_ids"),
    ("window ends before start", _window_backwards, "venues[3].hours[0]"),
    ("negative runtime", _negative_runtime, "films[2].runtime_min"),
    ("latitude 95", _latitude_95, "venues[3].lat"),
    ("season ends before start", _season_backwards, "season"),
    ("season without days", _season_without_days, "season"),
    ("rating 21+", _rating_21, "films[2].rating"),
    ("unknown timezone", _unknown_timezone, "rules.timezone"),
    ("infinite number", _infinite_cost, "rules.travel_cost_per_hour"),
]


@pytest.fixture(scope="module")
def scenario_json() -> Json:
    """The two-day demo scenario as JSON data (no solver run)."""
    data: Json = json.loads(dump_json(scenario_from_problem(demo_problem(days=2))))
    return data


@pytest.mark.parametrize(
    ("mutate", "field"),
    [pytest.param(mutate, field, id=name) for name, mutate, field in BAD_SCENARIOS],
)
def test_bad_scenario_is_refused(
    scenario_json: Json, demo_files: DemoFiles, tmp_path: Path, mutate: Mutation, field: str
) -> None:
    """A broken scenario gives exit code 2 and names the field, for ``check`` and ``plan``."""
    data = copy.deepcopy(scenario_json)
    mutate(data)
    scenario = write_json(tmp_path / "scenario.json", data)
    for result in (
        invoke("check", scenario, demo_files.plan),
        invoke("plan", scenario, "--out", tmp_path / "plan.json", "--time-limit", "1"),
    ):
        assert_clean_exit(result, 2)
        assert "Invalid input" in flat(result)
        assert field in flat(result)
    assert not (tmp_path / "plan.json").exists()


def test_malformed_json_is_refused(demo_files: DemoFiles, tmp_path: Path) -> None:
    """A scenario file that is not JSON gives exit code 2 and names the file."""
    scenario = tmp_path / "broken.json"
    scenario.write_text('{"name": "cut off', encoding="utf-8")
    result = invoke("check", scenario, demo_files.plan)
    assert_clean_exit(result, 2)
    assert "broken.json" in flat(result) and "not valid JSON" in flat(result)


def test_missing_scenario_file_is_refused(demo_files: DemoFiles, tmp_path: Path) -> None:
    """A scenario file that does not exist gives exit code 2 and names the file."""
    result = invoke("check", tmp_path / "nowhere.json", demo_files.plan)
    assert_clean_exit(result, 2)
    assert "nowhere.json" in flat(result) and "no such file" in flat(result)


def test_plan_file_with_naive_times_is_refused(demo_files: DemoFiles, tmp_path: Path) -> None:
    """A plan file whose times lack a UTC offset gives exit code 2 and names the field."""
    plan = demo_files.plan_json()
    plan["routes"][0]["depot_departure"] = "2026-07-01T12:00:00"
    result = invoke("check", demo_files.scenario, write_json(tmp_path / "plan.json", plan))
    assert_clean_exit(result, 2)
    assert "routes[0].depot_departure" in flat(result)


# --- import-csv ----------------------------------------------------------------------

VENUES_CSV = """id,name,okrug,lat,lon,audience_seats,hours
gorky,Парк Горького,ЦАО,55.7298,37.6011,250,10:00-24:30
kuzminki,Кузьминки,ЮВАО,55.6983,37.7801,180,10:00-23:00
"""
FILMS_CSV = """id,title,runtime_min,rating,certificate
morozko,Морозко,84,0+,DEMO-1
brat,Брат,99,18+,DEMO-2
"""
TRUCKS_CSV = """id,name,depot_name,depot_lat,depot_lon,screen,shift
led-1,LED 1,Moskino,55.4303,37.2725,led,10:00-24:00
"""


def _write_csvs(folder: Path) -> tuple[Path, Path, Path]:
    paths = (folder / "venues.csv", folder / "films.csv", folder / "trucks.csv")
    for path, text in zip(paths, (VENUES_CSV, FILMS_CSV, TRUCKS_CSV), strict=True):
        path.write_text(text, encoding="utf-8")
    return paths


def test_import_csv_writes_a_scenario_that_plan_accepts(tmp_path: Path) -> None:
    """``import-csv`` of tiny spreadsheets writes a scenario that ``plan`` solves cleanly."""
    scenario, plan = tmp_path / "scenario.json", tmp_path / "plan.json"
    result = invoke(
        "import-csv",
        *_write_csvs(tmp_path),
        "--start",
        "2026-07-01",
        "--end",
        "2026-07-02",
        "--out",
        scenario,
    )
    assert_clean_exit(result, 0)
    data = json.loads(scenario.read_text(encoding="utf-8"))
    assert [v["id"] for v in data["venues"]] == ["gorky", "kuzminki"]
    assert len(data["films"]) == 2 and len(data["trucks"]) == 1
    assert "2 venues" in flat(result) and "2 days" in flat(result)

    planned = invoke("plan", scenario, "--out", plan, "--time-limit", "1")
    assert_clean_exit(planned, 0)
    assert_clean_exit(invoke("check", scenario, plan), 0)


@pytest.mark.parametrize(("option", "value"), [("--start", "2026-13-01"), ("--end", "soon")])
def test_import_csv_with_a_bad_date_is_refused(tmp_path: Path, option: str, value: str) -> None:
    """A season date that is not YYYY-MM-DD gives exit code 2 and names the option."""
    dates = {"--start": "2026-07-01", "--end": "2026-07-02", option: value}
    out = tmp_path / "scenario.json"
    result = invoke(
        "import-csv",
        *_write_csvs(tmp_path),
        "--start",
        dates["--start"],
        "--end",
        dates["--end"],
        "--out",
        out,
    )
    assert_clean_exit(result, 2)
    assert option in flat(result) and value in flat(result)
    assert not out.exists()


def test_import_csv_with_a_bad_cell_names_file_row_and_column(tmp_path: Path) -> None:
    """A bad spreadsheet cell gives exit code 2 and names the file, row and column."""
    venues, films, trucks = _write_csvs(tmp_path)
    venues.write_text(VENUES_CSV.replace("55.6983", "95"), encoding="utf-8")
    result = invoke(
        "import-csv",
        venues,
        films,
        trucks,
        "--start",
        "2026-07-01",
        "--end",
        "2026-07-02",
        "--out",
        tmp_path / "scenario.json",
    )
    assert_clean_exit(result, 2)
    assert "venues.csv row 3 column lat" in flat(result)
