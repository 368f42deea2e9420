"""The bot escalates and the ticket reaches a human: assigned at once when someone fits, else
queued and assigned the moment an agent comes online; the reason is on the ticket."""

from __future__ import annotations

from tests.agent.conftest import ask, configure, ticket
from tests.integration.staffing import add_agent, events_of

QUESTION = "Can you recommend a good pizza recipe?"  # nothing in the knowledge base: escalate


async def test_an_escalation_goes_to_an_online_agent(app, client, admin_headers, kb):
    await configure(client, admin_headers)
    ana = await add_agent(app, "ana")
    tid = await ask(app, client, admin_headers, QUESTION, ext="e-1")
    got = await ticket(client, admin_headers, tid)
    assert got["owner"] == "human" and got["assignee_id"] == ana
    [event] = await events_of(app, type="ticket.assigned", ticket_id=tid)
    assert event.actor_kind == "bot"
    assert event.payload["trigger"].startswith("bot escalated: not confident")
    assert event.payload["reason"].startswith("to Ana; bot escalated: not confident")


async def test_an_escalation_nobody_can_take_waits_for_the_first_agent_online(
    app, client, admin_headers, kb
):
    await configure(client, admin_headers)
    ana = await add_agent(app, "ana", online=False)
    tid = await ask(app, client, admin_headers, QUESTION, ext="e-2")
    assert (await ticket(client, admin_headers, tid))["assignee_id"] is None
    [waiting] = await events_of(app, type="ticket.queued", ticket_id=tid)
    assert "bot escalated" in waiting.payload["reason"]
    r = await client.patch(
        f"/api/v1/users/{ana}", json={"presence": "online"}, headers=admin_headers
    )
    assert r.status_code == 200
    await app.state.dispatcher.drain()
    assert (await ticket(client, admin_headers, tid))["assignee_id"] == ana
    # The customer writes again: the bot stays silent, the ticket stays hers.
    await ask(app, client, admin_headers, "Hello?", ext="e-3")
    assert (await ticket(client, admin_headers, tid))["assignee_id"] == ana
