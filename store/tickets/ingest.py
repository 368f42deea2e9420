"""Inbound messages: the one path every channel's customer message takes into the store."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from channels.base import InboundMessage
from store import files
from store.actor import Actor
from store.contacts import service as contacts
from store.db import utcnow
from store.html import sanitize_html
from store.outbox.models import Event
from store.outbox.service import emit
from store.tickets import service as tickets
from store.tickets.models import Message, Ticket

# In these channels several people talk in one thread (a Slack thread); elsewhere a thread is
# one customer's, so another sender's reply never lands on their ticket.
MULTI_PARTY_CHANNELS = {"slack"}
REOPENABLE = ("new", "open", "pending", "solved")


@dataclass
class IngestResult:
    ticket: Ticket
    message: Message
    duplicate: bool
    created_ticket: bool
    event: Event  # the message.received event: its id orders the conversation (widget seq)


async def _received_event(session: AsyncSession, message: Message) -> Event:
    """The message.received event of an already stored message (only a redelivery asks)."""
    rows = await session.scalars(
        select(Event)
        .where(Event.ticket_id == message.ticket_id, Event.type == "message.received")
        .order_by(Event.id.desc())
    )
    return next(e for e in rows if e.payload.get("message_id") == message.id)


def _same_party(ticket: Ticket | None, inbound: InboundMessage, contact_id: int) -> bool:
    if ticket is None:
        return False
    return inbound.channel in MULTI_PARTY_CHANNELS or ticket.contact_id == contact_id


async def _by_refs(session: AsyncSession, inbound: InboundMessage) -> Ticket | None:
    if not inbound.thread_refs:
        return None
    return await session.scalar(
        select(Ticket)
        .join(Message, Message.ticket_id == Ticket.id)
        .where(Message.channel == inbound.channel, Message.external_id.in_(inbound.thread_refs))
        .order_by(Message.id.desc())
        .limit(1)
    )


async def find_ticket(
    session: AsyncSession, inbound: InboundMessage, contact_id: int
) -> Ticket | None:
    """References to our messages first, then a ticket token in the subject, then the thread."""
    ticket = await _by_refs(session, inbound)
    if _same_party(ticket, inbound, contact_id) and ticket.status_category != "closed":
        return ticket
    number = inbound.meta.get("ticket_number")
    if isinstance(number, int):
        ticket = await tickets.get_by_number(session, number=number)
        if _same_party(ticket, inbound, contact_id) and ticket.status_category != "closed":
            return ticket
    ticket = await tickets.latest_by_thread(
        session, channel=inbound.channel, thread_key=inbound.thread_key, categories=REOPENABLE
    )
    return ticket if _same_party(ticket, inbound, contact_id) else None


def _message(inbound: InboundMessage, ticket_id: int) -> Message:
    meta = dict(inbound.meta)
    if inbound.raw is not None:
        meta["raw_sha256"] = files.put(inbound.raw)
    if inbound.language:
        meta["language"] = inbound.language
    return Message(
        ticket_id=ticket_id,
        direction="in",
        author_kind="customer",
        channel=inbound.channel,
        external_id=inbound.external_id,
        client_id=meta.pop("client_id", None),
        subject=inbound.subject,
        text=inbound.text,
        html=sanitize_html(inbound.html) if inbound.html else None,
        flags=sorted(inbound.flags),
        meta=meta,
        delivery_status="received",
        created_at=inbound.received_at or utcnow(),
        attachments=[
            tickets.attachment_row(a.filename, a.content_type, a.data, inline=a.inline)
            for a in inbound.attachments
        ],
    )


async def ingest(session: AsyncSession, *, inbound: InboundMessage) -> IngestResult:
    """Store one inbound message, idempotent on (channel, external_id)."""
    existing = await tickets.get_message_by_external_id(
        session, channel=inbound.channel, external_id=inbound.external_id
    )
    if existing is not None:
        ticket = await tickets.get(session, ticket_id=existing.ticket_id)
        event = await _received_event(session, existing)
        return IngestResult(ticket, existing, duplicate=True, created_ticket=False, event=event)
    contact = await contacts.resolve(session, identity=inbound.sender)
    actor = Actor("customer", contact.id, contact.name or inbound.sender.value)
    ticket = await find_ticket(session, inbound, contact.id)
    created = ticket is None
    if created:
        subject = inbound.subject or inbound.text.strip().split("\n", 1)[0][:80] or "(no subject)"
        ticket = await tickets.open_ticket(
            session,
            channel=inbound.channel,
            subject=subject,
            contact_id=contact.id,
            actor=actor,
            thread_key=inbound.thread_key,
            channel_account_id=inbound.account_id,
        )
        ticket.language = inbound.language
    else:
        ticket.updated_at = utcnow()
        if "auto_reply" not in inbound.flags and "bounce" not in inbound.flags:
            await tickets.reopen(session, ticket=ticket, actor=actor)
    message = _message(inbound, ticket.id)
    session.add(message)
    await session.flush()
    event = emit(
        session,
        "message.received",
        actor=actor,
        ticket_id=ticket.id,
        payload={
            "message_id": message.id,
            "channel": inbound.channel,
            "flags": sorted(inbound.flags),
            "text": inbound.text[:2000],
            "contact_id": contact.id,
            "created_ticket": created,
        },
    )
    return IngestResult(ticket, message, duplicate=False, created_ticket=created, event=event)
