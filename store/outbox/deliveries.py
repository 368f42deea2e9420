"""Deliveries of the outbox: committed events fanned out into delivery rows, leased, recorded.

At least once: an event is marked dispatched in the same transaction that writes its delivery
rows; a delivery is leased while it runs, so a crashed run is picked up again when its lease
ends. Deliveries retry with exponential backoff and end 'dead' after the last attempt. Which
jobs an event starts is the caller's table (gateway/outbox/table.py), passed in as `jobs`.

Leases: the dispatcher leases for `LEASE`, long enough to wait in a queue. A runner that is
not the dispatcher (an RQ worker) first swaps that lease for a short `RUN_LEASE` (`start`) and
renews it while the job runs (`renew`), so a killed worker's job is due again in seconds, not
minutes. A lease's end time is its token: `start`, `renew` and recording an outcome only act
while the row still holds the caller's token, so two runners never hold one delivery at once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import utcnow
from store.jobs import PermanentFailure
from store.outbox.models import Delivery, Event, Webhook

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=2)  # the dispatcher's lease: covers the wait in the RQ queue
# (a batch lost with a gateway killed mid-enqueue runs again after it; a job that waited longer
# is enqueued again, and the lease token lets only one copy start)
RUN_LEASE = timedelta(seconds=10)  # a started run's lease, renewed every RENEW_EVERY
RENEW_EVERY = RUN_LEASE / 3
FAN_OUT_LIMIT = 500  # events per pass
CLAIM_LIMIT = 50  # deliveries leased per pass
EventListener = Callable[[dict[str, Any]], Awaitable[None]]


class JobTable(Protocol):
    """Which jobs an event starts, and whether a job is wanted right now."""

    def triggered_by(self, event_type: str, payload: dict[str, Any] | None = None) -> list[str]: ...

    async def wanted(self, name: str, session: AsyncSession) -> bool: ...


def event_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    """The event as listeners and webhooks get it, from its column values (a row's mapping)."""
    return {
        "id": row["id"],
        "type": row["type"],
        "ticket_id": row["ticket_id"],
        "actor": {"kind": row["actor_kind"], "id": row["actor_id"], "name": row["actor_name"]},
        "before": row["before"],
        "after": row["after"],
        "payload": row["payload"],
        "created_at": row["created_at"].isoformat(),
    }


def _wants(hook: Webhook, event_type: str) -> bool:
    return hook.active and (not hook.event_types or event_type in hook.event_types)


# Built once: a pass runs after every few commits, and building a statement and its cache
# key costs more than running it.
_events = Event.__table__
_PENDING = (
    select(_events)
    .where(_events.c.dispatched_at.is_(None))
    .order_by(_events.c.id)
    .limit(FAN_OUT_LIMIT)
)
_PENDING_LOCKED = _PENDING.with_for_update(skip_locked=True)  # PostgreSQL: one taker per event
_ACTIVE_HOOKS = select(Webhook).where(Webhook.active.is_(True))
_MARK_DISPATCHED = (
    update(_events)
    .where(_events.c.id.in_(bindparam("ids", expanding=True)))
    .values(dispatched_at=bindparam("now"))
)


async def fan_out(session: AsyncSession, jobs: JobTable) -> list[dict[str, Any]]:
    """Turn pending events into delivery rows; returns the events for in-process listeners.

    Set-based (one SELECT, one INSERT, one UPDATE per pass): under load every commit of the
    ingest writer brings a batch of events, and this runs in the same process.
    """
    query = _PENDING_LOCKED if session.bind.dialect.name == "postgresql" else _PENDING
    events = [event_dict(row._mapping) for row in await session.execute(query)]
    if not events:
        return []
    hooks = list(await session.scalars(_ACTIVE_HOOKS))
    wanted: dict[str, bool] = {}  # asked once per pass (e.g. no agent turns while the bot is off)
    deliveries = []
    for event in events:
        for hook in hooks:
            if _wants(hook, event["type"]):
                deliveries.append(_delivery(event["id"], "webhook", str(hook.id), event, hook.id))
        for name in jobs.triggered_by(event["type"], event["payload"]):
            if name not in wanted:
                wanted[name] = await jobs.wanted(name, session)
            if not wanted[name]:
                continue
            args = dict(event["payload"], event_id=event["id"], ticket_id=event["ticket_id"])
            deliveries.append(_delivery(event["id"], "job", name, args))
    if deliveries:
        await session.execute(insert(Delivery.__table__), deliveries)
    ids = [event["id"] for event in events]
    await session.execute(_MARK_DISPATCHED, {"ids": ids, "now": utcnow()})
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
    lease: datetime | None = None  # the lease's end, its token (see `start`)


_LEASED_COLUMNS = (
    Delivery.id,
    Delivery.kind,
    Delivery.target,
    Delivery.args,
    Webhook.url,
    Webhook.secret,
    Webhook.active,
)


def _leased(row, lease: datetime | None = None) -> Leased:
    delivery_id, kind, target, args, url, secret, active = row
    hook = None if url is None else (url, secret, active)
    return Leased(delivery_id, kind, target, args, hook, lease)


_DUE = (
    select(*_LEASED_COLUMNS)
    .outerjoin(Webhook, Webhook.id == Delivery.webhook_id)
    .where(
        or_(
            (Delivery.status == "pending") & (Delivery.next_attempt_at <= bindparam("now")),
            (Delivery.status == "running") & (Delivery.locked_until < bindparam("now")),
        )
    )
    .order_by(Delivery.next_attempt_at, Delivery.id)
    .limit(CLAIM_LIMIT)
)
_DUE_LOCKED = _DUE.with_for_update(skip_locked=True, of=Delivery)
_deliveries = Delivery.__table__
_LEASE = (
    update(_deliveries)
    .where(_deliveries.c.id.in_(bindparam("ids", expanding=True)))
    .values(status="running", locked_until=bindparam("until"))
)


async def claim_due(session: AsyncSession) -> list[Leased]:
    """Lease due deliveries (and ones whose lease ran out: their runner died)."""
    now = utcnow()
    until = now + LEASE
    query = _DUE_LOCKED if session.bind.dialect.name == "postgresql" else _DUE
    leased = [_leased(row, until) for row in await session.execute(query, {"now": now})]
    if leased:
        ids = [d.id for d in leased]
        await session.execute(_LEASE, {"ids": ids, "until": until})
    return leased


_SWAP = (
    update(_deliveries)
    .where(
        _deliveries.c.id == bindparam("delivery_id"),
        _deliveries.c.status == "running",
        _deliveries.c.locked_until == bindparam("held"),
    )
    .values(locked_until=bindparam("until"))
)


async def renew(session: AsyncSession, delivery_id: int, held: datetime) -> datetime | None:
    """Extend a run's lease by RUN_LEASE from now; the new token, or None when the row no
    longer holds `held` (the lease ran out and was taken, or the run was recorded)."""
    until = utcnow() + RUN_LEASE
    params = {"delivery_id": delivery_id, "held": held, "until": until}
    result = await session.execute(_SWAP, params)
    return until if result.rowcount == 1 else None


async def start(
    session: AsyncSession, delivery_id: int, held: datetime | None
) -> tuple[Leased, datetime] | None:
    """Take a leased delivery for running, swapping the dispatcher's lease (`held`) for a short
    one to renew. None: someone else started it, or it is finished. (`held` None: a job
    enqueued before leases had tokens; it takes whatever lease is on the row.)"""
    if held is None:
        held = await session.scalar(
            select(Delivery.locked_until).where(
                Delivery.id == delivery_id, Delivery.status == "running"
            )
        )
        if held is None:
            return None
    until = await renew(session, delivery_id, held)
    leased = await load_leased(session, delivery_id) if until else None
    return None if leased is None else (leased, until)


async def unstarted(session: AsyncSession) -> list[Leased]:
    """Deliveries the dispatcher leased that no runner has started: their lease still reaches
    further than a started run's ever does. After a Redis outage their queued jobs may be
    lost; enqueued again with the same token, only one of the copies can start."""
    horizon = utcnow() + RUN_LEASE + timedelta(seconds=1)
    rows = await session.execute(
        select(*_LEASED_COLUMNS, Delivery.locked_until)
        .outerjoin(Webhook, Webhook.id == Delivery.webhook_id)
        .where(Delivery.status == "running", Delivery.locked_until > horizon)
        .order_by(Delivery.id)
        .limit(CLAIM_LIMIT * 20)
    )
    return [_leased(row[:-1], row[-1]) for row in rows]


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
    lease: datetime | None = None  # set: record only while the row still holds this lease


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
        if outcome.lease is not None and not _holds(row, outcome.lease):
            log.warning("delivery %s: lease lost before its outcome was recorded", row.id)
            continue  # its next runner records it
        _apply(row, outcome, settings)
        if row.webhook_id is not None:
            await _track_webhook(session, row, ok=outcome.error is None, settings=settings)
        if row.status == "dead" and row.kind == "job":
            dead.append((row.target, row.args, str(outcome.error)))
    return dead


def _holds(row: Delivery, lease: datetime) -> bool:
    return row.status == "running" and row.locked_until == lease


async def _track_webhook(session: AsyncSession, row: Delivery, *, ok: bool, settings) -> None:
    hook = await session.get(Webhook, row.webhook_id)
    if hook is None or not hook.active:  # keep the count and reason it was disabled with
        return
    hook.consecutive_failures = 0 if ok else hook.consecutive_failures + 1
    if hook.consecutive_failures >= settings.webhook_disable_after:
        hook.active = False
        hook.disabled_reason = f"disabled after {hook.consecutive_failures} failed deliveries"


async def load_leased(session: AsyncSession, delivery_id: int) -> Leased | None:
    """A delivery this runner holds the lease of (None: gone, or not running any more)."""
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
