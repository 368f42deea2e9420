"""POST one event to a subscriber, signed; a non-2xx answer is a failure to retry."""

from __future__ import annotations

import json
from typing import Any

import httpx

from gateway import signing


class WebhookFailed(Exception):
    def __init__(self, message: str, status_code: int | None = None):
        super().__init__(message)
        self.status_code = status_code


async def post_webhook(ctx, url: str, secret: str, delivery_id: int, event: dict[str, Any]) -> int:
    body = json.dumps(event, separators=(",", ":"), default=str).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "AutoCRM-Webhooks/1",
        "X-AutoCRM-Event": event["type"],
        "X-AutoCRM-Delivery": str(delivery_id),
        signing.HEADER: signing.sign(secret, body),
    }
    # Not setdefault(): that would build (and leak) a client, ~30 ms of CPU, on every call.
    client: httpx.AsyncClient | None = ctx.extras.get("http")
    if client is None:
        client = ctx.extras["http"] = httpx.AsyncClient(timeout=ctx.settings.webhook_timeout)
    try:
        response = await client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise WebhookFailed(f"could not reach {url}: {exc!r}") from exc
    if not 200 <= response.status_code < 300:
        raise WebhookFailed(f"{url} answered {response.status_code}", response.status_code)
    return response.status_code
