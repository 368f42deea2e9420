"""One principal resolver: the same credentials name the same caller on the API, the console
pages and the console socket; a macro does the same through an API key and a console session."""

from __future__ import annotations

import re

import httpx
import pytest
import socketio

from gateway import principal as principals
from store.contacts import service as contacts
from store.messages import Identity
from store.staff import service as staff
from tests.gateway_fixtures import make_key
from tests.integration.webchat_client import Customer, gateway

PASSWORD = "correct horse battery"


async def add_user(app, email: str, role: str = "agent") -> int:
    async with app.state.db.uow() as session:
        return (await staff.create_user(session, email=email, password=PASSWORD, role=role)).id


async def console_sign_in(http: httpx.AsyncClient, email: str) -> str:
    """Sign in through the console's form; returns the page's CSRF token (for /api/v1)."""
    form = await http.get("/console/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)[1]
    data = {"email": email, "password": PASSWORD, "csrf_token": csrf}
    assert (await http.post("/console/login", data=data)).status_code == 303
    page = await http.get("/console")
    return re.search(r'name="csrf-token" content="([^"]+)"', page.text)[1]


async def connects(url: str, *, token: str | None = None, cookie: str | None = None) -> bool:
    extra = {"headers": {"Cookie": f"{principals.SESSION_COOKIE}={cookie}"}} if cookie else {}
    sio = socketio.AsyncClient(reconnection=False, websocket_extra_options=extra)
    try:
        await sio.connect(
            url,
            namespaces=["/console"],
            auth={"token": token} if token else None,
            transports=["websocket"],
        )
    except socketio.exceptions.ConnectionError:
        return False
    await sio.disconnect()
    return True


@pytest.mark.slow
async def test_console_socket_takes_the_apis_credentials(tmp_path):
    async with gateway(tmp_path) as (app, url, admin):
        reader = await make_key(app, ["tickets:read"], "feed")
        kb_only = await make_key(app, ["kb:read"], "kb")
        assert await connects(url, token=reader)
        assert not await connects(url, token=kb_only)  # a key without tickets:read: no feed
        assert not await connects(url, token="acrm_not-a-key")

        async with httpx.AsyncClient(base_url=url) as http:
            keys = await http.get("/api/v1/api-keys", headers={"Authorization": f"Bearer {admin}"})
            feed = next(k for k in keys.json() if k["name"] == "feed")
            revoked = await http.delete(
                f"/api/v1/api-keys/{feed['id']}", headers={"Authorization": f"Bearer {admin}"}
            )
            assert revoked.status_code == 200
        assert not await connects(url, token=reader)  # revoked: refused at once

        user_id = await add_user(app, "ana@example.com")
        async with httpx.AsyncClient(base_url=url) as http:
            await console_sign_in(http, "ana@example.com")
            cookie = http.cookies[principals.SESSION_COOKIE]
        assert await connects(url, cookie=cookie)
        assert not await connects(url, cookie=cookie[:-2] + "xx")  # not signed by us
        async with app.state.db.uow() as session:
            await staff.update_user(session, user_id=user_id, changes={"is_active": False})
        assert not await connects(url, cookie=cookie)  # deactivated: the cookie counts no more


async def test_socket_cookie_decodes_as_the_middleware_signed_it(app, client):
    await add_user(app, "ana@example.com")
    signed = await client.post(
        "/api/v1/auth/login", json={"email": "ana@example.com", "password": PASSWORD}
    )
    csrf = signed.json()["csrf_token"]
    cookie = client.cookies[principals.SESSION_COOKIE]
    secret = app.state.settings.secret
    header = f"other=1; {principals.SESSION_COOKIE}={cookie}"
    session = principals.cookie_session(secret, header)
    # Only the server-side session's token: no user id, no CSRF token in the cookie.
    assert list(session) == [principals.SID_KEY] and csrf not in cookie
    assert principals.cookie_session("another secret", header) == {}
    assert principals.cookie_session(secret, "") == {}
    who = await principals.resolve(app.state.db, session=session)
    assert who.actor.kind == "user" and who.staff.email == "ana@example.com" and who.via_cookie
    assert who.allows("tickets:read") and not who.allows("admin")
    assert principals.csrf_token(session) == csrf  # resolved: the server-side session's token
    # A session claiming a user id is no credential any more.
    assert await principals.resolve(app.state.db, session={"user_id": who.user_id}) is None


async def test_console_login_refuses_a_post_from_another_site(app, client):
    """A cross-site form post carries no session cookie, so no CSRF token: it must not sign
    the visitor in (as the attacker), even with an empty token field."""
    await add_user(app, "ana@example.com")
    data = {"email": "ana@example.com", "password": PASSWORD, "csrf_token": ""}
    forged = await client.post("/console/login", data=data)
    assert forged.status_code == 403 and "expired" in forged.text
    assert (await client.get("/api/v1/auth/me")).status_code == 401


async def _macro_events(client, headers: dict, macro_id: int, email: str) -> list[tuple]:
    body = {"subject": "Refund?", "body": "Please", "customer": {"email": email}}
    ticket = await client.post("/api/v1/tickets", json=body, headers=headers)
    tid = ticket.json()["id"]
    applied = await client.post(f"/api/v1/tickets/{tid}/macros/{macro_id}", headers=headers)
    assert applied.status_code == 200, applied.text
    events = (await client.get(f"/api/v1/tickets/{tid}/events", headers=headers)).json()
    # Assignment runs beside the macro (a new API ticket is routed by the system): not ours.
    routed = {"ticket.queued", "ticket.assigned"}
    return [
        (e["type"], e["before"], e["after"], e["actor_kind"])
        for e in events[1:]
        if e["type"] not in routed and e["actor_kind"] != "system"
    ]


async def test_macro_through_an_api_key_and_the_console_session_alike(app, client, admin_headers):
    made = await client.post(
        "/api/v1/macros",
        json={"name": "Done", "body": "Sorted.", "actions": {"status": "solved"}},
        headers=admin_headers,
    )
    macro_id = made.json()["id"]
    key = {"Authorization": f"Bearer {await make_key(app, ['tickets:read', 'tickets:write'])}"}
    by_key = await _macro_events(client, key, macro_id, "a@example.com")

    await add_user(app, "ana@example.com")
    csrf = await console_sign_in(client, "ana@example.com")
    by_console = await _macro_events(client, {"X-CSRF-Token": csrf}, macro_id, "b@example.com")

    assert [e[:3] for e in by_console] == [e[:3] for e in by_key]
    assert {e[3] for e in by_key} == {"apikey"} and {e[3] for e in by_console} == {"user"}
    assert [e[0] for e in by_key] == [
        "ticket.updated",
        "ticket.updated",
        "message.queued",
        "ticket.updated",
    ]


async def test_an_email_typed_in_the_chat_is_kept_but_never_merges(app):
    """The widget's `contact` event: the address joins the visitor's contact, unless another
    contact owns it (unverified, so no merge: nobody joins a stranger by typing an address)."""
    first, second = Identity("widget", "v1"), Identity("widget", "v2")
    async with app.state.db.uow() as session:
        ana = await contacts.note_email(
            session, identity=first, email="Ana@Example.com", name="Ana"
        )
        other = await contacts.note_email(session, identity=second, email="ana@example.com")
        ana_id, other_id = ana.id, other.id
    async with app.state.db.read() as session:
        ana = await contacts.get(session, contact_id=ana_id)
        other = await contacts.get(session, contact_id=other_id)
        assert (ana.name, ana.email) == ("Ana", "ana@example.com")
        assert other_id != ana_id and other.email is None
        assert sorted((i.kind, i.value) for i in other.identities) == [("widget", "v2")]


@pytest.mark.slow
async def test_widget_contact_event_reaches_the_store(tmp_path):
    async with gateway(tmp_path) as (app, url, admin):
        customer = Customer(url)
        await customer.connect()
        try:
            data = {"email": "zoe@example.com", "name": "Zoe"}
            assert await customer.sio.call("contact", data, namespace="/widget") == {"ok": True}
            bad = await customer.sio.call("contact", {"email": "nope"}, namespace="/widget")
            assert bad["error"]["code"] == "invalid"
        finally:
            await customer.close()
        async with app.state.db.read() as session:
            zoe = await contacts.get_by_identity(session, kind="email", value="zoe@example.com")
            assert zoe is not None and zoe.name == "Zoe"
            assert {i.kind for i in zoe.identities} == {"widget", "email"}
