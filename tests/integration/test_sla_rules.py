"""SLA rules on SQLite and PostgreSQL: escalation rules acting on a ticket's SLA breach or
warning (raise priority, reassign to a team, notify a lead by email and console event), with
the admin API's clear 422s. time-machine moves the clock; nothing sleeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes

import pytest
import time_machine

from tests.integration.staffing import add_agent, add_team, events_of
from tests.integration.test_alerts import mailbox  # noqa: F401  (fixture)

RULES = "/api/v1/sla-rules"
POLICY = {
    "name": "Standard",
    "warn_percent": 50,
    "targets": {"normal": {"first_response_minutes": 10}, "high": {"first_response_minutes": 10}},
}


async def rule(client, headers, **body) -> dict:
    r = await client.post(RULES, json={"name": "Escalate", **body}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def drain_at(app, when: datetime) -> None:
    with time_machine.travel(when, tick=False):
        await app.state.dispatcher.drain()


async def test_rules_crud_and_clear_refusals(app, client, admin_headers):
    lead = await add_agent(app, "lead")
    team = await add_team(app, "Escalations")
    body = {"actions": {"raise_priority": True, "reassign": {"team_id": team}}}
    created = await rule(client, admin_headers, metrics=["first_response"], **body)
    assert created["event"] == "ticket.sla_breached" and created["enabled"]
    assert created["actions"]["reassign"] == {"team_id": team}
    bad = [
        ({"actions": {}}, "needs an action"),
        ({"actions": {"raise_priority": True, "set_priority": "high"}}, "not both"),
        ({"actions": {"reassign": {"team_id": 999}}}, "team 999 does not exist"),
        ({"actions": {"notify": {"user_ids": [999]}}}, "user 999 does not exist"),
        ({"actions": {"notify": {"user_ids": [lead], "email": False, "console": False}}}, "email"),
        ({"actions": {"notify": {"user_ids": []}}}, "user_ids"),
        ({"event": "ticket.created", "actions": {"raise_priority": True}}, "event"),
        ({"metrics": ["speed"], "actions": {"raise_priority": True}}, "metrics"),
        ({"conditions": {"channels": ["fax"]}, "actions": {"raise_priority": True}}, "fax"),
        ({"actions": {"set_priority": "soon"}}, "set_priority"),
    ]
    for change, says in bad:
        r = await client.post(RULES, json={"name": "x"} | change, headers=admin_headers)
        assert r.status_code == 422 and says in r.text, (change, r.text)
    url = f"{RULES}/{created['id']}"
    patched = await client.patch(url, json={"enabled": False}, headers=admin_headers)
    assert patched.status_code == 200 and not patched.json()["enabled"]
    r = await client.patch(
        url, json={"actions": {"reassign": {"team_id": 998}}}, headers=admin_headers
    )
    assert r.status_code == 422
    assert len((await client.get(RULES, headers=admin_headers)).json()) == 1
    assert (await client.delete(url, headers=admin_headers)).status_code == 204
    assert (await client.get(url, headers=admin_headers)).status_code == 404


async def test_a_breach_raises_priority_reassigns_and_tells_the_lead(
    app,
    client,
    admin_headers,
    mailbox,  # noqa: F811
):
    support = await add_team(app, "Support")
    escalations = await add_team(app, "Escalations")
    t0 = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    with time_machine.travel(t0, tick=False):
        ana = await add_agent(app, "ana", team=support)
        lead = await add_agent(app, "lead", online=False)
        assert (
            await client.post("/api/v1/sla-policies", json=POLICY, headers=admin_headers)
        ).status_code == 201
        notify = {"user_ids": [lead], "email": True, "console": True}
        actions = {"raise_priority": True, "reassign": {"team_id": escalations}, "notify": notify}
        await rule(client, admin_headers, metrics=["first_response"], actions=actions)
        await rule(
            client,
            admin_headers,
            name="Only on email",
            actions={"set_priority": "urgent"},
            conditions={"channels": ["email"]},
        )
        body = {"subject": "Broken", "body": "It broke", "customer": {"email": "c@example.com"}}
        body["team_id"] = support
        r = await client.post("/api/v1/tickets", json=body, headers=admin_headers)
        tid = r.json()["id"]
        await app.state.dispatcher.drain()
    ticket = (await client.get(f"/api/v1/tickets/{tid}", headers=admin_headers)).json()
    assert ticket["assignee_id"] == ana
    # the warning at 5 minutes: no rule acts on it
    await drain_at(app, t0 + timedelta(minutes=5, seconds=5))
    assert len(await events_of(app, type="ticket.sla_warning", ticket_id=tid)) == 1
    assert await events_of(app, type="ticket.sla_escalated", ticket_id=tid) == []
    with time_machine.travel(t0 + timedelta(minutes=10, seconds=5), tick=False):
        bob = await add_agent(app, "bob", team=escalations)  # online to take it
        await app.state.dispatcher.drain()
        await drain_at(app, t0 + timedelta(minutes=10, seconds=6))
    [breach] = await events_of(app, type="ticket.sla_breached", ticket_id=tid)
    [escalated] = await events_of(app, type="ticket.sla_escalated", ticket_id=tid)
    assert escalated.payload["source_event_id"] == breach.id
    assert escalated.payload["done"] == ["priority normal -> high", f"reassigned to user {bob}"]
    assert escalated.payload["notify_user_ids"] == [lead] and escalated.payload["console"]
    ticket = (await client.get(f"/api/v1/tickets/{tid}", headers=admin_headers)).json()
    assert (ticket["priority"], ticket["team_id"], ticket["assignee_id"]) == (
        "high",
        escalations,
        bob,
    )
    [moved] = [
        e
        for e in await events_of(app, type="ticket.assigned", ticket_id=tid)
        if e.after["assignee_id"] == bob
    ]
    assert moved.actor_name == "SLA rule Escalate" and moved.before["assignee_id"] == ana
    assert "first_response breached" in moved.payload["trigger"]
    mails = [m for m in mailbox if m.rcpt_tos == ["lead@example.com"]]
    assert len(mails) == 1
    subject = message_from_bytes(mails[0].content)["Subject"]
    assert subject.startswith("[AutoCRM] SLA first response breached: #")
    # the API channel's ticket did not match the email-only rule; run again: nothing twice
    await drain_at(app, t0 + timedelta(minutes=30))
    assert len(await events_of(app, type="ticket.sla_escalated", ticket_id=tid)) == 1


@pytest.mark.parametrize("event", ["ticket.sla_warning"])
async def test_a_warning_rule_acts_before_the_breach(app, client, admin_headers, event):
    t0 = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    with time_machine.travel(t0, tick=False):
        await client.post("/api/v1/sla-policies", json=POLICY, headers=admin_headers)
        await rule(client, admin_headers, event=event, actions={"set_priority": "urgent"})
        body = {"subject": "Slow", "body": "Hello", "customer": {"email": "d@example.com"}}
        tid = (await client.post("/api/v1/tickets", json=body, headers=admin_headers)).json()["id"]
        await app.state.dispatcher.drain()
    await drain_at(app, t0 + timedelta(minutes=5, seconds=5))
    ticket = (await client.get(f"/api/v1/tickets/{tid}", headers=admin_headers)).json()
    assert ticket["priority"] == "urgent"
    [updated] = [
        e
        for e in await events_of(app, type="ticket.updated", ticket_id=tid)
        if "priority" in (e.after or {})
    ]
    assert updated.actor_name == "SLA rule Escalate" and updated.after == {"priority": "urgent"}
