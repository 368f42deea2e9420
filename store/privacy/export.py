"""Everything stored about one contact, as JSON (and the attachments to put beside it).

Tickets keep their internal notes: they are data about the person too (the portal never
shows them; an export for a data-access request does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.contacts.service import get
from store.db import utcnow
from store.portal.models import TicketRating
from store.tickets.models import Message, Note, Ticket

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class Export:
    data: dict[str, Any]
    files: list[tuple[str, str]] = field(default_factory=list)  # (path in the ZIP, sha256)


def zip_name(attachment_id: int, filename: str) -> str:
    """A ZIP member name that stays in its folder, whatever the sender called the file."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    safe = _UNSAFE.sub("_", base).strip("._")[:100] or "file"
    return f"attachments/{attachment_id}-{safe}"


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _message(message: Message, export: Export) -> dict[str, Any]:
    attachments = []
    for a in message.attachments:
        path = zip_name(a.id, a.filename)
        export.files.append((path, a.sha256))
        attachments.append(
            {
                "id": a.id,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "file": path,
            }  # fmt: skip
        )
    return {
        "id": message.id,
        "direction": message.direction,
        "author_kind": message.author_kind,
        "channel": message.channel,
        "subject": message.subject,
        "text": message.text,
        "html": message.html,
        "created_at": _iso(message.created_at),
        "attachments": attachments,
    }


async def _ticket(session: AsyncSession, ticket: Ticket, export: Export) -> dict[str, Any]:
    messages = await session.scalars(
        select(Message).where(Message.ticket_id == ticket.id).order_by(Message.id)
    )
    notes = await session.scalars(select(Note).where(Note.ticket_id == ticket.id).order_by(Note.id))
    rating = await session.get(TicketRating, ticket.id)
    return {
        "id": ticket.id,
        "subject": ticket.subject,
        "status": ticket.status,
        "channel": ticket.channel,
        "priority": ticket.priority,
        "tags": ticket.tags,
        "custom_fields": ticket.custom_fields,
        "created_at": _iso(ticket.created_at),
        "updated_at": _iso(ticket.updated_at),
        "solved_at": _iso(ticket.solved_at),
        "rating": {"score": rating.score, "comment": rating.comment} if rating else None,
        "messages": [_message(m, export) for m in messages],
        "notes": [{"body": n.body, "created_at": _iso(n.created_at)} for n in notes],
    }


async def export_contact(session: AsyncSession, *, contact_id: int) -> Export:
    contact = await get(session, contact_id=contact_id)
    export = Export(data={})
    tickets = await session.scalars(
        select(Ticket).where(Ticket.contact_id == contact.id).order_by(Ticket.id)
    )
    export.data = {
        "exported_at": utcnow().isoformat(),
        "contact": {
            "id": contact.id,
            "name": contact.name,
            "email": contact.email,
            "phone": contact.phone,
            "vip": contact.vip,
            "attributes": contact.attributes,
            "created_at": _iso(contact.created_at),
            "identities": [{"kind": i.kind, "value": i.value} for i in contact.identities],
        },
        "tickets": [await _ticket(session, t, export) for t in tickets],
    }
    return export
