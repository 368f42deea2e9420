"""The console's session cookie: a signed envelope around the session token, nothing more.

Starlette's SessionMiddleware kept the whole session (the user id, the CSRF token) in the
cookie, valid for 14 days whatever happened on the server. Here the cookie holds only the
random token of a server-side session (store/staff/sessions.py), or, before sign-in, the
sign-in form's CSRF token. `scope["session"]` is a `CookieSession`; gateway/principal.py
reads and changes it, and this middleware writes the cookie back when its content changed.
"""

from __future__ import annotations

import json
from base64 import b64decode, b64encode

from itsdangerous import BadSignature, TimestampSigner
from starlette.datastructures import MutableHeaders
from starlette.requests import cookie_parser

SESSION_COOKIE = "autocrm_session"


class CookieSession(dict):
    """The cookie's content. `live` is the server-side session it resolved to in this request
    (set by gateway.principal.from_session); it is never written to the cookie."""

    live = None


def read_cookie(secret: str, cookie_header: str, max_age: int) -> CookieSession:
    """The content of the session cookie in a raw Cookie header; empty when absent, too old
    or not signed by us (sockets read it here: the middleware does not see them)."""
    value = cookie_parser(cookie_header or "").get(SESSION_COOKIE)
    if not value:
        return CookieSession()
    try:
        data = json.loads(b64decode(TimestampSigner(secret).unsign(value, max_age=max_age)))
    except (BadSignature, ValueError):
        return CookieSession()
    return CookieSession(data) if isinstance(data, dict) else CookieSession()


def _header(name: str, value: str, *, max_age: int, secure: bool) -> str:
    flags = f"path=/; Max-Age={max_age}; httponly; samesite=lax"
    return f"{name}={value}; {flags}" + ("; secure" if secure else "")


class SessionCookieMiddleware:
    def __init__(self, app, *, secret: str, max_age: int, https_only: bool = False) -> None:
        self.app = app
        self.signer = TimestampSigner(secret)
        self.secret = secret
        self.max_age = max_age
        self.secure = https_only

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        raw = dict(scope["headers"]).get(b"cookie", b"").decode("latin-1")
        session = read_cookie(self.secret, raw, self.max_age)
        before = dict(session)
        scope["session"] = session

        async def send_with_cookie(message):
            current = scope["session"]
            if message["type"] == "http.response.start" and dict(current) != before:
                headers = MutableHeaders(scope=message)
                headers.append("Set-Cookie", self._cookie(current))
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _cookie(self, session: dict) -> str:
        if not session:  # signed out: tell the browser to drop it
            return _header(SESSION_COOKIE, "null", max_age=0, secure=self.secure)
        value = self.signer.sign(b64encode(json.dumps(dict(session)).encode())).decode()
        return _header(SESSION_COOKIE, value, max_age=self.max_age, secure=self.secure)
