"""Inbound messages per second through the HTTP API into durable storage, vs the bare endpoint.

Starts `autocrm serve` (one process) on SQLite, then on PostgreSQL when one is reachable, and
drives it with wrk (Debian package `wrk`) at concurrency 64: each request a new message.
Bare /healthz and ingest alternate in rounds; prints req/s, p50/p99 (medians of the rounds)
and the ratio ingest/bare.
Usage: python bench/ingest.py [--seconds 5] [--rounds 3] [--concurrency 64] [--pg postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers.ports import free_port, reachable, wait_for_port  # noqa: E402


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (its threads included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
            "asyncio",  # as `autocrm serve` runs (gateway/cli/serve.py says why)
            "--http",
            "httptools",
        ],
        env=env,
        cwd=ROOT,
    )
    wait_for_port("127.0.0.1", port, 60)
    return proc, f"http://127.0.0.1:{port}"


def api_key(env: dict[str, str], scopes: str = "tickets:write") -> str:
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
            scopes,
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]


WRK_SCRIPT = """
counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(key)s"
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function request()
  counter = counter + 1
  local body = string.format(
    '{"external_id":"%(run)s-%%d-%%d","customer":{"email":"c%%d@bench.example"},' ..
    '"body":"message %%d: my order has not arrived yet, can you check?"}',
    tid, counter, counter %% 500, counter)
  return wrk.format(nil, "/api/v1/inbound", nil, body)
end
"""


def wrk(url: str, seconds: int, concurrency: int, script: str | None = None) -> dict[str, float]:
    """Run wrk (C, so the load generator is not what we measure) and read its summary."""
    cmd = ["wrk", "-t2", f"-c{concurrency}", f"-d{seconds}s", "--latency", url]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        if script:
            lua.write(script)
            lua.flush()
            cmd[1:1] = ["-s", lua.name]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"errors under load:\n{out}")
    return {
        "requests": float(re.search(r"(\d+) requests in", out)[1]),
        "rate": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),
        "p50": _ms(re.search(r"^\s+50%\s+(\S+)\s*$", out, re.M)[1]),
        "p99": _ms(re.search(r"^\s+99%\s+(\S+)\s*$", out, re.M)[1]),
    }


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def measure(label: str, env: dict[str, str], seconds: int, concurrency: int, rounds: int) -> None:
    """Bare and ingest in alternating rounds, so a shared machine's load drifting during the
    run hits both alike; the ratio is the median of the rounds' ratios."""
    key = api_key(env)
    proc, url = start_server(env)
    bare, ingest = [], []
    try:
        wrk(url + "/healthz", 2, concurrency)  # warm-up
        # Ingest too: the first messages load the jobs' models (language detection, the
        # embedder) in this process, seconds of CPU that are no round's steady state.
        wrk(url, 2, concurrency, WRK_SCRIPT % {"key": key, "run": uuid.uuid4().hex[:8]})
        for _ in range(rounds):
            bare.append(wrk(url + "/healthz", seconds, concurrency))
            script = WRK_SCRIPT % {"key": key, "run": uuid.uuid4().hex[:8]}  # new ids each round
            cpu = cpu_seconds(proc.pid)
            ingest.append(wrk(url, seconds, concurrency, script))
            ingest[-1]["cpu"] = 1000 * (cpu_seconds(proc.pid) - cpu) / ingest[-1]["requests"]
    finally:
        proc.terminate()
        proc.wait(10)
    for name, runs in (("bare", bare), ("ingest", ingest)):
        r = {k: statistics.median(run[k] for run in runs) for k in ("rate", "p50", "p99")}
        each = " ".join(f"{run['rate']:.0f}" for run in runs)
        print(
            f"{label:10s} {name:7s} {r['rate']:8.0f} req/s  p50 {r['p50']:7.1f} ms  "
            f"p99 {r['p99']:7.1f} ms  (median of rounds: {each})"
        )
    cpu = statistics.median(run["cpu"] for run in ingest)
    # During the round only: jobs the messages started (in-process here) go on after it.
    print(f"{label:10s} gateway CPU {cpu:.2f} ms per ingest request, during the rounds")
    ratio = statistics.median(i["rate"] / b["rate"] for b, i in zip(bare, ingest, strict=True))
    print(f"{label:10s} ratio ingest/bare {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk not found: install it first (Debian: apt-get install wrk)")
    base = {**os.environ, "AUTOCRM_SECRET_KEY": "bench-secret-0123456789"}
    base.pop("DATABASE_URL", None)
    base.pop("REDIS_URL", None)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**base, "AUTOCRM_DATA_DIR": tmp}
        measure("sqlite", env, args.seconds, args.concurrency, args.rounds)
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
            measure("postgresql", env, args.seconds, args.concurrency, args.rounds)


if __name__ == "__main__":
    main()
