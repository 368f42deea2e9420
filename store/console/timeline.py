"""One customer's whole conversation for the console: messages of all their tickets, on every
channel, with the notes and the audit trail of the ticket at hand, in time order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.outbox.models import Event
from store.tickets.models import Message, Note, Ticket

MAX_MESSAGES = 300
# Events shown as audit lines; the rest (message.received, note.created, ...) duplicate an item
# already in the timeline or only move a delivery state that the message itself shows.
AUDIT_TYPES = (
    "ticket.updated",
    "ticket.assigned",  # with the assignment's reason (store/assignment)
    "ticket.queued",
    "message.edited",
    "message.deleted",
)
AUDIT_PREFIXES = ("agent.",)


@dataclass(frozen=True)
class Item:
    kind: str  # message | note | event
    at: datetime
    ticket_id: int
    row: Any

    @property
    def key(self) -> tuple:
        return (self.at, {"message": 0, "note": 1, "event": 2}[self.kind], self.row.id)


def _is_audit(event_type: str) -> bool:
    return event_type in AUDIT_TYPES or event_type.startswith(AUDIT_PREFIXES)


async def related_tickets(session: AsyncSession, *, ticket: Ticket) -> list[Ticket]:
    """The contact's tickets (this one included), newest first."""
    if ticket.contact_id is None:
        return [ticket]
    query = select(Ticket).where(Ticket.contact_id == ticket.contact_id).order_by(Ticket.id.desc())
    return list(await session.scalars(query.limit(100)))


async def timeline(
    session: AsyncSession, *, ticket: Ticket, ticket_ids: list[int], events: list[Event]
) -> list[Item]:
    """Messages and notes of `ticket_ids` (the latest MAX_MESSAGES messages), plus the audit
    lines among `events` (the ticket's own), oldest first."""
    messages = list(
        await session.scalars(
            select(Message)
            .where(Message.ticket_id.in_(ticket_ids))
            .order_by(Message.id.desc())
            .limit(MAX_MESSAGES)
        )
    )
    notes = await session.scalars(select(Note).where(Note.ticket_id.in_(ticket_ids)))
    items = [Item("message", m.created_at, m.ticket_id, m) for m in messages]
    items += [Item("note", n.created_at, n.ticket_id, n) for n in notes]
    items += [Item("event", e.created_at, ticket.id, e) for e in events if _is_audit(e.type)]
    return sorted(items, key=lambda item: item.key)
