"""Slack channel: verify Events API requests, parse events into messages, reply in threads."""

from __future__ import annotations

import hmac
import html
import time
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import unquote

import aiohttp
import httpx
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, model_validator
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from channels.base import SendError, VerifyError
from store.messages import Attachment, Identity, InboundMessage, Limits, OutboundMessage, Receipt

NAME = "slack"
# https://api.slack.com/methods/chat.postMessage#truncating — Slack truncates text beyond 40,000
# characters and advises 4,000 per message, so the sender splits at 4,000 and we refuse > 40,000.
HARD_MAX_TEXT = 40_000
# markdown=True means Slack's mrkdwn dialect: *bold*, _italic_, <url|label>.
LIMITS = Limits(max_text=4_000, markdown=True, attachments=False, threads=True)
MAX_CLOCK_SKEW = 5 * 60  # api.slack.com/authentication/verifying-requests-from-slack: replay window
# Slack error codes where trying later can succeed; any other code needs a person to fix config.
TRANSIENT_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable"}
# Message subtypes that carry a person's words; joins, topic changes and the like are noise.
CUSTOMER_SUBTYPES = frozenset({None, "file_share", "thread_broadcast", "me_message"})

_META_KEYS = ("channel", "channel_type", "ts", "thread_ts", "client_msg_id")
EventKind = Literal["url_verification", "message", "edited", "deleted", "ignore"]


# A URL prefix ends with "/": "https://files.slack.com" would match files.slack.com.evil.example
_Prefix = Annotated[str, AfterValidator(lambda url: url if url.endswith("/") else url + "/")]


class SlackApp(BaseModel):
    """One installed Slack app: its credentials, the channels it serves and where its API lives."""

    model_config = ConfigDict(frozen=True)

    bot_token: SecretStr
    signing_secret: SecretStr
    channel_ids: frozenset[str] = Field(min_length=1)  # only these channels open tickets
    bot_user_id: str | None = None  # learned from auth.test at start-up, see identify_bot()
    api_base_url: _Prefix = "https://slack.com/api/"
    # The bot token is only ever sent to URLs under this prefix (file downloads).
    file_url_prefix: _Prefix = "https://files.slack.com/"

    @model_validator(mode="after")
    def _credentials_look_real(self) -> SlackApp:
        if not self.bot_token.get_secret_value().startswith("xoxb-"):
            raise ValueError("bot_token must be the Bot User OAuth Token (xoxb-…)")
        if not self.signing_secret.get_secret_value().strip():
            raise ValueError("signing_secret is empty: copy it from Basic Information")
        return self


@dataclass(frozen=True)
class MessageChange:
    """An edit or deletion of a Slack message; the store records it as an event on the ticket."""

    external_id: str  # channel:ts of the changed message — the key its InboundMessage had
    thread_key: str
    text: str | None  # the new text of an edit; None for a deletion
    actor: Identity | None  # Slack does not say who deleted a message
    event_id: str | None
    at: datetime | None


@dataclass(frozen=True)
class SlackEvent:
    """What one Events API payload means for us; exactly one of the optional fields is set."""

    kind: EventKind
    challenge: str | None = None
    message: InboundMessage | None = None
    change: MessageChange | None = None
    reason: str | None = None  # why a payload is ignored


class SlackCallError(Exception):
    """A Slack API call or file download failed; `retryable` says whether a later try can help."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


def verify_slack(
    headers: Mapping[str, str],
    body: bytes,
    signing_secret: SecretStr | str,
    now: float | None = None,
) -> None:
    """Raise VerifyError unless `body` was signed by Slack with our secret in the last 5 minutes."""
    lowered = {key.lower(): value for key, value in headers.items()}
    timestamp = lowered.get("x-slack-request-timestamp", "")
    signature = lowered.get("x-slack-signature", "")
    if not (timestamp.isascii() and timestamp.isdigit()) or not signature:
        raise VerifyError("missing or malformed X-Slack-Request-Timestamp / X-Slack-Signature")
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > MAX_CLOCK_SKEW:
        raise VerifyError("stale X-Slack-Request-Timestamp: more than 5 minutes off (replay?)")
    if isinstance(signing_secret, SecretStr):
        signing_secret = signing_secret.get_secret_value()
    try:
        verifier = SignatureVerifier(signing_secret)  # the clock check is ours, to honour `now`
        expected = verifier.generate_signature(timestamp=timestamp, body=body) or ""
    except UnicodeDecodeError:  # Slack signs UTF-8 JSON or form bodies; anything else is forged
        expected = ""
    # bytes, because compare_digest refuses non-ASCII str and header values are attacker input
    if not expected or not hmac.compare_digest(expected.encode(), signature.encode()):
        raise VerifyError("bad X-Slack-Signature: not signed with this app's signing secret")


def parse_event(
    payload: dict[str, Any], *, bot_user_id: str | None, channel_ids: Collection[str]
) -> SlackEvent:
    """Say what an Events API payload means: a challenge, message, edit, deletion or noise."""
    payload_type = payload.get("type")
    if payload_type == "url_verification":
        return SlackEvent("url_verification", challenge=str(payload.get("challenge", "")))
    event = payload.get("event")
    if payload_type != "event_callback" or not isinstance(event, dict):
        return SlackEvent("ignore", reason=f"payload type {payload_type!r} carries no message")
    if event.get("type") not in ("message", "app_mention"):
        return SlackEvent("ignore", reason=f"event type {event.get('type')!r} is not a message")
    if not isinstance(event.get("channel"), str) or event["channel"] not in channel_ids:
        return SlackEvent("ignore", reason=f"channel {event.get('channel')!r} is not watched")
    subtype = event.get("subtype")
    if subtype == "message_changed":
        return _edit(payload, event, bot_user_id)
    if subtype == "message_deleted":
        return _deletion(payload, event)
    reason = _noise(event, bot_user_id)
    if reason:
        return SlackEvent("ignore", reason=reason)
    return SlackEvent("message", message=_inbound(payload, event, bot_user_id))


def _noise(message: dict[str, Any], bot_user_id: str | None) -> str | None:
    """Why a message must not reach the agent (bots answering bots loop forever), or None."""
    subtype = message.get("subtype")
    if subtype == "bot_message" or message.get("bot_id"):
        return "sent by a bot"
    if bot_user_id and message.get("user") == bot_user_id:
        return "sent by our own bot user"
    if subtype not in CUSTOMER_SUBTYPES:
        return f"subtype {subtype!r} is not a customer message"
    if not message.get("user") or not message.get("ts"):
        return "message has no user or ts"
    return None


def _inbound(payload: dict[str, Any], event: dict[str, Any], bot_user_id: str | None):
    channel, ts = event["channel"], event["ts"]
    profile = event.get("user_profile") or {}
    name = profile.get("display_name") or profile.get("real_name") or None
    return InboundMessage(
        channel=NAME,
        # channel:ts, not event_id: a retry repeats the event_id but the message and app_mention
        # events of one message have different event_ids and the same ts.
        external_id=f"{channel}:{ts}",
        thread_key=_thread_key(channel, event),
        sender=Identity("slack", event["user"], name),
        text=_clean_text(event.get("text") or "", bot_user_id),
        received_at=_ts_time(ts),
        meta={
            "event_id": payload.get("event_id"),
            "team_id": payload.get("team_id"),
            "event_type": event.get("type"),
            **{key: event.get(key) for key in _META_KEYS},
            "files": _files(event),
        },
    )


def _edit(payload: dict[str, Any], event: dict[str, Any], bot_user_id: str | None) -> SlackEvent:
    old = event.get("previous_message")
    # Some edits omit ts/thread_ts on the new message; it is the same message as the old one.
    new = {key: (old or {}).get(key) for key in ("ts", "thread_ts")} | (event.get("message") or {})
    reason = _noise(new, bot_user_id)
    if reason:
        return SlackEvent("ignore", reason=f"edit of a message that is noise: {reason}")
    # Unfurls, language detection and thread metadata also fire message_changed.
    if old is not None and old.get("text") == new.get("text"):
        return SlackEvent("ignore", reason="message_changed without a change of text")
    editor = Identity("slack", (new.get("edited") or {}).get("user") or new["user"])
    text = _clean_text(new.get("text") or "", bot_user_id)
    return _change("edited", payload, event, new, text, editor)


def _deletion(payload: dict[str, Any], event: dict[str, Any]) -> SlackEvent:
    # Bot messages are kept here on purpose: a person deleting one of our replies is news.
    old = event.get("previous_message") or {}
    ts = event.get("deleted_ts") or old.get("ts")
    if not ts:
        return SlackEvent("ignore", reason="message_deleted without deleted_ts")
    deleted = {"ts": ts, "thread_ts": old.get("thread_ts")}
    return _change("deleted", payload, event, deleted, None, None)


def _change(
    kind: EventKind, payload: dict, event: dict, message: dict, text: str | None, actor
) -> SlackEvent:
    channel = event["channel"]
    change = MessageChange(
        external_id=f"{channel}:{message['ts']}",
        thread_key=_thread_key(channel, message),
        text=text,
        actor=actor,
        event_id=payload.get("event_id"),
        at=_ts_time(event.get("ts")),
    )
    return SlackEvent(kind, change=change)


def _thread_key(channel: str, message: dict[str, Any]) -> str:
    # A top-level message starts a thread that Slack names by the message's own ts.
    return f"{channel}:{message.get('thread_ts') or message['ts']}"


def _clean_text(text: str, bot_user_id: str | None) -> str:
    if bot_user_id:
        text = text.replace(f"<@{bot_user_id}>", "")
    # Slack escapes &, < and > in message text; the rest of the markup stays as Slack wrote it.
    return html.unescape(text).strip()


def _ts_time(ts: str | None) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(ts), UTC) if ts else None
    except ValueError:
        return None


def _files(event: dict[str, Any]) -> list[dict[str, Any]]:
    # Files hidden by plan limits or deleted ("tombstone") have no url_private to fetch.
    return [
        {key: item.get(key) for key in ("id", "url_private", "name", "mimetype", "size")}
        for item in event.get("files") or []
        if item.get("url_private")
    ]


def web_client(app: SlackApp) -> AsyncWebClient:
    """An AsyncWebClient for the app with slack_sdk's retry handlers off: the job queue retries."""
    return AsyncWebClient(
        token=app.bot_token.get_secret_value(),
        base_url=app.api_base_url,
        timeout=15,
        retry_handlers=[],
    )


@contextmanager
def _slack_errors(method: str, error: type[Exception]) -> Iterator[None]:
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
    with _slack_errors("auth.test", SlackCallError):
        response = await web_client(app).auth_test()
    return app.model_copy(update={"bot_user_id": response["user_id"]})


async def lookup_user(app: SlackApp, user_id: str) -> dict[str, str | None]:
    """Name and email of a Slack user (users.info; email needs the users:read.email scope)."""
    with _slack_errors("users.info", SlackCallError):
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


class SlackChannel:
    """The Slack adapter: verify and parse inbound events, post replies into the ticket's thread."""

    name = NAME
    limits = LIMITS

    def __init__(self, app: SlackApp, client: AsyncWebClient | None = None):
        self.app = app
        self.client = client or web_client(app)

    def verify(self, headers: Mapping[str, str], body: bytes, now: float | None = None) -> None:
        verify_slack(headers, body, self.app.signing_secret, now)

    def parse(self, payload: dict[str, Any]) -> SlackEvent:
        return parse_event(
            payload, bot_user_id=self.app.bot_user_id, channel_ids=self.app.channel_ids
        )

    async def send(self, outbound: OutboundMessage) -> Receipt:
        """Post the reply into the thread named by outbound.thread_key (channel:thread_ts)."""
        channel, _, thread_ts = outbound.thread_key.partition(":")  # "C123:1595926230.009600"
        if not outbound.text.strip():
            raise SendError("refusing to post an empty Slack message", retryable=False)
        if len(outbound.text) > HARD_MAX_TEXT:
            raise SendError(f"text over Slack's {HARD_MAX_TEXT} characters", retryable=False)
        with _slack_errors("chat.postMessage", SendError):
            response = await self.client.chat_postMessage(
                channel=channel, text=outbound.text, thread_ts=thread_ts or None
            )
        posted_channel, ts = response["channel"], response["ts"]
        return Receipt(
            external_id=f"{posted_channel}:{ts}",
            meta={"channel": posted_channel, "ts": ts, "thread_ts": thread_ts or None},
        )
