"""The scaled topology on loopback: HAProxy (deploy/haproxy.cfg) in front of two gateway
processes, two RQ workers, PostgreSQL and Redis, as docker-compose.yml runs it.

A widget pinned to one gateway and an agent's console pinned to the other hold a conversation
both ways through the balancer; the ticket is assigned once; socket.io's polling transport
stays on one replica; a gateway killed with SIGKILL: its clients reconnect to the other.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import SimpleNamespace

import aiohttp
import httpx
import pytest

from store.db import Database
from store.staff import service as staff
from tests.integration.lb_clients import PASSWORD, Console, Widget
from tests.integration.webchat_client import add_widget
from tests.servers.processes import Deployment, RedisServer, api_key, migrated_database

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
async def topology(pg_server, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("topology")
    redis = RedisServer()
    redis.start()
    url = await migrated_database(pg_server)
    deployment = Deployment(url, redis, tmp)
    try:
        await deployment.start()
        admin = await api_key(url, ["admin"], "admin")
        await add_widget(deployment.url, admin)
        db = Database(url.replace("postgresql://", "postgresql+asyncpg://"))
        async with db.uow() as session:
            await staff.create_user(session, email="ana@example.com", password=PASSWORD,
                                    name="Ana")  # fmt: skip
        await db.dispose()
        yield SimpleNamespace(lb=deployment.balancer, gateways=deployment.gateways, admin=admin)
    finally:
        deployment.stop()
        redis.stop()


async def _served_by(url: str, pin: str | None = None, source: str | None = None) -> str:
    """Which replica answers a socket.io polling handshake (the header the balancer adds)."""
    transport = httpx.AsyncHTTPTransport(local_address=source) if source else None
    cookies = {"AUTOCRM_GW": pin} if pin else None
    async with httpx.AsyncClient(base_url=url, transport=transport, cookies=cookies) as http:
        r = await http.get("/socket.io/", params={"EIO": "4", "transport": "polling"})
    assert r.status_code == 200, r.text
    return r.headers["x-autocrm-gateway"]


async def _events_of(url: str, ticket_id: int, admin: str, kind: str) -> list[dict]:
    async with httpx.AsyncClient(base_url=url) as http:
        r = await http.get(f"/api/v1/tickets/{ticket_id}/events",
                           headers={"Authorization": f"Bearer {admin}"})  # fmt: skip
    assert r.status_code == 200, r.text
    return [e for e in r.json() if e["type"] == kind]


async def test_the_cookie_pins_a_client_and_addresses_spread_without_it(topology):
    lb = topology.lb.url
    assert {await _served_by(lb, "gw1") for _ in range(5)} == {"gw1"}
    assert {await _served_by(lb, "gw2") for _ in range(5)} == {"gw2"}
    # No cookie (a widget on a customer's site): one address always reaches one replica ...
    by_source = {}
    for n in range(2, 14):
        source = f"127.0.0.{n}"
        answers = {await _served_by(lb, source=source) for _ in range(3)}
        assert len(answers) == 1, f"{source} was spread over {answers}"
        by_source[source] = answers.pop()
    # ... and different addresses use both.
    assert set(by_source.values()) == {"gw1", "gw2"}


async def test_a_polling_widget_holds_its_conversation_through_the_balancer(topology):
    # Long-polling: every poll is a new HTTP request, so it works only if all reach one replica.
    connector = aiohttp.TCPConnector(local_addr=("127.0.0.7", 0))
    async with aiohttp.ClientSession(connector=connector) as session:
        widget = Widget(topology.lb.url, transport="polling", session=session)
        await widget.connect()
        for n in range(3):
            assert (await widget.send(f"poll-{n}", f"polling message {n}"))["ok"] is True
        # A polling disconnect waits for the open long-poll to come back; no need to.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(widget.sio.disconnect(), 2)


async def test_widget_and_console_on_different_gateways_then_one_is_killed(topology):
    lb, admin = topology.lb.url, topology.admin
    console = Console(lb, pin="gw2")
    await console.sign_in("ana@example.com")
    widget = Widget(lb, pin="gw1")
    try:
        await widget.connect()
        assert (await widget.send("c-1", "Hello, my order is late"))["ok"] is True
        received = await console.next("message.received")
        ticket_id = received["ticket_id"]
        # Ana's console is open (online), so the ticket is hers: assigned once. (Tickets that
        # earlier tests left waiting come to her too, as she comes online: not this one.)
        assigned = await console.next("ticket.assigned")
        while assigned["ticket_id"] != ticket_id:
            assigned = await console.next("ticket.assigned")
        await console.reply(ticket_id, "Sorry! It ships today.")
        assert await widget.reply() == "Sorry! It ships today."

        topology.gateways[0].kill()  # gw1 holds the widget's socket
        assert await asyncio.wait_for(widget.sessions.get(), 60)  # reconnected, to gw2
        assert widget.sio.connected and console.sio.connected
        assert (await widget.send("c-2", "Thanks, one more question"))["ok"] is True
        again = await console.next("message.received")
        assert again["ticket_id"] == ticket_id  # same conversation, resumed by token
        await console.reply(ticket_id, "Ask away.")
        assert await widget.reply() == "Ask away."
        assert len(await _events_of(lb, ticket_id, admin, "ticket.assigned")) == 1
    finally:
        await widget.sio.disconnect()
        await console.sio.disconnect()
        topology.gateways[0].start()
        await topology.gateways[0].ready()
