"""Server-side sessions: sign-out, an admin, deactivation and time end them for every copy of
the cookie; login and logout are refused from other sites."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from gateway import principal as principals
from store.db import utcnow
from store.staff import service as staff
from store.staff import sessions
from store.staff.session_models import StaffSession

PASSWORD = "correct horse battery"


async def add_user(app, email: str = "agent@example.com", role: str = "agent") -> int:
    async with app.state.db.uow() as session:
        return (await staff.create_user(session, email=email, password=PASSWORD, role=role)).id


def browser(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def sign_in(http: httpx.AsyncClient, email: str = "agent@example.com") -> str:
    r = await http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return r.json()["csrf_token"]


async def reads(app, cookie: str) -> int:
    """The status a copy of the cookie gets on the API, from another client."""
    async with browser(app) as other:
        other.cookies.set(principals.SESSION_COOKIE, cookie)
        return (await other.get("/api/v1/tickets")).status_code


async def test_logout_ends_the_session_for_every_copy_of_the_cookie(app, client):
    await add_user(app)
    csrf = await sign_in(client)
    copy = client.cookies[principals.SESSION_COOKIE]
    assert await reads(app, copy) == 200
    out = await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 204
    assert await reads(app, copy) == 401  # before: the old cookie read the API for 14 days


async def test_console_logout_ends_the_server_session(app):
    await add_user(app)
    async with browser(app) as http:
        form = await http.get("/console/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)[1]
        data = {"email": "agent@example.com", "password": PASSWORD, "csrf_token": token}
        assert (await http.post("/console/login", data=data)).status_code == 303
        page = await http.get("/console")
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text)[1]
        copy = http.cookies[principals.SESSION_COOKIE]
        assert (await http.post("/console/logout", data={"csrf_token": "wrong"})).status_code == 403
        assert await reads(app, copy) == 200
        out = await http.post("/console/logout", data={"csrf_token": csrf})
        assert out.status_code == 303 and out.headers["location"] == "/console/login"
    assert await reads(app, copy) == 401


async def test_admin_revokes_every_session_of_a_user(app, admin_headers):
    user_id = await add_user(app)
    copies = []
    for agent in ("Firefox", "Chrome"):
        async with browser(app) as http:
            http.headers["User-Agent"] = agent
            await sign_in(http)
            copies.append(http.cookies[principals.SESSION_COOKIE])
    async with browser(app) as admin:
        listed = await admin.get(f"/api/v1/users/{user_id}/sessions", headers=admin_headers)
        assert sorted(s["user_agent"] for s in listed.json()) == ["Chrome", "Firefox"]
        assert "csrf" not in listed.text and "id" not in listed.json()[0]
        gone = await admin.delete(f"/api/v1/users/{user_id}/sessions", headers=admin_headers)
        assert gone.status_code == 200 and gone.json() == {"revoked": 2}
        assert (
            await admin.get(f"/api/v1/users/{user_id}/sessions", headers=admin_headers)
        ).json() == []
        missing = await admin.delete("/api/v1/users/999999/sessions", headers=admin_headers)
        assert missing.status_code == 404
    assert [await reads(app, c) for c in copies] == [401, 401]


async def test_an_agent_cannot_revoke_sessions(app, client):
    admin_id = await add_user(app, "boss@example.com", "admin")
    await add_user(app)
    csrf = await sign_in(client)
    r = await client.delete(f"/api/v1/users/{admin_id}/sessions", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 403


async def test_deactivation_revokes_and_reactivation_does_not_revive(app, client, admin_headers):
    user_id = await add_user(app)
    await sign_in(client)
    copy = client.cookies[principals.SESSION_COOKIE]
    async with browser(app) as admin:
        url = f"/api/v1/users/{user_id}"
        assert (await admin.patch(url, json={"is_active": False}, headers=admin_headers)).is_success
        assert await reads(app, copy) == 401
        assert (await admin.patch(url, json={"is_active": True}, headers=admin_headers)).is_success
    assert await reads(app, copy) == 401  # a new sign-in is needed


async def test_a_new_password_signs_the_user_out_elsewhere(app, client, admin_headers):
    user_id = await add_user(app)
    await sign_in(client)
    copy = client.cookies[principals.SESSION_COOKIE]
    async with browser(app) as admin:
        body = {"password": "another long password"}
        r = await admin.patch(f"/api/v1/users/{user_id}", json=body, headers=admin_headers)
        assert r.is_success
    assert await reads(app, copy) == 401


@pytest.mark.parametrize(
    "aged",
    [
        {"last_seen_at": utcnow() - sessions.IDLE - timedelta(minutes=1)},  # idle too long
        {"expires_at": utcnow() - timedelta(seconds=1)},  # past its absolute lifetime
    ],
    ids=["idle", "absolute"],
)
async def test_sessions_expire(app, client, aged):
    await add_user(app)
    await sign_in(client)
    copy = client.cookies[principals.SESSION_COOKIE]
    async with app.state.db.uow() as session:
        await session.execute(update(StaffSession).values(**aged))
    assert await reads(app, copy) == 401


async def test_use_keeps_a_session_alive(app, client):
    """An agent at work is not signed out after IDLE: each use (at most once a minute) moves
    last_seen_at."""
    await add_user(app)
    await sign_in(client)
    earlier = utcnow() - sessions.IDLE + timedelta(minutes=5)
    async with app.state.db.uow() as session:
        await session.execute(update(StaffSession).values(last_seen_at=earlier))
    assert (await client.get("/api/v1/tickets")).status_code == 200
    async with app.state.db.read() as session:
        (row,) = (await session.scalars(select(StaffSession))).all()
        assert row.last_seen_at > utcnow() - timedelta(minutes=1)


async def test_the_database_holds_no_usable_token(app, client):
    await add_user(app)
    await sign_in(client)
    session_cookie = principals.cookie_session(
        app.state.settings.secret,
        f"{principals.SESSION_COOKIE}={client.cookies[principals.SESSION_COOKIE]}",
    )
    token = session_cookie[principals.SID_KEY]
    async with app.state.db.read() as session:
        (row,) = (await session.scalars(select(StaffSession))).all()
        assert row.id == sessions.digest(token) and token not in (row.id, row.csrf)


async def test_logout_needs_csrf_and_api_keys_need_none(app, client, admin_headers):
    await add_user(app)
    await sign_in(client)
    assert (await client.post("/api/v1/auth/logout")).status_code == 403
    forged = await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": "guess"})
    assert forged.status_code == 403
    assert (await client.get("/api/v1/auth/me")).status_code == 200
    # An integration's key is no cookie: writes need no CSRF token.
    async with browser(app) as script:
        body = {"subject": "Hi", "body": "Hello", "customer": {"email": "c@example.com"}}
        assert (await script.post("/api/v1/tickets", json=body, headers=admin_headers)).is_success


async def test_login_from_another_site_is_refused(app, client):
    await add_user(app)
    body = {"email": "agent@example.com", "password": PASSWORD}
    cross = await client.post(
        "/api/v1/auth/login", json=body, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert cross.status_code == 403 and principals.SESSION_COOKIE not in client.cookies
    # A form post (the only kind another site can send without asking) is not JSON: refused.
    form = await client.post("/api/v1/auth/login", content=str(body), headers={})
    assert form.status_code == 422 and principals.SESSION_COOKIE not in client.cookies
    plain = await client.post(
        "/api/v1/auth/login",
        content=json.dumps(body),
        headers={"Content-Type": "text/plain"},
    )
    assert plain.status_code == 422 and principals.SESSION_COOKIE not in client.cookies
    same = await client.post(
        "/api/v1/auth/login", json=body, headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert same.status_code == 200


async def test_console_form_refuses_another_sites_post(app, client):
    await add_user(app)
    await client.get("/console/login")  # the visitor has a sign-in form token of their own
    data = {"email": "agent@example.com", "password": PASSWORD, "csrf_token": ""}
    forged = await client.post("/console/login", data=data)
    assert forged.status_code == 403 and "expired" in forged.text
    assert (await client.get("/api/v1/auth/me")).status_code == 401
