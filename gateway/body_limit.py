"""Refuse request bodies over a size limit with 413 problem+json, while they stream in.

One limit for every route, and larger ones for a few path prefixes (the widget's upload
carries an attachment): a body is refused at its Content-Length, or as soon as the bytes read
pass the limit, never after reading it all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from starlette.exceptions import HTTPException


class BodyTooLarge(HTTPException):
    """An HTTPException, so FastAPI's body reader re-raises it (as a 413) instead of turning
    it into "400 There was an error parsing the body" when the body streams in chunked."""

    def __init__(self, max_bytes: int, headers: dict[str, str] | None = None):
        super().__init__(413, f"request body is over the {max_bytes}-byte limit", headers)


@dataclass(frozen=True)
class PathLimit:
    """Another limit under `prefix`; `headers` go on its refusal (CORS for the widget, so a
    page on another site can read why)."""

    prefix: str
    max_bytes: int
    headers: dict[str, str] = field(default_factory=dict)


class BodyLimitMiddleware:
    def __init__(self, app, max_bytes: int, paths: tuple[PathLimit, ...] = ()):
        self.app = app
        self.default = PathLimit("", max_bytes)
        self.paths = paths

    def _limit_for(self, path: str) -> PathLimit:
        return next((p for p in self.paths if path.startswith(p.prefix)), self.default)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self._limit_for(scope["path"])
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit.max_bytes:
            return await _reject(send, limit)
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit.max_bytes:
                raise BodyTooLarge(limit.max_bytes, limit.headers or None)
            return message

        try:
            await self.app(scope, limited_receive, send)
        except BodyTooLarge:
            await _reject(send, limit)


async def _reject(send, limit: PathLimit) -> None:
    detail = f"request body is over the {limit.max_bytes}-byte limit"
    body = json.dumps(
        {"type": "about:blank", "title": "Payload too large", "status": 413, "detail": detail}
    ).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),  # the rest of the body is not read
    ]
    headers += [(k.lower().encode(), v.encode()) for k, v in limit.headers.items()]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
