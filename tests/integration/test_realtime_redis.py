"""Two gateway processes on one PostgreSQL database share socket.io rooms through real Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from store.db import Database
from store.staff import service as staff
from tests.integration.webchat_client import Customer, add_widget, console_client, next_console
from tests.servers.ports import free_port, wait_for_port
from tests.servers.postgres import create_database_async

ROOT = Path(__file__).resolve().parents[2]


def _env(database_url: str, redis_url: str, data_dir: Path) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "AUTOCRM_SECRET_KEY": "shared-test-secret-0123456789",
        "AUTOCRM_DATA_DIR": str(data_dir),
        "AUTOCRM_DISPATCH_INTERVAL": "0.05",
        "AUTOCRM_RUN_POLLERS": "false",
    }


def _start(env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "gateway.asgi:app", "--port", str(port)]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    wait_for_port("127.0.0.1", port)
    return proc, f"http://127.0.0.1:{port}"


@pytest.fixture
async def two_gateways(pg_server, redis_url, tmp_path):
    database_url = await create_database_async(pg_server)
    env = _env(database_url, redis_url, tmp_path)
    subprocess.run(
        [sys.executable, "-m", "gateway.cli", "db", "upgrade"], cwd=ROOT, env=env, check=True
    )
    db = Database(database_url.replace("postgresql://", "postgresql+asyncpg://"))
    async with db.uow() as session:
        _, admin = await staff.create_api_key(session, name="admin", scopes=["admin"])
    await db.dispose()
    procs = [_start(env), _start(env)]
    try:
        yield [url for _, url in procs], admin
    finally:
        for proc, _ in procs:
            proc.terminate()
            proc.wait(10)


async def test_customer_on_one_process_agent_on_the_other(two_gateways):
    (url_a, url_b), admin = two_gateways
    await add_widget(url_a, admin)
    console, received = await console_client(url_b, admin)
    customer = Customer(url_a)
    await customer.connect()
    ack = await customer.send(str(uuid.uuid4()), "Hello from process A")
    assert ack["ok"] is True
    seen = await next_console(received, "message.received")
    assert seen["payload"]["text"] == "Hello from process A"
    async with httpx.AsyncClient(base_url=url_b) as http:
        reply = await http.post(
            f"/api/v1/tickets/{seen['ticket_id']}/messages",
            json={"body": "Answered from process B"},
            headers={"Authorization": f"Bearer {admin}"},
        )
    assert reply.status_code == 201
    while (event := await customer.next_event())["message"]["direction"] == "in":
        continue
    assert event["message"]["text"] == "Answered from process B"
    await console.disconnect()
    await customer.close()
