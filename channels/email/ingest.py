"""Where a fetched email goes: loop guards, bounces onto our sent message, then the ticket store.

`deliver` is the IMAP poller's sink. It returns once the message is committed (the ingest
writer's group commit), so the poller flags it \\Seen only afterwards. Re-reading a message is
harmless: the store is idempotent on the Message-ID (or the content hash when it is missing).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.exc import DataError

from channels.email.guard import guard_for
from channels.email.parse import malformed
from channels.email.text import decode_bytes
from store import files
from store.db import Database
from store.messages import InboundMessage
from store.tickets import delivery
from store.tickets import service as tickets

log = logging.getLogger(__name__)

# The one flag the agent job checks before answering an email: set on auto-replies, bounces,
# mail from our own address, complaints, unparseable mail, senders over the rate limit and
# senders whose automatic-reply cap is reached. The reason is in meta["no_bot_answer"].
NO_BOT_ANSWER = "no_bot_answer"
MAX_REFS = 50

Submit = Callable[[InboundMessage], Awaitable[Any]]


async def deliver(db: Database, submit: Submit, inbound: InboundMessage) -> None:
    """Commit one fetched email (as a ticket message, or as a bounce on our sent message)."""
    fit_columns(inbound)
    guard = guard_for(inbound.account_id)
    guard.note_inbound(inbound)  # a sender over the limit gets "rate_limited"
    if "bounce" in inbound.flags and await record_bounce(db, inbound):
        return
    allowed, reason = guard.should_bot_answer(inbound)
    if not allowed:
        inbound.flags.add(NO_BOT_ANSWER)
        inbound.meta[NO_BOT_ANSWER] = reason
    await store_files(inbound)
    try:
        await submit(inbound)
    except Exception as exc:
        if not _refused_content(exc) or inbound.raw is None:
            raise  # the message stays unseen and is fetched again
        # The store refused this message's content: keep it raw and flagged instead.
        log.warning("email %s refused (%s); stored raw", inbound.external_id, exc)
        await submit(_as_raw(inbound, f"could not store the parsed message: {exc}"[:500]))


# Content-addressed writes in flight, so two emails with the same logo never race on one file.
_writing: dict[str, asyncio.Future] = {}


async def store_files(inbound: InboundMessage) -> None:
    """Write the raw email and its attachments before the ingest does, in worker threads.

    Each write is fsynced (~5 ms here); the ingest writer's one task would do them one after
    the other, while threads overlap them (1,000 emails: ~5 s -> ~1.3 s). The ingest then finds
    the files stored (same bytes, same name) and only records them.
    """
    blobs = [inbound.raw, *(item.data for item in inbound.attachments)]
    await asyncio.gather(*(_put(blob) for blob in blobs if blob is not None))


async def _put(data: bytes) -> None:
    digest = hashlib.sha256(data).hexdigest()
    if files.path_for(digest).exists():
        return
    pending = _writing.get(digest)
    if pending is None:
        pending = _writing[digest] = asyncio.ensure_future(asyncio.to_thread(files.put, data))
        pending.add_done_callback(lambda _: _writing.pop(digest, None))
    await asyncio.shield(pending)


def _refused_content(exc: Exception) -> bool:
    """Did the store refuse what this email says (a value it cannot hold), rather than fail
    for a reason that passes (lock, deadlock, a race with another writer, a lost connection)?
    Only the first is kept raw; anything else is retried, or it would open a stray ticket."""
    return isinstance(exc, DataError | UnicodeError | ValueError)


def _as_raw(inbound: InboundMessage, reason: str) -> InboundMessage:
    kept = malformed(inbound.raw, reason)
    kept.external_id = inbound.external_id  # re-reading it must still find this one
    kept.account_id = inbound.account_id
    kept.flags.add(NO_BOT_ANSWER)
    kept.meta.update({NO_BOT_ANSWER: "malformed", "imap_uid": inbound.meta.get("imap_uid")})
    fit_columns(kept)
    return kept


async def record_bounce(db: Database, inbound: InboundMessage) -> bool:
    """A DSN about a message we sent: mark that message failed on its ticket. False when the
    bounce names no message of ours (it is then stored like any other flagged email)."""
    bounced = inbound.meta.get("bounced_message_id")
    if not bounced:
        return False
    async with db.uow() as session:
        message = await tickets.get_message_by_external_id(
            session, channel=inbound.channel, external_id=bounced
        )
        if message is None or message.direction != "out":
            return False
        report = {
            key: inbound.meta[key]
            for key in ("bounce_status", "bounce_action", "bounce_diagnostic", "bounce_recipient")
            if key in inbound.meta
        }
        report["external_id"] = inbound.external_id
        if inbound.raw is not None:
            report["raw_sha256"] = files.put(inbound.raw)
        message.meta = {**message.meta, "bounce": report}
        if message.delivery_status != "failed":  # a re-read bounce changes nothing
            await delivery.mark_status(
                session, message=message, status="failed", error=_bounce_error(report)
            )
    return True


def _bounce_error(report: dict[str, str]) -> str:
    detail = report.get("bounce_diagnostic") or report.get("bounce_status") or "no reason given"
    to = report.get("bounce_recipient", "").split(";")[-1].strip()
    return f"bounced{f' by {to}' if to else ''}: {detail}"[:2000]


# --- fitting a parsed email into the columns ----------------------------------------------


def fit_columns(inbound: InboundMessage) -> None:
    """Clean text (NULs, undecodable header bytes) and keep keys within their column sizes."""
    inbound.external_id = _key(clean(inbound.external_id))
    inbound.thread_key = _key(clean(inbound.thread_key))
    inbound.thread_refs = [clean(ref) for ref in inbound.thread_refs][-MAX_REFS:]
    inbound.subject = clean(inbound.subject)[:500] if inbound.subject else inbound.subject
    inbound.text = clean(inbound.text)
    inbound.html = clean(inbound.html) if inbound.html else inbound.html
    display = clean(inbound.sender.display_name or "")[:200] or None
    value = clean(inbound.sender.value)[:320]
    if (value, display) != (inbound.sender.value, inbound.sender.display_name):
        inbound.sender = type(inbound.sender)(inbound.sender.kind, value, display)
    inbound.meta = clean(inbound.meta)
    for index, item in enumerate(inbound.attachments):
        name, ctype = clean(item.filename)[:300], clean(item.content_type)[:200]
        if (name, ctype) != (item.filename, item.content_type):
            inbound.attachments[index] = type(item)(
                name, ctype, item.data, inline=item.inline, content_id=item.content_id
            )


def _key(value: str) -> str:
    # Message-IDs are short in practice; a monstrous one is still a stable key once hashed.
    return value if len(value) <= 500 else "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def clean(value: Any) -> Any:
    """Strings safe for both databases: no NUL, no lone surrogates (8-bit header bytes)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raw = value.encode("utf-8", "surrogateescape" if _escaped(value) else "replace")
            value = decode_bytes(raw, None)
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


def _escaped(value: str) -> bool:
    return all(not 0xD800 <= ord(c) <= 0xDFFF or 0xDC80 <= ord(c) <= 0xDCFF for c in value)
