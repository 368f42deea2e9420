"""Honest waiting for the customer: where a ticket that needs a human stands (its position in
the team's queue, the expected wait, who has it), and whether anyone can come at all (someone
in the team online, the team's hours open).

The expected wait is the median of the team's last `SAMPLES` queue waits (queued -> taken by
an agent, `QueueWait` rows) of the past `WINDOW`; with fewer than `MIN_SAMPLES` of them there
is no estimate and the widget shows the position alone. A median, not a mean: one ticket that
waited over a weekend must not make every customer expect hours. It is the typical whole wait
of a queued ticket, not of this position: simple, and never promising less than a typical
customer got lately.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from statistics import median

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.assignment.models import QueuedTicket, QueueWait
from store.assignment.presence import agents_online
from store.assignment.queue import ORDER, _for_teams
from store.assignment.schemas import WaitingRead
from store.assignment.settings import get_settings
from store.sla.business_hours import next_open_for
from store.staff.models import User
from store.tickets.models import OPEN_CATEGORIES, Ticket

SAMPLES = 20
MIN_SAMPLES = 3
WINDOW = timedelta(days=7)


async def expected_wait(session: AsyncSession, *, team_id: int | None, now: datetime):
    """Seconds: the median recent queue wait of the team; None with too few samples."""
    team = QueueWait.team_id.is_(None) if team_id is None else QueueWait.team_id == team_id
    rows = await session.scalars(
        select(QueueWait.wait_seconds)
        .where(team, QueueWait.assigned_at >= now - WINDOW)
        .order_by(QueueWait.assigned_at.desc())
        .limit(SAMPLES)
    )
    waits = list(rows)
    return int(median(waits)) if len(waits) >= MIN_SAMPLES else None


async def queue_order(session: AsyncSession, *, team_id: int | None) -> list[int]:
    """The tickets the team's agents take next, in order (its queue and the shared one)."""
    query = select(QueuedTicket.ticket_id).join(Ticket, Ticket.id == QueuedTicket.ticket_id)
    query = _for_teams(query, None if team_id is None else [team_id])
    if team_id is None:
        query = query.where(QueuedTicket.team_id.is_(None))
    return list(await session.scalars(query.order_by(*ORDER).limit(1000)))


async def position(
    session: AsyncSession, *, ticket_id: int, team_id: int | None, orders: dict | None = None
) -> int | None:
    """1 = next in its team's queue (the order `queue.waiting` takes them); None: not queued.
    `orders` keeps each team's order for the next ticket of the same pass."""
    orders = {} if orders is None else orders
    if team_id not in orders:
        orders[team_id] = await queue_order(session, team_id=team_id)
    ids = orders[team_id]
    return ids.index(ticket_id) + 1 if ticket_id in ids else None


async def waiting_for(
    session: AsyncSession,
    *,
    ticket: Ticket | None,
    now: datetime,
    channel: str | None = None,
    orders: dict | None = None,
) -> WaitingRead:
    """The customer's view of the ticket's wait for a human (see WaitingRead); `orders` as
    for `position`, when a pass reads many tickets."""
    if ticket is None or ticket.status_category not in OPEN_CATEGORIES:
        return WaitingRead(ticket_id=ticket.id if ticket else None, state="none")
    if ticket.assignee_id is not None:
        user = await session.get(User, ticket.assignee_id)
        name = (user.name or "").split(" ")[0] if user else None
        return WaitingRead(ticket_id=ticket.id, state="assigned", assignee_name=name or None)
    entry = await session.get(QueuedTicket, ticket.id)
    if ticket.owner != "human" and entry is None:
        return WaitingRead(ticket_id=ticket.id, state="none")  # the bot is on it
    team_id = entry.team_id if entry is not None else ticket.team_id
    default = (await get_settings(session)).default_team_id
    hours = await next_open_for(
        session, team_id=team_id, channel=channel, default_team_id=default, now=now
    )
    online = await agents_online(session, now=now, team_id=team_id)
    base = dict(
        ticket_id=ticket.id,
        agents_online=online,
        open_now=hours.open_now,
        next_open=hours.next_open,
    )
    if not online or not hours.open_now:
        return WaitingRead(state="offline", **base)
    return WaitingRead(
        state="queued",
        position=await position(session, ticket_id=ticket.id, team_id=team_id, orders=orders),
        expected_wait_seconds=await expected_wait(session, team_id=team_id, now=now),
        **base,
    )


async def queued_tickets(
    session: AsyncSession, *, team_ids: list[int | None], channel: str, limit: int = 200
) -> list[int]:
    """Tickets of a channel waiting in these teams' queues (None: the shared queue): whose
    position moved when something happened in them."""
    teams = [t for t in team_ids if t is not None]
    wanted = QueuedTicket.team_id.in_(teams)
    if None in team_ids:
        wanted = wanted | QueuedTicket.team_id.is_(None)
    rows = await session.scalars(
        select(QueuedTicket.ticket_id)
        .join(Ticket, Ticket.id == QueuedTicket.ticket_id)
        .where(wanted, Ticket.channel == channel)
        .order_by(*ORDER)
        .limit(limit)
    )
    return list(rows)
