"""Slack Events API payload -> a message, an edit, a deletion, a URL check or noise. Pure."""

from __future__ import annotations

import html
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from channels.slack.limits import NAME
from store.messages import Identity, InboundMessage

# Message subtypes that carry a person's words; joins, topic changes and the like are noise.
CUSTOMER_SUBTYPES = frozenset({None, "file_share", "thread_broadcast", "me_message"})

_META_KEYS = ("channel", "channel_type", "ts", "thread_ts", "client_msg_id")
EventKind = Literal["url_verification", "message", "edited", "deleted", "ignore"]


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
