"""Triage of every inbound message (intent, priority, sentiment, language), whoever owns the
ticket: the newest per ticket, one row, for the queue and the brief."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from store.db import Base, utcnow

SUGGESTION_EVENT = "agent.suggestion"  # a reply drafted for the human who must answer


class TicketTriage(Base):
    """The triage of a ticket's newest inbound message."""

    __tablename__ = "ticket_triage"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    message_id: Mapped[int | None]
    intent: Mapped[str | None] = mapped_column(String(200))
    confidence: Mapped[float | None]
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    sentiment: Mapped[float] = mapped_column(default=0.0)
    language: Mapped[str | None] = mapped_column(String(10))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


FIELDS = ("intent", "confidence", "priority", "sentiment", "language")


async def record(session: AsyncSession, *, ticket_id: int, message_id: int, values: dict) -> None:
    """Keep this message's triage as the ticket's (an older message's never overwrites it)."""
    row = await session.get(TicketTriage, ticket_id)
    if row is None:
        row = TicketTriage(ticket_id=ticket_id)
        session.add(row)
    elif (row.message_id or 0) > message_id:
        return
    row.message_id = message_id
    for name in FIELDS:
        if name in values:
            setattr(row, name, values[name])
    row.updated_at = utcnow()
    await session.flush()


async def already_triaged(session: AsyncSession, *, ticket_id: int, message_id: int) -> bool:
    row = await session.get(TicketTriage, ticket_id)
    return row is not None and (row.message_id or 0) >= message_id


async def for_tickets(session: AsyncSession, *, ticket_ids: Iterable[int]) -> dict[int, dict]:
    """ticket id -> {"intent", "confidence", "priority", "sentiment", "language"}."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return {}
    rows = await session.scalars(select(TicketTriage).where(TicketTriage.ticket_id.in_(ids)))
    return {r.ticket_id: {n: getattr(r, n) for n in FIELDS} for r in rows}
