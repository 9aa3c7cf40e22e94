"""Architecture rules, read from the source with ``ast`` (nothing is imported):

- ``scheduler/domain.py`` imports only the standard library;
- only modules under ``scheduler/solver/`` import OR-Tools;
- the edges (``cli``, and ``app``, ``api/``, ``web/`` once they exist) reach the solver only
  through ``scheduler.planning``.

Every import counts, including ones inside functions and ``if TYPE_CHECKING`` blocks.
"""

from __future__ import annotations

import ast
import sys
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "scheduler"
ROOT = PACKAGE.parent
MODULES = sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    """The dotted module name of a file under ``scheduler/``."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def imports(path: Path) -> frozenset[str]:
    """Every module a file imports, as absolute dotted names.

    ``from a.b import c`` yields both ``a.b`` and ``a.b.c`` (``c`` may be a submodule), and
    relative imports are resolved against the file's package.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path.parent)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names if alias.name != "*")
    return frozenset(found)


def top_level(module: str) -> str:
    """The first component of a dotted module name."""
    return module.partition(".")[0]


def relative(path: Path) -> str:
    """A path as shown in test ids and messages, e.g. ``scheduler/solver/routing.py``."""
    return path.relative_to(ROOT).as_posix()


def test_modules_are_found() -> None:
    """The scan sees the package: domain, cli and the solver modules are all there."""
    names = {relative(path) for path in MODULES}
    assert {"scheduler/domain.py", "scheduler/cli.py", "scheduler/solver/__init__.py"} <= names


def test_import_resolution() -> None:
    """The import scan resolves absolute, ``from`` and relative imports."""
    solver_init = PACKAGE / "solver" / "__init__.py"
    assert "scheduler.domain" in imports(PACKAGE / "travel.py")
    assert "scheduler.solver" in imports(PACKAGE / "planning.py")
    assert any(name.startswith("scheduler.solver.") for name in imports(solver_init))


def test_domain_imports_only_the_standard_library() -> None:
    """``scheduler/domain.py`` is pure: standard library and ``__future__`` only."""
    allowed = set(sys.stdlib_module_names) | {"__future__"}
    outside = sorted(
        name for name in imports(PACKAGE / "domain.py") if top_level(name) not in allowed
    )
    assert outside == []


SOLVER = [path for path in MODULES if path.is_relative_to(PACKAGE / "solver")]
NOT_SOLVER = [path for path in MODULES if path not in SOLVER]
EDGES = [
    path
    for path in MODULES
    if path in {PACKAGE / "cli.py", PACKAGE / "app.py", PACKAGE / "serve.py"}
    or path.is_relative_to(PACKAGE / "api")
    or path.is_relative_to(PACKAGE / "jobs")
    or path.is_relative_to(PACKAGE / "db")
    or path.is_relative_to(PACKAGE / "web")
]


@pytest.mark.parametrize("path", NOT_SOLVER, ids=relative)
def test_only_the_solver_imports_ortools(path: Path) -> None:
    """No module outside ``scheduler/solver/`` imports ``ortools``."""
    assert not any(top_level(name) == "ortools" for name in imports(path))


def test_the_solver_does_import_ortools() -> None:
    """The ortools rule is not vacuous: the solver package does use OR-Tools."""
    assert any(top_level(name) == "ortools" for path in SOLVER for name in imports(path))


@pytest.mark.parametrize("path", EDGES, ids=relative)
def test_edges_go_through_planning(path: Path) -> None:
    """The CLI (and the API and web, once present) never import the solver or ortools."""
    found = imports(path)
    forbidden = sorted(
        name
        for name in found
        if top_level(name) == "ortools"
        or name == "scheduler.solver"
        or name.startswith("scheduler.solver.")
    )
    assert forbidden == []


def test_cli_uses_planning() -> None:
    """``cli.py`` reaches the solver through ``scheduler.planning``."""
    assert "scheduler.planning" in imports(PACKAGE / "cli.py")


HTTP = {"fastapi", "starlette", "uvicorn"}
NO_HTTP = [
    path
    for path in MODULES
    if path.is_relative_to(PACKAGE / "db")
    or path.is_relative_to(PACKAGE / "solver")
    or path.is_relative_to(PACKAGE / "jobs")
    or path.name in {"domain.py", "planning.py", "checks.py", "exports.py", "importing.py"}
]


@pytest.mark.parametrize("path", NO_HTTP, ids=relative)
def test_inner_layers_know_nothing_of_http(path: Path) -> None:
    """The database layer, the engine, the jobs and the exports never import the web
    framework: HTTP lives in ``api/`` and ``app.py`` only."""
    assert not any(top_level(name) in HTTP for name in imports(path))
