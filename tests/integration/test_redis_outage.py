"""Redis stopped and started again, a worker killed mid-job: nothing waits out a lease.

Real processes: a private redis-server stopped and started on the same port, RQ workers
(`run_worker` in subprocesses), PostgreSQL, the gateway in-process or as two uvicorn processes;
a webhook receiver holds a request to keep a worker busy at the moment of the fault.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
import uvicorn
from redis import Redis
from rq import Queue, Worker
from sqlalchemy import select, update

from gateway.outbox import run
from store.db import Database, utcnow
from store.jobs import JobContext
from store.migrate import upgrade
from store.outbox import deliveries
from store.outbox.deliveries import Outcome
from store.outbox.models import Delivery, Event
from tests.gateway_fixtures import make_key, make_settings, running_app
from tests.integration.webchat_client import Customer, add_widget, console_client, next_console
from tests.servers.ports import free_port, wait_for_port
from tests.servers.postgres import create_database_async

ROOT = Path(__file__).resolve().parents[2]
WORKER = """import logging, sys
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(message)s")
from gateway.outbox.worker import run_worker
run_worker(sys.argv[1])"""


class RedisProcess:
    """A private redis-server that can be stopped and started again on the same port."""

    def __init__(self) -> None:
        self.port, self.proc = free_port(), None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        wait_for_port("127.0.0.1", self.port)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class HeldReceiver:
    """Webhook receiver: the first request whose body holds `marker` waits for `release`."""

    def __init__(self) -> None:
        self.marker, self.arrivals, self.held, self.held_from = "", [], "", 0
        self.arrived, self.release = threading.Event(), threading.Event()

    def hold(self, marker: str) -> None:
        self.marker = marker
        self.arrived.clear()
        self.release.clear()

    async def __call__(self, scope, receive, send) -> None:
        body = b""
        while (message := await receive()).get("more_body"):
            body += message.get("body", b"")
        body += message.get("body", b"")
        delivery = dict(scope["headers"]).get(b"x-autocrm-delivery", b"").decode()
        self.arrivals.append(delivery)
        if self.marker and self.marker.encode() in body and not self.arrived.is_set():
            self.held, self.held_from = delivery, scope["client"][1]
            self.arrived.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def _serve(receiver: HeldReceiver) -> tuple[uvicorn.Server, str]:
    port = free_port()
    config = uvicorn.Config(receiver, port=port, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    wait_for_port("127.0.0.1", port)
    return server, f"http://127.0.0.1:{port}/hooks"


def _env(database_url: str, redis_url: str, data_dir: Path, **extra) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "AUTOCRM_SECRET_KEY": "shared-test-secret-0123456789",
        "AUTOCRM_DATA_DIR": str(data_dir),
        "AUTOCRM_RUN_POLLERS": "false",
        **extra,
    }


async def _until(check, timeout: float, what: str) -> float:
    """Seconds until `check()` holds; fails after `timeout` (a bound, not a timing)."""
    began = time.monotonic()
    while not await check():
        assert time.monotonic() - began < timeout, f"{what}: not within {timeout} s"
        await asyncio.sleep(0.05)
    return time.monotonic() - began


@pytest.fixture(scope="module")
async def stack(pg_server, tmp_path_factory):
    """Redis, a migrated database, two RQ worker processes and the held webhook receiver."""
    tmp = tmp_path_factory.mktemp("outage")
    redis = RedisProcess()
    redis.start()
    database_url = await create_database_async(pg_server)
    db = Database(database_url.replace("postgresql://", "postgresql+asyncpg://"))
    await upgrade(db.engine)
    env = _env(database_url, redis.url, tmp)
    logs = [open(tmp / f"worker{i}.log", "w") for i in range(2)]  # noqa: SIM115
    command = [sys.executable, "-c", WORKER, redis.url]
    workers = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        for log in logs
    ]
    receiver = HeldReceiver()
    server, hook_url = _serve(receiver)
    try:
        connection = Redis.from_url(redis.url)
        ready = lambda: asyncio.sleep(0, len(Worker.all(connection=connection)) == 2)  # noqa: E731
        await _until(ready, 30, "two RQ workers registered")
        yield SimpleNamespace(
            redis=redis, db=db, url=database_url, tmp=tmp, workers=workers, logs=logs,
            receiver=receiver, hook_url=hook_url,
        )  # fmt: skip
        alive = [w for w in workers if w.poll() is None]
        for worker in alive:  # a stop signal still stops them
            worker.send_signal(signal.SIGTERM)
        assert [w.wait(10) for w in alive] == [0] * len(alive)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
        server.should_exit = True
        await db.dispose()
        redis.stop()


@asynccontextmanager
async def _gateway(stack):
    """The gateway in this process, its dispatcher enqueueing to RQ; (app, client, headers)."""
    settings = make_settings(stack.tmp, stack.url, redis_url=stack.redis.url)
    async with running_app(settings) as app:
        key = await make_key(app, ["admin"])
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield app, client, {"Authorization": f"Bearer {key}"}


async def _ticket_with_hook(client, headers, stack, external_id: str) -> int:
    hook = {"url": stack.hook_url, "event_types": ["message.queued"], "secret": "s" * 20}
    if not (await client.get("/api/v1/webhooks", headers=headers)).json():
        response = await client.post("/api/v1/webhooks", json=hook, headers=headers)
        assert response.status_code == 201
    body = {"external_id": external_id, "customer": {"email": "o@example.com"}, "body": "hi"}
    return (await client.post("/api/v1/inbound", json=body, headers=headers)).json()["ticket_id"]


async def _reply(client, headers, ticket_id: int, text: str) -> int:
    url = f"/api/v1/tickets/{ticket_id}/messages"
    response = await client.post(url, json={"body": text}, headers=headers)
    assert response.status_code == 201
    return response.json()["id"]


def _done(stack, message_id: int):
    """A check: every delivery of the message's events (its webhook, its send) is done."""

    async def check() -> bool:
        async with stack.db.read() as session:
            rows = await session.execute(
                select(Delivery.status, Event.payload).join(Event, Event.id == Delivery.event_id)
            )
            mine = [status for status, payload in rows if payload.get("message_id") == message_id]
        return bool(mine) and set(mine) == {"done"}

    return check


def _delivery_done(stack, delivery_id: int):
    return lambda: _status(stack.db, delivery_id, "done")


async def _wait_for_arrival(receiver: HeldReceiver) -> None:
    assert await asyncio.to_thread(receiver.arrived.wait, 10), "the held webhook never arrived"


async def test_workers_outlive_redis_and_nothing_waits_for_it(stack):
    receiver, redis, workers = stack.receiver, stack.redis, stack.workers
    async with _gateway(stack) as (app, client, headers):
        ticket_id = await _ticket_with_hook(client, headers, stack, "outage-1")
        receiver.hold("hold-me-outage")
        first = await _reply(client, headers, ticket_id, "hold-me-outage")
        await _wait_for_arrival(receiver)  # a worker is mid-job ...
        redis.stop()  # ... when Redis goes away
        receiver.release.set()
        await _until(_delivery_done(stack, int(receiver.held)), 5, "the job that was running")
        await asyncio.sleep(1)  # RQ then records the job in Redis: where the workers died
        assert [w.poll() for w in workers] == [None, None], "a worker died with Redis"
        during = await _reply(client, headers, ticket_id, "written during the outage")
        # The gateway runs it itself (it used to stay 'running' for a 5-minute lease).
        here = await _until(_done(stack, during), 5, "a delivery while Redis is down")
        print(f"run by the gateway itself {here:.2f} s after it was written, Redis down")
        assert app.state.dispatcher.redis_lost
        redis.start()
        back = time.monotonic()
        await _until(lambda: asyncio.sleep(0, not app.state.dispatcher.redis_lost), 5, "resume")
        after = await _reply(client, headers, ticket_id, "written after the outage")
        await _until(_done(stack, after), 8, "a delivery after Redis came back")
        await _until(_done(stack, first), 5, "the rest of the first reply's deliveries")
        print(f"enqueued and run by a worker {time.monotonic() - back:.2f} s after Redis restart")
    assert [w.poll() for w in workers] == [None, None], "a worker died after the outage"
    finished = Queue("autocrm", connection=Redis.from_url(redis.url)).finished_job_registry
    assert finished.count >= 1  # the new Redis's jobs were run by the workers


async def test_a_killed_workers_job_runs_again_within_seconds(stack):
    receiver = stack.receiver
    async with _gateway(stack) as (_, client, headers):
        ticket_id = await _ticket_with_hook(client, headers, stack, "kill-1")
        receiver.hold("hold-me-kill")
        message_id = await _reply(client, headers, ticket_id, "hold-me-kill")
        await _wait_for_arrival(receiver)
        os.kill(_pid_of_port([w.pid for w in stack.workers], receiver.held_from), signal.SIGKILL)
        killed = time.monotonic()
        receiver.release.set()
        recovery = await _until(_done(stack, message_id), 14, "the killed worker's job")
        print(f"the killed worker's job was done again {recovery:.2f} s after kill -9")
    assert receiver.arrivals.count(receiver.held) == 2  # the killed run, and one more
    assert time.monotonic() - killed < 14


def _pid_of_port(pids: list[int], port: int) -> int:
    """Which of `pids` holds the loopback TCP connection from local `port` (read from /proc)."""
    rows = [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]]
    [inode] = {r[9] for r in rows if int(r[1].split(":")[1], 16) == port and r[9] != "0"}
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                if os.readlink(fd) == f"socket:[{inode}]":
                    return pid
    raise AssertionError(f"no worker holds the connection from port {port}")


def _start_gateway(env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "gateway.asgi:app", "--port", str(port)]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    return proc, f"http://127.0.0.1:{port}"


async def test_socket_emits_during_the_outage_reach_the_other_gateway(stack, pg_server):
    # A holds the customer's socket; B's dispatcher delivers the agent's reply. A's own
    # dispatcher sleeps (it would deliver the event itself), so only Redis carries it.
    database_url = await create_database_async(pg_server)
    db = Database(database_url.replace("postgresql://", "postgresql+asyncpg://"))
    await upgrade(db.engine)
    await db.dispose()
    env = _env(database_url, stack.redis.url, stack.tmp)
    (proc_a, url_a), (proc_b, url_b) = (
        _start_gateway({**env, "AUTOCRM_DISPATCH_INTERVAL": "60"}),
        _start_gateway({**env, "AUTOCRM_DISPATCH_INTERVAL": "0.05"}),
    )
    try:
        for url in (url_a, url_b):
            await asyncio.to_thread(wait_for_port, "127.0.0.1", int(url.rsplit(":", 1)[1]))
        await _conversation_across_an_outage(stack.redis, url_a, url_b, database_url)
    finally:
        for proc in (proc_a, proc_b):
            proc.terminate()
            proc.wait(10)


async def _conversation_across_an_outage(redis, url_a, url_b, database_url) -> None:
    admin = await _admin_key(database_url)
    await add_widget(url_b, admin)
    console, received = await console_client(url_b, admin)
    customer = Customer(url_a)
    await customer.connect()
    assert (await customer.send("c-1", "Hello before the outage"))["ok"] is True
    ticket_id = (await next_console(received, "message.received"))["ticket_id"]
    redis.stop()
    async with httpx.AsyncClient(base_url=url_b) as http:
        reply = await http.post(
            f"/api/v1/tickets/{ticket_id}/messages",
            json={"body": "Answered while Redis was down"},
            headers={"Authorization": f"Bearer {admin}"},
        )
    assert reply.status_code == 201
    await asyncio.sleep(0.5)  # B's dispatcher emits it now, into the outage
    redis.start()
    back = time.monotonic()
    while (event := await customer.next_event(timeout=10))["message"]["direction"] == "in":
        continue
    assert event["message"]["text"] == "Answered while Redis was down"
    print(f"the reply reached the widget {time.monotonic() - back:.2f} s after Redis restart")
    await console.disconnect()
    await customer.close()


async def _admin_key(database_url: str) -> str:
    from store.staff import service as staff

    db = Database(database_url.replace("postgresql://", "postgresql+asyncpg://"))
    async with db.uow() as session:
        _, admin = await staff.create_api_key(session, name="admin", scopes=["admin"])
    await db.dispose()
    return admin


SETTINGS = SimpleNamespace(job_max_attempts=8, job_backoff_base=2.0, webhook_disable_after=10)


@asynccontextmanager
async def _leased_delivery(tmp_path):
    """A database with one delivery, leased by the dispatcher: (db, leased)."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'leases.db'}")
    await upgrade(db.engine)
    async with db.uow() as session:
        session.add(Delivery(kind="job", target="noop", args={}))
    async with db.uow() as session:
        [leased] = await deliveries.claim_due(session)
    try:
        yield db, leased
    finally:
        await db.dispose()


async def _status(db, delivery_id: int, expected: str) -> bool:
    async with db.read() as session:
        status = await session.scalar(select(Delivery.status).where(Delivery.id == delivery_id))
    return status == expected


async def test_only_the_holder_of_a_lease_starts_renews_or_records(tmp_path):
    async with _leased_delivery(tmp_path) as (db, leased):
        async with db.uow() as session:  # two copies of the job: the second cannot start
            first = await deliveries.start(session, leased.id, leased.lease)
            second = await deliveries.start(session, leased.id, leased.lease)
        assert first is not None and second is None
        _, run_lease = first
        async with db.uow() as session:
            assert await deliveries.renew(session, leased.id, leased.lease) is None
            renewed = await deliveries.renew(session, leased.id, run_lease)
        assert renewed is not None
        async with db.uow() as session:  # a stale token records nothing
            await deliveries.record_in(session, SETTINGS, [Outcome(leased.id, lease=run_lease)])
        assert await _status(db, leased.id, "running")
        async with db.uow() as session:
            await deliveries.record_in(session, SETTINGS, [Outcome(leased.id, lease=renewed)])
        assert await _status(db, leased.id, "done")


async def test_a_run_that_loses_its_lease_stops_and_records_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(deliveries, "RENEW_EVERY", timedelta(seconds=0.05))
    stopped = asyncio.Event()

    async def endless(ctx, leased):
        try:
            await asyncio.sleep(60)
        finally:
            stopped.set()

    monkeypatch.setattr(run, "execute", endless)
    async with _leased_delivery(tmp_path) as (db, leased):
        running = asyncio.create_task(
            run.run_delivery(JobContext(db, SETTINGS), leased.id, leased.lease)
        )
        await asyncio.sleep(0.2)  # started, renewed a few times
        async with db.uow() as session:  # its lease ran out and another runner took it
            await session.execute(
                update(Delivery).values(locked_until=utcnow() + timedelta(hours=1))
            )
        await asyncio.wait_for(running, 5)
        assert stopped.is_set() and await _status(db, leased.id, "running")
