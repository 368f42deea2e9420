"""Presence over the /console socket: who has a ticket open, who is replying, who left."""

from __future__ import annotations

import asyncio
import re

import httpx
import socketio

from store.staff import service as staff
from tests.integration.webchat_client import gateway

PASSWORD = "correct horse battery"


class Agent:
    """A console socket signed in with the session cookie, as the browser's would be."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sio: socketio.AsyncClient | None = None
        self.presence: asyncio.Queue = asyncio.Queue()

    async def sign_in(self, email: str) -> None:
        async with httpx.AsyncClient(base_url=self.url) as http:
            form = await http.get("/console/login")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)[1]
            data = {"email": email, "password": PASSWORD, "csrf_token": csrf}
            assert (await http.post("/console/login", data=data)).status_code == 303
            cookie = http.cookies["autocrm_session"]
        # As an extra websocket header: a plain `headers` cookie goes into aiohttp's jar,
        # which sends no cookies to an IP address such as 127.0.0.1.
        header = {"headers": {"Cookie": f"autocrm_session={cookie}"}}
        self.sio = socketio.AsyncClient(reconnection=False, websocket_extra_options=header)
        self.sio.on("presence", self.presence.put_nowait, namespace="/console")
        await self.sio.connect(self.url, namespaces=["/console"], transports=["websocket"])

    async def call(self, event: str, data: dict) -> dict:
        return await self.sio.call(event, data, namespace="/console", timeout=5)

    async def next(self, timeout: float = 5) -> dict:
        return await asyncio.wait_for(self.presence.get(), timeout)


async def test_viewing_replying_and_leaving_reach_the_colleague(tmp_path):
    async with gateway(tmp_path) as (app, url, admin):
        async with app.state.db.uow() as session:
            for name in ("ana", "bob"):
                await staff.create_user(
                    session, email=f"{name}@example.com", password=PASSWORD, name=name.title()
                )
        ana, bob = Agent(url), Agent(url)
        await ana.sign_in("ana@example.com")
        await bob.sign_in("bob@example.com")
        try:
            await ana.call("join", {"ticket_id": 7})
            await bob.call("join", {"ticket_id": 7})
            hello = await ana.next()
            assert hello["name"] == "Bob" and hello["state"] == "viewing" and hello["hello"]
            assert hello["ticket_id"] == 7

            assert (await ana.call("presence", {"ticket_id": 7, "state": "viewing"}))["ok"]
            answer = await bob.next()
            assert answer["name"] == "Ana" and not answer["hello"]

            assert (await bob.call("presence", {"ticket_id": 7, "state": "replying"}))["ok"]
            assert (await ana.next())["state"] == "replying"
            # Not joined, or not a state: refused, nothing relayed.
            assert not (await bob.call("presence", {"ticket_id": 8, "state": "viewing"}))["ok"]
            assert not (await bob.call("presence", {"ticket_id": 7, "state": "hacking"}))["ok"]

            await bob.sio.disconnect()
            left = await ana.next()
            assert left["name"] == "Bob" and left["state"] == "left"
            assert ana.presence.empty()
        finally:
            for agent in (ana, bob):
                if agent.sio and agent.sio.connected:
                    await agent.sio.disconnect()


async def test_an_api_key_reader_is_not_announced(tmp_path):
    from tests.integration.webchat_client import console_client

    async with gateway(tmp_path) as (app, url, admin):
        async with app.state.db.uow() as session:
            await staff.create_user(session, email="ana@example.com", password=PASSWORD)
        ana = Agent(url)
        await ana.sign_in("ana@example.com")
        integration, _ = await console_client(url, admin)
        try:
            await ana.call("join", {"ticket_id": 3})
            await integration.call("join", {"ticket_id": 3}, namespace="/console", timeout=5)
            await asyncio.sleep(0.3)
            assert ana.presence.empty()
        finally:
            await integration.disconnect()
            await ana.sio.disconnect()
