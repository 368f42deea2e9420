"""Unseen-wait alerts: a ticket that needs a human and waits unseen past the admin's
`unseen_alert_minutes` (wall clock, not business hours) is told by email to its assignee, or
to the team's agents (the admins when it has no team) while it waits unassigned.

Each wait starts with an event (`ticket.assigned`: the assignee's wait to open it;
`ticket.queued`: the queue's), whose job schedules one check as an outbox delivery at the due
instant (as the SLA schedules its breaches). The check does nothing when the wait is over (the
assignee opened the ticket in the console, someone took it, it was closed); otherwise it
writes `ticket.unseen_alert` naming the recipients, once per wait (`WaitAlert`), and the
gateway's staff-mail job (gateway/outbox/staff_mail.py) sends the email.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.actor import SYSTEM
from store.assignment.models import QueuedTicket, TicketView, WaitAlert
from store.assignment.settings import get_settings
from store.assignment.taking import ASSIGNED_EVENT, lock_ticket, needs_human
from store.db import utcnow
from store.jobs import JobContext
from store.outbox.models import Delivery, Event
from store.outbox.service import emit
from store.staff.models import User, team_members
from store.tickets.models import OPEN_CATEGORIES, Ticket

CHECK_JOB = "unseen_alert"  # the scheduled check (gateway/outbox/table.py)
ALERT_EVENT = "ticket.unseen_alert"


def _now(ctx: JobContext) -> datetime:
    return ctx.extras.get("clock", utcnow)()


async def mark_seen(session: AsyncSession, *, ticket_id: int, user_id: int, now: datetime) -> None:
    """The agent opened the ticket in the console (its socket joined the ticket's room)."""
    if await session.get(Ticket, ticket_id) is None:
        return
    view = await session.get(TicketView, (ticket_id, user_id))
    if view is None:
        session.add(TicketView(ticket_id=ticket_id, user_id=user_id, seen_at=now))
    else:
        view.seen_at = now
    await session.flush()


async def seen_since(session: AsyncSession, *, ticket_id: int, user_id: int, since: datetime):
    view = await session.get(TicketView, (ticket_id, user_id))
    return view is not None and view.seen_at >= since


async def schedule_check(ctx: JobContext, args: dict) -> None:
    """ticket.assigned / ticket.queued: a check at the due instant of this wait."""
    async with ctx.db.uow() as session:
        minutes = (await get_settings(session)).unseen_alert_minutes
        event = await session.get(Event, args["event_id"])
        if not minutes or event is None or event.ticket_id is None:
            return
        check = {"ticket_id": event.ticket_id, "event_id": event.id, "minutes": minutes}
        if event.type == ASSIGNED_EVENT:
            check["user_id"] = (event.payload or {}).get("user_id")
        session.add(
            Delivery(
                kind="job",
                target=CHECK_JOB,
                args=check,
                status="pending",
                attempts=0,
                next_attempt_at=event.created_at + timedelta(minutes=minutes),
            )
        )


async def _waiting_assigned(session, ticket: Ticket, user_id: int, since: datetime) -> bool:
    if ticket.assignee_id != user_id:
        return False  # moved on: another wait (with its own check) or none
    return not await seen_since(session, ticket_id=ticket.id, user_id=user_id, since=since)


async def _waiting_queued(session, ticket: Ticket, event: Event) -> bool:
    """Still in the queue since that event put it there (not out and in again)."""
    entry = await session.get(QueuedTicket, ticket.id)
    if not needs_human(ticket) or entry is None:
        return False
    queued_at = datetime.fromisoformat((event.payload or {}).get("queued_at") or "1970-01-01Z")
    return abs(entry.queued_at - queued_at) < timedelta(seconds=1)


async def recipients(session: AsyncSession, ticket: Ticket, user_id: int | None) -> list[int]:
    """The assignee; else the team's active agents; else (no team) the active admins."""
    query = select(User.id).where(User.is_active.is_(True)).order_by(User.id)
    if user_id is not None:
        query = query.where(User.id == user_id)
    elif ticket.team_id is not None:
        query = query.join(team_members, team_members.c.user_id == User.id).where(
            team_members.c.team_id == ticket.team_id
        )
    else:
        query = query.where(User.role == "admin")
    return list(await session.scalars(query))


async def check(ctx: JobContext, args: dict) -> None:
    """The due instant of a wait: alert once when it still waits unseen."""
    async with ctx.db.uow() as session:
        ticket = await lock_ticket(session, args["ticket_id"])
        event = await session.get(Event, args["event_id"])
        if ticket is None or event is None or ticket.status_category not in OPEN_CATEGORIES:
            return
        wait = f"{event.type}:{event.id}"
        user_id = args.get("user_id")
        if user_id is not None:
            waiting = await _waiting_assigned(session, ticket, user_id, event.created_at)
        else:
            waiting = await _waiting_queued(session, ticket, event)
        already = await session.scalar(
            select(WaitAlert.id).where(WaitAlert.ticket_id == ticket.id, WaitAlert.wait == wait)
        )
        if not waiting or already is not None:
            return
        users = await recipients(session, ticket, user_id)
        session.add(WaitAlert(ticket_id=ticket.id, wait=wait, user_ids=users))
        emit(
            session,
            ALERT_EVENT,
            actor=SYSTEM,
            ticket_id=ticket.id,
            payload={
                "wait": "unopened" if user_id is not None else "unassigned",
                "since": event.created_at.isoformat(),
                "minutes": args["minutes"],
                "assignee_id": user_id,
                "team_id": ticket.team_id,
                "subject": ticket.subject,
                "priority": ticket.priority,
                "channel": ticket.channel,
                # who is told: by email (gateway/outbox/staff_mail.py) and on their console
                "notify_user_ids": users,
                "email": True,
                "checked_at": _now(ctx).isoformat(),
            },
        )
