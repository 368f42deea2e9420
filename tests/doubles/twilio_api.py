"""A loopback double of the Twilio REST API (Messages, Media, Recordings) for tests.

It checks HTTP basic auth like Twilio, records Messages.json POSTs, answers with the documented
Message resource JSON (https://www.twilio.com/docs/messaging/api/message-resource), fails on
purpose when told to, and serves media behind auth with Twilio's redirect to a CDN whose
presigned URLs refuse a second Authorization (as S3 does).

Use the `twilio_api` fixture: import `twilio_api_fixture` and `twilio_api_server_fixture`
into a test module (pytest finds fixtures by their registered names).
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "double-auth-token-0123456789"
API = "/2010-04-01/Accounts"


@dataclass
class Failure:
    status: int
    code: int
    message: str
    retry_after: int | None = None  # seconds, sent as Retry-After (Twilio does on 429)


@dataclass
class TwilioApiDouble:
    """State of the double: what was sent, what to fail next, which media exist."""

    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    base_url: str = ""
    messages: list[dict[str, str]] = field(default_factory=list)
    media_requests: list[dict[str, str | None]] = field(default_factory=list)
    failures: list[Failure | None] = field(default_factory=list)  # None: let that POST pass
    posts: list[tuple[float, int]] = field(default_factory=list)  # (time.time(), status) each
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(
        self,
        status: int,
        code: int,
        message: str,
        *,
        times: int = 1,
        after: int = 0,
        retry_after: int | None = None,
    ) -> None:
        """After `after` successful Messages.json POSTs, the next `times` get this error."""
        failure = Failure(status, code, message, retry_after)
        with self.lock:
            self.failures[:] = [None] * after + [failure] * times

    def add_media(self, data: bytes, content_type: str) -> str:
        """A MediaUrl on api.twilio.com's path layout; fetch it through the double."""
        sid = "ME" + secrets.token_hex(16)
        path = f"{API}/{self.account_sid}/Messages/SM{secrets.token_hex(16)}/Media/{sid}"
        self.files[path] = (data, content_type)
        return "https://api.twilio.com" + path

    def add_recording(self, wav: bytes) -> str:
        """A RecordingUrl (without extension, as Twilio sends it); `.wav` serves the audio."""
        path = f"{API}/{self.account_sid}/Recordings/RE{secrets.token_hex(16)}"
        self.files[path + ".wav"] = (wav, "audio/x-wav")
        return "https://api.twilio.com" + path

    def reset(self) -> None:
        with self.lock:
            self.messages.clear()
            self.media_requests.clear()
            self.failures.clear()
            self.posts.clear()
            self.files.clear()


def _message_json(state: TwilioApiDouble, form: dict[str, str]) -> dict:
    sid = "SM" + secrets.token_hex(16)
    now = formatdate(usegmt=True)
    uri = f"{API}/{state.account_sid}/Messages/{sid}.json"
    return {
        "account_sid": state.account_sid,
        "api_version": "2010-04-01",
        "body": form.get("Body", ""),
        "date_created": now,
        "date_sent": None,
        "date_updated": now,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": form.get("From"),
        "messaging_service_sid": form.get("MessagingServiceSid"),
        "num_media": "0",
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": "queued",
        "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
        "to": form.get("To"),
        "uri": uri,
    }


class _Handler(BaseHTTPRequestHandler):
    state: TwilioApiDouble  # set on the subclass made per server

    def log_message(self, format: str, *args: object) -> None:  # keep pytest output clean
        return

    def _reply(
        self, status: int, body: bytes, content_type: str = "application/json", headers=()
    ) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, code: int, message: str, headers=()) -> None:
        more = f"https://www.twilio.com/docs/errors/{code}"
        payload = {"code": code, "message": message, "more_info": more, "status": status}
        self._reply(status, json.dumps(payload).encode(), headers=headers)

    def _authorised(self) -> bool:
        expected = f"{self.state.account_sid}:{self.state.auth_token}".encode()
        header = self.headers.get("Authorization", "")
        if header == "Basic " + base64.b64encode(expected).decode():
            return True
        self._error(401, 20003, "Authenticate")
        return False

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        if path != f"{API}/{self.state.account_sid}/Messages.json":
            return self._error(404, 20404, f"The requested resource {path} was not found")
        if not self._authorised():
            return
        length = int(self.headers.get("Content-Length") or 0)
        form = dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
        with self.state.lock:
            failure = self.state.failures.pop(0) if self.state.failures else None
            self.state.posts.append((time.time(), failure.status if failure else 201))
        if failure:
            wait = (
                () if failure.retry_after is None else (("Retry-After", str(failure.retry_after)),)
            )
            return self._error(failure.status, failure.code, failure.message, wait)
        if not form.get("To"):
            return self._error(400, 21604, "A 'To' phone number is required.")
        if not form.get("Body") and not form.get("MediaUrl"):
            return self._error(400, 21602, "Message body is required.")
        resource = _message_json(self.state, form)
        with self.state.lock:
            self.state.messages.append({**form, "_sid": resource["sid"]})
        self._reply(201, json.dumps(resource).encode())

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        auth = self.headers.get("Authorization")
        self.state.media_requests.append({"path": path, "authorization": auth})
        if path.startswith("/cdn/"):
            return self._serve_cdn(path.removeprefix("/cdn"), auth)
        if path not in self.state.files:
            return self._error(404, 20404, f"The requested resource {path} was not found")
        if not self._authorised():
            return
        # Twilio answers media GETs with a redirect to a presigned CDN URL on another host.
        self.send_response(307)
        cdn = self.state.base_url.replace("127.0.0.1", "localhost")
        self.send_header("Location", f"{cdn}/cdn{path}?X-Amz-Signature=presigned")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _serve_cdn(self, path: str, auth: str | None) -> None:
        if auth:  # S3: "Only one auth mechanism allowed"
            return self._reply(400, b"<Error><Code>InvalidArgument</Code></Error>", "text/xml")
        data, content_type = self.state.files.get(path, (b"", ""))
        if not content_type:
            return self._reply(404, b"<Error><Code>NoSuchKey</Code></Error>", "text/xml")
        self._reply(200, data, content_type)


def start(state: TwilioApiDouble | None = None) -> tuple[ThreadingHTTPServer, TwilioApiDouble]:
    """Serve the double on a free loopback port in a daemon thread."""
    state = state or TwilioApiDouble()
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, state


@pytest.fixture(name="twilio_api_server", scope="session")
def twilio_api_server_fixture():
    server, state = start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(name="twilio_api")
def twilio_api_fixture(twilio_api_server: TwilioApiDouble) -> TwilioApiDouble:
    """The running double, emptied for each test."""
    twilio_api_server.reset()
    return twilio_api_server
