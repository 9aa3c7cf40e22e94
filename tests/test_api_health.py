"""``GET /api/health``: 200 when the database and the job backend work, 503 (documented, same
body) when either is down."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from scheduler.app import create_app
from scheduler.config import Settings


class StubQueue:
    """A job backend that takes nothing and reports the health it is given."""

    name = "stub"

    def __init__(self, ok: bool) -> None:
        self.ok = ok

    def submit(self, job_id: str) -> None:
        raise AssertionError("health must not submit jobs")

    def cancel(self, job_id: str) -> None:
        raise AssertionError("health must not cancel jobs")

    def health(self) -> tuple[bool, str]:
        return self.ok, "ready" if self.ok else "broker gone"

    def shutdown(self) -> None:
        pass


def test_health_ok_is_200(client: TestClient) -> None:
    """With the database and the in-process backend up: 200, status ok, both parts ok."""
    response = client.get("/api/health")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["detail"] in ("sqlite", "postgresql")
    assert body["jobs"]["ok"] is True and body["jobs"]["detail"].startswith("inprocess: ")


def test_job_backend_down_is_503(settings: Settings) -> None:
    """A backend whose ``health()`` is False: 503 with status degraded, the backend's word
    on it, and the database still reported ok."""
    with TestClient(create_app(settings, queue=StubQueue(ok=False))) as client:
        response = client.get("/api/health")
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["status"] == "degraded"
    assert body["jobs"] == {"ok": False, "detail": "stub: broker gone"}
    assert body["database"]["ok"] is True


def test_database_down_is_503(tmp_path: Path) -> None:
    """A PostgreSQL server that refuses connections: 503 naming the backend and the error
    class, with the job backend ok."""
    settings = Settings(
        data_dir=tmp_path / "var",
        database_url="postgresql+psycopg://postgres@127.0.0.1:1/down?connect_timeout=2",
        broker_url=None,
    )
    with TestClient(create_app(settings, queue=StubQueue(ok=True))) as client:
        response = client.get("/api/health")
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["status"] == "degraded"
    assert body["database"] == {"ok": False, "detail": "postgresql: OperationalError"}
    assert body["jobs"] == {"ok": True, "detail": "stub: ready"}


def test_openapi_documents_503(settings: Settings) -> None:
    """The OpenAPI document lists 200 and 503 for health, both with the health body."""
    app = create_app(settings, queue=StubQueue(ok=True))
    responses = app.openapi()["paths"]["/api/health"]["get"]["responses"]
    assert set(responses) == {"200", "503"}
    for status in ("200", "503"):
        schema = responses[status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/HealthOut"}
