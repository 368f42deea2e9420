"""Slack Web API besides sending: the client, auth.test, users.info, file downloads, errors."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from urllib.parse import unquote

import aiohttp
import httpx
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from channels.slack.config import SlackApp
from store.messages import Attachment

# Slack error codes where trying later can succeed; any other code needs a person to fix config.
TRANSIENT_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable"}


class SlackCallError(Exception):
    """A Slack API call or file download failed; `retryable` says whether a later try can help."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


def web_client(app: SlackApp) -> AsyncWebClient:
    """An AsyncWebClient for the app with slack_sdk's retry handlers off: the job queue retries."""
    return AsyncWebClient(
        token=app.bot_token.get_secret_value(),
        base_url=app.api_base_url,
        timeout=15,
        retry_handlers=[],
    )


@contextmanager
def slack_errors(method: str, error: type[Exception]) -> Iterator[None]:
    """Turn slack_sdk and network failures into `error` saying whether a retry can help."""
    try:
        yield
    except SlackApiError as exc:
        # Usually a SlackResponse; an aiohttp response when a JSON body did not decode.
        response = exc.response
        status = getattr(response, "status_code", None) or getattr(response, "status", 0)
        data = getattr(response, "data", None)
        code = data.get("error") if isinstance(data, dict) else None
        if status == 429 or code == "ratelimited":
            retry_after = _retry_after(response.headers)
            message = f"Slack rate-limited {method}; retry after {retry_after}s"
            raise error(message, retryable=True, retry_after=retry_after) from exc
        retryable = status >= 500 or code in TRANSIENT_ERRORS
        message = f"Slack {method} failed: {code or 'unexpected answer'} (HTTP {status})"
        raise error(message, retryable=retryable) from exc
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise error(f"Slack {method} unreachable: {exc!r}", retryable=True) from exc


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After", "")  # aiohttp's and httpx's headers ignore case
    return float(value) if value.replace(".", "", 1).isdigit() else None


async def identify_bot(app: SlackApp) -> SlackApp:
    """Ask auth.test who our bot user is, so parse_event can ignore our own messages."""
    with slack_errors("auth.test", SlackCallError):
        response = await web_client(app).auth_test()
    return app.model_copy(update={"bot_user_id": response["user_id"]})


async def lookup_user(app: SlackApp, user_id: str) -> dict[str, str | None]:
    """Name and email of a Slack user (users.info; email needs the users:read.email scope)."""
    with slack_errors("users.info", SlackCallError):
        response = await web_client(app).users_info(user=user_id)
    user = response["user"]
    profile = user.get("profile") or {}
    name = profile.get("display_name") or profile.get("real_name") or user.get("real_name")
    return {"name": name or user.get("name"), "email": profile.get("email")}


async def fetch_file(
    app: SlackApp, url: str, max_bytes: int, *, name: str | None = None, mimetype: str | None = None
) -> Attachment:
    """Download a file shared in Slack (url_private) with the bot token, refusing > max_bytes."""
    if not url.startswith(app.file_url_prefix):
        raise SlackCallError(f"refusing to send the bot token to {url}", retryable=False)
    headers = {"Authorization": f"Bearer {app.bot_token.get_secret_value()}"}
    try:
        # httpx drops Authorization if a redirect leaves the origin, so the token stays with Slack.
        async with (
            httpx.AsyncClient(timeout=30, follow_redirects=True) as client,
            client.stream("GET", url, headers=headers) as response,
        ):
            content_type = _check_download(response, max_bytes, mimetype)
            data = await _read_at_most(response, max_bytes)
    except httpx.HTTPError as exc:
        raise SlackCallError(f"Slack file download failed: {exc!r}", retryable=True) from exc
    name = name or unquote(url.rstrip("/").rsplit("/", 1)[-1])
    return Attachment(filename=name, content_type=mimetype or content_type, data=data)


def _check_download(response: httpx.Response, max_bytes: int, mimetype: str | None) -> str:
    status = response.status_code
    if status != 200:
        retryable = status == 429 or status >= 500
        retry_after = _retry_after(response.headers) if retryable else None
        message = f"Slack file host answered {status}"
        raise SlackCallError(message, retryable=retryable, retry_after=retry_after)
    content_type = response.headers.get("content-type", "application/octet-stream").split(";")[0]
    # Without a valid token Slack answers 200 with its sign-in page instead of the file.
    if content_type == "text/html" and mimetype != "text/html":
        raise SlackCallError("Slack sent its sign-in page: token lacks files:read", retryable=False)
    if int(response.headers.get("content-length") or 0) > max_bytes:
        raise SlackCallError(f"file larger than {max_bytes} bytes", retryable=False)
    return content_type


async def _read_at_most(response: httpx.Response, max_bytes: int) -> bytes:
    # Content-Length may be absent (chunked), so count while reading and stop past the limit.
    chunks, total = [], 0
    async for chunk in response.aiter_bytes():
        total += len(chunk)
        if total > max_bytes:
            raise SlackCallError(f"file larger than {max_bytes} bytes", retryable=False)
        chunks.append(chunk)
    return b"".join(chunks)
