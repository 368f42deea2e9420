"""Assignment verbs, the same for every entry point (the bot's escalate node, outbox jobs,
HTTP routes): assign a ticket that needs a human, let an agent pull the next one, fill an
agent who became available from the queues, and re-route an offline agent's live chats.

They flush, never commit; events (`ticket.assigned`, `ticket.queued`) go out with the caller's
transaction. Concurrency: store/assignment/taking.py.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.actor import Actor
from store.assignment import queue, rules, selection
from store.assignment.schemas import Outcome
from store.assignment.settings import get_settings, timing
from store.assignment.taking import lock_ticket, needs_human, record, take
from store.db import utcnow
from store.errors import NotFound
from store.staff import service as staff
from store.staff.kinds import LIVE_KINDS, kind_of
from store.staff.models import User
from store.staff.presence import effective
from store.tickets.models import OPEN_CATEGORIES, Ticket


def _label(user: User) -> str:
    return user.name or user.email


async def _team(session, ticket: Ticket, facts: dict, now: datetime, conf):
    """The ticket's team when it has one already (someone chose it), else by the rules."""
    if team := await rules.get_team(session, ticket.team_id):
        return team, f"team {team.name}"
    return await rules.team_for(session, facts=facts, now=now, default_team_id=conf.default_team_id)


async def _assigned(session, ticket: Ticket, user: User, routing: str, **event) -> Outcome:
    why = f"to {_label(user)}; {event['trigger']}; {routing}"
    await record(session, ticket=ticket, user=user, why=why, **event)
    return Outcome(ticket.id, ticket.team_id, user.id, routing)


async def route(
    session: AsyncSession,
    ticket: Ticket,
    *,
    trigger: str,
    actor: Actor,
    now: datetime,
    facts: dict | None = None,
    previous_assignee: int | None = None,
) -> Outcome:
    """Assign the locked ticket to the best available agent, or queue it (see `assign`)."""
    if not needs_human(ticket):
        await queue.remove(session, ticket_id=ticket.id)
        why = "already assigned" if ticket.assignee_id else f"ticket is {ticket.status_category}"
        return Outcome(ticket.id, ticket.team_id, ticket.assignee_id, why)
    conf = await get_settings(session)
    facts = facts or await rules.facts_of_ticket(session, ticket)
    team, team_why = await _team(session, ticket, facts, now, conf)
    kind = kind_of(ticket.channel)
    event = {"trigger": trigger, "actor": actor}
    event["before"] = {"assignee_id": previous_assignee, "team_id": ticket.team_id}
    found, why_not = await selection.ranked(
        session, team=team, kind=kind, facts=facts, now=now, conf=conf
    )
    for candidate in found:
        user = await take(
            session,
            ticket=ticket,
            user_id=candidate.user.id,
            team=team,
            kind=kind,
            conf=conf,
            now=now,
        )
        if user is not None:
            return await _assigned(session, ticket, user, f"{team_why}; {candidate.why}", **event)
    routing = f"{team_why}; {why_not or 'everyone who fitted filled up meanwhile'}"
    await queue.enqueue(
        session,
        ticket=ticket,
        team=team,
        kind=kind,
        reason=f"waiting: {trigger}; {routing}",
        actor=actor,
        now=now,
        previous_assignee=previous_assignee,
    )
    return Outcome(ticket.id, ticket.team_id, None, routing, queued=True)


async def assign(
    session: AsyncSession,
    *,
    ticket_id: int,
    reason: str,
    actor: Actor,
    facts: dict | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Give a ticket that needs a human to one: routing rules pick the team (else the default
    team, else anyone), the team's best available agent takes it; when nobody fits it waits in
    the team's queue. `reason` says what made it need a human; `facts` (as routing rules read
    them) default to the stored ticket's. A ticket that is assigned or closed is left alone."""
    ticket = await lock_ticket(session, ticket_id)
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} does not exist")
    return await route(
        session, ticket, trigger=reason, actor=actor, now=now or utcnow(), facts=facts
    )


async def _from_queue(session, entry, user: User, *, conf, now: datetime, check: bool):
    """Take one waiting ticket for the agent; the ticket, or None (gone, taken, no room)."""
    ticket = await lock_ticket(session, entry.ticket_id, skip_locked=True)
    if ticket is None:
        return None  # being assigned by someone else this very moment
    if not needs_human(ticket):
        await queue.remove(session, ticket_id=ticket.id)
        return None
    team = await rules.get_team(session, entry.team_id)
    took = await take(
        session,
        ticket=ticket,
        user_id=user.id,
        team=team,
        kind=entry.kind,
        conf=conf,
        now=now,
        check=check,
    )
    return ticket if took else None


async def _active_agent(session: AsyncSession, user_id: int) -> User:
    user = await staff.get_active_user(session, user_id=user_id)  # with their teams
    if user is None:
        raise NotFound(f"user {user_id} does not exist or is deactivated")
    return user


async def pull_next(
    session: AsyncSession, *, user_id: int, actor: Actor, now: datetime | None = None
) -> Ticket | None:
    """The agent asks for work: the first waiting ticket of their teams' queues (and of the
    shared one) is theirs. Their own choice, so neither presence nor capacity is asked."""
    now = now or utcnow()
    user = await _active_agent(session, user_id)
    conf = await get_settings(session)
    for entry in await queue.waiting(session, team_ids=[t.id for t in user.teams]):
        before = {"assignee_id": None, "team_id": entry.team_id}
        ticket = await _from_queue(session, entry, user, conf=conf, now=now, check=False)
        if ticket is not None:
            why = f"to {_label(user)}; pulled from the queue"
            await record(
                session,
                ticket=ticket,
                user=user,
                why=why,
                trigger="pulled",
                actor=actor,
                before=before,
            )
            return ticket
    return None


async def fill(
    session: AsyncSession,
    *,
    user_id: int,
    trigger: str,
    actor: Actor,
    now: datetime | None = None,
    limit: int = 50,
) -> list[Outcome]:
    """An agent became available (came online; a ticket of theirs was solved, closed or moved):
    they take waiting tickets of their teams, highest priority then longest waiting first,
    while they have room."""
    now = now or utcnow()
    conf = await get_settings(session)
    user = await staff.get_active_user(session, user_id=user_id)
    if user is None or effective(user, now=now, ttl=timing(conf).ttl) != "online":
        return []
    teams = {t.id: t for t in user.teams}
    load = (await selection.loads(session, [user.id]))[user.id]
    outcomes = []
    for entry in await queue.waiting(session, team_ids=list(teams), limit=limit):
        if not selection.has_room(conf, user, teams.get(entry.team_id), entry.kind, load):
            continue
        before = {"assignee_id": None, "team_id": entry.team_id}
        ticket = await _from_queue(session, entry, user, conf=conf, now=now, check=True)
        if ticket is None:
            continue
        why = f"to {_label(user)}; {trigger}; waited in the queue since {entry.queued_at:%H:%M:%S}"
        await record(
            session, ticket=ticket, user=user, why=why, trigger=trigger, actor=actor, before=before
        )
        outcomes.append(Outcome(ticket.id, ticket.team_id, user.id, why))
        load = selection.Load(load.by_kind | {entry.kind: load.of(entry.kind) + 1})
    return outcomes


async def release_on_offline(
    session: AsyncSession, *, user_id: int, actor: Actor, now: datetime | None = None
) -> list[Outcome]:
    """When the admin setting says so, an agent who went offline gives up their open live
    chats: each is routed again (to someone else, or to the queue)."""
    now = now or utcnow()
    conf = await get_settings(session)
    user = await session.get(User, user_id)
    if not conf.reassign_on_offline or user is None:
        return []
    if effective(user, now=now, ttl=timing(conf).ttl) != "offline":
        return []  # back already
    rows = await session.execute(
        select(Ticket.id, Ticket.channel).where(
            Ticket.assignee_id == user_id, Ticket.status_category.in_(OPEN_CATEGORIES)
        )
    )
    outcomes = []
    for ticket_id, channel in rows.all():
        if kind_of(channel) not in LIVE_KINDS:
            continue
        ticket = await lock_ticket(session, ticket_id)
        if ticket is None or ticket.assignee_id != user_id:
            continue
        ticket.assignee_id = None
        await session.flush()
        trigger = f"{_label(user)} went offline"
        outcomes.append(
            await route(
                session, ticket, trigger=trigger, actor=actor, now=now, previous_assignee=user_id
            )
        )
    return outcomes
