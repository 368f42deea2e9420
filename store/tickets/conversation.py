"""One channel conversation (a thread key) across its tickets: the ticket a conversation is on,
and the customer-visible messages it holds, in outbox-event order (the widget's replay)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.outbox.models import Event
from store.tickets.models import Message, Ticket


async def thread_of(session: AsyncSession, *, ticket_id: int, channel: str) -> str | None:
    """The ticket's thread key when the ticket is on `channel` (None otherwise, or if gone)."""
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None or ticket.channel != channel:
        return None
    return ticket.thread_key


async def get_message(session: AsyncSession, *, message_id: int) -> Message | None:
    return await session.get(Message, message_id)


async def message_events(
    session: AsyncSession,
    *,
    channel: str,
    thread_key: str,
    types: tuple[str, ...],
    after_id: int,
    limit: int,
) -> list[tuple[Event, Message]]:
    """The conversation's events of `types` after event `after_id`, oldest first, each with the
    message its payload names (events whose message is gone are left out)."""
    ticket_ids = select(Ticket.id).where(Ticket.channel == channel, Ticket.thread_key == thread_key)
    query = (
        select(Event)
        .where(Event.ticket_id.in_(ticket_ids), Event.type.in_(types), Event.id > after_id)
        .order_by(Event.id)
        .limit(limit)
    )
    rows = list(await session.scalars(query))
    ids = [row.payload["message_id"] for row in rows]
    found = await session.scalars(select(Message).where(Message.id.in_(ids)))
    messages = {m.id: m for m in found}
    return [
        (row, messages[row.payload["message_id"]])
        for row in rows
        if row.payload["message_id"] in messages
    ]
