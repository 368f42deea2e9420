"""Test helpers for presence and assignment: an injected clock, agents, customer messages in,
an agent's console socket, and the events a ticket or agent got."""

from __future__ import annotations

import asyncio
import re
from contextlib import asynccontextmanager
from datetime import timedelta
from itertools import count
from types import SimpleNamespace

import httpx
import socketio
from sqlalchemy import select

from gateway.realtime_events import Claims
from store.db import utcnow
from store.messages import Identity, InboundMessage
from store.outbox.models import Event
from store.staff import service as staff
from tests.e2e.loopback import serve

PASSWORD = "correct horse battery"
COLUMNS = ("id", "type", "ticket_id", "actor_kind", "actor_name", "before", "after", "payload")
_ids = count(1)


class Clock:
    """The presence clock of the app under test (gateway/presence.py) and of its jobs."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@asynccontextmanager
async def paused_clock(app):
    """Time stands still unless the test moves it; the background sweep is paused, so a test
    sweeps when it means to (`await sweep(app)`). Each test module makes it its `clock`
    fixture."""
    presence = app.state.realtime.presence
    await presence.stop()
    fake = Clock()
    presence.clock = fake
    app.state.dispatcher.ctx.extras["clock"] = fake
    try:
        yield fake
    finally:
        presence.clock = utcnow
        app.state.dispatcher.ctx.extras.pop("clock", None)
        presence.start()


async def sweep(app) -> list[tuple[int, str]]:
    changed = await app.state.realtime.presence.sweep()
    await app.state.dispatcher.drain()
    return changed


async def add_agent(app, name: str, *, online: bool = True, team: int | None = None, **fields):
    async with app.state.db.uow() as session:
        user = await staff.create_user(
            session,
            email=f"{name}@example.com",
            password=PASSWORD,
            name=name.title(),
            online=online,
            **fields,
        )
        if team is not None:
            found = await staff.get_team(session, team_id=team)
            await staff.update_team(
                session,
                team_id=team,
                changes={"member_ids": [m.id for m in found.members] + [user.id]},
            )
        return user.id


async def add_team(app, name: str, **fields) -> int:
    async with app.state.db.uow() as session:
        return (await staff.create_team(session, name=name, **fields)).id


async def customer_says(
    app, text: str, *, channel: str = "email", who: str = "pat@example.com", **extra
) -> int:
    """A customer's message through the ingest writer (as a channel adapter hands it over),
    then every job it starts; the ticket id."""
    n = next(_ids)
    kind = "email" if channel in ("email", "api") else "phone"
    inbound = InboundMessage(
        channel=channel,
        external_id=f"{channel}-{n}",
        thread_key=extra.pop("thread_key", f"thread-{n}"),
        sender=Identity(kind, who if kind == "email" else f"+1555000{n:04d}"),
        text=text,
        **extra,
    )
    result = await app.state.ingest.submit(inbound)
    await app.state.dispatcher.drain()
    return result.ticket_id


async def events_of(app, *, type: str, ticket_id: int | None = None) -> list[SimpleNamespace]:
    """The events of a type (of one ticket), oldest first, as plain values."""
    query = select(Event).where(Event.type == type).order_by(Event.id)
    if ticket_id is not None:
        query = query.where(Event.ticket_id == ticket_id)
    async with app.state.db.read() as session:
        rows = list(await session.scalars(query))
        return [SimpleNamespace(**{c: getattr(e, c) for c in COLUMNS}) for e in rows]


@asynccontextmanager
async def serving(app):
    """The session's app on a loopback port. Event ids start again at 1 after each test's
    cleanup, so the ids pushed to sockets in earlier tests are forgotten first (in a real
    process ids never repeat)."""
    app.state.realtime.claims = Claims()
    async with serve(app) as server:
        yield server


class Console:
    """An agent's console socket signed in with the session cookie, as the browser's is."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sio: socketio.AsyncClient | None = None
        self.me: asyncio.Queue = asyncio.Queue()  # presence_self
        self.events: asyncio.Queue = asyncio.Queue()  # outbox events

    async def open(self, email: str) -> dict:
        async with httpx.AsyncClient(base_url=self.url) as http:
            form = await http.get("/console/login")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)[1]
            data = {"email": email, "password": PASSWORD, "csrf_token": csrf}
            assert (await http.post("/console/login", data=data)).status_code == 303
            cookie = http.cookies["autocrm_session"]
        # An extra websocket header: aiohttp's cookie jar sends nothing to 127.0.0.1.
        header = {"headers": {"Cookie": f"autocrm_session={cookie}"}}
        self.sio = socketio.AsyncClient(reconnection=False, websocket_extra_options=header)
        self.sio.on("presence_self", self.me.put_nowait, namespace="/console")
        self.sio.on("event", self.events.put_nowait, namespace="/console")
        await self.sio.connect(self.url, namespaces=["/console"], transports=["websocket"])
        return await asyncio.wait_for(self.me.get(), 5)

    async def call(self, event: str, data=None) -> dict:
        return await self.sio.call(event, data, namespace="/console", timeout=5)

    async def next_event(self, kind: str, timeout: float = 5) -> dict:
        while True:
            event = await asyncio.wait_for(self.events.get(), timeout)
            if event["type"] == kind:
                return event

    async def close(self) -> None:
        if self.sio is not None and self.sio.connected:
            await self.sio.disconnect()


async def until(predicate, timeout: float = 5.0) -> None:
    """Wait for something the server does after answering (a socket's disconnect handler)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def presence_of(client, headers, user_id: int) -> str:
    users = (await client.get("/api/v1/users", headers=headers)).json()
    return next(u["presence"] for u in users if u["id"] == user_id)
