"""Agent presence through the real console socket and the API, on SQLite and PostgreSQL, with
an injected clock: online on connect, away when idle, offline after the grace period once the
last console closes, a crashed gateway's agents expiring, and the toggle."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.integration.staffing import (
    Console,
    add_agent,
    events_of,
    paused_clock,
    presence_of,
    serving,
    sweep,
    until,
)


@pytest.fixture
async def clock(app):
    async with paused_clock(app) as fake:
        yield fake


async def test_opening_the_console_makes_the_agent_online(app, client, admin_headers, clock):
    ana = await add_agent(app, "ana", online=False)
    async with serving(app) as server:
        console = Console(server.url)
        me = await console.open("ana@example.com")
        try:
            assert me == {
                "user_id": ana,
                "presence": "online",
                "heartbeat_every": 30,
                "idle_away_seconds": 600,
            }
            changed = await console.next_event("user.presence_changed")
            assert changed["payload"] | {"changed_at": None} == {
                "user_id": ana,
                "name": "Ana",
                "presence": "online",
                "previous": "offline",
                "reason": "console opened",
                "changed_at": None,
            }
            users = (await client.get("/api/v1/users", headers=admin_headers)).json()
            [row] = [u for u in users if u["id"] == ana]
            assert row["presence"] == "online" and row["online"] is True and row["load"] == 0
        finally:
            await console.close()


async def test_the_toggle_and_the_heartbeat(app, client, admin_headers, clock):
    ana = await add_agent(app, "ana", online=False)
    async with serving(app) as server:
        console = Console(server.url)
        await console.open("ana@example.com")
        try:
            assert await console.call("presence_set", {"state": "away"}) == {
                "ok": True,
                "presence": "away",
            }
            assert await presence_of(client, admin_headers, ana) == "away"
            bad = await console.call("presence_set", {"state": "busy"})
            assert bad["ok"] is False and bad["error"]["code"] == "invalid"
            assert "state" in bad["error"]["message"]
            assert (await console.call("heartbeat", {"active": "yes"}))["ok"] is False
            assert await console.call("heartbeat", {"active": True}) == {
                "ok": True,
                "presence": "away",  # a heartbeat keeps the state; it does not choose one
            }
            assert (await console.call("presence_set", {"state": "online"}))["presence"] == "online"
        finally:
            await console.close()
    states = [e.payload["presence"] for e in await events_of(app, type="user.presence_changed")]
    assert states[:3] == ["online", "away", "online"]


async def test_idle_past_the_setting_makes_the_agent_away(app, client, admin_headers, clock):
    ana = await add_agent(app, "ana", online=False)
    async with serving(app) as server:
        console = Console(server.url)
        await console.open("ana@example.com")
        try:
            clock.advance(minutes=8)
            await console.call("heartbeat", {"active": True})  # someone is there
            clock.advance(minutes=8)
            await console.call("heartbeat")  # the console is open, nobody touched it
            assert await sweep(app) == []
            assert await presence_of(client, admin_headers, ana) == "online"
            clock.advance(minutes=3)  # 11 minutes since the last activity
            await console.call("heartbeat")
            assert await sweep(app) == [(ana, "away")]
            assert await presence_of(client, admin_headers, ana) == "away"
            [*_, last] = await events_of(app, type="user.presence_changed")
            assert last.payload["reason"] == "idle" and last.actor_kind == "system"
        finally:
            await console.close()


async def test_offline_after_the_grace_once_the_last_console_closes(
    app, client, admin_headers, clock
):
    ana = await add_agent(app, "ana", online=False)
    presence = app.state.realtime.presence
    async with serving(app) as server:
        tab1, tab2 = Console(server.url), Console(server.url)
        await tab1.open("ana@example.com")
        await tab2.open("ana@example.com")
        await tab1.close()
        await until(lambda: len(presence.sockets.get(ana, ())) == 1)
        clock.advance(seconds=120)
        await tab2.call("heartbeat")
        assert await sweep(app) == []  # one console still open
        await tab2.close()
        await until(lambda: ana not in presence.sockets)
        clock.advance(seconds=59)
        assert await sweep(app) == []  # within the 60 s grace: a reload keeps them online
        assert await presence_of(client, admin_headers, ana) == "online"
        clock.advance(seconds=2)
        assert await sweep(app) == [(ana, "offline")]
    assert await presence_of(client, admin_headers, ana) == "offline"


async def test_a_reload_within_the_grace_keeps_the_agent_online(app, clock):
    ana = await add_agent(app, "ana", online=False)
    async with serving(app) as server:
        tab = Console(server.url)
        await tab.open("ana@example.com")
        await tab.close()
        await until(lambda: ana not in app.state.realtime.presence.sockets)
        clock.advance(seconds=30)
        again = Console(server.url)
        assert (await again.open("ana@example.com"))["presence"] == "online"
        clock.advance(seconds=45)
        assert await sweep(app) == []
        await again.close()
    changes = await events_of(app, type="user.presence_changed")
    assert [e.payload["presence"] for e in changes] == ["online"]  # never offline between


async def test_a_crashed_gateways_agents_expire(app, client, admin_headers, clock):
    """A gateway killed with consoles open never runs their disconnect: their heartbeats stop,
    and past the TTL they count as offline at once and the next sweep records it."""
    ana = await add_agent(app, "ana")  # online, heartbeat now (as on the crashed gateway)
    clock.advance(seconds=89)
    assert await presence_of(client, admin_headers, ana) == "online"
    clock.advance(seconds=2)
    assert await presence_of(client, admin_headers, ana) == "offline"  # before any sweep
    assert await sweep(app) == [(ana, "offline")]
    [*_, last] = await events_of(app, type="user.presence_changed")
    assert last.payload | {"changed_at": None} == {
        "user_id": ana,
        "name": "Ana",
        "presence": "offline",
        "previous": "online",
        "reason": "heartbeat expired",
        "changed_at": None,
    }
    assert await sweep(app) == []  # recorded once, however many gateways sweep


async def test_two_gateways_sweeping_at_once_record_one_change(app, clock):
    ana = await add_agent(app, "ana")
    clock.advance(minutes=5)
    presence = app.state.realtime.presence
    first, second = await presence.sweep(), await presence.sweep()
    assert first == [(ana, "offline")] and second == []
    assert len(await events_of(app, type="user.presence_changed")) == 2  # created online, expired


async def test_patch_users_sets_presence(app, client, admin_headers, clock):
    bob = await add_agent(app, "bob", online=False)
    url = f"/api/v1/users/{bob}"
    r = await client.patch(url, json={"presence": "away"}, headers=admin_headers)
    assert r.status_code == 200 and r.json()["presence"] == "away"
    r = await client.patch(url, json={"online": True}, headers=admin_headers)
    assert r.json()["presence"] == "online" and r.json()["online"] is True  # the old switch
    r = await client.patch(url, json={"presence": "busy"}, headers=admin_headers)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    r = await client.patch("/api/v1/me", json={"presence": "away"}, headers=admin_headers)
    assert r.status_code == 400 and "API key" in r.json()["detail"]
    first = (await events_of(app, type="user.presence_changed"))[0]
    assert first.actor_kind == "apikey" and first.payload["reason"] == "set by admin"


async def test_patch_me_as_the_signed_in_agent(app, client, clock):
    ana = await add_agent(app, "ana", online=False)
    form = await client.get("/console/login")
    csrf = _csrf(form.text)
    data = {"email": "ana@example.com", "password": "correct horse battery", "csrf_token": csrf}
    assert (await client.post("/console/login", data=data)).status_code == 303
    page = await client.get("/console")
    headers = {"X-CSRF-Token": _meta_csrf(page.text)}
    r = await client.patch("/api/v1/me", json={"presence": "online"}, headers=headers)
    assert r.status_code == 200 and r.json()["id"] == ana and r.json()["presence"] == "online"
    r = await client.patch("/api/v1/me", json={"presence": "lunch"}, headers=headers)
    assert r.status_code == 422


async def test_a_deactivated_agent_goes_offline(app, client, admin_headers, clock):
    ana = await add_agent(app, "ana")
    r = await client.patch(f"/api/v1/users/{ana}", json={"is_active": False}, headers=admin_headers)
    assert r.status_code == 200 and r.json()["presence"] == "offline"


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def _meta_csrf(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html)[1]


async def test_agents_online_counts_fresh_heartbeats(app, clock):
    from store.assignment.presence import agents_online

    await add_agent(app, "ana")
    await add_agent(app, "bob", online=False)
    async with app.state.db.read() as session:
        assert await agents_online(session, now=clock()) == 1
        assert await agents_online(session, now=clock() + timedelta(seconds=91)) == 0
