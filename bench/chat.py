"""Web chat benchmark: customer message -> /console subscriber round trip, and idle memory.

Runs the real gateway (`uvicorn gateway.asgi:app`, SQLite in a temp dir) as its own process, so
the clients here do not share its event loop, and the memory figure is that process's resident
growth per idle widget socket. Prints numbers; asserts nothing.

    python -m bench.chat --rate 200 --seconds 10 --idle 5000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import socketio

from bench.ingest import api_key, start_server
from tests.integration.webchat_client import WIDGET_KEY, Customer, add_widget, console_client


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def raise_fd_limit() -> None:
    """Thousands of sockets need thousands of descriptors (the server inherits this limit)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def round_trips(url: str, admin: str, rate: int, seconds: float) -> list[float]:
    console, received = await console_client(url, admin)
    sent_at: dict[str, float] = {}
    latencies: list[float] = []

    async def collect() -> None:
        while True:
            event = await received.get()
            if event["type"] == "message.received":
                start = sent_at.pop(event["payload"]["text"], None)
                if start is not None:
                    latencies.append((time.perf_counter() - start) * 1000)

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
        sent_at[text] = time.perf_counter()
        pending.append(asyncio.create_task(customers[i % 20].send(str(uuid.uuid4()), text)))
    await asyncio.gather(*pending)
    await asyncio.sleep(1.0)
    collector.cancel()
    for customer in customers:
        await customer.close()
    await console.disconnect()
    return latencies


async def idle_memory(url: str, pid: int, count: int) -> float:
    before = rss_kb(pid)
    clients = []
    for _ in range(count):
        sio = socketio.AsyncClient(reconnection=False)
        await sio.connect(
            url, namespaces=["/widget"], auth={"widget_key": WIDGET_KEY}, transports=["websocket"]
        )
        clients.append(sio)
    await asyncio.sleep(1.0)
    grown = rss_kb(pid) - before
    for sio in clients:
        await sio.disconnect()
    return grown / count


async def main(args) -> None:
    raise_fd_limit()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "AUTOCRM_DATA_DIR": tmp, "AUTOCRM_SECRET_KEY": "bench-secret-0123456"}
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        admin = api_key(env, scopes="admin")
        proc, url = start_server(env)
        try:
            await add_widget(url, admin, rate_burst=1_000_000, rate_per_minute=1_000_000)
            latencies = await round_trips(url, admin, args.rate, args.seconds)
            q = statistics.quantiles(latencies, n=100)
            sent = int(args.rate * args.seconds)
            print(
                f"round trip at {args.rate} msg/s: {len(latencies)} of {sent} arrived, "
                f"p50={q[49]:.1f} ms p99={q[98]:.1f} ms (goal p99 < 30 ms)"
            )
            if args.idle:
                per = await idle_memory(url, proc.pid, args.idle)
                print(f"idle widget sockets: {args.idle}, {per:.1f} KB each (goal < 50 KB)")
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--idle", type=int, default=5000)
    asyncio.run(main(parser.parse_args()))
