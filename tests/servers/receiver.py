"""A recording HTTP receiver on loopback (uvicorn in a thread) that can fail on purpose."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import pytest
import uvicorn

from tests.servers.ports import free_port


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """ASGI app: records every request and answers the next status from `plan`, then `default`."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    plan: list[int] = field(default_factory=list)
    default: int = 200

    def reset(self) -> None:
        self.requests.clear()
        self.plan.clear()
        self.default = 200

    async def __call__(self, scope, receive, send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.requests.append(Received(scope["path"], headers, body))
        status = self.plan.pop(0) if self.plan else self.default
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"ok" if status < 300 else b"nope"})


@pytest.fixture(scope="session")
def receiver_server():
    receiver = Receiver()
    port = free_port()
    config = uvicorn.Config(
        receiver, host="127.0.0.1", port=port, lifespan="off", log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="webhook-receiver", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the loopback webhook receiver did not start")
        time.sleep(0.01)
    receiver.url = f"http://127.0.0.1:{port}"
    yield receiver
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def receiver(receiver_server) -> Receiver:
    """The session's receiver, emptied and answering 200 for this test."""
    receiver_server.reset()
    yield receiver_server
    receiver_server.reset()
