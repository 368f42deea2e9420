"""Macros applied to a ticket: the canned reply and the field changes, in one transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from store.actor import Actor
from store.config import service as config
from store.tickets import service as tickets
from store.tickets.models import Message, Ticket
from store.tickets.schemas import TicketUpdate


async def apply_macro(
    session: AsyncSession, *, ticket_id: int, macro_id: int, actor: Actor
) -> tuple[Ticket, Message | None]:
    """Send the macro's reply (when it has one), then apply its actions; the caller's unit of
    work commits both or neither. Returns the ticket and the reply (None without a body)."""
    macro = await config.get_macro(session, macro_id=macro_id)
    message = None
    if macro.body:
        message = await tickets.reply(session, ticket_id=ticket_id, body=macro.body, actor=actor)
    ticket = await tickets.update(
        session, ticket_id=ticket_id, changes=TicketUpdate(**macro.actions), actor=actor
    )
    return ticket, message
