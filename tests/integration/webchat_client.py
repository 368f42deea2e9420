"""Test helpers: a real gateway in uvicorn with a widget account, and socket.io clients for it."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

import httpx
import socketio

from tests.e2e.loopback import serve
from tests.gateway_fixtures import make_key, make_settings, running_app

WIDGET_KEY = "pk_test_site_widget"
WIDGET_SECRET = "widget-secret-0123456789"


async def add_widget(base_url: str, admin_key: str, **config) -> dict:
    body = {
        "channel": "webchat",
        "name": "Website",
        "config": {"widget_key": WIDGET_KEY, "secret": WIDGET_SECRET, **config},
    }
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post(
            "/api/v1/channels", json=body, headers={"Authorization": f"Bearer {admin_key}"}
        )
    response.raise_for_status()
    return response.json()


@asynccontextmanager
async def gateway(tmp_path, database_url=None, **widget_config):
    """(app, server url, admin key) with one widget account configured."""
    async with running_app(make_settings(tmp_path, database_url)) as app, serve(app) as server:
        admin = await make_key(app, ["admin"], "admin")
        await add_widget(server.url, admin, **widget_config)
        yield app, server.url, admin


class Refused(Exception):
    """The server refused the connection; the message carries its reason."""


class Customer:
    """A widget client speaking the protocol in widget/README.md."""

    def __init__(self, url: str, **auth) -> None:
        self.url = url
        self.auth = {"widget_key": WIDGET_KEY, "visitor_token": None, "last_seq": 0, **auth}
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sessions: asyncio.Queue = asyncio.Queue()
        self.events: asyncio.Queue = asyncio.Queue()
        self.errors: list[dict] = []
        self.sio.on("session", self.sessions.put_nowait, namespace="/widget")
        self.sio.on("event", self.events.put_nowait, namespace="/widget")
        self.sio.on("error", self.errors.append, namespace="/widget")
        self.refusals: list = []
        self.sio.on("connect_error", self.refusals.append, namespace="/widget")

    async def connect(self) -> dict:
        """The `session`; raises Refused with the server's words when the connect is refused."""
        try:
            await self.sio.connect(
                self.url, namespaces=["/widget"], auth=self.auth, transports=["websocket"]
            )
        except socketio.exceptions.ConnectionError:
            raise Refused(str(self.refusals)) from None
        session = await asyncio.wait_for(self.sessions.get(), 10)
        self.auth["visitor_token"] = session["visitor_token"]
        return session

    async def send(self, client_id: str, text: str, **extra) -> dict:
        data = {"client_id": client_id, "text": text, "attachment_ids": [], **extra}
        return await self.sio.call("message", data, namespace="/widget", timeout=10)

    async def next_event(self, kind: str = "message", timeout: float = 10) -> dict:
        while True:
            event = await asyncio.wait_for(self.events.get(), timeout)
            if event["type"] == kind:
                return event

    async def close(self) -> None:
        await self.sio.disconnect()


async def console_client(url: str, api_key: str) -> tuple[socketio.AsyncClient, asyncio.Queue]:
    sio = socketio.AsyncClient(reconnection=False)
    received: asyncio.Queue = asyncio.Queue()
    sio.on("event", received.put_nowait, namespace="/console")
    await sio.connect(
        url, namespaces=["/console"], auth={"token": api_key}, transports=["websocket"]
    )
    return sio, received


async def next_console(received: asyncio.Queue, kind: str, timeout: float = 10) -> dict:
    while True:
        event = await asyncio.wait_for(received.get(), timeout)
        if event["type"] == kind:
            return event
