"""Tickets as the bot reads them: the ticket of a turn with its contact, how often the bot
already replied, the agents' last answer (what the bot learns from), and a customer's open
tickets (its built-in tools). Reads only; the writes go through tickets.service."""

from __future__ import annotations

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.contacts.models import Contact
from store.tickets.models import OPEN_CATEGORIES, Message, Ticket

# Statements every bot turn runs, built once.
_WITH_CONTACT = (
    select(Ticket, Contact)
    .outerjoin(Contact, Contact.id == Ticket.contact_id)
    .where(Ticket.id == bindparam("ticket_id"))
)
_BOT_REPLIES = select(func.count()).where(
    Message.ticket_id == bindparam("ticket_id"), Message.author_kind == "bot"
)


async def find_ticket(session: AsyncSession, *, ticket_id: int) -> Ticket | None:
    """The ticket, or None when there is none (a job for a deleted ticket)."""
    return await session.get(Ticket, ticket_id)


async def get_with_contact(
    session: AsyncSession, *, ticket_id: int
) -> tuple[Ticket, Contact | None] | None:
    """The ticket and its contact (None without one) in one statement; None without a ticket."""
    row = (await session.execute(_WITH_CONTACT, {"ticket_id": ticket_id})).first()
    return (row[0], row[1]) if row is not None else None


async def count_bot_replies(session: AsyncSession, *, ticket_id: int) -> int:
    return int(await session.scalar(_BOT_REPLIES, {"ticket_id": ticket_id}) or 0)


async def last_agent_reply(session: AsyncSession, *, ticket_id: int) -> str:
    """The text of the agents' last reply on the ticket ("" when they wrote none)."""
    query = (
        select(Message.text)
        .where(Message.ticket_id == ticket_id, Message.author_kind == "agent")
        .order_by(Message.id.desc())
        .limit(1)
    )
    return (await session.scalar(query)) or ""


async def list_open_for_contact(session: AsyncSession, *, contact_id: int) -> list[Ticket]:
    """The contact's tickets that are not solved or closed, oldest first."""
    query = (
        select(Ticket)
        .where(Ticket.contact_id == contact_id, Ticket.status_category.in_(OPEN_CATEGORIES))
        .order_by(Ticket.id)
    )
    return list(await session.scalars(query))


async def recent_turns(
    session: AsyncSession, *, ticket_id: int, before_message_id: int, limit: int = 6
) -> list[tuple[str, str]]:
    """(author kind, text) of the ticket's last `limit` messages before the given one, oldest
    first: the conversation the bot reads a new message in (retrieval uses it)."""
    query = (
        select(Message.author_kind, Message.text)
        .where(
            Message.ticket_id == ticket_id,
            Message.id < before_message_id,
            Message.author_kind.in_(("customer", "agent", "bot")),
        )
        .order_by(Message.id.desc())
        .limit(limit)
    )
    rows = (await session.execute(query)).all()
    return [(kind, text) for kind, text in reversed(rows) if (text or "").strip()]
