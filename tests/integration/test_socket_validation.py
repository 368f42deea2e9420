"""Socket events on both namespaces: malformed payloads get an error ack (never a traceback and
silence), every event checks the caller's scope, and visitor tokens expire and rotate."""

from __future__ import annotations

import time
import uuid
from unittest.mock import patch

import httpx
import pytest
import socketio

from channels.webchat.verify import VISITOR_TOKEN_LIFETIME, read_visitor, sign_visitor
from tests.gateway_fixtures import make_key
from tests.integration.webchat_client import Customer, gateway


@pytest.fixture
async def gw(tmp_path):
    async with gateway(tmp_path) as running:
        yield running


def cid() -> str:
    return uuid.uuid4().hex


async def console(url: str, key: str) -> socketio.AsyncClient:
    sio = socketio.AsyncClient(reconnection=False)
    await sio.connect(url, namespaces=["/console"], auth={"token": key}, transports=["websocket"])
    return sio


async def call(sio, event: str, *data, namespace: str) -> dict:
    # No `data` at all is a case of its own: the handler is called with the sid only.
    payload = data[0] if data else None
    return await sio.call(event, payload, namespace=namespace, timeout=5)


def refused_as(ack: dict, code: str = "invalid") -> str:
    assert ack["ok"] is False and ack["error"]["code"] == code, ack
    return ack["error"]["message"]


async def test_malformed_widget_payloads_get_an_error_ack(gw):
    app, url, admin = gw
    customer = Customer(url)
    await customer.connect()
    for event, data in [
        ("message", ()),
        ("message", (5,)),
        ("message", ({"text": "no client id"},)),
        ("contact", (5,)),
        ("contact", ([1, 2],)),
        ("contact", ({"email": "nope"},)),
        ("contact", ({"email": "a@b.example", "name": ["x"]},)),
        ("typing", ({"typing": "maybe"},)),
        ("typing", ("yes",)),
    ]:
        refused_as(await call(customer.sio, event, *data, namespace="/widget"))
    message = refused_as(await call(customer.sio, "contact", 5, namespace="/widget"))
    assert "dictionary" in message  # says what is wrong
    # The connection survived all of it.
    assert (await customer.send(cid(), "Still here"))["ok"] is True
    assert (await call(customer.sio, "typing", {"typing": True}, namespace="/widget"))["ok"]
    await customer.close()


async def test_malformed_console_payloads_get_an_error_ack(gw):
    app, url, admin = gw
    sio = await console(url, admin)
    for event, data in [
        ("join", ({},)),
        ("join", ()),
        ("join", ({"ticket_id": "abc"},)),
        ("join", ({"ticket_id": 10**60},)),
        ("join", ({"ticket_id": True},)),
        ("leave", (5,)),
        ("typing", ({"ticket_id": "x", "typing": True},)),
        ("typing", ([1],)),
        ("presence", ({"ticket_id": 1, "state": "dancing"},)),
    ]:
        message = refused_as(await call(sio, event, *data, namespace="/console"))
        assert message
    assert (await call(sio, "join", {"ticket_id": 1}, namespace="/console")) == {"ok": True}
    not_joined = await call(
        sio, "presence", {"ticket_id": 2, "state": "viewing"}, namespace="/console"
    )
    refused_as(not_joined, "not_joined")
    await sio.disconnect()


async def test_a_read_only_key_cannot_show_typing_to_a_customer(gw):
    app, url, admin = gw
    customer = Customer(url)
    await customer.connect()
    await customer.send(cid(), "Hello?")
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {admin}"}) as h:
        (ticket,) = (await h.get("/api/v1/tickets")).json()["items"]
    typing = {"ticket_id": ticket["id"], "typing": True}

    reader = await console(url, await make_key(app, ["tickets:read"], "feed"))
    ack = await call(reader, "typing", typing, namespace="/console")
    assert "tickets:write" in refused_as(ack, "forbidden")
    with pytest.raises(TimeoutError):
        await customer.next_event("typing", timeout=0.5)  # nothing reached the widget

    writer = await console(url, await make_key(app, ["tickets:read", "tickets:write"], "desk"))
    assert (await call(writer, "typing", typing, namespace="/console")) == {"ok": True}
    shown = await customer.next_event("typing")
    assert shown["author_kind"] == "agent" and shown["typing"] is True
    for sio in (reader, writer):
        await sio.disconnect()
    await customer.close()


def _aged(secret: str, token: str, seconds: float) -> str:
    """The same visitor's token, as if it had been issued `seconds` ago."""
    visitor = read_visitor(secret, token)
    with patch("itsdangerous.timed.time.time", return_value=time.time() - seconds):
        return sign_visitor(secret, visitor)


async def test_an_expired_visitor_token_opens_a_fresh_conversation(gw):
    app, url, admin = gw
    secret = app.state.settings.secret
    first = Customer(url)
    session = await first.connect()
    await first.send(cid(), "My order number is 1234")
    await first.close()
    token = first.auth["visitor_token"]

    stolen = Customer(url, visitor_token=_aged(secret, token, VISITOR_TOKEN_LIFETIME + 60))
    fresh = await stolen.connect()
    assert fresh["conversation_id"] != session["conversation_id"] and fresh["history"] == []
    await stolen.close()

    # Within its lifetime the visitor comes back to their conversation, with a fresh token.
    older = _aged(secret, token, 24 * 3600)
    back = Customer(url, visitor_token=older)
    again = await back.connect()
    assert again["conversation_id"] == session["conversation_id"]
    assert [e["message"]["text"] for e in again["history"]] == ["My order number is 1234"]
    assert again["visitor_token"] != older  # rotated: issued now
    await back.close()


async def test_uploads_refuse_an_expired_visitor_token(gw):
    app, url, admin = gw
    customer = Customer(url)
    await customer.connect()
    await customer.close()
    expired = _aged(app.state.settings.secret, customer.auth["visitor_token"], 10**8)
    files = {"file": ("a.txt", b"hello", "text/plain")}
    async with httpx.AsyncClient(base_url=url) as http:
        ok = await http.post(
            "/widget/api/uploads",
            files=files,
            headers={"X-Visitor-Token": customer.auth["visitor_token"]},
        )
        assert ok.status_code == 200
        old = await http.post(
            "/widget/api/uploads", files=files, headers={"X-Visitor-Token": expired}
        )
        assert old.status_code == 403
