"""Two gateway processes and an RQ worker on one PostgreSQL database and Redis: a widget
customer on gateway A asks for a person, the bot escalates, the agent's console is open on
gateway B. The ticket is assigned exactly once, to that agent, and B's console hears of it
(the socket.io Redis manager carries the emit across processes); the customer on A hears
who has their chat."""

from __future__ import annotations

import subprocess
import sys
import uuid

import httpx
import pytest
import socketio
from sqlalchemy import select

from store.db import Database
from store.outbox.models import Event
from store.staff import service as staff
from store.tickets.models import Ticket
from tests.integration.staffing import PASSWORD, Console
from tests.integration.test_realtime_redis import ROOT, _env
from tests.integration.webchat_client import Customer, add_widget
from tests.servers.ports import free_port, wait_for_port
from tests.servers.postgres import create_database_async

STARTUP = 180  # seconds: importing the app takes ~40 s on a loaded 2-core machine
# seconds the bot's first turn may take: the worker imports the app and loads its retrieval
# models cold (a bound for a loaded machine, not a measure: bench/ has the numbers)
PATIENT_JOB = 240
PATIENCE = 30  # seconds a socket's connect may take on that machine (python-socketio: 1 s)


def _start(env: dict) -> tuple[subprocess.Popen, int]:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "gateway.asgi:app", "--port", str(port)]
    return subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL), port


@pytest.fixture
def patient_sockets(monkeypatch):
    """socket.io clients that wait PATIENCE for a namespace's connect (the console's runs
    presence writes; on a loaded machine that can take more than the default second)."""
    connect = socketio.AsyncClient.connect

    async def patient(client, *args, **kwargs):
        kwargs.setdefault("wait_timeout", PATIENCE)
        return await connect(client, *args, **kwargs)

    monkeypatch.setattr(socketio.AsyncClient, "connect", patient)


@pytest.fixture
async def stack(pg_server, redis_url, tmp_path):
    """(gateway A url, gateway B url, admin key, database) with one worker running jobs."""
    database_url = await create_database_async(pg_server)
    env = _env(database_url, redis_url, tmp_path)
    cli = [sys.executable, "-m", "gateway.cli"]
    subprocess.run([*cli, "db", "upgrade"], cwd=ROOT, env=env, check=True)
    db = Database(database_url.replace("postgresql://", "postgresql+asyncpg://"))
    async with db.uow() as session:
        _, admin = await staff.create_api_key(session, name="admin", scopes=["admin"])
        await staff.create_user(session, email="ana@example.com", password=PASSWORD, name="Ana")
    worker = subprocess.Popen([*cli, "worker"], cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    procs = [_start(env), _start(env)]  # both start at once: each takes a while to import
    try:
        for _, port in procs:
            wait_for_port("127.0.0.1", port, timeout=STARTUP)
        url_a, url_b = (f"http://127.0.0.1:{port}" for _, port in procs)
        yield url_a, url_b, admin, db
    finally:
        for proc in [worker, *(p for p, _ in procs)]:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:  # an RQ worker finishing a job: stop it
                proc.kill()
                proc.wait(10)
        await db.dispose()


async def test_escalated_on_a_assigned_once_to_the_agent_on_b(stack, patient_sockets):
    url_a, url_b, admin, db = stack
    await add_widget(url_a, admin)
    async with httpx.AsyncClient(base_url=url_a) as http:
        bot = await http.patch(
            "/api/v1/agent/settings",
            json={"enabled": True},
            headers={"Authorization": f"Bearer {admin}"},
        )
        assert bot.status_code == 200, bot.text
    console = Console(url_b)
    me = await console.open("ana@example.com")  # opening the console makes her online
    assert me["presence"] == "online"
    customer = Customer(url_a)
    session = await customer.connect()
    assert session["agents_online"] is True
    ack = await customer.send(str(uuid.uuid4()), "I want to talk to a human, please")
    assert ack["ok"] is True

    assigned = await console.next_event("ticket.assigned", timeout=PATIENT_JOB)
    assert assigned["payload"]["user_id"] == me["user_id"]
    assert "bot escalated" in assigned["payload"]["trigger"]
    waiting = (await customer.next_event("waiting", timeout=PATIENT_JOB))["waiting"]
    while waiting["state"] != "assigned":
        waiting = (await customer.next_event("waiting", timeout=PATIENT_JOB))["waiting"]
    assert waiting["assignee_name"] == "Ana"

    ticket_id = assigned["ticket_id"]
    async with db.read() as session:
        ticket = await session.get(Ticket, ticket_id)
        owner = (ticket.assignee_id, ticket.owner)
        kinds = list(
            await session.scalars(
                select(Event.type).where(
                    Event.ticket_id == ticket_id,
                    Event.type.in_(("ticket.assigned", "ticket.queued")),
                )
            )
        )
    assert owner == (me["user_id"], "human")
    assert kinds == ["ticket.assigned"]  # exactly once, never queued
    await console.close()
    await customer.close()
