"""Web chat benchmark: customer message -> /console subscriber round trip, and idle memory.

Runs the real gateway (`uvicorn gateway.asgi:app`, SQLite in a temp dir) as its own process, so
the clients here do not share its event loop, and the memory figure is that process's resident
growth per idle widget socket. Prints numbers; asserts nothing.

By default the gateway runs embedded: every job an inbound message triggers (the agent's turn)
runs in the same process, competing with the sockets for the one event loop. `--redis` gives
the gateway a private redis-server instead, as a scaled deployment has: jobs are queued for
`autocrm worker` processes (none is started, so they wait) and socket.io emits go through Redis.

    python -m bench.chat --rate 200 --seconds 10 --idle 5000 [--redis]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import socketio

from bench.ingest import api_key, start_server
from tests.integration.webchat_client import WIDGET_KEY, Customer, add_widget, console_client
from tests.servers.ports import free_port, wait_for_port


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def raise_fd_limit() -> None:
    """Thousands of sockets need thousands of descriptors (the server inherits this limit)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def round_trips(url: str, admin: str, rate: int, seconds: float) -> tuple[list, list]:
    """(console round trips, acks) in ms for `rate` messages a second from 20 customers."""
    console, received = await console_client(url, admin)
    sent_at: dict[str, float] = {}
    latencies: list[float] = []
    acks: list[float] = []

    async def collect() -> None:
        while True:
            event = await received.get()
            if event["type"] == "message.received":
                start = sent_at.pop(event["payload"]["text"], None)
                if start is not None:
                    latencies.append((time.perf_counter() - start) * 1000)

    async def send(customer: Customer, text: str) -> None:
        start = sent_at[text] = time.perf_counter()
        await customer.send(str(uuid.uuid4()), text)
        acks.append((time.perf_counter() - start) * 1000)

    collector = asyncio.create_task(collect())
    customers = [Customer(url, rate_burst=10**6) for _ in range(20)]
    for customer in customers:
        await customer.connect()
    total = int(rate * seconds)
    pending = []
    began = time.perf_counter()
    for i in range(total):
        await asyncio.sleep(max(0.0, began + i / rate - time.perf_counter()))
        text = f"bench {i} {uuid.uuid4().hex[:6]}"
        pending.append(asyncio.create_task(send(customers[i % 20], text)))
    await asyncio.gather(*pending)
    await asyncio.sleep(1.0)
    collector.cancel()
    for customer in customers:
        await customer.close()
    await console.disconnect()
    return latencies, acks


def quantiles(values: list[float]) -> str:
    if len(values) < 2:
        return "too few to tell"
    q = statistics.quantiles(values, n=100)
    return f"p50={q[49]:.1f} ms p99={q[98]:.1f} ms"


def start_redis() -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [shutil.which("redis-server") or "redis-server", "--port", str(port)]
    command += ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    wait_for_port("127.0.0.1", port)
    return proc, f"redis://127.0.0.1:{port}/0"


async def idle_memory(url: str, pid: int, count: int) -> tuple[float, int]:
    """(RSS growth in KB per open idle socket, sockets refused or timed out)."""
    before = rss_kb(pid)
    clients, failed = [], 0
    for _ in range(count):
        sio = socketio.AsyncClient(reconnection=False)
        try:
            await sio.connect(
                url,
                namespaces=["/widget"],
                auth={"widget_key": WIDGET_KEY},
                transports=["websocket"],
                wait_timeout=30,
            )
        except socketio.exceptions.ConnectionError:
            failed += 1  # a loaded machine: count it, keep going
            continue
        clients.append(sio)
    await asyncio.sleep(1.0)
    grown = rss_kb(pid) - before
    for sio in clients:
        await sio.disconnect()
    return grown / max(1, len(clients)), failed


async def main(args) -> None:
    raise_fd_limit()
    redis = start_redis() if args.redis else None
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "AUTOCRM_DATA_DIR": tmp, "AUTOCRM_SECRET_KEY": "bench-secret-0123456"}
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        if redis:
            env["REDIS_URL"] = redis[1]
        admin = api_key(env, scopes="admin")
        proc, url = start_server(env)
        try:
            await add_widget(
                url,
                admin,
                rate_burst=1_000_000,
                rate_per_minute=1_000_000,
                new_chats_per_address=1_000_000,  # every bench socket is a new chat from here
            )
            print(f"gateway pid {proc.pid}: sending", flush=True)
            cpu, own, began = cpu_seconds(proc.pid), cpu_seconds(os.getpid()), time.monotonic()
            latencies, acks = await round_trips(url, admin, args.rate, args.seconds)
            sent = int(args.rate * args.seconds)
            cpu, own = cpu_seconds(proc.pid) - cpu, cpu_seconds(os.getpid()) - own
            elapsed = time.monotonic() - began
            mode = "jobs queued in Redis" if redis else "jobs in-process"
            print(
                f"round trip at {args.rate} msg/s ({mode}): {len(latencies)} of {sent} arrived, "
                f"{quantiles(latencies)} (goal p99 < 30 ms); ack {quantiles(acks)}; "
                f"gateway CPU {1000 * cpu / sent:.2f} ms per message"
            )
            # The clients share the machine: when they use a whole core, they are the limit.
            print(
                f"CPU busy over {elapsed:.1f} s: gateway {cpu / elapsed:.0%}, "
                f"clients {own / elapsed:.0%}"
            )
            if args.idle:
                per, failed = await idle_memory(url, proc.pid, args.idle)
                print(
                    f"idle widget sockets: {args.idle - failed} open ({failed} failed), "
                    f"{per:.1f} KB each (goal < 50 KB)"
                )
        finally:
            proc.terminate()
            proc.wait(30)
            if redis:
                redis[0].terminate()
                redis[0].wait(10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--idle", type=int, default=5000)
    parser.add_argument("--redis", action="store_true", help="jobs and emits through Redis")
    asyncio.run(main(parser.parse_args()))
