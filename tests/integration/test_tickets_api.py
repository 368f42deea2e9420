"""Tickets through the HTTP API: create, inbound idempotency, threading, replies, audit."""

from __future__ import annotations

from tests.gateway_fixtures import make_key


def inbound(ext: str, email: str = "carol@example.com", body: str = "Help me", **extra) -> dict:
    return {
        "external_id": ext,
        "customer": {"email": email, "name": "Carol"},
        "body": body,
        "subject": "Question",
        **extra,
    }


async def test_same_external_id_twice_is_one_message(client, admin_headers):
    first = await client.post("/api/v1/inbound", json=inbound("m-1"), headers=admin_headers)
    again = await client.post("/api/v1/inbound", json=inbound("m-1"), headers=admin_headers)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["message_id"] == first.json()["message_id"]
    ticket_id = first.json()["ticket_id"]
    messages = await client.get(f"/api/v1/tickets/{ticket_id}/messages", headers=admin_headers)
    assert [m["text"] for m in messages.json()] == ["Help me"]


async def test_next_message_threads_into_open_ticket(client, admin_headers):
    a = await client.post("/api/v1/inbound", json=inbound("m-1"), headers=admin_headers)
    b = await client.post(
        "/api/v1/inbound", json=inbound("m-2", body="More detail"), headers=admin_headers
    )
    other = await client.post(
        "/api/v1/inbound", json=inbound("m-3", email="dan@example.com"), headers=admin_headers
    )
    assert b.json()["ticket_id"] == a.json()["ticket_id"]
    assert b.json()["created_ticket"] is False
    assert other.json()["ticket_id"] != a.json()["ticket_id"]


async def test_solved_ticket_reopens_on_customer_reply(client, admin_headers):
    a = (await client.post("/api/v1/inbound", json=inbound("m-1"), headers=admin_headers)).json()
    await client.patch(
        f"/api/v1/tickets/{a['ticket_id']}", json={"status": "solved"}, headers=admin_headers
    )
    b = (await client.post("/api/v1/inbound", json=inbound("m-2"), headers=admin_headers)).json()
    assert b["ticket_id"] == a["ticket_id"]
    ticket = (await client.get(f"/api/v1/tickets/{a['ticket_id']}", headers=admin_headers)).json()
    assert ticket["status"] == "open" and ticket["solved_at"] is None


async def test_list_shape_filters_and_keyset_pages(client, admin_headers):
    for i in range(5):
        await client.post(
            "/api/v1/inbound",
            json=inbound(f"m-{i}", email=f"c{i}@example.com"),
            headers=admin_headers,
        )
    ids = [
        t["id"]
        for t in (await client.get("/api/v1/tickets", headers=admin_headers)).json()["items"]
    ]
    await client.patch(
        f"/api/v1/tickets/{ids[0]}",
        json={"priority": "urgent", "tags": ["vip"]},
        headers=admin_headers,
    )
    page1 = (await client.get("/api/v1/tickets?limit=2", headers=admin_headers)).json()
    assert set(page1) == {"items", "next_cursor"}
    assert {"id", "number", "subject", "status", "priority", "channel", "tags"} <= set(
        page1["items"][0]
    )
    page2 = (
        await client.get(
            f"/api/v1/tickets?limit=2&cursor={page1['next_cursor']}", headers=admin_headers
        )
    ).json()
    page3 = (
        await client.get(
            f"/api/v1/tickets?limit=2&cursor={page2['next_cursor']}", headers=admin_headers
        )
    ).json()
    seen = [t["id"] for p in (page1, page2, page3) for t in p["items"]]
    assert seen == ids and page3["next_cursor"] is None
    urgent = (
        await client.get("/api/v1/tickets?priority=urgent&tag=vip", headers=admin_headers)
    ).json()["items"]
    assert [t["id"] for t in urgent] == [ids[0]]
    found = (await client.get("/api/v1/tickets?q=Help", headers=admin_headers)).json()["items"]
    assert len(found) == 5


async def test_agent_reply_is_queued_then_sent_and_listed_oldest_first(app, client, admin_headers):
    t = (await client.post("/api/v1/inbound", json=inbound("m-1"), headers=admin_headers)).json()
    r = await client.post(
        f"/api/v1/tickets/{t['ticket_id']}/messages",
        json={"body": "Try this"},
        headers=admin_headers,
    )
    assert r.status_code == 201 and r.json()["delivery_status"] == "queued"
    await app.state.dispatcher.drain()
    messages = (
        await client.get(f"/api/v1/tickets/{t['ticket_id']}/messages", headers=admin_headers)
    ).json()
    assert [(m["direction"], m["text"]) for m in messages] == [
        ("in", "Help me"),
        ("out", "Try this"),
    ]
    assert messages[1]["delivery_status"] == "sent"


async def test_every_change_leaves_an_audit_event(client, admin_headers, app):
    key = await make_key(app, ["tickets:read", "tickets:write"], name="integration-x")
    headers = {"Authorization": f"Bearer {key}"}
    t = (await client.post("/api/v1/inbound", json=inbound("m-1"), headers=headers)).json()
    tid = t["ticket_id"]
    await client.patch(
        f"/api/v1/tickets/{tid}", json={"status": "pending", "priority": "high"}, headers=headers
    )
    await client.patch(f"/api/v1/tickets/{tid}", json={"add_tags": ["billing"]}, headers=headers)
    await client.post(f"/api/v1/tickets/{tid}/notes", json={"body": "internal"}, headers=headers)
    events = (await client.get(f"/api/v1/tickets/{tid}/events", headers=headers)).json()
    # With the bot off and nobody online the ticket waits for a human: not an edit of ours.
    events = [e for e in events if e["type"] != "ticket.queued"]
    types = [e["type"] for e in events]
    assert types == [
        "ticket.created",
        "message.received",
        "ticket.updated",
        "ticket.updated",
        "note.created",
    ]
    status_change = events[2]
    assert status_change["before"] == {"status": "new", "priority": "normal"}
    assert status_change["after"] == {"status": "pending", "priority": "high"}
    assert (
        status_change["actor_kind"] == "apikey" and status_change["actor_name"] == "integration-x"
    )
    assert events[3]["after"] == {"tags": ["billing"]}


async def test_bulk_update_is_all_or_nothing(client, admin_headers):
    ids = []
    for i in range(3):
        r = await client.post(
            "/api/v1/inbound", json=inbound(f"m-{i}", email=f"c{i}@x.org"), headers=admin_headers
        )
        ids.append(r.json()["ticket_id"])
    ok = await client.post(
        "/api/v1/tickets/bulk",
        json={"ids": ids, "changes": {"priority": "high", "add_tags": ["wave"]}},
        headers=admin_headers,
    )
    assert ok.status_code == 200 and all(t["priority"] == "high" for t in ok.json())
    bad = await client.post(
        "/api/v1/tickets/bulk",
        json={"ids": [*ids, 999999], "changes": {"priority": "low"}},
        headers=admin_headers,
    )
    assert bad.status_code == 404
    still = (await client.get(f"/api/v1/tickets/{ids[0]}", headers=admin_headers)).json()
    assert still["priority"] == "high"


async def test_custom_fields_validated_against_definitions(client, admin_headers):
    await client.post(
        "/api/v1/fields",
        json={"key": "plan", "label": "Plan", "type": "select", "options": ["free", "pro"]},
        headers=admin_headers,
    )
    t = (await client.post("/api/v1/inbound", json=inbound("m-1"), headers=admin_headers)).json()
    url = f"/api/v1/tickets/{t['ticket_id']}"
    ok = await client.patch(url, json={"custom_fields": {"plan": "pro"}}, headers=admin_headers)
    assert ok.json()["custom_fields"] == {"plan": "pro"}
    wrong = await client.patch(url, json={"custom_fields": {"plan": "gold"}}, headers=admin_headers)
    unknown = await client.patch(url, json={"custom_fields": {"nope": 1}}, headers=admin_headers)
    assert wrong.status_code == unknown.status_code == 422
    assert "plan" in wrong.json()["detail"] and "nope" in unknown.json()["detail"]


async def test_admin_defined_status_maps_to_category(client, admin_headers):
    r = await client.post(
        "/api/v1/statuses",
        json={"name": "waiting on vendor", "category": "pending"},
        headers=admin_headers,
    )
    assert r.status_code == 201
    t = (await client.post("/api/v1/inbound", json=inbound("m-1"), headers=admin_headers)).json()
    u = await client.patch(
        f"/api/v1/tickets/{t['ticket_id']}",
        json={"status": "waiting on vendor"},
        headers=admin_headers,
    )
    assert u.json()["status_category"] == "pending"
    pending = (await client.get("/api/v1/tickets?status=pending", headers=admin_headers)).json()
    assert [x["id"] for x in pending["items"]] == [t["ticket_id"]]
    bad = await client.patch(
        f"/api/v1/tickets/{t['ticket_id']}", json={"status": "nonsense"}, headers=admin_headers
    )
    assert bad.status_code == 422
