"""Open console sockets end with their credentials: an admin revoking an agent's sessions, an
agent deactivated, an API key revoked: the sockets they hold are disconnected at the next
check (gateway/realtime_revoke.py; the test runs the check instead of waiting for it)."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
import socketio

from store.staff import service as staff
from tests.integration.webchat_client import gateway

PASSWORD = "correct horse battery"


class Agent:
    """A console socket signed in with the session cookie, as the browser's would be."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sio: socketio.AsyncClient | None = None

    async def sign_in(self, email: str) -> None:
        async with httpx.AsyncClient(base_url=self.url) as http:
            form = await http.get("/console/login")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)[1]
            data = {"email": email, "password": PASSWORD, "csrf_token": csrf}
            assert (await http.post("/console/login", data=data)).status_code == 303
            cookie = http.cookies["autocrm_session"]
        header = {"headers": {"Cookie": f"autocrm_session={cookie}"}}
        self.sio = await _console(self.url, websocket_extra_options=header)


async def _console(url: str, auth=None, **options) -> socketio.AsyncClient:
    sio = socketio.AsyncClient(reconnection=False, **options)
    await sio.connect(url, namespaces=["/console"], auth=auth, transports=["websocket"],
                      wait_timeout=10)  # fmt: skip
    return sio


async def _until_disconnected(sio, timeout: float = 5) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while sio.connected:
        assert asyncio.get_running_loop().time() < deadline, "the socket is still open"
        await asyncio.sleep(0.02)


async def _agent(app, url: str, email: str) -> tuple[Agent, int]:
    async with app.state.db.uow() as session:
        user = await staff.create_user(session, email=email, password=PASSWORD, name="Ana")
        user_id = user.id
    agent = Agent(url)
    await agent.sign_in(email)
    return agent, user_id


@pytest.mark.parametrize("how", ["revoke sessions", "deactivate"])
async def test_a_revoked_agents_console_socket_is_disconnected(tmp_path, how):
    async with gateway(tmp_path) as (app, url, admin):
        agent, user_id = await _agent(app, url, "ana@example.com")
        other, _ = await _agent(app, url, "bob@example.com")
        watch = app.state.realtime.credentials
        assert await watch.check() == []  # live credentials: nothing ends
        headers = {"Authorization": f"Bearer {admin}"}
        async with httpx.AsyncClient(base_url=url, headers=headers) as http:
            if how == "deactivate":
                r = await http.patch(f"/api/v1/users/{user_id}", json={"is_active": False})
            else:
                r = await http.delete(f"/api/v1/users/{user_id}/sessions")
        assert r.status_code == 200, r.text
        assert len(await watch.check()) == 1
        await _until_disconnected(agent.sio)
        assert other.sio.connected  # a colleague's console stays
        await other.sio.disconnect()


async def test_a_revoked_api_keys_console_socket_is_disconnected(tmp_path):
    async with gateway(tmp_path) as (app, url, admin):
        headers = {"Authorization": f"Bearer {admin}"}
        async with httpx.AsyncClient(base_url=url, headers=headers) as http:
            key = {"name": "feed", "scopes": ["tickets:read"]}
            made = await http.post("/api/v1/api-keys", json=key)
            assert made.status_code == 201, made.text
            sio = await _console(url, auth={"token": made.json()["key"]})
            assert (await http.delete(f"/api/v1/api-keys/{made.json()['id']}")).status_code == 200
        assert len(await app.state.realtime.credentials.check()) == 1
        await _until_disconnected(sio)
