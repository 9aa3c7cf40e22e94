"""Re-plans that publish are serialized on the database (issue 9): a planner's publishing
re-plan of a version that is no longer published is refused (409), also when another
version is published while its engine runs; two automatic re-plans of one season running
at once, as if in two processes, make a linear chain of versions (no lost update). On
SQLite and PostgreSQL.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_api_replan import Headers, Json, disruption, iso, published_id, replan, scene

from scheduler.api import replan as replan_api
from scheduler.config import Settings
from scheduler.db.catalogue import get_season
from scheduler.db.engine import Database
from scheduler.db.plans import get_plan_row, lock_season, plan_versions, publish_plan
from scheduler.db.tables import PlanRow

from conftest import Seeded


def cancel_target(seeded: Seeded) -> Json:
    """The body of a re-plan of the scene's day that cancels its last stop's venue."""
    at = scene(seeded)
    event = disruption("venue_cancelled", seeded, at)
    return {"day": iso(at.day), "now": iso(at.now), "disruptions": [event]}


def versions(database: Database, season_id: int) -> list[PlanRow]:
    """The season's versions, oldest first."""
    with database.session() as session:
        return [row for row, _ in reversed(plan_versions(session, season_id=season_id))]


# --- the planner: a stale base is refused -------------------------------------------------


def test_a_second_publishing_replan_of_the_same_base_is_409(
    client: TestClient, seeded: Seeded, planner: Headers, database: Database
) -> None:
    """Two publishing re-plans of version 1, one after the other: the first publishes
    version 2, the second is refused (409 naming both versions) and writes nothing; a
    what-if of version 1 is still allowed."""
    body = cancel_target(seeded)
    status, first = replan(client, planner, seeded.plan_id, publish=True, **body)
    assert status == 201, first
    newer = first["plan"]
    assert published_id(client, planner, seeded.season_id) == newer["id"]
    status, second = replan(client, planner, seeded.plan_id, publish=True, **body)
    assert status == 409, second
    assert second["detail"] == (
        f"version 1 is no longer published; re-plan version {newer['number']}"
    )
    assert published_id(client, planner, seeded.season_id) == newer["id"]
    assert len(versions(database, seeded.season_id)) == 2
    status, what_if = replan(client, planner, seeded.plan_id, publish=False, **body)
    assert status == 201, what_if
    assert what_if["plan"]["parent_id"] == seeded.plan_id
    assert published_id(client, planner, seeded.season_id) == newer["id"]


def test_a_version_published_while_the_engine_runs_is_not_overwritten(
    client: TestClient,
    seeded: Seeded,
    planner: Headers,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another version is published (by another session) while a publishing re-plan of
    version 1 is in the engine: the re-plan is refused (409) once it holds the season lock,
    and that version stays published."""
    body = cancel_target(seeded)
    status, what_if = replan(client, planner, seeded.plan_id, **body)
    assert status == 201, what_if
    other = what_if["plan"]
    engine = replan_api.replan_plan

    def publish_meanwhile(*args: Any, **kwargs: Any) -> Any:
        outcome = engine(*args, **kwargs)
        with database.session() as session:
            publish_plan(session, row=get_plan_row(session, other["id"]), user=None)
        return outcome

    monkeypatch.setattr(replan_api, "replan_plan", publish_meanwhile)
    status, refused = replan(client, planner, seeded.plan_id, publish=True, **body)
    assert status == 409, refused
    assert refused["detail"] == (
        f"version 1 is no longer published; re-plan version {other['number']}"
    )
    assert published_id(client, planner, seeded.season_id) == other["id"]
    assert len(versions(database, seeded.season_id)) == 2


# --- automatic re-plans in two "processes" -------------------------------------------------


@pytest.fixture
def two_processes(
    settings: Settings, database: Database, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[SimpleNamespace]]:
    """Two ``app.state``-like objects, each with a database engine of its own, and the
    process lock of ``replan_after_event`` out of the way (two processes never share one):
    only the database orders their re-plans."""
    monkeypatch.setattr(replan_api, "_auto_lock", contextlib.nullcontext())
    states = [SimpleNamespace(db=Database(database.url), settings=settings) for _ in range(2)]
    yield states
    for state in states:
        state.db.dispose()


def run_together(calls: list[Callable[[], None]]) -> None:
    """Run each call in a thread of its own, all released at the same moment."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], None]) -> None:
        start.wait(timeout=30)
        call()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a re-plan did not finish"


def test_two_automatic_replans_at_once_make_a_linear_chain(
    seeded: Seeded, database: Database, two_processes: list[SimpleNamespace]
) -> None:
    """Two drivers' events re-plan the season at the same moment in two "processes": the
    second re-plan starts from the version the first published, so the published version's
    parent is the other re-plan and that one's parent is version 1 (no lost update)."""
    at = scene(seeded)
    events = [
        disruption("venue_cancelled", seeded, at),
        {"kind": "delayed", "truck_id": at.truck, "minutes": 25},
    ]

    def call(state: SimpleNamespace, event: Json) -> Callable[[], None]:
        situation = replan_api.ReplanSituation.model_validate(
            {"day": at.day, "now": at.now, "disruptions": [event]}
        )
        return lambda: replan_api.replan_after_event(
            state, season_id=seeded.season_id, situation=situation, note=f"{event['kind']}"
        )

    run_together([call(state, event) for state, event in zip(two_processes, events, strict=True)])
    base, first, second = versions(database, seeded.season_id)
    assert base.id == seeded.plan_id
    assert (first.kind, first.parent_id) == ("replan", base.id)
    assert (second.kind, second.parent_id) == ("replan", first.id)
    with database.session() as session:
        assert get_season(session, seeded.season_id).published_plan_id == second.id
    assert {first.note, second.note} == {"venue_cancelled", "delayed"}


def test_publishing_while_a_replan_holds_the_season_does_not_deadlock(
    client: TestClient, seeded: Seeded, planner: Headers, database: Database
) -> None:
    """A planner publishes the published version again while an automatic re-plan holds
    the season and is about to publish its own version (which un-marks the old one): both
    finish, one after the other. Every publisher takes the season before the plan row; the
    other order deadlocked on PostgreSQL (one side aborted, a 500)."""
    status, what_if = replan(client, planner, seeded.plan_id, **cancel_target(seeded))
    assert status == 201, what_if
    held, answers, failures = threading.Event(), [], []

    def replanner() -> None:
        try:
            with database.session() as session:
                lock_season(session, seeded.season_id)
                held.set()
                time.sleep(0.8)  # the planner's publish is waiting by now
                row = get_plan_row(session, what_if["plan"]["id"])
                publish_plan(session, row=row, user=None)
                session.commit()
        except Exception as error:  # the test reports any failure
            failures.append(error)

    def publisher() -> None:
        held.wait(timeout=30)
        answers.append(client.post(f"/api/plans/{seeded.plan_id}/publish", headers=planner))

    run_together([replanner, publisher])
    assert failures == []
    assert [answer.status_code for answer in answers] == [200], answers[0].text
    assert published_id(client, planner, seeded.season_id) == seeded.plan_id
