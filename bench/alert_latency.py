"""Benchmark: escalation -> the assignee's console alert. A customer's web chat message opens a
ticket that needs a human (the bot is off, or with --bot the bot escalates it because the
customer asks for a person); the assignment job gives it to the one online agent and her
/console socket receives the `alert`. Timed from just before the widget sends the message to
the alert's arrival, one escalation at a time, a new customer (so a new ticket) each. With
--bot the time includes the bot's turn (triage, retrieval, the decision); its escalate node
assigns in the same commit as the decision, so the alert goes out with the escalation itself.

Runs the real gateway (`uvicorn gateway.asgi:app`, SQLite in a temp dir, jobs in-process) as
its own process, as bench/chat.py does. Prints p50/p90/p99/max; asserts nothing.

    python -m bench.alert_latency [--escalations 200] [--bot]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import tempfile
import time
import uuid

import httpx
import socketio

from bench.ingest import api_key, start_server
from tests.integration.webchat_client import Customer, add_widget

PASSWORD = "correct horse battery"
AGENT = {
    "email": "ana@bench.example",
    "password": PASSWORD,
    "name": "Ana",
    "role": "agent",
    "capacity": 1000,
    "capacities": {"chat": 1000},  # every escalation is hers, none waits in a queue
}


async def heartbeats(sio: socketio.AsyncClient, every: float) -> None:
    """What the console script does to keep its agent present (gateway/presence.py)."""
    while True:
        await asyncio.sleep(every)
        await sio.call("heartbeat", {"active": True}, namespace="/console", timeout=10)


async def agent_console(url: str) -> tuple[socketio.AsyncClient, asyncio.Queue, asyncio.Task]:
    """The agent signed in as the browser does, her console socket collecting alerts and
    beating as the console does."""
    async with httpx.AsyncClient(base_url=url) as http:
        form = await http.get("/console/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)[1]
        data = {"email": AGENT["email"], "password": PASSWORD, "csrf_token": csrf}
        assert (await http.post("/console/login", data=data)).status_code == 303
        cookie = http.cookies["autocrm_session"]
    header = {"headers": {"Cookie": f"autocrm_session={cookie}"}}
    sio = socketio.AsyncClient(reconnection=False, websocket_extra_options=header)
    alerts: asyncio.Queue = asyncio.Queue()
    me: asyncio.Queue = asyncio.Queue()
    sio.on("alert", lambda a: alerts.put_nowait((time.perf_counter(), a)), namespace="/console")
    sio.on("presence_self", me.put_nowait, namespace="/console")
    await sio.connect(url, namespaces=["/console"], transports=["websocket"])
    present = await asyncio.wait_for(me.get(), 10)
    beat = asyncio.create_task(heartbeats(sio, present["heartbeat_every"]))
    return sio, alerts, beat


async def setup(url: str, admin: str, bot: bool) -> None:
    headers = {"Authorization": f"Bearer {admin}"}
    async with httpx.AsyncClient(base_url=url, headers=headers) as http:
        (await http.post("/api/v1/users", json=AGENT)).raise_for_status()
        bot_settings = {"enabled": bot}
        (await http.patch("/api/v1/agent/settings", json=bot_settings)).raise_for_status()
    await add_widget(url, admin, new_chats_per_address=100_000)  # one address, many chats


async def escalate_once(url: str, alerts: asyncio.Queue, text: str) -> tuple[float, str]:
    """(ms from send to the alert, the alert's kind) for one new customer's first message."""
    customer = Customer(url, rate_burst=10**6)
    await customer.connect()
    try:
        start = time.perf_counter()
        ack = await customer.send(str(uuid.uuid4()), text)
        ticket_id = ack.get("ticket_id")
        while True:
            at, alert = await asyncio.wait_for(alerts.get(), 30)
            if ticket_id is None or alert["ticket_id"] == ticket_id:
                return (at - start) * 1000, alert["kind"]
    finally:
        await customer.close()


def spread(ms: list[float]) -> str:
    return (
        f"p50 {pct(ms, 50):.1f} ms  p90 {pct(ms, 90):.1f} ms  p99 {pct(ms, 99):.1f} ms  "
        f"max {max(ms):.1f} ms  mean {statistics.fmean(ms):.1f} ms"
    )


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def main(args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "AUTOCRM_DATA_DIR": tmp, "AUTOCRM_SECRET_KEY": "bench-secret-0123456"}
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        admin = api_key(env, scopes="admin")
        proc, url = start_server(env)
        try:
            await setup(url, admin, args.bot)
            console, alerts, beat = await agent_console(url)
            text = "I want to talk to a human please" if args.bot else "My parcel has not arrived"
            for _ in range(args.warmup):
                await escalate_once(url, alerts, text)
            results = [await escalate_once(url, alerts, text) for _ in range(args.escalations)]
            beat.cancel()
            await console.disconnect()
        finally:
            proc.terminate()
            proc.wait(10)
    ms = [r[0] for r in results]
    kinds = {k: sum(1 for r in results if r[1] == k) for k in {r[1] for r in results}}
    path = "the bot escalates (retrieval mode)" if args.bot else "the bot is off (needs a human)"
    print(f"escalation -> assignee's console alert, {len(ms)} escalations, {path}")
    print(f"  alerts by kind: {kinds}")
    print(f"  message sent -> alert:     {spread(ms)}  (target p99 <= 1000 ms)")
    print(f"  load average while running: {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--escalations", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--bot", action="store_true", help="the bot on: it escalates each one")
    asyncio.run(main(parser.parse_args()))
