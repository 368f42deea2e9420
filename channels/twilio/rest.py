"""Twilio's REST API: the twilio client (rebased onto a stand-in in tests) and media downloads."""

from __future__ import annotations

import mimetypes
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from channels.twilio.account import TwilioAccount
from store.messages import Attachment

TWILIO_API = "https://api.twilio.com"


class RetryAfterHttpClient(TwilioHttpClient):
    """The twilio client's HTTP layer, keeping the last answer's Retry-After (seconds): the
    SDK's TwilioRestException carries no headers, and a 429 says when to try again."""

    retry_after: float | None = None

    def request(self, *args: Any, **kwargs: Any):
        response = super().request(*args, **kwargs)
        self.retry_after = retry_after_seconds((response.headers or {}).get("Retry-After"))
        return response


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds (Twilio sends delta-seconds); None when absent or unreadable."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


class BaseUrlHttpClient(RetryAfterHttpClient):
    """The twilio client's HTTP layer, sending every request to `base_url` instead.

    The SDK builds absolute https://<product>.twilio.com URLs and its region/edge options only
    rename hosts under twilio.com, so a test double on loopback needs the host rewritten here.
    """

    def __init__(self, base_url: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any):
        return super().request(method, rebase(url, self.base_url), *args, **kwargs)


def rebase(url: str, base_url: str) -> str:
    """Move `url` onto `base_url` (scheme, host, port and path prefix), keeping path and query."""
    base = urlsplit(base_url)
    parts = urlsplit(url)
    path = base.path.rstrip("/") + parts.path
    return urlunsplit((base.scheme, base.netloc, path, parts.query, parts.fragment))


def rest_client(account: TwilioAccount) -> Client:
    """A twilio REST client for the account (blocking: call it from a thread)."""
    if account.api_base_url:
        http = BaseUrlHttpClient(account.api_base_url, timeout=account.timeout)
    else:
        http = RetryAfterHttpClient(timeout=account.timeout)
    return Client(account.account_sid, account.auth_token.get_secret_value(), http_client=http)


class MediaError(Exception):
    """Media could not be fetched (not found, refused, not a Twilio URL)."""


class MediaTooLarge(MediaError):
    """The media is larger than the caller allows; nothing beyond the limit was read."""


def _media_url(account: TwilioAccount, url: str) -> str:
    # Credentials go only to Twilio's API (or the configured stand-in), never to a foreign host.
    host = urlsplit(url).hostname or ""
    if account.api_base_url and (host.endswith(".twilio.com") or url.startswith(TWILIO_API)):
        return rebase(url, account.api_base_url)
    if account.api_base_url and url.startswith(account.api_base_url):
        return url
    if host == "api.twilio.com":
        return url
    raise MediaError(f"refusing to send Twilio credentials to {host!r}")


async def fetch_media(
    account: TwilioAccount, url: str, max_bytes: int, *, content_type: str | None = None
) -> Attachment:
    """GET a MediaUrl/RecordingUrl with the account's basic auth, reading at most `max_bytes`.

    Twilio answers media URLs with a redirect to its CDN; httpx drops the Authorization header
    when a redirect leaves the origin, as the CDN's presigned URLs require.
    """
    target = _media_url(account, url)
    auth = (account.account_sid, account.auth_token.get_secret_value())
    async with (
        httpx.AsyncClient(auth=auth, timeout=account.timeout, follow_redirects=True) as http,
        http.stream("GET", target) as response,
    ):
        if response.status_code != 200:
            raise MediaError(f"media GET {url} answered {response.status_code}")
        declared = int(response.headers.get("content-length") or 0)
        if declared > max_bytes:
            raise MediaTooLarge(f"media is {declared} bytes; the limit is {max_bytes}")
        data = bytearray()
        async for chunk in response.aiter_bytes():
            data += chunk
            if len(data) > max_bytes:
                raise MediaTooLarge(f"media exceeds the limit of {max_bytes} bytes")
        kind = response.headers.get("content-type", content_type or "application/octet-stream")
    kind = kind.split(";")[0].strip()
    return Attachment(filename=_media_filename(url, kind), content_type=kind, data=bytes(data))


def _media_filename(url: str, content_type: str) -> str:
    stem = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1] or "media"
    if "." in stem:
        return stem
    return stem + (mimetypes.guess_extension(content_type) or ".bin")
