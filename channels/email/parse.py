"""Raw RFC 822 bytes -> InboundMessage: bodies, attachments, threading and noise flags. Pure."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from email import errors as email_errors
from email import policy
from email.headerregistry import HeaderRegistry
from email.message import Message
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

from channels.email.flags import (
    Parts,
    auto_reply_reason,
    bounce_meta,
    is_bounce,
    mime_parts,
    report_type,
)
from channels.email.headers import addresses, header_text, message_ids, sender_address
from channels.email.limits import NAME
from channels.email.oversize import skip_oversized, source_without
from channels.email.text import decode_bytes, html_to_text, split_reply
from store.html import sanitize_html
from store.messages import Attachment, Identity, InboundMessage

log = logging.getLogger(__name__)

_TICKET_TOKEN = re.compile(r"\[#(\d{1,12})\]")
# Defects after which the structure we read cannot be trusted (others are cosmetic).
_SEVERE_DEFECTS = (
    email_errors.StartBoundaryNotFoundDefect,
    email_errors.MultipartInvariantViolationDefect,
    email_errors.NoBoundaryInMultipartDefect,
    email_errors.MissingHeaderBodySeparatorDefect,
)


class _CachingRegistry(HeaderRegistry):
    """The default policy re-parses a header on every access (Content-Type ~25 times per
    message); header objects are immutable, so parse each distinct one once."""

    def __init__(self, size: int = 20000) -> None:
        super().__init__()
        self._size = size
        self._cache: dict[tuple[str, str], object] = {}

    def __call__(self, name, value):
        key = (name.lower(), value)
        header = self._cache.get(key)
        if header is None:
            if len(self._cache) >= self._size:
                self._cache.clear()
            header = self._cache[key] = super().__call__(name, value)
        return header


_POLICY = policy.default.clone(header_factory=_CachingRegistry())


@dataclass
class _Body:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    parts: list[Message] = field(default_factory=list)  # the MIME part of each attachment


@dataclass(frozen=True)
class SizeLimits:
    """`max_attachment_bytes`: larger attachments are left out (noted in meta). `cut_at`: the
    source was fetched only up to that many bytes (the IMAP poller's cap), so it ends inside
    its last part."""

    max_attachment_bytes: int | None = None
    cut_at: int | None = None


def parse_email(
    raw: bytes, *, our_addresses: Iterable[str] = (), limits: SizeLimits | None = None
) -> InboundMessage:
    """Parse one raw email. Never raises: unreadable input comes back flagged "malformed"."""
    try:
        msg = BytesParser(policy=_POLICY).parsebytes(raw)
        return _inbound(msg, raw, {a.lower() for a in our_addresses}, limits or SizeLimits())
    except Exception:  # one bad email must never stop a poller; keep its bytes for a human
        log.warning("unparseable email (%d bytes)", len(raw), exc_info=True)
        return malformed(raw, "parse error")


def raw_id(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def malformed(raw: bytes, reason: str) -> InboundMessage:
    """The email kept as raw bytes and flagged, for a person to read: nothing is dropped."""
    key = raw_id(raw)
    return InboundMessage(
        channel=NAME,
        external_id=key,
        thread_key=key,
        sender=Identity("email", "", None),
        text=decode_bytes(raw[:20000], "utf-8"),
        flags={"malformed"},
        raw=raw,
        meta={"malformed_reason": reason},
    )


def _inbound(msg: Message, raw: bytes, ours: set[str], limits: SizeLimits) -> InboundMessage:
    own_ids = message_ids(header_text(msg, "message-id"))
    external_id = own_ids[0] if own_ids else raw_id(raw)
    refs = message_ids(header_text(msg, "references"))
    reply_to = message_ids(header_text(msg, "in-reply-to"))
    thread_refs = list(dict.fromkeys(refs + reply_to))
    thread_key = (refs or reply_to or [external_id])[0]
    address, display = sender_address(msg)
    subject = " ".join(header_text(msg, "subject").split()) or None
    body = _Body()
    _collect(msg, body)
    skipped = _apply_limits(msg, body, limits)
    full_text, html = _texts(body)
    inbound = InboundMessage(
        channel=NAME,
        external_id=external_id,
        thread_key=thread_key,
        sender=Identity("email", address, display),
        text=split_reply(full_text) if full_text else "",
        html=html,
        subject=subject,
        attachments=body.attachments,
        thread_refs=thread_refs,
        received_at=_date(msg),
        language=_language(msg),
        raw=raw,
        meta=_meta(msg, full_text, subject),
    )
    if skipped:
        inbound.meta["attachments_skipped"] = skipped
        inbound.raw = source_without(msg, body.parts, raw, limits.max_attachment_bytes or len(raw))
    if limits.cut_at is not None:
        inbound.meta["cut_at"] = limits.cut_at
    parts = mime_parts(msg)
    inbound.flags = _flags(msg, parts, inbound, ours)
    if "bounce" in inbound.flags:
        inbound.meta.update(bounce_meta(parts, full_text))
    return inbound


def _collect(part: Message, body: _Body) -> None:
    """Walk the MIME tree; attached messages are kept whole, not read as our body."""
    ctype = part.get_content_type()
    if part.is_multipart() and ctype.startswith("multipart/"):
        for child in part.iter_parts():
            _collect(child, body)
        return
    if ctype.startswith("multipart/"):  # boundary missing: the parts are unreadable, keep text
        body.plain.append(_part_text(part))
        return
    disposition = (part.get_content_disposition() or "").lower()
    filename = _filename(part)
    is_text = ctype in ("text/plain", "text/html")
    if is_text and disposition != "attachment" and not filename:
        target = body.plain if ctype == "text/plain" else body.html
        target.append(_part_text(part))
    elif ctype not in ("message/delivery-status", "text/rfc822-headers", "message/rfc822") or (
        disposition == "attachment"
    ):
        body.attachments.append(_attachment(part, ctype, disposition, filename))
        body.parts.append(part)


def _apply_limits(msg: Message, body: _Body, limits: SizeLimits) -> list[dict]:
    """Leave out attachments over the limit, or cut off by a partial fetch; returns notes on
    them, and leaves in `body.parts` the MIME parts to cut out of the kept source."""
    if limits.max_attachment_bytes is None and limits.cut_at is None:
        return []
    leaves = [p for p in msg.walk() if not p.is_multipart()]
    kept, skipped, cut = skip_oversized(
        body.attachments,
        body.parts,
        max_bytes=limits.max_attachment_bytes,
        cut_at=limits.cut_at,
        last_leaf=leaves[-1] if leaves else None,
    )
    body.attachments, body.parts = kept, cut
    return skipped


def _part_text(part: Message) -> str:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return str(part.get_payload() or "")
    return decode_bytes(data, part.get_content_charset())


def _filename(part: Message) -> str | None:
    try:
        return part.get_filename()
    except Exception:
        return None


def _attachment(part: Message, ctype: str, disposition: str, filename: str | None) -> Attachment:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):  # message/rfc822 attachments: keep the message source
        inner = part.get_payload()
        data = inner[0].as_bytes() if isinstance(inner, list) and inner else b""
    content_id = header_text(part, "content-id").strip().strip("<>") or None
    inline = disposition == "inline" or (content_id is not None and disposition != "attachment")
    name = filename or _default_name(ctype, content_id)
    return Attachment(name, ctype, data, inline=inline, content_id=content_id)


def _default_name(ctype: str, content_id: str | None) -> str:
    extension = {"message/rfc822": "eml", "text/plain": "txt", "text/html": "html"}.get(
        ctype, ctype.split("/")[-1] or "bin"
    )
    return f"{content_id or 'attachment'}.{extension}"


def _texts(body: _Body) -> tuple[str, str | None]:
    html = sanitize_html("\n".join(body.html)) if body.html else None
    plain = "\n\n".join(text.strip() for text in body.plain if text.strip())
    if not plain and body.html:
        plain = html_to_text("\n".join(body.html))
    return plain.replace("\r\n", "\n"), html


def _flags(msg: Message, parts: Parts, inbound: InboundMessage, ours: set[str]) -> set[str]:
    flags: set[str] = set()
    reason = auto_reply_reason(msg)
    if reason:
        flags.add("auto_reply")
        inbound.meta["auto_reply_reason"] = reason
    if is_bounce(msg, parts, inbound.sender.value):
        flags.add("bounce")
    kind = report_type(parts)
    if kind in ("feedback-report", "disposition-notification"):
        flags.update({"auto_reply", "complaint"} if kind == "feedback-report" else {"auto_reply"})
    if inbound.sender.value and inbound.sender.value in ours:
        flags.add("from_self")
    problem = _malformed_reason(parts, inbound)
    if problem:
        flags.add("malformed")
        inbound.meta["malformed_reason"] = problem
    return flags


def _malformed_reason(parts: Parts, inbound: InboundMessage) -> str | None:
    severe = [
        type(d).__name__
        for part, _ in parts
        for d in part.defects
        if isinstance(d, _SEVERE_DEFECTS)
    ]
    if severe:
        return "defects: " + ", ".join(sorted(set(severe)))
    if not inbound.sender.value:
        return "no sender address"
    return None


def _meta(msg: Message, full_text: str, subject: str | None) -> dict:
    meta: dict = {"full_text": full_text, "to": addresses(msg, "to"), "cc": addresses(msg, "cc")}
    reply_to = addresses(msg, "reply-to")
    if reply_to:
        meta["reply_to"] = reply_to[0]
    token = _TICKET_TOKEN.search(subject or "")
    if token:
        meta["ticket_number"] = int(token.group(1))
    defects = sorted({type(d).__name__ for part in msg.walk() for d in part.defects})
    if defects:
        meta["defects"] = defects
    return meta


def _date(msg: Message):
    try:
        value = header_text(msg, "date")
        return parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, IndexError):
        return None


def _language(msg: Message) -> str | None:
    value = header_text(msg, "content-language").strip()
    return value.split(",")[0].strip()[:16] or None if value else None
