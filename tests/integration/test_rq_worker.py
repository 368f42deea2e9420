"""The scaled job path: PostgreSQL + Redis, deliveries enqueued to RQ, run by `autocrm worker`."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import httpx
from redis import Redis
from redis.exceptions import RedisError
from rq import Worker

from tests.gateway_fixtures import make_key, make_settings, running_app
from tests.servers.ports import free_port
from tests.servers.postgres import create_database_async


async def test_reply_is_sent_by_a_real_rq_worker(tmp_path, pg_server, redis_url):
    Redis.from_url(redis_url).flushdb()
    url = await create_database_async(pg_server)
    subprocess.run(
        [sys.executable, "-m", "gateway.cli", "db", "upgrade"],
        check=True,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
    )
    settings = make_settings(tmp_path, url, redis_url=redis_url)
    async with running_app(settings) as app:
        headers = {
            "Authorization": f"Bearer {await make_key(app, ['tickets:write', 'tickets:read'])}"
        }
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            t = (
                await client.post(
                    "/api/v1/inbound",
                    headers=headers,
                    json={
                        "external_id": "rq-1",
                        "customer": {"email": "q@example.com"},
                        "body": "hello",
                    },
                )
            ).json()
            r = await client.post(
                f"/api/v1/tickets/{t['ticket_id']}/messages",
                json={"body": "answer"},
                headers=headers,
            )
            message_id = r.json()["id"]
            queue_len = 0
            for _ in range(100):  # the dispatcher enqueues into Redis; wait (bounded) for it
                queue_len = Redis.from_url(redis_url).llen("rq:queue:autocrm")
                if queue_len:
                    break
                await asyncio.sleep(0.05)
            assert queue_len >= 1
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "REDIS_URL": redis_url,
                "AUTOCRM_DATA_DIR": str(tmp_path),
                "AUTOCRM_SECRET_KEY": "x" * 32,
            }
            worker = await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-m", "gateway.cli", "worker", "--burst"],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert worker.returncode == 0, worker.stderr[-2000:]
            messages = (
                await client.get(f"/api/v1/tickets/{t['ticket_id']}/messages", headers=headers)
            ).json()
            sent = next(m for m in messages if m["id"] == message_id)
            assert sent["delivery_status"] == "sent"


def test_a_worker_started_before_redis_waits_for_it(tmp_path):
    """Redis not up yet (or down) when `autocrm worker` starts: it waits, then takes jobs."""
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    env = {**os.environ, "REDIS_URL": url, "AUTOCRM_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    log = tmp_path / "worker.log"
    with open(log, "w") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "worker"], env=env, stderr=out, stdout=out
        )
    redis = None
    try:
        _until(lambda: "lost Redis" in log.read_text() or worker.poll() is not None, 20)
        assert worker.poll() is None, log.read_text()[-2000:]
        redis = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
            stdout=subprocess.DEVNULL,
        )
        connection = Redis.from_url(url)
        _until(lambda: _workers(connection) == 1, 10)  # registered: it is taking jobs
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(10) == 0, log.read_text()[-2000:]
    finally:
        for proc in (worker, redis):
            if proc is not None and proc.poll() is None:
                proc.kill()


def _workers(connection) -> int:
    try:
        return len(Worker.all(connection=connection))
    except RedisError:
        return 0  # not listening yet


def _until(check, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not within {timeout} s"
        time.sleep(0.05)
