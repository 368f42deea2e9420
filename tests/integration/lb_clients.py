"""Clients for a deployment behind the balancer: a widget visitor and an agent's console,
each pinned to a replica by the balancer's cookie (or not), reconnecting by themselves."""

from __future__ import annotations

import asyncio

import aiohttp
import httpx
import socketio

from tests.integration.webchat_client import WIDGET_KEY

PASSWORD = "correct horse battery"


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
                               transports=[self.transport], wait_timeout=10)  # fmt: skip
        return await asyncio.wait_for(self.sessions.get(), 30)

    async def send(self, client_id: str, text: str) -> dict:
        data = {"client_id": client_id, "text": text, "attachment_ids": []}
        return await self.sio.call("message", data, namespace="/widget", timeout=30)

    async def reply(self, timeout: float = 60) -> str:
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

    async def next(self, kind: str, timeout: float = 60) -> dict:
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
