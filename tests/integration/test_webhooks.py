"""Outgoing webhooks to a real receiver on loopback: signed, retried, disabled when dead."""

from __future__ import annotations

import asyncio
import json
import time

import httpx

from gateway import signing
from tests.gateway_fixtures import make_key, make_settings, running_app
from tests.servers import receiver as receiver_plugin
from tests.servers.ports import free_port

# The loopback receiver's fixtures, used by name below.
receiver_server, receiver = receiver_plugin.receiver_server, receiver_plugin.receiver

SECRET = "receiver-shared-secret-0123"
TICKET = {"subject": "Broken", "body": "It broke", "customer": {"email": "w@example.com"}}


async def subscribe(client, headers, url: str, event_types: list[str]) -> dict:
    r = await client.post(
        "/api/v1/webhooks",
        json={"url": url, "event_types": event_types, "secret": SECRET},
        headers=headers,
    )
    assert r.status_code == 201 and r.json()["secret"] == SECRET
    return r.json()


async def deliveries_when(app, client, headers, hook_id: int, done, timeout: float = 15.0):
    """Poll the delivery log (driving the dispatcher) until `done(rows)`; a bound, not a timing."""
    deadline = time.monotonic() + timeout
    while True:
        await app.state.dispatcher.drain()
        r = await client.get(f"/api/v1/webhooks/{hook_id}/deliveries", headers=headers)
        rows = r.json()
        if done(rows):
            return rows
        assert time.monotonic() < deadline, f"deliveries did not settle: {rows}"
        await asyncio.sleep(0.02)


async def test_event_arrives_signed_and_verifiable(app, client, admin_headers, receiver):
    hook = await subscribe(client, admin_headers, receiver.url + "/hooks", ["ticket.created"])
    ticket = (await client.post("/api/v1/tickets", json=TICKET, headers=admin_headers)).json()
    rows = await deliveries_when(
        app, client, admin_headers, hook["id"], lambda rows: rows and rows[0]["status"] == "done"
    )
    assert [(d["attempts"], d["response_code"]) for d in rows] == [(1, 200)]
    [got] = receiver.requests
    event = json.loads(got.body)
    assert got.path == "/hooks" and got.headers["x-autocrm-event"] == "ticket.created"
    assert event["type"] == "ticket.created" and event["ticket_id"] == ticket["id"]
    assert event["after"]["subject"] == "Broken"
    header = got.headers[signing.HEADER.lower()]
    assert signing.verify(SECRET, got.body, header) is True
    assert signing.verify("some-other-secret-0123456", got.body, header) is False
    assert signing.verify(SECRET, got.body.replace(b"Broken", b"Fixed!"), header) is False


async def test_only_subscribed_event_types_are_sent(app, client, admin_headers, receiver):
    hook = await subscribe(client, admin_headers, receiver.url, ["ticket.updated"])
    ticket = (await client.post("/api/v1/tickets", json=TICKET, headers=admin_headers)).json()
    await client.patch(
        f"/api/v1/tickets/{ticket['id']}", json={"priority": "high"}, headers=admin_headers
    )
    await deliveries_when(
        app, client, admin_headers, hook["id"], lambda rows: rows and rows[0]["status"] == "done"
    )
    sent = [json.loads(r.body) for r in receiver.requests]
    assert [(e["type"], e["after"]) for e in sent] == [("ticket.updated", {"priority": "high"})]


async def test_receiver_failure_is_retried_until_delivered(app, client, admin_headers, receiver):
    receiver.plan = [500, 500]
    hook = await subscribe(client, admin_headers, receiver.url, ["ticket.created"])
    await client.post("/api/v1/tickets", json=TICKET, headers=admin_headers)
    rows = await deliveries_when(
        app, client, admin_headers, hook["id"], lambda rows: rows and rows[0]["status"] == "done"
    )
    [delivery] = rows
    assert delivery["attempts"] == 3 and delivery["response_code"] == 200
    assert delivery["last_error"] is None and delivery["finished_at"] is not None
    assert len(receiver.requests) == 3
    # Every attempt carries the same event, freshly signed.
    bodies = {r.body for r in receiver.requests}
    assert len(bodies) == 1
    for r in receiver.requests:
        assert signing.verify(SECRET, r.body, r.headers[signing.HEADER.lower()])
    listed = (await client.get("/api/v1/webhooks", headers=admin_headers)).json()
    assert listed[0]["consecutive_failures"] == 0 and listed[0]["active"] is True


async def test_unreachable_receiver_ends_dead_with_the_error_logged(app, client, admin_headers):
    # One event, one delivery: the new ticket's routing event would add failures that disable
    # the hook before this delivery used its attempts.
    url = f"http://127.0.0.1:{free_port()}/"
    hook = await subscribe(client, admin_headers, url, ["ticket.created"])
    await client.post("/api/v1/tickets", json=TICKET, headers=admin_headers)
    rows = await deliveries_when(
        app, client, admin_headers, hook["id"], lambda rows: rows and rows[0]["status"] == "dead"
    )
    assert rows[0]["attempts"] == app.state.settings.job_max_attempts
    assert "could not reach" in rows[0]["last_error"] and rows[0]["response_code"] is None


async def test_always_failing_receiver_gets_disabled(tmp_path, receiver):
    receiver.default = 500
    settings = make_settings(tmp_path, None, webhook_disable_after=3)
    async with running_app(settings) as app:
        headers = {"Authorization": f"Bearer {await make_key(app, ['admin'])}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            hook = await subscribe(client, headers, receiver.url, ["ticket.created"])
            await client.post("/api/v1/tickets", json=TICKET, headers=headers)
            [dead] = await deliveries_when(
                app, client, headers, hook["id"], lambda rows: rows and rows[0]["status"] == "dead"
            )
            listed = (await client.get("/api/v1/webhooks", headers=headers)).json()
            # Once disabled, nothing more is sent: not the pending retry, not new events.
            assert len(receiver.requests) == 3
            assert dead["attempts"] == 4 and "disabled" in dead["last_error"]
            assert listed[0]["active"] is False and listed[0]["consecutive_failures"] == 3
            assert "3 failed deliveries" in listed[0]["disabled_reason"]
            await client.post("/api/v1/tickets", json=TICKET, headers=headers)
            await app.state.dispatcher.drain()
            assert len(receiver.requests) == 3
            log = await client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=headers)
            assert len(log.json()) == 1
            # Re-enabling resets the failure count and delivers again.
            receiver.default = 200
            on = await client.patch(
                f"/api/v1/webhooks/{hook['id']}", json={"active": True}, headers=headers
            )
            assert on.json()["active"] is True and on.json()["disabled_reason"] is None
            await client.post("/api/v1/tickets", json=TICKET, headers=headers)
            await deliveries_when(
                app, client, headers, hook["id"], lambda rows: rows[0]["status"] == "done"
            )
            assert len(receiver.requests) == 4
