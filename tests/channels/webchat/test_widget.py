"""Web chat over real socket.io: a gateway in uvicorn, python-socketio clients as the widget."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
import socketio
from sqlalchemy import select

from channels.webchat.verify import user_hash
from store.outbox.deliveries import event_dict
from store.outbox.models import Event
from tests.integration.webchat_client import (
    WIDGET_SECRET,
    Customer,
    Refused,
    console_client,
    gateway,
    next_console,
)


def cid() -> str:
    return str(uuid.uuid4())


@pytest.fixture
async def gw(tmp_path):
    async with gateway(tmp_path, rate_burst=5, rate_per_minute=6) as running:
        yield running


async def api(url: str, key: str, method: str, path: str, **kw) -> httpx.Response:
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {key}"}) as h:
        response = await h.request(method, path, **kw)
    response.raise_for_status()
    return response


async def test_message_is_acked_after_commit_and_reaches_the_ticket(gw):
    app, url, admin = gw
    customer = Customer(url)
    session = await customer.connect()
    assert session["history"] == [] and session["conversation_id"]
    ack = await customer.send(cid(), "Where is my order?")
    assert ack["ok"] is True and ack["seq"] > 0
    ticket_id = ack["message"]["id"] and (await api(url, admin, "GET", "/api/v1/tickets")).json()
    (ticket,) = ticket_id["items"]
    messages = (await api(url, admin, "GET", f"/api/v1/tickets/{ticket['id']}/messages")).json()
    assert [m["text"] for m in messages] == ["Where is my order?"]
    assert ticket["channel"] == "webchat"
    await customer.close()


async def test_resend_with_same_client_id_is_one_message(gw):
    app, url, admin = gw
    customer = Customer(url)
    await customer.connect()
    client_id = cid()
    first = await customer.send(client_id, "Hello")
    again = await customer.send(client_id, "Hello")
    assert again == first
    (ticket,) = (await api(url, admin, "GET", "/api/v1/tickets")).json()["items"]
    messages = (await api(url, admin, "GET", f"/api/v1/tickets/{ticket['id']}/messages")).json()
    assert len(messages) == 1
    await customer.close()


async def test_agent_reply_through_api_arrives_and_notes_do_not(gw):
    app, url, admin = gw
    customer = Customer(url)
    await customer.connect()
    await customer.send(cid(), "Can a human help?")
    own = await customer.next_event()
    assert own["message"]["direction"] == "in"
    (ticket,) = (await api(url, admin, "GET", "/api/v1/tickets")).json()["items"]
    path = f"/api/v1/tickets/{ticket['id']}"
    await api(url, admin, "POST", f"{path}/notes", json={"body": "internal: VIP"})
    await api(url, admin, "POST", f"{path}/messages", json={"body": "Sure, I am here."})
    reply = await customer.next_event()
    assert reply["message"]["text"] == "Sure, I am here."
    assert reply["message"]["author_kind"] == "agent" and reply["seq"] > own["seq"]
    await asyncio.sleep(0.3)  # anything else queued would be the note: there must be none
    assert customer.events.empty()
    await customer.close()


async def test_reconnect_replays_exactly_what_was_missed(gw):
    app, url, admin = gw
    customer = Customer(url)
    await customer.connect()
    ack = await customer.send(cid(), "First")
    await customer.close()
    (ticket,) = (await api(url, admin, "GET", "/api/v1/tickets")).json()["items"]
    for text in ("one", "two"):
        await api(
            url, admin, "POST", f"/api/v1/tickets/{ticket['id']}/messages", json={"body": text}
        )
    await app.state.dispatcher.drain()
    back = Customer(url, visitor_token=customer.auth["visitor_token"], last_seq=ack["seq"])
    session = await back.connect()
    assert [e["message"]["text"] for e in session["history"]] == ["one", "two"]
    fresh = Customer(url, visitor_token=customer.auth["visitor_token"])
    whole = await fresh.connect()
    assert [e["message"]["text"] for e in whole["history"]] == ["First", "one", "two"]
    await back.close()
    await fresh.close()


async def test_rate_limit_and_size_limit_give_clear_errors(gw):
    app, url, admin = gw
    customer = Customer(url)
    await customer.connect()
    acks = [await customer.send(cid(), f"msg {i}") for i in range(7)]
    assert [a["ok"] for a in acks[:5]] == [True] * 5
    assert acks[5]["error"]["code"] == "rate_limited"
    long = await customer.send(cid(), "x" * 6000)
    assert long["ok"] is False
    assert {e["code"] for e in customer.errors} >= {"rate_limited"}
    await customer.close()


async def test_identity_claims_must_be_signed(gw):
    app, url, admin = gw
    forged = Customer(url, user_id="cust-42", user_hash=user_hash("not-the-secret", "cust-42"))
    with pytest.raises(Refused, match="identity"):
        await forged.connect()
    unsigned = Customer(url, user_id="cust-42")
    with pytest.raises(Refused, match="identity"):
        await unsigned.connect()
    real = Customer(url, user_id="cust-42", user_hash=user_hash(WIDGET_SECRET, "cust-42"))
    await real.connect()
    await real.send(cid(), "Signed in")
    contacts = (await api(url, admin, "GET", "/api/v1/contacts")).json()
    identities = str(contacts)
    assert "cust-42" in identities
    await real.close()


async def test_unknown_widget_key_is_refused(gw):
    app, url, admin = gw
    with pytest.raises(Refused, match="not enabled"):
        await Customer(url, widget_key="pk_nobody").connect()


async def test_console_sees_new_ticket_and_message_and_typing(gw):
    app, url, admin = gw
    console, received = await console_client(url, admin)
    customer = Customer(url)
    await customer.connect()
    await customer.send(cid(), "Hi console")
    created = await next_console(received, "ticket.created")
    message = await next_console(received, "message.received")
    assert message["payload"]["text"] == "Hi console"
    assert message["ticket_id"] == created["ticket_id"]
    await customer.sio.emit("typing", {"typing": True}, namespace="/widget")
    typing = await next_console(received, "typing")
    assert typing["typing"] is True and typing["ticket_id"] == created["ticket_id"]
    await console.disconnect()
    await customer.close()


async def test_console_gets_each_event_once_as_stored(gw):
    # Pushed right after the commit from what the ingest wrote, not read back: the same events
    # as the table holds, and the dispatcher's later pass sends no second copy.
    app, url, admin = gw
    console, received = await console_client(url, admin)
    customer = Customer(url)
    await customer.connect()
    for text in ("One", "Two"):
        await customer.send(cid(), text)
    got = [await next_console(received, "ticket.created")]
    await app.state.dispatcher.drain()
    await asyncio.sleep(0.3)
    got += [received.get_nowait() for _ in range(received.qsize())]
    async with app.state.db.read() as session:
        rows = await session.execute(select(Event.__table__).where(Event.ticket_id.is_not(None)))
        stored = [event_dict(row._mapping) for row in rows]
    types = [e["type"] for e in got if e["type"] != "ticket.queued"]  # nobody online: it waits
    assert types == ["ticket.created", "message.received", "message.received"]
    # Each stored event once; the queue's event comes from the dispatcher's pass, after the
    # ingest's own pushes, so compare in table order.
    assert sorted(got, key=lambda e: e["id"]) == sorted(stored, key=lambda e: e["id"])
    await console.disconnect()
    await customer.close()


async def test_console_refuses_without_credentials(gw):
    app, url, admin = gw
    sio = socketio.AsyncClient(reconnection=False)
    refusals = []
    sio.on("connect_error", refusals.append, namespace="/console")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await sio.connect(url, namespaces=["/console"], transports=["websocket"])
    assert "Sign in" in str(refusals)


async def test_upload_then_send_with_attachment(gw):
    app, url, admin = gw
    customer = Customer(url)
    session = await customer.connect()
    headers = {"X-Visitor-Token": session["visitor_token"]}
    async with httpx.AsyncClient(base_url=url) as http:
        refused = await http.post(
            "/widget/api/uploads",
            files={"file": ("a.exe", b"MZ", "application/x-msdownload")},
            headers=headers,
        )
        assert refused.status_code == 415
        up = await http.post(
            "/widget/api/uploads",
            files={"file": ("n.txt", b"hello file", "text/plain")},
            headers=headers,
        )
        assert up.status_code == 200 and up.headers["access-control-allow-origin"] == "*"
        ack = await customer.send(cid(), "see file", attachment_ids=[up.json()["id"]])
        (attachment,) = ack["message"]["attachments"]
        assert (await http.get(attachment["url"])).content == b"hello file"
    await customer.close()
