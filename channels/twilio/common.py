"""Twilio pieces shared by SMS and voice: account config, signature check, REST client, media."""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Mapping
from datetime import datetime, time
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from pydantic import BaseModel, Field, SecretStr, field_serializer, field_validator
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator, get_signature_algorithm
from twilio.rest import Client

from channels.base import VerifyError
from store.messages import Attachment

E164 = r"^\+[1-9]\d{1,14}$"
TWILIO_API = "https://api.twilio.com"


class BusinessHours(BaseModel):
    """When a human can take a transferred call. Days are ISO-ish: 0 = Monday ... 6 = Sunday."""

    timezone: str = "UTC"
    days: set[int] = Field(default_factory=lambda: {0, 1, 2, 3, 4})
    opens: time = time(9, 0)
    closes: time = time(17, 0)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:  # an unknown zone fails at config time rather than mid-call
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v

    # Stored as JSON in the account config: a set and time objects would not serialise.
    @field_serializer("days")
    def _days_list(self, days: set[int]) -> list[int]:
        return sorted(days)

    @field_serializer("opens", "closes")
    def _time_text(self, value: time) -> str:
        return value.isoformat(timespec="minutes")

    def is_open(self, now: datetime) -> bool:
        local = now.astimezone(ZoneInfo(self.timezone))
        return local.weekday() in self.days and self.opens <= local.time() < self.closes


class TwilioAccount(BaseModel):
    """One Twilio number we answer on. Paths are where the gateway mounts the webhooks."""

    account_sid: str = Field(pattern=r"^AC\w{32}$")
    auth_token: SecretStr
    number: str = Field(pattern=E164)
    public_base_url: str  # what Twilio calls, e.g. https://support.example.com (behind the proxy)
    agent_dial_number: str | None = Field(default=None, pattern=E164)
    business_hours: BusinessHours | None = None  # None: a human may be dialled at any time
    api_base_url: str | None = None  # tests: a loopback double instead of https://api.twilio.com
    timeout: float = 10.0
    voice_language: str = "en-US"
    voice: str | None = None  # e.g. "Polly.Joanna"; None = Twilio's default voice
    # record: we transcribe the audio locally; gather: Twilio's recogniser sends SpeechResult
    listen_mode: Literal["record", "gather"] = "record"
    sms_path: str = "/channels/twilio/sms"  # set in the Twilio console for the number
    voice_path: str = "/channels/twilio/voice"  # likewise
    sms_status_path: str = "/channels/twilio/sms/status"
    voice_recorded_path: str = "/channels/twilio/voice/recorded"
    voice_recording_status_path: str = "/channels/twilio/voice/recording"
    voice_gather_path: str = "/channels/twilio/voice/gather"
    voice_poll_path: str = "/channels/twilio/voice/poll"
    voice_dial_status_path: str = "/channels/twilio/voice/dial"

    @field_validator("public_base_url", "api_base_url")
    @classmethod
    def _no_trailing_slash(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("http://", "https://")):
            raise ValueError("must be an absolute http(s) URL")
        return v.rstrip("/") if v else v

    def url(self, path: str, **query: Any) -> str:
        """The public URL Twilio requests for `path` (what it signs, so what we verify)."""
        url = self.public_base_url + "/" + path.lstrip("/")
        pairs = {k: v for k, v in query.items() if v is not None}
        return f"{url}?{urlencode(pairs)}" if pairs else url


def verify_twilio(
    url: str,
    params: Mapping[str, Any] | str | None,
    signature: str | None,
    auth_token: SecretStr | str,
    *,
    signature_settings: str | None = None,
) -> None:
    """Raise VerifyError unless X-Twilio-Signature matches.

    `url` must be the public URL Twilio called (account.url(path) plus the exact query string),
    not the one the proxy forwarded to us. `params` are the form fields (a dict, or a multidict
    for repeated keys) or the raw body of a JSON webhook (then `url` carries bodySHA256).
    `signature_settings` is the X-Twilio-Webhooks-Signature-Settings header, if any.
    """
    if not signature:
        raise VerifyError("missing X-Twilio-Signature header")
    token = auth_token.get_secret_value() if isinstance(auth_token, SecretStr) else auth_token
    algorithm = get_signature_algorithm(signature_settings)
    if not RequestValidator(token).validate(url, params, signature, algorithm=algorithm):
        raise VerifyError("X-Twilio-Signature does not match this URL and body")


class BaseUrlHttpClient(TwilioHttpClient):
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
        http = TwilioHttpClient(timeout=account.timeout)
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


_FENCE = re.compile(r"^[ \t]*```[^\n]*\n?", re.MULTILINE)
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)[^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)[^)]*\)")
_EMPHASIS = re.compile(r"(?<!\w)(\*\*|__|\*|_|~~)(?=\S)(.+?)(?<=\S)\1(?!\w)")
_LINE_MARKS = re.compile(r"^\s{0,3}(#{1,6}\s+|>\s?|[-*+]\s+(?=\S))", re.MULTILINE)
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$", re.MULTILINE)
# Typographic characters outside GSM-7 that would turn a whole SMS into UCS-2 (70 chars/segment).
_ASCII_LOOKALIKES = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
     "\u2026": "...", "\u00a0": " ", "\u2022": "-", "\u2212": "-", "\u2192": "->"}
)  # fmt: skip


def markdown_to_plain(text: str) -> str:
    """Markdown as a person would type it in a text message: no marks, links as 'text (url)'."""
    text = _FENCE.sub("", text)
    text = _RULE.sub("", text)
    text = _IMAGE.sub(lambda m: m.group(2), text)
    text = _LINK.sub(lambda m: _link_text(m.group(1), m.group(2)), text)
    text = _LINE_MARKS.sub(lambda m: "- " if m.group(1)[0] in "-*+" else "", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = text.replace("`", "").translate(_ASCII_LOOKALIKES)
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _link_text(label: str, url: str) -> str:
    return url if label.strip() in (url, url.removeprefix("mailto:")) else f"{label} ({url})"
