"""Tests for the public benchmarks (``scheduler.bench``): readers, best-known values, the
adapter's units, the independent checker, short solves through the routing core, and the
``scheduler bench`` command.

The data lives outside the repository, in ``shared/benchmarks`` next to it; the tests find it
the way ``find_instance`` does (``benchmarks_root``) and fail when it is absent. Solves
are 1-2 s each; the full benchmark runs outside the test suite (``scheduler bench``).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scheduler.bench.adapter import (
    distance_matrix,
    from_core,
    reported_objective,
    score_weight,
    to_core,
    to_units,
)
from scheduler.bench.check import check_solution, format_solution, read_solution
from scheduler.bench.instances import (
    Customer,
    Instance,
    available_instances,
    benchmarks_root,
    best_known,
    find_instance,
    read_solomon,
    read_toptw,
)
from scheduler.bench.run import default_instances, gap_pct, plan_runs, run_one
from scheduler.cli import app
from scheduler.errors import InvalidProblem
from scheduler.solver.core import CoreSolution

ROOT = benchmarks_root()


def test_benchmark_data_is_found() -> None:
    """The shared benchmark folder is found (set SCHEDULER_BENCHMARKS if it lives elsewhere)."""
    assert ROOT is not None, "shared/benchmarks not found beside the repository"


# -- readers ------------------------------------------------------------------------------------


def test_every_solomon_instance_parses() -> None:
    """All 56 Solomon files: 100 customers, fleet 25 with a capacity, windows that open before
    they close, a positive horizon, demands within the capacity."""
    names = available_instances("solomon")
    assert len(names) == 56
    for name in names:
        instance = find_instance("solomon", name)
        assert instance.name.lower() == name
        assert len(instance.customers) == 100
        assert instance.depot.id == 0 and instance.horizon == instance.depot.due > 0
        assert instance.fleet == 25 and instance.capacity > 0 and instance.decimals == 1
        assert {c.id for c in instance.customers} == set(range(1, 101))
        for c in instance.customers:
            assert 0 <= c.ready <= c.due, (name, c)
            assert 0 < c.demand <= instance.capacity and c.service >= 0 and c.score == 0


def test_every_toptw_instance_parses() -> None:
    """All 66 TOPTW files: 100 customers in the Solomon-based ones (one decimal), 48..288 in
    the Cordeau-based pr files (two decimals), windows and scores sane, positive horizon."""
    names = available_instances("toptw")
    assert len(names) == 66
    for name in names:
        instance = find_instance("toptw", name)
        n = len(instance.customers)
        if name.startswith("pr"):
            assert 48 <= n <= 288 and n % 24 == 0 and instance.decimals == 2, name
        else:
            assert re.fullmatch(r"(c|r|rc)[12]\d\d", name) and n == 100 and instance.decimals == 1
        assert instance.depot.id == 0 and instance.horizon == instance.depot.due > 0
        assert instance.capacity == 0
        for c in instance.customers:
            assert 0 <= c.ready <= c.due, (name, c)
            assert c.score > 0 and c.service >= 0 and c.demand == 0


def test_toptw_windows_are_the_last_two_tokens() -> None:
    """pr01 customer 47 has a 4-entry list before its window (``... 1 4 1 2 4 8 123 302``)."""
    instance = find_instance("toptw", "pr01")
    c = next(c for c in instance.customers if c.id == 47)
    assert (c.ready, c.due, c.service, c.score) == (123, 302, 10, 21)
    assert instance.horizon == 1000


def test_find_instance_by_name_any_case_or_by_path() -> None:
    """Names are looked up in any case; a path to a file works too."""
    assert find_instance("solomon", "c101") == find_instance("solomon", "C101")
    path = available_instances("toptw")["pr01"]
    assert find_instance("toptw", str(path)) == find_instance("toptw", "PR01")


def test_unknown_names_and_missing_files_are_invalid() -> None:
    """An unknown name or a missing file raises ``InvalidProblem`` naming it."""
    with pytest.raises(InvalidProblem, match="C999"):
        find_instance("solomon", "C999")
    with pytest.raises(InvalidProblem, match="no such instance file"):
        find_instance("toptw", "/nowhere/pr01.txt")


def test_benchmarks_folder_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``$SCHEDULER_BENCHMARKS`` names the folder holding ``solomon/`` and ``toptw/``."""
    (tmp_path / "solomon").mkdir()
    write(tmp_path / "solomon" / "TINY1.txt", SOLOMON_TEXT)
    monkeypatch.setenv("SCHEDULER_BENCHMARKS", str(tmp_path))
    assert benchmarks_root() == tmp_path
    assert find_instance("solomon", "tiny1").name == "TINY"
    assert best_known("solomon", "TINY") is None  # no bks.csv there
    with pytest.raises(InvalidProblem, match="no toptw/ folder"):
        find_instance("toptw", "c101")


SOLOMON_TEXT = """TINY

VEHICLE
NUMBER     CAPACITY
  2         8

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME

    0       0          0          0          0        100          0
    1       3          4          5          0         10          1
    2       6          8          5          0         20          1
"""

TOPTW_TEXT = """1 1 2 1
0 100
 0 0.000 0.000 0 0 0 0 0 100
 1 3.000 4.000 1 7 1 1 1 0 10
 2 6.000 8.000 1 9 1 2 1 2 0 20
"""


def write(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` and return the path."""
    path.write_text(text, encoding="utf-8")
    return path


def test_small_files_parse(tmp_path: Path) -> None:
    """Hand-written files in both formats read back as expected (CRLF endings too)."""
    solomon = read_solomon(write(tmp_path / "t.txt", SOLOMON_TEXT.replace("\n", "\r\n")))
    assert (solomon.name, solomon.fleet, solomon.capacity, solomon.horizon) == ("TINY", 2, 8, 100)
    assert solomon.customers[1] == Customer(2, 6, 8, 5, 0, 20, 1, 0)
    toptw = read_toptw(write(tmp_path / "x.txt", TOPTW_TEXT))
    assert toptw.decimals == 1  # whole coordinates: Solomon-style precision
    assert toptw.customers[1] == Customer(2, 6, 8, 0, 0, 20, 1, 9)
    cordeau = read_toptw(write(tmp_path / "y.txt", TOPTW_TEXT.replace("3.000", "3.125")))
    assert cordeau.decimals == 2  # coordinates with decimals: Cordeau-style precision
    assert read_toptw(write(tmp_path / "pr99.txt", TOPTW_TEXT)).decimals == 2
    assert read_toptw(tmp_path / "pr99.txt", decimals=3).decimals == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (SOLOMON_TEXT.replace("NUMBER", "NUMBRE"), "no VEHICLE section"),
        (SOLOMON_TEXT.replace("CUSTOMER\n", ""), "no CUSTOMER section"),
        (SOLOMON_TEXT.replace("  6          8", "  6          x"), "'x' is not a number"),
        (SOLOMON_TEXT.replace("   0         20", "  30         20"), "opens at 30"),
        (SOLOMON_TEXT.replace("  5          0         10", "  5          0"), "expected 7"),
        (
            SOLOMON_TEXT.replace("      5          0         20", "      9          0         20"),
            "over capacity",
        ),
        ("", "empty file"),
    ],
)
def test_garbled_solomon_files_are_invalid(tmp_path: Path, text: str, message: str) -> None:
    """A broken Solomon file raises ``InvalidProblem`` with the file and what is wrong."""
    with pytest.raises(InvalidProblem, match=message):
        read_solomon(write(tmp_path / "bad.txt", text))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (TOPTW_TEXT.replace("1 1 2 1", "1 1 3 1"), "announces 3 \\+ 1 vertices, found 3"),
        (TOPTW_TEXT + "1 2 3\n", "found 4"),
        (TOPTW_TEXT.replace(" 1 3.000 4.000 1 7 1 1 1 0 10", " 1 3 4 1 7"), "9\\+ numbers"),
        (TOPTW_TEXT.replace("1 2 0 20", "1 2 30 20"), "opens at 30"),
        (TOPTW_TEXT.replace(" 0 0.000", " 5 0.000"), "depot 0"),
    ],
)
def test_garbled_toptw_files_are_invalid(tmp_path: Path, text: str, message: str) -> None:
    """A broken TOPTW file raises ``InvalidProblem`` with the file and what is wrong."""
    with pytest.raises(InvalidProblem, match=message):
        read_toptw(write(tmp_path / "bad.txt", text))


# -- best-known values ----------------------------------------------------------------------------


def test_best_known_values() -> None:
    """Solomon: the distance-only DIMACS value; TOPTW: keyed by (instance, tours)."""
    assert best_known("solomon", "C101") == 827.3
    assert best_known("solomon", "r101", vehicles=3) == 1637.7
    assert best_known("toptw", "c101") == 320
    assert best_known("toptw", "pr01", 3) == 622
    assert best_known("toptw", "PR10", 4) == 1965
    assert best_known("toptw", "r104") is None
    assert best_known("toptw", "c101", 2) is None
    assert best_known("solomon", "X1") is None


def test_gap_signs() -> None:
    """A longer distance or a lower score is a positive gap."""
    assert gap_pct("solomon", 110.0, 100.0) == pytest.approx(10.0)
    assert gap_pct("toptw", 90.0, 100.0) == pytest.approx(10.0)
    assert gap_pct("toptw", 90.0, None) is None


def test_default_target_sets() -> None:
    """Solomon: 56 runs; TOPTW: 27 c/r/rc 1xx with m = 1 plus pr01-pr10 with m = 1..4."""
    assert len(default_instances("solomon")) == 56
    runs = plan_runs("toptw", None, None)
    assert len(runs) == 27 + 40
    assert sorted({m for instance, m in runs if instance.name.startswith("pr")}) == [1, 2, 3, 4]
    assert all(m == 1 for instance, m in runs if not instance.name.startswith("pr"))
    assert [m for _, m in plan_runs("toptw", ["pr01"], 2)] == [2]


# -- adapter ----------------------------------------------------------------------------------


def tiny(kind: str = "solomon", decimals: int = 1) -> Instance:
    """Depot at the origin, customer 1 at (3, 4) due by 10, customer 2 at (6, 8) due by 20;
    demand 5 each, capacity 8, two vehicles, horizon 100."""
    depot = Customer(0, 0, 0, 0, 0, 100, 0, 0)
    customers = (
        Customer(1, 3, 4, 5, 0, 10, 1, 7),
        Customer(2, 6, 8, 5, 0, 20, 1, 9),
    )
    return Instance("tiny", kind, depot, customers, 2, 8, 100, decimals)  # type: ignore[arg-type]


def test_distances_are_truncated_exactly() -> None:
    """Distances are ``floor(10**d * euclid)`` in exact arithmetic: 5.0 stays 50 even when the
    coordinates are decimals that floats cannot represent."""
    depot = Customer(0, -10.442, 19.999, 0, 0, 1000, 0, 0)
    far = Customer(1, -7.442, 23.999, 0, 0, 1000, 0, 1)  # exactly (3, 4) away
    near = Customer(2, -10.441, 19.999, 0, 0, 1000, 0, 1)  # 0.001 away
    instance = Instance("t", "toptw", depot, (far, near), 1, 0, 1000, 2)
    matrix = distance_matrix(instance)
    assert matrix[0, 1] == 500 and matrix[0, 2] == 0 and matrix[1, 0] == 500


def test_core_problem_of_a_solomon_instance() -> None:
    """Solomon: required visits with demands, the fleet's capacity, times in tenths."""
    problem = to_core(tiny())
    assert len(problem.vehicles) == 2 and problem.n_depots == 1
    assert all(v.capacity == 8 and v.end == (0, 1000) for v in problem.vehicles)
    assert all(v.required and v.demand == 5 for v in problem.visits)
    assert problem.visits[0].windows == ((0, 100),) and problem.visits[0].service == 10
    assert problem.duration[0, 1] == 50 and problem.cost[1, 2] == 50.0


def test_core_problem_of_a_toptw_instance() -> None:
    """TOPTW: optional visits whose value outweighs any distance m tours can drive."""
    instance = tiny("toptw", 2)
    problem = to_core(instance, 3)
    weight = score_weight(instance, 3)
    assert weight > 3 * 100 * 100  # m tours x horizon, in hundredths
    assert len(problem.vehicles) == 3 and all(v.capacity == 0 for v in problem.vehicles)
    assert [v.value for v in problem.visits] == [7 * weight, 9 * weight]
    assert not any(v.required for v in problem.visits)


def test_times_round_inward() -> None:
    """Openings and service round up to the unit, closings down; exact decimals stay exact."""
    assert to_units(12.34, 1, up=True) == 124 and to_units(12.34, 1, up=False) == 123
    assert to_units(0.3, 1, up=True) == to_units(0.3, 1, up=False) == 3
    assert to_units(1236.0, 2, up=False) == 123600


def test_core_solution_back_to_ids_and_cost() -> None:
    """Visit indices become customer ids; empty routes are dropped; the reported Solomon cost
    is the truncated distance in real units, the TOPTW one the score."""
    solution = CoreSolution(routes=(((1, 100),), (), ((0, 50),)), engine="test")
    assert from_core(tiny(), solution) == [[2], [1]]
    assert reported_objective(tiny(), to_core(tiny()), solution) == 30.0
    toptw = tiny("toptw")
    assert reported_objective(toptw, to_core(toptw, 3), solution) == 16.0


# -- checker --------------------------------------------------------------------------------------


def test_checker_accepts_a_feasible_solution() -> None:
    """One route per customer: feasible, cost 10 + 20 = 30 (Solomon) or score 16 (TOPTW)."""
    assert check_solution(tiny(), [[1], [2]], claimed_cost=30.0) == (True, [], 30.0)
    assert check_solution(tiny("toptw"), [[1, 2]], vehicles=1) == (True, [], 16.0)


def test_checker_catches_a_window_violation() -> None:
    """Customer 2 first: customer 1 is reached at 16, after its due time 10."""
    feasible, problems, _ = check_solution(tiny("toptw"), [[2, 1]])
    assert not feasible and any("customer 1" in p and "due" in p for p in problems)


def test_checker_catches_a_capacity_violation() -> None:
    """Both customers on one route load 10 over a capacity of 8."""
    feasible, problems, cost = check_solution(tiny(), [[1, 2]])
    assert not feasible and problems == ["route #1: load 10 over capacity 8"]
    assert cost == 20.0


def test_checker_catches_a_wrong_cost() -> None:
    """A claimed cost that is not the recomputed one is a problem."""
    feasible, problems, _ = check_solution(tiny(), [[1], [2]], claimed_cost=29.9)
    assert not feasible and "differs" in problems[0]


def test_checker_catches_missing_repeated_unknown_and_surplus_routes() -> None:
    """Solomon customers are served exactly once, by at most the fleet; ids must exist."""
    assert "not visited" in check_solution(tiny(), [[1]]).problems[0]
    assert any("more than once" in p for p in check_solution(tiny("toptw"), [[1], [1]], 2)[1])
    assert any("not customers" in p for p in check_solution(tiny("toptw"), [[7]])[1])
    assert "at most 1" in check_solution(tiny("toptw"), [[1], [2]])[1][0]


def test_checker_catches_a_late_return() -> None:
    """A route back at the depot after the horizon is infeasible."""
    late = Instance(
        "late", "toptw", Customer(0, 0, 0, 0, 0, 15, 0, 0), tiny().customers, 1, 0, 15, 1
    )
    feasible, problems, _ = check_solution(late, [[2]])
    assert not feasible and "after the horizon" in problems[0]


def test_checker_truncates_every_arc() -> None:
    """Depot to (1, 1) and back: two arcs of 1.4 (not 2 x 1.41421...)."""
    instance = Instance(
        "diag",
        "solomon",
        Customer(0, 0, 0, 0, 0, 100, 0, 0),
        (Customer(1, 1, 1, 1, 0, 50, 0, 0),),
        1,
        10,
        100,
        1,
    )
    assert check_solution(instance, [[1]]) == (True, [], 2.8)


def test_solution_files_round_trip(tmp_path: Path) -> None:
    """``format_solution`` writes what ``read_solution`` reads."""
    path = write(tmp_path / "s.sol", format_solution(tiny(), [[1], [], [2]], 30.0))
    assert path.read_text(encoding="utf-8") == "Route #1: 1\nRoute #2: 2\nCost 30.0\n"
    assert read_solution(path) == ([[1], [2]], 30.0)
    with pytest.raises(InvalidProblem, match="expected 'Route"):
        read_solution(write(tmp_path / "b.sol", "Rout 1: 2\n"))


def test_checker_accepts_the_best_known_c101_routes() -> None:
    """The CVRPLIB best-known routes of C101 pass, with the stated cost 827.3."""
    assert ROOT is not None
    sol = ROOT / "solomon" / "vrplib" / "C101.sol"
    routes, cost = read_solution(sol)
    assert cost == 827.3
    assert check_solution(find_instance("solomon", "C101"), routes, claimed_cost=cost) == (
        True,
        [],
        827.3,
    )


# -- short solves through the routing core ----------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "name", "vehicles"),
    [
        ("solomon", "C101", None),
        ("solomon", "R101", None),
        ("toptw", "c101", 1),
        ("toptw", "pr01", 2),
    ],
)
def test_short_solve_is_feasible_and_reports_the_checked_cost(
    tmp_path: Path, kind: str, name: str, vehicles: int | None
) -> None:
    """A 2-s solve is feasible by the independent checker, and the cost written in the
    solution file equals the cost the checker recomputes from its routes."""
    instance = find_instance(kind, name)  # type: ignore[arg-type]
    fleet = vehicles or instance.fleet
    row = run_one(instance, fleet, 2.0, tmp_path)
    assert row.feasible, row.problems
    routes, cost = read_solution(next(tmp_path.glob("*.sol")))
    assert cost is not None
    feasible, problems, recomputed = check_solution(instance, routes, fleet)
    assert feasible, problems
    assert cost == pytest.approx(recomputed, abs=1e-9) and row.objective == recomputed
    assert row.vehicles_used == len(routes) <= fleet
    if kind == "solomon":
        assert row.best_known is not None and row.objective >= row.best_known - 1e-9
        assert row.gap_pct is not None and row.gap_pct < 10
    else:
        assert row.objective > 0


# -- command line ----------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_bench_writes_solutions_and_csv(tmp_path: Path) -> None:
    """``scheduler bench solomon --instances C101 --time-limit 1`` exits 0, prints the table
    and writes the solution file and the CSV."""
    out, sols = tmp_path / "out.csv", tmp_path / "sols"
    args = ["bench", "solomon", "--instances", "c101", "--time-limit", "1"]
    result = runner.invoke(app, [*args, "--csv", str(out), "--solutions", str(sols)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "C101" in text and "mean gap" in text and "1/1 feasible" in text
    routes, cost = read_solution(sols / "C101.sol")
    assert check_solution(find_instance("solomon", "C101"), routes, claimed_cost=cost).feasible
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["instance"], r["feasible"], r["best_known"]) for r in rows] == [
        ("C101", "True", "827.3")
    ]


def test_cli_bench_unknown_instance_exits_2() -> None:
    """An unknown instance name ends with exit code 2 and a message naming it."""
    result = runner.invoke(app, ["bench", "toptw", "--instances", "c101,zz9"])
    assert result.exit_code == 2, result.output
    assert "zz9" in result.output and "Traceback" not in result.output
