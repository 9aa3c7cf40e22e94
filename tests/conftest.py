"""Shared fixtures for the service tests.

``database`` runs every test that uses it twice: on a fresh SQLite file and on the local
PostgreSQL (127.0.0.1:5432, database ``test``; ``SCHEDULER_TEST_POSTGRES_URL`` overrides).
PostgreSQL is required: a test that cannot reach it fails, it never skips.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from scheduler.app import create_app
from scheduler.bootstrap import DEMO_USERS, load_demo
from scheduler.config import Settings
from scheduler.db.catalogue import season_problem
from scheduler.db.engine import Database
from scheduler.db.migrate import upgrade
from scheduler.db.plans import write_plan
from scheduler.db.tables import Base, Season
from scheduler.domain import Plan
from scheduler.planning import PlanOutcome, plan_problem

POSTGRES_URL = os.environ.get(
    "SCHEDULER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgresql")
DEMO_DAYS = 3


@pytest.fixture(scope="session")
def postgres() -> Iterator[Database]:
    """The test PostgreSQL database, in a schema of this test run's own (so parallel runs
    never meet), migrated once per run and dropped at the end."""
    schema = f"run_{os.getpid()}"
    admin = Database(POSTGRES_URL)
    with admin.engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in POSTGRES_URL else "?"
    database = Database(f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}")
    upgrade(database.engine)
    yield database
    database.dispose()
    with admin.engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


def _truncate(database: Database) -> None:
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with database.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database: SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'test.db'}")
        upgrade(database.engine)
        yield database
        database.dispose()
        return
    postgres: Database = request.getfixturevalue("postgres")
    _truncate(postgres)
    yield postgres


@pytest.fixture
def settings(tmp_path: Path, database: Database) -> Settings:
    """Service settings on the test database, with a data folder of its own."""
    return Settings(
        data_dir=tmp_path / "var",
        database_url=database.url,
        broker_url=None,
        solve_time_limit_s=5,
        published_ttl_s=0,
    )


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A client with the app's lifespan running (database, job queue)."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def demo_outcome() -> PlanOutcome:
    """The demo season's first days, solved once per test run."""
    from scheduler.demo import demo_problem

    return plan_problem(demo_problem(days=DEMO_DAYS), time_limit_s=5)


@dataclass(frozen=True)
class Seeded:
    """What ``seeded`` stored: the demo season and its published plan."""

    season_id: int
    plan_id: int
    plan: Plan


def _seed(database: Database, outcome: PlanOutcome) -> Seeded:
    with database.session() as session:
        season_id, _ = load_demo(session, days=DEMO_DAYS)
        problem = season_problem(session, season_id)
        row = write_plan(
            session,
            season_id=season_id,
            problem=problem,
            plan=outcome.plan,
            kind="solve",
            violations=outcome.violations,
        )
        row.published_at = datetime.now(UTC)
        season = session.get(Season, season_id)
        assert season is not None
        season.published_plan_id = row.id
        plan_id = row.id
    return Seeded(season_id=season_id, plan_id=plan_id, plan=outcome.plan)


@pytest.fixture
def seeded(database: Database, demo_outcome: PlanOutcome) -> Seeded:
    """The demo season (3 days), the demo users, and a published plan version 1."""
    return _seed(database, demo_outcome)


def login(client: TestClient, name: str, password: str | None = None) -> dict[str, str]:
    """Authorization headers for a demo user (password looked up if not given)."""
    if password is None:
        password = next(u.password for u in DEMO_USERS if u.name == name)
    response = client.post("/api/auth/token", data={"username": name, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def planner(client: TestClient, seeded: Seeded) -> dict[str, str]:
    """Headers of the demo planner."""
    return login(client, "planner")


@pytest.fixture
def admin(client: TestClient, seeded: Seeded) -> dict[str, str]:
    """Headers of the demo admin."""
    return login(client, "admin")


@pytest.fixture
def driver(client: TestClient, seeded: Seeded) -> dict[str, str]:
    """Headers of driver1 (truck projector-1)."""
    return login(client, "driver1")


# --- a real browser ---------------------------------------------------------------------

CHROMIUM = os.environ.get("SCHEDULER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@dataclass
class LiveServer:
    """The service on a real port, with the seeded demo database behind it."""

    url: str
    database: Database
    seeded: Seeded


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def live_server(tmp_path: Path, demo_outcome: PlanOutcome) -> Iterator[LiveServer]:
    """uvicorn in a thread on a free port over a seeded SQLite database (the demo season,
    its users and a published plan)."""
    import threading
    import time

    import uvicorn

    database = Database(f"sqlite:///{tmp_path / 'live.db'}")
    upgrade(database.engine)
    seeded = _seed(database, demo_outcome)
    settings = Settings(data_dir=tmp_path / "var", database_url=database.url, solve_time_limit_s=5)
    port = _free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the live server did not start"
        time.sleep(0.05)
    yield LiveServer(url=f"http://127.0.0.1:{port}", database=database, seeded=seeded)
    server.should_exit = True
    thread.join(timeout=10)
    database.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (headless)."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


@dataclass
class BrowserPage:
    """A page that records JavaScript errors, console errors and failed requests."""

    page: Any
    errors: list[str]

    def screenshot(self, name: str) -> Path:
        """Save a screenshot under test-artifacts/ and return its path."""
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=False)
        return path


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    """``open_page(viewport=None, offline_ok=False) -> BrowserPage``; at teardown the test
    fails if any page logged a JavaScript error, a console error or a failed request."""
    contexts: list[Any] = []
    pages: list[BrowserPage] = []

    def make(viewport: dict[str, int] | None = None, **context_args: Any) -> BrowserPage:
        context = browser.new_context(
            viewport=viewport or {"width": 1440, "height": 900},
            locale="ru-RU",
            timezone_id="Europe/Moscow",
            **context_args,
        )
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
        page.on(
            "console",
            lambda msg: (
                errors.append(f"console.{msg.type}: {msg.text}") if msg.type == "error" else None
            ),
        )
        page.on(
            "requestfailed",
            lambda request: errors.append(f"requestfailed: {request.url} {request.failure}"),
        )
        wrapped = BrowserPage(page=page, errors=errors)
        pages.append(wrapped)
        return wrapped

    yield make
    for context in contexts:
        context.close()
    found = [error for wrapped in pages for error in wrapped.errors]
    assert found == [], "\n".join(found)
