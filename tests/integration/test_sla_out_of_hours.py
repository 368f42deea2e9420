"""Outside business hours, customers are told when we open (once per ticket per closed period),
and customer messages after a reply start next-response clocks; SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import time_machine

from tests.integration.test_sla import NINE_TO_FIVE, at, events, policy, settled, team
from tests.integration.webchat_client import Customer, gateway

BERLIN = ZoneInfo("Europe/Berlin")
SATURDAY_NOON = datetime(2025, 3, 29, 12, 0, tzinfo=BERLIN)
MONDAY_TEN = datetime(2025, 3, 31, 10, 0, tzinfo=BERLIN)
MONDAY_EVENING = datetime(2025, 3, 31, 18, 0, tzinfo=BERLIN)


async def bot_off(client, headers) -> None:
    r = await client.patch("/api/v1/agent/settings", json={"enabled": False}, headers=headers)
    assert r.status_code == 200, r.text


async def customer_writes(app, client, headers, external_id: str) -> int:
    body = {"external_id": external_id, "customer": {"email": "ann@example.com"}, "body": "Hi?"}
    r = await client.post("/api/v1/inbound", json=body, headers=headers)
    assert r.status_code in (200, 201), r.text
    await app.state.dispatcher.drain()
    return r.json()["ticket_id"]


async def automatic_replies(client, headers, ticket_id: int) -> list[str]:
    r = await client.get(f"/api/v1/tickets/{ticket_id}/messages", headers=headers)
    return [m["text"] for m in r.json() if m["direction"] == "out"]


async def closed_on_weekends(client, headers) -> int:
    team_id = await team(client, headers)
    hours = await client.put(f"/api/v1/teams/{team_id}/hours", json=NINE_TO_FIVE, headers=headers)
    assert hours.status_code == 200, hours.text
    settings = {"team_id": team_id, "auto_reply": True}
    r = await client.put("/api/v1/business-hours/channels/api", json=settings, headers=headers)
    assert r.status_code == 200 and r.json()["channel"] == "api", r.text
    return team_id


async def test_out_of_hours_reply_once_per_ticket_per_closed_period(app, client, admin_headers):
    await bot_off(client, admin_headers)
    await closed_on_weekends(client, admin_headers)
    await policy(client, admin_headers)
    with time_machine.travel(SATURDAY_NOON, tick=False):
        ticket_id = await customer_writes(app, client, admin_headers, "m-1")
        await customer_writes(app, client, admin_headers, "m-2")
        sla = (await settled(app, client, admin_headers, ticket_id))["sla"]
    replies = await automatic_replies(client, admin_headers, ticket_id)
    assert replies == [
        "Thanks for your message. Our team is away right now and will reply from "
        "Monday 31 March at 09:00 (Europe/Berlin time)."
    ]
    # The automatic reply answers nobody's question: first response still runs.
    assert sla["first_response"]["state"] == "running"
    with time_machine.travel(MONDAY_TEN, tick=False):
        await customer_writes(app, client, admin_headers, "m-3")  # open: no reply
    assert len(await automatic_replies(client, admin_headers, ticket_id)) == 1
    with time_machine.travel(MONDAY_EVENING, tick=False):
        await customer_writes(app, client, admin_headers, "m-4")  # closed again: a new period
    replies = await automatic_replies(client, admin_headers, ticket_id)
    assert len(replies) == 2 and "Tuesday 1 April at 09:00" in replies[1]


async def test_channel_settings_and_status(client, admin_headers):
    team_id = await closed_on_weekends(client, admin_headers)
    listed = (await client.get("/api/v1/business-hours/channels", headers=admin_headers)).json()
    assert [(c["channel"], c["team_id"], c["auto_reply"]) for c in listed] == [
        ("api", team_id, True)
    ]
    url = "/api/v1/business-hours/channels/api/status?at=2025-03-29T12:00:00%2B01:00"
    status = (await client.get(url, headers=admin_headers)).json()
    assert status["team_id"] == team_id and not status["open_now"]
    assert at(status["next_open"]) == datetime(2025, 3, 31, 9, 0, tzinfo=BERLIN)
    bad = await client.put(
        "/api/v1/business-hours/channels/fax", json={"auto_reply": True}, headers=admin_headers
    )
    assert bad.status_code == 422 and "unknown channel" in bad.json()["detail"]
    naive = await client.get(
        "/api/v1/business-hours/channels/api/status?at=2025-03-29T12:00:00", headers=admin_headers
    )
    assert naive.status_code == 422


async def test_customer_message_after_a_reply_starts_next_response(app, client, admin_headers):
    await bot_off(client, admin_headers)
    targets = {"normal": {"first_response_minutes": 10, "next_response_minutes": 30}}
    await policy(client, admin_headers, {"name": "chat", "targets": targets})
    ticket_id = await customer_writes(app, client, admin_headers, "m-1")
    reply = {"body": "Looking into it"}
    url = f"/api/v1/tickets/{ticket_id}/messages"
    await client.post(url, json=reply, headers=admin_headers)
    ticket = await settled(app, client, admin_headers, ticket_id)
    assert ticket["sla"]["first_response"]["state"] == "met"
    assert ticket["sla"]["next_response"] is None
    await customer_writes(app, client, admin_headers, "m-2")
    nxt = (await settled(app, client, admin_headers, ticket_id))["sla"]["next_response"]
    assert nxt["state"] == "running" and nxt["target_minutes"] == 30
    await client.post(url, json=reply, headers=admin_headers)
    nxt = (await settled(app, client, admin_headers, ticket_id))["sla"]["next_response"]
    assert nxt["state"] == "met" and not nxt["breached"]
    assert await events(client, admin_headers, ticket_id, "ticket.sla_breached") == []


async def test_widget_session_says_when_we_open(tmp_path):
    async with gateway(tmp_path) as (app, url, admin):
        headers = {"Authorization": f"Bearer {admin}"}
        async with httpx.AsyncClient(base_url=url, headers=headers) as http:
            team_id = (await http.post("/api/v1/teams", json={"name": "Web"})).json()["id"]
            await http.put(f"/api/v1/teams/{team_id}/hours", json=NINE_TO_FIVE)
            await http.put("/api/v1/business-hours/channels/webchat", json={"team_id": team_id})
        with time_machine.travel(SATURDAY_NOON, tick=True):
            customer = Customer(url)
            closed = await customer.connect()
            await customer.close()
        with time_machine.travel(MONDAY_TEN, tick=True):
            customer = Customer(url)
            opened = await customer.connect()
            await customer.close()
    assert closed["open_now"] is False
    assert at(closed["next_open"]) == datetime(2025, 3, 31, 9, 0, tzinfo=BERLIN)
    assert opened["open_now"] is True and opened["next_open"] is None
