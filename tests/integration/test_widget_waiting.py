"""Honest waiting through the real gateway's widget socket, on SQLite and PostgreSQL: a web
chat customer who needs a human hears their position in the team's queue and the expected
wait, live as the queue moves; when nobody in the team is online (or it is closed) they hear
so, with the real next opening; the offline form's message becomes an email ticket."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from store.assignment import waiting
from store.assignment.models import QueueWait
from tests.integration.staffing import add_agent, add_team, serving
from tests.integration.webchat_client import Customer, add_widget

SETTINGS = "/api/v1/assignment/settings"
PATIENCE = 30  # seconds a push may take on a loaded 2-core machine (a bound, not a timing)


@pytest.fixture
async def site(app, client, admin_headers):
    """The gateway on a loopback port with a widget; the bot is off, so a customer's chat
    goes straight to the team (the default team 'Support')."""
    team = await add_team(app, "Support")
    body = {"default_team_id": team}
    assert (await client.patch(SETTINGS, json=body, headers=admin_headers)).status_code == 200
    async with serving(app) as server:
        await add_widget(server.url, admin_headers["Authorization"].split()[1])
        yield server.url, team


async def waiting_event(customer: Customer, **wanted) -> dict:
    """The next `waiting` event that says what the test waits for."""
    while True:
        got = (await customer.next_event("waiting", timeout=PATIENCE))["waiting"]
        if all(got.get(k) == v for k, v in wanted.items()):
            return got


async def chat(url: str, text: str) -> Customer:
    customer = Customer(url)
    await customer.connect()
    assert (await customer.send(str(uuid.uuid4()), text))["ok"]
    return customer


async def test_the_queue_position_follows_the_queue(app, client, admin_headers, site):
    url, team = site
    ana = await add_agent(app, "ana", team=team, capacities={"chat": 1})
    first = await chat(url, "Hi, I need help")
    assert (await waiting_event(first, state="assigned"))["assignee_name"] == "Ana"
    second = await chat(url, "Anyone there?")
    queued = await waiting_event(second, state="queued")
    assert (queued["position"], queued["agents_online"], queued["open_now"]) == (1, 1, True)
    assert queued["expected_wait_seconds"] is None  # no recent waits to go by yet
    third = await chat(url, "Hello?")
    assert (await waiting_event(third, state="queued"))["position"] == 2
    # A returning customer's session says the same.
    again = Customer(url, visitor_token=second.auth["visitor_token"])
    session = await again.connect()
    assert session["waiting"]["state"] == "queued" and session["waiting"]["position"] == 1
    assert session["agents_online"] is True

    # Ana solves the first chat: she takes the second, the third moves up.
    tickets = (await client.get("/api/v1/tickets?limit=10", headers=admin_headers)).json()
    mine = next(t for t in tickets["items"] if t["assignee_id"] == ana)
    r = await client.patch(
        f"/api/v1/tickets/{mine['id']}", json={"status": "solved"}, headers=admin_headers
    )
    assert r.status_code == 200
    await app.state.dispatcher.drain()
    assert (await waiting_event(second, state="assigned"))["assignee_name"] == "Ana"
    assert await waiting_event(third, state="queued", position=1)
    for customer in (first, second, third, again):
        await customer.close()


async def test_nobody_online_offers_the_form_and_a_message_becomes_an_email_ticket(
    app, client, admin_headers, site
):
    url, team = site
    await add_agent(app, "ana", online=False, team=team)
    customer = Customer(url)
    session = await customer.connect()
    assert session["agents_online"] is False  # the bot is off and nobody is online
    assert session["waiting"]["state"] == "none"
    assert (await customer.send(str(uuid.uuid4()), "Hello?"))["ok"]
    offline = await waiting_event(customer, state="offline")
    assert offline["agents_online"] == 0 and offline["open_now"] is True

    form = {"email": "kim@example.com", "name": "Kim", "message": "Call me back", "client_id": "f1"}
    ack = await customer.sio.call("contact", form, namespace="/widget", timeout=10)
    assert ack["ok"] is True
    again = await customer.sio.call("contact", form, namespace="/widget", timeout=10)
    assert again["ticket_id"] == ack["ticket_id"]  # a resent form is one ticket
    ticket = (await client.get(f"/api/v1/tickets/{ack['ticket_id']}", headers=admin_headers)).json()
    assert ticket["channel"] == "email"
    messages = await client.get(
        f"/api/v1/tickets/{ack['ticket_id']}/messages", headers=admin_headers
    )
    assert [m["text"] for m in messages.json()] == ["Call me back"]
    await customer.close()


async def test_a_closed_team_says_when_it_opens(app, client, admin_headers, site):
    url, team = site
    await add_agent(app, "ana", team=team)
    hours = {"timezone": "UTC", "week": {}, "closed_dates": []}  # never open on a weekday
    hours["week"] = {"sun": [{"start": "09:00", "end": "10:00"}]}
    r = await client.put(f"/api/v1/teams/{team}/hours", json=hours, headers=admin_headers)
    assert r.status_code == 200, r.text
    now = datetime.now(UTC)
    if now.weekday() == 6 and 9 <= now.hour < 10:
        pytest.skip("the team happens to be open right now")
    customer = Customer(url)
    session = await customer.connect()
    assert session["agents_online"] is False and session["open_now"] is False
    next_open = datetime.fromisoformat(session["next_open"])
    assert next_open.weekday() == 6 and (next_open.hour, next_open.minute) == (9, 0)
    await customer.close()


async def test_expected_wait_is_the_median_of_recent_queue_waits(app):
    team = await add_team(app, "Billing")
    now = datetime.now(UTC)
    async with app.state.db.uow() as session:
        await session.flush()
        from store.actor import Actor
        from store.tickets import service as tickets

        opened = await tickets.open_ticket(
            session, channel="webchat", subject="x", contact_id=None, actor=Actor("customer")
        )
        samples = [60, 120, 600, 30, 3600]  # minutes ago: 1..5; the oldest is out of WINDOW
        for n, seconds in enumerate(samples):
            at = now - timedelta(minutes=n + 1) - (waiting.WINDOW if n == 4 else timedelta())
            session.add(
                QueueWait(
                    ticket_id=opened.id,
                    team_id=team,
                    queued_at=at - timedelta(seconds=seconds),
                    assigned_at=at,
                    wait_seconds=seconds,
                )
            )
    async with app.state.db.read() as session:
        assert await waiting.expected_wait(session, team_id=team, now=now) == 90  # 30 60 120 600
        assert await waiting.expected_wait(session, team_id=None, now=now) is None
