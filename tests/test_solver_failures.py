"""A failing engine never surfaces as a traceback: ``solve`` raises ``SolverError`` with a
message (the traceback goes to the log), the CLI prints the message and exits 3, and a job
fails with the message. Failures are injected by replacing the routing core or the engines.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, NoReturn

import pytest
from scenarios import load, tiny_scenario
from typer.testing import CliRunner

from scheduler.checks import verify
from scheduler.cli import app
from scheduler.db.engine import Database
from scheduler.db.tables import Job
from scheduler.db.types import utcnow
from scheduler.errors import InvalidProblem, SolverError
from scheduler.jobs.worker import run_job
from scheduler.planning import default_travel
from scheduler.solver import SolveParams, solve

from conftest import Seeded

ENGINE_BUG = "A self loop must have 0 distance and duration."


def _explode(*args: Any, **kwargs: Any) -> NoReturn:
    raise ValueError(ENGINE_BUG)


@pytest.fixture
def broken_core(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every routing call fails the way PyVRP once did (issue 8, bug 1)."""
    monkeypatch.setattr("scheduler.solver.routing.solve_core", _explode)


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(tiny_scenario(), ensure_ascii=False), encoding="utf-8")
    return path


def test_solve_turns_an_engine_failure_into_a_solver_error(
    broken_core: None, caplog: pytest.LogCaptureFixture
) -> None:
    """The error names what failed; the traceback is logged, not lost."""
    with pytest.raises(SolverError) as caught, caplog.at_level(logging.ERROR):
        solve(load(tiny_scenario()), params=SolveParams(time_limit_s=1.0))
    assert "ValueError" in str(caught.value) and ENGINE_BUG in str(caught.value)
    assert isinstance(caught.value.__cause__, ValueError)
    logged = [r for r in caplog.records if r.name == "scheduler.solver"]
    assert logged and logged[0].exc_info is not None


def test_solve_lets_scheduler_errors_through(monkeypatch: pytest.MonkeyPatch) -> None:
    """An ``InvalidProblem`` from inside the engine keeps its type and fields."""

    def refuse(*args: Any, **kwargs: Any) -> NoReturn:
        raise InvalidProblem([("venues[0].hours", "too short")])

    monkeypatch.setattr("scheduler.solver.routing.solve_core", refuse)
    with pytest.raises(InvalidProblem) as caught:
        solve(load(tiny_scenario()), params=SolveParams(time_limit_s=1.0))
    assert caught.value.problems == [("venues[0].hours", "too short")]


def test_both_engines_failing_is_a_plan_or_a_solver_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With both engines raising, ``solve`` gives a valid plan (a fallback) or a
    ``SolverError``, never the engines' own exception."""
    monkeypatch.setattr("scheduler.solver.ortools_engine.solve", _explode)
    monkeypatch.setattr("scheduler.solver.pyvrp_engine.solve", _explode)
    problem = load(tiny_scenario())
    try:
        plan = solve(problem, params=SolveParams(time_limit_s=1.0))
    except SolverError as error:
        assert ENGINE_BUG in str(error)
    else:
        assert verify(problem, plan, default_travel()) == []


def test_cli_plan_prints_the_message_and_exits_3(
    broken_core: None, scenario_file: Path, tmp_path: Path
) -> None:
    """``scheduler plan`` on a valid scenario with a failing engine: exit 3, a message, no
    traceback, no plan file."""
    out = tmp_path / "plan.json"
    result = CliRunner().invoke(
        app, ["plan", str(scenario_file), "--out", str(out), "--time-limit", "1"]
    )
    assert result.exit_code == 3, result.output
    shown = " ".join(result.output.split())
    assert "the planning engine failed" in shown and ENGINE_BUG in shown
    assert "Traceback" not in result.output and not out.exists()


def test_cli_demo_prints_the_message_and_exits_3(broken_core: None) -> None:
    """``scheduler demo`` with a failing engine: exit 3 and the message."""
    result = CliRunner().invoke(app, ["demo", "--days", "1", "--time-limit", "1"])
    assert result.exit_code == 3, result.output
    assert ENGINE_BUG in " ".join(result.output.split()) and "Traceback" not in result.output


def test_cli_check_survives_a_validator_failure(
    monkeypatch: pytest.MonkeyPatch, scenario_file: Path, tmp_path: Path
) -> None:
    """An unexpected error outside the solver (here in the validator) is a message and
    exit 3 as well."""
    plan_path = tmp_path / "plan.json"
    result = CliRunner().invoke(
        app, ["plan", str(scenario_file), "--out", str(plan_path), "--time-limit", "1"]
    )
    assert result.exit_code == 0, result.output

    def broken_verify(*args: Any, **kwargs: Any) -> NoReturn:
        raise KeyError("venue-x")

    monkeypatch.setattr("scheduler.cli.check_plan", broken_verify)
    result = CliRunner().invoke(app, ["check", str(scenario_file), str(plan_path)])
    assert result.exit_code == 3, result.output
    shown = " ".join(result.output.split())
    assert "unexpected error (KeyError" in shown and "Traceback" not in result.output


def test_cli_in_a_real_process_prints_no_traceback(scenario_file: Path, tmp_path: Path) -> None:
    """In a separate process (no pytest log capture, so Python's last-resort log handler
    would print tracebacks): one line of log, the message, exit 3, no traceback."""
    script = (
        "import sys, scheduler.solver.routing as r\n"
        "def boom(*a, **k):\n"
        f"    raise ValueError({ENGINE_BUG!r})\n"
        "r.solve_core = boom\n"
        "from scheduler.cli import app\n"
        "app(sys.argv[1:])\n"
    )
    out = tmp_path / "plan.json"
    args = ["plan", str(scenario_file), "--out", str(out), "--time-limit", "1"]
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 3, done.stderr
    assert ENGINE_BUG in " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr + done.stdout


def test_job_with_a_failing_engine_fails_with_the_message(
    database: Database, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job worker marks the job failed with the engine's message; no plan is written."""
    monkeypatch.setattr("scheduler.solver.routing.solve_core", _explode)
    job = Job(
        id=uuid.uuid4().hex,
        season_id=seeded.season_id,
        created_at=utcnow(),
        backend="inprocess",
        time_limit_s=2.0,
        state="queued",
    )
    with database.session() as session:
        session.add(job)
    run_job(job.id, database.url)
    with database.session() as session:
        stored = session.get(Job, job.id)
        assert stored is not None and stored.state == "failed" and stored.plan_id is None
        assert stored.error is not None
        assert "the planning engine failed" in stored.error and ENGINE_BUG in stored.error
        assert "unexpected error" not in stored.error
