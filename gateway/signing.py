"""Webhook signatures: HMAC-SHA256 over "<timestamp>.<body>", as receivers verify them."""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-AutoCRM-Signature"
TOLERANCE = 300  # seconds a receiver should accept, against replays


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    ts = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


def verify(secret: str, body: bytes, header: str, now: float | None = None) -> bool:
    """What a receiver runs: right MAC and a timestamp within the tolerance."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        ts = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now or time.time()) - ts) > TOLERANCE:
        return False
    expected = sign(secret, body, ts).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))
