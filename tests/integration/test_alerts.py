"""Unseen-wait alerts through the running gateway on SQLite and PostgreSQL: an assigned ticket
its assignee does not open (or a queued one nobody takes) past the admin's minutes emails
them once, through the support mailbox's SMTP (a real aiosmtpd); opening the ticket in the
console keeps it quiet. time-machine moves the clock; nothing sleeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes

import pytest
import time_machine

from store.actor import Actor
from store.assignment import service as assignment
from store.config import accounts
from tests.integration.staffing import (
    Console,
    add_agent,
    add_team,
    customer_says,
    events_of,
    serving,
)

SETTINGS = "/api/v1/assignment/settings"


@pytest.fixture
async def mailbox(app, smtp_server):
    """A support mailbox whose SMTP is the recording aiosmtpd; its envelopes."""
    controller, handler = smtp_server
    config = {
        "address": "help@shop.example",
        "from_name": "Shop help",
        "imap_host": "127.0.0.1",
        "imap_port": 1,
        "imap_user": "help",
        "smtp_host": "127.0.0.1",
        "smtp_port": controller.port,
        "smtp_tls": "none",
    }
    async with app.state.db.uow() as session:
        await accounts.create(
            session,
            channel="email",
            name="Help",
            address=config["address"],
            config=config,
            secrets={"imap_password": "x"},
        )
    return handler.envelopes


def start() -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)


async def drain_at(app, when: datetime) -> None:
    with time_machine.travel(when, tick=False):
        await app.state.dispatcher.drain()


async def alerts(app, ticket_id: int):
    return await events_of(app, type="ticket.unseen_alert", ticket_id=ticket_id)


async def test_an_unopened_assignment_emails_the_assignee_once(app, mailbox):
    t0 = start()
    with time_machine.travel(t0, tick=False):
        ana = await add_agent(app, "ana")
        tid = await customer_says(app, "Where is my order?", channel="email")
    [assigned] = await events_of(app, type="ticket.assigned", ticket_id=tid)
    assert assigned.payload["user_id"] == ana
    await drain_at(app, t0 + timedelta(minutes=9, seconds=50))
    assert await alerts(app, tid) == [] and mailbox == []
    await drain_at(app, t0 + timedelta(minutes=10, seconds=5))
    [alert] = await alerts(app, tid)
    assert alert.payload["wait"] == "unopened" and alert.payload["notify_user_ids"] == [ana]
    await drain_at(app, t0 + timedelta(minutes=40))
    assert len(await alerts(app, tid)) == 1
    [mail] = mailbox
    assert mail.rcpt_tos == ["ana@example.com"]
    sent = message_from_bytes(mail.content)
    assert "not opened for 10 min" in sent["Subject"]
    assert f"/console/tickets/{tid}" in sent.get_payload()
    assert sent["Auto-Submitted"] == "auto-generated"


async def test_opening_the_ticket_in_the_console_keeps_it_quiet(app, mailbox):
    ana = await add_agent(app, "ana")
    tid = await customer_says(app, "Where is my order?", channel="email")
    async with serving(app) as server:
        console = Console(server.url)
        await console.open("ana@example.com")
        assert (await console.call("join", {"ticket_id": tid}))["ok"]
        await console.close()
    assert [e.payload["user_id"] for e in await events_of(app, type="ticket.assigned")] == [ana]
    await drain_at(app, datetime.now(UTC) + timedelta(minutes=11))
    assert await alerts(app, tid) == [] and mailbox == []


async def test_a_queued_ticket_nobody_takes_emails_the_team(app, client, admin_headers, mailbox):
    team = await add_team(app, "Support")
    ana = await add_agent(app, "ana", online=False, team=team)
    await add_agent(app, "bob", online=False)  # not in the team: not told
    body = {"default_team_id": team, "unseen_alert_minutes": 5}
    assert (await client.patch(SETTINGS, json=body, headers=admin_headers)).status_code == 200
    t0 = start()
    with time_machine.travel(t0, tick=False):
        tid = await customer_says(app, "Hello?", channel="email")
    assert len(await events_of(app, type="ticket.queued", ticket_id=tid)) == 1
    await drain_at(app, t0 + timedelta(minutes=5, seconds=5))
    [alert] = await alerts(app, tid)
    assert alert.payload["wait"] == "unassigned" and alert.payload["notify_user_ids"] == [ana]
    [mail] = mailbox
    assert mail.rcpt_tos == ["ana@example.com"]
    assert "Waiting unassigned for 5 min" in message_from_bytes(mail.content)["Subject"]


async def test_a_ticket_taken_before_its_time_and_zero_minutes_alert_nobody(
    app, client, admin_headers, mailbox
):
    ana = await add_agent(app, "ana", online=False)
    t0 = start()
    with time_machine.travel(t0, tick=False):
        taken = await customer_says(app, "first", channel="email")
        async with app.state.db.uow() as session:
            await assignment.pull_next(session, user_id=ana, actor=Actor("user", ana, "Ana"))
        await app.state.dispatcher.drain()
    r = await client.patch(SETTINGS, json={"unseen_alert_minutes": 0}, headers=admin_headers)
    assert r.json()["unseen_alert_minutes"] == 0
    with time_machine.travel(t0 + timedelta(minutes=1), tick=False):
        off = await customer_says(app, "second", channel="email")
    await drain_at(app, t0 + timedelta(minutes=30))
    # the first: its queue wait ended when Ana took it (her own wait was scheduled before 0)
    waits = [a.payload["wait"] for a in await alerts(app, taken)]
    assert "unassigned" not in waits
    assert await alerts(app, off) == []
    bad = await client.patch(SETTINGS, json={"unseen_alert_minutes": -1}, headers=admin_headers)
    assert bad.status_code == 422
