"""The scaled topology as real processes on loopback: gateways (uvicorn), RQ workers, HAProxy
with deploy/haproxy.cfg, a restartable Redis and a throwaway PostgreSQL cluster.

Each can be killed (SIGKILL) and started again on the same port, so tests can crash or stop
one part mid-run. Logs go to files in the given directory (read them when a test fails).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from tests.servers.ports import free_port, reachable, wait_for_port
from tests.servers.postgres import _as_postgres, _pg_bin

ROOT = Path(__file__).resolve().parents[2]
HAPROXY_CFG = ROOT / "deploy" / "haproxy.cfg"
SECRET = "shared-test-secret-0123456789"
WORKER = """import logging, sys
logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(process)d %(name)s %(message)s")
from gateway.outbox.worker import run_worker
run_worker(sys.argv[1])"""


def app_env(database_url: str, redis_url: str | None, data_dir: Path, **extra: str) -> dict:
    """The environment every gateway and worker of one deployment shares."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "AUTOCRM_SECRET_KEY": SECRET,
        "AUTOCRM_DATA_DIR": str(data_dir),
        "AUTOCRM_DISPATCH_INTERVAL": "0.1",
        "AUTOCRM_JOB_BACKOFF_BASE": "0.2",
        **extra,
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


class Process:
    """One child process with its log file; `start()` again after `kill()` or `stop()`."""

    name = "process"

    def __init__(self, env: dict, log_dir: Path, label: str = "") -> None:
        self.env, self.log_dir = env, log_dir
        self.label = label or self.name
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> None:
        self.starts += 1
        log = open(self.log_dir / f"{self.label}.log", "a")  # noqa: SIM115 - the child owns it
        log.write(f"--- start {self.starts}\n")
        log.flush()
        self.proc = subprocess.Popen(
            self.command(), cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash or an OOM kill."""
        if self.alive:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, timeout: float = 15) -> None:
        if self.alive:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        path = self.log_dir / f"{self.label}.log"
        return path.read_text(errors="replace") if path.exists() else ""


class Gateway(Process):
    """`uvicorn gateway.asgi:app` on a fixed loopback port (kept across restarts)."""

    name = "gateway"

    def __init__(self, env: dict, log_dir: Path, label: str = "") -> None:
        super().__init__(env, log_dir, label)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.address = f"127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "uvicorn", "gateway.asgi:app", "--host", "127.0.0.1",
                "--port", str(self.port), "--log-level", "warning"]  # fmt: skip

    async def ready(self, timeout: float = 180) -> None:
        await wait_ready(self.url, timeout, self)


class Worker(Process):
    """`run_worker` (what `autocrm worker` runs) against the deployment's Redis."""

    name = "worker"

    def command(self) -> list[str]:
        return [sys.executable, "-c", WORKER, self.env["REDIS_URL"]]


class HAProxy(Process):
    """HAProxy running the repository's deploy/haproxy.cfg, the gateways' addresses from env."""

    name = "haproxy"

    def __init__(self, gateways: list[Gateway], log_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            "PATH": os.environ.get("PATH", ""),
            "AUTOCRM_LB_BIND": f"127.0.0.1:{self.port}",
            **{f"AUTOCRM_GW{i}": g.address for i, g in enumerate(gateways, 1)},
        }
        super().__init__(env, log_dir)

    def command(self) -> list[str]:
        return [haproxy_binary(), "-db", "-f", str(HAPROXY_CFG)]

    def start(self) -> None:
        super().start()
        wait_for_port("127.0.0.1", self.port, 10)


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or (
        "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None
    )
    if found is None:
        pytest.fail("haproxy not found: install it (apt-get install haproxy; .ci/run does)")
    return found


async def wait_ready(url: str, timeout: float, process: Process | None = None) -> None:
    """Until GET /readyz answers 200 (fails with the process's log if it died or timed out)."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=url, timeout=2) as http:
        while time.monotonic() < deadline:
            if process is not None and not process.alive:
                pytest.fail(f"{process.label} exited:\n{process.log()[-3000:]}")
            try:
                if (await http.get("/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    tail = process.log()[-3000:] if process else ""
    pytest.fail(f"{url} not ready within {timeout}s\n{tail}")


class RedisServer:
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
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


class PgCluster:
    """A throwaway PostgreSQL cluster (initdb in a temp dir) on its own port, never the shared
    server: tests stop and restart it under running gateways."""

    def __init__(self) -> None:
        self.root = tempfile.mkdtemp(prefix="autocrm-pgc-")
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        self.data, self.port = os.path.join(self.root, "data"), free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}"
        subprocess.run(
            _as_postgres([_pg_bin("initdb"), "-D", self.data, "-A", "trust", "-U", "postgres"]),
            check=True,
            capture_output=True,
        )

    def _ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        command = [_pg_bin("pg_ctl"), "-D", self.data, "-l", os.path.join(self.root, "log")]
        subprocess.run(_as_postgres([*command, "-w", *args, "-o", options]), check=True,
                       capture_output=True)  # fmt: skip

    def start(self) -> None:
        self._ctl("start")
        wait_for_port("127.0.0.1", self.port)

    def stop(self, mode: str = "fast") -> None:
        if reachable("127.0.0.1", self.port):
            self._ctl("stop", "-m", mode)

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


async def migrated_database(server_url: str) -> str:
    """A fresh database on `server_url`, migrated to head; its postgresql:// URL."""
    from store.db import Database
    from store.migrate import upgrade
    from tests.servers.postgres import create_database_async

    url = await create_database_async(server_url)
    db = Database(url.replace("postgresql://", "postgresql+asyncpg://"))
    await upgrade(db.engine)
    await db.dispose()
    return url


async def api_key(database_url: str, scopes: list[str], name: str = "test") -> str:
    from store.db import Database
    from store.staff import service as staff

    db = Database(database_url.replace("postgresql://", "postgresql+asyncpg://"))
    async with db.uow() as session:
        _, plain = await staff.create_api_key(session, name=name, scopes=scopes)
    await db.dispose()
    return plain


class Deployment:
    """Gateways and workers on one database and Redis, behind HAProxy: the compose topology."""

    def __init__(self, database_url: str, redis: RedisServer, tmp: Path, *, gateways: int = 2,
                 workers: int = 2, **env: str) -> None:  # fmt: skip
        self.database_url, self.redis, self.tmp = database_url, redis, tmp
        self.env = app_env(database_url, redis.url, tmp, **env)
        self.gateways = [Gateway(self.env, tmp, f"gateway{i}") for i in range(1, gateways + 1)]
        self.workers = [Worker(self.env, tmp, f"worker{i}") for i in range(1, workers + 1)]
        self.balancer = HAProxy(self.gateways, tmp)

    @property
    def url(self) -> str:
        return self.balancer.url

    async def start(self) -> None:
        from redis import Redis
        from rq import Worker as RqWorker

        for part in [*self.gateways, *self.workers]:
            part.start()
        for gateway in self.gateways:
            await gateway.ready()
        self.balancer.start()
        connection = Redis.from_url(self.redis.url)
        deadline = time.monotonic() + 120
        while len(RqWorker.all(connection=connection)) < len(self.workers):
            assert time.monotonic() < deadline, "the RQ workers did not register"
            await asyncio.sleep(0.1)
        deadline = time.monotonic() + 60
        while await self.replicas_seen() < len(self.gateways):
            assert time.monotonic() < deadline, "the balancer did not see every replica ready"
            await asyncio.sleep(0.2)

    async def replicas_seen(self) -> int:
        async with httpx.AsyncClient(base_url=self.url) as http:
            seen = set()
            for _ in range(2 * len(self.gateways)):
                with contextlib.suppress(httpx.HTTPError):
                    seen.add((await http.get("/readyz")).headers.get("x-autocrm-gateway"))
        return len(seen - {None})

    def stop(self) -> None:
        self.balancer.stop()
        for part in [*self.gateways, *self.workers]:
            part.stop()
