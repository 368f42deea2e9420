"""The bot's traces on a ticket: `agent.decision` events (why it answered, asked or escalated)
and `agent.review_requested` events (a draft waiting for an agent), as the bot reads them back."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.outbox.models import Event

DECISION_EVENT = "agent.decision"
REVIEW_EVENT = "agent.review_requested"
TRACE_EVENTS = (DECISION_EVENT, REVIEW_EVENT)

# A retried turn looks for its own trace among the ticket's latest ones (every job pays this).
_RECENT_TRACES = (
    select(Event.payload)
    .where(Event.ticket_id == bindparam("ticket_id"), Event.type.in_(TRACE_EVENTS))
    .order_by(Event.id.desc())
    .limit(50)
)
_DECISIONS = (
    select(Event.payload)
    .where(Event.ticket_id == bindparam("ticket_id"), Event.type == DECISION_EVENT)
    .order_by(Event.id.desc())
)


async def already_decided(session: AsyncSession, *, ticket_id: int, message_id: int) -> bool:
    """Did a turn on this message get as far as a decision or a review request?"""
    recent = await session.scalars(_RECENT_TRACES, {"ticket_id": ticket_id})
    return any(payload.get("message_id") == message_id for payload in recent)


async def last_escalation(session: AsyncSession, *, ticket_id: int) -> dict | None:
    """The trace of the bot's last escalation on the ticket, if it escalated at all."""
    decisions = await session.scalars(_DECISIONS, {"ticket_id": ticket_id})
    return next((p for p in decisions if p.get("action") == "escalate"), None)
