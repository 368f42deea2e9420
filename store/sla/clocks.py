"""SLA clocks of a ticket, kept in `sla_clocks`: rebuilt from its events whenever something
happens to it, checked again at each warning and due time, and the events that say so.

`rebuild` is the one verb: every outbox job of the SLA (a ticket event, a scheduled check)
calls it under the ticket's row lock, so two runs never interleave. It writes
`ticket.sla_warning` and `ticket.sla_breached` at most once per target cycle (the row's
warned_at / breached_at say it was written), and schedules the next check as an outbox
delivery due at that instant: the dispatcher's pass (every `dispatch_interval`, 0.5 s by
default) runs it within a second of the due time, on every kind of setup (in-process or
RQ), with the outbox's retries, and no sweep has to scan open tickets.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.actor import SYSTEM
from store.config.service import list_statuses
from store.outbox.models import Delivery, Event
from store.outbox.service import emit
from store.sla import policies
from store.sla.business_hours import schedule_for
from store.sla.models import OutOfHoursReply, SlaClock, SlaPolicy
from store.sla.schemas import METRICS
from store.sla.timeline import Clock, Fact, compute

CHECK_JOB = "sla_check"  # the job the scheduled deliveries run (gateway/outbox/table.py)
TRACKED = ("ticket.created", "ticket.updated", "message.received", "message.queued")
# Inbound messages that ask nothing of anyone (as store/assignment/jobs.py): no clock starts.
NOISE = {"auto_reply", "bounce", "malformed", "opt_out", "opt_in"}


async def _categories(session: AsyncSession) -> dict[str, str]:
    return {row.name: row.category for row in await list_statuses(session)}


async def facts_of(session: AsyncSession, ticket_id: int) -> list[Fact]:
    """Customer messages, public replies and status changes, in the order they happened."""
    rows = await session.execute(
        select(Event.type, Event.created_at, Event.after, Event.payload)
        .where(Event.ticket_id == ticket_id, Event.type.in_(TRACKED))
        .order_by(Event.id)
    )
    automatic = set(
        await session.scalars(
            select(OutOfHoursReply.message_id).where(OutOfHoursReply.ticket_id == ticket_id)
        )
    )
    categories = await _categories(session)
    facts = []
    for kind, at, after, payload in rows:
        fact = _fact(kind, at, after or {}, payload or {}, automatic, categories)
        if fact is not None:
            facts.append(fact)
    return facts


def _fact(kind, at, after, payload, automatic, categories) -> Fact | None:
    if kind == "ticket.updated" and "status" in after:
        status = after["status"]
        return Fact(at, "status", categories.get(status, status))
    if kind == "message.received" and not NOISE & set(payload.get("flags") or ()):
        return Fact(at, "customer")
    if kind == "message.queued" and payload.get("message_id") not in automatic:
        return Fact(at, "reply")
    return None


def targets_of(policy: SlaPolicy, priority: str) -> dict[str, timedelta]:
    wanted = policy.targets.get(priority) or {}
    return {
        metric: timedelta(minutes=wanted[f"{metric}_minutes"])
        for metric in METRICS
        if wanted.get(f"{metric}_minutes")
    }


async def rows_of(session: AsyncSession, ticket_id: int) -> dict[str, SlaClock]:
    rows = await session.scalars(select(SlaClock).where(SlaClock.ticket_id == ticket_id))
    return {row.metric: row for row in rows}


async def rebuild(
    session: AsyncSession, *, ticket: policies.TicketFacts, created_at: datetime, now: datetime
) -> list[SlaClock]:
    """Recompute the ticket's clocks, write what is due (warnings, breaches), schedule the
    next check. Call with the ticket's row locked."""
    rows = await rows_of(session, ticket.id)
    policy = await policies.policy_for(session, ticket)
    clocks: list[Clock] = []
    if policy is not None:
        schedule = await schedule_for(session, team_id=ticket.team_id)
        facts = await facts_of(session, ticket.id)
        targets = targets_of(policy, ticket.priority)
        clocks = compute(created_at, facts, targets, policy.warn_percent, schedule, now)
    kept = []
    for clock in clocks:
        row = rows.pop(clock.metric, None) or _new_row(session, ticket.id, clock.metric)
        _store(row, clock, policy.id, now)
        _announce(session, ticket, row, clock, now)
        _schedule(session, ticket.id, row, now)
        kept.append(row)
    for row in rows.values():  # no policy, or no target for it any more
        await session.delete(row)
    await session.flush()
    return kept


def _new_row(session: AsyncSession, ticket_id: int, metric: str) -> SlaClock:
    row = SlaClock(ticket_id=ticket_id, metric=metric)
    session.add(row)
    return row


def _store(row: SlaClock, clock: Clock, policy_id: int, now: datetime) -> None:
    if row.started_at != clock.started_at:  # a new cycle: its warning and breach are unsaid
        row.breached_at = row.warned_at = row.scheduled_at = None
    row.policy_id = policy_id
    row.state = clock.state
    row.target_seconds = int(clock.target.total_seconds())
    row.started_at = clock.started_at
    row.due_at, row.warn_at, row.met_at = clock.due_at, clock.warn_at, clock.met_at
    remaining = clock.remaining
    row.remaining_seconds = None if remaining is None else int(remaining.total_seconds())
    row.updated_at = now


def _announce(session, ticket, row: SlaClock, clock: Clock, now: datetime) -> None:
    """Write the breach, or the warning before it, once per cycle."""
    if clock.breached and row.breached_at is None:
        row.breached_at = now
        row.warned_at = row.warned_at or now  # late: the breach says it all
        _emit(session, "ticket.sla_breached", ticket, row)
    elif (
        clock.state == "running"
        and row.warned_at is None
        and row.warn_at is not None
        and row.warn_at <= now
    ):
        row.warned_at = now
        _emit(session, "ticket.sla_warning", ticket, row, now=now)


def _emit(session, kind: str, ticket, row: SlaClock, now: datetime | None = None) -> None:
    payload = {
        "metric": row.metric,
        "policy_id": row.policy_id,
        "priority": ticket.priority,
        "channel": ticket.channel,
        "team_id": ticket.team_id,
        "started_at": row.started_at.isoformat(),
        "due_at": row.due_at.isoformat() if row.due_at else None,
        "target_minutes": row.target_seconds / 60,
    }
    if now is not None and row.due_at is not None:
        payload["time_left_seconds"] = int((row.due_at - now).total_seconds())
    emit(session, kind, actor=SYSTEM, ticket_id=ticket.id, payload=payload)


def _next_check(row: SlaClock, now: datetime) -> datetime | None:
    if row.state != "running":
        return None
    due = [
        at
        for at, said in ((row.warn_at, row.warned_at), (row.due_at, row.breached_at))
        if at is not None and said is None and at > now
    ]
    return min(due, default=None)


def _schedule(session: AsyncSession, ticket_id: int, row: SlaClock, now: datetime) -> None:
    """One outbox delivery at the next instant this clock needs a look (none twice)."""
    at = _next_check(row, now)
    if at is None or at == row.scheduled_at:
        return
    row.scheduled_at = at
    session.add(
        Delivery(
            kind="job",
            target=CHECK_JOB,
            args={"ticket_id": ticket_id},
            status="pending",
            attempts=0,
            next_attempt_at=at,
        )
    )
