"""Tickets API: create, list/filter/search, get, update, bulk update, messages, notes, events."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from gateway.deps import Session, TicketsRead, TicketsWrite
from store.outbox.service import list_events
from store.tickets import service as tickets
from store.tickets.schemas import (
    BulkUpdate,
    MessageCreate,
    MessageRead,
    NoteCreate,
    NoteRead,
    TicketCreate,
    TicketPage,
    TicketRead,
    TicketUpdate,
)
from store.tickets.search import TicketFilter, list_tickets

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"])


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    type: str
    ticket_id: int | None
    actor_kind: str
    actor_id: int | None
    actor_name: str
    before: dict | None
    after: dict | None
    payload: dict
    created_at: object


@router.post("", status_code=201, response_model=TicketRead)
async def create_ticket(data: TicketCreate, session: Session, who: TicketsWrite):
    return await tickets.create(session, data=data, actor=who.actor)


@router.get("", response_model=TicketPage)
async def search_tickets(
    session: Session,
    who: TicketsRead,
    status: Annotated[list[str] | None, Query()] = None,
    priority: Annotated[list[Literal["low", "normal", "high", "urgent"]] | None, Query()] = None,
    tag: Annotated[list[str] | None, Query()] = None,
    channel: Annotated[list[str] | None, Query()] = None,
    assignee_id: int | None = None,
    unassigned: bool = False,
    team_id: int | None = None,
    contact_id: int | None = None,
    owner: Literal["bot", "human"] | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    sort: Literal["-created", "created", "-updated", "updated", "sla_due"] = "-created",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
):
    filters = TicketFilter(
        status=status,
        priority=priority,
        tag=tag,
        channel=channel,
        assignee_id=assignee_id,
        unassigned=unassigned,
        team_id=team_id,
        contact_id=contact_id,
        owner=owner,
        q=q,
    )
    items, next_cursor = await list_tickets(
        session, filters=filters, sort=sort, cursor=cursor, limit=limit
    )
    return TicketPage(items=[TicketRead.model_validate(t) for t in items], next_cursor=next_cursor)


@router.post("/bulk", response_model=list[TicketRead])
async def bulk_update(data: BulkUpdate, session: Session, who: TicketsWrite):
    return await tickets.bulk_update(session, ids=data.ids, changes=data.changes, actor=who.actor)


@router.get("/{ticket_id}", response_model=TicketRead)
async def get_ticket(ticket_id: int, session: Session, who: TicketsRead):
    return await tickets.get(session, ticket_id=ticket_id)


@router.patch("/{ticket_id}", response_model=TicketRead)
async def update_ticket(ticket_id: int, data: TicketUpdate, session: Session, who: TicketsWrite):
    return await tickets.update(session, ticket_id=ticket_id, changes=data, actor=who.actor)


@router.get("/{ticket_id}/messages", response_model=list[MessageRead])
async def list_messages(ticket_id: int, session: Session, who: TicketsRead):
    return await tickets.list_messages(session, ticket_id=ticket_id)


@router.post("/{ticket_id}/messages", status_code=201, response_model=MessageRead)
async def reply(ticket_id: int, data: MessageCreate, session: Session, who: TicketsWrite):
    """An agent's reply, delivered on the ticket's own channel and thread."""
    return await tickets.reply(
        session, ticket_id=ticket_id, body=data.body, html=data.html, actor=who.actor
    )


@router.get("/{ticket_id}/notes", response_model=list[NoteRead])
async def list_notes(ticket_id: int, session: Session, who: TicketsRead):
    return await tickets.list_notes(session, ticket_id=ticket_id)


@router.post("/{ticket_id}/notes", status_code=201, response_model=NoteRead)
async def add_note(ticket_id: int, data: NoteCreate, session: Session, who: TicketsWrite):
    return await tickets.add_note(session, ticket_id=ticket_id, body=data.body, actor=who.actor)


@router.get("/{ticket_id}/events", response_model=list[EventRead])
async def ticket_events(
    ticket_id: int,
    session: Session,
    who: TicketsRead,
    after_id: int = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
):
    await tickets.get(session, ticket_id=ticket_id)
    return await list_events(session, ticket_id=ticket_id, after_id=after_id, limit=limit)
