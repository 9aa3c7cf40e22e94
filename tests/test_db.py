"""The database: migrations from empty to head on SQLite and PostgreSQL, models equal to
migrations, plans round-trip through rows, and a plan write is all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from scheduler.db.catalogue import import_scenario, season_problem
from scheduler.db.engine import Database
from scheduler.db.migrate import current_revision, head_revision, upgrade
from scheduler.db.plans import get_plan_row, load_plan, publish_plan, write_plan
from scheduler.db.tables import Base, PlanRow, RouteRow
from scheduler.planning import PlanOutcome
from scheduler.schemas import scenario_from_problem

from conftest import Seeded


def test_upgrade_on_an_empty_sqlite_file(tmp_path: Path) -> None:
    """An SQLite file that does not exist yet is created and migrated to head, twice."""
    database = Database(f"sqlite:///{tmp_path / 'new' / 'fresh.db'}")
    assert current_revision(database.engine) is None
    upgrade(database.engine)
    upgrade(database.engine)
    assert current_revision(database.engine) == head_revision()
    database.dispose()


def test_models_match_migrations(database: Database) -> None:
    """After upgrade, autogenerate finds no difference between the tables and the schema
    (on SQLite and on PostgreSQL)."""
    assert current_revision(database.engine) == head_revision()
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_plan_round_trip(database: Database, demo_outcome: PlanOutcome) -> None:
    """A solved plan written as rows reads back equal, times in the season's zone, with
    its locks."""
    problem_in = None
    with database.session() as session:
        season = import_scenario(session, scenario_from_problem(_problem(demo_outcome)))
        problem_in = season_problem(session, season.id)
        route = demo_outcome.plan.routes[0]
        row = write_plan(
            session,
            season_id=season.id,
            problem=problem_in,
            plan=demo_outcome.plan,
            kind="solve",
            locked_routes=frozenset({(route.truck_id, route.day)}),
        )
        plan_id = row.id
    with database.session() as session:
        stored = load_plan(get_plan_row(session, plan_id))
    assert stored.plan == demo_outcome.plan
    assert stored.problem == problem_in
    assert stored.number == 1 and stored.kind == "solve"
    assert stored.locked_routes == {(route.truck_id, route.day)}
    first = stored.plan.routes[0].depot_departure
    assert str(first.tzinfo) == "Europe/Moscow"


def test_a_failed_write_leaves_the_previous_version(
    database: Database, demo_outcome: PlanOutcome
) -> None:
    """A crash in the middle of writing a plan (after its rows were flushed) rolls the whole
    version back: the previous version stays the only one."""
    with database.session() as session:
        season = import_scenario(session, scenario_from_problem(_problem(demo_outcome)))
        problem = season_problem(session, season.id)
        write_plan(
            session, season_id=season.id, problem=problem, plan=demo_outcome.plan, kind="solve"
        )
        season_id = season.id
    with pytest.raises(RuntimeError), database.session() as session:
        write_plan(
            session, season_id=season_id, problem=problem, plan=demo_outcome.plan, kind="solve"
        )
        raise RuntimeError("the process dies here")
    with database.session() as session:
        assert session.scalar(select(func.count(PlanRow.id))) == 1
        routes = session.scalar(select(func.count(RouteRow.id)))
        assert routes == len(demo_outcome.plan.routes)


def _problem(outcome: PlanOutcome):  # type: ignore[no-untyped-def]
    from scheduler.demo import demo_problem

    from conftest import DEMO_DAYS

    return demo_problem(days=DEMO_DAYS)


def test_publishing_a_version_unpublishes_the_previous_one(
    database: Database, seeded: Seeded
) -> None:
    """Only the season's published version carries ``published_at``: publishing version 2
    clears it on version 1, so ``load_plan`` calls version 1 unpublished."""
    with database.session() as session:
        first = get_plan_row(session, seeded.plan_id)
        stored = load_plan(first)
        second = write_plan(
            session,
            season_id=seeded.season_id,
            problem=stored.problem,
            plan=stored.plan,
            kind="edit",
            parent_id=first.id,
        )
        publish_plan(session, row=second, user=None)
        second_id = second.id
    with database.session() as session:
        assert load_plan(get_plan_row(session, seeded.plan_id)).published is False
        assert load_plan(get_plan_row(session, second_id)).published is True
