"""Web chat benchmark: customer message -> /console subscriber round trip, and idle memory.

Runs the real gateway (`uvicorn gateway.asgi:app`, SQLite in a temp dir) as its own process, so
the clients here do not share its event loop, and the memory figure is that process's resident
growth per idle widget socket. Prints numbers; asserts nothing.

By default the gateway runs embedded: every job an inbound message triggers (the agent's turn)
runs in the same process, competing with the sockets for the one event loop. `--redis` gives
the gateway a private redis-server instead, as a scaled deployment has: jobs are queued for
`autocrm worker` processes (none is started, so they wait) and socket.io emits go through Redis.

    python -m bench.chat --rate 200 --seconds 10 --idle 5000 [--redis] [--bot] [--profile DIR]

The gateway's CPU per message is counted from the first message sent (after a warm-up that
loads models and caches) until the gateway is idle again, so the jobs the messages started in
the process (triage and a suggested reply for every message, the bot's turn with `--bot`) are
in it; with `--redis` they wait in Redis for workers and are not.

`--profile DIR` records the gateway with py-spy while the messages go (`pip install py-spy`),
as a speedscope flame graph (open it at speedscope.app, or `py-spy` / pyinstrument viewers)
in DIR; the CPU figure then includes py-spy's small sampling cost in the gateway.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
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


class Load:
    """20 customers and a console subscriber; `run` sends `rate` messages a second."""

    def __init__(self, url: str, admin: str) -> None:
        self.url, self.admin = url, admin
        self.sent_at: dict[str, float] = {}
        self.latencies: list[float] = []  # console round trips, ms
        self.acks: list[float] = []  # acknowledgements, ms

    async def __aenter__(self) -> Load:
        self.console, received = await console_client(self.url, self.admin)
        self.collector = asyncio.create_task(self._collect(received))
        self.customers = [Customer(self.url, rate_burst=10**6) for _ in range(20)]
        for customer in self.customers:
            await customer.connect()
        return self

    async def __aexit__(self, *exc) -> None:
        self.collector.cancel()
        for customer in self.customers:
            await customer.close()
        await self.console.disconnect()

    async def _collect(self, received: asyncio.Queue) -> None:
        while True:
            event = await received.get()
            if event["type"] == "message.received":
                start = self.sent_at.pop(event["payload"]["text"], None)
                if start is not None:
                    self.latencies.append((time.perf_counter() - start) * 1000)

    async def _send(self, customer: Customer, text: str) -> None:
        start = self.sent_at[text] = time.perf_counter()
        try:
            await customer.send(str(uuid.uuid4()), text)
        except socketio.exceptions.TimeoutError:
            return  # a loaded machine: counted as not acknowledged, keep going
        self.acks.append((time.perf_counter() - start) * 1000)

    async def run(self, rate: int, seconds: float) -> None:
        self.latencies.clear()
        self.acks.clear()
        pending = []
        began = time.perf_counter()
        for i in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, began + i / rate - time.perf_counter()))
            text = f"bench {i} {uuid.uuid4().hex[:6]}: my order has not arrived yet"
            pending.append(asyncio.create_task(self._send(self.customers[i % 20], text)))
        await asyncio.gather(*pending)
        await asyncio.sleep(1.0)  # the last round trips


async def settle(pid: int, limit: float = 120.0) -> None:
    """Wait until the gateway is idle again: jobs the messages started (in-process) are done.
    Idle = under 20 ms of CPU in a second; the jobs' CPU belongs to the messages."""
    began = time.monotonic()
    last = cpu_seconds(pid)
    while time.monotonic() - began < limit:
        await asyncio.sleep(1.0)
        now = cpu_seconds(pid)
        if now - last < 0.02:
            return
        last = now


async def set_bot(url: str, admin: str, enabled: bool) -> None:
    async with httpx.AsyncClient(base_url=url) as http:
        response = await http.patch(
            "/api/v1/agent/settings",
            json={"enabled": enabled},
            headers={"Authorization": f"Bearer {admin}"},
        )
    response.raise_for_status()


def quantiles(values: list[float]) -> str:
    if len(values) < 2:
        return "too few to tell"
    q = statistics.quantiles(values, n=100)
    return f"p50={q[49]:.1f} ms p99={q[98]:.1f} ms"


def start_profile(pid: int, out_dir: str, mode: str) -> subprocess.Popen:
    """py-spy sampling the gateway (its Python stacks, idle frames left out) until stopped."""
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    out = Path(out_dir) / f"chat-{mode}-{time.strftime('%Y%m%dT%H%M%S')}.speedscope.json"
    beside = Path(sys.executable).parent / "py-spy"  # installed in the same environment
    spy = str(beside) if beside.exists() else shutil.which("py-spy") or "py-spy"
    command = [spy, "record", "-p", str(pid), "-o", str(out)]
    command += ["--format", "speedscope", "--rate", "200", "--nonblocking"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


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
            await set_bot(url, admin, args.bot)
            bot = "bot on" if args.bot else "bot off"
            mode = ("jobs queued in Redis" if redis else "jobs in-process") + ", " + bot
            async with Load(url, admin) as load:
                # Warm-up, not counted: models and caches load on first use.
                print(f"gateway pid {proc.pid}: warming up", flush=True)
                await load.run(args.rate, args.warmup)
                await settle(proc.pid)
                print("sending", flush=True)
                spy = None
                if args.profile:
                    spy = start_profile(proc.pid, args.profile, re.sub(r"\W+", "-", mode))
                cpu, own, began = cpu_seconds(proc.pid), cpu_seconds(os.getpid()), time.monotonic()
                await load.run(args.rate, args.seconds)
                elapsed = time.monotonic() - began
                await settle(proc.pid)  # work the messages left queued is theirs
                cpu, own = cpu_seconds(proc.pid) - cpu, cpu_seconds(os.getpid()) - own
                if spy:
                    spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
                    spy.wait(60)
            latencies, acks, sent = load.latencies, load.acks, int(args.rate * args.seconds)
            print(
                f"round trip at {args.rate} msg/s ({mode}): {len(latencies)} of {sent} arrived, "
                f"{len(acks)} acknowledged; {quantiles(latencies)} (goal p99 < 30 ms); "
                f"ack {quantiles(acks)}; gateway CPU {1000 * cpu / sent:.2f} ms per message "
                "(goal <= 1.5 ms, bot off), its jobs' work included"
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
    parser.add_argument("--warmup", type=float, default=2, help="seconds sent first, uncounted")
    parser.add_argument("--bot", action="store_true", help="the bot answers (retrieval mode)")
    parser.add_argument("--profile", metavar="DIR", help="py-spy flame graph of the gateway")
    asyncio.run(main(parser.parse_args()))
