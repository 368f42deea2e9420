"""PostgreSQL for tests: a fresh database on the running server, or a throwaway cluster."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid

import pytest

from tests.servers.ports import free_port, reachable, wait_for_port


def _pg_bin(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if not found:
        pytest.fail(f"{name} not found: install PostgreSQL (apt-get install postgresql)")
    return found


def _as_postgres(cmd: list[str]) -> list[str]:
    # initdb refuses to run as root; run the cluster as the postgres system user then.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _throwaway_cluster() -> tuple[str, callable]:
    root = tempfile.mkdtemp(prefix="autocrm-pg-")
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    data, port = os.path.join(root, "data"), free_port()
    subprocess.run(
        _as_postgres([_pg_bin("initdb"), "-D", data, "-A", "trust", "-U", "postgres"]),
        check=True,
        capture_output=True,
    )
    subprocess.run(
        _as_postgres(
            [
                _pg_bin("pg_ctl"),
                "-D",
                data,
                "-l",
                os.path.join(root, "log"),
                "-w",
                "start",
                "-o",
                f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off",
            ]
        ),
        check=True,
        capture_output=True,
    )
    wait_for_port("127.0.0.1", port)

    def stop() -> None:
        subprocess.run(
            _as_postgres([_pg_bin("pg_ctl"), "-D", data, "-m", "fast", "stop"]), capture_output=True
        )
        shutil.rmtree(root, ignore_errors=True)

    return f"postgresql://postgres@127.0.0.1:{port}", stop


@pytest.fixture(scope="session")
def pg_server() -> str:
    """Base URL (no database) of a PostgreSQL server with trust auth for user postgres."""
    url = os.environ.get("AUTOCRM_TEST_PG")
    if url:
        yield url
        return
    if reachable("127.0.0.1", 5432):
        yield "postgresql://postgres@127.0.0.1:5432"
        return
    url, stop = _throwaway_cluster()
    yield url
    stop()


async def create_database_async(server_url: str) -> str:
    import asyncpg

    name = f"autocrm_test_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(server_url + "/postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{server_url}/{name}"
