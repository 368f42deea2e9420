"""Assignment: the admin's settings, the team queues, an agent pulling the next ticket, and
routing one ticket again on request."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response

from gateway.deps import Admin, Session, TicketsRead, TicketsWrite
from gateway.presence import Now
from store.assignment import queue
from store.assignment import service as assignment
from store.assignment import settings as assignment_settings
from store.assignment.schemas import AssignmentSettingsRead, AssignmentSettingsUpdate, QueuedRead
from store.tickets.schemas import TicketRead

router = APIRouter(prefix="/api/v1", tags=["assignment"])


@router.get("/assignment/settings", response_model=AssignmentSettingsRead)
async def get_settings(session: Session, who: TicketsRead):
    """Agents read it too: the console takes its heartbeat interval from here."""
    return assignment_settings.read_settings(await assignment_settings.get_settings(session))


@router.put("/assignment/settings", response_model=AssignmentSettingsRead)
@router.patch("/assignment/settings", response_model=AssignmentSettingsRead)
async def update_settings(data: AssignmentSettingsUpdate, session: Session, who: Admin):
    """Fields left out keep their value (PUT and PATCH alike)."""
    row = await assignment_settings.update_settings(session, changes=data)
    return assignment_settings.read_settings(row)


@router.get("/queue", response_model=list[QueuedRead])
async def list_queue(session: Session, who: TicketsRead, team_id: int | None = None):
    """Tickets waiting for a human, in the order they will be assigned (every team's queue,
    or one team's and the shared one)."""
    return await queue.listing(session, team_ids=None if team_id is None else [team_id])


@router.post(
    "/queue/next",
    response_model=TicketRead,
    responses={204: {"description": "nothing is waiting in the caller's queues"}},
)
async def pull_next(session: Session, who: TicketsWrite, now: Now):
    """The first waiting ticket of the caller's teams (and of the shared queue) is theirs."""
    if who.user_id is None:
        raise HTTPException(400, "an API key takes no tickets; sign in as an agent")
    ticket = await assignment.pull_next(session, user_id=who.user_id, actor=who.actor, now=now)
    return ticket if ticket is not None else Response(status_code=204)


@router.post("/tickets/{ticket_id}/assign")
async def auto_assign(ticket_id: int, session: Session, who: TicketsWrite, now: Now):
    """Route the ticket now (rules -> team -> the best available agent, else its queue)."""
    reason = f"asked by {who.actor.name or who.actor.kind}"
    outcome = await assignment.assign(
        session, ticket_id=ticket_id, reason=reason, actor=who.actor, now=now
    )
    return {
        "ticket_id": outcome.ticket_id,
        "team_id": outcome.team_id,
        "assignee_id": outcome.user_id,
        "queued": outcome.queued,
        "why": outcome.why,
    }
