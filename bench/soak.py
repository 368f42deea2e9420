"""Soak: steady mixed load on the scaled topology for N minutes; memory, p99 drift and errors.

Starts what docker-compose.yml runs, as processes on loopback: HAProxy (deploy/haproxy.cfg) in
front of two gateways, two RQ workers, Redis and a throwaway PostgreSQL cluster (initdb in a
temp dir). The bot is on, so each new SMS conversation gets one bot SMS (the Twilio REST double
counts them). Load, at --rate messages a second in all: signed Twilio SMS webhooks, inbound API
messages (an email integration's), widget messages on --widgets open sockets, and a ticket list
read per message. Every --window seconds it prints the window's requests, errors, p50/p99 of
the acknowledgements and the resident memory of the gateways and workers; at the end, memory
growth from the first window to the last, p99 drift, errors, and how long the outbox took to
drain. Prints numbers; asserts nothing.

    python -m bench.soak --minutes 10 --rate 10
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import func, or_, select
from twilio.request_validator import RequestValidator

from store.db import Database, utcnow
from store.outbox.models import Delivery
from tests.doubles.twilio_api import start as start_twilio
from tests.integration.lb_clients import Widget
from tests.integration.twilio_hooks import PUBLIC, account_config, sms
from tests.integration.webchat_client import add_widget
from tests.servers.processes import Deployment, PgCluster, RedisServer, api_key, migrated_database


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Window:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors = 0

    def p(self, q: int) -> float:
        """The q-th percentile in milliseconds."""
        if len(self.latencies) < 2:
            return self.latencies[0] * 1000 if self.latencies else float("nan")
        return statistics.quantiles(self.latencies, n=100)[q - 1] * 1000


class Load:
    def __init__(self, http: httpx.AsyncClient, twilio, headers: dict, widgets: list) -> None:
        self.http, self.twilio, self.headers, self.widgets = http, twilio, headers, widgets
        self.window = Window()
        self.signer = RequestValidator(twilio.auth_token)
        self.ids = itertools.count(1)
        self.rng = random.Random(7)

    async def timed(self, call) -> None:
        began = time.monotonic()
        try:
            ok = await call()
        except Exception:
            ok = False
        if ok:
            self.window.latencies.append(time.monotonic() - began)
        else:
            self.window.errors += 1

    async def one(self) -> None:
        n = next(self.ids)
        kind = n % 3
        if kind == 0:
            await self.timed(lambda: self.sms(n))
        elif kind == 1:
            await self.timed(lambda: self.inbound(n))
        else:
            await self.timed(lambda: self.widget(n))
        await self.timed(self.read)

    async def sms(self, n: int) -> bool:
        phone = f"+1415{self.rng.randrange(10_000_000):07d}"  # mostly new conversations
        params = sms(f"SM{n:032d}", f"soak sms {n}: where is my parcel?", sender=phone)
        signature = self.signer.compute_signature(PUBLIC + "/channels/twilio/sms", params)
        r = await self.http.post("/channels/twilio/sms", data=params,
                                 headers={"X-Twilio-Signature": signature})  # fmt: skip
        return r.status_code == 200

    async def inbound(self, n: int) -> bool:
        body = {"external_id": f"soak-{n}", "customer": {"email": f"c{n % 500}@example.com"},
                "subject": "Invoice", "body": f"soak mail {n}: invoice question"}  # fmt: skip
        r = await self.http.post("/api/v1/inbound", json=body, headers=self.headers)
        return r.status_code in (200, 201)

    async def widget(self, n: int) -> bool:
        widget = self.widgets[n % len(self.widgets)]
        answer = await widget.send(f"soak-{n}", f"soak chat {n}: hello")
        return bool(answer.get("ok"))

    async def read(self) -> bool:
        r = await self.http.get("/api/v1/tickets", headers=self.headers)
        return r.status_code == 200


async def backlog(db: Database) -> int:
    async with db.read() as session:
        return await session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(
                or_(Delivery.status == "pending", Delivery.status == "running"),
                Delivery.next_attempt_at <= utcnow(),
            )
        )


async def soak(args) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="autocrm-soak-"))
    cluster, redis = PgCluster(), RedisServer()
    cluster.start()
    redis.start()
    twilio_server, twilio = start_twilio()
    url = await migrated_database(cluster.url)
    deployment = Deployment(url, redis, tmp)
    db = Database(url.replace("postgresql://", "postgresql+asyncpg://"))
    widgets: list[Widget] = []
    try:
        await deployment.start()
        admin = await api_key(url, ["admin"], "admin")
        headers = {"Authorization": f"Bearer {admin}"}
        limits = httpx.Limits(max_connections=32)
        async with httpx.AsyncClient(base_url=deployment.url, timeout=30, limits=limits) as http:
            body = {"channel": "twilio_sms", "name": "Line", "config": account_config(twilio)}
            (await http.post("/api/v1/channels", json=body, headers=headers)).raise_for_status()
            bot = await http.patch("/api/v1/agent/settings", json={"enabled": True},
                                   headers=headers)  # fmt: skip
            bot.raise_for_status()
            await add_widget(deployment.url, admin, new_chats_per_address=100_000)
            for n in range(args.widgets):
                widget = Widget(deployment.url, pin=f"gw{n % 2 + 1}")
                await widget.connect()
                widgets.append(widget)
            await run_load(args, Load(http, twilio, headers, widgets), deployment, db)
    finally:
        for widget in widgets:
            await widget.sio.disconnect()
        await db.dispose()
        deployment.stop()
        redis.stop()
        cluster.remove()
        twilio_server.shutdown()
    print(f"bot SMS sent: {len(twilio.messages)} (logs in {tmp})")


async def run_load(args, load: Load, deployment: Deployment, db: Database) -> None:
    processes = [*deployment.gateways, *deployment.workers]
    print(f"{args.minutes} min at {args.rate} msg/s (+1 read each), windows of {args.window} s")
    print("window  requests  errors  p50 ms  p99 ms  gateways MB  workers MB  backlog")
    rows, tasks = [], set()
    began = time.monotonic()
    end = began + args.minutes * 60
    next_window, tick = began + args.window, 1 / args.rate
    at = began
    while at < end:
        at += tick
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        task = asyncio.create_task(load.one())
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        if time.monotonic() >= next_window:
            next_window += args.window
            rows.append(report(len(rows) + 1, load, processes, await backlog(db)))
            load.window = Window()
    await asyncio.gather(*tasks)
    drain_began = time.monotonic()
    while await backlog(db) and time.monotonic() - drain_began < 300:
        await asyncio.sleep(0.5)
    summarise(rows, time.monotonic() - drain_began)


def report(n: int, load: Load, processes, backlog_now: int) -> dict:
    w = load.window
    gw = sum(rss_mb(p.proc.pid) for p in processes if p.name == "gateway" and p.alive)
    wk = sum(rss_mb(p.proc.pid) for p in processes if p.name == "worker" and p.alive)
    row = {"requests": len(w.latencies) + w.errors, "errors": w.errors, "p50": w.p(50),
           "p99": w.p(99), "gw": gw, "wk": wk, "backlog": backlog_now}  # fmt: skip
    print(f"{n:6d}  {row['requests']:8d}  {row['errors']:6d}  {row['p50']:6.1f}  "
          f"{row['p99']:6.1f}  {gw:11.0f}  {wk:10.0f}  {backlog_now:7d}", flush=True)  # fmt: skip
    return row


def summarise(rows: list[dict], drained: float) -> None:
    if len(rows) < 2:
        print("too short for a trend")
        return
    first, last = rows[0], rows[-1]
    grow = lambda k: (last[k] - first[k]) / first[k] * 100 if first[k] else 0.0  # noqa: E731
    print(
        f"\nrequests {sum(r['requests'] for r in rows)}, errors {sum(r['errors'] for r in rows)};"
        f" gateways RSS {first['gw']:.0f} -> {last['gw']:.0f} MB ({grow('gw'):+.1f} %),"
        f" workers RSS {first['wk']:.0f} -> {last['wk']:.0f} MB ({grow('wk'):+.1f} %);"
        f" p99 first/last window {first['p99']:.0f}/{last['p99']:.0f} ms,"
        f" max {max(r['p99'] for r in rows):.0f} ms; outbox drained {drained:.1f} s after the load"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=10, help="messages a second, in all")
    parser.add_argument("--widgets", type=int, default=20, help="open widget sockets")
    parser.add_argument("--window", type=float, default=30, help="seconds per report line")
    asyncio.run(soak(parser.parse_args()))


if __name__ == "__main__":
    main()
