"""Console alerts over the real /console socket: a ticket assigned to an agent alerts that
agent's consoles, one waiting unassigned alerts its team's, and nobody else's."""

from __future__ import annotations

import asyncio

from tests.integration.staffing import Console, add_agent, add_team, customer_says, serving

SETTINGS = "/api/v1/assignment/settings"


async def alerts_of(console: Console) -> asyncio.Queue:
    alerts: asyncio.Queue = asyncio.Queue()
    console.sio.on("alert", alerts.put_nowait, namespace="/console")
    return alerts


async def test_assigned_alerts_the_assignee_and_queued_alerts_the_team(app, client, admin_headers):
    support = await add_team(app, "Support")
    billing = await add_team(app, "Billing")
    ana = await add_agent(app, "ana", online=False, team=support)
    bob = await add_agent(app, "bob", online=False, team=billing)
    await client.put(SETTINGS, json={"default_team_id": support}, headers=admin_headers)
    async with serving(app) as server:
        ana_console, bob_console = Console(server.url), Console(server.url)
        await ana_console.open("ana@example.com")
        await bob_console.open("bob@example.com")
        ana_alerts, bob_alerts = await alerts_of(ana_console), await alerts_of(bob_console)
        try:
            mine = await customer_says(app, "Where is my order?", channel="email")
            alert = await asyncio.wait_for(ana_alerts.get(), 5)
            assert alert["kind"] == "assigned" and alert["ticket_id"] == mine
            assert alert["user_id"] == ana and alert["team_id"] == support
            assert alert["reason"].startswith("to Ana")

            await ana_console.call("presence_set", {"state": "away"})
            waiting = await customer_says(app, "Anyone there?", channel="email")
            alert = await asyncio.wait_for(ana_alerts.get(), 5)
            assert alert["kind"] == "queued" and alert["ticket_id"] == waiting
            assert alert["user_id"] is None and alert["team_id"] == support

            # Billing's agent heard nothing of Support's tickets: his first alert is his own.
            await client.patch(SETTINGS, json={"default_team_id": billing}, headers=admin_headers)
            his = await customer_says(app, "Invoice wrong", channel="email")
            alert = await asyncio.wait_for(bob_alerts.get(), 5)
            assert (alert["kind"], alert["ticket_id"], alert["user_id"]) == ("assigned", his, bob)
            assert ana_alerts.empty()
        finally:
            await ana_console.close()
            await bob_console.close()
