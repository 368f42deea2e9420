"""Assignment through the running gateway on SQLite and PostgreSQL: tickets that need a human
(the bot off, created through the API) reach one; team queues by priority then age; capacity
per channel kind; skills and languages; round robin; races between gateways; pull-next; the
events and their reasons; the admin's settings."""

from __future__ import annotations

import asyncio

import pytest

from store.actor import Actor
from store.assignment import service as assignment
from store.tickets import service as tickets
from tests.integration.staffing import (
    add_agent,
    add_team,
    customer_says,
    events_of,
    paused_clock,
)

SETTINGS = "/api/v1/assignment/settings"
CUSTOMER = Actor("customer", None, "Pat")  # a ticket no job routes: the test assigns it


@pytest.fixture
async def clock(app):
    async with paused_clock(app) as fake:
        yield fake


async def ticket(client, headers, ticket_id: int) -> dict:
    return (await client.get(f"/api/v1/tickets/{ticket_id}", headers=headers)).json()


async def assignee(client, headers, ticket_id: int) -> int | None:
    return (await ticket(client, headers, ticket_id))["assignee_id"]


async def patch(app, client, headers, url: str, body: dict) -> dict:
    r = await client.patch(url, json=body, headers=headers)
    assert r.status_code == 200, r.text
    await app.state.dispatcher.drain()
    return r.json()


async def quiet_ticket(app, channel: str = "webchat", subject: str = "help") -> int:
    """A ticket no job routes (opened by a customer, no message event)."""
    async with app.state.db.uow() as session:
        opened = await tickets.open_ticket(
            session, channel=channel, subject=subject, contact_id=None, actor=CUSTOMER
        )
        return opened.id


async def test_with_the_bot_off_email_chat_and_api_tickets_get_an_assignee(
    app, client, admin_headers
):
    ana = await add_agent(app, "ana")
    email = await customer_says(app, "Where is my order?", channel="email")
    chat = await customer_says(app, "Hello, anyone?", channel="webchat")
    body = {"subject": "Refund", "body": "Please refund", "customer": {"email": "q@example.com"}}
    created = await client.post("/api/v1/tickets", json=body, headers=admin_headers)
    await app.state.dispatcher.drain()
    for ticket_id in (email, chat, created.json()["id"]):
        assert await assignee(client, admin_headers, ticket_id) == ana
    triggers = [e.payload["trigger"] for e in await events_of(app, type="ticket.assigned")]
    assert triggers == ["the bot is off", "the bot is off", "created by admin through the API"]
    [first] = await events_of(app, type="ticket.assigned", ticket_id=email)
    assert first.before == {"assignee_id": None, "team_id": None}
    assert first.after == {"assignee_id": ana, "team_id": None}
    assert first.payload["reason"].startswith("to Ana; the bot is off; no routing rule matched")


async def test_noise_is_not_routed(app, client, admin_headers):
    await add_agent(app, "ana")
    tid = await customer_says(app, "Out of office", channel="email", flags={"auto_reply"})
    assert await assignee(client, admin_headers, tid) is None


async def test_waiting_tickets_go_to_the_agent_who_comes_online_priority_then_age(
    app, client, admin_headers
):
    ana = await add_agent(app, "ana", online=False, capacities={"email": 2})
    oldest, middle, urgent = [
        await customer_says(app, f"question {n}", channel="email") for n in range(3)
    ]
    await patch(app, client, admin_headers, f"/api/v1/tickets/{urgent}", {"priority": "urgent"})
    queued = await events_of(app, type="ticket.queued")
    assert [e.ticket_id for e in queued] == [oldest, middle, urgent]
    assert "nobody in any team is online" in queued[0].payload["reason"]
    waiting = (await client.get("/api/v1/queue", headers=admin_headers)).json()
    assert [(w["ticket_id"], w["position"]) for w in waiting] == [
        (urgent, 1),
        (oldest, 2),
        (middle, 3),
    ]

    await patch(app, client, admin_headers, f"/api/v1/users/{ana}", {"presence": "online"})
    assigned = await events_of(app, type="ticket.assigned")
    assert [e.ticket_id for e in assigned] == [urgent, oldest]  # capacity 2 emails
    assert all(e.payload["trigger"] == "Ana came online" for e in assigned)
    assert await assignee(client, admin_headers, middle) is None

    await patch(app, client, admin_headers, f"/api/v1/tickets/{urgent}", {"status": "solved"})
    assert await assignee(client, admin_headers, middle) == ana
    [*_, last] = await events_of(app, type="ticket.assigned")
    assert last.payload["trigger"] == "a ticket of theirs was closed or moved"
    assert (await client.get("/api/v1/queue", headers=admin_headers)).json() == []


async def test_capacity_is_per_channel_kind(app, client, admin_headers):
    ana = await add_agent(app, "ana", capacities={"chat": 1, "email": 1})
    chat1 = await customer_says(app, "hi", channel="webchat")
    chat2 = await customer_says(app, "hello", channel="webchat")
    email = await customer_says(app, "dear team", channel="email")
    sms = await customer_says(app, "yo", channel="twilio_sms")  # messaging: the default 5
    got = {t: await assignee(client, admin_headers, t) for t in (chat1, chat2, email, sms)}
    assert got == {chat1: ana, chat2: None, email: ana, sms: ana}
    [waiting] = await events_of(app, type="ticket.queued")
    assert "at capacity for chat" in waiting.payload["reason"]
    users = (await client.get("/api/v1/users", headers=admin_headers)).json()
    [row] = [u for u in users if u["id"] == ana]
    assert row["load"] == 3 and row["load_by_kind"] == {"chat": 1, "email": 1, "messaging": 1}


async def test_capacities_come_from_the_agent_then_the_team_then_the_settings(
    app, client, admin_headers
):
    team = await add_team(app, "Chat", capacities={"chat": 2})
    await client.put(SETTINGS, json={"default_team_id": team, "capacities": {"chat": 1}},
                     headers=admin_headers)  # fmt: skip
    bob = await add_agent(app, "bob", team=team)  # the team's 2
    cleo = await add_agent(app, "cleo", team=team, capacities={"chat": 0})  # none at all
    chats = [await customer_says(app, f"chat {n}", channel="webchat") for n in range(3)]
    got = [await assignee(client, admin_headers, t) for t in chats]
    assert got == [bob, bob, None] and cleo not in got


async def test_the_language_and_the_skill_that_fit_win(app, client, admin_headers):
    ana = await add_agent(app, "ana", languages=["en"])
    bea = await add_agent(app, "bea", languages=["es"])
    tid = await customer_says(app, "¿Dónde está mi pedido?", channel="email", language="es")
    assert await assignee(client, admin_headers, tid) == bea
    [event] = await events_of(app, type="ticket.assigned", ticket_id=tid)
    assert "language match" in event.payload["reason"]
    # A skill beats a lighter load: carl already has a ticket, dan has none.
    carl = await add_agent(app, "carl", skills=["refund"])
    await add_agent(app, "dan")
    await patch(app, client, admin_headers, f"/api/v1/users/{ana}", {"presence": "offline"})
    await patch(app, client, admin_headers, f"/api/v1/users/{bea}", {"presence": "offline"})
    busy = await quiet_ticket(app, "email")
    await patch(app, client, admin_headers, f"/api/v1/tickets/{busy}", {"assignee_id": carl})
    refund = await quiet_ticket(app, "email")
    async with app.state.db.uow() as session:
        outcome = await assignment.assign(
            session, ticket_id=refund, reason="test", actor=CUSTOMER,
            facts={"intent": "refund", "channel": "email"},
        )  # fmt: skip
    assert outcome.user_id == carl and "skill match" in outcome.why


async def test_round_robin_among_equally_loaded_agents(app, client, admin_headers):
    ana = await add_agent(app, "ana")
    bob = await add_agent(app, "bob")
    got = []
    for n in range(4):
        tid = await customer_says(app, f"question {n}", channel="email")
        got.append(await assignee(client, admin_headers, tid))
        await patch(app, client, admin_headers, f"/api/v1/tickets/{tid}", {"status": "solved"})
    assert got == [ana, bob, ana, bob]


async def test_two_gateways_assigning_one_ticket_give_it_to_one_agent(app, client, admin_headers):
    agents = {await add_agent(app, name) for name in ("ana", "bob", "cleo")}
    tid = await quiet_ticket(app)

    async def one_gateway(n: int):
        async with app.state.db.uow() as session:
            return await assignment.assign(
                session, ticket_id=tid, reason=f"gateway {n}", actor=CUSTOMER
            )

    outcomes = await asyncio.gather(*(one_gateway(n) for n in range(8)))
    [event] = await events_of(app, type="ticket.assigned", ticket_id=tid)
    winner = event.after["assignee_id"]
    assert winner in agents and {o.user_id for o in outcomes} == {winner}
    assert await assignee(client, admin_headers, tid) == winner


async def test_capacity_holds_when_assignments_race(app, client, admin_headers):
    ana = await add_agent(app, "ana", capacities={"chat": 2})
    chats = [await quiet_ticket(app) for _ in range(6)]

    async def one_gateway(ticket_id: int):
        async with app.state.db.uow() as session:
            return await assignment.assign(
                session, ticket_id=ticket_id, reason="race", actor=CUSTOMER
            )

    outcomes = await asyncio.gather(*(one_gateway(t) for t in chats))
    assert sorted(o.user_id or 0 for o in outcomes) == [0, 0, 0, 0, ana, ana]
    assert sum(o.queued for o in outcomes) == 4
    assert len(await events_of(app, type="ticket.assigned")) == 2


async def test_an_agent_pulls_the_next_ticket(app, client, admin_headers):
    ana = await add_agent(app, "ana", online=False)
    first = await customer_says(app, "first", channel="email")
    second = await customer_says(app, "second", channel="email")
    await patch(app, client, admin_headers, f"/api/v1/tickets/{second}", {"priority": "high"})
    headers = await _signed_in(client, "ana")
    pulled = await client.post("/api/v1/queue/next", headers=headers)
    assert pulled.status_code == 200 and pulled.json()["id"] == second
    assert pulled.json()["assignee_id"] == ana
    assert (await client.post("/api/v1/queue/next", headers=headers)).json()["id"] == first
    assert (await client.post("/api/v1/queue/next", headers=headers)).status_code == 204
    events = await events_of(app, type="ticket.assigned")
    assert [e.payload["reason"] for e in events] == ["to Ana; pulled from the queue"] * 2
    refused = await client.post("/api/v1/queue/next", headers=admin_headers)
    assert refused.status_code == 400


async def test_an_assignment_shows_on_the_tickets_timeline(app, client, admin_headers):
    await add_agent(app, "ana")
    tid = await customer_says(app, "Where is my order?", channel="email")
    await _signed_in(client, "ana")
    html = (await client.get(f"/console/tickets/{tid}")).text
    assert "Assigned to Ana: the bot is off; no routing rule matched" in html


async def test_rules_pick_the_team_else_the_default_team(app, client, admin_headers):
    billing = await add_team(app, "Billing")
    support = await add_team(app, "Support")
    bob = await add_agent(app, "bob", team=billing)
    cleo = await add_agent(app, "cleo", team=support)
    rule = {"name": "invoices", "team_id": billing, "conditions": {"keywords": ["invoice"]}}
    r = await client.post("/api/v1/agent/routing-rules", json=rule, headers=admin_headers)
    assert r.status_code == 201, r.text
    await client.put(SETTINGS, json={"default_team_id": support}, headers=admin_headers)
    invoice = await customer_says(app, "My invoice is wrong", channel="email")
    other = await customer_says(app, "My parcel is late", channel="email")
    got = {t: await ticket(client, admin_headers, t) for t in (invoice, other)}
    assert (got[invoice]["team_id"], got[invoice]["assignee_id"]) == (billing, bob)
    assert (got[other]["team_id"], got[other]["assignee_id"]) == (support, cleo)
    [event] = await events_of(app, type="ticket.assigned", ticket_id=other)
    assert "no routing rule matched -> default team Support" in event.payload["reason"]


async def test_live_chats_of_an_agent_gone_offline_are_reassigned_when_set(
    app, client, admin_headers
):
    ana = await add_agent(app, "ana")
    chat = await customer_says(app, "hi", channel="webchat")
    email = await customer_says(app, "hello", channel="email")
    bob = await add_agent(app, "bob")
    await patch(app, client, admin_headers, f"/api/v1/users/{ana}", {"presence": "offline"})
    assert await assignee(client, admin_headers, chat) == ana  # the setting is off by default
    await patch(app, client, admin_headers, f"/api/v1/users/{ana}", {"presence": "online"})
    await client.put(SETTINGS, json={"reassign_on_offline": True}, headers=admin_headers)
    await patch(app, client, admin_headers, f"/api/v1/users/{ana}", {"presence": "offline"})
    assert await assignee(client, admin_headers, chat) == bob
    assert await assignee(client, admin_headers, email) == ana  # an email can wait for her
    [*_, moved] = await events_of(app, type="ticket.assigned", ticket_id=chat)
    assert moved.before["assignee_id"] == ana and moved.payload["trigger"] == "Ana went offline"


async def test_an_agent_whose_gateway_crashed_gets_nothing(app, client, admin_headers, clock):
    await add_agent(app, "ana")  # heartbeat now, then nothing: her gateway died
    clock.advance(seconds=91)
    tid = await customer_says(app, "hello?", channel="email")
    assert await assignee(client, admin_headers, tid) is None
    [waiting] = await events_of(app, type="ticket.queued", ticket_id=tid)
    assert "nobody in any team is online" in waiting.payload["reason"]


async def test_settings_round_trip(app, client, admin_headers):
    defaults = (await client.get(SETTINGS, headers=admin_headers)).json()
    assert defaults == {
        "default_team_id": None,
        "capacities": {"chat": 3, "messaging": 5, "email": 10, "voice": 1},
        "idle_away_minutes": 10,
        "offline_grace_seconds": 60,
        "heartbeat_ttl_seconds": 90,
        "heartbeat_every_seconds": 30,
        "reassign_on_offline": False,
        "unseen_alert_minutes": 10,
    }
    team = await add_team(app, "Support")
    body = {"default_team_id": team, "capacities": {"chat": 2}, "heartbeat_ttl_seconds": 60}
    saved = (await client.put(SETTINGS, json=body, headers=admin_headers)).json()
    assert saved["capacities"]["chat"] == 2 and saved["capacities"]["email"] == 10
    assert saved["heartbeat_every_seconds"] == 20 and saved["default_team_id"] == team
    cleared = await client.patch(SETTINGS, json={"default_team_id": None}, headers=admin_headers)
    assert cleared.json()["default_team_id"] is None and cleared.json()["capacities"]["chat"] == 2


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"heartbeat_ttl_seconds": 5}, "heartbeat_ttl_seconds"),
        ({"idle_away_minutes": -1}, "idle_away_minutes"),
        ({"offline_grace_seconds": 99999}, "offline_grace_seconds"),
        ({"capacities": {"fax": 2}}, "fax"),
        ({"capacities": {"chat": -1}}, "chat"),
        ({"default_team_id": 424242}, "team 424242 does not exist"),
        ({"reassign_on_offline": "maybe"}, "reassign_on_offline"),
        ({"round_robin": True}, "round_robin"),
    ],
    ids=["ttl", "idle", "grace", "kind", "negative", "team", "bool", "unknown"],
)
async def test_bad_settings_are_a_clear_422(client, admin_headers, body, says):
    r = await client.put(SETTINGS, json=body, headers=admin_headers)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert says in r.text


async def test_agent_capacities_are_validated(app, client, admin_headers):
    ana = await add_agent(app, "ana")
    r = await client.patch(
        f"/api/v1/users/{ana}", json={"capacities": {"pigeon": 1}}, headers=admin_headers
    )
    assert r.status_code == 422 and "pigeon" in r.text
    ok = await patch(
        app, client, admin_headers, f"/api/v1/users/{ana}", {"capacities": {"chat": 5}}
    )
    assert ok["capacities"] == {"chat": 5}


async def _signed_in(client, name: str) -> dict:
    """A cookie session on the test client; the CSRF header its unsafe calls need."""
    import re

    form = await client.get("/console/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)[1]
    data = {"email": f"{name}@example.com", "password": "correct horse battery"}
    assert (
        await client.post("/console/login", data=data | {"csrf_token": csrf})
    ).status_code == 303
    page = await client.get("/console")
    return {"X-CSRF-Token": re.search(r'name="csrf-token" content="([^"]+)"', page.text)[1]}
