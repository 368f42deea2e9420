"""Erasure of one contact (a GDPR right-to-erasure request): the person goes, the tickets'
skeleton stays for metrics.

Anonymised: the contact (name, addresses, identities, attributes), every message body and
subject on their tickets (the replies too: they quote and address the person), internal
notes, their attachments and raw emails (rows and, unless another message holds the same
bytes, files), rating comments, ticket subjects and thread keys, the free text in the
tickets' events and delivery records, the bot's saved conversation state, resolution
examples learnt from those tickets, the help articles the widget saw them open, portal
links and sessions. Kept: ticket rows with status,
channel, priority, times, tags; message rows with direction, author and times.

One transaction; files are removed before it commits, so a crash half-way leaves either
nothing done or rows pointing at missing files, and running it again finishes the work.
Running it on an erased contact changes nothing and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, cast, delete, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store import files
from store.actor import Actor
from store.agent.models import GraphBlob, GraphCheckpoint, GraphWrite
from store.contacts.models import Contact, ContactIdentity
from store.contacts.service import get
from store.db import utcnow
from store.knowledge.help import HelpArticleOpen
from store.knowledge.models import ResolutionExample
from store.outbox.models import Delivery, Event
from store.portal.models import PortalLink, PortalSession, TicketRating
from store.privacy.redact import ERASED, redact
from store.staff import audit
from store.tickets.models import Attachment, Message, Note, Ticket

MARK = "erased_at"


@dataclass(frozen=True)
class Erasure:
    contact_id: int
    erased_at: datetime
    tickets: int
    messages: int
    attachments: int
    already_erased: bool


async def erase_contact(session: AsyncSession, *, contact_id: int, actor: Actor) -> Erasure:
    contact = await get(session, contact_id=contact_id)
    already = MARK in contact.attributes and not contact.identities
    erased_at = datetime.fromisoformat(contact.attributes[MARK]) if already else utcnow()
    emails = {i.value for i in contact.identities if i.kind == "email"} | {contact.email or ""}
    ticket_ids = list(
        await session.scalars(select(Ticket.id).where(Ticket.contact_id == contact_id))
    )
    removed = await _attachments(session, ticket_ids)
    messages = await _messages(session, ticket_ids)
    await _tickets(session, ticket_ids)
    await _history(session, ticket_ids, contact_id)
    await _portal(session, emails - {""})
    await _anonymise(session, contact, erased_at)
    result = Erasure(contact_id, erased_at, len(ticket_ids), messages, removed, already)
    if not already or messages or removed:
        payload = {"contact_id": contact_id, "tickets": len(ticket_ids)}
        payload |= {"messages": messages, "attachments": removed}
        audit.record(session, "contact.erased", actor=actor, payload=payload)
    await session.flush()
    return result


async def _attachments(session: AsyncSession, ticket_ids: list[int]) -> int:
    """Delete the attachment rows, then each file no remaining row (nor raw email) uses."""
    on_tickets = select(Message.id).where(Message.ticket_id.in_(ticket_ids))
    rows = (
        await session.execute(
            select(Attachment.id, Attachment.sha256).where(Attachment.message_id.in_(on_tickets))
        )
    ).all()
    raws = [
        m.get("raw_sha256")
        for m in await session.scalars(
            select(Message.meta).where(Message.ticket_id.in_(ticket_ids))
        )
        if m and m.get("raw_sha256")
    ]
    if rows:
        await session.execute(delete(Attachment).where(Attachment.id.in_([r.id for r in rows])))
        await session.flush()
    digests = {r.sha256 for r in rows}
    still = (
        set(await session.scalars(select(Attachment.sha256).where(Attachment.sha256.in_(digests))))
        if digests
        else set()
    )
    for digest in (digests - still) | set(raws):
        files.path_for(digest).unlink(missing_ok=True)
    return len(rows)


async def _messages(session: AsyncSession, ticket_ids: list[int]) -> int:
    """Bodies and subjects redacted; the count is of messages not redacted before."""
    where = Message.ticket_id.in_(ticket_ids)
    todo = await session.scalar(
        select(func.count()).where(where, or_(Message.text != ERASED, Message.html.is_not(None)))
    )
    await session.execute(
        update(Message).where(where).values(text=ERASED, html=None, subject=None, meta={})
    )
    await session.execute(update(Note).where(Note.ticket_id.in_(ticket_ids)).values(body=ERASED))
    return todo or 0


async def _tickets(session: AsyncSession, ticket_ids: list[int]) -> None:
    threads = select(Ticket.thread_key).where(Ticket.id.in_(ticket_ids))
    await session.execute(delete(HelpArticleOpen).where(HelpArticleOpen.conversation.in_(threads)))
    # The thread key holds an address or a number: "erased:<id>" instead (one statement).
    await session.execute(
        update(Ticket)
        .where(Ticket.id.in_(ticket_ids))
        .values(subject=ERASED, thread_key=literal("erased:").concat(cast(Ticket.id, String)))
    )
    await session.execute(
        update(TicketRating).where(TicketRating.ticket_id.in_(ticket_ids)).values(comment="")
    )
    await session.execute(
        delete(ResolutionExample).where(ResolutionExample.ticket_id.in_(ticket_ids))
    )
    threads = [str(t) for t in ticket_ids]
    for model in (GraphWrite, GraphBlob, GraphCheckpoint):
        await session.execute(delete(model).where(model.thread_id.in_(threads)))


async def _history(session: AsyncSession, ticket_ids: list[int], contact_id: int) -> None:
    """Free text out of the tickets' events (and their deliveries) and the contact's own."""
    events = list(
        await session.scalars(
            select(Event).where(
                or_(
                    Event.ticket_id.in_(ticket_ids),
                    (Event.ticket_id.is_(None) & Event.type.like("contact.%")),
                )
            )
        )
    )
    events = [e for e in events if e.ticket_id is not None or _names(e, contact_id)]
    for event in events:
        event.payload = redact(event.payload)
        event.before = redact(event.before) if event.before else event.before
        event.after = redact(event.after) if event.after else event.after
        if event.actor_kind == "customer":
            event.actor_name = ERASED
    ids = [e.id for e in events]
    for delivery in await session.scalars(select(Delivery).where(Delivery.event_id.in_(ids))):
        delivery.args = redact(delivery.args)


def _names(event: Event, contact_id: int) -> bool:
    payload = event.payload or {}
    return contact_id in (payload.get("contact_id"), payload.get("merged_contact_id"))


async def _portal(session: AsyncSession, emails: set[str]) -> None:
    if not emails:
        return
    await session.execute(delete(PortalLink).where(PortalLink.email.in_(emails)))
    for row in await session.scalars(select(PortalSession)):
        if emails & set(row.emails):
            await session.delete(row)


async def _anonymise(session: AsyncSession, contact: Contact, erased_at: datetime) -> None:
    await session.execute(delete(ContactIdentity).where(ContactIdentity.contact_id == contact.id))
    contact.name, contact.email, contact.phone, contact.vip = "", None, None, False
    contact.attributes = {MARK: erased_at.isoformat()}
    await session.flush()
    await session.refresh(contact, ["identities"])
