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
import socketio
from redis import Redis
from rq import Worker as RqWorker

from store.db import Database
from store.staff import service as staff
from tests.integration.webchat_client import WIDGET_KEY, add_widget
from tests.servers.processes import (
    Gateway,
    HAProxy,
    RedisServer,
    Worker,
    api_key,
    app_env,
    migrated_database,
)

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
async def topology(pg_server, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("topology")
    redis = RedisServer()
    redis.start()
    url = await migrated_database(pg_server)
    env = app_env(url, redis.url, tmp)
    gateways = [Gateway(env, tmp, f"gateway{i}") for i in (1, 2)]
    workers = [Worker(env, tmp, f"worker{i}") for i in (1, 2)]
    balancer = HAProxy(gateways, tmp)
    parts = [*gateways, *workers]
    try:
        for part in parts:
            part.start()
        for gateway in gateways:
            await gateway.ready()
        balancer.start()
        await _until(lambda: len(RqWorker.all(connection=Redis.from_url(redis.url))) == 2, 30)
        admin = await api_key(url, ["admin"], "admin")
        await _until_async(lambda: _lb_ready(balancer.url), 15)
        await add_widget(balancer.url, admin)
        db = Database(url.replace("postgresql://", "postgresql+asyncpg://"))
        async with db.uow() as session:
            await staff.create_user(session, email="ana@example.com", password=PASSWORD,
                                    name="Ana")  # fmt: skip
        await db.dispose()
        yield SimpleNamespace(lb=balancer, gateways=gateways, admin=admin, url=url, tmp=tmp)
    finally:
        balancer.stop()
        for part in parts:
            part.stop()
        redis.stop()


async def _lb_ready(url: str) -> bool:
    async with httpx.AsyncClient(base_url=url) as http:
        seen = {(await http.get("/readyz")).headers.get("x-autocrm-gateway") for _ in range(4)}
    return seen == {"gw1", "gw2"}  # both replicas passed the balancer's health check


async def _until(check, timeout: float) -> None:
    async def wrapped():
        return check()

    await _until_async(wrapped, timeout)


async def _until_async(check, timeout: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"not within {timeout}s"
        await asyncio.sleep(0.1)


class Widget:
    """A widget visitor through the balancer, pinned to a replica by its cookie; reconnects
    by itself (with its token and last seen event) as the browser widget does."""

    def __init__(self, url: str, pin: str | None = None, transport: str = "websocket",
                 session: aiohttp.ClientSession | None = None) -> None:  # fmt: skip
        self.url, self.transport = url, transport
        self.auth = {"widget_key": WIDGET_KEY, "visitor_token": None, "last_seq": 0}
        extra = {"headers": {"Cookie": f"AUTOCRM_GW={pin}"}} if pin else {}
        self.sio = socketio.AsyncClient(
            reconnection_delay=0.2, reconnection_delay_max=1, randomization_factor=0,
            websocket_extra_options=extra, http_session=session,
        )  # fmt: skip
        self.sessions: asyncio.Queue = asyncio.Queue()
        self.events: asyncio.Queue = asyncio.Queue()
        self.sio.on("session", self._session, namespace="/widget")
        self.sio.on("event", self._event, namespace="/widget")

    async def _session(self, data: dict) -> None:
        self.auth["visitor_token"] = data["visitor_token"]
        await self.sessions.put(data)

    async def _event(self, data: dict) -> None:
        self.auth["last_seq"] = max(self.auth["last_seq"], data.get("seq") or 0)
        await self.events.put(data)

    async def connect(self) -> dict:
        await self.sio.connect(self.url, namespaces=["/widget"], auth=self.auth,
                               transports=[self.transport])  # fmt: skip
        return await asyncio.wait_for(self.sessions.get(), 10)

    async def send(self, client_id: str, text: str) -> dict:
        data = {"client_id": client_id, "text": text, "attachment_ids": []}
        return await self.sio.call("message", data, namespace="/widget", timeout=10)

    async def reply(self, timeout: float = 15) -> str:
        """The text of the next outbound message event."""
        while True:
            event = await asyncio.wait_for(self.events.get(), timeout)
            if event["type"] == "message" and event["message"]["direction"] == "out":
                return event["message"]["text"]


class Console:
    """An agent's console socket through the balancer, signed in, pinned by cookie."""

    def __init__(self, url: str, pin: str) -> None:
        self.url, self.pin = url, pin
        self.events: asyncio.Queue = asyncio.Queue()
        self.alerts: asyncio.Queue = asyncio.Queue()
        self.csrf, self.cookie = "", ""

    async def sign_in(self, email: str) -> None:
        async with httpx.AsyncClient(base_url=self.url) as http:
            r = await http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
            assert r.status_code == 200, r.text
            self.csrf, self.cookie = r.json()["csrf_token"], http.cookies["autocrm_session"]
        cookie = f"autocrm_session={self.cookie}; AUTOCRM_GW={self.pin}"
        self.sio = socketio.AsyncClient(
            reconnection_delay=0.2, websocket_extra_options={"headers": {"Cookie": cookie}}
        )
        self.sio.on("event", self.events.put_nowait, namespace="/console")
        self.sio.on("alert", self.alerts.put_nowait, namespace="/console")
        await self.sio.connect(self.url, namespaces=["/console"], transports=["websocket"])

    async def next(self, kind: str, timeout: float = 15) -> dict:
        while True:
            event = await asyncio.wait_for(self.events.get(), timeout)
            if event["type"] == kind:
                return event

    async def reply(self, ticket_id: int, text: str) -> None:
        headers = {"X-CSRF-Token": self.csrf, "Cookie": f"autocrm_session={self.cookie}"}
        async with httpx.AsyncClient(base_url=self.url) as http:
            r = await http.post(f"/api/v1/tickets/{ticket_id}/messages", json={"body": text},
                                headers=headers)  # fmt: skip
        assert r.status_code == 201, r.text


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
        # Ana's console is open (online), so the ticket is hers: assigned once.
        assigned = await console.next("ticket.assigned")
        assert assigned["ticket_id"] == ticket_id
        await console.reply(ticket_id, "Sorry! It ships today.")
        assert await widget.reply() == "Sorry! It ships today."

        topology.gateways[0].kill()  # gw1 holds the widget's socket
        assert await asyncio.wait_for(widget.sessions.get(), 20)  # reconnected, to gw2
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
