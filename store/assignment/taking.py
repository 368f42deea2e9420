"""The one step that gives a ticket to an agent, safely under concurrency.

Never two agents: the ticket's row is locked (PostgreSQL FOR UPDATE; SQLite writers are
serial) and the write is a conditional `UPDATE ... WHERE assignee_id IS NULL`. Capacity: the
agent's row is locked and their load counted again under the lock, so two gateways filling
one agent's last slot cannot both win; the lock is taken in a savepoint, so an agent found
full is let go at once (a transaction holds at most one agent's lock: no deadlock between
two assignments that try the same agents in different orders). Locks go ticket, then agent.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.actor import Actor
from store.assignment import queue
from store.assignment.models import AssignmentSettings, QueuedTicket, QueueWait
from store.assignment.selection import has_room, loads
from store.assignment.settings import timing
from store.db import utcnow
from store.outbox.service import emit
from store.staff.models import Team, User
from store.staff.presence import effective
from store.tickets.models import OPEN_CATEGORIES, Ticket

ASSIGNED_EVENT = "ticket.assigned"


class _NoRoom(Exception):
    """The agent cannot take it after all (seen again under their row lock)."""


def needs_human(ticket: Ticket) -> bool:
    return ticket.status_category in OPEN_CATEGORIES and ticket.assignee_id is None


async def lock_ticket(
    session: AsyncSession, ticket_id: int, *, skip_locked: bool = False
) -> Ticket | None:
    """The ticket re-read under a row lock; `skip_locked`: None when another transaction holds
    it (a queue scan passes over a ticket being assigned right now instead of waiting)."""
    query = (
        select(Ticket)
        .where(Ticket.id == ticket_id)
        .with_for_update(skip_locked=skip_locked)
        .execution_options(populate_existing=True)
    )
    return await session.scalar(query)


async def _lock_agent(session: AsyncSession, user_id: int) -> User | None:
    query = (
        select(User)
        .where(User.id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return await session.scalar(query)


async def _check_room(session, user: User | None, *, team, kind, conf, now) -> None:
    if user is None or not user.is_active:
        raise _NoRoom
    if effective(user, now=now, ttl=timing(conf).ttl) != "online":
        raise _NoRoom
    load = (await loads(session, [user.id]))[user.id]
    if not has_room(conf, user, team, kind, load):
        raise _NoRoom


async def take(
    session: AsyncSession,
    *,
    ticket: Ticket,
    user_id: int,
    team: Team | None,
    kind: str,
    conf: AssignmentSettings,
    now: datetime,
    check: bool = True,
) -> User | None:
    """Give the locked ticket to the agent; None when they cannot take it (`check`: online and
    under capacity, seen under their lock; an agent pulling a ticket themselves skips it)."""
    try:
        async with session.begin_nested():
            user = await _lock_agent(session, user_id)
            if check:
                await _check_room(session, user, team=team, kind=kind, conf=conf, now=now)
            elif user is None:
                raise _NoRoom
            result = await session.execute(
                update(Ticket)
                .where(Ticket.id == ticket.id, Ticket.assignee_id.is_(None))
                .values(
                    assignee_id=user.id,
                    team_id=team.id if team else ticket.team_id,
                    updated_at=now,
                )
            )
            if result.rowcount != 1:
                raise _NoRoom  # someone else has it (only when a caller did not lock it)
            user.last_assigned_at = now
    except _NoRoom:
        return None
    return user


async def record(
    session: AsyncSession,
    *,
    ticket: Ticket,
    user: User,
    why: str,
    trigger: str,
    actor: Actor,
    before: dict,
) -> None:
    """The `ticket.assigned` event (the ticket's timeline shows its reason); out of the queue."""
    after = {"assignee_id": user.id, "team_id": ticket.team_id}
    payload = {
        "reason": why,
        "trigger": trigger,
        "user_id": user.id,
        "user_name": user.name or user.email,
        "team_id": ticket.team_id,
    }
    emit(
        session,
        ASSIGNED_EVENT,
        actor=actor,
        ticket_id=ticket.id,
        before=before,
        after=after,
        payload=payload,
    )
    await _note_wait(session, ticket.id)
    await queue.remove(session, ticket_id=ticket.id)
    await session.flush()


async def _note_wait(session: AsyncSession, ticket_id: int) -> None:
    """A queued ticket taken: how long it waited (the widget's wait estimate reads these)."""
    entry = await session.get(QueuedTicket, ticket_id)
    if entry is None:
        return
    now = utcnow()
    waited = max(0, int((now - entry.queued_at).total_seconds()))
    session.add(
        QueueWait(
            ticket_id=ticket_id,
            team_id=entry.team_id,
            queued_at=entry.queued_at,
            assigned_at=now,
            wait_seconds=waited,
        )
    )
