"""Learning from humans: when agents solve a ticket the bot escalated, the customer's question
and the agents' answer become a resolution example, pending an admin's approval."""

from __future__ import annotations

from sqlalchemy import select

from agent_graph.trace import DECISION_EVENT
from store.actor import SYSTEM
from store.db import Database
from store.knowledge.examples import capture_example
from store.knowledge.models import ResolutionExample
from store.outbox.models import Event
from store.tickets.models import Message, Ticket


async def _escalation(session, ticket_id: int) -> dict | None:
    """The bot's last escalation on the ticket (its trace), if it escalated at all."""
    rows = await session.scalars(
        select(Event)
        .where(Event.ticket_id == ticket_id, Event.type == DECISION_EVENT)
        .order_by(Event.id.desc())
    )
    return next((e.payload for e in rows if e.payload.get("action") == "escalate"), None)


async def _agent_answer(session, ticket_id: int) -> str:
    """The agents' last reply on the ticket (what resolved it)."""
    query = (
        select(Message.text)
        .where(Message.ticket_id == ticket_id, Message.author_kind == "agent")
        .order_by(Message.id.desc())
        .limit(1)
    )
    return (await session.scalar(query)) or ""


async def _already_learned(session, ticket_id: int) -> bool:
    """An example from this ticket that an admin already decided on (pending ones update)."""
    query = select(ResolutionExample.id).where(
        ResolutionExample.ticket_id == ticket_id,
        ResolutionExample.source == "ticket",
        ResolutionExample.status != "pending",
    )
    return (await session.scalar(query.limit(1))) is not None


async def capture_resolution(db: Database, ticket_id: int) -> bool:
    """Keep the example when the ticket is solved, was escalated by the bot, and an agent
    answered; True when one was captured (or its pending version updated)."""
    async with db.read() as session:  # most ticket updates are not that: no write lock for them
        ticket = await session.get(Ticket, ticket_id)
        if ticket is None or ticket.status_category not in ("solved", "closed"):
            return False
    async with db.uow() as session:
        ticket = await session.get(Ticket, ticket_id)
        if ticket is None or ticket.status_category not in ("solved", "closed"):
            return False
        escalation = await _escalation(session, ticket_id)
        answer = await _agent_answer(session, ticket_id)
        if escalation is None or not answer.strip() or await _already_learned(session, ticket_id):
            return False
        asked = await session.get(Message, escalation.get("message_id") or 0)
        question = asked.text if asked is not None and asked.ticket_id == ticket_id else None
        await capture_example(session, ticket, answer, actor=SYSTEM, question=question)
        return True
