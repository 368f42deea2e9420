"""The dispatcher: fans committed events out to deliveries and runs due deliveries.

At least once: an event is marked dispatched in the same transaction that writes its delivery
rows; a delivery is leased while it runs, so a crashed run is picked up again when its lease
ends. Deliveries retry with exponential backoff and end 'dead' after the last attempt.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway import jobs
from gateway.webhook_delivery import post_webhook
from store.db import utcnow
from store.outbox.models import Delivery, Event, Webhook

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)
EventListener = Callable[[dict[str, Any]], Awaitable[None]]


def event_dict(event) -> dict[str, Any]:
    """The event as listeners and webhooks get it (from an Event or a row of its table)."""
    return {
        "id": event.id,
        "type": event.type,
        "ticket_id": event.ticket_id,
        "actor": {"kind": event.actor_kind, "id": event.actor_id, "name": event.actor_name},
        "before": event.before,
        "after": event.after,
        "payload": event.payload,
        "created_at": event.created_at.isoformat(),
    }


def _wants(hook: Webhook, event_type: str) -> bool:
    return hook.active and (not hook.event_types or event_type in hook.event_types)


async def fan_out(session: AsyncSession, limit: int = 500) -> list[dict[str, Any]]:
    """Turn pending events into delivery rows; returns the events for in-process listeners.

    Set-based (one SELECT, one INSERT, one UPDATE per pass): under load every commit of the
    ingest writer brings a batch of events, and this runs in the same process.
    """
    table = Event.__table__
    query = select(table).where(table.c.dispatched_at.is_(None)).order_by(table.c.id).limit(limit)
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    events = [event_dict(row) for row in await session.execute(query)]
    if not events:
        return []
    hooks = list(await session.scalars(select(Webhook).where(Webhook.active.is_(True))))
    deliveries = []
    for event in events:
        for hook in hooks:
            if _wants(hook, event["type"]):
                deliveries.append(_delivery(event["id"], "webhook", str(hook.id), event, hook.id))
        for name in jobs.triggered_by(event["type"], event["payload"]):
            args = dict(event["payload"], event_id=event["id"], ticket_id=event["ticket_id"])
            deliveries.append(_delivery(event["id"], "job", name, args))
    if deliveries:
        await session.execute(insert(Delivery.__table__), deliveries)
    ids = [event["id"] for event in events]
    await session.execute(update(table).where(table.c.id.in_(ids)).values(dispatched_at=utcnow()))
    return events


def _delivery(event_id: int, kind: str, target: str, args: dict, webhook_id: int | None = None):
    now = utcnow()
    return {
        "event_id": event_id,
        "kind": kind,
        "target": target,
        "webhook_id": webhook_id,
        "args": args,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


@dataclass(frozen=True)
class Leased:
    """A delivery leased to this runner, with what running it needs."""

    id: int
    kind: str
    target: str
    args: dict
    hook: tuple[str, str, bool] | None  # the webhook's url, secret, active; None: none/deleted


_LEASED_COLUMNS = (
    Delivery.id,
    Delivery.kind,
    Delivery.target,
    Delivery.args,
    Webhook.url,
    Webhook.secret,
    Webhook.active,
)


def _leased(row) -> Leased:
    delivery_id, kind, target, args, url, secret, active = row
    return Leased(delivery_id, kind, target, args, None if url is None else (url, secret, active))


async def claim_due(session: AsyncSession, limit: int = 50) -> list[Leased]:
    """Lease due deliveries (and ones whose lease ran out: their runner died)."""
    now = utcnow()
    query = (
        select(*_LEASED_COLUMNS)
        .outerjoin(Webhook, Webhook.id == Delivery.webhook_id)
        .where(
            or_(
                (Delivery.status == "pending") & (Delivery.next_attempt_at <= now),
                (Delivery.status == "running") & (Delivery.locked_until < now),
            )
        )
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    )
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Delivery)
    leased = [_leased(row) for row in await session.execute(query)]
    if leased:
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_([d.id for d in leased]))
            .values(status="running", locked_until=now + LEASE)
        )
    return leased


class PermanentFailure(Exception):
    """Retrying cannot help (e.g. a job whose target was deleted)."""


async def outstanding(session: AsyncSession) -> bool:
    """Is anything undispatched, due now, or running?"""
    now = utcnow()
    event = await session.scalar(select(Event.id).where(Event.dispatched_at.is_(None)).limit(1))
    busy = await session.scalar(
        select(Delivery.id)
        .where(
            or_(
                (Delivery.status == "pending") & (Delivery.next_attempt_at <= now),
                Delivery.status == "running",
            )
        )
        .limit(1)
    )
    return event is not None or busy is not None


def backoff(settings, attempts: int, hint: float | None = None) -> float:
    return max(hint or 0.0, settings.job_backoff_base**attempts)


@dataclass
class Outcome:
    """How one run of a delivery went, waiting to be recorded."""

    delivery_id: int
    error: Exception | None = None
    code: int | None = None
    retry_hint: float | None = None


def _apply(row: Delivery, outcome: Outcome, settings) -> None:
    error = outcome.error
    row.attempts += 1
    row.response_code = outcome.code
    row.locked_until = None
    if error is None:
        row.status, row.finished_at, row.last_error = "done", utcnow(), None
    elif row.attempts >= settings.job_max_attempts or isinstance(error, PermanentFailure):
        row.status, row.finished_at, row.last_error = "dead", utcnow(), str(error)[:2000]
    else:
        row.status, row.last_error = "pending", str(error)[:2000]
        delay = backoff(settings, row.attempts, outcome.retry_hint)
        row.next_attempt_at = utcnow() + timedelta(seconds=delay)


async def record_in(session: AsyncSession, settings, outcomes: list[Outcome]) -> list[tuple]:
    """Record outcomes in the caller's transaction (the dispatcher records a pass's worth at
    once); returns (job name, args, error) of jobs that gave up, to tell after the commit."""
    if not outcomes:
        return []
    ids = [o.delivery_id for o in outcomes]
    rows = {r.id: r for r in await session.scalars(select(Delivery).where(Delivery.id.in_(ids)))}
    dead = []
    for outcome in outcomes:
        row = rows.get(outcome.delivery_id)
        if row is None:  # deleted meanwhile (its webhook was)
            continue
        _apply(row, outcome, settings)
        if row.webhook_id is not None:
            await _track_webhook(session, row, ok=outcome.error is None, settings=settings)
        if row.status == "dead" and row.kind == "job":
            dead.append((row.target, row.args, str(outcome.error)))
    return dead


async def tell_gave_up(ctx: jobs.JobContext, dead: list[tuple]) -> None:
    for name, args, error in dead:
        await jobs.gave_up(name, ctx, args, error)


async def _track_webhook(session: AsyncSession, row: Delivery, *, ok: bool, settings) -> None:
    hook = await session.get(Webhook, row.webhook_id)
    if hook is None or not hook.active:  # keep the count and reason it was disabled with
        return
    hook.consecutive_failures = 0 if ok else hook.consecutive_failures + 1
    if hook.consecutive_failures >= settings.webhook_disable_after:
        hook.active = False
        hook.disabled_reason = f"disabled after {hook.consecutive_failures} failed deliveries"


async def execute(ctx: jobs.JobContext, leased: Leased) -> Outcome:
    """Run one leased delivery; never raises."""
    outcome = Outcome(leased.id)
    try:
        if leased.kind == "webhook":
            if leased.hook is None:
                raise PermanentFailure("webhook was deleted")
            url, secret, active = leased.hook
            if not active:  # disabled (by an admin or by failures): stop sending to it
                raise PermanentFailure("webhook is disabled; delivery dropped")
            outcome.code = await post_webhook(ctx, url, secret, leased.id, leased.args)
        else:
            await jobs.run(leased.target, ctx, leased.args)
    except jobs.RetryLater as exc:
        outcome.error, outcome.retry_hint = exc, exc.after
    except Exception as exc:  # a deliverer never dies on one bad item: record and go on
        log.warning("delivery %s (%s %s) failed: %s", leased.id, leased.kind, leased.target, exc)
        outcome.error = exc
        outcome.code = getattr(exc, "status_code", None)
    return outcome


async def _load(ctx: jobs.JobContext, delivery_id: int) -> Leased | None:
    # A read snapshot suffices (the lease was committed before the job was enqueued).
    async with ctx.db.read() as session:
        row = (
            await session.execute(
                select(*_LEASED_COLUMNS, Delivery.status)
                .outerjoin(Webhook, Webhook.id == Delivery.webhook_id)
                .where(Delivery.id == delivery_id)
            )
        ).first()
    if row is None or row.status != "running":
        return None
    return _leased(row[:-1])


async def run_delivery(ctx: jobs.JobContext, delivery_id: int) -> None:
    """Run one leased delivery and record the outcome (the RQ worker's path)."""
    leased = await _load(ctx, delivery_id)
    if leased is None:
        return
    outcome = await execute(ctx, leased)
    async with ctx.db.uow() as session:
        dead = await record_in(session, ctx.settings, [outcome])
    await tell_gave_up(ctx, dead)
