"""Learning from humans: when agents solve a ticket the bot escalated, the customer's question
and the agents' answer become a DRAFT resolution example -- the question generalised, the
customer's specifics in both replaced by placeholders (store.knowledge.scrub) -- waiting in the
review queue. Only an approved draft teaches the bot, and approval keeps the answer as any
next customer may read it: placeholders filled or their sentences dropped."""

from __future__ import annotations

from store.actor import SYSTEM
from store.agent import traces
from store.db import Database
from store.knowledge import examples
from store.tickets import bot_view
from store.tickets.conversation import get_message
from store.tickets.models import Ticket


def _solved(ticket: Ticket | None) -> bool:
    return ticket is not None and ticket.status_category in ("solved", "closed")


async def capture_resolution(db: Database, ticket_id: int) -> bool:
    """Keep the example when the ticket is solved, was escalated by the bot, and an agent
    answered; True when one was captured (or its pending version updated)."""
    async with db.read() as session:  # most ticket updates are not that: no write lock for them
        if not _solved(await bot_view.find_ticket(session, ticket_id=ticket_id)):
            return False
    async with db.uow() as session:
        ticket = await bot_view.find_ticket(session, ticket_id=ticket_id)
        if not _solved(ticket):
            return False
        escalation = await traces.last_escalation(session, ticket_id=ticket_id)
        answer = await bot_view.last_agent_reply(session, ticket_id=ticket_id)
        if escalation is None or not answer.strip():
            return False
        if await examples.has_decided_example(session, ticket_id=ticket_id):
            return False
        asked = await get_message(session, message_id=escalation.get("message_id") or 0)
        question = asked.text if asked is not None and asked.ticket_id == ticket_id else None
        await examples.capture_example(session, ticket, answer, actor=SYSTEM, question=question)
        return True
