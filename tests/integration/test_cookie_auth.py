"""Password sign-in for the web UI: session cookie, CSRF header on unsafe methods, roles."""

from __future__ import annotations

import pytest

from store.staff import service as staff

PASSWORD = "correct horse battery"


async def add_user(app, email: str, role: str) -> int:
    async with app.state.db.uow() as session:
        user = await staff.create_user(session, email=email, password=PASSWORD, role=role)
        return user.id


async def login(client, email: str, password: str = PASSWORD):
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password})


@pytest.fixture
async def agent(app, client) -> str:
    """A signed-in agent; returns the CSRF token the sign-in answered with."""
    await add_user(app, "agent@example.com", "agent")
    r = await login(client, "agent@example.com")
    assert r.status_code == 200
    return r.json()["csrf_token"]


async def test_login_sets_cookie_and_get_works(client, agent):
    assert "autocrm_session" in client.cookies
    me = await client.get("/api/v1/auth/me")
    assert me.status_code == 200 and me.json()["user"]["email"] == "agent@example.com"
    assert me.json()["csrf_token"] == agent
    assert "password" not in me.text and "hash" not in me.text
    assert (await client.get("/api/v1/tickets")).status_code == 200


async def test_unsafe_method_needs_csrf_header(client, agent):
    body = {"subject": "Hi", "body": "Hello", "customer": {"email": "c@example.com"}}
    bare = await client.post("/api/v1/tickets", json=body)
    assert bare.status_code == 403
    assert bare.headers["content-type"] == "application/problem+json"
    assert "X-CSRF-Token" in bare.json()["detail"]
    forged = await client.post("/api/v1/tickets", json=body, headers={"X-CSRF-Token": "guess"})
    assert forged.status_code == 403
    ok = await client.post("/api/v1/tickets", json=body, headers={"X-CSRF-Token": agent})
    assert ok.status_code == 201
    events = await client.get(f"/api/v1/tickets/{ok.json()['id']}/events")
    assert events.json()[0]["actor_kind"] == "user"
    assert events.json()[0]["actor_name"] == "agent@example.com"


async def test_agent_is_forbidden_on_admin_routes(client, agent):
    csrf = {"X-CSRF-Token": agent}
    assert (await client.get("/api/v1/api-keys")).status_code == 403
    assert (await client.get("/api/v1/webhooks")).status_code == 403
    made = await client.post(
        "/api/v1/users",
        json={"email": "new@example.com", "password": "long enough pw"},
        headers=csrf,
    )
    assert made.status_code == 403
    assert "admin" in made.json()["detail"]
    # ...while the agent's own scopes are enough for agent work.
    assert (await client.get("/api/v1/contacts")).status_code == 200


async def test_admin_cookie_reaches_admin_routes(app, client):
    await add_user(app, "boss@example.com", "admin")
    csrf = (await login(client, "boss@example.com")).json()["csrf_token"]
    assert (await client.get("/api/v1/api-keys")).status_code == 200
    made = await client.post(
        "/api/v1/api-keys",
        json={"name": "ci", "scopes": ["tickets:read"]},
        headers={"X-CSRF-Token": csrf},
    )
    assert made.status_code == 201


async def test_logout_ends_the_session(client, agent):
    bare = await client.post("/api/v1/auth/logout")  # another site could send this one
    assert bare.status_code == 403 and "X-CSRF-Token" in bare.json()["detail"]
    assert (await client.get("/api/v1/tickets")).status_code == 200  # still signed in
    out = await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": agent})
    assert out.status_code == 204
    after = await client.get("/api/v1/tickets")
    assert after.status_code == 401
    assert after.headers["content-type"] == "application/problem+json"
    assert (await client.get("/api/v1/auth/me")).status_code == 401


async def test_wrong_password_or_unknown_user_is_401(app, client):
    await add_user(app, "agent@example.com", "agent")
    wrong = await login(client, "agent@example.com", "not the password")
    nobody = await login(client, "nobody@example.com")
    for r in (wrong, nobody):
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["detail"] == "wrong email or password"  # same answer: no account probing
    assert "autocrm_session" not in client.cookies
    assert (await client.get("/api/v1/tickets")).status_code == 401


async def test_deactivated_user_loses_the_session(app, client, agent, admin_headers):
    me = (await client.get("/api/v1/auth/me")).json()["user"]
    off = await client.patch(
        f"/api/v1/users/{me['id']}", json={"is_active": False}, headers=admin_headers
    )
    assert off.status_code == 200
    assert (await client.get("/api/v1/tickets")).status_code == 401
    assert (await login(client, "agent@example.com")).status_code == 401
