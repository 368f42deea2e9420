"""A signed-in customer's tickets: those of every contact owning an address they verified.

Another customer's ticket is simply not found (NotFound, never Forbidden), so guessing ids
tells nothing. Internal notes live in their own table and are never read here.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.actor import Actor
from store.contacts.models import Contact, ContactIdentity
from store.db import utcnow
from store.errors import Invalid, NotFound
from store.outbox.service import emit
from store.portal.models import TicketRating
from store.tickets import service as tickets
from store.tickets.models import Attachment, Message, Ticket
from store.tickets.schemas import TicketUpdate


async def owners(session: AsyncSession, *, emails: list[str]) -> dict[int, str]:
    """contact id -> the verified address it owns."""
    if not emails:
        return {}
    rows = await session.execute(
        select(ContactIdentity.contact_id, ContactIdentity.value).where(
            ContactIdentity.kind == "email", ContactIdentity.value.in_(emails)
        )
    )
    return dict(rows.all())


async def list_tickets(
    session: AsyncSession, *, emails: list[str], limit: int = 200
) -> list[Ticket]:
    """The newest first (the portal shows the latest `limit`)."""
    contact_ids = list(await owners(session, emails=emails))
    if not contact_ids:
        return []
    rows = await session.scalars(
        select(Ticket)
        .where(Ticket.contact_id.in_(contact_ids))
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
        .limit(limit)
    )
    return list(rows)


async def get_ticket(session: AsyncSession, *, emails: list[str], ticket_id: int) -> Ticket:
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None or ticket.contact_id not in await owners(session, emails=emails):
        raise NotFound(f"ticket {ticket_id} does not exist")
    return ticket


async def conversation(session: AsyncSession, *, ticket_id: int) -> list[Message]:
    """The messages in and out, oldest first (notes are not messages: never shown)."""
    rows = await session.scalars(
        select(Message).where(Message.ticket_id == ticket_id).order_by(Message.id)
    )
    return list(rows)


async def customer_actor(session: AsyncSession, *, ticket: Ticket) -> Actor:
    contact = await session.get(Contact, ticket.contact_id)
    return Actor(
        "customer", ticket.contact_id, (contact.name or contact.email or "") if contact else ""
    )


async def close(session: AsyncSession, *, emails: list[str], ticket_id: int) -> Ticket:
    ticket = await get_ticket(session, emails=emails, ticket_id=ticket_id)
    if ticket.status_category == "closed":
        return ticket
    actor = await customer_actor(session, ticket=ticket)
    return await tickets.update(
        session, ticket_id=ticket.id, changes=TicketUpdate(status="closed"), actor=actor
    )


async def get_rating(session: AsyncSession, *, ticket_id: int) -> TicketRating | None:
    return await session.get(TicketRating, ticket_id)


async def rate(
    session: AsyncSession, *, emails: list[str], ticket_id: int, score: int, comment: str = ""
) -> TicketRating:
    """CSAT 1-5 on a solved or closed ticket; rating again replaces the score."""
    if not 1 <= score <= 5:
        raise Invalid("the score is 1 to 5")
    ticket = await get_ticket(session, emails=emails, ticket_id=ticket_id)
    if ticket.status_category not in ("solved", "closed"):
        raise Invalid("a ticket is rated once it is solved or closed")
    rating = await session.get(TicketRating, ticket.id)
    if rating is None:
        rating = TicketRating(ticket_id=ticket.id, score=score, comment=comment[:2000])
        session.add(rating)
    else:
        rating.score, rating.comment, rating.updated_at = score, comment[:2000], utcnow()
    actor = await customer_actor(session, ticket=ticket)
    payload = {"score": score, "comment": comment[:2000]}
    emit(session, "ticket.rated", actor=actor, ticket_id=ticket.id, payload=payload)
    await session.flush()
    return rating


async def get_attachment(
    session: AsyncSession, *, emails: list[str], ticket_id: int, attachment_id: int
) -> Attachment:
    """A file on one of the customer's tickets (any other id: NotFound)."""
    ticket = await get_ticket(session, emails=emails, ticket_id=ticket_id)
    found = await session.scalar(
        select(Attachment)
        .join(Message, Message.id == Attachment.message_id)
        .where(Attachment.id == attachment_id, Message.ticket_id == ticket.id)
    )
    if found is None:
        raise NotFound(f"attachment {attachment_id} does not exist")
    return found
