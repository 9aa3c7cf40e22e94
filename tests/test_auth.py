"""Login, logout, token expiry, the login rate limit, and roles on /api/users."""

from __future__ import annotations

from fastapi.testclient import TestClient

from conftest import Seeded, login


def test_health_needs_no_login(client: TestClient) -> None:
    """Health answers without a token and reports the database backend."""
    response = client.get("/api/health")
    assert response.status_code in (200, 503)
    body = response.json()
    assert body["database"]["ok"] is True


def test_login_and_me(client: TestClient, seeded: Seeded) -> None:
    """A demo planner logs in and /me names them and their role."""
    headers = login(client, "planner")
    me = client.get("/api/auth/me", headers=headers).json()
    assert me["name"] == "planner" and me["role"] == "planner" and me["truck_id"] is None


def test_wrong_password_is_401(client: TestClient, seeded: Seeded) -> None:
    """A wrong password is refused without saying whether the user exists."""
    for name in ("planner", "nobody"):
        response = client.post("/api/auth/token", data={"username": name, "password": "wrong!!!"})
        assert response.status_code == 401
        assert response.json()["detail"] == "wrong user name or password"


def test_logout_revokes(client: TestClient, seeded: Seeded) -> None:
    """After logout the same token gets 401."""
    headers = login(client, "planner")
    assert client.post("/api/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/auth/me", headers=headers).status_code == 401


def test_login_rate_limit(client: TestClient, seeded: Seeded) -> None:
    """Five failures lock further attempts for the user, even with the right password."""
    for _ in range(5):
        client.post("/api/auth/token", data={"username": "planner", "password": "wrong!!!"})
    response = client.post(
        "/api/auth/token", data={"username": "planner", "password": "planner-demo-2026"}
    )
    assert response.status_code == 429
    assert "Retry-After" in response.headers
    # another user is not affected
    assert login(client, "admin")


def test_anonymous_and_garbage_tokens(client: TestClient, seeded: Seeded) -> None:
    """No token, or a made-up one, gets 401 on a protected route."""
    assert client.get("/api/auth/me").status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert client.get("/api/auth/me", headers=bad).status_code == 401


def test_only_admins_manage_users(client: TestClient, seeded: Seeded) -> None:
    """Planners and drivers get 403 on /api/users; an admin adds a driver."""
    for name in ("planner", "driver1"):
        assert client.get("/api/users", headers=login(client, name)).status_code == 403
    admin = login(client, "admin")
    body = {
        "name": "new-driver",
        "role": "driver",
        "password": "long-enough-1",
        "truck_id": "led-1",
    }
    created = client.post("/api/users", json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert login(client, "new-driver", "long-enough-1")
    again = client.post("/api/users", json=body, headers=admin)
    assert again.status_code == 409
    bad = client.post("/api/users", json={**body, "name": "x", "truck_id": "nope"}, headers=admin)
    assert bad.status_code == 422
    assert any("truck_id" in item["loc"] for item in bad.json()["detail"])


def test_login_cache_expires_a_token_revoked_elsewhere(client: TestClient, seeded: Seeded) -> None:
    """A token revoked by another server process (the cache here is not told) stops working
    once the cached login is older than the cache's time to live."""
    from sqlalchemy import update

    from scheduler.db.tables import Token

    headers = login(client, "planner")
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    database = client.app.state.db  # type: ignore[attr-defined]
    with database.session() as session:
        session.execute(update(Token).values(revoked_at=Token.created_at))
    client.app.state.logins.ttl_s = 0  # type: ignore[attr-defined]
    assert client.get("/api/auth/me", headers=headers).status_code == 401
