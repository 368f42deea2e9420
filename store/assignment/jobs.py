"""Assignment's outbox jobs (declared in gateway/outbox/table.py): every event that makes a
ticket need a human routes it, and every event that makes an agent available fills them
from the queues. Each job is one transaction and safe to run twice."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from store.actor import SYSTEM
from store.agent.service import bot_enabled
from store.assignment import queue, service
from store.assignment.taking import lock_ticket, needs_human
from store.db import utcnow
from store.jobs import JobContext
from store.outbox.models import Event
from store.staff.models import User
from store.tickets.models import OPEN_CATEGORIES

# Inbound messages that are no customer asking anything: nobody needs to answer them.
NOISE = {"auto_reply", "bounce", "malformed", "opt_out", "opt_in"}
HUMAN_ACTORS = ("user", "apikey")  # taking a ticket over, they are on it themselves


def _now(ctx: JobContext):
    return ctx.extras.get("clock", utcnow)()  # tests inject a clock


async def bot_off(session: AsyncSession) -> bool:
    """The table's condition: while the bot answers, it decides who needs a human."""
    return not await bot_enabled(session)


async def assign_unanswered(ctx: JobContext, args: dict) -> None:
    """message.received while the bot is off: nobody else will answer it."""
    if NOISE & set(args.get("flags") or ()):
        return
    async with ctx.db.uow() as session:
        if await bot_enabled(session):
            return  # switched on since: the bot's turn decides
        ticket = await lock_ticket(session, args["ticket_id"])
        if ticket is not None and needs_human(ticket):
            await service.route(
                session, ticket, trigger="the bot is off", actor=SYSTEM, now=_now(ctx)
            )


async def assign_created(ctx: JobContext, args: dict) -> None:
    """ticket.created by staff or an integration (POST /api/v1/tickets): no bot turn follows.
    Tickets a customer's message opened are the bot's, or `assign_unanswered`'s."""
    async with ctx.db.uow() as session:
        event = await session.get(Event, args["event_id"])
        if event is None or event.actor_kind == "customer":
            return
        ticket = await lock_ticket(session, args["ticket_id"])
        if ticket is not None and needs_human(ticket):
            who = event.actor_name or event.actor_kind
            trigger = f"created by {who} through the API"
            await service.route(session, ticket, trigger=trigger, actor=SYSTEM, now=_now(ctx))


async def _reroute(session, ticket, event: Event, now) -> None:
    """Route an unassigned ticket humans own when the change made it need one: handed over by
    the system (a call escalated), unassigned, or moved to another team while waiting. An agent
    (or integration) who took a ticket over by replying is on it already."""
    after = event.after or {}
    if after.get("owner") == "bot":
        await queue.remove(session, ticket_id=ticket.id)  # handed back to the bot
        return
    if not needs_human(ticket) or ticket.owner != "human":
        return
    who = event.actor_name or event.actor_kind
    if "owner" in after and event.actor_kind not in HUMAN_ACTORS:
        trigger = "handed to a human"
    elif "assignee_id" in after:
        trigger = f"unassigned by {who}"
    elif "team_id" in after and await queue.is_queued(session, ticket_id=ticket.id):
        trigger = f"moved to another team by {who}"
    else:
        return
    await service.route(session, ticket, trigger=trigger, actor=SYSTEM, now=now)


def _freed(ticket, event: Event) -> set[int]:
    """Agents who have room now: the previous assignee of a moved ticket, the assignee of a
    solved or closed one."""
    before, after = event.before or {}, event.after or {}
    freed = set()
    if "assignee_id" in after and before.get("assignee_id"):
        freed.add(before["assignee_id"])
    if "status" in after and ticket.status_category not in OPEN_CATEGORIES and ticket.assignee_id:
        freed.add(ticket.assignee_id)
    return freed


async def on_ticket_updated(ctx: JobContext, args: dict) -> None:
    """ticket.updated: leaves the queue when closed or assigned by hand; routed when humans
    took it over or it lost its assignee; its freed agent takes the next waiting ticket."""
    now = _now(ctx)
    async with ctx.db.uow() as session:
        event = await session.get(Event, args["event_id"])
        ticket = await lock_ticket(session, args["ticket_id"]) if event else None
        if ticket is None:
            return
        if not needs_human(ticket):
            await queue.remove(session, ticket_id=ticket.id)
        await _reroute(session, ticket, event, now)
        for user_id in sorted(_freed(ticket, event)):
            await service.fill(
                session,
                user_id=user_id,
                trigger="a ticket of theirs was closed or moved",
                actor=SYSTEM,
                now=now,
            )


async def on_presence_changed(ctx: JobContext, args: dict) -> None:
    """user.presence_changed: online -> fill them from the queues; offline -> their live chats
    are routed again when the admin setting says so."""
    now = _now(ctx)
    async with ctx.db.uow() as session:
        user = await session.get(User, args["user_id"])
        if user is None:
            return
        if args.get("presence") == "online":
            trigger = f"{user.name or user.email} came online"
            await service.fill(session, user_id=user.id, trigger=trigger, actor=SYSTEM, now=now)
        elif args.get("presence") == "offline":
            await service.release_on_offline(session, user_id=user.id, actor=SYSTEM, now=now)
