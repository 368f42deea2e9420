"""The normalised messages every layer speaks: what a channel hands in, what goes out, and the
limits a channel puts on what the agent may say (channels/ adapters build and send them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Identity:
    """Who sent a message, as the channel knows them. kind: email|phone|slack|widget|user."""

    kind: str
    value: str
    display_name: str | None = None


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes
    inline: bool = False
    content_id: str | None = None


@dataclass
class InboundMessage:
    """One customer message, normalised. `external_id` is the idempotency key within `channel`.

    `thread_key` finds the open ticket of a conversation (email: root Message-ID, SMS: number pair,
    Slack: channel:thread_ts, widget: conversation id). `thread_refs` are further keys that may
    name an earlier message of ours (email References / In-Reply-To). `flags` mark noise the agent
    must not answer: auto_reply, bounce, malformed, opt_out, opt_in.
    """

    channel: str
    external_id: str
    thread_key: str
    sender: Identity
    text: str
    account_id: int | None = None  # the channel account (mailbox, number, Slack app) it came to
    html: str | None = None
    subject: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    thread_refs: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    received_at: datetime | None = None
    language: str | None = None
    raw: bytes | None = None  # kept verbatim where the provider gives it (email source)
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class OutboundMessage:
    """A reply to send into a ticket's thread (built by the send job from the stored message)."""

    channel: str
    ticket_id: int
    ticket_number: int
    message_id: int
    text: str
    recipient: Identity
    thread_key: str
    html: str | None = None
    subject: str | None = None
    thread_refs: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    automated: bool = False  # bot answers and acknowledgements (email: Auto-Submitted header)
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Receipt:
    """What the provider said: its id for the sent message (the external id we store)."""

    external_id: str
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Limits:
    max_text: int | None = None  # characters per provider message; longer text is split
    markdown: bool = False
    html: bool = False
    attachments: bool = False
    speech_only: bool = False
    threads: bool = True
