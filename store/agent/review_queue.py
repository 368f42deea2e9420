"""What waits for a reviewer: the bot's drafts held by review mode (the last
`agent.review_requested` event of a ticket, while no agent settled it) and the resolution
examples learned from tickets, still pending. One list for the console's review queue."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.agent.traces import DECISION_EVENT, REVIEW_EVENT
from store.knowledge.models import ResolutionExample
from store.outbox.models import Event
from store.tickets.models import Ticket

DECIDED_EVENT = "agent.review_decided"  # an agent approved or rejected (agent_graph.job)


async def pending_bot_drafts(session: AsyncSession, *, limit: int = 200) -> list[dict]:
    """{"ticket_id", "subject", "draft", "event_id", "created_at", "triage", "reason"} of every
    bot-owned ticket whose newest review request came after any agent's decision on a draft
    (`agent.review_decided`) and the bot's last decision: a draft nobody settled yet."""
    latest = (
        select(func.max(Event.id).label("id"))
        .where(Event.type == REVIEW_EVENT, Event.ticket_id.is_not(None))
        .group_by(Event.ticket_id)
        .subquery()
    )
    settled = (
        select(Event.ticket_id, func.max(Event.id).label("id"))
        .where(Event.type.in_((DECIDED_EVENT, DECISION_EVENT)), Event.ticket_id.is_not(None))
        .group_by(Event.ticket_id)
        .subquery()
    )
    query = (
        select(Event, Ticket.subject)
        .join(latest, latest.c.id == Event.id)
        .join(Ticket, Ticket.id == Event.ticket_id)
        .outerjoin(settled, settled.c.ticket_id == Event.ticket_id)
        .where(Ticket.owner == "bot", (settled.c.id.is_(None)) | (settled.c.id < Event.id))
        .order_by(Event.id)
        .limit(limit)
    )
    out = []
    for event, subject in (await session.execute(query)).all():
        payload = event.payload or {}
        if "approve" in payload or not payload.get("draft"):
            continue
        out.append(
            {
                "ticket_id": event.ticket_id,
                "subject": subject,
                "draft": payload["draft"],
                "event_id": event.id,
                "created_at": event.created_at,
                "reason": payload.get("reason"),
                "triage": payload.get("triage") or {},
            }
        )
    return out


async def pending_learned(session: AsyncSession, *, limit: int = 200) -> list[ResolutionExample]:
    """Examples learned from tickets that still wait for a decision, oldest first."""
    query = (
        select(ResolutionExample)
        .where(ResolutionExample.status == "pending", ResolutionExample.source == "ticket")
        .order_by(ResolutionExample.id)
        .limit(limit)
    )
    return list(await session.scalars(query))
