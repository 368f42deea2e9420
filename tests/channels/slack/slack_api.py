"""Loopback double of the Slack Web API: chat.postMessage, users.info, auth.test, file downloads.

A real HTTP server on 127.0.0.1 that slack_sdk's clients reach through `base_url`. It answers with
the shapes https://api.slack.com/methods documents, records every call, and fails on demand
(HTTP 429 with Retry-After, 5xx pages, dropped connections) so tests drive the error paths.
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

# What Slack serves for a file URL requested without a valid token: its sign-in page, status 200.
SIGN_IN_PAGE = b"<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in</body></html>"


@dataclass
class Call:
    """One request the double received: Web API method (or file path), merged params, headers."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]


@dataclass
class StoredFile:
    data: bytes
    mimetype: str
    send_length: bool = True  # False: no Content-Length, the body ends when the connection closes


@dataclass(frozen=True)
class Answer:
    """A canned HTTP answer; status None means hang up without one."""

    status: int | None
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class _State:
    token: str
    team_id: str
    bot_user_id: str
    bot_id: str
    channels: set[str]
    calls: list[Call] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)
    faults: dict[str, list[Answer]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ts_counter: itertools.count = field(default_factory=lambda: itertools.count(1))


class SlackApiDouble:
    """Start with `with SlackApiDouble(channels={"C1"}) as api:`; point clients at api.base_url."""

    def __init__(
        self,
        *,
        token: str = "xoxb-test-token",
        channels: set[str] | None = None,
        team_id: str = "T0AUTOCRM",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
    ):
        self.state = _State(token, team_id, bot_user_id, bot_id, set(channels or ()))
        handler = type("BoundSlackHandler", (_SlackHandler,), {"state": self.state})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        # A short poll interval keeps shutdown() (and so each test's teardown) quick.
        serve = lambda: self._server.serve_forever(poll_interval=0.02)  # noqa: E731
        self._thread = threading.Thread(target=serve, daemon=True)

    def __enter__(self) -> SlackApiDouble:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def origin(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/api/"

    @property
    def file_url_prefix(self) -> str:
        return f"{self.origin}/files-pri/"

    @property
    def calls(self) -> list[Call]:
        with self.state.lock:
            return list(self.state.calls)

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def add_user(self, user_id: str, *, name: str, real_name: str, email: str | None) -> None:
        """Register a workspace member for users.info (shape of the documented example)."""
        profile = {"real_name": real_name, "display_name": name, "team": self.state.team_id}
        if email is not None:  # absent when the app lacks users:read.email
            profile["email"] = email
        self.state.users[user_id] = {
            "id": user_id,
            "team_id": self.state.team_id,
            "name": name,
            "deleted": False,
            "real_name": real_name,
            "tz": "Europe/Paris",
            "profile": profile,
            "is_bot": False,
            "updated": 1502138686,
        }

    def add_file(self, name: str, data: bytes, mimetype: str, *, send_length: bool = True) -> str:
        """Store a file and return its url_private, as a file_share event would carry it."""
        file_id = f"F{len(self.state.files) + 1:08d}"
        path = f"/files-pri/{self.state.team_id}-{file_id}/{quote(name)}"
        self.state.files[path] = StoredFile(data, mimetype, send_length)
        return self.origin + path

    def fail(self, method: str, answer: Answer, *, times: int = 1) -> None:
        """Give `answer` to the next `times` calls of `method` (a Web API method or a file path)."""
        with self.state.lock:
            self.state.faults.setdefault(method, []).extend([answer] * times)

    def rate_limit(self, method: str, *, retry_after: int, times: int = 1) -> None:
        """HTTP 429 with Retry-After, as Slack answers calls over a method's rate tier."""
        body = json.dumps({"ok": False, "error": "ratelimited"}).encode()
        self.fail(
            method, Answer(429, body, headers=(("Retry-After", str(retry_after)),)), times=times
        )

    def drop_connections(self, method: str, *, times: int = 1) -> None:
        """Close the connection without an answer, as a failing load balancer does."""
        self.fail(method, Answer(None), times=times)


class _SlackHandler(BaseHTTPRequestHandler):
    state: _State  # bound per server by SlackApiDouble

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet; failures show up in the recorded calls instead."""

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        params = dict(parse_qsl(url.query)) | self._body_params()
        method = url.path.removeprefix("/api/") if url.path.startswith("/api/") else url.path
        with self.state.lock:
            self.state.calls.append(Call(method, params, dict(self.headers.items())))
            pending = self.state.faults.get(method)
            fault = pending.pop(0) if pending else None
        if fault is not None:
            self._answer(fault)
        elif url.path.startswith("/files-pri/"):
            self._file(url.path)
        else:
            self._api(method, params)

    def _body_params(self) -> dict[str, Any]:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not raw:
            return {}
        if self.headers.get_content_type() == "application/json":
            return json.loads(raw)
        return dict(parse_qsl(raw.decode()))

    def _authorised(self, params: dict[str, Any]) -> bool | None:
        """True for our token, False for another one, None when the request carries none."""
        header = self.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else None
        token = token or params.get("token")
        return None if not token else token == self.state.token

    def _api(self, method: str, params: dict[str, Any]) -> None:
        handlers = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "users.info": self._users_info,
        }
        authorised = self._authorised(params)
        if method not in handlers:
            self._json({"ok": False, "error": "unknown_method"}, status=404)
        elif not authorised:
            self._json(
                {"ok": False, "error": "not_authed" if authorised is None else "invalid_auth"}
            )
        else:
            self._json(handlers[method](params))

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        state = self.state
        return {
            "ok": True,
            "url": "https://autocrm-test.slack.com/",
            "team": "AutoCRM Test",
            "user": "autocrm",
            "team_id": state.team_id,
            "user_id": state.bot_user_id,
            "bot_id": state.bot_id,
            "is_enterprise_install": False,
        }

    def _post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel")
        if channel not in self.state.channels:
            return {"ok": False, "error": "channel_not_found"}
        if not params.get("text") and not params.get("blocks"):
            return {"ok": False, "error": "no_text"}
        ts = f"1700000000.{next(self.state.ts_counter):06d}"
        message = {
            "type": "message",
            "text": params.get("text", ""),
            "user": self.state.bot_user_id,
            "bot_id": self.state.bot_id,
            "team": self.state.team_id,
            "ts": ts,
        }
        if params.get("thread_ts"):
            message["thread_ts"] = params["thread_ts"]
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.state.users.get(params.get("user", ""))
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def _file(self, path: str) -> None:
        stored = self.state.files.get(path)
        if not self._authorised({}):
            self._answer(Answer(200, SIGN_IN_PAGE, "text/html; charset=utf-8"))
        elif stored is None:
            self._answer(Answer(404, b"Not Found", "text/plain"))
        else:
            self._answer(Answer(200, stored.data, stored.mimetype), send_length=stored.send_length)

    def _json(self, body: dict[str, Any], *, status: int = 200) -> None:
        self._answer(Answer(status, json.dumps(body).encode()))

    def _answer(self, answer: Answer, *, send_length: bool = True) -> None:
        if answer.status is None:
            self.close_connection = True  # the client sees the server hang up mid-request
            return
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        for name, value in answer.headers:
            self.send_header(name, value)
        if send_length:
            self.send_header("Content-Length", str(len(answer.body)))
        else:
            self.close_connection = True  # HTTP/1.0 without a length: the body ends at close
        self.end_headers()
        self.wfile.write(answer.body)
