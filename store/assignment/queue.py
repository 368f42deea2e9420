"""Team queues: tickets that need a human and found nobody available wait here, and are taken
highest priority first, then the longest waiting."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.actor import Actor
from store.assignment.models import QueuedTicket
from store.assignment.schemas import QueuedRead
from store.outbox.service import emit
from store.staff.models import Team
from store.tickets.models import PRIORITIES, Ticket

QUEUED_EVENT = "ticket.queued"
_RANK = case({p: i for i, p in enumerate(PRIORITIES)}, value=Ticket.priority, else_=1)
ORDER = (_RANK.desc(), QueuedTicket.queued_at, QueuedTicket.ticket_id)


async def enqueue(
    session: AsyncSession,
    *,
    ticket: Ticket,
    team: Team | None,
    kind: str,
    reason: str,
    actor: Actor,
    now: datetime,
    previous_assignee: int | None = None,
) -> bool:
    """Put the (locked) ticket in its team's queue. True when it was not waiting already (then
    a `ticket.queued` event says why)."""
    before = {"assignee_id": previous_assignee, "team_id": ticket.team_id}
    ticket.team_id = team.id if team else ticket.team_id
    entry = await session.get(QueuedTicket, ticket.id)
    if entry is not None:
        entry.team_id, entry.kind = ticket.team_id, kind
        return False
    entry = QueuedTicket(ticket_id=ticket.id, team_id=ticket.team_id, kind=kind, queued_at=now)
    session.add(entry)
    entry.reason = reason[:500]
    after = {"assignee_id": None, "team_id": ticket.team_id}
    payload = {"reason": reason, "team_id": ticket.team_id, "kind": kind}
    payload["queued_at"] = now.isoformat()
    emit(
        session,
        QUEUED_EVENT,
        actor=actor,
        ticket_id=ticket.id,
        before=before,
        after=after,
        payload=payload,
    )
    await session.flush()
    return True


async def remove(session: AsyncSession, *, ticket_id: int) -> None:
    await session.execute(delete(QueuedTicket).where(QueuedTicket.ticket_id == ticket_id))


async def is_queued(session: AsyncSession, *, ticket_id: int) -> bool:
    return await session.get(QueuedTicket, ticket_id) is not None


def _for_teams(query, team_ids: list[int] | None):
    """Waiting for these teams, or for no team (anyone's); None: every queue."""
    if team_ids is None:
        return query
    return query.where(or_(QueuedTicket.team_id.in_(team_ids), QueuedTicket.team_id.is_(None)))


async def waiting(
    session: AsyncSession, *, team_ids: list[int] | None, limit: int = 50
) -> list[QueuedTicket]:
    """The next tickets to assign from these teams' queues, in order."""
    query = select(QueuedTicket).join(Ticket, Ticket.id == QueuedTicket.ticket_id)
    query = _for_teams(query, team_ids).order_by(*ORDER).limit(limit)
    return list(await session.scalars(query))


async def listing(
    session: AsyncSession, *, team_ids: list[int] | None, limit: int = 200
) -> list[QueuedRead]:
    """The queues as the console shows them: each ticket's position within its team's queue."""
    query = select(QueuedTicket, Ticket).join(Ticket, Ticket.id == QueuedTicket.ticket_id)
    rows = (await session.execute(_for_teams(query, team_ids).order_by(*ORDER).limit(limit))).all()
    positions: dict[int | None, int] = {}
    found = []
    for entry, ticket in rows:
        positions[entry.team_id] = positions.get(entry.team_id, 0) + 1
        found.append(
            QueuedRead(
                ticket_id=ticket.id,
                position=positions[entry.team_id],
                team_id=entry.team_id,
                kind=entry.kind,
                priority=ticket.priority,
                subject=ticket.subject,
                channel=ticket.channel,
                reason=entry.reason,
                queued_at=entry.queued_at,
            )
        )
    return found
