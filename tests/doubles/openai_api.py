"""Loopback double of an OpenAI-compatible chat-completions endpoint, answering from a script.

A real HTTP server on 127.0.0.1 that the `openai` client reaches through `base_url`. Each POST
/v1/chat/completions takes the next scripted step: a structured decision (returned as the JSON
content the `json_schema` response format asks for), tool calls (`finish_reason: tool_calls`),
a slow answer (to trip the client's timeout), no answer at all (HANG, until released) or an
HTTP error. Every request is recorded, so tests can read what the model was sent (messages,
tools, response_format). Also a tiny "shop API" endpoint for admin-declared HTTP tools:
GET /shop/orders/{id}.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Step:
    decision: dict | None = None  # {"action", "reply", "reason", "sources"}
    tool_calls: list[tuple[str, dict]] = field(default_factory=list)  # (name, arguments)
    delay: float = 0.0
    status: int = 200
    hang: bool = False  # answer nothing until `release()` (an endpoint that stopped responding)


def decision(action: str, reply: str, reason: str = "scripted", sources=()) -> Step:
    return Step(
        decision={"action": action, "reply": reply, "reason": reason, "sources": list(sources)}
    )


HANG = Step(hang=True)
HANG_LIMIT = 120.0  # a hung request is answered (500) after this, so no thread lives forever


def tool_call(name: str, **arguments) -> Step:
    return Step(tool_calls=[(name, arguments)])


class OpenAIDouble:
    def __init__(self, *, api_key: str = "sk-test-key"):
        self.api_key = api_key
        self.script: list[Step] = []
        self.requests: list[dict] = []
        self.tool_requests: list[dict] = []
        self.orders = {"A-100": {"id": "A-100", "status": "shipped", "eta": "Friday"}}
        self.lock = threading.Lock()
        self._ids = itertools.count(1)
        self.released = threading.Event()
        self.hanging = 0  # requests being held by a HANG step right now
        handler = type("BoundHandler", (_Handler,), {"double": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        serve = lambda: self._server.serve_forever(poll_interval=0.02)  # noqa: E731
        self._thread = threading.Thread(target=serve, daemon=True)

    def __enter__(self) -> OpenAIDouble:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def origin(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    def release(self) -> None:
        """Let every hung request go (they answer 500)."""
        self.released.set()

    def then(self, *steps: Step) -> None:
        with self.lock:
            self.script.extend(steps)

    def completion(self, step: Step, model: str) -> dict:
        n = next(self._ids)
        message: dict[str, Any] = {"role": "assistant", "content": None}
        finish = "stop"
        if step.tool_calls:
            finish = "tool_calls"
            message["tool_calls"] = [
                {
                    "id": f"call_{n}_{i}",
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(args)},
                }
                for i, (name, args) in enumerate(step.tool_calls)
            ]
        else:
            message["content"] = json.dumps(step.decision)
        return {
            "id": f"chatcmpl-{n}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        }


class _Handler(BaseHTTPRequestHandler):
    double: OpenAIDouble

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet; the recorded requests tell the story."""

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (timeout tests)

    def do_GET(self) -> None:
        d = self.double
        with d.lock:
            d.tool_requests.append({"path": self.path, "headers": dict(self.headers.items())})
        order_id = self.path.split("?")[0].removeprefix("/shop/orders/")
        if self.path.startswith("/shop/orders/") and order_id in d.orders:
            self._send(200, d.orders[order_id])
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self) -> None:
        d = self.double
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        if self.path != "/v1/chat/completions":
            return self._send(404, {"error": {"message": "unknown path"}})
        if self.headers.get("Authorization") != f"Bearer {d.api_key}":
            return self._send(401, {"error": {"message": "bad key", "type": "invalid_request"}})
        with d.lock:
            d.requests.append(body)
            step = d.script.pop(0) if d.script else Step(status=500)
        if step.hang:
            with d.lock:
                d.hanging += 1
            d.released.wait(HANG_LIMIT)
            with d.lock:
                d.hanging -= 1
            return self._send(500, {"error": {"message": "hung, then released"}})
        if step.delay:
            time.sleep(step.delay)
        if step.status != 200:
            return self._send(step.status, {"error": {"message": "scripted failure"}})
        self._send(200, d.completion(step, body.get("model", "")))
