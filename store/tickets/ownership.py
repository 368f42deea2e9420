"""One owner per ticket: the bot answers only while it owns the ticket; humans take it over by
escalation or by replying, and hand it back on purpose."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.actor import Actor
from store.errors import Conflict
from store.tickets import service as tickets
from store.tickets.models import Ticket
from store.tickets.schemas import TicketUpdate


async def locked(session: AsyncSession, *, ticket_id: int) -> Ticket | None:
    """The ticket, re-read and row-locked for this transaction (PostgreSQL `FOR UPDATE`; on
    SQLite the transaction already holds the database's write lock)."""
    query = (
        select(Ticket)
        .where(Ticket.id == ticket_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return await session.scalar(query)


async def bot_owned(session: AsyncSession, *, ticket_id: int) -> Ticket | None:
    """The ticket when the bot owns it, else None. Call it in the transaction that writes the
    bot's reply, so a human who took over a moment ago is never answered over."""
    ticket = await locked(session, ticket_id=ticket_id)
    return ticket if ticket is not None and ticket.owner == "bot" else None


async def hand_to_human(session: AsyncSession, *, ticket_id: int, actor: Actor) -> bool:
    """Humans own the ticket from now on; True when this call made the change (so the caller
    sends the one handoff message), False when humans already owned it."""
    ticket = await locked(session, ticket_id=ticket_id)
    if ticket is None or ticket.owner == "human":
        return False
    await tickets.update(
        session, ticket_id=ticket_id, changes=TicketUpdate(owner="human"), actor=actor
    )
    return True


async def hand_back(session: AsyncSession, *, ticket_id: int, actor: Actor) -> Ticket:
    """An agent gives the conversation back to the bot."""
    ticket = await locked(session, ticket_id=ticket_id)
    if ticket is None:
        return await tickets.get(session, ticket_id=ticket_id)  # raises NotFound
    if ticket.owner == "bot":
        raise Conflict(f"ticket {ticket_id} is already answered by the bot")
    return await tickets.update(
        session, ticket_id=ticket_id, changes=TicketUpdate(owner="bot"), actor=actor
    )
