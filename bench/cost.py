"""What one inbound message costs, by channel: CPU ms, SQL statements, Redis commands.

The scaled topology on one machine: a private redis-server, one gateway process and, after the
messages went in, one `autocrm worker --burst` that runs the jobs they started (triage and a
suggested reply, assignment; the bot's turn with --bot). Both processes run through this file
(`--serve`, `--work`), which counts every statement SQLAlchemy sends (and each commit) before
handing over to uvicorn or the RQ worker; Redis commands are the server's own `INFO
commandstats`; CPU is each process's user + system time. A warm-up (models, caches, the
contacts' first tickets) is sent first and not counted. Prints one line per channel and side.

    python -m bench.cost [--messages 200] [--channels api,webchat] [--bot] [--pg postgresql://...]

Numbers from a loaded machine are inflated (CPU time grows when cores are shared): say the load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import redis

from bench.chat import cpu_seconds, set_bot, settle, start_redis
from bench.ingest import ROOT, api_key
from tests.integration.webchat_client import Customer, add_widget
from tests.servers.ports import free_port, wait_for_port

COUNTS = "COST_COUNTS"  # env: where the counted process writes its counts


# --- inside the counted processes -------------------------------------------------------------


def _install_counters() -> dict[str, float]:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    counts = {"statements": 0, "commits": 0}

    def statement(*_args) -> None:
        counts["statements"] += 1

    def commit(*_args) -> None:
        counts["commits"] += 1

    event.listen(Engine, "before_cursor_execute", statement)
    event.listen(Engine, "commit", commit)
    return counts


def _dump(counts: dict) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    data = {**counts, "cpu": usage.ru_utime + usage.ru_stime}
    Path(os.environ[COUNTS]).write_text(json.dumps(data))


def serve(port: int) -> None:
    import uvicorn

    counts = _install_counters()
    signal.signal(signal.SIGUSR1, lambda *_: _dump(counts))
    uvicorn.run(
        "gateway.asgi:app", port=port, log_level="warning", access_log=False, loop="asyncio",
        http="httptools",
    )  # fmt: skip


def work() -> None:
    from gateway.outbox.worker import run_worker

    counts = _install_counters()
    run_worker(os.environ["REDIS_URL"], burst=True)
    _dump(counts)


# --- the driver -------------------------------------------------------------------------------


class Gateway:
    def __init__(self, env: dict[str, str], counts: Path) -> None:
        self.env, self.counts, self.port = {**env, COUNTS: str(counts)}, counts, free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.cost", "--serve", str(self.port)], env=self.env, cwd=ROOT
        )
        wait_for_port("127.0.0.1", self.port, 90)
        self.url = f"http://127.0.0.1:{self.port}"

    async def snapshot(self) -> dict:
        self.counts.unlink(missing_ok=True)
        self.proc.send_signal(signal.SIGUSR1)
        for _ in range(200):
            await asyncio.sleep(0.05)
            if self.counts.exists() and self.counts.stat().st_size:
                data = json.loads(self.counts.read_text())
                data["cpu"] = cpu_seconds(self.proc.pid)  # its threads' too
                return data
        raise RuntimeError("the gateway wrote no counts")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def run_worker(env: dict[str, str], counts: Path) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cmd = [sys.executable, "-m", "bench.cost", "--work"]
    subprocess.run(cmd, env={**env, COUNTS: str(counts)}, cwd=ROOT, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    data = json.loads(counts.read_text())
    data["cpu"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return data


def redis_calls(client: redis.Redis) -> int:
    stats = client.info("commandstats")
    return sum(v["calls"] for k, v in stats.items() if k != "cmdstat_info")


async def send_api(url: str, key: str, count: int, run: str) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:

        async def one(i: int) -> None:
            body = {
                "external_id": f"{run}-{i}",
                "customer": {"email": f"c{i % 50}@bench.example"},
                "body": f"message {i}: my order has not arrived yet, can you check?",
            }
            (await http.post("/api/v1/inbound", json=body)).raise_for_status()

        for start in range(0, count, 8):
            await asyncio.gather(*(one(i) for i in range(start, min(count, start + 8))))


async def send_webchat(url: str, count: int, customers: list[Customer]) -> None:
    async def talk(customer: Customer, n: int) -> None:
        for i in range(n):
            text = f"message {i} {uuid.uuid4().hex[:6]}: my order has not arrived yet"
            await customer.send(str(uuid.uuid4()), text)

    per = count // len(customers)
    await asyncio.gather(*(talk(c, per) for c in customers))


async def measure(channel: str, base: dict[str, str], args) -> None:
    redis_proc, redis_url = start_redis()
    client = redis.Redis.from_url(redis_url)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**base, "AUTOCRM_DATA_DIR": tmp, "REDIS_URL": redis_url}
        if args.pg:
            env["DATABASE_URL"] = await fresh_pg(args.pg)
            subprocess.run(
                [sys.executable, "-m", "gateway.cli", "db", "upgrade"],
                env=env, cwd=ROOT, check=True, capture_output=True,
            )  # fmt: skip
        admin = api_key(env, scopes="admin")
        gateway = Gateway(env, Path(tmp) / "gateway-counts.json")
        customers: list[Customer] = []
        try:
            await set_bot(gateway.url, admin, args.bot)
            if channel == "webchat":
                limits = {"rate_burst": 10**6, "rate_per_minute": 10**6}
                await add_widget(gateway.url, admin, new_chats_per_address=10**6, **limits)
                customers = [Customer(gateway.url, rate_burst=10**6) for _ in range(10)]
                for customer in customers:
                    await customer.connect()

            async def send(count: int) -> None:
                if channel == "api":
                    await send_api(gateway.url, admin, count, uuid.uuid4().hex[:8])
                else:
                    await send_webchat(gateway.url, count, customers)

            await send(20)  # warm-up: models, caches, each contact's ticket
            await settle(gateway.proc.pid)
            # In a thread: the sockets must keep answering pings meanwhile.
            await asyncio.to_thread(run_worker, env, Path(tmp) / "worker-counts.json")
            g0, r0 = await gateway.snapshot(), redis_calls(client)
            await send(args.messages)
            await asyncio.sleep(1.0)  # the dispatcher's last pass
            await settle(gateway.proc.pid)
            g1, r1 = await gateway.snapshot(), redis_calls(client)
            w = await asyncio.to_thread(run_worker, env, Path(tmp) / "worker-counts.json")
            r2 = redis_calls(client)
        finally:
            for customer in customers:
                await customer.close()
            gateway.stop()
            redis_proc.terminate()
            redis_proc.wait(10)
    n = args.messages
    engine = "postgresql" if args.pg else "sqlite"
    bot = "bot on" if args.bot else "bot off"
    for side, cpu, stmts, commits, calls in (
        ("gateway", g1["cpu"] - g0["cpu"], g1["statements"] - g0["statements"],
         g1["commits"] - g0["commits"], r1 - r0),
        ("worker", w["cpu"], w["statements"], w["commits"], r2 - r1),
    ):  # fmt: skip
        print(
            f"{channel:8s} {engine:10s} {bot:7s} {side:8s} CPU {1000 * cpu / n:6.2f} ms  "
            f"SQL {stmts / n:5.1f} statements ({commits / n:4.2f} commits)  "
            f"Redis {calls / n:5.1f} commands  per message (n={n})",
            flush=True,
        )


async def fresh_pg(server: str) -> str:
    import asyncpg

    name = f"autocrm_cost_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(server + "/postgres")
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return f"{server}/{name}"


async def main(args) -> None:
    base = {**os.environ, "AUTOCRM_SECRET_KEY": "bench-secret-0123456789"}
    base.pop("DATABASE_URL", None)
    base.pop("REDIS_URL", None)
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    began = time.monotonic()
    for channel in args.channels.split(","):
        await measure(channel, base, args)
    print(f"({time.monotonic() - began:.0f} s)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(int(sys.argv[2]))
    elif sys.argv[1:2] == ["--work"]:
        work()
    else:
        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        parser.add_argument("--messages", type=int, default=200)
        parser.add_argument("--channels", default="api,webchat")
        parser.add_argument("--bot", action="store_true")
        parser.add_argument("--pg", help="PostgreSQL server URL (no database name)")
        asyncio.run(main(parser.parse_args()))
