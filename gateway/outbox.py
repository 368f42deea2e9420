"""The dispatcher: fans committed events out to deliveries and runs due deliveries.

At least once: an event is marked dispatched in the same transaction that writes its delivery
rows; a delivery is leased while it runs, so a crashed run is picked up again when its lease
ends. Deliveries retry with exponential backoff and end 'dead' after the last attempt.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway import jobs
from gateway.webhook_delivery import post_webhook
from store.db import utcnow
from store.outbox.models import Delivery, Event, Webhook

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)
EventListener = Callable[[dict[str, Any]], Awaitable[None]]


def event_dict(event: Event) -> dict[str, Any]:
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
    """Turn pending events into delivery rows; returns the events for in-process listeners."""
    query = select(Event).where(Event.dispatched_at.is_(None)).order_by(Event.id).limit(limit)
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    events = list(await session.scalars(query))
    if not events:
        return []
    hooks = list(await session.scalars(select(Webhook).where(Webhook.active.is_(True))))
    now = utcnow()
    for event in events:
        body = event_dict(event)
        for hook in hooks:
            if _wants(hook, event.type):
                session.add(
                    Delivery(
                        event_id=event.id,
                        kind="webhook",
                        target=str(hook.id),
                        webhook_id=hook.id,
                        args=body,
                    )
                )
        for name in jobs.triggered_by(event.type, event.payload):
            args = dict(event.payload, event_id=event.id, ticket_id=event.ticket_id)
            session.add(Delivery(event_id=event.id, kind="job", target=name, args=args))
        event.dispatched_at = now
    return [event_dict(e) for e in events]


async def claim_due(session: AsyncSession, limit: int = 50) -> list[int]:
    """Lease due deliveries (and ones whose lease ran out: their runner died)."""
    now = utcnow()
    query = (
        select(Delivery.id)
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
        query = query.with_for_update(skip_locked=True)
    ids = list(await session.scalars(query))
    if ids:
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids))
            .values(status="running", locked_until=now + LEASE)
        )
    return ids


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


async def _record(
    ctx: jobs.JobContext,
    delivery_id: int,
    error: Exception | None,
    code: int | None,
    retry_hint: float | None,
) -> None:
    async with ctx.db.uow() as session:
        row = await session.get(Delivery, delivery_id)
        row.attempts += 1
        row.response_code = code
        row.locked_until = None
        if error is None:
            row.status, row.finished_at, row.last_error = "done", utcnow(), None
        elif row.attempts >= ctx.settings.job_max_attempts or isinstance(error, PermanentFailure):
            row.status, row.finished_at, row.last_error = "dead", utcnow(), str(error)[:2000]
        else:
            row.status, row.last_error = "pending", str(error)[:2000]
            delay = backoff(ctx.settings, row.attempts, retry_hint)
            row.next_attempt_at = utcnow() + timedelta(seconds=delay)
        if row.webhook_id is not None:
            await _track_webhook(session, row, ok=error is None, settings=ctx.settings)
        dead = row.status == "dead" and row.kind == "job"
        name, args = row.target, row.args
    if dead:
        await jobs.gave_up(name, ctx, args, str(error))


async def _track_webhook(session: AsyncSession, row: Delivery, *, ok: bool, settings) -> None:
    hook = await session.get(Webhook, row.webhook_id)
    if hook is None or not hook.active:  # keep the count and reason it was disabled with
        return
    hook.consecutive_failures = 0 if ok else hook.consecutive_failures + 1
    if hook.consecutive_failures >= settings.webhook_disable_after:
        hook.active = False
        hook.disabled_reason = f"disabled after {hook.consecutive_failures} failed deliveries"


async def run_delivery(ctx: jobs.JobContext, delivery_id: int) -> None:
    """Run one leased delivery and record the outcome; never raises."""
    async with ctx.db.uow() as session:
        row = await session.get(Delivery, delivery_id)
        if row is None or row.status != "running":
            return
        kind, target, args, hook_id = row.kind, row.target, row.args, row.webhook_id
        hook = await session.get(Webhook, hook_id) if hook_id else None
    error, code, hint = None, None, None
    try:
        if kind == "webhook":
            if hook is None:
                raise PermanentFailure("webhook was deleted")
            if not hook.active:  # disabled (by an admin or by failures): stop sending to it
                raise PermanentFailure("webhook is disabled; delivery dropped")
            code = await post_webhook(ctx, hook.url, hook.secret, delivery_id, args)
        else:
            await jobs.run(target, ctx, args)
    except jobs.RetryLater as exc:
        error, hint = exc, exc.after
    except Exception as exc:  # a deliverer never dies on one bad item: record and go on
        log.warning("delivery %s (%s %s) failed: %s", delivery_id, kind, target, exc)
        error = exc
        code = getattr(exc, "status_code", None)
    await _record(ctx, delivery_id, error, code, hint)
