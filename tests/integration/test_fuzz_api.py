"""Fuzzing the HTTP API with schemathesis from the app's own /openapi.json, with an admin key.

A gateway process on SQLite answers; every operation gets a few generated requests (valid and
invalid), checked for: no server error, status codes and content types the document declares,
responses that match their declared schemas. Operations that would revoke the fuzzer's own
credentials are left out (deleting API keys, users, sessions).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gateway.app import create_app
from gateway.settings import Settings
from tests.servers.processes import ROOT, SECRET, Gateway, app_env

pytestmark = pytest.mark.slow
EXAMPLES = 8  # per operation (130 operations, ~1,100 requests): a short run on two cores
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# The fuzzer's own key and session must survive its run.
SELF_REVOKING = r"^/api/v1/(api-?keys|users)/\{[^}]+\}(/sessions)?$"


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fuzz")
    env = app_env(f"sqlite:///{tmp / 'fuzz.db'}", None, tmp)
    gateway = Gateway(env, tmp, "gateway")
    gateway.start()
    try:
        _wait_ready(gateway)
        command = [sys.executable, "-m", "gateway.cli", "apikey", "create", "--name", "fuzz",
                   "--scopes", "admin"]  # fmt: skip
        made = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        assert made.returncode == 0, made.stderr
        key = made.stdout.strip().splitlines()[-1]
        yield SimpleNamespace(url=gateway.url, headers={"Authorization": f"Bearer {key}"})
    finally:
        gateway.stop()


def _wait_ready(gateway: Gateway, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert gateway.alive, gateway.log()[-3000:]
        try:
            if httpx.get(gateway.url + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the gateway was not ready within {timeout}s:\n{gateway.log()[-3000:]}")


def _document() -> dict:
    """The OpenAPI document the gateway serves at /openapi.json (built without running it;
    schemathesis's lazy fixture loader does not work with this pytest)."""
    app = create_app(Settings(data_dir=Path(tempfile.gettempdir()), secret_key=SECRET))
    return app.openapi()


schema = schemathesis.openapi.from_dict(_document()).exclude(
    path_regex=SELF_REVOKING, method=["DELETE", "PATCH", "PUT"]
)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_operation(case, fuzz_target):
    case.call_and_validate(base_url=fuzz_target.url, headers=fuzz_target.headers, checks=CHECKS,
                           timeout=30)  # fmt: skip
