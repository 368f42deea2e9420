"""Reading email headers that may be broken: text, Message-ID lists and addresses, never raising."""

from __future__ import annotations

import re
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr

from channels.email.text import decode_bytes

_MSGID = re.compile(r"<[^<>\s]+>")


def header_text(msg: Message, name: str) -> str:
    """The header's decoded text, or "" when absent; falls back to the raw value if it is broken."""
    try:
        value = msg.get(name)
        return "" if value is None else str(value)
    except Exception:  # the default policy parses lazily and can fail on odd headers
        return _raw_header(msg, name)


def _raw_header(msg: Message, name: str) -> str:
    for key, value in msg.raw_items() if hasattr(msg, "raw_items") else msg.items():
        if key.lower() == name.lower():
            return _decode_words(str(value))
    return ""


def _decode_words(value: str) -> str:
    try:
        return str(make_header(decode_header(value)))
    except Exception:
        chunks = []
        for data, charset in decode_header(value):
            raw = data if isinstance(data, bytes) else data.encode("utf-8", "replace")
            chunks.append(decode_bytes(raw, charset))
        return "".join(chunks)


def message_ids(value: str) -> list[str]:
    """Message-IDs in a header value, in order, as "<id>"; bare ids get their brackets back."""
    found = _MSGID.findall(value)
    if not found:
        found = [f"<{token.strip('<>')}>" for token in value.split() if "@" in token]
    seen: dict[str, None] = {}
    for item in found:
        seen.setdefault(item, None)
    return list(seen)


def sender_address(msg: Message) -> tuple[str, str | None]:
    """(lowercased address, display name) of From, falling back to Sender and Return-Path."""
    for name in ("from", "sender", "return-path"):
        display, address = parseaddr(header_text(msg, name))
        if "@" in address:
            return address.strip().lower(), (display.strip() or None)
    return "", None


def addresses(msg: Message, name: str) -> list[str]:
    """Lowercased addresses listed in To/Cc/Reply-To style headers."""
    pairs = getaddresses([header_text(msg, name)])
    return [address.lower() for _display, address in pairs if "@" in address]
