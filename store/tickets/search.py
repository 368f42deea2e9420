"""Ticket search and filters with keyset pagination (stable under inserts, no OFFSET scans)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import UTCDateTime
from store.errors import Invalid
from store.sla.models import SlaClock
from store.tickets.models import Message, Ticket, TicketTag

# "Due soonest": the earliest due time of the ticket's running SLA clocks (overdue first);
# tickets with none (no policy, paused, all met) come last; the lower id first among equals.
NO_SLA_DUE = datetime(9999, 12, 31, tzinfo=UTC)
SLA_DUE = func.coalesce(
    select(func.min(SlaClock.due_at))
    .where(SlaClock.ticket_id == Ticket.id, SlaClock.state == "running")
    .correlate(Ticket)
    .scalar_subquery(),
    literal(NO_SLA_DUE, UTCDateTime()),
)

SORTS = {
    "-created": (Ticket.created_at, True),
    "created": (Ticket.created_at, False),
    "-updated": (Ticket.updated_at, True),
    "updated": (Ticket.updated_at, False),
    "sla_due": (SLA_DUE, False),
}


def _sort_value(ticket: Ticket, column) -> datetime:
    if column is SLA_DUE:  # from the clocks loaded with the ticket, as the query computed it
        due = [c.due_at for c in ticket.sla_clocks if c.state == "running" and c.due_at]
        return min(due, default=NO_SLA_DUE)
    return getattr(ticket, column.key)


@dataclass
class TicketFilter:
    status: list[str] | None = None  # workflow status names or categories
    priority: list[str] | None = None
    tag: list[str] | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    team_id: int | None = None
    channel: list[str] | None = None
    contact_id: int | None = None
    owner: str | None = None
    q: str | None = None


def encode_cursor(value: datetime, ticket_id: int) -> str:
    raw = json.dumps([value.isoformat(), ticket_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, ticket_id = json.loads(base64.urlsafe_b64decode(padded))
        return datetime.fromisoformat(value), int(ticket_id)
    except (ValueError, TypeError, OverflowError) as exc:  # Overflow: int(1e400)
        raise Invalid("cursor is not one this API gave out") from exc


def _conditions(f: TicketFilter) -> list:
    conds = []
    if f.status:
        conds.append(or_(Ticket.status.in_(f.status), Ticket.status_category.in_(f.status)))
    if f.priority:
        conds.append(Ticket.priority.in_(f.priority))
    for tag in f.tag or []:
        conds.append(exists().where(TicketTag.ticket_id == Ticket.id, TicketTag.tag == tag))
    if f.assignee_id is not None:
        conds.append(Ticket.assignee_id == f.assignee_id)
    if f.unassigned:
        conds.append(Ticket.assignee_id.is_(None))
    if f.team_id is not None:
        conds.append(Ticket.team_id == f.team_id)
    if f.channel:
        conds.append(Ticket.channel.in_(f.channel))
    if f.contact_id is not None:
        conds.append(Ticket.contact_id == f.contact_id)
    if f.owner:
        conds.append(Ticket.owner == f.owner)
    if f.q:
        like = f"%{f.q}%"
        in_messages = exists().where(Message.ticket_id == Ticket.id, Message.text.ilike(like))
        conds.append(or_(Ticket.subject.ilike(like), in_messages))
    return conds


async def list_tickets(
    session: AsyncSession,
    *,
    filters: TicketFilter,
    sort: str = "-created",
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[Ticket], str | None]:
    if sort not in SORTS:
        raise Invalid(f"sort must be one of {', '.join(SORTS)}")
    column, desc = SORTS[sort]
    query = select(Ticket).where(*_conditions(filters))
    if cursor:
        value, last_id = decode_cursor(cursor)
        if desc:
            query = query.where(or_(column < value, and_(column == value, Ticket.id < last_id)))
        else:
            query = query.where(or_(column > value, and_(column == value, Ticket.id > last_id)))
    order = (column.desc(), Ticket.id.desc()) if desc else (column.asc(), Ticket.id.asc())
    rows = list(await session.scalars(query.order_by(*order).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(_sort_value(last, column), last.id)
    return rows, next_cursor
