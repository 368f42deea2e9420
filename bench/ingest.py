"""Inbound messages per second through the HTTP API into durable storage, vs the bare endpoint.

Starts `autocrm serve` (one process) on SQLite, then on PostgreSQL when one is reachable, and
drives it at concurrency 64 from this process. Prints req/s, p50/p99 and the ratio to /healthz.
Usage: python bench/ingest.py [--requests 3000] [--concurrency 64] [--pg postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers.ports import free_port, reachable, wait_for_port  # noqa: E402


def start_server(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "gateway.asgi:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--loop",
            "uvloop",
            "--http",
            "httptools",
        ],
        env=env,
        cwd=ROOT,
    )
    wait_for_port("127.0.0.1", port, 60)
    return proc, f"http://127.0.0.1:{port}"


def api_key(env: dict[str, str]) -> str:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "gateway.cli",
            "apikey",
            "create",
            "--name",
            "bench",
            "--scopes",
            "tickets:write",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]


async def load(url: str, n: int, concurrency: int, make_request) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue = iter(range(n))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:

        async def worker():
            for i in queue:
                start = time.perf_counter()
                response = await make_request(client, i)
                latencies.append(time.perf_counter() - start)
                if response.status_code >= 300:
                    raise RuntimeError(f"{response.status_code}: {response.text[:200]}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started, latencies


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


async def measure(label: str, env: dict[str, str], n: int, concurrency: int) -> None:
    key = api_key(env)
    proc, url = start_server(env)
    run = uuid.uuid4().hex[:8]
    headers = {"Authorization": f"Bearer {key}"}

    async def inbound(client, i):
        return await client.post(
            "/api/v1/inbound",
            headers=headers,
            json={
                "external_id": f"{run}-{i}",
                "customer": {"email": f"c{i % 500}@bench.example"},
                "body": f"message {i}: my order has not arrived yet, can you check?",
            },
        )

    async def bare(client, i):
        return await client.get("/healthz")

    try:
        await load(url, 200, concurrency, bare)  # warm-up
        bare_s, bare_lat = await load(url, n, concurrency, bare)
        ing_s, ing_lat = await load(url, n, concurrency, inbound)
    finally:
        proc.terminate()
        proc.wait(10)
    bare_rate, ing_rate = n / bare_s, n / ing_s
    print(
        f"{label:10s} bare    {bare_rate:8.0f} req/s  p50 {pct(bare_lat, 0.5):6.1f} ms  "
        f"p99 {pct(bare_lat, 0.99):6.1f} ms"
    )
    print(
        f"{label:10s} ingest  {ing_rate:8.0f} msg/s  p50 {pct(ing_lat, 0.5):6.1f} ms  "
        f"p99 {pct(ing_lat, 0.99):6.1f} ms  ratio {ing_rate / bare_rate:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    base = {**os.environ, "AUTOCRM_SECRET_KEY": "bench-secret-0123456789"}
    base.pop("DATABASE_URL", None)
    base.pop("REDIS_URL", None)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**base, "AUTOCRM_DATA_DIR": tmp}
        asyncio.run(measure("sqlite", env, args.requests, args.concurrency))
    if reachable("127.0.0.1", 5432) or "5432" not in args.pg:
        import asyncpg

        name = f"autocrm_bench_{uuid.uuid4().hex[:8]}"

        async def create():
            conn = await asyncpg.connect(args.pg + "/postgres")
            await conn.execute(f'CREATE DATABASE "{name}"')
            await conn.close()

        asyncio.run(create())
        with tempfile.TemporaryDirectory() as tmp:
            env = {**base, "AUTOCRM_DATA_DIR": tmp, "DATABASE_URL": f"{args.pg}/{name}"}
            subprocess.run(
                [sys.executable, "-m", "gateway.cli", "db", "upgrade"],
                env=env,
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            asyncio.run(measure("postgresql", env, args.requests, args.concurrency))


if __name__ == "__main__":
    main()
